//! Tracing: the spans of actions and events with Node's names and tags, custom spans from a
//! handler, sampling, the per-action `tracing` key, the Event exporter; and one trace across
//! Node and Rust nodes (a Node caller, a Rust action, a Node action, a Rust action), read from
//! a Node collector of `$tracing.spans`, on both protocol versions, with Node sampling nothing
//! itself so that its span exists only because the sampling decision travelled.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use moleculer_tests::{Recorder, eventually_some, http_endpoint, unique_namespace};
use serde_json::{Value, json};

/// Keeps every span the Event exporter sends.
#[derive(Default)]
struct Collector {
    spans: Recorder,
}

#[service(name = "collector", register = false)]
impl Collector {
    #[event(name = "$tracing.spans")]
    async fn spans(&self, ctx: EventContext) -> Result<()> {
        for span in ctx.params.as_array().into_iter().flatten() {
            self.spans.push(span.clone());
        }
        Ok(())
    }
}

#[derive(Default)]
struct Orders;

#[service(name = "orders", version = 2, register = false)]
impl Orders {
    /// Calls `orders.price`, and works in a span of its own.
    #[action]
    async fn create(&self, ctx: Context) -> Result<Value> {
        let price: Value = ctx.call("v2.orders.price", json!({ "sku": "a-1" })).await?;
        let mut span = ctx.start_span("save order");
        span.tag("table", json!("orders"));
        span.log("written", json!({ "rows": 1 }));
        span.finish();
        ctx.emit("order.created", json!({ "id": 7 })).await?;
        Ok(json!({ "id": 7, "price": price }))
    }

    #[action(tracing = { tags: { params: ["sku"], meta: ["tenant"], response: true }, spanName: "price lookup" })]
    async fn price(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(12.5))
    }

    #[action(tracing = false)]
    async fn quiet(&self, _ctx: Context) -> Result<Value> {
        Ok(json!(true))
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::client("no stock")
            .with_code(409)
            .with_type("NO_STOCK"))
    }

    #[event(name = "order.created")]
    async fn created(&self, _ctx: EventContext) -> Result<()> {
        Ok(())
    }
}

async fn spans_of(collector: &Recorder, count: usize) -> Vec<Value> {
    let mut spans = Vec::new();
    eventually_some("the spans", Duration::from_secs(5), || {
        spans.extend(collector.take());
        let done = spans.len() >= count;
        async move { done.then_some(()) }
    })
    .await;
    spans
}

fn named<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    spans
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no span `{name}` in {spans:#?}"))
}

