//! The options of the Redis transporter, read from the `transporter` option with the names
//! of Node's transporter, which hands them to ioredis (`new Redis(opts)`, or
//! `new Redis.Cluster(cluster.nodes, cluster.clusterOptions)`).

use std::time::Duration;

use serde_json::{Map, Value};

use redis::{Client, ConnectionInfo, IntoConnectionInfo};

use crate::error::{Error, Result};
use crate::options::TransporterOption;
use crate::transporter::{check_keys_at, without_password};

/// Connection settings of the [`RedisTransporter`](super::RedisTransporter).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisOptions {
    /// The servers to connect to, each a `redis://[user:pass@]host:port[/db]` URL: one
    /// server, or the nodes of a Redis Cluster (`cluster.nodes`), tried in turn. Pub/sub in
    /// a cluster reaches every node, so one connection to any node serves.
    pub servers: Vec<String>,
    /// `username` (Redis 6 ACL), for every server.
    pub username: Option<String>,
    /// `password`, for every server.
    pub password: Option<String>,
    /// `db`: the database to select (pub/sub channels are not per database).
    pub db: i64,
    /// How long connecting may take (`connectTimeout`, ioredis' 10 s by default).
    pub connect_timeout: Duration,
    /// TLS (`tls: {}` or `{caFile, certFile, keyFile}`; a `rediss://` URL asks for it too):
    /// the server's certificate is always checked. Needs the `redis-tls` feature.
    pub tls: Option<RedisTls>,
}

/// The TLS settings of a Redis connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RedisTls {
    /// Root certificates (PEM) to trust instead of the system's (`caFile`).
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM), for servers that verify clients (`certFile`).
    pub cert_file: Option<std::path::PathBuf>,
    /// The client certificate's key (PEM) (`keyFile`).
    pub key_file: Option<std::path::PathBuf>,
}

/// The keys read here, and those ioredis has that cannot be honoured here (with why).
const KNOWN: &[&str] = &[
    "host",
    "port",
    "username",
    "password",
    "db",
    "connectTimeout",
    "cluster",
    "url",
    "tls",
];
const REFUSED: &[(&str, &str)] = &[
    (
        "retryStrategy",
        "a JavaScript function; the transporter reconnects with ioredis' default back-off",
    ),
    (
        "reconnectOnError",
        "a JavaScript function; the transporter reconnects on every lost connection",
    ),
    (
        "keyPrefix",
        "pub/sub channels are not prefixed by ioredis either; use the broker's `namespace`",
    ),
    (
        "path",
        "Unix sockets are not supported; give `host` and `port`",
    ),
    ("sentinels", "Redis Sentinel is not supported yet"),
    (
        "tls",
        "TLS for Redis comes in a later increment of this transporter",
    ),
];

/// Where the transporter's options sit, for messages.
const TRANSPORTER_AT: &str = "transporter.options";

/// The error for an option of the wrong shape: `<at>.<key> must be <expected>`.
fn invalid_at(at: &str, key: &str, expected: &str) -> crate::Error {
    crate::Error::broker_options(
        format!("{at}.{key} must be {expected}"),
        Some(serde_json::json!({ "option": format!("{at}.{key}") })),
    )
}

impl RedisOptions {
    /// The default server, ioredis' `localhost:6379`.
    pub const DEFAULT_URL: &'static str = "redis://localhost:6379";

    /// Options for one server `url` with ioredis' defaults.
    pub fn new(url: impl Into<String>) -> RedisOptions {
        RedisOptions {
            servers: vec![url.into()],
            username: None,
            password: None,
            db: 0,
            connect_timeout: Duration::from_secs(10),
            tls: None,
        }
    }

    /// Reads `"Redis"`, `"redis://…"`, or `{type: "Redis", options: "redis://…" | {host, port,
    /// username, password, db, connectTimeout} | {cluster: {nodes, clusterOptions}}}` with
    /// ioredis' names. An option that cannot be honoured and an unknown key are errors.
    ///
    /// # Errors
    /// `BrokerOptionsError` naming the option.
    pub fn from_option(opt: &TransporterOption) -> Result<RedisOptions> {
        if let Some(url) = opt.url() {
            return RedisOptions::new(url).checked(TRANSPORTER_AT);
        }
        let mut options = RedisOptions::default();
        if let Some(map) = opt.options() {
            options.read(map, TRANSPORTER_AT)?;
        }
        options.checked(TRANSPORTER_AT)
    }

    pub(crate) fn checked(mut self, at: &str) -> Result<RedisOptions> {
        for url in &self.servers {
            if !url.starts_with("redis://") && !url.starts_with("rediss://") {
                return Err(invalid_at(
                    at,
                    "url",
                    "a redis://host:port or rediss://host:port URL",
                ));
            }
            if url.contains('#') {
                return Err(invalid_at(
                    at,
                    "url",
                    "a URL without a fragment (`#insecure`: certificates are always checked)",
                ));
            }
        }
        if self.tls.is_none() && self.servers.iter().any(|u| u.starts_with("rediss://")) {
            self.tls = Some(RedisTls::default());
        }
        if self.tls.is_some() {
            // TLS is for every server.
            for url in &mut self.servers {
                if let Some(rest) = url.strip_prefix("redis://") {
                    *url = format!("rediss://{rest}");
                }
            }
            if !cfg!(feature = "redis-tls") {
                return Err(invalid_at(
                    at,
                    "tls",
                    "left out: TLS for Redis needs the `redis-tls` feature of moleculer-rs",
                ));
            }
        }
        Ok(self)
    }

