//! Node's `Avro` serializer: avsc's records of `src/serializers/avro.js`, one per packet
//! type, each packet a bare datum (no container, no schema fingerprint).
//!
//! The records are written here as constants ([`records`]), field for field as `avro.js`
//! declares them, and the datums are read and written from the shared forms through serde
//! ([`ser`], [`de`]). The forms hold every field as an `Option` (ProtoBuf needs presence),
//! which Avro crates' serde paths accept for `["null", T]` fields only; avsc takes a present
//! value for a plain `T` field too, so the codec is this one: it writes and reads only what
//! the records name, and checks every length against the bytes left before reading it.

mod de;
mod records;
mod ser;

use super::convert::{Form, SchemaFormat};
use crate::options::SerializerKind;
use crate::protocol::PacketType;

/// The `Avro` serializer of Moleculer 0.14 (protocol 4 only).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
/// use moleculer::serializer::{AvroSerializer, Serializer};
///
/// let bytes = AvroSerializer.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V4, "n1")?;
/// assert_eq!(&bytes[..5], b"\x024\x04n1");
/// assert_eq!(AvroSerializer.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AvroSerializer;

impl SchemaFormat for AvroSerializer {
    const KIND: SerializerKind = SerializerKind::Avro;

    fn encode<F: Form>(&self, ty: PacketType, form: &F) -> std::result::Result<Vec<u8>, String> {
        ser::to_vec(form, records::record(ty)).map_err(|err| err.to_string())
    }

    fn decode<F: Form>(&self, ty: PacketType, bytes: &[u8]) -> std::result::Result<F, String> {
        de::from_slice(bytes, records::record(ty)).map_err(|err| err.to_string())
    }
}
