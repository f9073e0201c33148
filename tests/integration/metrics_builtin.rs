//! The built-in metrics kept outside the Metrics middleware's request and event metrics, read
//! back as values: the transit's and transporter's packet and byte counts between two nodes
//! (fake bus, and NATS when reachable), pending requests, ready and connected, ping times and
//! orphan responses; the registry's counts as a node comes and goes; the circuit breaker's
//! gauges through open, half-open and closed; retries, timeouts and fallbacks; the bulkhead's
//! gauges while it is saturated; Node's definitions; and what is left out without the built-in
//! middlewares or with metrics off.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use moleculer::metrics::{ListOptions, MetricType, names};
use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{BrokerBuilder, ErrorKind};
use moleculer_tests::{eventually, unique_namespace};
use serde_json::{Value, json};

#[derive(Default)]
struct Math;

#[service(name = "math", register = false)]
impl Math {
    #[action]
    async fn add(&self, ctx: Context) -> Result<Value> {
        Ok(json!(
            ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0)
        ))
    }

    #[action]
    async fn slow(&self, _ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(json!("late"))
    }

    #[event(name = "order.created")]
    async fn order_created(&self, _ctx: EventContext) -> Result<()> {
        Ok(())
    }
}

#[derive(Default)]
struct Caller;

#[service(name = "caller", register = false)]
impl Caller {
    #[action]
    async fn hello(&self, _ctx: Context) -> Result<Value> {
        Ok(json!("hello"))
    }
}

/// The value of the series of `name` whose labels have every label of `labels` (a missing
/// label matches `null`); `None` when the metric or the series does not exist.
fn value(broker: &ServiceBroker, name: &str, labels: Value) -> Option<f64> {
    let metrics = broker.metrics();
    let snapshot = metrics.metric(name)?.snapshot(metrics.now_ms());
    let wanted = labels.as_object().cloned().unwrap_or_default();
    snapshot["values"]
        .as_array()?
        .iter()
        .find(|v| wanted.iter().all(|(k, want)| &v["labels"][k] == want))
        .and_then(|v| v["value"].as_f64())
}

/// [`value`], 0 when the series does not exist yet.
fn count(broker: &ServiceBroker, name: &str, labels: Value) -> f64 {
    value(broker, name, labels).unwrap_or(0.0)
}

/// A broker with metrics on, quiet between the calls of a test: no heartbeat for a minute.
fn node(id: &str, namespace: &str, more: Value) -> BrokerBuilder {
    let mut options = json!({
        "nodeID": id,
        "namespace": namespace,
        "metrics": true,
        "heartbeatInterval": 60,
        "heartbeatTimeout": 180,
    });
    for (key, value) in more.as_object().cloned().unwrap_or_default() {
        options[key] = value;
    }
    ServiceBroker::builder().options(serde_json::from_value(options).unwrap())
}

/// The packet counts of one node that a call between two nodes moves.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Packets {
    published_req: f64,
    published_res: f64,
    handled_req: f64,
    handled_res: f64,
    sent: f64,
    sent_bytes: f64,
    received: f64,
    received_bytes: f64,
}

impl Packets {
    fn read(broker: &ServiceBroker) -> Packets {
        let by_type = |name, ty| count(broker, name, json!({ "type": ty }));
        let total = |name| count(broker, name, json!({}));
        Packets {
            published_req: by_type(names::TRANSIT_PUBLISH_TOTAL, "REQ"),
            published_res: by_type(names::TRANSIT_PUBLISH_TOTAL, "RES"),
            handled_req: by_type(names::TRANSIT_RECEIVE_TOTAL, "REQ"),
            handled_res: by_type(names::TRANSIT_RECEIVE_TOTAL, "RES"),
            sent: total(names::TRANSPORTER_PACKETS_SENT_TOTAL),
            sent_bytes: total(names::TRANSPORTER_PACKETS_SENT_BYTES),
            received: total(names::TRANSPORTER_PACKETS_RECEIVED_TOTAL),
            received_bytes: total(names::TRANSPORTER_PACKETS_RECEIVED_BYTES),
        }
    }

