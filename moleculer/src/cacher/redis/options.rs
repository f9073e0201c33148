//! The options of the Redis cacher, with the names of Node's (`src/cachers/redis.js`):
//! `redis` (ioredis' options or a URL), `cluster`, `prefix`, `ttl`, `monitor`, `pingInterval`,
//! `serializer`, `redlock`, and the base cacher's `maxParamsLength` and `missingResponse`.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::cacher::CacheSerializer;
use crate::error::{Error, Result};
use crate::transporter::RedisOptions;
use crate::transporter::redis::options::read_cluster;

/// Where the options sit, for messages.
const AT: &str = "cacher.options";

/// The settings of a [`RedisCacher`](super::RedisCacher).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RedisCacherOptions {
    /// The server (`redis`: ioredis' `{host, port, username, password, db, tls}` or a URL), or
    /// the nodes of a Redis Cluster (`cluster.nodes`).
    pub connection: RedisOptions,
    /// Whether [`connection`](Self::connection) names the nodes of a Redis Cluster.
    pub cluster: bool,
    /// `prefix` of every key (then `"<prefix>-"`); `"MOL-"` and the namespace by default.
    pub prefix: Option<String>,
    /// How long a value lives when `set` gives no time (`ttl`, seconds; none by default).
    pub ttl: Option<Duration>,
    /// How values are stored (`serializer`, `"JSON"` by default): as Node's serializer of the
    /// same name writes them.
    pub serializer: CacheSerializer,
    /// `monitor`: every command the server runs is logged at debug level.
    pub monitor: bool,
    /// `pingInterval`: a PING this often tells whether the server is there.
    pub ping_interval: Option<Duration>,
    /// The locks' settings (`redlock`); `None` (`redlock: false`) for no locks.
    pub redlock: Option<RedlockOptions>,
    /// `maxParamsLength` of the keys.
    pub max_params_length: Option<usize>,
    /// `missingResponse`: a cached value equal to it is no hit.
    pub missing_response: Option<Value>,
}

/// How locks are taken (the Redlock algorithm's settings, with redlock's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RedlockOptions {
    /// How many more tries a `lock` makes when the key is held (`retryCount`, 10).
    pub retry_count: u32,
    /// The pause between tries (`retryDelay`, 200 ms).
    pub retry_delay: Duration,
    /// A random part added to each pause, up to this (`retryJitter`, 200 ms).
    pub retry_jitter: Duration,
    /// The share of a lock's time kept for clock drift (`driftFactor`, 0.01): a lock whose
    /// taking used up its time is given back.
    pub drift_factor: f64,
}

impl Default for RedlockOptions {
    fn default() -> Self {
        RedlockOptions {
            retry_count: 10,
            retry_delay: Duration::from_millis(200),
            retry_jitter: Duration::from_millis(200),
            drift_factor: 0.01,
        }
    }
}

impl RedisCacherOptions {
    /// Options for the server at `url`, with Node's defaults.
    pub fn new(url: impl Into<String>) -> RedisCacherOptions {
        RedisCacherOptions {
            connection: RedisOptions::new(url),
            cluster: false,
            prefix: None,
            ttl: None,
            serializer: CacheSerializer::Json,
            monitor: false,
            ping_interval: None,
            redlock: Some(RedlockOptions::default()),
            max_params_length: None,
            missing_response: None,
        }
    }

