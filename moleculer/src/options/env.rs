//! Environment overrides, following moleculer-runner's `overwriteFromEnv` (`src/runner.js`):
//!
//! 1. For every key already in the options (defaults merged with the config file), the
//!    variable named by the upper-cased key path joined with `_` replaces it: `NODEID`,
//!    `NAMESPACE`, `TRANSPORTER`, `LOGLEVEL`, `CIRCUITBREAKER_ENABLED`,
//!    `REGISTRY_PREFERLOCAL`, `METADATA_REGION`, … Plain objects are walked recursively.
//! 2. Then every `MOL_` variable sets a nested key: `__` separates levels and each level's
//!    SNAKE_CASE becomes camelCase (`MOL_REGISTRY__PREFER_LOCAL` → `registry.preferLocal`),
//!    creating objects on the way.
//!
//! Values become booleans for `true`/`false` and numbers when JavaScript's `Number()` would
//! read them as one; otherwise they stay strings. JSON text is not parsed (the runner does not).
//!
//! Deliberate differences from the runner, none of which changes a working setup:
//! * `TRUE`/`False` are booleans of that meaning (the runner turns every spelling but
//!   `true` into `false`);
//! * empty variables are ignored (the runner ignores them in step 1 but sets `0` in step 2);
//! * `nodeID` and `namespace` keep the text as written (the runner would turn `NODEID=1e3`
//!   into `1000`);
//! * a `MOL_` level matching an existing key case-insensitively uses that key, so
//!   `MOL_NODE_ID` and `MOL_REQUESTTIMEOUT` reach `nodeID` and `requestTimeout` instead of
//!   creating unused keys.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::js;

use super::error::OptionsError;
use super::json::{describe, join};

/// The runner's variable naming an explicit configuration file.
pub(crate) const CONFIG_VAR: &str = "MOLECULER_CONFIG";

/// Prefix of the nested-key variables.
const MOL_PREFIX: &str = "MOL_";

/// Top-level options that may be missing from the options' JSON form; the runner still
/// takes them from the environment (`LOGGER=false`, `ERRORHANDLER=…`), so they are looked
/// up too, and the JavaScript-only ones are then refused with what to use instead.
const NODE_ONLY_KEYS: &[&str] = &[
    "logger",
    "uidGenerator",
    "errorHandler",
    "errorRegenerator",
    "middlewares",
    "replOptions",
];

/// Options whose environment value is used as text even when it looks like a number.
const TEXT_KEYS: &[&str] = &["nodeID", "namespace"];

/// One variable that changed an option: which key path, from which variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Dotted key path that was set.
    pub(crate) path: String,
    /// The environment variable's name.
    pub(crate) var: String,
}

