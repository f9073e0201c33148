//! Rust brokers on the TCP transporter: static peers and UDP discovery, gossip, calls and
//! events over direct connections, nodes leaving, and peers that send garbage.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::{Recorder, Xor, free_port};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

#[derive(Default)]
struct Math;

#[service(name = "math", register = false)]
impl Math {
    #[action(params = { a: "number", b: "number" })]
    async fn add(&self, ctx: Context) -> Result<Value> {
        let sum = ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0);
        Ok(json!({ "sum": sum, "node": ctx.broker().node_id(), "caller": ctx.node_id() }))
    }
}

struct Listener {
    seen: Recorder,
}

#[service(name = "listener", register = false)]
impl Listener {
    #[event(name = "tcp.*")]
    async fn on_tcp(&self, ctx: EventContext) {
        self.seen.push(json!({
            "node": ctx.broker().node_id(),
            "from": ctx.node_id(),
            "payload": ctx.params,
        }));
    }
}

/// TCP options for tests: no UDP unless asked, gossip every second.
fn options() -> TcpOptions {
    let mut o = TcpOptions::default();
    o.udp_discovery = false;
    o.gossip_period = Duration::from_secs(1);
    o
}

/// TCP options for tests that discover by UDP broadcast on 127.0.0.1 at `udp_port`.
fn udp_options(udp_port: u16) -> TcpOptions {
    let mut o = options();
    o.udp_discovery = true;
    o.udp_port = udp_port;
    o.udp_period = Duration::from_secs(1);
    o.udp_multicast = None;
    o.udp_broadcast =
        moleculer::transporter::tcp::UdpBroadcast::Addresses(vec![std::net::Ipv4Addr::new(
            127, 255, 255, 255,
        )]);
    o
}

fn with_urls(port: u16, peers: &[(&str, u16)]) -> TcpOptions {
    let mut o = options();
    o.port = Some(port);
    o.urls = Some(PeerUrls::List(
        peers
            .iter()
            .map(|(id, port)| format!("127.0.0.1:{port}/{id}"))
            .collect(),
    ));
    o
}

fn node(id: &str, namespace: &str, options: TcpOptions) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .node_id(id)
        .namespace(namespace)
        .transporter(TcpTransporter::new(options))
}

async fn wait_for(broker: &ServiceBroker, services: &[&str]) {
    broker
        .wait_for_services(services, Some(Duration::from_secs(15)))
        .await
        .unwrap_or_else(|err| panic!("{} did not see {services:?}: {err}", broker.node_id()));
}

