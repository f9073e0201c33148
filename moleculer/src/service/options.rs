//! An action's and an event handler's own options: the keys of Node's action and event
//! schemas that tune how they are called (`timeout`, `bulkhead`, `circuitBreaker`,
//! `retryPolicy`, `strategy`, `debounce`, `throttle`).
//!
//! Each is read once, when the service is bound (`#[action(bulkhead = ...)]`, `ActionSpec`'s
//! setters or the keys of a hand-written spec) or when another node's INFO registers its
//! actions; a section an action sets is laid over the broker's section of the same name with
//! [`over`](BulkheadOverride::over), key by key as Node's `Object.assign`, with no JSON in
//! between. INFO publishes the keys as they were set.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::options::json::{Fields, FromJson};
use crate::options::{BulkheadOptions, CircuitBreakerOptions, OptionsError, RetryPolicyOptions};

/// One section an action sets for itself: the keys it sets, each over the broker's.
macro_rules! section_override {
    (
        $(#[$doc:meta])*
        $name:ident over $base:ty {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty = $key:literal,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$field_doc])* pub $field: Option<$ty>,)*
        }

        impl $name {
            $(
                #[doc = concat!("Sets `", $key, "`.")]
                pub fn $field(mut self, value: $ty) -> $name {
                    self.$field = Some(value);
                    self
                }
            )*

            /// The broker's section with the keys set here over it.
            pub fn over(&self, base: &$base) -> $base {
                let mut out = base.clone();
                $(if let Some(value) = &self.$field {
                    out.$field = value.clone();
                })*
                out
            }

            fn from_json(value: &Value, path: &str) -> Result<$name, OptionsError> {
                let mut f = Fields::object(value, path)?;
                let out = $name {
                    $($field: match f.raw($key) {
                        None => None,
                        Some(v) => Some(<$ty as FromJson>::from_json(v, &f.path_of($key))?),
                    },)*
                };
                f.finish()?;
                Ok(out)
            }

            fn to_json(&self) -> Value {
                let mut map = Map::new();
                $(if let Some(value) = &self.$field {
                    map.insert($key.into(), serde_json::to_value(value).unwrap_or(Value::Null));
                })*
                Value::Object(map)
            }
        }
    };
}

section_override! {
    /// An action's (or an event handler's) own `bulkhead` keys.
    BulkheadOverride over BulkheadOptions {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `concurrency`.
        concurrency: usize = "concurrency",
        /// `maxQueueSize`.
        max_queue_size: usize = "maxQueueSize",
    }
}

section_override! {
    /// An action's own `circuitBreaker` keys.
    CircuitBreakerOverride over CircuitBreakerOptions {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `threshold`.
        threshold: f64 = "threshold",
        /// `windowTime`, in seconds.
        window_time: f64 = "windowTime",
        /// `minRequestCount`.
        min_request_count: u32 = "minRequestCount",
        /// `halfOpenTime`, in milliseconds.
        half_open_time: u64 = "halfOpenTime",
    }
}

section_override! {
    /// An action's own `retryPolicy` keys.
    RetryPolicyOverride over RetryPolicyOptions {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `retries`.
        retries: u32 = "retries",
        /// `delay`, in milliseconds.
        delay: u64 = "delay",
        /// `maxDelay`, in milliseconds.
        max_delay: u64 = "maxDelay",
        /// `factor`.
        factor: f64 = "factor",
    }
}

/// An action's own options.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ActionOptions {
    /// `timeout`: the calls' timeout, over the broker's `requestTimeout` (published in whole
    /// milliseconds; zero means none).
    pub timeout: Option<Duration>,
    /// `bulkhead`.
    pub bulkhead: Option<BulkheadOverride>,
    /// `circuitBreaker`.
    pub circuit_breaker: Option<CircuitBreakerOverride>,
    /// `retryPolicy`.
    pub retry_policy: Option<RetryPolicyOverride>,
    /// `strategy`: the balancing strategy of this action's endpoints (`"Shard"`, …).
    pub strategy: Option<String>,
    /// `strategyOptions`: the options of `strategy`.
    pub strategy_options: Option<Map<String, Value>>,
    /// `cache`: the action's results are cached (with a `cacher` on the broker).
    pub cache: Option<crate::cacher::ActionCacheOptions>,
}

