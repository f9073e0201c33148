//! `BrokerOptions`: every option of Node's `ServiceBroker`, with the defaults of
//! `src/service-broker.js` `defaultOptions` (reference §4.1; where the docs disagree, the
//! source wins).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::js;

use super::error::OptionsError;
use super::fault::{BulkheadOptions, CircuitBreakerOptions, RetryPolicyOptions, TrackingOptions};
use super::feature::FeatureOptions;
use super::json::{Fields, FromJson, deserialize_via_json, type_error};
use super::log_level::LogLevelOption;
use super::logger::LoggerOption;
use super::plugin::{SerializerOption, TransporterOption, optional_plugin};
use super::registry::RegistryOptions;
use super::transit::TransitOptions;

/// The options of a service broker, named as in Moleculer (camelCase in files, snake_case
/// here) so a `moleculer.config.json` written for Node loads unchanged.
///
/// Every key is checked: an unknown key is an error with the closest known key as a
/// suggestion, a value of the wrong type is an error naming its key path, and a Node option
/// the Rust broker cannot honour is refused, at reading for JavaScript-only keys
/// (`middlewares`, `errorHandler`, …) and at [`build`](crate::BrokerBuilder::build) for
/// features not built yet (see [`check_supported`](Self::check_supported)). Durations keep
/// Node's units: milliseconds, or seconds where Node uses seconds.
///
/// Built with `BrokerOptions::default()` and field assignments, or read from JSON or TOML.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct BrokerOptions {
    /// Namespace: segments a cluster; topics are prefixed `MOL-<namespace>`. Default `""`.
    pub namespace: String,
    /// This node's ID, unique in the cluster. Default `None`: `hostname-pid`, see
    /// [`default_node_id`] and [`BrokerOptions::resolved_node_id`].
    #[serde(rename = "nodeID")]
    pub node_id: Option<String>,
    /// The loggers the broker installs (console, file, several). Default `false` (Node:
    /// `true`); see [`LoggerOption`].
    pub logger: LoggerOption,
    /// Log level, global or per module, of the loggers without a `level` of their own
    /// ([`crate::logging`]). Default `info`.
    pub log_level: LogLevelOption,
    /// Transporter: a name (`"NATS"`, `"TCP"`, `"Fake"`), a URL (`"nats://127.0.0.1:4222"`)
    /// or `{type, options}`. Default `None`: local only.
    pub transporter: Option<TransporterOption>,
    /// Serializer: a name (`"JSON"`, `"MsgPack"`, …) or `{type, options}`. Default `None`: JSON
    /// (the only one built so far).
    pub serializer: Option<SerializerOption>,
    /// Default call timeout in milliseconds; `0` disables it. Default `0`.
    pub request_timeout: u64,
    /// Retry policy for failed calls. Default: disabled, 5 retries from 100 ms up to 1000 ms.
    pub retry_policy: RetryPolicyOptions,
    /// Whether a handler gets a copy of the params, sharing nothing with the caller's value:
    /// a typed value is copied through JSON. Default `false` (a typed value is moved to the
    /// handler).
    pub context_params_cloning: bool,
    /// Maximum nesting depth of calls; `0` means unlimited. Default `0`.
    pub max_call_level: u32,
    /// Seconds between heartbeats. Default `10` (the docs say 5; the source says 10).
    pub heartbeat_interval: f64,
    /// Seconds without a heartbeat before a node is considered gone. Default `30`.
    pub heartbeat_timeout: f64,
    /// In-flight request tracking for graceful shutdown. Default: disabled, 5000 ms.
    pub tracking: TrackingOptions,
    /// Whether the broker's balancer is left to the transporter. Default `false`.
    pub disable_balancer: bool,
    /// Registry, strategy and discoverer. Default: `RoundRobin`, prefer local, `Local`.
    pub registry: RegistryOptions,
    /// Circuit breaker. Default: disabled, threshold 0.5 over 60 s.
    pub circuit_breaker: CircuitBreakerOptions,
    /// Bulkhead. Default: disabled, concurrency 10, queue 100.
    pub bulkhead: BulkheadOptions,
    /// Transit layer, including the Rust-only `protocolVersion`. Default: see
    /// [`TransitOptions`].
    pub transit: TransitOptions,
    /// Cacher, kept raw (`true`, `"Memory"`, `"MemoryLRU"`, `"Redis"`, a `redis://` URL,
    /// `{type, options}`), read at build. Default `None`.
    pub cacher: Option<Value>,
    /// Whether action and event params are validated (`true`, `"Fastest"` or
    /// `{type: "Fastest"}`: the built-in fastest-validator dialect). With `false`, params
    /// only convert into the handler's type. Default `true`.
    pub validator: bool,
    /// Metrics (`true`, `false` or `{enabled, …}`): not built yet, refused when enabled.
    /// Default disabled.
    pub metrics: FeatureOptions,
    /// Tracing (`true`, `false` or `{enabled, …}`): not built yet, refused when enabled.
    /// Default disabled.
    pub tracing: FeatureOptions,
    /// Whether the `$node` internal service is registered. Default `true`.
    pub internal_services: bool,
    /// Whether the built-in middlewares run, as Node's `INTERNAL_MIDDLEWARES`: with `false`
    /// there are no action hooks, no params validation, no bulkhead, context tracking,
    /// circuit breaker, timeouts, retries, fallbacks, error handler, debounce or throttle.
    /// Default `true`.
    pub internal_middlewares: bool,
    /// Milliseconds between Node's checks while waiting for service dependencies. The Rust
    /// broker checks again at every change of the registry instead, which finds a service no
    /// later than any interval would, so the value is checked and kept but changes nothing.
    /// Default `1000`.
    pub dependency_interval: u64,
    /// Milliseconds to wait for service dependencies; `0` waits forever. Default `0`.
    pub dependency_timeout: u64,
    /// Whether services are reloaded when their files change: there is no code reload in
    /// Rust, so `true` is refused at build. Default `false`.
    pub hot_reload: bool,
    /// Node metadata published in INFO packets. Default `{}`.
    pub metadata: Map<String, Value>,
    /// Whether the broker leaves signal handling to the application. With `false`,
    /// [`start`](crate::ServiceBroker::start) registers SIGINT and SIGTERM handlers that stop
    /// the broker gracefully and end the process (exit code 0), removed again by `stop`.
    /// Default `false`.
    pub skip_process_event_registration: bool,
    /// Size above which arrays are replaced by `"[Array <length>]"` in the "safe" outputs:
    /// `$node.options` and the node's published `metadata`. Default `None`: no limit.
    pub max_safe_object_size: Option<usize>,
}

