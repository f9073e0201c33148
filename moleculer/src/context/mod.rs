//! The request context (Node's `Context`, `src/context.js`).
//!
//! A handler receives a [`Context<P>`] (actions) or an [`EventContext<P>`] (events): the params
//! as `P`, and the request's ids, level, caller, meta, headers and locals. Sub-calls made with
//! [`Context::call`] carry the context along: the level grows, the request id and meta follow,
//! the remaining distributed timeout shrinks, and meta set by the callee merges back.

mod id;
mod options;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use id::ContextId;
pub use options::{CallOptions, EmitOptions, FallbackFn, FallbackResponse};

use crate::broker::ServiceBroker;
use crate::error::Result;
use crate::registry::{ActionEndpoint, EventEndpoint};
use crate::service::ServiceInfo;

/// How an event reached a handler (Node's `ctx.eventType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `emit`: one handler per group.
    Emit,
    /// `broadcast`: every handler.
    Broadcast,
    /// `broadcastLocal`: every local handler.
    BroadcastLocal,
}

impl EventType {
    /// Node's name: `"emit"`, `"broadcast"` or `"broadcastLocal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Emit => "emit",
            EventType::Broadcast => "broadcast",
            EventType::BroadcastLocal => "broadcastLocal",
        }
    }
}

/// The event part of a context.
#[derive(Debug)]
pub(crate) struct EventInfo {
    pub(crate) name: Arc<str>,
    pub(crate) event_type: EventType,
    pub(crate) groups: Option<Vec<String>>,
}

/// Per-request scratch space; never sent anywhere.
type Locals = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// A context shared by the caller and the handler. Without weak references (unlike
/// `std::sync::Arc`), its last release is one atomic update instead of two.
pub(crate) type SharedContext = triomphe::Arc<ContextInner>;

/// Everything about a request except its params; shared by the caller and the handler so that
/// meta written by the handler is seen by the caller.
pub(crate) struct ContextInner {
    pub(crate) broker: ServiceBroker,
    pub(crate) id: ContextId,
    pub(crate) request_id: Option<ContextId>,
    pub(crate) parent_id: Option<ContextId>,
    pub(crate) level: u32,
    pub(crate) caller: Option<Arc<str>>,
    /// The node, handler and service names.
    pub(crate) target: Target,
    pub(crate) meta: Mutex<Map<String, Value>>,
    pub(crate) headers: Option<Box<Map<String, Value>>>,
    /// Response headers and locals: rarely used, allocated on first use.
    pub(crate) scratch: Mutex<Option<Box<Scratch>>>,
    /// The action cache answered (Node's `ctx.cachedResult`).
    pub(crate) cached_result: std::sync::atomic::AtomicBool,
    /// Whether the request is traced (`tracing` in REQ and EVENT packets).
    pub(crate) tracing: TracingFlag,
    /// The effective timeout and when it started counting (distributed timeout).
    pub(crate) timeout: Option<(Duration, Instant)>,
    pub(crate) event: Option<Box<EventInfo>>,
}

/// Whether a request is traced: unknown (`None`) until the caller or a tracer decides, then
/// kept for the sub-calls and sent with them. Set once by the tracer's span of the handler.
pub(crate) struct TracingFlag(std::sync::atomic::AtomicU8);

impl TracingFlag {
    const UNKNOWN: u8 = 0;
    const NO: u8 = 1;
    const YES: u8 = 2;

    pub(crate) fn new(traced: Option<bool>) -> TracingFlag {
        TracingFlag(std::sync::atomic::AtomicU8::new(match traced {
            None => Self::UNKNOWN,
            Some(false) => Self::NO,
            Some(true) => Self::YES,
        }))
    }

