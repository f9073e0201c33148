//! An action's own fallback: runs when a call fails (its handler's error, a timeout, the
//! last retry), unless the caller gave a `fallback_response`; on the node that serves the
//! action, so remote callers get it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::BrokerOptions;
use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use serde_json::{Value, json};

#[derive(Default)]
struct Catalog {
    calls: Arc<AtomicUsize>,
}

#[service(name = "catalog", register = false)]
impl Catalog {
    #[action(fallback = "cached")]
    async fn item(&self, ctx: Context) -> Result<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if ctx.params["slow"] == true {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Err(Error::server("database down"))
    }

    #[action]
    async fn plain(&self, _ctx: Context) -> Result<Value> {
        Err(Error::server("no fallback here"))
    }

    async fn cached(&self, ctx: &Context<Payload>, err: Error) -> Result<Value> {
        let params = ctx.params.to_json()?;
        Ok(json!({ "id": params["id"], "cached": true, "because": err.message() }))
    }
}

fn options(json: Value) -> BrokerOptions {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn the_actions_fallback_answers_failures_and_timeouts() {
    let calls = Arc::new(AtomicUsize::new(0));
    let broker = ServiceBroker::builder()
        .node_id("fallback-local")
        .service(Catalog {
            calls: calls.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();

    let res: Value = broker
        .call("catalog.item", json!({ "id": 7 }))
        .await
        .unwrap();
    assert_eq!(
        res,
        json!({ "id": 7, "cached": true, "because": "database down" })
    );

    // A timeout is a failure too (the fallback sits outside the timeout).
    let res: Value = broker
        .call_with(
            "catalog.item",
            json!({ "id": 8, "slow": true }),
            CallOptions::new().timeout_ms(50),
        )
        .await
        .unwrap();
    assert_eq!(res["id"], 8);
    assert!(
        res["because"].as_str().unwrap().contains("timed out"),
        "{res}"
    );

    // The caller's fallback response wins over the action's.
    let res: Value = broker
        .call_with(
            "catalog.item",
            json!({ "id": 9 }),
            CallOptions::new().fallback_value(json!("from the caller")),
        )
        .await
        .unwrap();
    assert_eq!(res, json!("from the caller"));

    // Without a fallback, the error stays.
    let err = broker
        .call::<Value, _>("catalog.plain", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "no fallback here");
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn the_fallback_runs_once_after_the_last_retry() {
    let calls = Arc::new(AtomicUsize::new(0));
    let broker = ServiceBroker::builder()
        .options(options(
            json!({ "retryPolicy": { "enabled": true, "retries": 2, "delay": 5 } }),
        ))
        .node_id("fallback-retry")
        .service(Catalog {
            calls: calls.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let res: Value = broker
        .call("catalog.item", json!({ "id": 1 }))
        .await
        .unwrap();
    assert_eq!(res["cached"], true);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_remote_caller_gets_the_fallback_of_the_serving_node() {
    let bus = FakeBus::new();
    let server = ServiceBroker::builder()
        .node_id("fallback-server")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Catalog::default())
        .build()
        .unwrap();
    let client = ServiceBroker::builder()
        .node_id("fallback-client")
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    server.start().await.unwrap();
    client.start().await.unwrap();
    client
        .wait_for_services(&["catalog"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let res: Value = client
        .call("catalog.item", json!({ "id": 3 }))
        .await
        .unwrap();
    assert_eq!(
        res,
        json!({ "id": 3, "cached": true, "because": "database down" })
    );
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
