//! Node's `MQTT` transporter (reference §2.5) on rumqttc, MQTT 3.1.1 or 5: every topic is a
//! subscription of its own at the transporter's QoS, with Node's `topicSeparator` between
//! its parts (`MOL/REQ/node-1` with `"/"`); no balancer of its own.
//!
//! One task drives the client's event loop: it hands every message to the broker's sink in
//! order, completes a subscription when the broker acknowledges it (so that a node is
//! reachable once `subscribe` returns), and when the connection is lost reconnects every
//! `reconnectPeriod`, subscribes again to every topic (sessions are clean) and tells the
//! broker ([`ConnectionEvent::Reconnected`]), which sends its INFO again.

mod client;
mod options;

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{Mutex as AsyncMutex, oneshot, watch};
use tokio::task::JoinHandle;

pub use options::{MqttOptions, MqttTls};

use self::client::{Client, EventLoop, Received};
use super::{ConnectionEvent, IncomingSink, Transporter};
use crate::error::{Error, Result};
use crate::service::BoxFuture;

/// The MQTT transporter.
pub struct MqttTransporter {
    options: MqttOptions,
    state: Mutex<Option<Arc<Connected>>>,
}

/// A connected transporter.
struct Connected {
    client: Client,
    qos: u8,
    topics: Topics,
    /// The subscribed topics (as the broker knows them), subscribed again on reconnect.
    subscribed: Mutex<BTreeSet<String>>,
    /// Subscriptions waiting for their acknowledgement, in the order they were sent.
    acks: Mutex<VecDeque<oneshot::Sender<()>>>,
    /// Keeps `subscribe` calls in the order their requests are sent.
    subscribing: AsyncMutex<()>,
    /// Whether the client is connected now.
    online: watch::Sender<bool>,
    driver: Mutex<Option<JoinHandle<()>>>,
}

/// Node's topics on MQTT: `MOL[-namespace]` + separator + command [+ separator + nodeID].
#[derive(Debug, Clone)]
struct Topics {
    prefix: String,
    separator: String,
}

impl Topics {
    /// The broker's name of a dotted topic (`MOL.REQ.node-1` → `MOL/REQ/node-1`).
    fn on_broker(&self, topic: &str) -> String {
        if self.separator == "." {
            return topic.to_owned();
        }
        let Some(rest) = topic
            .strip_prefix(&self.prefix)
            .and_then(|r| r.strip_prefix('.'))
        else {
            return topic.to_owned();
        };
        let sep = &self.separator;
        match rest.split_once('.') {
            Some((cmd, node)) => format!("{}{sep}{cmd}{sep}{node}", self.prefix),
            None => format!("{}{sep}{rest}", self.prefix),
        }
    }

    /// The dotted topic of a broker's topic (Node's `rawTopic.substring(prefix + separator)`).
    fn dotted(&self, topic: &str) -> String {
        if self.separator == "." {
            return topic.to_owned();
        }
        let Some(rest) = topic
            .strip_prefix(&self.prefix)
            .and_then(|r| r.strip_prefix(self.separator.as_str()))
        else {
            return topic.to_owned();
        };
        match rest.split_once(self.separator.as_str()) {
            Some((cmd, node)) => format!("{}.{cmd}.{node}", self.prefix),
            None => format!("{}.{rest}", self.prefix),
        }
    }
}

impl MqttTransporter {
    /// A transporter that connects with `options` on [`connect`](Transporter::connect).
    pub fn new(options: MqttOptions) -> MqttTransporter {
        MqttTransporter {
            options,
            state: Mutex::new(None),
        }
    }

    /// The options it connects with.
    pub fn options(&self) -> &MqttOptions {
        &self.options
    }

    fn connected(&self) -> Result<Arc<Connected>> {
        self.state
            .lock()
            .clone()
            .ok_or_else(Error::broker_disconnected)
    }
}

/// Drives the event loop until the transporter is dropped or closed.
async fn drive(
    connected: std::sync::Weak<Connected>,
    mut events: EventLoop,
    incoming: IncomingSink,
    first: oneshot::Sender<std::result::Result<(), String>>,
    reconnect_period: std::time::Duration,
) {
    let mut first = Some(first);
    let mut was_online = false;
    loop {
        let received = events.poll().await;
        let Some(current) = connected.upgrade() else {
            return;
        };
        match received {
            Ok(Received::ConnAck) => {
                current.online.send_replace(true);
                if let Some(first) = first.take() {
                    let _ = first.send(Ok(()));
                } else if !was_online {
                    tracing::info!("MQTT client is reconnected");
                    // Sessions are clean: subscribe again, then tell the broker.
                    let topics: Vec<String> = current.subscribed.lock().iter().cloned().collect();
                    let again = current.clone();
                    let sink = incoming.clone();
                    tokio::spawn(async move {
                        for topic in topics {
                            if let Err(err) = again.client.subscribe(topic.clone(), again.qos).await
                            {
                                tracing::warn!(topic, error = %err, "MQTT subscribe again failed");
                            }
                        }
                        sink.report(ConnectionEvent::Reconnected);
                    });
                }
                was_online = true;
            }
            Ok(Received::Publish { topic, payload }) => {
                let topic = current.topics.dotted(&topic);
                drop(current);
                if !incoming.deliver(&topic, payload).await {
                    return;
                }
            }
            Ok(Received::SubAck) => {
                if let Some(ack) = current.acks.lock().pop_front() {
                    let _ = ack.send(());
                }
            }
            Ok(Received::Other) => {}
            Err(err) => {
                current.online.send_replace(false);
                // Unacknowledged subscriptions are sent again on reconnect.
                current.acks.lock().clear();
                if let Some(first) = first.take() {
                    let _ = first.send(Err(err));
                    return;
                }
                if was_online {
                    tracing::warn!(error = %err, "MQTT client is disconnected");
                    incoming.report(ConnectionEvent::Error {
                        error: Error::server(format!("MQTT: {err}")).with_type("MQTT_ERROR"),
                        kind: "clientError",
                    });
                }
                was_online = false;
                drop(current);
                tokio::time::sleep(reconnect_period).await;
            }
        }
    }
}

