//! Moleculer 0.14's schema serializers: `ProtoBuf`, `Avro` and `Thrift` (reference §3).
//!
//! They share one set of packet schemas ([`form`], the messages of `packets.proto`) and
//! Node's custom-field rules ([`convert`]): `meta` and the other free-form fields travel as
//! JSON strings, `params`/`data` as bytes tagged with their type. Moleculer 0.15 dropped
//! them, so they speak protocol 4 only: a node on protocol 5 that asks for one gets a
//! `BrokerOptionsError`.

#[cfg(feature = "avro")]
mod avro;
mod convert;
mod form;
#[cfg(feature = "protobuf")]
mod protobuf;
#[cfg(feature = "thrift")]
mod thrift;

#[cfg(test)]
mod tests;

#[cfg(feature = "avro")]
pub use avro::AvroSerializer;
#[cfg(feature = "protobuf")]
pub use protobuf::ProtoBufSerializer;
#[cfg(feature = "thrift")]
pub use thrift::ThriftSerializer;

use crate::Error;
use crate::options::{PluginKind, ProtocolVersion, SerializerKind};

/// The error for a schema serializer asked to speak protocol 5.
pub(crate) fn needs_protocol_4(kind: SerializerKind, version: ProtocolVersion) -> Error {
    let why = super::protocol_mismatch(kind, version).unwrap_or_default();
    Error::broker_options(why, Some(serde_json::json!({ "type": kind.name() })))
}
