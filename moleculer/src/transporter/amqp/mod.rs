//! Node's `AMQP` transporter (reference §2.6) on the lapin client: RabbitMQ's queues and
//! exchanges, named and shaped exactly as `amqp.js` makes them (see [`topology`]), so Node
//! and Rust nodes share them.
//!
//! * A targeted topic (`MOL.REQ.node-1`) is a queue of that name; a broadcast topic
//!   (`MOL.INFO`) a fanout exchange with a queue per node bound to it (`MOL.INFO.node-1`).
//! * It balances by itself: `MOL.REQB.<action>` and `MOL.EVENTB.<group>.<event>` are
//!   queues that every node serving them consumes, and RabbitMQ gives each message to one.
//! * Requests and balanced events are acknowledged once their work is over (the response
//!   sent, the handlers done: the message's [`Settlement`] dropped), at most `prefetch` at
//!   a time per queue; a node that dies before leaves its message to RabbitMQ, which gives
//!   it to another node. Every other message is consumed without acknowledgement.
//!
//! One connection and one channel, as Node's. When either is lost (the server went away,
//! or closed the channel), a supervising task makes them again (the next URL each attempt,
//! at once and then every 5 s), declares and consumes every subscription again, and tells
//! the broker ([`ConnectionEvent::Reconnected`]), which sends its INFO again.

mod options;
mod topology;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicPublishOptions, BasicQosOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use parking_lot::Mutex;
use tokio::sync::{Mutex as AsyncMutex, Notify};
use tokio::task::JoinHandle;

pub use options::{AmqpOptions, AmqpTls};

use super::{ConnectionEvent, IncomingSink, Settlement, Transporter, without_password};
use crate::error::{Error, Result};
use crate::protocol::{TopicTarget, Topics};
use crate::service::BoxFuture;
use topology::Route;

/// How long opening a connection and its channel may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait between reconnect attempts after the first (Node's transit waits 5 s).
const RECONNECT_DELAY: Duration = Duration::from_secs(5);
/// How long closing may take before the connection is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The AMQP 0.9.1 transporter (RabbitMQ); it balances `REQB`/`EVENTB` itself.
pub struct AmqpTransporter {
    options: AmqpOptions,
    /// Connection attempts so far, over every `connect`: each takes the next URL.
    attempts: Arc<AtomicUsize>,
    state: Mutex<Option<Arc<Connected>>>,
}

/// A connected transporter.
struct Connected {
    options: AmqpOptions,
    attempts: Arc<AtomicUsize>,
    topics: Topics,
    incoming: IncomingSink,
    /// Every message's properties (`messageOptions`).
    properties: BasicProperties,
    /// The channel to publish on; `None` while the connection is made again.
    publisher: Mutex<Option<Channel>>,
    /// The subscriptions and the connection; changed under this lock only.
    topology: AsyncMutex<Topology>,
    /// Told when the connection, the channel or a consumer is lost.
    lost: Arc<Notify>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Topology {
    subscriptions: BTreeMap<String, Subscription>,
    link: Option<Link>,
}

/// A subscribed topic: where its messages come from, and its consumer while one runs.
struct Subscription {
    route: Route,
    consumer: Option<Consumer>,
}

/// A consumer and the task handing its messages to the broker.
struct Consumer {
    tag: ShortString,
    task: JoinHandle<()>,
}

/// The connection and its channel.
struct Link {
    connection: Connection,
    channel: Channel,
    /// Watches the connection's events.
    watcher: JoinHandle<()>,
}

impl Link {
    /// Whether the connection and the channel are still open.
    fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

impl AmqpTransporter {
    /// A transporter that connects with `options` on [`connect`](Transporter::connect).
    pub fn new(options: AmqpOptions) -> AmqpTransporter {
        AmqpTransporter {
            options,
            attempts: Arc::new(AtomicUsize::new(0)),
            state: Mutex::new(None),
        }
    }

