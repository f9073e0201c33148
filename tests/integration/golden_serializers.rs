//! Golden bytes from Node's own encoders: every packet captured from Node, encoded by
//! Moleculer 0.15's `MsgPack`, `Notepack`, `CBOR` and `JSONExt` serializer classes (msgpack5,
//! notepack.io, cbor-x from npm; `node/encode.js`), and every protocol 4 packet (NATS and TCP
//! captures) by Moleculer 0.14's `ProtoBuf`, `Avro` and `Thrift` classes (protobufjs, avsc,
//! thrift), decodes in Rust to the same packet as its JSON form and encodes again to the very
//! same bytes.

use base64::Engine;
use moleculer::options::ProtocolVersion;
use moleculer::protocol::{Packet, PacketType};
use moleculer::serializer::{
    AvroSerializer, CborSerializer, JsonExtSerializer, JsonSerializer, MsgPackSerializer,
    NotepackSerializer, ProtoBufSerializer, Serializer, ThriftSerializer,
};
use moleculer_tests::node::{ensure_node_modules, node_dir, node_tcp_available};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/");

/// The 0.15 captures (NATS) and the 0.14 ones (NATS, then TCP).
const V5_CAPTURES: &[&str] = &["packets/msgpack"];
const V4_CAPTURES: &[&str] = &["packets-v4", "packets-tcp/0.14.35"];

/// What Node's encoder (of Moleculer `version`) wrote for each packet captured in `dir`:
/// (name, subject, bytes).
fn node_encoded(serializer: &str, dir: &str, version: &str) -> Vec<(String, String, Vec<u8>)> {
    ensure_node_modules().unwrap();
    let out = std::process::Command::new("node")
        .arg(node_dir().join("encode.js"))
        .args([serializer, &format!("{FIXTURES}{dir}"), version])
        .current_dir(node_dir())
        .output()
        .expect("node runs encode.js");
    assert!(
        out.status.success(),
        "encode.js {serializer}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let raw = base64::engine::general_purpose::STANDARD
                .decode(v["raw_base64"].as_str().unwrap())
                .unwrap();
            (
                v["name"].as_str().unwrap().to_owned(),
                v["subject"].as_str().unwrap().to_owned(),
                raw,
            )
        })
        .collect()
}

/// The JSON payloads captured in `dir`, by the same names, with Buffers in Node's JSON form.
fn captured_json(dir: &str) -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    for entry in std::fs::read_dir(format!("{FIXTURES}{dir}")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let packets = match fixture.get("packets") {
            Some(Value::Array(list)) => list.clone(),
            _ => vec![fixture],
        };
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (i, p) in packets.iter().enumerate() {
            let payload = p.get("payload").unwrap_or(&p["body"]);
            out.insert(format!("{file}#{i}"), node_json(payload));
        }
    }
    out
}

fn node_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => match map.get("$buffer_base64").and_then(Value::as_str) {
            Some(b64) => {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                json!({"type": "Buffer", "data": data})
            }
            None => map.iter().map(|(k, v)| (k.clone(), node_json(v))).collect(),
        },
        Value::Array(list) => list.iter().map(node_json).collect(),
        other => other.clone(),
    }
}

fn as_json(packet: &Packet, version: ProtocolVersion) -> Value {
    let bytes = JsonSerializer.serialize(packet, version, "x").unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn same_bytes_as_node(name: &str, serializer: &dyn Serializer) {
    if !node_tcp_available() {
        return;
    }
    let schema = matches!(name, "ProtoBuf" | "Avro" | "Thrift");
    let (captures, node) = if schema {
        (V4_CAPTURES, "14")
    } else {
        (V5_CAPTURES, "15")
    };
    for dir in captures {
        let captured = captured_json(dir);
        let encoded = node_encoded(name, dir, node);
        assert!(
            encoded.len() >= 12,
            "{name} {dir}: {} packets",
            encoded.len()
        );
        for (packet_name, subject, raw) in encoded {
            let what = format!("{name} {dir}/{packet_name}");
            // `MOL.<CMD>` or `MOL.<CMD>.<nodeID>`.
            let cmd = subject.split('.').nth(1).unwrap();
            let ty = PacketType::from_name(cmd).unwrap_or_else(|| panic!("{what}: {subject}"));
            let envelope = serializer
                .deserialize(ty, &raw)
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let payload = &captured[&packet_name];
            let version = if payload["ver"] == "4" {
                ProtocolVersion::V4
            } else {
                ProtocolVersion::V5
            };
            let from_json = JsonSerializer
                .deserialize(ty, &serde_json::to_vec(payload).unwrap())
                .unwrap();
            assert_eq!(
                as_json(&envelope.packet, version),
                as_json(&from_json.packet, version),
                "{what}"
            );
            let again = serializer
                .serialize(&envelope.packet, version, &envelope.sender)
                .unwrap();
            assert_eq!(again, raw, "{what}: re-encoded bytes differ");
        }
    }
}

#[test]
fn msgpack_bytes_are_msgpack5s() {
    same_bytes_as_node("MsgPack", &MsgPackSerializer);
}

#[test]
fn notepack_bytes_are_notepack_ios() {
    same_bytes_as_node("Notepack", &NotepackSerializer);
}

#[test]
fn cbor_bytes_are_cbor_xs() {
    same_bytes_as_node("CBOR", &CborSerializer);
}

#[test]
fn jsonext_bytes_are_moleculers() {
    same_bytes_as_node("JSONExt", &JsonExtSerializer);
}

#[test]
fn protobuf_bytes_are_protobufjss() {
    same_bytes_as_node("ProtoBuf", &ProtoBufSerializer);
}

#[test]
fn avro_bytes_are_avscs() {
    same_bytes_as_node("Avro", &AvroSerializer);
}

#[test]
fn thrift_bytes_are_thrifts() {
    same_bytes_as_node("Thrift", &ThriftSerializer);
}
