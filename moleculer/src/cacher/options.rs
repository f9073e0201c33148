//! The `cacher` broker option, read as Node's `Cachers.resolve` reads it: `true`, a name
//! (`"Memory"`, `"MemoryLRU"`), a `redis://` URL, or `{type, options}`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::{Cacher, MemoryCacher, MemoryOptions};

/// The cacher an option asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CacherConfig {
    /// `Memory` or `MemoryLRU`.
    Memory(MemoryOptions),
    /// `Redis`.
    #[cfg(feature = "redis")]
    Redis(Box<super::RedisCacherOptions>),
}

impl CacherConfig {
    /// Reads the option; `Err` names what is wrong (`(key path, message)`).
    pub(crate) fn from_value(value: &Value) -> Result<CacherConfig, (String, String)> {
        let bad = |key: &str, why: String| Err(must_be(key, &why));
        let (kind, options) = match value {
            Value::Bool(true) => ("memory".to_owned(), None),
            Value::String(name) => (name.to_lowercase(), None),
            Value::Object(object) => {
                let kind = match object.get("type") {
                    None | Some(Value::Null) => "memory".to_owned(),
                    Some(Value::String(name)) => name.to_lowercase(),
                    Some(_) => return bad("cacher.type", "a cacher name".to_owned()),
                };
                for key in object.keys() {
                    if key != "type" && key != "options" {
                        return bad(&format!("cacher.{key}"), "`type` or `options`".to_owned());
                    }
                }
                let options = match object.get("options") {
                    None | Some(Value::Null) => None,
                    Some(options @ (Value::Object(_) | Value::String(_))) => Some(options),
                    Some(_) => return bad("cacher.options", "an object".to_owned()),
                };
                (kind, options)
            }
            _ => {
                return bad(
                    "cacher",
                    "true, \"Memory\", \"MemoryLRU\", \"Redis\", a redis:// URL or {type, options}"
                        .to_owned(),
                );
            }
        };
        let lru = match kind.as_str() {
            "memory" => false,
            "memorylru" => true,
            "redis" => return redis(options.unwrap_or(&Value::Null)),
            // `cacher: "redis://host:6379"`: the URL is the server.
            _ if kind.starts_with("redis://") || kind.starts_with("rediss://") => {
                let Value::String(url) = value else {
                    return bad("cacher.type", "a cacher name".to_owned());
                };
                return redis(&Value::String(url.clone()));
            }
            other => {
                return bad(
                    "cacher",
                    format!("unknown cacher `{other}` (expected Memory, MemoryLRU or Redis)"),
                );
            }
        };
        let mut memory = MemoryOptions {
            max: lru.then_some(MemoryOptions::LRU_MAX),
            ..MemoryOptions::default()
        };
        match options {
            None => {}
            Some(Value::Object(options)) => read_memory(&mut memory, options, lru)?,
            Some(_) => return bad("cacher.options", "an object".to_owned()),
        }
        Ok(CacherConfig::Memory(memory))
    }

    /// The cacher.
    ///
    /// # Errors
    /// When the options cannot make a client (a Redis URL that does not parse).
    pub(crate) fn build(&self) -> crate::Result<Arc<dyn Cacher>> {
        Ok(match self {
            CacherConfig::Memory(options) => Arc::new(MemoryCacher::new(options.clone())),
            #[cfg(feature = "redis")]
            CacherConfig::Redis(options) => Arc::new(super::RedisCacher::new((**options).clone())?),
        })
    }
}

#[cfg(feature = "redis")]
fn redis(options: &Value) -> Result<CacherConfig, (String, String)> {
    super::RedisCacherOptions::from_json(options)
        .map(|options| CacherConfig::Redis(Box::new(options)))
        .map_err(|err| {
            let key = err
                .data()
                .and_then(|d| d.get("option"))
                .and_then(Value::as_str)
                .unwrap_or("cacher.options")
                .to_owned();
            (key, err.message().to_owned())
        })
}

