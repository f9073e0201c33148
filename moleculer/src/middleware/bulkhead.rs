//! The built-in `Bulkhead` (reference §8.2): at most `concurrency` handlers of one local
//! action (or event handler) run at once; the next ones wait in a FIFO queue of at most
//! `maxQueueSize`, beyond which calls fail with `QueueIsFullError` (429, retryable).
//!
//! The broker's `bulkhead` options apply to every local action and event handler; an
//! action's own `bulkhead` key (`#[action(bulkhead = ...)]` or `.extra("bulkhead", ...)`)
//! overrides them key by key, as Node merges them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::{Middleware, wrap_action, wrap_event};
use crate::error::{Error, Result};
use crate::options::BulkheadOptions;
use crate::service::{ActionDef, ActionHandler, BulkheadOverride, EventDef, EventHandler};

/// The bulkhead middleware, with the broker's options.
pub(crate) struct Bulkhead {
    options: BulkheadOptions,
    node_id: Arc<str>,
}

impl Bulkhead {
    pub(crate) fn new(options: BulkheadOptions, node_id: Arc<str>) -> Bulkhead {
        Bulkhead { options, node_id }
    }
}

/// The slots of one handler: running permits and the number waiting.
struct Gate {
    running: Semaphore,
    queued: AtomicUsize,
    max_queue: usize,
    name: Arc<str>,
    node_id: Arc<str>,
}

impl Gate {
    fn new(options: &BulkheadOptions, name: Arc<str>, node_id: Arc<str>) -> Arc<Gate> {
        Arc::new(Gate {
            running: Semaphore::new(options.concurrency.max(1)),
            queued: AtomicUsize::new(0),
            max_queue: options.max_queue_size,
            name,
            node_id,
        })
    }

    /// A running slot: at once when one is free, else after the calls queued before (the
    /// semaphore is fair); `QueueIsFullError` when the queue is full.
    async fn enter(&self) -> Result<SemaphorePermit<'_>> {
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(permit);
        }
        let waiting = self.queued.fetch_add(1, Ordering::AcqRel);
        if waiting >= self.max_queue {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::queue_is_full(
                &self.name,
                &self.node_id,
                waiting,
                self.max_queue,
            ));
        }
        let permit = self.running.acquire().await;
        self.queued.fetch_sub(1, Ordering::AcqRel);
        permit.map_err(|_| Error::server("the bulkhead is closed"))
    }
}

impl Middleware for Bulkhead {
    fn name(&self) -> &str {
        "Bulkhead"
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let options = own_over(action.options.bulkhead.as_ref(), &self.options);
        if !options.enabled {
            return None;
        }
        let gate = Gate::new(&options, action.name.clone(), self.node_id.clone());
        Some(wrap_action(next, move |ctx, next| {
            let (gate, next) = (gate.clone(), next.clone());
            Box::pin(async move {
                let _slot = gate.enter().await?;
                next.call(ctx).await
            })
        }))
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let options = own_over(event.options.bulkhead.as_ref(), &self.options);
        if !options.enabled {
            return None;
        }
        let gate = Gate::new(&options, event.name.clone(), self.node_id.clone());
        Some(wrap_event(next, move |ctx, next| {
            let (gate, next) = (gate.clone(), next.clone());
            Box::pin(async move {
                let _slot = gate.enter().await?;
                next.call(ctx).await
            })
        }))
    }
}

/// A handler's own `bulkhead` keys over the broker's section.
fn own_over(own: Option<&BulkheadOverride>, base: &BulkheadOptions) -> BulkheadOptions {
    own.map_or_else(|| base.clone(), |own| own.over(base))
}
