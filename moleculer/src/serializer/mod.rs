//! Serializers: how packets become bytes (reference §3; Node's `src/serializers/*`).
//!
//! A [`Serializer`] turns a [`Packet`] into the bytes a transporter sends, and back. The
//! packet type travels beside the bytes (in the topic, or the TCP frame header), so it is
//! given to [`Serializer::deserialize`], as Node's `deserialize(buf, type)` gets it.
//! [`JsonSerializer`] is Node's default `JSON` serializer; others (MsgPack, CBOR…) plug in
//! through the same trait.

mod json;
pub(crate) mod msgpack;

use std::fmt;

pub use json::JsonSerializer;
#[cfg(feature = "msgpack")]
pub use msgpack::{MsgPackSerializer, NotepackSerializer};

use crate::Result;
use crate::options::ProtocolVersion;
use crate::protocol::{Envelope, Packet, PacketType};

/// Encodes and decodes packets. Object safe: transports hold an `Arc<dyn Serializer>`.
pub trait Serializer: Send + Sync + fmt::Debug {
    /// Node's name of the serializer (`"JSON"`, `"MsgPack"`, …).
    fn name(&self) -> &'static str;

    /// The bytes of `packet` as a node speaking `version` sends them, with `ver` and
    /// `sender` added as every transporter adds them.
    ///
    /// # Errors
    /// When the format cannot represent the packet.
    fn serialize(&self, packet: &Packet, version: ProtocolVersion, sender: &str)
    -> Result<Vec<u8>>;

    /// Decodes received bytes of packet type `ty`.
    ///
    /// # Errors
    /// `InvalidPacketDataError` when the bytes are not a valid packet of that type.
    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope>;
}
