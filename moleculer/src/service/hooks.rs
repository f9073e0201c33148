//! Action hooks (reference §5.4): `before`, `after` and `error` methods of a service that run
//! around its actions.
//!
//! A service-level hook names the actions it applies to: `"*"` (all), a raw action name, a
//! pattern with wildcards (`"get*"`), or alternatives (`"create|update"`). An action may have
//! its own hooks too. Order, as in Node:
//! - before: the `*` hooks, then the named ones, then the action's own;
//! - the handler;
//! - after: the action's own, then the named ones, then the `*` ones; each gets the previous
//!   result and returns the next;
//! - error: the action's own, then the named ones, then the `*` ones; an error from a before
//!   hook, the handler or an after hook goes to the first; returning `Ok` recovers (the rest
//!   are skipped), returning `Err` passes that error on to the next.
//!
//! Hooks run after params validation and outside the user's middlewares.

use std::sync::Arc;

use super::{ActionHandler, BoxFuture};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::registry::pattern;

/// A `before` hook method of `S`: may read or change the context (params, meta) or fail the
/// call.
pub type BeforeHookFn<S> = for<'a> fn(&'a S, &'a mut Context<Payload>) -> BoxFuture<'a, Result<()>>;
/// An `after` hook method of `S`: gets the result and returns the one the caller receives.
pub type AfterHookFn<S> =
    for<'a> fn(&'a S, &'a Context<Payload>, Payload) -> BoxFuture<'a, Result<Payload>>;
/// An `error` hook method of `S`: recovers with a result, or returns an error (the same or
/// another).
pub type ErrorHookFn<S> =
    for<'a> fn(&'a S, &'a Context<Payload>, Error) -> BoxFuture<'a, Result<Payload>>;

/// A `before` hook bound to its service instance (the service's own, or a mixin's).
pub(crate) type BeforeHook =
    Arc<dyn for<'a> Fn(&'a mut Context<Payload>) -> BoxFuture<'a, Result<()>> + Send + Sync>;
/// An `after` hook (value: the result) or an `error` hook (value: the error) bound to its
/// service instance.
pub(crate) type ValueHook<V> =
    Arc<dyn for<'a> Fn(&'a Context<Payload>, V) -> BoxFuture<'a, Result<Payload>> + Send + Sync>;
/// An `after` hook bound to its service instance.
pub(crate) type AfterHook = ValueHook<Payload>;
/// An `error` hook (or an action's fallback) bound to its service instance.
pub(crate) type ErrorHook = ValueHook<Error>;

// These take the closure through a bound that names the higher-ranked signature, so that its
// future may borrow the context.
fn before_hook<F>(f: F) -> BeforeHook
where
    F: for<'a> Fn(&'a mut Context<Payload>) -> BoxFuture<'a, Result<()>> + Send + Sync + 'static,
{
    Arc::new(f)
}

fn value_hook<V, F>(f: F) -> ValueHook<V>
where
    F: for<'a> Fn(&'a Context<Payload>, V) -> BoxFuture<'a, Result<Payload>>
        + Send
        + Sync
        + 'static,
{
    Arc::new(f)
}

/// A `before` hook method bound to `svc`.
pub(crate) fn bind_before<S: Send + Sync + 'static>(
    f: BeforeHookFn<S>,
    svc: &Arc<S>,
) -> BeforeHook {
    let svc = svc.clone();
    before_hook(move |ctx| {
        let svc = svc.clone();
        Box::pin(async move { f(&svc, ctx).await })
    })
}

/// An `after` or `error` hook method (or a fallback) bound to `svc`.
pub(crate) fn bind_value<S: Send + Sync + 'static, V: Send + 'static>(
    f: for<'a> fn(&'a S, &'a Context<Payload>, V) -> BoxFuture<'a, Result<Payload>>,
    svc: &Arc<S>,
) -> ValueHook<V> {
    let svc = svc.clone();
    value_hook(move |ctx, value| {
        let svc = svc.clone();
        Box::pin(async move { f(&svc, ctx, value).await })
    })
}

/// The hooks of one kind, each with the actions it applies to, in running order.
pub(crate) struct Named<F> {
    /// `(pattern, hook)`; the pattern `*` means every action.
    list: Vec<(String, F)>,
}

impl<F> Default for Named<F> {
    fn default() -> Named<F> {
        Named { list: Vec::new() }
    }
}

impl<F: Clone> Named<F> {
    pub(crate) fn push(&mut self, pattern: &str, hook: F) {
        self.list.push((pattern.to_owned(), hook));
    }