/// Applies the environment `vars` to the JSON form of the options, in the runner's order.
pub(crate) fn overlay(
    root: &mut Map<String, Value>,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<Applied>, OptionsError> {
    let mut applied = Vec::new();
    overwrite_by_name(root, "", "", vars, &mut applied);
    // BTreeMap order: deterministic, and a shorter path (`MOL_REGISTRY__STRATEGY`) is set
    // before a longer one below it (`MOL_REGISTRY__STRATEGY__TYPE`).
    for (var, raw) in vars.iter().filter(|(k, _)| k.starts_with(MOL_PREFIX)) {
        if raw.is_empty() {
            tracing::debug!(var = %var, "ignoring empty environment variable");
            continue;
        }
        let segments = mol_segments(var).ok_or_else(|| {
            OptionsError::invalid("", "cannot map this variable name to an option key").in_env(var)
        })?;
        let path = set_path(root, &segments, raw, var)?;
        tracing::debug!(var = %var, option = %path, "broker option set from the environment");
        applied.push(Applied {
            path,
            var: var.clone(),
        });
    }
    Ok(applied)
}

/// Step 1: `PREFIX_KEY` variables for the keys present in `obj`.
fn overwrite_by_name(
    obj: &mut Map<String, Value>,
    env_prefix: &str,
    path: &str,
    vars: &BTreeMap<String, String>,
    applied: &mut Vec<Applied>,
) {
    let mut keys: Vec<String> = obj.keys().cloned().collect();
    if path.is_empty() {
        let missing = NODE_ONLY_KEYS.iter().filter(|k| !obj.contains_key(**k));
        keys.extend(missing.map(|k| (*k).to_owned()));
    }
    for key in keys {
        let var = format!("{env_prefix}{key}").to_uppercase();
        let key_path = join(path, &key);
        if let Some(raw) = vars.get(&var).filter(|v| !v.is_empty()) {
            tracing::debug!(var = %var, option = %key_path, "broker option set from the environment");
            obj.insert(key.clone(), normalize(raw, &key_path));
            applied.push(Applied {
                path: key_path.clone(),
                var,
            });
        }
        if let Some(Value::Object(child)) = obj.get_mut(&key) {
            let child_prefix = format!("{env_prefix}{key}_");
            overwrite_by_name(child, &child_prefix, &key_path, vars, applied);
        }
    }
}

/// The key levels of a `MOL_` variable: `MOL_TRANSIT__MAX_QUEUE_SIZE` →
/// `["transit", "maxQueueSize"]`. `None` when a level or word is empty.
fn mol_segments(var: &str) -> Option<Vec<String>> {
    let rest = var.strip_prefix(MOL_PREFIX)?;
    rest.split("__")
        .map(|level| {
            let lower = level.to_lowercase();
            let mut words = lower.split('_');
            let mut key = words.next().filter(|w| !w.is_empty())?.to_owned();
            for word in words {
                let mut chars = word.chars();
                key.extend(chars.next()?.to_uppercase());
                key.push_str(chars.as_str());
            }
            Some(key)
        })
        .collect()
}

/// The existing key of `obj` equal to `wanted` ignoring case, else `wanted` itself.
fn resolve_key(obj: &Map<String, Value>, wanted: &str) -> String {
    if obj.contains_key(wanted) {
        return wanted.to_owned();
    }
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(wanted))
        .cloned()
        .unwrap_or_else(|| wanted.to_owned())
}

/// Step 2 for one variable (the runner's `utils.dotSet`): walks `segments` from `root`,
/// replacing missing or `null` levels with objects, and sets the last one. Returns the
/// dotted path that was set.
fn set_path(
    root: &mut Map<String, Value>,
    segments: &[String],
    raw: &str,
    var: &str,
) -> Result<String, OptionsError> {
    let mut obj = root;
    let mut path = String::new();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        let key = resolve_key(obj, segment);
        path = join(&path, &key);
        if i == last {
            let value = normalize(raw, &path);
            obj.insert(key, value);
            break;
        }
        let slot = obj.entry(key).or_insert(Value::Null);
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        match slot {
            Value::Object(child) => obj = child,
            other => {
                let message = format!(
                    "cannot set `{}` inside {}",
                    segments[i + 1..].join("."),
                    describe(other)
                );
                return Err(OptionsError::invalid(&path, message).in_env(var));
            }
        }
    }
    Ok(path)
}

/// The runner's `normalizeEnvValue`: booleans, then numbers, else the text.
pub(crate) fn normalize(raw: &str, path: &str) -> Value {
    if TEXT_KEYS.contains(&path) {
        return Value::String(raw.to_owned());
    }
    if raw.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if raw.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    finite_number(raw).unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// `Number(raw)` when it is a finite number, as JSON data: whole numbers become JSON
/// integers so they fit integer options. `Infinity` stays text, as JSON has no number for it.
fn finite_number(raw: &str) -> Option<Value> {
    js::string_to_number(raw)
        .filter(|x| x.is_finite())
        .map(js::number_to_json)
}

/// Attaches to `error` the variable that set its key (or a key above or below it).
pub(crate) fn blame(error: OptionsError, applied: &[Applied]) -> OptionsError {
    let Some(key) = error.key.clone() else {
        return error;
    };
    let related = |path: &str| {
        path == key
            || key
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'))
            || path
                .strip_prefix(key.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    };
    match applied.iter().rev().find(|a| related(&a.path)) {
        Some(a) => error.in_env(a.var.clone()),
        None => error,
    }
}
