//! Several Rust brokers on one in-memory bus (Moleculer's Fake transporter): discovery,
//! remote calls, events, disconnects, ping and the disabled balancer.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::Recorder;
use serde_json::{Value, json};

#[derive(Default)]
struct Math;

#[service(name = "math", version = 2, register = false)]
impl Math {
    #[action(params = { a: "number", b: "number" })]
    async fn add(&self, ctx: Context) -> Result<f64> {
        ctx.set_meta("handledBy", ctx.broker().node_id().to_owned());
        Ok(ctx.params["a"].as_f64().unwrap_or(0.0) + ctx.params["b"].as_f64().unwrap_or(0.0))
    }

    #[action]
    async fn whoami(&self, ctx: Context) -> Result<Value> {
        Ok(json!({
            "node": ctx.broker().node_id(),
            "caller": ctx.caller(),
            "callerNode": ctx.node_id(),
            "level": ctx.level(),
            "requestID": ctx.request_id().to_string(),
            "parentID": ctx.parent_id().map(ToString::to_string),
            "meta": *ctx.meta(),
            "headers": ctx.headers(),
        }))
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::client("no way")
            .with_code(422)
            .with_type("NO_WAY")
            .with_data(json!({"x": 1})))
    }

    #[action]
    async fn slow(&self, _ctx: Context) -> Result<bool> {
        tokio::time::sleep(Duration::from_millis(600)).await;
        Ok(true)
    }
}

/// Calls `v2.math.whoami` on another node: a nested call across nodes.
#[derive(Default)]
struct Gateway;

#[service(name = "gateway", register = false)]
impl Gateway {
    #[action]
    async fn relay(&self, ctx: Context) -> Result<Value> {
        ctx.set_meta("relayed", true);
        ctx.call("v2.math.whoami", json!({})).await
    }
}

struct Listener {
    seen: Recorder,
}

#[service(name = "listener", register = false)]
impl Listener {
    #[event(name = "order.*")]
    async fn order(&self, ctx: EventContext) {
        self.seen.push(json!({
            "node": ctx.broker().node_id(),
            "event": ctx.event_name(),
            "from": ctx.node_id(),
            "type": ctx.event_type().as_str(),
            "groups": ctx.event_groups(),
            "payload": ctx.params,
            "meta": *ctx.meta(),
        }));
    }
}

fn node(bus: &FakeBus, id: &str) -> moleculer::BrokerBuilder {
    ServiceBroker::builder()
        .node_id(id)
        .transporter(FakeTransporter::new(bus.clone()))
}

async fn wait_for(broker: &ServiceBroker, services: &[&str]) {
    broker
        .wait_for_services(services, Some(Duration::from_secs(5)))
        .await
        .expect("services discovered");
}

