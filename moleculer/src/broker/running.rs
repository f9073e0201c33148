//! A started call as one hand-written future: the handler's future under the call's timeout,
//! then the meta merge-back into the parent, then the action's own fallback on a failure.
//!
//! Nested `async fn`s here would each copy the whole state of the one inside when created;
//! these flat futures are small (the timer and the fallback, both rare, are boxed), so a call's
//! future moves a few words instead of a few hundred bytes.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, ready};
use std::time::Duration;

use tokio::time::Sleep;

use crate::context::{Context, SharedContext};
use crate::error::{Error, Result};
use crate::metrics::FaultMetrics;
use crate::payload::Payload;
use crate::registry::ActionEndpoint;
use crate::service::{ActionDef, ActionFallback, BoxFuture};

/// A local action's own fallback with the context it gets, and where it is counted when
/// metrics are on.
pub(super) type OwnFallback = Box<(ActionFallback, Context<Payload>, Option<Arc<FaultMetrics>>)>;

/// A call's timeout.
pub(crate) struct Timeout {
    pub(crate) after: Duration,
    /// The endpoint called: its node is named in the error, its service and action label
    /// the metric.
    pub(crate) endpoint: Arc<ActionEndpoint>,
    /// Where a timeout is counted, when metrics are on.
    pub(crate) metrics: Option<Arc<FaultMetrics>>,
}

/// A call whose handler future is ready to run.
pub(crate) struct Started {
    pub(super) running: BoxFuture<'static, Result<Payload>>,
    pub(super) timeout: Option<Timeout>,
    /// A sub-call's parent context and its own, to merge meta back.
    pub(super) merge: Option<(SharedContext, SharedContext)>,
    /// The definition of the endpoint that runs, for its `retryPolicy`; kept only when
    /// retries are possible (no shared counter touched per call otherwise).
    pub(super) def: Option<Arc<ActionDef>>,
    /// The local action's own fallback, with the context it gets.
    pub(super) fallback: Option<OwnFallback>,
    /// Whether a panic in the handler becomes an error (a remote caller must get an answer)
    /// instead of unwinding into the caller.
    pub(super) catch_panics: bool,
}

impl Started {
    /// A call that runs `running` under `timeout`, with no fallback of its own.
    pub(crate) fn plain(
        running: BoxFuture<'static, Result<Payload>>,
        timeout: Option<Timeout>,
    ) -> Started {
        Started {
            running,
            timeout,
            merge: None,
            def: None,
            fallback: None,
            catch_panics: false,
        }
    }

    /// The handler's result under the timeout, and the action's fallback, not run yet.
    pub(super) fn settle(self, action: &str) -> Settle<'_> {
        Settle {
            running: self.running,
            catch_panics: self.catch_panics,
            timer: self
                .timeout
                .map(|t| (Box::pin(tokio::time::sleep(t.after)), t)),
            merge: self.merge,
            fallback: self.fallback,
            action,
        }
    }

    /// The call's result, with the action's own fallback applied to a failure.
    pub(crate) fn run(self, action: &str) -> Run<'_> {
        Run {
            settle: self.settle(action),
            fallback: None,
        }
    }
}

/// Resolves to the handler's result (or a `RequestTimeoutError`) and the unused fallback.
pub(crate) struct Settle<'a> {
    running: BoxFuture<'static, Result<Payload>>,
    catch_panics: bool,
    timer: Option<(Pin<Box<Sleep>>, Timeout)>,
    merge: Option<(SharedContext, SharedContext)>,
    fallback: Option<OwnFallback>,
    action: &'a str,
}

impl Future for Settle<'_> {
    type Output = (Result<Payload>, Option<OwnFallback>);

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // As `tokio::time::timeout`: the handler first, then the timer.
        let polled = if this.catch_panics {
            let running = &mut this.running;
            std::panic::catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))).unwrap_or_else(
                |_| {
                    let message = format!("the handler of '{}' panicked", this.action);
                    Poll::Ready(Err(Error::server(message)))
                },
            )
        } else {
            this.running.as_mut().poll(cx)
        };
        let result = match polled {
            Poll::Ready(result) => result,
            Poll::Pending => {
                let Some((timer, timeout)) = &mut this.timer else {
                    return Poll::Pending;
                };
                ready!(timer.as_mut().poll(cx));
                let endpoint = &timeout.endpoint;
                if let Some(metrics) = &timeout.metrics {
                    metrics.timed_out(&endpoint.service.full_name, this.action);
                }
                Err(Error::request_timeout(this.action, &endpoint.node_id))
            }
        };
        if let Some((parent, ctx)) = this.merge.take() {
            parent.merge_meta_from(&ctx);
        }
        Poll::Ready((result, this.fallback.take()))
    }
}

/// Resolves to the call's result, after the action's own fallback if it ran.
pub(crate) struct Run<'a> {
    settle: Settle<'a>,
    fallback: Option<BoxFuture<'static, Result<Payload>>>,
}

impl Future for Run<'_> {
    type Output = Result<Payload>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(fallback) = &mut this.fallback {
            return fallback.as_mut().poll(cx);
        }
        match ready!(Pin::new(&mut this.settle).poll(cx)) {
            (Err(err), Some(own)) => {
                let mut fallback = run_own_fallback(this.settle.action, err, *own);
                let polled = fallback.as_mut().poll(cx);
                this.fallback = Some(fallback);
                polled
            }
            (result, _) => Poll::Ready(result),
        }
    }
}

/// Runs the action's own fallback on a failure (Node's `Fallback`, outside `Retry`).
pub(super) fn run_own_fallback(
    action: &str,
    err: Error,
    (fallback, ctx, metrics): (ActionFallback, Context<Payload>, Option<Arc<FaultMetrics>>),
) -> BoxFuture<'static, Result<Payload>> {
    tracing::debug!(action, error = %err, "call failed, running the action's fallback");
    if let Some(metrics) = metrics {
        metrics.fell_back(Some(ctx.service_name()), action);
    }
    Box::pin(async move { fallback(&ctx, err).await })
}

/// The error a remote caller gets when the handler panics.
pub(super) fn handler_panicked(action: &str) -> Error {
    Error::server(format!("the handler of '{action}' panicked"))
}
