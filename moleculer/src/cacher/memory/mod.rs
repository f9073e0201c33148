//! Node's `Memory` and `MemoryLRU` cachers: values kept in the process, each with the time it
//! may live. `Memory` keeps them in a sharded map ([`plain`]); `MemoryLRU` in moka, which
//! bounds their number and drops the least recently used first.

mod plain;

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use parking_lot::Mutex;
use serde_json::Value;

use super::{CacheLock, Cached, Cacher, LocalLocks};
use crate::error::Result;
use crate::registry::pattern;
use crate::service::BoxFuture;

/// The options of a [`MemoryCacher`].
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct MemoryOptions {
    /// How long a value lives when `set` gives no time (`ttl`, in Node's seconds; none by
    /// default).
    pub ttl: Option<Duration>,
    /// `MemoryLRU`'s `max`: at most this many values, the least recently used dropped first,
    /// and a value's age renewed when it is read. `None` for `Memory`: no bound.
    pub max: Option<u64>,
    /// `maxParamsLength` of the keys.
    pub max_params_length: Option<usize>,
    /// `missingResponse`: a cached value equal to it is no hit.
    pub missing_response: Option<Value>,
}

impl MemoryOptions {
    /// `MemoryLRU`'s default `max`.
    pub const LRU_MAX: u64 = 1000;
}

/// One value of the LRU, the time it may live, and when that time began.
#[derive(Debug)]
struct Entry {
    value: Value,
    ttl: Option<Duration>,
    since: Mutex<Instant>,
}

impl Entry {
    fn left(&self) -> Option<Duration> {
        self.ttl
            .map(|ttl| ttl.saturating_sub(self.since.lock().elapsed()))
    }
}

/// Each entry's own time to live, started again by a read (lru-cache's `updateAgeOnGet`).
struct Lifetime;

impl Expiry<String, Arc<Entry>> for Lifetime {
    fn expire_after_create(
        &self,
        _key: &String,
        entry: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        entry.ttl
    }

    fn expire_after_read(
        &self,
        _key: &String,
        entry: &Arc<Entry>,
        _read_at: Instant,
        _duration_until_expiry: Option<Duration>,
        _last_modified_at: Instant,
    ) -> Option<Duration> {
        *entry.since.lock() = Instant::now();
        entry.ttl
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Arc<Entry>,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        entry.ttl
    }
}

/// Node's `Memory` cacher, or `MemoryLRU` when [`MemoryOptions::max`] is set. Its locks are
/// this process's. Clones share the values.
#[derive(Clone)]
pub struct MemoryCacher {
    options: MemoryOptions,
    store: Store,
    locks: LocalLocks,
}

/// Where the values are.
#[derive(Clone)]
enum Store {
    /// `Memory`.
    Plain(Arc<plain::PlainStore>),
    /// `MemoryLRU`.
    Lru(Cache<String, Arc<Entry>>),
}

impl MemoryCacher {
    /// A cacher with `options`.
    pub fn new(options: MemoryOptions) -> MemoryCacher {
        let store = match options.max {
            Some(max) => Store::Lru(
                Cache::builder()
                    .expire_after(Lifetime)
                    .max_capacity(max)
                    .eviction_policy(EvictionPolicy::lru())
                    .build(),
            ),
            None => Store::Plain(Arc::new(plain::PlainStore::new())),
        };
        MemoryCacher {
            options,
            store,
            locks: LocalLocks::new(),
        }
    }

    /// The options it was made with.
    pub fn options(&self) -> &MemoryOptions {
        &self.options
    }

    /// How many values it holds (expired and evicted ones dropped first).
    pub fn len(&self) -> u64 {
        match &self.store {
            Store::Plain(store) => store.len(),
            Store::Lru(store) => {
                store.run_pending_tasks();
                store.entry_count()
            }
        }
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self, key: &str) -> Option<Cached> {
        match &self.store {
            Store::Plain(store) => store.get(key),
            Store::Lru(store) => store.get(key).map(|entry| Cached {
                value: entry.value.clone(),
                ttl: entry.left(),
            }),
        }
    }
}

impl std::fmt::Debug for MemoryCacher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCacher")
            .field("options", &self.options)
            .finish()
    }
}

impl Cacher for MemoryCacher {
    fn name(&self) -> &'static str {
        if self.options.max.is_some() {
            "MemoryLRU"
        } else {
            "Memory"
        }
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Value>>> {
        let value = self.read(key).map(|found| found.value);
        Box::pin(std::future::ready(Ok(value)))
    }

