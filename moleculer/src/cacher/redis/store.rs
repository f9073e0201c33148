//! The Redis commands of the cacher, on one server (a reconnecting `ConnectionManager`) or a
//! Redis Cluster.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, Monitor};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Client, Cmd, FromRedisValue, RedisError, RedisResult, cmd};

use super::RedisCacherOptions;
use crate::error::{Error, Result};

/// Deletes the lock's key only while it holds this holder's token (Redlock's release).
const RELEASE: &str = "if redis.call(\"get\", KEYS[1]) == ARGV[1] then return redis.call(\"del\", KEYS[1]) else return 0 end";

/// Where the commands go.
#[derive(Clone)]
pub(super) enum Store {
    /// One server.
    Single(ConnectionManager),
    /// The masters of a Redis Cluster, each key sent to its slot's.
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Store::Single(_) => "Store::Single",
            Store::Cluster(_) => "Store::Cluster",
        })
    }
}

/// Whether `err` says the server is out of reach (rather than refusing one command).
pub(super) fn is_connection_error(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_timeout()
}

impl Store {
    /// Whether the options can make a client.
    pub(super) fn check(options: &RedisCacherOptions) -> Result<()> {
        if options.cluster && options.connection.tls.is_some() {
            return Err(Error::broker_options(
                "`cacher.options.cluster` with TLS is not supported yet".to_owned(),
                Some(serde_json::json!({ "option": "cacher.options.cluster" })),
            ));
        }
        clients(options).map(drop)
    }

    /// Connects to the first server that answers (each tried once), or to the cluster.
    pub(super) async fn connect(options: &RedisCacherOptions) -> Result<Store> {
        let failed = |err: RedisError| Error::server(format!("Redis cacher cannot connect: {err}"));
        if options.cluster {
            let connection = &options.connection;
            let mut builder = ClusterClient::builder(connection.servers.clone())
                .connection_timeout(connection.connect_timeout);
            if let Some(user) = &connection.username {
                builder = builder.username(user.clone());
            }
            if let Some(password) = &connection.password {
                builder = builder.password(password.clone());
            }
            let client = builder.build().map_err(failed)?;
            return client
                .get_async_connection()
                .await
                .map(Store::Cluster)
                .map_err(failed);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connection.connect_timeout));
        let mut last = None;
        for client in clients(options)? {
            match ConnectionManager::new_with_config(client, config.clone()).await {
                Ok(manager) => return Ok(Store::Single(manager)),
                Err(err) => last = Some(failed(err)),
            }
        }
        Err(last.unwrap_or_else(Error::broker_disconnected))
    }

    /// A connection in monitoring mode to the first server.
    pub(super) async fn monitor(options: &RedisCacherOptions) -> Result<Monitor> {
        let client = clients(options)?
            .into_iter()
            .next()
            .ok_or_else(Error::broker_disconnected)?;
        client
            .get_async_monitor()
            .await
            .map_err(|err| Error::server(err.to_string()))
    }

    async fn query<T: FromRedisValue>(&self, command: &Cmd) -> RedisResult<T> {
        match self {
            Store::Single(manager) => command.query_async(&mut manager.clone()).await,
            Store::Cluster(cluster) => command.query_async(&mut cluster.clone()).await,
        }
    }

    pub(super) async fn ping(&self) -> RedisResult<()> {
        self.query::<String>(&cmd("PING")).await.map(drop)
    }

    pub(super) async fn get(&self, key: &str) -> RedisResult<Option<Vec<u8>>> {
        self.query(cmd("GET").arg(key)).await
    }

    /// The value and its `TTL` (seconds; -1 for none).
    pub(super) async fn get_with_ttl(&self, key: &str) -> RedisResult<(Option<Vec<u8>>, i64)> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET").arg(key).cmd("TTL").arg(key);
        match self {
            Store::Single(manager) => pipe.query_async(&mut manager.clone()).await,
            Store::Cluster(cluster) => pipe.query_async(&mut cluster.clone()).await,
        }
    }

    pub(super) async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> RedisResult<()> {
        let mut command = cmd("SET");
        command.arg(key).arg(value);
        if let Some(ttl) = ttl {
            command.arg("PX").arg(ttl.as_millis().max(1) as u64);
        }
        self.query(&command).await
    }

    pub(super) async fn del(&self, keys: &[String]) -> RedisResult<()> {
        match self {
            Store::Single(_) => self.query::<i64>(cmd("DEL").arg(keys)).await.map(drop),
            // Keys of different slots cannot go in one DEL of a cluster.
            Store::Cluster(_) => {
                for key in keys {
                    self.query::<i64>(cmd("DEL").arg(key)).await?;
                }
                Ok(())
            }
        }
    }

    /// Deletes every key matching `pattern`, walking them with SCAN (on every master of a
    /// cluster), as Node's `_scanDel`.
    pub(super) async fn scan_del(&self, pattern: &str) -> RedisResult<()> {
        match self {
            Store::Single(manager) => {
                scan_del_on(&mut Node::Single(manager.clone()), pattern).await
            }
            Store::Cluster(cluster) => {
                for (host, port) in masters(cluster).await? {
                    let mut node = Node::ByAddress {
                        cluster: cluster.clone(),
                        host,
                        port,
                    };
                    scan_del_on(&mut node, pattern).await?;
                }
                Ok(())
            }
        }
    }

    /// `SET key token NX PX ttl`: whether the key was free.
    pub(super) async fn set_if_absent(
        &self,
        key: &str,
        token: &str,
        ttl: Duration,
    ) -> RedisResult<bool> {
        let set: Option<String> = self
            .query(
                cmd("SET")
                    .arg(key)
                    .arg(token)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64),
            )
            .await?;
        Ok(set.is_some())
    }

    /// Gives a lock back if it still holds `token`.
    pub(super) async fn release(&self, key: &str, token: &str) -> RedisResult<()> {
        self.query::<i64>(cmd("EVAL").arg(RELEASE).arg(1).arg(key).arg(token))
            .await
            .map(drop)
    }
}

