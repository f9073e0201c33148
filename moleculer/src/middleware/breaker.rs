//! The built-in `CircuitBreaker` (reference §8.1): stops sending calls to an endpoint (an
//! action on one node) whose calls fail too often, and lets one trial call through later.
//!
//! Per endpoint it counts calls and failures (errors with code >= 500 raised by that node,
//! not relayed from a third one). Once `minRequestCount` calls are counted and
//! `failures / count >= threshold`, the circuit opens: the balancer skips the endpoint and
//! `$circuit-breaker.opened` is broadcast. After `halfOpenTime` ms it half-opens
//! (`$circuit-breaker.half-opened`); the next call is the trial, the others still skip it. A
//! trial that succeeds closes the circuit (`$circuit-breaker.closed`, counters reset); one that
//! fails counts as a failure and may open it again, and if nothing settles it, it half-opens
//! again after `halfOpenTime`. With the broker's breaker on, every `windowTime` seconds the
//! counters restart.
//!
//! Options: the broker's `circuitBreaker` section with an action's own `circuitBreaker` key
//! over it, for local actions and for remote ones (from their INFO), as in Node.
//!
//! With metrics on, `moleculer.circuit-breaker.opened.active`, `.opened.total` and
//! `.half-opened.active` follow each circuit (labels `affectedNodeID`, `service`, `action`).
//! Node registers them when the broker's breaker is on; here also when only an action's own
//! breaker is, at its first wrapping.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::json;
use tokio::task::JoinHandle;

use super::{Middleware, wrap_action};
use crate::broker::{EndpointState, ServiceBroker, WeakBroker};
use crate::error::Result;
use crate::metrics::{BreakerMetrics, MetricRegistry, service_of};
use crate::options::CircuitBreakerOptions;
use crate::service::{ActionDef, ActionHandler, BoxFuture};

/// The circuit breaker middleware, with the broker's options.
pub(crate) struct CircuitBreaker {
    options: CircuitBreakerOptions,
    /// This node: the node of every local action's endpoint.
    node_id: Arc<str>,
    shared: Arc<Shared>,
    window: Mutex<Option<JoinHandle<()>>>,
    /// Where the breaker's metrics are registered.
    registry: Arc<MetricRegistry>,
}

/// Circuits by `(nodeID, action)`.
type Endpoints = HashMap<(Arc<str>, Arc<str>), Arc<Endpoint>>;

/// What the wrappers and timers share: the broker and every endpoint's state.
#[derive(Default)]
struct Shared {
    broker: OnceLock<WeakBroker>,
    endpoints: Mutex<Endpoints>,
    /// The metrics, once some breaker is on (`None` inside when metrics are off).
    metrics: OnceLock<Option<Arc<BreakerMetrics>>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed,
    Open,
    /// The next call is the trial.
    HalfOpen,
    /// The trial call is running; the balancer skips the endpoint meanwhile.
    HalfOpenWait,
}

/// One endpoint's circuit.
struct Endpoint {
    node_id: Arc<str>,
    action: Arc<str>,
    options: CircuitBreakerOptions,
    /// For broadcasting from timers.
    shared: Weak<Shared>,
    /// Whether the balancer may pick this endpoint.
    available: EndpointState,
    circuit: Mutex<Circuit>,
    /// The metrics and this circuit's labels, when metrics are on.
    metrics: Option<(Arc<BreakerMetrics>, serde_json::Value)>,
}

struct Circuit {
    state: State,
    count: u32,
    failures: u32,
    /// The pending half-open timer.
    timer: Option<JoinHandle<()>>,
}

impl CircuitBreaker {
    /// The breaker; with the broker's breaker on, its metrics are registered now (when
    /// metrics are on).
    pub(crate) fn new(
        options: CircuitBreakerOptions,
        node_id: Arc<str>,
        registry: &Arc<MetricRegistry>,
    ) -> CircuitBreaker {
        let breaker = CircuitBreaker {
            options,
            node_id,
            shared: Arc::default(),
            window: Mutex::new(None),
            registry: registry.clone(),
        };
        if breaker.options.enabled {
            breaker.metrics();
        }
        breaker
    }