    /// The options it connects with.
    pub fn options(&self) -> &AmqpOptions {
        &self.options
    }

    fn connected(&self) -> Result<Arc<Connected>> {
        self.state
            .lock()
            .clone()
            .ok_or_else(Error::broker_disconnected)
    }
}

impl Connected {
    /// Opens a connection to the next URL, and its channel with the `prefetch` limit.
    async fn open_link(&self) -> Result<Link> {
        let urls = &self.options.urls;
        let attempt = self.attempts.fetch_add(1, Ordering::Relaxed);
        let url = &urls[attempt % urls.len()];
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("moleculer {}", self.incoming.node_id()).into());
        let tls = self.tls_config()?;
        let opening = async {
            let runtime = lapin::runtime::default_runtime()?;
            let connection = Connection::connect_with_config(url, properties, tls, runtime).await?;
            let channel = connection.create_channel().await?;
            channel
                .basic_qos(self.options.prefetch, BasicQosOptions { global: false })
                .await?;
            Ok::<_, lapin::Error>((connection, channel))
        };
        let (connection, channel) = tokio::time::timeout(CONNECT_TIMEOUT, opening)
            .await
            .map_err(|_| client_error("connect", without_password(url), "timed out"))?
            .map_err(|err| client_error("connect", without_password(url), err))?;
        tracing::info!(url = %without_password(url), "AMQP is connected");
        let mut events = connection.events_listener();
        let lost = self.lost.clone();
        let watcher = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                match event {
                    lapin::Event::Error(err) => {
                        tracing::warn!(error = %err, "AMQP connection error");
                        lost.notify_one();
                    }
                    lapin::Event::ConnectionBlocked(reason) => {
                        tracing::warn!(reason, "AMQP connection is blocked");
                    }
                    lapin::Event::ConnectionUnblocked => {
                        tracing::info!("AMQP connection is unblocked");
                    }
                    _ => {}
                }
            }
        });
        Ok(Link {
            connection,
            channel,
            watcher,
        })
    }

    /// The certificates of `amqps://` connections, read from their files.
    fn tls_config(&self) -> Result<lapin::tcp::OwnedTLSConfig> {
        let tls = &self.options.tls;
        let read = |key: &str, path: &std::path::Path| {
            std::fs::read(path).map_err(|err| {
                Error::broker_options(
                    format!("the AMQP TLS file `{}`: {err}", path.display()),
                    Some(serde_json::json!({ "option": format!("transporter.options.tls.{key}") })),
                )
            })
        };
        let cert_chain = match &tls.ca_file {
            Some(path) => Some(String::from_utf8_lossy(&read("caFile", path)?).into_owned()),
            None => None,
        };
        let identity = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => Some(lapin::tcp::OwnedIdentity::PKCS8 {
                pem: read("certFile", cert)?,
                key: read("keyFile", key)?,
            }),
            _ => None,
        };
        Ok(lapin::tcp::OwnedTLSConfig {
            identity,
            cert_chain,
        })
    }

    /// Declares what `route` needs on `channel` and starts consuming it (Node's `subscribe`,
    /// `subscribeBalancedRequest`, `subscribeBalancedEvent`).
    async fn consume(
        self: &Arc<Self>,
        channel: &Channel,
        topic: &str,
        route: &Route,
    ) -> Result<Consumer> {
        let failed = |what: &str| {
            let topic = topic.to_owned();
            let what = what.to_owned();
            move |err: lapin::Error| client_error(&what, topic, err)
        };
        let acked = match route {
            Route::Queue {
                queue,
                options,
                acked,
            } => {
                let (declare, arguments) = topology::queue_declare(options);
                channel
                    .queue_declare(queue.as_str().into(), declare, arguments)
                    .await
                    .map_err(failed("queue declaration"))?;
                *acked
            }
            Route::Broadcast {
                exchange,
                queue,
                options,
            } => {
                let (declare, arguments) =
                    topology::exchange_declare(&self.options.exchange_options);
                channel
                    .exchange_declare(
                        exchange.as_str().into(),
                        ExchangeKind::Fanout,
                        declare,
                        arguments,
                    )
                    .await
                    .map_err(failed("exchange declaration"))?;
                let (declare, arguments) = topology::queue_declare(options);
                channel
                    .queue_declare(queue.as_str().into(), declare, arguments)
                    .await
                    .map_err(failed("queue declaration"))?;
                channel
                    .queue_bind(
                        queue.as_str().into(),
                        exchange.as_str().into(),
                        "".into(),
                        Default::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(failed("binding"))?;
                false
            }
        };
        let (options, arguments) = topology::consume(&self.options.consume_options, acked);
        let consumer = channel
            .basic_consume(route.queue().into(), "".into(), options, arguments)
            .await
            .map_err(failed("consume"))?;
        let tag = consumer.tag();
        let task = tokio::spawn(receive(
            Arc::downgrade(self),
            topic.to_owned(),
            consumer,
            !options.no_ack,
        ));
        Ok(Consumer { tag, task })
    }

    /// Makes everything consume again: a new connection when it is lost (every subscription
    /// declared and consumed on it), else a consumer for each subscription whose consumer
    /// ended (its queue was deleted). Attempts go on, every [`RECONNECT_DELAY`], until it
    /// works.
    async fn recover(self: &Arc<Self>) {
        let mut attempt = 0u32;
        loop {
            let mut topology = self.topology.lock().await;
            let lost_link = topology.link.as_ref().is_none_or(|link| !link.is_open());
            if lost_link {
                if let Some(link) = topology.link.take() {
                    let kind = if link.connection.status().connected() {
                        "failedChannel"
                    } else {
                        "failedConnection"
                    };
                    tracing::warn!("AMQP connection is lost: connecting again");
                    self.publisher.lock().take();
                    link.watcher.abort();
                    self.incoming.report(ConnectionEvent::Error {
                        error: Error::broker_disconnected(),
                        kind,
                    });
                }
                for subscription in topology.subscriptions.values_mut() {
                    if let Some(consumer) = subscription.consumer.take() {
                        consumer.task.abort();
                    }
                }
            }
            match self.restore(&mut topology).await {
                Ok(()) => {
                    if lost_link {
                        drop(topology);
                        tracing::info!("AMQP is reconnected");
                        self.incoming.report(ConnectionEvent::Reconnected);
                    }
                    return;
                }
                Err(err) => {
                    attempt += 1;
                    tracing::warn!(error = %err, attempt, "AMQP reconnect failed, retrying in {RECONNECT_DELAY:?}");
                    if let Some(link) = topology.link.take() {
                        link.watcher.abort();
                    }
                    self.publisher.lock().take();
                }
            }
            drop(topology);
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    }

    /// Opens the connection if there is none, and consumes every subscription without a
    /// running consumer.
    async fn restore(self: &Arc<Self>, topology: &mut Topology) -> Result<()> {
        if topology.link.is_none() {
            topology.link = Some(self.open_link().await?);
        }
        let channel = match &topology.link {
            Some(link) => link.channel.clone(),
            None => return Err(Error::broker_disconnected()),
        };
        // The first messages consumed may be requests to answer at once.
        *self.publisher.lock() = Some(channel.clone());
        for (topic, subscription) in &mut topology.subscriptions {
            if subscription
                .consumer
                .as_ref()
                .is_some_and(|c| !c.task.is_finished())
            {
                continue;
            }
            subscription.consumer = Some(self.consume(&channel, topic, &subscription.route).await?);
        }
        Ok(())
    }

    /// Stops consuming; Node's `disconnect`: this node's broadcast queues are unbound (so
    /// nothing more is routed to them), then the channel and the connection are closed.
    async fn close(&self) {
        if let Some(supervisor) = self.supervisor.lock().take() {
            supervisor.abort();
        }
        self.publisher.lock().take();
        let mut topology = self.topology.lock().await;
        for subscription in topology.subscriptions.values_mut() {
            if let Some(consumer) = subscription.consumer.take() {
                consumer.task.abort();
            }
        }
        let Some(link) = topology.link.take() else {
            return;
        };
        link.watcher.abort();
        let routes: Vec<Route> = topology
            .subscriptions
            .values()
            .map(|s| s.route.clone())
            .collect();
        let closing = async {
            for route in routes {
                if let Route::Broadcast {
                    exchange, queue, ..
                } = route
                {
                    let unbound = link
                        .channel
                        .queue_unbind(
                            queue.as_str().into(),
                            exchange.as_str().into(),
                            "".into(),
                            FieldTable::default(),
                        )
                        .await;
                    if let Err(err) = unbound {
                        tracing::debug!(queue, error = %err, "AMQP unbind failed");
                    }
                }
            }
            let _ = link.channel.close(200, "OK".into()).await;
            let _ = link.connection.close(200, "OK".into()).await;
        };
        if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
            tracing::warn!("the AMQP connection did not close in time");
        }
        tracing::info!("AMQP connection is closed");
    }
}