#[tokio::test]
async fn remote_calls_carry_context_meta_and_errors() {
    let bus = FakeBus::new();
    let a = node(&bus, "a").service(Gateway).build().unwrap();
    let b = node(&bus, "b").service(Math).build().unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["v2.math"]).await;
    wait_for(&b, &["gateway"]).await;

    // A plain remote call; meta set by the callee comes back.
    let opts = CallOptions::new()
        .meta(json!({"user": "ann"}))
        .headers(json!({"trace": "t1"}));
    let who: Value = a
        .call_with("v2.math.whoami", json!({}), opts)
        .await
        .unwrap();
    assert_eq!(who["node"], "b");
    assert_eq!(who["callerNode"], "a");
    assert_eq!(who["level"], 1);
    assert_eq!(who["meta"], json!({"user": "ann"}));
    assert_eq!(who["headers"], json!({"trace": "t1"}));

    let sum: f64 = a
        .call("v2.math.add", json!({"a": 1, "b": 2.5}))
        .await
        .unwrap();
    assert_eq!(sum, 3.5);

    // Validation runs on the callee and its error crosses the wire.
    let err = a
        .call::<Value, _>("v2.math.add", json!({"a": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    assert_eq!(err.node_id(), Some("b"));

    // A custom error keeps its fields.
    let err = a
        .call::<Value, _>("v2.math.fail", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.name(), err.code(), err.error_type()),
        ("MoleculerClientError", 422, Some("NO_WAY"))
    );
    assert_eq!(err.data(), Some(&json!({"x": 1})));
    assert_eq!(err.node_id(), Some("b"));

    // A nested call: b -> a (gateway.relay) -> b (v2.math.whoami).
    let relayed: Value = b.call("gateway.relay", json!({})).await.unwrap();
    assert_eq!(relayed["node"], "b");
    assert_eq!(relayed["callerNode"], "a");
    assert_eq!(relayed["caller"], "gateway");
    assert_eq!(relayed["level"], 2);
    assert_eq!(relayed["meta"], json!({"relayed": true}));

    // A timeout: the callee is too slow; a late response is dropped.
    let err = a
        .call_with::<Value, _>(
            "v2.math.slow",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout, "{err:?}");

    // An unknown action is reported by the caller, an action on an unknown node too.
    let err = a
        .call::<Value, _>("v2.math.nope", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);

    // The registry shows both nodes on each side.
    let nodes: Value = a.call("$node.list", json!({})).await.unwrap();
    let ids: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(nodes[1]["client"]["type"], "rust");
    assert_eq!(nodes[1]["available"], true);
    assert_eq!(nodes[1]["local"], false);

    // Ping.
    let pong = a.ping("b", Duration::from_secs(1)).await.unwrap();
    assert_eq!(pong["nodeID"], "b");
    assert!(pong["elapsedTime"].as_i64().unwrap() >= 0);
    assert!(
        a.ping("nobody", Duration::from_millis(100))
            .await
            .unwrap()
            .is_null()
    );

    // b stops: a hears DISCONNECT and forgets its services.
    b.stop().await.unwrap();
    let err = a
        .call::<Value, _>("v2.math.add", json!({"a": 1, "b": 1}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound, "{err:?}");
    let mut nodes = Value::Null;
    for _ in 0..100 {
        nodes = a.call("$node.list", json!({})).await.unwrap();
        if nodes[1]["available"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(nodes[1]["available"], false, "{nodes}");
    a.stop().await.unwrap();
}

#[tokio::test]
async fn pending_calls_are_rejected_when_the_node_leaves() {
    let bus = FakeBus::new();
    let a = node(&bus, "a").build().unwrap();
    let b = node(&bus, "b").service(Math).build().unwrap();
    a.start().await.unwrap();
    b.start().await.unwrap();
    wait_for(&a, &["v2.math"]).await;
    let slow = tokio::spawn({
        let a = a.clone();
        async move { a.call::<Value, _>("v2.math.slow", json!({})).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // b stops; its `slow` is cut short by the stop, so `a` gets a rejection (or the
    // answer, if b still replied before DISCONNECT): never a hang.
    b.stop().await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(2), slow)
        .await
        .expect("the pending call ended")
        .unwrap();
    match result {
        Ok(v) => assert_eq!(v, json!(true)),
        Err(err) => assert_eq!(err.kind(), ErrorKind::RequestRejected, "{err:?}"),
    }
    a.stop().await.unwrap();
}

#[tokio::test]
async fn events_travel_per_node_with_groups() {
    let bus = FakeBus::new();
    let (sa, sb, sc) = (
        Recorder::default(),
        Recorder::default(),
        Recorder::default(),
    );
    let a = node(&bus, "a")
        .service(Listener { seen: sa.clone() })
        .build()
        .unwrap();
    let b = node(&bus, "b")
        .service(Listener { seen: sb.clone() })
        .build()
        .unwrap();
    let c = node(&bus, "c")
        .service(Listener { seen: sc.clone() })
        .build()
        .unwrap();
    let (r1, r2, r3) = tokio::join!(a.start(), b.start(), c.start());
    for started in [r1, r2, r3] {
        started.unwrap();
    }
    let emitter = node(&bus, "emitter").build().unwrap();
    emitter.start().await.unwrap();
    // Wait until the emitter knows all three listeners.
    for _ in 0..200 {
        if emitter.event_groups("order.created").len() == 1 && count_listeners(&emitter).await == 3
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(count_listeners(&emitter).await, 3);

    // emit: one listener of the group, balanced over the nodes.
    for i in 0..6 {
        emitter
            .emit("order.created", json!({"n": i}))
            .await
            .unwrap();
    }
    let all = Recorder::default();
    for r in [&sa, &sb, &sc] {
        r.wait_for(2, Duration::from_secs(2)).await;
    }
    for (rec, node) in [(&sa, "a"), (&sb, "b"), (&sc, "c")] {
        let got = rec.take();
        assert_eq!(got.len(), 2, "{node}: {got:?}");
        for g in got {
            assert_eq!(g["node"], node);
            assert_eq!(g["from"], "emitter");
            assert_eq!(g["type"], "emit");
            assert_eq!(g["groups"], json!(["listener"]));
            all.push(g);
        }
    }

    // broadcast: every node, groups absent; meta travels.
    emitter
        .broadcast_with(
            "order.paid",
            json!({"id": 7}),
            EmitOptions::new().meta(json!({"m": 1})),
        )
        .await
        .unwrap();
    for (rec, node) in [(&sa, "a"), (&sb, "b"), (&sc, "c")] {
        assert!(rec.wait_for(1, Duration::from_secs(2)).await, "{node}");
        let got = rec.take();
        assert_eq!(got[0]["type"], "broadcast");
        assert_eq!(got[0]["groups"], Value::Null);
        assert_eq!(got[0]["payload"], json!({"id": 7}));
        assert_eq!(got[0]["meta"], json!({"m": 1}));
    }

    // A group nobody has: nothing arrives.
    emitter
        .emit_with(
            "order.created",
            json!({}),
            EmitOptions::new().groups(["other"]),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sa.is_empty() && sb.is_empty() && sc.is_empty());

    for broker in [&a, &b, &c, &emitter] {
        broker.stop().await.unwrap();
    }
}

async fn count_listeners(broker: &ServiceBroker) -> usize {
    let events: Value = broker
        .call("$node.events", json!({"withEndpoints": true}))
        .await
        .unwrap();
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "order.*")
        .map(|e| e["count"].as_u64().unwrap_or(0) as usize)
        .sum()
}

#[tokio::test]
async fn disabled_balancer_uses_queues() {
    let bus = FakeBus::new();
    let mut opts = moleculer::BrokerOptions::default();
    opts.disable_balancer = true;
    let build = |id: &str, with_math: bool| {
        let mut o = opts.clone();
        o.node_id = Some(id.to_owned());
        let builder = ServiceBroker::builder()
            .options(o)
            .transporter(FakeTransporter::new(bus.clone()));
        if with_math {
            builder.service(Math)
        } else {
            builder
        }
        .build()
        .unwrap()
    };
    let (a, b, c) = (build("a", false), build("b", true), build("c", true));
    for broker in [&b, &c, &a] {
        broker.start().await.unwrap();
    }
    wait_for(&a, &["v2.math"]).await;
    let mut nodes = Vec::new();
    for _ in 0..6 {
        let who: Value = a.call("v2.math.whoami", json!({})).await.unwrap();
        nodes.push(who["node"].as_str().unwrap().to_owned());
    }
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes, ["b", "c"], "the queue balances over both nodes");
    // A call to a given node still goes to that node.
    let who: Value = a
        .call_with("v2.math.whoami", json!({}), CallOptions::new().node_id("c"))
        .await
        .unwrap();
    assert_eq!(who["node"], "c");
    for broker in [&a, &b, &c] {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_duplicate_node_id_is_refused_at_start() {
    let bus = FakeBus::new();
    let first = node(&bus, "same").service(Math).build().unwrap();
    first.start().await.unwrap();
    // The newcomer's DISCOVER is answered by the running node's INFO: it refuses to start.
    let second = node(&bus, "same").build().unwrap();
    let err = second.start().await.unwrap_err();
    assert_eq!(err.error_type(), Some("NODE_ID_CONFLICT"), "{err:?}");
    assert!(err.message().contains("`same`"), "{}", err.message());
    // The running node stays in the cluster.
    let observer = node(&bus, "observer").build().unwrap();
    observer.start().await.unwrap();
    observer
        .wait_for_services(&["v2.math"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let who: Value = observer.call("v2.math.whoami", json!({})).await.unwrap();
    assert_eq!(who["node"], "same");
    for broker in [&first, &observer] {
        broker.stop().await.unwrap();
    }
}

/// A node that learns another process took its nodeID (an INFO with its nodeID and another
/// instanceID) leaves the cluster, and `run()` ends with the reason.
#[tokio::test]
async fn a_node_whose_node_id_is_taken_ends_run_with_the_reason() {
    use moleculer::transporter::{Bytes, IncomingSink, Transporter};
    let bus = FakeBus::new();
    let running = node(&bus, "taken").service(Math).build().unwrap();
    let run = tokio::spawn({
        let running = running.clone();
        async move { running.run().await }
    });
    let observer = node(&bus, "observer-2").build().unwrap();
    observer.start().await.unwrap();
    observer
        .wait_for_services(&["v2.math"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    // Another process announces itself as `taken`.
    let other = FakeTransporter::new(bus);
    other.connect(IncomingSink::channel().0).await.unwrap();
    let info = json!({
        "ver": "5", "sender": "taken", "services": [], "config": {},
        "instanceID": "another-process", "ipList": [], "hostname": "h", "port": null,
        "client": {"type": "nodejs", "version": "0.15.2", "langVersion": "v20"},
        "seq": 1, "metadata": {},
    });
    other
        .publish("MOL.INFO", Bytes::from(serde_json::to_vec(&info).unwrap()))
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("run() ends")
        .unwrap();
    let err = ended.unwrap_err();
    assert_eq!(err.error_type(), Some("NODE_ID_CONFLICT"), "{err:?}");
    observer.stop().await.unwrap();
}

/// A cluster whose caller balances with `strategy`; `v2.math` runs on `n1` and `n2`.
async fn strategy_cluster(strategy: Value) -> Vec<ServiceBroker> {
    let bus = FakeBus::new();
    let mut options: moleculer::BrokerOptions =
        serde_json::from_value(json!({ "nodeID": "caller", "registry": strategy })).unwrap();
    options.registry.prefer_local = true;
    let caller = ServiceBroker::builder()
        .options(options)
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    let n1 = node(&bus, "n1").service(Math).build().unwrap();
    let n2 = node(&bus, "n2").service(Math).build().unwrap();
    for broker in [&n1, &n2, &caller] {
        broker.start().await.unwrap();
    }
    for _ in 0..200 {
        let actions: Value = caller
            .call("$node.actions", json!({ "skipInternal": true }))
            .await
            .unwrap();
        if actions[0]["count"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    vec![caller, n1, n2]
}

async fn node_for(caller: &ServiceBroker, params: Value) -> String {
    let who: Value = caller.call("v2.math.whoami", params).await.unwrap();
    who["node"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn shard_strategy_matches_nodes_ring() {
    let brokers =
        strategy_cluster(json!({ "strategy": "Shard", "strategyOptions": { "shardKey": "user" } }))
            .await;
    let caller = &brokers[0];
    // Node's ring over [n1, n2] with 10 vnodes: "John" -> n2, "user-1" -> n1.
    for _ in 0..3 {
        assert_eq!(node_for(caller, json!({ "user": "John" })).await, "n2");
        assert_eq!(node_for(caller, json!({ "user": "user-1" })).await, "n1");
    }
    // A meta key, `#tenant`, works the same way through the object form.
    for broker in &brokers {
        broker.stop().await.unwrap();
    }
    let brokers = strategy_cluster(
        json!({ "strategy": { "type": "Shard", "options": { "shardKey": "#tenant" } } }),
    )
    .await;
    let who: Value = brokers[0]
        .call_with(
            "v2.math.whoami",
            json!({}),
            CallOptions::new().meta(json!({ "tenant": "John" })),
        )
        .await
        .unwrap();
    assert_eq!(who["node"], "n2");
    for broker in &brokers {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn random_and_round_robin_strategies_use_every_node() {
    for strategy in ["Random", "RoundRobin", "CpuUsage", "Latency"] {
        let brokers = strategy_cluster(json!({ "strategy": strategy })).await;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..40 {
            seen.insert(node_for(&brokers[0], json!({})).await);
        }
        // CpuUsage and Latency fall back to random without figures: both nodes are used.
        assert_eq!(seen.len(), 2, "{strategy}: {seen:?}");
        for broker in &brokers {
            broker.stop().await.unwrap();
        }
    }
}

#[tokio::test]
async fn an_unknown_strategy_is_an_options_error() {
    let options: moleculer::BrokerOptions = serde_json::from_value(
        json!({ "registry": { "strategy": "Shard", "strategyOptions": { "vnodes": 0 } } }),
    )
    .unwrap();
    let err = ServiceBroker::builder()
        .options(options)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokerOptions, "{err:?}");
    assert!(err.message().contains("vnodes"), "{}", err.message());
}

#[tokio::test]
async fn a_silent_node_goes_offline_after_the_heartbeat_timeout() {
    use moleculer::options::ProtocolVersion;
    use moleculer::protocol::{Info, Packet};
    use moleculer::serializer::{JsonSerializer, Serializer};
    use moleculer::transporter::Transporter;

    let bus = FakeBus::new();
    let options: moleculer::BrokerOptions = serde_json::from_value(json!({
        "nodeID": "watcher", "heartbeatInterval": 0.2, "heartbeatTimeout": 1
    }))
    .unwrap();
    let watcher = ServiceBroker::builder()
        .options(options)
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    watcher.start().await.unwrap();
    // A forged node: it announces itself once, then never beats.
    let ghost = FakeTransporter::new(bus.clone());
    let (sink, _rx) = moleculer::transporter::IncomingSink::channel();
    ghost.connect(sink).await.unwrap();
    let info = Info {
        instance_id: "ghost-1".into(),
        services: vec![
            json!({"name": "phantom", "fullName": "phantom", "settings": {},
            "metadata": {}, "actions": {"phantom.boo": {"rawName": "boo", "name": "phantom.boo"}},
            "events": {}}),
        ],
        ..Info::default()
    };
    ghost
        .publish(
            "MOL.INFO",
            JsonSerializer
                .serialize(&Packet::Info(info), ProtocolVersion::V5, "ghost")
                .expect("encode")
                .into(),
        )
        .await
        .unwrap();
    wait_for(&watcher, &["phantom"]).await;
    let started = std::time::Instant::now();
    let mut offline = false;
    while started.elapsed() < Duration::from_secs(6) {
        let nodes: Value = watcher.call("$node.list", json!({})).await.unwrap();
        if nodes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "ghost" && n["available"] == false)
        {
            offline = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(offline, "the silent node is still online");
    let err = watcher
        .call::<Value, _>("phantom.boo", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
    watcher.stop().await.unwrap();
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Validate, JsonSchema)]
struct Point {
    #[validate(range(min = 0.0))]
    x: f64,
    label: String,
    tags: Vec<i64>,
}

#[derive(Default)]
struct Typed;

#[service(name = "typed", register = false)]
impl Typed {
    #[action(params = Point)]
    async fn mirror(&self, ctx: Context<Point>) -> Result<Point> {
        let mut p = ctx.params;
        p.tags.reverse();
        Ok(p)
    }

    /// A result serde_json cannot write (map keys that are not strings).
    #[action]
    async fn unwritable(
        &self,
        _ctx: Context,
    ) -> Result<std::collections::BTreeMap<(i32, i32), i32>> {
        Ok([((1, 2), 3)].into_iter().collect())
    }
}

#[tokio::test]
async fn typed_params_and_results_cross_the_wire_and_bad_ones_are_errors() {
    let bus = FakeBus::new();
    let a = node(&bus, "a").build().unwrap();
    let b = node(&bus, "b").service(Typed).build().unwrap();
    let (ra, rb) = tokio::join!(a.start(), b.start());
    ra.unwrap();
    rb.unwrap();
    wait_for(&a, &["typed"]).await;

    // Typed both ways: the params are parsed straight from the packet's text on `b`, the
    // result straight from the response's text on `a`.
    let p = Point {
        x: 1.5,
        label: "é\"q".into(),
        tags: vec![1, 2, 3],
    };
    let back: Point = a.call("typed.mirror", p.clone()).await.unwrap();
    assert_eq!(
        back,
        Point {
            tags: vec![3, 2, 1],
            ..p.clone()
        }
    );
    // JSON callers and results work the same way.
    let back: Value = a
        .call("typed.mirror", json!({"x": 2, "label": "l", "tags": []}))
        .await
        .unwrap();
    assert_eq!(back, json!({"x": 2.0, "label": "l", "tags": []}));

    // Params that do not fit the type, or break its rules: a validation error from `b`.
    for bad in [
        json!({"x": "two", "label": "l", "tags": []}),
        json!({"x": -1, "label": "l", "tags": []}),
    ] {
        let err = a
            .call::<Value, _>("typed.mirror", bad.clone())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{bad}: {err:?}");
        assert_eq!(err.code(), 422);
        assert_eq!(err.node_id(), Some("b"));
    }

    // A result that does not serialize answers the caller with the error at once (the
    // call's timeout is far away).
    let started = std::time::Instant::now();
    let err = a
        .call_with::<Value, _>(
            "typed.unwritable",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(20_000)),
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("does not serialize"), "{err:?}");
    assert_eq!(err.node_id(), Some("b"));
    assert!(started.elapsed() < Duration::from_secs(10));

    // Params that do not serialize fail on the caller, and nothing is left pending.
    let unwritable: std::collections::BTreeMap<(i32, i32), i32> =
        [((1, 2), 3)].into_iter().collect();
    let err = a
        .call::<Value, _>("typed.mirror", unwritable)
        .await
        .unwrap_err();
    assert!(err.message().contains("does not serialize"), "{err:?}");
    let back: Point = a.call("typed.mirror", p.clone()).await.unwrap();
    assert_eq!(back.label, p.label);

    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
