//! The serializer over the writer and the reader.

use serde::de::MapAccess;

use super::{read, write};
use crate::Result;
use crate::error::Error;
use crate::options::ProtocolVersion;
use crate::payload::{BinaryFormat, Payload};
use crate::protocol::packet::de::{PayloadReader, deserialize_envelope};
use crate::protocol::packet::invalid_packet;
use crate::protocol::packet::ser::WirePacket;
use crate::protocol::{Envelope, Packet, PacketType};
use crate::serializer::Serializer;

/// The `CBOR` serializer: the bytes cbor-x writes (16-bit map heads, float64 for every
/// non-integral number and for integers beyond 32 bits).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::serializer::{CborSerializer, Serializer};
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
///
/// let cbor = CborSerializer;
/// let bytes = cbor.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V5, "n1")?;
/// assert_eq!(&bytes[..7], b"\xb9\x00\x03\x63cpu");
/// assert_eq!(cbor.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CborSerializer;

impl Serializer for CborSerializer {
    fn name(&self) -> &'static str {
        "CBOR"
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
        write::to_vec(&wire, 256).map_err(|err| {
            Error::server(format!(
                "the {} packet does not serialize: {err}",
                packet.packet_type()
            ))
        })
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        let mut reader = read::Reader::new(bytes);
        deserialize_envelope::<_, KeepBytes>(ty, &mut reader)
            .and_then(|envelope| reader.end().map(|()| envelope))
            .map_err(|err| invalid_packet(ty, &err))
    }
}

/// Payloads kept as the CBOR bytes they came as.
struct KeepBytes;

impl PayloadReader for KeepBytes {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> std::result::Result<Payload, A::Error> {
        map.next_value::<read::RawCbor<'de>>()
            .map(|raw| match raw.0 {
                [0xf6] | [0xf7] => Payload::null(),
                bytes => Payload::from_binary(BinaryFormat::Cbor, bytes),
            })
    }
}
