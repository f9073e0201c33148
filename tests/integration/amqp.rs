//! The AMQP transporter on RabbitMQ, with real Node.js Moleculer nodes (0.14 / protocol 4
//! and 0.15 / protocol 5, both on amqplib): calls and events both ways; RabbitMQ balancing
//! with `disableBalancer`; the queues and exchanges shaped exactly as Node's; requests
//! acknowledged only once answered (a slow node takes fewer, and a request whose node
//! crashed or lost its connection is served by another); a lost connection made again.
//! Skipped when RabbitMQ (or `node`) is missing, unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::process::Command;
use std::time::{Duration, Instant};

use lapin::options::{ExchangeDeclareOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use moleculer::prelude::*;
use moleculer::transporter::{AmqpOptions, AmqpTransporter};
use moleculer_tests::node::{NodePeer, NodeVersion, amqp_available, amqp_url, node_tcp_available};
use moleculer_tests::{Recorder, unique_namespace};
use serde_json::{Value, json};

async fn available() -> bool {
    amqp_available().await && node_tcp_available()
}

fn transporter() -> AmqpTransporter {
    AmqpTransporter::new(AmqpOptions::new(amqp_url()))
}

async fn with_node(version: NodeVersion) {
    if !available().await {
        return;
    }
    crate::wire::exchange("amqp", version, transporter(), json!(amqp_url())).await;
}

#[tokio::test]
async fn rust_and_node_0_15_over_amqp() {
    with_node(NodeVersion::V15).await;
}

#[tokio::test]
async fn rust_and_node_0_14_over_amqp() {
    with_node(NodeVersion::V14).await;
}

/// With `disableBalancer`, RabbitMQ balances: two Rust and two Node workers consume the
/// `REQB.slow.work` and `EVENTB.slow.slow.done` queues, and calls and events from either
/// kind reach workers of both kinds, each event once. (Node's AMQP queues are named after
/// the event, so a balanced event reaches only handlers of that exact name: a wildcard
/// handler's queue, `EVENTB.<group>.user.*`, gets nothing, in Node as here.)
pub(crate) async fn rabbitmq_balances(version: NodeVersion) {
    if !available().await {
        return;
    }
    let ns = unique_namespace("amqp-balance");
    let options = json!({ "disableBalancer": true });
    let mut rust = Vec::new();
    let mut heard = Vec::new();
    for i in 1..=2 {
        let slow = Slow::default();
        heard.push(slow.heard.clone());
        let id = format!("{ns}-rust-{i}");
        let broker = ServiceBroker::builder()
            .options(serde_json::from_value(options.clone()).unwrap())
            .node_id(&id)
            .namespace(&ns)
            .protocol_version(version.protocol_version())
            .transporter(transporter())
            .service(slow)
            .build()
            .unwrap();
        broker.start().await.unwrap();
        rust.push(broker);
    }
    let mut peers = Vec::new();
    for i in 1..=2 {
        let peer = NodePeer::spawn_with(
            version,
            &format!("{ns}-node-{i}"),
            &ns,
            &["slow"],
            &json!({ "transporter": amqp_url(), "disableBalancer": true }),
        )
        .await
        .unwrap();
        peers.push(peer);
    }
    moleculer_tests::eventually!(
        "every node knows the others",
        Duration::from_secs(20),
        rust[0]
            .call::<Value, _>("$node.list", json!({}))
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len()
            == 4
    );
    let kind = |served_by: &Value| {
        let id = served_by.as_str().unwrap_or_default();
        if id.contains("-rust-") {
            "rust"
        } else {
            "node"
        }
    };
    let mut from_rust = std::collections::BTreeMap::<&str, u32>::new();
    let mut from_node = std::collections::BTreeMap::<&str, u32>::new();
    for n in 0..20 {
        let answer = rust[0]
            .call::<Value, _>("slow.work", json!({ "n": n }))
            .await
            .unwrap();
        *from_rust.entry(kind(&answer["servedBy"])).or_default() += 1;
        let answer = peers[0]
            .call("slow.work", json!({ "n": n }), Value::Null)
            .await
            .unwrap();
        *from_node.entry(kind(&answer["servedBy"])).or_default() += 1;
    }
    assert_eq!(from_rust.len(), 2, "Rust's calls: {from_rust:?}");
    assert_eq!(from_node.len(), 2, "Node's calls: {from_node:?}");
    for n in 0..20 {
        rust[0].emit("slow.done", json!({ "n": n })).await.unwrap();
        peers[0]
            .emit("slow.done", json!({ "n": n + 100 }), Value::Null)
            .await
            .unwrap();
    }
    let mut at_rust = 0;
    let mut at_node;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        at_rust += heard.iter().map(|h| h.take().len()).sum::<usize>();
        at_node = 0;
        for peer in &mut peers {
            let list = peer
                .call("slow.heard", json!({}), Value::Null)
                .await
                .unwrap();
            at_node += list.as_array().unwrap().len();
        }
        if at_rust + at_node >= 40 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        at_rust + at_node,
        40,
        "at Rust {at_rust}, at Node {at_node}"
    );
    assert!(
        at_rust > 0 && at_node > 0,
        "at Rust {at_rust}, at Node {at_node}"
    );
    for peer in peers {
        peer.stop().await.unwrap();
    }
    for broker in rust {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn rabbitmq_balances_rust_and_node_0_15_nodes() {
    rabbitmq_balances(NodeVersion::V15).await;
}

#[tokio::test]
async fn rabbitmq_balances_rust_and_node_0_14_nodes() {
    rabbitmq_balances(NodeVersion::V14).await;
}

/// A worker: `slow.work` answers after `rustMs` (or `ms`), and `extra`, saying which node
/// served it; the same action as the Node peer's `slow` service (which waits `nodeMs`, or
/// `ms`), so both consume one `REQB` queue.
#[derive(Default)]
struct Slow {
    /// Added to every wait.
    extra: Duration,
    /// The `slow.done` events it got.
    heard: Recorder,
    /// How long the first request waits, whatever it asks.
    hold_once: std::sync::Mutex<Option<Duration>>,
    started: Recorder,
}

#[service(name = "slow", register = false)]
impl Slow {
    #[action]
    async fn work(&self, ctx: Context) -> Result<Value> {
        self.started.push(ctx.params.clone());
        let params = &ctx.params;
        let ms = params["rustMs"].as_u64().or(params["ms"].as_u64());
        let held = self.hold_once.lock().unwrap().take();
        let wait = held.unwrap_or(Duration::from_millis(ms.unwrap_or(0)));
        tokio::time::sleep(wait + self.extra).await;
        Ok(json!({ "servedBy": ctx.broker().node_id(), "n": ctx.params["n"] }))
    }

    #[event(name = "slow.done")]
    async fn done(&self, ctx: EventContext) {
        self.heard.push(ctx.params);
    }

    #[event(name = "$transporter.connected")]
    async fn connected(&self, ctx: EventContext) {
        self.started.push(json!({ "connected": ctx.params }));
    }
}

async fn rust_node(ns: &str, id: &str, slow: Option<Slow>, options: Value) -> ServiceBroker {
    let mut builder = ServiceBroker::builder()
        .options(serde_json::from_value(options).unwrap())
        .node_id(id)
        .namespace(ns)
        .transporter(transporter());
    if let Some(slow) = slow {
        builder = builder.service(slow);
    }
    let broker = builder.build().unwrap();
    broker.start().await.unwrap();
    broker
}

/// The queues and the exchange Node declares for a node, with Node's exact arguments: a
/// declaration with other arguments fails (PRECONDITION_FAILED), so declaring them again
/// with Node's succeeds only if the Rust node made them the same.
#[tokio::test]
async fn queues_and_exchanges_are_nodes() {
    if !amqp_available().await {
        return;
    }
    let ns = unique_namespace("amqp-shape");
    let id = format!("{ns}-rust");
    let broker = rust_node(
        &ns,
        &id,
        Some(Slow::default()),
        json!({ "disableBalancer": true }),
    )
    .await;
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap();
    let prefix = format!("MOL-{ns}");
    let expires = |ms: i32| {
        let mut table = FieldTable::default();
        table.insert("x-expires".into(), AMQPValue::LongInt(ms));
        table
    };
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let auto_delete = QueueDeclareOptions {
        durable: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let expected = [
        (format!("{prefix}.REQ.{id}"), durable, expires(120_000)),
        (format!("{prefix}.RES.{id}"), durable, expires(120_000)),
        (format!("{prefix}.EVENT.{id}"), durable, expires(120_000)),
        (
            format!("{prefix}.INFO.{id}"),
            auto_delete,
            FieldTable::default(),
        ),
        (
            format!("{prefix}.DISCOVER.{id}"),
            auto_delete,
            FieldTable::default(),
        ),
        (
            format!("{prefix}.HEARTBEAT.{id}"),
            auto_delete,
            FieldTable::default(),
        ),
        (
            format!("{prefix}.REQB.slow.work"),
            durable,
            FieldTable::default(),
        ),
        (
            format!("{prefix}.EVENTB.slow.slow.done"),
            durable,
            expires(120_000),
        ),
    ];
    // Balanced subscriptions follow the INFO broadcast at start.
    let channel = connection.create_channel().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    for (queue, options, arguments) in &expected {
        loop {
            let passive = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let probe = connection.create_channel().await.unwrap();
            if probe
                .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                .await
                .is_ok()
            {
                break;
            }
            assert!(Instant::now() < deadline, "{queue} was never declared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        channel
            .queue_declare(queue.as_str().into(), *options, arguments.clone())
            .await
            .unwrap_or_else(|err| panic!("{queue} is not shaped as Node's: {err}"));
    }
    let fanout = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            format!("{prefix}.INFO").as_str().into(),
            ExchangeKind::Fanout,
            fanout,
            FieldTable::default(),
        )
        .await
        .expect("the INFO exchange is a durable fanout, as Node's");
    // The check can fail: other arguments for the same queue are refused.
    let other = channel
        .queue_declare(
            format!("{prefix}.REQ.{id}").as_str().into(),
            durable,
            expires(60_000),
        )
        .await;
    assert!(other.is_err(), "RabbitMQ refuses other arguments");
    broker.stop().await.unwrap();
}

/// Requests are acknowledged once answered, `prefetch` (1) at a time per node: RabbitMQ
/// gives a node that is busy no more, so a slow Rust node takes few of 20 requests that a
/// fast Node node shares with it. (Were they acknowledged on arrival, RabbitMQ would give
/// each node every other one.)
#[tokio::test]
async fn a_slow_node_takes_fewer_requests() {
    if !available().await {
        return;
    }
    let ns = unique_namespace("amqp-avail");
    let options = json!({ "disableBalancer": true, "requestTimeout": 30000 });
    let caller = rust_node(&ns, &format!("{ns}-caller"), None, options.clone()).await;
    let slow = Slow {
        extra: Duration::from_millis(700),
        ..Slow::default()
    };
    let rust_id = format!("{ns}-rust");
    let worker = rust_node(&ns, &rust_id, Some(slow), options.clone()).await;
    let node = NodePeer::spawn_with(
        NodeVersion::V15,
        &format!("{ns}-node"),
        &ns,
        &["slow"],
        &json!({ "transporter": amqp_url(), "disableBalancer": true }),
    )
    .await
    .unwrap();
    moleculer_tests::eventually!(
        "both workers are known",
        Duration::from_secs(20),
        caller
            .call::<Value, _>("$node.list", json!({}))
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len()
            == 3
    );
    let calls = (0..20).map(|n| {
        let caller = caller.clone();
        async move {
            caller
                .call::<Value, _>("slow.work", json!({ "n": n, "ms": 20 }))
                .await
                .unwrap()
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let by_rust = answers
        .iter()
        .filter(|a| a["servedBy"] == rust_id.as_str())
        .count();
    assert!(
        (1..=4).contains(&by_rust),
        "the slow Rust node served {by_rust} of 20: {answers:?}"
    );
    node.stop().await.unwrap();
    worker.stop().await.unwrap();
    caller.stop().await.unwrap();
}

/// A Node worker that crashes while it holds a request: RabbitMQ gives the request to the
/// Rust worker, which answers it.
#[tokio::test]
async fn a_request_left_by_a_crashed_node_is_served_by_rust() {
    if !available().await {
        return;
    }
    let ns = unique_namespace("amqp-crash");
    let options = json!({ "disableBalancer": true, "requestTimeout": 30000 });
    let caller = rust_node(&ns, &format!("{ns}-caller"), None, options.clone()).await;
    let node = NodePeer::spawn_with(
        NodeVersion::V15,
        &format!("{ns}-node"),
        &ns,
        &["slow"],
        &json!({ "transporter": amqp_url(), "disableBalancer": true }),
    )
    .await
    .unwrap();
    caller
        .wait_for_services(&["slow"], Some(Duration::from_secs(20)))
        .await
        .unwrap();
    // Only the Node worker consumes the queue yet: it gets the request and holds it.
    let call = {
        let caller = caller.clone();
        tokio::spawn(async move {
            caller
                .call::<Value, _>("slow.work", json!({ "n": 1, "ms": 60000, "rustMs": 0 }))
                .await
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let slow = Slow::default();
    let started = slow.started.clone();
    let rust_id = format!("{ns}-rust");
    let worker = rust_node(&ns, &rust_id, Some(slow), options).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(started.is_empty(), "the request is still the Node worker's");
    node.kill().await;
    let answer = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("answered once given again")
        .unwrap()
        .unwrap();
    assert_eq!(answer, json!({ "servedBy": rust_id, "n": 1 }));
    worker.stop().await.unwrap();
    caller.stop().await.unwrap();
}

/// Closes the RabbitMQ connections of the node `node_id` (as a network failure would) with
/// `rabbitmqctl`; `false` when there is no such command here.
fn close_connections_of(node_id: &str) -> bool {
    let listed = Command::new("rabbitmqctl")
        .args(["list_connections", "pid", "client_properties", "-q"])
        .output();
    let Ok(listed) = listed else {
        let reason = "rabbitmqctl is not installed";
        assert!(!moleculer_tests::node::brokers_required(), "{reason}");
        println!("skipped: {reason}");
        return false;
    };
    let name = format!("{{\"connection_name\",\"moleculer {node_id}\"}}");
    let text = String::from_utf8_lossy(&listed.stdout);
    let pids: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(&name))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(!pids.is_empty(), "no connection of {node_id}: {text}");
    for pid in pids {
        let closed = Command::new("rabbitmqctl")
            .args(["close_connection", pid, "closed by the test"])
            .output()
            .unwrap();
        assert!(closed.status.success(), "{closed:?}");
    }
    true
}

/// A Rust worker whose connection is lost while it holds a request: RabbitMQ gives the
/// request again, to the Node worker or to the Rust node once it has connected again, and
/// it is answered; the Rust node subscribes again (`$transporter.connected {wasReconnect:
/// true}`) and serves calls as before.
#[tokio::test]
async fn a_rust_node_that_lost_its_connection_leaves_its_request_and_comes_back() {
    if !available().await {
        return;
    }
    let ns = unique_namespace("amqp-lost");
    let options = json!({ "disableBalancer": true, "requestTimeout": 30000 });
    let caller = rust_node(&ns, &format!("{ns}-caller"), None, options.clone()).await;
    let slow = Slow {
        hold_once: std::sync::Mutex::new(Some(Duration::from_secs(60))),
        ..Slow::default()
    };
    let started = slow.started.clone();
    let rust_id = format!("{ns}-rust");
    let worker = rust_node(&ns, &rust_id, Some(slow), options).await;
    caller
        .wait_for_services(&["slow"], Some(Duration::from_secs(20)))
        .await
        .unwrap();
    let call = {
        let caller = caller.clone();
        tokio::spawn(async move {
            caller
                .call::<Value, _>("slow.work", json!({ "n": 1 }))
                .await
        })
    };
    moleculer_tests::eventually!(
        "the Rust worker holds the request",
        Duration::from_secs(10),
        started.take().iter().any(|s| s["n"] == 1)
    );
    let node_id = format!("{ns}-node");
    let node = NodePeer::spawn_with(
        NodeVersion::V15,
        &node_id,
        &ns,
        &["slow"],
        &json!({ "transporter": amqp_url(), "disableBalancer": true }),
    )
    .await
    .unwrap();
    if !close_connections_of(&rust_id) {
        return;
    }
    let answer = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("answered once given again")
        .unwrap()
        .unwrap();
    assert_eq!(answer["n"], 1, "{answer}");
    moleculer_tests::eventually!(
        "the Rust node connected again",
        Duration::from_secs(20),
        started
            .take()
            .iter()
            .any(|s| s["connected"]["wasReconnect"] == true)
    );
    let again = caller
        .call::<Value, _>("slow.work", json!({ "n": 2 }))
        .await
        .unwrap();
    assert_eq!(again["n"], 2);
    node.kill().await;
    worker.stop().await.unwrap();
    caller.stop().await.unwrap();
}

/// A Rust node and a Node node (amqplib) on RabbitMQ over TLS (`amqps://`, through a TLS
/// front the test runs): both check the server's certificate against the test's CA; a Rust
/// node that trusts another CA cannot connect.
#[tokio::test]
async fn rust_and_node_over_amqp_with_tls() {
    use moleculer_tests::pki::{Pki, openssl_available};
    use moleculer_tests::tls_proxy::TlsProxy;
    if !(available().await && openssl_available()) {
        return;
    }
    let pki = Pki::new("amqp-tls");
    pki.issue("server", "IP:127.0.0.1", "serverAuth");
    let plain = amqp_url();
    let authority = plain.split_once("://").map_or(plain.as_str(), |(_, r)| r);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let proxy = TlsProxy::start(&pki, host_port.split('/').next().unwrap()).await;
    let url = format!("amqps://guest:guest@127.0.0.1:{}", proxy.port);
    let option = |ca: &str| -> moleculer::options::TransporterOption {
        serde_json::from_value(json!({ "type": "AMQP", "options": {
            "url": url, "tls": { "caFile": ca }
        }}))
        .unwrap()
    };
    let ns = unique_namespace("amqp-tls");
    let rust = ServiceBroker::builder()
        .node_id(format!("{ns}-rust"))
        .namespace(&ns)
        .transporter(AmqpTransporter::new(
            AmqpOptions::from_option(&option(&pki.path("ca.pem"))).unwrap(),
        ))
        .service(crate::wire::Rusty::default())
        .build()
        .unwrap();
    rust.start().await.unwrap();
    let ca = std::fs::read_to_string(pki.path("ca.pem")).unwrap();
    let mut peer = NodePeer::spawn_with(
        NodeVersion::V15,
        &format!("{ns}-node"),
        &ns,
        &["math"],
        &json!({ "transporter": { "type": "AMQP", "options": {
            "url": url, "socketOptions": { "ca": [ca] }
        }}}),
    )
    .await
    .expect("the Node peer starts");
    rust.wait_for_services(&["math"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    let sum: f64 = rust
        .call("math.add", json!({ "a": 1, "b": 2 }))
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    peer.wait_for_services(&["rusty"], Duration::from_secs(30))
        .await
        .unwrap();
    let who = peer
        .call("rusty.whoami", json!({ "x": 1 }), Value::Null)
        .await
        .unwrap();
    assert_eq!(who["params"], json!({ "x": 1 }));

    // A node that trusts another CA does not get in.
    let rogue = Pki::new("amqp-tls-rogue");
    let stranger =
        AmqpTransporter::new(AmqpOptions::from_option(&option(&rogue.path("ca.pem"))).unwrap());
    moleculer_tests::assert_cannot_connect(&format!("{ns}-stranger"), &ns, stranger).await;
    peer.stop().await.unwrap();
    rust.stop().await.unwrap();
}
