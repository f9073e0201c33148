//! A node killed under load (SIGKILL, no goodbye): every call ends, with a result or a typed
//! error, within the request timeout; none is stuck, and the calls go on to the node left.

use std::process::Stdio;
use std::time::{Duration, Instant};

use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer_tests::free_port;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `tcp_node` process (`rust-worker`) listening on `port`, knowing the cluster `urls`.
async fn worker(ns: &str, id: &str, port: u16, urls: &[String]) -> Child {
    let options = json!({ "udpDiscovery": false, "port": port, "urls": urls, "gossipPeriod": 1 });
    let mut child = Command::new(env!("CARGO_BIN_EXE_tcp_node"))
        .env("NODE_ID", id)
        .env("NAMESPACE", ns)
        .env("TCP_OPTIONS", options.to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tcp_node starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line == "ready" {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "{id} did not start");
    child
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
    let mut victim = worker(&ns, ids[1], ports[1], &urls).await;
    let _survivor = worker(&ns, ids[2], ports[2], &urls).await;
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
    moleculer_tests::eventually!("both workers known", Duration::from_secs(20), {
        let actions: Value = caller
            .call("$node.actions", json!({ "skipInternal": true }))
            .await
            .unwrap();
        actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "rust-worker.where" && a["count"] == 2)
    });

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
    let killed_at = started.elapsed();
    victim.wait().await.unwrap();

    let (mut ok, mut failed, mut slowest) = (0, Vec::new(), Duration::ZERO);
    for one in loops {
        let (o, f, s) = tokio::time::timeout(load_for + timeout * 3, one)
            .await
            .expect("no call is stuck")
            .unwrap();
        ok += o;
        failed.extend(f);
        slowest = slowest.max(s);
    }
    println!(
        "killed at {killed_at:?}: {ok} calls answered, {} failed ({failed:?}), slowest {slowest:?}",
        failed.len()
    );
    assert!(
        slowest <= timeout + Duration::from_millis(500),
        "every call ends within the request timeout: {slowest:?}"
    );
    // Only the calls in flight to the killed node fail, with a typed error.
    assert!(failed.len() <= 8, "{failed:?}");
    for name in &failed {
        assert!(
            [
                "RequestRejectedError",
                "RequestTimeoutError",
                "ServiceNotAvailableError",
                "MoleculerRetryableError"
            ]
            .contains(&name.as_str()),
            "{name}"
        );
    }
    // The survivor answers from then on.
    let who: String = caller.call("rust-worker.where", json!({})).await.unwrap();
    assert_eq!(who, "worker-2");
    caller.stop().await.unwrap();
}
