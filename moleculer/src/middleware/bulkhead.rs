//! The built-in `Bulkhead` (reference §8.2): at most `concurrency` handlers of one local
//! action (or event handler) run at once; the next ones wait in a FIFO queue of at most
//! `maxQueueSize`, beyond which calls fail with `QueueIsFullError` (429, retryable).
//!
//! The broker's `bulkhead` options apply to every local action and event handler; an
//! action's own `bulkhead` key (`#[action(bulkhead = ...)]` or `.extra("bulkhead", ...)`)
//! overrides them key by key, as Node merges them.
//!
//! With metrics on, each handler's `moleculer.request.bulkhead.inflight` and `.queue.size`
//! (`moleculer.event.bulkhead.*` for an event handler) follow its running and waiting calls;
//! Node registers these gauges whenever metrics are on, bulkhead or not.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::{Middleware, wrap_action, wrap_event};
use crate::error::{Error, Result};
use crate::metrics::{BulkheadMetrics, GateGauges, MetricRegistry, service_of};
use crate::options::BulkheadOptions;
use crate::service::{ActionDef, ActionHandler, BulkheadOverride, EventDef, EventHandler};

/// The bulkhead middleware, with the broker's options.
pub(crate) struct Bulkhead {
    options: BulkheadOptions,
    node_id: Arc<str>,
    metrics: Option<Arc<BulkheadMetrics>>,
}

impl Bulkhead {
    /// The bulkhead; its gauges are registered when metrics are on.
    ///
    /// # Errors
    /// A metric of one of the gauges' names registered before with another type.
    pub(crate) fn new(
        options: BulkheadOptions,
        node_id: Arc<str>,
        metrics: &Arc<MetricRegistry>,
    ) -> Result<Bulkhead> {
        Ok(Bulkhead {
            options,
            node_id,
            metrics: BulkheadMetrics::new(metrics)?.map(Arc::new),
        })
    }
}

/// The slots of one handler: running permits and the number waiting.
struct Gate {
    running: Semaphore,
    queued: AtomicUsize,
    max_queue: usize,
    name: Arc<str>,
    node_id: Arc<str>,
    /// An action's `service` label (an event handler's comes with its context).
    service: serde_json::Value,
    /// The handler's gauges, made at its first call (Node's series appear then).
    gauges: Option<(Arc<BulkheadMetrics>, OnceLock<GateGauges>)>,
}

/// A running slot; leaving it updates the gauge.
struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
    gauges: Option<&'a GateGauges>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(gauges) = self.gauges {
            gauges.running(-1.0);
        }
    }
}

/// A call waiting in the queue; leaving it (given a slot, or dropped while it waits: the
/// caller gave up) makes room.
struct Waiting<'a> {
    gate: &'a Gate,
    gauges: Option<&'a GateGauges>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.gate.queued.fetch_sub(1, Ordering::AcqRel);
        if let Some(gauges) = self.gauges {
            gauges.queued(-1.0);
        }
    }
}

impl Gate {
    fn new(
        options: &BulkheadOptions,
        name: Arc<str>,
        service: serde_json::Value,
        node_id: Arc<str>,
        metrics: Option<&Arc<BulkheadMetrics>>,
    ) -> Arc<Gate> {
        Arc::new(Gate {
            running: Semaphore::new(options.concurrency.max(1)),
            queued: AtomicUsize::new(0),
            max_queue: options.max_queue_size,
            name,
            node_id,
            service,
            gauges: metrics.map(|m| (m.clone(), OnceLock::new())),
        })
    }

    /// A running slot: at once when one is free, else after the calls queued before (the
    /// semaphore is fair); `QueueIsFullError` when the queue is full. `gauges` makes the
    /// handler's gauges at its first call.
    async fn enter(&self, gauges: impl FnOnce(&BulkheadMetrics) -> GateGauges) -> Result<Slot<'_>> {
        let gauges = self
            .gauges
            .as_ref()
            .map(|(metrics, made)| made.get_or_init(|| gauges(metrics)));
        if let Ok(permit) = self.running.try_acquire() {
            return Ok(Slot::new(permit, gauges));
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
        if let Some(gauges) = gauges {
            gauges.queued(1.0);
        }
        let queued = Waiting { gate: self, gauges };
        let permit = self.running.acquire().await;
        drop(queued);
        let permit = permit.map_err(|_| Error::server("the bulkhead is closed"))?;
        Ok(Slot::new(permit, gauges))
    }
}

impl<'a> Slot<'a> {
    fn new(permit: SemaphorePermit<'a>, gauges: Option<&'a GateGauges>) -> Slot<'a> {
        if let Some(gauges) = gauges {
            gauges.running(1.0);
        }
        Slot {
            _permit: permit,
            gauges,
        }
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
        let gate = Gate::new(
            &options,
            action.name.clone(),
            service_of(action),
            self.node_id.clone(),
            self.metrics.as_ref(),
        );
        Some(wrap_action(next, move |ctx, next| {
            let (gate, next) = (gate.clone(), next.clone());
            Box::pin(async move {
                let _slot = gate
                    .enter(|metrics| metrics.action(&gate.name, &gate.service))
                    .await?;
                next.call(ctx).await
            })
        }))
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let options = own_over(event.options.bulkhead.as_ref(), &self.options);
        if !options.enabled {
            return None;
        }
        let gate = Gate::new(
            &options,
            event.name.clone(),
            serde_json::Value::Null,
            self.node_id.clone(),
            self.metrics.as_ref(),
        );
        Some(wrap_event(next, move |ctx, next| {
            let (gate, next) = (gate.clone(), next.clone());
            Box::pin(async move {
                let _slot = gate
                    .enter(|metrics| metrics.event(&gate.name, ctx.service_name()))
                    .await?;
                next.call(ctx).await
            })
        }))
    }
}

/// A handler's own `bulkhead` keys over the broker's section.
fn own_over(own: Option<&BulkheadOverride>, base: &BulkheadOptions) -> BulkheadOptions {
    own.map_or_else(|| base.clone(), |own| own.over(base))
}
