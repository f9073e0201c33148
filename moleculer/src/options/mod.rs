//! Broker options: Moleculer's `ServiceBroker` options with Node's names and source
//! defaults, loaded from `moleculer.config.json` / `.toml` and environment variables the
//! way moleculer-runner does.
//!
//! ```ignore
//! let options = BrokerOptions::load()?; // MOLECULER_CONFIG or ./moleculer.config.*, then env
//! ```

mod broker;
mod env;
mod error;
mod fault;
mod feature;
pub(crate) mod json;
mod load;
mod log_level;
mod logger;
mod plugin;
mod registry;
mod safe;
mod suggest;
mod support;
mod transit;

#[cfg(test)]
mod tests;

pub use broker::{BrokerOptions, default_node_id};
pub use error::OptionsError;
pub use fault::{BulkheadOptions, CircuitBreakerOptions, RetryPolicyOptions, TrackingOptions};
pub use feature::FeatureOptions;
pub use log_level::{LogLevel, LogLevelOption};
pub use logger::{
    FileLoggerOptions, FormattedOptions, Formatter, LoggerConfig, LoggerOption, ModuleColors,
};
pub use plugin::{
    DiscovererKind, DiscovererOption, PluginKind, PluginOption, SerializerKind, SerializerOption,
    StrategyKind, StrategyOption, TransporterKind, TransporterOption,
};
pub use registry::RegistryOptions;
pub(crate) use safe::truncated;
pub(crate) use suggest::closest;
pub use transit::{ProtocolVersion, TransitOptions};
