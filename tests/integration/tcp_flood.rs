//! Peers that begin large TCP frames and stall: the memory they make a node hold stays under
//! `maxPendingBytes` plus a small read buffer per connection, the node keeps serving, and a
//! large frame from a real peer waits for room rather than being lost.

use std::process::Stdio;
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer_tests::free_port;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::Command;

/// TCP options for a node on `port` that knows `peers` (nodeID, port) on 127.0.0.1.
fn options(port: u16, peers: &[(&str, u16)]) -> TcpOptions {
    let mut o = TcpOptions::default();
    o.udp_discovery = false;
    o.gossip_period = Duration::from_secs(1);
    o.use_hostname = false;
    o.port = Some(port);
    o.urls = Some(PeerUrls::List(
        peers
            .iter()
            .map(|(id, port)| format!("127.0.0.1:{port}/{id}"))
            .collect(),
    ));
    o
}

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A connection to `port` that begins an EVENT frame of `length` bytes, sends all of it but
/// the last byte (as much as the node takes within `within`), and stalls.
async fn stalled_frame(
    port: u16,
    length: usize,
    body: &'static [u8],
    within: Duration,
) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let [l1, l2, l3, l4] = u32::try_from(length).unwrap().to_be_bytes();
    let header = [l1 ^ l2 ^ l3 ^ l4 ^ 1, l1, l2, l3, l4, 1];
    let _ = tokio::time::timeout(within, async {
        stream.write_all(&header).await?;
        stream.write_all(&body[..length - header.len() - 1]).await
    })
    .await;
    stream
}

const MIB: u64 = 1024 * 1024;

/// 1,000 connections each begin a 1 MiB frame and stall (Node's TCP transporter holds them
/// all: 1 GB). The node holds `maxPendingBytes` (16 MiB here) of them and keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_large_frames_hold_a_bounded_memory() {
    let ns = moleculer_tests::unique_namespace("tcp-flood");
    let (worker_port, caller_port) = (free_port(), free_port());
    let peers = [("flood-worker", worker_port), ("flood-caller", caller_port)];
    let urls: Vec<String> = peers
        .iter()
        .map(|(id, port)| format!("127.0.0.1:{port}/{id}"))
        .collect();
    let tcp = json!({
        "udpDiscovery": false, "useHostname": false, "port": worker_port, "urls": urls,
        "maxPendingBytes": 16 * MIB, "frameTimeout": 60,
    });
    let mut worker = Command::new(env!("CARGO_BIN_EXE_tcp_node"))
        .env("NODE_ID", "flood-worker")
        .env("NAMESPACE", &ns)
        .env("TCP_OPTIONS", tcp.to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tcp_node starts");
    moleculer_tests::wait_ready(&mut worker, "flood-worker").await;
    let pid = worker.id().unwrap();
    let caller = ServiceBroker::builder()
        .node_id("flood-caller")
        .namespace(&ns)
        .request_timeout(Duration::from_secs(10))
        .transporter(TcpTransporter::new(options(caller_port, &peers)))
        .build()
        .unwrap();
    caller.start().await.unwrap();
    caller
        .wait_for_services(&["rust-worker"], Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let before = rss(pid);

    static BODY: [u8; 1 << 20] = [b' '; 1 << 20];
    let flood: Vec<_> = (0..1000)
        .map(|_| {
            tokio::spawn(stalled_frame(
                worker_port,
                1 << 20,
                &BODY,
                Duration::from_secs(5),
            ))
        })
        .collect();
    let mut held = Vec::new();
    for connection in flood {
        held.push(connection.await.unwrap());
    }
    // Every connection has sent what the node would take; the most the node holds now.
    let mut peak = 0;
    for _ in 0..10 {
        peak = peak.max(rss(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answered: String = caller.call("rust-worker.where", json!({})).await.unwrap();
    assert_eq!(
        answered, "flood-worker",
        "the node answers during the flood"
    );
    println!(
        "flood: RSS {} MiB before, {} MiB with 1000 stalled 1 MiB frames",
        before / MIB,
        peak / MIB
    );
    // 16 MiB of budget, 8 KiB of read buffer per connection, a task each, and room for
    // the allocator: far below the 1 GB the frames would hold.
    assert!(
        peak < before + 64 * MIB,
        "RSS {peak} grew by more than 64 MiB from {before}"
    );
    drop(held);
    caller.stop().await.unwrap();
}

#[derive(Default)]
struct Sizer;

#[service(name = "sizer", register = false)]
impl Sizer {
    #[action]
    async fn size(&self, ctx: Context) -> Result<Value> {
        let text = ctx.params["text"].as_str().unwrap_or_default();
        Ok(json!(text.len()))
    }
}

/// With the budget full, a real peer's large frame waits until the stalled one is cut off at
/// `frameTimeout`, then arrives: delayed, not lost.
#[tokio::test]
async fn a_large_frame_waits_for_room_and_arrives() {
    let ns = moleculer_tests::unique_namespace("tcp-room");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("room-caller", pa), ("room-sizer", pb)];
    let mut tight = options(pb, &peers);
    tight.max_packet_size = 1 << 20;
    tight.max_pending_bytes = 1 << 20;
    tight.frame_timeout = Duration::from_secs(3);
    let caller = ServiceBroker::builder()
        .node_id("room-caller")
        .namespace(&ns)
        .request_timeout(Duration::from_secs(15))
        .transporter(TcpTransporter::new(options(pa, &peers)))
        .build()
        .unwrap();
    let sizer = ServiceBroker::builder()
        .node_id("room-sizer")
        .namespace(&ns)
        .transporter(TcpTransporter::new(tight))
        .service(Sizer)
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(caller.start(), sizer.start());
    ra.unwrap();
    rb.unwrap();
    caller
        .wait_for_services(&["sizer"], Some(Duration::from_secs(10)))
        .await
        .unwrap();

    // A stalled 1 MiB frame takes the whole budget.
    static BODY: [u8; 1 << 20] = [b' '; 1 << 20];
    let stalled = stalled_frame(pb, 1 << 20, &BODY, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = std::time::Instant::now();
    let size: usize = caller
        .call("sizer.size", json!({ "text": "x".repeat(300 * 1024) }))
        .await
        .unwrap();
    assert_eq!(size, 300 * 1024);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1000),
        "the large frame waited for the stalled one to be cut off ({waited:?})"
    );
    drop(stalled);
    caller.stop().await.unwrap();
    sizer.stop().await.unwrap();
}