/// An event handler's own options.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct EventOptions {
    /// `bulkhead`.
    pub bulkhead: Option<BulkheadOverride>,
    /// `debounce`: only the last event of a burst runs, once this long passed without
    /// another (published in milliseconds).
    pub debounce: Option<Duration>,
    /// `throttle`: at most one event per period runs (published in milliseconds).
    pub throttle: Option<Duration>,
    /// `strategy`: how an emit picks one handler of this group (`"Shard"`, …); the registry's
    /// by default.
    pub strategy: Option<String>,
    /// `strategyOptions`: the options of `strategy`.
    pub strategy_options: Option<Map<String, Value>>,
}

/// The Node keys an action's options are read from.
pub(crate) const ACTION_KEYS: [&str; 6] = [
    "timeout",
    "bulkhead",
    "circuitBreaker",
    "retryPolicy",
    "strategy",
    "strategyOptions",
];

/// The Node keys an event handler's options are read from.
pub(crate) const EVENT_KEYS: [&str; 5] = [
    "bulkhead",
    "debounce",
    "throttle",
    "strategy",
    "strategyOptions",
];

impl ActionOptions {
    /// Takes the options' keys out of an action definition's published keys and reads them.
    ///
    /// # Errors
    /// A key of the wrong type, or an unknown key inside a section, naming its path.
    pub(crate) fn take_from(
        keys: &mut Map<String, Value>,
        action: &str,
    ) -> Result<ActionOptions, OptionsError> {
        let mut options = ActionOptions::default();
        // `cache` is read, and stays among the published keys where it was given (Node
        // publishes the action schema's keys in their order).
        if let Some(cache) = keys.get("cache").filter(|v| !v.is_null()) {
            let path = format!("{action}.cache");
            options.cache = Some(crate::cacher::ActionCacheOptions::from_json(cache, &path)?);
        }
        for key in ACTION_KEYS {
            let Some(value) = keys.remove(key).filter(|v| !v.is_null()) else {
                continue;
            };
            let path = format!("{action}.{key}");
            match key {
                "timeout" => options.timeout = Some(millis(&value, &path)?),
                "bulkhead" => options.bulkhead = Some(BulkheadOverride::from_json(&value, &path)?),
                "circuitBreaker" => {
                    options.circuit_breaker =
                        Some(CircuitBreakerOverride::from_json(&value, &path)?);
                }
                "retryPolicy" => {
                    options.retry_policy = Some(RetryPolicyOverride::from_json(&value, &path)?);
                }
                "strategy" => options.strategy = Some(String::from_json(&value, &path)?),
                _ => options.strategy_options = Some(strategy_options(value, &path)?),
            }
        }
        check_strategy(&options.strategy, &options.strategy_options, action)?;
        Ok(options)
    }

    /// [`take_from`](Self::take_from) for another node's action: a key that does not read is
    /// logged and left out (as Node, which ignores what it does not use), the others kept.
    pub(crate) fn take_leniently(keys: &mut Map<String, Value>, action: &str) -> ActionOptions {
        let mut options = ActionOptions::default();
        for key in ACTION_KEYS {
            let Some(value) = keys.remove(key) else {
                continue;
            };
            let mut one = Map::from_iter([(key.to_owned(), value)]);
            match ActionOptions::take_from(&mut one, action) {
                Ok(read) => {
                    options.timeout = options.timeout.or(read.timeout);
                    options.bulkhead = options.bulkhead.or(read.bulkhead);
                    options.circuit_breaker = options.circuit_breaker.or(read.circuit_breaker);
                    options.retry_policy = options.retry_policy.or(read.retry_policy);
                    options.strategy = options.strategy.or(read.strategy);
                    options.strategy_options = options.strategy_options.or(read.strategy_options);
                }
                Err(err) => {
                    tracing::warn!(action, error = %err, "an option of a remote action ignored");
                }
            }
        }
        options
    }

    /// The keys INFO publishes, in Node's order of the action schema.
    pub(crate) fn publish(&self, out: &mut Map<String, Value>) {
        if let Some(timeout) = self.timeout {
            out.insert("timeout".into(), Value::from(whole_millis(timeout)));
        }
        if let Some(bulkhead) = &self.bulkhead {
            out.insert("bulkhead".into(), bulkhead.to_json());
        }
        if let Some(breaker) = &self.circuit_breaker {
            out.insert("circuitBreaker".into(), breaker.to_json());
        }
        if let Some(retry) = &self.retry_policy {
            out.insert("retryPolicy".into(), retry.to_json());
        }
        if let Some(strategy) = &self.strategy {
            out.insert("strategy".into(), Value::from(strategy.as_str()));
        }
        if let Some(options) = &self.strategy_options {
            out.insert("strategyOptions".into(), Value::Object(options.clone()));
        }
    }
}