impl Default for BrokerOptions {
    fn default() -> Self {
        Self {
            namespace: String::new(),
            node_id: None,
            logger: LoggerOption::default(),
            log_level: LogLevelOption::default(),
            transporter: None,
            serializer: None,
            request_timeout: 0,
            retry_policy: RetryPolicyOptions::default(),
            context_params_cloning: false,
            max_call_level: 0,
            heartbeat_interval: 10.0,
            heartbeat_timeout: 30.0,
            tracking: TrackingOptions::default(),
            disable_balancer: false,
            registry: RegistryOptions::default(),
            circuit_breaker: CircuitBreakerOptions::default(),
            bulkhead: BulkheadOptions::default(),
            transit: TransitOptions::default(),
            cacher: None,
            validator: true,
            metrics: FeatureOptions::default(),
            tracing: FeatureOptions::default(),
            internal_services: true,
            internal_middlewares: true,
            dependency_interval: 1000,
            dependency_timeout: 0,
            hot_reload: false,
            metadata: Map::new(),
            skip_process_event_registration: false,
            max_safe_object_size: None,
        }
    }
}

/// A string option where Node would also take a number (`"nodeID": 1` works there, since
/// the value is only ever interpolated).
fn string_like(value: &Value, path: &str) -> Result<String, OptionsError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) => Ok(js::value_to_string(value)),
        other => Err(type_error(path, "a string", other)),
    }
}