/// One server's connection, for the commands a cluster cannot route by key (SCAN).
enum Node {
    Single(ConnectionManager),
    ByAddress {
        cluster: ClusterConnection,
        host: String,
        port: u16,
    },
}

impl Node {
    async fn query<T: FromRedisValue>(&mut self, command: Cmd) -> RedisResult<T> {
        match self {
            Node::Single(manager) => command.query_async(manager).await,
            Node::ByAddress {
                cluster,
                host,
                port,
            } => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                });
                let value = cluster.route_command(command, routing).await?;
                T::from_redis_value(value).map_err(RedisError::from)
            }
        }
    }
}

async fn scan_del_on(node: &mut Node, pattern: &str) -> RedisResult<()> {
    let mut cursor = 0_u64;
    loop {
        let mut scan = cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(100);
        let (next, keys): (u64, Vec<String>) = node.query(scan).await?;
        if !keys.is_empty() {
            let mut del = cmd("DEL");
            del.arg(&keys);
            // Keys found on one server may still span slots: delete them one by one there.
            if matches!(node, Node::ByAddress { .. }) {
                for key in &keys {
                    let mut one = cmd("DEL");
                    one.arg(key);
                    node.query::<i64>(one).await?;
                }
            } else {
                node.query::<i64>(del).await?;
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// The masters of a cluster, from `CLUSTER SLOTS` (each slot range's first node).
async fn masters(cluster: &ClusterConnection) -> RedisResult<Vec<(String, u16)>> {
    let slots: Vec<redis::Value> = cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(&mut cluster.clone())
        .await?;
    let mut masters = Vec::new();
    for range in slots {
        let redis::Value::Array(parts) = range else {
            continue;
        };
        let Some(redis::Value::Array(master)) = parts.get(2) else {
            continue;
        };
        let host: String = match master.first() {
            Some(value) => String::from_redis_value(value.clone())?,
            None => continue,
        };
        let port: u16 = match master.get(1) {
            Some(value) => u16::from_redis_value(value.clone())?,
            None => continue,
        };
        if !masters.contains(&(host.clone(), port)) {
            masters.push((host, port));
        }
    }
    Ok(masters)
}

/// A client per server of the options.
fn clients(options: &RedisCacherOptions) -> Result<Vec<Client>> {
    options.connection.clients("cacher.options.redis")
}
