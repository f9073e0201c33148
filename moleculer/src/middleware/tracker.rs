//! The built-in `ContextTracker` (reference §8.6): with `tracking.enabled`, counts the calls
//! and event handlers in flight, per local service and for the calls this node sends to
//! others, so that a stopping broker waits for them: a service stops once its own are done,
//! the broker once the ones it sent are answered, each for at most `tracking.shutdownTimeout`
//! ms (a service's `$shutdownTimeout` setting overrides it). Past that, it logs a
//! `GracefulStopTimeoutError` and goes on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::Notify;

use super::{Middleware, wrap_action, wrap_event};
use crate::broker::ServiceBroker;
use crate::error::{Error, Result};
use crate::options::TrackingOptions;
use crate::service::{ActionDef, ActionHandler, BoxFuture, EventDef, EventHandler, ServiceInfo};

/// `running`, counted in flight until it completes or is dropped.
fn counted<T: 'static>(
    entered: impl Send + 'static,
    running: BoxFuture<'static, T>,
) -> BoxFuture<'static, T> {
    Box::pin(async move {
        let _entered = entered;
        running.await
    })
}

/// In-flight counts by service full name.
type Services = HashMap<Arc<str>, Arc<InFlight>>;

/// The context tracker, with the broker's `tracking` options.
pub(crate) struct ContextTracker {
    options: TrackingOptions,
    /// In-flight local calls and events, by service full name.
    services: Arc<Mutex<Services>>,
    /// Calls sent to other nodes and not answered yet.
    remote: Arc<InFlight>,
}

/// A count of what is in flight, and a signal when it drops to zero.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// One call or event in flight; leaving (even when the future is dropped) counts it out.
struct Entered(Arc<InFlight>);

impl Drop for Entered {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    fn enter(self: &Arc<Self>) -> Entered {
        self.count.fetch_add(1, Ordering::AcqRel);
        Entered(self.clone())
    }

    /// Waits until nothing is in flight, or `limit` passed; whether it drained.
    async fn drained(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.idle.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.count.load(Ordering::Acquire) == 0;
            }
        }
    }
}

impl ContextTracker {
    pub(crate) fn new(options: TrackingOptions) -> ContextTracker {
        ContextTracker {
            options,
            services: Arc::default(),
            remote: Arc::default(),
        }
    }

    fn service(
        services: &Mutex<HashMap<Arc<str>, Arc<InFlight>>>,
        name: &Arc<str>,
    ) -> Arc<InFlight> {
        services.lock().entry(name.clone()).or_default().clone()
    }
}

/// The in-flight count of the service a wrapped handler belongs to, found on its first call
/// (a wrapper serves one service's handler).
struct ServiceCounter {
    services: Arc<Mutex<Services>>,
    counter: OnceLock<Arc<InFlight>>,
}

impl ServiceCounter {
    fn new(services: &Arc<Mutex<Services>>) -> ServiceCounter {
        ServiceCounter {
            services: services.clone(),
            counter: OnceLock::new(),
        }
    }

    fn enter(&self, service: &str) -> Entered {
        let counter = self
            .counter
            .get_or_init(|| ContextTracker::service(&self.services, &Arc::from(service)));
        counter.enter()
    }
}

impl Middleware for ContextTracker {
    fn name(&self) -> &str {
        "ContextTracker"
    }

    fn local_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        if !self.options.enabled {
            return None;
        }
        let counter = ServiceCounter::new(&self.services);
        Some(wrap_action(next, move |ctx, next| {
            let entered = counter.enter(ctx.service_name());
            counted(entered, next.call(ctx))
        }))
    }

    fn remote_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        if !self.options.enabled {
            return None;
        }
        let remote = self.remote.clone();
        Some(wrap_action(next, move |ctx, next| {
            let entered = remote.enter();
            counted(entered, next.call(ctx))
        }))
    }

    fn local_event(&self, next: &EventHandler, _event: &EventDef) -> Option<EventHandler> {
        if !self.options.enabled {
            return None;
        }
        let counter = ServiceCounter::new(&self.services);
        Some(wrap_event(next, move |ctx, next| {
            let entered = counter.enter(ctx.service_name());
            counted(entered, next.call(ctx))
        }))
    }

    fn stopping<'a>(&'a self, _broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.options.enabled {
                let limit = Duration::from_millis(self.options.shutdown_timeout);
                if !self.remote.drained(limit).await {
                    let err = Error::graceful_stop_timeout("$broker", None);
                    tracing::warn!(error = %err, "calls sent to other nodes still unanswered");
                }
            }
            Ok(())
        })
    }

    fn service_stopping<'a>(
        &'a self,
        _broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if !self.options.enabled {
                return Ok(());
            }
            let ms = service
                .settings
                .get("$shutdownTimeout")
                .and_then(Value::as_u64)
                .unwrap_or(self.options.shutdown_timeout);
            let in_flight = ContextTracker::service(&self.services, &service.full_name);
            if !in_flight.drained(Duration::from_millis(ms)).await {
                let version = service.version.as_ref().map(|v| v.to_json());
                let err = Error::graceful_stop_timeout(&service.name, version.as_ref());
                tracing::warn!(
                    service = %service.full_name,
                    in_flight = in_flight.count.load(Ordering::Acquire),
                    error = %err,
                    "stopping the service with requests still running"
                );
            }
            Ok(())
        })
    }
}
