//! TLS on the TCP transporter: a cluster whose nodes hold certificates its CA signed talks
//! as usual and nothing of it can be read on the wire; a node without such a certificate, a
//! plain node, and a name the certificate does not hold are all kept out.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTls, TcpTransporter, tcp::PeerUrls};
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::pki::{Pki, openssl_available};
use moleculer_tests::{Recorder, free_port};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Words that must not cross the wire in the clear.
const SECRET: &str = "the-combination-is-4-8-15-16-23-42";

#[derive(Default)]
struct Vault;

#[service(name = "vault", register = false)]
impl Vault {
    #[action(params = { secret: "string" })]
    async fn keep(&self, ctx: Context) -> Result<Value> {
        let secret = ctx.params["secret"].as_str().unwrap_or_default();
        Ok(json!({ "kept": secret.len(), "by": ctx.broker().node_id() }))
    }
}

struct Watcher {
    seen: Recorder,
}

#[service(name = "watcher", register = false)]
impl Watcher {
    #[event(name = "vault.*")]
    async fn on_vault(&self, ctx: EventContext) {
        self.seen.push(ctx.params.clone());
    }
}

/// Options for a node on `port` that knows `peers` (nodeID, port) on 127.0.0.1, with `tls`.
fn options(port: u16, peers: &[(&str, u16)], tls: Option<TcpTls>) -> TcpOptions {
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
    o.tls = tls;
    o
}

fn node(id: &str, namespace: &str, options: TcpOptions) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .node_id(id)
        .namespace(namespace)
        .request_timeout(Duration::from_secs(3))
        .transporter(TcpTransporter::new(options))
}

/// A proxy on a free port to 127.0.0.1:`target` that records what clients send through it.
async fn recording_proxy(target: u16) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else {
                continue;
            };
            let record = record.clone();
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.split();
                let (mut server_read, mut server_write) = server.split();
                let upstream = async {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = client_read.read(&mut buf).await {
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    server_write.shutdown().await.ok();
                };
                let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                let _ = tokio::join!(upstream, downstream);
            });
        }
    });
    (port, seen)
}

/// Two nodes, `caller` reaching the vault's node through a recording proxy: the calls and the
/// event work, and the bytes the proxy saw are returned.
async fn call_through_proxy(tls: Option<TcpTls>) -> Vec<u8> {
    let ns = moleculer_tests::unique_namespace("tcp-tls");
    let (pa, pb) = (free_port(), free_port());
    let (proxy, seen) = recording_proxy(pb).await;
    let watched = Recorder::default();
    let caller = node(
        "caller",
        &ns,
        options(pa, &[("caller", pa), ("keeper", proxy)], tls.clone()),
    )
    .service(Watcher {
        seen: watched.clone(),
    })
    .build()
    .unwrap();
    let keeper = node(
        "keeper",
        &ns,
        options(pb, &[("keeper", pb), ("caller", pa)], tls),
    )
    .service(Vault)
    .build()
    .unwrap();
    let (started_caller, started_keeper) = tokio::join!(caller.start(), keeper.start());
    started_caller.unwrap();
    started_keeper.unwrap();
    for (broker, service) in [(&caller, "vault"), (&keeper, "watcher")] {
        broker
            .wait_for_services(&[service], Some(Duration::from_secs(15)))
            .await
            .unwrap_or_else(|err| panic!("{} did not see {service}: {err}", broker.node_id()));
    }
    for _ in 0..5 {
        let kept: Value = caller
            .call("vault.keep", json!({ "secret": SECRET }))
            .await
            .unwrap();
        assert_eq!(kept, json!({ "kept": SECRET.len(), "by": "keeper" }));
    }
    keeper
        .emit("vault.opened", json!({ "by": "keeper" }))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while watched.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(watched.take(), [json!({ "by": "keeper" })]);
    caller.stop().await.unwrap();
    keeper.stop().await.unwrap();
    std::mem::take(&mut *seen.lock().unwrap())
}

/// Whether `haystack` holds `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_tls_cluster_works_and_its_wire_shows_nothing() {
    if !openssl_available() {
        return;
    }
    let pki = Pki::new("tcp-tls");
    pki.issue("node", "IP:127.0.0.1", "serverAuth,clientAuth");
    let tls = TcpTls::new(
        pki.path("ca.pem"),
        pki.path("node.pem"),
        pki.path("node-key.pem"),
    );

    // Plain TCP, as Node's transporter: the proxy reads the secret and the nodeIDs.
    let plain = call_through_proxy(None).await;
    assert!(contains(&plain, SECRET.as_bytes()));

    let sealed = call_through_proxy(Some(tls)).await;
    assert!(sealed.len() > 500, "the calls went through the proxy");
    for clear in [SECRET, "vault.keep", "caller", "MOL"] {
        assert!(
            !contains(&sealed, clear.as_bytes()),
            "`{clear}` readable on a TLS connection"
        );
    }
}

