//! The definition of a service, as `#[service]` generates it (or as written by hand).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::compose::flag;
use super::options::{
    ActionOptions, BulkheadOverride, CircuitBreakerOverride, EventOptions, RetryPolicyOverride,
    check_strategy,
};
use super::{
    ActionHandler, BoxFuture, EventHandler, LocalService, Version, Visibility, full_service_name,
};
use crate::broker::ServiceBroker;
use crate::context::{Context, ContextInner, EventContext};
use crate::error::{Error, Result};
use crate::middleware::Stack;
use crate::payload::Payload;
use crate::validation::{Params, ParamsCheck};

use super::compose::{Composed, ComposedAction, ComposedEvent, CreatedStep, LifecycleStep};
use super::hooks::{
    AfterHookFn, BeforeHookFn, ErrorHookFn, OwnHooks, ServiceHooks, bind_before, bind_value,
};

/// A service this one waits for: a full name such as `"v2.users"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// The full service name.
    pub full_name: String,
}

impl From<&str> for Dependency {
    fn from(s: &str) -> Dependency {
        Dependency {
            full_name: s.to_owned(),
        }
    }
}

/// A method of `S` handling an action with params `P`.
pub type ActionFn<S, P> = fn(Arc<S>, Context<P>) -> BoxFuture<'static, Result<Payload>>;
/// A method of `S` handling an event with payload `P`.
pub type EventFn<S, P> = fn(Arc<S>, EventContext<P>) -> BoxFuture<'static, Result<()>>;
/// A `started` or `stopped` method of `S`.
pub type LifecycleFn<S> = fn(Arc<S>, ServiceBroker) -> BoxFuture<'static, Result<()>>;
/// A `created` method of `S`.
pub type CreatedFn<S> = fn(&S, &ServiceBroker) -> Result<()>;

type BindAction<S> = Box<dyn FnOnce(Arc<S>) -> Result<ActionParts> + Send>;
type BindEvent<S> = Box<dyn FnOnce(Arc<S>) -> Result<EventParts> + Send>;
/// Binds a hook method to the instance and adds it to the hooks `H` (a service's, or an
/// action's own).
type BindHook<S, H> = Box<dyn FnOnce(&Arc<S>, &mut H) + Send>;
/// Composes a mixin (its spec bound to its own instance).
type ComposeMixin = Box<dyn FnOnce() -> Result<Composed> + Send>;
type Layer<H> = Box<dyn FnOnce(H) -> H + Send>;

/// A bound action or event handler before the broker wraps it: the method with params
/// converted but not checked, the validator to put around whatever wraps the method (the
/// user's middlewares, an action's hooks), and both in one, used when nothing wraps the
/// method; with the published params schema.
pub(crate) struct HandlerParts<H> {
    pub(crate) method: H,
    pub(crate) validate: Layer<H>,
    pub(crate) checked: H,
    pub(crate) published: Option<Value>,
}

pub(crate) type ActionParts = HandlerParts<ActionHandler>;
pub(crate) type EventParts = HandlerParts<EventHandler>;

impl<H> HandlerParts<H> {
    /// The handler in Node's order: `around` (the user's middlewares, hooks) wraps the
    /// method and the validator wraps that; when `around` wraps nothing, the fused handler.
    pub(crate) fn validated_around(self, around: impl FnOnce(&H) -> Option<H>) -> H {
        match around(&self.method) {
            Some(wrapped) => (self.validate)(wrapped),
            None => self.checked,
        }
    }

    /// The handler without params validation (`validator: false`): `around` wraps the method,
    /// which only converts the params into its type.
    pub(crate) fn unvalidated_around(self, around: impl FnOnce(&H) -> Option<H>) -> H {
        around(&self.method).unwrap_or(self.method)
    }
}

/// One action of a service.
pub struct ActionSpec<S> {
    raw_name: String,
    visibility: Visibility,
    options: ActionOptions,
    extra: Map<String, Value>,
    hooks: Vec<BindHook<S, OwnHooks>>,
    fallback: Option<ErrorHookFn<S>>,
    cache_condition: Option<CacheConditionFn<S>>,
    cache_keygen: Option<CacheKeygenFn<S>>,
    bind: BindAction<S>,
}

