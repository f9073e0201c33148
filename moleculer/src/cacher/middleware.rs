//! The action cache (Node's `Cacher` middleware, reference §10.2): an action with a `cache`
//! setting answers from the cacher when its key is there, and caches what its handler
//! returns otherwise. With `lock`, one caller at a time computes a missing value (the
//! others wait and read it), and with `staleTime` a value about to expire is served while
//! one caller refreshes it in the background.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{CacheKeygen, Cacher, KeyGen, KeyRequest, KeySource};
use crate::broker::ServiceBroker;
use crate::context::Context;
use crate::error::Result;
use crate::middleware::{Middleware, wrap_action};
use crate::options::{OptionsError, ProtocolVersion};
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler, EventHandler, ServiceSchema, full_service_name};

/// An action's `cache` setting: `true`, or `{enabled, keys, ttl, lock}` (`ttl` in seconds),
/// with, from Rust, a runtime condition and a key function of the action's own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActionCacheOptions {
    /// Whether the action is cached (`enabled`; `true` unless given).
    pub enabled: bool,
    /// The paths the key is made of (`"id"`, `"#tenant"`, `"@lang"`); all the params when
    /// `None`.
    pub keys: Option<Vec<String>>,
    /// How long a result lives (`ttl`); the cacher's own when `None`.
    pub ttl: Option<Duration>,
    /// `lock`: one caller at a time computes a missing value.
    pub lock: Option<CacheLockOptions>,
    /// Node's `enabled` function: a call for which it says `false` runs uncached.
    pub condition: Option<CacheCondition>,
    /// Node's action `keygen`: the action's own keys.
    pub keygen: Option<CacheKeygen>,
}

/// An action's `lock` setting: `true`, or `{enabled, ttl, staleTime}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheLockOptions {
    /// How long a lock lives at most (`ttl`, milliseconds in Node; 15 s by default).
    pub ttl: Duration,
    /// `staleTime` (seconds): a cached value with less time than this left is served, and
    /// refreshed in the background by one caller.
    pub stale_time: Option<Duration>,
}

impl Default for CacheLockOptions {
    fn default() -> Self {
        CacheLockOptions {
            ttl: Duration::from_secs(15),
            stale_time: None,
        }
    }
}

/// Node's `cache.enabled` function: whether a call is cached.
#[derive(Clone)]
pub struct CacheCondition(Arc<ConditionFn>);

/// What a [`CacheCondition`] runs.
type ConditionFn = dyn Fn(&Context<Payload>) -> bool + Send + Sync;

impl CacheCondition {
    /// A condition that `condition` decides.
    pub fn new(condition: impl Fn(&Context<Payload>) -> bool + Send + Sync + 'static) -> Self {
        CacheCondition(Arc::new(condition))
    }

    /// Whether the call of `ctx` is cached.
    pub fn allows(&self, ctx: &Context<Payload>) -> bool {
        (self.0)(ctx)
    }
}

impl std::fmt::Debug for CacheCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheCondition")
    }
}

impl PartialEq for CacheCondition {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl ActionCacheOptions {
    /// `cache: true`.
    pub fn enabled() -> ActionCacheOptions {
        ActionCacheOptions {
            enabled: true,
            keys: None,
            ttl: None,
            lock: None,
            condition: None,
            keygen: None,
        }
    }

