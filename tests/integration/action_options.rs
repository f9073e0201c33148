//! An action's own options: read once when the service is bound (from the macro, the typed
//! setters, or a hand-written spec's keys), laid over the broker's sections, published in
//! INFO, and refused with the key's path when they do not read.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::service::{ActionSpec, BulkheadOverride, RetryPolicyOverride, ServiceSpec};
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{ErrorKind, ServiceBroker};
use serde_json::{Value, json};

#[derive(Default)]
struct Tuned;

#[service(name = "tuned", register = false)]
impl Tuned {
    #[action(bulkhead = { enabled: true, concurrency: 1, maxQueueSize: 0 }, timeout = 2000)]
    async fn single(&self, _ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(json!("done"))
    }
}

#[tokio::test]
async fn a_macro_bulkhead_applies_and_is_published() {
    let bus = FakeBus::new();
    let server = ServiceBroker::builder()
        .node_id("opts-server")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Tuned)
        .build()
        .unwrap();
    let watcher = ServiceBroker::builder()
        .node_id("opts-watcher")
        .transporter(FakeTransporter::new(bus))
        .build()
        .unwrap();
    server.start().await.unwrap();
    watcher.start().await.unwrap();
    // One call runs, the second finds the queue full (maxQueueSize 0).
    let (first, second) = tokio::join!(server.call::<Value, _>("tuned.single", json!({})), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.call::<Value, _>("tuned.single", json!({})).await
    });
    assert_eq!(first.unwrap(), json!("done"));
    assert_eq!(second.unwrap_err().kind(), ErrorKind::QueueIsFull);

    // Another node sees the options as published in INFO.
    watcher
        .wait_for_services(&["tuned"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let actions: Value = watcher
        .call(
            "$node.actions",
            json!({"onlyLocal": false, "withEndpoints": false}),
        )
        .await
        .unwrap();
    let def = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "tuned.single")
        .map(|a| a["action"].clone())
        .unwrap_or(Value::Null);
    assert_eq!(def["timeout"], 2000, "{def}");
    assert_eq!(
        def["bulkhead"],
        json!({"enabled": true, "concurrency": 1, "maxQueueSize": 0}),
        "{def}"
    );
    watcher.stop().await.unwrap();
    server.stop().await.unwrap();
}

#[derive(Default)]
struct Retried {
    attempts: std::sync::atomic::AtomicUsize,
}

impl moleculer::ServiceDef for Retried {
    fn spec() -> ServiceSpec<Retried> {
        ServiceSpec::new("retried").action(
            ActionSpec::<Retried>::new::<Value>("flaky", |svc, _ctx| {
                svc.attempts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Box::pin(async { Err(moleculer::Error::server("down").with_retryable(true)) })
            })
            .retry_policy(
                RetryPolicyOverride::default()
                    .enabled(true)
                    .retries(2)
                    .delay(1),
            )
            .bulkhead(BulkheadOverride::default().enabled(false)),
        )
    }
}

#[tokio::test]
async fn a_typed_retry_policy_over_the_brokers_retries_the_action() {
    let broker = ServiceBroker::builder().build().unwrap();
    broker.add_service(Retried::default()).unwrap();
    broker.start().await.unwrap();
    let err = broker
        .call::<Value, _>("retried.flaky", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "down");
    let actions: Value = broker
        .call("$node.actions", json!({"withEndpoints": false}))
        .await
        .unwrap();
    let def = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "retried.flaky")
        .map(|a| a["action"].clone())
        .unwrap_or(Value::Null);
    // The broker's policy is off; the action's own turns it on: 1 call + 2 retries.
    assert_eq!(
        def["retryPolicy"],
        json!({"enabled": true, "retries": 2, "delay": 1})
    );
    broker.stop().await.unwrap();
}

#[derive(Default)]
struct Misspelt;

impl moleculer::ServiceDef for Misspelt {
    fn spec() -> ServiceSpec<Misspelt> {
        ServiceSpec::new("misspelt").action(
            ActionSpec::<Misspelt>::new::<Value>("go", |_svc, _ctx| {
                Box::pin(async { Ok(moleculer::Payload::null()) })
            })
            .extra("bulkhead", json!({"concurency": 2})),
        )
    }
}

#[tokio::test]
async fn a_hand_written_option_that_does_not_read_is_refused() {
    let err = ServiceBroker::builder()
        .build()
        .unwrap()
        .add_service(Misspelt)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceSchema, "{err:?}");
    assert!(
        err.message().contains("bulkhead.concurency") && err.message().contains("concurrency"),
        "{}",
        err.message()
    );
}
