//! The transit layer (Node's `src/transit.js` and the Local discoverer): it connects the
//! broker to the other nodes through a [`Transporter`].
//!
//! * Outgoing: remote action endpoints send `REQ` and wait in the pending table for the `RES`
//!   ([`requests`]); events for remote nodes go out as one `EVENT` per node ([`events`]).
//! * Incoming: the transporter's receiving tasks (one per subscription or connection) hand
//!   each message to the sink, which decodes it, checks the protocol version and hands it on:
//!   the work a `REQ` or `EVENT` starts runs in the receiving task until it first waits, then
//!   on a task of its own; a `RES` completes a pending call; the discovery packets update the
//!   registry ([`discovery`]).
//! * Discovery: `DISCOVER`/`INFO` on connect, a debounced `INFO` when local services change,
//!   `HEARTBEAT` with the CPU usage, offline detection, `DISCONNECT` on stop. With a
//!   transporter that carries none of these (TCP), gossip instead ([`gossip`]).

mod balanced;
mod discovery;
mod events;
mod gossip;
mod latency;
pub(crate) mod limits;
mod ping;
mod remote;
mod requests;
mod wire;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub(crate) use events::OutgoingEvent;
pub(crate) use ping::PingTable;
pub(crate) use requests::Pending;

use crate::broker::{LocalDispatch, WeakBroker};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{PacketMetrics, TransitMetrics};
use crate::middleware::{MessageHandler, ReceivedMessage, ReceivedPacket, Stack};
use crate::options::{BrokerOptions, ProtocolVersion};
use crate::protocol::{Discover, Envelope, Packet, PacketType, Topics};
use crate::registry::Registry;
use crate::serializer::{JsonSerializer, Serializer};
use crate::transporter::{Arrival, Delivered, IncomingSink, Transporter};

/// What a received request or event starts: its handlers and answer, run by the receiving
/// task until they first wait, then on a task of their own.
pub(crate) use crate::transporter::Work;

/// How long after the first `DISCOVER` the node waits for answers before it goes on starting.
const DISCOVER_WAIT: Duration = Duration::from_millis(500);
/// Delay between two connection attempts.
const RECONNECT_DELAY: Duration = Duration::from_secs(5);

/// The broker's link to the other nodes.
pub(crate) struct Transit {
    pub(crate) transporter: Arc<dyn Transporter>,
    serializer: Arc<dyn Serializer>,
    /// Packets out: serializer and transporter, with the middlewares' wrappers.
    sending: wire::Sending,
    pub(crate) topics: Topics,
    pub(crate) version: ProtocolVersion,
    disable_version_check: bool,
    disable_reconnect: bool,
    pub(crate) node_id: Arc<str>,
    namespace: String,
    instance_id: String,
    /// Set when the transporter has no discovery packets: nodes gossip instead.
    gossip: Option<gossip::GossipState>,
    /// `disableBalancer` with a transporter that balances: requests go to `REQB.<action>`.
    pub(crate) balanced: bool,
    pub(crate) pending: Pending,
    pub(crate) pings: PingTable,
    /// Services are started and INFO may be sent.
    ready: AtomicBool,
    /// The broker is stopping: requests are refused, events dropped.
    pub(crate) stopping: AtomicBool,
    /// Bumped by every local service change; a debounced INFO goes out when it settles.
    info_generation: AtomicU64,
    /// Another process runs with this nodeID.
    conflict: watch::Sender<Option<Error>>,
    /// Log lines for packets dropped as invalid, too large or of another protocol version.
    pub(crate) dropped_logs: limits::RateLimit,
    /// Which DISCOVER packets get an INFO.
    pub(crate) discover_answers: limits::DiscoverAnswers,
    /// The balanced topics subscribed to, with their queue group.
    balanced_topics: Mutex<std::collections::BTreeMap<String, String>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    heartbeat: discovery::HeartbeatSettings,
    info_debounce: Duration,
    stop_delay: Duration,
    /// The registry: the catalog requests and events are served from, the nodes.
    registry: Arc<Registry>,
    /// For the wrappers of remote actions and of the wire.
    middlewares: Arc<Stack>,
    /// Whether the built-in middlewares run (`internalMiddlewares`): served requests then
    /// keep their timeout and the action's own fallback.
    builtin_middlewares: bool,
    /// Where served requests and received events start their local handlers.
    local: LocalDispatch,
    /// The broker, for the contexts of served requests and events and the local events
    /// (`$node.connected`, …) the transit announces.
    broker: WeakBroker,
    /// The transit's own metrics (`ready`, `connected`, ping times, orphan responses), when
    /// metrics are on.
    metrics: Option<Arc<TransitMetrics>>,
    /// The packet counts, when metrics and the built-in middlewares are on.
    packets: Option<Arc<PacketMetrics>>,
}