impl fmt::Debug for MqttTransporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("MqttTransporter")
            .field("host", &self.options.host)
            .field("port", &self.options.port)
            .field("connected", &state.is_some())
            .finish()
    }
}

impl Connected {
    fn close(&self) {
        if let Some(driver) = self.driver.lock().take() {
            driver.abort();
        }
        self.online.send_replace(false);
    }
}

impl Transporter for MqttTransporter {
    fn name(&self) -> &'static str {
        "MQTT"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let namespace = incoming.namespace();
            let prefix = if namespace.is_empty() {
                "MOL".to_owned()
            } else {
                format!("MOL-{namespace}")
            };
            let (client, events) = client::open(&self.options)?;
            let connected = Arc::new(Connected {
                client,
                qos: self.options.qos,
                topics: Topics {
                    prefix,
                    separator: self.options.topic_separator.clone(),
                },
                subscribed: Mutex::new(BTreeSet::new()),
                acks: Mutex::new(VecDeque::new()),
                subscribing: AsyncMutex::new(()),
                online: watch::channel(false).0,
                driver: Mutex::new(None),
            });
            let (first_tx, first_rx) = oneshot::channel();
            let driver = tokio::spawn(drive(
                Arc::downgrade(&connected),
                events,
                incoming,
                first_tx,
                self.options.reconnect_period,
            ));
            *connected.driver.lock() = Some(driver);
            let first = tokio::time::timeout(self.options.connect_timeout, first_rx).await;
            let failed = |why: String| {
                connected.close();
                Error::broker_disconnected().with_data(serde_json::json!({
                    "host": self.options.host, "port": self.options.port, "error": why,
                }))
            };
            match first {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(err))) => return Err(failed(err)),
                Ok(Err(_)) => return Err(failed("the client stopped".to_owned())),
                Err(_) => return Err(failed("connecting timed out".to_owned())),
            }
            tracing::info!("MQTT client is connected");
            if let Some(previous) = self.state.lock().replace(connected) {
                previous.close();
            }
            Ok(())
        })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let Some(connected) = self.state.lock().take() else {
                return Ok(());
            };
            // What was published before goes out first: the request channel is in order.
            if let Err(err) = connected.client.disconnect().await {
                tracing::debug!(error = %err, "MQTT disconnect failed");
            }
            let mut online = connected.online.subscribe();
            let closing = online.wait_for(|online| !*online);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), closing).await;
            connected.close();
            Ok(())
        })
    }

    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let connected = self.connected()?;
            let topic = connected.topics.on_broker(&topic);
            connected.subscribed.lock().insert(topic.clone());
            let acked = {
                let _order = connected.subscribing.lock().await;
                let (ack, acked) = oneshot::channel();
                connected.acks.lock().push_back(ack);
                connected
                    .client
                    .subscribe(topic.clone(), connected.qos)
                    .await
                    .map_err(|err| client_error("subscribe", &topic, err))?;
                acked
            };
            // Acknowledged, or lost with the connection (then sent again on reconnect).
            let _ = acked.await;
            Ok(())
        })
    }

    fn subscribe_balanced(&self, _topic: &str, _group: &str) -> BoxFuture<'_, Result<()>> {
        // Node's MQTT transporter has no balancer: the broker never asks for this.
        Box::pin(async {
            Err(Error::server(
                "the MQTT transporter has no built-in balancer",
            ))
        })
    }

    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let Ok(connected) = self.connected() else {
                return Ok(());
            };
            let topic = connected.topics.on_broker(&topic);
            connected.subscribed.lock().remove(&topic);
            connected
                .client
                .unsubscribe(topic.clone())
                .await
                .map_err(|err| client_error("unsubscribe", &topic, err))
        })
    }

    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let connected = self.connected()?;
            if !*connected.online.borrow() {
                tokio::task::coop::consume_budget().await;
                return Err(Error::broker_disconnected());
            }
            let topic = connected.topics.on_broker(topic);
            connected
                .client
                .publish(topic.clone(), connected.qos, payload)
                .await
                .map_err(|err| client_error("publish", &topic, err))
        })
    }

    fn has_built_in_balancer(&self) -> bool {
        false
    }
}

fn client_error(what: &str, topic: &str, err: impl fmt::Display) -> Error {
    Error::server(format!("MQTT {what} on `{topic}` failed: {err}")).with_type("MQTT_ERROR")
}

#[cfg(test)]
mod tests {
    use super::Topics;

    #[test]
    fn topics_take_nodes_separator() {
        let slash = Topics {
            prefix: "MOL-ns".to_owned(),
            separator: "/".to_owned(),
        };
        assert_eq!(slash.on_broker("MOL-ns.REQ.node.1"), "MOL-ns/REQ/node.1");
        assert_eq!(slash.on_broker("MOL-ns.INFO"), "MOL-ns/INFO");
        assert_eq!(slash.dotted("MOL-ns/REQ/node.1"), "MOL-ns.REQ.node.1");
        assert_eq!(slash.dotted("MOL-ns/DISCOVER"), "MOL-ns.DISCOVER");
        let dot = Topics {
            prefix: "MOL".to_owned(),
            separator: ".".to_owned(),
        };
        assert_eq!(dot.on_broker("MOL.REQ.n"), "MOL.REQ.n");
        assert_eq!(dot.dotted("MOL.REQ.n"), "MOL.REQ.n");
    }
}
