//! The metric reporters other than Prometheus, each with what it writes or sends read back:
//! Console's lines in the log, CSV's files in both modes, StatsD's UDP payloads, Datadog's
//! HTTP posts (to an endpoint the test starts), and the Event reporter's snapshots read by a
//! Node collector service, on both protocol versions. Also several reporters at once, and
//! the options refused with the reason.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moleculer::metrics::{MetricDef, MetricType};
use moleculer::prelude::*;
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use moleculer_tests::{eventually_some, http_endpoint, unique_namespace};
use serde_json::{Value, json};

use super::metrics::Math;
use tokio::time::{Instant, sleep};

fn builder(node_id: &str, metrics: Value) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "nodeID": node_id, "metrics": metrics })).unwrap())
        .service(Math)
}

async fn started(node_id: &str, metrics: Value) -> ServiceBroker {
    let broker = builder(node_id, metrics).build().unwrap();
    broker.start().await.unwrap();
    broker
}

/// Registers `test.orders` (a counter by `region`) and `test.latency` (a histogram with
/// buckets 1 and 10 and the median), and records 2 orders in `eu`, 1 in `us`, and the
/// latencies 2 and 4.
fn record_orders(broker: &ServiceBroker) {
    let metrics = broker.metrics();
    metrics
        .register(
            MetricDef::new("test.orders", MetricType::Counter)
                .labels(&["region"])
                .unit("order"),
        )
        .unwrap();
    metrics
        .register(
            MetricDef::new("test.latency", MetricType::Histogram)
                .buckets(vec![1.0, 10.0])
                .quantiles(vec![0.5]),
        )
        .unwrap();
    for region in ["eu", "eu", "us"] {
        metrics
            .increment("test.orders", &json!({ "region": region }), 1.0)
            .unwrap();
    }
    for ms in [2.0, 4.0] {
        metrics.observe("test.latency", ms, &Value::Null).unwrap();
    }
}

/// A log writer keeping what is written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The Console reporter logs Node's layout under the `METRICS` module, and with
/// `onlyChanges` (its default) logs nothing while nothing changes.
#[tokio::test]
async fn the_console_reporter_logs_nodes_layout() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The test's runtime has one thread: the reporter's task logs on it.
    let _guard = tracing::subscriber::set_default(subscriber);
    let broker = started(
        "console-node",
        json!({ "enabled": true, "reporter": { "type": "Console", "options": {
            "interval": 0.2, "includes": "test.**", "metricNamePrefix": "app." } } }),
    )
    .await;
    record_orders(&broker);
    let text = eventually_some("the metrics block", Duration::from_secs(5), || {
        let text = captured.text();
        async move { text.contains("METRICS END (2)").then_some(text) }
    })
    .await;
    for line in [
        "------------------- [ METRICS START (2) ] -------------------",
        "app.test.orders (counter)",
        "  {region: eu}: 2 orders",
        "  {region: us}: 1 orders",
        "app.test.latency (histogram)",
        "  {}: Count: 2 | 1: 0 | 10: 2 | Min: 2.00 | Mean: 3.00 | Var: 2.00 | StdDev: 1.41 | Max: 4.00 | 0.5: 2.00 ",
        "-------------------- [ METRICS END (2) ] --------------------",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    // Nothing changes: no second block.
    sleep(Duration::from_millis(600)).await;
    assert_eq!(captured.text().matches("METRICS START").count(), 1);
    // One change: a block with that metric only.
    broker
        .metrics()
        .increment("test.orders", &json!({ "region": "us" }), 1.0)
        .unwrap();
    eventually_some("the changed metric", Duration::from_secs(5), || {
        let text = captured.text();
        async move { text.contains("METRICS START (1)").then_some(()) }
    })
    .await;
    assert!(captured.text().contains("  {region: us}: 2 orders"));
    broker.stop().await.unwrap();
}

