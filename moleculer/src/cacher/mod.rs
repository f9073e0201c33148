//! Cachers (reference §10): where cached action results live, and how their keys are made.
//!
//! * [`Cacher`]: the store, as Node's cacher API has it (`get`, `getWithTTL`, `set`, `del`,
//!   `clean` with Moleculer's `*`/`**` patterns).
//! * [`MemoryCacher`]: Node's `Memory` (entries kept until their `ttl`) and `MemoryLRU`
//!   (at most `max` entries, the least recently used dropped first, an entry's age renewed
//!   when it is read), on moka.
//! * [`KeyGen`]: Node's cache keys, bit for bit, in the 0.14 and the 0.15 dialect.

mod key;
mod memory;
mod middleware;
mod options;

use std::time::Duration;

use serde_json::Value;

pub use key::{KeyGen, KeySource};
pub use memory::{MemoryCacher, MemoryOptions};
pub(crate) use middleware::ActionCache;
pub use middleware::ActionCacheOptions;
pub(crate) use options::CacherConfig;

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
