//! `call`: endpoint selection, context creation, timeout, fallback and meta merge-back.
//!
//! The path of one local call, in order: look up the action's endpoint list in the current
//! registry snapshot; pick an endpoint (`nodeID`, the `$` rule, preferLocal, round-robin);
//! build the context from the options and the parent (level, request id, meta, distributed
//! timeout, `maxCallLevel`); run the endpoint's handler, under a timer when a timeout applies;
//! merge the callee's meta into the parent's; apply `fallbackResponse` to a failure.
//!
//! When a middleware wraps `call`, every call goes through its wrapper as a [`CallRequest`]
//! (params in a [`Payload`]) and the plain path above is the wrapper's innermost handler;
//! otherwise typed params go straight to the handler.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::running::{Started, run_own_fallback};
use super::{Params, ServiceBroker, Start};
use crate::context::merged_meta;
use crate::context::{
    CallOptions, ContextId, ContextInner, FallbackResponse, SharedContext, Target, TracingFlag,
};
use crate::error::{Error, Result};
use crate::metrics::{FaultMetrics, service_of};
use crate::middleware::CallRequest;
use crate::payload::Payload;
use crate::registry::{ActionEndpoint, ActionList, SelectInput};

impl ServiceBroker {
    /// Calls an action and converts its result into `R`.
    ///
    /// `params` may be any serializable value; when the action's params type is the same type,
    /// it is handed over without serializing. `R` may be the action's result type (moved as
    /// well) or any type it deserializes into, such as `serde_json::Value`.
    ///
    /// # Errors
    /// `ServiceNotFoundError`, `ServiceNotAvailableError`, `ValidationError`,
    /// `RequestTimeoutError`, `MaxCallLevelError`, `RequestSkippedError`, or the handler's own
    /// error.
    pub async fn call<R, P>(&self, action: &str, params: P) -> Result<R>
    where
        R: DeserializeOwned + 'static,
        P: Serialize + Send + Sync + 'static,
    {
        if self.inner.hooks.call.is_some() || self.retries_possible() {
            let result = self
                .call_payload_boxed(action, Payload::typed(params), CallOptions::new())
                .await?;
            return into_result(result, action);
        }
        // The options are built and consumed by the synchronous start, so the call's future
        // holds no `CallOptions` across the await; without options there is no fallback.
        let (started, _) = self.start_typed(action, params, CallOptions::new());
        let result = match started {
            Ok(started) => started.run(action).await,
            Err(err) => Err(err),
        };
        into_result(self.handled(action, result)?, action)
    }

    /// Calls an action with options.
    ///
    /// # Errors
    /// As [`ServiceBroker::call`].
    pub async fn call_with<R, P>(&self, action: &str, params: P, options: CallOptions) -> Result<R>
    where
        R: DeserializeOwned + 'static,
        P: Serialize + Send + Sync + 'static,
    {
        if self.inner.hooks.call.is_some() || self.retries_possible() {
            let result = self
                .call_payload_boxed(action, Payload::typed(params), options)
                .await?;
            return into_result(result, action);
        }
        let (started, fallback) = self.start_typed(action, params, options);
        let result = finish(action, started, fallback, self.inner.local.faults()).await;
        into_result(self.handled(action, result)?, action)
    }

