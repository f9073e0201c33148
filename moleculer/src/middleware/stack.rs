//! The broker's middlewares in wrapping order, and the folds that apply them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Middleware;
use crate::broker::ServiceBroker;
use crate::error::Result;
use crate::service::{
    ActionDef, ActionHandler, BoxFuture, EventDef, EventHandler, ServiceInfo, ServiceSchema,
};

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

    /// Wraps a local action in the user's middlewares; `None` when none wraps it.
    pub(crate) fn user_local_action(
        &self,
        handler: &ActionHandler,
        def: &ActionDef,
    ) -> Option<ActionHandler> {
        fold(&self.list[..self.user], handler, |mw, next| {
            mw.local_action(next, def)
        })
    }

    /// Wraps a local action in the built-in middlewares.
    pub(crate) fn builtin_local_action(
        &self,
        handler: ActionHandler,
        def: &ActionDef,
    ) -> ActionHandler {
        self.note_retry(def);
        fold(&self.list[self.user..], &handler, |mw, next| {
            mw.local_action(next, def)
        })
        .unwrap_or(handler)
    }

    pub(crate) fn remote_action(&self, handler: ActionHandler, def: &ActionDef) -> ActionHandler {
        self.note_retry(def);
        fold(&self.list, &handler, |mw, next| mw.remote_action(next, def)).unwrap_or(handler)
    }

    fn note_retry(&self, def: &ActionDef) {
        let own = def.options.retry_policy.as_ref();
        if own.and_then(|p| p.enabled) == Some(true) {
            self.action_retry.store(true, Ordering::Relaxed);
        }
    }

    /// Whether an action enabled retries on its own.
    pub(crate) fn action_retry(&self) -> bool {
        self.action_retry.load(Ordering::Relaxed)
    }

    /// Wraps a local event handler in the user's middlewares (inside the validator); `None`
    /// when none wraps it.
    pub(crate) fn user_local_event(
        &self,
        handler: &EventHandler,
        def: &EventDef,
    ) -> Option<EventHandler> {
        fold(&self.list[..self.user], handler, |mw, next| {
            mw.local_event(next, def)
        })
    }

    /// Wraps a local event handler in the built-in middlewares (outside the validator).
    pub(crate) fn builtin_local_event(
        &self,
        handler: EventHandler,
        def: &EventDef,
    ) -> EventHandler {
        fold(&self.list[self.user..], &handler, |mw, next| {
            mw.local_event(next, def)
        })
        .unwrap_or(handler)
    }

    /// `base` wrapped by `hook` of every middleware, each later one around the earlier ones
    /// (`reverse`: each earlier one around the later ones); `None` when none wraps it, so the
    /// caller keeps its plain path.
    pub(crate) fn wrapped<H: Clone>(
        &self,
        base: &H,
        reverse: bool,
        hook: impl Fn(&dyn Middleware, &H) -> Option<H>,
    ) -> Option<H> {
        if reverse {
            let list: Vec<Arc<dyn Middleware>> = self.list.iter().rev().cloned().collect();
            fold(&list, base, hook)
        } else {
            fold(&self.list, base, hook)
        }
    }

    /// Runs every middleware's `service_creating`; the first error ends it.
    pub(crate) fn service_creating(
        &self,
        broker: &ServiceBroker,
        schema: &mut ServiceSchema<'_>,
    ) -> Result<()> {
        self.list
            .iter()
            .try_for_each(|mw| mw.service_creating(broker, schema))
    }

    /// Runs every middleware's `service_created`; the first error ends it.
    pub(crate) fn service_created(
        &self,
        broker: &ServiceBroker,
        service: &ServiceInfo,
    ) -> Result<()> {
        self.list
            .iter()
            .try_for_each(|mw| mw.service_created(broker, service))
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

/// `handler` wrapped by `hook` of each of `list`, each later one around the earlier ones;
/// `None` when none wraps it.
fn fold<H: Clone>(
    list: &[Arc<dyn Middleware>],
    handler: &H,
    hook: impl Fn(&dyn Middleware, &H) -> Option<H>,
) -> Option<H> {
    list.iter().fold(None, |wrapped: Option<H>, mw| {
        let next = wrapped.as_ref().unwrap_or(handler);
        hook(mw.as_ref(), next).or(wrapped)
    })
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|m| m.name()))
            .finish()
    }
}
