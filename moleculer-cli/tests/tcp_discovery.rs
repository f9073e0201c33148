//! `mol` on the TCP transporter with UDP discovery: before it lists the cluster, emits or
//! broadcasts it waits until every node it heard of has sent its INFO, so it sees every node
//! of a cluster that gossip brings it one by one. The clusters are Rust nodes, and Rust beside
//! real Node.js Moleculer nodes (skipped when `node` is missing, unless
//! `MOLECULER_REQUIRE_BROKERS=1`). Each cluster node keeps Node's default periods (a discovery
//! datagram every 30 s, gossip every 2 s), so `mol` learns of it by gossip.

mod common;

use std::time::Duration;

use moleculer::ServiceBroker;
use moleculer::prelude::*;
use moleculer::transporter::tcp::UdpBroadcast;
use moleculer::transporter::{TcpOptions, TcpTransporter};
use moleculer_tests::node::{NodePeer, NodeVersion, node_tcp_available};
use moleculer_tests::{Recorder, free_port};
use serde_json::{Value, json};

use common::{Mol, Project, Run};

/// Listens to `cli.**` in the `listener` group.
struct Listener {
    seen: Recorder,
}

#[service(name = "listener", register = false)]
impl Listener {
    #[event(name = "cli.**")]
    async fn on_cli(&self, ctx: EventContext) {
        let node = ctx.broker().node_id().to_owned();
        self.seen
            .push(json!({ "node": node, "event": ctx.event_name(), "group": "listener" }));
    }
}

/// Listens to `cli.**` in the `audit` group.
struct Audit {
    seen: Recorder,
}

#[service(name = "audit", register = false)]
impl Audit {
    #[event(name = "cli.**")]
    async fn on_cli(&self, ctx: EventContext) {
        let node = ctx.broker().node_id().to_owned();
        self.seen
            .push(json!({ "node": node, "event": ctx.event_name(), "group": "audit" }));
    }
}

/// TCP options of the cluster's Rust nodes: discovery by broadcast on 127.0.0.1 at
/// `udp_port`, Node's default periods otherwise.
fn tcp_options(udp_port: u16) -> TcpOptions {
    let mut options = TcpOptions::default();
    options.udp_port = udp_port;
    options.udp_multicast = None;
    options.udp_broadcast =
        UdpBroadcast::Addresses(vec![std::net::Ipv4Addr::new(127, 255, 255, 255)]);
    options
}

/// The same options as a config file's `transporter`, Node's names.
fn tcp_config(udp_port: u16) -> Value {
    json!({ "type": "TCP", "options": {
        "udpPort": udp_port, "udpMulticast": null, "udpBroadcast": "127.255.255.255",
    }})
}

fn rust_node(id: &str, ns: &str, udp_port: u16) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .node_id(id)
        .namespace(ns)
        .transporter(TcpTransporter::new(tcp_options(udp_port)))
}

/// `mol` in the cluster, run in a project whose config file names the namespace and the
/// transporter; discovery bounded by a generous `--wait`.
async fn mol(ns: &str, udp_port: u16, args: &[&str]) -> Run {
    let config = json!({ "namespace": ns, "transporter": tcp_config(udp_port) });
    let project = Project::with_file("moleculer.config.json", &config.to_string());
    let mut argv = args.to_vec();
    argv.extend(["--wait", "40000"]);
    Mol::new(&argv).current_dir(&project.dir).run().await
}

/// The IDs of the online nodes in a `$node.list` result, the local one left out, sorted.
fn online_others(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["available"] == true && n["local"] != true)
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// Waits (30 s at most) until `broker` sees `others` online.
async fn sees(broker: &ServiceBroker, others: &[String]) {
    moleculer_tests::eventually!(
        format!("{} sees {others:?}", broker.node_id()),
        Duration::from_secs(30),
        online_others(
            &broker
                .call::<Value, _>("$node.list", json!({}))
                .await
                .unwrap()
        ) == others
    );
}

