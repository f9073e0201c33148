//! Moleculer microservices for Rust.
//!
//! Write services as plain Rust with `#[service]`, `#[action]` and `#[event]`; a
//! [`ServiceBroker`] runs them, calls their actions, delivers their events, and speaks
//! Moleculer's semantics and errors, so the same services can join a Node.js Moleculer cluster.
//!
//! ```
//! use moleculer::prelude::*;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, Validate, JsonSchema)]
//! struct AddParams {
//!     #[validate(range(min = -1e9, max = 1e9))]
//!     a: f64,
//!     b: f64,
//! }
//!
//! #[derive(Default)]
//! struct Math;
//!
//! #[service(name = "math", version = 2)]
//! impl Math {
//!     #[action(params = AddParams)]
//!     async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
//!         Ok(ctx.params.a + ctx.params.b)
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let broker = ServiceBroker::builder().service(Math).build()?;
//! broker.start().await?;
//! let sum: f64 = broker.call("v2.math.add", serde_json::json!({"a": 1, "b": 2})).await?;
//! assert_eq!(sum, 3.0);
//! broker.stop().await?;
//! # Ok::<(), moleculer::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `inventory` | yes | `ServiceBroker::builder().with_registered_services()` collects every `#[service]` at link time |
//! | `nats` | yes | the NATS transporter (async-nats) |
//! | `redis` | yes | the Redis transporter (the redis crate) |
//! | `mqtt` | yes | the MQTT transporter (rumqttc; MQTT 3.1.1 and 5) |
//! | `amqp` | yes | the AMQP 0.9.1 transporter (lapin; RabbitMQ) |
//! | `redis-tls` | no | TLS for the Redis transporter (`rediss://`, `tls`; rustls) |
//! | `mqtt-tls` | no | TLS for the MQTT transporter (`mqtts://`, `tls`; rustls) |
//! | `amqp-tls` | no | TLS for the AMQP transporter (`amqps://`, `tls`; rustls) |
//! | `msgpack` | yes | the `MsgPack` (msgpack5) and `Notepack` (notepack.io) serializers |
//! | `cbor` | yes | the `CBOR` serializer (cbor-x's dialect) |
//! | `jsonext` | yes | the `JSONExt` serializer (Moleculer 0.15) |
//! | `transmit` | yes | the `Compression` and `Encryption` transmit middlewares |
//! | `protobuf`, `avro`, `thrift` | no | Moleculer 0.14's `ProtoBuf`, `Avro` and `Thrift` serializers (protocol 4) |
//! | `tower` | no | `middleware::TowerLayer`: a tower `Layer` as a middleware around actions |

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod broker;
pub mod cacher;
pub mod context;
pub mod error;
mod js;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod options;
pub mod payload;
pub mod protocol;
pub mod registry;
pub mod serializer;
pub mod service;
pub mod tracer;
mod transit;
pub mod transporter;
pub mod validation;

#[doc(hidden)]
pub mod __fuzz;
#[doc(hidden)]
pub mod __private;

pub use broker::{BrokerBuilder, CallDef, ErrorHandler, ErrorInfo, MultiCall, ServiceBroker};
pub use context::{CallOptions, Context, ContextId, EmitOptions, EventContext, EventType};
pub use error::{Error, ErrorKind, Result};
pub use options::BrokerOptions;
pub use payload::Payload;
pub use service::{ServiceDef, Version, Visibility};

#[doc = include_str!("../docs/service.md")]
pub use moleculer_macros::service;

#[doc = include_str!("../docs/action.md")]
pub use moleculer_macros::action;

#[doc = include_str!("../docs/event.md")]
pub use moleculer_macros::event;

/// Marks a method of a `#[service]` impl block as an action hook: `#[hook(before = "*")]`,
/// `#[hook(after = "get|list")]`, `#[hook(error = ["create", "update*"])]`. See
/// [`macro@service`].
pub use moleculer_macros::hook;

/// The Rust version this crate was built with, published as the node's `client.langVersion`.
pub const RUST_VERSION: &str = "1.95";

/// What most services need: `use moleculer::prelude::*;`.
pub mod prelude {
    pub use crate::{
        CallOptions, Context, EmitOptions, Error, EventContext, Payload, Result, ServiceBroker,
        action, event, hook, service,
    };
    pub use schemars::JsonSchema;
    pub use validator::Validate;
}