    /// [`ServiceBroker::call_payload`] as one boxed future: the `call` wrappers' own, or the
    /// plain path's. The plain path's future then does not hold this path's larger one.
    fn call_payload_boxed<'a>(
        &'a self,
        action: &'a str,
        params: Payload,
        options: CallOptions,
    ) -> crate::service::BoxFuture<'a, Result<Payload>> {
        match &self.inner.hooks.call {
            Some(hook) => hook(CallRequest {
                action: action.to_owned(),
                params,
                options,
            }),
            None => self.call_payload_plain(action, params, options),
        }
    }

    /// Whether a call may be retried: the broker's `retryPolicy` is on, or an action turned
    /// its own on. Otherwise calls take the path without retries (no params kept).
    fn retries_possible(&self) -> bool {
        self.inner.options.internal_middlewares
            && (self.inner.options.retry_policy.enabled || self.inner.middlewares.action_retry())
    }

    /// The call's `fallbackResponse`, unless the built-in middlewares are left out.
    fn fallback_response(&self, options: &mut CallOptions) -> Option<FallbackResponse> {
        let fallback = options.fallback_response.take();
        fallback.filter(|_| self.inner.options.internal_middlewares)
    }

    /// Starts a call with typed params: JSON goes in as a payload; any other type is lent to
    /// the handler, which moves it out when it is the handler's params type (no allocation).
    #[inline]
    fn start_typed<P: Serialize + Send + Sync + 'static>(
        &self,
        action: &str,
        params: P,
        mut options: CallOptions,
    ) -> (Result<Started>, Option<FallbackResponse>) {
        let fallback = self.fallback_response(&mut options);
        let own = fallback.is_none();
        let started = match Payload::json_form(params) {
            Ok(json) => self.begin_call(action, Params::Payload(json), &mut options, own),
            Err(params) => {
                let mut lent = Some(params);
                self.begin_call(action, Params::Lent(&mut lent), &mut options, own)
            }
        };
        (started, fallback)
    }

    /// Calls an action with JSON params and returns the JSON result.
    ///
    /// # Errors
    /// As [`ServiceBroker::call`].
    pub async fn call_json(&self, action: &str, params: Value) -> Result<Value> {
        self.call(action, params).await
    }

    /// Calls an action with a [`Payload`] and returns the raw result [`Payload`].
    ///
    /// # Errors
    /// As [`ServiceBroker::call`].
    pub async fn call_payload(
        &self,
        action: &str,
        params: Payload,
        options: CallOptions,
    ) -> Result<Payload> {
        self.call_payload_boxed(action, params, options).await
    }

    /// A call with a payload, without the middlewares' `call` wrappers (their innermost
    /// handler). The endpoint is picked and the handler started before the future is made.
    pub(crate) fn call_payload_plain<'a>(
        &'a self,
        action: &'a str,
        params: Payload,
        mut options: CallOptions,
    ) -> crate::service::BoxFuture<'a, Result<Payload>> {
        let fallback = self.fallback_response(&mut options);
        let own = fallback.is_none();
        if self.retries_possible() {
            return Box::pin(async move {
                let result = self.call_retrying(action, params, options, own).await;
                let faults = self.inner.local.faults();
                self.handled(action, apply_fallback(action, result, fallback, faults))
            });
        }
        let started = self.begin_call(action, Params::Payload(params), &mut options, own);
        drop(options);
        Box::pin(async move {
            let result = finish(action, started, fallback, self.inner.local.faults()).await;
            self.handled(action, result)
        })
    }

    /// The result, or what the broker's error handler makes of its error (Node's
    /// `ErrorHandler`, outside the fallbacks).
    fn handled(&self, action: &str, result: Result<Payload>) -> Result<Payload> {
        self.inner
            .local
            .handled(result, &super::ErrorInfo::action(action))
    }

    /// A call under the retry policy (Node's `Retry` middleware, which sits inside
    /// `Fallback` and outside `Timeout`): a failure whose error is retryable is called again,
    /// with a new endpoint selection, after `min(delay * factor^(n-1), maxDelay)` ms, up to
    /// the call's `retries` or the policy's. An endpoint selection failure is not retried.
    async fn call_retrying(
        &self,
        action: &str,
        params: Payload,
        options: CallOptions,
        own_fallback: bool,
    ) -> Result<Payload> {
        let mut params = RetryParams::new(params);
        let mut attempt: u32 = 0;
        loop {
            let started = {
                let mut attempt_options = options.clone();
                let params = Params::Payload(params.next(action)?);
                self.begin_call(action, params, &mut attempt_options, own_fallback)?
            };
            let def = started.def.clone();
            let (err, fallback) = match started.settle(action).await {
                (Ok(result), _) => return Ok(result),
                (Err(err), fallback) => (err, fallback),
            };
            let base = &self.inner.options.retry_policy;
            let policy = match def.as_ref().and_then(|d| d.options.retry_policy.as_ref()) {
                Some(own) => own.over(base),
                None => base.clone(),
            };
            let limit = options.retries.unwrap_or(policy.retries);
            // Node counts every retryable failure the policy sees, the last one included.
            if policy.enabled
                && err.is_retryable()
                && let Some(faults) = self.inner.local.faults()
            {
                let service = def.as_deref().map_or(Value::Null, service_of);
                faults.retry_attempt(&service, action);
            }
            if !policy.enabled || !err.is_retryable() || attempt >= limit {
                return match fallback {
                    Some(own) => run_own_fallback(action, err, *own).await,
                    None => Err(err),
                };
            }
            attempt += 1;
            let delay = (policy.delay as f64 * policy.factor.powi(attempt as i32 - 1))
                .min(policy.max_delay as f64)
                .max(0.0);
            tracing::warn!(action, attempt, limit, error = %err, "retrying the call in {delay} ms");
            tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        }
    }

    /// The synchronous part of a call: endpoint, context, and the handler started through
    /// the local-dispatch port (for a remote endpoint, its handler sends the request).
    fn begin_call(
        &self,
        action: &str,
        mut params: Params<'_>,
        options: &mut CallOptions,
        own_fallback: bool,
    ) -> Result<Started> {
        let catalog = self.inner.registry.catalog();
        let Some(list) = catalog.actions.get(action) else {
            return Err(Error::service_not_found(action, options.node_id.as_deref()));
        };
        if list.strategy.needs_input() && options.node_id.is_none() {
            // Shard reads the params: they must be JSON.
            let json = params.into_payload().into_json().map_err(|err| {
                Error::server(format!("the params of '{action}' do not serialize: {err}"))
            })?;
            params = Params::Payload(Payload::json(json));
        }
        // Borrowed from the catalog: the context holds the only new reference.
        let endpoint = self.pick_endpoint(list, action, options, &params)?;
        if endpoint.local
            && options.parent.is_none()
            && self
                .inner
                .draining
                .load(std::sync::atomic::Ordering::Acquire)
        {
            return Err(Error::service_not_available(
                action,
                Some(&self.inner.node_id),
            ));
        }
        let ctx = self.new_call_context(endpoint, options)?;
        // Only a sub-call needs the context back (to merge its meta into the parent's).
        let merge = options.parent.take().map(|parent| (parent, ctx.clone()));
        let keep_def = self.retries_possible();
        let mut started = match &self.inner.transit {
            // disableBalancer: the transporter picks the node, even for a local action.
            Some(transit) if transit.balanced() && options.node_id.is_none() => {
                transit.balanced_request(ctx, params.into_payload(), endpoint)
            }
            _ => {
                let start = Start {
                    own_fallback,
                    catch_panics: false,
                    keep_def,
                };
                self.inner.local.start_action(endpoint, ctx, params, start)
            }
        };
        started.merge = merge;
        if keep_def && started.def.is_none() {
            started.def = Some(endpoint.def.clone());
        }
        Ok(started)
    }

    /// Picks the endpoint: the one on `options.node_id`, else the strategy's choice.
    fn pick_endpoint<'a>(
        &self,
        list: &'a ActionList,
        action: &str,
        options: &CallOptions,
        params: &Params<'_>,
    ) -> Result<&'a Arc<ActionEndpoint>> {
        let registry = &*self.inner.registry;
        if let Some(node) = options.node_id.as_deref() {
            return list
                .on_node(node)
                .ok_or_else(|| Error::service_not_found(action, Some(node)));
        }
        let picked = if list.strategy.needs_input() {
            let parent_meta = options.parent.as_ref().map(|p| p.meta.lock().clone());
            let meta = options.meta.as_ref().or(parent_meta.as_ref());
            let input = SelectInput {
                params: params.as_json(),
                meta,
            };
            list.next(registry.prefer_local, registry, &input)
        } else {
            list.next(registry.prefer_local, registry, &SelectInput::default())
        };
        picked.ok_or_else(|| Error::service_not_available(action, None))
    }

    /// Node's `Context.create` plus the guards of `ctx.call` (max call level, distributed
    /// timeout).
    fn new_call_context(
        &self,
        endpoint: &Arc<ActionEndpoint>,
        options: &mut CallOptions,
    ) -> Result<SharedContext> {
        let inner = &self.inner;
        let parent = options.parent.as_deref();
        let mut deadline = None;
        if let Some(parent) = parent {
            let max = inner.options.max_call_level;
            if max > 0 && parent.level >= max {
                return Err(Error::max_call_level(&inner.node_id, parent.level));
            }
            if let Some(remaining) = parent.remaining() {
                if remaining.is_zero() {
                    return Err(Error::request_skipped(&endpoint.def.name, &inner.node_id));
                }
                deadline = Some(remaining);
            }
        }
        if let Some(remaining) = deadline {
            let given = options.timeout.filter(|t| !t.is_zero());
            options.timeout = Some(given.map_or(remaining, |t| t.min(remaining)));
        }
        let timeout = effective_timeout(options, endpoint, self);
        let meta = merged_meta(parent, options.meta.take());
        Ok(SharedContext::new(ContextInner {
            broker: self.clone(),
            id: ContextId::generate(),
            request_id: options
                .request_id
                .take()
                .or_else(|| parent.map(|p| p.request_id().clone())),
            parent_id: parent.map(|p| p.id.clone()),
            level: parent.map_or(1, |p| p.level.saturating_add(1)),
            caller: options
                .caller
                .take()
                .map(Arc::from)
                .or_else(|| parent.map(|p| p.target.service().full_name.clone())),
            target: Target::Action(endpoint.clone()),
            meta: Mutex::new(meta),
            headers: options.headers.take().map(Box::new),
            scratch: Mutex::new(None),
            cached_result: std::sync::atomic::AtomicBool::new(false),
            tracing: TracingFlag::new(parent.and_then(|p| p.tracing.get())),
            // Recorded so that sub-calls get the remaining time (distributed timeout).
            timeout: timeout.map(|t| (t, Instant::now())),
            event: None,
        }))
    }
}