/// Whether `broker` comes to see `service` within `wait`.
async fn sees(broker: &ServiceBroker, service: &str, wait: Duration) -> bool {
    broker
        .wait_for_services(&[service], Some(wait))
        .await
        .is_ok()
}

#[tokio::test]
async fn nodes_without_a_trusted_certificate_are_kept_out() {
    if !openssl_available() {
        return;
    }
    // The cluster's certificates name the cluster, not the address nodes connect to: every
    // member says `serverName`.
    let pki = Pki::new("tcp-tls-ca");
    pki.issue("member", "DNS:vault.cluster", "serverAuth,clientAuth");
    let member = TcpTls::new(
        pki.path("ca.pem"),
        pki.path("member.pem"),
        pki.path("member-key.pem"),
    );
    let trusted = member.clone().with_server_name("vault.cluster");
    // Its own CA trusts it, ours does not.
    let rogue = Pki::new("tcp-tls-rogue");
    rogue.issue("node", "IP:127.0.0.1", "serverAuth,clientAuth");
    let untrusted = TcpTls::new(
        rogue.path("ca.pem"),
        rogue.path("node.pem"),
        rogue.path("node-key.pem"),
    );

    let ns = moleculer_tests::unique_namespace("tcp-tls-out");
    let port = free_port();
    let keeper = node(
        "keeper",
        &ns,
        options(port, &[("keeper", port)], Some(trusted.clone())),
    )
    .service(Vault)
    .build()
    .unwrap();
    keeper.start().await.unwrap();

    // A raw plain frame to the TLS port: the handshake fails and the connection closes.
    let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    raw.write_all(&[0, 0, 0, 0, 12, 8]).await.unwrap();
    raw.write_all(br#"{"ver":"4"}"#).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the TLS port closes a plain connection");

    // Joiners: one with a certificate another CA signed, one plain, one with the cluster's
    // certificate but without `serverName` (it checks the keeper's certificate against the
    // address, which it does not name), and a member.
    let joiners = [
        ("rogue", Some(untrusted), false),
        ("plain", None, false),
        ("nameless", Some(member), false),
        ("named", Some(trusted.clone()), true),
    ];
    let mut brokers = Vec::new();
    for (id, tls, _) in &joiners {
        let own = free_port();
        let broker = node(
            id,
            &ns,
            options(own, &[(id, own), ("keeper", port)], tls.clone()),
        )
        .build()
        .unwrap();
        broker.start().await.unwrap();
        brokers.push(broker);
    }
    let waits = brokers
        .iter()
        .map(|broker| sees(broker, "vault", Duration::from_secs(4)));
    let seen = futures_util::future::join_all(waits).await;
    for ((id, _, joins), seen) in joiners.iter().zip(seen) {
        assert_eq!(seen, *joins, "{id} sees the vault: {seen}");
    }
    // The named node's calls work; the others cannot reach the vault at all.
    let named_node = &brokers[3];
    let kept: Value = named_node
        .call("vault.keep", json!({ "secret": "x" }))
        .await
        .unwrap();
    assert_eq!(kept["by"], "keeper");
    let refused = brokers[0]
        .call::<Value, _>("vault.keep", json!({ "secret": "x" }))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ServiceNotFound);
    // The keeper knows the named node, and never the nodes it refused.
    let list: Value = keeper.call("$node.list", json!({})).await.unwrap();
    let available: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["available"] == true)
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(available.contains(&"named"), "{available:?}");
    assert!(
        !available.contains(&"rogue") && !available.contains(&"plain"),
        "{available:?}"
    );
    for broker in brokers {
        broker.stop().await.unwrap();
    }
    keeper.stop().await.unwrap();
}

#[tokio::test]
async fn unreadable_tls_files_stop_the_start_with_the_file_named() {
    let mut o = TcpOptions::default();
    o.udp_discovery = false;
    o.tls = Some(TcpTls::new(
        "/nonexistent/ca.pem",
        "/nonexistent/node.pem",
        "/nonexistent/node-key.pem",
    ));
    let broker = node("unreadable", "tls-files", o).build().unwrap();
    let err = broker.start().await.unwrap_err();
    assert!(
        err.message().contains("tls.caFile `/nonexistent/ca.pem`"),
        "{err}"
    );
}
