//! `$node.*` answered as Node answers it, key for key, for moleculer 0.14 (protocol v4) and
//! 0.15 (protocol v5).
//!
//! Two clusters of two nodes each, built alike: a Node node `first` starts alone, then a
//! `joiner` joins it; in one cluster the joiner is this Rust broker, in the other a Node
//! node. Both joiners host the same `shape` service as both first nodes. The order of every
//! listing is the order of registration (a joiner registers what the first node has before
//! its own services), so only nodes in the same place of the same kind of cluster can be
//! compared: the Rust joiner with the Node joiner, and each first node with the other.
//!
//! Every `$node` action is called with every combination of its params, and the answers are
//! compared with `json_shape`: same keys in the same order, same types, same lengths, equal
//! values, but for the measurements the rules below name.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::{BrokerOptions, ServiceBroker};
use moleculer_tests::json_shape::{Rule, assert_same_shape};
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use serde_json::{Map, Value, json};

/// The same service as `shape` in `tests/node/peer.js`.
#[derive(Default)]
struct Shape;

#[service(
    name = "shape",
    version = 2,
    settings = { unit: "cm", secret: "s3", "$secureSettings": ["secret"] },
    metadata(region = "eu"),
    register = false
)]
impl Shape {
    #[action(params = { w: "number", h: "number" }, timeout = 3000)]
    async fn area(&self, ctx: Context) -> Result<f64> {
        Ok(ctx.params["w"].as_f64().unwrap_or(0.0) * ctx.params["h"].as_f64().unwrap_or(0.0))
    }

    #[action]
    async fn plain(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }

    #[event(name = "shape.changed", group = "shapes")]
    async fn changed(&self, _ctx: EventContext) {}

    #[event(name = "user.*")]
    async fn user(&self, _ctx: EventContext) {}
}

/// A node of either kind.
enum Member {
    Rust(ServiceBroker),
    Node(Box<NodePeer>),
}

impl Member {
    /// `$node.<action>` called on this node: the data, or the error as `peer.js` writes it.
    async fn ask(&mut self, action: &str, params: &Value) -> Result<Value, Value> {
        let name = format!("$node.{action}");
        match self {
            Member::Node(peer) => peer.call(&name, params.clone(), Value::Null).await,
            Member::Rust(broker) => broker
                .call::<Value, _>(&name, params.clone())
                .await
                .map_err(|err| error_json(&err)),
        }
    }

    async fn stop(self) {
        match self {
            Member::Node(peer) => {
                let status = peer.stop().await.unwrap();
                assert!(status.success(), "the Node peer exited with {status}");
            }
            Member::Rust(broker) => broker.stop().await.unwrap(),
        }
    }
}

/// An error as `peer.js` writes Node's: `{name, message, code, type?, data?}`.
fn error_json(err: &moleculer::Error) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(err.name()));
    out.insert("message".into(), json!(err.message()));
    out.insert("code".into(), json!(err.code()));
    if let Some(ty) = err.error_type() {
        out.insert("type".into(), json!(ty));
    }
    if let Some(data) = err.data() {
        out.insert("data".into(), data.clone());
    }
    Value::Object(out)
}

/// The options every node gets (Node's `peer.js` sets the same logger), in the order of
/// Node's defaults; 0.14 clusters also get the Rust-only `transit.protocolVersion`, which
/// Node keeps as any option it was given.
fn shared_options(version: NodeVersion) -> Value {
    let mut options = json!({
        "logger": { "type": "Console", "options": { "level": "warn", "colors": false } },
        "logLevel": "warn",
    });
    if version == NodeVersion::V14 {
        options["transit"] = json!({ "protocolVersion": "4" });
    }
    options
}

fn rust_joiner(version: NodeVersion, ns: &str) -> ServiceBroker {
    let mut options = shared_options(version);
    options["nodeID"] = json!("joiner");
    options["namespace"] = json!(ns);
    options["transporter"] = json!(nats_url());
    let options: BrokerOptions = serde_json::from_value(options).unwrap();
    ServiceBroker::builder()
        .options(options)
        .service(Shape)
        .build()
        .unwrap()
}

