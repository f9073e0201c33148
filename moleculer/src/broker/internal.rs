//! The `$node` internal service (Node's `src/internals.js`): `list`, `services`, `actions`,
//! `events`, `health`, `options` and `metrics`, with Node's params and, key for key, Node's
//! output shapes.

pub(crate) mod clock;
mod health;
pub(crate) mod host;
mod lists;
mod node_list;
mod options;
mod params;
mod raw_info;

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::service::{ActionSpec, BoxFuture, ServiceDef, ServiceSpec};
use params::{Flags, ParamsRule};

/// The `$node` service.
#[derive(Debug, Default)]
pub(crate) struct NodeService;

type Handler = fn(Arc<NodeService>, Context<Value>) -> BoxFuture<'static, Result<Payload>>;

/// One `$node` action, published as Node publishes it: `{cache: false, tracing: false,
/// params?, rawName, name}`.
fn action(name: &str, handler: Handler) -> ActionSpec<NodeService> {
    let spec = ActionSpec::new(name, handler)
        .extra("cache", Value::Bool(false))
        .extra("tracing", Value::Bool(false));
    match params::schema(name) {
        Some(schema) => spec.extra("params", schema),
        None => spec,
    }
}

/// The compiled params rule of `$node.<name>`, built on first use.
fn rule(name: &'static str) -> &'static ParamsRule {
    static RULES: OnceLock<Vec<(&'static str, ParamsRule)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        ["list", "services", "actions", "events", "metrics"]
            .into_iter()
            .filter_map(|n| Some((n, ParamsRule::of(n)?)))
            .collect()
    });
    rules
        .iter()
        .find_map(|(n, r)| (*n == name).then_some(r))
        .unwrap_or_else(|| panic!("`$node.{name}` has no params rule"))
}

/// A listing action: its params validated into flags, then `list(broker, flags)`.
fn listing(
    ctx: Context<Value>,
    name: &'static str,
    list: fn(&super::ServiceBroker, Flags) -> Value,
) -> BoxFuture<'static, Result<Payload>> {
    Box::pin(async move {
        let broker = ctx.broker();
        let flags = rule(name).flags(ctx.params.clone(), broker.node_id())?;
        Ok(Payload::json(list(broker, flags)))
    })
}

impl ServiceDef for NodeService {
    fn spec() -> ServiceSpec<NodeService> {
        ServiceSpec::new("$node")
            .action(action("list", |_, ctx| {
                listing(ctx, "list", node_list::list)
            }))
            .action(action("services", |_, ctx| {
                listing(ctx, "services", lists::services)
            }))
            .action(action("actions", |_, ctx| {
                listing(ctx, "actions", lists::actions)
            }))
            .action(action("events", |_, ctx| {
                listing(ctx, "events", lists::events)
            }))
            .action(action("health", |_, ctx| {
                Box::pin(async move { Ok(Payload::json(health::health(ctx.broker()))) })
            }))
            .action(action("options", |_, ctx| {
                Box::pin(
                    async move { Ok(Payload::json(options::node_options(ctx.broker().options()))) },
                )
            }))
            .action(action("metrics", |_, ctx| {
                Box::pin(async move {
                    let mut params = ctx.params.clone();
                    let broker = ctx.broker();
                    rule("metrics").check(&mut params, broker.node_id())?;
                    if !broker.metrics().is_enabled() {
                        return Err(Error::client("Metrics feature is disabled")
                            .with_type("METRICS_DISABLED"));
                    }
                    let options = crate::metrics::ListOptions::from_json(&params)?;
                    Ok(Payload::json(Value::Array(broker.metrics().list(&options))))
                })
            }))
    }
}

/// The host name, lowercased as Node's default nodeID uses it.
pub(crate) fn hostname() -> String {
    sysinfo::System::host_name().unwrap_or_else(|| "localhost".to_owned())
}

/// Node's `getIpList`: one IPv4 address per interface, interfaces in the system's order;
/// the external ones, or the loopback ones when there are none.
///
/// Node takes each interface's first IPv4 address; the interface's addresses come here as
/// a set, so the lowest stands for it.
pub(crate) fn ip_list() -> Vec<String> {
    let networks = sysinfo::Networks::new_with_refreshed_list();
    let mut interfaces: Vec<(u64, &String, std::net::Ipv4Addr)> = networks
        .iter()
        .filter_map(|(name, data)| {
            let first = data
                .ip_networks()
                .iter()
                .filter_map(|net| match net.addr {
                    std::net::IpAddr::V4(ip) => Some(ip),
                    std::net::IpAddr::V6(_) => None,
                })
                .min()?;
            Some((host::interface_index(name), name, first))
        })
        .collect();
    interfaces.sort();
    let (internal, external): (Vec<_>, Vec<_>) = interfaces
        .into_iter()
        .map(|(_, _, ip)| ip)
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
