//! `ping` and `pingAll` (Node's `broker.ping`, reference §1.10).

use std::time::Duration;

use serde_json::Value;

use super::ServiceBroker;
use crate::error::{Error, Result};

impl ServiceBroker {
    /// Pings a node (Node's `broker.ping(nodeID, timeout)`): `{nodeID, elapsedTime,
    /// timeDiff, id}`, or `null` when no PONG came within `timeout`. `timeDiff` is how far our
    /// clock is ahead of the other node's, in ms, as Node computes it.
    ///
    /// # Errors
    /// `BrokerDisconnectedError` without a transporter or when the PING cannot be sent.
    pub async fn ping(&self, node_id: &str, timeout: Duration) -> Result<Value> {
        let transit = self
            .inner
            .transit
            .as_ref()
            .ok_or_else(Error::broker_disconnected)?;
        transit.ping(node_id, timeout).await
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
