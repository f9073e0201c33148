//! What every transporter's interop test checks, with a real Node.js Moleculer node on the
//! same transport: calls both ways with params, meta and errors, events both ways (balanced,
//! broadcast, for explicit groups), the Node node seen leaving; and balancing across two
//! nodes of each kind.

use std::time::{Duration, Instant};

use moleculer::options::{PluginKind, SerializerKind};
use moleculer::prelude::*;
use moleculer::transporter::Transporter;
use moleculer_tests::Recorder;
use moleculer_tests::node::{NodePeer, NodeVersion};
use serde_json::{Value, json};

/// The Rust side's service: who called, a refusal, and what it heard.
#[derive(Default)]
pub(crate) struct Rusty {
    pub(crate) seen: Recorder,
}

#[service(name = "rusty", register = false)]
impl Rusty {
    #[action]
    async fn whoami(&self, ctx: Context) -> Result<Value> {
        Ok(json!({
            "params": ctx.params,
            "meta": *ctx.meta(),
            "nodeID": ctx.node_id(),
            "servedBy": ctx.broker().node_id(),
        }))
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::client("Rust refused")
            .with_code(418)
            .with_type("TEAPOT"))
    }

    #[event(name = "wire.*")]
    async fn on_wire(&self, ctx: EventContext) {
        self.seen.push(json!({
            "event": ctx.event_name(),
            "payload": ctx.params,
            "from": ctx.node_id(),
            "groups": ctx.event_groups(),
        }));
    }

    #[event(name = "$transporter.connected")]
    async fn connected(&self, ctx: EventContext) {
        self.seen.push(json!({ "connected": ctx.params }));
    }
}

/// A Rust node on `transporter` and a Node node of `version` with `node_transporter` (its
/// `transporter` option), both with the JSON serializer, exchange calls and events, then the
/// Node node leaves.
pub(crate) async fn exchange(
    what: &str,
    version: NodeVersion,
    transporter: impl Transporter,
    node_transporter: Value,
) {
    exchange_with(
        what,
        version,
        SerializerKind::Json,
        transporter,
        node_transporter,
    )
    .await;
}

