//! The CBOR serializer on its own: every JSON shape round-trips, a typed handler reads the
//! received bytes straight into its type, damaged bytes are errors (golden bytes from cbor-x
//! itself are checked by the integration tests, which run Node).

use serde_json::json;

use super::CborSerializer;
use crate::ErrorKind;
use crate::options::ProtocolVersion;
use crate::protocol::{Packet, PacketType, Request};
use crate::serializer::Serializer;

fn request(params: serde_json::Value) -> Vec<u8> {
    let packet = Packet::Request(Request::new("1", "a.b", params));
    CborSerializer
        .serialize(&packet, ProtocolVersion::V5, "n")
        .unwrap()
}

#[test]
fn every_json_shape_round_trips() {
    let params = json!({
        "nested": {"a": [1, -1, 24, -25, 70000, -70000, 4_294_967_295_u64, -4_294_967_296_i64]},
        "unicode": "héllo ✓ 😀", "floats": [0.5, 0.1, -2.25, 1e300], "empty": [[], {}],
        "null": null, "long": "x".repeat(70_000),
    });
    let bytes = request(params.clone());
    let back = CborSerializer
        .deserialize(PacketType::Request, &bytes)
        .unwrap();
    let Packet::Request(req) = back.packet else {
        panic!("a REQ");
    };
    assert!(req.params.as_binary().is_some(), "kept as bytes");
    assert_eq!(req.params.to_json().unwrap(), params);
    // Written back as it came.
    let again = CborSerializer
        .serialize(&Packet::Request(req), ProtocolVersion::V5, "n")
        .unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn typed_handlers_read_received_params_once() {
    #[derive(serde::Deserialize, PartialEq, Debug)]
    struct Add {
        a: f64,
        b: i64,
        tags: Vec<String>,
    }
    let bytes = request(json!({"a": 0.5, "b": 2, "tags": ["x"]}));
    let Packet::Request(req) = CborSerializer
        .deserialize(PacketType::Request, &bytes)
        .unwrap()
        .packet
    else {
        panic!("a REQ");
    };
    assert_eq!(
        req.params.into_typed::<Add>().unwrap(),
        Add {
            a: 0.5,
            b: 2,
            tags: vec!["x".into()]
        }
    );
}

#[test]
fn damaged_packets_are_invalid_packet_data() {
    let bytes = request(json!({"a": [1, 2, {"b": "c"}]}));
    for cut in 0..bytes.len() {
        let err = CborSerializer
            .deserialize(PacketType::Request, &bytes[..cut])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "cut at {cut}");
    }
    let mut flipped = bytes.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0xff;
        let _ = CborSerializer.deserialize(PacketType::Request, &flipped);
        flipped[i] ^= 0xff;
    }
    // A map head claiming 2^64 entries.
    let huge = [
        0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61, b'a',
    ];
    assert!(
        CborSerializer
            .deserialize(PacketType::Request, &huge)
            .is_err()
    );
}