impl FromJson for BrokerOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let namespace = match f.raw("namespace") {
            Some(v) => string_like(v, &f.path_of("namespace"))?,
            None => d.namespace,
        };
        let node_id = match f.raw("nodeID") {
            Some(v) => Some(string_like(v, &f.path_of("nodeID"))?),
            None => None,
        };
        let transporter = optional_plugin(f.raw("transporter"), &f.path_of("transporter"))?;
        let serializer = optional_plugin(f.raw("serializer"), &f.path_of("serializer"))?;
        // Node resolves a `false` cacher to "no cacher", like `null`.
        let cacher = f
            .raw("cacher")
            .filter(|v| **v != Value::Bool(false))
            .cloned();
        let validator = match f.raw("validator") {
            Some(v) => validator_enabled(v, &f.path_of("validator"))?,
            None => d.validator,
        };
        let internal_services = match f.raw("internalServices") {
            Some(Value::Object(_)) => {
                let message = "the object form (a mixin for `$node`) is not supported: \
                    set `true` or `false`, and add actions with a service of your own";
                return Err(OptionsError::invalid(
                    &f.path_of("internalServices"),
                    message,
                ));
            }
            Some(v) => bool::from_json(v, &f.path_of("internalServices"))?,
            None => d.internal_services,
        };
        let out = Self {
            namespace,
            node_id,
            logger: f.get("logger", d.logger)?,
            log_level: f.get("logLevel", d.log_level)?,
            transporter,
            serializer,
            request_timeout: f.get("requestTimeout", d.request_timeout)?,
            retry_policy: f.get("retryPolicy", d.retry_policy)?,
            context_params_cloning: f.get("contextParamsCloning", d.context_params_cloning)?,
            max_call_level: f.get("maxCallLevel", d.max_call_level)?,
            heartbeat_interval: f.get("heartbeatInterval", d.heartbeat_interval)?,
            heartbeat_timeout: f.get("heartbeatTimeout", d.heartbeat_timeout)?,
            tracking: f.get("tracking", d.tracking)?,
            disable_balancer: f.get("disableBalancer", d.disable_balancer)?,
            registry: f.get("registry", d.registry)?,
            circuit_breaker: f.get("circuitBreaker", d.circuit_breaker)?,
            bulkhead: f.get("bulkhead", d.bulkhead)?,
            transit: f.get("transit", d.transit)?,
            cacher,
            validator,
            metrics: f.get("metrics", d.metrics)?,
            tracing: f.get("tracing", d.tracing)?,
            internal_services,
            internal_middlewares: f.get("internalMiddlewares", d.internal_middlewares)?,
            dependency_interval: f.get("dependencyInterval", d.dependency_interval)?,
            dependency_timeout: f.get("dependencyTimeout", d.dependency_timeout)?,
            hot_reload: f.get("hotReload", d.hot_reload)?,
            metadata: f.get("metadata", d.metadata)?,
            skip_process_event_registration: f.get(
                "skipProcessEventRegistration",
                d.skip_process_event_registration,
            )?,
            max_safe_object_size: f.get("maxSafeObjectSize", d.max_safe_object_size)?,
        };
        refuse_javascript_only(&mut f)?;
        f.finish()?;
        Ok(out)
    }
}

/// The `validator` option: `true`/`false`, or the built-in validator by name or
/// `{type: "Fastest"}` (Node's default). Other validators (Joi, Yup, a custom class) are
/// refused.
fn validator_enabled(value: &Value, path: &str) -> Result<bool, OptionsError> {
    const OTHERS: &str = "only the built-in fastest-validator dialect is available \
        (`true`, `false` or \"Fastest\")";
    let fastest = |name: &str| name.eq_ignore_ascii_case("fastest");
    match value {
        Value::Bool(on) => Ok(*on),
        Value::String(name) if fastest(name) => Ok(true),
        Value::String(_) => Err(OptionsError::invalid(path, OTHERS)),
        Value::Object(map) => {
            let mut f = Fields::of_map(map, path);
            if !f.raw("type").and_then(Value::as_str).is_some_and(fastest) {
                return Err(OptionsError::invalid(path, OTHERS));
            }
            f.refuse(
                "options",
                "fastest-validator's own options cannot be set: the dialect is fixed",
            )?;
            f.finish()?;
            Ok(true)
        }
        other => Err(type_error(
            path,
            "a boolean, \"Fastest\" or an object",
            other,
        )),
    }
}

