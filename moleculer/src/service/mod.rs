//! Services (Node's `Service` schema, `src/service.js`).
//!
//! `#[service]` turns an `impl` block into a [`ServiceDef`]: a [`ServiceSpec`] listing the
//! service's name, version, settings, metadata, dependencies, actions, events and lifecycle
//! handlers. The broker binds a spec to an instance of the user's struct and gets a
//! bound service whose handlers are type-erased and ready for
//! the registry. The same spec API can be used by hand, without the macro.

mod cloning;
mod compose;
mod handler;
mod hooks;
mod names;
mod options;
#[cfg(feature = "inventory")]
mod registration;
mod schema;
mod slow_start;
mod spec;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use handler::{
    ActionHandler, BoxFuture, EventHandler, IntoActionResult, IntoEventResult, IntoHookResult,
    IntoLifecycleResult,
};
pub use hooks::{AfterHookFn, BeforeHookFn, ErrorHookFn};
pub use names::{Version, Visibility, full_service_name};
pub use options::{
    ActionOptions, BulkheadOverride, CircuitBreakerOverride, EventOptions, RetryPolicyOverride,
};
#[cfg(feature = "inventory")]
pub use registration::ServiceRegistration;
pub use schema::{ActionSchema, ServiceSchema};
pub(crate) use slow_start::SlowStart;
pub use spec::{
    ActionFn, ActionSpec, CacheConditionFn, CacheKeygenFn, CreatedFn, Dependency, EventFn,
    EventSpec, LifecycleFn, ServiceSpec,
};

use crate::broker::ServiceBroker;
use crate::error::Result;

/// A type whose instances are Moleculer services; `#[service]` implements it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Moleculer service",
    note = "put `#[moleculer::service]` on an `impl {Self}` block"
)]
pub trait ServiceDef: Send + Sync + Sized + 'static {
    /// The service's definition.
    fn spec() -> ServiceSpec<Self>;
}

/// What the broker knows of one service (local or, later, remote).
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    /// The name (`"math"`).
    pub name: String,
    /// The version, if any.
    pub version: Option<Version>,
    /// The full name (`"v2.math"`).
    pub full_name: Arc<str>,
    /// The settings as the service sees them (secure ones included).
    pub settings: Map<String, Value>,
    /// The metadata.
    pub metadata: Map<String, Value>,
    /// The services this one waits for before it starts.
    pub dependencies: Vec<Dependency>,
}

impl ServiceInfo {
    /// The settings as published to other nodes (Node's `_getPublicSettings`): when
    /// `$secureSettings` is a list, without the paths it lists (`"db.password"` takes the
    /// nested key out) nor the list itself.
    pub fn public_settings(&self) -> Map<String, Value> {
        let Some(Value::Array(secure)) = self.settings.get("$secureSettings") else {
            return self.settings.clone();
        };
        let mut paths: Vec<&str> = secure.iter().filter_map(Value::as_str).collect();
        paths.push("$secureSettings");
        crate::js::lodash_omit(&self.settings, &paths)
    }
}

/// The published definition of an action (what INFO and `$node.actions` show).
#[derive(Debug, Clone)]
pub struct ActionDef {
    /// The full action name (`"v2.math.add"`).
    pub name: Arc<str>,
    /// The name inside the service (`"add"`).
    pub raw_name: String,
    /// Who may call it.
    pub visibility: Visibility,
    /// The params schema in fastest-validator dialect.
    pub params: Option<Value>,
    /// The action's own options (timeout, bulkhead, circuit breaker, retry policy, strategy).
    pub options: ActionOptions,
    /// Any further published keys (`rest`, `cache`, a custom one).
    pub extra: Map<String, Value>,
}

impl ActionDef {
    /// The JSON form Node publishes for an action.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if let Some(params) = &self.params {
            obj.insert("params".into(), params.clone());
        }
        self.options.publish(&mut obj);
        if self.visibility != Visibility::Published {
            obj.insert("visibility".into(), Value::from(self.visibility.as_str()));
        }
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        obj.insert("rawName".into(), Value::from(self.raw_name.clone()));
        obj.insert("name".into(), Value::from(&*self.name));
        Value::Object(obj)
    }
}

/// The published definition of an event handler.
#[derive(Debug, Clone)]
pub struct EventDef {
    /// The pattern the handler subscribes to (`"user.*"`).
    pub name: Arc<str>,
    /// The group, if set explicitly; otherwise the service name is used.
    pub group: Option<String>,
    /// The payload schema in fastest-validator dialect.
    pub params: Option<Value>,
    /// The handler's own options (bulkhead, debounce, throttle).
    pub options: EventOptions,
    /// Any further published keys (a custom one).
    pub extra: Map<String, Value>,
}

impl EventDef {
    /// The JSON form Node publishes for an event.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if let Some(params) = &self.params {
            obj.insert("params".into(), params.clone());
        }
        self.options.publish(&mut obj);
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        if let Some(group) = &self.group {
            obj.insert("group".into(), Value::from(group.clone()));
        }
        obj.insert("name".into(), Value::from(&*self.name));
        Value::Object(obj)
    }
}

/// An action's own fallback (Node's action `fallback`): turns a failed call's error into a
/// result. It has an error hook's shape.
pub(crate) type ActionFallback = hooks::ErrorHook;

/// A bound action: its definition, its handler and, for a local one, its fallback.
#[derive(Clone)]
pub(crate) struct BoundAction {
    pub(crate) def: Arc<ActionDef>,
    pub(crate) handler: ActionHandler,
    pub(crate) fallback: Option<ActionFallback>,
    pub(crate) slow_start: SlowStart,
}

/// A bound event handler; a remote node's has no handler (its events travel as packets).
#[derive(Clone)]
pub(crate) struct BoundEvent {
    pub(crate) def: Arc<EventDef>,
    pub(crate) group: Arc<str>,
    pub(crate) handler: Option<EventHandler>,
    pub(crate) slow_start: SlowStart,
}

type StartFn = Box<dyn Fn(ServiceBroker) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// A service bound to its instance, ready for the registry.
pub(crate) struct LocalService {
    pub(crate) info: Arc<ServiceInfo>,
    pub(crate) actions: Vec<BoundAction>,
    pub(crate) events: Vec<BoundEvent>,
    pub(crate) started: Option<StartFn>,
    pub(crate) stopped: Option<StartFn>,
}

impl std::fmt::Debug for LocalService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalService")
            .field("name", &self.info.full_name)
            .field("actions", &self.actions.len())
            .field("events", &self.events.len())
            .finish()
    }
}
