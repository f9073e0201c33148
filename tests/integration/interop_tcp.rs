//! A mixed cluster on the TCP transporter, with no message broker: two real Node.js
//! Moleculer nodes (0.14 / protocol v4 or 0.15 / protocol v5) and two Rust nodes (one in this
//! process, one in its own) find each other by UDP broadcast on 127.0.0.1, gossip, call and
//! emit every way, see a killed node (SIGKILL, no goodbye) go offline, and see it rejoin.
//! Skipped when `node` is missing, unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::process::Stdio;
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::tcp::{PeerUrls, UdpBroadcast};
use moleculer::transporter::{TcpOptions, TcpTransporter};
use moleculer_tests::node::{NodePeer, NodeVersion, node_tcp_available};
use moleculer_tests::{Recorder, Xor, free_port};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

struct RustMath {
    seen: Recorder,
}

#[service(name = "rmath", register = false)]
impl RustMath {
    #[action(params = { a: "number", b: "number" })]
    async fn add(&self, ctx: Context) -> Result<Value> {
        let sum = ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0);
        Ok(json!({ "sum": sum, "caller": ctx.node_id() }))
    }

    #[event(name = "tcp.**")]
    async fn on_tcp(&self, ctx: EventContext) {
        self.seen.push(
            json!({ "event": ctx.event_name(), "from": ctx.node_id(), "payload": ctx.params }),
        );
    }
}

/// Node's TCP options for this cluster: broadcast discovery on `udp_port`, fast periods.
fn node_options(udp_port: u16) -> Value {
    json!({
        "transporter": { "type": "TCP", "options": {
            "udpPort": udp_port, "udpMulticast": null, "udpBroadcast": "127.255.255.255",
            "udpPeriod": 1, "gossipPeriod": 1,
        }},
    })
}