/// A service method that says whether a call is cached (Node's function `cache.enabled`).
pub type CacheConditionFn<S> = fn(&S, &Context<Payload>) -> bool;

/// A service method that makes an action's cache keys (Node's action `cache.keygen`).
pub type CacheKeygenFn<S> = fn(&S, &crate::cacher::KeyRequest<'_>) -> String;

impl<S: Send + Sync + 'static> ActionSpec<S> {
    fn with_check<P>(
        raw_name: &str,
        handler: ActionFn<S, P>,
        check: impl FnOnce() -> Result<ParamsCheck<P>> + Send + 'static,
    ) -> ActionSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        ActionSpec {
            raw_name: raw_name.to_owned(),
            visibility: Visibility::Published,
            options: ActionOptions::default(),
            extra: Map::new(),
            hooks: Vec::new(),
            fallback: None,
            cache_condition: None,
            cache_keygen: None,
            bind: Box::new(move |svc| {
                let check = Arc::new(check()?);
                let published = check.published().cloned();
                // Converts (and with `check`, validates) the params, then runs the method.
                let run =
                    move |svc: &Arc<S>,
                          check: &ParamsCheck<P>,
                          ctx: Context<Payload>,
                          slot: Option<&mut dyn crate::payload::ParamSlot>| {
                        let Context { params, inner } = ctx;
                        let applied = match slot {
                            Some(slot) => match slot
                                .as_any()
                                .downcast_mut::<Option<P>>()
                                .and_then(Option::take)
                            {
                                Some(p) => check.apply_typed(p),
                                None => check.apply(slot.take_payload().or_empty_object()),
                            },
                            None => check.apply(params.or_empty_object()),
                        };
                        match applied {
                            Ok(params) => handler(svc.clone(), Context::from_parts(params, inner)),
                            Err(issues) => failed(validation_error(issues, &inner, "action")),
                        }
                    };
                let checked = {
                    let (svc, check) = (svc.clone(), check.clone());
                    ActionHandler::lending(move |ctx, slot| run(&svc, &check, ctx, slot))
                };
                let convert = ParamsCheck::<P>::none();
                let method =
                    ActionHandler::lending(move |ctx, slot| run(&svc, &convert, ctx, slot));
                let validate: Layer<ActionHandler> = Box::new(move |next: ActionHandler| {
                    ActionHandler::lending(move |ctx: Context<Payload>, slot| {
                        let Context { params, inner } = ctx;
                        match check.validate(params, slot) {
                            Ok((params, slot)) => {
                                next.call_lending(Context::from_parts(params, inner), slot)
                            }
                            Err(issues) => failed(validation_error(issues, &inner, "action")),
                        }
                    })
                });
                Ok(ActionParts {
                    method,
                    validate,
                    checked,
                    published,
                })
            }),
        }
    }

    /// An action whose params only need to deserialize into `P`.
    pub fn new<P>(raw_name: &str, handler: ActionFn<S, P>) -> ActionSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        ActionSpec::with_check(raw_name, handler, || Ok(ParamsCheck::none()))
    }

    /// An action with a params type, validated and published from its JSON Schema.
    pub fn validated<P: Params>(raw_name: &str, handler: ActionFn<S, P>) -> ActionSpec<S> {
        ActionSpec::with_check(raw_name, handler, ParamsCheck::typed)
    }

    /// An action with a fastest-validator params schema (JSON text).
    pub fn with_schema<P>(raw_name: &str, schema: &str, handler: ActionFn<S, P>) -> ActionSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        let schema = parse_schema(raw_name, schema);
        ActionSpec::with_check(raw_name, handler, move || ParamsCheck::schema(schema?))
    }

    /// Sets the visibility.
    pub fn visibility(mut self, visibility: Visibility) -> ActionSpec<S> {
        self.visibility = visibility;
        self
    }

    /// Sets the action's timeout (published in whole milliseconds, Node's `timeout`).
    pub fn timeout(mut self, timeout: Duration) -> ActionSpec<S> {
        self.options.timeout = Some(timeout);
        self
    }

    /// Sets the action's own `bulkhead` keys, over the broker's.
    pub fn bulkhead(mut self, bulkhead: BulkheadOverride) -> ActionSpec<S> {
        self.options.bulkhead = Some(bulkhead);
        self
    }

    /// Sets the action's own `circuitBreaker` keys, over the broker's.
    pub fn circuit_breaker(mut self, breaker: CircuitBreakerOverride) -> ActionSpec<S> {
        self.options.circuit_breaker = Some(breaker);
        self
    }

    /// Sets the action's own `retryPolicy` keys, over the broker's.
    pub fn retry_policy(mut self, retry: RetryPolicyOverride) -> ActionSpec<S> {
        self.options.retry_policy = Some(retry);
        self
    }

    /// Balances the action's endpoints with `strategy` (`"Shard"`, …) and its options, instead
    /// of the broker's `registry.strategy`.
    pub fn strategy(mut self, strategy: &str, options: Map<String, Value>) -> ActionSpec<S> {
        self.options.strategy = Some(strategy.to_owned());
        self.options.strategy_options = (!options.is_empty()).then_some(options);
        self
    }

    /// Adds a published key (for example `rest`, `cache`, or a custom one). The keys of the
    /// action's options (`timeout`, `bulkhead`, `circuitBreaker`, `retryPolicy`, `strategy`,
    /// `strategyOptions`) are read into them when the service is bound: a value that does not
    /// read fails `add_service`.
    pub fn extra(mut self, key: &str, value: Value) -> ActionSpec<S> {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Sets the action's fallback (Node's action `fallback`): when a call fails and the
    /// caller gave no `fallback_response`, its result (or error) is the call's.
    pub fn fallback(mut self, fallback: ErrorHookFn<S>) -> ActionSpec<S> {
        self.fallback = Some(fallback);
        self
    }

    /// Caches a call only when `condition` says so (Node's function `cache.enabled`); the
    /// action needs a `cache` setting.
    pub fn cache_condition(mut self, condition: CacheConditionFn<S>) -> ActionSpec<S> {
        self.cache_condition = Some(condition);
        self
    }

    /// Makes the action's cache keys with `keygen` (Node's action `cache.keygen`); the action
    /// needs a `cache` setting.
    pub fn cache_keygen(mut self, keygen: CacheKeygenFn<S>) -> ActionSpec<S> {
        self.cache_keygen = Some(keygen);
        self
    }

    /// Adds a `before` hook of this action (runs after the service's before hooks).
    pub fn before(mut self, hook: BeforeHookFn<S>) -> ActionSpec<S> {
        self.hooks.push(Box::new(move |svc, own| {
            own.before.push(bind_before(hook, svc))
        }));
        self
    }

    /// Adds an `after` hook of this action (runs before the service's after hooks).
    pub fn after(mut self, hook: AfterHookFn<S>) -> ActionSpec<S> {
        self.hooks.push(Box::new(move |svc, own| {
            own.after.push(bind_value(hook, svc))
        }));
        self
    }

    /// Adds an `error` hook of this action (runs before the service's error hooks).
    pub fn error(mut self, hook: ErrorHookFn<S>) -> ActionSpec<S> {
        self.hooks.push(Box::new(move |svc, own| {
            own.error.push(bind_value(hook, svc))
        }));
        self
    }
}