    fn since(self, before: Packets) -> Packets {
        Packets {
            published_req: self.published_req - before.published_req,
            published_res: self.published_res - before.published_res,
            handled_req: self.handled_req - before.handled_req,
            handled_res: self.handled_res - before.handled_res,
            sent: self.sent - before.sent,
            sent_bytes: self.sent_bytes - before.sent_bytes,
            received: self.received - before.received,
            received_bytes: self.received_bytes - before.received_bytes,
        }
    }
}

/// `caller` (serving `caller`) calls `server` (serving `math`): the packets and bytes each
/// side counts, the pending requests, ready and connected, and a ping's times.
async fn packets_between(caller: &ServiceBroker, server: &ServiceBroker) {
    const CALLS: f64 = 5.0;
    let wait = Some(Duration::from_secs(10));
    caller.wait_for_services(&["math"], wait).await.unwrap();
    server.wait_for_services(&["caller"], wait).await.unwrap();
    // What discovery still sends settles; heartbeats are a minute away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (caller_before, server_before) = (Packets::read(caller), Packets::read(server));
    for i in 0..CALLS as i64 {
        let sum: f64 = caller
            .call("math.add", json!({ "a": i, "b": 1 }))
            .await
            .unwrap();
        assert_eq!(sum, (i + 1) as f64);
    }
    let on_caller = Packets::read(caller).since(caller_before);
    let on_server = Packets::read(server).since(server_before);
    assert_eq!(on_caller.published_req, CALLS, "{on_caller:?}");
    assert_eq!(on_caller.handled_res, CALLS, "{on_caller:?}");
    assert_eq!(on_server.handled_req, CALLS, "{on_server:?}");
    assert_eq!(on_server.published_res, CALLS, "{on_server:?}");
    assert_eq!((on_caller.published_res, on_caller.handled_req), (0.0, 0.0));
    // One message each way per call, and what one side sends the other receives.
    assert_eq!((on_caller.sent, on_server.received), (CALLS, CALLS));
    assert_eq!((on_server.sent, on_caller.received), (CALLS, CALLS));
    assert!(on_caller.sent_bytes > 0.0 && on_server.sent_bytes > 0.0);
    assert_eq!(on_caller.sent_bytes, on_server.received_bytes);
    assert_eq!(on_server.sent_bytes, on_caller.received_bytes);
    // The labels are Node's packet types.
    let published = caller
        .metrics()
        .list(&ListOptions::all().includes(&[names::TRANSIT_PUBLISH_TOTAL]));
    let types: Vec<&str> = published[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["labels"]["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"REQ") && types.contains(&"DISCOVER") && types.contains(&"INFO"),
        "{types:?}"
    );

    // A request waiting for its response is active, until the response comes.
    let active = |b: &ServiceBroker| value(b, names::TRANSIT_REQUESTS_ACTIVE, json!({}));
    assert_eq!(active(caller), Some(0.0));
    let (slow, ()) = tokio::join!(caller.call::<Value, _>("math.slow", json!({})), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(active(caller), Some(1.0));
    });
    assert_eq!(slow.unwrap(), json!("late"));
    assert_eq!(active(caller), Some(0.0));
    assert_eq!(
        value(caller, names::TRANSIT_STREAMS_SEND_ACTIVE, json!({})),
        Some(0.0)
    );

    for broker in [caller, server] {
        assert_eq!(value(broker, names::TRANSIT_READY, json!({})), Some(1.0));
        assert_eq!(
            value(broker, names::TRANSIT_CONNECTED, json!({})),
            Some(1.0)
        );
    }

    // A ping gives the round trip and the clock difference to that node.
    let target = json!({ "targetNodeID": server.node_id() });
    assert_eq!(
        value(caller, names::TRANSIT_PONG_TIME, target.clone()),
        None
    );
    let pong = caller
        .ping(server.node_id(), Duration::from_secs(2))
        .await
        .unwrap();
    let elapsed = pong["elapsedTime"].as_f64().unwrap();
    eventually!(
        "the ping time is recorded",
        Duration::from_secs(2),
        value(caller, names::TRANSIT_PONG_TIME, target.clone()).is_some()
    );
    let recorded = value(caller, names::TRANSIT_PONG_TIME, target.clone()).unwrap();
    assert!(
        recorded >= 0.0 && (recorded - elapsed).abs() <= 5.0,
        "{recorded} vs {elapsed}"
    );
    let diff = value(caller, names::TRANSIT_PONG_SYSTIME_DIFF, target).unwrap();
    assert!(diff.abs() < 1000.0, "{diff}");
}

