//! The transit's and the transporter's metrics. [`TransitMetrics`] are the ones Node's
//! `transit.js` registers (ready, connected, ping times, orphan responses); [`PacketMetrics`]
//! are the packet counts Node's Metrics middleware keeps through its `transitPublish`,
//! `transitMessageHandler`, `transporterSend` and `transporterReceive` hooks, registered with
//! the other built-in middlewares. The transit counts here directly rather than through
//! those hooks, which would move its plain path onto a wrapped one: a packet costs a clock
//! read and a few atomic additions, the series of each packet type being found once and kept.

use std::sync::{Arc, OnceLock};

use serde_json::json;

use super::support::{Unlabeled, registered};
use super::{Metric, MetricDef, MetricRegistry, MetricType, Series, names};
use crate::error::Result;
use crate::protocol::PacketType;

/// A counter by packet `type`, each type's series found once.
#[derive(Debug)]
struct ByType {
    metric: Arc<Metric>,
    series: [OnceLock<Arc<Series>>; PacketType::ALL.len()],
}

impl ByType {
    fn new(metric: Arc<Metric>) -> ByType {
        ByType {
            metric,
            series: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    fn count(&self, ty: PacketType, now: u64) {
        let Some(slot) = self.series.get(ty as usize) else {
            return;
        };
        slot.get_or_init(|| self.metric.series(&json!({ "type": ty.as_str() }), now))
            .add(1.0, now);
    }
}

/// The packet counts (Node's Metrics middleware's transit and transporter metrics).
#[derive(Debug)]
pub(crate) struct PacketMetrics {
    registry: Arc<MetricRegistry>,
    published: ByType,
    handled: ByType,
    requests_active: Unlabeled,
    streams_send_active: Unlabeled,
    sent: Unlabeled,
    sent_bytes: Unlabeled,
    received: Unlabeled,
    received_bytes: Unlabeled,
}

impl PacketMetrics {
    /// Registers the metrics, in Node's order, on an enabled registry.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: Arc<MetricRegistry>) -> Result<PacketMetrics> {
        let counter = |name: &str, unit: &str, description: &str| {
            MetricDef::new(name, MetricType::Counter)
                .unit(unit)
                .description(description)
                .rate()
        };
        let gauge = |name: &str, unit: &str, description: &str| {
            let def = MetricDef::new(name, MetricType::Gauge)
                .unit(unit)
                .description(description);
            registered(&registry, def).map(Unlabeled::new)
        };
        let by_type = |name: &str, description: &str| {
            let def = counter(name, "packet", description).labels(&["type"]);
            registered(&registry, def).map(ByType::new)
        };
        let total = |name: &str, unit: &str, description: &str| {
            registered(&registry, counter(name, unit, description)).map(Unlabeled::new)
        };
        Ok(PacketMetrics {
            published: by_type(names::TRANSIT_PUBLISH_TOTAL, "Number of published packets")?,
            handled: by_type(names::TRANSIT_RECEIVE_TOTAL, "Number of received packets")?,
            requests_active: gauge(
                names::TRANSIT_REQUESTS_ACTIVE,
                "request",
                "Number of active requests",
            )?,
            streams_send_active: gauge(
                names::TRANSIT_STREAMS_SEND_ACTIVE,
                "stream",
                "Number of active sent streams",
            )?,
            sent: total(
                names::TRANSPORTER_PACKETS_SENT_TOTAL,
                "packet",
                "Number of sent packets",
            )?,
            sent_bytes: total(
                names::TRANSPORTER_PACKETS_SENT_BYTES,
                "byte",
                "Number of sent bytes",
            )?,
            received: total(
                names::TRANSPORTER_PACKETS_RECEIVED_TOTAL,
                "packet",
                "Number of received packets",
            )?,
            received_bytes: total(
                names::TRANSPORTER_PACKETS_RECEIVED_BYTES,
                "byte",
                "Number of received bytes",
            )?,
            registry,
        })
    }

    /// The transit publishes a packet (gossip is the transporter's own, not counted here).
    pub(crate) fn published(&self, ty: PacketType) {
        let now = self.registry.now_ms();
        self.published.count(ty, now);
        // Node updates both gauges after each publish: their series exist from the first
        // one. Streams are not implemented, so that one stays 0.
        self.requests_active.get(now);
        self.streams_send_active.get(now);
    }

    /// The transit was handed a decoded packet of another node (or its own, on a
    /// transporter that echoes broadcasts).
    pub(crate) fn handled(&self, ty: PacketType) {
        self.handled.count(ty, self.registry.now_ms());
    }

    /// `bytes` go to the transporter.
    pub(crate) fn sent(&self, bytes: usize) {
        let now = self.registry.now_ms();
        self.sent.get(now).add(1.0, now);
        self.sent_bytes.get(now).add(bytes as f64, now);
    }

    /// `bytes` came from the transporter.
    pub(crate) fn received(&self, bytes: usize) {
        let now = self.registry.now_ms();
        self.received.get(now).add(1.0, now);
        self.received_bytes.get(now).add(bytes as f64, now);
    }

    /// `count` requests wait for their response.
    pub(crate) fn requests_active(&self, count: usize) {
        let now = self.registry.now_ms();
        self.requests_active.get(now).set(count as f64, now);
    }
}

/// The transit's own metrics (Node's `Transit.registerMoleculerMetrics`).
#[derive(Debug)]
pub(crate) struct TransitMetrics {
    registry: Arc<MetricRegistry>,
    ready: Arc<Series>,
    connected: Arc<Series>,
    pong_time: Arc<Metric>,
    systime_diff: Arc<Metric>,
    orphans: Unlabeled,
}

impl TransitMetrics {
    /// Registers the metrics; `None` when metrics are off. `ready` and `connected` start at
    /// 0.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: &Arc<MetricRegistry>) -> Result<Option<TransitMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let now = registry.now_ms();
        let flag = |name: &str, description: &str| -> Result<Arc<Series>> {
            let def = MetricDef::new(name, MetricType::Gauge).description(description);
            let series = registered(registry, def)?.series(&serde_json::Value::Null, now);
            series.set(0.0, now);
            Ok(series)
        };
        let per_node = |name: &str, description: &str| {
            let def = MetricDef::new(name, MetricType::Gauge)
                .labels(&["targetNodeID"])
                .description(description);
            registered(registry, def)
        };
        Ok(Some(TransitMetrics {
            ready: flag(names::TRANSIT_READY, "Transit is ready")?,
            connected: flag(names::TRANSIT_CONNECTED, "Transit is connected")?,
            pong_time: per_node(names::TRANSIT_PONG_TIME, "Ping time")?,
            systime_diff: per_node(
                names::TRANSIT_PONG_SYSTIME_DIFF,
                "System time difference between nodes",
            )?,
            orphans: Unlabeled::new(registered(
                registry,
                MetricDef::new(names::TRANSIT_ORPHAN_RESPONSE_TOTAL, MetricType::Counter)
                    .description("Number of orphan responses"),
            )?),
            registry: registry.clone(),
        }))
    }

    /// The transit is ready (its services published), or no longer.
    pub(crate) fn ready(&self, ready: bool) {
        self.ready
            .set(f64::from(u8::from(ready)), self.registry.now_ms());
    }

    /// The transporter is connected, or no longer.
    pub(crate) fn connected(&self, connected: bool) {
        self.connected
            .set(f64::from(u8::from(connected)), self.registry.now_ms());
    }

    /// A PONG came from `node_id`: the round trip and the clock difference, in ms.
    pub(crate) fn pong(&self, node_id: &str, elapsed: i64, time_diff: i64) {
        let now = self.registry.now_ms();
        let labels = json!({ "targetNodeID": node_id });
        self.pong_time.series(&labels, now).set(elapsed as f64, now);
        self.systime_diff
            .series(&labels, now)
            .set(time_diff as f64, now);
    }

    /// A response came for a request no longer waiting.
    pub(crate) fn orphan(&self) {
        let now = self.registry.now_ms();
        self.orphans.get(now).add(1.0, now);
    }
}