/// A call's spans: Node's names, ids from the contexts, tags, a custom span with its log,
/// a span's error, and `tracing = false`.
#[tokio::test]
async fn spans_have_nodes_names_ids_and_tags() {
    let collector = Collector::default();
    let recorded = collector.spans.clone();
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "trace-node", "tracing": {
                "enabled": true, "events": true, "defaultTags": { "region": "eu" },
                "exporter": { "type": "Event", "options": { "interval": 0 } } } }))
            .unwrap(),
        )
        .service(Orders)
        .service(collector)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let answer: Value = broker
        .call_with(
            "v2.orders.create",
            json!({ "qty": 3 }),
            CallOptions::new().meta(json!({ "tenant": "t1", "user": "u" })),
        )
        .await
        .unwrap();
    assert_eq!(answer["price"], 12.5);
    let spans = spans_of(&recorded, 4).await;
    let create = named(&spans, "action 'v2.orders.create'");
    let price = named(&spans, "price lookup");
    let custom = named(&spans, "save order");
    let event = named(&spans, "event 'order.created' in 'v2.orders'");

    // Ids: the span is the context, the trace the request, the parent the parent context.
    assert_eq!(create["type"], "action");
    assert_eq!(create["parentID"], Value::Null);
    assert_eq!(create["traceID"], create["id"]);
    for child in [price, custom, event] {
        assert_eq!(child["traceID"], create["id"], "{child}");
        assert_eq!(child["parentID"], create["id"], "{child}");
        assert_eq!(child["sampled"], true);
    }
    assert_eq!(custom["type"], "custom");
    assert_eq!(
        create["service"],
        json!({ "name": "orders", "version": 2, "fullName": "v2.orders" })
    );
    assert_eq!(create["priority"], 5);
    assert!(create["duration"].as_f64().unwrap() >= 0.0);
    assert!(
        create["finishTime"].as_f64().unwrap() >= create["startTime"].as_f64().unwrap(),
        "{create}"
    );

    // Tags.
    let tags = &create["tags"];
    assert_eq!(tags["region"], "eu", "defaultTags");
    assert_eq!(tags["callingLevel"], 1);
    assert_eq!(
        tags["action"],
        json!({ "name": "v2.orders.create", "rawName": "create" })
    );
    assert_eq!(tags["remoteCall"], false);
    assert_eq!(tags["callerNodeID"], "trace-node");
    assert_eq!(tags["nodeID"], "trace-node");
    assert_eq!(tags["requestID"], create["id"]);
    assert_eq!(tags["params"], json!({ "qty": 3 }));
    assert_eq!(tags["fromCache"], false);
    assert!(tags.get("meta").is_none() && tags.get("response").is_none());
    let keys: Vec<&str> = tags
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "region",
            "callingLevel",
            "action",
            "remoteCall",
            "callerNodeID",
            "nodeID",
            "options",
            "requestID",
            "params",
            "fromCache"
        ],
        "Node's order"
    );
    // The action's own rules: some params, some meta, the response.
    assert_eq!(price["tags"]["params"], json!({ "sku": "a-1" }));
    assert_eq!(price["tags"]["meta"], json!({ "tenant": "t1" }));
    assert_eq!(price["tags"]["response"], 12.5);
    assert_eq!(price["tags"]["callingLevel"], 2);
    // The custom span.
    assert_eq!(custom["tags"]["table"], "orders");
    assert_eq!(custom["logs"][0]["name"], "written");
    assert_eq!(custom["logs"][0]["fields"], json!({ "rows": 1 }));
    assert!(custom["logs"][0]["elapsed"].as_f64().unwrap() >= 0.0);
    // The event's span.
    assert_eq!(event["type"], "event");
    assert_eq!(
        event["tags"]["event"],
        json!({ "name": "order.created", "group": "orders" })
    );
    assert_eq!(event["tags"]["eventName"], "order.created");
    assert_eq!(event["tags"]["eventType"], "emit");
    assert_eq!(event["tags"]["params"], json!({ "id": 7 }));
    assert!(
        !spans
            .iter()
            .any(|s| s["tags"]["eventName"] == "$tracing.spans"),
        "the exporter's own event is not traced"
    );

    // `tracing = false`, and an error.
    let _: Value = broker.call("v2.orders.quiet", json!({})).await.unwrap();
    broker
        .call::<Value, _>("v2.orders.fail", json!({}))
        .await
        .unwrap_err();
    let spans = spans_of(&recorded, 1).await;
    assert_eq!(spans.len(), 1, "{spans:#?}");
    assert_eq!(spans[0]["name"], "action 'v2.orders.fail'");
    assert_eq!(
        spans[0]["error"],
        json!({ "name": "MoleculerClientError", "message": "no stock", "code": 409, "type": "NO_STOCK" })
    );
    broker.stop().await.unwrap();
}