    /// A mixin's hooks run before these (`before` hooks).
    pub(crate) fn prepend(&mut self, mixin: Named<F>) {
        let own = std::mem::replace(&mut self.list, mixin.list);
        self.list.extend(own);
    }

    /// A mixin's hooks run after these (`after` and `error` hooks).
    pub(crate) fn append(&mut self, mixin: Named<F>) {
        self.list.extend(mixin.list);
    }

    /// The `*` hooks, then those whose pattern names `raw_name`, in order.
    fn all_then_named(&self, raw_name: &str) -> Vec<F> {
        let all = self.list.iter().filter(|(p, _)| p == "*");
        let named = self
            .list
            .iter()
            .filter(|(p, _)| p != "*" && names(p, raw_name));
        all.chain(named).map(|(_, f)| f.clone()).collect()
    }

    /// The named hooks, then the `*` ones.
    fn named_then_all(&self, raw_name: &str) -> Vec<F> {
        let mut hooks = self.all_then_named(raw_name);
        let all = self.list.iter().filter(|(p, _)| p == "*").count();
        hooks.rotate_left(all);
        hooks
    }
}

/// Whether a hook key (`"a|b*"`) names the action `raw_name`.
fn names(key: &str, raw_name: &str) -> bool {
    key.split('|')
        .map(str::trim)
        .any(|p| pattern::matches(raw_name, p))
}

/// A service's hooks (its mixins' included), bound to their instances.
#[derive(Default)]
pub(crate) struct ServiceHooks {
    pub(crate) before: Named<BeforeHook>,
    pub(crate) after: Named<AfterHook>,
    pub(crate) error: Named<ErrorHook>,
}

impl ServiceHooks {
    /// Adds a mixin's hooks: its before hooks run first, its after and error hooks last.
    pub(crate) fn merge_mixin(&mut self, mixin: ServiceHooks) {
        self.before.prepend(mixin.before);
        self.after.append(mixin.after);
        self.error.append(mixin.error);
    }
}

/// An action's own hooks, bound to their instance.
#[derive(Default, Clone)]
pub(crate) struct OwnHooks {
    pub(crate) before: Vec<BeforeHook>,
    pub(crate) after: Vec<AfterHook>,
    pub(crate) error: Vec<ErrorHook>,
}

/// The hooks that run around one action, in running order.
struct ActionHooks {
    before: Vec<BeforeHook>,
    after: Vec<AfterHook>,
    error: Vec<ErrorHook>,
}

impl ServiceHooks {
    /// Wraps `next` in the hooks that apply to the action `raw_name`; `None` when there are
    /// none.
    pub(crate) fn wrap(
        &self,
        raw_name: &str,
        own: &OwnHooks,
        next: &ActionHandler,
    ) -> Option<ActionHandler> {
        let mut before = self.before.all_then_named(raw_name);
        before.extend(own.before.iter().cloned());
        let mut after = own.after.clone();
        after.extend(self.after.named_then_all(raw_name));
        let mut error = own.error.clone();
        error.extend(self.error.named_then_all(raw_name));
        if before.is_empty() && after.is_empty() && error.is_empty() {
            return None;
        }
        let hooks = Arc::new(ActionHooks {
            before,
            after,
            error,
        });
        Some(crate::middleware::wrap_action(next, move |ctx, next| {
            let (hooks, next) = (hooks.clone(), next.clone());
            Box::pin(async move { hooks.run(ctx, &next).await })
        }))
    }
}

impl ActionHooks {
    async fn run(&self, mut ctx: Context<Payload>, next: &ActionHandler) -> Result<Payload> {
        let mut failed = None;
        for hook in &self.before {
            if let Err(err) = hook(&mut ctx).await {
                failed = Some(err);
                break;
            }
        }
        if self.after.is_empty() && self.error.is_empty() {
            return match failed {
                Some(err) => Err(err),
                None => next.call(ctx).await,
            };
        }
        // After and error hooks see the context as the handler got it.
        let seen = Context::from_parts(ctx.params.clone(), ctx.inner.clone());
        let mut result = match failed {
            Some(err) => Err(err),
            None => next.call(ctx).await,
        };
        for hook in &self.after {
            match result {
                Ok(value) => result = hook(&seen, value).await,
                Err(_) => break,
            }
        }
        for hook in &self.error {
            match result {
                Err(err) => result = hook(&seen, err).await,
                Ok(_) => break,
            }
        }
        result
    }
}
