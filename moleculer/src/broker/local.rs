//! The local-dispatch port: the one place where local handlers start. A call of this node
//! (`broker.call`, `ctx.call`), a request another node sent, and an event (emitted here or
//! received) all come here with a context and params; the transit layer reaches the local
//! handlers only through this port and the registry.

use std::sync::Arc;

use futures_util::future::join_all;

use super::error_handler::{ErrorHandler, ErrorInfo, handled};
use super::running::{Started, Timeout, handler_panicked};
use crate::context::{Context, EventContext, SharedContext};
use crate::error::Result;
use crate::metrics::FaultMetrics;
use crate::payload::{ParamSlot, Payload};
use crate::registry::{ActionEndpoint, EventEndpoint};

/// The params a handler starts with: a payload, or typed params a local caller lends (the
/// handler moves them out when they are its own type: no allocation, no JSON).
pub(crate) enum Params<'a> {
    Payload(Payload),
    Lent(&'a mut dyn ParamSlot),
}

impl Params<'_> {
    /// The params as a JSON value, if they are one (not lent, nor received text).
    pub(crate) fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            Params::Payload(payload) => payload.as_json(),
            Params::Lent(_) => None,
        }
    }

    /// The params as a payload (lent ones are taken).
    pub(crate) fn into_payload(self) -> Payload {
        match self {
            Params::Payload(payload) => payload,
            Params::Lent(slot) => slot.take_payload(),
        }
    }
}

/// How an action's handler starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start {
    /// Whether the action's own fallback may run on a failure (the caller gave no
    /// `fallbackResponse`).
    pub(crate) own_fallback: bool,
    /// Whether a panic in the handler (starting or running) becomes an error: a request of
    /// another node must be answered, while a local caller sees its own panic.
    pub(crate) catch_panics: bool,
    /// Whether the started call keeps the action's definition (for its retry policy).
    pub(crate) keep_def: bool,
}

/// The port; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct LocalDispatch {
    error_handler: Option<ErrorHandler>,
    /// The timeout, retry and fallback counters, when metrics and the built-in middlewares
    /// are on.
    faults: Option<Arc<FaultMetrics>>,
}

impl LocalDispatch {
    pub(crate) fn new(
        error_handler: Option<ErrorHandler>,
        faults: Option<Arc<FaultMetrics>>,
    ) -> LocalDispatch {
        LocalDispatch {
            error_handler,
            faults,
        }
    }

    /// The timeout, retry and fallback counters, when metrics are on.
    pub(crate) fn faults(&self) -> Option<&Arc<FaultMetrics>> {
        self.faults.as_ref()
    }

    /// The timeout of a call of `endpoint` after `after` (`None`: no timeout).
    pub(crate) fn timeout(
        &self,
        after: Option<std::time::Duration>,
        endpoint: &Arc<ActionEndpoint>,
    ) -> Option<Timeout> {
        after.map(|after| Timeout {
            after,
            endpoint: endpoint.clone(),
            metrics: self.faults.clone(),
        })
    }

    /// Starts the handler of `endpoint` (local, or the request-sending handler of a remote
    /// one) with `ctx` and `params`: the handler's future, not polled yet, under the
    /// context's timeout, with the action's own fallback when it has one and may run.
    #[inline]
    pub(crate) fn start_action(
        &self,
        endpoint: &Arc<ActionEndpoint>,
        ctx: SharedContext,
        params: Params<'_>,
        start: Start,
    ) -> Started {
        let timeout = self.timeout(ctx.timeout.map(|(t, _)| t), endpoint);
        let (params, fallback) = match &endpoint.fallback {
            // The action's own fallback gets the call's context and params: keep a copy.
            Some(fallback) if start.own_fallback && endpoint.local => {
                let params = params.into_payload();
                let kept = Context::from_parts(params.clone(), ctx.clone());
                (
                    Params::Payload(params),
                    Some(Box::new((fallback.clone(), kept, self.faults.clone()))),
                )
            }
            _ => (params, None),
        };
        let def = start.keep_def.then(|| endpoint.def.clone());
        let run = || match params {
            Params::Payload(payload) => endpoint.handler.call(Context::from_parts(payload, ctx)),
            Params::Lent(slot) => endpoint
                .handler
                .call_lending(Context::from_parts(Payload::null(), ctx), Some(slot)),
        };
        let running = if start.catch_panics {
            // Starting runs code (the middlewares' wrappers, the params check) on the
            // caller's task: a panic there answers the caller too.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
                Ok(running) => running,
                Err(_) => {
                    let err = handler_panicked(&endpoint.def.name);
                    Box::pin(std::future::ready(Err(err)))
                }
            }
        } else {
            run()
        };
        Started {
            running,
            timeout,
            merge: None,
            def,
            fallback,
            catch_panics: start.catch_panics,
        }
    }

    /// `result`, or what the broker's error handler makes of its error (Node's
    /// `errorHandler`, outside the fallbacks).
    pub(crate) fn handled(&self, result: Result<Payload>, info: &ErrorInfo<'_>) -> Result<Payload> {
        handled(self.error_handler.as_ref(), result, info)
    }

    /// Runs the local handlers `targets` of one event, each with the context `context` makes
    /// for it, concurrently; the last one gets the payload itself (a typed payload with one
    /// receiver is moved, not copied). Failures are logged (after the error handler); the
    /// first one is returned.
    pub(crate) async fn run_events(
        &self,
        mut targets: Vec<Arc<EventEndpoint>>,
        context: impl Fn(&Arc<EventEndpoint>) -> SharedContext,
        payload: Payload,
    ) -> Result<()> {
        let Some(last) = targets.pop() else {
            return Ok(());
        };
        let last_ctx = context(&last);
        if targets.is_empty() {
            return self.run_event(last, last_ctx, payload).await;
        }
        let mut runs: Vec<_> = targets
            .into_iter()
            .map(|endpoint| {
                let ctx = context(&endpoint);
                self.run_event(endpoint, ctx, payload.clone())
            })
            .collect();
        runs.push(self.run_event(last, last_ctx, payload));
        join_all(runs).await.into_iter().collect()
    }

    /// Runs one local event handler and logs its failure.
    async fn run_event(
        &self,
        endpoint: Arc<EventEndpoint>,
        ctx: SharedContext,
        payload: Payload,
    ) -> Result<()> {
        let Some(handler) = &endpoint.handler else {
            return Ok(());
        };
        let result = handler.call(EventContext::from_parts(payload, ctx)).await;
        // The error handler may silence the error (any `Ok`).
        let result = result.or_else(|err| {
            let info = ErrorInfo::event(&endpoint.def.name, &endpoint.service.full_name);
            self.handled(Err(err), &info).map(drop)
        });
        if let Err(err) = &result {
            tracing::error!(
                event = %endpoint.def.name,
                service = %endpoint.service.full_name,
                error = %err,
                "event handler failed"
            );
        }
        result
    }
}

impl std::fmt::Debug for LocalDispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDispatch")
            .field("error_handler", &self.error_handler.is_some())
            .finish()
    }
}
