//! Real Node.js Moleculer peers for interop tests.
//!
//! [`NodePeer::spawn`] starts `node tests/node/peer.js` (moleculer 0.14 = protocol v4, or
//! 0.15 = protocol v5) on NATS and drives it through one JSON command per line on stdin,
//! reading one JSON reply per line from stdout. The Node dependencies are installed with
//! `npm ci` on first use when `tests/node/node_modules` is missing.
//!
//! Tests call [`node_interop_available`] first: it returns `false` (after printing
//! `skipped: …`) when NATS or `node` is missing, unless `MOLECULER_REQUIRE_BROKERS=1`, in
//! which case it panics instead.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a peer may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one command may take to be answered.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Which Node Moleculer a peer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeVersion {
    /// moleculer 0.14.35, protocol v4.
    V14,
    /// moleculer 0.15.2, protocol v5.
    V15,
}

impl NodeVersion {
    /// Both versions, oldest first.
    pub const ALL: [NodeVersion; 2] = [NodeVersion::V14, NodeVersion::V15];

    /// The `MOL_VERSION` value `peer.js` expects ("14" or "15").
    pub fn env_value(self) -> &'static str {
        match self {
            NodeVersion::V14 => "14",
            NodeVersion::V15 => "15",
        }
    }

    /// The exact moleculer package version the peer reports.
    pub fn moleculer_version(self) -> &'static str {
        match self {
            NodeVersion::V14 => "0.14.35",
            NodeVersion::V15 => "0.15.2",
        }
    }

    /// The protocol version this moleculer speaks on the wire ("4" or "5").
    pub fn protocol(self) -> &'static str {
        match self {
            NodeVersion::V14 => "4",
            NodeVersion::V15 => "5",
        }
    }

    /// The same protocol version, for a Rust broker that joins this peer.
    pub fn protocol_version(self) -> moleculer::options::ProtocolVersion {
        match self {
            NodeVersion::V14 => moleculer::options::ProtocolVersion::V4,
            NodeVersion::V15 => moleculer::options::ProtocolVersion::V5,
        }
    }
}

/// The NATS server URL: env `NATS_URL`, default `nats://127.0.0.1:4222`.
pub fn nats_url() -> String {
    std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// The Redis server of the Redis tests (env `REDIS_URL`, default `redis://127.0.0.1:6379`).
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether the Redis server at [`redis_url`] accepts TCP connections; when not, prints
/// `skipped: <reason>` and returns `false`, or panics when [`brokers_required`].
pub async fn redis_available() -> bool {
    reachable("Redis server", &redis_url()).await
}

/// The RabbitMQ server of the AMQP tests (env `AMQP_URL`, default
/// `amqp://guest:guest@127.0.0.1:5672`).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672".to_owned())
}

/// Whether the RabbitMQ server at [`amqp_url`] accepts TCP connections; when not, prints
/// `skipped: <reason>` and returns `false`, or panics when [`brokers_required`].
pub async fn amqp_available() -> bool {
    reachable("RabbitMQ server", &amqp_url()).await
}

/// Whether the server of `url` (`scheme://[user:pass@]host:port[/…]`) accepts TCP
/// connections; when not, prints `skipped: <reason>` and returns `false`, or panics when
/// [`brokers_required`].
async fn reachable(what: &str, url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let connected = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(host_port),
    )
    .await;
    if matches!(connected, Ok(Ok(_))) {
        return true;
    }
    let reason = format!("{what} not reachable at {url}");
    assert!(!brokers_required(), "{reason}");
    println!("skipped: {reason}");
    false
}

/// The MQTT broker of the MQTT tests (env `MQTT_URL`, default `mqtt://127.0.0.1:1883`).
pub fn mqtt_url() -> String {
    std::env::var("MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".to_owned())
}

/// Whether the MQTT broker at [`mqtt_url`] accepts TCP connections; when not, prints
/// `skipped: <reason>` and returns `false`, or panics when [`brokers_required`].
pub async fn mqtt_available() -> bool {
    reachable("MQTT broker", &mqtt_url()).await
}

/// Whether missing brokers must fail the tests (env `MOLECULER_REQUIRE_BROKERS=1`).
pub fn brokers_required() -> bool {
    std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1")
}

/// Checks that the NATS server at [`nats_url`] accepts TCP connections (2 s timeout).
pub async fn nats_available() -> Result<(), String> {
    let url = nats_url();
    // nats://user:pass@host:port, possibly a comma list: take the first server.
    let first = url.split(',').next().unwrap_or_default();
    let rest = first.split_once("://").map_or(first, |(_, rest)| rest);
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    let host_port = host_port.trim_end_matches('/');
    let addr = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:4222")
    };
    match tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("connect to {addr} timed out")),
    }
}