/// `sampling.rate: 0.5` samples every second trace, and a sub-call follows its root.
#[tokio::test]
async fn sampling_follows_the_root() {
    let collector = Collector::default();
    let recorded = collector.spans.clone();
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "sampling-node", "tracing": {
                "enabled": true, "sampling": { "rate": 0.5 },
                "exporter": { "type": "Event", "options": { "interval": 0.1 } } } }))
            .unwrap(),
        )
        .service(Orders)
        .service(collector)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    for _ in 0..4 {
        let _: Value = broker.call("v2.orders.create", json!({})).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let spans = recorded.take();
    let roots = spans.iter().filter(|s| s["parentID"].is_null()).count();
    assert_eq!(roots, 2, "every second root: {spans:#?}");
    assert_eq!(
        spans.len(),
        6,
        "each sampled root with its price and custom spans"
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn tracing_options_are_checked() {
    for (tracing, says) in [
        (
            json!({ "enabled": true, "exporter": "Jaeger" }),
            "later one",
        ),
        (
            json!({ "enabled": true, "exporter": "Honeycomb" }),
            "a known exporter",
        ),
        (
            json!({ "enabled": true, "sampling": { "rate": 2 } }),
            "from 0 to 1",
        ),
        (
            json!({ "enabled": true, "tags": { "action": { "body": true } } }),
            "a tag rule",
        ),
        (
            json!({ "enabled": true, "exporter": { "type": "Event", "options": { "spanConverter": "f" } } }),
            "JavaScript function",
        ),
        (
            json!({ "enabled": true, "tracesPerSecond": 1 }),
            "an option of the tracing",
        ),
    ] {
        let err = ServiceBroker::builder()
            .options(serde_json::from_value(json!({ "tracing": tracing.clone() })).unwrap())
            .build()
            .err()
            .unwrap_or_else(|| panic!("{tracing} was accepted"));
        assert!(err.to_string().contains(says), "{tracing}: {err}");
    }
}

#[derive(Default)]
struct Chain;

#[service(name = "chain", register = false)]
impl Chain {
    /// Calls Node's `relay.call`, which calls back `chain.end` here.
    #[action]
    async fn start(&self, ctx: Context) -> Result<Value> {
        ctx.call(
            "relay.call",
            json!({ "action": "chain.end", "params": { "x": 1 } }),
        )
        .await
    }

    #[action]
    async fn end(&self, _ctx: Context) -> Result<Value> {
        Ok(json!("end"))
    }
}

/// Node calls `chain.start` (Rust), which calls `relay.call` (Node), which calls `chain.end`
/// (Rust): one trace, three spans from two nodes, each with its parent. Node samples nothing
/// of its own (`rate: 0`): its span is there because Rust's REQ said `tracing: true`.
async fn one_trace_across_node_and_rust(version: NodeVersion) {
    if !node_interop_available().await {
        return;
    }
    let ns = unique_namespace(&format!("trace-v{}", version.env_value()));
    let exporter = json!({ "type": "Event", "options": { "interval": 0 } });
    let mut node = NodePeer::spawn_with(
        version,
        &format!("node-{ns}"),
        &ns,
        &["relay", "spans"],
        &json!({ "tracing": { "enabled": true, "sampling": { "rate": 0 }, "exporter": exporter } }),
    )
    .await
    .unwrap();
    let rust_id = format!("rust-{ns}");
    let rust = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({
                "nodeID": rust_id, "namespace": ns, "transporter": nats_url(),
                "tracing": { "enabled": true, "exporter": exporter }
            }))
            .unwrap(),
        )
        .protocol_version(version.protocol_version())
        .service(Chain)
        .build()
        .unwrap();
    rust.start().await.unwrap();
    rust.wait_for_services(&["relay", "spans"], Some(Duration::from_secs(10)))
        .await
        .unwrap();
    node.wait_for_services(&["chain"], Duration::from_secs(10))
        .await
        .unwrap();
    let answer = node
        .call("chain.start", json!({}), Value::Null)
        .await
        .unwrap();
    assert_eq!(answer["result"], "end");
    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = node
            .call("spans.list", json!({}), Value::Null)
            .await
            .unwrap()
            .as_array()
            .cloned()
            .unwrap_or_default();
        if spans.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = named(&spans, "action 'chain.start'");
    let relay = named(&spans, "action 'relay.call'");
    let end = named(&spans, "action 'chain.end'");
    assert_eq!(start["tags"]["nodeID"], rust_id.as_str());
    assert_eq!(relay["tags"]["nodeID"], format!("node-{ns}"));
    assert_eq!(end["tags"]["nodeID"], rust_id.as_str());
    let trace = &start["id"];
    for span in [start, relay, end] {
        assert_eq!(&span["traceID"], trace, "one trace: {span}");
    }
    assert_eq!(start["parentID"], Value::Null);
    assert_eq!(relay["parentID"], start["id"]);
    assert_eq!(end["parentID"], relay["id"]);
    assert_eq!(start["tags"]["remoteCall"], true, "called from Node");
    assert_eq!(end["tags"]["callingLevel"], 3);
    assert_eq!(end["tags"]["params"], json!({ "x": 1 }));
    // Rust's spans have Node's keys.
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(end), keys(relay));
    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

