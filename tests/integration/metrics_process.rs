//! The process and OS metrics (`collectProcessMetrics`): real values of this process and
//! machine, collected again every `collectInterval`; none with `collectProcessMetrics:
//! false`; `$node.metrics` filters them; and Node 0.15's definitions of the same names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moleculer::metrics::ListOptions;
use moleculer::prelude::*;
use moleculer_tests::node::{NodePeer, NodeVersion, node_interop_available};
use moleculer_tests::unique_namespace;
use serde_json::{Value, json};

/// Every `os.*` metric, in Node's order of registration.
const OS_NAMES: [&str; 30] = [
    "os.memory.free",
    "os.memory.used",
    "os.memory.total",
    "os.uptime",
    "os.type",
    "os.release",
    "os.hostname",
    "os.arch",
    "os.platform",
    "os.user.uid",
    "os.user.gid",
    "os.user.username",
    "os.user.homedir",
    "os.network.address",
    "os.network.mac",
    "os.datetime.unix",
    "os.datetime.iso",
    "os.datetime.utc",
    "os.datetime.tz.offset",
    "os.cpu.load.1",
    "os.cpu.load.5",
    "os.cpu.load.15",
    "os.cpu.utilization",
    "os.cpu.user",
    "os.cpu.system",
    "os.cpu.total",
    "os.cpu.info.model",
    "os.cpu.info.speed",
    "os.cpu.info.times.user",
    "os.cpu.info.times.sys",
];

/// The `process.*` metrics of a Rust node, in Node's order.
const PROCESS_NAMES: [&str; 5] = [
    "process.arguments",
    "process.pid",
    "process.ppid",
    "process.memory.rss",
    "process.uptime",
];

async fn broker(metrics: Value) -> ServiceBroker {
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "process-node", "metrics": metrics }))
                .unwrap(),
        )
        .build()
        .unwrap();
    broker.start().await.unwrap();
    broker
}

async fn collecting_broker() -> ServiceBroker {
    broker(json!({ "enabled": true, "collectProcessMetrics": true, "collectInterval": 1 })).await
}

