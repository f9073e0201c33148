//! The client node: options from the config file and the environment with the flags over
//! them, then joining the cluster.

use std::path::PathBuf;
use std::time::Duration;

use moleculer::options::{
    PluginKind, PluginOption, ProtocolVersion, SerializerKind, default_node_id,
};
use moleculer::{BrokerOptions, Error, Result, ServiceBroker};
use serde_json::json;

use crate::{GlobalArgs, Protocol};

/// How long joining the cluster may take (the transporter retries unreachable servers).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The broker options: `moleculer.config.*` and the environment as a broker reads them, then
/// the flags. The node ID is never the config file's: that ID belongs to the project's own
/// node, which a client joining under it would push off the cluster.
pub(crate) fn options(args: &GlobalArgs) -> Result<BrokerOptions> {
    let local = args.transporter.as_deref().is_some_and(is_local);
    let mut options = if local {
        load_without_transporter_env()?
    } else {
        BrokerOptions::load()?
    };
    if let Some(namespace) = &args.namespace {
        options.namespace.clone_from(namespace);
    }
    options.node_id = Some(client_node_id(args.node_id.as_deref()));
    if let Some(protocol) = args.protocol {
        options.transit.protocol_version = match protocol {
            Protocol::V4 => ProtocolVersion::V4,
            Protocol::V5 => ProtocolVersion::V5,
        };
    }
    if let Some(name) = &args.serializer {
        let kind = SerializerKind::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = SerializerKind::ALL.iter().map(|(_, n)| *n).collect();
            Error::broker_options(
                format!(
                    "unknown serializer `{name}` (expected one of {})",
                    known.join(", ")
                ),
                Some(json!({ "serializer": name })),
            )
        })?;
        options.serializer = Some(PluginOption::Name(kind));
    }
    // `nodes`, `services`, `actions` and `events` ask this node's own `$node` service.
    options.internal_services = true;
    Ok(options)
}

/// This client's node ID: `--node-id` (or `NODEID`) when given and not empty, else
/// `mol-<hostname>-<pid>`.
pub(crate) fn client_node_id(given: Option<&str>) -> String {
    match given {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => format!("mol-{}", default_node_id()),
    }
}

/// A human-readable name of the transporter the options select, if any.
pub(crate) fn describe_transporter(options: &BrokerOptions) -> Option<String> {
    options.transporter.as_ref().map(|t| {
        t.url()
            .map_or_else(|| t.kind().name().to_owned(), str::to_owned)
    })
}

/// [`BrokerOptions::load`] ignoring `TRANSPORTER`, which may hold `none`, a value only this
/// client understands.
fn load_without_transporter_env() -> Result<BrokerOptions> {
    let explicit = std::env::var("MOLECULER_CONFIG")
        .ok()
        .filter(|f| !f.is_empty());
    let file = explicit.map(PathBuf::from).or_else(|| {
        ["moleculer.config.toml", "moleculer.config.json"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    let base = match file {
        Some(file) => BrokerOptions::from_file(file)?,
        None => BrokerOptions::default(),
    };
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k != "TRANSPORTER");
    Ok(base.from_env_overlay(vars)?)
}

/// Whether a `--transporter` value asks for no transporter at all.
fn is_local(transporter: &str) -> bool {
    ["none", "local"]
        .iter()
        .any(|name| transporter.eq_ignore_ascii_case(name))
}

/// The transporter when nothing configures one: `NATS_URL`, else the local NATS server.
fn default_transporter() -> String {
    std::env::var("NATS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned())
}

/// Builds the client broker and joins the cluster (DISCOVER sent, INFO collected for 500 ms).
pub(crate) async fn connect(args: &GlobalArgs) -> Result<ServiceBroker> {
    let mut options = options(args)?;
    let transporter = match args.transporter.as_deref() {
        Some(t) if is_local(t) => {
            options.transporter = None;
            None
        }
        Some(t) => Some(t.to_owned()),
        None if options.transporter.is_none() => Some(default_transporter()),
        None => None,
    };
    let mut builder = ServiceBroker::builder().options(options);
    if let Some(url) = &transporter {
        builder = builder.transporter_url(url);
    }
    let broker = builder.build()?;
    let transporter = describe_transporter(broker.options());
    if let Some(t) = &transporter {
        tracing::info!(node_id = broker.node_id(), transporter = %t, "joining the cluster");
    } else {
        tracing::info!("no transporter: only this client node is visible");
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, broker.start()).await {
        Ok(Ok(())) => Ok(broker),
        Ok(Err(err)) => Err(err),
        Err(_) => {
            let via = transporter.unwrap_or_default();
            Err(Error::broker_disconnected().with_data(json!({
                "transporter": via,
                "reason": format!("could not join the cluster within {} s", CONNECT_TIMEOUT.as_secs()),
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_id_is_the_given_one_else_mol_host_pid() {
        assert_eq!(client_node_id(Some("me")), "me");
        let own = format!("mol-{}", default_node_id());
        assert!(own.ends_with(&format!("-{}", std::process::id())), "{own}");
        assert_eq!(client_node_id(None), own);
        assert_eq!(client_node_id(Some("")), own, "an empty NODEID is no ID");
    }
}