#[tokio::test]
async fn transit_and_transporter_count_packets_and_bytes_on_the_fake_bus() {
    let ns = unique_namespace("mb-fake");
    let bus = FakeBus::new();
    let caller = node("mb-caller", &ns, json!({}))
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Caller)
        .build()
        .unwrap();
    let server = node("mb-server", &ns, json!({}))
        .transporter(FakeTransporter::new(bus))
        .service(Math)
        .build()
        .unwrap();
    // Before the start: registered, not ready nor connected.
    assert_eq!(value(&caller, names::TRANSIT_READY, json!({})), Some(0.0));
    assert_eq!(
        value(&caller, names::TRANSIT_CONNECTED, json!({})),
        Some(0.0)
    );
    caller.start().await.unwrap();
    server.start().await.unwrap();
    packets_between(&caller, &server).await;
    server.stop().await.unwrap();
    assert_eq!(value(&server, names::TRANSIT_READY, json!({})), Some(0.0));
    assert_eq!(
        value(&server, names::TRANSIT_CONNECTED, json!({})),
        Some(0.0)
    );
    caller.stop().await.unwrap();
}

#[tokio::test]
async fn transit_and_transporter_count_packets_and_bytes_on_nats() {
    let url = moleculer_tests::node::nats_url();
    let ns = unique_namespace("mb-nats");
    let on_nats = json!({ "transporter": url, "transit": { "disableReconnect": true } });
    let caller = node("mb-nats-caller", &ns, on_nats.clone())
        .service(Caller)
        .build()
        .unwrap();
    if let Err(err) = caller.start().await {
        assert!(
            !moleculer_tests::node::brokers_required(),
            "NATS not reachable at {url}: {err}"
        );
        println!("skipped: NATS not reachable at {url} ({err})");
        return;
    }
    let server = node("mb-nats-server", &ns, on_nats)
        .service(Math)
        .build()
        .unwrap();
    server.start().await.unwrap();
    packets_between(&caller, &server).await;
    server.stop().await.unwrap();
    caller.stop().await.unwrap();
}

