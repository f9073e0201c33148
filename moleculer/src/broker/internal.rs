//! The `$node` internal service (Node's `src/internals.js`): `list`, `services`, `actions`,
//! `events`, `health` and `options`, with Node's params and output shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::ServiceBroker;
use crate::context::Context;
use crate::error::Result;
use crate::payload::Payload;
use crate::registry::Catalog;
use crate::service::{ActionSpec, BoxFuture, ServiceDef, ServiceSpec};

/// The `$node` service.
#[derive(Debug, Default)]
pub(crate) struct NodeService;

/// The boolean flags `$node` actions take; all default to false except `grouping`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Flags {
    with_services: bool,
    only_available: bool,
    only_local: bool,
    skip_internal: bool,
    with_actions: bool,
    with_events: bool,
    with_endpoints: bool,
    grouping: Option<bool>,
}

const BOOL: &str = r#"{"type":"boolean","optional":true,"convert":true}"#;

fn schema(keys: &[&str]) -> String {
    let fields: Vec<String> = keys.iter().map(|k| format!("\"{k}\":{BOOL}")).collect();
    format!("{{{}}}", fields.join(","))
}

type Handler = fn(Arc<NodeService>, Context<Flags>) -> BoxFuture<'static, Result<Payload>>;

fn action(name: &str, keys: &[&str], handler: Handler) -> ActionSpec<NodeService> {
    ActionSpec::with_schema(name, &schema(keys), handler)
        .extra("cache", Value::Bool(false))
        .extra("tracing", Value::Bool(false))
}

impl ServiceDef for NodeService {
    fn spec() -> ServiceSpec<NodeService> {
        ServiceSpec::new("$node")
            .action(action(
                "list",
                &["withServices", "onlyAvailable"],
                |_, ctx| {
                    Box::pin(async move { Ok(Payload::json(list(ctx.broker(), &ctx.params))) })
                },
            ))
            .action(action(
                "services",
                &[
                    "onlyLocal",
                    "skipInternal",
                    "withActions",
                    "withEvents",
                    "onlyAvailable",
                    "grouping",
                ],
                |_, ctx| {
                    Box::pin(async move { Ok(Payload::json(services(ctx.broker(), &ctx.params))) })
                },
            ))
            .action(action(
                "actions",
                &[
                    "onlyLocal",
                    "skipInternal",
                    "withEndpoints",
                    "onlyAvailable",
                ],
                |_, ctx| {
                    Box::pin(async move { Ok(Payload::json(actions(ctx.broker(), &ctx.params))) })
                },
            ))
            .action(action(
                "events",
                &[
                    "onlyLocal",
                    "skipInternal",
                    "withEndpoints",
                    "onlyAvailable",
                ],
                |_, ctx| {
                    Box::pin(async move { Ok(Payload::json(events(ctx.broker(), &ctx.params))) })
                },
            ))
            .action(action("health", &[], |_, ctx| {
                Box::pin(async move { Ok(Payload::json(health(ctx.broker()))) })
            }))
            .action(action("options", &[], |_, ctx| {
                Box::pin(async move { Ok(Payload::json(ctx.broker().options().to_safe_json())) })
            }))
    }
}

fn list(broker: &ServiceBroker, flags: &Flags) -> Value {
    let node = broker.inner.registry.local_node();
    let mut local = node.to_json(broker.uptime_secs());
    local["seq"] = Value::from(broker.inner.registry.local_seq());
    if let Some(port) = broker.inner.transit.as_ref().and_then(|t| t.local_port()) {
        local["port"] = Value::from(port);
    }
    let mut items = vec![(node.id.clone(), local)];
    for remote in broker.inner.registry.nodes.list() {
        if flags.only_available && !remote.info.available {
            continue;
        }
        items.push((
            remote.info.id.clone(),
            remote.info.to_json(remote.last_heartbeat),
        ));
    }
    if flags.with_services {
        let catalog = broker.inner.registry.snapshot();
        for (id, item) in &mut items {
            item["services"] = catalog
                .services
                .iter()
                .filter(|svc| &*svc.node_id == id.as_str())
                .map(crate::registry::ServiceEntry::to_info_json)
                .collect();
        }
    }
    Value::Array(items.into_iter().map(|(_, item)| item).collect())
}

fn services(broker: &ServiceBroker, flags: &Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let grouping = flags.grouping.unwrap_or(true);
    let mut out: Vec<Value> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for svc in &catalog.services {
        let info = &svc.info;
        if (flags.only_local && !svc.local) || (flags.skip_internal && info.name.starts_with('$')) {
            continue;
        }
        if grouping && let Some(&i) = index.get(&*info.full_name) {
            if let Some(nodes) = out[i]["nodes"].as_array_mut() {
                nodes.push(Value::from(&*svc.node_id));
            }
            continue;
        }
        let mut item = json!({
            "name": info.name,
            "version": info.version.as_ref().map(|v| v.to_json()),
            "fullName": &*info.full_name,
            "settings": info.public_settings(),
            "metadata": info.metadata,
            "local": svc.local,
            "available": true,
        });
        if grouping {
            item["nodes"] = json!([&*svc.node_id]);
        } else {
            item["nodeID"] = Value::from(&*svc.node_id);
        }
        if flags.with_actions {
            item["actions"] = svc.actions_json();
        }
        if flags.with_events {
            item["events"] = svc.events_json();
        }
        index.insert(info.full_name.to_string(), out.len());
        out.push(item);
    }
    Value::Array(out)
}

