//! The serializer over the escape and revive adapters.

use serde::de::MapAccess;
use serde_json::value::RawValue;

use super::{escape, revive};
use crate::Result;
use crate::error::Error;
use crate::options::ProtocolVersion;
use crate::payload::{BinaryFormat, Payload};
use crate::protocol::packet::de::{PayloadReader, deserialize_envelope};
use crate::protocol::packet::invalid_packet;
use crate::protocol::packet::ser::WirePacket;
use crate::protocol::{Envelope, Packet, PacketType};
use crate::serializer::Serializer;

/// The `JSONExt` serializer.
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::protocol::{Packet, PacketType, Request};
/// use moleculer::serializer::{JsonExtSerializer, Serializer};
/// use serde_json::json;
///
/// let ext = JsonExtSerializer;
/// let req = Packet::Request(Request::new("1", "a.b", json!({ "s": "[[x", "big": 9007199254740993_u64 })));
/// let bytes = ext.serialize(&req, ProtocolVersion::V5, "n1")?;
/// let text = String::from_utf8(bytes.clone()).unwrap();
/// assert!(text.contains(r#""s":"[[ES]][[x""#) && text.contains(r#""big":"[[BI]]9007199254740993""#));
/// let Packet::Request(back) = ext.deserialize(PacketType::Request, &bytes)?.packet else { unreachable!() };
/// assert_eq!(back.params.to_json().unwrap(), json!({ "s": "[[x", "big": 9007199254740993_u64 }));
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonExtSerializer;

impl Serializer for JsonExtSerializer {
    fn name(&self) -> &'static str {
        "JSONExt"
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        let wire = WirePacket {
            packet,
            version,
            sender,
        };
        let mut out = Vec::with_capacity(512);
        let escaped = escape::Escaped {
            value: &wire,
            passthrough: false,
        };
        serde::Serialize::serialize(&escaped, &mut serde_json::Serializer::new(&mut out)).map_err(
            |err| {
                Error::server(format!(
                    "the {} packet does not serialize: {err}",
                    packet.packet_type()
                ))
            },
        )?;
        Ok(out)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        deserialize_envelope::<_, KeepText>(ty, revive::Revive(&mut de))
            .and_then(|envelope| de.end().map(|()| envelope))
            .map_err(|err| invalid_packet(ty, &err))
    }
}

/// Payloads kept as the JSONExt text they came as.
struct KeepText;

impl PayloadReader for KeepText {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> std::result::Result<Payload, A::Error> {
        map.next_value::<Box<RawValue>>()
            .map(|raw| match raw.get() {
                "null" => Payload::null(),
                text => Payload::from_binary(BinaryFormat::JsonExt, text.as_bytes()),
            })
    }
}
