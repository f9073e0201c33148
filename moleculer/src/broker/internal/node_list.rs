//! `$node.list`, shaped as Node's `NodeCatalog.list`: Node's `Node` objects without
//! `rawInfo`.

use serde_json::{Map, Value};

use super::super::ServiceBroker;
use super::params::Flags;
use crate::registry::{Catalog, NodeStats, ServiceEntry};

/// `$node.list`: every node, the local one first, each shaped like Node's `Node` object
/// without `rawInfo` (and without `services` unless `withServices`).
pub(super) fn list(broker: &ServiceBroker, flags: Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let mut out = vec![local_node(broker, &catalog, flags)];
    let uptime = broker.inner.registry.uptime().as_secs_f64();
    for remote in broker.inner.registry.nodes.list() {
        if flags.only_available && !remote.info.available {
            continue;
        }
        let mut item = remote.info.to_json(remote.last_heartbeat);
        let raw = remote.raw.as_deref();
        // Node's `port` is what the INFO said: no key at all when it said nothing (only TCP
        // gossip and discovery carry it).
        if remote.info.port.is_none()
            && let Value::Object(fields) = &mut item
        {
            fields.shift_remove("port");
        }
        // Node keeps what the node's INFO said (`payload.config || {}`).
        if let Some(config) = raw.map(|i| &i.config).filter(|c| c.is_object()) {
            item["config"] = config.clone();
        }
        // Node's `offlineSince`: its uptime, in whole seconds, when the node went offline.
        item["offlineSince"] = remote.offline_since.map_or(Value::Null, |since| {
            Value::from((uptime - since.elapsed().as_secs_f64()).max(0.0).round() as u64)
        });
        if flags.with_services {
            // A node's `services` is its last INFO's list; kept while it is offline.
            let services = raw.map_or_else(Vec::new, |i| i.services.clone());
            item = with_services(item, Value::Array(services));
        }
        out.push(item);
    }
    Value::Array(out)
}

/// The local node's item. Node creates it once and never refreshes its
/// `lastHeartbeatTime`: 0 here, the broker's uptime when it was made.
fn local_node(broker: &ServiceBroker, catalog: &Catalog, flags: Flags) -> Value {
    let registry = &broker.inner.registry;
    let mut node = broker.inner.registry.local_node().clone();
    node.seq = broker.inner.registry.local_seq();
    node.port = broker.inner.transit.as_ref().and_then(|t| t.local_port());
    // Sampled at each heartbeat; Node counts the changes in `cpuSeq`, here it starts at 1.
    node.cpu = registry.cpu(&node.id);
    node.cpu_seq = u64::from(node.cpu.is_some());
    let item = node.to_json(0);
    if !flags.with_services {
        return item;
    }
    // Node puts its live registry objects here (which refer back to the node, so no remote
    // caller can have them); this is the list in INFO form, as every other node sees it.
    let services = catalog
        .services
        .iter()
        .filter(|svc| svc.local)
        .map(ServiceEntry::to_info_json)
        .collect();
    with_services(item, Value::Array(services))
}

/// Inserts `services` where Node's `Node` object has it: after `udpAddress`.
fn with_services(item: Value, services: Value) -> Value {
    let Value::Object(fields) = item else {
        return item;
    };
    let mut out = Map::new();
    let mut services = Some(services);
    for (key, value) in fields {
        let after = key == "udpAddress";
        out.insert(key, value);
        if after && let Some(services) = services.take() {
            out.insert("services".into(), services);
        }
    }
    if let Some(services) = services {
        out.insert("services".into(), services);
    }
    Value::Object(out)
}
