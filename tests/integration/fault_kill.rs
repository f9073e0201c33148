//! A node killed under load (SIGKILL, no goodbye): every call ends, with a result or a typed
//! error, within the request timeout; none is stuck, and the calls go on to the node left.

use std::process::Stdio;
use std::time::{Duration, Instant};

use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer_tests::free_port;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// A `tcp_node` process (`rust-worker`) listening on `port`, knowing the cluster `urls`; on
/// the transporter at `url` instead when one is given.
async fn worker(ns: &str, id: &str, port: u16, urls: &[String], url: Option<&str>) -> Child {
    let options = json!({ "udpDiscovery": false, "port": port, "urls": urls, "gossipPeriod": 1 });
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcp_node"))
        .env("NODE_ID", id)
        .env("NAMESPACE", ns)
        .env("TCP_OPTIONS", options.to_string())
        .env("TRANSPORTER", url.unwrap_or(""))
        // Heartbeats every second, so a test can drop a silent node after a few.
        .env("BROKER_OPTIONS", r#"{"heartbeatInterval": 1}"#)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tcp_node starts");
    moleculer_tests::wait_ready(&mut child, id).await;
    child
}

/// What one run of load gave.
struct Load {
    answered: u32,
    failed: Vec<String>,
    slowest: Duration,
}

/// 8 loops calling `rust-worker.where` for 4 s; `victim` is killed 1 s in.
async fn kill_under_load(caller: &ServiceBroker, victim: &mut Child, timeout: Duration) -> Load {
    let load_for = Duration::from_secs(4);
    let started = Instant::now();
    let loops: Vec<_> = (0..8)
        .map(|_| {
            let caller = caller.clone();
            tokio::spawn(async move {
                let (mut ok, mut failed, mut slowest) = (0u32, Vec::new(), Duration::ZERO);
                while started.elapsed() < load_for {
                    let at = Instant::now();
                    match caller
                        .call::<String, _>("rust-worker.where", json!({}))
                        .await
                    {
                        Ok(_) => ok += 1,
                        Err(err) => failed.push(err.name().to_owned()),
                    }
                    slowest = slowest.max(at.elapsed());
                }
                (ok, failed, slowest)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    victim.start_kill().unwrap();
    victim.wait().await.unwrap();
    let mut load = Load {
        answered: 0,
        failed: Vec::new(),
        slowest: Duration::ZERO,
    };
    for one in loops {
        let (ok, failed, slowest) = tokio::time::timeout(load_for + timeout * 3, one)
            .await
            .expect("no call is stuck")
            .unwrap();
        load.answered += ok;
        load.failed.extend(failed);
        load.slowest = load.slowest.max(slowest);
    }
    let mut kinds = load.failed.clone();
    kinds.sort();
    kinds.dedup();
    println!(
        "{} calls answered, {} failed ({kinds:?}), slowest {:?}",
        load.answered,
        load.failed.len(),
        load.slowest
    );
    load
}

/// How many nodes offer `rust-worker.where` as `caller` sees them.
async fn workers(caller: &ServiceBroker) -> u64 {
    let actions: Value = caller
        .call("$node.actions", json!({ "skipInternal": true }))
        .await
        .unwrap();
    actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "rust-worker.where")
        .and_then(|a| a["count"].as_u64())
        .unwrap_or(0)
}

async fn wait_for_workers(caller: &ServiceBroker) {
    moleculer_tests::eventually!(
        "both workers known",
        Duration::from_secs(20),
        workers(caller).await == 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_end_when_a_node_is_killed_under_load() {
    let ns = moleculer_tests::unique_namespace("kill");
    let ports = [free_port(), free_port(), free_port()];
    let ids = ["caller", "worker-1", "worker-2"];
    let urls: Vec<String> = ids
        .iter()
        .zip(ports)
        .map(|(id, port)| format!("127.0.0.1:{port}/{id}"))
        .collect();
    let mut victim = worker(&ns, ids[1], ports[1], &urls, None).await;
    let _survivor = worker(&ns, ids[2], ports[2], &urls, None).await;
    let mut tcp = TcpOptions::default();
    tcp.udp_discovery = false;
    tcp.port = Some(ports[0]);
    tcp.urls = Some(PeerUrls::List(urls.clone()));
    tcp.gossip_period = Duration::from_secs(1);
    let timeout = Duration::from_secs(2);
    let caller = ServiceBroker::builder()
        .node_id(ids[0])
        .namespace(&ns)
        .request_timeout(timeout)
        .transporter(TcpTransporter::new(tcp))
        .build()
        .unwrap();
    caller.start().await.unwrap();
    wait_for_workers(&caller).await;

    let load = kill_under_load(&caller, &mut victim, timeout).await;
    // TCP sees the connection close: only the calls in flight to the dead node fail, at once.
    assert!(
        load.slowest <= timeout + Duration::from_millis(500),
        "every call ends within the request timeout: {:?}",
        load.slowest
    );
    assert!(load.failed.len() <= 8, "{:?}", load.failed);
    for name in &load.failed {
        assert!(
            [
                "RequestRejectedError",
                "RequestTimeoutError",
                "ServiceNotAvailableError",
                // A call that picked the dead node after its connection closed, before the
                // registry dropped it: the new connection is refused (retryable elsewhere).
                "MoleculerRetryableError",
            ]
            .contains(&name.as_str()),
            "{name}"
        );
    }
    let who: String = caller.call("rust-worker.where", json!({})).await.unwrap();
    assert_eq!(who, "worker-2", "the survivor answers");
    caller.stop().await.unwrap();
}

/// Over NATS nothing tells of the death but the missing heartbeats: calls that pick the dead
/// node end at the request timeout with `RequestTimeoutError` until it is dropped at
/// `heartbeatTimeout`; none waits longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_calls_end_when_a_node_is_killed_under_load() {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    if std::net::TcpStream::connect(url.trim_start_matches("nats://")).is_err() {
        let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
        assert!(!required, "NATS not reachable at {url}");
        println!("skipped: NATS not reachable at {url}");
        return;
    }
    let ns = moleculer_tests::unique_namespace("kill-nats");
    let mut victim = worker(&ns, "worker-1", 0, &[], Some(&url)).await;
    let _survivor = worker(&ns, "worker-2", 0, &[], Some(&url)).await;
    let timeout = Duration::from_secs(1);
    let options: moleculer::BrokerOptions = serde_json::from_value(json!({
        "nodeID": "caller", "namespace": ns, "requestTimeout": 1000,
        "heartbeatInterval": 1, "heartbeatTimeout": 3,
    }))
    .unwrap();
    let caller = ServiceBroker::builder()
        .options(options)
        .transporter_url(&url)
        .build()
        .unwrap();
    caller.start().await.unwrap();
    wait_for_workers(&caller).await;

    let load = kill_under_load(&caller, &mut victim, timeout).await;
    assert!(
        load.slowest <= timeout + Duration::from_millis(500),
        "every call ends within the request timeout: {:?}",
        load.slowest
    );
    // Calls that picked the dead node time out; its pending ones are rejected when it is
    // dropped.
    for name in &load.failed {
        assert!(
            ["RequestTimeoutError", "RequestRejectedError"].contains(&name.as_str()),
            "{name}"
        );
    }
    moleculer_tests::eventually!(
        "the dead node dropped",
        Duration::from_secs(10),
        workers(&caller).await == 1
    );
    let who: String = caller.call("rust-worker.where", json!({})).await.unwrap();
    assert_eq!(who, "worker-2", "the survivor answers");
    caller.stop().await.unwrap();
}
