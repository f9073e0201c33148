//! Discovery (Node's Local discoverer, `src/registry/discoverers/local.js` and `base.js`):
//! INFO in and out, DISCOVER, HEARTBEAT, offline detection and DISCONNECT.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Transit, limits, remote};
use crate::options::BrokerOptions;
use crate::protocol::{ClientInfo, Discover, Heartbeat, Info, Packet};
use crate::registry::{HeartbeatOutcome, InfoOutcome, ServiceEntry};

/// How often offline nodes are looked at for removal (Node: 60 s).
const OFFLINE_CHECK_EVERY: Duration = Duration::from_secs(60);

/// The heartbeat timers' settings: the broker's `heartbeatInterval`/`heartbeatTimeout`,
/// overridden by `registry.discoverer.options`.
#[derive(Debug, Clone)]
pub(crate) struct HeartbeatSettings {
    interval: Duration,
    timeout_secs: f64,
    checks: bool,
    remove_offline: bool,
    clean_after: Duration,
}

impl HeartbeatSettings {
    pub(crate) fn from_options(options: &BrokerOptions) -> HeartbeatSettings {
        let extra = options.registry.discoverer.options();
        let num = |key: &str, default: f64| {
            extra
                .and_then(|o| o.get(key))
                .and_then(Value::as_f64)
                .unwrap_or(default)
        };
        let flag = |key: &str| {
            extra
                .and_then(|o| o.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        HeartbeatSettings {
            interval: Duration::from_secs_f64(
                num("heartbeatInterval", options.heartbeat_interval).max(0.05),
            ),
            timeout_secs: num("heartbeatTimeout", options.heartbeat_timeout).max(0.1),
            checks: !flag("disableHeartbeatChecks"),
            remove_offline: !flag("disableOfflineNodeRemoving"),
            clean_after: Duration::from_secs_f64(num("cleanOfflineNodesTimeout", 600.0).max(0.0)),
        }
    }
}

impl Transit {
    /// The local node's INFO: every published local service, or none (and a new seq) while
    /// stopping.
    pub(super) fn local_info(&self, stopping: bool) -> Info {
        let registry = &self.registry;
        let (seq, services) = if stopping {
            (registry.next_local_seq(), Vec::new())
        } else {
            (registry.local_seq(), self.local_services_json())
        };
        let node = registry.local_node();
        Info {
            services,
            ip_list: node.ip_list.clone(),
            hostname: node.hostname.clone(),
            client: ClientInfo::rust(),
            config: Value::Object(Map::new()),
            instance_id: node.instance_id.clone(),
            metadata: Value::Object(node.metadata.clone()),
            seq,
            port: None,
        }
    }

    /// The local services as Node's `getLocalNodeServices` shapes them for INFO.
    fn local_services_json(&self) -> Vec<Value> {
        let catalog = self.registry.snapshot();
        catalog
            .services
            .iter()
            .filter(|s| s.local)
            .map(ServiceEntry::to_info_json)
            .collect()
    }
}

impl Transit {
    /// Broadcasts the local INFO (with gossip, peers ask for it instead).
    pub(crate) async fn broadcast_info(&self) {
        if self.gossip.is_some() {
            return;
        }
        let info = self.local_info(false);
        self.send_logged(Packet::Info(info), None).await;
        if self.balanced {
            self.resubscribe_balanced().await;
        }
    }

    /// A local service started or stopped: broadcast INFO once changes settle (Node's
    /// `serviceChangedDebounceTime`). Before the node is ready, the INFO of `ready` covers it.
    pub(crate) fn local_services_changed(self: &Arc<Self>) {
        if !self.is_ready() {
            return;
        }
        let generation = self.info_generation.fetch_add(1, Ordering::AcqRel) + 1;
        let transit = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(transit.info_debounce).await;
            if transit.is_ready() && transit.info_generation.load(Ordering::Acquire) == generation {
                transit.broadcast_info().await;
            }
        });
    }
}

/// An INFO from another node: update the node and (re)register its services.
pub(crate) fn info_received(transit: &Arc<Transit>, sender: String, info: Info) {
    if let Err(why) = limits::info_fits(&sender, &info) {
        if let Some(left_out) = transit.dropped_logs.allow() {
            tracing::warn!(node_id = %sender, why, left_out, "INFO dropped");
        }
        return;
    }
    let registry = &transit.registry;
    let (outcome, changed) = registry
        .nodes
        .process_info(&sender, &info, registry.clock());
    if changed {
        let entries = remote::service_entries(transit, &sender, &info.services);
        registry.replace_node_services(&sender, entries);
    }
    let node = registry
        .nodes
        .get(&sender)
        .map(|n| n.info.to_json(n.last_heartbeat));
    let node = node.unwrap_or(Value::Null);
    let mut events = vec![match outcome {
        InfoOutcome::Connected { reconnected } => {
            tracing::info!(node_id = %sender, reconnected, "node connected");
            (
                "$node.connected",
                json!({ "node": node, "reconnected": reconnected }),
            )
        }
        InfoOutcome::Updated => ("$node.updated", json!({ "node": node })),
    }];
    if changed {
        events.push(("$services.changed", json!({ "localService": false })));
    }
    transit.announce(events);
}

