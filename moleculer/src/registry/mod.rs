//! The service registry (Node's `src/registry/*`): which node offers which service, action and
//! event, and which endpoint serves the next call.
//!
//! Registrations change rarely and calls read them constantly, so the catalog is an immutable
//! snapshot behind an [`ArcSwap`]: a call loads it without locking, and a change builds a new
//! one. Each endpoint list keeps its own round-robin counter.

mod endpoint_list;
mod node;
mod nodes;
pub mod pattern;
pub(crate) mod strategy;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;
use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

pub(crate) use endpoint_list::{Endpoint, EndpointList};
pub use node::NodeInfo;
pub(crate) use nodes::{HeartbeatOutcome, InfoOutcome, NodeCatalog};
pub(crate) use strategy::{Candidate, LatencyStore, NodeStats, SelectInput, Strategy};

use crate::metrics::{RegistryCounts, RegistryMetrics};
use crate::service::{
    ActionDef, ActionFallback, ActionHandler, BoundAction, BoundEvent, EventDef, EventHandler,
    ServiceInfo, SlowStart, Visibility,
};

/// One service as registered on one node.
#[derive(Clone)]
pub(crate) struct ServiceEntry {
    pub(crate) node_id: Arc<str>,
    pub(crate) local: bool,
    pub(crate) info: Arc<ServiceInfo>,
    pub(crate) actions: Vec<BoundAction>,
    pub(crate) events: Vec<BoundEvent>,
}

