//! Helpers to write `local_action`, `remote_action` and `local_event` wrappers.

use std::sync::Arc;

use crate::context::{Context, EventContext};
use crate::error::Result;
use crate::payload::{ParamSlot, Payload};
use crate::service::{ActionHandler, BoxFuture, EventHandler};

/// The handler a wrapper passes the call on to.
#[derive(Clone)]
pub struct NextAction(pub(crate) ActionHandler);

impl NextAction {
    /// Runs the rest of the chain with `ctx`.
    pub fn call(&self, ctx: Context<Payload>) -> BoxFuture<'static, Result<Payload>> {
        (self.0)(ctx, None)
    }
}

/// An action handler running `wrapper(ctx, next)` around `next`.
///
/// Typed params lent by a local caller are taken into `ctx.params` first (still typed: a
/// handler of that type moves them out without JSON).
pub fn wrap_action<F>(next: ActionHandler, wrapper: F) -> ActionHandler
where
    F: Fn(Context<Payload>, &NextAction) -> BoxFuture<'static, Result<Payload>>
        + Send
        + Sync
        + 'static,
{
    let next = NextAction(next);
    Arc::new(move |ctx: Context<Payload>, slot| wrapper(with_lent_params(ctx, slot), &next))
}

/// `ctx` with the typed params a local caller lent, if any, taken into `ctx.params`.
pub(crate) fn with_lent_params(
    ctx: Context<Payload>,
    slot: Option<&mut dyn ParamSlot>,
) -> Context<Payload> {
    match slot {
        Some(slot) => Context::from_parts(slot.take_payload(), ctx.inner),
        None => ctx,
    }
}

/// The handler a wrapper passes the event on to.
#[derive(Clone)]
pub struct NextEvent(EventHandler);

impl NextEvent {
    /// Runs the rest of the chain with `ctx`.
    pub fn call(&self, ctx: EventContext<Payload>) -> BoxFuture<'static, Result<()>> {
        (self.0)(ctx)
    }
}

/// An event handler running `wrapper(ctx, next)` around `next`.
pub fn wrap_event<F>(next: EventHandler, wrapper: F) -> EventHandler
where
    F: Fn(EventContext<Payload>, &NextEvent) -> BoxFuture<'static, Result<()>>
        + Send
        + Sync
        + 'static,
{
    let next = NextEvent(next);
    Arc::new(move |ctx: EventContext<Payload>| wrapper(ctx, &next))
}

impl std::fmt::Debug for NextAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NextAction")
    }
}

impl std::fmt::Debug for NextEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NextEvent")
    }
}
