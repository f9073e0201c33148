//! Transporters: the in-process Fake bus, and NATS against a real server (`NATS_URL`,
//! default `nats://127.0.0.1:4222`; skipped when unreachable unless
//! `MOLECULER_REQUIRE_BROKERS=1`).

use std::time::Duration;

use moleculer::transporter::{
    Bytes, FakeBus, FakeTransporter, Incoming, IncomingSink, NatsOptions, NatsTransporter,
    Transporter,
};
use tokio::sync::mpsc::UnboundedReceiver;

async fn connect(t: &dyn Transporter) -> moleculer::Result<UnboundedReceiver<Incoming>> {
    let (tx, rx) = IncomingSink::channel();
    t.connect(tx).await?;
    Ok(rx)
}

/// Waits for one message, or `None` after `wait`.
async fn recv(rx: &mut UnboundedReceiver<Incoming>, wait: Duration) -> Option<Incoming> {
    tokio::time::timeout(wait, rx.recv()).await.ok().flatten()
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("MOL-test{}.{name}.{nanos}", std::process::id())
}

#[tokio::test]
async fn fake_round_trip_between_two_transporters() {
    let bus = FakeBus::new();
    let (a, b) = (FakeTransporter::new(bus.clone()), FakeTransporter::new(bus));
    let mut rx_a = connect(&a).await.unwrap();
    let mut rx_b = connect(&b).await.unwrap();
    a.subscribe("MOL.RES.a").await.unwrap();
    b.subscribe("MOL.REQ.b").await.unwrap();
    a.publish("MOL.REQ.b", Bytes::from_static(b"ping"))
        .await
        .unwrap();
    let req = recv(&mut rx_b, Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        (req.topic.as_str(), &req.payload[..]),
        ("MOL.REQ.b", &b"ping"[..])
    );
    b.publish("MOL.RES.a", Bytes::from_static(b"pong"))
        .await
        .unwrap();
    let res = recv(&mut rx_a, Duration::from_secs(1)).await.unwrap();
    assert_eq!(res.payload, &b"pong"[..]);
    a.disconnect().await.unwrap();
    b.disconnect().await.unwrap();
}

/// A connected NATS transporter, or `None` (after printing why) when the server is not
/// reachable and brokers are not required.
async fn nats() -> Option<(NatsTransporter, UnboundedReceiver<Incoming>)> {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| NatsOptions::DEFAULT_URL.to_owned());
    let mut options = NatsOptions::new(url.clone());
    options.reconnect = false;
    let transporter = NatsTransporter::new(options);
    match connect(&transporter).await {
        Ok(rx) => Some((transporter, rx)),
        Err(err) => {
            // The client's own error (connection refused…) is in the error's data.
            let cause = err
                .data()
                .and_then(|d| d.get("error"))
                .and_then(|e| e.as_str())
                .map_or_else(|| err.to_string(), str::to_owned);
            let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
            assert!(!required, "NATS not reachable at {url} ({cause})");
            println!("skipped: NATS not reachable at {url} ({cause})");
            None
        }
    }
}

#[tokio::test]
async fn nats_subscribe_publish_round_trip() {
    let Some((a, mut rx_a)) = nats().await else {
        return;
    };
    let Some((b, _rx_b)) = nats().await else {
        return;
    };
    let topic = unique("INFO");
    a.subscribe(&topic).await.unwrap();
    b.publish(&topic, Bytes::from_static(b"{\"hello\":1}"))
        .await
        .unwrap();
    let msg = recv(&mut rx_a, Duration::from_secs(5)).await.unwrap();
    assert_eq!(msg.topic, topic);
    assert_eq!(msg.payload, &b"{\"hello\":1}"[..]);
    assert!(a.has_built_in_balancer());
    a.disconnect().await.unwrap();
    b.disconnect().await.unwrap();
    assert!(b.publish(&topic, Bytes::new()).await.is_err());
}