    fn get_with_ttl<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Cached>>> {
        Box::pin(std::future::ready(Ok(self.read(key))))
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Value,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        let ttl = ttl.or(self.options.ttl);
        match &self.store {
            Store::Plain(store) => store.insert(key, value, ttl),
            Store::Lru(store) => {
                let entry = Entry {
                    value,
                    ttl,
                    since: Mutex::new(Instant::now()),
                };
                store.insert(key.to_owned(), Arc::new(entry));
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn del<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        for key in keys {
            match &self.store {
                Store::Plain(store) => store.remove(key),
                Store::Lru(store) => store.invalidate(*key),
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn lock<'a>(&'a self, key: &'a str, _ttl: Duration) -> BoxFuture<'a, Result<CacheLock>> {
        Box::pin(async move { Ok(self.locks.lock(key).await) })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<CacheLock>>> {
        Box::pin(std::future::ready(Ok(self.locks.try_lock(key))))
    }

    fn max_params_length(&self) -> Option<usize> {
        self.options.max_params_length
    }

    fn missing_response(&self) -> Option<&Value> {
        self.options.missing_response.as_ref()
    }

    fn transporter_connected(&self) -> BoxFuture<'_, ()> {
        match &self.store {
            Store::Plain(store) => store.clear(),
            Store::Lru(store) => store.invalidate_all(),
        }
        Box::pin(std::future::ready(()))
    }

    fn clean<'a>(&'a self, patterns: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        let doomed = |key: &str| patterns.iter().any(|p| pattern::matches(key, p));
        match &self.store {
            Store::Plain(store) => store.retain(|key| !doomed(key)),
            Store::Lru(store) => {
                let keys: Vec<Arc<String>> = store
                    .iter()
                    .map(|(key, _)| key)
                    .filter(|key| doomed(key))
                    .collect();
                for key in keys {
                    store.invalidate(key.as_str());
                }
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn values_live_until_their_ttl() {
        let cacher = MemoryCacher::new(MemoryOptions {
            ttl: Some(Duration::from_millis(150)),
            ..MemoryOptions::default()
        });
        cacher.set("a", json!(1), None).await.unwrap();
        cacher
            .set("b", json!(2), Some(Duration::from_secs(60)))
            .await
            .unwrap();
        assert_eq!(cacher.get("a").await.unwrap(), Some(json!(1)));
        let cached = cacher.get_with_ttl("b").await.unwrap().unwrap();
        assert_eq!(cached.value, json!(2));
        assert!(cached.ttl.unwrap() > Duration::from_secs(59));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(cacher.get("a").await.unwrap(), None);
        assert_eq!(cacher.get("b").await.unwrap(), Some(json!(2)));
    }

    #[tokio::test]
    async fn clean_drops_what_matches_and_del_drops_keys() {
        let cacher = MemoryCacher::new(MemoryOptions::default());
        for key in ["posts.find:1", "posts.get:2", "users.find:3", "users.x.y:4"] {
            cacher.set(key, json!(key), None).await.unwrap();
        }
        cacher.clean(&["posts.*"]).await.unwrap();
        assert_eq!(cacher.get("posts.find:1").await.unwrap(), None);
        assert_eq!(cacher.get("posts.get:2").await.unwrap(), None);
        assert!(cacher.get("users.find:3").await.unwrap().is_some());
        cacher.del(&["users.find:3"]).await.unwrap();
        assert_eq!(cacher.get("users.find:3").await.unwrap(), None);
        cacher.clean(&["**"]).await.unwrap();
        assert!(cacher.is_empty());
    }

    #[tokio::test]
    async fn the_lru_keeps_at_most_max_and_renews_age_on_read() {
        let cacher = MemoryCacher::new(MemoryOptions {
            ttl: Some(Duration::from_millis(300)),
            max: Some(3),
            ..MemoryOptions::default()
        });
        assert_eq!(cacher.name(), "MemoryLRU");
        for n in 0..10 {
            cacher.set(&format!("k{n}"), json!(n), None).await.unwrap();
        }
        assert!(cacher.len() <= 3, "{}", cacher.len());
        cacher.clean(&["**"]).await.unwrap();
        cacher.set("kept", json!(1), None).await.unwrap();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(120)).await;
            assert!(
                cacher.get("kept").await.unwrap().is_some(),
                "read renews its age"
            );
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(cacher.get("kept").await.unwrap(), None);
    }
}
