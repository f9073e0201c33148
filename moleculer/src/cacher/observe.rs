//! What a cacher does, for metrics: Node's cachers count and time each `get` (and each value
//! found), `set`, `del` and `clean` (`moleculer.cacher.*` metrics). Here the broker reports
//! them to a [`CacheObserver`] given to its builder; without one nothing is measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{CacheLock, Cached, Cacher, CacherSetup};
use crate::error::Result;
use crate::service::BoxFuture;

/// One cacher operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheOp {
    /// A read (`get` or `getWithTTL`), and whether it found a value.
    Get {
        /// Whether a value was there.
        found: bool,
    },
    /// A `set`.
    Set,
    /// A `del`.
    Del,
    /// A `clean`.
    Clean,
}

/// Told of every cacher operation of a broker and how long it took
/// ([`BrokerBuilder::cache_observer`](crate::BrokerBuilder::cache_observer)).
pub trait CacheObserver: Send + Sync + std::fmt::Debug + 'static {
    /// `op` was done (successfully or not) in `took`.
    fn observe(&self, op: CacheOp, took: Duration);
}

/// A [`CacheObserver`] that counts operations and adds up their times.
#[derive(Debug, Default)]
pub struct CacheCounters {
    gets: AtomicU64,
    found: AtomicU64,
    sets: AtomicU64,
    dels: AtomicU64,
    cleans: AtomicU64,
    get_nanos: AtomicU64,
    set_nanos: AtomicU64,
    del_nanos: AtomicU64,
    clean_nanos: AtomicU64,
}

/// What [`CacheCounters`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheCounts {
    /// Reads.
    pub gets: u64,
    /// Reads that found a value.
    pub found: u64,
    /// Writes.
    pub sets: u64,
    /// Deletions.
    pub dels: u64,
    /// Cleans.
    pub cleans: u64,
    /// The reads' time, all together.
    pub get_time: Duration,
    /// The writes' time, all together.
    pub set_time: Duration,
    /// The deletions' time, all together.
    pub del_time: Duration,
    /// The cleans' time, all together.
    pub clean_time: Duration,
}

impl CacheCounts {
    /// Reads that found nothing.
    pub fn missed(&self) -> u64 {
        self.gets - self.found
    }
}

impl CacheCounters {
    /// Zero counts.
    pub fn new() -> CacheCounters {
        CacheCounters::default()
    }

    /// The counts so far.
    pub fn counts(&self) -> CacheCounts {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let t = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::Relaxed));
        CacheCounts {
            gets: n(&self.gets),
            found: n(&self.found),
            sets: n(&self.sets),
            dels: n(&self.dels),
            cleans: n(&self.cleans),
            get_time: t(&self.get_nanos),
            set_time: t(&self.set_nanos),
            del_time: t(&self.del_nanos),
            clean_time: t(&self.clean_nanos),
        }
    }
}

impl CacheObserver for CacheCounters {
    fn observe(&self, op: CacheOp, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let (count, time) = match op {
            CacheOp::Get { found } => {
                if found {
                    self.found.fetch_add(1, Ordering::Relaxed);
                }
                (&self.gets, &self.get_nanos)
            }
            CacheOp::Set => (&self.sets, &self.set_nanos),
            CacheOp::Del => (&self.dels, &self.del_nanos),
            CacheOp::Clean => (&self.cleans, &self.clean_nanos),
        };
        count.fetch_add(1, Ordering::Relaxed);
        time.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl<T: CacheObserver> CacheObserver for Arc<T> {
    fn observe(&self, op: CacheOp, took: Duration) {
        (**self).observe(op, took);
    }
}

/// A cacher whose operations are reported to an observer.
#[derive(Debug)]
pub(crate) struct Observed {
    inner: Arc<dyn Cacher>,
    observers: Vec<Arc<dyn CacheObserver>>,
}

impl Observed {
    pub(crate) fn new(inner: Arc<dyn Cacher>, observers: Vec<Arc<dyn CacheObserver>>) -> Observed {
        Observed { inner, observers }
    }

    async fn timed<T>(
        &self,
        op: impl FnOnce(&T) -> CacheOp,
        work: BoxFuture<'_, Result<T>>,
    ) -> Result<T> {
        let began = Instant::now();
        let done = work.await;
        if let Ok(value) = &done {
            let (op, took) = (op(value), began.elapsed());
            for observer in &self.observers {
                observer.observe(op, took);
            }
        }
        done
    }
}

impl Cacher for Observed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Value>>> {
        Box::pin(self.timed(
            |found: &Option<Value>| CacheOp::Get {
                found: found.is_some(),
            },
            self.inner.get(key),
        ))
    }

    fn get_with_ttl<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Cached>>> {
        Box::pin(self.timed(
            |found: &Option<Cached>| CacheOp::Get {
                found: found.is_some(),
            },
            self.inner.get_with_ttl(key),
        ))
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Value,
        ttl: Option<Duration>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.timed(|_| CacheOp::Set, self.inner.set(key, value, ttl)))
    }

    fn del<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.timed(|_| CacheOp::Del, self.inner.del(keys)))
    }

    fn clean<'a>(&'a self, patterns: &'a [&'a str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.timed(|_| CacheOp::Clean, self.inner.clean(patterns)))
    }

    fn lock<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<CacheLock>> {
        self.inner.lock(key, ttl)
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<CacheLock>>> {
        self.inner.try_lock(key, ttl)
    }

    fn start<'a>(&'a self, setup: CacherSetup<'a>) -> BoxFuture<'a, ()> {
        self.inner.start(setup)
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        self.inner.stop()
    }

    fn max_params_length(&self) -> Option<usize> {
        self.inner.max_params_length()
    }

    fn missing_response(&self) -> Option<&Value> {
        self.inner.missing_response()
    }

    fn transporter_connected(&self) -> BoxFuture<'_, ()> {
        self.inner.transporter_connected()
    }

    fn connected(&self) -> bool {
        self.inner.connected()
    }
}
