//! PING and PONG (Node's `broker.ping`, `transit.sendPing`, reference §1.10).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::Transit;
use crate::context::ContextId;
use crate::error::Result;
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
    let elapsed = now.saturating_sub(pong.time).max(0);
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
pub(crate) fn pong_received(cluster: &Arc<Transit>, sender: String, pong: Pong) {
    let (elapsed, time_diff) = pong_times(&pong, now_ms());
    if let Some(metrics) = &cluster.metrics {
        metrics.pong(&sender, elapsed, time_diff);
    }
    let payload = json!({ "nodeID": sender, "elapsedTime": elapsed, "timeDiff": time_diff });
    if let Some(tx) = cluster.pings.waiting.lock().remove(&pong.id) {
        let _ = tx.send(PongAnswer { sender, pong });
    }
    cluster.announce(vec![("$node.pong", payload)]);
}

impl Transit {
    /// Pings a node: `{nodeID, elapsedTime, timeDiff, id}`, or `null` when no PONG came
    /// within `timeout` (see `ServiceBroker::ping`).
    ///
    /// # Errors
    /// `BrokerDisconnectedError` when the PING cannot be sent.
    pub(crate) async fn ping(&self, node_id: &str, timeout: Duration) -> Result<Value> {
        let cluster = self;
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
}
