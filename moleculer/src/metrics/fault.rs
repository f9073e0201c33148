//! The fault tolerance metrics, which Node's built-in middlewares register: the circuit
//! breaker's ([`BreakerMetrics`]), the bulkhead's ([`BulkheadMetrics`]), and the timeout's,
//! the retry policy's and the fallbacks' counters ([`FaultMetrics`]).
//!
//! A bulkhead updates its gauges on every call: each handler finds its two series once and
//! keeps them, so a call costs atomic additions. The others count events that are rare by
//! nature (a circuit opening, a call timing out, failing or falling back) and look their
//! series up when one happens, which costs less than the error that comes with it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::support::registered;
use super::{Metric, MetricDef, MetricRegistry, MetricType, Series, names};
use crate::error::Result;

/// The circuit breaker's metrics, labelled `affectedNodeID`, `service`, `action`.
#[derive(Debug)]
pub(crate) struct BreakerMetrics {
    registry: Arc<MetricRegistry>,
    opened_active: Arc<Metric>,
    opened_total: Arc<Metric>,
    half_opened_active: Arc<Metric>,
}

impl BreakerMetrics {
    /// Registers the metrics; `None` when metrics are off.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: &Arc<MetricRegistry>) -> Result<Option<BreakerMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let def = |name: &str, kind: MetricType, description: &str| {
            let def = MetricDef::new(name, kind)
                .labels(&["affectedNodeID", "service", "action"])
                .description(description);
            registered(registry, def)
        };
        Ok(Some(BreakerMetrics {
            opened_active: def(
                names::CIRCUIT_BREAKER_OPENED_ACTIVE,
                MetricType::Gauge,
                "Number of active opened circuit-breakers",
            )?,
            opened_total: def(
                names::CIRCUIT_BREAKER_OPENED_TOTAL,
                MetricType::Counter,
                "Number of opened circuit-breakers",
            )?,
            half_opened_active: def(
                names::CIRCUIT_BREAKER_HALF_OPENED_ACTIVE,
                MetricType::Gauge,
                "Number of active half-opened circuit-breakers",
            )?,
            registry: registry.clone(),
        }))
    }

    /// The labels of the circuit of `action` (of `service`) on `node_id`.
    pub(crate) fn labels(node_id: &str, service: &Value, action: &str) -> Value {
        json!({ "affectedNodeID": node_id, "service": service, "action": action })
    }

    /// A circuit opened; `from_half_open` when its trial call failed (it is no longer
    /// half-open).
    pub(crate) fn opened(&self, labels: &Value, from_half_open: bool) {
        let now = self.registry.now_ms();
        self.opened_active.series(labels, now).set(1.0, now);
        self.opened_total.series(labels, now).add(1.0, now);
        if from_half_open {
            self.half_opened_active.series(labels, now).set(0.0, now);
        }
    }

    /// A circuit half-opened: the next call is its trial.
    pub(crate) fn half_opened(&self, labels: &Value) {
        let now = self.registry.now_ms();
        self.opened_active.series(labels, now).set(0.0, now);
        self.half_opened_active.series(labels, now).set(1.0, now);
    }

    /// A circuit closed.
    pub(crate) fn closed(&self, labels: &Value) {
        let now = self.registry.now_ms();
        self.opened_active.series(labels, now).set(0.0, now);
        self.half_opened_active.series(labels, now).set(0.0, now);
    }
}

/// The bulkhead's gauges (Node registers them without description or unit).
#[derive(Debug)]
pub(crate) struct BulkheadMetrics {
    registry: Arc<MetricRegistry>,
    request_inflight: Arc<Metric>,
    request_queue: Arc<Metric>,
    event_inflight: Arc<Metric>,
    event_queue: Arc<Metric>,
}

/// The two gauges of one handler's bulkhead.
#[derive(Debug)]
pub(crate) struct GateGauges {
    registry: Arc<MetricRegistry>,
    inflight: Arc<Series>,
    queued: Arc<Series>,
}