    pub(crate) fn get(&self) -> Option<bool> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            Self::UNKNOWN => None,
            flag => Some(flag == Self::YES),
        }
    }

    pub(crate) fn set(&self, traced: bool) {
        let flag = if traced { Self::YES } else { Self::NO };
        self.0.store(flag, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Where a request runs: the node it came from or runs on, the action or event name being
/// handled, and the full name of the service whose handler runs (the `caller` of its
/// sub-calls).
pub(crate) enum Target {
    /// A local call: the names are the endpoint's own, shared rather than copied (one reference
    /// count per call instead of three).
    Action(Arc<ActionEndpoint>),
    /// A local event handler: the same for its endpoint.
    Event(Arc<EventEndpoint>),
    /// A request or event another node sent, for a local handler: the sender, the handler's
    /// name and its service.
    Named {
        node_id: Arc<str>,
        name: Arc<str>,
        service: Arc<ServiceInfo>,
    },
}

impl Target {
    pub(crate) fn node_id(&self) -> &Arc<str> {
        match self {
            Target::Action(endpoint) => &endpoint.node_id,
            Target::Event(endpoint) => &endpoint.node_id,
            Target::Named { node_id, .. } => node_id,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        match self {
            Target::Action(endpoint) => &endpoint.def.name,
            Target::Event(endpoint) => &endpoint.def.name,
            Target::Named { name, .. } => name,
        }
    }

    /// The service whose handler runs.
    pub(crate) fn service(&self) -> &Arc<ServiceInfo> {
        match self {
            Target::Action(endpoint) => &endpoint.service,
            Target::Event(endpoint) => &endpoint.service,
            Target::Named { service, .. } => service,
        }
    }
}

/// Rarely used per-request state.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) response_headers: Map<String, Value>,
    pub(crate) locals: Locals,
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

impl ContextInner {
    /// The request id: the given one, else the context's own id.
    pub(crate) fn request_id(&self) -> &ContextId {
        self.request_id.as_ref().unwrap_or(&self.id)
    }

    /// Time left of the distributed timeout, if one runs.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.timeout
            .map(|(timeout, start)| timeout.saturating_sub(start.elapsed()))
    }

    /// Merges a sub-call's meta back into this one (Node: `Object.assign(this.meta, sub.meta)`).
    pub(crate) fn merge_meta_from(&self, sub: &ContextInner) {
        if std::ptr::eq(self, sub) {
            return;
        }
        let sub_meta = sub.meta.lock();
        if sub_meta.is_empty() {
            return;
        }
        let mut meta = self.meta.lock();
        for (k, v) in sub_meta.iter() {
            meta.insert(k.clone(), v.clone());
        }
    }
}

/// `{...parent.meta, ...opts.meta}`, or the options' meta, or `{}`.
pub(crate) fn merged_meta(
    parent: Option<&ContextInner>,
    own: Option<Map<String, Value>>,
) -> Map<String, Value> {
    match (parent, own) {
        (None, own) => own.unwrap_or_default(),
        (Some(parent), own) => {
            let mut meta = parent.meta.lock().clone();
            if let Some(own) = own {
                meta.extend(own);
            }
            meta
        }
    }
}

/// The context fields that arrive with a `REQ` or an `EVENT` packet.
#[derive(Clone)]
pub(crate) struct Received {
    pub(crate) id: ContextId,
    pub(crate) request_id: Option<String>,
    pub(crate) parent_id: Option<String>,
    pub(crate) level: u32,
    pub(crate) caller: Option<String>,
    pub(crate) meta: Map<String, Value>,
    pub(crate) headers: Map<String, Value>,
    pub(crate) tracing: Option<bool>,
}

impl ContextInner {
    /// The context of a request or event that `sender` sent, for the local handler `target` of
    /// the service `service` (Node's `Context.create` plus the packet's fields).
    pub(crate) fn received(
        broker: ServiceBroker,
        sender: Arc<str>,
        fields: Received,
        (target, service): (Arc<str>, Arc<ServiceInfo>),
        timeout: Option<Duration>,
        event: Option<Box<EventInfo>>,
    ) -> ContextInner {
        ContextInner {
            broker,
            id: fields.id,
            request_id: fields.request_id.as_deref().map(ContextId::parse),
            parent_id: fields.parent_id.as_deref().map(ContextId::parse),
            level: fields.level,
            caller: fields.caller.map(Arc::from),
            target: Target::Named {
                node_id: sender,
                name: target,
                service,
            },
            meta: Mutex::new(fields.meta),
            headers: (!fields.headers.is_empty()).then(|| Box::new(fields.headers)),
            scratch: Mutex::new(None),
            cached_result: std::sync::atomic::AtomicBool::new(false),
            tracing: TracingFlag::new(fields.tracing),
            timeout: timeout.map(|t| (t, Instant::now())),
            event,
        }
    }
}

impl fmt::Debug for ContextInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id)
            .field("request_id", self.request_id())
            .field("parent_id", &self.parent_id)
            .field("level", &self.level)
            .field("caller", &self.caller)
            .field("node_id", self.target.node_id())
            .field("target", &self.target.name())
            .field("meta", &*self.meta.lock())
            .field("headers", &self.headers)
            .finish()
    }
}

/// The context of an action call, with params of type `P` (JSON by default).
pub struct Context<P = Value> {
    /// The call's params.
    pub params: P,
    pub(crate) inner: SharedContext,
}

/// The context of an event, with a payload of type `P` (JSON by default).
pub struct EventContext<P = Value> {
    /// The event's payload (Node's `ctx.params`).
    pub params: P,
    pub(crate) inner: SharedContext,
}

