//! Shared helpers for the integration tests.

pub mod json_shape;
pub mod node;
pub mod pki;
pub mod private_server;
pub mod tls_proxy;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// Builds `server` and `client` on one in-memory bus, starts both, and waits until the client
/// sees `service` (5 s at most).
pub async fn started_on_one_bus(
    server: moleculer::BrokerBuilder,
    client: moleculer::BrokerBuilder,
    service: &str,
) -> (moleculer::ServiceBroker, moleculer::ServiceBroker) {
    use moleculer::transporter::{FakeBus, FakeTransporter};
    let bus = FakeBus::new();
    let server = server
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .expect("server builds");
    let client = client
        .transporter(FakeTransporter::new(bus))
        .build()
        .expect("client builds");
    server.start().await.expect("server starts");
    client.start().await.expect("client starts");
    client
        .wait_for_services(&[service], Some(Duration::from_secs(5)))
        .await
        .expect("the client sees the service");
    (server, client)
}

/// Calls `action` with `params` (500 ms per attempt) until it answers, for `limit` at the
/// most: the answer. For nodes whose broker went away and came back.
pub async fn call_until_answered(
    broker: &moleculer::ServiceBroker,
    action: &str,
    params: Value,
    limit: Duration,
) -> Value {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let options = moleculer::CallOptions::new().timeout(Duration::from_millis(500));
        let result = broker
            .call_with::<Value, _>(action, params.clone(), options)
            .await;
        match result {
            Ok(answer) => return answer,
            Err(err) => assert!(
                std::time::Instant::now() < deadline,
                "no answer from {action} in {limit:?}: {err:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts that a node on `transporter` cannot connect: its first attempt fails with
/// `BrokerDisconnectedError` (it does not retry). For a node that trusts another CA than the
/// server's.
pub async fn assert_cannot_connect(
    node_id: &str,
    namespace: &str,
    transporter: impl moleculer::transporter::Transporter,
) {
    let stranger = moleculer::ServiceBroker::builder()
        .node_id(node_id)
        .namespace(namespace)
        .transporter(transporter)
        .options(
            serde_json::from_value(serde_json::json!({ "transit": { "disableReconnect": true } }))
                .expect("options"),
        )
        .build()
        .expect("the broker builds");
    let err = stranger.start().await.expect_err("the node is kept out");
    assert_eq!(
        err.kind(),
        moleculer::ErrorKind::BrokerDisconnected,
        "{err}"
    );
}

/// A namespace (or topic part) no other test or test process shares: `<prefix>-<pid>-<nanos>`.
pub fn unique_namespace(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Evaluates `$check` (which may `.await`) every 100 ms until it is true; panics naming
/// `$what` when `$limit` (a `Duration`) has passed.
#[macro_export]
macro_rules! eventually {
    ($what:expr, $limit:expr, $check:expr) => {{
        let deadline = tokio::time::Instant::now() + $limit;
        while !$check {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out: {}",
                $what
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }};
}

/// Polls `check` every 20 ms until it gives `Some`, and gives that; panics naming `what`
/// when `limit` has passed.
pub async fn eventually_some<T, F, Fut>(what: &str, limit: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A middleware that XORs every byte on the wire with a key, both ways: a stand-in for
/// encryption, to see that every packet goes through the byte wrappers.
#[derive(Debug, Clone, Copy)]
pub struct Xor(pub u8);

/// `data` with every byte XORed with `key`.
pub fn xor(data: &[u8], key: u8) -> moleculer::transporter::Bytes {
    data.iter().map(|b| b ^ key).collect::<Vec<u8>>().into()
}

impl moleculer::middleware::Middleware for Xor {
    fn transporter_send(
        &self,
        next: &moleculer::middleware::SendHandler,
    ) -> Option<moleculer::middleware::SendHandler> {
        let (key, next) = (self.0, next.clone());
        Some(Arc::new(
            move |mut msg: moleculer::middleware::WireMessage| {
                msg.data = xor(&msg.data, key);
                next(msg)
            },
        ))
    }

    fn transporter_receive(
        &self,
        next: &moleculer::middleware::ReceiveHandler,
    ) -> Option<moleculer::middleware::ReceiveHandler> {
        let (key, next) = (self.0, next.clone());
        Some(Arc::new(
            move |mut msg: moleculer::middleware::ReceivedMessage| {
                msg.data = xor(&msg.data, key);
                next(msg)
            },
        ))
    }
}

/// A TCP (and UDP) port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = tcp.local_addr().expect("local address").port();
        if std::net::UdpSocket::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
}

/// Records JSON values in order, from any task.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Value>>>);

impl Recorder {
    /// Adds one record.
    pub fn push(&self, value: Value) {
        self.0.lock().expect("recorder lock").push(value);
    }

    /// Takes everything recorded so far.
    pub fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.0.lock().expect("recorder lock"))
    }

    /// Takes everything recorded so far as strings (records that are not strings become
    /// empty ones).
    pub fn take_strings(&self) -> Vec<String> {
        self.take()
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.0.lock().expect("recorder lock").len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until at least `n` records arrived, or `limit` passed; returns whether they did.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> bool {
        let start = std::time::Instant::now();
        while self.len() < n {
            if start.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }
}

/// The README's Rust snippets, compiled and run as doctests, so that the first example a
/// user meets works as written.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Waits until the node process `child` (started with its stdout piped) prints `ready`,
/// 20 s at most; `what` names it in the failure.
pub async fn wait_ready(child: &mut tokio::process::Child, what: &str) {
    use tokio::io::AsyncBufReadExt;
    let stdout = child.stdout.take().expect("the node's stdout is piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line == "ready" {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "{what} did not start");
}

/// One HTTP request as the endpoint of [`http_endpoint`] received it.
#[derive(Debug)]
pub struct Posted {
    /// The request line and headers.
    pub head: String,
    /// The body, read as JSON (`null` when it is not).
    pub body: serde_json::Value,
}

/// An HTTP endpoint answering 202 to every request, handing each to the test.
pub async fn http_endpoint() -> (std::net::SocketAddr, tokio::sync::mpsc::Receiver<Posted>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut head = String::new();
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = n.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                    let _ = tx.send(Posted { head, body }).await;
                    let answer =
                        "HTTP/1.1 202 Accepted\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}";
                    if reader.get_mut().write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, rx)
}
