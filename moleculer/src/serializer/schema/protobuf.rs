//! Node's `ProtoBuf` serializer: the messages of `packets.proto`, as protobufjs writes them.

use super::convert::{Form, SchemaFormat};
use crate::options::SerializerKind;
use crate::protocol::PacketType;

/// The `ProtoBuf` serializer of Moleculer 0.14 (protocol 4 only).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
/// use moleculer::serializer::{ProtoBufSerializer, Serializer};
///
/// let bytes = ProtoBufSerializer.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V4, "n1")?;
/// assert_eq!(&bytes[..7], b"\x0a\x014\x12\x02n1");
/// assert_eq!(ProtoBufSerializer.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// assert!(ProtoBufSerializer.serialize(&Packet::Heartbeat(Heartbeat { cpu: 1.0 }), ProtocolVersion::V5, "n1").is_err());
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtoBufSerializer;

impl SchemaFormat for ProtoBufSerializer {
    const KIND: SerializerKind = SerializerKind::ProtoBuf;

    fn encode<F: Form>(&self, _: PacketType, form: &F) -> std::result::Result<Vec<u8>, String> {
        Ok(form.encode_to_vec())
    }

    fn decode<F: Form>(&self, _: PacketType, bytes: &[u8]) -> std::result::Result<F, String> {
        F::decode(bytes).map_err(|err| err.to_string())
    }
}