/// [`exchange`] with both nodes on `serializer`.
pub(crate) async fn exchange_with(
    what: &str,
    version: NodeVersion,
    serializer: SerializerKind,
    transporter: impl Transporter,
    node_transporter: Value,
) {
    let ns = moleculer_tests::unique_namespace(what);
    let seen = Recorder::default();
    let rust = ServiceBroker::builder()
        .node_id("rust-wire")
        .namespace(&ns)
        .protocol_version(version.protocol_version())
        .serializer(serializer)
        .transporter(transporter)
        .service(Rusty { seen: seen.clone() })
        .build()
        .unwrap();
    let mut peer = NodePeer::spawn_with(
        version,
        "node-wire",
        &ns,
        &["math", "echo", "recorder"],
        &json!({ "transporter": node_transporter, "serializer": serializer.name() }),
    )
    .await
    .expect("the Node peer starts");
    rust.start().await.unwrap();
    rust.wait_for_services(&["math", "echo", "recorder"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    peer.wait_for_services(&["rusty"], Duration::from_secs(30))
        .await
        .unwrap();
    let what = format!("{what} with Node v{}", version.env_value());

    // Rust calls Node.
    let params = json!({ "text": "héllo ✓", "n": [1, 0.5, null], "deep": { "x": {} } });
    let echo: Value = rust
        .call_with(
            "echo.echo",
            params.clone(),
            CallOptions::new().meta(json!({ "user": "ann" })),
        )
        .await
        .unwrap();
    assert_eq!(echo["params"], params, "{what}");
    assert_eq!(echo["meta"], json!({ "user": "ann" }), "{what}");
    let sum: f64 = rust
        .call("math.add", json!({ "a": 0.25, "b": 2 }))
        .await
        .unwrap();
    assert_eq!(sum, 2.25, "{what}");
    let err = rust
        .call::<Value, _>("math.fail", json!({ "why": 1 }))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.error_type()),
        (422, Some("MATH_FAILED")),
        "{what}"
    );

    // Node calls Rust.
    let who = peer
        .call(
            "rusty.whoami",
            params.clone(),
            json!({ "meta": { "tenant": "t1" } }),
        )
        .await
        .unwrap();
    assert_eq!(who["params"], params, "{what}");
    assert_eq!(who["meta"], json!({ "tenant": "t1" }), "{what}");
    assert_eq!(who["nodeID"], "node-wire", "{what}");
    let err = peer
        .call("rusty.fail", json!({}), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(
        (&err["code"], &err["type"]),
        (&json!(418), &json!("TEAPOT")),
        "{what}"
    );

    // Events both ways: a balanced emit to Node's recorder group, a broadcast to Rust.
    rust.emit("wire.rust", json!({ "k": 1 })).await.unwrap();
    peer.broadcast("wire.node", json!({ "k": 2 }), Value::Null)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut from_rust, mut from_node) = (false, false);
    while !(from_rust && from_node) {
        assert!(Instant::now() < deadline, "{what}: events did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let list = peer
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        from_rust |= list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "wire.rust" && e["payload"] == json!({ "k": 1 }));
        from_node |= seen.take().iter().any(|e| {
            e["event"] == "wire.node"
                && e["from"] == "node-wire"
                && e["payload"] == json!({ "k": 2 })
        });
    }

    // Events for explicit groups, both ways.
    rust.emit_with(
        "wire.grouped",
        json!({ "g": 1 }),
        EmitOptions::new().groups(["recorder"]),
    )
    .await
    .unwrap();
    peer.emit(
        "wire.grouped",
        json!({ "g": 2 }),
        json!({ "groups": ["rusty"] }),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut at_node, mut at_rust) = (false, false);
    while !(at_node && at_rust) {
        assert!(
            Instant::now() < deadline,
            "{what}: grouped events did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let list = peer
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        at_node |= list.as_array().unwrap().iter().any(|e| {
            e["event"] == "wire.grouped"
                && e["payload"] == json!({ "g": 1 })
                && e["groups"] == json!(["recorder"])
        });
        at_rust |= seen.take().iter().any(|e| {
            e["event"] == "wire.grouped"
                && e["payload"] == json!({ "g": 2 })
                && e["groups"] == json!(["rusty"])
        });
    }

    // Node leaves: the Rust node sees it go.
    peer.stop().await.unwrap();
    moleculer_tests::eventually!(
        "the Node node is seen leaving",
        Duration::from_secs(10),
        rust.call::<Value, _>("$node.list", json!({}))
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "node-wire" && n["available"] == false)
    );
    rust.stop().await.unwrap();
}

/// Balancing across two nodes of each kind: two Rust nodes on `transporter()`, two Node nodes
/// of `version` with `node_transporter`. Node calls are served by both Rust nodes; the
/// events of a group reach it once, spread over both nodes of the other kind.
pub(crate) async fn balancing<T: Transporter>(
    what: &str,
    version: NodeVersion,
    transporter: impl Fn() -> T,
    node_transporter: Value,
) {
    balance(what, version, transporter, node_transporter, false).await;
}

/// [`balancing`] with `disableBalancer` on every node: the transporter's queue groups spread
/// calls and events (NATS), the emitter's own group member included.
pub(crate) async fn balancing_by_the_transporter<T: Transporter>(
    what: &str,
    version: NodeVersion,
    transporter: impl Fn() -> T,
    node_transporter: Value,
) {
    balance(what, version, transporter, node_transporter, true).await;
}