#[tokio::test]
async fn a_response_after_the_timeout_is_an_orphan() {
    let ns = unique_namespace("mb-orphan");
    let bus = FakeBus::new();
    let caller = node("mb-orphan-caller", &ns, json!({}))
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    // Without the built-in middlewares the server keeps no timeout: it answers late.
    let server = node(
        "mb-orphan-server",
        &ns,
        json!({ "internalMiddlewares": false }),
    )
    .transporter(FakeTransporter::new(bus))
    .service(Math)
    .build()
    .unwrap();
    caller.start().await.unwrap();
    server.start().await.unwrap();
    caller
        .wait_for_services(&["math"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let orphans = |b: &ServiceBroker| value(b, names::TRANSIT_ORPHAN_RESPONSE_TOTAL, json!({}));
    assert_eq!(orphans(&caller), None);
    let err = caller
        .call_with::<Value, _>(
            "math.slow",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(50)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout);
    let timed_out = json!({ "service": "math", "action": "math.slow" });
    assert_eq!(
        value(&caller, names::REQUEST_TIMEOUT_TOTAL, timed_out),
        Some(1.0)
    );
    assert_eq!(
        value(&caller, names::TRANSIT_REQUESTS_ACTIVE, json!({})),
        Some(0.0)
    );
    eventually!(
        "the late response is counted as an orphan",
        Duration::from_secs(3),
        orphans(&caller) == Some(1.0)
    );
    server.stop().await.unwrap();
    caller.stop().await.unwrap();
}

#[tokio::test]
async fn registry_counts_follow_nodes_services_and_actions() {
    let ns = unique_namespace("mb-registry");
    let bus = FakeBus::new();
    let caller = node("mb-reg-caller", &ns, json!({}))
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Caller)
        .build()
        .unwrap();
    // Before the start: only this node, and no service yet.
    let total = |b: &ServiceBroker, name: &str| value(b, name, json!({}));
    assert_eq!(total(&caller, names::REGISTRY_NODES_TOTAL), Some(1.0));
    assert_eq!(
        total(&caller, names::REGISTRY_NODES_ONLINE_TOTAL),
        Some(1.0)
    );
    assert_eq!(total(&caller, names::REGISTRY_SERVICES_TOTAL), Some(0.0));
    let server = node("mb-reg-server", &ns, json!({}))
        .transporter(FakeTransporter::new(bus))
        .service(Math)
        .build()
        .unwrap();
    caller.start().await.unwrap();
    server.start().await.unwrap();
    caller
        .wait_for_services(&["math"], Some(Duration::from_secs(5)))
        .await
        .unwrap();

    let endpoints =
        |b: &ServiceBroker, name: &str, label: &str, of: &str| value(b, name, json!({ label: of }));
    let service = |b: &ServiceBroker, of: &str| {
        endpoints(b, names::REGISTRY_SERVICE_ENDPOINTS_TOTAL, "service", of)
    };
    let action = |b: &ServiceBroker, of: &str| {
        endpoints(b, names::REGISTRY_ACTION_ENDPOINTS_TOTAL, "action", of)
    };
    let event = |b: &ServiceBroker, of: &str| {
        endpoints(b, names::REGISTRY_EVENT_ENDPOINTS_TOTAL, "event", of)
    };
    assert_eq!(total(&caller, names::REGISTRY_NODES_TOTAL), Some(2.0));
    assert_eq!(
        total(&caller, names::REGISTRY_NODES_ONLINE_TOTAL),
        Some(2.0)
    );
    // `$node`, `caller` and `math`.
    assert_eq!(total(&caller, names::REGISTRY_SERVICES_TOTAL), Some(3.0));
    assert_eq!(service(&caller, "$node"), Some(2.0));
    assert_eq!(service(&caller, "math"), Some(1.0));
    assert_eq!(service(&caller, "caller"), Some(1.0));
    // Every action the catalog lists, `$node.*` included.
    let listed: Value = caller
        .call("$node.actions", json!({ "withEndpoints": true }))
        .await
        .unwrap();
    let actions = listed.as_array().unwrap().len() as f64;
    assert!(actions >= 4.0, "{listed}");
    assert_eq!(total(&caller, names::REGISTRY_ACTIONS_TOTAL), Some(actions));
    assert_eq!(action(&caller, "math.add"), Some(1.0));
    assert_eq!(action(&caller, "caller.hello"), Some(1.0));
    assert_eq!(action(&caller, "$node.list"), Some(2.0));
    let events = total(&caller, names::REGISTRY_EVENTS_TOTAL).unwrap();
    assert!(events >= 1.0);
    assert_eq!(event(&caller, "order.created"), Some(1.0));

    // The server leaves: it stays known, offline; its service leaves the total; its actions
    // and event stay known with no endpoint, as in Node.
    server.stop().await.unwrap();
    eventually!(
        "the caller sees the server leave",
        Duration::from_secs(5),
        total(&caller, names::REGISTRY_NODES_ONLINE_TOTAL) == Some(1.0)
    );
    assert_eq!(total(&caller, names::REGISTRY_NODES_TOTAL), Some(2.0));
    assert_eq!(total(&caller, names::REGISTRY_SERVICES_TOTAL), Some(2.0));
    assert_eq!(service(&caller, "math"), Some(0.0));
    assert_eq!(service(&caller, "$node"), Some(1.0));
    assert_eq!(total(&caller, names::REGISTRY_ACTIONS_TOTAL), Some(actions));
    assert_eq!(action(&caller, "math.add"), Some(0.0));
    assert_eq!(action(&caller, "$node.list"), Some(1.0));
    assert_eq!(total(&caller, names::REGISTRY_EVENTS_TOTAL), Some(events));
    assert_eq!(event(&caller, "order.created"), Some(0.0));
    caller.stop().await.unwrap();
}

/// Fails with a 500 while `failing` is set.
struct Flaky {
    failing: Arc<AtomicBool>,
}

#[service(name = "flaky", register = false)]
impl Flaky {
    #[action]
    async fn work(&self, _ctx: Context) -> Result<Value> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::server("broken"));
        }
        Ok(json!("ok"))
    }
}

