//! Logging through `tracing`, with a default subscriber for binaries.
//!
//! The broker logs with `tracing` under `moleculer::…` targets. Libraries should leave the
//! subscriber to the application; binaries can call [`init`], [`init_from`], or set the
//! `logger: true` option, which makes [`build`](crate::BrokerBuilder::build) call
//! [`init_from`].
//!
//! Moleculer's `logLevel` applies as in Node, by module: the broker's own logs belong to
//! Node's modules (`BROKER`, `TRANSIT`, `TRANSPORTER`, `REGISTRY`, `SERIALIZER`, `METRICS`), any other
//! log to its target upper-cased with `::` as `.` (`my_app::users` is `MY_APP.USERS`;
//! `tracing::info!(target: "greeter", …)` is `GREETER`). A per-module `logLevel` such as
//! `{"TRANSIT": "debug", "MY_APP.**": "info", "**": "warn"}` is looked up as Node does: the
//! module's own key, else the first pattern that matches it (other than `"**"`), else `"**"`;
//! a module matched by none, or set to `false`, logs nothing. `fatal` logs as `error`.

use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;

use crate::options::{BrokerOptions, LogLevel, LogLevelOption, LoggerOption};
use crate::registry::pattern;

/// Installs a formatted `tracing` subscriber for binaries. The level comes from `RUST_LOG`,
/// else `LOGLEVEL` (Moleculer Runner's variable: `fatal`, `error`, `warn`, `info`, `debug`,
/// `trace`), else `info`. Does nothing if a subscriber is already set.
pub fn init() {
    init_with("info");
}

/// Like [`init`], with another level when neither `RUST_LOG` nor `LOGLEVEL` is set.
pub fn init_with(default_level: &str) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("LOGLEVEL").ok().map(|l| level_directive(&l)))
        .unwrap_or_else(|| level_directive(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}

/// Installs the console logger with the options' `logLevel` (global or per module, see the
/// module docs; the console logger's own `level` wins over it), with colours unless `logger`
/// says `colors: false`. `RUST_LOG`, when set, replaces the level with its own directives.
/// Does nothing if a subscriber is already set.
pub fn init_from(options: &BrokerOptions) {
    match &options.logger {
        LoggerOption::Console { colors, level } => {
            install(level.as_ref().unwrap_or(&options.log_level), *colors);
        }
        _ => install(&options.log_level, true),
    }
}

/// [`init_from`] with a level and the colour setting.
pub(crate) fn install(level: &LogLevelOption, colors: bool) {
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(colors)
        .with_target(false);
    let installed = match std::env::var("RUST_LOG") {
        Ok(directives) => tracing_subscriber::registry()
            .with(fmt.with_filter(tracing_subscriber::EnvFilter::new(directives)))
            .try_init(),
        Err(_) => {
            let level = level.clone();
            let filter = filter_fn(move |meta| {
                module_level(&level, &module_of(meta.target()))
                    .is_some_and(|max| *meta.level() <= tracing_level(max))
            });
            tracing_subscriber::registry()
                .with(fmt.with_filter(filter))
                .try_init()
        }
    };
    if installed.is_err() {
        tracing::debug!(
            "a tracing subscriber is already set: the broker's logger is not installed"
        );
    }
}

/// The Moleculer module a log target belongs to (see the module docs).
pub(crate) fn module_of(target: &str) -> String {
    let Some(rest) = target
        .strip_prefix("moleculer::")
        .or_else(|| (target == "moleculer").then_some(""))
    else {
        return target.replace("::", ".").to_uppercase();
    };
    let module = match rest.split("::").next().unwrap_or_default() {
        "transit" | "protocol" => "TRANSIT",
        "transporter" => "TRANSPORTER",
        "registry" => "REGISTRY",
        "serializer" => "SERIALIZER",
        "metrics" => "METRICS",
        _ => "BROKER",
    };
    module.to_owned()
}

/// The level of `module` under `logLevel`, Node's `getLogLevel`: `None` logs nothing.
pub(crate) fn module_level(level: &LogLevelOption, module: &str) -> Option<LogLevel> {
    let levels = match level {
        LogLevelOption::Global(level) => return Some(*level),
        LogLevelOption::PerModule(levels) => levels,
    };
    let key_of = |key: &str| key.to_uppercase();
    levels
        .iter()
        .find(|(key, _)| key_of(key) == module)
        .or_else(|| {
            levels
                .iter()
                .find(|(key, _)| key != "**" && pattern::matches(module, &key_of(key)))
        })
        .or_else(|| levels.iter().find(|(key, _)| key == "**"))
        .and_then(|(_, level)| *level)
}

fn tracing_level(level: LogLevel) -> Level {
    match level {
        LogLevel::Fatal | LogLevel::Error => Level::ERROR,
        LogLevel::Warn => Level::WARN,
        LogLevel::Info => Level::INFO,
        LogLevel::Debug => Level::DEBUG,
        LogLevel::Trace => Level::TRACE,
    }
}

/// Maps a Moleculer level name onto a `tracing` filter directive.
pub fn level_directive(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "fatal" | "error" => "error",
        "warn" => "warn",
        "debug" => "debug",
        "trace" => "trace",
        _ => "info",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_module(pairs: &[(&str, Option<LogLevel>)]) -> LogLevelOption {
        LogLevelOption::PerModule(pairs.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect())
    }

    #[test]
    fn targets_map_to_node_modules() {
        assert_eq!(module_of("moleculer::transit::discovery"), "TRANSIT");
        assert_eq!(module_of("moleculer::transporter::tcp"), "TRANSPORTER");
        assert_eq!(module_of("moleculer::registry"), "REGISTRY");
        assert_eq!(module_of("moleculer::broker::lifecycle"), "BROKER");
        assert_eq!(module_of("moleculer"), "BROKER");
        assert_eq!(module_of("moleculer::metrics::reporters"), "METRICS");
        assert_eq!(module_of("my_app::users"), "MY_APP.USERS");
        assert_eq!(module_of("greeter"), "GREETER");
        assert_eq!(module_of("moleculer_extra::x"), "MOLECULER_EXTRA.X");
    }

    #[test]
    fn per_module_levels_are_looked_up_as_node_does() {
        use LogLevel::*;
        let levels = per_module(&[
            ("TRANSIT", Some(Debug)),
            ("my.**", Some(Trace)),
            ("GREETER", None),
            ("**", Some(Warn)),
        ]);
        assert_eq!(module_level(&levels, "TRANSIT"), Some(Debug));
        assert_eq!(module_level(&levels, "MY.USERS"), Some(Trace));
        assert_eq!(module_level(&levels, "MY.USERS.DEEP"), Some(Trace));
        assert_eq!(module_level(&levels, "GREETER"), None);
        assert_eq!(module_level(&levels, "BROKER"), Some(Warn));
        let no_fallback = per_module(&[("TRANSIT", Some(Info))]);
        assert_eq!(module_level(&no_fallback, "BROKER"), None);
        assert_eq!(
            module_level(&LogLevelOption::Global(Error), "ANY"),
            Some(Error)
        );
    }

    #[test]
    fn fatal_logs_as_error() {
        assert_eq!(tracing_level(LogLevel::Fatal), Level::ERROR);
        assert!(Level::WARN > tracing_level(LogLevel::Error));
    }
}