    pub(crate) fn read(&mut self, map: &Map<String, Value>, at: &str) -> Result<()> {
        check_keys_at(at, map, KNOWN, REFUSED)?;
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        let string = |key: &str| -> Result<Option<String>> {
            get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid_at(at, key, "a string"))
                })
                .transpose()
        };
        self.username = string("username")?;
        self.password = string("password")?;
        if let Some(db) = get("db") {
            self.db = db
                .as_i64()
                .filter(|db| *db >= 0)
                .ok_or_else(|| invalid_at(at, "db", "a database number"))?;
        }
        if let Some(ms) = get("connectTimeout") {
            self.connect_timeout = ms
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms > 0.0)
                .map(|ms| Duration::from_secs_f64(ms / 1000.0))
                .ok_or_else(|| invalid_at(at, "connectTimeout", "a number of milliseconds"))?;
        }
        self.tls = match get("tls") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(RedisTls::default()),
            Some(Value::Object(tls)) => {
                let files = crate::transporter::tls_files::read(tls, &[])?;
                Some(RedisTls {
                    ca_file: files.ca_file,
                    cert_file: files.cert_file,
                    key_file: files.key_file,
                })
            }
            Some(_) => {
                return Err(invalid_at(
                    at,
                    "tls",
                    "true or an object of caFile, certFile, keyFile",
                ));
            }
        };
        if let Some(cluster) = get("cluster") {
            self.servers = read_cluster(cluster, self, at, "clusterOptions")?;
            return Ok(());
        }
        if let Some(url) = string("url")? {
            self.servers = vec![url];
            return Ok(());
        }
        let host = string("host")?.unwrap_or_else(|| "localhost".to_owned());
        let port = match get("port") {
            None => 6379,
            Some(v) => v
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| invalid_at(at, "port", "a port number"))?,
        };
        self.servers = vec![format!("redis://{host}:{port}")];
        Ok(())
    }
}

/// `cluster: {nodes: [{host, port} | "host:port" | port | "redis://…"], <options_key>:
/// {redisOptions: {username, password, db}}}` (`clusterOptions` for the transporter,
/// `options` for the cacher), the option sitting at `at`.
pub(crate) fn read_cluster(
    cluster: &Value,
    options: &mut RedisOptions,
    at: &str,
    options_key: &str,
) -> Result<Vec<String>> {
    let Value::Object(cluster) = cluster else {
        return Err(invalid_at(
            at,
            "cluster",
            &format!("an object of nodes and {options_key}"),
        ));
    };
    let cluster_at = format!("{at}.cluster");
    check_option_keys_at(cluster, &cluster_at, &["nodes", options_key])?;
    let nodes = match cluster.get("nodes") {
        Some(Value::Array(nodes)) if !nodes.is_empty() => nodes,
        // Node's words: "No nodes defined for cluster".
        _ => {
            return Err(invalid_at(
                &cluster_at,
                "nodes",
                "a non-empty list of nodes",
            ));
        }
    };
    let servers = nodes
        .iter()
        .map(|node| match node {
            Value::String(s) if s.starts_with("redis://") || s.starts_with("rediss://") => {
                Ok(s.clone())
            }
            Value::String(s) => Ok(format!("redis://{s}")),
            Value::Number(port) => Ok(format!("redis://localhost:{port}")),
            Value::Object(node) => {
                let host = node
                    .get("host")
                    .and_then(Value::as_str)
                    .unwrap_or("localhost");
                let port = node.get("port").and_then(Value::as_u64).unwrap_or(6379);
                Ok(format!("redis://{host}:{port}"))
            }
            _ => Err(invalid_at(
                &cluster_at,
                "nodes",
                "{host, port}, \"host:port\" or a port",
            )),
        })
        .collect::<Result<Vec<String>>>()?;
    if let Some(cluster_options) = cluster.get(options_key).filter(|v| !v.is_null()) {
        let options_at = format!("{cluster_at}.{options_key}");
        let Value::Object(cluster_options) = cluster_options else {
            return Err(invalid_at(&cluster_at, options_key, "an object"));
        };
        check_option_keys_at(cluster_options, &options_at, &["redisOptions"])?;
        if let Some(Value::Object(redis)) = cluster_options.get("redisOptions") {
            check_option_keys_at(
                redis,
                &format!("{options_at}.redisOptions"),
                &["username", "password", "db"],
            )?;
            let text = |key: &str| redis.get(key).and_then(Value::as_str).map(str::to_owned);
            options.username = text("username").or(options.username.take());
            options.password = text("password").or(options.password.take());
        }
    }
    Ok(servers)
}

