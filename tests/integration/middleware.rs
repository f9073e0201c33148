//! Middlewares: wrapping order, declining, remote and event wrappers, lifecycle hooks; the
//! built-in bulkhead and retry policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::middleware::{Middleware, wrap_action, wrap_event};
use moleculer::prelude::*;
use moleculer::service::{ActionDef, ActionHandler, EventDef, EventHandler, ServiceInfo};
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{CallOptions, ErrorKind, ServiceBroker};
use moleculer_tests::Recorder;
use serde_json::{Value, json};

/// Records `"<name>>"` before and `"<<name>"` after each local action it wraps, and every
/// lifecycle hook.
struct Tracer {
    name: &'static str,
    log: Recorder,
    /// Wrap only actions whose name contains this.
    only: &'static str,
}

impl Middleware for Tracer {
    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        if !action.name.contains(self.only) {
            return None;
        }
        let (name, log) = (self.name, self.log.clone());
        Some(wrap_action(next, move |ctx, next| {
            let (log, next) = (log.clone(), next.clone());
            Box::pin(async move {
                log.push(json!(format!("{name}>")));
                let result = next.call(ctx).await;
                log.push(json!(format!("<{name}")));
                result
            })
        }))
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let (name, log, event_name) = (self.name, self.log.clone(), event.name.clone());
        Some(wrap_event(next, move |ctx, next| {
            log.push(json!(format!("{name} event {event_name}")));
            next.call(ctx)
        }))
    }

    fn created(&self, _broker: &ServiceBroker) {
        self.log.push(json!(format!("{} created", self.name)));
    }

    fn starting<'a>(&'a self, _b: &'a ServiceBroker) -> BoxFuture<'a, moleculer::Result<()>> {
        self.hook("starting")
    }

    fn started<'a>(&'a self, _b: &'a ServiceBroker) -> BoxFuture<'a, moleculer::Result<()>> {
        self.hook("started")
    }

    fn stopping<'a>(&'a self, _b: &'a ServiceBroker) -> BoxFuture<'a, moleculer::Result<()>> {
        self.hook("stopping")
    }

    fn stopped<'a>(&'a self, _b: &'a ServiceBroker) -> BoxFuture<'a, moleculer::Result<()>> {
        self.hook("stopped")
    }

    fn service_started<'a>(
        &'a self,
        _b: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, moleculer::Result<()>> {
        self.service_hook("started", service)
    }

    fn service_stopping<'a>(
        &'a self,
        _b: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, moleculer::Result<()>> {
        self.service_hook("stopping", service)
    }
}

type BoxFuture<'a, T> = moleculer::service::BoxFuture<'a, T>;

fn options(json: Value) -> moleculer::BrokerOptions {
    serde_json::from_value(json).unwrap()
}

impl Tracer {
    fn hook(&self, what: &str) -> BoxFuture<'static, moleculer::Result<()>> {
        self.log.push(json!(format!("{} {what}", self.name)));
        Box::pin(async { Ok(()) })
    }

    /// Records a service hook, except for the internal `$node` service.
    fn service_hook(
        &self,
        what: &str,
        service: &ServiceInfo,
    ) -> BoxFuture<'static, moleculer::Result<()>> {
        if service.name.starts_with('$') {
            return Box::pin(async { Ok(()) });
        }
        self.hook(&format!("service {what} {}", service.name))
    }
}

struct Traced {
    log: Recorder,
}

#[service(name = "traced", register = false)]
impl Traced {
    #[action(params = { x: "number" })]
    async fn run(&self, ctx: Context) -> Result<f64> {
        self.log.push(json!("handler"));
        Ok(ctx.params["x"].as_f64().unwrap_or(0.0) * 2.0)
    }

    #[action]
    async fn other(&self, _ctx: Context) -> Result<bool> {
        self.log.push(json!("other handler"));
        Ok(true)
    }

    #[event(name = "thing.happened")]
    async fn happened(&self, _ctx: EventContext) {
        self.log.push(json!("event handler"));
    }
}