    /// The metrics, registered the first time a breaker is on.
    fn metrics(&self) -> Option<&Arc<BreakerMetrics>> {
        self.shared
            .metrics
            .get_or_init(|| {
                BreakerMetrics::new(&self.registry)
                    .inspect_err(|err| {
                        tracing::warn!(error = %err, "the circuit breaker's metrics are left out");
                    })
                    .ok()
                    .flatten()
                    .map(Arc::new)
            })
            .as_ref()
    }

    /// Wraps an action of `local_node` (this node), or of a remote node (`None`: the node a
    /// call goes to). For a local action the context's node is the caller's, not the
    /// endpoint's.
    fn wrap(
        &self,
        next: &ActionHandler,
        action: &ActionDef,
        local_node: Option<&Arc<str>>,
    ) -> Option<ActionHandler> {
        let options = match &action.options.circuit_breaker {
            Some(own) => own.over(&self.options),
            None => self.options.clone(),
        };
        if !options.enabled {
            return None;
        }
        let metrics = self.metrics().cloned();
        let service = service_of(action);
        let shared = self.shared.clone();
        let name = action.name.clone();
        let local_node = local_node.cloned();
        // A wrapper serves one endpoint (a local action, or an action of one remote node).
        let endpoint: OnceLock<Arc<Endpoint>> = OnceLock::new();
        Some(wrap_action(next, move |ctx, next| {
            let ep = endpoint
                .get_or_init(|| {
                    let node = local_node
                        .clone()
                        .unwrap_or_else(|| Arc::from(ctx.node_id()));
                    let metrics = metrics
                        .as_ref()
                        .map(|m| (m.clone(), BreakerMetrics::labels(&node, &service, &name)));
                    shared.endpoint(&node, &name, &options, metrics)
                })
                .clone();
            ep.on_call();
            let running = next.call(ctx);
            Box::pin(async move {
                let result = running.await;
                match &result {
                    Ok(_) => ep.record(false),
                    // Only errors raised by that node count, not ones it relayed.
                    Err(err)
                        if err.code() >= 500 && err.node_id().is_none_or(|n| n == &*ep.node_id) =>
                    {
                        ep.record(true)
                    }
                    Err(_) => {}
                }
                result
            })
        }))
    }
}

impl Shared {
    fn broker(&self) -> Option<ServiceBroker> {
        self.broker.get()?.upgrade()
    }

    fn endpoint(
        self: &Arc<Self>,
        node_id: &Arc<str>,
        action: &Arc<str>,
        options: &CircuitBreakerOptions,
        metrics: Option<(Arc<BreakerMetrics>, serde_json::Value)>,
    ) -> Arc<Endpoint> {
        let key = (node_id.clone(), action.clone());
        let mut endpoints = self.endpoints.lock();
        if let Some(ep) = endpoints.get(&key) {
            return ep.clone();
        }
        let available = match self.broker() {
            Some(broker) => broker.endpoint_state(node_id, action),
            None => EndpointState::detached(),
        };
        let ep = Arc::new(Endpoint {
            node_id: node_id.clone(),
            action: action.clone(),
            options: options.clone(),
            shared: Arc::downgrade(self),
            available,
            circuit: Mutex::new(Circuit {
                state: State::Closed,
                count: 0,
                failures: 0,
                timer: None,
            }),
            metrics,
        });
        endpoints.insert(key, ep.clone());
        ep
    }

    /// Broadcasts a breaker event, as Node does (to every node that listens to it).
    fn broadcast(&self, event: &'static str, payload: serde_json::Value) {
        if let Some(broker) = self.broker() {
            tokio::spawn(async move {
                if let Err(err) = broker.broadcast(event, payload).await {
                    tracing::warn!(event, error = %err, "could not broadcast a circuit breaker event");
                }
            });
        }
    }
}

impl Endpoint {
    /// A call starts: in half-open state it is the trial, and the others skip the endpoint.
    fn on_call(self: &Arc<Self>) {
        let mut circuit = self.circuit.lock();
        if circuit.state == State::HalfOpen {
            circuit.state = State::HalfOpenWait;
            self.available.set_available(false);
            // Anti-stick: a trial that never settles does not keep the circuit shut.
            self.schedule_half_open(&mut circuit);
        }
    }

