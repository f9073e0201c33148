//! Serializers: how packets become bytes (reference §3; Node's `src/serializers/*`).
//!
//! A [`Serializer`] turns a [`Packet`] into the bytes a transporter sends, and back. The
//! packet type travels beside the bytes (in the topic, or the TCP frame header), so it is
//! given to [`Serializer::deserialize`], as Node's `deserialize(buf, type)` gets it.
//! [`JsonSerializer`] is Node's default `JSON` serializer; others (MsgPack, CBOR…) plug in
//! through the same trait.

#[cfg(all(test, feature = "msgpack", feature = "cbor", feature = "jsonext"))]
mod binary_props;
pub(crate) mod cbor;
mod codec_error;
#[cfg(any(feature = "msgpack", feature = "cbor"))]
mod compound;
mod js_forms;
mod json;
pub(crate) mod json_ext;
pub(crate) mod msgpack;

use std::fmt;

#[cfg(feature = "cbor")]
pub use cbor::CborSerializer;
pub use json::JsonSerializer;
#[cfg(feature = "jsonext")]
pub use json_ext::JsonExtSerializer;
#[cfg(feature = "msgpack")]
pub use msgpack::{MsgPackSerializer, NotepackSerializer};

use std::sync::Arc;

use crate::options::{PluginKind, ProtocolVersion, SerializerOption};
use crate::protocol::{Envelope, Packet, PacketType};
use crate::{Error, Result};

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

/// The newtype name under which a binary reader hands out a value's bytes undecoded, and
/// under which a received binary payload is written back (so that a binary writer keeps its
/// byte strings as byte strings).
pub(crate) const RAW_PAYLOAD: &str = "$moleculer::RawPayload";

/// The serializers this build has, by Node's name.
pub const AVAILABLE: &[&str] = &[
    "JSON",
    #[cfg(feature = "jsonext")]
    "JSONExt",
    #[cfg(feature = "msgpack")]
    "MsgPack",
    #[cfg(feature = "msgpack")]
    "Notepack",
    #[cfg(feature = "cbor")]
    "CBOR",
];

/// Why this build cannot give the serializer `option` names, if it cannot.
pub(crate) fn unavailable(option: &SerializerOption) -> Option<String> {
    let kind = option.kind();
    if option.options().is_some_and(|o| !o.is_empty()) {
        return Some(format!("the {kind} serializer takes no options"));
    }
    let name = kind.name();
    (!AVAILABLE.contains(&name)).then(|| {
        format!(
            "the {name} serializer is not available (available: {})",
            AVAILABLE.join(", ")
        )
    })
}

/// The serializer a `serializer` option names. None of them takes options.
///
/// # Errors
/// `BrokerOptionsError` for a serializer this build does not have, or options given to one.
pub fn from_option(option: &SerializerOption) -> Result<Arc<dyn Serializer>> {
    if let Some(why) = unavailable(option) {
        return Err(Error::broker_options(
            format!("invalid broker option `serializer`: {why}"),
            Some(serde_json::json!({ "type": option.kind().name() })),
        ));
    }
    Ok(match option.kind() {
        #[cfg(feature = "msgpack")]
        crate::options::SerializerKind::MsgPack => Arc::new(MsgPackSerializer),
        #[cfg(feature = "msgpack")]
        crate::options::SerializerKind::Notepack => Arc::new(NotepackSerializer),
        #[cfg(feature = "cbor")]
        crate::options::SerializerKind::Cbor => Arc::new(CborSerializer),
        #[cfg(feature = "jsonext")]
        crate::options::SerializerKind::JsonExt => Arc::new(JsonExtSerializer),
        _ => Arc::new(JsonSerializer),
    })
}
