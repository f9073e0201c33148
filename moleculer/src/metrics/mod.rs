//! Metrics (reference §12): Node's registry of counters, gauges, histograms and infos with
//! labels, the built-in `moleculer.*` metrics, and `$node.metrics`.
//!
//! The registry is Moleculer's own rather than a crate's (`metrics`, `prometheus-client`):
//! Node's model lists every metric with its description, unit, label names and each series'
//! labels, timestamp and per-minute rate, histograms with buckets *and* time-window
//! quantiles, and string-valued infos, and that list is what `$node.metrics`, the Event
//! reporter and the other nodes read. The crates keep values for one exposition format and
//! have neither the snapshot, the rates nor the windows.
//!
//! * [`MetricRegistry`]: `register`, `increment`, `decrement`, `set`, `observe`, `timer`,
//!   `list` (Node's names and semantics), reachable as [`ServiceBroker::metrics`](crate::ServiceBroker::metrics).
//! * [`Metric`] and [`Series`]: a metric and the values of one set of labels, updated with
//!   atomics only, so that the built-in request metrics cost no lock and no allocation.
//! * [`names`]: the built-in metric names.
//! * `process` and `os`: Node's process and OS metrics (`collectProcessMetrics`), collected
//!   every `collectInterval` by a task the registry starts.
//! * [`reporters`]: where the metrics go (`Prometheus`, `Console`, `CSV`, `Event`, `StatsD`,
//!   `Datadog`), started and stopped with the broker.
//!
//! Besides the Metrics middleware's request and event metrics, the transit and transporter
//! (packets, bytes, ping times), the registry (nodes, services, actions, events and their
//! endpoints) and the fault tolerance features (circuit breaker, bulkhead, timeout, retry,
//! fallback) keep Node's built-in metrics, each registered where Node registers it.
//!
//! # Differences from moleculerjs
//!
//! * `moleculer.transit.requests.active` is the number of requests waiting for their
//!   response; Node adds that number to the gauge at every packet it publishes.
//! * `moleculer.transit.ready` goes back to 0 when the node stops being ready (it stops, or
//!   leaves after a nodeID conflict); Node leaves it at 1.
//! * `moleculer.circuit-breaker.half-opened.active` goes back to 0 when a failed trial call
//!   opens the circuit again; Node leaves it at 1 until the circuit closes.
//! * `moleculer.registry.service.endpoints.total` of a service no node offers any more is 0;
//!   Node leaves its last value.
//! * The circuit breaker's metrics are registered also when only an action's own breaker is
//!   on (Node registers them with the broker's breaker only).
//! * `moleculer.transit.streams.send.active` is always 0: streams are not implemented.
//! * No `moleculer.discoverer.*`: the Redis and etcd discoverers are not implemented.

mod cacher;
mod catalog;
mod fault;
mod metric;
mod middleware;
pub mod names;
mod options;
mod os;
mod process;
mod registry;
pub mod reporters;
mod support;
mod transit;
mod window;

use std::time::Duration;

pub(crate) use cacher::CacherMetrics;
pub(crate) use catalog::{RegistryCounts, RegistryMetrics};
pub(crate) use fault::{BreakerMetrics, BulkheadMetrics, FaultMetrics, GateGauges};
pub use metric::{Metric, Series};
pub(crate) use middleware::MetricsMiddleware;
pub use options::MetricsOptions;
pub use registry::{ListOptions, MetricRegistry, Timer};
pub(crate) use support::service_of;
pub(crate) use transit::{PacketMetrics, TransitMetrics};

/// A metric's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Only goes up (`increment`), with an optional per-minute `rate`.
    Counter,
    /// Goes up and down, or is `set`.
    Gauge,
    /// Observed values: count, sum, buckets and time-window quantiles.
    Histogram,
    /// A value that is `set` (a string, usually).
    Info,
}

impl MetricType {
    /// Node's name (`"counter"`).
    pub fn name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Info => "info",
        }
    }

    /// The type of Node's name.
    pub fn from_name(name: &str) -> Option<MetricType> {
        [
            MetricType::Counter,
            MetricType::Gauge,
            MetricType::Histogram,
            MetricType::Info,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

/// A metric's definition (Node's `register({name, type, description, labelNames, unit, rate,
/// buckets, quantiles, maxAgeSeconds, ageBuckets})`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricDef {
    /// The name (`"moleculer.request.total"`).
    pub name: String,
    /// The type.
    pub kind: MetricType,
    /// What it measures.
    pub description: Option<String>,
    /// The names of its labels, in order.
    pub label_names: Vec<String>,
    /// Its unit (`"request"`, `"millisecond"`).
    pub unit: Option<String>,
    /// Whether its series keep a per-minute rate.
    pub rate: bool,
    /// A histogram's bucket bounds, ascending.
    pub buckets: Option<Vec<f64>>,
    /// A histogram's quantiles, ascending.
    pub quantiles: Option<Vec<f64>>,
    /// How far back a histogram's quantiles look.
    pub max_age: Duration,
    /// In how many steps that window moves.
    pub age_buckets: usize,
}

impl MetricDef {
    /// A metric of `kind` named `name`, with no labels.
    pub fn new(name: impl Into<String>, kind: MetricType) -> MetricDef {
        MetricDef {
            name: name.into(),
            kind,
            description: None,
            label_names: Vec::new(),
            unit: None,
            rate: false,
            buckets: None,
            quantiles: None,
            max_age: Duration::from_secs(60),
            age_buckets: 10,
        }
    }

    /// With these labels.
    pub fn labels(mut self, names: &[&str]) -> MetricDef {
        self.label_names = names.iter().map(|n| (*n).to_owned()).collect();
        self
    }

    /// With a description.
    pub fn description(mut self, description: impl Into<String>) -> MetricDef {
        self.description = Some(description.into());
        self
    }

    /// With a unit.
    pub fn unit(mut self, unit: impl Into<String>) -> MetricDef {
        self.unit = Some(unit.into());
        self
    }

    /// With a per-minute rate.
    pub fn rate(mut self) -> MetricDef {
        self.rate = true;
        self
    }

    /// A histogram with these buckets.
    pub fn buckets(mut self, bounds: Vec<f64>) -> MetricDef {
        self.buckets = Some(bounds);
        self
    }

    /// A histogram with these quantiles.
    pub fn quantiles(mut self, quantiles: Vec<f64>) -> MetricDef {
        self.quantiles = Some(quantiles);
        self
    }
}
