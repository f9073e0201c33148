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
pub(crate) mod codec_error;
#[cfg(any(feature = "msgpack", feature = "cbor"))]
mod compound;
mod js_forms;
mod json;
pub(crate) mod json_ext;
pub(crate) mod msgpack;
#[cfg(any(feature = "protobuf", feature = "avro", feature = "thrift"))]
mod schema;

use std::fmt;

#[cfg(feature = "cbor")]
pub use cbor::CborSerializer;
pub use json::JsonSerializer;
#[cfg(feature = "jsonext")]
pub use json_ext::JsonExtSerializer;
#[cfg(feature = "msgpack")]
pub use msgpack::{MsgPackSerializer, NotepackSerializer};
#[cfg(feature = "avro")]
pub use schema::AvroSerializer;
#[cfg(feature = "protobuf")]
pub use schema::ProtoBufSerializer;
#[cfg(feature = "thrift")]
pub use schema::ThriftSerializer;

use std::sync::Arc;

use crate::options::{PluginKind, ProtocolVersion, SerializerKind, SerializerOption};
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
    #[cfg(feature = "protobuf")]
    "ProtoBuf",
    #[cfg(feature = "avro")]
    "Avro",
    #[cfg(feature = "thrift")]
    "Thrift",
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
            "the {name} serializer is not in this build: enable the `{}` feature of \
             moleculer-rs (available: {})",
            feature(kind),
            AVAILABLE.join(", ")
        )
    })
}

/// The cargo feature that brings the serializer of `kind`.
fn feature(kind: SerializerKind) -> &'static str {
    match kind {
        SerializerKind::Json => "default",
        SerializerKind::JsonExt => "jsonext",
        SerializerKind::MsgPack | SerializerKind::Notepack => "msgpack",
        SerializerKind::Cbor => "cbor",
        SerializerKind::ProtoBuf => "protobuf",
        SerializerKind::Avro => "avro",
        SerializerKind::Thrift => "thrift",
    }
}

/// Why the serializer of `kind` cannot speak protocol `version`, if it cannot: Moleculer
/// 0.15 dropped the schema serializers, whose schemas are protocol 4's.
pub(crate) fn protocol_mismatch(kind: SerializerKind, version: ProtocolVersion) -> Option<String> {
    let schema = matches!(
        kind,
        SerializerKind::ProtoBuf | SerializerKind::Avro | SerializerKind::Thrift
    );
    (schema && version != ProtocolVersion::V4).then(|| {
        format!(
            "the {kind} serializer speaks Moleculer 0.14's protocol 4 only (0.15 dropped it): \
             set `transit.protocolVersion` to 4, or pick another serializer"
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
        #[cfg(feature = "protobuf")]
        crate::options::SerializerKind::ProtoBuf => Arc::new(ProtoBufSerializer),
        #[cfg(feature = "avro")]
        crate::options::SerializerKind::Avro => Arc::new(AvroSerializer),
        #[cfg(feature = "thrift")]
        crate::options::SerializerKind::Thrift => Arc::new(ThriftSerializer),
        _ => Arc::new(JsonSerializer),
    })
}
