//! Node's `Metrics` middleware (`src/middlewares/metrics.js`): the request metrics of every
//! local and remote action call, and the metrics of the local event handlers. The series of
//! an action are found once per caller and kept, so a call costs two clock reads and a few
//! atomic additions. It registers the packet counts of its transit and transporter hooks too,
//! which the transit keeps ([`PacketMetrics`]).

use quanta::Instant;
use std::sync::{Arc, OnceLock}; // the metrics' clock (see the registry)

use arc_swap::ArcSwap;
use serde_json::{Value, json};

use super::transit::PacketMetrics;
use super::{Metric, MetricDef, MetricRegistry, MetricType, Series, names};
use crate::error::{Error, Result};
use crate::middleware::{EmitHandler, EmitRequest, Middleware, wrap_event};
use crate::service::{ActionDef, ActionHandler, EventDef, EventHandler};

/// The metrics the middleware keeps.
pub(crate) struct MetricsMiddleware {
    registry: Arc<MetricRegistry>,
    request: RequestMetrics,
    event: EventMetrics,
    emitted: Arc<ByName>,
    broadcast: Arc<ByName>,
    broadcast_local: Arc<ByName>,
    /// The transit's packet counts, which Node registers here too; the transit keeps them.
    packets: Arc<PacketMetrics>,
}

/// A counter's series by event name, found once each.
struct ByName {
    metric: Arc<Metric>,
    series: ArcSwap<Vec<(Box<str>, Arc<Series>)>>,
}

impl ByName {
    fn new(metric: Arc<Metric>) -> Arc<ByName> {
        Arc::new(ByName {
            metric,
            series: ArcSwap::from_pointee(Vec::new()),
        })
    }

    fn count(&self, event: &str, now: u64) {
        let found = self
            .series
            .load()
            .iter()
            .find(|(name, _)| **name == *event)
            .map(|(_, series)| series.clone());
        let series = found.unwrap_or_else(|| {
            let made = self.metric.series(&json!({ "event": event }), now);
            self.series.rcu(|old| {
                let mut all = Vec::clone(old);
                if !all.iter().any(|(name, _)| **name == *event) {
                    all.push((Box::from(event), made.clone()));
                }
                all
            });
            made
        });
        series.add(1.0, now);
    }

    /// `next`, counting each event first.
    fn wrap(self: &Arc<Self>, registry: &Arc<MetricRegistry>, next: &EmitHandler) -> EmitHandler {
        let (counts, registry, next) = (self.clone(), registry.clone(), next.clone());
        Arc::new(move |request: EmitRequest| {
            counts.count(&request.event, registry.now_ms());
            next(request)
        })
    }
}

/// The request metrics: a handler's four, and the levels.
struct RequestMetrics {
    handler: HandlerMetrics,
    levels: Arc<Metric>,
}

/// What is kept of each call of a handler (an action or an event handler): how many, how
/// many running, how many failed, and how long.
#[derive(Clone)]
struct HandlerMetrics {
    total: Arc<Metric>,
    active: Arc<Metric>,
    errors: Arc<Metric>,
    time: Arc<Metric>,
}

type EventMetrics = HandlerMetrics;

/// The series of one action (or event handler) for one caller.
struct Caller {
    caller: Option<Box<str>>,
    total: Arc<Series>,
    active: Arc<Series>,
    time: Arc<Series>,
}

/// What a wrapped handler keeps: its labels and its series by caller.
struct Instrumented {
    registry: Arc<MetricRegistry>,
    /// The series of calls without a caller (the broker's own), the most common.
    anonymous: OnceLock<Arc<Caller>>,
    /// `{service, action, type}` or `{service, group, event}`, without `caller`.
    labels: Value,
    metrics: HandlerMetrics,
    callers: ArcSwap<Vec<Arc<Caller>>>,
}

