//! Node's `Redis` transporter (reference §2.4) on the `redis` crate: Redis pub/sub on two
//! connections, one that subscribes and one that publishes, each channel an exact topic
//! (`MOL.REQ.node-1`); no balancer of its own.
//!
//! The subscribing connection runs in a task of its own that hands every message to the
//! broker's sink, in order; when the connection is lost it reconnects (ioredis' back-off:
//! 50 ms more per attempt, 2 s at most, over the servers in turn), subscribes again to every
//! channel, and tells the broker ([`ConnectionEvent::Reconnected`]), which sends its INFO
//! again. The publishing connection is remade the same way; while it is down a publish fails
//! with `BrokerDisconnectedError`. The messages a connection has read are queued in the
//! client without limit: none is dropped however slow the broker is to take them.

pub(crate) mod options;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use parking_lot::Mutex;
use redis::aio::{MultiplexedConnection, PubSubSink};
use redis::{AsyncConnectionConfig, Client};
use tokio::sync::Mutex as AsyncMutex;
use tokio::task::JoinHandle;

pub use options::{RedisOptions, RedisTls};

use super::{ConnectionEvent, IncomingSink, Transporter, without_password};
use crate::error::{Error, Result};
use crate::service::BoxFuture;

/// The Redis transporter.
pub struct RedisTransporter {
    options: RedisOptions,
    state: Mutex<Option<Arc<Connected>>>,
}

/// A connected transporter: the channels it subscribes to, the subscribing connection's
/// command half (`None` while it is remade), and the publishing connection.
struct Connected {
    /// A client per server, tried in turn.
    servers: Vec<Client>,
    connect_timeout: Duration,
    channels: Mutex<BTreeSet<String>>,
    subscriber: AsyncMutex<Option<PubSubSink>>,
    publisher: Mutex<Option<MultiplexedConnection>>,
    /// The task remaking the publishing connection, when one runs.
    republishing: Mutex<Option<JoinHandle<()>>>,
    reader: Mutex<Option<JoinHandle<()>>>,
    incoming: IncomingSink,
}

/// ioredis' default `retryStrategy`: 50 ms more per attempt, 2 s at the most.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((u64::from(attempt) * 50).min(2000))
}

impl RedisTransporter {
    /// A transporter that connects with `options` on [`connect`](Transporter::connect).
    pub fn new(options: RedisOptions) -> RedisTransporter {
        RedisTransporter {
            options,
            state: Mutex::new(None),
        }
    }

    /// The options it connects with.
    pub fn options(&self) -> &RedisOptions {
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
    /// A publishing connection to the first server that answers, trying each once.
    async fn open_publisher(&self) -> Result<MultiplexedConnection> {
        let mut last = None;
        for client in &self.servers {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(self.connect_timeout))
                .set_response_timeout(None);
            match client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(connection) => return Ok(connection),
                Err(err) => {
                    last = Some(client_error(
                        "connect",
                        client.get_connection_info().addr(),
                        err,
                    ));
                }
            }
        }
        Err(last.unwrap_or_else(Error::broker_disconnected))
    }

    /// A subscribing connection to the first server that answers, trying each once.
    async fn open_subscriber(&self) -> Result<redis::aio::PubSub> {
        let mut last = None;
        for client in &self.servers {
            let addr = client.get_connection_info().addr();
            match tokio::time::timeout(self.connect_timeout, client.get_async_pubsub()).await {
                Ok(Ok(pubsub)) => return Ok(pubsub),
                Ok(Err(err)) => last = Some(client_error("connect", addr, err)),
                Err(_) => last = Some(client_error("connect", addr, "timed out")),
            }
        }
        Err(last.unwrap_or_else(Error::broker_disconnected))
    }

    /// Subscribes the new connection to every channel and makes it the current one; hands
    /// back the message stream.
    async fn install_subscriber(
        &self,
        pubsub: redis::aio::PubSub,
    ) -> Result<redis::aio::PubSubStream> {
        let (mut sink, stream) = pubsub.split();
        let mut current = self.subscriber.lock().await;
        let channels: Vec<String> = self.channels.lock().iter().cloned().collect();
        if !channels.is_empty() {
            sink.subscribe(&channels)
                .await
                .map_err(|err| client_error("subscribe", channels.join(","), err))?;
        }
        *current = Some(sink);
        Ok(stream)
    }

    /// Remakes the publishing connection in the background (one task at a time).
    fn republish(self: &Arc<Self>) {
        let mut running = self.republishing.lock();
        if running.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let weak = Arc::downgrade(self);
        *running = Some(tokio::spawn(async move {
            let mut attempt = 0;
            loop {
                attempt += 1;
                tokio::time::sleep(backoff(attempt)).await;
                let Some(connected) = weak.upgrade() else {
                    return;
                };
                match connected.open_publisher().await {
                    Ok(connection) => {
                        tracing::info!("Redis-pub client is connected");
                        *connected.publisher.lock() = Some(connection);
                        return;
                    }
                    Err(err) => {
                        tracing::debug!(error = %err, attempt, "Redis-pub reconnect failed")
                    }
                }
            }
        }));
    }
}