/// A consumer's task: hands every message to the broker and, for acknowledged queues, acks
/// it once its work is over. When the consumer ends (its channel is lost, or the server
/// cancelled it), the supervisor is told.
async fn receive(
    connected: Weak<Connected>,
    topic: String,
    mut consumer: lapin::Consumer,
    acked: bool,
) {
    while let Some(delivery) = consumer.next().await {
        let Some(current) = connected.upgrade() else {
            return;
        };
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(err) => {
                tracing::debug!(topic, error = %err, "AMQP consumer failed");
                break;
            }
        };
        let payload = Bytes::from(delivery.data);
        if !acked {
            if !current.incoming.deliver(&topic, payload).await {
                return;
            }
            continue;
        }
        let (settlement, mut settled) = Settlement::new();
        let open = current
            .incoming
            .deliver_settling(&topic, payload, settlement)
            .await;
        let acker = delivery.acker;
        // A message whose channel is gone cannot be acknowledged: RabbitMQ gives it again.
        if settled.is_settled() {
            let _ = acker.ack(BasicAckOptions::default()).await;
        } else {
            tokio::spawn(async move {
                settled.await;
                let _ = acker.ack(BasicAckOptions::default()).await;
            });
        }
        if !open {
            return;
        }
    }
    if let Some(current) = connected.upgrade() {
        current.lost.notify_one();
    }
}

