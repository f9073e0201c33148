//! A service definition bound to its instances and composed with its mixins (Node's
//! `mergeSchemas`), then built into the handlers the registry keeps.
//!
//! Each spec (the service's, each mixin's) is first bound to its own instance: its handlers,
//! hooks and lifecycle methods become closures that no longer name the instance's type, so
//! definitions of different types merge into one [`Composed`].

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::{Map, Value};

use super::cloning;
use super::hooks::{ErrorHook, OwnHooks, ServiceHooks};
use super::options::{ActionOptions, EventOptions};
use super::spec::{ActionParts, EventParts};
use super::{
    ActionDef, BoundAction, BoundEvent, BoxFuture, Dependency, EventDef, EventHandler,
    LocalService, ServiceInfo, SlowStart, Version, Visibility, full_service_name,
};
use crate::broker::ServiceBroker;
use crate::context::EventContext;
use crate::error::{Error, Result};
use crate::middleware::Stack;
use crate::payload::Payload;

/// A `started` or `stopped` handler bound to its instance.
pub(crate) type LifecycleStep =
    Arc<dyn Fn(ServiceBroker) -> BoxFuture<'static, Result<()>> + Send + Sync>;
/// A `created` handler bound to its instance.
pub(crate) type CreatedStep = Box<dyn FnOnce(&ServiceBroker) -> Result<()> + Send>;

/// A whole service definition, bound and composed.
pub(crate) struct Composed {
    pub(crate) name: String,
    pub(crate) version: Option<Version>,
    pub(crate) settings: Map<String, Value>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) actions: Vec<ComposedAction>,
    pub(crate) events: Vec<ComposedEvent>,
    pub(crate) hooks: ServiceHooks,
    pub(crate) created: Vec<CreatedStep>,
    pub(crate) started: Vec<LifecycleStep>,
    pub(crate) stopped: Vec<LifecycleStep>,
}

/// One action, bound.
pub(crate) struct ComposedAction {
    pub(crate) raw_name: String,
    pub(crate) visibility: Visibility,
    pub(crate) options: ActionOptions,
    pub(crate) extra: Map<String, Value>,
    pub(crate) hooks: OwnHooks,
    pub(crate) fallback: Option<ErrorHook>,
    pub(crate) parts: ActionParts,
}

/// One event handler, bound.
pub(crate) struct ComposedEvent {
    pub(crate) name: String,
    pub(crate) group: Option<String>,
    pub(crate) parts: EventParts,
    pub(crate) options: EventOptions,
    pub(crate) extra: Map<String, Value>,
}

impl Composed {
    /// Merges a mixin in, Node's rules: this definition wins (name, version, actions of the
    /// same name, settings and metadata keys); dependencies are united; the mixin's `created`
    /// and `started` run before these, its `stopped` after; its before hooks run first, its
    /// after and error hooks last; its event handlers run beside these.
    pub(crate) fn merge_mixin(&mut self, mixin: Composed) {
        defaults_deep(&mut self.settings, mixin.settings);
        defaults_deep(&mut self.metadata, mixin.metadata);
        for dep in mixin.dependencies {
            if !self.dependencies.contains(&dep) {
                self.dependencies.push(dep);
            }
        }
        for action in mixin.actions {
            if !self.actions.iter().any(|a| a.raw_name == action.raw_name) {
                self.actions.push(action);
            }
        }
        let own_events = std::mem::replace(&mut self.events, mixin.events);
        self.events.extend(own_events);
        self.hooks.merge_mixin(mixin.hooks);
        let own_created = std::mem::replace(&mut self.created, mixin.created);
        self.created.extend(own_created);
        let own_started = std::mem::replace(&mut self.started, mixin.started);
        self.started.extend(own_started);
        self.stopped.extend(mixin.stopped);
    }

    fn full_name(&self) -> String {
        if flag(&self.settings, "$noVersionPrefix") {
            self.name.clone()
        } else {
            full_service_name(&self.name, self.version.as_ref())
        }
    }

