//! Fault tolerance across languages, against real Node.js Moleculer peers (0.14 / protocol
//! v4 and 0.15 / protocol v5) over NATS: a Node caller's retries land on another Rust node
//! when one fails, and a Rust circuit breaker opens on a failing Node endpoint and its
//! `$circuit-breaker.opened` event reaches Node. Skipped when NATS or `node` is missing,
//! unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use moleculer::prelude::*;
use moleculer::{BrokerOptions, ErrorKind};
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use serde_json::{Value, json};

/// Fails every call with a retryable server error when `broken`.
struct Flaky {
    broken: bool,
    calls: Arc<AtomicUsize>,
}

#[service(name = "flaky", register = false)]
impl Flaky {
    #[action]
    async fn work(&self, ctx: Context) -> Result<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.broken {
            return Err(Error::server("Rust node is broken"));
        }
        Ok(json!({ "node": ctx.broker().node_id() }))
    }
}

fn rust_node(version: NodeVersion, ns: &str, id: &str) -> moleculer::BrokerBuilder {
    rust_node_with(BrokerOptions::default(), version, ns, id)
}

/// A Rust node with `options`; the namespace, transporter and protocol set over them.
fn rust_node_with(
    options: BrokerOptions,
    version: NodeVersion,
    ns: &str,
    id: &str,
) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .options(options)
        .node_id(id)
        .namespace(ns)
        .transporter_url(&nats_url())
        .protocol_version(version.protocol_version())
}

fn namespace(version: NodeVersion, what: &str) -> String {
    moleculer_tests::unique_namespace(&format!("fault-{what}-v{}", version.env_value()))
}

async fn node_retries_land_on_another_rust_node(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = namespace(version, "retry");
    let (bad_calls, good_calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let bad = rust_node(version, &ns, "rust-broken")
        .service(Flaky {
            broken: true,
            calls: bad_calls.clone(),
        })
        .build()
        .unwrap();
    let good = rust_node(version, &ns, "rust-healthy")
        .service(Flaky {
            broken: false,
            calls: good_calls.clone(),
        })
        .build()
        .unwrap();
    let options = json!({ "retryPolicy": { "enabled": true, "retries": 3, "delay": 20 } });
    let (peer, a, b) = tokio::join!(
        NodePeer::spawn_with(version, "node-caller", &ns, &[], &options),
        bad.start(),
        good.start(),
    );
    let mut peer = peer.unwrap();
    a.unwrap();
    b.unwrap();
    // Both Rust nodes must be known before the calls, or round-robin never meets the bad one.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let nodes = peer.nodes().await.unwrap();
        let known = ["rust-broken", "rust-healthy"].iter().all(|id| {
            nodes
                .as_array()
                .is_some_and(|l| l.iter().any(|n| n["id"] == *id && n["available"] == true))
        });
        if known {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Node does not see both Rust nodes: {nodes}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peer.wait_for_services(&["flaky"], Duration::from_secs(10))
        .await
        .unwrap();
    for _ in 0..6 {
        let res = peer
            .call("flaky.work", json!({}), Value::Null)
            .await
            .unwrap();
        assert_eq!(res["node"], "rust-healthy", "{res}");
    }
    assert!(
        bad_calls.load(Ordering::SeqCst) >= 1,
        "the broken node was never tried"
    );
    assert_eq!(good_calls.load(Ordering::SeqCst), 6);
    assert!(peer.stop().await.unwrap().success());
    bad.stop().await.unwrap();
    good.stop().await.unwrap();
}

async fn rust_breaker_opens_on_a_failing_node_endpoint(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = namespace(version, "breaker");
    let options: BrokerOptions = serde_json::from_value(json!({
        "circuitBreaker": { "enabled": true, "threshold": 0.5, "minRequestCount": 3, "halfOpenTime": 60000 }
    }))
    .unwrap();
    let rust = rust_node_with(options, version, &ns, "rust-breaker")
        .build()
        .unwrap();
    let (peer, started) = tokio::join!(
        NodePeer::spawn(version, "node-failing", &ns, &["echo", "recorder"]),
        rust.start(),
    );
    let mut peer = peer.unwrap();
    started.unwrap();
    rust.wait_for_services(&["echo", "recorder"], Some(Duration::from_secs(10)))
        .await
        .unwrap();

    for _ in 0..3 {
        let err = rust
            .call::<Value, _>("echo.boom", json!({}))
            .await
            .unwrap_err();
        assert_eq!((err.code(), err.message()), (500, "Node boom"));
    }
    // Open: the only endpoint is skipped, the call fails here without reaching Node.
    let err = rust
        .call::<Value, _>("echo.boom", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotAvailable, "{err}");

    // The broadcast reached Node's recorder, in Node's shape.
    let deadline = Instant::now() + Duration::from_secs(5);
    let opened = loop {
        let list = peer
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        if let Some(e) = list
            .as_array()
            .and_then(|l| l.iter().find(|e| e["event"] == "$circuit-breaker.opened"))
        {
            break e.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no breaker event on Node: {list}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        opened["payload"],
        json!({ "nodeID": "node-failing", "action": "echo.boom", "failures": 3, "count": 3, "rate": 1 })
    );
    assert_eq!(opened["nodeID"], "rust-breaker");
    assert_eq!(opened["eventType"], "broadcast");
    // Other actions of the same node are not affected.
    let echoed: Value = rust.call("echo.echo", json!({ "x": 1 })).await.unwrap();
    assert_eq!(echoed["params"], json!({ "x": 1 }));
    assert!(peer.stop().await.unwrap().success());
    rust.stop().await.unwrap();
}

#[tokio::test]
async fn node_v14_retries_land_on_another_rust_node() {
    node_retries_land_on_another_rust_node(NodeVersion::V14).await;
}

#[tokio::test]
async fn node_v15_retries_land_on_another_rust_node() {
    node_retries_land_on_another_rust_node(NodeVersion::V15).await;
}

#[tokio::test]
async fn rust_breaker_opens_on_a_failing_node_v14_endpoint() {
    rust_breaker_opens_on_a_failing_node_endpoint(NodeVersion::V14).await;
}

#[tokio::test]
async fn rust_breaker_opens_on_a_failing_node_v15_endpoint() {
    rust_breaker_opens_on_a_failing_node_endpoint(NodeVersion::V15).await;
}
