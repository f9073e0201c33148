//! The service broker (Node's `ServiceBroker`, `src/service-broker.js`).
//!
//! A [`ServiceBroker`] is a cheap handle (`Clone`) to one node: its options, its registry and
//! its services. It calls actions ([`ServiceBroker::call`]), emits events
//! ([`ServiceBroker::emit`]), and runs the services' lifecycle ([`ServiceBroker::start`],
//! [`ServiceBroker::stop`]).

mod builder;
mod call;
mod error_handler;
mod events;
mod hooks;
mod internal;
pub(crate) use internal::ipv4_interfaces;
mod lifecycle;
mod mcall;
mod running;
mod signals;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use parking_lot::Mutex;

pub use builder::BrokerBuilder;
pub(crate) use error_handler::handled;
pub use error_handler::{ErrorHandler, ErrorInfo};
pub use mcall::{CallDef, MultiCall};
pub(crate) use running::{Started, handler_panicked};

use crate::options::BrokerOptions;
use crate::registry::{NodeInfo, Registry};
use crate::service::LocalService;

/// Where the broker is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokerState {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
}

/// A local service and whether it has started.
pub(crate) struct ServiceSlot {
    pub(crate) service: LocalService,
    pub(crate) started: Mutex<bool>,
}

pub(crate) struct BrokerInner {
    pub(crate) options: BrokerOptions,
    pub(crate) node_id: Arc<str>,
    pub(crate) instance_id: String,
    pub(crate) registry: Registry,
    pub(crate) services: Mutex<Vec<Arc<ServiceSlot>>>,
    pub(crate) state: Mutex<BrokerState>,
    pub(crate) started_at: Instant,
    pub(crate) seq: AtomicU64,
    pub(crate) local_node: NodeInfo,
    /// The link to the other nodes; `None` without a transporter.
    pub(crate) cluster: Option<Arc<crate::transit::Transit>>,
    /// User middlewares, then the built-in ones: the order they wrap handlers in.
    pub(crate) middlewares: crate::middleware::Stack,
    /// The middlewares' wrappers around `call`, `mcall`, `emit`, `broadcast` and
    /// `broadcast_local`, where any wraps them.
    pub(crate) hooks: hooks::BrokerHooks,
    /// The broker is stopping: new calls to local actions are refused; sub-calls of the
    /// requests still running go on.
    pub(crate) draining: std::sync::atomic::AtomicBool,
    /// The user's error handler (`BrokerBuilder::error_handler`).
    pub(crate) error_handler: Option<ErrorHandler>,
}

/// A Moleculer node: calls actions, emits events, and runs services.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use moleculer::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[service(name = "greeter")]
/// impl Greeter {
///     #[action]
///     async fn hello(&self, ctx: Context) -> Result<String> {
///         Ok(format!("Hello {}", ctx.params["name"].as_str().unwrap_or("anonymous")))
///     }
/// }
///
/// let broker = ServiceBroker::builder().node_id("doc-node").service(Greeter).build()?;
/// broker.start().await?;
/// let reply: String = broker.call("greeter.hello", serde_json::json!({"name": "John"})).await?;
/// assert_eq!(reply, "Hello John");
/// broker.stop().await?;
/// # Ok::<(), moleculer::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct ServiceBroker {
    pub(crate) inner: Arc<BrokerInner>,
}

impl ServiceBroker {
    /// A builder with default options.
    pub fn builder() -> BrokerBuilder {
        BrokerBuilder::new()
    }

    /// The node's id.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// The id of this process's run of the node.
    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.options.namespace
    }

    /// The options the broker runs with.
    pub fn options(&self) -> &BrokerOptions {
        &self.inner.options
    }

    /// Whether the broker has started and not begun stopping.
    pub fn is_started(&self) -> bool {
        *self.inner.state.lock() == BrokerState::Started
    }

    /// Seconds since the broker was created (Node's `lastHeartbeatTime` clock).
    pub(crate) fn uptime_secs(&self) -> u64 {
        self.inner.started_at.elapsed().as_secs()
    }

    /// The name of the transporter connecting this node to others, if any.
    pub fn transporter_name(&self) -> Option<&'static str> {
        self.inner.cluster.as_ref().map(|c| c.transporter.name())
    }
}

impl std::fmt::Debug for ServiceBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBroker")
            .field("node_id", &self.inner.node_id)
            .field("namespace", &self.inner.options.namespace)
            .field("state", &*self.inner.state.lock())
            .field("registry", &self.inner.registry)
            .finish()
    }
}
