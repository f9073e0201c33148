//! Cachers (reference §10): where cached action results live, and how their keys are made.
//!
//! * [`Cacher`]: the store, as Node's cacher API has it (`get`, `getWithTTL`, `set`, `del`,
//!   `clean` with Moleculer's `*`/`**` patterns).
//! * [`MemoryCacher`]: Node's `Memory` (entries kept until their `ttl`) and `MemoryLRU`
//!   (at most `max` entries, the least recently used dropped first, an entry's age renewed
//!   when it is read), on moka.
//! * [`KeyGen`]: Node's cache keys, bit for bit, in the 0.14 and the 0.15 dialect.

mod codec;
mod fields;
mod key;
mod lock;
mod memory;
mod middleware;
mod observe;
mod options;
#[cfg(feature = "redis")]
mod redis;

use std::time::Duration;

use serde_json::Value;

pub use codec::CacheSerializer;
pub use key::{CacheKeygen, KeyGen, KeyRequest, KeySource};
pub use lock::{CacheLock, LocalLocks};
pub use memory::{MemoryCacher, MemoryOptions};
pub(crate) use middleware::ActionCache;
pub use middleware::{ActionCacheOptions, CacheCondition, CacheLockOptions};
pub(crate) use observe::Observed;
pub use observe::{CacheCounters, CacheCounts, CacheObserver, CacheOp};
pub(crate) use options::CacherConfig;
#[cfg(feature = "redis")]
pub use redis::{RedisCacher, RedisCacherOptions, RedlockOptions};

use crate::error::Result;
use crate::service::BoxFuture;

/// A cached value and how long it has left (`None`: no expiry), as `getWithTTL` gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached {
    /// The value.
    pub value: Value,
    /// The time it has left.
    pub ttl: Option<Duration>,
}

/// What a cacher learns from its broker when the broker starts.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CacherSetup<'a> {
    /// The broker's `namespace` (`""` for none): a shared store keeps each namespace apart.
    pub namespace: &'a str,
    /// The broker's node ID.
    pub node_id: &'a str,
}

impl<'a> CacherSetup<'a> {
    /// The setup of a broker of `namespace` and `node_id`.
    pub fn new(namespace: &'a str, node_id: &'a str) -> CacherSetup<'a> {
        CacherSetup { namespace, node_id }
    }
}

/// A store of cached values (Node's `src/cachers/base.js` interface). Object safe: the broker
/// holds an `Arc<dyn Cacher>`.
pub trait Cacher: Send + Sync + std::fmt::Debug + 'static {
    /// The Node name of the cacher (`"Memory"`, `"MemoryLRU"`, `"Redis"`).
    fn name(&self) -> &'static str;

    /// The value cached at `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Value>>>;

    /// The value cached at `key` and how long it has left (`None` for no expiry).
    fn get_with_ttl<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Cached>>>;

    /// Caches `value` at `key` for `ttl` (`None`: the cacher's own `ttl`, if any).
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Value,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>>;

    /// Drops the values at `keys`.
    fn del<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<()>>;

    /// Drops every value whose key matches one of `patterns` (`"posts.*"`, `"**"`).
    fn clean<'a>(&'a self, patterns: &'a [&'a str]) -> BoxFuture<'a, Result<()>>;

    /// Node's `lock(key, ttl)`: waits until `key` is free, then holds it until the returned
    /// lock is released or `ttl` passes (where the store expires locks).
    ///
    /// # Errors
    /// When the store has no locks, or could not give this one.
    fn lock<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<CacheLock>> {
        let _ = (key, ttl);
        Box::pin(std::future::ready(Err(no_locks(self.name()))))
    }

    /// Node's `tryLock(key, ttl)`: holds `key` if it is free; `None` when it is held.
    ///
    /// # Errors
    /// When the store has no locks.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<CacheLock>>> {
        let _ = (key, ttl);
        Box::pin(std::future::ready(Err(no_locks(self.name()))))
    }

    /// The broker starts: a store that connects somewhere does it here. A store that cannot
    /// connect logs it and reports itself not [`connected`](Cacher::connected) (the actions
    /// then run uncached); it does not fail the start, as in Node.
    fn start<'a>(&'a self, setup: CacherSetup<'a>) -> BoxFuture<'a, ()> {
        let _ = setup;
        Box::pin(std::future::ready(()))
    }

    /// The broker stopped: connections are closed (Node's `close`).
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    /// `maxParamsLength` of the keys made for this cacher.
    fn max_params_length(&self) -> Option<usize> {
        None
    }

    /// `missingResponse`: a cached value equal to it is no hit (Moleculer 0.15).
    fn missing_response(&self) -> Option<&Value> {
        None
    }

    /// The transporter connected (or connected again): what was cached may be stale, as
    /// other nodes may have changed the data meanwhile. Node's memory cachers drop it all;
    /// a shared store (Redis) keeps it.
    fn transporter_connected(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    /// Whether the cacher can serve now (a Redis cacher that lost its server cannot: the
    /// actions then run uncached).
    fn connected(&self) -> bool {
        true
    }
}

fn no_locks(name: &str) -> crate::Error {
    crate::Error::server(format!("the {name} cacher has no locks"))
}