impl<S> fmt::Debug for ActionSpec<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionSpec")
            .field("raw_name", &self.raw_name)
            .field("visibility", &self.visibility)
            .field("options", &self.options)
            .finish()
    }
}

/// One event handler of a service.
pub struct EventSpec<S> {
    name: String,
    group: Option<String>,
    options: EventOptions,
    extra: Map<String, Value>,
    bind: BindEvent<S>,
}

impl<S: Send + Sync + 'static> EventSpec<S> {
    fn with_check<P>(
        name: &str,
        handler: EventFn<S, P>,
        check: impl FnOnce() -> Result<ParamsCheck<P>> + Send + 'static,
    ) -> EventSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        EventSpec {
            name: name.to_owned(),
            group: None,
            options: EventOptions::default(),
            extra: Map::new(),
            bind: Box::new(move |svc| {
                let check = Arc::new(check()?);
                let published = check.published().cloned();
                // Converts (and with `check`, validates) the payload, then runs the method.
                let run = move |svc: &Arc<S>,
                                check: &ParamsCheck<P>,
                                ctx: EventContext<Payload>| {
                    let EventContext { params, inner } = ctx;
                    match check.apply(params) {
                        Ok(params) => handler(svc.clone(), EventContext::from_parts(params, inner)),
                        Err(issues) => failed(validation_error(issues, &inner, "event")),
                    }
                };
                let checked = {
                    let (svc, check) = (svc.clone(), check.clone());
                    EventHandler::new(move |ctx| run(&svc, &check, ctx))
                };
                let convert = ParamsCheck::<P>::none();
                let method = EventHandler::new(move |ctx| run(&svc, &convert, ctx));
                let validate: Layer<EventHandler> = Box::new(move |next: EventHandler| {
                    EventHandler::new(move |ctx: EventContext<Payload>| {
                        let EventContext { params, inner } = ctx;
                        match check.validate(params, None) {
                            Ok((params, _)) => next.call(EventContext::from_parts(params, inner)),
                            Err(issues) => failed(validation_error(issues, &inner, "event")),
                        }
                    })
                });
                Ok(EventParts {
                    method,
                    validate,
                    checked,
                    published,
                })
            }),
        }
    }

    /// An event handler whose payload only needs to deserialize into `P`.
    pub fn new<P>(name: &str, handler: EventFn<S, P>) -> EventSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        EventSpec::with_check(name, handler, || Ok(ParamsCheck::none()))
    }

    /// An event handler with a validated payload type.
    pub fn validated<P: Params>(name: &str, handler: EventFn<S, P>) -> EventSpec<S> {
        EventSpec::with_check(name, handler, ParamsCheck::typed)
    }

    /// An event handler with a fastest-validator payload schema (JSON text).
    pub fn with_schema<P>(name: &str, schema: &str, handler: EventFn<S, P>) -> EventSpec<S>
    where
        P: DeserializeOwned + Send + 'static,
    {
        let schema = parse_schema(name, schema);
        EventSpec::with_check(name, handler, move || ParamsCheck::schema(schema?))
    }

    /// Adds a published key (for example `bulkhead`, or a custom one).
    pub fn extra(mut self, key: &str, value: Value) -> EventSpec<S> {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Sets the group (default: the service name).
    pub fn group(mut self, group: &str) -> EventSpec<S> {
        self.group = Some(group.to_owned());
        self
    }

    /// Sets the handler's own `bulkhead` keys, over the broker's.
    pub fn bulkhead(mut self, bulkhead: BulkheadOverride) -> EventSpec<S> {
        self.options.bulkhead = Some(bulkhead);
        self
    }

    /// Debounces the handler (Node's event `debounce`): of a burst of events, only the last
    /// one runs, once `quiet` passed without another; the emitter does not wait for it.
    /// Published in whole milliseconds.
    pub fn debounce(mut self, quiet: Duration) -> EventSpec<S> {
        self.options.debounce = Some(quiet);
        self
    }

    /// Throttles the handler (Node's event `throttle`): the first event runs, and the events
    /// after it are dropped until `period` has passed. Published in whole milliseconds.
    pub fn throttle(mut self, period: Duration) -> EventSpec<S> {
        self.options.throttle = Some(period);
        self
    }

    /// Sets how an emit picks one handler of this handler's group (`strategy`,
    /// `strategyOptions`), over the registry's strategy.
    pub fn strategy(mut self, strategy: &str, options: Map<String, Value>) -> EventSpec<S> {
        self.options.strategy = Some(strategy.to_owned());
        self.options.strategy_options = (!options.is_empty()).then_some(options);
        self
    }
}

