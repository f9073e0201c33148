//! The Redis cacher: Node's key prefix and stored bytes, `getWithTTL`, `del`, `clean` with
//! `*`/`**` (also over a Redis Cluster), Redlock locks shared between nodes, a server out of
//! reach (calls run uncached and the broker still starts), and a cache shared with real Node
//! nodes (0.14 and 0.15): a value cached by one side's handler is the other side's hit, and
//! `cache.clean.<service>` broadcasts clean on every node. Skipped when Redis (or Node, for
//! the interop tests) is missing, unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use moleculer::cacher::KeySource;
use moleculer::prelude::*;
use moleculer_tests::node::{
    NodePeer, NodeVersion, brokers_required, node_interop_available, redis_available, redis_url,
};
use moleculer_tests::{free_port, unique_namespace};
use serde_json::{Value, json};

use crate::redis::{PrivateCluster, PrivateRedis, redis_server_path};

/// The service the Node peers host too (`SERVICES=cached`), answering `by: "rust"`.
#[derive(Default)]
struct Cached {
    runs: Arc<AtomicUsize>,
}

#[service(name = "cached", register = false)]
impl Cached {
    #[action(cache = { keys: ["id", "#tenant"] })]
    async fn get(&self, ctx: Context) -> Result<Value> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "id": ctx.params["id"], "by": "rust", "run": run }))
    }

    #[action(cache = { ttl: 60 })]
    async fn find(&self, ctx: Context) -> Result<Value> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "query": ctx.params, "by": "rust", "run": run }))
    }

    #[action(cache = { lock: true, ttl: 30 })]
    async fn slow(&self, ctx: Context) -> Result<Value> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "n": ctx.params["n"], "run": run }))
    }
}

async fn rust_node(
    ns: &str,
    cacher: Value,
    transporter: Option<Value>,
    version: NodeVersion,
) -> (ServiceBroker, Arc<AtomicUsize>) {
    let cached = Cached::default();
    let runs = cached.runs.clone();
    let mut options = json!({ "nodeID": format!("rust-{ns}"), "namespace": ns, "cacher": cacher });
    if let Some(transporter) = transporter {
        options["transporter"] = transporter;
    }
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(options).unwrap())
        .protocol_version(version.protocol_version())
        .service(cached)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    (broker, runs)
}

fn redis_cacher(options: Value) -> Value {
    let mut options = options;
    options["redis"] = json!(redis_url());
    json!({ "type": "Redis", "options": options })
}

