//! The action cache: `#[action(cache = …)]` with the `cacher` option (`Memory`,
//! `MemoryLRU`) or a cacher given to the builder; hits skip the handler, `$cache: false` in
//! the meta bypasses, keys follow `keys` (params and `#meta`), a clean drops entries, typed
//! calls are cached too, the setting is published in INFO, and a memory cacher is emptied when
//! the transporter connects.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use moleculer::cacher::{Cacher, MemoryCacher, MemoryOptions};
use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Default)]
struct Posts {
    runs: Arc<AtomicUsize>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
struct Find {
    limit: u32,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Found {
    limit: u32,
    run: usize,
}

#[service(name = "posts", register = false)]
impl Posts {
    #[action(cache = { keys: ["id", "#tenant"], ttl: 30 })]
    async fn get(&self, ctx: Context) -> Result<Value> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "id": ctx.params["id"], "run": run }))
    }

    #[action(cache = true)]
    async fn find(&self, ctx: Context<Find>) -> Result<Found> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Found {
            limit: ctx.params.limit,
            run,
        })
    }

    #[action(cache = true)]
    async fn all(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(self.runs.fetch_add(1, Ordering::SeqCst) + 1))
    }

    #[action]
    async fn plain(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(self.runs.fetch_add(1, Ordering::SeqCst) + 1))
    }
}

async fn broker(options: Value) -> (ServiceBroker, Arc<AtomicUsize>) {
    let posts = Posts::default();
    let runs = posts.runs.clone();
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(options).unwrap())
        .service(posts)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    (broker, runs)
}

#[tokio::test]
async fn hits_skip_the_handler_and_keys_follow_the_setting() {
    let (broker, runs) = broker(json!({ "cacher": "Memory" })).await;
    let call = |id: u32, tenant: &str| {
        let broker = broker.clone();
        let options = CallOptions::new().meta(json!({ "tenant": tenant }));
        async move {
            broker
                .call_with::<Value, _>("posts.get", json!({ "id": id, "other": 1 }), options)
                .await
                .unwrap()
        }
    };
    let first = call(1, "t1").await;
    assert_eq!(first, json!({ "id": 1, "run": 1 }));
    tokio::task::yield_now().await;
    assert_eq!(call(1, "t1").await, first, "a hit");
    assert_eq!(call(1, "t2").await["run"], 2, "another tenant, another key");
    assert_eq!(call(2, "t1").await["run"], 3, "another id, another key");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    // `$cache: false` in the meta runs the handler.
    let bypass = broker
        .call_with::<Value, _>(
            "posts.get",
            json!({ "id": 1 }),
            CallOptions::new().meta(json!({ "tenant": "t1", "$cache": false })),
        )
        .await
        .unwrap();
    assert_eq!(bypass["run"], 4);
    // Node's key, in the entry the call left.
    let cacher = broker.cacher().unwrap();
    assert!(cacher.get(r#"posts.get:1|"t1""#).await.unwrap().is_some());
    // A clean drops what matches.
    cacher.clean(&["posts.**"]).await.unwrap();
    assert_eq!(call(1, "t1").await["run"], 5);
    // No params are Node's `{}`: the key is the name and a colon.
    let _: Value = broker.call("posts.all", Value::Null).await.unwrap();
    tokio::task::yield_now().await;
    assert!(cacher.get("posts.all:").await.unwrap().is_some());
    // An action without a `cache` setting is never cached.
    let a: Value = broker.call("posts.plain", json!({})).await.unwrap();
    let b: Value = broker.call("posts.plain", json!({})).await.unwrap();
    assert_ne!(a, b);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn typed_calls_are_cached_too() {
    let (broker, runs) =
        broker(json!({ "cacher": { "type": "MemoryLRU", "options": { "max": 10 } } })).await;
    let first: Found = broker.call("posts.find", Find { limit: 5 }).await.unwrap();
    tokio::task::yield_now().await;
    let second: Found = broker.call("posts.find", Find { limit: 5 }).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(
        broker
            .cacher()
            .unwrap()
            .get("posts.find:limit|5")
            .await
            .unwrap()
            .is_some()
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn the_setting_is_published_as_given() {
    let (broker, _) = broker(json!({ "cacher": true })).await;
    let actions: Value = broker
        .call("$node.actions", json!({ "onlyLocal": true }))
        .await
        .unwrap();
    let def = |name: &str| {
        actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["action"].clone())
            .unwrap()
    };
    assert_eq!(
        def("posts.get")["cache"],
        json!({ "keys": ["id", "#tenant"], "ttl": 30 })
    );
    assert_eq!(def("posts.find")["cache"], json!(true));
    assert_eq!(def("posts.plain").get("cache"), None);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn options_that_cannot_be_honoured_are_refused() {
    for (cacher, says) in [
        (
            json!({ "type": "Redis", "options": { "serializer": "Avro" } }),
            "schemaless",
        ),
        (
            json!({ "type": "Memory", "options": { "keygen": "f" } }),
            "JavaScript function",
        ),
        (json!("Fancy"), "unknown cacher"),
    ] {
        let err = ServiceBroker::builder()
            .options(serde_json::from_value(json!({ "cacher": cacher })).unwrap())
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), moleculer::ErrorKind::BrokerOptions, "{err}");
        assert!(err.message().contains(says), "{cacher}: {}", err.message());
    }
}

#[tokio::test]
async fn a_memory_cacher_is_emptied_when_the_transporter_connects() {
    let cacher = MemoryCacher::new(MemoryOptions::default());
    let broker = ServiceBroker::builder()
        .transporter(FakeTransporter::new(FakeBus::new()))
        .cacher(cacher.clone())
        .build()
        .unwrap();
    cacher.set("stale", json!(1), None).await.unwrap();
    broker.start().await.unwrap();
    assert_eq!(cacher.get("stale").await.unwrap(), None);
    broker.stop().await.unwrap();
}

#[derive(Default)]
struct Users {
    runs: Arc<AtomicUsize>,
}

#[service(name = "users", register = false, settings = { "$cache": { keys: ["id"] } })]
impl Users {
    #[action]
    async fn get(&self, ctx: Context) -> Result<Value> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "id": ctx.params["id"], "run": run }))
    }

    #[action(cache = false)]
    async fn fresh(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(self.runs.fetch_add(1, Ordering::SeqCst) + 1))
    }
}

/// `settings.$cache` is the `cache` of every action without one of its own, as in Node.
#[tokio::test]
async fn settings_cache_applies_to_every_action_without_its_own() {
    let users = Users::default();
    let runs = users.runs.clone();
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "cacher": "Memory" })).unwrap())
        .service(users)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let a: Value = broker
        .call("users.get", json!({ "id": 7, "x": 1 }))
        .await
        .unwrap();
    tokio::task::yield_now().await;
    let b: Value = broker
        .call("users.get", json!({ "id": 7, "x": 2 }))
        .await
        .unwrap();
    assert_eq!(a, b, "keyed on `id` only");
    assert!(
        broker
            .cacher()
            .unwrap()
            .get("users.get:7")
            .await
            .unwrap()
            .is_some()
    );
    let f1: Value = broker.call("users.fresh", json!({})).await.unwrap();
    let f2: Value = broker.call("users.fresh", json!({})).await.unwrap();
    assert_ne!(f1, f2, "an action's own `cache = false` wins");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    broker.stop().await.unwrap();
}
