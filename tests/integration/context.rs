//! Context propagation: level, ids, caller, meta merge-back, headers, distributed timeout.

use std::time::Duration;

use moleculer::ErrorKind;
use moleculer::prelude::*;
use serde_json::{Value, json};

#[derive(Default)]
struct Outer;

#[service(name = "outer")]
impl Outer {
    #[action]
    async fn run(&self, ctx: Context) -> Result<Value> {
        ctx.set_meta("fromOuter", 1);
        let inner: Value = ctx.call("inner.info", json!({"x": 1})).await?;
        // Meta set by the callee is merged back into this context.
        let seen = ctx.meta().get("fromInner").cloned().unwrap_or(Value::Null);
        Ok(json!({
            "self": { "id": ctx.id().to_string(), "requestID": ctx.request_id().to_string(), "level": ctx.level() },
            "inner": inner,
            "mergedBack": seen,
        }))
    }

    #[action]
    async fn slow_chain(&self, ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(60)).await;
        ctx.call("inner.info", json!({})).await
    }

    #[action]
    async fn deep(&self, ctx: Context) -> Result<u32> {
        let depth = ctx.params["n"].as_u64().unwrap_or(0);
        if depth == 0 {
            return Ok(ctx.level());
        }
        ctx.call("outer.deep", json!({"n": depth - 1})).await
    }
}

#[derive(Default)]
struct Inner;

#[service(name = "inner", version = 2, settings("$noVersionPrefix" = true))]
impl Inner {
    #[action]
    async fn info(&self, ctx: Context) -> Result<Value> {
        ctx.set_meta("fromInner", "yes");
        Ok(json!({
            "level": ctx.level(),
            "caller": ctx.caller(),
            "parentID": ctx.parent_id().map(ToString::to_string),
            "requestID": ctx.request_id().to_string(),
            "meta": *ctx.meta(),
            "headers": ctx.headers(),
            "remaining": ctx.remaining_timeout().map(|d| d.as_millis() as u64),
        }))
    }
}

async fn broker(max_call_level: u32) -> ServiceBroker {
    let b = ServiceBroker::builder()
        .node_id("ctx-node")
        .max_call_level(max_call_level)
        .service(Outer)
        .service(Inner)
        .build()
        .unwrap();
    b.start().await.unwrap();
    b
}

#[tokio::test]
async fn sub_calls_carry_the_context() {
    let b = broker(0).await;
    let out: Value = b
        .call_with(
            "outer.run",
            json!({}),
            CallOptions::new()
                .meta(json!({"user": "john"}))
                .headers(json!({"h": 1})),
        )
        .await
        .unwrap();
    let me = &out["self"];
    let inner = &out["inner"];
    assert_eq!(me["level"], 1);
    assert_eq!(
        me["id"], me["requestID"],
        "a root context's request id is its own id"
    );
    assert_eq!(inner["level"], 2);
    assert_eq!(
        inner["caller"], "outer",
        "caller is the calling service's full name"
    );
    assert_eq!(inner["parentID"], me["id"]);
    assert_eq!(inner["requestID"], me["requestID"]);
    assert_eq!(inner["meta"]["user"], "john", "meta flows down");
    assert_eq!(inner["meta"]["fromOuter"], 1);
    assert_eq!(
        inner["headers"],
        json!({}),
        "headers do not flow to sub-calls"
    );
    assert_eq!(out["mergedBack"], "yes", "meta flows back up");
    b.stop().await.unwrap();
}

#[tokio::test]
async fn request_id_and_caller_options() {
    let b = broker(0).await;
    let out: Value = b
        .call_with(
            "inner.info",
            json!({}),
            CallOptions::new().request_id("req-1").caller("api"),
        )
        .await
        .unwrap();
    assert_eq!(out["requestID"], "req-1");
    assert_eq!(out["caller"], "api");
    assert_eq!(out["level"], 1);
}

#[tokio::test]
async fn distributed_timeout_shrinks_and_skips() {
    let b = broker(0).await;
    // 100 ms budget: the inner call sees what is left.
    let out: Value = b
        .call_with(
            "outer.slow_chain",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    let remaining = out["remaining"].as_u64().unwrap();
    assert!(remaining < 200 && remaining > 0, "remaining {remaining}");
    // The budget runs out while the outer handler sleeps: the outer call times out.
    let err = b
        .call_with::<Value, _>(
            "outer.slow_chain",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(20)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout);
    assert_eq!(err.code(), 504);
    assert_eq!(err.data().unwrap()["action"], "outer.slow_chain");
}

#[tokio::test]
async fn max_call_level_is_enforced() {
    let b = broker(3).await;
    let level: u32 = b.call("outer.deep", json!({"n": 2})).await.unwrap();
    assert_eq!(level, 3);
    let err = b
        .call::<u32, _>("outer.deep", json!({"n": 3}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxCallLevel);
    assert_eq!(err.error_type(), Some("MAX_CALL_LEVEL"));
    assert_eq!(err.data().unwrap()["level"], 3);
    assert_eq!(err.data().unwrap()["nodeID"], "ctx-node");
}

#[tokio::test]
async fn locals_stay_in_the_request() {
    #[derive(Default)]
    struct L;
    #[service(name = "locals")]
    impl L {
        #[action]
        async fn go(&self, ctx: Context) -> Result<u32> {
            ctx.set_local(41_u32);
            Ok(ctx.local::<u32>().unwrap_or(0) + 1)
        }
    }
    let b = ServiceBroker::builder().service(L).build().unwrap();
    b.start().await.unwrap();
    assert_eq!(b.call::<u32, _>("locals.go", json!({})).await.unwrap(), 42);
}
