//! Transporters: how packets travel between nodes (reference §2).
//!
//! A [`Transporter`] moves raw serializer bytes on topics (`MOL[-namespace].TYPE[.nodeID]`,
//! reference §1.1); it knows nothing about packets. Every message of
//! every subscription goes to the one [`IncomingSink`] given to [`Transporter::connect`]:
//! the topic borrowed, the payload as [`Bytes`] shared with the client's read buffer.
//!
//! * [`FakeTransporter`] on a [`FakeBus`]: Node's `Fake`, an in-process bus, so several
//!   brokers in one process form a cluster.
//! * `NatsTransporter` (feature `nats`): Node's `NATS`, on the async-nats client.
//! * `RedisTransporter` (feature `redis`): Node's `Redis`, pub/sub on the redis crate.
//! * `MqttTransporter` (feature `mqtt`): Node's `MQTT`, 3.1.1 or 5, on rumqttc.
//! * `AmqpTransporter` (feature `amqp`): Node's `AMQP` (0.9.1, RabbitMQ), on lapin.
//! * [`TcpTransporter`]: Node's `TCP`: UDP discovery, direct TCP connections and gossip,
//!   no message broker.
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

#[cfg(feature = "amqp")]
mod amqp;
mod factory;
mod fake;
#[cfg(feature = "mqtt")]
mod mqtt;
#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "redis")]
pub(crate) mod redis;
mod settlement;
pub mod tcp;
pub(crate) mod tls_files;

#[cfg(feature = "amqp")]
pub use amqp::{AmqpOptions, AmqpTls, AmqpTransporter};
pub use factory::from_option;
pub use fake::{FakeBus, FakeTransporter};
#[cfg(feature = "mqtt")]
pub use mqtt::{MqttOptions, MqttTls, MqttTransporter};
#[cfg(feature = "nats")]
pub use nats::{NatsOptions, NatsTls, NatsTransporter};
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisTls, RedisTransporter};
pub use settlement::{Settled, Settlement};
pub use tcp::{TcpOptions, TcpTls, TcpTransporter};

use std::sync::Arc;

/// The payload type of [`Transporter::publish`] and [`IncomingSink`] (re-exported from
/// the `bytes` crate, so a transporter crate needs no dependency of its own for it).
pub use bytes::Bytes;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::error::Result;
use crate::service::{BoxFuture, SlowStart};

/// A message received from the transporter, as [`IncomingSink::channel`] queues it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The topic it was published to (`MOL.REQ.node-1`).
    pub topic: String,
    /// The serializer bytes, as published.
    pub payload: Bytes,
}

/// Where a transporter hands every message it receives: the topic (borrowed) and the payload.
/// The transporter's receiving task awaits [`deliver`](Self::deliver) once per message: the
/// broker decodes the packet there and runs the handler it starts until the handler first
/// waits (a handler that answers at once costs no task switch), then moves it to a task of its
/// own, so the receiving task is never held up for long. Messages are not queued twice and
/// nothing is copied.
///
/// The broker's sink also names the local node ([`node_id`](Self::node_id),
/// [`namespace`](Self::namespace)) and, for transporters that find the nodes themselves
/// (TCP), gives a [`PeerDirectory`]: where each node listens, and where to report what the
/// transporter learns about nodes.
#[derive(Clone)]
pub struct IncomingSink {
    deliver: Arc<DeliverFn>,
    node_id: Arc<str>,
    namespace: Arc<str>,
    peers: Option<Arc<dyn PeerDirectory>>,
    events: Option<Arc<EventFn>>,
}

/// What an [`IncomingSink`] calls for a [`ConnectionEvent`].
type EventFn = dyn Fn(ConnectionEvent) + Send + Sync;

/// What a transporter tells the broker about its connection ([`IncomingSink::report`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The client lost its connection and has made it again, its subscriptions restored: the
    /// broker sends its INFO again and emits `$transporter.connected {wasReconnect: true}`,
    /// as Node's `afterConnect(true)` does.
    Reconnected,
    /// A client error: the broker emits `$transporter.error {error, module: "transporter",
    /// type}` locally, `type` being Node's name for it (`publisherError`, `consumerError`,
    /// `clientError`).
    Error {
        /// What went wrong.
        error: crate::Error,
        /// Node's name for the kind of error.
        kind: &'static str,
    },
}

