//! The two serializers over the shared writer and reader.

use serde::de::MapAccess;

use super::read;
use super::write::{self, Numbers};
use crate::Result;
use crate::error::Error;
use crate::options::ProtocolVersion;
use crate::payload::{BinaryFormat, Payload};
use crate::protocol::packet::de::{PayloadReader, deserialize_envelope};
use crate::protocol::packet::invalid_packet;
use crate::protocol::packet::ser::WirePacket;
use crate::protocol::{Envelope, Packet, PacketType};
use crate::serializer::Serializer;

/// The `MsgPack` serializer: the bytes msgpack5 writes (float32 where exact).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::serializer::{MsgPackSerializer, Serializer};
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
///
/// let msgpack = MsgPackSerializer;
/// let bytes = msgpack.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.5 }), ProtocolVersion::V5, "n1")?;
/// assert_eq!(&bytes[..10], b"\x83\xa3cpu\xca\x41\x48\x00\x00");
/// assert_eq!(msgpack.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsgPackSerializer;

/// The `Notepack` serializer: the bytes notepack.io writes (floats always float64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotepackSerializer;

impl Serializer for MsgPackSerializer {
    fn name(&self) -> &'static str {
        "MsgPack"
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        encode(packet, version, sender, Numbers::Msgpack5)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        decode(ty, bytes)
    }
}

impl Serializer for NotepackSerializer {
    fn name(&self) -> &'static str {
        "Notepack"
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        encode(packet, version, sender, Numbers::Notepack)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        decode(ty, bytes)
    }
}

/// The packet's fields in Node's order, then `ver` and `sender`.
fn encode(
    packet: &Packet,
    version: ProtocolVersion,
    sender: &str,
    numbers: Numbers,
) -> Result<Vec<u8>> {
    let wire = WirePacket {
        packet,
        version,
        sender,
    };
    write::to_vec(&wire, numbers, 256).map_err(|err| {
        Error::server(format!(
            "the {} packet does not serialize: {err}",
            packet.packet_type()
        ))
    })
}

/// Any MsgPack form of a packet of type `ty`.
fn decode(ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
    let mut reader = read::Reader::new(bytes);
    deserialize_envelope::<_, KeepBytes>(ty, &mut reader)
        .and_then(|envelope| reader.end().map(|()| envelope))
        .map_err(|err| invalid_packet(ty, &err))
}

/// Payloads kept as the MsgPack bytes they came as.
struct KeepBytes;

impl PayloadReader for KeepBytes {
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> std::result::Result<Payload, A::Error> {
        map.next_value::<read::RawMsgPack<'de>>()
            .map(|raw| match raw.0 {
                [0xc0] => Payload::null(),
                bytes => Payload::from_binary(BinaryFormat::MsgPack, bytes),
            })
    }
}
