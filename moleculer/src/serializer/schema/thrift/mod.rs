//! Node's `Thrift` serializer: the structs of `packets.thrift` in Thrift's binary protocol
//! (`TBinaryProtocol` over `TBufferedTransport`: no frame, no message header).
//!
//! The `thrift` crate gives the protocol; the per-struct code its compiler would generate
//! comes from the shared forms through serde instead ([`ser`], [`de`]): a field's Thrift id
//! is its position in the form, as `packets.thrift` numbers its fields 1, 2, 3… in the order
//! of `packets.proto`.

mod de;
mod ser;

use std::fmt;

use super::convert::{self, Form, SchemaFormat};
use crate::Result;
use crate::options::{PluginKind, ProtocolVersion, SerializerKind};
use crate::protocol::{Envelope, Packet, PacketType};
use crate::serializer::Serializer;

/// The `Thrift` serializer of Moleculer 0.14 (protocol 4 only).
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
/// use moleculer::serializer::{Serializer, ThriftSerializer};
///
/// let bytes = ThriftSerializer.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V4, "n1")?;
/// assert_eq!(&bytes[..8], b"\x0b\x00\x01\x00\x00\x00\x014");
/// assert_eq!(ThriftSerializer.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThriftSerializer;

impl SchemaFormat for ThriftSerializer {
    const KIND: SerializerKind = SerializerKind::Thrift;

    fn encode<F: Form>(&self, _: PacketType, form: &F) -> std::result::Result<Vec<u8>, String> {
        ser::to_vec(form).map_err(|err| err.to_string())
    }

    fn decode<F: Form>(&self, _: PacketType, bytes: &[u8]) -> std::result::Result<F, String> {
        de::from_slice(bytes).map_err(|err| err.to_string())
    }
}

impl Serializer for ThriftSerializer {
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

/// What goes wrong between a form and Thrift bytes.
#[derive(Debug)]
struct ThriftError(String);

impl fmt::Display for ThriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ThriftError {}

impl serde::ser::Error for ThriftError {
    fn custom<T: fmt::Display>(msg: T) -> ThriftError {
        ThriftError(msg.to_string())
    }
}

impl serde::de::Error for ThriftError {
    fn custom<T: fmt::Display>(msg: T) -> ThriftError {
        ThriftError(msg.to_string())
    }
}

impl From<thrift::Error> for ThriftError {
    fn from(err: thrift::Error) -> ThriftError {
        ThriftError(err.to_string())
    }
}
