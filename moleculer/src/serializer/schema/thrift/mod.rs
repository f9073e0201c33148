//! Node's `Thrift` serializer: the structs of `packets.thrift` in Thrift's binary protocol
//! (`TBinaryProtocol` over `TBufferedTransport`: no frame, no message header).
//!
//! The `thrift` crate gives the protocol; the per-struct code its compiler would generate
//! comes from the shared forms through serde instead ([`ser`], [`de`]): a field's Thrift id
//! is its position in the form, as `packets.thrift` numbers its fields 1, 2, 3… in the order
//! of `packets.proto`.

mod de;
mod ser;

use super::convert::{Form, SchemaFormat};
use crate::options::SerializerKind;
use crate::protocol::PacketType;
use crate::serializer::codec_error::CodecError;

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

/// The `thrift` crate's errors as the codec's (a method, not a `From`, so that no other
/// codec's `?` has two conversions to choose from).
trait Codec<T> {
    fn codec(self) -> Result<T, CodecError>;
}

impl<T> Codec<T> for thrift::Result<T> {
    fn codec(self) -> Result<T, CodecError> {
        self.map_err(|err| CodecError(err.to_string()))
    }
}