#[tokio::test]
async fn one_trace_across_node_0_15_and_rust() {
    one_trace_across_node_and_rust(NodeVersion::V15).await;
}

#[tokio::test]
async fn one_trace_across_node_0_14_and_rust() {
    one_trace_across_node_and_rust(NodeVersion::V14).await;
}

/// The EventLegacy exporter's 0.13 events from a Rust node reach a Node 0.14 collector, with
/// the payload Node 0.14's own EventLegacy exporter sends.
#[tokio::test]
async fn event_legacy_spans_reach_a_node_0_14_collector() {
    let version = NodeVersion::V14;
    if !node_interop_available().await {
        return;
    }
    let ns = unique_namespace("trace-legacy");
    let mut node = NodePeer::spawn_with(
        version,
        &format!("node-{ns}"),
        &ns,
        &["math", "spans"],
        &json!({ "tracing": { "enabled": true, "exporter": "EventLegacy" } }),
    )
    .await
    .unwrap();
    let rust_id = format!("rust-{ns}");
    let rust = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({
                "nodeID": rust_id, "namespace": ns, "transporter": nats_url(),
                "tracing": { "enabled": true, "exporter": "EventLegacy" }
            }))
            .unwrap(),
        )
        .protocol_version(version.protocol_version())
        .service(Chain)
        .build()
        .unwrap();
    rust.start().await.unwrap();
    rust.wait_for_services(&["spans"], Some(Duration::from_secs(10)))
        .await
        .unwrap();
    node.wait_for_services(&["chain"], Duration::from_secs(10))
        .await
        .unwrap();
    node.call("chain.end", json!({}), Value::Null)
        .await
        .unwrap();
    node.call("math.add", json!({ "a": 1, "b": 2 }), Value::Null)
        .await
        .unwrap();
    let finished = |events: &Value, action: &str| -> Option<Value> {
        events.as_array()?.iter().find_map(|e| {
            (e["event"] == "finish" && e["payload"]["action"]["name"] == action)
                .then(|| e["payload"].clone())
        })
    };
    let mut events = Value::Null;
    for _ in 0..100 {
        events = node
            .call("spans.legacy", json!({}), Value::Null)
            .await
            .unwrap();
        if finished(&events, "chain.end").is_some() && finished(&events, "math.add").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ours = finished(&events, "chain.end").unwrap_or_else(|| panic!("{events}"));
    let theirs = finished(&events, "math.add").unwrap_or_else(|| panic!("{events}"));
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "start" && e["payload"]["action"]["name"] == "chain.end"),
        "the start event too"
    );
    assert_eq!(ours["nodeID"], rust_id.as_str());
    assert_eq!(ours["remoteCall"], true);
    assert_eq!(
        ours["callerNodeID"],
        format!("node-{ns}"),
        "called from Node"
    );
    assert_eq!(ours["requestID"], ours["id"]);
    assert_eq!(ours["service"]["name"], "chain");
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "callerNodeID")
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&ours), keys(&theirs), "Node 0.14's payload: {theirs}");
    node.stop().await.unwrap();
    rust.stop().await.unwrap();
}

