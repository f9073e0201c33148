//! The circuit breaker: an endpoint that fails too often is skipped by the balancer, the
//! `$circuit-breaker.*` events are broadcast, a trial call after `halfOpenTime` closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{BrokerOptions, ErrorKind};
use moleculer_tests::{Recorder, started_on_one_bus};
use serde_json::{Value, json};

/// Fails with a 500 while `failing` is set; sleeps `delay_ms` first.
struct Worker {
    failing: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    delay_ms: u64,
}

#[service(name = "worker", register = false)]
impl Worker {
    #[action]
    async fn work(&self, ctx: Context) -> Result<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::server("worker is broken"));
        }
        Ok(json!({ "node": ctx.broker().node_id() }))
    }

    #[action]
    async fn refuse(&self, _ctx: Context) -> Result<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(Error::client("bad request"))
    }
}

/// Records every circuit breaker event it hears.
struct Watcher {
    log: Recorder,
}

#[service(name = "watcher", register = false)]
impl Watcher {
    #[event(name = "$circuit-breaker.**")]
    async fn breaker(&self, ctx: EventContext) {
        let mut seen = ctx.params.clone();
        seen["event"] = json!(ctx.event_name());
        self.log.push(seen);
    }
}

fn worker(delay_ms: u64) -> (Worker, Arc<AtomicBool>, Arc<AtomicUsize>) {
    let failing = Arc::new(AtomicBool::new(true));
    let calls = Arc::new(AtomicUsize::new(0));
    let w = Worker {
        failing: failing.clone(),
        calls: calls.clone(),
        delay_ms,
    };
    (w, failing, calls)
}

fn breaker_options(min_requests: u32, half_open_ms: u64) -> BrokerOptions {
    serde_json::from_value(json!({
        "circuitBreaker": {
            "enabled": true,
            "threshold": 0.5,
            "minRequestCount": min_requests,
            "halfOpenTime": half_open_ms,
        }
    }))
    .unwrap()
}

