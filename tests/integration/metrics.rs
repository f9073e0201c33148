//! Metrics: after N calls with K failures the request counters, the histogram's count and
//! sum and the active gauge (back at 0) say so; a user's own metrics; `$node.metrics` with
//! its filters, and refused when metrics are off; and the shape of Node 0.15's own
//! `$node.metrics` for the same metrics.

use moleculer::metrics::{ListOptions, MetricDef, MetricType};
use moleculer::prelude::*;
use moleculer_tests::node::{NodePeer, NodeVersion, node_interop_available};
use moleculer_tests::unique_namespace;
use serde_json::{Value, json};

/// `add`, `fail` and `order.created`, shared with the other metrics tests.
#[derive(Default)]
pub(crate) struct Math;

#[service(name = "math", register = false)]
impl Math {
    #[action]
    async fn add(&self, ctx: Context) -> Result<Value> {
        Ok(json!(
            ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0)
        ))
    }

    #[event(name = "order.created")]
    async fn order_created(&self, ctx: EventContext) -> Result<()> {
        if ctx.params["fail"] == true {
            return Err(Error::client("bad order"));
        }
        Ok(())
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::client("Failed on purpose")
            .with_code(422)
            .with_type("MATH_FAILED"))
    }
}

async fn broker(metrics: Value) -> ServiceBroker {
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "metrics-node", "metrics": metrics }))
                .unwrap(),
        )
        .service(Math)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    broker
}

/// The metric named `name` in a `$node.metrics` answer.
fn metric<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// The series of `metric` whose labels have `action`.
fn series<'a>(metric: &'a Value, action: &str) -> &'a Value {
    metric["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["labels"]["action"] == action)
        .unwrap_or_else(|| panic!("no {action} series in {metric}"))
}

