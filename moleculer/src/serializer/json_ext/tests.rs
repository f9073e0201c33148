//! JSONExt on its own (the bytes Node's own class writes are checked by the integration
//! tests, which run Node): tagged strings read as Node's JSON would show the values, strings
//! that begin with `[[` are escaped, received payloads go back as they came.

use serde_json::{Value, json};

use super::JsonExtSerializer;
use crate::ErrorKind;
use crate::options::ProtocolVersion;
use crate::protocol::{Packet, PacketType, Request};
use crate::serializer::Serializer;

fn params_of(bytes: &[u8]) -> crate::Payload {
    match JsonExtSerializer
        .deserialize(PacketType::Request, bytes)
        .unwrap()
        .packet
    {
        Packet::Request(r) => r.params,
        _ => panic!("a REQ"),
    }
}

#[test]
fn node_tags_read_as_node_json_shows_them() {
    let wire = br#"{"id":"1","action":"a.b","params":{"big":"[[BI]]9007199254740993","when":"[[DT]]1704067200123","map":"[[MP]]{\"k\":\"[[DT]]0\"}","set":"[[ST]][1,\"[[ES]][[x\"]","buf":"[[BF]]AQI=","re":"[[RE]]gi|a+b","esc":"[[ES]][[y","custom":"[[XY]]z","plain":"[x"},"meta":{"m":"[[DT]]0"},"ver":"5","sender":"n"}"#;
    let params = params_of(wire);
    assert!(params.as_binary().is_some(), "kept as text");
    assert_eq!(
        params.to_json().unwrap(),
        json!({
            "big": 9007199254740993_u64,
            "when": "2024-01-01T00:00:00.123Z",
            "map": {"k": "1970-01-01T00:00:00.000Z"},
            "set": [1, "[[x"],
            "buf": {"type": "Buffer", "data": [1, 2]},
            "re": "/a+b/gi",
            "esc": "[[y",
            "custom": "[[XY]]z",
            "plain": "[x",
        })
    );
    let Packet::Request(req) = JsonExtSerializer
        .deserialize(PacketType::Request, wire)
        .unwrap()
        .packet
    else {
        panic!("a REQ")
    };
    assert_eq!(req.meta["m"], "1970-01-01T00:00:00.000Z");
}

#[test]
fn written_values_are_tagged_and_received_payloads_go_back_as_they_came() {
    #[derive(serde::Serialize)]
    struct Typed {
        #[serde(with = "bytes_field")]
        data: Vec<u8>,
        text: String,
    }
    mod bytes_field {
        pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }
    let req = Request::new(
        "1",
        "a.b",
        crate::Payload::typed(Typed {
            data: vec![1, 2],
            text: "[[z".into(),
        }),
    );
    let bytes = JsonExtSerializer
        .serialize(&Packet::Request(req), ProtocolVersion::V5, "n")
        .unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains(r#""params":{"data":"[[BF]]AQI=","text":"[[ES]][[z"}"#),
        "{text}"
    );
    // Received, then sent again: the same bytes.
    let received = JsonExtSerializer
        .deserialize(PacketType::Request, &bytes)
        .unwrap();
    let again = JsonExtSerializer
        .serialize(&received.packet, ProtocolVersion::V5, "n")
        .unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), text);
}

#[test]
fn bad_tags_and_bytes_are_invalid_packet_data() {
    for wire in [
        &br#"{"id":"1","action":"a","meta":{"x":"[[BF]]not base64!"},"ver":"5","sender":"n"}"#[..],
        br#"{"id":"1","action":"a","meta":{"x":"[[MP]]{broken"},"ver":"5","sender":"n"}"#,
        br#"{"id":"1","action":"a","ver":"5","sender":"n""#,
    ] {
        let err = JsonExtSerializer
            .deserialize(PacketType::Request, wire)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidPacketData);
    }
    // A bad tag inside a payload fails when the payload is read, not before.
    let params =
        params_of(br#"{"id":"1","action":"a","params":{"d":"[[DT]]soon"},"ver":"5","sender":"n"}"#);
    assert!(params.to_json().is_err());
    let _: Value = json!(null);
}