/// Checks that `node` is on `PATH` and returns its version.
pub fn node_available() -> Result<String, String> {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|err| format!("cannot run `node`: {err}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!("`node --version` failed: {}", out.status))
    }
}

/// Whether a Node interop test can run: NATS reachable and `node` on `PATH`.
///
/// When not, prints `skipped: <reason>` and returns `false`, or panics when
/// [`brokers_required`].
pub async fn node_interop_available() -> bool {
    let url = nats_url();
    let reason = match (nats_available().await, node_available()) {
        (Ok(()), Ok(_)) => return true,
        (Err(cause), _) => format!("NATS not reachable at {url} ({cause})"),
        (_, Err(cause)) => format!("node not available ({cause})"),
    };
    assert!(!brokers_required(), "{reason}");
    println!("skipped: {reason}");
    false
}

/// Whether a Node interop test without a message broker (TCP transporter) can run: `node`
/// on `PATH`. When not, prints `skipped: <reason>` and returns `false`, or panics when
/// [`brokers_required`].
pub fn node_tcp_available() -> bool {
    match node_available() {
        Ok(_) => true,
        Err(cause) => {
            let reason = format!("node not available ({cause})");
            assert!(!brokers_required(), "{reason}");
            println!("skipped: {reason}");
            false
        }
    }
}

/// The directory holding `peer.js` and its `package.json`.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// Runs `npm ci` in [`node_dir`] once per process when the dependencies are missing.
pub fn ensure_node_modules() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = node_dir();
            let modules = dir.join("node_modules");
            let complete = [
                "moleculer-14",
                "moleculer-15",
                "nats",
                "msgpack5",
                "notepack.io",
                "cbor-x",
                "protobufjs",
                "avsc",
                "thrift",
                "ioredis",
                "mqtt",
                "amqplib",
            ]
            .iter()
            .all(|m| modules.join(m).join("package.json").is_file());
            if complete {
                return Ok(());
            }
            println!("node harness: running `npm ci` in {}", dir.display());
            let status = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .status()
                .map_err(|err| format!("cannot run `npm ci`: {err}"))?;
            if status.success() {
                println!("node harness: `npm ci` done");
                Ok(())
            } else {
                Err(format!("`npm ci` in {} failed: {status}", dir.display()))
            }
        })
        .clone()
}

/// An error value for failures of the harness itself (not of the Node broker).
fn harness_error(message: impl Into<String>) -> Value {
    json!({ "name": "HarnessError", "message": message.into() })
}