#[tokio::test]
async fn circuit_breaker_metrics_follow_the_circuit() {
    let failing = Arc::new(AtomicBool::new(true));
    let breaker = json!({
        "circuitBreaker": {
            "enabled": true,
            "threshold": 0.5,
            "minRequestCount": 3,
            "halfOpenTime": 300,
        }
    });
    let broker = node("mb-breaker", "mb-breaker", breaker)
        .service(Flaky {
            failing: failing.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let labels = json!({
        "affectedNodeID": "mb-breaker",
        "service": "flaky",
        "action": "flaky.work",
    });
    let opened = || {
        value(
            &broker,
            names::CIRCUIT_BREAKER_OPENED_ACTIVE,
            labels.clone(),
        )
    };
    let total = || value(&broker, names::CIRCUIT_BREAKER_OPENED_TOTAL, labels.clone());
    let half = || {
        value(
            &broker,
            names::CIRCUIT_BREAKER_HALF_OPENED_ACTIVE,
            labels.clone(),
        )
    };
    assert_eq!((opened(), total(), half()), (None, None, None));
    for _ in 0..3 {
        let err = broker
            .call::<Value, _>("flaky.work", json!({}))
            .await
            .unwrap_err();
        assert_eq!(err.message(), "broken");
    }
    assert_eq!((opened(), total()), (Some(1.0), Some(1.0)));
    // Open: the endpoint is skipped.
    let err = broker
        .call::<Value, _>("flaky.work", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotAvailable);
    eventually!(
        "the circuit half-opens",
        Duration::from_secs(3),
        half() == Some(1.0)
    );
    assert_eq!((opened(), total()), (Some(0.0), Some(1.0)));
    // The trial fails: open again, no longer half-open.
    broker
        .call::<Value, _>("flaky.work", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (opened(), total(), half()),
        (Some(1.0), Some(2.0), Some(0.0))
    );
    eventually!(
        "the circuit half-opens again",
        Duration::from_secs(3),
        half() == Some(1.0)
    );
    // The trial succeeds: closed.
    failing.store(false, Ordering::SeqCst);
    let ok: Value = broker.call("flaky.work", json!({})).await.unwrap();
    assert_eq!(ok, json!("ok"));
    assert_eq!(
        (opened(), total(), half()),
        (Some(0.0), Some(2.0), Some(0.0))
    );
    broker.stop().await.unwrap();
}

#[derive(Default)]
struct Faulty;

#[service(name = "faulty", register = false)]
impl Faulty {
    #[action(retry_policy = { enabled: true, retries: 2, delay: 1 })]
    async fn broken(&self, _ctx: Context) -> Result<Value> {
        Err(Error::server("down"))
    }

    #[action]
    async fn refused(&self, _ctx: Context) -> Result<Value> {
        Err(Error::server("refused"))
    }

    #[action]
    async fn slow(&self, _ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(json!("late"))
    }

    #[action(fallback = "spare")]
    async fn covered(&self, _ctx: Context) -> Result<Value> {
        Err(Error::server("down"))
    }

    async fn spare(&self, _ctx: &Context<Payload>, _err: Error) -> Result<Value> {
        Ok(json!("spare"))
    }
}

#[tokio::test]
async fn retries_timeouts_and_fallbacks_are_counted() {
    let broker = node("mb-faults", "mb-faults", json!({}))
        .service(Faulty)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let of = |action: &str| json!({ "service": "faulty", "action": action });

    // Two retries, then the last failure: Node counts each failure the policy looks at.
    let err = broker
        .call::<Value, _>("faulty.broken", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "down");
    assert_eq!(
        value(
            &broker,
            names::REQUEST_RETRY_ATTEMPTS_TOTAL,
            of("faulty.broken")
        ),
        Some(3.0)
    );
    // No retry policy: nothing counted.
    broker
        .call::<Value, _>("faulty.refused", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        value(
            &broker,
            names::REQUEST_RETRY_ATTEMPTS_TOTAL,
            of("faulty.refused")
        ),
        None
    );

    for _ in 0..2 {
        let err = broker
            .call_with::<Value, _>(
                "faulty.slow",
                json!({}),
                CallOptions::new().timeout(Duration::from_millis(30)),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RequestTimeout);
    }
    assert_eq!(
        value(&broker, names::REQUEST_TIMEOUT_TOTAL, of("faulty.slow")),
        Some(2.0)
    );
    let fine: Value = broker.call("faulty.slow", json!({})).await.unwrap();
    assert_eq!(fine, json!("late"));
    assert_eq!(
        value(&broker, names::REQUEST_TIMEOUT_TOTAL, of("faulty.slow")),
        Some(2.0)
    );

    // The action's own fallback: labelled with its service.
    let spare: Value = broker.call("faulty.covered", json!({})).await.unwrap();
    assert_eq!(spare, json!("spare"));
    assert_eq!(
        value(&broker, names::REQUEST_FALLBACK_TOTAL, of("faulty.covered")),
        Some(1.0)
    );
    // The caller's fallback response: labelled with the action only, as Node does.
    let given: Value = broker
        .call_with(
            "faulty.refused",
            json!({}),
            CallOptions::new().fallback_value(json!("given")),
        )
        .await
        .unwrap();
    assert_eq!(given, json!("given"));
    let response_only = json!({ "action": "faulty.refused", "service": null });
    assert_eq!(
        value(&broker, names::REQUEST_FALLBACK_TOTAL, response_only),
        Some(1.0)
    );
    broker.stop().await.unwrap();
}

#[derive(Default)]
struct Busy;

#[service(name = "busy", register = false)]
impl Busy {
    #[action]
    async fn work(&self, _ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(json!("done"))
    }

    #[event(name = "job.queued")]
    async fn job_queued(&self, _ctx: EventContext) -> Result<()> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(())
    }
}

#[tokio::test]
async fn bulkhead_gauges_follow_running_and_queued_calls() {
    let bulkhead = json!({
        "bulkhead": { "enabled": true, "concurrency": 1, "maxQueueSize": 10 }
    });
    let broker = node("mb-bulkhead", "mb-bulkhead", bulkhead)
        .service(Busy)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let action = json!({ "action": "busy.work", "service": "busy" });
    let event = json!({ "event": "job.queued", "service": "busy" });
    let gauges = |inflight: &str, queued: &str, labels: &Value| {
        (
            value(&broker, inflight, labels.clone()),
            value(&broker, queued, labels.clone()),
        )
    };
    let actions = || {
        gauges(
            names::REQUEST_BULKHEAD_INFLIGHT,
            names::REQUEST_BULKHEAD_QUEUE_SIZE,
            &action,
        )
    };
    let events = || {
        gauges(
            names::EVENT_BULKHEAD_INFLIGHT,
            names::EVENT_BULKHEAD_QUEUE_SIZE,
            &event,
        )
    };
    assert_eq!(actions(), (None, None));

    let calls = (0..3).map(|_| broker.call::<Value, _>("busy.work", json!({})));
    let (results, ()) = tokio::join!(futures_util::future::join_all(calls), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(actions(), (Some(1.0), Some(2.0)));
    });
    assert!(results.into_iter().all(|r| r.unwrap() == json!("done")));
    assert_eq!(actions(), (Some(0.0), Some(0.0)));

    // A caller that gives up while queued leaves the queue.
    let (first, second) = tokio::join!(broker.call::<Value, _>("busy.work", json!({})), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let options = CallOptions::new().timeout(Duration::from_millis(50));
        broker
            .call_with::<Value, _>("busy.work", json!({}), options)
            .await
    });
    assert_eq!(first.unwrap(), json!("done"));
    assert_eq!(second.unwrap_err().kind(), ErrorKind::RequestTimeout);
    assert_eq!(actions(), (Some(0.0), Some(0.0)));

    // Emitting waits for the local handlers: three emits at once.
    let emits = (0..3).map(|_| broker.emit("job.queued", json!({})));
    let (results, ()) = tokio::join!(futures_util::future::join_all(emits), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(events(), (Some(1.0), Some(2.0)));
    });
    assert!(results.into_iter().all(|r| r.is_ok()));
    assert_eq!(events(), (Some(0.0), Some(0.0)));
    broker.stop().await.unwrap();
}