impl ServiceEntry {
    /// The service as INFO publishes it (Node's `getLocalNodeServices` item): `{name,
    /// version?, fullName, settings, metadata, actions: {name: def}, events: {name: def}}`,
    /// without private actions and secure settings.
    pub(crate) fn to_info_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value};
        let info = &self.info;
        let mut item = Map::new();
        item.insert("name".into(), Value::from(info.name.clone()));
        if let Some(version) = &info.version {
            item.insert("version".into(), version.to_json());
        }
        item.insert("fullName".into(), Value::from(&*info.full_name));
        item.insert("settings".into(), Value::Object(info.public_settings()));
        item.insert("metadata".into(), Value::Object(info.metadata.clone()));
        item.insert("actions".into(), self.actions_json());
        item.insert("events".into(), self.events_json());
        Value::Object(item)
    }

    /// The published actions, keyed by name (private ones are never published).
    pub(crate) fn actions_json(&self) -> serde_json::Value {
        self.actions
            .iter()
            .filter(|a| a.def.visibility != Visibility::Private)
            .map(|a| (a.def.name.to_string(), a.def.to_json()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// The event handlers, keyed by event name.
    pub(crate) fn events_json(&self) -> serde_json::Value {
        self.events
            .iter()
            .map(|e| (e.def.name.to_string(), e.def.to_json()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// An action on one node.
pub(crate) struct ActionEndpoint {
    pub(crate) node_id: Arc<str>,
    pub(crate) local: bool,
    pub(crate) service: Arc<ServiceInfo>,
    pub(crate) def: Arc<ActionDef>,
    pub(crate) handler: ActionHandler,
    /// A local action's own fallback.
    pub(crate) fallback: Option<ActionFallback>,
    pub(crate) available: Arc<AtomicBool>,
    pub(crate) slow_start: SlowStart,
}

impl ActionEndpoint {
    pub(crate) fn is_available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }
}

impl Candidate for ActionEndpoint {
    fn node_id(&self) -> &str {
        &self.node_id
    }
}

impl Endpoint for ActionEndpoint {
    fn is_local(&self) -> bool {
        self.local
    }

    fn is_available(&self) -> bool {
        ActionEndpoint::is_available(self)
    }
}

/// Every endpoint of one action.
pub(crate) type ActionList = EndpointList<ActionEndpoint>;

/// An event handler on one node; remote ones have no handler (the event travels as a packet).
pub(crate) struct EventEndpoint {
    pub(crate) node_id: Arc<str>,
    pub(crate) local: bool,
    pub(crate) service: Arc<ServiceInfo>,
    pub(crate) def: Arc<EventDef>,
    pub(crate) handler: Option<EventHandler>,
    pub(crate) slow_start: SlowStart,
}

impl Candidate for EventEndpoint {
    fn node_id(&self) -> &str {
        &self.node_id
    }
}

impl Endpoint for EventEndpoint {
    fn is_local(&self) -> bool {
        self.local
    }
}

impl EventEndpoint {
    /// The group this handler belongs to.
    pub(crate) fn group(&self) -> &str {
        self.def.group.as_deref().unwrap_or(&self.service.name)
    }
}

/// The endpoints of one `(pattern, group)` pair.
pub(crate) type EventList = EndpointList<EventEndpoint>;

impl ActionList {
    /// The local endpoint, if this node offers the action.
    pub(crate) fn local_endpoint(&self) -> Option<&Arc<ActionEndpoint>> {
        self.endpoints.iter().find(|e| e.local)
    }

    /// The endpoint on `node_id`.
    pub(crate) fn on_node(&self, node_id: &str) -> Option<&Arc<ActionEndpoint>> {
        self.endpoints.iter().find(|e| &*e.node_id == node_id)
    }

    pub(crate) fn has_available(&self) -> bool {
        self.endpoints.iter().any(|e| e.is_available())
    }
}

/// A hash map with a fast hasher (its keys are names from the registry, not from strangers).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Event lists by `(pattern, group)`, while a catalog is built.
type EventGroups = Vec<(Arc<str>, Arc<str>, Vec<Arc<EventEndpoint>>)>;
/// Event name → the lists whose pattern matches it.
type EventCache = RwLock<FastMap<Box<str>, Arc<[Arc<EventList>]>>>;
/// Endpoint availability by `(nodeID, action)`, kept across catalog rebuilds.
type Availability = HashMap<(Arc<str>, Arc<str>), Arc<AtomicBool>>;

/// An immutable view of the whole registry.
pub(crate) struct Catalog {
    pub(crate) services: Vec<ServiceEntry>,
    pub(crate) actions: FastMap<Arc<str>, Arc<ActionList>>,
    pub(crate) events: Vec<Arc<EventList>>,
    /// Event name → matching lists, filled on first use.
    event_cache: EventCache,
}

const EVENT_CACHE_LIMIT: usize = 4096;

impl Catalog {
    fn build(
        services: &[ServiceEntry],
        availability: &Availability,
        default_strategy: &Strategy,
    ) -> Catalog {
        let mut actions: HashMap<Arc<str>, Vec<Arc<ActionEndpoint>>> = HashMap::new();
        let mut events: EventGroups = Vec::new();
        for svc in services {
            for action in &svc.actions {
                let visible = match action.def.visibility {
                    Visibility::Private => false,
                    Visibility::Protected => svc.local,
                    _ => true,
                };
                if !visible {
                    continue;
                }
                let key = (svc.node_id.clone(), action.def.name.clone());
                let available = availability
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(AtomicBool::new(true)));
                actions
                    .entry(action.def.name.clone())
                    .or_default()
                    .push(Arc::new(ActionEndpoint {
                        node_id: svc.node_id.clone(),
                        local: svc.local,
                        service: svc.info.clone(),
                        def: action.def.clone(),
                        handler: action.handler.clone(),
                        fallback: action.fallback.clone(),
                        available,
                        slow_start: action.slow_start.clone(),
                    }));
            }
            for event in &svc.events {
                let endpoint = Arc::new(EventEndpoint {
                    node_id: svc.node_id.clone(),
                    local: svc.local,
                    service: svc.info.clone(),
                    def: event.def.clone(),
                    handler: event.handler.clone(),
                    slow_start: event.slow_start.clone(),
                });
                match events
                    .iter_mut()
                    .find(|(p, g, _)| *p == event.def.name && *g == event.group)
                {
                    Some((_, _, list)) => list.push(endpoint),
                    None => {
                        events.push((event.def.name.clone(), event.group.clone(), vec![endpoint]))
                    }
                }
            }
        }
        Catalog {
            services: services.to_vec(),
            actions: actions
                .into_iter()
                .map(|(name, endpoints)| {
                    let first = endpoints.first().map(|e| (&e.def.name, &e.def.options));
                    let strategy = first
                        .and_then(|(owner, o)| {
                            own_strategy(owner, &o.strategy, &o.strategy_options)
                        })
                        .unwrap_or_else(|| default_strategy.fresh());
                    let list = ActionList::new(name.clone(), None, endpoints, strategy);
                    (name, Arc::new(list))
                })
                .collect(),
            events: events
                .into_iter()
                .map(|(pattern, group, endpoints)| {
                    let first = endpoints.first().map(|e| (&e.def.name, &e.def.options));
                    let strategy = first
                        .and_then(|(owner, o)| {
                            own_strategy(owner, &o.strategy, &o.strategy_options)
                        })
                        .unwrap_or_else(|| default_strategy.fresh());
                    Arc::new(EventList::new(pattern, Some(group), endpoints, strategy))
                })
                .collect(),
            event_cache: RwLock::new(HashMap::default()),
        }
    }

    /// The endpoint lists whose pattern matches `event`.
    pub(crate) fn event_lists(&self, event: &str) -> Arc<[Arc<EventList>]> {
        if let Some(hit) = self.event_cache.read().get(event) {
            return hit.clone();
        }
        let found: Arc<[Arc<EventList>]> = self
            .events
            .iter()
            .filter(|l| pattern::matches(event, &l.name))
            .cloned()
            .collect();
        let mut cache = self.event_cache.write();
        if cache.len() >= EVENT_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(event.into(), found.clone());
        found
    }

    /// Whether a service with this full name is available on some node.
    pub(crate) fn has_service(&self, full_name: &str) -> bool {
        self.services
            .iter()
            .any(|s| &*s.info.full_name == full_name)
    }
}

/// The strategy an action's or event handler's definition asks for (`strategy`,
/// `strategyOptions`); `None` when it names none, or (another node's) one that does not exist
/// (logged; a local definition's is checked when its service is added).
fn own_strategy(
    owner: &str,
    strategy: &Option<String>,
    options: &Option<serde_json::Map<String, serde_json::Value>>,
) -> Option<Strategy> {
    let name = strategy.as_deref()?;
    let options = options.clone().unwrap_or_default();
    Strategy::from_name(name, &options)
        .inspect_err(|err| {
            tracing::warn!(owner, error = %err, "bad strategy, using the registry's");
        })
        .ok()
}

/// The registry: services of every node, and the catalog built from them.
pub(crate) struct Registry {
    pub(crate) prefer_local: bool,
    /// The remote nodes.
    pub(crate) nodes: NodeCatalog,
    catalog: ArcSwap<Catalog>,
    services: Mutex<Vec<ServiceEntry>>,
    availability: Mutex<Availability>,
    changed: watch::Sender<u64>,
    /// The broker's strategy (`registry.strategy`), copied fresh into every list.
    default_strategy: Strategy,
    /// Ping round-trips per host, kept when some list uses the `Latency` strategy.
    pub(crate) latency: Option<LatencyStore>,
    /// The local node's CPU usage (f64 bits; NaN before the first sample).
    local_cpu: std::sync::atomic::AtomicU64,
    local_node_id: Arc<str>,
    /// The local node, as INFO and `$node.list` describe it.
    local_node: NodeInfo,
    /// The local node's INFO sequence number: bumped when its services change.
    local_seq: std::sync::atomic::AtomicU64,
    /// Where the registry's clock (`lastHeartbeatTime`, in seconds) starts.
    started_at: std::time::Instant,
    /// The `moleculer.registry.*` gauges, when metrics are on.
    metrics: Option<RegistryMetrics>,
}

impl Registry {
    pub(crate) fn new(
        prefer_local: bool,
        default_strategy: Strategy,
        local_node: NodeInfo,
        metrics: Option<RegistryMetrics>,
    ) -> Registry {
        let latency = default_strategy
            .latency_options()
            .map(|o| LatencyStore::new(o.collect_count));
        let registry = Registry {
            prefer_local,
            nodes: NodeCatalog::default(),
            catalog: ArcSwap::from_pointee(Catalog::build(&[], &HashMap::new(), &default_strategy)),
            default_strategy,
            latency,
            local_cpu: std::sync::atomic::AtomicU64::new(f64::NAN.to_bits()),
            local_node_id: Arc::from(local_node.id.as_str()),
            local_seq: std::sync::atomic::AtomicU64::new(local_node.seq),
            local_node,
            started_at: std::time::Instant::now(),
            services: Mutex::new(Vec::new()),
            availability: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
            metrics,
        };
        registry.update_metrics();
        registry
    }

    /// The current catalog.
    pub(crate) fn catalog(&self) -> arc_swap::Guard<Arc<Catalog>> {
        self.catalog.load()
    }

    /// A full snapshot (for listings).
    pub(crate) fn snapshot(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Subscribes to registry changes (for `waitForServices`).
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Registers a service of a node.
    pub(crate) fn register(&self, entry: ServiceEntry) {
        let mut services = self.services.lock();
        services.push(entry);
        self.rebuild(&services);
    }

    /// Removes a service of a node.
    pub(crate) fn unregister(&self, node_id: &str, full_name: &str) -> bool {
        let mut services = self.services.lock();
        let before = services.len();
        services.retain(|s| !(&*s.node_id == node_id && &*s.info.full_name == full_name));
        let removed = services.len() != before;
        if removed {
            self.rebuild(&services);
        }
        removed
    }

    /// Replaces every service of a remote node (its INFO arrived).
    pub(crate) fn replace_node_services(&self, node_id: &str, entries: Vec<ServiceEntry>) {
        let mut services = self.services.lock();
        services.retain(|s| &*s.node_id != node_id);
        services.extend(entries);
        self.rebuild(&services);
    }

    /// Removes every service of a remote node; whether it had any.
    pub(crate) fn remove_node_services(&self, node_id: &str) -> bool {
        let mut services = self.services.lock();
        let before = services.len();
        services.retain(|s| &*s.node_id != node_id);
        let removed = services.len() != before;
        if removed {
            self.rebuild(&services);
        }
        removed
    }

    /// The availability flag of an action on a node, which the balancer reads; shared with
    /// the current endpoint and kept for the endpoints of later catalogs.
    pub(crate) fn availability(&self, node_id: &Arc<str>, action: &Arc<str>) -> Arc<AtomicBool> {
        let mut availability = self.availability.lock();
        availability
            .entry((node_id.clone(), action.clone()))
            .or_insert_with(|| {
                self.catalog
                    .load()
                    .actions
                    .get(action)
                    .and_then(|list| list.on_node(node_id))
                    .map_or_else(
                        || Arc::new(AtomicBool::new(true)),
                        |ep| ep.available.clone(),
                    )
            })
            .clone()
    }

    fn rebuild(&self, services: &[ServiceEntry]) {
        let availability = self.availability.lock();
        self.catalog.store(Arc::new(Catalog::build(
            services,
            &availability,
            &self.default_strategy,
        )));
        drop(availability);
        self.update_metrics();
        self.changed.send_modify(|n| *n += 1);
    }

    /// Sets the `moleculer.registry.*` gauges to what the registry holds now (Node's
    /// `updateMetrics`): after every change of the services, and when a node connects or
    /// leaves.
    pub(crate) fn update_metrics(&self) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        metrics.update(|| {
            let catalog = self.catalog.load();
            let (nodes, online) = self.nodes.counts();
            let mut services: Vec<(Arc<str>, usize)> = Vec::new();
            for entry in &catalog.services {
                let name = &entry.info.full_name;
                match services.iter_mut().find(|(n, _)| n == name) {
                    Some((_, count)) => *count += 1,
                    None => services.push((name.clone(), 1)),
                }
            }
            let mut actions: Vec<(Arc<str>, usize)> = catalog
                .actions
                .iter()
                .map(|(name, list)| (name.clone(), list.endpoints.len()))
                .collect();
            actions.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let events = catalog
                .events
                .iter()
                .map(|list| {
                    let group = list.group.clone().unwrap_or_else(|| Arc::from(""));
                    (list.name.clone(), group, list.endpoints.len())
                })
                .collect();
            // The local node is in Node's node catalog, and always online.
            RegistryCounts {
                nodes: nodes + 1,
                online: online + 1,
                services,
                actions,
                events,
            }
        });
    }
}

impl Registry {
    /// How often the Latency strategy pings, when it is the registry's strategy.
    pub(crate) fn latency_ping_interval(&self) -> Option<std::time::Duration> {
        self.default_strategy
            .latency_options()
            .map(|o| o.ping_interval)
            .filter(|i| !i.is_zero())
    }

    /// The local node.
    pub(crate) fn local_node(&self) -> &NodeInfo {
        &self.local_node
    }

    /// The local node's INFO sequence number.
    pub(crate) fn local_seq(&self) -> u64 {
        self.local_seq.load(Ordering::Relaxed)
    }

    /// Sets the local node's INFO sequence number (gossip outbids a peer that thinks this
    /// node is gone).
    pub(crate) fn set_local_seq(&self, seq: u64) {
        self.local_seq.store(seq, Ordering::Relaxed);
    }

    /// Bumps the local node's INFO sequence number (its services changed) and returns it.
    pub(crate) fn next_local_seq(&self) -> u64 {
        self.local_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Seconds since the registry was made: the clock of `lastHeartbeatTime`.
    pub(crate) fn clock(&self) -> u64 {
        self.uptime().as_secs()
    }

    /// How long the registry (the broker) has existed.
    pub(crate) fn uptime(&self) -> std::time::Duration {
        self.started_at.elapsed()
    }

    /// Records the local node's CPU usage (the heartbeat samples it).
    pub(crate) fn set_local_cpu(&self, cpu: f64) {
        self.local_cpu.store(cpu.to_bits(), Ordering::Relaxed);
    }
}

impl NodeStats for Registry {
    fn cpu(&self, node_id: &str) -> Option<f64> {
        if node_id == &*self.local_node_id {
            let cpu = f64::from_bits(self.local_cpu.load(Ordering::Relaxed));
            return (!cpu.is_nan()).then_some(cpu);
        }
        self.nodes.cpu(node_id)
    }

    fn latency_ms(&self, node_id: &str) -> Option<f64> {
        let store = self.latency.as_ref()?;
        if node_id == &*self.local_node_id {
            return Some(0.0);
        }
        store.average(&self.nodes.hostname(node_id)?)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let catalog = self.catalog.load();
        f.debug_struct("Registry")
            .field("services", &catalog.services.len())
            .field("actions", &catalog.actions.len())
            .field("events", &catalog.events.len())
            .finish()
    }
}