async fn spawn_rust_process(version: NodeVersion, ns: &str, id: &str, udp_port: u16) -> Child {
    let options = &node_options(udp_port)["transporter"]["options"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcp_node"))
        .env("NODE_ID", id)
        .env("NAMESPACE", ns)
        .env("TCP_OPTIONS", options.to_string())
        .env("PROTOCOL", version.protocol())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tcp_node starts");
    moleculer_tests::wait_ready(&mut child, id).await;
    child
}

/// The nodes `$node.list` shows online (Node's or ours), sorted.
fn online(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["available"] == true)
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn rust_online(broker: &ServiceBroker) -> Vec<String> {
    online(
        &broker
            .call::<Value, _>("$node.list", json!({}))
            .await
            .unwrap(),
    )
}

async fn node_online(peer: &mut NodePeer) -> Vec<String> {
    online(&peer.nodes().await.unwrap_or(Value::Null))
}

/// Polls until `check` holds, 30 s at most.
macro_rules! eventually {
    ($what:expr, $check:expr) => {
        moleculer_tests::eventually!($what, Duration::from_secs(30), $check)
    };
}

async fn mixed_cluster(version: NodeVersion) {
    if !node_tcp_available() {
        return;
    }
    let v = version.env_value();
    let ns = moleculer_tests::unique_namespace(&format!("tcp-v{v}"));
    let udp_port = free_port();
    let (n1, n2, r1, r2) = (
        format!("node-1-v{v}"),
        format!("node-2-v{v}"),
        format!("rust-1-v{v}"),
        format!("rust-2-v{v}"),
    );
    let options = node_options(udp_port);
    let mut node1 = NodePeer::spawn_with(version, &n1, &ns, &["math", "recorder"], &options)
        .await
        .expect("node-1 starts");
    let mut node2 = NodePeer::spawn_with(version, &n2, &ns, &["echo"], &options)
        .await
        .expect("node-2 starts");
    let seen = Recorder::default();
    let rust = ServiceBroker::builder()
        .node_id(&r1)
        .namespace(&ns)
        .protocol_version(version.protocol_version())
        .transporter(TcpTransporter::new({
            let mut o = TcpOptions::default();
            o.udp_port = udp_port;
            o.udp_multicast = None;
            o.udp_broadcast =
                UdpBroadcast::Addresses(vec![std::net::Ipv4Addr::new(127, 255, 255, 255)]);
            o.udp_period = Duration::from_secs(1);
            o.gossip_period = Duration::from_secs(1);
            o
        }))
        .service(RustMath { seen: seen.clone() })
        .build()
        .unwrap();
    rust.start().await.unwrap();
    let rust2 = spawn_rust_process(version, &ns, &r2, udp_port).await;

    // Everyone finds everyone.
    let mut all = vec![n1.clone(), n2.clone(), r1.clone(), r2.clone()];
    all.sort();
    eventually!("rust-1 sees all", rust_online(&rust).await == all);
    eventually!("node-1 sees all", node_online(&mut node1).await == all);
    eventually!("node-2 sees all", node_online(&mut node2).await == all);
    rust.wait_for_services(
        &["math", "echo", "rust-worker"],
        Some(Duration::from_secs(30)),
    )
    .await
    .unwrap();
    for peer in [&mut node1, &mut node2] {
        peer.wait_for_services(&["rmath", "rust-worker"], Duration::from_secs(30))
            .await
            .unwrap();
    }

    // Rust calls Node, Node calls Rust (both Rust nodes), with params and meta.
    let sum: f64 = rust
        .call("math.add", json!({"a": 1, "b": 2}))
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    let echoed: Value = rust
        .call_with(
            "echo.echo",
            json!({"x": 1}),
            CallOptions::new().meta(json!({"m": "v"})),
        )
        .await
        .unwrap();
    assert_eq!(echoed["params"], json!({"x": 1}));
    assert_eq!(echoed["meta"]["m"], "v");
    assert_eq!(echoed["ctx"]["nodeID"], json!(r1));
    let from_node = node1
        .call("rmath.add", json!({"a": 5, "b": 6}), json!({}))
        .await
        .unwrap();
    assert_eq!(from_node, json!({"sum": 11, "caller": n1}));
    let err = node2
        .call("rmath.add", json!({"a": "x"}), json!({}))
        .await
        .unwrap_err();
    assert_eq!(err["name"], "ValidationError");
    let where_ = node2
        .call("rust-worker.where", json!({}), json!({}))
        .await
        .unwrap();
    assert_eq!(where_, json!(r2));

    // Events both ways.
    rust.emit("tcp.to-node", json!({"n": 1})).await.unwrap();
    eventually!("node-1's recorder got the event", {
        let list = node1
            .call("recorder.list", json!({}), json!({}))
            .await
            .unwrap();
        list.as_array().is_some_and(|l| {
            l.iter().any(|e| {
                e["event"] == "tcp.to-node"
                    && e["nodeID"] == json!(r1)
                    && e["payload"] == json!({"n": 1})
            })
        })
    });
    node2
        .broadcast("tcp.from-node", json!({"n": 2}), json!({}))
        .await
        .unwrap();
    // (The Rust listener got its own node's emit too: its group is one of the receivers.)
    assert!(seen.wait_for(2, Duration::from_secs(10)).await);
    let got = seen.take();
    assert!(
        got.contains(&json!({"event": "tcp.from-node", "from": n2, "payload": {"n": 2}})),
        "{got:?}"
    );

    // node-2 is killed (SIGKILL): everyone else sees it go.
    drop(node2);
    let without_n2: Vec<String> = all.iter().filter(|id| **id != n2).cloned().collect();
    eventually!(
        "rust-1 sees node-2 gone",
        rust_online(&rust).await == without_n2
    );
    eventually!(
        "node-1 sees node-2 gone",
        node_online(&mut node1).await == without_n2
    );

    // rust-2 is killed too, then started again: it is seen gone, then back.
    drop(rust2);
    let only: Vec<String> = {
        let mut v = vec![n1.clone(), r1.clone()];
        v.sort();
        v
    };
    eventually!("rust-1 sees rust-2 gone", rust_online(&rust).await == only);
    eventually!(
        "node-1 sees rust-2 gone",
        node_online(&mut node1).await == only
    );
    let _rust2 = spawn_rust_process(version, &ns, &r2, udp_port).await;
    eventually!(
        "rust-1 sees rust-2 back",
        rust_online(&rust).await == without_n2
    );
    eventually!(
        "node-1 sees rust-2 back",
        node_online(&mut node1).await == without_n2
    );
    let where_ = node1
        .call("rust-worker.where", json!({}), json!({}))
        .await
        .unwrap();
    assert_eq!(where_, json!(r2));
    let where_: String = rust.call("rust-worker.where", json!({})).await.unwrap();
    assert_eq!(where_, r2);

    rust.stop().await.unwrap();
    node1.stop().await.unwrap();
}

#[tokio::test]
async fn tcp_mixed_cluster_v4() {
    mixed_cluster(NodeVersion::V14).await;
}

#[tokio::test]
async fn tcp_mixed_cluster_v5() {
    mixed_cluster(NodeVersion::V15).await;
}

/// A Node node that knows no other node learns where a Rust node listens from the
/// `GOSSIP_HELLO` that starts the Rust node's connection to it. With a byte transform on both
/// sides (XOR here, where encryption would sit), the hello goes through it in both
/// directions as Node's does, and the two form a cluster.
async fn hello_through_byte_wrappers(version: NodeVersion) {
    if !node_tcp_available() {
        return;
    }
    let v = version.env_value();
    let ns = moleculer_tests::unique_namespace(&format!("tcp-xor-v{v}"));
    let (node_port, rust_port) = (free_port(), free_port());
    let (n, r) = (format!("node-xor-v{v}"), format!("rust-xor-v{v}"));
    let options = json!({
        "xorKey": 0x5a,
        "transporter": { "type": "TCP", "options": {
            "udpDiscovery": false, "port": node_port, "gossipPeriod": 1,
        }},
    });
    let mut node = NodePeer::spawn_with(version, &n, &ns, &["math"], &options)
        .await
        .expect("the Node peer starts");
    let rust = ServiceBroker::builder()
        .node_id(&r)
        .namespace(&ns)
        .protocol_version(version.protocol_version())
        .middleware(Xor(0x5a))
        .transporter(TcpTransporter::new({
            let mut o = TcpOptions::default();
            o.udp_discovery = false;
            o.port = Some(rust_port);
            o.urls = Some(PeerUrls::List(vec![format!("127.0.0.1:{node_port}/{n}")]));
            o.gossip_period = Duration::from_secs(1);
            o
        }))
        .service(RustMath {
            seen: Recorder::default(),
        })
        .build()
        .unwrap();
    rust.start().await.unwrap();
    rust.wait_for_services(&["math"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    node.wait_for_services(&["rmath"], Duration::from_secs(30))
        .await
        .unwrap();
    let sum: f64 = rust
        .call("math.add", json!({"a": 1, "b": 2}))
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    let from_node = node
        .call("rmath.add", json!({"a": 5, "b": 6}), json!({}))
        .await
        .unwrap();
    assert_eq!(from_node, json!({"sum": 11, "caller": n}));
    rust.stop().await.unwrap();
    node.stop().await.unwrap();
}

#[tokio::test]
async fn tcp_hello_through_byte_wrappers_v4() {
    hello_through_byte_wrappers(NodeVersion::V14).await;
}

#[tokio::test]
async fn tcp_hello_through_byte_wrappers_v5() {
    hello_through_byte_wrappers(NodeVersion::V15).await;
}