/// What an [`IncomingSink`] calls for one message.
type DeliverFn = dyn Fn(Arrival<'_>) -> Delivered + Send + Sync;

/// One message as the transporter hands it over.
pub(crate) struct Arrival<'a> {
    /// The topic it was published to.
    pub(crate) topic: &'a str,
    /// The serializer bytes.
    pub(crate) payload: Bytes,
    /// The address of the peer it came from, where the transporter knows it.
    pub(crate) source: Option<&'a str>,
    /// Dropped once the work the message starts is over.
    pub(crate) settlement: Settlement,
}

/// What handing one message over gave.
pub(crate) struct Delivered {
    /// Whether the sink still takes messages (`false` once its receiver is gone).
    pub(crate) open: bool,
    /// Work the message started (a served request, event handlers).
    pub(crate) work: Option<Work>,
}

/// Work a received message started: run in the receiving task until it first waits (a
/// handler that answers at once costs no task switch), then on a task of its own; or on a
/// task of its own at once when its handler is known to work long before it waits, so that
/// it does not hold up the messages behind it.
pub(crate) struct Work {
    pub(crate) future: BoxFuture<'static, ()>,
    /// The handler's record of its runs in the receiving task: it chooses where this one
    /// starts, and notes how long it took there.
    pub(crate) slow_start: SlowStart,
    /// The message's settlement, held until the work is over.
    pub(crate) settlement: Settlement,
}

impl Work {
    /// The work of `future`, for a handler with this `slow_start` record.
    pub(crate) fn new(future: BoxFuture<'static, ()>, slow_start: SlowStart) -> Work {
        Work {
            future,
            slow_start,
            settlement: Settlement::default(),
        }
    }

    /// The same work, holding `settlement` until it is over.
    pub(crate) fn settled_by(mut self, settlement: Settlement) -> Work {
        self.settlement = settlement;
        self
    }

    /// Runs the work on a task of its own; the message settles when it is over.
    pub(crate) fn spawn(self) {
        let Work {
            future, settlement, ..
        } = self;
        tokio::spawn(async move {
            future.await;
            drop(settlement);
        });
    }
}

impl IncomingSink {
    /// A sink calling `deliver(topic, payload)` for each message; `deliver` returns whether it
    /// still takes messages (`false` once its receiver is gone).
    pub fn new(deliver: impl Fn(&str, Bytes) -> bool + Send + Sync + 'static) -> IncomingSink {
        IncomingSink::with_source(move |arrival| Delivered {
            open: deliver(arrival.topic, arrival.payload),
            work: None,
        })
    }