impl<S> fmt::Debug for EventSpec<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSpec")
            .field("name", &self.name)
            .field("group", &self.group)
            .finish()
    }
}

/// An action's options: the keys of its published ones read into them, the ones set with the
/// typed setters over those; and the published keys left.
fn action_options(
    raw_name: &str,
    set: ActionOptions,
    mut extra: Map<String, Value>,
) -> Result<(ActionOptions, Map<String, Value>)> {
    let read = ActionOptions::take_from(&mut extra, raw_name).map_err(schema_error)?;
    let options = ActionOptions {
        timeout: set.timeout.or(read.timeout),
        bulkhead: set.bulkhead.or(read.bulkhead),
        circuit_breaker: set.circuit_breaker.or(read.circuit_breaker),
        retry_policy: set.retry_policy.or(read.retry_policy),
        strategy: set.strategy.or(read.strategy),
        strategy_options: set.strategy_options.or(read.strategy_options),
        cache: set.cache.or(read.cache),
    };
    check_strategy(&options.strategy, &options.strategy_options, raw_name).map_err(schema_error)?;
    Ok((options, extra))
}

/// An event handler's options, as [`action_options`].
fn event_options(
    name: &str,
    set: EventOptions,
    mut extra: Map<String, Value>,
) -> Result<(EventOptions, Map<String, Value>)> {
    let read = EventOptions::take_from(&mut extra, name).map_err(schema_error)?;
    let options = EventOptions {
        bulkhead: set.bulkhead.or(read.bulkhead),
        debounce: set.debounce.or(read.debounce),
        throttle: set.throttle.or(read.throttle),
        strategy: set.strategy.or(read.strategy),
        strategy_options: set.strategy_options.or(read.strategy_options),
    };
    check_strategy(&options.strategy, &options.strategy_options, name).map_err(schema_error)?;
    Ok((options, extra))
}

