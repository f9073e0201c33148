//! Helpers to write `local_action`, `remote_action` and `local_event` wrappers.

use std::future::Future;
use std::sync::Arc;

use super::Middleware;
use crate::context::{Context, EventContext};
use crate::error::Result;
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler, BoxFuture, EventHandler};

/// An action handler running `wrapper(ctx, next)` around `next`.
pub fn wrap_action<F>(next: &ActionHandler, wrapper: F) -> ActionHandler
where
    F: Fn(Context<Payload>, &ActionHandler) -> BoxFuture<'static, Result<Payload>>
        + Send
        + Sync
        + 'static,
{
    let next = next.clone();
    ActionHandler::new(move |ctx| wrapper(ctx, &next))
}

/// An event handler running `wrapper(ctx, next)` around `next`.
pub fn wrap_event<F>(next: &EventHandler, wrapper: F) -> EventHandler
where
    F: Fn(EventContext<Payload>, &EventHandler) -> BoxFuture<'static, Result<()>>
        + Send
        + Sync
        + 'static,
{
    let next = next.clone();
    EventHandler::new(move |ctx| wrapper(ctx, &next))
}

/// A middleware around every local action made of an async function of the context and the
/// rest of the chain, as axum's `from_fn`: `from_fn(|ctx, next| async move { next.call(ctx).await })`.
///
/// [`FromFn::remote_too`] makes it wrap the actions of other nodes as well (around the request
/// this node sends).
pub fn from_fn<F, Fut>(wrapper: F) -> FromFn<F>
where
    F: Fn(Context<Payload>, ActionHandler) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Payload>> + Send + 'static,
{
    FromFn {
        wrapper: Arc::new(wrapper),
        remote: false,
    }
}

/// The middleware [`from_fn`] makes.
pub struct FromFn<F> {
    wrapper: Arc<F>,
    remote: bool,
}

impl<F> FromFn<F> {
    /// Wraps the actions of other nodes too, not only the local ones.
    pub fn remote_too(mut self) -> FromFn<F> {
        self.remote = true;
        self
    }
}

impl<F, Fut> FromFn<F>
where
    F: Fn(Context<Payload>, ActionHandler) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Payload>> + Send + 'static,
{
    fn around(&self, next: &ActionHandler) -> ActionHandler {
        let wrapper = self.wrapper.clone();
        let next = next.clone();
        ActionHandler::new(move |ctx| Box::pin(wrapper(ctx, next.clone())))
    }
}

impl<F, Fut> Middleware for FromFn<F>
where
    F: Fn(Context<Payload>, ActionHandler) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Payload>> + Send + 'static,
{
    fn name(&self) -> &str {
        "FromFn"
    }

    fn local_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        Some(self.around(next))
    }

    fn remote_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        self.remote.then(|| self.around(next))
    }
}

impl<F> std::fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FromFn")
            .field("remote", &self.remote)
            .finish()
    }
}
