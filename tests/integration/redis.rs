//! The Redis transporter: a Rust node and a real Node.js Moleculer node (0.14 / protocol 4 and
//! 0.15 / protocol 5, both on ioredis) on the same Redis server call each other with params,
//! meta and errors, emit events both ways and see each other leave; and Rust nodes on a
//! redis-server this test starts on its own port keep working across a restart of it, each
//! sending its INFO again. Skipped when Redis (or `node`, or `redis-server`) is missing,
//! unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::wire::Rusty;
use moleculer::prelude::*;
use moleculer::transporter::{RedisOptions, RedisTransporter};
use moleculer_tests::node::{
    NodePeer, NodeVersion, brokers_required, node_tcp_available, redis_available, redis_url,
};
use moleculer_tests::pki::{Pki, openssl_available};
use moleculer_tests::private_server::{self, PrivateServer};
use moleculer_tests::{Recorder, free_port};
use serde_json::{Value, json};

#[derive(Default)]
struct Echo;

#[service(name = "echo", register = false)]
impl Echo {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }
}

async fn with_node(version: NodeVersion) {
    if !(redis_available().await && node_tcp_available()) {
        return;
    }
    let url = redis_url();
    let transporter = RedisTransporter::new(RedisOptions::new(url.clone()));
    crate::wire::exchange("redis", version, transporter, json!(url)).await;
}

#[tokio::test]
async fn rust_and_node_0_15_over_redis() {
    with_node(NodeVersion::V15).await;
}

#[tokio::test]
async fn rust_and_node_0_14_over_redis() {
    with_node(NodeVersion::V14).await;
}

pub(crate) fn redis_server_path() -> Option<String> {
    let path = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".to_owned());
    private_server::installed(&path).then_some(path)
}

/// The private redis-servers of these tests (plain, TLS only, cluster nodes).
pub(crate) struct PrivateRedis;

impl PrivateRedis {
    pub(crate) fn start(bin: &str, port: u16) -> PrivateServer {
        PrivateRedis::start_with(bin, port, &["--port", &port.to_string()])
    }

    /// A redis-server on `port` that speaks TLS only, with `pki`'s `server` certificate.
    fn start_tls(bin: &str, port: u16, pki: &Pki) -> PrivateServer {
        let (port_text, cert, key, ca) = (
            port.to_string(),
            pki.path("server.pem"),
            pki.path("server-key.pem"),
            pki.path("ca.pem"),
        );
        let args = [
            "--port",
            "0",
            "--tls-port",
            &port_text,
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
        ];
        PrivateRedis::start_with(bin, port, &args)
    }

    fn start_with(bin: &str, port: u16, args: &[&str]) -> PrivateServer {
        let common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
        let all: Vec<&str> = args.iter().chain(common.iter()).copied().collect();
        PrivateServer::start(bin, &all, port).expect("redis-server starts")
    }
}