async fn node(version: NodeVersion, id: &str, ns: &str) -> NodePeer {
    let mut options = shared_options(version);
    options["defaultOrder"] = json!(true);
    NodePeer::spawn_with(version, id, ns, &["shape"], &options)
        .await
        .unwrap()
}

/// Waits until `member` sees `shape` on both nodes.
async fn sees_both(member: &mut Member) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let actions = member.ask("actions", &json!({})).await.unwrap();
        let area = actions
            .as_array()
            .and_then(|list| list.iter().find(|a| a["name"] == "v2.shape.area"));
        if area.is_some_and(|a| a["count"] == 2) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "shape not seen on both nodes: {actions}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every combination of `keys` as booleans, then no params at all.
fn combinations(keys: &[&str]) -> Vec<Value> {
    let mut out: Vec<Value> = (0..1u32 << keys.len())
        .map(|bits| {
            let flags: Map<String, Value> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| ((*k).to_owned(), Value::Bool(bits & (1 << i) != 0)))
                .collect();
            Value::Object(flags)
        })
        .collect();
    out.push(json!({}));
    out
}

/// What may differ in `$node.list` between two nodes in the same place: measurements of
/// each process, and the joiner's own `services`, which Node lists as its live registry
/// objects (no remote caller can have them) and Rust in INFO form.
const LIST_RULES: &[(&str, Rule)] = &[
    ("[*].instanceID", Rule::Kind),
    ("[*].lastHeartbeatTime", Rule::Kind),
    ("[*].client.*", Rule::Kind),
    ("[*].cpu", Rule::NumberOrNull),
    ("[*].cpuSeq", Rule::NumberOrNull),
    ("[*].seq", Rule::Kind),
    ("[0].services", Rule::FullNames),
];

/// `$node.health` of two processes on this machine, run by this user: the machine's
/// figures are equal, the processes' and the moment's are measurements.
const HEALTH_RULES: &[(&str, Rule)] = &[
    ("cpu.load1", Rule::Kind),
    ("cpu.load5", Rule::Kind),
    ("cpu.load15", Rule::Kind),
    ("cpu.utilization", Rule::Kind),
    ("mem.free", Rule::Kind),
    ("mem.percent", Rule::Kind),
    ("os.uptime", Rule::Kind),
    ("process.pid", Rule::Kind),
    ("process.memory.*", Rule::Kind),
    ("process.uptime", Rule::Kind),
    ("process.argv", Rule::Strings),
    ("client.*", Rule::Kind),
    ("time.now", Rule::Kind),
    ("time.iso", Rule::IsoDate),
    ("time.utc", Rule::UtcDate),
];

/// `$node.options`: the two clusters have their own namespaces.
const OPTIONS_RULES: &[(&str, Rule)] = &[("namespace", Rule::Kind)];

/// What may differ at which paths.
type Rules = &'static [(&'static str, Rule)];