/// Node options that are JavaScript values (functions, classes, REPL settings): refused
/// unless `null` (or an empty list), each with what to use in Rust.
const JAVASCRIPT_ONLY: &[(&str, &str)] = &[
    (
        "middlewares",
        "middlewares are Rust types here: add them with `BrokerBuilder::middleware`",
    ),
    (
        "errorHandler",
        "a JavaScript function: set the error handler with `BrokerBuilder::error_handler`",
    ),
    (
        "errorRegenerator",
        "not supported: errors from other nodes are rebuilt as `moleculer::Error` with their name, code, type and data",
    ),
    (
        "uidGenerator",
        "not supported: the broker generates context IDs itself",
    ),
    (
        "created",
        "a JavaScript function: use a middleware's `created` hook (`BrokerBuilder::middleware`)",
    ),
    (
        "started",
        "a JavaScript function: use a middleware's `started` hook (`BrokerBuilder::middleware`)",
    ),
    (
        "stopped",
        "a JavaScript function: use a middleware's `stopped` hook (`BrokerBuilder::middleware`)",
    ),
    (
        "ServiceFactory",
        "a JavaScript class: services are `#[service]` types in Rust",
    ),
    (
        "ContextFactory",
        "a JavaScript class: the broker's `Context` cannot be replaced",
    ),
    ("Promise", "not applicable: Rust has its own futures"),
    (
        "replOptions",
        "not supported: the Rust broker has no REPL (the `mol` client calls, emits and lists)",
    ),
    (
        "replCommands",
        "not supported: the Rust broker has no REPL (the `mol` client calls, emits and lists)",
    ),
    (
        "replDelimiter",
        "not supported: the Rust broker has no REPL (the `mol` client calls, emits and lists)",
    ),
];

fn refuse_javascript_only(f: &mut Fields<'_>) -> Result<(), OptionsError> {
    JAVASCRIPT_ONLY
        .iter()
        .try_for_each(|(key, why)| f.refuse(key, why))
}

deserialize_via_json!(BrokerOptions, "");

impl BrokerOptions {
    /// Reads options from a JSON tree (a parsed config file, or the env overlay's result).
    pub(crate) fn from_json_value(value: &Value) -> Result<Self, OptionsError> {
        if !value.is_object() {
            return Err(OptionsError::invalid(
                "",
                format!(
                    "the configuration must be an object, found {}",
                    super::json::describe(value)
                ),
            ));
        }
        Self::from_json(value, "")
    }

    /// The options as a camelCase JSON object, `nodeID` left `null` when unset.
    pub(crate) fn to_json_map(&self) -> Map<String, Value> {
        // Serializing these types cannot fail: every map key is a string.
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// The node ID to use: `node_id` when set and non-empty, else [`default_node_id`]
    /// (Node: `options.nodeID || getNodeID()`).
    pub fn resolved_node_id(&self) -> String {
        match &self.node_id {
            Some(id) if !id.is_empty() => id.clone(),
            _ => default_node_id(),
        }
    }

    /// The options as Node's `$node.options` action shows them: camelCase keys, every
    /// section with its defaults filled in, the resolved `nodeID`, and arrays longer than
    /// `maxSafeObjectSize` replaced by `"[Array <length>]"`.
    pub fn to_safe_json(&self) -> Value {
        let mut map = self.to_json_map();
        map.insert("nodeID".to_owned(), Value::String(self.resolved_node_id()));
        super::safe::truncated(Value::Object(map), self.max_safe_object_size)
    }
}

/// Moleculer's default node ID: the lower-cased host name, `-`, the process ID
/// (`utils.getNodeID`). The host name comes from `/proc/sys/kernel/hostname`, else the
/// `HOSTNAME` or `COMPUTERNAME` environment variable, else `localhost`.
pub fn default_node_id() -> String {
    let from_env = |name: &str| std::env::var(name).ok();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| from_env("HOSTNAME").filter(|s| !s.is_empty()))
        .or_else(|| from_env("COMPUTERNAME").filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{}-{}", host.to_lowercase(), std::process::id())
}
