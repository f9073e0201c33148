//! Node's `EndpointList` (`src/registry/endpoint-list.js`): the endpoints of one action, or of
//! one event pattern and group, and how one of them is picked (reference §7.2).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::strategy::{Candidate, NodeStats, SelectInput, Strategy};

/// An endpoint an [`EndpointList`] picks from.
pub(crate) trait Endpoint: Candidate {
    /// Whether it runs on this node.
    fn is_local(&self) -> bool;

    /// Whether it may be picked (an action's circuit breaker clears this).
    fn is_available(&self) -> bool {
        true
    }
}

/// The endpoints of one action (`group` is `None`) or one `(event pattern, group)`.
pub(crate) struct EndpointList<E> {
    /// The action's full name, or the event pattern.
    pub(crate) name: Arc<str>,
    /// The group, for an event list.
    pub(crate) group: Option<Arc<str>>,
    pub(crate) endpoints: Vec<Arc<E>>,
    /// The balancing strategy: the first definition's own (`strategy`, `strategyOptions`)
    /// or the registry's, as Node builds it.
    pub(crate) strategy: Strategy,
    counter: AtomicUsize,
}

impl<E: Endpoint> EndpointList<E> {
    pub(crate) fn new(
        name: Arc<str>,
        group: Option<Arc<str>>,
        endpoints: Vec<Arc<E>>,
        strategy: Strategy,
    ) -> EndpointList<E> {
        EndpointList {
            name,
            group,
            endpoints,
            strategy,
            counter: AtomicUsize::new(0),
        }
    }

    /// The event group (`""` for an action list).
    pub(crate) fn group(&self) -> &str {
        self.group.as_deref().unwrap_or("")
    }

    /// Node's `EndpointList.next`: the `$` rule (an internal name stays local), a single
    /// endpoint, preferLocal, then the strategy; `None` when none is available.
    pub(crate) fn next(
        &self,
        prefer_local: bool,
        stats: &dyn NodeStats,
        input: &SelectInput<'_>,
    ) -> Option<&Arc<E>> {
        let eps = &self.endpoints;
        if self.name.starts_with('$')
            && let Some(local) = eps.iter().find(|e| e.is_local())
        {
            return Some(local);
        }
        if eps.len() == 1 {
            return eps.first().filter(|e| e.is_available());
        }
        if prefer_local && eps.iter().any(|e| e.is_local() && e.is_available()) {
            return self.next_local(stats, input);
        }
        self.pick(|e| e.is_available(), stats, input)
    }

    /// Node's `nextLocal`: the strategy's pick among the available local endpoints.
    pub(crate) fn next_local(
        &self,
        stats: &dyn NodeStats,
        input: &SelectInput<'_>,
    ) -> Option<&Arc<E>> {
        self.pick(|e| e.is_local() && e.is_available(), stats, input)
    }

    /// The strategy's pick among the endpoints that pass `usable`; round-robin without
    /// collecting them.
    fn pick(
        &self,
        usable: impl Fn(&E) -> bool,
        stats: &dyn NodeStats,
        input: &SelectInput<'_>,
    ) -> Option<&Arc<E>> {
        if self.strategy.is_round_robin() {
            let n = self.endpoints.len();
            let start = self.counter.fetch_add(1, Ordering::Relaxed);
            return (0..n)
                .map(|i| &self.endpoints[(start + i) % n])
                .find(|e| usable(e));
        }
        let candidates: Vec<&Arc<E>> = self.endpoints.iter().filter(|e| usable(e)).collect();
        if candidates.is_empty() {
            return None;
        }
        let index = self.strategy.select(&candidates, stats, input);
        candidates.get(index).copied()
    }
}