/// An option of an action or event that does not read, as the service's schema error.
fn schema_error(err: crate::options::OptionsError) -> Error {
    let key = err.key.clone();
    Error::service_schema(
        format!("invalid option {err}"),
        key.map(|key| serde_json::json!({ "option": key })),
    )
}

fn parse_schema(owner: &str, schema: &str) -> Result<Value> {
    serde_json::from_str(schema).map_err(|e| {
        Error::service_schema(format!("invalid params schema of `{owner}`: {e}"), None)
    })
}

/// A handler future that fails at once.
fn failed<T: Send + 'static>(err: Error) -> BoxFuture<'static, Result<T>> {
    Box::pin(std::future::ready(Err(err)))
}

/// Node adds the caller's `nodeID` and the `action` (or `event`) to each validation error.
fn validation_error(mut issues: Vec<Value>, inner: &ContextInner, what: &str) -> Error {
    for issue in &mut issues {
        if let Value::Object(obj) = issue {
            obj.insert("nodeID".into(), Value::from(&**inner.target.node_id()));
            obj.insert(what.into(), Value::from(&**inner.target.name()));
        }
    }
    Error::validation(issues)
}

/// The whole definition of a service of type `S`.
pub struct ServiceSpec<S> {
    name: String,
    version: Option<Version>,
    settings: Map<String, Value>,
    metadata: Map<String, Value>,
    dependencies: Vec<Dependency>,
    actions: Vec<ActionSpec<S>>,
    events: Vec<EventSpec<S>>,
    hooks: Vec<BindHook<S, ServiceHooks>>,
    mixins: Vec<ComposeMixin>,
    created: Vec<CreatedFn<S>>,
    started: Vec<LifecycleFn<S>>,
    stopped: Vec<LifecycleFn<S>>,
}

