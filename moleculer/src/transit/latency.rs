//! The pinger behind the `Latency` strategy (Node's `LatencyStrategy` master): every
//! `pingInterval` it pings one random node per host and records the round trip per host.

use std::sync::Arc;
use std::time::Duration;

use super::Transit;

/// How long one latency ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the pinger when the registry keeps latencies; `None` otherwise.
pub(crate) fn spawn_pinger(transit: &Arc<Transit>) -> Option<tokio::task::JoinHandle<()>> {
    let registry = &transit.registry;
    registry.latency.as_ref()?;
    let interval = registry.latency_ping_interval()?;
    let weak = Arc::downgrade(transit);
    Some(tokio::spawn(async move {
        // The first round soon after start, as Node pings on `$broker.started`.
        let mut wait = Duration::from_secs(1).min(interval);
        loop {
            tokio::time::sleep(wait).await;
            wait = interval;
            let Some(transit) = weak.upgrade() else {
                return;
            };
            if !transit.is_ready() {
                continue;
            }
            for (host, node_id) in transit.registry.nodes.one_per_host() {
                let Ok(pong) = transit.ping(&node_id, PING_TIMEOUT).await else {
                    continue;
                };
                if let (Some(elapsed), Some(store)) = (
                    pong["elapsedTime"].as_f64(),
                    transit.registry.latency.as_ref(),
                ) {
                    store.record(&host, elapsed);
                }
            }
        }
    }))
}
