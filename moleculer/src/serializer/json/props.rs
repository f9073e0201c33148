//! Properties of the JSON codec over generated inputs (proptest): any bytes decode to a
//! packet or an error, never a panic; a `REQ` or `RES` made of any field values decodes back
//! to what was encoded, by the one-pass decoder as by serde.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::JsonSerializer;
use crate::options::ProtocolVersion;
use crate::payload::Payload;
use crate::protocol::{Packet, PacketType, Request, Response};
use crate::serializer::Serializer;

/// Text with the characters that need escaping, non-ASCII and lone JSON syntax.
pub(in crate::serializer) fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 \"\\\\/\\n\\t\u{0}-\u{1f}é€😀{}\\[\\],:.-]{0,24}")
        .unwrap()
}

/// JSON values a few levels deep.
pub(in crate::serializer) fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

pub(in crate::serializer) fn object() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::btree_map(text(), json(), 0..3).prop_map(|m| m.into_iter().collect())
}

prop_compose! {
    pub(in crate::serializer) fn request()(
        id in text(), action in text(), params in json(), meta in object(),
        timeout in prop_oneof![Just(0.0), 0.0f64..1e15], level in any::<u32>(),
        tracing in proptest::option::of(any::<bool>()),
        parent_id in proptest::option::of(text()), caller in proptest::option::of(text()),
    ) -> Request {
        let mut req = Request::new(id, action, params);
        req.meta = meta;
        req.timeout = timeout;
        req.level = level;
        req.tracing = tracing;
        req.parent_id = parent_id;
        req.caller = caller;
        req
    }
}

/// A packet as JSON, compared by value (payloads as parsed JSON).
fn as_json(packet: &Packet, version: ProtocolVersion) -> Value {
    let bytes = JsonSerializer.serialize(packet, version, "n").unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_decode_or_fail_without_panic(
        ty in proptest::sample::select(&PacketType::ALL[..]),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = JsonSerializer.deserialize(ty, &bytes);
    }

    #[test]
    fn any_json_text_decodes_or_fails_without_panic(
        ty in proptest::sample::select(&PacketType::ALL[..]),
        value in json(),
    ) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = JsonSerializer.deserialize(ty, &bytes);
    }

    #[test]
    fn requests_round_trip(req in request(), v5 in any::<bool>()) {
        let version = if v5 { ProtocolVersion::V5 } else { ProtocolVersion::V4 };
        let packet = Packet::Request(req);
        let bytes = JsonSerializer.serialize(&packet, version, "node-1").unwrap();
        let back = JsonSerializer.deserialize(PacketType::Request, &bytes).unwrap();
        prop_assert_eq!(&back.sender, "node-1");
        prop_assert_eq!(as_json(&back.packet, version), as_json(&packet, version));
    }

    #[test]
    fn responses_round_trip(id in text(), data in json(), meta in object(), ok in any::<bool>()) {
        let mut res = if ok {
            Response::success(id, Some(Payload::json(data)))
        } else {
            Response::failure(id, serde_json::json!({ "name": "MoleculerError", "data": data }))
        };
        res.meta = meta;
        let packet = Packet::Response(res);
        let bytes = JsonSerializer.serialize(&packet, ProtocolVersion::V5, "node-1").unwrap();
        let back = JsonSerializer.deserialize(PacketType::Response, &bytes).unwrap();
        prop_assert_eq!(
            as_json(&back.packet, ProtocolVersion::V5),
            as_json(&packet, ProtocolVersion::V5)
        );
    }
}