/// What Node registers: name, type, labels, unit, rate, description.
type NodeDef = (
    &'static str,
    MetricType,
    &'static [&'static str],
    Option<&'static str>,
    bool,
    Option<&'static str>,
);

#[tokio::test]
async fn the_definitions_are_nodes() {
    let bus = FakeBus::new();
    let breaker = json!({ "circuitBreaker": { "enabled": true } });
    let broker = node("mb-defs", "mb-defs", breaker)
        .transporter(FakeTransporter::new(bus))
        .build()
        .unwrap();
    let metrics = broker.metrics();
    let expected: [NodeDef; 12] = [
        (
            names::TRANSIT_PUBLISH_TOTAL,
            MetricType::Counter,
            &["type"],
            Some("packet"),
            true,
            Some("Number of published packets"),
        ),
        (
            names::TRANSIT_REQUESTS_ACTIVE,
            MetricType::Gauge,
            &[],
            Some("request"),
            false,
            Some("Number of active requests"),
        ),
        (
            names::TRANSIT_STREAMS_SEND_ACTIVE,
            MetricType::Gauge,
            &[],
            Some("stream"),
            false,
            Some("Number of active sent streams"),
        ),
        (
            names::TRANSIT_PONG_TIME,
            MetricType::Gauge,
            &["targetNodeID"],
            None,
            false,
            Some("Ping time"),
        ),
        (
            names::TRANSIT_ORPHAN_RESPONSE_TOTAL,
            MetricType::Counter,
            &[],
            None,
            false,
            Some("Number of orphan responses"),
        ),
        (
            names::TRANSPORTER_PACKETS_SENT_BYTES,
            MetricType::Counter,
            &[],
            Some("byte"),
            true,
            Some("Number of sent bytes"),
        ),
        (
            names::CIRCUIT_BREAKER_OPENED_TOTAL,
            MetricType::Counter,
            &["affectedNodeID", "service", "action"],
            None,
            false,
            Some("Number of opened circuit-breakers"),
        ),
        (
            names::REQUEST_BULKHEAD_QUEUE_SIZE,
            MetricType::Gauge,
            &["action", "service"],
            None,
            false,
            None,
        ),
        (
            names::EVENT_BULKHEAD_INFLIGHT,
            MetricType::Gauge,
            &["event", "service"],
            None,
            false,
            None,
        ),
        (
            names::REQUEST_RETRY_ATTEMPTS_TOTAL,
            MetricType::Counter,
            &["service", "action"],
            None,
            true,
            Some("Number of retries"),
        ),
        (
            names::REQUEST_FALLBACK_TOTAL,
            MetricType::Counter,
            &["service", "action"],
            None,
            true,
            Some("Number of fallbacked requests"),
        ),
        (
            names::REGISTRY_ACTION_ENDPOINTS_TOTAL,
            MetricType::Gauge,
            &["action"],
            None,
            false,
            Some("Number of action endpoints"),
        ),
    ];
    for (name, kind, labels, unit, rate, description) in expected {
        let metric = metrics
            .metric(name)
            .unwrap_or_else(|| panic!("{name} is not registered"));
        let def = metric.def();
        assert_eq!(def.kind, kind, "{name}");
        assert_eq!(def.label_names, labels, "{name}");
        assert_eq!(def.unit.as_deref(), unit, "{name}");
        assert_eq!(def.rate, rate, "{name}");
        assert_eq!(def.description.as_deref(), description, "{name}");
    }
    // Node's order of registration: the registry's, the transit's, the middlewares'.
    let order: Vec<String> = metrics
        .list(&ListOptions::all())
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    let at = |name: &str| order.iter().position(|n| n == name).unwrap();
    assert!(at(names::REGISTRY_NODES_TOTAL) < at(names::TRANSIT_READY));
    assert!(at(names::TRANSIT_READY) < at(names::REQUEST_BULKHEAD_INFLIGHT));
    assert!(at(names::REQUEST_BULKHEAD_INFLIGHT) < at(names::CIRCUIT_BREAKER_OPENED_ACTIVE));
    assert!(at(names::CIRCUIT_BREAKER_OPENED_ACTIVE) < at(names::REQUEST_TIMEOUT_TOTAL));
    assert!(at(names::REQUEST_TIMEOUT_TOTAL) < at(names::REQUEST_RETRY_ATTEMPTS_TOTAL));
    assert!(at(names::REQUEST_RETRY_ATTEMPTS_TOTAL) < at(names::REQUEST_FALLBACK_TOTAL));
    assert!(at(names::REQUEST_TOTAL) < at(names::TRANSIT_PUBLISH_TOTAL));
}

