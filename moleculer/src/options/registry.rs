//! The `registry` section (reference §7).

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, join};
use super::plugin::{DiscovererKind, DiscovererOption, PluginOption, StrategyKind, StrategyOption};

/// `registry`: service registry, load balancing and discovery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct RegistryOptions {
    /// Load-balancing strategy: a name (case-insensitive `RoundRobin`, `Random`, `CpuUsage`,
    /// `Latency`, `Shard`) or `{type, options}`. Default `RoundRobin`.
    pub strategy: StrategyOption,
    /// Options for the strategy (`sampleCount`, `shardKey`, …), kept raw. Default `{}`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub strategy_options: Map<String, Value>,
    /// Whether a local endpoint is preferred over remote ones. Default `true`.
    pub prefer_local: bool,
    /// Milliseconds to wait after announcing a stop before leaving. Default `100` (the docs
    /// say 0; the source says 100).
    pub stop_delay: u64,
    /// Discoverer: `Local`, `Redis`, `Etcd3`, a `redis://`/`etcd3://` URL, or `{type, options}`.
    /// Default `Local`.
    pub discoverer: DiscovererOption,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            strategy: PluginOption::Name(StrategyKind::RoundRobin),
            strategy_options: Map::new(),
            prefer_local: true,
            stop_delay: 100,
            discoverer: PluginOption::Name(DiscovererKind::Local),
        }
    }
}

impl FromJson for RegistryOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            strategy: f.get("strategy", d.strategy)?,
            strategy_options: f.get("strategyOptions", d.strategy_options)?,
            prefer_local: f.get("preferLocal", d.prefer_local)?,
            stop_delay: f.get("stopDelay", d.stop_delay)?,
            discoverer: f.get("discoverer", d.discoverer)?,
        };
        if out.discoverer.kind() == DiscovererKind::Local
            && let Some(options) = out.discoverer.options()
        {
            check_local_discoverer(options, &join(&f.path_of("discoverer"), "options"))?;
        }
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(RegistryOptions, "registry");

/// The Local discoverer's `options` (Node's `discoverers/base.js`): only its keys, each of
/// the type the heartbeat timers read.
fn check_local_discoverer(options: &Map<String, Value>, path: &str) -> Result<(), OptionsError> {
    let mut f = Fields::of_map(options, path);
    f.get::<Option<f64>>("heartbeatInterval", None)?;
    f.get::<Option<f64>>("heartbeatTimeout", None)?;
    f.get::<Option<f64>>("cleanOfflineNodesTimeout", None)?;
    f.get::<Option<bool>>("disableHeartbeatChecks", None)?;
    f.get::<Option<bool>>("disableOfflineNodeRemoving", None)?;
    f.finish()
}
