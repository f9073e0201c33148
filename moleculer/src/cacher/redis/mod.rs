//! Node's `Redis` cacher (`src/cachers/redis.js`): values stored in Redis under
//! `<prefix><key>`, written by the serializer Node's cacher of the same options uses, so Rust
//! and Node nodes with the same Redis and namespace serve each other's cached results.
//!
//! * `set` is `SET key value PX ttl`; `getWithTTL` reads `GET` and `TTL` in one round trip.
//! * `clean` walks the keys with `SCAN MATCH <prefix><pattern>` (`**` read as `*`, as Node
//!   does) and deletes what it finds, on every master of a Redis Cluster.
//! * Locks are Redlock's on one server (`SET <prefix><key>-lock <token> NX PX ttl`, given
//!   back by a script that deletes the key only while it holds the token), so a Node node
//!   with redlock and a Rust node exclude each other.
//! * A server that cannot be reached makes the cacher *disconnected*: it is logged, the
//!   action cache lets calls through uncached, and the cacher connects again in the
//!   background.

mod options;
mod store;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::task::JoinHandle;

pub use options::{RedisCacherOptions, RedlockOptions};
use store::Store;

use super::{CacheLock, Cached, Cacher, CacherSetup};
use crate::error::{Error, Result};
use crate::service::BoxFuture;
use crate::transporter::without_password;

/// Node's `Redis` cacher.
#[derive(Debug)]
pub struct RedisCacher {
    shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// What the cacher and its background tasks share.
#[derive(Debug)]
struct Shared {
    options: RedisCacherOptions,
    /// The connection and the key prefix, once started.
    live: Mutex<Option<Live>>,
    /// Node's `connected`: whether the server answered the last time it was asked.
    connected: AtomicBool,
    /// Whether a task is bringing the connection back.
    recovering: AtomicBool,
    /// The prefix, known at start.
    prefix: Mutex<String>,
}

#[derive(Debug, Clone)]
struct Live {
    prefix: Arc<str>,
    store: Store,
}

impl RedisCacher {
    /// A cacher that connects with `options` when its broker starts.
    ///
    /// # Errors
    /// `BrokerOptionsError` when the options cannot make a client (a bad URL, TLS files that
    /// cannot be read, TLS asked of a cluster).
    pub fn new(options: RedisCacherOptions) -> Result<RedisCacher> {
        Store::check(&options)?;
        Ok(RedisCacher {
            shared: Arc::new(Shared {
                options,
                live: Mutex::new(None),
                connected: AtomicBool::new(false),
                recovering: AtomicBool::new(false),
                prefix: Mutex::new(String::new()),
            }),
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// The options it was made with.
    pub fn options(&self) -> &RedisCacherOptions {
        &self.shared.options
    }

    /// The prefix of its keys (`"MOL-"`, `"MOL-<namespace>-"` or `"<prefix>-"`), once started.
    pub fn prefix(&self) -> String {
        self.shared.prefix.lock().clone()
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.lock().push(tokio::spawn(task));
    }
}

impl Shared {
    fn live(&self) -> Result<Live> {
        self.live
            .lock()
            .clone()
            .ok_or_else(|| Error::server("the Redis cacher is not connected".to_owned()))
    }

    /// Records what a command's outcome says of the connection, and makes the error
    /// Moleculer's.
    fn outcome<T>(self: &Arc<Self>, result: redis::RedisResult<T>, what: &str) -> Result<T> {
        result.map_err(|err| {
            if store::is_connection_error(&err) {
                self.lost(&err);
            }
            Error::server(format!("Redis cacher `{what}`: {err}"))
        })
    }

    /// The server is gone: calls run uncached until a background task has it again.
    fn lost(self: &Arc<Self>, err: &dyn std::fmt::Display) {
        if self.connected.swap(false, Ordering::AcqRel) {
            tracing::error!(error = %err, "Redis cacher lost its server; actions run uncached until it is back");
        }
        if !self.recovering.swap(true, Ordering::AcqRel) {
            tokio::spawn(recover(Arc::downgrade(self)));
        }
    }

    /// Connects, with the options' connect timeout.
    async fn connect(&self) -> Result<Store> {
        let timeout = self.options.connection.connect_timeout;
        match tokio::time::timeout(timeout, Store::connect(&self.options)).await {
            Ok(connected) => connected,
            Err(_) => Err(Error::server(format!(
                "no answer from Redis at {} within {timeout:?}",
                self.servers()
            ))),
        }
    }

    fn servers(&self) -> String {
        let servers: Vec<String> = self
            .options
            .connection
            .servers
            .iter()
            .map(|s| without_password(s))
            .collect();
        servers.join(", ")
    }

    fn set_live(&self, store: Store) {
        let prefix: Arc<str> = self.prefix.lock().as_str().into();
        *self.live.lock() = Some(Live { prefix, store });
        self.connected.store(true, Ordering::Release);
    }
}

/// Brings the connection back: tries every second until the server answers.
async fn recover(shared: std::sync::Weak<Shared>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let store = shared.live.lock().as_ref().map(|live| live.store.clone());
        let back = match store {
            Some(store) => store.ping().await.is_ok(),
            None => match shared.connect().await {
                Ok(store) => {
                    shared.set_live(store);
                    true
                }
                Err(_) => false,
            },
        };
        if back {
            shared.connected.store(true, Ordering::Release);
            shared.recovering.store(false, Ordering::Release);
            tracing::info!("Redis cacher connected again");
            return;
        }
    }
}

/// Node's PING every `pingInterval`: it keeps `connected` true while the server answers.
async fn ping_every(shared: std::sync::Weak<Shared>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Ok(live) = shared.live() else { continue };
        match live.store.ping().await {
            Ok(()) => {
                if !shared.recovering.load(Ordering::Acquire) {
                    shared.connected.store(true, Ordering::Release);
                }
                tracing::debug!("Sent PING to Redis Server");
            }
            Err(err) => {
                tracing::error!(error = %err, "Failed to send PING to Redis Server");
                shared.lost(&err);
            }
        }
    }
}

/// Node's `monitor`: every command the server runs, at debug level.
async fn monitor(options: RedisCacherOptions) {
    let monitor = match Store::monitor(&options).await {
        Ok(monitor) => monitor,
        Err(err) => {
            tracing::warn!(error = %err, "Redis cacher cannot enter monitoring mode");
            return;
        }
    };
    tracing::debug!("Redis cacher entering monitoring mode...");
    let mut lines = std::pin::pin!(monitor.into_on_message::<String>());
    while let Some(line) = lines.next().await {
        tracing::debug!(target: "moleculer::cacher", "{line}");
    }
}

impl Cacher for RedisCacher {
    fn name(&self) -> &'static str {
        "Redis"
    }