impl<S: Send + Sync + 'static> ServiceSpec<S> {
    /// A service named `name`.
    pub fn new(name: &str) -> ServiceSpec<S> {
        ServiceSpec {
            name: name.to_owned(),
            version: None,
            settings: Map::new(),
            metadata: Map::new(),
            dependencies: Vec::new(),
            actions: Vec::new(),
            events: Vec::new(),
            hooks: Vec::new(),
            mixins: Vec::new(),
            created: Vec::new(),
            started: Vec::new(),
            stopped: Vec::new(),
        }
    }

    /// The service name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full name (`v2.math`, or the name with `$noVersionPrefix`).
    pub fn full_name(&self) -> String {
        if flag(&self.settings, "$noVersionPrefix") {
            self.name.clone()
        } else {
            full_service_name(&self.name, self.version.as_ref())
        }
    }

    /// Sets the version.
    pub fn version(mut self, version: impl Into<Version>) -> ServiceSpec<S> {
        self.version = Some(version.into());
        self
    }

    /// Sets the settings (a JSON object; other values are ignored).
    pub fn settings(mut self, settings: Value) -> ServiceSpec<S> {
        if let Value::Object(map) = settings {
            self.settings = map;
        }
        self
    }

    /// Sets the metadata (a JSON object; other values are ignored).
    pub fn metadata(mut self, metadata: Value) -> ServiceSpec<S> {
        if let Value::Object(map) = metadata {
            self.metadata = map;
        }
        self
    }

    /// Adds a dependency (a full service name such as `"v2.users"`).
    pub fn dependency(mut self, full_name: &str) -> ServiceSpec<S> {
        self.dependencies.push(Dependency::from(full_name));
        self
    }

    /// Adds an action.
    pub fn action(mut self, action: ActionSpec<S>) -> ServiceSpec<S> {
        self.actions.push(action);
        self
    }

    /// Adds an event handler.
    pub fn event(mut self, event: EventSpec<S>) -> ServiceSpec<S> {
        self.events.push(event);
        self
    }

    /// Adds a `before` hook for the actions `names` names: `"*"`, a raw action name, a
    /// pattern (`"get*"`) or alternatives (`"create|update"`).
    pub fn before_hook(mut self, names: &str, hook: BeforeHookFn<S>) -> ServiceSpec<S> {
        let names = names.to_owned();
        self.hooks.push(Box::new(move |svc, hooks| {
            hooks.before.push(&names, bind_before(hook, svc));
        }));
        self
    }

    /// Adds an `after` hook for the actions `names` names (as [`ServiceSpec::before_hook`]).
    pub fn after_hook(mut self, names: &str, hook: AfterHookFn<S>) -> ServiceSpec<S> {
        let names = names.to_owned();
        self.hooks.push(Box::new(move |svc, hooks| {
            hooks.after.push(&names, bind_value(hook, svc));
        }));
        self
    }

    /// Adds an `error` hook for the actions `names` names (as [`ServiceSpec::before_hook`]).
    pub fn error_hook(mut self, names: &str, hook: ErrorHookFn<S>) -> ServiceSpec<S> {
        let names = names.to_owned();
        self.hooks.push(Box::new(move |svc, hooks| {
            hooks.error.push(&names, bind_value(hook, svc));
        }));
        self
    }

    /// Adds a `created` handler (synchronous, runs when the service is added).
    pub fn created(mut self, f: CreatedFn<S>) -> ServiceSpec<S> {
        self.created.push(f);
        self
    }

    /// Adds a `started` handler.
    pub fn started(mut self, f: LifecycleFn<S>) -> ServiceSpec<S> {
        self.started.push(f);
        self
    }

    /// Adds a `stopped` handler.
    pub fn stopped(mut self, f: LifecycleFn<S>) -> ServiceSpec<S> {
        self.stopped.push(f);
        self
    }

    /// Adds a mixin (Node's `mixins`): `mixin`'s actions, events, hooks, settings, metadata,
    /// dependencies and lifecycle handlers join this service's, bound to the `mixin`
    /// instance. Merge rules as Node's: this service's definitions win, then the mixins in the
    /// order added (the first one over later ones); settings and metadata are merged deeply;
    /// lifecycle handlers all run (the last mixin's `created`/`started` first, this service's
    /// last; `stopped` the other way round); before hooks of a mixin run before this service's,
    /// its after and error hooks after them; event handlers of the same event all run.
    pub fn mixin<M: super::ServiceDef>(mut self, mixin: M) -> ServiceSpec<S> {
        self.mixins
            .push(Box::new(move || M::spec().compose(&Arc::new(mixin))));
        self
    }

    /// The definition bound to `svc`, with its mixins merged in.
    pub(crate) fn compose(self, svc: &Arc<S>) -> Result<Composed> {
        let mut hooks = ServiceHooks::default();
        for bind in self.hooks {
            bind(svc, &mut hooks);
        }
        // Node's `settings.$cache`: the `cache` of every action that has none of its own.
        let service_cache = self.settings.get("$cache").filter(|v| !v.is_null());
        let mut actions = Vec::with_capacity(self.actions.len());
        for spec in self.actions {
            let parts = (spec.bind)(svc.clone())?;
            let mut own = OwnHooks::default();
            for bind in spec.hooks {
                bind(svc, &mut own);
            }
            let mut spec_extra = spec.extra;
            if let Some(cache) = service_cache
                && spec.options.cache.is_none()
                && !spec_extra.contains_key("cache")
            {
                spec_extra.insert("cache".to_owned(), cache.clone());
            }
            let (mut options, extra) = action_options(&spec.raw_name, spec.options, spec_extra)?;
            bind_cache_functions(
                svc,
                &spec.raw_name,
                &mut options,
                spec.cache_condition,
                spec.cache_keygen,
            )?;
            actions.push(ComposedAction {
                raw_name: spec.raw_name,
                visibility: spec.visibility,
                options,
                extra,
                hooks: own,
                fallback: spec.fallback.map(|f| bind_value(f, svc)),
                parts,
            });
        }
        let mut events = Vec::with_capacity(self.events.len());
        for spec in self.events {
            let (options, extra) = event_options(&spec.name, spec.options, spec.extra)?;
            events.push(ComposedEvent {
                name: spec.name,
                group: spec.group,
                parts: (spec.bind)(svc.clone())?,
                options,
                extra,
            });
        }
        let created = self
            .created
            .into_iter()
            .map(|f| {
                let svc = svc.clone();
                let step: CreatedStep = Box::new(move |broker| f(&svc, broker));
                step
            })
            .collect();
        let lifecycle = |handlers: Vec<LifecycleFn<S>>| -> Vec<LifecycleStep> {
            handlers
                .into_iter()
                .map(|f| {
                    let svc = svc.clone();
                    let step: LifecycleStep = Arc::new(move |broker| f(svc.clone(), broker));
                    step
                })
                .collect()
        };
        let mut composed = Composed {
            name: self.name,
            version: self.version,
            settings: self.settings,
            metadata: self.metadata,
            dependencies: self.dependencies,
            actions,
            events,
            hooks,
            created,
            started: lifecycle(self.started),
            stopped: lifecycle(self.stopped),
        };
        for mixin in self.mixins {
            composed.merge_mixin(mixin()?);
        }
        Ok(composed)
    }

    /// Binds the definition to an instance: composes it with its mixins, shows it to the
    /// middlewares' `service_creating`, checks names, builds the handlers and runs `created`.
    pub(crate) fn bind(
        self,
        instance: S,
        broker: &ServiceBroker,
        middlewares: &Stack,
    ) -> Result<LocalService> {
        let mut composed = self.compose(&Arc::new(instance))?;
        middlewares.service_creating(broker, &mut super::ServiceSchema::new(&mut composed))?;
        composed.build(broker, middlewares)
    }
}

impl<S> fmt::Debug for ServiceSpec<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceSpec")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("actions", &self.actions)
            .field("events", &self.events)
            .finish()
    }
}

/// Binds an action's cache condition and key function to `svc`.
fn bind_cache_functions<S: Send + Sync + 'static>(
    svc: &Arc<S>,
    action: &str,
    options: &mut ActionOptions,
    condition: Option<CacheConditionFn<S>>,
    keygen: Option<CacheKeygenFn<S>>,
) -> Result<()> {
    if condition.is_none() && keygen.is_none() {
        return Ok(());
    }
    let Some(cache) = options.cache.as_mut() else {
        return Err(Error::broker_options(
            format!("action `{action}`: a cache condition or key function needs a `cache` setting"),
            None,
        ));
    };
    if let Some(condition) = condition {
        let svc = svc.clone();
        cache.condition = Some(crate::cacher::CacheCondition::new(move |ctx| {
            condition(&svc, ctx)
        }));
    }
    if let Some(keygen) = keygen {
        let svc = svc.clone();
        cache.keygen = Some(crate::cacher::CacheKeygen::new(move |request| {
            keygen(&svc, request)
        }));
    }
    Ok(())
}