    /// Reads `cache = true | false | {enabled, keys, ttl, lock}`.
    ///
    /// # Errors
    /// Another shape or key, naming `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> std::result::Result<Self, OptionsError> {
        let bad = |key: &str, why: &str| Err(OptionsError::invalid(&format!("{path}{key}"), why));
        let mut options = ActionCacheOptions::enabled();
        let fields = match value {
            Value::Bool(enabled) => {
                options.enabled = *enabled;
                return Ok(options);
            }
            Value::Object(fields) => fields,
            _ => return bad("", "true, false or {enabled, keys, ttl, lock}"),
        };
        for (key, value) in fields {
            match key.as_str() {
                _ if value.is_null() => {}
                "enabled" => match value {
                    Value::Bool(enabled) => options.enabled = *enabled,
                    _ => {
                        return bad(
                            ".enabled",
                            "a boolean (a condition is given with ActionSpec::cache_condition)",
                        );
                    }
                },
                "keys" => {
                    let keys = value.as_array().and_then(|list| {
                        list.iter()
                            .map(|k| k.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    });
                    match keys {
                        Some(keys) => options.keys = Some(keys),
                        None => return bad(".keys", "a list of strings"),
                    }
                }
                "ttl" => match seconds(value) {
                    Some(ttl) => options.ttl = Some(ttl).filter(|t| !t.is_zero()),
                    None => return bad(".ttl", "a number of seconds"),
                },
                "lock" => options.lock = read_lock(value, &format!("{path}.lock"))?,
                "keygen" => {
                    return bad(
                        ".keygen",
                        "a key function, given with ActionSpec::cache_keygen",
                    );
                }
                other => return bad(&format!(".{other}"), "one of enabled, keys, ttl, lock"),
            }
        }
        Ok(options)
    }
}

/// `lock = true | false | {enabled, ttl, staleTime}`.
fn read_lock(
    value: &Value,
    path: &str,
) -> std::result::Result<Option<CacheLockOptions>, OptionsError> {
    let bad = |key: &str, why: &str| Err(OptionsError::invalid(&format!("{path}{key}"), why));
    let fields = match value {
        Value::Bool(enabled) => return Ok(enabled.then(CacheLockOptions::default)),
        Value::Object(fields) => fields,
        _ => return bad("", "true, false or {enabled, ttl, staleTime}"),
    };
    let mut lock = CacheLockOptions::default();
    let mut enabled = true;
    for (key, value) in fields {
        match key.as_str() {
            _ if value.is_null() => {}
            "enabled" => match value {
                Value::Bool(on) => enabled = *on,
                _ => return bad(".enabled", "a boolean"),
            },
            "ttl" => match seconds(value) {
                // Node gives the lock's time in milliseconds.
                Some(thousandfold) => lock.ttl = thousandfold / 1000,
                None => return bad(".ttl", "a number of milliseconds"),
            },
            "staleTime" => match seconds(value) {
                Some(stale) => lock.stale_time = Some(stale).filter(|s| !s.is_zero()),
                None => return bad(".staleTime", "a number of seconds"),
            },
            other => return bad(&format!(".{other}"), "one of enabled, ttl, staleTime"),
        }
    }
    if lock.ttl.is_zero() {
        return bad(".ttl", "more than 0 milliseconds");
    }
    Ok(enabled.then_some(lock))
}

/// A number of seconds, as a duration.
fn seconds(value: &Value) -> Option<Duration> {
    value
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The action cache, with the broker's cacher.
pub(crate) struct ActionCache {
    cacher: Arc<dyn Cacher>,
    keygen: KeyGen,
    /// The broker's own key function (`BrokerBuilder::cache_keygen`).
    custom_keygen: Option<CacheKeygen>,
    /// A cached value equal to this is no hit: the cacher's `missingResponse`, or `null` for
    /// 0.14 (which never serves a cached `null`).
    miss: Option<Value>,
}

impl ActionCache {
    pub(crate) fn new(
        cacher: Arc<dyn Cacher>,
        keygen: KeyGen,
        custom_keygen: Option<CacheKeygen>,
        dialect: ProtocolVersion,
    ) -> Self {
        let miss = cacher
            .missing_response()
            .cloned()
            .or_else(|| (dialect == ProtocolVersion::V4).then_some(Value::Null));
        ActionCache {
            cacher,
            keygen,
            custom_keygen,
            miss,
        }
    }
}

/// One cached action: what its calls need.
struct CachedAction {
    cacher: Arc<dyn Cacher>,
    keygen: KeyGen,
    custom_keygen: Option<CacheKeygen>,
    miss: Option<Value>,
    name: Arc<str>,
    options: ActionCacheOptions,
    /// The `keys` when each is a top-level params field (no `#meta`, `@header` or path) and
    /// no key function is set: typed params then give their values without becoming JSON.
    field_keys: Option<Vec<String>>,
}

impl Middleware for ActionCache {
    fn name(&self) -> &str {
        "Cacher"
    }

    /// moleculer-db's convention, kept for every service with a cached action: the
    /// `cache.clean.<service>` event (broadcast when the service's data changes) drops the
    /// service's cached results on every node (`<service>.**`). A handler of the service's
    /// own for that event replaces it.
    fn service_creating(
        &self,
        _broker: &ServiceBroker,
        schema: &mut ServiceSchema<'_>,
    ) -> Result<()> {
        if !schema.caches() {
            return Ok(());
        }
        let service = full_service_name(schema.name(), schema.version());
        let event = format!("cache.clean.{service}");
        if schema.event_names().contains(&event.as_str()) {
            return Ok(());
        }
        let (cacher, pattern) = (self.cacher.clone(), format!("{service}.**"));
        let clean = EventHandler::new(move |_ctx| {
            let (cacher, pattern) = (cacher.clone(), pattern.clone());
            Box::pin(async move { cacher.clean(&[pattern.as_str()]).await })
        });
        schema.add_builtin_event(event, clean);
        Ok(())
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let options = action.options.cache.clone().filter(|c| c.enabled)?;
        let custom_keygen = options
            .keygen
            .clone()
            .or_else(|| self.custom_keygen.clone());
        let field_keys = options.keys.clone().filter(|keys| {
            custom_keygen.is_none()
                && !keys.is_empty()
                && keys.iter().all(|k| {
                    !k.starts_with('#') && !k.starts_with('@') && crate::js::is_whole_key(k)
                })
        });
        let cached = Arc::new(CachedAction {
            cacher: self.cacher.clone(),
            keygen: self.keygen,
            custom_keygen,
            miss: self.miss.clone(),
            name: action.name.clone(),
            options,
            field_keys,
        });
        Some(wrap_action(next, move |ctx, next| {
            let (cached, next) = (cached.clone(), next.clone());
            Box::pin(async move { cached.call(ctx, next).await })
        }))
    }
}

impl CachedAction {
    async fn call(self: Arc<Self>, ctx: Context<Payload>, next: ActionHandler) -> Result<Payload> {
        if let Some(condition) = &self.options.condition
            && !condition.allows(&ctx)
        {
            return next.call(ctx).await;
        }
        let bypass = ctx.meta().get("$cache") == Some(&Value::Bool(false));
        if bypass || !self.cacher.connected() {
            return next.call(ctx).await;
        }
        let Some(key) = self.key(&ctx) else {
            // Params that are not JSON data cannot make a key: such a call runs uncached (a
            // key made without them would mix up different calls).
            return next.call(ctx).await;
        };
        match self.options.lock {
            // Boxed: the locked path's larger state stays out of every call's future.
            Some(lock) => Box::pin(self.call_locked(ctx, next, key, lock)).await,
            None => self.call_unlocked(ctx, next, key).await,
        }
    }

    fn key(&self, ctx: &Context<Payload>) -> Option<String> {
        if let (Some(keys), Some(typed)) = (&self.field_keys, ctx.params.typed_serialize())
            && let Some(values) = super::fields::pick(typed, keys)
        {
            return Some(self.keygen.key_of_values(&self.name, &values));
        }
        let params = match ctx.params.as_json() {
            Some(params) => std::borrow::Cow::Borrowed(params),
            None => std::borrow::Cow::Owned(ctx.params.to_json().ok()?),
        };
        // Node's context holds `{}` for no params (`params || {}`).
        let empty = Value::Object(serde_json::Map::new());
        let params = if params.is_null() { &empty } else { &*params };
        let meta = ctx.meta();
        let source = KeySource {
            params: Some(params),
            meta: Some(&meta),
            headers: Some(ctx.headers()),
        };
        let keys = self.options.keys.as_deref();
        Some(match &self.custom_keygen {
            Some(keygen) => keygen.key(&KeyRequest {
                action: &self.name,
                source,
                keys,
                default: &self.keygen,
            }),
            None => self.keygen.key(&self.name, source, keys),
        })
    }

    fn is_hit(&self, value: &Value) -> bool {
        self.miss.as_ref() != Some(value)
    }

    /// The cached value at `key`, if it is a hit (a failed read is logged and is a miss).
    async fn lookup(&self, key: &str) -> Option<Value> {
        match self.cacher.get(key).await {
            Ok(Some(value)) if self.is_hit(&value) => Some(value),
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(key, error = %err, "cache read failed");
                None
            }
        }
    }

    async fn call_unlocked(
        &self,
        ctx: Context<Payload>,
        next: ActionHandler,
        key: String,
    ) -> Result<Payload> {
        if let Some(value) = self.lookup(&key).await {
            ctx.mark_cached_result();
            return Ok(Payload::json(value));
        }
        let result = next.call(ctx).await?;
        // Node does not wait for `set`: a store that answers at once (memory) is done here,
        // any other finishes in the background.
        if let Some(value) = cacheable(&key, &result) {
            let (cacher, ttl) = (self.cacher.clone(), self.options.ttl);
            let mut setting = Box::pin(async move {
                if let Err(err) = cacher.set(&key, value, ttl).await {
                    tracing::warn!(key, error = %err, "cache write failed");
                }
            });
            if futures_util::FutureExt::now_or_never(setting.as_mut()).is_none() {
                tokio::spawn(setting);
            }
        }
        Ok(result)
    }

    /// Node's `middlewareWithLock`.
    async fn call_locked(
        self: Arc<Self>,
        ctx: Context<Payload>,
        next: ActionHandler,
        key: String,
        lock: CacheLockOptions,
    ) -> Result<Payload> {
        let found = match lock.stale_time {
            Some(stale_time) => match self.cacher.get_with_ttl(&key).await {
                Ok(Some(cached)) if self.is_hit(&cached.value) => {
                    if cached.ttl.is_some_and(|left| left < stale_time) {
                        // Served as it is, and refreshed by whoever takes the lock first.
                        let refreshing = Context::from_parts(ctx.params.clone(), ctx.inner.clone());
                        tokio::spawn(self.clone().refresh(
                            refreshing,
                            next.clone(),
                            key.clone(),
                            lock,
                        ));
                    }
                    Some(cached.value)
                }
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(key, error = %err, "cache read failed");
                    None
                }
            },
            None => self.lookup(&key).await,
        };
        if let Some(value) = found {
            ctx.mark_cached_result();
            return Ok(Payload::json(value));
        }
        let held = self.cacher.lock(&key, lock.ttl).await?;
        // Someone else may have cached it while this call waited for the lock.
        if let Some(value) = self.lookup(&key).await {
            release(held, &key).await;
            ctx.mark_cached_result();
            return Ok(Payload::json(value));
        }
        match next.call(ctx).await {
            Ok(result) => {
                let value = cacheable(&key, &result);
                let (cacher, ttl) = (self.cacher.clone(), self.options.ttl);
                // The result goes back at once; the lock is given back once it is cached.
                tokio::spawn(async move {
                    if let Some(value) = value
                        && let Err(err) = cacher.set(&key, value, ttl).await
                    {
                        tracing::warn!(key, error = %err, "cache write failed");
                    }
                    release(held, &key).await;
                });
                Ok(result)
            }
            Err(err) => {
                release(held, &key).await;
                Err(err)
            }
        }
    }