async fn raw_redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn keys_are_prefixed_and_values_stored_as_nodes() {
    if !redis_available().await {
        return;
    }
    let ns = unique_namespace("cache-redis");
    let (broker, _) = rust_node(&ns, redis_cacher(json!({})), None, NodeVersion::V15).await;
    let cacher = broker.cacher().unwrap().clone();
    assert_eq!(cacher.name(), "Redis");
    assert!(cacher.connected());
    let mut raw = raw_redis().await;
    let prefix = format!("MOL-{ns}-");

    cacher
        .set(
            "posts.get:1",
            json!({ "a": [1, "x"] }),
            Some(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let stored: String = redis::cmd("GET")
        .arg(format!("{prefix}posts.get:1"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(stored, r#"{"a":[1,"x"]}"#, "Node's JSON serializer's bytes");
    let cached = cacher.get_with_ttl("posts.get:1").await.unwrap().unwrap();
    assert_eq!(cached.value, json!({ "a": [1, "x"] }));
    assert!(
        cached.ttl.unwrap() > Duration::from_secs(28),
        "{:?}",
        cached.ttl
    );

    for key in ["posts.find:2", "posts.x.y:3", "users.get:4"] {
        cacher.set(key, json!(key), None).await.unwrap();
    }
    let left = cacher.get_with_ttl("users.get:4").await.unwrap().unwrap();
    assert_eq!(left.ttl, None, "no ttl: no expiry");
    cacher.clean(&["posts.*"]).await.unwrap();
    assert_eq!(cacher.get("posts.get:1").await.unwrap(), None);
    assert_eq!(cacher.get("posts.find:2").await.unwrap(), None);
    // Node turns `**` into Redis' `*`, and Redis' `*` spans dots too: `posts.*` took this.
    assert_eq!(cacher.get("posts.x.y:3").await.unwrap(), None);
    assert_eq!(
        cacher.get("users.get:4").await.unwrap(),
        Some(json!("users.get:4"))
    );
    cacher.del(&["users.get:4"]).await.unwrap();
    assert_eq!(cacher.get("users.get:4").await.unwrap(), None);

    // A value Node stored (any node of the namespace) reads back; one that does not parse is
    // a miss, logged.
    redis::cmd("SET")
        .arg(format!("{prefix}from.node:1"))
        .arg(r#"{"by":"node"}"#)
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        cacher.get("from.node:1").await.unwrap(),
        Some(json!({ "by": "node" }))
    );
    redis::cmd("SET")
        .arg(format!("{prefix}broken:1"))
        .arg("{not json")
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    assert_eq!(cacher.get("broken:1").await.unwrap(), None);
    cacher.clean(&["**"]).await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(keys.is_empty(), "{keys:?}");
    broker.stop().await.unwrap();

    // `prefix` and another serializer.
    let (broker, _) = rust_node(
        &ns,
        redis_cacher(json!({ "prefix": "APP", "serializer": "MsgPack" })),
        None,
        NodeVersion::V15,
    )
    .await;
    let cacher = broker.cacher().unwrap().clone();
    cacher.set("k", json!({ "n": 1 }), None).await.unwrap();
    let bytes: Vec<u8> = redis::cmd("GET")
        .arg("APP-k")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(bytes, b"\x81\xa1n\x01", "msgpack5's bytes");
    assert_eq!(cacher.get("k").await.unwrap(), Some(json!({ "n": 1 })));
    cacher.del(&["k"]).await.unwrap();
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_server_out_of_reach_means_uncached_calls() {
    let dead = format!("redis://127.0.0.1:{}", free_port());
    let ns = unique_namespace("cache-dead");
    let cacher =
        json!({ "type": "Redis", "options": { "redis": { "url": dead, "connectTimeout": 300 } } });
    let (broker, runs) = rust_node(&ns, cacher, None, NodeVersion::V15).await;
    assert!(!broker.cacher().unwrap().connected());
    for _ in 0..2 {
        let found: Value = broker.call("cached.get", json!({ "id": 1 })).await.unwrap();
        assert_eq!(found["by"], "rust");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "each call ran its handler");
    let err = broker.cacher().unwrap().get("x").await.unwrap_err();
    assert!(err.message().contains("not connected"), "{}", err.message());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_hundred_concurrent_misses_run_the_handler_once() {
    let mut cachers = vec![json!("Memory")];
    if redis_available().await {
        cachers.push(redis_cacher(json!({})));
    }
    for cacher in cachers {
        let ns = unique_namespace("cache-lock");
        let (broker, runs) = rust_node(&ns, cacher.clone(), None, NodeVersion::V15).await;
        let calls = (0..100).map(|_| {
            let broker = broker.clone();
            async move {
                broker
                    .call::<Value, _>("cached.slow", json!({ "n": 7 }))
                    .await
                    .unwrap()
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{cacher}: one handler run");
        assert!(
            answers.iter().all(|a| a == &json!({ "n": 7, "run": 1 })),
            "{cacher}"
        );
        broker.cacher().unwrap().clean(&["**"]).await.unwrap();
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn redis_locks_exclude_other_nodes() {
    if !redis_available().await {
        return;
    }
    let ns = unique_namespace("cache-redlock");
    let options =
        redis_cacher(json!({ "redlock": { "retryCount": 3, "retryDelay": 20, "retryJitter": 0 } }));
    let (a, _) = rust_node(&ns, options.clone(), None, NodeVersion::V15).await;
    let b = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "b", "namespace": ns, "cacher": options }))
                .unwrap(),
        )
        .build()
        .unwrap();
    b.start().await.unwrap();
    let (ca, cb) = (a.cacher().unwrap().clone(), b.cacher().unwrap().clone());
    let ttl = Duration::from_secs(5);
    let held = ca.lock("posts.get:1", ttl).await.unwrap();
    assert!(cb.try_lock("posts.get:1", ttl).await.unwrap().is_none());
    let err = cb.lock("posts.get:1", ttl).await.unwrap_err();
    assert!(
        err.message().contains("held elsewhere"),
        "{}",
        err.message()
    );
    let mut raw = raw_redis().await;
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("MOL-{ns}-posts.get:1-lock"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(exists, "Node's lock key");
    held.unlock().await.unwrap();
    let second = cb
        .try_lock("posts.get:1", ttl)
        .await
        .unwrap()
        .expect("free again");
    // Dropping a lock gives it back too.
    drop(second);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(ca.try_lock("posts.get:1", ttl).await.unwrap().is_some());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn clean_reaches_every_master_of_a_cluster() {
    let Some(bin) = private_redis_server() else {
        return;
    };
    let Some(cluster) = PrivateCluster::start(&bin) else {
        assert!(!brokers_required(), "redis-cli cannot create a cluster");
        println!("skipped: redis-cli cannot create a cluster");
        return;
    };
    let nodes: Vec<String> = cluster
        .ports()
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let cacher = json!({ "type": "Redis", "options": { "cluster": { "nodes": nodes } } });
    let ns = unique_namespace("cache-cluster");
    let (broker, runs) = rust_node(&ns, cacher, None, NodeVersion::V15).await;
    let cacher = broker.cacher().unwrap().clone();
    assert!(cacher.connected());
    // Keys spread over the slots of all three masters.
    let keys: Vec<String> = (0..30).map(|n| format!("cached.find:{n}")).collect();
    for key in &keys {
        cacher.set(key, json!(key), None).await.unwrap();
    }
    let mut on = std::collections::BTreeSet::new();
    for port in cluster.ports() {
        let mut raw = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let count: usize = redis::cmd("DBSIZE").query_async(&mut raw).await.unwrap();
        if count > 0 {
            on.insert(port);
        }
    }
    assert_eq!(on.len(), 3, "the keys sit on every master");
    let first: Value = broker.call("cached.get", json!({ "id": 1 })).await.unwrap();
    let again: Value = broker.call("cached.get", json!({ "id": 1 })).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    cacher.clean(&["cached.**"]).await.unwrap();
    for key in &keys {
        assert_eq!(cacher.get(key).await.unwrap(), None, "{key}");
    }
    broker.stop().await.unwrap();
}

/// A Rust node and a Node node of `version`, each hosting `cached`, share a Redis cacher:
/// each one's handler result is the other's hit.
async fn shared_with_node(version: NodeVersion) {
    if !(redis_available().await && node_interop_available().await) {
        return;
    }
    let ns = unique_namespace("cache-shared");
    let (rust, runs, mut node) = with_node(&ns, redis_cacher(json!({})), version).await;
    let meta = json!({ "meta": { "tenant": "t1" } });

    // Node's handler runs; the Rust node's call of its own action is a hit (once Node's `set`,
    // which its call does not wait for, is done).
    let by_node = node
        .call("cached.get", json!({ "id": 5 }), meta.clone())
        .await
        .unwrap();
    assert_eq!(by_node["by"], "node");
    let (id, tenant) = (json!({ "id": 5 }), json!({ "tenant": "t1" }));
    let source = KeySource {
        params: Some(&id),
        meta: tenant.as_object(),
        headers: None,
    };
    let keys = ["id".to_owned(), "#tenant".to_owned()];
    cached_soon(&rust, &rust.cache_key("cached.get", source, Some(&keys))).await;
    let options = CallOptions::new().meta(json!({ "tenant": "t1" }));
    let ctx_cached: Value = rust
        .call_with("cached.get", json!({ "id": 5 }), options)
        .await
        .unwrap();
    assert_eq!(
        ctx_cached, by_node,
        "{version:?}: Node's value is the Rust hit"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    // The other way round, with the whole params as the key.
    let params = json!({ "q": "rust", "tags": ["a", "b"], "page": { "n": 2 } });
    let by_rust: Value = rust.call("cached.find", params.clone()).await.unwrap();
    assert_eq!(by_rust["by"], "rust");
    let source = KeySource {
        params: Some(&params),
        ..KeySource::default()
    };
    cached_soon(&rust, &rust.cache_key("cached.find", source, None)).await;
    let from_node = node.call("cached.find", params, Value::Null).await.unwrap();
    assert_eq!(
        from_node, by_rust,
        "{version:?}: the Rust value is Node's hit"
    );
    let node_runs = node
        .call("cached.runs", Value::Null, Value::Null)
        .await
        .unwrap();
    assert_eq!(node_runs, json!(1), "Node ran only `get`");

    // The same key from both sides.
    let source = KeySource {
        params: Some(&id),
        meta: tenant.as_object(),
        headers: None,
    };
    let key = rust.cache_key("cached.get", source, Some(&keys));
    assert_eq!(
        rust.cacher().unwrap().get(&key).await.unwrap(),
        Some(by_node)
    );
    rust.cacher().unwrap().clean(&["cached.**"]).await.unwrap();
    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

/// The redis-server binary for the tests that start their own; `None` (printed, or a failure
/// when brokers are required) when it is not installed.
fn private_redis_server() -> Option<String> {
    let bin = redis_server_path();
    if bin.is_none() {
        assert!(!brokers_required(), "redis-server is not installed");
        println!("skipped: redis-server is not installed");
    }
    bin
}

/// A Rust node and a Node node of `version` on NATS, each hosting `cached`, both with `cacher`.
async fn with_node(
    ns: &str,
    cacher: Value,
    version: NodeVersion,
) -> (ServiceBroker, Arc<AtomicUsize>, NodePeer) {
    let nats = Some(json!(moleculer_tests::node::nats_url()));
    let (rust, runs) = rust_node(ns, cacher.clone(), nats, version).await;
    let options = json!({ "cacher": cacher });
    let node = NodePeer::spawn_with(version, &format!("node-{ns}"), ns, &["cached"], &options)
        .await
        .unwrap();
    (rust, runs, node)
}

/// Waits until `key` is in the broker's cacher (a `set` nobody waits for is done).
async fn cached_soon(broker: &ServiceBroker, key: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while broker.cacher().unwrap().get(key).await.unwrap().is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "`{key}` was not cached"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_redis_cache_shared_with_node_0_15() {
    shared_with_node(NodeVersion::V15).await;
}

#[tokio::test]
async fn a_redis_cache_shared_with_node_0_14() {
    shared_with_node(NodeVersion::V14).await;
}

/// moleculer-db's convention between nodes with memory cachers: a `cache.clean.cached`
/// broadcast from either side drops the other side's cached results.
#[tokio::test]
async fn cache_clean_broadcasts_clean_every_node() {
    if !node_interop_available().await {
        return;
    }
    for version in [NodeVersion::V15, NodeVersion::V14] {
        let ns = unique_namespace("cache-clean");
        let (rust, runs, mut node) = with_node(&ns, json!("Memory"), version).await;

        let _: Value = rust.call("cached.get", json!({ "id": 1 })).await.unwrap();
        let _: Value = rust.call("cached.get", json!({ "id": 1 })).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // Broadcast until Node knows the Rust node's handler and it has cleaned.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            node.broadcast("cache.clean.cached", Value::Null, Value::Null)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _: Value = rust.call("cached.get", json!({ "id": 1 })).await.unwrap();
            if runs.load(Ordering::SeqCst) >= 2 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{version:?}: Node's clean reached Rust"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        node.call("cached.get", json!({ "id": 1 }), Value::Null)
            .await
            .unwrap();
        node.call("cached.get", json!({ "id": 1 }), Value::Null)
            .await
            .unwrap();
        assert_eq!(
            node.call("cached.runs", Value::Null, Value::Null)
                .await
                .unwrap(),
            json!(1)
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            rust.broadcast("cache.clean.cached", json!({}))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            node.call("cached.get", json!({ "id": 1 }), Value::Null)
                .await
                .unwrap();
            let node_runs = node
                .call("cached.runs", Value::Null, Value::Null)
                .await
                .unwrap();
            if node_runs.as_u64().is_some_and(|n| n >= 2) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{version:?}: Rust's clean reached Node"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        node.stop().await.unwrap();
        rust.stop().await.unwrap();
    }
}

/// `pingInterval` notices a server that went away (calls then run uncached), the cacher
/// connects again when it is back, and `monitor` keeps a client in monitoring mode.
#[tokio::test]
async fn a_lost_server_is_noticed_and_found_again() {
    let Some(bin) = private_redis_server() else {
        return;
    };
    let port = free_port();
    let server = PrivateRedis::start(&bin, port);
    let url = format!("redis://127.0.0.1:{port}");
    let cacher = json!({
        "type": "Redis",
        "options": { "redis": url, "pingInterval": 100, "monitor": true }
    });
    let ns = unique_namespace("cache-lost");
    let (broker, runs) = rust_node(&ns, cacher, None, NodeVersion::V15).await;
    let cacher = broker.cacher().unwrap().clone();
    assert!(cacher.connected());
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let clients: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut raw)
            .await
            .unwrap();
        if clients.contains("cmd=monitor") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no monitoring client: {clients}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let call = || async {
        let _: Value = broker.call("cached.get", json!({ "id": 1 })).await.unwrap();
    };
    call().await;
    cached_soon(&broker, "cached.get:1|undefined").await;
    call().await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    drop(server);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while cacher.connected() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lost server went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    call().await;
    call().await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "uncached while the server is away"
    );

    let _server = PrivateRedis::start(&bin, port);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cacher.connected() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cacher did not connect again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    call().await;
    cached_soon(&broker, "cached.get:1|undefined").await;
    call().await;
    assert_eq!(runs.load(Ordering::SeqCst), 4, "cached again");
    broker.stop().await.unwrap();
}
