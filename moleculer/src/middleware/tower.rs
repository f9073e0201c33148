//! [`TowerLayer`]: a tower [`Layer`] used as a middleware around actions (feature `tower`).
//!
//! The rest of an action's chain is an [`ActionService`], a tower [`Service`] from
//! `Context<Payload>` to `Payload`; the layer wraps it once per action, when the action is
//! registered, so each action gets a service of its own (a concurrency limit layer limits
//! each action on its own). Each call clones the action's service, waits until it is ready,
//! and calls it, as tower's `oneshot` does.

use std::task::{Context as TaskContext, Poll};

use tower::{Layer, Service};

use super::Middleware;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler, BoxFuture};

/// The rest of an action's chain, as a tower [`Service`]: always ready.
#[derive(Clone, Debug)]
pub struct ActionService(ActionHandler);

impl Service<Context<Payload>> for ActionService {
    type Response = Payload;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Payload>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, ctx: Context<Payload>) -> Self::Future {
        self.0.call(ctx)
    }
}

/// A tower [`Layer`] as a [`Middleware`]: it wraps every local action (and, with
/// [`TowerLayer::remote_actions`], the actions this node calls on others).
///
/// ```
/// use std::task::{Context as TaskContext, Poll};
/// use moleculer::middleware::{ActionService, TowerLayer};
/// use moleculer::service::BoxFuture;
/// use moleculer::{Context, Error, Payload, ServiceBroker};
///
/// /// Refuses calls without a `user` in their meta.
/// #[derive(Clone)]
/// struct RequireUser<S>(S);
///
/// impl<S> tower::Service<Context<Payload>> for RequireUser<S>
/// where
///     S: tower::Service<Context<Payload>, Response = Payload, Error = Error, Future = BoxFuture<'static, Result<Payload, Error>>>,
/// {
///     type Response = Payload;
///     type Error = Error;
///     type Future = BoxFuture<'static, Result<Payload, Error>>;
///
///     fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Error>> {
///         self.0.poll_ready(cx)
///     }
///
///     fn call(&mut self, ctx: Context<Payload>) -> Self::Future {
///         if ctx.meta().get("user").is_none() {
///             return Box::pin(async { Err(Error::client("who are you?")) });
///         }
///         self.0.call(ctx)
///     }
/// }
///
/// let layer = tower::layer::layer_fn(RequireUser::<ActionService>);
/// let builder = ServiceBroker::builder().middleware(TowerLayer::new(layer));
/// # let _ = builder;
/// ```
#[derive(Debug, Clone)]
pub struct TowerLayer<L> {
    layer: L,
    remote: bool,
}

impl<L> TowerLayer<L> {
    /// A middleware applying `layer` to every local action.
    pub fn new(layer: L) -> TowerLayer<L> {
        TowerLayer {
            layer,
            remote: false,
        }
    }

    /// Applies the layer to the actions of other nodes too (around the request this node
    /// sends), or not (the default).
    pub fn remote_actions(mut self, remote: bool) -> TowerLayer<L> {
        self.remote = remote;
        self
    }

    fn wrap(&self, next: &ActionHandler) -> ActionHandler
    where
        L: Layer<ActionService>,
        L::Service: Service<Context<Payload>, Response = Payload, Error = Error>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Context<Payload>>>::Future: Send + 'static,
    {
        let service = self.layer.layer(ActionService(next.clone()));
        ActionHandler::new(move |ctx: Context<Payload>| {
            let mut service = service.clone();
            Box::pin(async move {
                std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                service.call(ctx).await
            })
        })
    }
}

impl<L> Middleware for TowerLayer<L>
where
    L: Layer<ActionService> + Send + Sync + 'static,
    L::Service: Service<Context<Payload>, Response = Payload, Error = Error>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as Service<Context<Payload>>>::Future: Send + 'static,
{
    fn local_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        Some(self.wrap(next))
    }

    fn remote_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        self.remote.then(|| self.wrap(next))
    }
}