    /// Refreshes a stale value, unless another caller already does.
    async fn refresh(
        self: Arc<Self>,
        ctx: Context<Payload>,
        next: ActionHandler,
        key: String,
        lock: CacheLockOptions,
    ) {
        let held = match self.cacher.try_lock(&key, lock.ttl).await {
            Ok(Some(held)) => held,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(key, error = %err, "cache refresh lock failed");
                return;
            }
        };
        let outcome = match next.call(ctx).await {
            Ok(result) => match cacheable(&key, &result) {
                Some(value) => self.cacher.set(&key, value, self.options.ttl).await,
                None => Ok(()),
            },
            Err(_) => self.cacher.del(&[key.as_str()]).await,
        };
        if let Err(err) = outcome {
            tracing::warn!(key, error = %err, "cache refresh failed");
        }
        release(held, &key).await;
    }
}

/// The JSON of a result, if it has one (a result that is not JSON data is not cached, and
/// the call still answers).
fn cacheable(key: &str, result: &Payload) -> Option<Value> {
    match result.to_json() {
        Ok(value) => Some(value),
        Err(err) => {
            tracing::warn!(key, error = %err, "a result that is not JSON is not cached");
            None
        }
    }
}

async fn release(held: super::CacheLock, key: &str) {
    if let Err(err) = held.unlock().await {
        tracing::warn!(key, error = %err, "cache unlock failed");
    }
}