/// The nodes `broker` sees online (itself included), sorted.
async fn online(broker: &ServiceBroker) -> Vec<String> {
    let list: Value = broker.call("$node.list", json!({})).await.unwrap();
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["available"] == true)
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn static_peers_gossip_call_emit_and_leave() {
    let ns = moleculer_tests::unique_namespace("tcp-static");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("tcp-a", pa), ("tcp-b", pb)];
    let seen = Recorder::default();
    let a = node("tcp-a", &ns, with_urls(pa, &peers))
        .service(Listener { seen: seen.clone() })
        .build()
        .unwrap();
    let b = node("tcp-b", &ns, with_urls(pb, &peers))
        .service(Math)
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["math"]).await;
    wait_for(&b, &["listener"]).await;

    // Calls go over a's connection to b, answers over b's connection to a.
    for i in 0..20 {
        let res: Value = a.call("math.add", json!({"a": i, "b": 1})).await.unwrap();
        assert_eq!(
            res,
            json!({"sum": f64::from(i + 1), "node": "tcp-b", "caller": "tcp-a"})
        );
    }
    let err = a
        .call::<Value, _>("math.add", json!({"a": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.node_id(), Some("tcp-b"));

    // Events, and PING/PONG.
    b.emit("tcp.hello", json!({"n": 1})).await.unwrap();
    b.broadcast("tcp.all", json!({"n": 2})).await.unwrap();
    assert!(seen.wait_for(2, Duration::from_secs(5)).await);
    let mut got = seen.take();
    got.sort_by_key(|v| v["payload"]["n"].as_i64());
    assert_eq!(
        got[0],
        json!({"node": "tcp-a", "from": "tcp-b", "payload": {"n": 1}})
    );
    assert_eq!(got[1]["payload"], json!({"n": 2}));
    let pong = a.ping("tcp-b", Duration::from_secs(2)).await.unwrap();
    assert_eq!(pong["nodeID"], "tcp-b");

    // The registry shows the peer with its TCP port, learned from gossip.
    let list: Value = a.call("$node.list", json!({})).await.unwrap();
    let remote = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "tcp-b")
        .unwrap();
    assert_eq!(remote["port"], pb);
    assert_eq!(remote["available"], true);
    let local = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "tcp-a")
        .unwrap();
    assert_eq!(local["port"], pa);
    assert_eq!(online(&b).await, ["tcp-a", "tcp-b"]);

    // b stops: no DISCONNECT on TCP, a sees its connection close.
    b.stop().await.unwrap();
    moleculer_tests::eventually!(
        "a sees b offline",
        Duration::from_secs(10),
        online(&a).await == ["tcp-a"]
    );
    let err = a
        .call::<Value, _>("math.add", json!({"a": 1, "b": 1}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ServiceNotAvailable | ErrorKind::ServiceNotFound
        ),
        "{err:?}"
    );

    // b comes back (a new process would do the same): gossip brings it back in.
    let b = node("tcp-b", &ns, with_urls(pb, &peers))
        .service(Math)
        .build()
        .unwrap();
    b.start().await.unwrap();
    wait_for(&a, &["math"]).await;
    let res: Value = a.call("math.add", json!({"a": 2, "b": 2})).await.unwrap();
    assert_eq!(res["sum"], 4.0);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn udp_discovery_forms_a_cluster() {
    let ns = moleculer_tests::unique_namespace("tcp-udp");
    let udp_port = free_port();
    let udp = |id: &str| node(id, &ns, udp_options(udp_port));
    let brokers: Vec<ServiceBroker> = [
        udp("udp-1"),
        udp("udp-2").service(Math),
        udp("udp-3").service(Math),
    ]
    .into_iter()
    .map(|b| b.build().unwrap())
    .collect();
    for broker in &brokers {
        broker.start().await.unwrap();
    }
    for broker in &brokers {
        moleculer_tests::eventually!(
            "every node sees the others",
            Duration::from_secs(20),
            online(broker).await == ["udp-1", "udp-2", "udp-3"]
        );
    }
    // Calls from the first node are balanced over the other two.
    wait_for(&brokers[0], &["math"]).await;
    let mut served = std::collections::BTreeSet::new();
    for _ in 0..8 {
        let res: Value = brokers[0]
            .call("math.add", json!({"a": 1, "b": 1}))
            .await
            .unwrap();
        served.insert(res["node"].as_str().unwrap().to_owned());
    }
    assert_eq!(served.len(), 2, "{served:?}");
    // Another namespace on the same UDP port is not part of this cluster.
    let stranger = node("udp-stranger", "other-ns", udp_options(udp_port))
        .build()
        .unwrap();
    stranger.start().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(online(&stranger).await, ["udp-stranger"]);
    assert_eq!(online(&brokers[1]).await, ["udp-1", "udp-2", "udp-3"]);
    stranger.stop().await.unwrap();
    for broker in brokers {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn garbage_and_oversized_frames_cut_off_only_that_peer() {
    let ns = moleculer_tests::unique_namespace("tcp-garbage");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("g-a", pa), ("g-b", pb)];
    let mut small = with_urls(pb, &peers);
    small.max_packet_size = 64 * 1024;
    let a = node("g-a", &ns, with_urls(pa, &peers)).build().unwrap();
    let b = node("g-b", &ns, small).service(Math).build().unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["math"]).await;

    // A bad check byte, a length below the header, an unknown type, an oversized frame,
    // and a frame cut in the middle: each on its own connection to b.
    let oversized = {
        let len: u32 = 1 << 20;
        let [l1, l2, l3, l4] = len.to_be_bytes();
        vec![l1 ^ l2 ^ l3 ^ l4 ^ 2, l1, l2, l3, l4, 2]
    };
    let bad: [&[u8]; 5] = [
        b"GET / HTTP/1.1\r\n\r\n",
        &[0, 0, 0, 0, 1, 1],
        &[9, 0, 0, 0, 7, 9, b'x'],
        &oversized,
        &[0x0b, 0, 0, 0, 0x0c, 2, b'{'],
    ];
    for bytes in bad {
        let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", pb))
            .await
            .unwrap();
        conn.write_all(bytes).await.unwrap();
        drop(conn);
    }
    // A frame whose body is not a packet is dropped, the connection lives on.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", pb))
        .await
        .unwrap();
    conn.write_all(&[0x0a ^ 0x02, 0, 0, 0, 0x0a, 2, b'n', b'u', b'l', b'l'])
        .await
        .unwrap();

    // b still serves a, and still knows it.
    for i in 0..5 {
        let res: Value = a.call("math.add", json!({"a": i, "b": 0})).await.unwrap();
        assert_eq!(res["sum"], f64::from(i));
    }
    assert_eq!(online(&b).await, ["g-a", "g-b"]);

    // A large request within b's limit passes.
    let big = "x".repeat(32 * 1024);
    let res: Value = a
        .call("math.add", json!({"a": 1, "b": 1, "pad": big}))
        .await
        .unwrap();
    assert_eq!(res["sum"], 2.0);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// A peer that starts a frame and stalls is cut off after `frameTimeout`; past
/// `maxIncomingConnections` a new connection is closed at once; the node serves its cluster
/// throughout.
#[tokio::test]
async fn stalled_frames_and_surplus_connections_are_cut_off() {
    use tokio::io::AsyncReadExt;
    let ns = moleculer_tests::unique_namespace("tcp-limits");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("l-a", pa), ("l-b", pb)];
    let mut limited = with_urls(pb, &peers);
    limited.frame_timeout = Duration::from_millis(300);
    limited.max_incoming_connections = 3;
    let a = node("l-a", &ns, with_urls(pa, &peers)).build().unwrap();
    let b = node("l-b", &ns, limited).service(Math).build().unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["math"]).await;

    // Half a frame, then nothing: closed once its time is up.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", pb))
        .await
        .unwrap();
    stalled
        .write_all(&[0x0b, 0, 0, 0, 0x0c, 2, b'{'])
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(5), stalled.read(&mut byte)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "the stalled peer is cut off: {closed:?}"
    );

    // a's connection is one; two more fit, the next ones are closed at once.
    let mut kept = Vec::new();
    for _ in 0..2 {
        kept.push(
            tokio::net::TcpStream::connect(("127.0.0.1", pb))
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut surplus = tokio::net::TcpStream::connect(("127.0.0.1", pb))
        .await
        .unwrap();
    let refused = tokio::time::timeout(Duration::from_secs(5), surplus.read(&mut byte)).await;
    assert!(
        matches!(refused, Ok(Ok(0) | Err(_))),
        "a surplus connection is closed: {refused:?}"
    );

    // b still serves a.
    let res: Value = a.call("math.add", json!({"a": 2, "b": 3})).await.unwrap();
    assert_eq!(res["sum"], 5.0);
    drop(kept);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// `stop()` returns once the TCP connections have written what was sent: the 8 MB of events a
/// node emits just before it stops all arrive, although its process (here: its runtime) ends the
/// moment `stop()` returns.
#[test]
fn stop_writes_what_was_sent_before_it_returns() {
    let receiving = tokio::runtime::Runtime::new().unwrap();
    let ns = moleculer_tests::unique_namespace("tcp-flush");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("f-a", pa), ("f-b", pb)];
    let seen = Recorder::default();
    let b = receiving.block_on(async {
        let b = node("f-b", &ns, with_urls(pb, &peers))
            .service(Listener { seen: seen.clone() })
            .build()
            .unwrap();
        b.start().await.unwrap();
        b
    });
    // One thread: nothing of the node runs after `stop()` returns unless `stop()` waited.
    let leaving = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    leaving.block_on(async {
        // No `stopDelay`: nothing else gives the connection time to write.
        let options: moleculer::BrokerOptions = serde_json::from_value(json!({
            "nodeID": "f-a", "namespace": ns, "registry": { "stopDelay": 0 },
        }))
        .unwrap();
        let a = ServiceBroker::builder()
            .options(options)
            .transporter(TcpTransporter::new(with_urls(pa, &peers)))
            .build()
            .unwrap();
        a.start().await.unwrap();
        wait_for(&a, &["listener"]).await;
        // 8 MB: more than the sockets buffer, so the connection's task must go on writing.
        for i in 0..2000 {
            a.emit("tcp.burst", json!({ "i": i, "pad": "x".repeat(4000) }))
                .await
                .unwrap();
        }
        a.stop().await.unwrap();
    });
    leaving.shutdown_background();
    receiving.block_on(async {
        assert!(
            seen.wait_for(2000, Duration::from_secs(20)).await,
            "{} of 2000 events arrived",
            seen.len()
        );
        b.stop().await.unwrap();
    });
}

/// A TCP frame: check byte, big-endian length (header included), type id, body.
fn frame(type_id: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len() + 6).unwrap().to_be_bytes();
    let mut frame = vec![len[0] ^ len[1] ^ len[2] ^ len[3] ^ type_id];
    frame.extend_from_slice(&len);
    frame.push(type_id);
    frame.extend_from_slice(body);
    frame
}

