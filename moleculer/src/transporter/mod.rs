//! Transporters: how packets travel between nodes (reference §2).
//!
//! A [`Transporter`] moves raw serializer bytes on topics (built by
//! [`Topics`](crate::transit::Topics)); it knows nothing about packets. Every message of
//! every subscription goes to the one [`IncomingSink`] given to [`Transporter::connect`]:
//! the topic borrowed, the payload as [`Bytes`] shared with the client's read buffer.
//!
//! * [`FakeTransporter`] on a [`FakeBus`]: Node's `Fake`, an in-process bus, so several
//!   brokers in one process form a cluster.
//! * `NatsTransporter` (feature `nats`): Node's `NATS`, on the async-nats client.
//!
//! ```
//! use moleculer::transporter::{Bytes, FakeBus, FakeTransporter, IncomingSink, Transporter};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let bus = FakeBus::new();
//! let (a, b) = (FakeTransporter::new(bus.clone()), FakeTransporter::new(bus));
//! let (tx_a, _rx_a) = IncomingSink::channel();
//! let (tx_b, mut rx_b) = IncomingSink::channel();
//! a.connect(tx_a).await?;
//! b.connect(tx_b).await?;
//! b.subscribe("MOL.INFO").await?;
//! a.publish("MOL.INFO", Bytes::from_static(b"{}")).await?;
//! let msg = rx_b.recv().await.unwrap(); // delivered asynchronously
//! assert_eq!((msg.topic.as_str(), &msg.payload[..]), ("MOL.INFO", &b"{}"[..]));
//! # Ok::<(), moleculer::Error>(())
//! # }).unwrap();
//! ```

mod factory;
mod fake;
#[cfg(feature = "nats")]
mod nats;

pub use factory::from_option;
pub use fake::{FakeBus, FakeTransporter};
#[cfg(feature = "nats")]
pub use nats::{NatsOptions, NatsTransporter};

use std::sync::Arc;

/// The payload type of [`Transporter::publish`] and [`IncomingSink`] (re-exported from
/// the `bytes` crate, so a transporter crate needs no dependency of its own for it).
pub use bytes::Bytes;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::error::Result;
use crate::service::BoxFuture;

/// A message received from the transporter, as [`IncomingSink::channel`] queues it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The topic it was published to (`MOL.REQ.node-1`).
    pub topic: String,
    /// The serializer bytes, as published.
    pub payload: Bytes,
}

/// Where a transporter hands every message it receives: the topic (borrowed) and the payload.
/// It is called from the transporter's receiving task, once per message, and returns quickly
/// (the broker decodes the packet and moves slow work to other tasks), so messages are not
/// queued twice and nothing is copied.
#[derive(Clone)]
pub struct IncomingSink(Arc<DeliverFn>);

/// What an [`IncomingSink`] calls: `(topic, payload) -> still taking messages`.
type DeliverFn = dyn Fn(&str, Bytes) -> bool + Send + Sync;

impl IncomingSink {
    /// A sink calling `deliver(topic, payload)` for each message; `deliver` returns whether it
    /// still takes messages (`false` once its receiver is gone).
    pub fn new(deliver: impl Fn(&str, Bytes) -> bool + Send + Sync + 'static) -> IncomingSink {
        IncomingSink(Arc::new(deliver))
    }

    /// A sink that queues the messages on a channel, and the channel's receiving end.
    pub fn channel() -> (IncomingSink, UnboundedReceiver<Incoming>) {
        let (tx, rx) = unbounded_channel();
        let sink = IncomingSink::new(move |topic, payload| {
            tx.send(Incoming {
                topic: topic.to_owned(),
                payload,
            })
            .is_ok()
        });
        (sink, rx)
    }

    /// Hands one message over; `false` when the receiver is gone.
    pub fn deliver(&self, topic: &str, payload: Bytes) -> bool {
        (self.0)(topic, payload)
    }
}

impl std::fmt::Debug for IncomingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IncomingSink")
    }
}

/// Moves raw bytes on topics between nodes (Node's `src/transporters/base.js`).
///
/// Object safe: the broker holds a `Box<dyn Transporter>`.
pub trait Transporter: Send + Sync + std::fmt::Debug + 'static {
    /// The Node name of the transporter (`"NATS"`, `"Fake"`).
    fn name(&self) -> &'static str;

    /// Connects; every message of every later subscription goes to `incoming`.
    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>>;

    /// Disconnects and drops every subscription. Disconnecting twice is not an error.
    fn disconnect(&self) -> BoxFuture<'_, Result<()>>;

    /// Subscribes to `topic` (exact name).
    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>>;

    /// Queue-group subscription (disableBalancer): one member of `group` gets each message.
    fn subscribe_balanced(&self, topic: &str, group: &str) -> BoxFuture<'_, Result<()>>;

    /// Drops every subscription (plain and balanced) of this transporter to `topic`.
    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>>;

    /// Publishes `payload` to `topic`. Fails with `BrokerDisconnectedError` when not connected.
    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>>;

    /// Whether the transporter can balance REQB/EVENTB itself (NATS, Fake: true).
    fn has_built_in_balancer(&self) -> bool;
}
