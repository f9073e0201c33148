//! `$node.services`, `$node.actions` and `$node.events`, shaped as Node's
//! `ServiceCatalog.list`, `ActionCatalog.list` and `EventCatalog.list`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::super::ServiceBroker;
use super::params::Flags;
use super::raw_info::RawInfos;
use crate::options::ProtocolVersion;
use crate::registry::Catalog;

/// Whether a node is online (the local one always is).
fn node_available(broker: &ServiceBroker, node_id: &str) -> bool {
    node_id == broker.node_id()
        || broker
            .inner
            .registry
            .nodes
            .get(node_id)
            .is_some_and(|n| n.info.available)
}

/// `$node.services`. With `grouping`, one item per service name listing its nodes; 0.15
/// (protocol v5) also adds the actions and events that later nodes have and the first lacks.
pub(super) fn services(broker: &ServiceBroker, flags: Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let merge = broker.options().transit.protocol_version == ProtocolVersion::V5;
    let mut raw = RawInfos::new(broker);
    let mut out: Vec<Map<String, Value>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for svc in &catalog.services {
        let info = &svc.info;
        let available = node_available(broker, &svc.node_id);
        if (flags.skip_internal && info.name.starts_with('$'))
            || (flags.only_local && !svc.local)
            || (flags.only_available && !available)
        {
            continue;
        }
        if flags.grouping
            && let Some(&i) = index.get(&*info.full_name)
        {
            let item = &mut out[i];
            if let Some(nodes) = item.get_mut("nodes").and_then(Value::as_array_mut)
                && !nodes.iter().any(|n| n.as_str() == Some(&*svc.node_id))
            {
                nodes.push(Value::from(&*svc.node_id));
            }
            if merge {
                merge_missing(item, "actions", flags.with_actions, raw.actions(svc));
                merge_missing(item, "events", flags.with_events, raw.events(svc));
            }
            continue;
        }
        let mut item = Map::new();
        item.insert("name".into(), Value::from(info.name.clone()));
        // Node's `version` is undefined for a service without one: no key at all.
        if let Some(version) = &info.version {
            item.insert("version".into(), version.to_json());
        }
        item.insert("fullName".into(), Value::from(&*info.full_name));
        let settings = if svc.local {
            info.public_settings()
        } else {
            info.settings.clone()
        };
        item.insert("settings".into(), Value::Object(settings));
        item.insert("metadata".into(), Value::Object(info.metadata.clone()));
        item.insert("local".into(), Value::Bool(svc.local));
        item.insert("available".into(), Value::Bool(available));
        if flags.grouping {
            item.insert("nodes".into(), json!([&*svc.node_id]));
        } else {
            item.insert("nodeID".into(), Value::from(&*svc.node_id));
        }
        if flags.with_actions {
            item.insert("actions".into(), object(raw.actions(svc)));
        }
        if flags.with_events {
            item.insert("events".into(), object(raw.events(svc)));
        }
        index.insert(&info.full_name, out.len());
        out.push(item);
    }
    Value::Array(out.into_iter().map(Value::Object).collect())
}

fn object(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect())
}

/// Adds to `item[key]` (when listed) the entries it does not have yet.
fn merge_missing(
    item: &mut Map<String, Value>,
    key: &str,
    listed: bool,
    entries: Vec<(String, Value)>,
) {
    if !listed {
        return;
    }
    if let Some(Value::Object(known)) = item.get_mut(key) {
        for (name, def) in entries {
            known.entry(name).or_insert(def);
        }
    }
}

/// Action names in the order they were first registered (Node's catalog is a `Map`).
fn ordered_actions(catalog: &Catalog) -> Vec<Arc<str>> {
    let mut seen: Vec<Arc<str>> = Vec::new();
    for svc in &catalog.services {
        for action in &svc.actions {
            let name = &action.def.name;
            if catalog.actions.contains_key(name) && !seen.contains(name) {
                seen.push(name.clone());
            }
        }
    }
    seen
}

/// `$node.actions`: one item per action name, with the first endpoint's definition.
pub(super) fn actions(broker: &ServiceBroker, flags: Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let mut raw = RawInfos::new(broker);
    let mut out = Vec::new();
    for name in ordered_actions(&catalog) {
        let Some(list) = catalog.actions.get(&name) else {
            continue;
        };
        let has_local = list.endpoints.iter().any(|e| e.local);
        // The registry holds the endpoints of online nodes only: an endpoint is available
        // when its circuit is not open.
        let available = list.has_available();
        if (flags.skip_internal && name.starts_with('$'))
            || (flags.only_local && !has_local)
            || (flags.only_available && !available)
        {
            continue;
        }
        let mut item = Map::new();
        item.insert("name".into(), Value::from(&*name));
        item.insert("count".into(), Value::from(list.endpoints.len()));
        item.insert("hasLocal".into(), Value::Bool(has_local));
        item.insert("available".into(), Value::Bool(available));
        if let Some(first) = list.endpoints.first() {
            let def = raw.action(
                &first.node_id,
                first.local,
                &first.service.full_name,
                &first.def,
            );
            item.insert("action".into(), def);
        }
        if flags.with_endpoints && !list.endpoints.is_empty() {
            let endpoints = list
                .endpoints
                .iter()
                .map(|e| {
                    json!({
                        "nodeID": &*e.node_id,
                        "state": e.is_available(),
                        "available": node_available(broker, &e.node_id),
                    })
                })
                .collect();
            item.insert("endpoints".into(), Value::Array(endpoints));
        }
        out.push(Value::Object(item));
    }
    Value::Array(out)
}

/// `$node.events`: one item per `(event, group)`, with the first endpoint's definition.
pub(super) fn events(broker: &ServiceBroker, flags: Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let mut raw = RawInfos::new(broker);
    let mut out = Vec::new();
    for list in &catalog.events {
        let has_local = list.endpoints.iter().any(|e| e.local);
        let available = list
            .endpoints
            .iter()
            .any(|e| node_available(broker, &e.node_id));
        if (flags.skip_internal && list.name.starts_with('$'))
            || (flags.only_local && !has_local)
            || (flags.only_available && !available)
        {
            continue;
        }
        let mut item = Map::new();
        item.insert("name".into(), Value::from(&*list.name));
        item.insert("group".into(), Value::from(list.group()));
        item.insert("count".into(), Value::from(list.endpoints.len()));
        item.insert("hasLocal".into(), Value::Bool(has_local));
        item.insert("available".into(), Value::Bool(available));
        if let Some(first) = list.endpoints.first() {
            let def = raw.event(
                &first.node_id,
                first.local,
                &first.service.full_name,
                &first.def,
            );
            item.insert("event".into(), def);
        }
        if flags.with_endpoints && !list.endpoints.is_empty() {
            let endpoints = list
                .endpoints
                .iter()
                .map(|e| {
                    let available = node_available(broker, &e.node_id);
                    json!({ "nodeID": &*e.node_id, "state": true, "available": available })
                })
                .collect();
            item.insert("endpoints".into(), Value::Array(endpoints));
        }
        out.push(Value::Object(item));
    }
    Value::Array(out)
}
