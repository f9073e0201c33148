//! An action's own fallback: runs when a call fails (its handler's error, a timeout, the
//! last retry), unless the caller gave a `fallback_response`; on the node that serves the
//! action, so remote callers get it too. The broker's error handler sees what the fallbacks
//! leave: failed calls (selection errors included), served requests, event handlers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::BrokerOptions;
use moleculer::prelude::*;
use moleculer_tests::started_on_one_bus;
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
            CallOptions::new().timeout(Duration::from_millis(50)),
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
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .node_id("fallback-server")
            .service(Catalog::default()),
        ServiceBroker::builder().node_id("fallback-client"),
        "catalog",
    )
    .await;
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

/// Fails every event it gets.
struct Grumpy;

#[service(name = "grumpy", register = false)]
impl Grumpy {
    #[event(name = "grumpy.poke")]
    async fn poked(&self, _ctx: EventContext) -> Result<()> {
        Err(Error::server("leave me alone"))
    }
}

#[tokio::test]
async fn the_error_handler_sees_what_the_fallbacks_leave() {
    let seen = moleculer_tests::Recorder::default();
    let recorder = seen.clone();
    let broker = ServiceBroker::builder()
        .node_id("error-handler")
        .error_handler(move |err: Error, info: &moleculer::ErrorInfo<'_>| {
            recorder.push(json!({
                "action": info.action,
                "event": info.event,
                "service": info.service,
                "code": err.code(),
            }));
            match err.code() {
                // Not found (an endpoint selection error): answered.
                404 => Ok(Payload::json(json!("handled"))),
                // An event handler's error: silenced.
                _ if info.event.is_some() => Ok(Payload::null()),
                _ => Err(err.with_type("SEEN")),
            }
        })
        .service(Catalog::default())
        .service(Grumpy)
        .build()
        .unwrap();
    broker.start().await.unwrap();

    let res: Value = broker.call("nothing.here", json!({})).await.unwrap();
    assert_eq!(res, json!("handled"));
    let err = broker
        .call::<Value, _>("catalog.plain", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("SEEN"));
    // The action's fallback answered: the error handler is not called.
    let res: Value = broker
        .call("catalog.item", json!({ "id": 1 }))
        .await
        .unwrap();
    assert_eq!(res["cached"], true);
    broker
        .emit_with(
            "grumpy.poke",
            json!({}),
            moleculer::EmitOptions::new().throw_error(true),
        )
        .await
        .unwrap();
    assert_eq!(
        seen.take(),
        [
            json!({ "action": "nothing.here", "event": null, "service": null, "code": 404 }),
            json!({ "action": "catalog.plain", "event": null, "service": null, "code": 500 }),
            json!({ "action": null, "event": "grumpy.poke", "service": "grumpy", "code": 500 }),
        ]
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn the_serving_nodes_error_handler_shapes_what_a_remote_caller_gets() {
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .node_id("eh-server")
            .error_handler(|err: Error, info: &moleculer::ErrorInfo<'_>| {
                Err(err.with_data(json!({ "caller": info.caller_node_id })))
            })
            .service(Catalog::default()),
        ServiceBroker::builder().node_id("eh-client"),
        "catalog",
    )
    .await;
    let err = client
        .call::<Value, _>("catalog.plain", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.data(), Some(&json!({ "caller": "eh-client" })));
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