/// The snapshot of the metric `name`.
fn metric(broker: &ServiceBroker, name: &str) -> Value {
    broker
        .metrics()
        .metric(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .snapshot(0)
}

/// The value of the metric `name` without labels.
fn value(broker: &ServiceBroker, name: &str) -> Value {
    metric(broker, name)["values"][0]["value"].clone()
}

fn number(broker: &ServiceBroker, name: &str) -> f64 {
    value(broker, name)
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is no number: {}", metric(broker, name)))
}

/// Waits (3 s at most) until the metric `name` has a value.
async fn until_set(broker: &ServiceBroker, name: &str) -> Value {
    for _ in 0..60 {
        let snapshot = metric(broker, name);
        if snapshot["values"]
            .as_array()
            .is_some_and(|values| !values.is_empty())
        {
            return snapshot;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never set: {}", metric(broker, name));
}

#[tokio::test]
async fn process_metrics_are_this_process() {
    let broker = collecting_broker().await;
    assert_eq!(value(&broker, "process.pid"), json!(std::process::id()));
    assert_eq!(
        value(&broker, "process.ppid"),
        json!(std::os::unix::process::parent_id())
    );
    let arguments = metric(&broker, "process.arguments");
    assert_eq!(arguments["type"], "info");
    assert_eq!(arguments["labelNames"], json!(["index"]));
    let first = &arguments["values"][0];
    assert_eq!(first["labels"], json!({ "index": 0 }));
    assert_eq!(first["key"], "0");
    assert_eq!(
        first["value"],
        json!(std::env::current_exe().unwrap().to_string_lossy()),
        "the executable's absolute path, as Node's argv[0]"
    );
    assert_eq!(
        arguments["values"].as_array().unwrap().len(),
        std::env::args_os().count()
    );
    let rss = number(&broker, "process.memory.rss");
    assert_eq!(metric(&broker, "process.memory.rss")["unit"], "byte");
    assert!(
        rss > 1_048_576.0 && rss < number(&broker, "os.memory.total"),
        "rss {rss}"
    );
    // The uptime grows with each collection.
    let first_uptime = number(&broker, "process.uptime");
    assert!(first_uptime >= 0.0);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let later_uptime = number(&broker, "process.uptime");
    assert!(
        later_uptime >= first_uptime + 1.5,
        "{first_uptime} then {later_uptime}"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn os_metrics_are_this_machine() {
    let broker = collecting_broker().await;
    let (total, free, used) = (
        number(&broker, "os.memory.total"),
        number(&broker, "os.memory.free"),
        number(&broker, "os.memory.used"),
    );
    assert!(total > free && free > 0.0, "total {total}, free {free}");
    assert_eq!(used, total - free);
    assert!(number(&broker, "os.uptime") > 0.0);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(value(&broker, "os.hostname"), json!(hostname.trim()));
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(value(&broker, "os.release"), json!(release.trim()));
    assert_eq!(value(&broker, "os.platform"), "linux");
    assert_eq!(value(&broker, "os.type"), "Linux");
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    assert_eq!(value(&broker, "os.arch"), arch);
    assert!(value(&broker, "os.user.uid").is_u64());
    assert!(value(&broker, "os.user.username").is_string());
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    let unix = number(&broker, "os.datetime.unix");
    assert!((now_ms - unix).abs() < 10_000.0, "{unix} vs {now_ms}");
    let iso = value(&broker, "os.datetime.iso");
    assert!(iso.as_str().unwrap().ends_with('Z') && iso.as_str().unwrap().len() == 24);
    assert!(
        value(&broker, "os.datetime.utc")
            .as_str()
            .unwrap()
            .ends_with(" GMT")
    );
    assert!(value(&broker, "os.datetime.tz.offset").is_number());
    for load in ["os.cpu.load.1", "os.cpu.load.5", "os.cpu.load.15"] {
        assert!(number(&broker, load) >= 0.0, "{load}");
    }
    let address = metric(&broker, "os.network.address");
    assert_eq!(address["labelNames"], json!(["interface", "family"]));
    let first = &address["values"][0];
    assert!(
        first["labels"]["family"] == "IPv4" || first["labels"]["family"] == "IPv6",
        "{address}"
    );
    assert!(first["labels"]["interface"].is_string(), "{address}");
    let mac = metric(&broker, "os.network.mac");
    assert_eq!(mac["values"][0]["labels"], first["labels"]);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn cpu_metrics_have_one_series_per_cpu() {
    let broker = collecting_broker().await;
    until_set(&broker, "os.cpu.total").await;
    let cpus = number(&broker, "os.cpu.total") as usize;
    assert!(cpus >= 1);
    assert_eq!(metric(&broker, "os.cpu.total")["unit"], "cpu");
    let utilization = number(&broker, "os.cpu.utilization");
    assert!((0.0..=100.0).contains(&utilization), "{utilization}");
    for name in [
        "os.cpu.info.model",
        "os.cpu.info.speed",
        "os.cpu.info.times.user",
        "os.cpu.info.times.sys",
    ] {
        let snapshot = metric(&broker, name);
        assert_eq!(snapshot["labelNames"], json!(["index"]), "{name}");
        let values = snapshot["values"].as_array().unwrap();
        assert_eq!(values.len(), cpus, "{name}: {snapshot}");
        for (index, series) in values.iter().enumerate() {
            assert_eq!(series["labels"], json!({ "index": index }), "{name}");
            assert_eq!(series["key"], json!(index.to_string()), "{name}");
        }
    }
    assert_eq!(metric(&broker, "os.cpu.info.speed")["unit"], "GHz");
    let per_cpu_user: f64 = metric(&broker, "os.cpu.info.times.user")["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_f64().unwrap())
        .sum();
    let user = number(&broker, "os.cpu.user");
    assert!(user > 0.0);
    // Each is read at its own moment of the same collection; a later one may have moved on.
    assert!(
        (user - per_cpu_user).abs() <= 1000.0,
        "{user} vs {per_cpu_user}"
    );
    assert!(number(&broker, "os.cpu.system") > 0.0);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn node_metrics_lists_them_by_pattern() {
    let broker = collecting_broker().await;
    let list: Value = broker
        .call("$node.metrics", json!({ "includes": "os.**" }))
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, OS_NAMES);
    let list: Value = broker
        .call(
            "$node.metrics",
            json!({ "includes": "process.**", "types": "info" }),
        )
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["process.arguments", "process.pid", "process.ppid"]);
    let all = broker.metrics().list(&ListOptions::all());
    assert!(
        !all.iter().any(|m| m["name"] == "process.versions.node"
            || m["name"]
                .as_str()
                .unwrap()
                .starts_with("process.memory.heap")),
        "no made-up Node metrics"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn collect_process_metrics_false_registers_none() {
    let broker = broker(json!({ "enabled": true, "collectProcessMetrics": false })).await;
    let list = broker
        .metrics()
        .list(&ListOptions::all().includes(&["process.**", "os.**"]));
    assert!(list.is_empty(), "{list:?}");
    assert!(
        broker.metrics().metric("moleculer.node.type").is_some(),
        "the broker's own are there"
    );
    broker.stop().await.unwrap();
}

/// Every process and OS metric has Node 0.15's type, description, labels and unit, and the
/// ones left out are the ones about Node's runtime.
#[tokio::test]
async fn process_metrics_are_defined_as_nodes() {
    if !node_interop_available().await {
        return;
    }
    let ns = unique_namespace("metrics-process");
    let mut node = NodePeer::spawn_with(
        NodeVersion::V15,
        &format!("node-{ns}"),
        &ns,
        &[],
        &json!({ "metrics": { "enabled": true, "collectProcessMetrics": true } }),
    )
    .await
    .unwrap();
    let theirs = node
        .call(
            "$node.metrics",
            json!({ "includes": ["process.**", "os.**"] }),
            Value::Null,
        )
        .await
        .unwrap();
    node.stop().await.unwrap();
    let rust = collecting_broker().await;
    let ours: Value = rust
        .call(
            "$node.metrics",
            json!({ "includes": ["process.**", "os.**"] }),
        )
        .await
        .unwrap();
    rust.stop().await.unwrap();
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (our_names, their_names) = (names(&ours), names(&theirs));
    assert_eq!(
        our_names,
        PROCESS_NAMES
            .iter()
            .chain(OS_NAMES.iter())
            .copied()
            .collect::<Vec<_>>()
    );
    for (ours, theirs) in ours.as_array().unwrap().iter().map(|o| {
        let t = theirs
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == o["name"])
            .unwrap_or_else(|| panic!("Node has no {}", o["name"]));
        (o, t)
    }) {
        for field in ["type", "description", "labelNames", "unit"] {
            assert_eq!(
                ours.get(field),
                theirs.get(field),
                "{}.{field}",
                ours["name"]
            );
        }
    }
    let left_out: Vec<&String> = their_names
        .iter()
        .filter(|n| !our_names.contains(n))
        .collect();
    assert!(
        left_out.iter().all(|n| n.starts_with("process.memory.")
            || *n == "process.internal.active.handles"
            || *n == "process.versions.node"),
        "{left_out:?}"
    );
}
