//! Interop with real Node.js Moleculer nodes configured with `serializer: "MsgPack"`,
//! `"Notepack"`, `"CBOR"` (msgpack5, notepack.io and cbor-x from npm), `"JSONExt"` (0.15) or
//! one of 0.14's schema serializers, `"ProtoBuf"`, `"Avro"` and `"Thrift"` (protobufjs, avsc,
//! thrift), over NATS and over TCP: calls both ways with params of every JSON shape, meta,
//! errors, events and discovery.
//! Each case asserts what the other side received.

use std::time::Duration;

use moleculer::options::{BrokerOptions, PluginKind, SerializerKind};
use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use moleculer_tests::{Recorder, free_port};
use serde_json::{Value, json};

/// Params of every JSON shape, with numbers at each encoding's edges. notepack.io writes an
/// integral number of 2^64 or more as a broken uint64 (Node then reads back another number),
/// so those are left out of its set; the Rust writer sends them as float64.
fn every_shape(serializer: SerializerKind) -> Value {
    let floats = if serializer == SerializerKind::Notepack {
        json!([0.5, 0.1, -2.25, 1.5e-7, 123456.789])
    } else {
        json!([0.5, 0.1, -2.25, 1e300, 3.4028234663852886e38, 1.5e-7])
    };
    json!({
        "nested": { "deep": { "list": [1, [2, [3]], { "x": null }] } },
        "unicode": "héllo ✓ 😀 \u{0}",
        "ints": [0, -1, -32, -33, 127, 128, 255, 256, 65535, 65536, -214748364, -300000000,
                 4294967295_u64, 4294967296_u64, 9007199254740991_u64, -9007199254740991_i64],
        "floats": floats,
        "empty": { "list": [], "object": {}, "text": "" },
        "null": null,
        "long": "x".repeat(300),
        "bools": [true, false],
        "brackets": ["[[DT]]123", "[[ES]]x", "[[", "[x"],
    })
}

/// `value` as JavaScript sees it: one number type (so `4294967296` and `4294967296.0`, which
/// cbor-x writes as a float, are the same value).
fn js(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(list) => list.iter().map(js).collect(),
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), js(v))).collect(),
        other => other.clone(),
    }
}

#[derive(Default)]
struct Rusty {
    seen: Recorder,
}

#[service(name = "rusty", register = false)]
impl Rusty {
    #[action]
    async fn whoami(&self, ctx: Context) -> Result<Value> {
        Ok(json!({ "params": ctx.params, "meta": *ctx.meta(), "nodeID": ctx.node_id() }))
    }

    #[action]
    async fn fail(&self, ctx: Context) -> Result<Value> {
        Err(Error::client("Rust refused")
            .with_code(418)
            .with_type("TEAPOT")
            .with_data(json!({ "got": ctx.params })))
    }

    #[event(name = "shapes.*")]
    async fn on_shapes(&self, ctx: EventContext) {
        self.seen
            .push(json!({ "event": ctx.event_name(), "payload": ctx.params }));
    }
}

/// Calls, errors and events both ways between a Rust node and a Node node that both speak
/// `serializer`; `tcp` puts them on the TCP transporter instead of NATS.
async fn speak(version: NodeVersion, serializer: SerializerKind, tcp: bool) {
    if !node_interop_available().await {
        return;
    }
    let name = serializer.name();
    let ns = moleculer_tests::unique_namespace(&format!(
        "ser-{name}-v{}-{}",
        version.env_value(),
        if tcp { "tcp" } else { "nats" }
    ));
    let (node_id, rust_id) = ("node-ser", "rust-ser");
    let (node_port, rust_port) = (free_port(), free_port());
    let mut peer_options = json!({ "serializer": name });
    if tcp {
        peer_options["transporter"] = json!({ "type": "TCP", "options": {
            "udpDiscovery": false, "port": node_port, "gossipPeriod": 1,
        }});
    }
    let seen = Recorder::default();
    let builder = ServiceBroker::builder()
        .serializer(serializer)
        .node_id(rust_id)
        .namespace(&ns)
        .protocol_version(version.protocol_version())
        .service(Rusty { seen: seen.clone() });
    let builder = if tcp {
        let mut o = TcpOptions::default();
        o.udp_discovery = false;
        o.port = Some(rust_port);
        o.urls = Some(PeerUrls::List(vec![format!(
            "127.0.0.1:{node_port}/{node_id}"
        )]));
        o.gossip_period = Duration::from_secs(1);
        builder.transporter(TcpTransporter::new(o))
    } else {
        builder.transporter_url(&nats_url())
    };
    let rust = builder.build().unwrap();
    let mut peer = NodePeer::spawn_with(
        version,
        node_id,
        &ns,
        &["math", "echo", "recorder"],
        &peer_options,
    )
    .await
    .expect("the Node peer starts");
    rust.start().await.unwrap();
    rust.wait_for_services(&["math", "echo", "recorder"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    peer.wait_for_services(&["rusty"], Duration::from_secs(30))
        .await
        .unwrap();
    let what = format!("{name} v{} tcp={tcp}", version.env_value());

    // Rust calls Node: every shape arrives as sent, and comes back as sent.
    let shapes = every_shape(serializer);
    let echo: Value = rust
        .call_with(
            "echo.echo",
            shapes.clone(),
            CallOptions::new().meta(json!({ "user": "ann", "n": 0.5 })),
        )
        .await
        .unwrap();
    assert_eq!(js(&echo["params"]), js(&shapes), "{what}");
    assert_eq!(echo["meta"], json!({ "user": "ann", "n": 0.5 }), "{what}");
    let sum: f64 = rust
        .call("math.add", json!({ "a": 0.25, "b": 2 }))
        .await
        .unwrap();
    assert_eq!(sum, 2.25, "{what}");
    let err = rust
        .call::<Value, _>("math.fail", json!({ "why": 1.5 }))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.error_type()),
        (422, Some("MATH_FAILED")),
        "{what}"
    );
    assert_eq!(
        err.data(),
        Some(&json!({ "params": { "why": 1.5 } })),
        "{what}"
    );

    // Node calls Rust.
    let who = peer
        .call(
            "rusty.whoami",
            shapes.clone(),
            json!({ "meta": { "tenant": "t1" } }),
        )
        .await
        .unwrap();
    assert_eq!(js(&who["params"]), js(&shapes), "{what}");
    assert_eq!(who["meta"], json!({ "tenant": "t1" }), "{what}");
    assert_eq!(who["nodeID"], node_id, "{what}");
    let err = peer
        .call("rusty.fail", json!({ "n": 1 }), Value::Null)
        .await
        .unwrap_err();
    assert_eq!(
        (&err["code"], &err["type"]),
        (&json!(418), &json!("TEAPOT")),
        "{what}"
    );
    assert_eq!(err["data"], json!({ "got": { "n": 1 } }), "{what}");

    // Events both ways.
    peer.emit("shapes.node", shapes.clone(), Value::Null)
        .await
        .unwrap();
    rust.emit("shapes.rust", shapes.clone()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let received = loop {
        let list = peer
            .call("recorder.list", json!({}), Value::Null)
            .await
            .unwrap();
        let got: Vec<Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "shapes.rust")
            .cloned()
            .collect();
        if !got.is_empty() && seen.len() == 2 {
            break got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: events did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(js(&received[0]["payload"]), js(&shapes), "{what}");
    // The Rust node's own `shapes.rust` reaches its local group too; Node's event is checked.
    let from_node: Vec<Value> = seen
        .take()
        .into_iter()
        .filter(|e| e["event"] == "shapes.node")
        .collect();
    assert_eq!(from_node.len(), 1, "{what}");
    assert_eq!(js(&from_node[0]["payload"]), js(&shapes), "{what}");
    rust.stop().await.unwrap();
    peer.stop().await.unwrap();
}

#[tokio::test]
async fn msgpack_with_node_0_15_over_nats() {
    speak(NodeVersion::V15, SerializerKind::MsgPack, false).await;
}

#[tokio::test]
async fn msgpack_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::MsgPack, false).await;
}