fn temp_folder(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique_namespace(what));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The CSV reporter appends a row per changed value, a file per metric (mode `metric`) or
/// per set of labels (mode `label`), the header once.
#[tokio::test]
async fn the_csv_reporter_writes_rows_in_both_modes() {
    let folder = temp_folder("csv");
    let (by_metric, by_label) = (folder.join("metric"), folder.join("label"));
    let broker = started(
        "csv-node",
        json!({ "enabled": true, "reporter": [
            { "type": "CSV", "options": { "interval": 0.2, "includes": "test.orders", "folder": by_metric } },
            { "type": "CSV", "options": { "interval": 0.2, "includes": ["test.**"], "mode": "label", "delimiter": ";", "types": "counter", "folder": by_label } }
        ] }),
    )
    .await;
    record_orders(&broker);
    let file = by_metric.join("test.orders.csv");
    let text = eventually_some("the CSV file", Duration::from_secs(5), || {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        async move { (text.lines().count() >= 3).then_some(text) }
    })
    .await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Timestamp,Metric,Label region,Value");
    let mut rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    rows.sort_by_key(|r| r[2]);
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(&rows[0][1..], ["test.orders", "eu", "2"]);
    assert_eq!(&rows[1][1..], ["test.orders", "us", "1"]);
    assert!(
        rows[0][0].parse::<u64>().unwrap() > 1_600_000_000_000,
        "a timestamp in ms"
    );

    let eu = by_label
        .join("test.orders")
        .join("test.orders--region=eu.csv");
    let text = eventually_some("the label file", Duration::from_secs(5), || {
        let text = std::fs::read_to_string(&eu).unwrap_or_default();
        async move { (!text.is_empty()).then_some(text) }
    })
    .await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Timestamp;Metric;Label region;Value");
    assert!(lines[1].ends_with(";test.orders;eu;2"), "{text}");
    assert!(
        by_label
            .join("test.orders")
            .join("test.orders--region=us.csv")
            .exists()
    );
    assert!(
        !by_label.join("test.latency").exists(),
        "`types: counter` leaves the histogram out"
    );
    // Only changed values get rows.
    sleep(Duration::from_millis(600)).await;
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
    broker
        .metrics()
        .increment("test.orders", &json!({ "region": "eu" }), 1.0)
        .unwrap();
    let text = eventually_some("the new row", Duration::from_secs(5), || {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        async move { (text.lines().count() == 4).then_some(text) }
    })
    .await;
    assert!(
        text.lines().last().unwrap().ends_with(",test.orders,eu,3"),
        "{text}"
    );
    broker.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&folder);
}

/// The StatsD reporter sends what changed over UDP: a counter's gain, a histogram's mean with
/// its sample rate, labels as tags; beside it, a Prometheus reporter serves at the same time.
#[tokio::test]
async fn the_statsd_reporter_sends_changes_over_udp_beside_prometheus() {
    let statsd = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = statsd.local_addr().unwrap().port();
    let broker = started(
        "statsd-node",
        json!({ "enabled": true, "reporter": [
            { "type": "StatsD", "options": { "host": "127.0.0.1", "port": port, "interval": 0.2, "includes": "test.**", "maxPayloadSize": 64 } },
            { "type": "Prometheus", "options": { "port": 0, "host": "127.0.0.1" } }
        ] }),
    )
    .await;
    assert_eq!(broker.metrics().prometheus_addresses().len(), 1);
    record_orders(&broker);
    let mut lines: Vec<String> = Vec::new();
    let mut buf = vec![0u8; 2048];
    while lines.len() < 3 {
        let (n, _) = tokio::time::timeout(Duration::from_secs(5), statsd.recv_from(&mut buf))
            .await
            .expect("a StatsD payload")
            .unwrap();
        assert!(n <= 64, "maxPayloadSize");
        lines.extend(
            std::str::from_utf8(&buf[..n])
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    lines.sort();
    assert_eq!(
        lines,
        [
            "test.latency:3|ms|@0.5",
            "test.orders:1|c|#region:us",
            "test.orders:2|c|#region:eu"
        ]
    );
    broker
        .metrics()
        .increment("test.orders", &json!({ "region": "eu" }), 5.0)
        .unwrap();
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), statsd.recv_from(&mut buf))
        .await
        .expect("the change")
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&buf[..n]).unwrap(),
        "test.orders:5|c|#region:eu",
        "the gain since the last report"
    );
    broker.stop().await.unwrap();
}