impl MetricsMiddleware {
    /// Registers the metrics (Node's `created` hook).
    ///
    /// # Errors
    /// A metric registered before under one of these names with another type.
    pub(crate) fn new(registry: Arc<MetricRegistry>) -> Result<Option<MetricsMiddleware>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let register = |def: MetricDef| -> Result<Arc<Metric>> {
            registry
                .register(def)?
                .ok_or_else(|| Error::server("metrics are disabled".to_owned()))
        };
        let request_labels = ["service", "action", "type", "caller"];
        let error_labels = [
            "service",
            "action",
            "type",
            "caller",
            "errorName",
            "errorCode",
            "errorType",
        ];
        let request = RequestMetrics {
            handler: HandlerMetrics {
                total: register(
                    MetricDef::new(names::REQUEST_TOTAL, MetricType::Counter)
                        .labels(&request_labels)
                        .description("Number of requests")
                        .unit("request")
                        .rate(),
                )?,
                active: register(
                    MetricDef::new(names::REQUEST_ACTIVE, MetricType::Gauge)
                        .labels(&request_labels)
                        .description("Number of active requests")
                        .unit("request"),
                )?,
                errors: register(
                    MetricDef::new(names::REQUEST_ERROR_TOTAL, MetricType::Counter)
                        .labels(&error_labels)
                        .description("Number of request errors")
                        .unit("request")
                        .rate(),
                )?,
                time: register(
                    registry
                        .histogram_def(names::REQUEST_TIME)
                        .labels(&request_labels)
                        .description("Request times in milliseconds")
                        .unit("millisecond")
                        .rate(),
                )?,
            },
            levels: register(
                MetricDef::new(names::REQUEST_LEVELS, MetricType::Counter)
                    .labels(&["level"])
                    .description("Number of requests by context level")
                    .unit("request"),
            )?,
        };
        let event_labels = ["service", "group", "event", "caller"];
        let event_error_labels = [
            "service",
            "group",
            "event",
            "caller",
            "errorName",
            "errorCode",
            "errorType",
        ];
        let event = EventMetrics {
            total: register(
                MetricDef::new(names::EVENT_RECEIVED_TOTAL, MetricType::Counter)
                    .labels(&event_labels)
                    .description("Number of received events")
                    .unit("event")
                    .rate(),
            )?,
            active: register(
                MetricDef::new(names::EVENT_RECEIVED_ACTIVE, MetricType::Gauge)
                    .labels(&event_labels)
                    .description("Number of active event executions")
                    .unit("request"),
            )?,
            errors: register(
                MetricDef::new(names::EVENT_RECEIVED_ERROR_TOTAL, MetricType::Counter)
                    .labels(&event_error_labels)
                    .description("Number of event execution errors")
                    .unit("request")
                    .rate(),
            )?,
            time: register(
                registry
                    .histogram_def(names::EVENT_RECEIVED_TIME)
                    .labels(&event_labels)
                    .description("Execution time of events in milliseconds")
                    .unit("millisecond")
                    .rate(),
            )?,
        };
        let emitted = |name: &str, description: &str| -> Result<Arc<ByName>> {
            register(
                MetricDef::new(name, MetricType::Counter)
                    .labels(&["event", "groups"])
                    .unit("event")
                    .description(description)
                    .rate(),
            )
            .map(ByName::new)
        };
        Ok(Some(MetricsMiddleware {
            emitted: emitted(names::EVENT_EMIT_TOTAL, "Number of emitted events")?,
            broadcast: emitted(names::EVENT_BROADCAST_TOTAL, "Number of broadcast events")?,
            broadcast_local: emitted(
                names::EVENT_BROADCAST_LOCAL_TOTAL,
                "Number of local broadcast events",
            )?,
            packets: Arc::new(PacketMetrics::new(registry.clone())?),
            registry,
            request,
            event,
        }))
    }

    /// The transit's packet counts.
    pub(crate) fn packets(&self) -> Arc<PacketMetrics> {
        self.packets.clone()
    }

    fn action(&self, next: &ActionHandler, action: &ActionDef, kind: &str) -> ActionHandler {
        let service = super::support::service_of(action);
        let instrumented = Instrumented::new(
            &self.registry,
            &self.request.handler,
            json!({ "service": service, "action": &*action.name, "type": kind }),
        );
        let levels = Levels {
            metric: self.request.levels.clone(),
            first: OnceLock::new(),
            by_level: ArcSwap::from_pointee(Vec::new()),
        };
        let state = Arc::new(WrappedAction {
            instrumented,
            levels,
            next: next.clone(),
        });
        ActionHandler::new(move |ctx| {
            let state = state.clone();
            Box::pin(async move {
                let began = Instant::now();
                let instrumented = &state.instrumented;
                let now = instrumented.registry.ms_at(began);
                let named;
                let caller = match ctx.caller() {
                    None => instrumented.anonymous(now),
                    Some(name) => {
                        named = instrumented.caller(Some(name), now);
                        &*named
                    }
                };
                state.levels.count(ctx.level(), now);
                caller.total.add(1.0, now);
                caller.active.add(1.0, now);
                let result = state.next.call(ctx).await;
                instrumented.done(caller, began, result.as_ref().err());
                result
            })
        })
    }
}

/// A wrapped action: its series and the handler it wraps, shared by its calls.
struct WrappedAction {
    instrumented: Instrumented,
    levels: Levels,
    next: ActionHandler,
}

/// An event handler's series by event name (a pattern handler gets several).
type ByEvent = ArcSwap<Vec<(Box<str>, Arc<Instrumented>)>>;

/// The request level counter's series, by level (level 1, the broker's own calls, kept
/// apart).
struct Levels {
    metric: Arc<Metric>,
    first: OnceLock<Arc<Series>>,
    by_level: ArcSwap<Vec<Arc<Series>>>,
}

