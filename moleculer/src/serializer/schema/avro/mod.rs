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

use std::fmt;

use super::convert::{self, Form, SchemaFormat};
use crate::Result;
use crate::options::{PluginKind, ProtocolVersion, SerializerKind};
use crate::protocol::{Envelope, Packet, PacketType};
use crate::serializer::Serializer;

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

impl Serializer for AvroSerializer {
    fn name(&self) -> &'static str {
        Self::KIND.name()
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        convert::serialize(self, packet, version, sender)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        convert::deserialize(self, ty, bytes)
    }
}

/// What goes wrong between a form and Avro bytes.
#[derive(Debug)]
struct AvroError(String);

impl fmt::Display for AvroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AvroError {}

impl serde::ser::Error for AvroError {
    fn custom<T: fmt::Display>(msg: T) -> AvroError {
        AvroError(msg.to_string())
    }
}

impl serde::de::Error for AvroError {
    fn custom<T: fmt::Display>(msg: T) -> AvroError {
        AvroError(msg.to_string())
    }
}
