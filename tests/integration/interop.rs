//! Interop with real Node.js Moleculer nodes over NATS, for moleculer 0.14 (protocol v4) and
//! 0.15 (protocol v5), in both directions: calls with params, meta and headers, errors,
//! nested calls across languages, events with groups and broadcast, discovery, `$node.list`
//! and disconnect detection. Skipped when NATS or `node` is missing, unless
//! `MOLECULER_REQUIRE_BROKERS=1`.

use std::time::{Duration, Instant};

use moleculer::prelude::*;
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use moleculer_tests::{Recorder, eventually_some};
use serde_json::{Value, json};

/// The Rust side's services.
#[derive(Default)]
struct Rusty;

#[service(name = "rusty", register = false)]
impl Rusty {
    #[action(params = { a: "number", b: "number" })]
    async fn add(&self, ctx: Context) -> Result<f64> {
        ctx.set_meta("answeredBy", "rust");
        Ok(ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0))
    }

    /// Reports the context as this node received it.
    #[action]
    async fn whoami(&self, ctx: Context) -> Result<Value> {
        Ok(json!({
            "params": ctx.params,
            "meta": *ctx.meta(),
            "headers": ctx.headers(),
            "ctx": {
                "level": ctx.level(),
                "caller": ctx.caller(),
                "requestID": ctx.request_id().to_string(),
                "parentID": ctx.parent_id().map(ToString::to_string),
                "nodeID": ctx.node_id(),
                "id": ctx.id().to_string(),
            },
        }))
    }

    #[action]
    async fn fail(&self, ctx: Context) -> Result<Value> {
        Err(Error::client("Rust refused")
            .with_code(418)
            .with_type("TEAPOT")
            .with_data(json!({ "got": ctx.params })))
    }
}

struct Listener {
    seen: Recorder,
}

#[service(name = "listener", register = false)]
impl Listener {
    #[event(name = "interop.**")]
    async fn any(&self, ctx: EventContext) {
        self.seen.push(json!({
            "event": ctx.event_name(),
            "payload": ctx.params,
            "meta": *ctx.meta(),
            "nodeID": ctx.node_id(),
            "type": ctx.event_type().as_str(),
            "groups": ctx.event_groups(),
        }));
    }
}

fn namespace(version: NodeVersion, what: &str) -> String {
    moleculer_tests::unique_namespace(&format!("interop-{what}-v{}", version.env_value()))
}

fn rust_node(version: NodeVersion, ns: &str, id: &str) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .node_id(id)
        .namespace(ns)
        .transporter_url(&nats_url())
        .protocol_version(version.protocol_version())
}

