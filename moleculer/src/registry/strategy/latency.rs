//! Per-host ping round-trips for the `Latency` strategy.

use std::collections::VecDeque;

use parking_lot::Mutex;

use super::FastMap;

/// The last ping round-trips per host, for the `Latency` strategy (the "master" half of Node's
/// `LatencyStrategy`: `historicLatency` per host and the `hostAvgLatency` it publishes).
#[derive(Debug)]
pub(crate) struct LatencyStore {
    /// Round-trips kept per host (`collectCount`, at least 1).
    collect_count: usize,
    /// Host name → its samples and their average.
    hosts: Mutex<FastMap<String, HostLatency>>,
}

/// The samples of one host.
#[derive(Debug, Default)]
struct HostLatency {
    /// The last round-trips in ms, oldest first.
    samples: VecDeque<f64>,
    /// Their average.
    average: f64,
}

impl LatencyStore {
    /// A store keeping the last `collect_count` round-trips per host (0 keeps 1, as Node does).
    pub(crate) fn new(collect_count: usize) -> Self {
        LatencyStore {
            collect_count: collect_count.max(1),
            hosts: Mutex::new(FastMap::default()),
        }
    }

    /// How many round-trips are kept per host.
    #[cfg(test)]
    pub(crate) fn collect_count(&self) -> usize {
        self.collect_count
    }

    /// Records one round-trip (a `PONG`'s elapsed time, ms) to `host` and returns the host's
    /// new average.
    pub(crate) fn record(&self, host: &str, elapsed_ms: f64) -> f64 {
        let mut hosts = self.hosts.lock();
        let info = hosts.entry(host.to_owned()).or_default();
        if info.samples.len() >= self.collect_count {
            info.samples.pop_front();
        }
        info.samples.push_back(elapsed_ms);
        // Node: `reduce((sum, l) => sum + l, 0) / length`, oldest first.
        #[allow(clippy::cast_precision_loss)] // at most `collect_count` samples
        let average = info.samples.iter().fold(0.0, |sum, l| sum + l) / info.samples.len() as f64;
        info.average = average;
        average
    }

    /// The host's average round-trip in ms, if it has any sample.
    pub(crate) fn average(&self, host: &str) -> Option<f64> {
        self.hosts.lock().get(host).map(|h| h.average)
    }

    /// Forgets a host (its last node left); whether it was known.
    pub(crate) fn remove_host(&self, host: &str) -> bool {
        self.hosts.lock().remove(host).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_latency_store_averages_last_samples() {
        let store = LatencyStore::new(3);
        assert_eq!(store.collect_count(), 3);
        assert_eq!(store.average("h1"), None);
        assert_eq!(store.record("h1", 10.0), 10.0);
        assert_eq!(store.record("h1", 20.0), 15.0);
        assert_eq!(store.record("h1", 30.0), 20.0);
        assert_eq!(store.record("h1", 40.0), 30.0); // 10 dropped
        assert_eq!(store.record("h2", 1.0), 1.0);
        assert_eq!(store.average("h1"), Some(30.0));
        assert_eq!(store.average("h2"), Some(1.0));
        assert!(store.remove_host("h1"));
        assert!(!store.remove_host("h1"));
        assert_eq!(store.average("h1"), None);
        // collectCount 0 keeps the last one, as Node's `length > collectCount - 1` shift does.
        let store = LatencyStore::new(0);
        store.record("h", 5.0);
        assert_eq!(store.record("h", 7.0), 7.0);
    }
}