/// The Datadog reporter posts Node's series to the API: counters as gauges, histograms as
/// bucket, quantile and summary rates, tagged with the namespace, the node ID and the labels.
#[tokio::test]
async fn the_datadog_reporter_posts_nodes_series() {
    let (address, mut posted) = http_endpoint().await;
    let broker = started(
        "dd-node",
        json!({ "enabled": true, "reporter": { "type": "Datadog", "options": {
            "baseUrl": format!("http://{address}/api/"), "apiKey": "secret-key",
            "host": "box-1", "interval": 0.2, "includes": "test.**" } } }),
    )
    .await;
    record_orders(&broker);
    let post = eventually_some("a post with the metrics", Duration::from_secs(5), || {
        let next = posted.try_recv().ok();
        async move { next.filter(|p| p.body["series"].as_array().is_some_and(|s| s.len() > 2)) }
    })
    .await;
    assert!(
        post.head
            .starts_with("POST /api/v1/series?api_key=secret-key HTTP/1.1"),
        "{}",
        post.head
    );
    assert!(
        post.head
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let series = post.body["series"].as_array().unwrap();
    let find = |metric: &str, tag: Option<&str>| {
        series
            .iter()
            .find(|s| {
                s["metric"] == metric
                    && tag.is_none_or(|t| s["tags"].as_array().unwrap().contains(&json!(t)))
            })
            .unwrap_or_else(|| panic!("no {metric} in {series:?}"))
    };
    let eu = find("test.orders", Some("region:eu"));
    assert_eq!(eu["type"], "gauge");
    assert_eq!(eu["host"], "box-1");
    assert_eq!(eu["points"][0][1], 2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        eu["points"][0][0].as_u64().unwrap().abs_diff(now) < 10,
        "seconds"
    );
    let ns = broker.namespace().to_owned();
    assert_eq!(
        eu["tags"],
        json!([format!("namespace:{ns}"), "nodeID:dd-node", "region:eu"])
    );
    assert_eq!(find("test.latency.bucket_10", None)["points"][0][1], 2);
    assert_eq!(find("test.latency.bucket_1", None)["points"][0][1], 0);
    assert_eq!(find("test.latency.bucket_inf", None)["points"][0][1], 2);
    assert_eq!(find("test.latency.q0.5", None)["type"], "rate");
    assert_eq!(find("test.latency.sum", None)["points"][0][1], 6);
    assert_eq!(find("test.latency.count", None)["points"][0][1], 2);
    broker.stop().await.unwrap();
}

/// What the reporters refuse, each with the reason.
#[tokio::test]
async fn reporter_options_are_checked() {
    for (reporter, says) in [
        (
            json!({ "type": "Console", "options": { "colors": true } }),
            "plain text",
        ),
        (
            json!({ "type": "Console", "options": { "interval": 0 } }),
            "above 0",
        ),
        (
            json!({ "type": "CSV", "options": { "mode": "row" } }),
            "\"metric\" or \"label\"",
        ),
        (
            json!({ "type": "CSV", "options": { "rowFormatter": "x" } }),
            "JavaScript function",
        ),
        (
            json!({ "type": "CSV", "options": { "types": ["meter"] } }),
            "metric type",
        ),
        (
            json!({ "type": "Event", "options": { "group": "x" } }),
            "an option of the Event reporter",
        ),
        (
            json!({ "type": "StatsD", "options": { "port": "x" } }),
            "a port number",
        ),
        (
            json!({ "type": "Datadog", "options": { "apiKey": "k", "defaultLabels": "f" } }),
            "object of labels",
        ),
        (json!({ "type": "Graphite" }), "a known reporter"),
    ] {
        let err = builder(
            "refused",
            json!({ "enabled": true, "reporter": reporter.clone() }),
        )
        .build()
        .err()
        .unwrap_or_else(|| panic!("{reporter} was accepted"));
        assert!(err.to_string().contains(says), "{reporter}: {err}");
    }
}

/// The Event reporter's snapshots reach a Node collector service over the wire, beside Node's
/// own snapshots, in Node's shape.
async fn event_reporter_feeds_a_node_collector(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = unique_namespace(&format!("metrics-event-v{}", version.env_value()));
    let event_reporter =
        json!({ "type": "Event", "options": { "interval": 0.3, "includes": "moleculer.**" } });
    let mut node = NodePeer::spawn_with(
        version,
        &format!("node-{ns}"),
        &ns,
        &["collector", "math"],
        &json!({ "metrics": { "enabled": true, "collectProcessMetrics": false, "reporter": event_reporter } }),
    )
    .await
    .unwrap();
    let rust = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({
                "nodeID": format!("rust-{ns}"), "namespace": ns, "transporter": nats_url(),
                "metrics": { "enabled": true, "reporter": event_reporter }
            }))
            .unwrap(),
        )
        .protocol_version(version.protocol_version())
        .service(Math)
        .build()
        .unwrap();
    rust.start().await.unwrap();
    rust.wait_for_services(&["collector"], Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let _: Value = rust
        .call("math.add", json!({ "a": 1, "b": 2 }))
        .await
        .unwrap();
    node.call("math.add", json!({ "a": 1, "b": 2 }), Value::Null)
        .await
        .unwrap();
    let rust_id = format!("rust-{ns}");
    let node_id = format!("node-{ns}");
    let mut snapshots = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        snapshots = node
            .call("collector.snapshots", json!({}), Value::Null)
            .await
            .unwrap();
        let has_requests = |id: &str| {
            snapshots[id].as_array().is_some_and(|l| {
                l.iter().any(|m| {
                    m["name"] == "moleculer.request.total"
                        && m["values"].to_string().contains("math.add")
                })
            })
        };
        if has_requests(&rust_id) && has_requests(&node_id) {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    let find = |id: &str, name: &str| -> Value {
        snapshots[id]
            .as_array()
            .unwrap_or_else(|| panic!("no snapshot of {id} in {snapshots}"))
            .iter()
            .find(|m| m["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} from {id}"))
    };
    assert_eq!(
        find(&rust_id, "moleculer.node.type")["values"][0]["value"],
        "rust"
    );
    assert_eq!(
        find(&node_id, "moleculer.node.type")["values"][0]["value"],
        "nodejs"
    );
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let (ours, theirs) = (
        find(&rust_id, "moleculer.request.total"),
        find(&node_id, "moleculer.request.total"),
    );
    assert_eq!(keys(&ours), keys(&theirs));
    for field in ["type", "description", "labelNames", "unit"] {
        assert_eq!(ours[field], theirs[field], "{field}");
    }
    let add = |m: &Value| -> Value {
        m["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["labels"]["action"] == "math.add")
            .cloned()
            .unwrap_or_else(|| panic!("no math.add in {m}"))
    };
    assert_eq!(keys(&add(&ours)), keys(&add(&theirs)));
    assert_eq!(add(&ours)["value"], 1);
    assert_eq!(add(&ours)["labels"]["type"], "local");
    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

#[tokio::test]
async fn the_event_reporter_feeds_a_node_0_15_collector() {
    event_reporter_feeds_a_node_collector(NodeVersion::V15).await;
}

#[tokio::test]
async fn the_event_reporter_feeds_a_node_0_14_collector() {
    event_reporter_feeds_a_node_collector(NodeVersion::V14).await;
}
