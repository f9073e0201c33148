//! The pinger behind the `Latency` strategy (Node's `LatencyStrategy` master): every
//! `pingInterval` it pings one random node per host and records the round trip per host.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Transit;
use crate::broker::{BrokerInner, ServiceBroker};

/// How long one latency ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the pinger when the registry keeps latencies; `None` otherwise.
pub(crate) fn spawn_pinger(
    broker: &ServiceBroker,
    cluster: &Arc<Transit>,
) -> Option<tokio::task::JoinHandle<()>> {
    let registry = &broker.inner.registry;
    registry.latency.as_ref()?;
    let interval = registry.latency_ping_interval()?;
    let weak: Weak<BrokerInner> = Arc::downgrade(&broker.inner);
    let cluster = cluster.clone();
    Some(tokio::spawn(async move {
        // The first round soon after start, as Node pings on `$broker.started`.
        let mut wait = Duration::from_secs(1).min(interval);
        loop {
            tokio::time::sleep(wait).await;
            wait = interval;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let broker = ServiceBroker { inner };
            if !cluster.is_ready() {
                continue;
            }
            for (host, node_id) in broker.inner.registry.nodes.one_per_host() {
                let Ok(pong) = broker.ping(&node_id, PING_TIMEOUT).await else {
                    continue;
                };
                if let (Some(elapsed), Some(store)) = (
                    pong["elapsedTime"].as_f64(),
                    broker.inner.registry.latency.as_ref(),
                ) {
                    store.record(&host, elapsed);
                }
            }
        }
    }))
}