/// Node sends its `GOSSIP_HELLO` through `transporterSend` and reads the one it gets through
/// `transporterReceive`: a byte transform (here XOR, as encryption would) applies to the hello
/// too, on both sides, and nodes that share it form a cluster.
#[tokio::test]
async fn byte_wrappers_apply_to_the_gossip_hello() {
    use tokio::io::AsyncReadExt;
    let ns = moleculer_tests::unique_namespace("tcp-xor");
    let (pa, pb) = (free_port(), free_port());
    // A bare listener poses as node x-far, to read what a sends first.
    let far = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let pf = far.local_addr().unwrap().port();
    let peers = [("x-a", pa), ("x-b", pb), ("x-far", pf)];
    let a = node("x-a", &ns, with_urls(pa, &peers))
        .middleware(Xor(0x5a))
        .build()
        .unwrap();
    let b = node("x-b", &ns, with_urls(pb, &peers))
        .middleware(Xor(0x5a))
        .service(Math)
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["math"]).await;
    let res: Value = a.call("math.add", json!({"a": 1, "b": 2})).await.unwrap();
    assert_eq!(res["sum"], 3.0);

    // Gossip reaches x-far over a new connection, which starts with a hello, transformed.
    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), far.accept())
        .await
        .expect("a connects to x-far")
        .unwrap();
    let mut header = [0u8; 6];
    conn.read_exact(&mut header).await.unwrap();
    assert_eq!(header[5], 8, "GOSSIP_HELLO first");
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    let mut body = vec![0u8; len - 6];
    conn.read_exact(&mut body).await.unwrap();
    assert!(
        serde_json::from_slice::<Value>(&body).is_err(),
        "not sent as plain JSON"
    );
    let hello: Value = serde_json::from_slice(&moleculer_tests::xor(&body, 0x5a)).unwrap();
    // (b knows x-far as well, and may be first.)
    let expected = if hello["sender"] == "x-b" { pb } else { pa };
    assert!(
        hello["sender"] == "x-a" || hello["sender"] == "x-b",
        "{hello}"
    );
    assert_eq!(hello["port"], expected);

    // A transformed hello from a node a has never heard of: a reads it through its wrappers
    // and registers the node, offline, at the address it gives.
    let hello = json!({"ver": "5", "sender": "x-new", "host": "127.0.0.1", "port": 1});
    let mut to_a = tokio::net::TcpStream::connect(("127.0.0.1", pa))
        .await
        .unwrap();
    to_a.write_all(&frame(
        8,
        &moleculer_tests::xor(hello.to_string().as_bytes(), 0x5a),
    ))
    .await
    .unwrap();
    let known = || async {
        let list: Value = a.call("$node.list", json!({})).await.unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == "x-new")
            .cloned()
    };
    moleculer_tests::eventually!(
        "a registers x-new from its hello",
        Duration::from_secs(5),
        known().await.is_some()
    );
    assert_eq!(known().await.unwrap()["available"], false);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Twenty nodes on one machine find each other by UDP, and the cluster stays whole over