    /// Reads the `options` of `{type: "Redis", options}` (or the URL of `cacher:
    /// "redis://…"`).
    ///
    /// # Errors
    /// `BrokerOptionsError` naming the option that is wrong or cannot be honoured.
    pub fn from_json(options: &Value) -> Result<RedisCacherOptions> {
        let mut parsed = RedisCacherOptions::new(RedisOptions::DEFAULT_URL);
        match options {
            Value::Null => {}
            Value::String(url) => parsed.connection = RedisOptions::new(url.clone()),
            Value::Object(map) => parsed.read(map)?,
            _ => return Err(invalid("", "a redis:// URL or an object of options")),
        }
        parsed.connection = parsed.connection.checked(&format!("{AT}.redis"))?;
        Ok(parsed)
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<()> {
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        for key in map.keys() {
            if !KNOWN.contains(&key.as_str()) {
                return Err(invalid(
                    key,
                    &format!(
                        "an option of the Redis cacher (known: {})",
                        KNOWN.join(", ")
                    ),
                ));
            }
        }
        match get("redis") {
            None => {}
            Some(Value::String(url)) => self.connection = RedisOptions::new(url.clone()),
            Some(Value::Object(redis)) => {
                if redis.contains_key("cluster") {
                    return Err(invalid("redis.cluster", "given as the cacher's `cluster`"));
                }
                self.connection.read(redis, &format!("{AT}.redis"))?;
            }
            Some(_) => return Err(invalid("redis", "a redis:// URL or ioredis' options")),
        }
        if let Some(cluster) = get("cluster") {
            self.connection.servers = read_cluster(cluster, &mut self.connection, AT, "options")?;
            self.cluster = true;
        }
        if let Some(prefix) = get("prefix") {
            let prefix = prefix
                .as_str()
                .ok_or_else(|| invalid("prefix", "a string"))?;
            self.prefix = Some(prefix.to_owned()).filter(|p| !p.is_empty());
        }
        if let Some(ttl) = get("ttl") {
            self.ttl = Some(seconds(ttl).ok_or_else(|| invalid("ttl", "a number of seconds"))?)
                .filter(|t| !t.is_zero());
        }
        if let Some(monitor) = get("monitor") {
            self.monitor = monitor
                .as_bool()
                .ok_or_else(|| invalid("monitor", "a boolean"))?;
        }
        if let Some(ms) = get("pingInterval") {
            let ms = ms
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .ok_or_else(|| invalid("pingInterval", "a number of milliseconds"))?;
            self.ping_interval =
                Some(Duration::from_secs_f64(ms / 1000.0)).filter(|d| !d.is_zero());
        }
        if let Some(serializer) = get("serializer") {
            let name = match serializer {
                Value::String(name) => name.as_str(),
                Value::Object(o) if o.len() == 1 && o.get("type").is_some_and(Value::is_string) => {
                    o["type"].as_str().unwrap_or_default()
                }
                _ => return Err(invalid("serializer", "a serializer's name")),
            };
            self.serializer =
                CacheSerializer::from_name(name).map_err(|why| invalid("serializer", &why))?;
        }
        match get("redlock") {
            None | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => self.redlock = None,
            Some(Value::Object(redlock)) => self.redlock = Some(read_redlock(redlock)?),
            Some(_) => return Err(invalid("redlock", "false or redlock's options")),
        }
        if let Some(max) = get("maxParamsLength") {
            let max = max
                .as_u64()
                .ok_or_else(|| invalid("maxParamsLength", "a whole number"))?;
            self.max_params_length = Some(max as usize);
        }
        if let Some(missing) = map.get("missingResponse") {
            self.missing_response = Some(missing.clone());
        }
        if get("keygen").is_some() {
            return Err(invalid(
                "keygen",
                "a JavaScript function: give the broker a key function with BrokerBuilder::cache_keygen",
            ));
        }
        Ok(())
    }
}

/// The options the Redis cacher reads.
const KNOWN: &[&str] = &[
    "redis",
    "cluster",
    "prefix",
    "ttl",
    "monitor",
    "pingInterval",
    "serializer",
    "redlock",
    "maxParamsLength",
    "missingResponse",
    "keygen",
];

fn read_redlock(map: &Map<String, Value>) -> Result<RedlockOptions> {
    let mut redlock = RedlockOptions::default();
    for (key, value) in map {
        let at = format!("redlock.{key}");
        let ms = || {
            value
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Duration::from_secs_f64(ms / 1000.0))
                .ok_or_else(|| invalid(&at, "a number of milliseconds"))
        };
        match key.as_str() {
            "retryCount" => {
                redlock.retry_count = value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| invalid(&at, "a whole number"))?;
            }
            "retryDelay" => redlock.retry_delay = ms()?,
            "retryJitter" => redlock.retry_jitter = ms()?,
            "driftFactor" => {
                redlock.drift_factor = value
                    .as_f64()
                    .filter(|f| (0.0..1.0).contains(f))
                    .ok_or_else(|| invalid(&at, "a number from 0 to 1"))?;
            }
            "clients" => {
                return Err(invalid(
                    &at,
                    "ioredis clients; the locks use the cacher's own connection",
                ));
            }
            _ => {
                return Err(invalid(
                    &at,
                    "one of retryCount, retryDelay, retryJitter, driftFactor",
                ));
            }
        }
    }
    Ok(redlock)
}