#[tokio::test]
async fn middlewares_wrap_in_nodes_order_and_may_decline() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-order")
        .middleware(Tracer {
            name: "U1",
            log: log.clone(),
            only: "traced.run",
        })
        .middleware(Tracer {
            name: "U2",
            log: log.clone(),
            only: "traced.",
        })
        .service(Traced { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    log.take();

    let doubled: f64 = broker.call("traced.run", json!({"x": 21})).await.unwrap();
    assert_eq!(doubled, 42.0);
    // The later middleware wraps the earlier one: Node's `hook-before, U2>, U1>, handler`.
    assert_eq!(log.take_strings(), ["U2>", "U1>", "handler", "<U1", "<U2"]);

    // U1 declined `traced.other`: only U2 runs around it.
    let _: bool = broker.call("traced.other", json!({})).await.unwrap();
    assert_eq!(log.take_strings(), ["U2>", "other handler", "<U2"]);

    // The validator runs outside the user's middlewares: invalid params never reach them.
    let err = broker
        .call::<f64, _>("traced.run", json!({"x": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(log.take().is_empty());

    broker.emit("thing.happened", json!({})).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = log.take_strings();
    assert!(
        seen.ends_with(&[
            "U2 event thing.happened".to_owned(),
            "U1 event thing.happened".to_owned(),
            "event handler".to_owned()
        ]),
        "{seen:?}"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn lifecycle_hooks_run_in_order_and_stopping_ones_in_reverse() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-lifecycle")
        .middleware(Tracer {
            name: "A",
            log: log.clone(),
            only: "-",
        })
        .middleware(Tracer {
            name: "B",
            log: log.clone(),
            only: "-",
        })
        .service(Traced { log: log.clone() })
        .build()
        .unwrap();
    assert_eq!(log.take_strings(), ["A created", "B created"]);
    broker.start().await.unwrap();
    assert_eq!(
        log.take_strings(),
        [
            "A starting",
            "B starting",
            "A service started traced",
            "B service started traced",
            "A started",
            "B started"
        ]
    );
    broker.stop().await.unwrap();
    assert_eq!(
        log.take_strings(),
        [
            "B stopping",
            "A stopping",
            "B service stopping traced",
            "A service stopping traced",
            "B stopped",
            "A stopped"
        ]
    );
}

/// Counts the requests it sends to other nodes.
struct RemoteCounter(Arc<AtomicUsize>);

impl Middleware for RemoteCounter {
    fn remote_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        let count = self.0.clone();
        Some(wrap_action(next, move |ctx, next| {
            count.fetch_add(1, Ordering::Relaxed);
            next.call(ctx)
        }))
    }
}

#[tokio::test]
async fn remote_actions_are_wrapped_on_the_caller() {
    let bus = FakeBus::new();
    let log = Recorder::default();
    let server = ServiceBroker::builder()
        .node_id("mw-server")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Traced { log: log.clone() })
        .build()
        .unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let client = ServiceBroker::builder()
        .node_id("mw-client")
        .transporter(FakeTransporter::new(bus.clone()))
        .middleware(RemoteCounter(sent.clone()))
        .build()
        .unwrap();
    server.start().await.unwrap();
    client.start().await.unwrap();
    client
        .wait_for_services(&["traced"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let doubled: f64 = client.call("traced.run", json!({"x": 4})).await.unwrap();
    assert_eq!(doubled, 8.0);
    let _: bool = client.call("traced.other", json!({})).await.unwrap();
    assert_eq!(sent.load(Ordering::Relaxed), 2);
    // Local calls on the client do not count: `$node.list` runs locally.
    let _: Value = client.call("$node.list", json!({})).await.unwrap();
    assert_eq!(sent.load(Ordering::Relaxed), 2);
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}

/// Sleeps, tracking how many run at once.
struct Busy {
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

#[service(name = "busy", register = false)]
impl Busy {
    #[action]
    async fn work(&self, _ctx: Context) -> Result<bool> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(true)
    }

    #[action(bulkhead = { enabled: true, concurrency: 1, maxQueueSize: 0 })]
    async fn single(&self, _ctx: Context) -> Result<bool> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(true)
    }

    /// An event handler with a bulkhead of its own (the broker's is off).
    #[event(name = "busy.job", bulkhead = { enabled: true, concurrency: 1, maxQueueSize: 1 })]
    async fn job(&self, _ctx: EventContext) {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn an_event_handler_has_its_own_bulkhead() {
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let broker = ServiceBroker::builder()
        .node_id("mw-event-bulkhead")
        .service(Busy {
            running: running.clone(),
            peak: peak.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let emit = || {
        let broker = broker.clone();
        tokio::spawn(async move {
            broker
                .emit_with(
                    "busy.job",
                    json!({}),
                    moleculer::EmitOptions::new().throw_error(true),
                )
                .await
        })
    };
    let runs: Vec<_> = (0..3).map(|_| emit()).collect();
    let mut refused = Vec::new();
    for run in runs {
        if let Err(err) = run.await.unwrap() {
            refused.push(err);
        }
    }
    // One runs, one waits, the third is refused.
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].kind(), ErrorKind::QueueIsFull);
    assert_eq!(peak.load(Ordering::SeqCst), 1);
    // The option is published with the event, as Node does.
    let events: Value = broker
        .call("$node.events", json!({ "onlyLocal": true }))
        .await
        .unwrap();
    let job = events
        .as_array()
        .and_then(|l| l.iter().find(|e| e["name"] == "busy.job"))
        .cloned()
        .unwrap();
    assert_eq!(job["event"]["bulkhead"]["concurrency"], 1, "{job}");
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn the_bulkhead_limits_concurrency_and_rejects_past_its_queue() {
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let broker = ServiceBroker::builder()
        .options(options(
            json!({"bulkhead": {"enabled": true, "concurrency": 2, "maxQueueSize": 3}}),
        ))
        .node_id("mw-bulkhead")
        .service(Busy {
            running: running.clone(),
            peak: peak.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let calls: Vec<_> = (0..7)
        .map(|_| {
            let broker = broker.clone();
            tokio::spawn(async move { broker.call::<bool, _>("busy.work", json!({})).await })
        })
        .collect();
    let mut ok = 0;
    let mut full = Vec::new();
    for call in calls {
        match call.await.unwrap() {
            Ok(true) => ok += 1,
            Ok(false) => panic!("unexpected result"),
            Err(err) => full.push(err),
        }
    }
    // 2 running + 3 queued; the other 2 are refused at once.
    assert_eq!(ok, 5);
    assert_eq!(full.len(), 2);
    for err in &full {
        assert_eq!(err.kind(), ErrorKind::QueueIsFull);
        assert_eq!(err.code(), 429);
        assert!(err.is_retryable());
        assert_eq!(err.data().unwrap()["action"], "busy.work");
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);

    // The action's own options win: one at a time, no queue.
    let (a, b) = tokio::join!(
        broker.call::<bool, _>("busy.single", json!({})),
        broker.call::<bool, _>("busy.single", json!({}))
    );
    let errors: Vec<_> = [a, b].into_iter().filter_map(Result::err).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind(), ErrorKind::QueueIsFull);
    broker.stop().await.unwrap();
}

#[derive(
    Debug,
    Clone,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    validator::Validate,
    schemars::JsonSchema,
)]
struct Sized {
    label: String,
    #[validate(range(min = 0.0))]
    size: f64,
}

/// Fails with a retryable error until it has been called `fail_times` times.
struct Flaky {
    calls: Arc<AtomicUsize>,
    fail_times: usize,
}

#[service(name = "flaky", register = false)]
impl Flaky {
    #[action]
    async fn work(&self, ctx: Context) -> Result<Value> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.fail_times {
            return Err(Error::retryable("try again").with_data(json!({ "attempt": n })));
        }
        Ok(json!({ "node": ctx.broker().node_id(), "attempt": n }))
    }

    #[action]
    async fn broken(&self, _ctx: Context) -> Result<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::client("never"))
    }

    /// Fails like `work`; answers with the params it got.
    #[action(params = Sized)]
    async fn sized(&self, ctx: Context<Sized>) -> Result<Sized> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.fail_times {
            return Err(Error::retryable("try again"));
        }
        Ok(ctx.params)
    }

    #[action(retry_policy = { enabled: true, retries: 2, delay: 10 })]
    async fn own_policy(&self, _ctx: Context) -> Result<Value> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        Err(Error::retryable("still failing").with_data(json!({ "attempt": n })))
    }
}

fn flaky_broker(node: &str, policy: Value, fail_times: usize) -> (ServiceBroker, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let broker = ServiceBroker::builder()
        .options(options(json!({ "retryPolicy": policy })))
        .node_id(node)
        .service(Flaky {
            calls: calls.clone(),
            fail_times,
        })
        .build()
        .unwrap();
    (broker, calls)
}

#[tokio::test]
async fn retryable_failures_are_retried_with_backoff() {
    let (broker, calls) = flaky_broker(
        "mw-retry",
        json!({"enabled": true, "retries": 5, "delay": 20, "factor": 2, "maxDelay": 50}),
        3,
    );
    broker.start().await.unwrap();
    let started = std::time::Instant::now();
    let result: Value = broker.call("flaky.work", json!({})).await.unwrap();
    assert_eq!(result["attempt"], 4);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // Waits of 20, 40 and 50 (capped) ms between the attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(110),
        "{:?}",
        started.elapsed()
    );

    // A non-retryable error is not retried.
    calls.store(0, Ordering::SeqCst);
    let err = broker
        .call::<Value, _>("flaky.broken", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The call's `retries` caps the attempts; the last error comes back.
    calls.store(0, Ordering::SeqCst);
    let err = broker
        .call_with::<Value, _>("flaky.own_policy", json!({}), CallOptions::new().retries(1))
        .await
        .unwrap_err();
    assert_eq!(err.data().unwrap()["attempt"], 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // And a fallback response still applies after the last retry.
    let fallback: Value = broker
        .call_with(
            "flaky.own_policy",
            json!({}),
            CallOptions::new()
                .retries(1)
                .fallback_value(json!("fallback")),
        )
        .await
        .unwrap();
    assert_eq!(fallback, "fallback");
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn every_attempt_gets_the_same_typed_params() {
    let policy = json!({"enabled": true, "retries": 3, "delay": 1});
    let (broker, calls) = flaky_broker("mw-retry-typed", policy, 2);
    broker.start().await.unwrap();
    let sent = Sized {
        label: "box \"β\"".into(),
        size: 0.1 + 0.2,
    };
    // The first attempt gets the value itself, the next ones a copy made before it ran.
    let back: Sized = broker.call("flaky.sized", sent.clone()).await.unwrap();
    assert_eq!(back, sent);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // JSON params as well.
    calls.store(1, Ordering::SeqCst);
    let back: Value = broker
        .call("flaky.sized", json!({"label": "x", "size": 2.5}))
        .await
        .unwrap();
    assert_eq!(back, json!({"label": "x", "size": 2.5}));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Invalid params fail validation, which is not retried: the handler never runs.
    let err = broker
        .call::<Sized, _>("flaky.sized", json!({"label": "x", "size": -1}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422, "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn an_action_can_turn_retries_on_by_itself() {
    let (broker, calls) = flaky_broker("mw-own-retry", json!({"enabled": false}), usize::MAX);
    broker.start().await.unwrap();
    let err = broker
        .call::<Value, _>("flaky.own_policy", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.data().unwrap()["attempt"], 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // With the broker's policy off, other actions are not retried.
    calls.store(0, Ordering::SeqCst);
    let err = broker
        .call::<Value, _>("flaky.work", json!({}))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_retry_lands_on_another_node() {
    let bus = FakeBus::new();
    let node = |id: &str, fail_times: usize| {
        let calls = Arc::new(AtomicUsize::new(0));
        let broker = ServiceBroker::builder()
            .node_id(id)
            .transporter(FakeTransporter::new(bus.clone()))
            .service(Flaky {
                calls: calls.clone(),
                fail_times,
            })
            .build()
            .unwrap();
        (broker, calls)
    };
    let (bad, bad_calls) = node("mw-bad", usize::MAX);
    let (good, good_calls) = node("mw-good", 0);
    let caller = ServiceBroker::builder()
        .options(options(
            json!({"retryPolicy": {"enabled": true, "retries": 3, "delay": 10}}),
        ))
        .node_id("mw-caller")
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    for broker in [&bad, &good, &caller] {
        broker.start().await.unwrap();
    }
    let wait = std::time::Instant::now();
    while wait.elapsed() < Duration::from_secs(5) {
        let nodes: Value = caller
            .call("$node.services", json!({"onlyAvailable": true}))
            .await
            .unwrap();
        let hosts = nodes
            .as_array()
            .and_then(|list| list.iter().find(|s| s["name"] == "flaky"))
            .and_then(|s| s["nodes"].as_array().map(Vec::len))
            .unwrap_or(0);
        if hosts == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Round-robin: whichever node the first attempt hits, a retry reaches the good one.
    for _ in 0..4 {
        let result: Value = caller.call("flaky.work", json!({})).await.unwrap();
        assert_eq!(result["node"], "mw-good");
    }
    assert!(bad_calls.load(Ordering::SeqCst) >= 1);
    assert_eq!(good_calls.load(Ordering::SeqCst), 4);
    for broker in [&caller, &good, &bad] {
        broker.stop().await.unwrap();
    }
}

/// Panics as soon as `flaky.broken` is called, before any future exists.
struct PanicsAtCall;

impl Middleware for PanicsAtCall {
    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        if action.name.as_ref() != "flaky.broken" {
            return None;
        }
        Some(wrap_action(next, |_ctx, _next| {
            panic!("the wrapper panicked")
        }))
    }
}

#[tokio::test]
async fn a_panic_while_starting_a_remote_request_answers_the_caller() {
    let bus = FakeBus::new();
    let server = ServiceBroker::builder()
        .node_id("mw-panicky")
        .transporter(FakeTransporter::new(bus.clone()))
        .middleware(PanicsAtCall)
        .service(Flaky {
            calls: Arc::new(AtomicUsize::new(0)),
            fail_times: 0,
        })
        .build()
        .unwrap();
    let caller = ServiceBroker::builder()
        .node_id("mw-panicky-caller")
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    server.start().await.unwrap();
    caller.start().await.unwrap();
    caller
        .wait_for_services(&["flaky"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let options = || CallOptions::new().timeout(Duration::from_millis(5000));
    let err = caller
        .call_with::<Value, _>("flaky.broken", json!({}), options())
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::RequestTimeout, "{err:?}");
    assert_eq!(err.code(), 500, "{err:?}");
    assert!(err.message().contains("panicked"), "{err:?}");
    // The node goes on serving.
    let ok: Value = caller
        .call_with("flaky.work", json!({}), options())
        .await
        .unwrap();
    assert_eq!(ok["node"], "mw-panicky");
    caller.stop().await.unwrap();
    server.stop().await.unwrap();
}

/// Records every event payload its `local_event` wrapper sees, and when it wraps a handler.
struct PayloadSpy(Recorder);

impl Middleware for PayloadSpy {
    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        self.0.push(json!(format!("wrap {}", event.name)));
        let log = self.0.clone();
        Some(wrap_event(next, move |ctx, next| {
            log.push(json!({ "middleware": ctx.params.to_json().unwrap_or(Value::Null) }));
            next.call(ctx)
        }))
    }
}

struct Signup {
    seen: Recorder,
}

#[service(name = "signup", register = false)]
impl Signup {
    #[created]
    fn created(&self) {
        self.seen.push(json!("created"));
    }

    #[event(name = "user.joined", params = { name: "string", role: { type: "string", default: "user" } })]
    async fn joined(&self, ctx: EventContext) {
        self.seen.push(json!({ "handler": ctx.params }));
    }
}

#[tokio::test]
async fn event_wrappers_see_validated_payloads_and_wrap_before_created() {
    let seen = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-validated-events")
        .middleware(PayloadSpy(seen.clone()))
        .service(Signup { seen: seen.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    // As Node creates a service: its event handlers are wrapped, then `created` runs.
    let setup = seen.take();
    let wrap = setup.iter().position(|r| r == "wrap user.joined");
    let created = setup.iter().position(|r| r == "created");
    assert!(wrap.is_some() && wrap < created, "{setup:?}");

    // The validator sits outside the user's wrapper: it sees the payload with the schema's
    // defaults applied, as the handler does.
    broker
        .emit("user.joined", json!({ "name": "ann" }))
        .await
        .unwrap();
    let validated = json!({ "name": "ann", "role": "user" });
    assert_eq!(
        seen.take(),
        [
            json!({ "middleware": validated }),
            json!({ "handler": validated })
        ]
    );
    // An invalid payload stops at the validator: neither the wrapper nor the handler sees it.
    let err = broker
        .emit_with(
            "user.joined",
            json!({ "name": 1 }),
            moleculer::EmitOptions::new().throw_error(true),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    assert!(seen.is_empty(), "{:?}", seen.take());
    broker.stop().await.unwrap();
}
