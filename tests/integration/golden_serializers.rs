//! Golden bytes from Node's own encoders: every packet captured from Node, encoded by
//! Moleculer 0.15's `MsgPack`, `Notepack`, `CBOR` and `JSONExt` serializer classes (msgpack5,
//! notepack.io, cbor-x from npm; `node/encode.js`), decodes in Rust to the same packet as its
//! JSON form and encodes again to the very same bytes.

use base64::Engine;
use moleculer::options::ProtocolVersion;
use moleculer::protocol::{Packet, PacketType};
use moleculer::serializer::{
    CborSerializer, JsonExtSerializer, JsonSerializer, MsgPackSerializer, NotepackSerializer,
    Serializer,
};
use moleculer_tests::node::{ensure_node_modules, node_dir, node_tcp_available};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/packets/msgpack"
);

/// What Node's encoder wrote for each captured packet: (name, subject, bytes).
fn node_encoded(serializer: &str) -> Vec<(String, String, Vec<u8>)> {
    ensure_node_modules().unwrap();
    let out = std::process::Command::new("node")
        .arg(node_dir().join("encode.js"))
        .args([serializer, FIXTURES])
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

/// The captured JSON payloads, by the same names, with Buffers in Node's JSON form.
fn captured_json() -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
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
            out.insert(format!("{file}#{i}"), node_json(&p["payload"]));
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

fn as_json(packet: &Packet) -> Value {
    let bytes = JsonSerializer
        .serialize(packet, ProtocolVersion::V5, "x")
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn same_bytes_as_node(name: &str, serializer: &dyn Serializer) {
    if !node_tcp_available() {
        return;
    }
    let captured = captured_json();
    let encoded = node_encoded(name);
    assert!(encoded.len() >= 30, "{name}: {} packets", encoded.len());
    for (packet_name, subject, raw) in encoded {
        let what = format!("{name} {packet_name}");
        // `MOL.<CMD>` or `MOL.<CMD>.<nodeID>`.
        let cmd = subject.split('.').nth(1).unwrap();
        let ty = PacketType::from_name(cmd).unwrap_or_else(|| panic!("{what}: {subject}"));
        let envelope = serializer
            .deserialize(ty, &raw)
            .unwrap_or_else(|err| panic!("{what}: {err}"));
        let payload = &captured[&packet_name];
        let from_json = JsonSerializer
            .deserialize(ty, &serde_json::to_vec(payload).unwrap())
            .unwrap();
        assert_eq!(
            as_json(&envelope.packet),
            as_json(&from_json.packet),
            "{what}"
        );
        let version = if payload["ver"] == "4" {
            ProtocolVersion::V4
        } else {
            ProtocolVersion::V5
        };
        let again = serializer
            .serialize(&envelope.packet, version, &envelope.sender)
            .unwrap();
        assert_eq!(again, raw, "{what}: re-encoded bytes differ");
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
