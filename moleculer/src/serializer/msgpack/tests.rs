//! The MsgPack packets captured from Node (`shared/fixtures/packets/msgpack`): each decodes
//! to what Node meant, and encodes again to the very bytes Node sent. Damaged bytes are
//! errors, never panics.

use std::path::PathBuf;

use base64::Engine;
use serde_json::{Value, json};

use super::{MsgPackSerializer, NotepackSerializer};
use crate::ErrorKind;
use crate::options::ProtocolVersion;
use crate::protocol::{Packet, PacketType, Topics};
use crate::serializer::{JsonSerializer, Serializer};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/packets/msgpack"
);

/// Every captured packet: (name, packet type, the payload Node meant, the bytes it sent).
fn captured() -> Vec<(String, PacketType, Value, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .expect("the msgpack fixtures (shared/fixtures/packets/msgpack)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let packets = match fixture.get("packets") {
            Some(Value::Array(list)) => list.clone(),
            _ => vec![fixture],
        };
        for (i, p) in packets.into_iter().enumerate() {
            let subject = p["subject"].as_str().unwrap();
            let ty = Topics::new(p["namespace"].as_str().unwrap_or(""))
                .parse(subject)
                .unwrap()
                .packet_type;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(p["raw_base64"].as_str().unwrap())
                .unwrap();
            let name = format!("{}#{i}", file.file_name().unwrap().to_string_lossy());
            out.push((name, ty, p["payload"].clone(), raw));
        }
    }
    assert!(out.len() >= 30, "only {} captured packets", out.len());
    out
}

fn version(payload: &Value) -> ProtocolVersion {
    if payload["ver"] == "4" {
        ProtocolVersion::V4
    } else {
        ProtocolVersion::V5
    }
}

#[test]
fn captured_packets_decode_and_encode_to_nodes_bytes() {
    for (name, ty, payload, raw) in captured() {
        let envelope = MsgPackSerializer
            .deserialize(ty, &raw)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(
            Some(envelope.sender.as_str()),
            payload["sender"].as_str(),
            "{name}"
        );
        // The same packet as the JSON serializer reads Node's JSON form of it.
        let as_json = serde_json::to_vec(&node_json(&payload)).unwrap();
        let from_json = JsonSerializer.deserialize(ty, &as_json).unwrap();
        assert_eq!(
            comparable(&envelope.packet),
            comparable(&from_json.packet),
            "{name}"
        );
        let again = MsgPackSerializer
            .serialize(&envelope.packet, version(&payload), &envelope.sender)
            .unwrap();
        assert_eq!(again, raw, "{name}: re-encoded bytes differ");
    }
}

/// The fixture's payload as Node's JSON writes it: a Buffer (kept in the fixture as
/// `{"$buffer_base64": …}`) as `{"type":"Buffer","data":[…]}`.
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

/// A packet as JSON, with a stream chunk's Buffer in its JSON form on both sides.
fn comparable(packet: &Packet) -> Value {
    let bytes = JsonSerializer
        .serialize(packet, ProtocolVersion::V5, "x")
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn typed_handlers_read_received_params_once() {
    #[derive(serde::Deserialize, PartialEq, Debug)]
    struct Add {
        a: f64,
        b: f64,
    }
    let request = captured()
        .into_iter()
        .find(|(name, ..)| name.starts_with("REQUEST.json"))
        .unwrap();
    let envelope = MsgPackSerializer
        .deserialize(request.1, &request.3)
        .unwrap();
    let Packet::Request(req) = envelope.packet else {
        panic!("a REQ");
    };
    assert!(req.params.as_binary().is_some(), "kept as bytes");
    assert_eq!(
        req.params.into_typed::<Add>().unwrap(),
        Add { a: 1.0, b: 2.0 }
    );
}

#[test]
fn every_json_shape_round_trips_in_both_dialects() {
    let params = json!({
        "nested": {"a": [1, -1, 200, -200, 70000, -70000, 5_000_000_000_i64, -5_000_000_000_i64]},
        "unicode": "héllo ✓ 😀", "floats": [0.5, 0.1, -2.25, 1e300], "empty": [[], {}],
        "null": null, "big": 9_007_199_254_740_993_u64, "long": "x".repeat(70_000),
    });
    let packet = Packet::Request(crate::protocol::Request::new("1", "a.b", params.clone()));
    for serializer in [&MsgPackSerializer as &dyn Serializer, &NotepackSerializer] {
        let bytes = serializer
            .serialize(&packet, ProtocolVersion::V5, "n")
            .unwrap();
        let back = serializer.deserialize(PacketType::Request, &bytes).unwrap();
        let Packet::Request(req) = back.packet else {
            panic!("a REQ");
        };
        assert_eq!(
            req.params.to_json().unwrap(),
            params,
            "{}",
            serializer.name()
        );
    }
}

#[test]
fn damaged_packets_are_invalid_packet_data() {
    let (_, ty, _, raw) = captured()
        .into_iter()
        .find(|(name, ..)| name.starts_with("INFO.json"))
        .unwrap();
    for cut in 0..raw.len() {
        let err = MsgPackSerializer.deserialize(ty, &raw[..cut]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "cut at {cut}");
    }
    let mut flipped = raw.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0xff;
        // Any outcome but a panic.
        let _ = MsgPackSerializer.deserialize(ty, &flipped);
        flipped[i] ^= 0xff;
    }
    // A map header claiming 4 G entries.
    let huge = [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a'];
    assert!(
        MsgPackSerializer
            .deserialize(PacketType::Request, &huge)
            .is_err()
    );
}