/// The metrics a transit keeps: its own, and (registered with the built-in middlewares) the
/// packet counts.
pub(crate) struct TransitMetricSet {
    pub(crate) transit: Option<Arc<TransitMetrics>>,
    pub(crate) packets: Option<Arc<PacketMetrics>>,
}

/// What a transit needs that can fail to make: the transporter and the serializer the
/// options name.
pub(crate) struct TransitSetup {
    transporter: Arc<dyn Transporter>,
    serializer: Arc<dyn Serializer>,
}

impl TransitSetup {
    /// The transporter and serializer `options` ask for, or `None` without a transporter.
    pub(crate) fn from_options(
        options: &BrokerOptions,
        transporter: Option<Box<dyn Transporter>>,
    ) -> Result<Option<TransitSetup>> {
        let transporter: Arc<dyn Transporter> = match (transporter, &options.transporter) {
            (Some(t), _) => Arc::from(t),
            (None, Some(opt)) => Arc::from(crate::transporter::from_option(opt)?),
            (None, None) => return Ok(None),
        };
        let serializer = serializer_from(options)?;
        Ok(Some(TransitSetup {
            transporter,
            serializer,
        }))
    }

    /// The transit of the broker `broker`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        self,
        options: &BrokerOptions,
        node_id: &Arc<str>,
        instance_id: &str,
        registry: &Arc<Registry>,
        middlewares: &Arc<Stack>,
        local: &LocalDispatch,
        broker: WeakBroker,
        metrics: TransitMetricSet,
    ) -> Transit {
        let TransitSetup {
            transporter,
            serializer,
        } = self;
        let node_id = node_id.clone();
        let gossip = transporter.gossip_period().map(gossip::GossipState::new);
        let sending = wire::Sending::new(
            middlewares,
            serializer.clone(),
            options.transit.protocol_version,
            node_id.clone(),
            transporter.clone(),
            metrics.packets.clone(),
        );
        let balanced = options.disable_balancer && transporter.has_built_in_balancer();
        if options.disable_balancer && !balanced {
            tracing::warn!(
                transporter = transporter.name(),
                "the transporter has no built-in balancer: `disableBalancer` is ignored"
            );
        }
        Transit {
            transporter,
            serializer,
            sending,
            topics: Topics::new(&options.namespace),
            version: options.transit.protocol_version,
            disable_version_check: options.transit.disable_version_check,
            disable_reconnect: options.transit.disable_reconnect,
            node_id,
            namespace: options.namespace.clone(),
            instance_id: instance_id.to_owned(),
            gossip,
            balanced,
            pending: Pending::new(options.transit.max_queue_size, metrics.packets.clone()),
            pings: PingTable::default(),
            ready: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            info_generation: AtomicU64::new(0),
            conflict: watch::Sender::new(None),
            dropped_logs: limits::RateLimit::new(10, Duration::from_secs(1)),
            discover_answers: limits::DiscoverAnswers::new(Duration::from_secs(1), 100),
            balanced_topics: Mutex::new(std::collections::BTreeMap::new()),
            tasks: Mutex::new(Vec::new()),
            heartbeat: discovery::HeartbeatSettings::from_options(options),
            info_debounce: Duration::from_millis(options.transit.service_changed_debounce_time),
            stop_delay: Duration::from_millis(options.registry.stop_delay),
            registry: registry.clone(),
            middlewares: middlewares.clone(),
            builtin_middlewares: options.internal_middlewares,
            local: local.clone(),
            broker,
            metrics: metrics.transit,
            packets: metrics.packets,
        }
    }
}

