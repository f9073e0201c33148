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

    #[action(cache = { keys: ["limit", "offset"] })]
    async fn page(&self, ctx: Context<Find>) -> Result<Found> {
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

/// Keys of typed params' fields are the keys of the same params as JSON.
#[tokio::test]
async fn typed_and_json_params_make_the_same_keys() {
    let (broker, runs) = broker(json!({ "cacher": "Memory" })).await;
    let typed: Found = broker.call("posts.page", Find { limit: 5 }).await.unwrap();
    assert!(
        broker
            .cacher()
            .unwrap()
            .get("posts.page:5|undefined")
            .await
            .unwrap()
            .is_some()
    );
    let json: Found = broker
        .call("posts.page", json!({ "limit": 5 }))
        .await
        .unwrap();
    assert_eq!(typed, json);
    let other: Found = broker.call("posts.page", Find { limit: 6 }).await.unwrap();
    assert_eq!(other.run, 2);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
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

#[derive(Default)]
struct Tuned {
    runs: Arc<AtomicUsize>,
}

#[service(name = "tuned", register = false)]
impl Tuned {
    #[action(cache = { enabled: "cacheable", keygen: "own_key", ttl: 30 })]
    async fn get(&self, ctx: Context) -> Result<Value> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "id": ctx.params["id"], "run": run }))
    }

    #[action(cache = true)]
    async fn nothing(&self, _ctx: Context) -> Result<Value> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    }

    #[action(cache = { ttl: 2, lock: { staleTime: 1.8 } })]
    async fn stale(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(self.runs.fetch_add(1, Ordering::SeqCst) + 1))
    }

    fn cacheable(&self, ctx: &Context<Payload>) -> bool {
        ctx.meta().get("fresh") != Some(&json!(true))
    }

    fn own_key(&self, request: &moleculer::cacher::KeyRequest<'_>) -> String {
        format!("own:{}", request.default_key())
    }
}

async fn tuned(
    options: Value,
    version: moleculer::options::ProtocolVersion,
) -> (ServiceBroker, Arc<AtomicUsize>) {
    let service = Tuned::default();
    let runs = service.runs.clone();
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(options).unwrap())
        .protocol_version(version)
        .service(service)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    (broker, runs)
}

/// Node's `cache.enabled` function and action `keygen`, as methods named in the macro.
#[tokio::test]
async fn conditions_and_key_functions_of_the_service() {
    use moleculer::options::ProtocolVersion;
    let (broker, runs) = tuned(json!({ "cacher": "Memory" }), ProtocolVersion::V5).await;
    for _ in 0..2 {
        let _: Value = broker.call("tuned.get", json!({ "id": 1 })).await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let cacher = broker.cacher().unwrap();
    assert!(cacher.get("own:tuned.get:id|1").await.unwrap().is_some());
    let fresh = CallOptions::new().meta(json!({ "fresh": true }));
    for _ in 0..2 {
        let _: Value = broker
            .call_with("tuned.get", json!({ "id": 1 }), fresh.clone())
            .await
            .unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3, "the condition said no");
    // Functions are not published, as JSON drops Node's.
    let list: Value = broker
        .call("$node.actions", json!({ "onlyLocal": true }))
        .await
        .unwrap();
    let get = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "tuned.get")
        .unwrap();
    assert_eq!(get["action"]["cache"], json!({ "ttl": 30 }));
    broker.stop().await.unwrap();
}

/// `BrokerBuilder::cache_keygen` makes every key; `ServiceBroker::cache_key` gives the same.
#[tokio::test]
async fn the_brokers_key_function() {
    let service = Posts::default();
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "cacher": "Memory" })).unwrap())
        .cache_keygen(|request| format!("v2|{}", request.default_key()))
        .service(service)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let _: Value = broker.call("posts.all", json!({ "a": 1 })).await.unwrap();
    let params = json!({ "a": 1 });
    let source = moleculer::cacher::KeySource {
        params: Some(&params),
        ..Default::default()
    };
    let key = broker.cache_key("posts.all", source, None);
    assert_eq!(key, "v2|posts.all:a|1");
    assert!(broker.cacher().unwrap().get(&key).await.unwrap().is_some());
    broker.stop().await.unwrap();
}

/// A cached `null` is a hit in 0.15, unless `missingResponse` says it is none; 0.14 never
/// serves it.
#[tokio::test]
async fn a_cached_null_and_missing_response() {
    use moleculer::options::ProtocolVersion;
    for (cacher, version, runs_after_two) in [
        (json!("Memory"), ProtocolVersion::V5, 1),
        (
            json!({ "type": "Memory", "options": { "missingResponse": null } }),
            ProtocolVersion::V5,
            2,
        ),
        (json!("Memory"), ProtocolVersion::V4, 2),
    ] {
        let (broker, runs) = tuned(json!({ "cacher": cacher }), version).await;
        for _ in 0..2 {
            let found: Value = broker.call("tuned.nothing", json!({})).await.unwrap();
            assert_eq!(found, Value::Null);
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            runs_after_two,
            "{cacher} {version:?}"
        );
        broker.stop().await.unwrap();
    }
}

/// `lock.staleTime`: a value close to its end is served and refreshed in the background.
#[tokio::test]
async fn stale_values_are_served_and_refreshed() {
    use moleculer::options::ProtocolVersion;
    let (broker, runs) = tuned(json!({ "cacher": "Memory" }), ProtocolVersion::V5).await;
    let first: Value = broker.call("tuned.stale", json!({})).await.unwrap();
    assert_eq!(first, json!(1));
    let fresh: Value = broker.call("tuned.stale", json!({})).await.unwrap();
    assert_eq!(fresh, json!(1), "not stale yet: no refresh");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let stale: Value = broker.call("tuned.stale", json!({})).await.unwrap();
    assert_eq!(stale, json!(1), "the stale value is served");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while runs.load(Ordering::SeqCst) < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refreshed in the background"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let refreshed: Value = broker.call("tuned.stale", json!({})).await.unwrap();
    assert_eq!(refreshed, json!(2));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    broker.stop().await.unwrap();
}

/// `BrokerBuilder::cache_observer`: every read (found or not), write and clean is reported
/// with its time, the figures of Node's `moleculer.cacher.*` metrics.
#[tokio::test]
async fn the_observer_sees_every_cacher_operation() {
    let counters = Arc::new(moleculer::cacher::CacheCounters::new());
    let service = Posts::default();
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "cacher": "Memory" })).unwrap())
        .cache_observer(counters.clone())
        .service(service)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    for n in [1, 1, 2, 1] {
        let _: Value = broker.call("posts.all", json!({ "n": n })).await.unwrap();
    }
    broker.cacher().unwrap().clean(&["posts.**"]).await.unwrap();
    let counts = counters.counts();
    assert_eq!((counts.gets, counts.found, counts.missed()), (4, 2, 2));
    assert_eq!((counts.sets, counts.dels, counts.cleans), (2, 0, 1));
    assert!(counts.get_time > std::time::Duration::ZERO);
    broker.stop().await.unwrap();

    let err = ServiceBroker::builder()
        .cache_observer(moleculer::cacher::CacheCounters::new())
        .build()
        .unwrap_err();
    assert!(
        err.message().contains("needs a cacher"),
        "{}",
        err.message()
    );
}