    fn record(self: &Arc<Self>, failed: bool) {
        let mut circuit = self.circuit.lock();
        circuit.count += 1;
        if failed {
            circuit.failures += 1;
        } else if circuit.state == State::HalfOpenWait {
            circuit.state = State::Closed;
            circuit.count = 0;
            circuit.failures = 0;
            if let Some(timer) = circuit.timer.take() {
                timer.abort();
            }
            self.available.set_available(true);
            if let Some((metrics, labels)) = &self.metrics {
                metrics.closed(labels);
            }
            tracing::info!(node_id = %self.node_id, action = %self.action, "circuit breaker closed");
            self.broadcast(
                "$circuit-breaker.closed",
                json!({ "nodeID": &*self.node_id, "action": &*self.action }),
            );
            return;
        }
        let (count, failures) = (circuit.count, circuit.failures);
        if count >= self.options.min_request_count
            && f64::from(failures) / f64::from(count) >= self.options.threshold
        {
            self.open(&mut circuit);
        }
    }

    fn open(self: &Arc<Self>, circuit: &mut Circuit) {
        // Failures of calls that were running when it opened do not open it again (Node's
        // `trip` returns early too).
        if circuit.state == State::Open {
            return;
        }
        let from_half_open = matches!(circuit.state, State::HalfOpen | State::HalfOpenWait);
        if let Some((metrics, labels)) = &self.metrics {
            metrics.opened(labels, from_half_open);
        }
        circuit.state = State::Open;
        self.available.set_available(false);
        self.schedule_half_open(circuit);
        let (count, failures) = (circuit.count, circuit.failures);
        let rate = if count > 0 {
            f64::from(failures) / f64::from(count)
        } else {
            0.0
        };
        tracing::info!(node_id = %self.node_id, action = %self.action, failures, count, rate, "circuit breaker opened");
        self.broadcast(
            "$circuit-breaker.opened",
            json!({
                "nodeID": &*self.node_id,
                "action": &*self.action,
                "failures": failures,
                "count": count,
                "rate": rate,
            }),
        );
    }

    /// Half-opens the circuit after `halfOpenTime`, replacing a pending timer.
    fn schedule_half_open(self: &Arc<Self>, circuit: &mut Circuit) {
        if let Some(timer) = circuit.timer.take() {
            timer.abort();
        }
        let ep = Arc::downgrade(self);
        let delay = Duration::from_millis(self.options.half_open_time);
        circuit.timer = Some(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(ep) = ep.upgrade() {
                ep.half_open();
            }
        }));
    }

    fn half_open(&self) {
        let mut circuit = self.circuit.lock();
        circuit.state = State::HalfOpen;
        circuit.timer = None;
        self.available.set_available(true);
        drop(circuit);
        if let Some((metrics, labels)) = &self.metrics {
            metrics.half_opened(labels);
        }
        tracing::debug!(node_id = %self.node_id, action = %self.action, "circuit breaker half-opened");
        self.broadcast(
            "$circuit-breaker.half-opened",
            json!({ "nodeID": &*self.node_id, "action": &*self.action }),
        );
    }

    fn broadcast(&self, event: &'static str, payload: serde_json::Value) {
        if let Some(shared) = self.shared.upgrade() {
            shared.broadcast(event, payload);
        }
    }

    /// A new counting window.
    fn restart_window(&self) {
        let mut circuit = self.circuit.lock();
        circuit.count = 0;
        circuit.failures = 0;
    }
}

impl Middleware for CircuitBreaker {
    fn name(&self) -> &str {
        "CircuitBreaker"
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        self.wrap(next, action, Some(&self.node_id))
    }

    fn remote_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        self.wrap(next, action, None)
    }

    fn created(&self, broker: &ServiceBroker) {
        let _ = self.shared.broker.set(broker.downgrade());
    }

    fn started<'a>(&'a self, _broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        if self.options.enabled {
            let shared = Arc::downgrade(&self.shared);
            let every = Duration::from_secs_f64(self.options.window_time.max(0.001));
            *self.window.lock() = Some(tokio::spawn(async move {
                let mut ticks =
                    tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                loop {
                    ticks.tick().await;
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    let endpoints: Vec<Arc<Endpoint>> =
                        shared.endpoints.lock().values().cloned().collect();
                    for ep in endpoints {
                        ep.restart_window();
                    }
                }
            }));
        }
        super::done()
    }

    fn stopped<'a>(&'a self, _broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        if let Some(window) = self.window.lock().take() {
            window.abort();
        }
        for ep in self.shared.endpoints.lock().values() {
            if let Some(timer) = ep.circuit.lock().timer.take() {
                timer.abort();
            }
        }
        super::done()
    }
}
