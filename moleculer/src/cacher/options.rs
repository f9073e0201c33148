//! The `cacher` broker option, read as Node's `Cachers.resolve` reads it: `true`, a name
//! (`"Memory"`, `"MemoryLRU"`), a `redis://` URL, or `{type, options}`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::{Cacher, MemoryCacher, MemoryOptions};

/// The cacher an option asks for, and the key settings that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacherConfig {
    pub(crate) memory: MemoryOptions,
    /// `maxParamsLength` of the keys.
    pub(crate) max_params_length: Option<usize>,
}

impl CacherConfig {
    /// Reads the option; `Err` names what is wrong (`(key path, why)`).
    pub(crate) fn from_value(value: &Value) -> Result<CacherConfig, (String, String)> {
        let bad = |key: &str, why: String| Err((key.to_owned(), why));
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
                    Some(Value::Object(options)) => Some(options),
                    Some(_) => return bad("cacher.options", "an object".to_owned()),
                };
                (kind, options)
            }
            _ => {
                return bad(
                    "cacher",
                    "true, \"Memory\", \"MemoryLRU\" or {type, options}".to_owned(),
                );
            }
        };
        let lru = match kind.as_str() {
            "memory" => false,
            "memorylru" => true,
            "redis" => return bad(
                "cacher",
                "the Redis cacher comes with a later release; `Memory` and `MemoryLRU` are here"
                    .to_owned(),
            ),
            other if other.starts_with("redis://") || other.starts_with("rediss://") => {
                return bad("cacher", "the Redis cacher comes with a later release; `Memory` and `MemoryLRU` are here".to_owned());
            }
            other => {
                return bad(
                    "cacher",
                    format!("unknown cacher `{other}` (expected Memory or MemoryLRU)"),
                );
            }
        };
        let mut config = CacherConfig {
            memory: MemoryOptions {
                ttl: None,
                max: lru.then_some(MemoryOptions::LRU_MAX),
            },
            max_params_length: None,
        };
        if let Some(options) = options {
            config.read(options, lru)?;
        }
        Ok(config)
    }

    fn read(&mut self, options: &Map<String, Value>, lru: bool) -> Result<(), (String, String)> {
        for (key, value) in options {
            let path = format!("cacher.options.{key}");
            let number = || {
                value
                    .as_f64()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .ok_or_else(|| (path.clone(), "a number".to_owned()))
            };
            match key.as_str() {
                _ if value.is_null() => {}
                "ttl" => {
                    self.memory.ttl =
                        Some(Duration::from_secs_f64(number()?)).filter(|t| !t.is_zero())
                }
                "max" if lru => self.memory.max = Some(number()? as u64),
                "maxParamsLength" => self.max_params_length = Some(number()? as usize),
                // Every value read from the cache is a copy in Rust: `clone` is what happens.
                "clone" if value.is_boolean() => {}
                "keygen" => {
                    return Err((
                        path,
                        "a JavaScript function: give the broker a `Cacher` of your own instead"
                            .to_owned(),
                    ));
                }
                "missingResponse" | "lock" => return Err((path, "not supported yet".to_owned())),
                _ => {
                    let known = if lru {
                        "ttl, max, maxParamsLength, clone"
                    } else {
                        "ttl, maxParamsLength, clone"
                    };
                    return Err((path, format!("an option of the cacher (known: {known})")));
                }
            }
        }
        Ok(())
    }

    /// The cacher.
    pub(crate) fn build(&self) -> Arc<dyn Cacher> {
        Arc::new(MemoryCacher::new(self.memory))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_nodes_forms() {
        let memory = CacherConfig::from_value(&json!(true)).unwrap();
        assert_eq!(memory.memory.max, None);
        let lru = CacherConfig::from_value(&json!("MemoryLRU")).unwrap();
        assert_eq!(lru.memory.max, Some(1000));
        let object = CacherConfig::from_value(&json!({
            "type": "MemoryLRU", "options": { "max": 5, "ttl": 30, "maxParamsLength": 60 }
        }))
        .unwrap();
        assert_eq!(object.memory.max, Some(5));
        assert_eq!(object.memory.ttl, Some(Duration::from_secs(30)));
        assert_eq!(object.max_params_length, Some(60));
        for (value, says) in [
            (json!("redis://localhost"), "later release"),
            (json!("Fancy"), "unknown cacher"),
            (
                json!({ "type": "Memory", "options": { "max": 5 } }),
                "known: ttl",
            ),
            (
                json!({ "options": { "keygen": "x" } }),
                "JavaScript function",
            ),
        ] {
            let (_, why) = CacherConfig::from_value(&value).unwrap_err();
            assert!(why.contains(says), "{value}: {why}");
        }
    }
}
