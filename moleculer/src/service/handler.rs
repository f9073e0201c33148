//! Type-erased action and event handlers, and the conversions from a user's method.
//!
//! The registry stores every action as an [`ActionHandler`]: a function from a JSON-or-typed
//! context to a boxed future. A local action's handler converts the params to the method's type
//! (moving them when the caller passed that very type), validates them, and runs the method; a
//! remote action's handler sends a request. Middlewares wrap these once, at registration.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::context::{Context, EventContext};
use crate::error::{Error, Result};
use crate::payload::{ParamSlot, Payload};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The erased form of an action handler: typed params a local caller lends come beside the
/// context, for the handlers that can take them without JSON (the params check of a typed
/// action); every other handler gets them in `ctx.params`.
type LendingFn = dyn Fn(Context<Payload>, Option<&mut dyn ParamSlot>) -> BoxFuture<'static, Result<Payload>>
    + Send
    + Sync;

/// An action handler: what runs for one action, local or remote, as the registry stores it
/// and as middlewares wrap it. Cheap to clone.
///
/// ```
/// use moleculer::service::ActionHandler;
/// use moleculer::Payload;
///
/// let echo = ActionHandler::new(|ctx| Box::pin(async move { Ok(ctx.params) }));
/// # let _ = echo;
/// ```
#[derive(Clone)]
pub struct ActionHandler(Arc<LendingFn>);

impl ActionHandler {
    /// A handler running `handler` for each call.
    pub fn new<F>(handler: F) -> ActionHandler
    where
        F: Fn(Context<Payload>) -> BoxFuture<'static, Result<Payload>> + Send + Sync + 'static,
    {
        ActionHandler(Arc::new(move |ctx: Context<Payload>, lent| {
            handler(with_lent_params(ctx, lent))
        }))
    }

    /// A handler that takes lent typed params itself (see [`LendingFn`]).
    pub(crate) fn lending<F>(handler: F) -> ActionHandler
    where
        F: Fn(Context<Payload>, Option<&mut dyn ParamSlot>) -> BoxFuture<'static, Result<Payload>>
            + Send
            + Sync
            + 'static,
    {
        ActionHandler(Arc::new(handler))
    }

    /// Runs the handler with `ctx`.
    pub fn call(&self, ctx: Context<Payload>) -> BoxFuture<'static, Result<Payload>> {
        (self.0)(ctx, None)
    }

    /// Runs the handler with typed params a local caller lends (moved out, not serialized,
    /// when they are the action's params type), or with `ctx.params`.
    pub(crate) fn call_lending(
        &self,
        ctx: Context<Payload>,
        lent: Option<&mut dyn ParamSlot>,
    ) -> BoxFuture<'static, Result<Payload>> {
        (self.0)(ctx, lent)
    }
}

/// `ctx` with the typed params a local caller lent, if any, taken into `ctx.params`.
fn with_lent_params(ctx: Context<Payload>, lent: Option<&mut dyn ParamSlot>) -> Context<Payload> {
    match lent {
        Some(lent) => ctx.with_params(lent.take_payload()),
        None => ctx,
    }
}

impl std::fmt::Debug for ActionHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActionHandler")
    }
}

type EventFnErased = dyn Fn(EventContext<Payload>) -> BoxFuture<'static, Result<()>> + Send + Sync;

/// An event handler: what runs for one local event handler, as the registry stores it and as
/// middlewares wrap it. Cheap to clone.
#[derive(Clone)]
pub struct EventHandler(Arc<EventFnErased>);

impl EventHandler {
    /// A handler running `handler` for each event.
    pub fn new<F>(handler: F) -> EventHandler
    where
        F: Fn(EventContext<Payload>) -> BoxFuture<'static, Result<()>> + Send + Sync + 'static,
    {
        EventHandler(Arc::new(handler))
    }

    /// Runs the handler with `ctx`.
    pub fn call(&self, ctx: EventContext<Payload>) -> BoxFuture<'static, Result<()>> {
        (self.0)(ctx)
    }
}

impl std::fmt::Debug for EventHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventHandler")
    }
}

/// What an action method may return: `Result<T, E>` where `T` serializes and `E` converts into
/// [`Error`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid action result",
    note = "an `#[action]` method returns `Result<T, E>` where `T: Serialize + Send + Sync + 'static` and `E: Into<moleculer::Error>`"
)]
pub trait IntoActionResult {
    /// Converts into the erased result.
    fn into_action_result(self) -> Result<Payload>;
}

impl<T, E> IntoActionResult for std::result::Result<T, E>
where
    T: Serialize + Send + Sync + 'static,
    E: Into<Error>,
{
    fn into_action_result(self) -> Result<Payload> {
        match self {
            Ok(value) => Ok(Payload::typed(value)),
            Err(err) => Err(err.into()),
        }
    }
}

/// What an event method may return: `()` or `Result<(), E>` where `E` converts into [`Error`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid event handler result",
    note = "an `#[event]` method returns `()` or `Result<(), E>` where `E: Into<moleculer::Error>`"
)]
pub trait IntoEventResult {
    /// Converts into the erased result.
    fn into_event_result(self) -> Result<()>;
}

impl IntoEventResult for () {
    fn into_event_result(self) -> Result<()> {
        Ok(())
    }
}

impl<E: Into<Error>> IntoEventResult for std::result::Result<(), E> {
    fn into_event_result(self) -> Result<()> {
        self.map_err(Into::into)
    }
}

/// What a `before` hook may return: `()` or `Result<(), E>`; an error fails the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid before hook result",
    note = "a `#[hook(before = ...)]` method returns `()` or `Result<(), E>` where `E: Into<moleculer::Error>`"
)]
pub trait IntoHookResult {
    /// Converts into the erased result.
    fn into_hook_result(self) -> Result<()>;
}

impl IntoHookResult for () {
    fn into_hook_result(self) -> Result<()> {
        Ok(())
    }
}

impl<E: Into<Error>> IntoHookResult for std::result::Result<(), E> {
    fn into_hook_result(self) -> Result<()> {
        self.map_err(Into::into)
    }
}

/// What a lifecycle method (`created`, `started`, `stopped`) may return: `()` or
/// `Result<(), E>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid lifecycle handler result",
    note = "lifecycle methods return `()` or `Result<(), E>` where `E: Into<moleculer::Error>`"
)]
pub trait IntoLifecycleResult {
    /// Converts into the erased result.
    fn into_lifecycle_result(self) -> Result<()>;
}

impl IntoLifecycleResult for () {
    fn into_lifecycle_result(self) -> Result<()> {
        Ok(())
    }
}

impl<E: Into<Error>> IntoLifecycleResult for std::result::Result<(), E> {
    fn into_lifecycle_result(self) -> Result<()> {
        self.map_err(Into::into)
    }
}
