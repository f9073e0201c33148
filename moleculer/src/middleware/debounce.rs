//! `Debounce` (Node's `src/middlewares/debounce.js`): an event handler with `debounce: ms`
//! runs only for the last event of a burst, once no other event came for `ms`.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::task::JoinHandle;

use super::{Middleware, wrap_event};
use crate::service::{EventDef, EventHandler};

/// The built-in `Debounce` middleware.
pub(crate) struct Debounce;

/// The pending run of a debounced handler: a new event replaces it (Node's `clearTimeout`).
#[derive(Default)]
struct Pending {
    generation: u64,
    timer: Option<JoinHandle<()>>,
}

impl Middleware for Debounce {
    fn name(&self) -> &str {
        "Debounce"
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let quiet = period(event.options.debounce)?;
        let pending = Arc::new(Mutex::new(Pending::default()));
        let name = event.name.clone();
        Some(wrap_event(next, move |ctx, next| {
            let mut state = pending.lock();
            state.generation += 1;
            if let Some(timer) = state.timer.take() {
                timer.abort();
            }
            let (generation, pending, next) = (state.generation, pending.clone(), next.clone());
            let name = name.clone();
            state.timer = Some(tokio::spawn(async move {
                tokio::time::sleep(quiet).await;
                // The timer fired: from now on a later event no longer cancels this run.
                {
                    let mut state = pending.lock();
                    if state.generation != generation {
                        return;
                    }
                    state.timer = None;
                }
                // Its error can only be logged (Node leaves it an unhandled rejection).
                if let Err(err) = next.call(ctx).await {
                    tracing::error!(event = %name, error = %err, "debounced event handler failed");
                }
            }));
            // As Node: the emitter does not wait for the delayed handler.
            Box::pin(std::future::ready(Ok(())))
        }))
    }
}

/// The event's `debounce` or `throttle`, when above 0 (Node's `> 0` test).
pub(super) fn period(set: Option<Duration>) -> Option<Duration> {
    set.filter(|period| !period.is_zero())
}
