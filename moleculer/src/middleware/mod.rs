//! Middlewares (reference §9): code that wraps every action and event handler of the broker,
//! and hooks into its lifecycle.
//!
//! A [`Middleware`] wraps a handler **once**, when the action or event is registered: it gets
//! the next handler and the definition and returns the handler to use instead, or the same
//! one to decline. A call through middlewares that declined costs nothing.
//!
//! Order, as in Node: middlewares wrap in the order they were added, each later one around
//! the earlier ones, so the last one added runs first; the built-in ones (the bulkhead) are
//! added after the user's, so they run outside them.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use moleculer::middleware::{Middleware, wrap_action};
//! use moleculer::service::{ActionDef, ActionHandler};
//!
//! /// Counts the calls of every local action.
//! #[derive(Default)]
//! struct CallCounter(Arc<AtomicUsize>);
//!
//! impl Middleware for CallCounter {
//!     fn local_action(&self, next: ActionHandler, _action: &ActionDef) -> ActionHandler {
//!         let count = self.0.clone();
//!         wrap_action(next, move |ctx, next| {
//!             count.fetch_add(1, Ordering::Relaxed);
//!             next.call(ctx)
//!         })
//!     }
//! }
//! # let _ = moleculer::ServiceBroker::builder().middleware(CallCounter::default());
//! ```

mod breaker;
mod bulkhead;
mod tracker;

pub(crate) use breaker::CircuitBreaker;
pub(crate) use bulkhead::Bulkhead;
pub(crate) use tracker::ContextTracker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::broker::ServiceBroker;
use crate::context::{Context, EventContext};
use crate::error::Result;
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler, BoxFuture, EventDef, EventHandler, ServiceInfo};

/// A broker middleware: wrapping hooks for handlers, and lifecycle hooks. Every method has a
/// default that does nothing, so a middleware implements only what it needs.
pub trait Middleware: Send + Sync + 'static {
    /// A name for logs.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Wraps the handler of a local action (Node's `localAction`). Return `next` to decline.
    fn local_action(&self, next: ActionHandler, action: &ActionDef) -> ActionHandler {
        let _ = action;
        next
    }

    /// Wraps the handler of an action on another node, which sends the request (Node's
    /// `remoteAction`). Return `next` to decline.
    fn remote_action(&self, next: ActionHandler, action: &ActionDef) -> ActionHandler {
        let _ = action;
        next
    }

    /// Wraps the handler of a local event (Node's `localEvent`). Return `next` to decline.
    fn local_event(&self, next: EventHandler, event: &EventDef) -> EventHandler {
        let _ = event;
        next
    }

    /// The broker was built (synchronous, as in Node).
    fn created(&self, broker: &ServiceBroker) {
        let _ = broker;
    }

    /// The broker starts, before its services.
    fn starting<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker and all its services have started.
    fn started<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker stops, before its services (run in reverse order of the middlewares).
    fn stopping<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker and its services have stopped (reverse order).
    fn stopped<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// A local service starts, before waiting for its dependencies.
    fn service_starting<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service has started and is registered.
    fn service_started<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service stops, before its `stopped` handlers (reverse order).
    fn service_stopping<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service has stopped (reverse order).
    fn service_stopped<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }
}

/// A lifecycle hook that has nothing to do.
fn done<'a>() -> BoxFuture<'a, Result<()>> {
    Box::pin(std::future::ready(Ok(())))
}

/// The handler a wrapper passes the call on to.
#[derive(Clone)]
pub struct NextAction(ActionHandler);

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
    Arc::new(move |ctx: Context<Payload>, slot| {
        let ctx = match slot {
            Some(slot) => Context::from_parts(slot.take_payload(), ctx.inner),
            None => ctx,
        };
        wrapper(ctx, &next)
    })
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

/// The broker's middlewares, in wrapping order (user ones first, then the built-in ones).
#[derive(Default)]
pub(crate) struct Stack {
    list: Vec<Arc<dyn Middleware>>,
    /// How many of `list` are the user's: a local action's hooks and validator go between
    /// them and the built-in ones.
    user: usize,
    /// Whether some action (local or remote) enables its own `retryPolicy`: calls then check
    /// for retries even when the broker's policy is off.
    action_retry: AtomicBool,
}

impl Stack {
    pub(crate) fn new(user: Vec<Arc<dyn Middleware>>, builtin: Vec<Arc<dyn Middleware>>) -> Stack {
        let count = user.len();
        let mut list = user;
        list.extend(builtin);
        Stack {
            list,
            user: count,
            action_retry: AtomicBool::new(false),
        }
    }

    /// Wraps a local action in the user's middlewares.
    pub(crate) fn user_local_action(
        &self,
        handler: ActionHandler,
        def: &ActionDef,
    ) -> ActionHandler {
        self.list[..self.user]
            .iter()
            .fold(handler, |next, mw| mw.local_action(next, def))
    }

    /// Wraps a local action in the built-in middlewares.
    pub(crate) fn builtin_local_action(
        &self,
        handler: ActionHandler,
        def: &ActionDef,
    ) -> ActionHandler {
        self.note_retry(def);
        self.list[self.user..]
            .iter()
            .fold(handler, |next, mw| mw.local_action(next, def))
    }

    pub(crate) fn remote_action(&self, handler: ActionHandler, def: &ActionDef) -> ActionHandler {
        self.note_retry(def);
        self.list
            .iter()
            .fold(handler, |next, mw| mw.remote_action(next, def))
    }

    fn note_retry(&self, def: &ActionDef) {
        let enabled = def
            .extra
            .get("retryPolicy")
            .and_then(|p| p.get("enabled"))
            .and_then(serde_json::Value::as_bool);
        if enabled == Some(true) {
            self.action_retry.store(true, Ordering::Relaxed);
        }
    }

    /// Whether an action enabled retries on its own.
    pub(crate) fn action_retry(&self) -> bool {
        self.action_retry.load(Ordering::Relaxed)
    }

    pub(crate) fn local_event(&self, handler: EventHandler, def: &EventDef) -> EventHandler {
        self.list
            .iter()
            .fold(handler, |next, mw| mw.local_event(next, def))
    }

    pub(crate) fn created(&self, broker: &ServiceBroker) {
        for mw in &self.list {
            mw.created(broker);
        }
    }

    /// Runs a lifecycle hook of every middleware one after the other (`reverse` for the
    /// stopping ones); the first error ends it.
    pub(crate) async fn run<'a, F>(&'a self, reverse: bool, hook: F) -> Result<()>
    where
        F: Fn(&'a dyn Middleware) -> BoxFuture<'a, Result<()>>,
    {
        let count = self.list.len();
        for i in 0..count {
            let mw = &self.list[if reverse { count - 1 - i } else { i }];
            hook(mw.as_ref()).await?;
        }
        Ok(())
    }
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

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|m| m.name()))
            .finish()
    }
}