impl EventOptions {
    /// Takes the options' keys out of an event definition's published keys and reads them.
    ///
    /// # Errors
    /// A key of the wrong type, or an unknown key inside `bulkhead`, naming its path.
    pub(crate) fn take_from(
        keys: &mut Map<String, Value>,
        event: &str,
    ) -> Result<EventOptions, OptionsError> {
        let mut options = EventOptions::default();
        for key in EVENT_KEYS {
            let Some(value) = keys.remove(key).filter(|v| !v.is_null()) else {
                continue;
            };
            let path = format!("{event}.{key}");
            match key {
                "bulkhead" => options.bulkhead = Some(BulkheadOverride::from_json(&value, &path)?),
                "debounce" => options.debounce = Some(millis(&value, &path)?),
                "throttle" => options.throttle = Some(millis(&value, &path)?),
                "strategy" => options.strategy = Some(String::from_json(&value, &path)?),
                _ => options.strategy_options = Some(strategy_options(value, &path)?),
            }
        }
        check_strategy(&options.strategy, &options.strategy_options, event)?;
        Ok(options)
    }

    /// [`take_from`](Self::take_from) for another node's event handler: a key that does not
    /// read is logged and left out, the others kept.
    pub(crate) fn take_leniently(keys: &mut Map<String, Value>, event: &str) -> EventOptions {
        let mut options = EventOptions::default();
        for key in EVENT_KEYS {
            let Some(value) = keys.remove(key) else {
                continue;
            };
            let mut one = Map::from_iter([(key.to_owned(), value)]);
            match EventOptions::take_from(&mut one, event) {
                Ok(read) => {
                    options.bulkhead = options.bulkhead.or(read.bulkhead);
                    options.debounce = options.debounce.or(read.debounce);
                    options.throttle = options.throttle.or(read.throttle);
                    options.strategy = options.strategy.or(read.strategy);
                    options.strategy_options = options.strategy_options.or(read.strategy_options);
                }
                Err(err) => {
                    tracing::warn!(event, error = %err, "an option of a remote event handler ignored");
                }
            }
        }
        options
    }

    /// The keys INFO publishes.
    pub(crate) fn publish(&self, out: &mut Map<String, Value>) {
        if let Some(bulkhead) = &self.bulkhead {
            out.insert("bulkhead".into(), bulkhead.to_json());
        }
        if let Some(debounce) = self.debounce {
            out.insert("debounce".into(), Value::from(whole_millis(debounce)));
        }
        if let Some(throttle) = self.throttle {
            out.insert("throttle".into(), Value::from(whole_millis(throttle)));
        }
        if let Some(strategy) = &self.strategy {
            out.insert("strategy".into(), Value::from(strategy.as_str()));
        }
        if let Some(options) = &self.strategy_options {
            out.insert("strategyOptions".into(), Value::Object(options.clone()));
        }
    }
}

/// A `strategy` (with its `strategyOptions`) the registry can build.
pub(crate) fn check_strategy(
    strategy: &Option<String>,
    options: &Option<Map<String, Value>>,
    owner: &str,
) -> Result<(), OptionsError> {
    let Some(name) = strategy else {
        return Ok(());
    };
    let empty = Map::new();
    crate::registry::Strategy::from_name(name, options.as_ref().unwrap_or(&empty))
        .map(drop)
        .map_err(|err| OptionsError::invalid(&format!("{owner}.strategy"), err))
}

/// `strategyOptions`: an object.
fn strategy_options(value: Value, path: &str) -> Result<Map<String, Value>, OptionsError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(crate::options::json::type_error(path, "an object", &other)),
    }
}

/// A non-negative number of milliseconds.
fn millis(value: &Value, path: &str) -> Result<Duration, OptionsError> {
    match value.as_f64() {
        Some(ms) if ms >= 0.0 && ms.is_finite() => Ok(Duration::from_secs_f64(ms / 1000.0)),
        _ => Err(crate::options::json::type_error(
            path,
            "a number of milliseconds, 0 or more",
            value,
        )),
    }
}