#[cfg(not(feature = "redis"))]
fn redis(_options: &Value) -> Result<CacherConfig, (String, String)> {
    Err(must_be(
        "cacher",
        "a cacher of this build: the Redis cacher needs the `redis` feature of moleculer-rs",
    ))
}

/// `(key, "`key` must be <why>")`.
fn must_be(key: &str, why: &str) -> (String, String) {
    (key.to_owned(), format!("`{key}` must be {why}"))
}

fn read_memory(
    memory: &mut MemoryOptions,
    options: &Map<String, Value>,
    lru: bool,
) -> Result<(), (String, String)> {
    for (key, value) in options {
        let path = format!("cacher.options.{key}");
        let number = || {
            value
                .as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| must_be(&path, "a number"))
        };
        match key.as_str() {
            "missingResponse" => memory.missing_response = Some(value.clone()),
            _ if value.is_null() => {}
            "ttl" => memory.ttl = Some(Duration::from_secs_f64(number()?)).filter(|t| !t.is_zero()),
            "max" if lru => memory.max = Some(number()? as u64),
            "maxParamsLength" => memory.max_params_length = Some(number()? as usize),
            // Every value read from the cache is a copy in Rust: `clone` is what happens.
            "clone" if value.is_boolean() => {}
            "keygen" => {
                return Err(must_be(
                    &path,
                    "a JavaScript function: give the broker a key function with BrokerBuilder::cache_keygen",
                ));
            }
            "lock" => {
                return Err(must_be(
                    &path,
                    "an action's cache setting (`cache: {lock: true}`), not the cacher's",
                ));
            }
            _ => {
                let known = if lru {
                    "ttl, max, maxParamsLength, missingResponse, clone"
                } else {
                    "ttl, maxParamsLength, missingResponse, clone"
                };
                return Err(must_be(
                    &path,
                    &format!("an option of the cacher (known: {known})"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn memory(value: Value) -> MemoryOptions {
        match CacherConfig::from_value(&value).unwrap() {
            CacherConfig::Memory(memory) => memory,
            #[cfg(feature = "redis")]
            other => panic!("{value}: {other:?}"),
        }
    }

    #[test]
    fn reads_nodes_forms() {
        assert_eq!(memory(json!(true)).max, None);
        assert_eq!(memory(json!("MemoryLRU")).max, Some(1000));
        let object = memory(json!({
            "type": "MemoryLRU",
            "options": { "max": 5, "ttl": 30, "maxParamsLength": 60, "missingResponse": null }
        }));
        assert_eq!(object.max, Some(5));
        assert_eq!(object.ttl, Some(Duration::from_secs(30)));
        assert_eq!(object.max_params_length, Some(60));
        assert_eq!(object.missing_response, Some(Value::Null));
        #[cfg(feature = "redis")]
        for value in [
            json!("redis://Redis.local:6380"),
            json!("Redis"),
            json!({ "type": "Redis", "options": { "redis": "redis://Redis.local:6380" } }),
            json!({ "type": "redis", "options": "redis://Redis.local:6380" }),
        ] {
            let Ok(CacherConfig::Redis(redis)) = CacherConfig::from_value(&value) else {
                panic!("{value}");
            };
            let expected = if value == json!("Redis") {
                "redis://localhost:6379"
            } else {
                "redis://Redis.local:6380"
            };
            assert_eq!(redis.connection.servers, [expected], "{value}");
        }
        for (value, says) in [
            (json!("Fancy"), "unknown cacher"),
            (
                json!({ "type": "Memory", "options": { "max": 5 } }),
                "known: ttl",
            ),
            (
                json!({ "options": { "keygen": "x" } }),
                "JavaScript function",
            ),
            (
                json!({ "type": "Redis", "options": { "serializer": "Thrift" } }),
                "schemaless",
            ),
        ] {
            let (_, why) = CacherConfig::from_value(&value).unwrap_err();
            assert!(why.contains(says), "{value}: {why}");
        }
    }
}