/// Runs a started call, then applies the `fallbackResponse` to a failure (counted in
/// `faults`).
fn finish<'a>(
    action: &'a str,
    started: Result<Started>,
    fallback: Option<FallbackResponse>,
    faults: Option<&'a Arc<FaultMetrics>>,
) -> impl Future<Output = Result<Payload>> + Send + 'a {
    let running = started.map(|started| started.run(action));
    async move {
        let result = match running {
            Ok(running) => running.await,
            Err(err) => Err(err),
        };
        apply_fallback(action, result, fallback, faults)
    }
}

/// The `fallbackResponse` of the call options in place of a failure, counted in `faults`.
fn apply_fallback(
    action: &str,
    result: Result<Payload>,
    fallback: Option<FallbackResponse>,
    faults: Option<&Arc<FaultMetrics>>,
) -> Result<Payload> {
    let (err, fallback) = match (result, fallback) {
        (Ok(value), _) => return Ok(value),
        (Err(err), None) => return Err(err),
        (Err(err), Some(fallback)) => (err, fallback),
    };
    if let Some(faults) = faults {
        // Node labels it with the action only.
        faults.fell_back(None, action);
    }
    match fallback {
        FallbackResponse::Value(v) => {
            tracing::debug!(action, error = %err, "call failed, using the fallback response");
            Ok(v)
        }
        FallbackResponse::Fn(f) => f(&err),
    }
}