/// One call to compare: the action, its params, and the rules for its answers.
type Call = (&'static str, Value, Rules);

/// Every listing action with every combination of its params.
fn listing_calls() -> Vec<Call> {
    let mut calls = Vec::new();
    let listings: [(&str, &[&str], Rules); 4] = [
        ("list", &["withServices", "onlyAvailable"], LIST_RULES),
        (
            "services",
            &[
                "onlyLocal",
                "skipInternal",
                "withActions",
                "withEvents",
                "onlyAvailable",
                "grouping",
            ],
            &[],
        ),
        (
            "actions",
            &[
                "onlyLocal",
                "skipInternal",
                "withEndpoints",
                "onlyAvailable",
            ],
            &[],
        ),
        (
            "events",
            &[
                "onlyLocal",
                "skipInternal",
                "withEndpoints",
                "onlyAvailable",
            ],
            &[],
        ),
    ];
    for (action, keys, rules) in listings {
        for params in combinations(keys) {
            calls.push((action, params, rules));
        }
    }
    // Params as strings, which `convert: true` turns into booleans.
    calls.push((
        "services",
        json!({ "withActions": "true", "grouping": "false" }),
        &[],
    ));
    calls
}

/// Asks `node` and `rust` the same and compares the answers.
async fn compare(
    what: &str,
    node: &mut Member,
    rust: &mut Member,
    action: &str,
    params: &Value,
    rules: &[(&str, Rule)],
) {
    let (n, r) = (
        node.ask(action, params).await,
        rust.ask(action, params).await,
    );
    let label = format!("{what}: $node.{action} {params}");
    match (&n, &r) {
        (Ok(n), Ok(r)) | (Err(n), Err(r)) => assert_same_shape(&label, n, r, rules),
        _ => panic!("{label}: Node answered {n:?}, Rust {r:?}"),
    }
}

async fn node_service_shapes(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let tag = format!("node-shapes-v{}", version.env_value());
    let (ns_rust, ns_node) = (
        moleculer_tests::unique_namespace(&format!("{tag}-rust")),
        moleculer_tests::unique_namespace(&format!("{tag}-node")),
    );
    // Both first nodes up before either joiner starts.
    let (first_r, first_n) = tokio::join!(
        node(version, "first", &ns_rust),
        node(version, "first", &ns_node)
    );
    let rust = rust_joiner(version, &ns_rust);
    let (started, joiner_n) = tokio::join!(rust.start(), node(version, "joiner", &ns_node));
    started.unwrap();
    let mut first_r = Member::Node(Box::new(first_r));
    let mut first_n = Member::Node(Box::new(first_n));
    let mut joiner_r = Member::Rust(rust);
    let mut joiner_n = Member::Node(Box::new(joiner_n));
    for member in [&mut first_r, &mut first_n, &mut joiner_r, &mut joiner_n] {
        sees_both(member).await;
    }

    // The joiners: the Rust node answers as the Node node does.
    for (action, params, rules) in listing_calls() {
        compare(
            "joiners",
            &mut joiner_n,
            &mut joiner_r,
            action,
            &params,
            rules,
        )
        .await;
    }
    compare(
        "joiners",
        &mut joiner_n,
        &mut joiner_r,
        "health",
        &json!({}),
        HEALTH_RULES,
    )
    .await;
    compare(
        "joiners",
        &mut joiner_n,
        &mut joiner_r,
        "options",
        &json!({}),
        OPTIONS_RULES,
    )
    .await;
    for params in [json!({}), json!({ "types": ["a"] })] {
        compare(
            "joiners",
            &mut joiner_n,
            &mut joiner_r,
            "metrics",
            &params,
            &[],
        )
        .await;
    }
    // Params that do not validate fail alike.
    let bad = json!({ "withServices": "maybe" });
    compare("joiners", &mut joiner_n, &mut joiner_r, "list", &bad, &[]).await;

    // The first nodes: Node sees the Rust joiner as it sees a Node joiner.
    for (action, params, rules) in listing_calls() {
        compare(
            "first nodes",
            &mut first_n,
            &mut first_r,
            action,
            &params,
            rules,
        )
        .await;
    }

    // The Rust joiner lists its own services exactly as the first node received them.
    let with_services = json!({ "withServices": true });
    let own = joiner_r.ask("list", &with_services).await.unwrap();
    let seen = first_r.ask("list", &with_services).await.unwrap();
    assert_eq!(seen[1]["id"], "joiner", "{seen}");
    assert_same_shape(
        "the Rust joiner's services, as it lists them and as `first` has them",
        &seen[1]["services"],
        &own[0]["services"],
        &[],
    );

    for member in [first_r, first_n, joiner_r, joiner_n] {
        member.stop().await;
    }
}

#[tokio::test]
async fn node_service_shapes_v4() {
    node_service_shapes(NodeVersion::V14).await;
}

#[tokio::test]
async fn node_service_shapes_v5() {
    node_service_shapes(NodeVersion::V15).await;
}