/// The Zipkin exporter posts Node's v2 payload: ids cut to 16 hex digits, microseconds, the
/// tags flattened to strings, an error as the `error` tag and annotation.
#[tokio::test]
async fn the_zipkin_exporter_posts_nodes_payload() {
    let (address, mut posted) = http_endpoint().await;
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "zipkin-node", "tracing": {
                "enabled": true,
                "exporter": { "type": "Zipkin", "options": {
                    "baseURL": format!("http://{address}"), "interval": 0.1,
                    "defaultTags": { "app": { "name": "shop" } },
                    "headers": { "X-Api-Key": "k1" } } } } }))
            .unwrap(),
        )
        .service(Orders)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let _: Value = broker
        .call("v2.orders.create", json!({ "qty": 3, "sku": ["a", "b"] }))
        .await
        .unwrap();
    broker
        .call::<Value, _>("v2.orders.fail", json!({}))
        .await
        .unwrap_err();
    let mut spans: Vec<Value> = Vec::new();
    let mut heads = Vec::new();
    while spans.len() < 4 {
        let post = tokio::time::timeout(Duration::from_secs(5), posted.recv())
            .await
            .expect("a post to Zipkin")
            .unwrap();
        heads.push(post.head);
        spans.extend(post.body.as_array().cloned().unwrap_or_default());
    }
    let head = heads[0].to_ascii_lowercase();
    assert!(head.starts_with("post /api/v2/spans http/1.1"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("x-api-key: k1"), "{head}");
    let create = named(&spans, "action 'v2.orders.create'");
    let price = named(&spans, "price lookup");
    assert_eq!(create["kind"], "SERVER");
    let id = create["id"].as_str().unwrap();
    assert!(id.len() == 16 && !id.contains('-'), "{id}");
    assert_eq!(create["traceId"], create["id"]);
    assert_eq!(create["parentId"], Value::Null);
    assert_eq!(price["parentId"], create["id"]);
    assert_eq!(
        create["localEndpoint"],
        json!({ "serviceName": "v2.orders" })
    );
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    assert!(
        (now_us - create["timestamp"].as_i64().unwrap()).abs() < 10_000_000,
        "{create}"
    );
    assert!(create["duration"].as_i64().unwrap() >= 0);
    let tags = &create["tags"];
    assert_eq!(tags["service"], "v2.orders");
    assert_eq!(tags["span.type"], "action");
    assert_eq!(tags["app.name"], "shop", "defaultTags, flattened");
    assert_eq!(tags["action.name"], "v2.orders.create");
    assert_eq!(tags["params.qty"], "3", "values as strings");
    assert_eq!(tags["params.sku.1"], "b", "arrays by index");
    assert_eq!(tags["remoteCall"], "false");
    assert_eq!(create["debug"], false);
    let failed = named(&spans, "action 'v2.orders.fail'");
    assert_eq!(failed["tags"]["error"], "no stock");
    assert_eq!(failed["tags"]["error.name"], "MoleculerClientError");
    assert_eq!(failed["tags"]["error.code"], "409");
    assert_eq!(failed["annotations"][0]["value"], "error");
    assert_eq!(
        failed["annotations"][0]["endpoint"],
        json!({ "serviceName": "v2.orders", "ipv4": "", "port": 0 })
    );
    broker.stop().await.unwrap();
}

/// The NewRelic exporter posts the same spans to the trace API, in Zipkin's format with New
/// Relic's headers, kind and annotations.
#[tokio::test]
async fn the_newrelic_exporter_posts_zipkin_spans_with_its_headers() {
    let (address, mut posted) = http_endpoint().await;
    let broker = ServiceBroker::builder()
        .options(
            serde_json::from_value(json!({ "nodeID": "newrelic-node", "tracing": {
                "enabled": true,
                "exporter": { "type": "NewRelic", "options": {
                    "baseURL": format!("http://{address}"), "insertKey": "nr-key",
                    "interval": 0 } } } }))
            .unwrap(),
        )
        .service(Orders)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let _: Value = broker.call("v2.orders.price", json!({})).await.unwrap();
    let post = tokio::time::timeout(Duration::from_secs(5), posted.recv())
        .await
        .expect("a post to New Relic")
        .unwrap();
    let head = post.head.to_ascii_lowercase();
    assert!(head.starts_with("post /trace/v1 http/1.1"), "{head}");
    for header in [
        "api-key: nr-key",
        "data-format: zipkin",
        "data-format-version: 2",
    ] {
        assert!(head.contains(header), "{header} in {head}");
    }
    let span = &post.body[0];
    assert_eq!(span["name"], "price lookup");
    assert_eq!(span["kind"], "CONSUMER");
    assert_eq!(span["annotations"][0]["value"], "sr");
    assert_eq!(span["annotations"][0]["timestamp"], span["timestamp"]);
    assert_eq!(span["annotations"][1]["value"], "ss");
    assert_eq!(span["tags"]["response"], "12.5");
    broker.stop().await.unwrap();
}