/// Accessors and sub-calls shared by [`Context`] and [`EventContext`].
macro_rules! common_context_api {
    ($ty:ident) => {
        impl<P> $ty<P> {
            pub(crate) fn from_parts(params: P, inner: SharedContext) -> $ty<P> {
                $ty { params, inner }
            }

            /// Replaces the params, keeping the rest of the context.
            pub fn with_params<Q>(self, params: Q) -> $ty<Q> {
                $ty {
                    params,
                    inner: self.inner,
                }
            }

            /// The context id.
            pub fn id(&self) -> &ContextId {
                &self.inner.id
            }

            /// The request id: the root context's id, or the one the caller gave.
            pub fn request_id(&self) -> &ContextId {
                self.inner.request_id()
            }

            /// The parent context's id; `None` for a root context.
            pub fn parent_id(&self) -> Option<&ContextId> {
                self.inner.parent_id.as_ref()
            }

            /// The call depth: 1 for a root context.
            pub fn level(&self) -> u32 {
                self.inner.level
            }

            /// The full name of the calling service, if the call came from a service.
            pub fn caller(&self) -> Option<&str> {
                self.inner.caller.as_deref()
            }

            /// The node the request came from (the local node for local calls).
            pub fn node_id(&self) -> &str {
                self.inner.target.node_id()
            }

            /// The tracing flag that travels with the request (`None` when tracing is off).
            pub fn tracing(&self) -> Option<bool> {
                self.inner.tracing.get()
            }

            /// The request meta; changes are visible to the caller after the handler returns.
            pub fn meta(&self) -> MutexGuard<'_, Map<String, Value>> {
                self.inner.meta.lock()
            }

            /// Sets one meta key.
            pub fn set_meta(&self, key: impl Into<String>, value: impl Into<Value>) {
                self.inner.meta.lock().insert(key.into(), value.into());
            }

            /// The request headers (protocol v5); they do not travel to sub-calls.
            pub fn headers(&self) -> &Map<String, Value> {
                match self.inner.headers.as_deref() {
                    Some(h) => h,
                    None => empty_map(),
                }
            }

            /// Stores a value in the request's locals (per request, never sent anywhere).
            pub fn set_local<T: Send + Sync + 'static>(&self, value: T) {
                self.inner
                    .scratch
                    .lock()
                    .get_or_insert_with(Box::default)
                    .locals
                    .insert(TypeId::of::<T>(), Box::new(value));
            }

            /// Reads a value from the request's locals.
            pub fn local<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
                self.inner
                    .scratch
                    .lock()
                    .as_ref()?
                    .locals
                    .get(&TypeId::of::<T>())?
                    .downcast_ref::<T>()
                    .cloned()
            }

            /// The broker running the handler.
            pub fn broker(&self) -> &ServiceBroker {
                &self.inner.broker
            }

            /// The service whose handler runs (Node's `ctx.service`): its names, version,
            /// settings and metadata as the broker registered them, after mixins and the
            /// middlewares' `service_creating`.
            pub fn service(&self) -> &ServiceInfo {
                self.inner.target.service()
            }

            /// The full name of the service whose handler runs (`"v2.math"`).
            pub fn service_name(&self) -> &str {
                &self.inner.target.service().full_name
            }

            /// Starts a span inside this request (Node's `ctx.startSpan`): the same trace,
            /// the handler's span its parent, the same sampling and service. Finish it with
            /// [`Span::finish`](crate::tracer::Span::finish) (dropping it finishes it too).
            pub fn start_span(&self, name: impl Into<String>) -> crate::tracer::Span {
                self.start_span_with(name, crate::tracer::SpanOptions::new())
            }

            /// [`start_span`](Self::start_span) with options (tags, priority).
            pub fn start_span_with(
                &self,
                name: impl Into<String>,
                mut options: crate::tracer::SpanOptions,
            ) -> crate::tracer::Span {
                let inner = &self.inner;
                options.trace_id = Some(inner.request_id().to_string());
                options.parent_id = Some(inner.id.to_string());
                options.sampled = inner.tracing.get();
                if options.service.is_none() {
                    options.service = Some(crate::tracer::service_json(inner.target.service()));
                }
                inner.broker.tracer().start_span(name, options)
            }

            /// The settings of the service whose handler runs (Node's `this.settings`),
            /// secure ones included.
            pub fn settings(&self) -> &Map<String, Value> {
                &self.inner.target.service().settings
            }

            /// The settings of the service whose handler runs, read into `T` (keys `T` does
            /// not name are ignored unless it denies unknown fields).
            ///
            /// # Errors
            /// `ServiceSchemaError` when the settings do not have `T`'s shape.
            pub fn settings_as<'a, T: Deserialize<'a>>(&'a self) -> Result<T> {
                let service = self.inner.target.service();
                T::deserialize(&service.settings).map_err(|err| {
                    crate::Error::service_schema(
                        format!(
                            "the settings of `{}` do not read as {}: {err}",
                            service.full_name,
                            std::any::type_name::<T>()
                        ),
                        None,
                    )
                })
            }

            /// Calls an action as a sub-call of this context.
            ///
            /// # Errors
            /// As [`ServiceBroker::call`].
            pub async fn call<R, Q>(&self, action: &str, params: Q) -> Result<R>
            where
                R: DeserializeOwned + 'static,
                Q: Serialize + Send + Sync + 'static,
            {
                self.call_with(action, params, CallOptions::new()).await
            }

            /// Calls an action as a sub-call of this context, with options.
            ///
            /// # Errors
            /// As [`ServiceBroker::call`].
            pub async fn call_with<R, Q>(
                &self,
                action: &str,
                params: Q,
                mut options: CallOptions,
            ) -> Result<R>
            where
                R: DeserializeOwned + 'static,
                Q: Serialize + Send + Sync + 'static,
            {
                options.parent = Some(self.inner.clone());
                self.inner.broker.call_with(action, params, options).await
            }

            /// Emits an event from within this context.
            ///
            /// # Errors
            /// Only with [`EmitOptions::throw_error`].
            pub async fn emit<Q>(&self, event: &str, payload: Q) -> Result<()>
            where
                Q: Serialize + Send + Sync + 'static,
            {
                self.emit_with(event, payload, EmitOptions::new()).await
            }

            /// Emits an event from within this context, with options.
            ///
            /// # Errors
            /// Only with [`EmitOptions::throw_error`].
            pub async fn emit_with<Q>(
                &self,
                event: &str,
                payload: Q,
                mut options: EmitOptions,
            ) -> Result<()>
            where
                Q: Serialize + Send + Sync + 'static,
            {
                options.parent = Some(self.inner.clone());
                self.inner.broker.emit_with(event, payload, options).await
            }

            /// Broadcasts an event from within this context.
            ///
            /// # Errors
            /// Only with [`EmitOptions::throw_error`].
            pub async fn broadcast<Q>(&self, event: &str, payload: Q) -> Result<()>
            where
                Q: Serialize + Send + Sync + 'static,
            {
                let options = EmitOptions {
                    parent: Some(self.inner.clone()),
                    ..EmitOptions::default()
                };
                self.inner
                    .broker
                    .broadcast_with(event, payload, options)
                    .await
            }
        }

        impl<P: fmt::Debug> fmt::Debug for $ty<P> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("params", &self.params)
                    .field("inner", &self.inner)
                    .finish()
            }
        }
    };
}

