//! PING and PONG (Node's `broker.ping`, `transit.sendPing`, reference §1.10).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::Transit;
use crate::broker::ServiceBroker;
use crate::context::ContextId;
use crate::error::{Error, Result};
use crate::protocol::{Packet, Ping, Pong};

/// The answer to one ping.
#[derive(Debug)]
struct PongAnswer {
    sender: String,
    pong: Pong,
}

/// Node's figures for a PONG received at `now`: the round trip and how far our clock is ahead
/// of the other node's (`round(now - arrived - elapsed / 2)`), both in ms.
fn pong_times(pong: &Pong, now: i64) -> (i64, i64) {
    let elapsed = (now - pong.time).max(0);
    let time_diff = (now as f64 - pong.arrived as f64 - elapsed as f64 / 2.0).round() as i64;
    (elapsed, time_diff)
}

/// Pings waiting for their PONG, by ping id.
#[derive(Default)]
pub(crate) struct PingTable {
    waiting: Mutex<HashMap<String, oneshot::Sender<PongAnswer>>>,
}

impl PingTable {
    pub(crate) fn clear(&self) {
        self.waiting.lock().clear();
    }
}

/// Milliseconds since the Unix epoch (JavaScript's `Date.now()`).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A PING: answer with a PONG to its sender.
pub(crate) fn ping_received(cluster: &Arc<Transit>, sender: String, ping: Ping) {
    let cluster = cluster.clone();
    let pong = Pong {
        time: ping.time,
        id: ping.id,
        arrived: now_ms(),
    };
    tokio::spawn(async move {
        cluster.send_logged(Packet::Pong(pong), Some(&sender)).await;
    });
}

/// A PONG: complete the ping and emit the local `$node.pong`.
pub(crate) fn pong_received(
    broker: &ServiceBroker,
    cluster: &Arc<Transit>,
    sender: String,
    pong: Pong,
) {
    let (elapsed, time_diff) = pong_times(&pong, now_ms());
    let payload = json!({ "nodeID": sender, "elapsedTime": elapsed, "timeDiff": time_diff });
    if let Some(tx) = cluster.pings.waiting.lock().remove(&pong.id) {
        let _ = tx.send(PongAnswer { sender, pong });
    }
    super::discovery::announce(broker, vec![("$node.pong", payload)]);
}

impl ServiceBroker {
    /// Pings a node (Node's `broker.ping(nodeID, timeout)`): `{nodeID, elapsedTime,
    /// timeDiff, id}`, or `null` when no PONG came within `timeout`. `timeDiff` is how far our
    /// clock is ahead of the other node's, in ms, as Node computes it.
    ///
    /// # Errors
    /// `BrokerDisconnectedError` without a transporter or when the PING cannot be sent.
    pub async fn ping(&self, node_id: &str, timeout: Duration) -> Result<Value> {
        let cluster = self
            .inner
            .cluster
            .clone()
            .ok_or_else(Error::broker_disconnected)?;
        let id = ContextId::generate().to_string();
        let (tx, rx) = oneshot::channel();
        cluster.pings.waiting.lock().insert(id.clone(), tx);
        let ping = Ping {
            time: now_ms(),
            id: id.clone(),
        };
        if let Err(err) = cluster.send(Packet::Ping(ping), Some(node_id)).await {
            cluster.pings.waiting.lock().remove(&id);
            return Err(err);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => {
                let (elapsed, time_diff) = pong_times(&answer.pong, now_ms());
                Ok(json!({
                    "nodeID": answer.sender,
                    "elapsedTime": elapsed,
                    "timeDiff": time_diff,
                    "id": answer.pong.id,
                }))
            }
            _ => {
                cluster.pings.waiting.lock().remove(&id);
                Ok(Value::Null)
            }
        }
    }

    /// Pings every online remote node at once: `{nodeID: result or null}`.
    ///
    /// # Errors
    /// `BrokerDisconnectedError` without a transporter.
    pub async fn ping_all(&self, timeout: Duration) -> Result<Value> {
        let nodes = self.inner.registry.nodes.available_ids();
        let results =
            futures_util::future::join_all(nodes.iter().map(|n| self.ping(n, timeout))).await;
        let mut out = serde_json::Map::new();
        for (node, result) in nodes.into_iter().zip(results) {
            out.insert(node, result?);
        }
        Ok(Value::Object(out))
    }
}