/// The subscribing connection's reader: hands every message to the broker, and when the
/// connection ends makes it again, subscribed to every channel.
async fn read(connected: std::sync::Weak<Connected>, mut stream: redis::aio::PubSubStream) {
    loop {
        while let Some(message) = stream.next().await {
            let Some(connected) = connected.upgrade() else {
                return;
            };
            let payload = Bytes::copy_from_slice(message.get_payload_bytes());
            if !connected
                .incoming
                .deliver(message.get_channel_name(), payload)
                .await
            {
                return;
            }
        }
        // The connection is gone: make it again.
        let Some(current) = connected.upgrade() else {
            return;
        };
        tracing::warn!("Redis-sub client is disconnected");
        current.subscriber.lock().await.take();
        // The server (or the network) is gone for both connections: publishing fails fast
        // until the publishing connection is made again, below.
        current.publisher.lock().take();
        current.incoming.report(ConnectionEvent::Error {
            error: Error::broker_disconnected(),
            kind: "consumerError",
        });
        drop(current);
        let mut attempt = 0;
        stream = loop {
            attempt += 1;
            tokio::time::sleep(backoff(attempt)).await;
            let Some(current) = connected.upgrade() else {
                return;
            };
            let made = match current.open_subscriber().await {
                Ok(pubsub) => current.install_subscriber(pubsub).await,
                Err(err) => Err(err),
            };
            // The broker sends its INFO when told of the reconnect: publishing must work by
            // then.
            let made = match made {
                Ok(stream) if current.publisher.lock().is_none() => {
                    current.open_publisher().await.map(|publisher| {
                        *current.publisher.lock() = Some(publisher);
                        stream
                    })
                }
                other => other,
            };
            match made {
                Ok(stream) => {
                    tracing::info!("Redis-sub and Redis-pub clients are reconnected");
                    current.incoming.report(ConnectionEvent::Reconnected);
                    break stream;
                }
                Err(err) => tracing::debug!(error = %err, attempt, "Redis-sub reconnect failed"),
            }
        };
    }
}

fn client_error(what: &str, target: impl fmt::Display, err: impl fmt::Display) -> Error {
    Error::server(format!("Redis {what} on `{target}` failed: {err}")).with_type("REDIS_ERROR")
}

impl fmt::Debug for RedisTransporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("RedisTransporter")
            .field(
                "servers",
                &self
                    .options
                    .servers
                    .iter()
                    .map(|s| without_password(s))
                    .collect::<Vec<_>>(),
            )
            .field("connected", &state.is_some())
            .field(
                "channels",
                &state.as_ref().map_or(0, |c| c.channels.lock().len()),
            )
            .finish()
    }
}