impl BulkheadMetrics {
    /// Registers the gauges; `None` when metrics are off.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: &Arc<MetricRegistry>) -> Result<Option<BulkheadMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let gauge = |name: &str, first_label: &str| {
            let def = MetricDef::new(name, MetricType::Gauge).labels(&[first_label, "service"]);
            registered(registry, def)
        };
        Ok(Some(BulkheadMetrics {
            request_inflight: gauge(names::REQUEST_BULKHEAD_INFLIGHT, "action")?,
            request_queue: gauge(names::REQUEST_BULKHEAD_QUEUE_SIZE, "action")?,
            event_inflight: gauge(names::EVENT_BULKHEAD_INFLIGHT, "event")?,
            event_queue: gauge(names::EVENT_BULKHEAD_QUEUE_SIZE, "event")?,
            registry: registry.clone(),
        }))
    }

    /// The gauges of a local action's bulkhead.
    pub(crate) fn action(&self, action: &str, service: &Value) -> GateGauges {
        let labels = json!({ "action": action, "service": service });
        self.gauges(&self.request_inflight, &self.request_queue, &labels)
    }

    /// The gauges of an event handler's bulkhead (`event` is the handler's event name).
    pub(crate) fn event(&self, event: &str, service: &str) -> GateGauges {
        let labels = json!({ "event": event, "service": service });
        self.gauges(&self.event_inflight, &self.event_queue, &labels)
    }

    fn gauges(&self, inflight: &Metric, queued: &Metric, labels: &Value) -> GateGauges {
        let now = self.registry.now_ms();
        GateGauges {
            registry: self.registry.clone(),
            inflight: inflight.series(labels, now),
            queued: queued.series(labels, now),
        }
    }
}

impl GateGauges {
    /// A handler starts (`1.0`) or ends (`-1.0`).
    pub(crate) fn running(&self, delta: f64) {
        self.inflight.add(delta, self.registry.now_ms());
    }

    /// A call joins (`1.0`) or leaves (`-1.0`) the queue.
    pub(crate) fn queued(&self, delta: f64) {
        self.queued.add(delta, self.registry.now_ms());
    }
}

/// The counters of Node's `Timeout`, `Retry` and `Fallback` middlewares, labelled `service`
/// and `action`.
#[derive(Debug)]
pub(crate) struct FaultMetrics {
    registry: Arc<MetricRegistry>,
    timeouts: Arc<Metric>,
    retries: Arc<Metric>,
    fallbacks: Arc<Metric>,
}

impl FaultMetrics {
    /// Registers the counters, in Node's order; `None` when metrics are off.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: &Arc<MetricRegistry>) -> Result<Option<FaultMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let counter = |name: &str, description: &str| {
            let def = MetricDef::new(name, MetricType::Counter)
                .labels(&["service", "action"])
                .description(description)
                .rate();
            registered(registry, def)
        };
        Ok(Some(FaultMetrics {
            timeouts: counter(names::REQUEST_TIMEOUT_TOTAL, "Number of timed out requests")?,
            retries: counter(names::REQUEST_RETRY_ATTEMPTS_TOTAL, "Number of retries")?,
            fallbacks: counter(
                names::REQUEST_FALLBACK_TOTAL,
                "Number of fallbacked requests",
            )?,
            registry: registry.clone(),
        }))
    }

    /// A call of `action` (of `service`) timed out.
    pub(crate) fn timed_out(&self, service: &str, action: &str) {
        count(
            &self.registry,
            &self.timeouts,
            &json!({ "service": service, "action": action }),
        );
    }

    /// The retry policy looked at a retryable failure of `action` (retried, or the last
    /// attempt).
    pub(crate) fn retry_attempt(&self, service: &Value, action: &str) {
        count(
            &self.registry,
            &self.retries,
            &json!({ "service": service, "action": action }),
        );
    }

    /// A fallback answered a failed call of `action`: the action's own (`service` given), or
    /// the call's `fallbackResponse` (no `service`, as Node labels it).
    pub(crate) fn fell_back(&self, service: Option<&str>, action: &str) {
        let labels = match service {
            Some(service) => json!({ "service": service, "action": action }),
            None => json!({ "action": action }),
        };
        count(&self.registry, &self.fallbacks, &labels);
    }
}

fn count(registry: &MetricRegistry, metric: &Metric, labels: &Value) {
    let now = registry.now_ms();
    metric.series(labels, now).add(1.0, now);
}