/// several gossip rounds: no node is ever seen leaving.
#[tokio::test]
async fn twenty_nodes_form_a_stable_cluster() {
    const NODES: usize = 20;
    let ns = moleculer_tests::unique_namespace("tcp-20");
    let udp_port = free_port();
    let left = Recorder::default();
    let brokers: Vec<ServiceBroker> = (0..NODES)
        .map(|i| {
            node(&format!("n{i:02}"), &ns, udp_options(udp_port))
                .service(Watcher { left: left.clone() })
                .build()
                .unwrap()
        })
        .collect();
    for started in futures_util::future::join_all(brokers.iter().map(ServiceBroker::start)).await {
        started.unwrap();
    }
    let all: Vec<String> = (0..NODES).map(|i| format!("n{i:02}")).collect();
    for broker in &brokers {
        moleculer_tests::eventually!(
            "every node sees all twenty",
            Duration::from_secs(30),
            online(broker).await == all
        );
    }
    // Stable: five more gossip rounds, nobody leaves, every node still sees everyone.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(left.is_empty(), "nodes seen leaving: {:?}", left.take());
    for broker in &brokers {
        assert_eq!(online(broker).await, all, "on {}", broker.node_id());
    }
    // Every node can call every other node's watcher.
    for (i, broker) in brokers.iter().enumerate() {
        let target = format!("n{:02}", (i + 1) % NODES);
        let who: String = broker
            .call_with(
                "watcher.whoami",
                json!({}),
                CallOptions::new().node_id(&target),
            )
            .await
            .unwrap();
        assert_eq!(who, target);
    }
    for stopped in futures_util::future::join_all(brokers.iter().map(ServiceBroker::stop)).await {
        stopped.unwrap();
    }
}