    /// The broker's sink: it also gets the source address a message came from, where the
    /// transporter knows it ([`deliver_from`](Self::deliver_from)), and gives back the work
    /// the message started.
    pub(crate) fn with_source(
        deliver: impl Fn(Arrival<'_>) -> Delivered + Send + Sync + 'static,
    ) -> IncomingSink {
        IncomingSink {
            deliver: Arc::new(deliver),
            node_id: Arc::from(""),
            namespace: Arc::from(""),
            peers: None,
            events: None,
        }
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

    /// The same sink for the node `node_id` in `namespace` (`""` for none).
    pub fn with_node(mut self, node_id: &str, namespace: &str) -> IncomingSink {
        self.node_id = Arc::from(node_id);
        self.namespace = Arc::from(namespace);
        self
    }

    /// The same sink with a directory of peers (see [`PeerDirectory`]).
    pub fn with_peers(mut self, peers: Arc<dyn PeerDirectory>) -> IncomingSink {
        self.peers = Some(peers);
        self
    }

    /// The same sink, calling `report` for each [`ConnectionEvent`].
    pub fn with_events(
        mut self,
        report: impl Fn(ConnectionEvent) + Send + Sync + 'static,
    ) -> IncomingSink {
        self.events = Some(Arc::new(report));
        self
    }

    /// Tells the broker about the connection (nothing happens for a sink made without
    /// [`with_events`](Self::with_events)).
    pub fn report(&self, event: ConnectionEvent) {
        match &self.events {
            Some(report) => report(event),
            None => tracing::debug!(?event, "transporter event"),
        }
    }

    /// Hands one message over; `false` when the receiver is gone.
    pub async fn deliver(&self, topic: &str, payload: Bytes) -> bool {
        self.deliver_settling(topic, payload, Settlement::default())
            .await
    }

    /// Hands one message over with a [`Settlement`], dropped once the work the message
    /// starts is over (a served request answered, event handlers done): for a transporter
    /// that acknowledges a message only then (AMQP). Returns as [`deliver`](Self::deliver)
    /// does, usually before the work is over.
    pub async fn deliver_settling(
        &self,
        topic: &str,
        payload: Bytes,
        settlement: Settlement,
    ) -> bool {
        run_here((self.deliver)(Arrival {
            topic,
            payload,
            source: None,
            settlement,
        }))
        .await
    }

    /// Hands over one message that came from the peer at `source` (an IP address): the TCP
    /// transporter's `GOSSIP_HELLO`, whose handling needs the address of the connection it
    /// arrived on (Node's `socket.remoteAddress`). The address travels with the message,
    /// through the middlewares' receiving wrappers ([`ReceivedMessage::source`](crate::middleware::ReceivedMessage::source)).
    pub async fn deliver_from(&self, topic: &str, payload: Bytes, source: &str) -> bool {
        run_here((self.deliver)(Arrival {
            topic,
            payload,
            source: Some(source),
            settlement: Settlement::default(),
        }))
        .await
    }

    /// The local nodeID (`""` when the sink was made without [`with_node`](Self::with_node)).
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// The namespace of the cluster (`""` for none).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The peer directory, if the sink has one.
    pub fn peers(&self) -> Option<&Arc<dyn PeerDirectory>> {
        self.peers.as_ref()
    }
}

/// Runs the work a message started (see [`Work`]): in the calling task until it first has
/// to wait (polled with this task's own waker, so no wake-up is lost), then on a task of its
/// own; at once on a task of its own for a handler found slow to start (see [`SlowStart`]),
/// noting how long each run here took. A panic in that first poll is logged and contained,
/// as a spawned task would contain it.
async fn run_here(delivered: Delivered) -> bool {
    let Some(Work {
        mut future,
        slow_start,
        settlement,
    }) = delivered.work
    else {
        return delivered.open;
    };
    if slow_start.moves_next() {
        Work::new(future, slow_start).settled_by(settlement).spawn();
        return delivered.open;
    }
    let started = std::time::Instant::now();
    let first = std::future::poll_fn(|cx| {
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx)));
        std::task::Poll::Ready(polled)
    })
    .await;
    slow_start.record(started.elapsed());
    match first {
        Ok(std::task::Poll::Pending) => {
            Work::new(future, slow_start).settled_by(settlement).spawn();
        }
        Ok(std::task::Poll::Ready(())) => {}
        Err(_) => tracing::error!("a handler panicked"),
    }
    delivered.open
}

impl std::fmt::Debug for IncomingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingSink")
            .field("node_id", &self.node_id)
            .field("namespace", &self.namespace)
            .field("peers", &self.peers.is_some())
            .field("events", &self.events.is_some())
            .finish()
    }
}

/// The registry's side of a transporter that finds the nodes itself (TCP): the transporter
/// asks where a node listens and reports the nodes it hears of; the broker keeps one list
/// of nodes for both.
pub trait PeerDirectory: Send + Sync + 'static {
    /// Where `node_id` can be reached (the local node's own address for the local nodeID);
    /// `None` for an unknown node.
    fn address(&self, node_id: &str) -> Option<PeerAddress>;

    /// Something the transporter learned about a node.
    fn peer_event(&self, event: PeerEvent);

    /// Sends the `GOSSIP_HELLO {host, port}` that a new outgoing connection to `node_id`
    /// starts with, as Node does: through the middlewares' `transporter_send` wrappers, to
    /// [`Transporter::publish`], which the transporter then writes first on that connection.
    fn send_hello(&self, node_id: &str, host: &str, port: u16) -> BoxFuture<'static, ()>;
}

