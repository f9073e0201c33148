//! Properties of the binary serializers (and JSONExt) over generated inputs (proptest): any bytes decode to
//! a packet or an error, never a panic; a `REQ` or `RES` of any field values decodes back to
//! what was encoded, in every dialect.

use proptest::prelude::*;
use serde_json::Value;

use super::json::props::{json, object, request, text};
use super::{
    CborSerializer, JsonExtSerializer, JsonSerializer, MsgPackSerializer, NotepackSerializer,
    Serializer,
};
use crate::options::ProtocolVersion;
use crate::payload::Payload;
use crate::protocol::{Packet, PacketType, Response};

/// The serializers that keep a received payload in their own form (JSONExt's text among
/// them).
const BINARY: [&dyn Serializer; 4] = [
    &MsgPackSerializer,
    &NotepackSerializer,
    &CborSerializer,
    &JsonExtSerializer,
];

/// A packet as JavaScript sees it: its JSON form with one number type (cbor-x writes an
/// integer beyond 32 bits as a float).
fn as_js(packet: &Packet, version: ProtocolVersion) -> Value {
    fn js(v: Value) -> Value {
        match v {
            Value::Number(n) => serde_json::json!(n.as_f64()),
            Value::Array(list) => list.into_iter().map(js).collect(),
            Value::Object(map) => map.into_iter().map(|(k, v)| (k, js(v))).collect(),
            other => other,
        }
    }
    let bytes = JsonSerializer.serialize(packet, version, "n").unwrap();
    js(serde_json::from_slice(&bytes).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_bytes_decode_or_fail_without_panic(
        ty in proptest::sample::select(&PacketType::ALL[..]),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        for serializer in BINARY {
            let _ = serializer.deserialize(ty, &bytes);
        }
    }

    #[test]
    fn requests_round_trip(req in request(), v5 in any::<bool>()) {
        let version = if v5 { ProtocolVersion::V5 } else { ProtocolVersion::V4 };
        let packet = Packet::Request(req);
        for serializer in BINARY {
            let bytes = serializer.serialize(&packet, version, "node-1").unwrap();
            let back = serializer.deserialize(PacketType::Request, &bytes).unwrap();
            prop_assert_eq!(&back.sender, "node-1");
            prop_assert_eq!(as_js(&back.packet, version), as_js(&packet, version), "{}", serializer.name());
            // Written again from what was received: the same bytes.
            let again = serializer.serialize(&back.packet, version, "node-1").unwrap();
            prop_assert_eq!(again, bytes, "{}", serializer.name());
        }
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
        for serializer in BINARY {
            let bytes = serializer.serialize(&packet, ProtocolVersion::V5, "node-1").unwrap();
            let back = serializer.deserialize(PacketType::Response, &bytes).unwrap();
            prop_assert_eq!(
                as_js(&back.packet, ProtocolVersion::V5),
                as_js(&packet, ProtocolVersion::V5),
                "{}", serializer.name()
            );
        }
    }
}