common_context_api!(Context);
common_context_api!(EventContext);

impl<P> Context<P> {
    /// Whether the action cache answered this call (Node's `ctx.cachedResult`): a middleware
    /// around the cache can tell a hit.
    pub fn cached_result(&self) -> bool {
        self.inner
            .cached_result
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Marks the result as the cache's.
    pub(crate) fn mark_cached_result(&self) {
        self.inner
            .cached_result
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl<P> Context<P> {
    /// The full name of the action being handled.
    pub fn action_name(&self) -> &str {
        self.inner.target.name()
    }

    /// Sets a response header (protocol v5 `RES.headers`).
    pub fn set_response_header(&self, key: impl Into<String>, value: impl Into<Value>) {
        self.inner
            .scratch
            .lock()
            .get_or_insert_with(Box::default)
            .response_headers
            .insert(key.into(), value.into());
    }

    /// The response headers set so far.
    pub fn response_headers(&self) -> Map<String, Value> {
        self.inner
            .scratch
            .lock()
            .as_ref()
            .map(|s| s.response_headers.clone())
            .unwrap_or_default()
    }

    /// Time left of the distributed timeout, if one runs.
    pub fn remaining_timeout(&self) -> Option<Duration> {
        self.inner.remaining()
    }

    /// Calls several actions at once as sub-calls of this context (Node's `ctx.mcall`).
    ///
    /// # Errors
    /// As [`ServiceBroker::mcall`].
    pub async fn mcall(&self, calls: crate::broker::MultiCall) -> Result<Value> {
        let options = CallOptions {
            parent: Some(self.inner.clone()),
            ..CallOptions::default()
        };
        self.inner.broker.mcall_with(calls, options).await
    }
}

impl<P> EventContext<P> {
    /// The concrete event name (not the pattern the handler subscribed with).
    pub fn event_name(&self) -> &str {
        self.inner.event.as_ref().map_or("", |e| &e.name)
    }

    /// How the event was sent.
    pub fn event_type(&self) -> EventType {
        self.inner
            .event
            .as_ref()
            .map_or(EventType::Emit, |e| e.event_type)
    }

    /// The groups the event was sent to, if the sender named any.
    pub fn event_groups(&self) -> Option<&[String]> {
        self.inner.event.as_ref()?.groups.as_deref()
    }
}