/// A DISCOVER: answer with our INFO, to the sender only.
pub(crate) fn discover_received(transit: &Arc<Transit>, sender: String) {
    if !transit.is_ready() || !transit.discover_answers.answer(&sender) {
        return;
    }
    let transit = transit.clone();
    tokio::spawn(async move {
        let info = transit.local_info(false);
        transit.send_logged(Packet::Info(info), Some(&sender)).await;
    });
}

/// A HEARTBEAT: note it, or ask an unknown or offline sender for its INFO.
pub(crate) fn heartbeat_received(transit: &Arc<Transit>, sender: String, heartbeat: Heartbeat) {
    let registry = &transit.registry;
    let outcome = registry
        .nodes
        .heartbeat(&sender, heartbeat.cpu, registry.clock());
    if outcome == HeartbeatOutcome::Discover {
        let transit = transit.clone();
        tokio::spawn(async move {
            transit
                .send_logged(Packet::Discover(Discover), Some(&sender))
                .await;
        });
    }
}

/// A node left (DISCONNECT) or stopped sending heartbeats (`unexpected`): drop its
/// services, fail the calls waiting on it, tell the local services.
pub(crate) fn node_disconnected(transit: &Transit, node_id: &str, unexpected: bool) {
    let registry = &transit.registry;
    let Some(node) = registry.nodes.disconnect(node_id) else {
        return;
    };
    let removed = registry.remove_node_services(node_id);
    if !removed {
        // Removing services updates the registry's metrics; the node count changed anyway.
        registry.update_metrics();
    }
    transit.pending.reject_node(node_id);
    // The Latency strategy forgets a host when its last node left, as Node's does.
    if let Some(latency) = &registry.latency
        && !registry.nodes.host_has_nodes(&node.hostname)
    {
        latency.remove_host(&node.hostname);
    }
    if unexpected {
        tracing::warn!(
            node_id,
            "node disconnected unexpectedly (heartbeat timeout)"
        );
    } else {
        tracing::info!(node_id, "node disconnected");
    }
    let node = node.to_json(registry.clock());
    let mut events = vec![(
        "$node.disconnected",
        json!({ "node": node, "unexpected": unexpected }),
    )];
    if removed {
        events.push(("$services.changed", json!({ "localService": false })));
    }
    transit.announce(events);
}

impl Transit {
    /// Emits local events, in order, on a task of their own (their handlers may take time;
    /// the caller is the transporter's receiving task).
    pub(super) fn announce(&self, events: Vec<(&'static str, Value)>) {
        let Some(broker) = self.broker.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            for (event, payload) in events {
                if let Err(err) = broker.broadcast_local(event, payload).await {
                    tracing::warn!(event, error = %err, "local event handler failed");
                }
            }
        });
    }
}

/// The heartbeat sender, the remote-node check and the offline-node cleanup, on one task.
pub(crate) fn spawn_timers(transit: Weak<Transit>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(settings) = transit.upgrade().map(|t| t.heartbeat.clone()) else {
            return;
        };
        let mut cpu = CpuMeter::new();
        let check_every = Duration::from_secs_f64(settings.timeout_secs);
        let mut next_beat = tokio::time::Instant::now() + jitter(settings.interval);
        let mut next_check = tokio::time::Instant::now() + check_every;
        let mut next_clean = tokio::time::Instant::now() + OFFLINE_CHECK_EVERY;
        loop {
            let wake = next_beat.min(next_check).min(next_clean);
            tokio::time::sleep_until(wake).await;
            let Some(transit) = transit.upgrade() else {
                return;
            };
            let registry = &transit.registry;
            let now = tokio::time::Instant::now();
            if now >= next_beat {
                next_beat = now + jitter(settings.interval);
                let heartbeat = Heartbeat { cpu: cpu.sample() };
                registry.set_local_cpu(heartbeat.cpu);
                if transit.is_ready() {
                    transit
                        .send_logged(Packet::Heartbeat(heartbeat), None)
                        .await;
                }
            }
            if now >= next_check {
                next_check = now + check_every;
                if settings.checks {
                    let timeout = settings.timeout_secs.ceil() as u64;
                    for node_id in registry.nodes.timed_out(registry.clock(), timeout) {
                        node_disconnected(&transit, &node_id, true);
                    }
                }
            }
            if now >= next_clean {
                next_clean = now + OFFLINE_CHECK_EVERY;
                if settings.remove_offline {
                    for node_id in registry.nodes.remove_offline(settings.clean_after) {
                        tracing::info!(node_id, "offline node removed from the registry");
                    }
                }
            }
        }
    })
}

/// `interval ± 500 ms` (never below a tenth of the interval), as Node spreads heartbeats.
fn jitter(interval: Duration) -> Duration {
    let offset = fastrand::i64(-500..=500);
    let ms = interval.as_millis() as i64 + offset;
    Duration::from_millis(ms.max(interval.as_millis() as i64 / 10).max(1) as u64)
}

/// The machine's CPU usage between two samples, rounded to a whole percent as Node sends it.
pub(super) struct CpuMeter {
    system: sysinfo::System,
}

impl CpuMeter {
    pub(super) fn new() -> CpuMeter {
        let mut system = sysinfo::System::new();
        system.refresh_cpu_usage();
        CpuMeter { system }
    }

    pub(super) fn sample(&mut self) -> f64 {
        self.system.refresh_cpu_usage();
        f64::from(self.system.global_cpu_usage())
            .round()
            .clamp(0.0, 100.0)
    }
}
