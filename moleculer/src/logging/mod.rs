//! Moleculer's loggers on `tracing`: Node's `Console` and `File` loggers with the
//! `Formatted` options, printing each record as Node 0.15 prints it.
//!
//! The broker logs with `tracing` under `moleculer::…` targets. Libraries should leave the
//! subscriber to the application; binaries set the `logger` option (see
//! [`LoggerOption`]), which makes
//! [`build`](crate::BrokerBuilder::build) install [`Loggers`] as the global subscriber, or
//! call [`init_from`], or add [`Loggers::layer`] to a subscriber of their own. [`init`] and
//! [`init_with`] install `tracing_subscriber`'s own format instead.
//!
//! # Records
//!
//! A `tracing` event is a record with Node's level names: `error`, `warn`, `info`, `debug`
//! and `trace` are `tracing`'s levels, and `fatal` is an `error` with the field
//! `fatal = true` (`tracing::error!(fatal = true, "cannot start")`). The message prints as
//! Node prints a logger's first argument; the other fields print after it as one object,
//! the way `util.inspect` prints `{ user: 5, name: 'x' }` (with `jsonext`, they become keys
//! of the JSON line).
//!
//! Each record has Node's bindings: the node's `nodeID` and `ns` (namespace), and `mod`, its
//! module. A record belongs to a service when it, or a span around it, has the fields `svc`
//! (the service's name) and `ver` (its version, a number or a string, if any): then `mod`
//! is the service's full name (`v2.math`), as for Node's `this.logger` in a service, and the
//! JSON formatters add `svc` and `ver`. [`service_span`] makes such a span for a handler:
//!
//! ```
//! # use moleculer::prelude::*;
//! use tracing::Instrument;
//!
//! # async fn handler(ctx: Context) -> Result<()> {
//! async {
//!     tracing::info!(user = 5, "login"); // [...] INFO  node-1/V2.MATH: login { user: 5 }
//! }
//! .instrument(moleculer::logging::service_span(ctx.service()))
//! .await;
//! # Ok(()) }
//! ```
//!
//! Any other record's module comes from its target: the broker's own logs belong to Node's
//! modules (`broker`, `transit`, `transporter`, `registry`, `serializer`, `metrics`,
//! `cacher`), any other log to its target with `::` as `.` (`my_app::users` is
//! `my_app.users`, printed `MY_APP.USERS`; `tracing::info!(target: "greeter", …)` is
//! `greeter`).
//!
//! # Levels
//!
//! Moleculer's `logLevel` (and a logger's own `level`) applies as in Node, by upper-case
//! module: a per-module level such as
//! `{"TRANSIT": "debug", "MY_APP.**": "info", "**": "warn"}` is looked up as Node does: the
//! module's own key, else the first pattern that matches it (other than `"**"`), else
//! `"**"`; a module matched by none, or set to `false`, logs nothing.
//!
//! # Differences from moleculerjs
//!
//! * Colours are decided per logger: in Node, one logger without colours (a file logger, a
//!   JSON formatter) turns them off for every logger of the process.
//! * `autoPadding` pads to the longest module that has logged so far; Node counts every
//!   module that has made a logger, even one that has not logged yet.
//! * `objectPrinter` and function formatters are JavaScript functions and are refused.
//! * The file logger writes on a thread of its own; with `interval: 0` each line is still
//!   written off the thread that logs it.

mod color;
mod file;
mod formatted;
mod inspect;
mod layer;
mod record;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use tracing::Level;
use tracing_subscriber::prelude::*;

pub(crate) use color::style_code;
pub use layer::Loggers;

use crate::error::Result;
use crate::options::{BrokerOptions, LogLevel, LogLevelOption, LoggerOption};
use crate::registry::pattern;
use crate::service::{ServiceInfo, Version};

/// The loggers installed as the global subscriber, for [`flush`].
static INSTALLED: OnceLock<Loggers> = OnceLock::new();

/// The node's bindings every record carries: Node's `nodeID` and `ns`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeBindings {
    /// The node's ID.
    pub node_id: String,
    /// The namespace (`""` for none).
    pub namespace: String,
}

impl NodeBindings {
    /// The bindings of the node `node_id` in `namespace`.
    pub fn new(node_id: impl Into<String>, namespace: impl Into<String>) -> NodeBindings {
        NodeBindings {
            node_id: node_id.into(),
            namespace: namespace.into(),
        }
    }

