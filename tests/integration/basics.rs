use moleculer::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
struct AddParams {
    #[validate(range(min = -1e9, max = 1e9))]
    a: f64,
    b: f64,
}

#[derive(Default)]
struct Math;

#[service(
    name = "math",
    version = 2,
    settings(precision = 2),
    metadata(team = "core")
)]
impl Math {
    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }

    #[action(name = "hello", params = { name: "string|min:2", age: "number|optional" }, visibility = "public", timeout = 3000)]
    async fn greet(&self, ctx: Context) -> Result<String> {
        Ok(format!(
            "Hello {}",
            ctx.params["name"].as_str().unwrap_or_default()
        ))
    }
}

#[tokio::test]
async fn typed_and_json_calls() {
    let broker = ServiceBroker::builder()
        .node_id("t1")
        .service(Math)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let sum: f64 = broker
        .call("v2.math.add", AddParams { a: 1.0, b: 2.0 })
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    let sum: Value = broker
        .call("v2.math.add", json!({"a": 5, "b": 2}))
        .await
        .unwrap();
    assert_eq!(sum, json!(7.0));
    let hi: String = broker
        .call("v2.math.hello", json!({"name": "John"}))
        .await
        .unwrap();
    assert_eq!(hi, "Hello John");
    let err = broker
        .call::<Value, _>("v2.math.add", json!({"a": 5e10, "b": 2}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422);
    println!("{err:?}");
    let err = broker
        .call::<Value, _>("v2.math.nope", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("SERVICE_NOT_FOUND"));
    broker.stop().await.unwrap();
}

#[derive(Default)]
struct Echo;

#[service(name = "echo")]
impl Echo {
    #[action]
    async fn params(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[action]
    async fn nested(&self, ctx: Context) -> Result<f64> {
        // A typed sub-call: takes the same lending path as a root call.
        ctx.call("v2.math.add", AddParams { a: 2.0, b: 3.0 }).await
    }
}

#[tokio::test]
async fn missing_params_become_an_empty_object() {
    let broker = ServiceBroker::builder()
        .service(Echo)
        .service(Math)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    // Node: `params === undefined` becomes `{}`, whichever way the call is made.
    let p: Value = broker.call("echo.params", ()).await.unwrap();
    assert_eq!(p, json!({}));
    let p: Value = broker.call("echo.params", Value::Null).await.unwrap();
    assert_eq!(p, json!({}));
    let p: Value = broker
        .call_with("echo.params", (), CallOptions::new())
        .await
        .unwrap();
    assert_eq!(p, json!({}));
    let sum: f64 = broker.call("echo.nested", ()).await.unwrap();
    assert_eq!(sum, 5.0);
}
