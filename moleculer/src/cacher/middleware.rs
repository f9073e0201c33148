//! The action cache (Node's `Cacher` middleware, reference §10.2): an action with a `cache`
//! setting answers from the cacher when its key is there, and caches what its handler
//! returns otherwise.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{Cacher, KeyGen, KeySource};
use crate::error::Result;
use crate::middleware::{Middleware, wrap_action};
use crate::options::{OptionsError, ProtocolVersion};
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler};

/// An action's `cache` setting: `true`, or `{enabled, keys, ttl}` (`ttl` in seconds).
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
}

impl ActionCacheOptions {
    /// Reads `cache = true | false | {enabled, keys, ttl}`.
    ///
    /// # Errors
    /// Another shape or key, naming `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> std::result::Result<Self, OptionsError> {
        let bad = |key: &str, why: &str| Err(OptionsError::invalid(&format!("{path}{key}"), why));
        let mut options = ActionCacheOptions {
            enabled: true,
            keys: None,
            ttl: None,
        };
        let fields = match value {
            Value::Bool(enabled) => {
                options.enabled = *enabled;
                return Ok(options);
            }
            Value::Object(fields) => fields,
            _ => return bad("", "true, false or {enabled, keys, ttl}"),
        };
        for (key, value) in fields {
            match key.as_str() {
                _ if value.is_null() => {}
                "enabled" => match value {
                    Value::Bool(enabled) => options.enabled = *enabled,
                    _ => {
                        return bad(
                            ".enabled",
                            "a boolean (a predicate needs a middleware of your own)",
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
                "ttl" => match value.as_f64().filter(|n| n.is_finite() && *n >= 0.0) {
                    Some(secs) => {
                        options.ttl = Some(Duration::from_secs_f64(secs)).filter(|t| !t.is_zero())
                    }
                    None => return bad(".ttl", "a number of seconds"),
                },
                "lock" | "keygen" => return bad(&format!(".{key}"), "not supported yet"),
                other => return bad(&format!(".{other}"), "one of enabled, keys, ttl"),
            }
        }
        Ok(options)
    }
}

/// The action cache, with the broker's cacher.
pub(crate) struct ActionCache {
    cacher: Arc<dyn Cacher>,
    keygen: KeyGen,
    /// 0.14 never serves a cached `null`; 0.15 does.
    null_is_a_hit: bool,
}

impl ActionCache {
    pub(crate) fn new(cacher: Arc<dyn Cacher>, keygen: KeyGen, dialect: ProtocolVersion) -> Self {
        ActionCache {
            cacher,
            keygen,
            null_is_a_hit: dialect == ProtocolVersion::V5,
        }
    }
}

impl Middleware for ActionCache {
    fn name(&self) -> &str {
        "Cacher"
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let options = action.options.cache.clone().filter(|c| c.enabled)?;
        let options = Arc::new(options);
        let (cacher, keygen, null_is_a_hit) =
            (self.cacher.clone(), self.keygen, self.null_is_a_hit);
        let name = action.name.clone();
        Some(wrap_action(next, move |ctx, next| {
            let (cacher, options, name, next) =
                (cacher.clone(), options.clone(), name.clone(), next.clone());
            Box::pin(async move {
                let bypass = ctx.meta().get("$cache") == Some(&Value::Bool(false));
                if bypass || !cacher.connected() {
                    return next.call(ctx).await;
                }
                // Params that are not JSON data cannot make a key: such a call runs uncached
                // (a key made without them would mix up different calls).
                let Ok(mut params) = ctx.params.to_json() else {
                    return next.call(ctx).await;
                };
                // Node's context holds `{}` for no params (`params || {}`).
                if params.is_null() {
                    params = Value::Object(serde_json::Map::new());
                }
                let key = {
                    let meta = ctx.meta();
                    let source = KeySource {
                        params: Some(&params),
                        meta: Some(&meta),
                        headers: Some(ctx.headers()),
                    };
                    keygen.key(&name, source, options.keys.as_deref())
                };
                match cacher.get(&key).await {
                    Ok(Some(value)) if null_is_a_hit || !value.is_null() => {
                        ctx.mark_cached_result();
                        return Ok(Payload::json(value));
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(key, error = %err, "cache read failed"),
                }
                let result: Result<Payload> = next.call(ctx).await;
                let result = result?;
                // Node does not wait for `set`: a store that answers at once (memory) is done
                // here, any other finishes in the background. A result that is not JSON data
                // is not cached, and the call still answers.
                match result.to_json() {
                    Ok(value) => {
                        let ttl = options.ttl;
                        let setting = async move {
                            if let Err(err) = cacher.set(&key, value, ttl).await {
                                tracing::warn!(key, error = %err, "cache write failed");
                            }
                        };
                        let mut setting = Box::pin(setting);
                        if futures_util::FutureExt::now_or_never(setting.as_mut()).is_none() {
                            tokio::spawn(setting);
                        }
                    }
                    Err(err) => {
                        tracing::warn!(key, error = %err, "a result that is not JSON is not cached")
                    }
                }
                Ok(result)
            })
        }))
    }
}
