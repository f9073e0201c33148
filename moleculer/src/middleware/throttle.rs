//! `Throttle` (Node's `src/middlewares/throttle.js`): an event handler with `throttle: ms`
//! runs for the first event of each period of `ms`; the events in between are dropped.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::time::Instant;

use super::debounce::period;
use super::{Middleware, wrap_event};
use crate::service::{EventDef, EventHandler};

/// The built-in `Throttle` middleware.
pub(crate) struct Throttle;

impl Middleware for Throttle {
    fn name(&self) -> &str {
        "Throttle"
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let every = period(event.options.throttle)?;
        let last_run: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        Some(wrap_event(next, move |ctx, next| {
            let now = Instant::now();
            {
                let mut last = last_run.lock();
                if last.is_some_and(|at| now.duration_since(at) < every) {
                    return Box::pin(std::future::ready(Ok(())));
                }
                *last = Some(now);
            }
            next.call(ctx)
        }))
    }
}