async fn balance<T: Transporter>(
    what: &str,
    version: NodeVersion,
    transporter: impl Fn() -> T,
    node_transporter: Value,
    disable_balancer: bool,
) {
    let ns = moleculer_tests::unique_namespace(what);
    let what = format!(
        "{what} balancing (disableBalancer: {disable_balancer}) with Node v{}",
        version.env_value()
    );
    let options = json!({ "disableBalancer": disable_balancer });
    let mut rust = Vec::new();
    let mut seen = Vec::new();
    for id in ["rust-1", "rust-2"] {
        let recorder = Recorder::default();
        let broker = ServiceBroker::builder()
            .options(serde_json::from_value(options.clone()).unwrap())
            .node_id(id)
            .namespace(&ns)
            .protocol_version(version.protocol_version())
            .transporter(transporter())
            .service(Rusty {
                seen: recorder.clone(),
            })
            .build()
            .unwrap();
        broker.start().await.unwrap();
        rust.push(broker);
        seen.push(recorder);
    }
    let mut peers = Vec::new();
    for id in ["node-1", "node-2"] {
        let peer = NodePeer::spawn_with(
            version,
            id,
            &ns,
            &["recorder"],
            &json!({ "transporter": node_transporter, "disableBalancer": disable_balancer }),
        )
        .await
        .expect("the Node peer starts");
        peers.push(peer);
    }
    moleculer_tests::eventually!(
        format!("{what}: both Node nodes seen"),
        Duration::from_secs(30),
        rust[0]
            .call::<Value, _>("$node.list", json!({}))
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["available"] == true
                && n["id"].as_str().is_some_and(|id| id.starts_with("node-")))
            .count()
            == 2
    );
    for peer in &mut peers {
        peer.wait_for_services(&["rusty"], Duration::from_secs(30))
            .await
            .unwrap();
    }
    // Node's balancer spreads its calls over both Rust nodes.
    let mut served = std::collections::BTreeMap::<String, u32>::new();
    for n in 0..20 {
        let who = peers[0]
            .call("rusty.whoami", json!({ "n": n }), Value::Null)
            .await
            .unwrap();
        *served
            .entry(who["servedBy"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        served.keys().collect::<Vec<_>>(),
        ["rust-1", "rust-2"],
        "{what}: {served:?}"
    );
    // The Rust balancer spreads `recorder`'s events over both Node nodes; `rusty`'s stay on
    // the emitting node, its own member of the group (`preferLocal`, as in Node).
    for n in 0..20 {
        rust[0]
            .emit("wire.balanced", json!({ "n": n }))
            .await
            .unwrap();
    }
    // Node's balancer spreads `rusty`'s events over both Rust nodes.
    for n in 0..20 {
        peers[0]
            .emit("wire.fromnode", json!({ "n": n }), Value::Null)
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut at_node, mut at_rust, mut from_node) = (vec![0; 2], vec![0; 2], vec![0; 2]);
    // What Node's recorders got, to tell what came twice should the count be off.
    let mut heard_at_node = Vec::new();
    loop {
        heard_at_node.clear();
        for (i, peer) in peers.iter_mut().enumerate() {
            // Each node's own list: with `disableBalancer` a call without a nodeID goes
            // to the queue, and any node of the two could answer it.
            let own = json!({ "nodeID": peer.node_id() });
            let list = peer.call("recorder.list", json!({}), own).await.unwrap();
            let balanced: Vec<Value> = list
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["event"] == "wire.balanced")
                .map(|e| json!({ "at": i, "n": e["payload"]["n"], "from": e["nodeID"], "groups": e["groups"], "type": e["eventType"] }))
                .collect();
            at_node[i] = balanced.len();
            heard_at_node.extend(balanced);
        }
        for (i, recorder) in seen.iter().enumerate() {
            for e in recorder.take() {
                if e["event"] == "wire.balanced" {
                    at_rust[i] += 1;
                } else if e["event"] == "wire.fromnode" {
                    from_node[i] += 1;
                }
            }
        }
        let sum = |v: &Vec<usize>| v.iter().sum::<usize>();
        if sum(&at_node) >= 20 && sum(&at_rust) >= 20 && sum(&from_node) >= 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: events missing: at Node {at_node:?}, at Rust {at_rust:?}, from Node {from_node:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        at_node.iter().sum::<usize>(),
        20,
        "{what}: Node's recorders got {heard_at_node:?}"
    );
    assert!(
        at_node.iter().all(|&n| n > 0),
        "{what}: at Node {at_node:?}"
    );
    if disable_balancer {
        // The queue group picks any member, the emitter's own too.
        assert_eq!(at_rust.iter().sum::<usize>(), 20, "{what}");
        assert!(
            at_rust.iter().all(|&n| n > 0),
            "{what}: at Rust {at_rust:?}"
        );
    } else {
        assert_eq!(at_rust, [20, 0], "{what}: local first");
    }
    assert_eq!(from_node.iter().sum::<usize>(), 20, "{what}");
    assert!(
        from_node.iter().all(|&n| n > 0),
        "{what}: from Node {from_node:?}"
    );
    for peer in peers {
        peer.stop().await.unwrap();
    }
    for broker in rust {
        broker.stop().await.unwrap();
    }
}