#[tokio::test]
async fn nodes_survive_a_redis_restart() {
    let Some(bin) = redis_server_path() else {
        assert!(!brokers_required(), "redis-server is not installed");
        println!("skipped: redis-server is not installed");
        return;
    };
    let port = free_port();
    let mut server = PrivateRedis::start(&bin, port);
    let url = format!("redis://127.0.0.1:{port}");
    let seen = Recorder::default();
    let build = |id: &str| {
        ServiceBroker::builder()
            .node_id(id)
            .namespace("redis-restart")
            .transporter(RedisTransporter::new(RedisOptions::new(url.clone())))
    };
    let a = build("a")
        .service(Rusty { seen: seen.clone() })
        .build()
        .unwrap();
    let b = build("b").service(Echo).build().unwrap();
    b.start().await.unwrap();
    a.start().await.unwrap();
    a.wait_for_services(&["echo"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let first: Value = a.call("echo.echo", json!({ "n": 1 })).await.unwrap();
    assert_eq!(first, json!({ "n": 1 }));

    // The server goes away for a while and comes back on the same port; a raw subscriber
    // listens for INFO packets from then on.
    drop(server);
    let err = a
        .call_with::<Value, _>(
            "echo.echo",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            moleculer::ErrorKind::RequestTimeout | moleculer::ErrorKind::BrokerDisconnected
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server = PrivateRedis::start(&bin, port);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut infos = client.get_async_pubsub().await.unwrap();
    infos.subscribe("MOL-redis-restart.INFO").await.unwrap();

    // Both reconnect and resubscribe; the registries kept each other's services.
    let answer = moleculer_tests::call_until_answered(
        &a,
        "echo.echo",
        json!({ "n": 2 }),
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(answer, json!({ "n": 2 }));
    moleculer_tests::eventually!(
        "a reconnect is announced",
        Duration::from_secs(10),
        seen.take()
            .iter()
            .any(|e| e["connected"] == json!({ "wasReconnect": true }))
    );
    // Each node sent its INFO again, unasked.
    let mut senders = std::collections::BTreeSet::new();
    let mut stream = infos.on_message();
    while senders.len() < 2 {
        let message = tokio::time::timeout(
            Duration::from_secs(10),
            futures_util::StreamExt::next(&mut stream),
        )
        .await
        .expect("INFO again after the reconnect")
        .unwrap();
        let info: Value = serde_json::from_slice(message.get_payload_bytes()).unwrap();
        senders.insert(info["sender"].as_str().unwrap().to_owned());
    }
    assert_eq!(senders.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    drop(stream);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    drop(server);
}

/// A Rust node and a Node node (ioredis) on a redis-server that speaks TLS only: both check
/// the server's certificate against the test's CA; a Rust node that trusts another CA cannot
/// connect.
#[tokio::test]
async fn rust_and_node_over_redis_with_tls() {
    let Some(bin) = redis_server_path() else {
        assert!(!brokers_required(), "redis-server is not installed");
        println!("skipped: redis-server is not installed");
        return;
    };
    if !(openssl_available() && node_tcp_available()) {
        return;
    }
    let pki = Pki::new("redis-tls");
    pki.issue("server", "IP:127.0.0.1", "serverAuth");
    let port = free_port();
    let _server = PrivateRedis::start_tls(&bin, port, &pki);
    let tls_options =
        |ca: &str| json!({ "host": "127.0.0.1", "port": port, "tls": { "caFile": ca } });
    let transporter = |ca: &str| -> moleculer::options::TransporterOption {
        serde_json::from_value(json!({ "type": "Redis", "options": tls_options(ca) })).unwrap()
    };
    let options = RedisOptions::from_option(&transporter(&pki.path("ca.pem"))).unwrap();
    assert!(
        options.servers[0].starts_with("rediss://"),
        "{:?}",
        options.servers
    );
    let ns = moleculer_tests::unique_namespace("redis-tls");
    let rust = ServiceBroker::builder()
        .node_id("rust-tls")
        .namespace(&ns)
        .transporter(RedisTransporter::new(options))
        .service(Rusty::default())
        .build()
        .unwrap();
    rust.start().await.unwrap();
    let ca = std::fs::read_to_string(pki.path("ca.pem")).unwrap();
    let mut peer = NodePeer::spawn_with(
        NodeVersion::V15,
        "node-tls",
        &ns,
        &["math"],
        &json!({ "transporter": { "type": "Redis", "options": {
            "host": "127.0.0.1", "port": port, "tls": { "ca": ca, "servername": "127.0.0.1" }
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
    let rogue = Pki::new("redis-tls-rogue");
    let stranger = RedisTransporter::new(
        RedisOptions::from_option(&transporter(&rogue.path("ca.pem"))).unwrap(),
    );
    moleculer_tests::assert_cannot_connect("stranger", &ns, stranger).await;
    peer.stop().await.unwrap();
    rust.stop().await.unwrap();
}

/// A Redis Cluster of three masters this test starts on its own ports (full coverage not
/// required, so the others go on when one goes); removed on drop.
pub(crate) struct PrivateCluster {
    nodes: Vec<(u16, PrivateServer)>,
    _dir: std::path::PathBuf,
}

impl PrivateCluster {
    pub(crate) fn start(bin: &str) -> Option<PrivateCluster> {
        let dir = std::env::temp_dir().join(format!("moleculer-redis-cluster-{}", free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let port_text = port.to_string();
            let conf = dir.join(format!("nodes-{port}.conf"));
            let dir_text = dir.to_string_lossy().into_owned();
            let conf_text = conf.to_string_lossy().into_owned();
            let args = [
                "--port",
                &port_text,
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                &conf_text,
                "--cluster-require-full-coverage",
                "no",
                "--dir",
                &dir_text,
            ];
            nodes.push((port, PrivateRedis::start_with(bin, port, &args)));
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|(p, _)| format!("127.0.0.1:{p}"))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        assert!(created.success(), "redis-cli --cluster create failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        for (port, _) in &nodes {
            loop {
                let info = Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .unwrap();
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    break;
                }
                assert!(Instant::now() < deadline, "the cluster did not come up");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Some(PrivateCluster { nodes, _dir: dir })
    }

    pub(crate) fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|(p, _)| *p).collect()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

/// `cluster: {nodes}`: a Rust node and a Node node (an ioredis Cluster client) on a Redis
/// Cluster call each other; a Rust node whose server goes away moves to the next node of
/// the list and is heard again.
#[tokio::test]
async fn rust_and_node_on_a_redis_cluster() {
    let Some(bin) = redis_server_path() else {
        assert!(!brokers_required(), "redis-server is not installed");
        println!("skipped: redis-server is not installed");
        return;
    };
    if !node_tcp_available() {
        return;
    }
    let Some(mut cluster) = PrivateCluster::start(&bin) else {
        assert!(!brokers_required(), "redis-cli is not installed");
        println!("skipped: redis-cli is not installed");
        return;
    };
    let ports = cluster.ports();
    let nodes = |order: &[usize]| -> Value {
        order
            .iter()
            .map(|&i| json!({ "host": "127.0.0.1", "port": ports[i] }))
            .collect()
    };
    let transporter = |order: &[usize]| {
        let option: moleculer::options::TransporterOption = serde_json::from_value(
            json!({ "type": "Redis", "options": { "cluster": { "nodes": nodes(order) } } }),
        )
        .unwrap();
        RedisTransporter::new(RedisOptions::from_option(&option).unwrap())
    };
    let ns = moleculer_tests::unique_namespace("redis-cluster");
    // `a` listens on the second node first, `b` on the third.
    let a = ServiceBroker::builder()
        .node_id("a")
        .namespace(&ns)
        .transporter(transporter(&[1, 0, 2]))
        .build()
        .unwrap();
    let b = ServiceBroker::builder()
        .node_id("b")
        .namespace(&ns)
        .transporter(transporter(&[2, 0]))
        .service(Rusty::default())
        .build()
        .unwrap();
    b.start().await.unwrap();
    a.start().await.unwrap();
    let mut peer = NodePeer::spawn_with(
        NodeVersion::V15,
        "node-cluster",
        &ns,
        &["math"],
        &json!({ "transporter": { "type": "Redis", "options": { "cluster": { "nodes": nodes(&[0]) } } } }),
    )
    .await
    .expect("the Node peer starts");
    a.wait_for_services(&["math", "rusty"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    let sum: f64 = a.call("math.add", json!({ "a": 2, "b": 3 })).await.unwrap();
    assert_eq!(sum, 5.0);
    peer.wait_for_services(&["rusty"], Duration::from_secs(30))
        .await
        .unwrap();
    let who = peer
        .call("rusty.whoami", json!({ "via": "cluster" }), Value::Null)
        .await
        .unwrap();
    assert_eq!(who["params"], json!({ "via": "cluster" }));
    peer.stop().await.unwrap();

    // The node `a` listens on goes away: `a` moves on to the first node and is heard again.
    let (_, gone) = cluster.nodes.remove(1);
    drop(gone);
    let who = moleculer_tests::call_until_answered(
        &a,
        "rusty.whoami",
        json!({ "n": 1 }),
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(who["params"], json!({ "n": 1 }));
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