/// The params of a call under the retry policy: the first attempt gets them as they are (a
/// typed value moves into the handler, no JSON); a serialized copy, much cheaper than a
/// `Value`, is kept for the next attempts.
struct RetryParams {
    first: Option<Payload>,
    /// The copy, or why there is none (the params do not serialize: the first attempt still
    /// runs, a retry fails).
    copy: std::result::Result<Vec<u8>, serde_json::Error>,
}

impl RetryParams {
    fn new(params: Payload) -> RetryParams {
        RetryParams {
            copy: params.to_vec(),
            first: Some(params),
        }
    }

    fn next(&mut self, action: &str) -> Result<Payload> {
        if let Some(params) = self.first.take() {
            return Ok(params);
        }
        let copy = self.copy.as_deref().map_err(|err| {
            Error::server(format!("the params of '{action}' do not serialize: {err}"))
        })?;
        serde_json::from_slice(copy)
            .map(Payload::json)
            .map_err(|err| Error::server(format!("the params of '{action}': {err}")))
    }
}

/// The call's timeout: the option, else the action's, else `requestTimeout`; `None` for 0,
/// and without the built-in middlewares (Node's `Timeout` is one).
fn effective_timeout(
    options: &CallOptions,
    endpoint: &ActionEndpoint,
    broker: &ServiceBroker,
) -> Option<Duration> {
    if !broker.inner.options.internal_middlewares {
        return None;
    }
    let timeout = options
        .timeout
        .or(endpoint.def.options.timeout)
        .unwrap_or(Duration::from_millis(broker.inner.options.request_timeout));
    (!timeout.is_zero()).then_some(timeout)
}

/// Converts a call's result payload into the caller's type.
pub(crate) fn into_result<R: DeserializeOwned + 'static>(
    payload: Payload,
    action: &str,
) -> Result<R> {
    let type_name = payload.type_name();
    payload.into_typed::<R>().map_err(|e| {
        Error::server(format!(
            "the response of '{action}' ({type_name}) does not convert into `{}`: {e}",
            std::any::type_name::<R>()
        ))
        .with_type("INVALID_RESPONSE")
    })
}