async fn calls_both_ways(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = namespace(version, "calls");
    let seen = Recorder::default();
    let rust = rust_node(version, &ns, "rust-a")
        .service(Rusty)
        .service(Listener { seen: seen.clone() })
        .build()
        .unwrap();
    let (peer, started) = tokio::join!(
        NodePeer::spawn(
            version,
            "node-js",
            &ns,
            &["math", "echo", "recorder", "relay"]
        ),
        rust.start(),
    );
    let mut peer = peer.unwrap();
    started.unwrap();
    rust.wait_for_services(
        &["math", "echo", "recorder", "relay"],
        Some(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    peer.wait_for_services(&["rusty", "listener"], Duration::from_secs(10))
        .await
        .unwrap();
    let v5 = version == NodeVersion::V15;

    // Rust calls Node: params, meta and (v5) headers arrive; level 1, no caller.
    let sum: f64 = rust
        .call("math.add", json!({ "a": 2, "b": 3 }))
        .await
        .unwrap();
    assert_eq!(sum, 5.0);
    let mut opts = CallOptions::new().meta(json!({ "user": "ann" }));
    if v5 {
        opts = opts.headers(json!({ "x-trace": "t-1" }));
    }
    let echo: Value = rust
        .call_with("echo.echo", json!({ "x": [1, 2] }), opts)
        .await
        .unwrap();
    assert_eq!(echo["params"], json!({ "x": [1, 2] }), "{echo}");
    assert_eq!(echo["meta"], json!({ "user": "ann" }));
    assert_eq!(echo["ctx"]["level"], 1);
    assert_eq!(echo["ctx"]["caller"], Value::Null);
    assert_eq!(echo["ctx"]["nodeID"], "rust-a");
    assert!(echo["ctx"]["requestID"].is_string());
    if v5 {
        assert_eq!(echo["headers"], json!({ "x-trace": "t-1" }));
    }

    // Node's errors reach Rust with their class, code, type, data and node.
    let err = rust
        .call::<Value, _>("math.fail", json!({ "why": 1 }))
        .await
        .unwrap_err();
    assert_eq!(
        (err.name(), err.code(), err.error_type()),
        ("MoleculerClientError", 422, Some("MATH_FAILED")),
        "{err:?}"
    );
    assert_eq!(err.data(), Some(&json!({ "params": { "why": 1 } })));
    assert_eq!(err.node_id(), Some("node-js"));
    let err = rust
        .call::<Value, _>("math.add", json!({ "a": 1, "b": "two" }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    assert_eq!(err.data().unwrap()[0]["field"], "b");
    let err = rust
        .call_with::<Value, _>(
            "echo.slow",
            json!({ "ms": 1000 }),
            CallOptions::new().timeout(Duration::from_millis(150)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout, "{err:?}");
    let err = rust
        .call::<Value, _>("math.nothing", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);

    // Node calls Rust.
    let mut opts = json!({ "meta": { "tenant": "t1" } });
    if v5 {
        opts["headers"] = json!({ "x-h": "v" });
    }
    let who = peer
        .call("rusty.whoami", json!({ "q": "hello" }), opts)
        .await
        .unwrap();
    assert_eq!(who["params"], json!({ "q": "hello" }), "{who}");
    assert_eq!(who["meta"], json!({ "tenant": "t1" }));
    assert_eq!(who["ctx"]["nodeID"], "node-js");
    assert_eq!(who["ctx"]["level"], 1);
    if v5 {
        assert_eq!(who["headers"], json!({ "x-h": "v" }));
    }
    let sum = peer
        .call("rusty.add", json!({ "a": 40, "b": 2 }), Value::Null)
        .await
        .unwrap();
    assert_eq!(sum.as_f64(), Some(42.0), "{sum}");
    let err = peer
        .call("rusty.fail", json!({ "n": 1 }), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["name"], "MoleculerClientError", "{err}");
    assert_eq!(err["code"], 418);
    assert_eq!(err["type"], "TEAPOT");
    assert_eq!(err["data"], json!({ "got": { "n": 1 } }));
    let err = peer
        .call("rusty.add", json!({ "a": "x", "b": 1 }), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["name"], "ValidationError", "{err}");
    assert_eq!(err["data"][0]["field"], "a");

    // Nested across languages: Rust -> Node (relay.call) -> Rust (rusty.whoami). Each hop
    // sees the level grow, the caller service, the one request id, the parent's id; meta set
    // by the middle hop flows down and back.
    let nested: Value = rust
        .call_with(
            "relay.call",
            json!({ "action": "rusty.whoami", "params": { "deep": true } }),
            CallOptions::new().meta(json!({ "root": 1 })),
        )
        .await
        .unwrap();
    let (hop, inner) = (&nested["hop"], &nested["result"]);
    assert_eq!(hop["level"], 1, "{nested}");
    assert_eq!(hop["nodeID"], "rust-a");
    assert_eq!(inner["ctx"]["level"], 2, "{nested}");
    assert_eq!(inner["ctx"]["caller"], "relay");
    assert_eq!(inner["ctx"]["nodeID"], "node-js");
    assert_eq!(inner["ctx"]["requestID"], hop["requestID"]);
    assert_eq!(inner["ctx"]["parentID"], hop["id"]);
    assert_eq!(inner["params"], json!({ "deep": true }));
    assert_eq!(inner["meta"], json!({ "root": 1, "relayed": true }));

    // Node -> Rust -> Node is the mirror: Node calls relay-like Rust? Rust has no relay, so
    // Node calls its own relay to reach Rust: level and caller as above, seen from Node.
    let mirrored = peer
        .call(
            "relay.call",
            json!({ "action": "rusty.whoami", "params": {} }),
            Value::Null,
        )
        .await
        .unwrap();
    assert_eq!(mirrored["result"]["ctx"]["level"], 2, "{mirrored}");
    assert_eq!(mirrored["result"]["ctx"]["caller"], "relay");

    // Events, Rust -> Node: emit reaches the recorder group once; broadcast too.
    peer.call("recorder.clear", json!({}), Value::Null)
        .await
        .unwrap();
    rust.emit_with(
        "interop.emitted",
        json!({ "n": 1 }),
        EmitOptions::new().meta(json!({ "m": "e" })),
    )
    .await
    .unwrap();
    rust.broadcast("interop.broadcasted", json!({ "n": 2 }))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let got = loop {
        let list = peer
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        if list.as_array().map_or(0, Vec::len) >= 2 {
            break list;
        }
        assert!(Instant::now() < deadline, "Node recorded only {list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let by_name = |name: &str| {
        got.as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {got}"))
    };
    let emitted = by_name("interop.emitted");
    assert_eq!(emitted["payload"], json!({ "n": 1 }));
    assert_eq!(emitted["meta"], json!({ "m": "e" }));
    assert_eq!(emitted["nodeID"], "rust-a");
    assert_eq!(emitted["eventType"], "emit");
    assert_eq!(emitted["groups"], json!(["recorder"]));
    let broadcasted = by_name("interop.broadcasted");
    assert_eq!(broadcasted["eventType"], "broadcast");
    assert_eq!(got.as_array().unwrap().len(), 2, "{got}");

    // Events, Node -> Rust.
    peer.emit(
        "interop.from-node",
        json!({ "k": "v" }),
        json!({ "meta": { "mm": 1 } }),
    )
    .await
    .unwrap();
    peer.broadcast("interop.node-broadcast", json!([1, 2]), Value::Null)
        .await
        .unwrap();
    // The Rust listener also got the two Rust events above, locally: four in all.
    assert!(
        seen.wait_for(4, Duration::from_secs(5)).await,
        "{:?}",
        seen.take()
    );
    let mut got: Vec<Value> = seen
        .take()
        .into_iter()
        .filter(|e| e["nodeID"] == "node-js")
        .collect();
    got.sort_by_key(|e| e["event"].as_str().map(str::to_owned));
    assert_eq!(got[0]["event"], "interop.from-node", "{got:?}");
    assert_eq!(got[0]["payload"], json!({ "k": "v" }));
    assert_eq!(got[0]["meta"], json!({ "mm": 1 }));
    assert_eq!(got[0]["nodeID"], "node-js");
    assert_eq!(got[0]["type"], "emit");
    assert_eq!(got[0]["groups"], json!(["listener"]));
    assert_eq!(got[1]["event"], "interop.node-broadcast");
    assert_eq!(got[1]["type"], "broadcast");
    assert_eq!(got[1]["payload"], json!([1, 2]));

    // Each side lists the other.
    let nodes: Value = rust.call("$node.list", json!({})).await.unwrap();
    let js = nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "node-js")
        .unwrap_or_else(|| panic!("node-js missing from {nodes}"));
    assert_eq!(js["client"]["type"], "nodejs");
    assert_eq!(js["client"]["version"], version.moleculer_version());
    assert_eq!(js["available"], true);
    let nodes = peer.nodes().await.unwrap();
    let rs = nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "rust-a")
        .unwrap_or_else(|| panic!("rust-a missing from {nodes}"));
    assert_eq!(rs["client"]["type"], "rust", "{rs}");
    assert_eq!(rs["available"], true);

    // Rust pings Node.
    let pong = rust.ping("node-js", Duration::from_secs(2)).await.unwrap();
    assert_eq!(pong["nodeID"], "node-js", "{pong}");

    // Node stops: Rust sees it leave and its services go.
    assert!(peer.stop().await.unwrap().success());
    eventually_some("node-js to go offline", Duration::from_secs(5), || {
        let rust = rust.clone();
        async move {
            let nodes: Value = rust.call("$node.list", json!({})).await.unwrap();
            nodes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["id"] == "node-js" && n["available"] == false)
                .then_some(())
        }
    })
    .await;
    let err = rust
        .call::<Value, _>("math.add", json!({ "a": 1, "b": 1 }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound, "{err:?}");
    rust.stop().await.unwrap();
}

/// A Rust node stops gracefully: Node sees it disconnect and its services leave.
async fn node_sees_rust_leave(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = namespace(version, "leave");
    let rust = rust_node(version, &ns, "rust-leaving")
        .service(Rusty)
        .build()
        .unwrap();
    let (peer, started) = tokio::join!(NodePeer::spawn(version, "node-js", &ns, &[]), rust.start());
    let mut peer = peer.unwrap();
    started.unwrap();
    peer.wait_for_services(&["rusty"], Duration::from_secs(10))
        .await
        .unwrap();
    rust.stop().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let nodes = peer.nodes().await.unwrap();
        let gone = nodes.as_array().is_some_and(|l| {
            l.iter()
                .any(|n| n["id"] == "rust-leaving" && n["available"] == false)
        });
        if gone {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Node still lists rust-leaving: {nodes}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = peer
        .call("rusty.add", json!({ "a": 1, "b": 1 }), Value::Null)
        .await
        .unwrap_err();
    // Node keeps the emptied endpoint list: "not available" rather than "not found".
    assert_eq!(err["name"], "ServiceNotAvailableError", "{err}");
    assert!(peer.stop().await.unwrap().success());
}

#[tokio::test]
async fn calls_and_events_with_node_v14() {
    calls_both_ways(NodeVersion::V14).await;
}

#[tokio::test]
async fn calls_and_events_with_node_v15() {
    calls_both_ways(NodeVersion::V15).await;
}

#[tokio::test]
async fn node_v14_sees_rust_leave() {
    node_sees_rust_leave(NodeVersion::V14).await;
}

#[tokio::test]
async fn node_v15_sees_rust_leave() {
    node_sees_rust_leave(NodeVersion::V15).await;
}