impl Transporter for RedisTransporter {
    fn name(&self) -> &'static str {
        "Redis"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let connected = Arc::new(Connected {
                servers: self.options.clients("transporter.options")?,
                connect_timeout: self.options.connect_timeout,
                channels: Mutex::new(BTreeSet::new()),
                subscriber: AsyncMutex::new(None),
                publisher: Mutex::new(None),
                republishing: Mutex::new(None),
                reader: Mutex::new(None),
                incoming,
            });
            let pubsub = connected.open_subscriber().await.map_err(disconnected)?;
            tracing::info!("Redis-sub client is connected");
            let publisher = connected.open_publisher().await.map_err(disconnected)?;
            tracing::info!("Redis-pub client is connected");
            *connected.publisher.lock() = Some(publisher);
            let stream = connected.install_subscriber(pubsub).await?;
            let reader = tokio::spawn(read(Arc::downgrade(&connected), stream));
            *connected.reader.lock() = Some(reader);
            if let Some(previous) = self.state.lock().replace(connected) {
                previous.close();
            }
            Ok(())
        })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if let Some(connected) = self.state.lock().take() {
                connected.close();
            }
            Ok(())
        })
    }

    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let connected = self.connected()?;
            connected.channels.lock().insert(topic.clone());
            // While the connection is remade, it subscribes to the channel when it is back.
            if let Some(sink) = connected.subscriber.lock().await.as_mut() {
                sink.subscribe(&topic)
                    .await
                    .map_err(|err| client_error("subscribe", &topic, err))?;
            }
            Ok(())
        })
    }

    fn subscribe_balanced(&self, _topic: &str, _group: &str) -> BoxFuture<'_, Result<()>> {
        // Node's Redis transporter has no balancer: the broker never asks for this.
        Box::pin(async {
            Err(Error::server(
                "the Redis transporter has no built-in balancer",
            ))
        })
    }

    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let Ok(connected) = self.connected() else {
                return Ok(());
            };
            connected.channels.lock().remove(&topic);
            if let Some(sink) = connected.subscriber.lock().await.as_mut() {
                sink.unsubscribe(&topic)
                    .await
                    .map_err(|err| client_error("unsubscribe", &topic, err))?;
            }
            Ok(())
        })
    }

    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let connected = self.connected()?;
            let Some(mut publisher) = connected.publisher.lock().clone() else {
                tokio::task::coop::consume_budget().await;
                return Err(Error::broker_disconnected());
            };
            let published: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(topic)
                .arg(&payload[..])
                .query_async(&mut publisher)
                .await;
            match published {
                Ok(()) => Ok(()),
                Err(err) if err.is_unrecoverable_error() || err.is_connection_dropped() => {
                    tracing::warn!(error = %err, "Redis-pub client is disconnected");
                    connected.publisher.lock().take();
                    connected.incoming.report(ConnectionEvent::Error {
                        error: client_error("publish", topic, &err),
                        kind: "publisherError",
                    });
                    connected.republish();
                    Err(Error::broker_disconnected())
                }
                Err(err) => Err(client_error("publish", topic, err)),
            }
        })
    }

    fn has_built_in_balancer(&self) -> bool {
        false
    }
}

impl Connected {
    /// Stops the reader and the reconnecting task; the connections close as they drop.
    fn close(&self) {
        if let Some(reader) = self.reader.lock().take() {
            reader.abort();
        }
        if let Some(task) = self.republishing.lock().take() {
            task.abort();
        }
        self.publisher.lock().take();
    }
}

/// A first connection that fails: the broker retries it (Node's transit does too).
fn disconnected(err: Error) -> Error {
    Error::broker_disconnected().with_data(serde_json::json!({ "error": err.message() }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked_in_logs() {
        assert_eq!(
            super::without_password("redis://u:p@h:1/2"),
            "redis://u:***@h:1/2"
        );
        assert_eq!(super::backoff(1).as_millis(), 50);
        assert_eq!(super::backoff(100).as_millis(), 2000);
    }
}