/// Action names in registration order.
fn ordered_actions(catalog: &Catalog) -> Vec<Arc<str>> {
    let mut seen = Vec::new();
    for svc in &catalog.services {
        for action in &svc.actions {
            if catalog.actions.contains_key(&action.def.name) && !seen.contains(&action.def.name) {
                seen.push(action.def.name.clone());
            }
        }
    }
    seen
}

fn actions(broker: &ServiceBroker, flags: &Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let mut out = Vec::new();
    for name in ordered_actions(&catalog) {
        let Some(list) = catalog.actions.get(&name) else {
            continue;
        };
        let has_local = list.endpoints.iter().any(|e| e.local);
        let available = list.has_available();
        if (flags.only_local && !has_local)
            || (flags.skip_internal && name.starts_with('$'))
            || (flags.only_available && !available)
        {
            continue;
        }
        let Some(first) = list.endpoints.first() else {
            continue;
        };
        let mut item = json!({
            "name": &*name,
            "count": list.endpoints.len(),
            "hasLocal": has_local,
            "available": available,
            "action": first.def.to_json(),
        });
        if flags.with_endpoints {
            item["endpoints"] = list
                .endpoints
                .iter()
                .map(|e| json!({ "nodeID": &*e.node_id, "state": e.is_available(), "available": e.is_available() }))
                .collect();
        }
        out.push(item);
    }
    Value::Array(out)
}

fn events(broker: &ServiceBroker, flags: &Flags) -> Value {
    let catalog = broker.inner.registry.snapshot();
    let mut out = Vec::new();
    for list in &catalog.events {
        let has_local = list.endpoints.iter().any(|e| e.local);
        if (flags.only_local && !has_local)
            || (flags.skip_internal && list.pattern.starts_with('$'))
        {
            continue;
        }
        let Some(first) = list.endpoints.first() else {
            continue;
        };
        let mut item = json!({
            "name": &*list.pattern,
            "group": &*list.group,
            "count": list.endpoints.len(),
            "hasLocal": has_local,
            "available": true,
            "event": first.def.to_json(),
        });
        if flags.with_endpoints {
            item["endpoints"] = list
                .endpoints
                .iter()
                .map(|e| json!({ "nodeID": &*e.node_id, "state": true, "available": true }))
                .collect();
        }
        out.push(item);
    }
    Value::Array(out)
}

fn health(broker: &ServiceBroker) -> Value {
    use sysinfo::System;
    let mut sys = System::new();
    sys.refresh_memory();
    sys.refresh_cpu_usage();
    let load = System::load_average();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (total, free) = (sys.total_memory(), sys.available_memory());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    json!({
        "cpu": {
            "load1": load.one, "load5": load.five, "load15": load.fifteen,
            "cores": cores,
            "utilization": (load.one / cores as f64 * 100.0).round().min(100.0),
        },
        "mem": {
            "free": free, "total": total,
            "percent": if total > 0 { free as f64 * 100.0 / total as f64 } else { 0.0 },
        },
        "os": {
            "uptime": System::uptime(),
            "type": System::name().unwrap_or_default(),
            "release": System::kernel_version().unwrap_or_default(),
            "hostname": hostname(),
            "arch": std::env::consts::ARCH,
            "platform": std::env::consts::OS,
            "user": std::env::var("USER").unwrap_or_default(),
        },
        "process": {
            "pid": std::process::id(),
            "memory": Value::Null,
            "uptime": broker.inner.registry.uptime().as_secs_f64(),
            "argv": std::env::args().collect::<Vec<_>>(),
        },
        "client": broker.inner.registry.local_node().client,
        "net": { "ip": ip_list() },
        "time": { "now": now, "iso": Value::Null, "utc": Value::Null },
    })
}

/// The host name, lowercased as Node's default nodeID uses it.
pub(crate) fn hostname() -> String {
    sysinfo::System::host_name().unwrap_or_else(|| "localhost".to_owned())
}

/// IPv4 addresses of the machine's interfaces: the external ones, or the loopback ones when
/// there are none.
pub(crate) fn ip_list() -> Vec<String> {
    let (internal, external): (Vec<_>, Vec<_>) = ipv4_interfaces()
        .into_iter()
        .map(|(ip, _)| ip)
        .partition(std::net::Ipv4Addr::is_loopback);
    let list = if external.is_empty() {
        internal
    } else {
        external
    };
    list.iter().map(ToString::to_string).collect()
}

/// The IPv4 address and prefix length of every interface, each address once.
pub(crate) fn ipv4_interfaces() -> Vec<(std::net::Ipv4Addr, u8)> {
    let networks = sysinfo::Networks::new_with_refreshed_list();
    let mut list = Vec::new();
    for (_, data) in &networks {
        for net in data.ip_networks() {
            if let std::net::IpAddr::V4(ip) = net.addr
                && !list.iter().any(|(known, _)| *known == ip)
            {
                list.push((ip, net.prefix));
            }
        }
    }
    list
}
