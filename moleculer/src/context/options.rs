//! Calling and emitting options (Node's `CallingOptions` and emit `opts`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{ContextId, SharedContext};
use crate::error::{Error, Result};
use crate::payload::Payload;

/// A function computing a fallback response from a call's error.
pub type FallbackFn = Arc<dyn Fn(&Error) -> Result<Payload> + Send + Sync>;

/// What a call returns instead of failing: Node's `fallbackResponse`.
#[derive(Clone)]
pub enum FallbackResponse {
    /// Return this value.
    Value(Payload),
    /// Compute a value (or another error) from the error.
    Fn(FallbackFn),
}

impl fmt::Debug for FallbackResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FallbackResponse::Value(v) => f.debug_tuple("Value").field(v).finish(),
            FallbackResponse::Fn(_) => f.write_str("Fn(..)"),
        }
    }
}

/// Options of one call: `broker.call_with(action, params, options)`.
///
/// ```
/// use std::time::Duration;
/// use moleculer::CallOptions;
/// use serde_json::json;
/// let opts = CallOptions::new()
///     .timeout(Duration::from_millis(500))
///     .meta(json!({"user": "john"}))
///     .retries(2);
/// assert_eq!(opts.timeout.unwrap().as_millis(), 500);
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Timeout of this call; overrides the action's `timeout` and `requestTimeout`.
    pub timeout: Option<Duration>,
    /// Retries for this call; overrides `retryPolicy.retries`.
    pub retries: Option<u32>,
    /// Meta merged over the parent context's meta.
    pub meta: Option<Map<String, Value>>,
    /// Request headers (protocol v5); not inherited by sub-calls.
    pub headers: Option<Map<String, Value>>,
    /// Call the action on this node only.
    pub node_id: Option<String>,
    /// The request id (trace id) to use instead of the root context's id.
    pub request_id: Option<ContextId>,
    /// Overrides the caller name that is otherwise the parent's service.
    pub caller: Option<String>,
    /// What to return when the call fails.
    pub fallback_response: Option<FallbackResponse>,
    pub(crate) parent: Option<SharedContext>,
}

impl CallOptions {
    /// Empty options.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// Sets the timeout (`Duration::ZERO` disables it).
    pub fn timeout(mut self, timeout: Duration) -> CallOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the number of retries.
    pub fn retries(mut self, retries: u32) -> CallOptions {
        self.retries = Some(retries);
        self
    }

    /// Sets the meta from a JSON object (other values are ignored).
    pub fn meta(mut self, meta: Value) -> CallOptions {
        if let Value::Object(map) = meta {
            self.meta = Some(map);
        }
        self
    }

    /// Sets the headers from a JSON object (other values are ignored).
    pub fn headers(mut self, headers: Value) -> CallOptions {
        if let Value::Object(map) = headers {
            self.headers = Some(map);
        }
        self
    }

    /// Calls the action on the given node only.
    pub fn node_id(mut self, node_id: impl Into<String>) -> CallOptions {
        self.node_id = Some(node_id.into());
        self
    }

    /// Sets the request id.
    pub fn request_id(mut self, id: impl Into<ContextId>) -> CallOptions {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the caller name.
    pub fn caller(mut self, caller: impl Into<String>) -> CallOptions {
        self.caller = Some(caller.into());
        self
    }

    /// Makes the call a sub-call of `parent` (level, request id, meta and caller follow it).
    pub fn parent_ctx<P>(mut self, parent: &super::Context<P>) -> CallOptions {
        self.parent = Some(parent.inner.clone());
        self
    }

    /// Whether this is a sub-call: made from a handler's context (`ctx.call`) or with
    /// [`CallOptions::parent_ctx`].
    pub fn is_sub_call(&self) -> bool {
        self.parent.is_some()
    }

    /// Returns `value` instead of an error when the call fails.
    pub fn fallback_value<T: Serialize + Send + Sync + 'static>(mut self, value: T) -> CallOptions {
        self.fallback_response = Some(FallbackResponse::Value(Payload::typed(value)));
        self
    }

    /// Computes a response from the error when the call fails.
    pub fn fallback_fn(
        mut self,
        f: impl Fn(&Error) -> Result<Payload> + Send + Sync + 'static,
    ) -> CallOptions {
        self.fallback_response = Some(FallbackResponse::Fn(Arc::new(f)));
        self
    }
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("meta", &self.meta)
            .field("headers", &self.headers)
            .field("node_id", &self.node_id)
            .field("request_id", &self.request_id)
            .field("caller", &self.caller)
            .field("fallback_response", &self.fallback_response)
            .field("has_parent", &self.parent.is_some())
            .finish()
    }
}

/// Options of one `emit`, `broadcast` or `broadcast_local`.
#[derive(Clone, Default)]
pub struct EmitOptions {
    /// Only these groups receive the event.
    pub groups: Option<Vec<String>>,
    /// Meta merged over the parent context's meta.
    pub meta: Option<Map<String, Value>>,
    /// Headers (protocol v5).
    pub headers: Option<Map<String, Value>>,
    /// Fail when a local handler fails (Node 0.15's `throwError`); otherwise errors are logged.
    pub throw_error: bool,
    pub(crate) parent: Option<SharedContext>,
}

impl EmitOptions {
    /// Empty options.
    pub fn new() -> EmitOptions {
        EmitOptions::default()
    }

    /// Limits the event to these groups.
    pub fn groups<I, S>(mut self, groups: I) -> EmitOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the meta from a JSON object.
    pub fn meta(mut self, meta: Value) -> EmitOptions {
        if let Value::Object(map) = meta {
            self.meta = Some(map);
        }
        self
    }

    /// Sets the headers from a JSON object.
    pub fn headers(mut self, headers: Value) -> EmitOptions {
        if let Value::Object(map) = headers {
            self.headers = Some(map);
        }
        self
    }

    /// Makes a local handler's failure the emit's failure.
    pub fn throw_error(mut self, throw: bool) -> EmitOptions {
        self.throw_error = throw;
        self
    }

    /// Emits from within `parent` (level, request id, meta and caller follow it).
    pub fn parent_ctx<P>(mut self, parent: &super::Context<P>) -> EmitOptions {
        self.parent = Some(parent.inner.clone());
        self
    }
}

impl fmt::Debug for EmitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmitOptions")
            .field("groups", &self.groups)
            .field("meta", &self.meta)
            .field("headers", &self.headers)
            .field("throw_error", &self.throw_error)
            .field("has_parent", &self.parent.is_some())
            .finish()
    }
}
