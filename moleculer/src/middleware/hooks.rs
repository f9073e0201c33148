//! What the hooks around the broker's methods (`call`, `mcall`, `emit`, `broadcast`,
//! `broadcast_local`) get and return.
//!
//! Each handler is a shared function from one request to its future. A middleware's hook gets
//! the next handler and returns the handler to use instead: one that runs code around `next`,
//! changes the request before passing it on, answers on its own without calling `next`, or
//! `next` itself to decline.

use std::sync::Arc;

use serde_json::Value;

use crate::broker::MultiCall;
use crate::context::{CallOptions, EmitOptions};
use crate::error::Result;
use crate::payload::Payload;
use crate::service::BoxFuture;

/// One call of an action, as the [`Middleware::call`](super::Middleware::call) hook sees it
/// (Node's `(actionName, params, opts)`).
///
/// Calls from a handler (`ctx.call`) come through here too; their options then name the
/// parent context ([`CallOptions::is_sub_call`]).
#[derive(Debug)]
pub struct CallRequest {
    /// The action's full name (`"v2.math.add"`).
    pub action: String,
    /// The params; typed params stay typed (see [`Payload`]).
    pub params: Payload,
    /// The call's options.
    pub options: CallOptions,
}

/// Runs one call: the broker's call path, wrapped by the `call` hooks of the middlewares.
pub type CallHandler =
    Arc<dyn Fn(CallRequest) -> BoxFuture<'static, Result<Payload>> + Send + Sync>;

/// One `mcall`, as the [`Middleware::mcall`](super::Middleware::mcall) hook sees it (Node's
/// `(def, opts)`). Each of its calls then goes through the `call` hooks.
#[derive(Debug)]
pub struct McallRequest {
    /// The calls.
    pub calls: MultiCall,
    /// Options every call shares (the parent context of `ctx.mcall`).
    pub options: CallOptions,
}

/// Runs one `mcall`, wrapped by the `mcall` hooks of the middlewares.
pub type McallHandler =
    Arc<dyn Fn(McallRequest) -> BoxFuture<'static, Result<Value>> + Send + Sync>;

/// One event sent by `emit`, `broadcast` or `broadcast_local`, as the hooks of those names
/// see it (Node's `(eventName, payload, opts)`).
#[derive(Debug)]
pub struct EmitRequest {
    /// The event's name (`"user.created"`).
    pub event: String,
    /// The payload; a typed one stays typed until it has to travel.
    pub payload: Payload,
    /// The options (groups, meta, headers, `throw_error`).
    pub options: EmitOptions,
}

impl EmitRequest {
    pub(crate) fn new(event: &str, payload: Payload, options: EmitOptions) -> EmitRequest {
        EmitRequest {
            event: event.to_owned(),
            payload,
            options,
        }
    }
}

/// Sends one event: the broker's `emit`, `broadcast` or `broadcast_local`, wrapped by the
/// middlewares' hook of the same name. Returning `Ok(())` without calling `next` swallows the
/// event.
pub type EmitHandler = Arc<dyn Fn(EmitRequest) -> BoxFuture<'static, Result<()>> + Send + Sync>;
