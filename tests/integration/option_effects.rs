//! What the broker options change: `validator`, `internalMiddlewares`,
//! `contextParamsCloning`, `maxSafeObjectSize`, the refusals at build, and the order in
//! which the builder merges options.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::{BrokerOptions, CallOptions, ErrorKind, Payload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Params that share a counter with whoever holds another handle of it.
#[derive(Serialize, Deserialize)]
struct Shared {
    counter: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Shop {
    hooks: Arc<AtomicUsize>,
}

#[service(name = "shop", register = false)]
impl Shop {
    #[action(params = { qty: "number|integer|positive" })]
    async fn buy(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params["qty"].clone())
    }

    #[action]
    async fn slow(&self, _ctx: Context) -> Result<&'static str> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        Ok("done")
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::server("broken"))
    }

    #[action]
    async fn bump(&self, ctx: Context<Shared>) -> Result<usize> {
        Ok(ctx.params.counter.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[hook(before = "buy")]
    async fn count(&self, _ctx: &mut Context<Payload>) -> Result<()> {
        self.hooks.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn started(options: BrokerOptions, hooks: Arc<AtomicUsize>) -> ServiceBroker {
    let broker = ServiceBroker::builder()
        .options(options)
        .service(Shop { hooks })
        .build()
        .expect("builds");
    broker.start().await.expect("starts");
    broker
}

fn options() -> BrokerOptions {
    let mut o = BrokerOptions::default();
    o.skip_process_event_registration = true;
    o
}

#[tokio::test]
async fn validator_false_turns_params_validation_off() {
    let broker = started(options(), Arc::default()).await;
    let err = broker
        .call::<Value, _>("shop.buy", json!({"qty": -1}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    broker.stop().await.unwrap();

    let mut o = options();
    o.validator = false;
    let broker = started(o, Arc::default()).await;
    let qty: Value = broker.call("shop.buy", json!({"qty": -1})).await.unwrap();
    assert_eq!(qty, json!(-1));
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn internal_middlewares_false_leaves_the_built_in_ones_out() {
    let hooks = Arc::new(AtomicUsize::new(0));
    let mut o = options();
    o.request_timeout = 50;
    let broker = started(o.clone(), hooks.clone()).await;
    let timed_out = broker.call::<String, _>("shop.slow", json!({})).await;
    assert_eq!(timed_out.unwrap_err().kind(), ErrorKind::RequestTimeout);
    let _ = broker.call::<Value, _>("shop.buy", json!({"qty": 1})).await;
    assert_eq!(hooks.load(Ordering::SeqCst), 1, "hooks run by default");
    let fallback = CallOptions::new().fallback_value(json!("fallback"));
    let answer: Value = broker
        .call_with("shop.fail", json!({}), fallback)
        .await
        .unwrap();
    assert_eq!(answer, json!("fallback"));
    broker.stop().await.unwrap();

    o.internal_middlewares = false;
    let broker = started(o, hooks.clone()).await;
    // No timeout, no hooks, no validation, no fallback.
    let done: String = broker.call("shop.slow", json!({})).await.unwrap();
    assert_eq!(done, "done");
    let qty: Value = broker.call("shop.buy", json!({"qty": -1})).await.unwrap();
    assert_eq!(qty, json!(-1));
    assert_eq!(hooks.load(Ordering::SeqCst), 1, "no hook ran");
    let fallback = CallOptions::new().fallback_value(json!("fallback"));
    let err = broker
        .call_with::<Value, _>("shop.fail", json!({}), fallback)
        .await
        .unwrap_err();
    assert_eq!(err.message(), "broken");
    broker.stop().await.unwrap();
}

#[test]
fn an_error_handler_without_the_built_in_middlewares_is_refused() {
    let mut o = options();
    o.internal_middlewares = false;
    let err = ServiceBroker::builder()
        .options(o)
        .error_handler(|err, _| Err(err))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokerOptions);
    assert!(err.message().contains("internalMiddlewares"), "{err}");
}

#[tokio::test]
async fn context_params_cloning_gives_the_handler_its_own_copy() {
    let broker = started(options(), Arc::default()).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen: usize = broker
        .call(
            "shop.bump",
            Shared {
                counter: counter.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (seen, counter.load(Ordering::SeqCst)),
        (1, 1),
        "moved: shared"
    );
    broker.stop().await.unwrap();

    let mut o = options();
    o.context_params_cloning = true;
    let broker = started(o, Arc::default()).await;
    let seen: usize = broker
        .call(
            "shop.bump",
            Shared {
                counter: counter.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(seen, 2, "the copy starts from the caller's value");
    assert_eq!(
        counter.load(Ordering::SeqCst),
        1,
        "the caller's counter is untouched"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn max_safe_object_size_truncates_the_safe_outputs() {
    let mut o = options();
    o.max_safe_object_size = Some(2);
    o.metadata
        .insert("zones".to_owned(), json!(["a", "b", "c"]));
    let broker = started(o, Arc::default()).await;
    let shown: Value = broker.call("$node.options", json!({})).await.unwrap();
    assert_eq!(shown["metadata"]["zones"], json!("[Array 3]"));
    assert_eq!(shown["maxSafeObjectSize"], json!(2));
    let nodes: Value = broker.call("$node.list", json!({})).await.unwrap();
    assert_eq!(nodes[0]["metadata"]["zones"], json!("[Array 3]"));
    broker.stop().await.unwrap();
}

#[test]
fn unsupported_features_are_refused_at_build() {
    let mut o = options();
    o.cacher = Some(json!({ "type": "Redis", "options": { "serializer": "Thrift" } }));
    let err = ServiceBroker::builder().options(o).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokerOptions);
    assert!(
        err.message()
            .contains("`cacher.options.serializer` must be"),
        "{err}"
    );
    assert!(err.message().contains("schemaless"), "{err}");

    let mut o = options();
    o.hot_reload = true;
    let err = ServiceBroker::builder().options(o).build().unwrap_err();
    assert!(err.message().contains("no code reload"), "{err}");
}

fn config(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("mol-option-effects-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_misspelt_key_in_a_file_stops_the_build_with_a_suggestion() {
    let path = config("typo.json", r#"{"requestTimout": 5000}"#);
    let err = ServiceBroker::builder()
        .config_file(&path)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokerOptions);
    let text = err.to_string();
    assert!(text.contains("requestTimout"), "{text}");
    assert!(text.contains("did you mean `requestTimeout`?"), "{text}");
}

#[test]
fn the_builder_merges_options_in_call_order() {
    let path = config(
        "merge.toml",
        "namespace = \"from-file\"\nrequestTimeout = 2000\n[registry]\npreferLocal = false\n",
    );
    let broker = ServiceBroker::builder()
        .node_id("set-before")
        .namespace("set-before")
        .request_timeout(Duration::from_millis(100))
        .config_file(&path)
        .request_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let o = broker.options();
    assert_eq!(broker.node_id(), "set-before", "the file does not set it");
    assert_eq!(o.namespace, "from-file", "the file comes later");
    assert_eq!(o.request_timeout, 3000, "the last call wins");
    assert!(!o.registry.prefer_local);
    assert_eq!(o.registry.stop_delay, 100, "a section merges key by key");
}