fn seconds(value: &Value) -> Option<Duration> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

fn invalid(key: &str, expected: &str) -> Error {
    let path = if key.is_empty() {
        AT.to_owned()
    } else {
        format!("{AT}.{key}")
    };
    Error::broker_options(
        format!("`{path}` must be {expected}"),
        Some(serde_json::json!({ "option": path })),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_nodes_options() {
        let options = RedisCacherOptions::from_json(&json!({
            "redis": { "host": "10.0.0.2", "port": 6380, "password": "pw", "db": 3 },
            "prefix": "APP", "ttl": 30, "monitor": true, "pingInterval": 5000,
            "serializer": "MsgPack", "redlock": { "retryCount": 2, "retryDelay": 50 },
            "maxParamsLength": 60, "missingResponse": null
        }))
        .unwrap();
        assert_eq!(options.connection.servers, ["redis://10.0.0.2:6380"]);
        assert_eq!(options.connection.db, 3);
        assert_eq!(options.prefix.as_deref(), Some("APP"));
        assert_eq!(options.ttl, Some(Duration::from_secs(30)));
        assert!(options.monitor);
        assert_eq!(options.ping_interval, Some(Duration::from_secs(5)));
        assert_eq!(options.serializer.name(), "MsgPack");
        let redlock = options.redlock.unwrap();
        assert_eq!(
            (redlock.retry_count, redlock.retry_delay),
            (2, Duration::from_millis(50))
        );
        assert_eq!(options.max_params_length, Some(60));
        assert_eq!(options.missing_response, Some(Value::Null));

        let url = RedisCacherOptions::from_json(&json!("redis://h:1")).unwrap();
        assert_eq!(url.connection.servers, ["redis://h:1"]);
        let cluster = RedisCacherOptions::from_json(&json!({
            "cluster": { "nodes": [{ "host": "a", "port": 7000 }, "b:7001"] },
            "redlock": false
        }))
        .unwrap();
        assert!(cluster.cluster && cluster.redlock.is_none());
        assert_eq!(
            cluster.connection.servers,
            ["redis://a:7000", "redis://b:7001"]
        );
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for (options, says) in [
            (json!({ "serializer": "Avro" }), "schemaless"),
            (json!({ "keygen": "f" }), "JavaScript function"),
            (json!({ "ttll": 1 }), "known: redis"),
            (
                json!({ "redis": { "retryStrategy": "f" } }),
                "cacher.options.redis.retryStrategy",
            ),
            (
                json!({ "cluster": { "nodes": [] } }),
                "cacher.options.cluster.nodes",
            ),
            (json!({ "redlock": { "clients": [] } }), "own connection"),
            (json!({ "redis": "http://x" }), "redis://"),
        ] {
            let err = RedisCacherOptions::from_json(&options).unwrap_err();
            assert!(err.message().contains(says), "{options}: {}", err.message());
        }
    }
}