#[tokio::test]
async fn request_metrics_count_calls_and_failures() {
    let broker = broker(json!(true)).await;
    for i in 0..5 {
        let _: Value = broker
            .call("math.add", json!({ "a": i, "b": 1 }))
            .await
            .unwrap();
    }
    for _ in 0..2 {
        broker
            .call::<Value, _>("math.fail", json!({}))
            .await
            .unwrap_err();
    }
    let list: Value = broker
        .call(
            "$node.metrics",
            json!({ "includes": "moleculer.request.**" }),
        )
        .await
        .unwrap();
    let total = metric(&list, "moleculer.request.total");
    assert_eq!(total["type"], "counter");
    assert_eq!(total["unit"], "request");
    let add = series(total, "math.add");
    assert_eq!(add["value"], json!(5));
    assert_eq!(add["key"], json!("\"math\"|\"math.add\"|\"local\"|"));
    assert_eq!(
        add["labels"],
        json!({ "service": "math", "action": "math.add", "type": "local", "caller": null })
    );
    assert_eq!(add["rate"], json!(0));
    assert_eq!(series(total, "math.fail")["value"], json!(2));
    let active = metric(&list, "moleculer.request.active");
    assert_eq!(series(active, "math.add")["value"], json!(0));
    assert_eq!(series(active, "math.fail")["value"], json!(0));
    let errors = metric(&list, "moleculer.request.error.total");
    let failed = series(errors, "math.fail");
    assert_eq!(failed["value"], json!(2));
    assert_eq!(failed["labels"]["errorName"], "MoleculerClientError");
    assert_eq!(failed["labels"]["errorCode"], json!(422));
    assert_eq!(failed["labels"]["errorType"], "MATH_FAILED");
    assert!(
        errors["values"].as_array().unwrap().len() == 1,
        "only the failing action: {errors}"
    );
    let time = metric(&list, "moleculer.request.time");
    let add_time = series(time, "math.add");
    assert_eq!(add_time["count"], json!(5));
    assert!(add_time["sum"].as_f64().unwrap() > 0.0);
    assert_eq!(add_time["buckets"]["10000"], json!(5));
    assert!(add_time["min"].as_f64().unwrap() <= add_time["max"].as_f64().unwrap());
    assert!(add_time["quantiles"]["0.5"].is_number(), "{add_time}");
    let levels = metric(&list, "moleculer.request.levels");
    let level_one = levels["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["labels"]["level"] == 1)
        .unwrap();
    // The 7 calls, and the `$node.metrics` call itself.
    assert_eq!(level_one["value"], json!(8));
    // Filters: a type, and an exclusion.
    let histograms = broker
        .metrics()
        .list(&ListOptions::all().types(&["histogram"]));
    assert!(histograms.iter().all(|m| m["type"] == "histogram"));
    assert!(
        histograms
            .iter()
            .any(|m| m["name"] == "moleculer.request.time")
    );
    let without: Value = broker
        .call(
            "$node.metrics",
            json!({ "includes": ["moleculer.**"], "excludes": ["moleculer.request.**"] }),
        )
        .await
        .unwrap();
    let names: Vec<&str> = without
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"moleculer.node.type"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("moleculer.request.")),
        "{names:?}"
    );
    assert_eq!(
        metric(&without, "moleculer.node.type")["values"][0]["value"],
        "rust"
    );
    assert_eq!(
        metric(&without, "moleculer.broker.started")["values"][0]["value"],
        json!(1)
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn event_metrics_count_what_is_sent_and_received() {
    let broker = broker(json!(true)).await;
    broker.emit("order.created", json!({})).await.unwrap();
    broker
        .emit("order.created", json!({ "fail": true }))
        .await
        .unwrap();
    broker.broadcast("order.created", json!({})).await.unwrap();
    broker
        .broadcast_local("order.created", json!({}))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let list: Value = broker
        .call("$node.metrics", json!({ "includes": "moleculer.event.**" }))
        .await
        .unwrap();
    let one = |name: &str| -> Value {
        metric(&list, name)["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["labels"]["event"] == "order.created")
            .cloned()
            .unwrap_or_else(|| panic!("no order.created in {name}"))
    };
    let emitted = one("moleculer.event.emit.total");
    assert_eq!(emitted["value"], json!(2));
    assert_eq!(emitted["key"], json!("\"order.created\"|"));
    assert_eq!(emitted["labels"], json!({ "event": "order.created" }));
    assert_eq!(one("moleculer.event.broadcast.total")["value"], json!(1));
    // As in Node, `broadcast` runs `broadcastLocal` (and its wrappers) for this node.
    assert_eq!(
        one("moleculer.event.broadcast-local.total")["value"],
        json!(2)
    );
    let received = one("moleculer.event.received.total");
    assert_eq!(received["value"], json!(4));
    assert_eq!(
        received["labels"],
        json!({ "service": "math", "group": "math", "event": "order.created", "caller": null })
    );
    assert_eq!(one("moleculer.event.received.active")["value"], json!(0));
    assert_eq!(
        one("moleculer.event.received.error.total")["value"],
        json!(1)
    );
    assert_eq!(one("moleculer.event.received.time")["count"], json!(4));
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_users_own_metrics() {
    let broker = broker(json!({ "enabled": true, "defaultBuckets": [1, 10] })).await;
    let metrics = broker.metrics();
    metrics
        .register(
            MetricDef::new("orders.created", MetricType::Counter)
                .labels(&["region"])
                .rate(),
        )
        .unwrap();
    metrics
        .register(MetricDef::new("queue.size", MetricType::Gauge))
        .unwrap();
    metrics
        .register(metrics.histogram_def("orders.value").labels(&["region"]))
        .unwrap();
    metrics
        .register(MetricDef::new("build.info", MetricType::Info))
        .unwrap();
    let eu = json!({ "region": "eu", "ignored": 1 });
    metrics.increment("orders.created", &eu, 1.0).unwrap();
    metrics.increment("orders.created", &eu, 2.0).unwrap();
    metrics
        .increment("orders.created", &json!({ "region": "us" }), 1.0)
        .unwrap();
    let err = metrics.decrement("orders.created", &eu, 1.0).unwrap_err();
    assert!(err.message().contains("can't be decreased"), "{err}");
    metrics.set("queue.size", &json!(7), &Value::Null).unwrap();
    metrics.decrement("queue.size", &Value::Null, 2.0).unwrap();
    for value in [0.5, 5.0, 50.0] {
        metrics.observe("orders.value", value, &eu).unwrap();
    }
    metrics
        .set("build.info", &json!("v1.2.3"), &Value::Null)
        .unwrap();
    let timer = metrics
        .timer("orders.value", &json!({ "region": "us" }))
        .unwrap();
    assert!(timer.stop() >= 0.0);
    assert!(
        metrics.increment("nope", &Value::Null, 1.0).is_err(),
        "unregistered"
    );
    assert!(
        metrics
            .register(MetricDef::new("bad name", MetricType::Gauge))
            .is_err()
    );

    let list = metrics.list(&ListOptions::all().includes(&["orders.*", "queue.*", "build.*"]));
    let list = Value::Array(list);
    let created = metric(&list, "orders.created");
    assert_eq!(created["values"][0]["key"], "\"eu\"");
    assert_eq!(created["values"][0]["labels"], json!({ "region": "eu" }));
    assert_eq!(created["values"][0]["value"], json!(3));
    assert_eq!(created["values"][1]["value"], json!(1));
    assert_eq!(metric(&list, "queue.size")["values"][0]["value"], json!(5));
    let value = metric(&list, "orders.value");
    let eu_values = &value["values"][0];
    assert_eq!(eu_values["count"], json!(3));
    assert_eq!(eu_values["sum"], json!(55.5));
    assert_eq!(eu_values["lastValue"], json!(50));
    assert_eq!(eu_values["buckets"], json!({ "1": 1, "10": 2 }));
    assert_eq!(eu_values["min"], json!(0.5));
    assert_eq!(eu_values["max"], json!(50));
    assert_eq!(eu_values["quantiles"]["0.5"], json!(5));
    assert_eq!(value["values"][1]["count"], json!(1), "the timer's");
    assert_eq!(metric(&list, "build.info")["values"][0]["value"], "v1.2.3");
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_off_are_refused_by_node_metrics() {
    let broker = broker(json!(false)).await;
    assert!(!broker.metrics().is_enabled());
    let err = broker
        .call::<Value, _>("$node.metrics", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("METRICS_DISABLED"));
    // Updates are no-ops, as in Node.
    broker
        .metrics()
        .increment("anything", &Value::Null, 1.0)
        .unwrap();
    broker.stop().await.unwrap();
}

/// The request metrics have Node 0.15's definitions and series shape.
#[tokio::test]
async fn node_metrics_look_like_nodes() {
    if !node_interop_available().await {
        return;
    }
    let ns = unique_namespace("metrics-shape");
    let mut node = NodePeer::spawn_with(
        NodeVersion::V15,
        &format!("node-{ns}"),
        &ns,
        &["math"],
        &json!({ "metrics": { "enabled": true, "collectProcessMetrics": false } }),
    )
    .await
    .unwrap();
    node.call("math.add", json!({ "a": 1, "b": 2 }), Value::Null)
        .await
        .unwrap();
    node.call("math.fail", json!({}), Value::Null)
        .await
        .unwrap_err();
    let theirs = node
        .call(
            "$node.metrics",
            json!({ "includes": "moleculer.**" }),
            Value::Null,
        )
        .await
        .unwrap();
    let rust = broker(json!(true)).await;
    let _: Value = rust
        .call("math.add", json!({ "a": 1, "b": 2 }))
        .await
        .unwrap();
    rust.call::<Value, _>("math.fail", json!({}))
        .await
        .unwrap_err();
    let ours: Value = rust
        .call("$node.metrics", json!({ "includes": "moleculer.**" }))
        .await
        .unwrap();
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    for name in [
        "moleculer.request.total",
        "moleculer.request.active",
        "moleculer.request.error.total",
        "moleculer.request.time",
        "moleculer.request.levels",
        "moleculer.event.received.total",
        "moleculer.event.received.active",
        "moleculer.event.received.error.total",
        "moleculer.event.received.time",
        "moleculer.event.emit.total",
        "moleculer.event.broadcast.total",
        "moleculer.event.broadcast-local.total",
        "moleculer.node.type",
        "moleculer.broker.namespace",
        "moleculer.broker.started",
    ] {
        let (o, t) = (metric(&ours, name), metric(&theirs, name));
        for field in ["type", "name", "description", "labelNames", "unit"] {
            assert_eq!(o.get(field), t.get(field), "{name}.{field}");
        }
        let (ov, tv) = (&o["values"], &t["values"]);
        if let (Some(o0), Some(t0)) = (ov.get(0), tv.get(0)) {
            assert_eq!(keys(o0), keys(t0), "{name}: the keys of a value");
        }
        if name.starts_with("moleculer.request.") && name != "moleculer.request.levels" {
            let action = if name.contains("error") {
                "math.fail"
            } else {
                "math.add"
            };
            let (o_one, t_one) = (series(o, action), series(t, action));
            assert_eq!(o_one["key"], t_one["key"], "{name}");
            assert_eq!(o_one["labels"], t_one["labels"], "{name}");
            assert_eq!(keys(o_one), keys(t_one), "{name}");
        }
    }
    assert_eq!(
        metric(&theirs, "moleculer.node.type")["values"][0]["value"],
        "nodejs"
    );
    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

/// `GET http://address/path`: the status line and the body.
async fn http_get(address: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// `GET` with `Accept-Encoding: gzip`: the body, checked to come gzipped, unzipped.
async fn gzipped_get(address: std::net::SocketAddr, path: &str) -> String {
    use std::io::Read;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip, deflate\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response[split + 4..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The Prometheus reporter serves Node's text format, which a Prometheus text parser reads:
/// the request counters with the broker's `namespace` and `nodeID` labels, the histogram's
/// buckets, sum and count, and infos as gauges labelled with their value.
#[tokio::test]
async fn the_prometheus_reporter_serves_what_a_parser_reads() {
    let ns = unique_namespace("prom");
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({
                "nodeID": "prom-node",
                "namespace": ns,
                "metrics": {
                    "enabled": true,
                    "reporter": { "type": "Prometheus", "options": { "port": 0, "host": "127.0.0.1", "excludes": ["moleculer.event.**"] } }
                }
            }))
            .unwrap(),
        )
        .service(Math)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    for i in 0..3 {
        let _: Value = broker
            .call("math.add", json!({ "a": i, "b": 1 }))
            .await
            .unwrap();
    }
    broker
        .call::<Value, _>("math.fail", json!({}))
        .await
        .unwrap_err();
    let address = broker.metrics().prometheus_addresses()[0];
    let (status, text) = http_get(address, "/metrics").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        text.contains("# TYPE moleculer_request_total counter"),
        "{text}"
    );
    assert!(!text.contains("moleculer_event_"), "excluded");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    let find = |name: &str, action: Option<&str>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && action.is_none_or(|a| s.labels.get("action") == Some(a)))
            .unwrap_or_else(|| panic!("no {name} {action:?} in {text}"))
    };
    let total = find("moleculer_request_total", Some("math.add"));
    assert_eq!(total.value, prometheus_parse::Value::Counter(3.0));
    assert_eq!(total.labels.get("namespace"), Some(ns.as_str()));
    assert_eq!(total.labels.get("nodeID"), Some("prom-node"));
    assert_eq!(total.labels.get("type"), Some("local"));
    let errors = find("moleculer_request_error_total", Some("math.fail"));
    assert_eq!(errors.value, prometheus_parse::Value::Counter(1.0));
    assert_eq!(errors.labels.get("errorType"), Some("MATH_FAILED"));
    // The `_bucket` lines make the histogram; Node also writes quantile lines under its name.
    let buckets = scrape
        .samples
        .iter()
        .find_map(|s| match &s.value {
            prometheus_parse::Value::Histogram(buckets)
                if s.metric == "moleculer_request_time"
                    && s.labels.get("action") == Some("math.add") =>
            {
                Some(buckets)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no histogram in {text}"));
    let all = buckets
        .iter()
        .find(|b| b.less_than == f64::INFINITY)
        .unwrap();
    assert_eq!(all.count, 3.0);
    assert!(text.contains("moleculer_request_time_count{"), "{text}");
    let node_type = find("moleculer_node_type", None);
    assert_eq!(node_type.labels.get("value"), Some("rust"));
    let (missing, _) = http_get(address, "/other").await;
    assert!(missing.contains("404"), "{missing}");
    let zipped = gzipped_get(address, "/metrics").await;
    assert!(
        zipped.contains("# TYPE moleculer_request_total counter"),
        "{zipped}"
    );
    broker.stop().await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "stopped with the broker"
    );
}

/// With a cacher, the `moleculer.cacher.*` metrics count its reads, hits, writes and cleans,
/// beside a user's own cache observer.
#[tokio::test]
async fn cacher_metrics_count_its_operations() {
    let counters = std::sync::Arc::new(moleculer::cacher::CacheCounters::new());
    let broker = ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "metrics": true, "cacher": "Memory" })).unwrap())
        .cache_observer(counters.clone())
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let cacher = broker.cacher().unwrap();
    cacher.set("a", json!(1), None).await.unwrap();
    assert!(cacher.get("a").await.unwrap().is_some());
    assert!(cacher.get("b").await.unwrap().is_none());
    cacher.clean(&["**"]).await.unwrap();
    let list = Value::Array(
        broker
            .metrics()
            .list(&ListOptions::all().includes(&["moleculer.cacher.**"])),
    );
    let value = |name: &str| metric(&list, name)["values"][0]["value"].clone();
    assert_eq!(value("moleculer.cacher.get.total"), json!(2));
    assert_eq!(value("moleculer.cacher.found.total"), json!(1));
    assert_eq!(value("moleculer.cacher.set.total"), json!(1));
    assert_eq!(value("moleculer.cacher.clean.total"), json!(1));
    let time = metric(&list, "moleculer.cacher.get.time");
    assert_eq!(time["unit"], "millisecond");
    assert_eq!(time["values"][0]["count"], json!(2));
    assert_eq!(counters.counts().gets, 2, "the user's observer too");
    broker.stop().await.unwrap();
}