    /// Builds the handlers (Node's order around each action: the user's middlewares, the
    /// hooks, the validator, the built-in middlewares) and runs `created`.
    pub(crate) fn build(self, broker: &ServiceBroker, stack: &Stack) -> Result<LocalService> {
        if self.name.is_empty() {
            return Err(Error::service_schema("service name can't be empty", None));
        }
        let builtins = Builtins::of(broker.options());
        let full_name: Arc<str> = Arc::from(self.full_name());
        let no_prefix = flag(&self.settings, "$noServiceNamePrefix");
        let info = Arc::new(ServiceInfo {
            name: self.name.clone(),
            version: self.version,
            full_name: full_name.clone(),
            settings: self.settings,
            metadata: self.metadata,
            dependencies: self.dependencies,
        });
        let mut actions = Vec::with_capacity(self.actions.len());
        for action in self.actions {
            let name: Arc<str> = if no_prefix {
                Arc::from(action.raw_name.as_str())
            } else {
                Arc::from(format!("{full_name}.{}", action.raw_name))
            };
            if actions.iter().any(|a: &BoundAction| a.def.name == name) {
                return Err(Error::service_schema(
                    format!("duplicate action `{name}` in service `{full_name}`"),
                    None,
                ));
            }
            let mut parts = action.parts;
            let def = ActionDef {
                name,
                raw_name: action.raw_name,
                visibility: action.visibility,
                params: parts.published.take(),
                options: action.options,
                extra: action.extra,
            };
            let around = |method: &super::ActionHandler| {
                let wrapped = stack.user_local_action(method, &def);
                if !builtins.hooks {
                    return wrapped;
                }
                let inner = wrapped.as_ref().unwrap_or(method);
                self.hooks
                    .wrap(&def.raw_name, &action.hooks, inner)
                    .or(wrapped)
            };
            let checked = if builtins.validator {
                parts.validated_around(around)
            } else {
                parts.unvalidated_around(around)
            };
            let mut handler = stack.builtin_local_action(checked, &def);
            if builtins.params_cloning {
                handler = cloning::action(handler);
            }
            actions.push(BoundAction {
                def: Arc::new(def),
                handler,
                fallback: action.fallback.filter(|_| builtins.fallback),
                slow_start: SlowStart::default(),
            });
        }
        // Wrapped now, before the `created` handlers run, as Node wraps them while it creates
        // the service: the built-in middlewares, the validator, the user's middlewares, the
        // method.
        let events = merge_events(self.events)
            .into_iter()
            .map(|event| {
                let group: Arc<str> = Arc::from(event.group.as_deref().unwrap_or(&info.name));
                let mut parts = event.parts;
                let def = EventDef {
                    name: Arc::from(event.name),
                    group: event.group,
                    params: parts.published.take(),
                    options: event.options,
                    extra: event.extra,
                };
                let around = |method: &EventHandler| stack.user_local_event(method, &def);
                let checked = if builtins.validator {
                    parts.validated_around(around)
                } else {
                    parts.unvalidated_around(around)
                };
                let mut handler = stack.builtin_local_event(checked, &def);
                if builtins.params_cloning {
                    handler = cloning::event(handler);
                }
                BoundEvent {
                    handler: Some(handler),
                    def: Arc::new(def),
                    group,
                    slow_start: SlowStart::default(),
                }
            })
            .collect();
        for created in self.created {
            created(broker)?;
        }
        Ok(LocalService {
            info,
            actions,
            events,
            started: in_order(self.started),
            stopped: in_order(self.stopped),
        })
    }
}

/// Which of the broker's own layers go around a service's handlers, from its options.
struct Builtins {
    /// Action hooks (Node's `ActionHook` middleware).
    hooks: bool,
    /// Params validation (`validator`, and the `Validator` middleware).
    validator: bool,
    /// The action's own fallback (the `Fallback` middleware).
    fallback: bool,
    /// A copy of the params for each handler (`contextParamsCloning`).
    params_cloning: bool,
}

impl Builtins {
    fn of(options: &crate::options::BrokerOptions) -> Builtins {
        let internal = options.internal_middlewares;
        Builtins {
            hooks: internal,
            validator: internal && options.validator,
            fallback: internal,
            params_cloning: options.context_params_cloning,
        }
    }
}

/// Handlers of the same event and group (a mixin's and the service's) become one that runs
/// them all, concurrently, as Node runs a merged handler array.
///
/// The merged event is validated once, with the first schema among them, when the user's
/// middlewares wrap it (as Node validates the merged event's params); otherwise each handler
/// checks its own payload.
fn merge_events(events: Vec<ComposedEvent>) -> Vec<ComposedEvent> {
    type Merged = (ComposedEvent, Vec<EventHandler>, Vec<EventHandler>);
    let mut merged: Vec<Merged> = Vec::new();
    for event in events {
        match merged
            .iter_mut()
            .find(|(e, _, _)| e.name == event.name && e.group == event.group)
        {
            Some((first, methods, checked)) => {
                let parts = event.parts;
                methods.push(parts.method);
                checked.push(parts.checked);
                if first.parts.published.is_none() && parts.published.is_some() {
                    first.parts.published = parts.published;
                    first.parts.validate = parts.validate;
                }
            }
            None => merged.push((event, Vec::new(), Vec::new())),
        }
    }
    merged
        .into_iter()
        .map(|(mut event, methods, checked)| {
            if !methods.is_empty() {
                let parts = &mut event.parts;
                parts.method = all_of([vec![parts.method.clone()], methods].concat());
                parts.checked = all_of([vec![parts.checked.clone()], checked].concat());
            }
            event
        })
        .collect()
}

fn all_of(handlers: Vec<EventHandler>) -> EventHandler {
    EventHandler::new(move |ctx: EventContext<Payload>| {
        let runs: Vec<_> = handlers
            .iter()
            .map(|h| {
                h.call(EventContext::from_parts(
                    ctx.params.clone(),
                    ctx.inner.clone(),
                ))
            })
            .collect();
        Box::pin(async move { join_all(runs).await.into_iter().collect::<Result<()>>() })
    })
}

/// Lifecycle handlers run one after the other, as Node runs a handler array.
fn in_order(steps: Vec<LifecycleStep>) -> Option<super::StartFn> {
    if steps.is_empty() {
        return None;
    }
    Some(Box::new(move |broker: ServiceBroker| {
        let steps = steps.clone();
        Box::pin(async move {
            for step in steps {
                step(broker.clone()).await?;
            }
            Ok(())
        })
    }))
}

pub(crate) fn flag(settings: &Map<String, Value>, key: &str) -> bool {
    settings.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// lodash's `defaultsDeep(own, mixin)`: keys of `mixin` that `own` lacks are added, objects
/// present on both are merged the same way; `$secureSettings` lists are united.
fn defaults_deep(own: &mut Map<String, Value>, mixin: Map<String, Value>) {
    for (key, value) in mixin {
        match (own.get_mut(&key), value) {
            (None, value) => {
                own.insert(key, value);
            }
            (Some(Value::Object(own)), Value::Object(theirs)) => defaults_deep(own, theirs),
            (Some(Value::Array(own)), Value::Array(theirs)) if key == "$secureSettings" => {
                for item in theirs {
                    if !own.contains(&item) {
                        own.push(item);
                    }
                }
            }
            _ => {}
        }
    }
}