/// A duration in whole milliseconds, as Node's options give them.
pub(crate) fn whole_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn action_options_are_read_once_and_laid_over_the_brokers() {
        let mut keys = map(json!({
            "bulkhead": {"enabled": true, "concurrency": 2},
            "retryPolicy": {"retries": 1},
            "timeout": 1500,
            "strategy": "Shard",
            "strategyOptions": {"shardKey": "id"},
            "rest": "GET /x",
        }));
        let options = ActionOptions::take_from(&mut keys, "a.b").unwrap();
        assert_eq!(keys, map(json!({"rest": "GET /x"})), "the other keys stay");
        assert_eq!(options.timeout, Some(Duration::from_millis(1500)));
        let bulkhead = options
            .bulkhead
            .as_ref()
            .unwrap()
            .over(&BulkheadOptions::default());
        assert!(bulkhead.enabled);
        assert_eq!(bulkhead.concurrency, 2);
        assert_eq!(
            bulkhead.max_queue_size,
            BulkheadOptions::default().max_queue_size
        );
        let retry = options
            .retry_policy
            .as_ref()
            .unwrap()
            .over(&RetryPolicyOptions::default());
        assert_eq!((retry.enabled, retry.retries), (false, 1));
        assert_eq!(options.strategy.as_deref(), Some("Shard"));
        let mut published = Map::new();
        options.publish(&mut published);
        assert_eq!(
            Value::Object(published),
            json!({"timeout": 1500, "bulkhead": {"enabled": true, "concurrency": 2},
                   "retryPolicy": {"retries": 1}, "strategy": "Shard",
                   "strategyOptions": {"shardKey": "id"}})
        );
    }

    #[test]
    fn bad_action_options_name_their_path() {
        for (keys, path) in [
            (
                json!({"bulkhead": {"concurency": 2}}),
                "a.b.bulkhead.concurency",
            ),
            (
                json!({"bulkhead": {"concurrency": "2"}}),
                "a.b.bulkhead.concurrency",
            ),
            (json!({"timeout": -1}), "a.b.timeout"),
            (json!({"retryPolicy": true}), "a.b.retryPolicy"),
            (json!({"strategyOptions": 1}), "a.b.strategyOptions"),
        ] {
            let err = ActionOptions::take_from(&mut map(keys.clone()), "a.b").unwrap_err();
            assert_eq!(err.key.as_deref(), Some(path), "{keys}: {err}");
        }
    }

    /// The macro checks sections against `moleculer_rules::sections`: the runtime reads
    /// exactly those keys, of those kinds.
    #[test]
    fn the_sections_the_macro_checks_are_the_ones_read() {
        use moleculer_rules::sections::{BULKHEAD, CIRCUIT_BREAKER, KeyKind, RETRY_POLICY};
        fn all(table: &[(&str, KeyKind)]) -> Value {
            let sample = |kind| match kind {
                KeyKind::Bool => json!(true),
                KeyKind::Number => json!(0.5),
                KeyKind::Count => json!(3),
            };
            Value::Object(
                table
                    .iter()
                    .map(|(k, kind)| ((*k).to_owned(), sample(*kind)))
                    .collect(),
            )
        }
        let bulkhead = all(BULKHEAD);
        let read = BulkheadOverride::from_json(&bulkhead, "b")
            .unwrap()
            .to_json();
        assert_eq!(read, bulkhead);
        let breaker = all(CIRCUIT_BREAKER);
        let read = CircuitBreakerOverride::from_json(&breaker, "c")
            .unwrap()
            .to_json();
        assert_eq!(read, breaker);
        let retry = all(RETRY_POLICY);
        let read = RetryPolicyOverride::from_json(&retry, "r")
            .unwrap()
            .to_json();
        assert_eq!(read, retry);
    }

    #[test]
    fn event_options_read_debounce_throttle_and_bulkhead() {
        let mut keys = map(json!({"debounce": 500, "bulkhead": {"enabled": true}}));
        let options = EventOptions::take_from(&mut keys, "user.*").unwrap();
        assert!(keys.is_empty());
        assert_eq!(options.debounce, Some(Duration::from_millis(500)));
        assert_eq!(options.throttle, None);
        assert_eq!(options.bulkhead.unwrap().enabled, Some(true));
    }
}