#[tokio::test]
async fn notepack_with_node_0_15_over_nats() {
    speak(NodeVersion::V15, SerializerKind::Notepack, false).await;
}

#[tokio::test]
async fn notepack_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::Notepack, false).await;
}

#[tokio::test]
async fn msgpack_with_node_0_15_over_tcp() {
    speak(NodeVersion::V15, SerializerKind::MsgPack, true).await;
}

#[tokio::test]
async fn jsonext_with_node_0_15_over_nats() {
    speak(NodeVersion::V15, SerializerKind::JsonExt, false).await;
}

#[tokio::test]
async fn jsonext_with_node_0_15_over_tcp() {
    speak(NodeVersion::V15, SerializerKind::JsonExt, true).await;
}

#[tokio::test]
async fn cbor_with_node_0_15_over_nats() {
    speak(NodeVersion::V15, SerializerKind::Cbor, false).await;
}

#[tokio::test]
async fn cbor_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::Cbor, false).await;
}

#[tokio::test]
async fn cbor_with_node_0_15_over_tcp() {
    speak(NodeVersion::V15, SerializerKind::Cbor, true).await;
}

#[tokio::test]
async fn notepack_with_node_0_14_over_tcp() {
    speak(NodeVersion::V14, SerializerKind::Notepack, true).await;
}

#[tokio::test]
async fn protobuf_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::ProtoBuf, false).await;
}

#[tokio::test]
async fn protobuf_with_node_0_14_over_tcp() {
    speak(NodeVersion::V14, SerializerKind::ProtoBuf, true).await;
}

#[tokio::test]
async fn avro_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::Avro, false).await;
}

#[tokio::test]
async fn avro_with_node_0_14_over_tcp() {
    speak(NodeVersion::V14, SerializerKind::Avro, true).await;
}

#[tokio::test]
async fn thrift_with_node_0_14_over_nats() {
    speak(NodeVersion::V14, SerializerKind::Thrift, false).await;
}

#[tokio::test]
async fn thrift_with_node_0_14_over_tcp() {
    speak(NodeVersion::V14, SerializerKind::Thrift, true).await;
}

/// A schema serializer on protocol 5, or options where none are taken: a clear error.
#[tokio::test]
async fn unsupported_serializers_are_refused_at_start() {
    for (option, expected) in [
        (
            json!("ProtoBuf"),
            "the ProtoBuf serializer speaks Moleculer 0.14's protocol 4 only",
        ),
        (
            json!("avro"),
            "the Avro serializer speaks Moleculer 0.14's protocol 4 only",
        ),
        (
            json!({ "type": "MsgPack", "options": { "x": 1 } }),
            "the MsgPack serializer takes no options",
        ),
    ] {
        let options: BrokerOptions =
            serde_json::from_value(json!({ "serializer": option })).unwrap();
        let built = ServiceBroker::builder().options(options).build();
        let err = match built {
            Err(err) => err,
            Ok(broker) => broker.start().await.unwrap_err(),
        };
        assert_eq!(err.kind(), ErrorKind::BrokerOptions, "{err}");
        assert!(err.message().contains(expected), "{err}");
    }
}