/// Where a node can be reached, as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerAddress {
    /// The address its discovery datagram or first connection came from.
    pub udp_address: Option<String>,
    /// Its host name.
    pub hostname: String,
    /// Its IPv4 addresses.
    pub ip_list: Vec<String>,
    /// Its TCP port, once known.
    pub port: Option<u16>,
}

impl PeerAddress {
    /// The host to connect to, as Node picks it: the discovery address, then the host name
    /// (when `use_hostname`), then the first IP.
    pub fn host(&self, use_hostname: bool) -> Option<&str> {
        if let Some(udp) = self.udp_address.as_deref().filter(|a| !a.is_empty()) {
            return Some(udp);
        }
        if use_hostname && !self.hostname.is_empty() {
            return Some(&self.hostname);
        }
        self.ip_list.first().map(String::as_str)
    }
}

/// What a transporter that finds the nodes itself tells the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// A node announced itself (a discovery datagram or a static `urls` entry): it listens
    /// on `host:port`. `from_datagram` when the host is the datagram's source address.
    Discovered {
        /// Its nodeID.
        node_id: String,
        /// The address it announced itself from.
        host: String,
        /// Its TCP port.
        port: u16,
        /// Whether `host` is the source address of a discovery datagram.
        from_datagram: bool,
    },
    /// The connection to a node ended (`unexpected: false`, the node closed it) or failed
    /// (`unexpected: true`).
    Lost {
        /// Its nodeID.
        node_id: String,
        /// Whether it failed rather than closed.
        unexpected: bool,
    },
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

    /// `Some(period)` when the nodes find each other and tell they are alive by gossip
    /// instead of `DISCOVER`/`INFO`/`HEARTBEAT`/`DISCONNECT` (TCP): the broker then sends
    /// a `GOSSIP_REQ` every `period` and none of those packets.
    fn gossip_period(&self) -> Option<std::time::Duration> {
        None
    }

    /// The TCP port the transporter listens on, once connected: the node's INFO publishes
    /// it (`port`). `None` for transporters that use a message broker.
    fn local_port(&self) -> Option<u16> {
        None
    }
}

/// A server URL with its password masked, for logs and errors
/// (`amqp://user:***@host:5672/vhost`).
#[cfg(any(feature = "nats", feature = "redis", feature = "amqp"))]
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{}", &rest[host_end..])
        }
        None => url.to_owned(),
    }
}

/// The error for a transporter option of the wrong shape: `transporter.options.<key> must be
/// <expected>`.
pub(crate) fn invalid_option(key: &str, expected: &str) -> crate::Error {
    crate::Error::broker_options(
        format!("transporter.options.{key} must be {expected}"),
        Some(serde_json::json!({ "option": format!("transporter.options.{key}") })),
    )
}

/// Checks the keys of a transporter's `options`: `known` ones are read by the transporter;
/// a `refused` one (Node's, which this transporter cannot honour) is an error saying why
/// unless it is `null`; any other key is an error with the closest known key as a suggestion.
pub(crate) fn check_option_keys(
    options: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    refused: &[(&str, &str)],
) -> crate::error::Result<()> {
    check_keys_at("transporter.options", options, known, refused)
}

/// [`check_option_keys`] for the keys of an object at `at` (`transporter.options.queueOptions`).
pub(crate) fn check_keys_at(
    at: &str,
    options: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    refused: &[(&str, &str)],
) -> crate::error::Result<()> {
    for (key, value) in options {
        if known.contains(&key.as_str()) {
            continue;
        }
        let path = format!("{at}.{key}");
        if let Some((_, why)) = refused.iter().find(|(k, _)| k == key) {
            if value.is_null() {
                continue;
            }
            return Err(crate::Error::broker_options(
                format!("invalid broker option `{path}`: not supported: {why}"),
                Some(serde_json::json!({ "option": path })),
            ));
        }
        let names: Vec<&str> = known
            .iter()
            .chain(refused.iter().map(|(k, _)| k))
            .copied()
            .collect();
        let hint = match crate::options::closest(key, &names) {
            Some(near) => format!("did you mean `{at}.{near}`?"),
            None => format!("known here: {}", known.join(", ")),
        };
        return Err(crate::Error::broker_options(
            format!("invalid broker option `{path}`: unknown option; {hint}"),
            Some(serde_json::json!({ "option": path })),
        ));
    }
    Ok(())
}