/// A running Node Moleculer peer (`tests/node/peer.js`), killed when dropped.
#[derive(Debug)]
pub struct NodePeer {
    version: NodeVersion,
    node_id: String,
    ready: Value,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl NodePeer {
    /// Starts a peer running `version` as `node_id` in `namespace` on [`nats_url`],
    /// hosting the demo `services` (`math`, `echo`, `recorder`, `relay`, `shape`), and waits
    /// (20 s at most) until its broker has started.
    pub async fn spawn(
        version: NodeVersion,
        node_id: &str,
        namespace: &str,
        services: &[&str],
    ) -> Result<NodePeer, String> {
        NodePeer::spawn_with(version, node_id, namespace, services, &Value::Null).await
    }

    /// As [`NodePeer::spawn`], with broker options (a JSON object such as
    /// `{"retryPolicy": {...}}`) merged over the peer's.
    pub async fn spawn_with(
        version: NodeVersion,
        node_id: &str,
        namespace: &str,
        services: &[&str],
        broker_options: &Value,
    ) -> Result<NodePeer, String> {
        ensure_node_modules()?;
        let options = if broker_options.is_null() {
            "{}".to_owned()
        } else {
            broker_options.to_string()
        };
        let dir = node_dir();
        let mut child = Command::new("node")
            .arg(dir.join("peer.js"))
            .current_dir(&dir)
            .env("MOL_VERSION", version.env_value())
            .env("NODE_ID", node_id)
            .env("NAMESPACE", namespace)
            .env("TRANSPORTER", nats_url())
            .env("SERVICES", services.join(","))
            .env("BROKER_OPTIONS", options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("cannot spawn node peer.js: {err}"))?;

        // Forward the peer's log (warn level and above) with its node ID in front.
        if let Some(stderr) = child.stderr.take() {
            let prefix = format!("[node {node_id} v{}]", version.env_value());
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("{prefix} {line}");
                }
            });
        }

        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("peer stdout not captured")?;
        let mut stdout = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            loop {
                let Some(line) = stdout.next_line().await.map_err(|e| e.to_string())? else {
                    return Err("peer exited before it was ready".to_owned());
                };
                let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                    eprintln!("[node {node_id}] unexpected stdout: {line}");
                    continue;
                };
                if msg["ready"] == true {
                    return Ok(msg);
                }
                if let Some(fatal) = msg.get("fatal") {
                    return Err(format!("peer failed to start: {fatal}"));
                }
            }
        })
        .await
        .map_err(|_| format!("peer {node_id} not ready within {READY_TIMEOUT:?}"))??;

        Ok(NodePeer {
            version,
            node_id: node_id.to_owned(),
            ready,
            child,
            stdin,
            stdout,
            next_id: 0,
        })
    }

    /// The Moleculer version this peer runs.
    pub fn version(&self) -> NodeVersion {
        self.version
    }

    /// The peer's node ID.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// The ready line the peer printed: `{ready, nodeID, namespace, version, protocol}`.
    pub fn ready_info(&self) -> &Value {
        &self.ready
    }

    /// Sends one command (an `id` is added) and waits for its reply: `Ok(data)`, or
    /// `Err(error)` with the broker's `{name, message, code, type, data}` (or a
    /// `HarnessError` when the peer itself failed).
    pub async fn request(&mut self, mut command: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        command["id"] = json!(id);
        let mut line = command.to_string();
        line.push('\n');
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| harness_error("peer stdin already closed"))?;
        stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|err| harness_error(format!("write to peer: {err}")))?;
        stdin
            .flush()
            .await
            .map_err(|err| harness_error(format!("flush to peer: {err}")))?;

        let node_id = &self.node_id;
        let stdout = &mut self.stdout;
        let reply = tokio::time::timeout(REPLY_TIMEOUT, async {
            loop {
                let line = stdout
                    .next_line()
                    .await
                    .map_err(|err| harness_error(format!("read from peer: {err}")))?
                    .ok_or_else(|| harness_error("peer exited"))?;
                match serde_json::from_str::<Value>(&line) {
                    Ok(msg) if msg["reply"] == json!(id) => return Ok::<Value, Value>(msg),
                    _ => eprintln!("[node {node_id}] unexpected stdout: {line}"),
                }
            }
        })
        .await
        .map_err(|_| harness_error(format!("no reply within {REPLY_TIMEOUT:?}")))??;

        if reply["ok"] == true {
            Ok(reply["data"].clone())
        } else {
            Err(reply["error"].clone())
        }
    }

    /// Calls `action` with `params` and call options `opts` (`meta`, `timeout`, `nodeID`,
    /// `headers` on 0.15…; `Value::Null` for none) through `broker.call`.
    pub async fn call(&mut self, action: &str, params: Value, opts: Value) -> Result<Value, Value> {
        self.request(json!({ "cmd": "call", "action": action, "params": params, "opts": opts }))
            .await
    }

    /// Emits `event` with `payload` through `broker.emit`; `opts` may hold `groups`.
    pub async fn emit(&mut self, event: &str, payload: Value, opts: Value) -> Result<(), Value> {
        self.request(json!({ "cmd": "emit", "event": event, "payload": payload, "opts": opts }))
            .await
            .map(drop)
    }

    /// Broadcasts `event` with `payload` through `broker.broadcast`; `opts` may hold `groups`.
    pub async fn broadcast(
        &mut self,
        event: &str,
        payload: Value,
        opts: Value,
    ) -> Result<(), Value> {
        self.request(
            json!({ "cmd": "broadcast", "event": event, "payload": payload, "opts": opts }),
        )
        .await
        .map(drop)
    }

    /// The peer's `$node.list`: every node it knows, itself included.
    pub async fn nodes(&mut self) -> Result<Value, Value> {
        self.request(json!({ "cmd": "nodes" })).await
    }

    /// Waits (`broker.waitForServices`) until the peer sees all `services`.
    pub async fn wait_for_services(
        &mut self,
        services: &[&str],
        timeout: Duration,
    ) -> Result<(), Value> {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.request(json!({ "cmd": "waitForServices", "services": services, "timeout": ms }))
            .await
            .map(drop)
    }

    /// Kills the process at once (SIGKILL), as a crash would: the broker says nothing more.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Stops the broker gracefully and waits (10 s at most) for the process to exit.
    pub async fn stop(mut self) -> Result<ExitStatus, String> {
        self.request(json!({ "cmd": "stop" }))
            .await
            .map_err(|err| format!("stop: {err}"))?;
        drop(self.stdin.take());
        tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .map_err(|_| format!("peer {} did not exit within {STOP_TIMEOUT:?}", self.node_id))?
            .map_err(|err| err.to_string())
    }
}
