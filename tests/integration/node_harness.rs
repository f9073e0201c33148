//! The Node.js peer harness, proven with Node-to-Node traffic over NATS for moleculer 0.14
//! (protocol v4) and 0.15 (protocol v5). Skipped when NATS or `node` is missing, unless
//! `MOLECULER_REQUIRE_BROKERS=1`.

use std::time::{Duration, Instant};

use moleculer_tests::node::{NodePeer, NodeVersion, node_interop_available};
use serde_json::{Value, json};

/// A namespace no other test (or test process) shares.
fn namespace(version: NodeVersion) -> String {
    moleculer_tests::unique_namespace(&format!("harness-v{}", version.env_value()))
}

async fn node_to_node(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let started = Instant::now();
    let ns = namespace(version);
    // Starting takes ~0.8 s (Node boot plus moleculer's 500 ms INFO wait): start both at once.
    let (a, b) = tokio::join!(
        NodePeer::spawn(version, "node-a", &ns, &["math", "echo", "recorder"]),
        NodePeer::spawn(version, "node-b", &ns, &[]),
    );
    let (mut a, mut b) = (a.unwrap(), b.unwrap());
    for peer in [&a, &b] {
        assert_eq!(
            peer.ready_info()["version"],
            version.moleculer_version(),
            "{}",
            peer.ready_info()
        );
        assert_eq!(peer.ready_info()["protocol"], version.protocol());
    }
    b.wait_for_services(&["math", "echo", "recorder"], Duration::from_secs(10))
        .await
        .unwrap();

    // A validated call across nodes.
    let sum = b
        .call("math.add", json!({ "a": 1, "b": 2 }), Value::Null)
        .await
        .unwrap();
    assert_eq!(sum, json!(3));

    // A custom error keeps its class, code, type and data across the wire.
    let err = b
        .call("math.fail", json!({ "why": "test" }), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["name"], "MoleculerClientError", "{err}");
    assert_eq!(err["code"], 422);
    assert_eq!(err["type"], "MATH_FAILED");
    assert_eq!(err["data"], json!({ "params": { "why": "test" } }));

    // Parameter validation runs on the remote node.
    let err = b
        .call("math.add", json!({ "a": 1, "b": "two" }), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err["name"], "ValidationError", "{err}");

    // Context fields and meta arrive at the remote handler.
    let echo = b
        .call(
            "echo.echo",
            json!({ "x": 1 }),
            json!({ "meta": { "user": "ann" } }),
        )
        .await
        .unwrap();
    assert_eq!(echo["params"], json!({ "x": 1 }));
    assert_eq!(echo["meta"]["user"], "ann", "{echo}");
    assert_eq!(echo["ctx"]["level"], 1);
    assert_eq!(echo["ctx"]["nodeID"], "node-b");
    assert!(echo["ctx"]["requestID"].is_string(), "{echo}");

    // An event emitted on B reaches A's recorder.
    b.emit("harness.hello", json!({ "n": 7 }), Value::Null)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let events = loop {
        let list = a
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        if list.as_array().is_some_and(|l| !l.is_empty()) || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(events[0]["event"], "harness.hello", "{events}");
    assert_eq!(events[0]["payload"], json!({ "n": 7 }));
    assert_eq!(events[0]["nodeID"], "node-b");

    // B knows A.
    let nodes = b.nodes().await.unwrap();
    let a_node = nodes
        .as_array()
        .and_then(|l| l.iter().find(|n| n["id"] == "node-a"))
        .unwrap_or_else(|| panic!("node-a missing from {nodes}"));
    assert_eq!(a_node["available"], true);

    let (stop_a, stop_b) = tokio::join!(a.stop(), b.stop());
    assert!(stop_a.unwrap().success());
    assert!(stop_b.unwrap().success());
    println!(
        "node harness v{}: {:?}",
        version.env_value(),
        started.elapsed()
    );
}

#[tokio::test]
async fn node_to_node_v14() {
    node_to_node(NodeVersion::V14).await;
}

#[tokio::test]
async fn node_to_node_v15() {
    node_to_node(NodeVersion::V15).await;
}