struct Watcher {
    left: Recorder,
}

#[service(name = "watcher", register = false)]
impl Watcher {
    #[action]
    async fn whoami(&self, ctx: Context) -> Result<String> {
        Ok(ctx.broker().node_id().to_owned())
    }

    #[event(name = "$node.disconnected")]
    async fn node_left(&self, ctx: EventContext) {
        self.left
            .push(json!({ "on": ctx.broker().node_id(), "node": ctx.params["node"]["id"] }));
    }
}

/// Hands every received message on later, from a task of its own (as a receiving hook that
/// has to wait does), and notes the peer address each `GOSSIP_HELLO` arrived with.
struct Deferring {
    hello_sources: Recorder,
}

impl moleculer::middleware::Middleware for Deferring {
    fn transporter_receive(
        &self,
        next: &moleculer::middleware::ReceiveHandler,
    ) -> Option<moleculer::middleware::ReceiveHandler> {
        let (next, sources) = (next.clone(), self.hello_sources.clone());
        Some(std::sync::Arc::new(
            move |msg: moleculer::middleware::ReceivedMessage| {
                if msg.packet_type == moleculer::protocol::PacketType::GossipHello {
                    sources.push(json!(msg.source));
                }
                let next = next.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    next(msg);
                });
            },
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receive_hook_that_defers_keeps_gossip_and_serving_working() {
    let ns = moleculer_tests::unique_namespace("tcp-defer");
    let (pa, pb) = (free_port(), free_port());
    let sources = Recorder::default();
    // Only a knows where b listens: b learns of a from a's GOSSIP_HELLO alone, which reaches
    // gossip after the hook's delay, with the address of the connection it came on.
    let a = node("defer-a", &ns, with_urls(pa, &[("defer-b", pb)]))
        .middleware(Deferring {
            hello_sources: sources.clone(),
        })
        .service(Math)
        .build()
        .unwrap();
    let b = node("defer-b", &ns, with_urls(pb, &[]))
        .middleware(Deferring {
            hello_sources: sources.clone(),
        })
        .service(Math)
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    moleculer_tests::eventually!(
        "both nodes see each other",
        Duration::from_secs(15),
        online(&a).await == ["defer-a", "defer-b"] && online(&b).await == ["defer-a", "defer-b"]
    );
    assert!(
        sources
            .take()
            .iter()
            .any(|s| s.as_str() == Some("127.0.0.1")),
        "the hello's source address reaches the hook"
    );
    // Many calls at once both ways, each answered correctly.
    let calls = (0..200).map(|i| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            let (from, to) = if i % 2 == 0 {
                (a, "defer-b")
            } else {
                (b, "defer-a")
            };
            let options = CallOptions::new().node_id(to);
            let res: Value = from
                .call_with("math.add", json!({"a": i, "b": 1}), options)
                .await
                .unwrap();
            assert_eq!(res["sum"], f64::from(i + 1));
            assert_eq!(res["node"], to);
        }
    });
    futures_util::future::join_all(calls).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
