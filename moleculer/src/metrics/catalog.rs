//! The service registry's metrics (Node's `Registry.registerMoleculerMetrics` and
//! `updateMetrics`): how many nodes (and how many online), services, actions and event groups
//! the registry knows, and how many nodes offer each. The registry updates them when it
//! changes (a service added or removed, a node connected or gone), never on a call.
//!
//! As in Node, an action or an event group stays known once its last node has left (Node's
//! catalogs keep the empty list): it still counts in the totals, with 0 endpoints. A service
//! no node offers any more leaves the total, and its endpoint count goes to 0 (Node leaves
//! it at its last value).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;
use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::support::registered;
use super::{Metric, MetricDef, MetricRegistry, MetricType, Series, names};
use crate::error::Result;

/// What the registry holds at one moment.
#[derive(Debug, Default)]
pub(crate) struct RegistryCounts {
    /// The nodes known, this one included.
    pub(crate) nodes: usize,
    /// The nodes online, this one included.
    pub(crate) online: usize,
    /// Each service's full name and how many nodes offer it.
    pub(crate) services: Vec<(Arc<str>, usize)>,
    /// Each action's name and how many nodes offer it.
    pub(crate) actions: Vec<(Arc<str>, usize)>,
    /// Each event listener list: its event (pattern), its group, and how many handlers.
    pub(crate) events: Vec<(Arc<str>, Arc<str>, usize)>,
}

/// The registry's gauges, and what they listed before.
#[derive(Debug)]
pub(crate) struct RegistryMetrics {
    registry: Arc<MetricRegistry>,
    nodes: Arc<Series>,
    online: Arc<Series>,
    services: Arc<Series>,
    actions: Arc<Series>,
    events: Arc<Series>,
    service_endpoints: Arc<Metric>,
    action_endpoints: Arc<Metric>,
    event_endpoints: Arc<Metric>,
    /// Held while updating, so that the last update is the one of the latest state.
    seen: Mutex<Seen>,
}

/// The services, actions and event lists listed so far, with their endpoint series.
#[derive(Debug, Default)]
struct Seen {
    services: IndexMap<Arc<str>, Arc<Series>>,
    actions: IndexMap<Arc<str>, Arc<Series>>,
    /// By `(event, group)`; the series is the event's (shared by its groups).
    events: IndexMap<(Arc<str>, Arc<str>), Arc<Series>>,
}

impl RegistryMetrics {
    /// Registers the gauges; `None` when metrics are off.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: &Arc<MetricRegistry>) -> Result<Option<RegistryMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let now = registry.now_ms();
        let gauge = |name: &str, label: Option<&str>, description: &str| {
            let mut def = MetricDef::new(name, MetricType::Gauge).description(description);
            if let Some(label) = label {
                def = def.labels(&[label]);
            }
            registered(registry, def)
        };
        let total = |name: &str, description: &str| -> Result<Arc<Series>> {
            Ok(gauge(name, None, description)?.series(&Value::Null, now))
        };
        Ok(Some(RegistryMetrics {
            nodes: total(names::REGISTRY_NODES_TOTAL, "Number of registered nodes")?,
            online: total(names::REGISTRY_NODES_ONLINE_TOTAL, "Number of online nodes")?,
            services: total(
                names::REGISTRY_SERVICES_TOTAL,
                "Number of registered services",
            )?,
            service_endpoints: gauge(
                names::REGISTRY_SERVICE_ENDPOINTS_TOTAL,
                Some("service"),
                "Number of service endpoints",
            )?,
            actions: total(
                names::REGISTRY_ACTIONS_TOTAL,
                "Number of registered actions",
            )?,
            action_endpoints: gauge(
                names::REGISTRY_ACTION_ENDPOINTS_TOTAL,
                Some("action"),
                "Number of action endpoints",
            )?,
            events: total(names::REGISTRY_EVENTS_TOTAL, "Number of registered events")?,
            event_endpoints: gauge(
                names::REGISTRY_EVENT_ENDPOINTS_TOTAL,
                Some("event"),
                "Number of event endpoints",
            )?,
            registry: registry.clone(),
            seen: Mutex::new(Seen::default()),
        }))
    }

    /// Sets the gauges to what `counts` finds, read while no other update runs.
    pub(crate) fn update(&self, counts: impl FnOnce() -> RegistryCounts) {
        let mut seen = self.seen.lock();
        let counts = counts();
        let now = self.registry.now_ms();
        let seen = &mut *seen;
        self.nodes.set(counts.nodes as f64, now);
        self.online.set(counts.online as f64, now);
        self.services.set(counts.services.len() as f64, now);
        let services = (&*self.service_endpoints, "service");
        set_endpoints(&mut seen.services, &counts.services, services, now);
        let actions = (&*self.action_endpoints, "action");
        set_endpoints(&mut seen.actions, &counts.actions, actions, now);
        self.actions.set(seen.actions.len() as f64, now);

        for (event, group, _) in &counts.events {
            let key = (event.clone(), group.clone());
            if seen.events.contains_key(&key) {
                continue;
            }
            // The groups of one event share its series.
            let shared = seen.events.iter().find(|((e, _), _)| e == event);
            let series = match shared {
                Some((_, series)) => series.clone(),
                None => self.event_endpoints.series(&labels("event", event), now),
            };
            seen.events.insert(key, series);
        }
        self.events.set(seen.events.len() as f64, now);
        let handlers: HashMap<(&str, &str), usize> = counts
            .events
            .iter()
            .map(|(event, group, n)| ((&**event, &**group), *n))
            .collect();
        // Node sets an event's series once per group, in order: the last group wins.
        let mut done: HashSet<&str> = HashSet::new();
        for ((event, group), series) in seen.events.iter().rev() {
            if done.insert(event) {
                let n = handlers.get(&(&**event, &**group)).copied().unwrap_or(0);
                series.set(n as f64, now);
            }
        }
    }
}