/// The keys of a nested object at `at` (`transporter.options.cluster`, …): only `known` ones.
fn check_option_keys_at(map: &Map<String, Value>, at: &str, known: &[&str]) -> Result<()> {
    match map.keys().find(|key| !known.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(invalid_at(
            at,
            key,
            &format!("one of {} (the others are not supported)", known.join(", ")),
        )),
    }
}

impl RedisOptions {
    /// A client per server, with the credentials and TLS settings of the options.
    pub(crate) fn clients(&self, at: &str) -> Result<Vec<Client>> {
        let tls = self.tls_certificates(at)?;
        self.servers(at)?
            .into_iter()
            .map(|info| {
                let built = match &tls {
                    #[cfg(feature = "redis-tls")]
                    Some(certificates) => Client::build_with_tls(info, certificates.clone()),
                    _ => Client::open(info),
                };
                built.map_err(|err| {
                    Error::broker_options(
                        format!("the Redis client cannot be made: {err}"),
                        Some(serde_json::json!({ "option": at })),
                    )
                })
            })
            .collect()
    }

    /// The certificates `tls` names, read from their files.
    #[cfg(feature = "redis-tls")]
    fn tls_certificates(&self, at: &str) -> Result<Option<redis::TlsCertificates>> {
        let Some(tls) = &self.tls else {
            return Ok(None);
        };
        let read = |path: &std::path::Path, key: &str| {
            std::fs::read(path).map_err(|err| {
                Error::broker_options(
                    format!("the Redis TLS file `{}`: {err}", path.display()),
                    Some(serde_json::json!({ "option": format!("{at}.tls.{key}") })),
                )
            })
        };
        let root_cert = tls
            .ca_file
            .as_deref()
            .map(|p| read(p, "caFile"))
            .transpose()?;
        let client_tls = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
                client_cert: read(cert, "certFile")?,
                client_key: read(key, "keyFile")?,
            }),
            _ => None,
        };
        Ok(Some(redis::TlsCertificates {
            client_tls,
            root_cert,
        }))
    }

    #[cfg(not(feature = "redis-tls"))]
    fn tls_certificates(&self, _at: &str) -> Result<Option<()>> {
        Ok(None)
    }

    fn servers(&self, at: &str) -> Result<Vec<ConnectionInfo>> {
        let o = self;
        o.servers
            .iter()
            .map(|url| {
                let info = url.as_str().into_connection_info().map_err(|err| {
                    Error::broker_options(
                        format!("invalid Redis URL `{}`: {err}", without_password(url)),
                        Some(serde_json::json!({ "option": at })),
                    )
                })?;
                let mut redis = info.redis_settings().clone();
                if let Some(user) = &o.username {
                    redis = redis.set_username(user);
                }
                if let Some(password) = &o.password {
                    redis = redis.set_password(password);
                }
                if o.db != 0 {
                    redis = redis.set_db(o.db);
                }
                Ok(info.set_redis_settings(redis))
            })
            .collect()
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions::new(RedisOptions::DEFAULT_URL)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::options::{PluginOption, TransporterKind};

    fn object(options: Value) -> TransporterOption {
        let Value::Object(options) = options else {
            unreachable!()
        };
        PluginOption::Object {
            kind: TransporterKind::Redis,
            options,
        }
    }

    #[test]
    fn reads_nodes_names() {
        let o = RedisOptions::from_option(&object(json!({
            "host": "10.0.0.5", "port": 6380, "password": "pw", "db": 2, "connectTimeout": 500
        })))
        .unwrap();
        assert_eq!(o.servers, ["redis://10.0.0.5:6380"]);
        assert_eq!((o.password.as_deref(), o.db), (Some("pw"), 2));
        assert_eq!(o.connect_timeout, Duration::from_millis(500));
        let url = PluginOption::Url {
            kind: TransporterKind::Redis,
            url: "redis://localhost:6379".to_owned(),
        };
        assert_eq!(
            RedisOptions::from_option(&url).unwrap().servers,
            ["redis://localhost:6379"]
        );
        let cluster = RedisOptions::from_option(&object(json!({
            "cluster": {
                "nodes": [{"host": "a", "port": 7000}, "b:7001", 7002],
                "clusterOptions": {"redisOptions": {"password": "s"}}
            }
        })))
        .unwrap();
        assert_eq!(
            cluster.servers,
            ["redis://a:7000", "redis://b:7001", "redis://localhost:7002"]
        );
        assert_eq!(cluster.password.as_deref(), Some("s"));
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for (options, expected) in [
            (json!({"retryStrategy": "x"}), "JavaScript function"),
            (
                json!({"hostt": "x"}),
                "did you mean `transporter.options.host`",
            ),
            (json!({"cluster": {"nodes": []}}), "non-empty list"),
            (
                json!({"cluster": {"nodes": [1], "scaleReads": "all"}}),
                "cluster.scaleReads",
            ),
            (json!({"port": "x"}), "a port number"),
        ] {
            let err = RedisOptions::from_option(&object(options.clone())).unwrap_err();
            assert!(
                err.message().contains(expected),
                "{options}: {}",
                err.message()
            );
        }
    }
}