    /// `{nodeID}` and `{namespace}` in a file logger's folder and file name.
    pub(crate) fn value(&self, name: &str) -> Option<String> {
        match name {
            "nodeID" => Some(self.node_id.clone()),
            "namespace" => Some(self.namespace.clone()),
            _ => None,
        }
    }
}

/// A span whose records carry `service`'s bindings (`svc`, `ver`, and the module
/// `v2.math`), as Node's `this.logger` of a service. It is an `error`-level span so that no
/// level filter drops it; enter it, or `instrument` a future with it.
pub fn service_span(service: &ServiceInfo) -> tracing::Span {
    let span = tracing::error_span!(
        target: "moleculer::service",
        "service",
        svc = service.name.as_str(),
        ver = tracing::field::Empty
    );
    match &service.version {
        Some(Version::Number(n)) => {
            span.record("ver", n);
        }
        Some(Version::String(s)) => {
            span.record("ver", s.as_str());
        }
        None => {}
    }
    span
}

/// Installs a `tracing_subscriber::fmt` subscriber for binaries. The level comes from
/// `RUST_LOG`, else `LOGLEVEL` (Moleculer Runner's variable: `fatal`, `error`, `warn`,
/// `info`, `debug`, `trace`), else `info`. Does nothing if a subscriber is already set.
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

/// Installs the loggers of the options' `logger` (the console logger when it is `false`)
/// with their `logLevel`, for the options' node. `RUST_LOG`, when set, replaces the levels
/// with its own directives. Does nothing if a subscriber is already set; a file logger
/// whose folder cannot be made is reported on stderr (the broker's `build` returns it as an
/// error).
pub fn init_from(options: &BrokerOptions) {
    let console = LoggerOption::Console {
        colors: true,
        level: None,
    };
    let logger = match &options.logger {
        LoggerOption::Off => &console,
        logger => logger,
    };
    let node = NodeBindings::new(options.resolved_node_id(), options.namespace.clone());
    if let Err(err) = install(logger, &options.log_level, node) {
        eprintln!("{err}");
    }
}

/// Installs `logger` as the global subscriber, unless one is set already.
///
/// # Errors
/// A file logger's folder cannot be made.
pub(crate) fn install(
    logger: &LoggerOption,
    log_level: &LogLevelOption,
    node: NodeBindings,
) -> Result<()> {
    if tracing::dispatcher::has_been_set() {
        tracing::debug!(
            "a tracing subscriber is already set: the broker's loggers are not installed"
        );
        return Ok(());
    }
    let now = || -> file::Clock { std::sync::Arc::new(std::time::SystemTime::now) };
    let (loggers, installed) = match std::env::var("RUST_LOG") {
        Ok(directives) => {
            let loggers = Loggers::build(logger, log_level, node, true, &now)?;
            let filter = tracing_subscriber::EnvFilter::new(directives);
            let layer = loggers.layer().with_filter(filter);
            let installed = tracing_subscriber::registry().with(layer).try_init();
            (loggers, installed)
        }
        Err(_) => {
            let loggers = Loggers::build(logger, log_level, node, false, &now)?;
            let installed = tracing_subscriber::registry()
                .with(loggers.layer())
                .try_init();
            (loggers, installed)
        }
    };
    if installed.is_ok() {
        let _ = INSTALLED.set(loggers);
    }
    Ok(())
}

/// Writes what the file loggers of the installed loggers hold (the broker does it when it
/// stops); without them, does nothing.
pub fn flush() {
    if let Some(loggers) = INSTALLED.get() {
        loggers.flush();
    }
}

/// Node's `mod` binding of a log target (see the module docs).
pub(crate) fn module_of(target: &str) -> String {
    let Some(rest) = target
        .strip_prefix("moleculer::")
        .or_else(|| (target == "moleculer").then_some(""))
    else {
        return target.replace("::", ".");
    };
    let module = match rest.split("::").next().unwrap_or_default() {
        "transit" | "protocol" => "transit",
        "transporter" => "transporter",
        "registry" => "registry",
        "serializer" => "serializer",
        "metrics" => "metrics",
        "cacher" => "cacher",
        "tracer" => "tracer",
        _ => "broker",
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

pub(crate) fn tracing_level(level: LogLevel) -> Level {
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
