//! Type-erased action and event handlers, and the conversions from a user's method.
//!
//! The registry stores every action as an [`ActionHandler`]: a function from a JSON-or-typed
//! context to a boxed future. A local action's handler converts the params to the method's type
//! (moving them when the caller passed that very type), validates them, and runs the method; a
//! remote action's handler (later) sends a request. Middlewares wrap these once, at
//! registration.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::context::{Context, EventContext};
use crate::error::{Error, Result};
use crate::payload::Payload;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An action handler as the registry stores it.
pub type ActionHandler = Arc<
    dyn Fn(
            Context<Payload>,
            Option<&mut dyn crate::payload::ParamSlot>,
        ) -> BoxFuture<'static, Result<Payload>>
        + Send
        + Sync,
>;

/// An event handler as the registry stores it.
pub type EventHandler =
    Arc<dyn Fn(EventContext<Payload>) -> BoxFuture<'static, Result<()>> + Send + Sync>;

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