/// The nodes serving each group of `event` in a `mol events` result: `{group: [nodeID]}`.
fn event_endpoints(events: &Value, event: &str) -> Value {
    let mut groups = serde_json::Map::new();
    for item in events.as_array().into_iter().flatten() {
        if item["name"] != event {
            continue;
        }
        let mut nodes: Vec<&str> = item["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["nodeID"].as_str())
            .collect();
        nodes.sort_unstable();
        groups.insert(
            item["group"].as_str().unwrap_or("").to_owned(),
            json!(nodes),
        );
    }
    Value::Object(groups)
}

/// The groups an `emit`/`broadcast` result names, sorted.
fn groups(result: &Value) -> Vec<String> {
    let mut groups: Vec<String> = result["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect();
    groups.sort();
    groups
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mol_sees_every_node_of_a_rust_tcp_cluster() {
    let ns = moleculer_tests::unique_namespace("mol-tcp");
    let udp_port = free_port();
    let seen = Recorder::default();
    let ids = ["tcp-a", "tcp-b", "tcp-c"].map(str::to_owned);
    let a = rust_node(&ids[0], &ns, udp_port)
        .service(Listener { seen: seen.clone() })
        .build()
        .unwrap();
    let b = rust_node(&ids[1], &ns, udp_port)
        .service(Listener { seen: seen.clone() })
        .build()
        .unwrap();
    let c = rust_node(&ids[2], &ns, udp_port)
        .service(Audit { seen: seen.clone() })
        .build()
        .unwrap();
    let (ra, rb, rc) = tokio::join!(a.start(), b.start(), c.start());
    ra.unwrap();
    rb.unwrap();
    rc.unwrap();
    for node in [&a, &b, &c] {
        let others: Vec<String> = ids
            .iter()
            .filter(|id| *id != node.node_id())
            .cloned()
            .collect();
        sees(node, &others).await;
    }

    // One `mol` at a time: each learns of the cluster from scratch.
    let nodes = mol(&ns, udp_port, &["nodes"]).await.ok_json();
    assert_eq!(online_others(&nodes), ids, "{nodes}");

    let events = mol(&ns, udp_port, &["events", "-i"]).await.ok_json();
    assert_eq!(
        event_endpoints(&events, "cli.**"),
        json!({ "listener": ["tcp-a", "tcp-b"], "audit": ["tcp-c"] }),
        "{events}"
    );

    let emitted = mol(&ns, udp_port, &["emit", "cli.hello"]).await.ok_json();
    assert_eq!(groups(&emitted), ["audit", "listener"], "{emitted}");
    assert!(
        seen.wait_for(2, Duration::from_secs(10)).await,
        "emit: {:?}",
        seen.take()
    );
    let mut got: Vec<String> = seen
        .take()
        .iter()
        .map(|e| {
            format!(
                "{}@{}",
                e["group"].as_str().unwrap(),
                e["node"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "one listener per group: {got:?}");
    assert_eq!(got[0], "audit@tcp-c");
    assert!(
        got[1] == "listener@tcp-a" || got[1] == "listener@tcp-b",
        "{got:?}"
    );

    let broadcast = mol(&ns, udp_port, &["broadcast", "cli.all"])
        .await
        .ok_json();
    assert_eq!(groups(&broadcast), ["audit", "listener"], "{broadcast}");
    assert!(
        seen.wait_for(3, Duration::from_secs(10)).await,
        "broadcast: {:?}",
        seen.take()
    );
    let mut nodes_reached: Vec<String> = seen
        .take()
        .iter()
        .map(|e| e["node"].as_str().unwrap().to_owned())
        .collect();
    nodes_reached.sort();
    assert_eq!(nodes_reached, ids);

    for node in [a, b, c] {
        node.stop().await.unwrap();
    }
}

async fn mol_sees_node_js_nodes(version: NodeVersion) {
    if !node_tcp_available() {
        return;
    }
    let v = version.env_value();
    let ns = moleculer_tests::unique_namespace(&format!("mol-tcp-v{v}"));
    let udp_port = free_port();
    let seen = Recorder::default();
    let rust = rust_node(&format!("rust-v{v}"), &ns, udp_port)
        .protocol_version(version.protocol_version())
        .service(Listener { seen: seen.clone() })
        .build()
        .unwrap();
    rust.start().await.unwrap();
    let options = json!({ "transporter": tcp_config(udp_port) });
    let node_id = format!("node-v{v}");
    let mut node = NodePeer::spawn_with(version, &node_id, &ns, &["math", "recorder"], &options)
        .await
        .expect("the Node peer starts");
    sees(&rust, std::slice::from_ref(&node_id)).await;
    node.wait_for_services(&["listener"], Duration::from_secs(30))
        .await
        .expect("the Node peer sees the Rust node");

    let protocol = version.protocol();
    let mut expected = vec![node_id.clone(), rust.node_id().to_owned()];
    expected.sort();
    let nodes = mol(&ns, udp_port, &["nodes", "--protocol", protocol])
        .await
        .ok_json();
    assert_eq!(online_others(&nodes), expected, "{nodes}");

    let emit = ["emit", "cli.mixed", r#"{"n":1}"#, "--protocol", protocol];
    let emitted = mol(&ns, udp_port, &emit).await.ok_json();
    assert_eq!(groups(&emitted), ["listener", "recorder"], "{emitted}");
    assert!(
        seen.wait_for(1, Duration::from_secs(10)).await,
        "the Rust listener got nothing"
    );
    moleculer_tests::eventually!(
        "the Node recorder got the event",
        Duration::from_secs(10),
        {
            let list = node
                .call("recorder.list", json!({}), json!({}))
                .await
                .unwrap();
            list.as_array()
                .into_iter()
                .flatten()
                .any(|e| e["event"] == "cli.mixed" && e["payload"] == json!({"n": 1}))
        }
    );

    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mol_sees_node_js_nodes_on_tcp_v4() {
    mol_sees_node_js_nodes(NodeVersion::V14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mol_sees_node_js_nodes_on_tcp_v5() {
    mol_sees_node_js_nodes(NodeVersion::V15).await;
}
