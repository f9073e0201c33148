//! Errors: Moleculer's error set from the broker, custom errors from handlers, validation
//! errors' shape, fallback responses, mcall.

use std::fmt;
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::{CallDef, ErrorKind, MultiCall};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug)]
enum ShopError {
    OutOfStock(u32),
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::OutOfStock(id) => write!(f, "item {id} is out of stock"),
        }
    }
}

impl From<ShopError> for Error {
    fn from(err: ShopError) -> Error {
        match err {
            ShopError::OutOfStock(id) => Error::client(err.to_string())
                .with_code(409)
                .with_type("OUT_OF_STOCK")
                .with_data(json!({ "id": id })),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
struct Order {
    #[validate(range(min = 1))]
    id: u32,
    #[validate(email)]
    email: String,
    note: Option<String>,
}

#[derive(Default)]
struct Shop;

#[service(name = "shop")]
impl Shop {
    #[action(params = Order)]
    async fn buy(&self, ctx: Context<Order>) -> std::result::Result<u32, ShopError> {
        if ctx.params.id == 13 {
            return Err(ShopError::OutOfStock(13));
        }
        Ok(ctx.params.id)
    }

    #[action(params = { name: "string|min:2", tags: { type: "array", items: "string", min: 1 }, "$$strict": true })]
    async fn tag(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[action]
    async fn crash(&self) -> Result<()> {
        Err(Error::server("database down").with_type("DB"))
    }

    #[action(timeout = 20)]
    async fn slow(&self) -> Result<u8> {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        Ok(1)
    }
}

async fn broker() -> ServiceBroker {
    let b = ServiceBroker::builder()
        .node_id("err-node")
        .service(Shop)
        .build()
        .unwrap();
    b.start().await.unwrap();
    b
}

#[tokio::test]
async fn custom_errors_convert() {
    let b = broker().await;
    let ok: u32 = b
        .call("shop.buy", json!({"id": 3, "email": "a@b.io"}))
        .await
        .unwrap();
    assert_eq!(ok, 3);
    let err = b
        .call::<u32, _>("shop.buy", json!({"id": 13, "email": "a@b.io"}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.error_type()),
        (ErrorKind::Client, 409, Some("OUT_OF_STOCK"))
    );
    assert_eq!(err.data(), Some(&json!({"id": 13})));
    assert_eq!(err.message(), "item 13 is out of stock");
    let wire = err.to_wire();
    assert_eq!(wire["name"], "MoleculerClientError");
    assert_eq!(wire["retryable"], false);
}

#[tokio::test]
async fn typed_params_validation_errors_have_node_shape() {
    let b = broker().await;
    let err = b
        .call::<u32, _>("shop.buy", json!({"email": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.error_type()),
        (ErrorKind::Validation, 422, Some("VALIDATION_ERROR"))
    );
    assert_eq!(err.message(), "Parameters validation error!");
    let data = err.data().unwrap().as_array().unwrap();
    let required = data
        .iter()
        .find(|d| d["field"] == "id")
        .expect("a required error for id");
    assert_eq!(required["type"], "required");
    assert_eq!(required["message"], "The 'id' field is required.");
    assert_eq!(required["nodeID"], "err-node");
    assert_eq!(required["action"], "shop.buy");
    // Typed caller: only the validator rules run.
    let err = b
        .call::<u32, _>(
            "shop.buy",
            Order {
                id: 0,
                email: "x".into(),
                note: None,
            },
        )
        .await
        .unwrap_err();
    let data = err.data().unwrap().as_array().unwrap();
    let types: Vec<&str> = data.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["email", "numberMin"]);
    assert_eq!(
        data[1]["message"],
        "The 'id' field must be greater than or equal to 1."
    );
}

#[tokio::test]
async fn schema_params_validation_errors() {
    let b = broker().await;
    let ok: Value = b
        .call("shop.tag", json!({"name": "ab", "tags": ["x"]}))
        .await
        .unwrap();
    assert_eq!(ok["tags"], json!(["x"]));
    let err = b
        .call::<Value, _>("shop.tag", json!({"name": "a", "tags": [1]}))
        .await
        .unwrap_err();
    let data = err.data().unwrap().as_array().unwrap();
    assert_eq!(data[0]["type"], "stringMin");
    assert_eq!(data[0]["field"], "name");
    assert_eq!(data[0]["actual"], 1, "fastest-validator reports the length");
    assert_eq!(data[0]["expected"], 2);
    assert_eq!(data[1]["type"], "string");
    assert_eq!(data[1]["field"], "tags[0]");
    let err = b
        .call::<Value, _>("shop.tag", json!({"name": "ab", "tags": ["x"], "extra": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.data().unwrap()[0]["type"], "objectStrict");
}

#[tokio::test]
async fn broker_errors() {
    let b = broker().await;
    let err = b
        .call::<Value, _>("shop.nope", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.error_type()),
        (ErrorKind::ServiceNotFound, 404, Some("SERVICE_NOT_FOUND"))
    );
    assert_eq!(err.message(), "Service 'shop.nope' is not found.");
    assert_eq!(err.data().unwrap()["action"], "shop.nope");
    let err = b
        .call_with::<Value, _>("shop.crash", json!({}), CallOptions::new().node_id("other"))
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        "Service 'shop.crash' is not found on 'other' node."
    );
    let err = b.call::<(), _>("shop.crash", json!({})).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.is_retryable()),
        (ErrorKind::Server, 500, true)
    );
    let err = b.call::<u8, _>("shop.slow", json!({})).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.error_type()),
        (ErrorKind::RequestTimeout, 504, Some("REQUEST_TIMEOUT"))
    );
    assert_eq!(
        err.data().unwrap(),
        &json!({"action": "shop.slow", "nodeID": "err-node"})
    );
    // The call option overrides the action's timeout.
    let ok: u8 = b
        .call_with(
            "shop.slow",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(1000)),
        )
        .await
        .unwrap();
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn wrong_result_type_is_a_clear_error() {
    let b = broker().await;
    let err = b
        .call::<String, _>("shop.buy", json!({"id": 3, "email": "a@b.io"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("INVALID_RESPONSE"));
}

#[tokio::test]
async fn fallback_responses() {
    let b = broker().await;
    let v: u8 = b
        .call_with(
            "shop.crash",
            json!({}),
            CallOptions::new().fallback_value(7_u8),
        )
        .await
        .unwrap();
    assert_eq!(v, 7);
    let v: String = b
        .call_with(
            "shop.crash",
            json!({}),
            CallOptions::new().fallback_fn(|err| {
                Ok(moleculer::Payload::typed(format!(
                    "fallback: {}",
                    err.message()
                )))
            }),
        )
        .await
        .unwrap();
    assert_eq!(v, "fallback: database down");
}

#[tokio::test]
async fn mcall_list_map_and_settled() {
    let b = broker().await;
    let list = b
        .mcall(MultiCall::list([
            CallDef::new("shop.buy", json!({"id": 1, "email": "a@b.io"})),
            CallDef::new("shop.buy", json!({"id": 2, "email": "a@b.io"})),
        ]))
        .await
        .unwrap();
    assert_eq!(list, json!([1, 2]));
    let map = b
        .mcall(
            MultiCall::from_json(
                &json!({"one": {"action": "shop.buy", "params": {"id": 1, "email": "a@b.io"}}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(map, json!({"one": 1}));
    let err = b
        .mcall(MultiCall::list([
            CallDef::new("shop.crash", json!({})),
            CallDef::new("shop.buy", json!({"id": 1, "email": "a@b.io"})),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("DB"));
    let settled = b
        .mcall(
            MultiCall::list([
                CallDef::new("shop.crash", json!({})),
                CallDef::new("shop.buy", json!({"id": 1, "email": "a@b.io"})),
            ])
            .settled(true),
        )
        .await
        .unwrap();
    assert_eq!(settled[0]["status"], "rejected");
    assert_eq!(settled[0]["reason"]["type"], "DB");
    assert_eq!(settled[1], json!({"status": "fulfilled", "value": 1}));
    let err = MultiCall::from_json(&json!("nope")).unwrap_err();
    assert_eq!(err.error_type(), Some("INVALID_PARAMETERS"));
}
