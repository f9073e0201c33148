//! The store of Node's `Memory` cacher: a map split into shards, each behind its own lock, so
//! reads on different keys do not meet; a value past its time is dropped when it is read, and
//! every 30 seconds by a sweep that a write starts (Node's `checkTTL` timer).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use serde_json::Value;

use crate::cacher::Cached;

/// How many shards the map has.
const SHARDS: usize = 16;

/// How often expired values are swept out.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

type Shard = HashMap<Box<str>, Entry, foldhash::fast::RandomState>;

/// A value and when it expires.
#[derive(Debug)]
struct Entry {
    value: Value,
    expires: Option<Instant>,
}

impl Entry {
    fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}

/// The sharded map.
#[derive(Debug)]
pub(super) struct PlainStore {
    shards: Box<[RwLock<Shard>]>,
    hasher: foldhash::fast::RandomState,
    /// When the store was made, and the next sweep as an offset from it (nanoseconds).
    born: Instant,
    next_sweep: AtomicU64,
}

impl PlainStore {
    pub(super) fn new() -> PlainStore {
        PlainStore {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            hasher: foldhash::fast::RandomState::default(),
            born: Instant::now(),
            next_sweep: AtomicU64::new(nanos(SWEEP_EVERY)),
        }
    }

    fn shard(&self, key: &str) -> &RwLock<Shard> {
        let hash = self.hasher.hash_one(key) as usize;
        &self.shards[hash % SHARDS]
    }

    pub(super) fn get(&self, key: &str) -> Option<Cached> {
        let shard = self.shard(key);
        let found = {
            let map = shard.read();
            let entry = map.get(key)?;
            match entry.expires {
                None => {
                    return Some(Cached {
                        value: entry.value.clone(),
                        ttl: None,
                    });
                }
                Some(at) => {
                    let now = Instant::now();
                    (at > now).then(|| Cached {
                        value: entry.value.clone(),
                        ttl: Some(at - now),
                    })
                }
            }
        };
        if found.is_none() {
            let mut map = shard.write();
            if map.get(key).is_some_and(|e| e.expired(Instant::now())) {
                map.remove(key);
            }
        }
        found
    }

    pub(super) fn insert(&self, key: &str, value: Value, ttl: Option<Duration>) {
        let now = Instant::now();
        let entry = Entry {
            value,
            expires: ttl.map(|ttl| now + ttl),
        };
        self.shard(key).write().insert(key.into(), entry);
        self.sweep_if_due(now);
    }

    pub(super) fn remove(&self, key: &str) {
        self.shard(key).write().remove(key);
    }

    /// Keeps only the values whose key `keep` accepts.
    pub(super) fn retain(&self, keep: impl Fn(&str) -> bool) {
        for shard in &self.shards {
            shard.write().retain(|key, _| keep(key));
        }
    }

    pub(super) fn clear(&self) {
        for shard in &self.shards {
            shard.write().clear();
        }
    }

    /// How many values it holds, expired ones swept out first.
    pub(super) fn len(&self) -> u64 {
        self.sweep(Instant::now());
        self.shards.iter().map(|s| s.read().len() as u64).sum()
    }

    fn sweep_if_due(&self, now: Instant) {
        let since = nanos(now.duration_since(self.born));
        let due = self.next_sweep.load(Ordering::Relaxed);
        if since >= due
            && self
                .next_sweep
                .compare_exchange(
                    due,
                    since + nanos(SWEEP_EVERY),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            self.sweep(now);
        }
    }

    fn sweep(&self, now: Instant) {
        for shard in &self.shards {
            shard.write().retain(|_, entry| !entry.expired(now));
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