#[tokio::test]
async fn nats_queue_group_is_balanced() {
    let Some((a, mut rx_a)) = nats().await else {
        return;
    };
    let Some((b, mut rx_b)) = nats().await else {
        return;
    };
    let Some((publisher, _rx)) = nats().await else {
        return;
    };
    let topic = unique("REQB.math.add");
    a.subscribe_balanced(&topic, "math.add").await.unwrap();
    b.subscribe_balanced(&topic, "math.add").await.unwrap();
    const N: u8 = 40;
    for i in 0..N {
        publisher
            .publish(&topic, Bytes::from(vec![i]))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let (mut from_a, mut from_b) = (0, 0);
    while seen.len() < usize::from(N) {
        tokio::select! {
            Some(m) = rx_a.recv() => { from_a += 1; seen.push(m.payload[0]); }
            Some(m) = rx_b.recv() => { from_b += 1; seen.push(m.payload[0]); }
            _ = tokio::time::sleep(Duration::from_secs(5)) => break,
        }
    }
    // No duplicates arrive afterwards either.
    assert!(recv(&mut rx_a, Duration::from_millis(200)).await.is_none());
    assert!(recv(&mut rx_b, Duration::from_millis(200)).await.is_none());
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..N).collect::<Vec<_>>(),
        "each message exactly once"
    );
    assert!(
        from_a > 0 && from_b > 0,
        "both members got some: {from_a}/{from_b}"
    );
    for t in [&a, &b, &publisher] {
        t.disconnect().await.unwrap();
    }
}

#[tokio::test]
async fn nats_unsubscribe_stops_delivery() {
    let Some((a, mut rx_a)) = nats().await else {
        return;
    };
    let Some((b, _rx_b)) = nats().await else {
        return;
    };
    let topic = unique("HEARTBEAT");
    a.subscribe(&topic).await.unwrap();
    b.publish(&topic, Bytes::from_static(b"1")).await.unwrap();
    assert!(recv(&mut rx_a, Duration::from_secs(5)).await.is_some());
    a.unsubscribe(&topic).await.unwrap();
    b.publish(&topic, Bytes::from_static(b"2")).await.unwrap();
    assert!(recv(&mut rx_a, Duration::from_millis(500)).await.is_none());
    a.disconnect().await.unwrap();
    b.disconnect().await.unwrap();
}

/// A `nats-server` of its own on a free port with `auth` arguments (`--user u --pass p`,
/// `--auth token`), or `None` (after printing why) when the binary is not installed and brokers
/// are not required. Killed when dropped.
struct SecuredNats {
    child: std::process::Child,
    url: String,
}

impl Drop for SecuredNats {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn secured_nats(auth: &[&str]) -> Option<SecuredNats> {
    let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
    let port = moleculer_tests::free_port();
    let spawned = std::process::Command::new(&binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .args(auth)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(err) => {
            let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
            assert!(!required, "cannot start `{binary}`: {err}");
            println!("skipped: cannot start `{binary}` ({err})");
            return None;
        }
    };
    let server = SecuredNats {
        child,
        url: format!("nats://127.0.0.1:{port}"),
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nats-server did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(server)
}

/// Node's option names, as a `{type: "NATS", options}` transporter option.
fn nats_options(options: serde_json::Value) -> NatsOptions {
    let serde_json::Value::Object(options) = options else {
        unreachable!()
    };
    let option = moleculer::options::PluginOption::Object {
        kind: moleculer::options::TransporterKind::Nats,
        options,
    };
    NatsOptions::from_option(&option).expect("the options read")
}

/// `user`/`pass` and `token` from the transporter's options reach a server that asks for
/// them; wrong ones are refused with the server's reason.
#[tokio::test]
async fn nats_user_password_and_token_authenticate() {
    let Some(server) = secured_nats(&["--user", "mol", "--pass", "s3cret"]) else {
        return;
    };
    let right = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "user": "mol", "pass": "s3cret", "reconnect": false,
    })));
    let mut rx = connect(&right).await.expect("the right password connects");
    let topic = unique("AUTH");
    right.subscribe(&topic).await.unwrap();
    right
        .publish(&topic, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert!(recv(&mut rx, Duration::from_secs(5)).await.is_some());
    right.disconnect().await.unwrap();

    // Credentials in the URL, as Node's transporter reads them.
    let in_url = server.url.replace("nats://", "nats://mol:s3cret@");
    let from_url = NatsTransporter::new(nats_options(serde_json::json!({
        "url": in_url, "reconnect": false,
    })));
    connect(&from_url)
        .await
        .expect("credentials in the URL connect");
    from_url.disconnect().await.unwrap();

    let wrong = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "user": "mol", "pass": "guess", "reconnect": false,
    })));
    let err = connect(&wrong).await.unwrap_err();
    let cause = err.data().map(ToString::to_string).unwrap_or_default();
    assert!(
        cause.to_lowercase().contains("auth"),
        "an authorization error: {cause}"
    );
    drop(server);

    let Some(server) = secured_nats(&["--auth", "t0ken"]) else {
        return;
    };
    let token = NatsTransporter::new(nats_options(serde_json::json!({
        "servers": [server.url], "token": "t0ken", "maxReconnectAttempts": 0,
    })));
    connect(&token).await.expect("the token connects");
    token.disconnect().await.unwrap();
    let no_token = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false,
    })));
    assert!(connect(&no_token).await.is_err());
}