#[tokio::test]
async fn without_the_builtin_middlewares_or_metrics_less_is_kept() {
    let bus = FakeBus::new();
    let bare = node(
        "mb-bare",
        "mb-bare",
        json!({ "internalMiddlewares": false }),
    )
    .transporter(FakeTransporter::new(bus.clone()))
    .build()
    .unwrap();
    let metrics = bare.metrics();
    // The transit's own and the registry's stay; the middlewares' go, the packet counts
    // with the Metrics middleware.
    assert!(metrics.metric(names::TRANSIT_READY).is_some());
    assert!(metrics.metric(names::REGISTRY_NODES_TOTAL).is_some());
    for gone in [
        names::TRANSIT_PUBLISH_TOTAL,
        names::TRANSPORTER_PACKETS_SENT_TOTAL,
        names::REQUEST_BULKHEAD_INFLIGHT,
        names::REQUEST_TIMEOUT_TOTAL,
        names::REQUEST_TOTAL,
    ] {
        assert!(metrics.metric(gone).is_none(), "{gone}");
    }
    // The breaker's are registered only with a breaker on.
    let no_breaker = node("mb-nobreaker", "mb-bare", json!({}))
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    assert!(
        no_breaker
            .metrics()
            .metric(names::CIRCUIT_BREAKER_OPENED_TOTAL)
            .is_none()
    );
    assert!(
        no_breaker
            .metrics()
            .metric(names::REQUEST_BULKHEAD_INFLIGHT)
            .is_some()
    );

    // Metrics off: nothing at all, and the calls still go through.
    let off = ServiceBroker::builder()
        .node_id("mb-off")
        .namespace("mb-bare")
        .transporter(FakeTransporter::new(bus))
        .service(Math)
        .build()
        .unwrap();
    off.start().await.unwrap();
    let sum: f64 = off
        .call("math.add", json!({ "a": 1, "b": 2 }))
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    assert!(off.metrics().list(&ListOptions::all()).is_empty());
    off.stop().await.unwrap();
}