fn events(log: &Recorder) -> Vec<String> {
    log.take()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap_or("?"),
                e["nodeID"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

async fn wait_for_workers(caller: &ServiceBroker, count: usize) {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let services: Value = caller
            .call("$node.services", json!({ "onlyAvailable": true }))
            .await
            .unwrap();
        let hosts = services
            .as_array()
            .and_then(|list| list.iter().find(|s| s["name"] == "worker"))
            .and_then(|s| s["nodes"].as_array().map(Vec::len))
            .unwrap_or(0);
        if hosts == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the workers did not show up");
}

#[tokio::test]
async fn a_failing_node_is_skipped_then_tried_again_and_closed() {
    let bus = FakeBus::new();
    let log = Recorder::default();
    let (bad_worker, bad_failing, bad_calls) = worker(0);
    let (good_worker, good_failing, good_calls) = worker(0);
    good_failing.store(false, Ordering::SeqCst);
    let start = |id: &str, w: Worker| {
        ServiceBroker::builder()
            .node_id(id)
            .transporter(FakeTransporter::new(bus.clone()))
            .service(w)
            .build()
            .unwrap()
    };
    let bad = start("cb-bad", bad_worker);
    let good = start("cb-good", good_worker);
    let caller = ServiceBroker::builder()
        .options(breaker_options(4, 300))
        .node_id("cb-caller")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Watcher { log: log.clone() })
        .build()
        .unwrap();
    for broker in [&bad, &good, &caller] {
        broker.start().await.unwrap();
    }
    wait_for_workers(&caller, 2).await;

    // Round-robin: the bad node gets every other call until it failed 4 of 4.
    let mut failures = 0;
    for _ in 0..8 {
        if caller
            .call::<Value, _>("worker.work", json!({}))
            .await
            .is_err()
        {
            failures += 1;
        }
    }
    assert_eq!(failures, 4);
    assert_eq!(bad_calls.load(Ordering::SeqCst), 4);
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    let opened = log.take();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(
        opened[0],
        json!({ "event": "$circuit-breaker.opened", "nodeID": "cb-bad", "action": "worker.work",
                "failures": 4, "count": 4, "rate": 1.0 })
    );

    // Open: every call goes to the good node.
    for _ in 0..6 {
        let res: Value = caller.call("worker.work", json!({})).await.unwrap();
        assert_eq!(res["node"], "cb-good");
    }
    assert_eq!(bad_calls.load(Ordering::SeqCst), 4);
    let listed: Value = caller
        .call("$node.actions", json!({ "withEndpoints": true }))
        .await
        .unwrap();
    let endpoints = listed
        .as_array()
        .and_then(|l| l.iter().find(|a| a["name"] == "worker.work"))
        .map(|a| a["endpoints"].clone())
        .unwrap();
    // As in Node: `state` is the endpoint's circuit, `available` its node.
    assert!(
        endpoints
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["nodeID"] == "cb-bad" && e["state"] == false && e["available"] == true),
        "{endpoints}"
    );

    // Half-open after 300 ms; the node is repaired, so the trial call closes the circuit.
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    assert_eq!(events(&log), ["$circuit-breaker.half-opened cb-bad"]);
    bad_failing.store(false, Ordering::SeqCst);
    let mut nodes = Vec::new();
    for _ in 0..4 {
        let res: Value = caller.call("worker.work", json!({})).await.unwrap();
        nodes.push(res["node"].as_str().unwrap().to_owned());
    }
    assert!(nodes.iter().any(|n| n == "cb-bad"), "{nodes:?}");
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    assert_eq!(events(&log), ["$circuit-breaker.closed cb-bad"]);
    assert!(good_calls.load(Ordering::SeqCst) >= 8);
    for broker in [&caller, &good, &bad] {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn under_concurrent_load_it_opens_once_and_a_failed_trial_reopens_it() {
    let log = Recorder::default();
    let (w, failing, calls) = worker(20);
    let broker = ServiceBroker::builder()
        .options(breaker_options(10, 200))
        .node_id("cb-local")
        .service(w)
        .service(Watcher { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();

    let burst = |n: usize| {
        let broker = broker.clone();
        async move {
            let calls = (0..n).map(|_| {
                let broker = broker.clone();
                tokio::spawn(async move { broker.call::<Value, _>("worker.work", json!({})).await })
            });
            let mut errors = Vec::new();
            for call in calls {
                if let Err(err) = call.await.unwrap() {
                    errors.push(err.kind());
                }
            }
            errors
        }
    };
    // 40 calls at once: all reach the handler (the circuit was closed when they started),
    // all fail, and the circuit opens once.
    let errors = burst(40).await;
    assert_eq!(errors.len(), 40);
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(events(&log), ["$circuit-breaker.opened cb-local"]);

    // Open: calls fail at once without reaching the handler.
    let before = calls.load(Ordering::SeqCst);
    let err = broker
        .call::<Value, _>("worker.work", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotAvailable);
    assert_eq!(calls.load(Ordering::SeqCst), before);

    // Half-open: one trial runs, calls made meanwhile are refused; the trial fails and the
    // circuit opens again.
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    assert_eq!(events(&log), ["$circuit-breaker.half-opened cb-local"]);
    let errors = burst(5).await;
    assert_eq!(errors.len(), 5);
    assert_eq!(
        errors
            .iter()
            .filter(|k| **k == ErrorKind::ServiceNotAvailable)
            .count(),
        4,
        "{errors:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    assert_eq!(events(&log), ["$circuit-breaker.opened cb-local"]);

    // Client errors (code < 500) do not count.
    failing.store(false, Ordering::SeqCst);
    for _ in 0..20 {
        let err = broker
            .call::<Value, _>("worker.refuse", json!({}))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 400);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(events(&log).is_empty());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_serving_nodes_breaker_counts_its_own_endpoint_for_remote_callers() {
    let log = Recorder::default();
    let (w, _failing, calls) = worker(0);
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .options(breaker_options(2, 60_000))
            .node_id("cb-serving")
            .service(w)
            .service(Watcher { log: log.clone() }),
        ServiceBroker::builder().node_id("cb-remote-caller"),
        "worker",
    )
    .await;
    for _ in 0..2 {
        let err = client
            .call::<Value, _>("worker.work", json!({}))
            .await
            .unwrap_err();
        assert_eq!(err.code(), 500);
    }
    // The circuit is the serving node's own endpoint, whoever called.
    assert!(log.wait_for(1, Duration::from_secs(2)).await);
    assert_eq!(events(&log), ["$circuit-breaker.opened cb-serving"]);
    let err = client
        .call::<Value, _>("worker.work", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotAvailable, "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