    fn start<'a>(&'a self, setup: CacherSetup<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let prefix = match &self.options().prefix {
                Some(prefix) => format!("{prefix}-"),
                None if setup.namespace.is_empty() => "MOL-".to_owned(),
                None => format!("MOL-{}-", setup.namespace),
            };
            *self.shared.prefix.lock() = prefix;
            match self.shared.connect().await {
                Ok(store) => {
                    self.shared.set_live(store);
                    tracing::info!(prefix = %self.prefix(), "Redis cacher connected");
                }
                Err(err) => {
                    tracing::error!(error = %err, "Redis cacher cannot connect; actions run uncached until it does");
                    self.shared.lost(&err);
                }
            }
            if let Some(interval) = self.options().ping_interval {
                self.spawn(ping_every(Arc::downgrade(&self.shared), interval));
            }
            if self.options().monitor {
                self.spawn(monitor(self.options().clone()));
            }
        })
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
        *self.shared.live.lock() = None;
        self.shared.connected.store(false, Ordering::Release);
        Box::pin(std::future::ready(()))
    }

    fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    fn max_params_length(&self) -> Option<usize> {
        self.options().max_params_length
    }

    fn missing_response(&self) -> Option<&Value> {
        self.options().missing_response.as_ref()
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Value>>> {
        Box::pin(async move {
            let live = self.shared.live()?;
            let bytes: Option<Vec<u8>> = self.shared.outcome(
                live.store.get(&format!("{}{key}", live.prefix)).await,
                "get",
            )?;
            Ok(bytes.and_then(|bytes| self.decode(key, &bytes)))
        })
    }

    fn get_with_ttl<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Cached>>> {
        Box::pin(async move {
            let live = self.shared.live()?;
            let (bytes, ttl) = self.shared.outcome(
                live.store
                    .get_with_ttl(&format!("{}{key}", live.prefix))
                    .await,
                "getWithTTL",
            )?;
            Ok(bytes.and_then(|bytes| {
                self.decode(key, &bytes).map(|value| Cached {
                    value,
                    // Redis' TTL: seconds left, -1 for no expiry.
                    ttl: u64::try_from(ttl).ok().map(Duration::from_secs),
                })
            }))
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Value,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let bytes = self.options().serializer.encode(&value)?;
            let live = self.shared.live()?;
            let ttl = ttl.or(self.options().ttl);
            self.shared.outcome(
                live.store
                    .set(&format!("{}{key}", live.prefix), bytes, ttl)
                    .await,
                "set",
            )
        })
    }

    fn del<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(());
            }
            let live = self.shared.live()?;
            let keys: Vec<String> = keys.iter().map(|k| format!("{}{k}", live.prefix)).collect();
            self.shared.outcome(live.store.del(&keys).await, "del")
        })
    }

    fn clean<'a>(&'a self, patterns: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let live = self.shared.live()?;
            for pattern in patterns {
                let pattern = format!("{}{}", live.prefix, pattern.replace("**", "*"));
                self.shared
                    .outcome(live.store.scan_del(&pattern).await, "clean")?;
            }
            Ok(())
        })
    }

    fn lock<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<CacheLock>> {
        Box::pin(async move {
            let tries = self.redlock()?.retry_count;
            self.take_lock(key, ttl, tries).await?.ok_or_else(|| {
                Error::server(format!(
                    "the lock of `{key}` is held elsewhere ({} tries)",
                    tries + 1
                ))
            })
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<CacheLock>>> {
        Box::pin(async move {
            self.redlock()?;
            self.take_lock(key, ttl, 0).await
        })
    }
}

impl RedisCacher {
    fn decode(&self, key: &str, bytes: &[u8]) -> Option<Value> {
        match self.options().serializer.decode(bytes) {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::error!(key, error = %err, "Redis result parse error");
                None
            }
        }
    }

    fn redlock(&self) -> Result<RedlockOptions> {
        self.options().redlock.ok_or_else(|| {
            Error::server("the Redis cacher has no locks (`redlock: false`)".to_owned())
        })
    }

    /// Redlock on one server: up to `1 + retries` tries of `SET NX PX`, a lock whose taking
    /// used up its time (less the drift) given back.
    async fn take_lock(&self, key: &str, ttl: Duration, retries: u32) -> Result<Option<CacheLock>> {
        let redlock = self.redlock()?;
        let live = self.shared.live()?;
        let lock_key = format!("{}{key}-lock", live.prefix);
        let token = format!("{:032x}", fastrand::u128(..));
        let drift = ttl.mul_f64(redlock.drift_factor) + Duration::from_millis(2);
        for attempt in 0..=retries {
            let began = Instant::now();
            let taken = self.shared.outcome(
                live.store.set_if_absent(&lock_key, &token, ttl).await,
                "lock",
            )?;
            if taken {
                if began.elapsed() + drift < ttl {
                    let (store, lock_key, token) = (live.store.clone(), lock_key.clone(), token);
                    return Ok(Some(CacheLock::new(move || {
                        Box::pin(async move {
                            store.release(&lock_key, &token).await.map_err(|err| {
                                Error::server(format!("Redis cacher `unlock`: {err}"))
                            })
                        })
                    })));
                }
                // Too late to be safe: give it back and try again.
                let _ = live.store.release(&lock_key, &token).await;
            }
            if attempt < retries {
                let jitter = redlock.retry_jitter.mul_f64(fastrand::f64());
                tokio::time::sleep(redlock.retry_delay + jitter).await;
            }
        }
        Ok(None)
    }
}

impl Drop for RedisCacher {
    fn drop(&mut self) {
        for task in self.tasks.get_mut().drain(..) {
            task.abort();
        }
    }
}