impl Transit {
    /// The transporter's name (`"NATS"`, `"TCP"`, …).
    pub(crate) fn transporter_name(&self) -> &'static str {
        self.transporter.name()
    }

    /// The TCP port the transporter listens on, if it listens.
    pub(crate) fn local_port(&self) -> Option<u16> {
        self.transporter.local_port()
    }

    /// Whether calls without a `nodeID` go to the transporter's balanced queues
    /// (`disableBalancer` with a transporter that balances).
    pub(crate) fn balanced(&self) -> bool {
        self.balanced
    }

    /// Serializes and publishes `packet` to `topic` (through the middlewares'
    /// `transit_publish` and `transporter_send` wrappers, if any). Serializing happens at
    /// once; the future only publishes (and holds no packet: it stays small).
    pub(crate) fn publish(
        &self,
        packet: Packet,
        topic: String,
    ) -> impl Future<Output = Result<()>> + Send + '_ {
        self.sending.publish(packet, topic)
    }

    /// Publishes `packet` to its type's topic of `node_id`, or to the broadcast topic.
    pub(crate) fn send(
        &self,
        packet: Packet,
        node_id: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send + '_ {
        let topic = self.topics.topic(packet.packet_type(), node_id);
        self.publish(packet, topic)
    }

    /// Publishes and logs a failure: for packets nobody waits on (INFO, HEARTBEAT, PONG…).
    pub(crate) fn send_logged(
        &self,
        packet: Packet,
        node_id: Option<&str>,
    ) -> impl Future<Output = ()> + Send + '_ {
        let ty = packet.packet_type();
        let sending = self.send(packet, node_id);
        async move {
            if let Err(err) = sending.await {
                tracing::warn!(packet = %ty, error = %err, "could not send a packet");
            }
        }
    }

    /// Connects (retrying every 5 s unless `disableReconnect`; a bad option, such as an
    /// unreadable certificate, is not retried), subscribes, starts the reader
    /// and the heartbeat, broadcasts `DISCOVER` and waits 500 ms for the answers.
    pub(crate) async fn connect(self: &Arc<Self>) -> Result<()> {
        self.stopping.store(false, Ordering::Release);
        let sink = incoming_sink(self)
            .with_node(&self.node_id, &self.namespace)
            .with_peers(Arc::new(gossip::TransitPeers(Arc::downgrade(self))))
            .with_events(connection_events(Arc::downgrade(self)));
        loop {
            match self.transporter.connect(sink.clone()).await {
                Ok(()) => break,
                Err(err) if !self.disable_reconnect && err.kind() != ErrorKind::BrokerOptions => {
                    tracing::warn!(
                        transporter = self.transporter.name(),
                        error = %err,
                        "connection failed, retrying in 5 s"
                    );
                    tokio::time::sleep(RECONNECT_DELAY).await;
                }
                Err(err) => return Err(err),
            }
        }
        for (_, topic) in self.topics.subscriptions(&self.node_id) {
            self.transporter.subscribe(&topic).await?;
        }
        let timers = if self.gossip.is_some() {
            gossip::spawn_timer(Arc::downgrade(self))
        } else {
            discovery::spawn_timers(Arc::downgrade(self))
        };
        self.tasks.lock().push(timers);
        if let Some(pinger) = latency::spawn_pinger(self) {
            self.tasks.lock().push(pinger);
        }
        tracing::info!(
            transporter = self.transporter.name(),
            protocol = self.version.as_str(),
            "transporter connected"
        );
        if self.gossip.is_none() {
            self.send(Packet::Discover(Discover), None).await?;
        }
        tokio::time::sleep(DISCOVER_WAIT).await;
        self.check_conflict()?;
        if let Some(metrics) = &self.metrics {
            metrics.connected(true);
        }
        if let Some(broker) = self.broker.upgrade() {
            if let Some(cacher) = broker.cacher() {
                cacher.transporter_connected().await;
            }
            let connected = serde_json::json!({ "wasReconnect": false });
            broker
                .broadcast_local("$transporter.connected", connected)
                .await?;
        }
        Ok(())
    }

    /// The local services have started: publish them (INFO broadcast) and the balanced
    /// subscriptions.
    pub(crate) async fn ready(&self) -> Result<()> {
        self.check_conflict()?;
        self.set_ready(true);
        self.broadcast_info().await;
        Ok(())
    }

    /// Whether INFO may be sent, and the `moleculer.transit.ready` gauge that says so.
    fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
        if let Some(metrics) = &self.metrics {
            metrics.ready(ready);
        }
    }

    /// Whether INFO may be sent.
    pub(crate) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Another process took our nodeID: refuse to go on.
    fn check_conflict(&self) -> Result<()> {
        match &*self.conflict.borrow() {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    /// Waits until this node must leave the cluster (another process took its nodeID), and
    /// gives the reason.
    pub(crate) async fn must_leave(&self) -> Error {
        let mut conflict = self.conflict.subscribe();
        let seen = conflict
            .wait_for(Option::is_some)
            .await
            .map(|err| err.clone());
        match seen {
            Ok(Some(err)) => err,
            // The transit is gone: nothing more will come.
            Ok(None) | Err(_) => std::future::pending().await,
        }
    }

    /// First stop step (the broker calls it as `stop` begins, before the middlewares'
    /// `stopping` hooks): refuse incoming requests and drop incoming events from now on.
    pub(crate) fn refuse_requests(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Second stop step: publish an empty service list, wait `registry.stopDelay`.
    pub(crate) async fn begin_stop(&self) {
        if self.is_ready() {
            let info = self.local_info(true);
            self.send_logged(Packet::Info(info), None).await;
            tokio::time::sleep(self.stop_delay).await;
        }
        self.set_ready(false);
    }

    /// Last stop step: `DISCONNECT`, close the transporter, end the tasks, fail what waits.
    pub(crate) async fn disconnect(&self, graceful: bool) {
        if graceful {
            self.send_logged(Packet::Disconnect(crate::protocol::Disconnect), None)
                .await;
        }
        if let Some(metrics) = &self.metrics {
            metrics.connected(false);
        }
        if let Err(err) = self.transporter.disconnect().await {
            tracing::warn!(error = %err, "transporter disconnect failed");
        }
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
        self.balanced_topics.lock().clear();
        self.pending.reject_all(&self.node_id);
        self.pings.clear();
    }

    /// The packet type of a message's topic, or `None` (logged) for a topic that is not
    /// Moleculer's.
    fn packet_type_of(&self, subject: &str) -> Option<PacketType> {
        let topic = self.topics.parse(subject);
        if topic.is_none() {
            tracing::debug!(topic = subject, "message on an unknown topic dropped");
        }
        topic.map(|t| t.packet_type)
    }

    /// Decodes the bytes of one message and hands the packet to the middlewares'
    /// `transit_message_handler` wrappers, if any, or to [`Transit::dispatch`]; gossip goes to
    /// [`Transit::gossip_received`], with the address it came from.
    fn decode(
        self: &Arc<Self>,
        message: ReceivedMessage,
        handler: Option<&MessageHandler>,
    ) -> Option<Work> {
        let ty = message.packet_type;
        let settlement = message.settlement;
        if let Some(packets) = &self.packets {
            packets.received(message.data.len());
        }
        let envelope = match self.serializer.deserialize(ty, &message.data) {
            Ok(envelope) => envelope,
            Err(err) => {
                if let Some(left_out) = self.dropped_logs.allow() {
                    tracing::warn!(packet = %ty, error = %err, left_out, "invalid packet dropped");
                }
                return None;
            }
        };
        if ty.is_gossip() {
            // Gossip belongs to the transporter: Node neither sends it through
            // `transit.publish` nor hands it to the transit's message handler.
            self.gossip_received(envelope, message.source.as_deref());
            return None;
        }
        if let Some(packets) = &self.packets {
            packets.handled(ty);
        }
        match handler {
            Some(handler) => {
                handler(ReceivedPacket {
                    envelope,
                    settlement,
                });
                None
            }
            None => self
                .dispatch(envelope)
                .map(|work| work.settled_by(settlement)),
        }
    }

    /// A gossip packet (TCP transporter); `source` is the address it came from.
    fn gossip_received(self: &Arc<Self>, envelope: Envelope, source: Option<&str>) {
        if !self.version_ok(&envelope) || envelope.sender == *self.node_id {
            return;
        }
        let Envelope { sender, packet, .. } = envelope;
        match packet {
            _ if self.gossip.is_none() => {
                tracing::debug!(packet = %packet.packet_type(), "gossip packet ignored");
            }
            Packet::GossipReq(req) => gossip::request_received(self, sender, req),
            Packet::GossipRes(res) => gossip::response_received(self, res),
            Packet::GossipHello(hello) => gossip::hello_received(self, &sender, hello, source),
            other => tracing::debug!(packet = %other.packet_type(), "not a gossip packet"),
        }
    }

    /// Whether a packet speaks our protocol version; one that does not is logged.
    fn version_ok(&self, envelope: &Envelope) -> bool {
        let checked = envelope.check_version(self.version, self.disable_version_check);
        if let Err(err) = &checked
            && let Some(left_out) = self.dropped_logs.allow()
        {
            tracing::error!(error = %err, data = ?err.data(), left_out, "packet of another protocol version dropped");
        }
        checked.is_ok()
    }

    /// Checks a decoded packet's protocol version and hands it on; a request or an event
    /// gives back the work it starts.
    fn dispatch(self: &Arc<Self>, envelope: Envelope) -> Option<Work> {
        if !self.version_ok(&envelope) {
            return None;
        }
        let own = envelope.sender == *self.node_id;
        let Envelope { sender, packet, .. } = envelope;
        match packet {
            // Balanced queues can deliver our own requests and events back to us.
            Packet::Request(req) => return Some(requests::serve(self.clone(), sender, req)),
            Packet::Response(res) => {
                if self.pending.resolve(sender, res)
                    && let Some(metrics) = &self.metrics
                {
                    metrics.orphan();
                }
            }
            Packet::Event(event) => return events::deliver(self, sender, event),
            Packet::Info(info) if own => {
                if info.instance_id != self.instance_id {
                    self.node_id_conflict(&info.instance_id);
                }
            }
            // Only another process sends our nodeID's DISCOVER once we are ready: our INFO
            // (sent to our own nodeID, which it listens on) tells it the nodeID is taken.
            Packet::Discover(_) if own => discovery::discover_received(self, sender),
            _ if own => {}
            Packet::Info(info) => discovery::info_received(self, sender, info),
            Packet::Discover(_) => discovery::discover_received(self, sender),
            Packet::Heartbeat(hb) => discovery::heartbeat_received(self, sender, hb),
            Packet::Disconnect(_) => discovery::node_disconnected(self, &sender, false),
            Packet::Ping(ping) => ping::ping_received(self, sender, ping),
            Packet::Pong(pong) => ping::pong_received(self, sender, pong),
            Packet::GossipHello(_) | Packet::GossipReq(_) | Packet::GossipRes(_) => {
                tracing::debug!(packet = %packet.packet_type(), "gossip packet outside gossip dropped");
            }
        }
        None
    }

    /// Another process announced itself with our nodeID: Node exits; a library must not, so
    /// the node leaves the cluster (without `DISCONNECT`, which would drop the other one),
    /// and `run()` ends with this error. A node still starting refuses to start.
    fn node_id_conflict(self: &Arc<Self>, other_instance: &str) {
        let err = Error::broker_options(
            format!(
                "another node runs with the nodeID `{}` (instanceID `{other_instance}`); \
                 every node needs a unique nodeID. This node leaves the cluster.",
                self.node_id
            ),
            Some(serde_json::json!({ "nodeID": &*self.node_id, "instanceID": other_instance })),
        )
        .with_type("NODE_ID_CONFLICT");
        tracing::error!(error = %err, "nodeID conflict");
        self.conflict.send_replace(Some(err));
        self.set_ready(false);
        let cluster = self.clone();
        tokio::spawn(async move { cluster.disconnect(false).await });
    }
}

impl std::fmt::Debug for Transit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transit")
            .field("transporter", &self.transporter.name())
            .field("serializer", &self.serializer.name())
            .field("protocol", &self.version)
            .field("balanced", &self.balanced)
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// The serializer `options.serializer` names (JSON when none).
fn serializer_from(options: &BrokerOptions) -> Result<Arc<dyn Serializer>> {
    options.serializer.as_ref().map_or_else(
        || Ok(Arc::new(JsonSerializer) as Arc<dyn Serializer>),
        crate::serializer::from_option,
    )
}

/// Where the transporter hands each message: through the middlewares' receiving wrappers
/// (composed here, once per connection), decoded and dispatched on the transporter's receiving
/// task, which runs the work the message starts until it first waits; it does nothing once
/// the transit is gone.
/// What the transit does when the transporter reports on its connection: after a reconnect
/// it sends its INFO again (in case nodes came meanwhile; Node's `afterConnect(true)`) and
/// emits `$transporter.connected {wasReconnect: true}`; a client error becomes a local
/// `$transporter.error`.
fn connection_events(
    weak: std::sync::Weak<Transit>,
) -> impl Fn(crate::transporter::ConnectionEvent) + Send + Sync + 'static {
    use crate::transporter::ConnectionEvent;
    move |event| {
        let Some(transit) = weak.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let Some(broker) = transit.broker.upgrade() else {
                return;
            };
            let emitted = match event {
                ConnectionEvent::Reconnected => {
                    tracing::info!(transporter = transit.transporter.name(), "reconnected");
                    if let Some(metrics) = &transit.metrics {
                        metrics.connected(true);
                    }
                    if transit.is_ready() {
                        transit.broadcast_info().await;
                    }
                    if let Some(cacher) = broker.cacher() {
                        cacher.transporter_connected().await;
                    }
                    let connected = serde_json::json!({ "wasReconnect": true });
                    broker
                        .broadcast_local("$transporter.connected", connected)
                        .await
                }
                ConnectionEvent::Error { error, kind } => {
                    tracing::warn!(transporter = transit.transporter.name(), %error, kind, "transporter error");
                    let payload = serde_json::json!({
                        "error": error.to_wire(),
                        "module": "transporter",
                        "type": kind,
                    });
                    broker.broadcast_local("$transporter.error", payload).await
                }
            };
            if let Err(err) = emitted {
                tracing::debug!(error = %err, "a transporter event was not emitted");
            }
        });
    }
}

fn incoming_sink(transit: &Arc<Transit>) -> IncomingSink {
    let weak = Arc::downgrade(transit);
    let receiving = wire::Receiving::new(&transit.middlewares, &weak);
    IncomingSink::with_source(move |arrival| {
        let Arrival {
            topic,
            payload: data,
            source,
            settlement,
        } = arrival;
        let Some(transit) = weak.upgrade() else {
            return Delivered {
                open: false,
                work: None,
            };
        };
        // No packet may end the receiving task: a panic while one is decoded and dispatched
        // (a bug) is logged and the packet dropped; the next one is handled as usual.
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            transit.packet_type_of(topic).and_then(|packet_type| {
                let message = ReceivedMessage {
                    packet_type,
                    data,
                    source: source.map(str::to_owned),
                    settlement,
                };
                receiving.deliver(&transit, message)
            })
        }));
        let work = handled.unwrap_or_else(|_| {
            tracing::error!(
                topic,
                "handling a received packet panicked; the packet is dropped"
            );
            None
        });
        Delivered { open: true, work }
    })
}