/// Sets the endpoint count of each name listed so far: the current one, or 0 for a name no
/// longer listed. `metric` is the endpoint gauge and the name of its one label.
fn set_endpoints(
    seen: &mut IndexMap<Arc<str>, Arc<Series>>,
    current: &[(Arc<str>, usize)],
    (metric, label): (&Metric, &str),
    now: u64,
) {
    for (name, _) in current {
        seen.entry(name.clone())
            .or_insert_with(|| metric.series(&labels(label, name), now));
    }
    let counts: HashMap<&str, usize> = current.iter().map(|(n, c)| (&**n, *c)).collect();
    for (name, series) in seen.iter() {
        series.set(counts.get(&**name).copied().unwrap_or(0) as f64, now);
    }
}

/// `{label: value}`.
fn labels(label: &str, value: &str) -> Value {
    let mut labels = Map::new();
    labels.insert(label.to_owned(), Value::from(value));
    Value::Object(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsOptions;

    fn enabled() -> Arc<MetricRegistry> {
        let options = MetricsOptions {
            enabled: true,
            ..MetricsOptions::default()
        };
        Arc::new(MetricRegistry::new(options))
    }

    fn value(registry: &MetricRegistry, name: &str, label: Option<(&str, &str)>) -> f64 {
        let now = registry.now_ms();
        let labels = label.map_or(Value::Null, |(k, v)| labels(k, v));
        registry.metric(name).unwrap().series(&labels, now).value()
    }

    fn names(list: &[(&str, usize)]) -> Vec<(Arc<str>, usize)> {
        list.iter().map(|(n, c)| (Arc::from(*n), *c)).collect()
    }

    #[test]
    fn what_left_stays_known_with_no_endpoint() {
        let registry = enabled();
        let metrics = RegistryMetrics::new(&registry).unwrap().unwrap();
        let event = |e: &str, g: &str, n| (Arc::from(e), Arc::from(g), n);
        metrics.update(|| RegistryCounts {
            nodes: 2,
            online: 2,
            services: names(&[("math", 2), ("users", 1)]),
            actions: names(&[("math.add", 2), ("users.get", 1)]),
            events: vec![event("user.*", "mail", 1), event("user.*", "audit", 2)],
        });
        // Two groups of one event: the last one listed sets its series.
        assert_eq!(value(&registry, names::REGISTRY_EVENTS_TOTAL, None), 2.0);
        let user = Some(("event", "user.*"));
        assert_eq!(
            value(&registry, names::REGISTRY_EVENT_ENDPOINTS_TOTAL, user),
            2.0
        );
        metrics.update(|| RegistryCounts {
            nodes: 2,
            online: 1,
            services: names(&[("math", 1)]),
            actions: names(&[("math.add", 1)]),
            events: vec![event("user.*", "mail", 1)],
        });
        let total = |name| value(&registry, name, None);
        assert_eq!(total(names::REGISTRY_NODES_TOTAL), 2.0);
        assert_eq!(total(names::REGISTRY_NODES_ONLINE_TOTAL), 1.0);
        assert_eq!(total(names::REGISTRY_SERVICES_TOTAL), 1.0);
        assert_eq!(total(names::REGISTRY_ACTIONS_TOTAL), 2.0);
        assert_eq!(total(names::REGISTRY_EVENTS_TOTAL), 2.0);
        let service = |s| {
            value(
                &registry,
                names::REGISTRY_SERVICE_ENDPOINTS_TOTAL,
                Some(("service", s)),
            )
        };
        assert_eq!((service("math"), service("users")), (1.0, 0.0));
        let action = |a| {
            value(
                &registry,
                names::REGISTRY_ACTION_ENDPOINTS_TOTAL,
                Some(("action", a)),
            )
        };
        assert_eq!((action("math.add"), action("users.get")), (1.0, 0.0));
        // The `audit` group is gone and listed last: it sets 0.
        assert_eq!(
            value(&registry, names::REGISTRY_EVENT_ENDPOINTS_TOTAL, user),
            0.0
        );
    }
}