impl Levels {
    fn count(&self, level: u32, now: u64) {
        if level == 1 {
            let series = self
                .first
                .get_or_init(|| self.metric.series(&json!({ "level": 1 }), now));
            series.add(1.0, now);
            return;
        }
        let at = level as usize;
        if let Some(series) = self.by_level.load().get(at) {
            series.add(1.0, now);
            return;
        }
        let made: Vec<Arc<Series>> = (0..=at)
            .map(|l| self.metric.series(&json!({ "level": l }), now))
            .collect();
        made[at].add(1.0, now);
        self.by_level.rcu(|old| {
            if old.len() > at {
                Vec::clone(old)
            } else {
                made.clone()
            }
        });
    }
}

impl Instrumented {
    fn new(registry: &Arc<MetricRegistry>, metrics: &HandlerMetrics, labels: Value) -> Self {
        Instrumented {
            registry: registry.clone(),
            anonymous: OnceLock::new(),
            labels,
            metrics: metrics.clone(),
            callers: ArcSwap::from_pointee(Vec::new()),
        }
    }

    /// The series of calls without a caller.
    fn anonymous(&self, now: u64) -> &Caller {
        self.anonymous.get_or_init(|| self.caller(None, now))
    }

    /// The series of `caller`, found once and kept.
    fn caller(&self, caller: Option<&str>, now: u64) -> Arc<Caller> {
        if let Some(found) = self
            .callers
            .load()
            .iter()
            .find(|c| c.caller.as_deref() == caller)
        {
            return found.clone();
        }
        let mut labels = self.labels.clone();
        labels["caller"] = caller.map_or(Value::Null, Value::from);
        let made = Arc::new(Caller {
            caller: caller.map(Box::from),
            total: self.metrics.total.series(&labels, now),
            active: self.metrics.active.series(&labels, now),
            time: self.metrics.time.series(&labels, now),
        });
        self.callers.rcu(|old| {
            let mut all = Vec::clone(old);
            if !all.iter().any(|c| c.caller.as_deref() == caller) {
                all.push(made.clone());
            }
            all
        });
        made
    }

    /// The call (or event) is over: its time, the active count, and its error if any.
    fn done(&self, caller: &Caller, began: Instant, failed: Option<&Error>) {
        let ended = Instant::now();
        let now = self.registry.ms_at(ended);
        let ms = ended.duration_since(began).as_secs_f64() * 1000.0;
        let buckets = self.metrics.time.def().buckets.as_deref().unwrap_or(&[]);
        caller.time.observe(buckets, ms, now);
        caller.active.add(-1.0, now);
        if let Some(err) = failed {
            let mut labels = self.labels.clone();
            labels["caller"] = caller.caller.as_deref().map_or(Value::Null, Value::from);
            labels["errorName"] = Value::from(err.name());
            labels["errorCode"] = Value::from(err.code());
            if let Some(kind) = err.error_type() {
                labels["errorType"] = Value::from(kind);
            }
            self.metrics.errors.series(&labels, now).add(1.0, now);
        }
    }
}

impl Middleware for MetricsMiddleware {
    fn name(&self) -> &str {
        "Metrics"
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        Some(self.action(next, action, "local"))
    }

    fn remote_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        Some(self.action(next, action, "remote"))
    }

    fn emit(&self, next: &EmitHandler) -> Option<EmitHandler> {
        Some(self.emitted.wrap(&self.registry, next))
    }

    fn broadcast(&self, next: &EmitHandler) -> Option<EmitHandler> {
        Some(self.broadcast.wrap(&self.registry, next))
    }

    fn broadcast_local(&self, next: &EmitHandler) -> Option<EmitHandler> {
        Some(self.broadcast_local.wrap(&self.registry, next))
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let m = self.event.clone();
        let registry = self.registry.clone();
        // Per event name and caller: the labels need the service, known from the context.
        let instrumented: Arc<ByEvent> = Arc::new(ArcSwap::from_pointee(Vec::new()));
        let group = event.group.clone();
        Some(wrap_event(next, move |ctx, next| {
            let (m, registry, instrumented, group, next) = (
                m.clone(),
                registry.clone(),
                instrumented.clone(),
                group.clone(),
                next.clone(),
            );
            Box::pin(async move {
                let began = Instant::now();
                let now = registry.ms_at(began);
                let event_name = ctx.event_name().to_owned();
                let handler = match instrumented.load().iter().find(|(n, _)| **n == *event_name) {
                    Some((_, found)) => found.clone(),
                    None => {
                        let service = ctx.service().name.clone();
                        let group = group.clone().unwrap_or_else(|| service.clone());
                        let made = Arc::new(Instrumented::new(
                            &registry,
                            &m,
                            json!({ "service": service, "group": group, "event": event_name }),
                        ));
                        instrumented.rcu(|old| {
                            let mut all = Vec::clone(old);
                            all.push((Box::from(event_name.as_str()), made.clone()));
                            all
                        });
                        made
                    }
                };
                let caller = handler.caller(ctx.caller(), now);
                caller.total.add(1.0, now);
                caller.active.add(1.0, now);
                let result = next.call(ctx).await;
                handler.done(&caller, began, result.as_ref().err());
                result
            })
        }))
    }
}
