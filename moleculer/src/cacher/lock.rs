//! Cache locks (Node's `lock(key, ttl)` and `tryLock(key, ttl)`): one caller at a time
//! computes a missing value, the others wait for it and read it from the cache.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Result;
use crate::service::BoxFuture;

/// What releases a held lock.
type Release = Box<dyn FnOnce() -> BoxFuture<'static, Result<()>> + Send>;

/// A held cache lock. [`unlock`](CacheLock::unlock) releases it and reports how that went;
/// a lock dropped without it is released all the same (in the background when the release
/// talks to a server).
#[must_use = "the lock is released when it is dropped"]
pub struct CacheLock {
    release: Option<Release>,
}

impl CacheLock {
    /// A lock that `release` gives back.
    pub fn new(release: impl FnOnce() -> BoxFuture<'static, Result<()>> + Send + 'static) -> Self {
        CacheLock {
            release: Some(Box::new(release)),
        }
    }

    /// Releases the lock.
    ///
    /// # Errors
    /// When the store could not be told (the lock then ends with its time to live).
    pub async fn unlock(mut self) -> Result<()> {
        match self.release.take() {
            Some(release) => release().await,
            None => Ok(()),
        }
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let Some(release) = self.release.take() else {
            return;
        };
        let mut releasing = release();
        if futures_util::FutureExt::now_or_never(releasing.as_mut()).is_none()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(releasing);
        }
    }
}

impl std::fmt::Debug for CacheLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheLock")
            .field("held", &self.release.is_some())
            .finish()
    }
}

/// Locks by key within this process (the memory cachers' locks, as Node's `Lock`): a key's
/// entry lives while someone holds or awaits it.
#[derive(Debug, Default, Clone)]
pub struct LocalLocks {
    keys: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl LocalLocks {
    /// No lock held.
    pub fn new() -> LocalLocks {
        LocalLocks::default()
    }

    /// Waits until `key` is free, then holds it.
    pub async fn lock(&self, key: &str) -> CacheLock {
        let semaphore = self.entry(key);
        // The semaphore is never closed.
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .expect("a local lock is never closed");
        self.held(key, semaphore, permit)
    }

    /// Holds `key` if it is free; `None` when someone holds it.
    pub fn try_lock(&self, key: &str) -> Option<CacheLock> {
        let semaphore = self.entry(key);
        match semaphore.clone().try_acquire_owned() {
            Ok(permit) => Some(self.held(key, semaphore, permit)),
            Err(_) => {
                drop(semaphore);
                self.forget_if_unused(key);
                None
            }
        }
    }

    /// Whether `key` is held or awaited.
    pub fn is_locked(&self, key: &str) -> bool {
        self.keys.lock().contains_key(key)
    }

    fn entry(&self, key: &str) -> Arc<Semaphore> {
        self.keys
            .lock()
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone()
    }

    fn held(
        &self,
        key: &str,
        semaphore: Arc<Semaphore>,
        permit: OwnedSemaphorePermit,
    ) -> CacheLock {
        let (locks, key) = (self.clone(), key.to_owned());
        CacheLock::new(move || {
            drop(permit);
            drop(semaphore);
            locks.forget_if_unused(&key);
            Box::pin(std::future::ready(Ok(())))
        })
    }

    /// Drops `key`'s entry when nobody but the table holds it.
    fn forget_if_unused(&self, key: &str) {
        let mut keys = self.keys.lock();
        if keys
            .get(key)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            keys.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_the_table_empties() {
        let locks = LocalLocks::new();
        let first = locks.lock("k").await;
        assert!(locks.try_lock("k").is_none());
        assert!(locks.try_lock("other").is_some());
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("k").await.unlock().await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second waits for the first");
        first.unlock().await.unwrap();
        waiter.await.unwrap().unwrap();
        assert!(!locks.is_locked("k"));
        assert!(!locks.is_locked("other"));
        drop(locks.lock("k").await);
        assert!(!locks.is_locked("k"), "a dropped lock is released");
    }
}
