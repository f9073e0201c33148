//! Node's default `JSON` serializer: UTF-8 JSON, `Buffer`s as `{"type":"Buffer","data":[…]}`.
//!
//! Its own fast paths sit here: the writer ([`writer`]) writes a packet's fields by hand,
//! byte for byte what `serde_json` would write; the one-pass decoder ([`fast`]) takes the
//! `REQ` and `RES` packets of the common shape. Everything else decodes through the field
//! rules every serializer shares (`protocol::packet::de`). Received payloads (a `REQ`'s
//! `params`, a `RES`'s or `EVENT`'s `data`) stay JSON text
//! ([`Payload::as_raw_json`](crate::Payload::as_raw_json)) until a handler parses them into
//! its own type, and are written back as they came.

mod fast;
mod writer;

#[cfg(test)]
pub(super) mod props;
#[cfg(test)]
mod tests;

use serde::de::MapAccess;
use serde_json::value::RawValue;

use super::Serializer;
use crate::Result;
use crate::error::Error;
use crate::options::ProtocolVersion;
use crate::payload::Payload;
use crate::protocol::packet::de::{PayloadReader, deserialize_envelope};
use crate::protocol::packet::invalid_packet;
use crate::protocol::{Envelope, Packet, PacketType};

/// The `JSON` serializer (Node's default).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::serializer::{JsonSerializer, Serializer};
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
///
/// let json = JsonSerializer;
/// let bytes = json.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V5, "n1")?;
/// assert_eq!(bytes, br#"{"cpu":12,"ver":"5","sender":"n1"}"#);
/// assert_eq!(json.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonSerializer;

impl Serializer for JsonSerializer {
    fn name(&self) -> &'static str {
        "JSON"
    }

    /// Writes exactly what a Node node speaking `version` sends: Node's field order,
    /// `headers` only in v5, optional fields omitted where Node omits them, then `ver` and
    /// `sender`. Typed params, data and results are written straight into the packet.
    ///
    /// # Errors
    /// When a typed payload's `Serialize` implementation fails (for example a map whose keys
    /// are not strings or numbers).
    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        // Most packets fit: no regrowth while writing.
        let mut out = Vec::with_capacity(512);
        writer::write_packet(packet, version, sender, &mut out).map_err(|err| {
            Error::server(format!(
                "the {} packet does not serialize: {err}",
                packet.packet_type()
            ))
        })?;
        Ok(out)
    }

    /// Decodes a packet of type `ty` straight from the received bytes.
    ///
    /// # Errors
    /// `InvalidPacketDataError` for anything that is not a valid packet of that type: bad
    /// JSON or UTF-8, nesting deeper than 128, a missing or wrong-typed required field (`id`,
    /// `action`, `event`, `success`, `sender`…), a number out of range. Its data is
    /// `{type, reason}`.
    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        // Checking the UTF-8 of the whole packet at once is cheaper than string by string;
        // bytes that are not UTF-8 go the slower way, which says where the bad byte is.
        match std::str::from_utf8(bytes) {
            Ok(text) => match fast::decode(ty, text) {
                Some(envelope) => Ok(envelope),
                None => decode_from(ty, serde_json::Deserializer::from_str(text)),
            },
            Err(_) => decode_from(ty, serde_json::Deserializer::from_slice(bytes)),
        }
    }
}

/// Payloads kept as the JSON text they came as.
struct AsText;

impl PayloadReader for AsText {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> std::result::Result<Payload, A::Error> {
        map.next_value::<Box<RawValue>>().map(Payload::from_raw)
    }
}

/// The general decoder, which has the last word on every packet.
fn decode_from<'de, R: serde_json::de::Read<'de>>(
    ty: PacketType,
    mut de: serde_json::Deserializer<R>,
) -> Result<Envelope> {
    deserialize_envelope::<_, AsText>(ty, &mut de)
        .and_then(|envelope| de.end().map(|()| envelope))
        .map_err(|err| invalid_packet(ty, &err))
}