/// Waits for losses and recovers from them, until aborted.
async fn supervise(connected: Weak<Connected>, lost: Arc<Notify>) {
    loop {
        lost.notified().await;
        let Some(current) = connected.upgrade() else {
            return;
        };
        current.recover().await;
    }
}

fn client_error(what: &str, target: impl fmt::Display, err: impl fmt::Display) -> Error {
    Error::server(format!("AMQP {what} of `{target}` failed: {err}")).with_type("AMQP_ERROR")
}

impl fmt::Debug for AmqpTransporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpTransporter")
            .field(
                "urls",
                &self
                    .options
                    .urls
                    .iter()
                    .map(|u| without_password(u))
                    .collect::<Vec<_>>(),
            )
            .field("connected", &self.state.lock().is_some())
            .finish()
    }
}

impl Transporter for AmqpTransporter {
    fn name(&self) -> &'static str {
        "AMQP"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let lost = Arc::new(Notify::new());
            let connected = Arc::new(Connected {
                options: self.options.clone(),
                attempts: self.attempts.clone(),
                topics: Topics::new(incoming.namespace()),
                properties: topology::properties(&self.options.message_options),
                incoming,
                publisher: Mutex::new(None),
                topology: AsyncMutex::new(Topology::default()),
                lost: lost.clone(),
                supervisor: Mutex::new(None),
            });
            let link = connected.open_link().await.map_err(|err| {
                Error::broker_disconnected()
                    .with_data(serde_json::json!({ "error": err.message() }))
            })?;
            *connected.publisher.lock() = Some(link.channel.clone());
            connected.topology.lock().await.link = Some(link);
            let supervisor = tokio::spawn(supervise(Arc::downgrade(&connected), lost));
            *connected.supervisor.lock() = Some(supervisor);
            if let Some(previous) = self.state.lock().replace(connected) {
                tokio::spawn(async move { previous.close().await });
            }
            Ok(())
        })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let connected = self.state.lock().take();
            if let Some(connected) = connected {
                connected.close().await;
            }
            Ok(())
        })
    }

    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let connected = self.connected()?;
            let node_id = connected.incoming.node_id();
            let route = Route::of(&connected.topics, &topic, node_id, &connected.options)
                .ok_or_else(|| client_error("subscription", &topic, "not a Moleculer topic"))?;
            let mut topology = connected.topology.lock().await;
            if topology.subscriptions.contains_key(&topic) {
                return Ok(());
            }
            // While the connection is made again, it consumes the topic when it is back.
            let consumer = match topology.link.as_ref().filter(|link| link.is_open()) {
                Some(link) => {
                    let channel = link.channel.clone();
                    Some(connected.consume(&channel, &topic, &route).await?)
                }
                None => None,
            };
            topology
                .subscriptions
                .insert(topic, Subscription { route, consumer });
            Ok(())
        })
    }

    fn subscribe_balanced(&self, topic: &str, _group: &str) -> BoxFuture<'_, Result<()>> {
        // The queue is the topic: every node consuming it is in its "group". Events are
        // sent to the queue named after the event, so a wildcard handler's queue gets none.
        if topic.contains('*') {
            tracing::warn!(
                topic,
                "over AMQP with disableBalancer, a wildcard event handler gets no balanced \
                 events (their queues are named after each event, as in Node)"
            );
        }
        self.subscribe(topic)
    }

    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let Ok(connected) = self.connected() else {
                return Ok(());
            };
            let mut topology = connected.topology.lock().await;
            let Some(subscription) = topology.subscriptions.remove(&topic) else {
                return Ok(());
            };
            let (Some(consumer), Some(link)) = (subscription.consumer, &topology.link) else {
                return Ok(());
            };
            consumer.task.abort();
            link.channel
                .basic_cancel(consumer.tag, BasicCancelOptions::default())
                .await
                .map_err(|err| client_error("cancel", &topic, err))
        })
    }

    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let connected = self.connected()?;
            let Some(channel) = connected.publisher.lock().clone() else {
                tokio::task::coop::consume_budget().await;
                return Err(Error::broker_disconnected());
            };
            // Node's `send`: targeted and balanced packets go to the queue named the topic
            // (through the default exchange), broadcasts to the exchange named the topic.
            let broadcast = connected
                .topics
                .parse(topic)
                .is_some_and(|t| t.target == TopicTarget::Broadcast);
            let (exchange, routing_key) = if broadcast { (topic, "") } else { ("", topic) };
            let published = channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    BasicPublishOptions::default(),
                    &payload,
                    connected.properties.clone(),
                )
                .await;
            match published {
                Ok(_confirm) => Ok(()),
                Err(err) => {
                    tracing::warn!(topic, error = %err, "AMQP publish failed");
                    connected.lost.notify_one();
                    Err(Error::broker_disconnected()
                        .with_data(serde_json::json!({ "error": err.to_string() })))
                }
            }
        })
    }

    fn has_built_in_balancer(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked_in_logs() {
        assert_eq!(
            super::without_password("amqp://u:p@h:5672/vh"),
            "amqp://u:***@h:5672/vh"
        );
        assert_eq!(super::without_password("amqp://h"), "amqp://h");
    }
}