/// A node's `stop()` returns once its `DISCONNECT` is written: its process may exit at once
/// (here: its runtime is shut down the moment `stop()` returns) and the other nodes still
/// learn it left, every time.
#[test]
fn nats_stop_writes_the_disconnect_before_it_returns() {
    let sniffing = tokio::runtime::Runtime::new().unwrap();
    let Some((sniffer, mut rx)) = sniffing.block_on(nats()) else {
        return;
    };
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| NatsOptions::DEFAULT_URL.to_owned());
    let namespace = moleculer_tests::unique_namespace("disc");
    let topic = format!("MOL-{namespace}.DISCONNECT");
    sniffing.block_on(sniffer.subscribe(&topic)).unwrap();
    for round in 0..20 {
        // One thread: nothing of the node runs after `stop()` returns unless `stop()` waited
        // for it.
        let node = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        node.block_on(async {
            let broker = moleculer::ServiceBroker::builder()
                .namespace(&namespace)
                .node_id(format!("leaving-{round}"))
                .transporter_url(&url)
                .build()
                .unwrap();
            broker.start().await.unwrap();
            broker.stop().await.unwrap();
        });
        // As a process that exits: every task of the node ends here.
        node.shutdown_background();
        let seen = sniffing.block_on(recv(&mut rx, Duration::from_secs(3)));
        let packet: serde_json::Value =
            serde_json::from_slice(&seen.expect("the DISCONNECT arrives").payload).unwrap();
        assert_eq!(
            packet["sender"],
            format!("leaving-{round}"),
            "round {round}"
        );
    }
    sniffing.block_on(sniffer.disconnect()).unwrap();
}

/// TLS with a CA the test makes (the server verifies the client's certificate too), and an
/// nkey: each joins with the right settings and is refused without them.
#[tokio::test]
async fn nats_tls_and_nkey_authenticate() {
    if !moleculer_tests::pki::openssl_available() {
        return;
    }
    let pki = moleculer_tests::pki::Pki::new("nats-tls");
    pki.issue("server", "IP:127.0.0.1", "serverAuth");
    pki.issue("client", "IP:127.0.0.1", "clientAuth");
    let path = |name: &str| pki.path(name);
    let Some(server) = secured_nats(&[
        "--tlsverify",
        "--tlscert",
        &path("server.pem"),
        "--tlskey",
        &path("server-key.pem"),
        "--tlscacert",
        &path("ca.pem"),
    ]) else {
        return;
    };
    let tls = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false,
        "tls": { "caFile": path("ca.pem"), "certFile": path("client.pem"), "keyFile": path("client-key.pem") },
    })));
    let mut rx = connect(&tls)
        .await
        .expect("TLS with the CA and a client certificate");
    let topic = unique("TLS");
    tls.subscribe(&topic).await.unwrap();
    tls.publish(&topic, Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert!(recv(&mut rx, Duration::from_secs(5)).await.is_some());
    tls.disconnect().await.unwrap();
    // Without the CA the server's certificate is not trusted.
    let untrusted = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false, "tls": true,
    })));
    assert!(connect(&untrusted).await.is_err());
    drop(server);

    // nkey: the public key in the server's config, the seed in the client's options.
    let config = path("nkey.conf");
    std::fs::write(
        &config,
        "authorization: { users: [ { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 } ] }\n",
    )
    .unwrap();
    let Some(server) = secured_nats(&["-c", &config]) else {
        return;
    };
    let nkey = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false,
        "nkey": "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY",
    })));
    connect(&nkey).await.expect("the nkey authenticates");
    nkey.disconnect().await.unwrap();
    let anonymous = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false,
    })));
    assert!(connect(&anonymous).await.is_err());
    // A credentials file that cannot be read is a clear error, not a silent anonymous login.
    let missing = NatsTransporter::new(nats_options(serde_json::json!({
        "url": server.url, "reconnect": false, "credentials": path("missing.creds"),
    })));
    let err = connect(&missing).await.unwrap_err();
    assert!(err.message().contains("credentials file"), "{err}");
    drop(server);
}
