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

/// A `before` hook: may read or change the context (params, meta) or fail the call.
pub type BeforeHookFn<S> = for<'a> fn(&'a S, &'a mut Context<Payload>) -> BoxFuture<'a, Result<()>>;
/// An `after` hook: gets the result and returns the one the caller receives.
pub type AfterHookFn<S> =
    for<'a> fn(&'a S, &'a Context<Payload>, Payload) -> BoxFuture<'a, Result<Payload>>;
/// An `error` hook: recovers with a result, or returns an error (the same or another).
pub type ErrorHookFn<S> =
    for<'a> fn(&'a S, &'a Context<Payload>, Error) -> BoxFuture<'a, Result<Payload>>;

/// The hooks of one kind, each with the actions it applies to.
pub(crate) struct Named<F> {
    /// `(pattern, hook)` in declaration order; the pattern `*` means every action.
    list: Vec<(String, F)>,
}

impl<F> Default for Named<F> {
    fn default() -> Named<F> {
        Named { list: Vec::new() }
    }
}

impl<F: Copy> Named<F> {
    pub(crate) fn push(&mut self, pattern: &str, hook: F) {
        self.list.push((pattern.to_owned(), hook));
    }

    /// The `*` hooks, then those whose pattern names `raw_name`, in declaration order.
    fn all_then_named(&self, raw_name: &str) -> Vec<F> {
        let all = self.list.iter().filter(|(p, _)| p == "*");
        let named = self
            .list
            .iter()
            .filter(|(p, _)| p != "*" && names(p, raw_name));
        all.chain(named).map(|(_, f)| *f).collect()
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

/// A service's hooks.
pub(crate) struct ServiceHooks<S> {
    pub(crate) before: Named<BeforeHookFn<S>>,
    pub(crate) after: Named<AfterHookFn<S>>,
    pub(crate) error: Named<ErrorHookFn<S>>,
}

impl<S> Default for ServiceHooks<S> {
    fn default() -> ServiceHooks<S> {
        ServiceHooks {
            before: Named::default(),
            after: Named::default(),
            error: Named::default(),
        }
    }
}

/// An action's own hooks.
pub(crate) struct OwnHooks<S> {
    pub(crate) before: Vec<BeforeHookFn<S>>,
    pub(crate) after: Vec<AfterHookFn<S>>,
    pub(crate) error: Vec<ErrorHookFn<S>>,
}

impl<S> Default for OwnHooks<S> {
    fn default() -> OwnHooks<S> {
        OwnHooks {
            before: Vec::new(),
            after: Vec::new(),
            error: Vec::new(),
        }
    }
}

/// The hooks that run around one action, in running order.
struct ActionHooks<S> {
    before: Vec<BeforeHookFn<S>>,
    after: Vec<AfterHookFn<S>>,
    error: Vec<ErrorHookFn<S>>,
}

impl<S: Send + Sync + 'static> ServiceHooks<S> {
    /// Wraps `next` in the hooks that apply to the action `raw_name`; returns `next` itself
    /// when there are none.
    pub(crate) fn wrap(
        &self,
        svc: &Arc<S>,
        raw_name: &str,
        own: &OwnHooks<S>,
        next: ActionHandler,
    ) -> ActionHandler {
        let mut before = self.before.all_then_named(raw_name);
        before.extend_from_slice(&own.before);
        let mut after = own.after.clone();
        after.extend(self.after.named_then_all(raw_name));
        let mut error = own.error.clone();
        error.extend(self.error.named_then_all(raw_name));
        if before.is_empty() && after.is_empty() && error.is_empty() {
            return next;
        }
        let hooks = Arc::new(ActionHooks {
            before,
            after,
            error,
        });
        let svc = svc.clone();
        crate::middleware::wrap_action(next, move |ctx, next| {
            let (hooks, svc, next) = (hooks.clone(), svc.clone(), next.clone());
            Box::pin(async move { hooks.run(&svc, ctx, &next).await })
        })
    }
}

impl<S> ActionHooks<S> {
    async fn run(
        &self,
        svc: &S,
        mut ctx: Context<Payload>,
        next: &crate::middleware::NextAction,
    ) -> Result<Payload> {
        let mut failed = None;
        for hook in &self.before {
            if let Err(err) = hook(svc, &mut ctx).await {
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
                Ok(value) => result = hook(svc, &seen, value).await,
                Err(_) => break,
            }
        }
        for hook in &self.error {
            match result {
                Err(err) => result = hook(svc, &seen, err).await,
                Ok(_) => break,
            }
        }
        result
    }
}
