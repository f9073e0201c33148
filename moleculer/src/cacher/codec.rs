//! How a shared cacher (Redis) stores values: as the bytes Node's serializer of the same name
//! writes for them (`serializer.serialize(data)`), so Rust and Node nodes read each other's
//! entries.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::options::{PluginKind, SerializerKind};

/// The serializer of cached values: one of Node's schemaless serializers (the schema ones,
/// ProtoBuf, Avro and Thrift, only know packets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CacheSerializer {
    /// `JSON` (the default): JSON text.
    #[default]
    Json,
    /// `JSONExt`: JSON text with its `[[..]]` forms.
    #[cfg(feature = "jsonext")]
    JsonExt,
    /// `MsgPack`, as msgpack5 writes it.
    #[cfg(feature = "msgpack")]
    MsgPack,
    /// `Notepack`, as notepack.io writes it.
    #[cfg(feature = "msgpack")]
    Notepack,
    /// `CBOR`, as cbor-x writes it.
    #[cfg(feature = "cbor")]
    Cbor,
}

impl CacheSerializer {
    /// The serializer of Node's name `name` (any case); `Err` says why there is none.
    pub fn from_name(name: &str) -> std::result::Result<CacheSerializer, String> {
        let kind = SerializerKind::from_name(name)
            .ok_or_else(|| format!("unknown serializer `{name}`"))?;
        match kind {
            SerializerKind::Json => return Ok(CacheSerializer::Json),
            #[cfg(feature = "jsonext")]
            SerializerKind::JsonExt => return Ok(CacheSerializer::JsonExt),
            #[cfg(feature = "msgpack")]
            SerializerKind::MsgPack => return Ok(CacheSerializer::MsgPack),
            #[cfg(feature = "msgpack")]
            SerializerKind::Notepack => return Ok(CacheSerializer::Notepack),
            #[cfg(feature = "cbor")]
            SerializerKind::Cbor => return Ok(CacheSerializer::Cbor),
            _ => {}
        }
        Err(match kind {
            SerializerKind::ProtoBuf | SerializerKind::Avro | SerializerKind::Thrift => {
                format!(
                    "the {kind} serializer only knows packets; cached values need a schemaless one (JSON, JSONExt, MsgPack, Notepack, CBOR)"
                )
            }
            _ => format!("the {kind} serializer is not in this build (see its cargo feature)"),
        })
    }

    /// Node's name.
    pub fn name(self) -> &'static str {
        match self {
            CacheSerializer::Json => "JSON",
            #[cfg(feature = "jsonext")]
            CacheSerializer::JsonExt => "JSONExt",
            #[cfg(feature = "msgpack")]
            CacheSerializer::MsgPack => "MsgPack",
            #[cfg(feature = "msgpack")]
            CacheSerializer::Notepack => "Notepack",
            #[cfg(feature = "cbor")]
            CacheSerializer::Cbor => "CBOR",
        }
    }

    /// The bytes of `value`.
    ///
    /// # Errors
    /// When the format cannot hold the value.
    pub fn encode(self, value: &Value) -> Result<Vec<u8>> {
        let failed = |err: &dyn std::fmt::Display| {
            Error::server(format!("the {} serializer: {err}", self.name()))
        };
        match self {
            CacheSerializer::Json => serde_json::to_vec(value).map_err(|e| failed(&e)),
            #[cfg(feature = "jsonext")]
            CacheSerializer::JsonExt => {
                let escaped = crate::serializer::json_ext::escape::Escaped {
                    value,
                    passthrough: false,
                };
                serde_json::to_vec(&escaped).map_err(|e| failed(&e))
            }
            #[cfg(feature = "msgpack")]
            CacheSerializer::MsgPack | CacheSerializer::Notepack => {
                use crate::serializer::msgpack::write::{Numbers, to_vec};
                let numbers = if self == CacheSerializer::MsgPack {
                    Numbers::Msgpack5
                } else {
                    Numbers::Notepack
                };
                to_vec(value, numbers, 64).map_err(|e| failed(&e))
            }
            #[cfg(feature = "cbor")]
            CacheSerializer::Cbor => {
                crate::serializer::cbor::write::to_vec(value, 64).map_err(|e| failed(&e))
            }
        }
    }

    /// The value of `bytes`.
    ///
    /// # Errors
    /// When they are not a value of the format.
    pub fn decode(self, bytes: &[u8]) -> Result<Value> {
        let failed = |err: &dyn std::fmt::Display| {
            Error::server(format!("a cached value is not {} data: {err}", self.name()))
        };
        match self {
            CacheSerializer::Json => serde_json::from_slice(bytes).map_err(|e| failed(&e)),
            #[cfg(feature = "jsonext")]
            CacheSerializer::JsonExt => {
                let mut de = serde_json::Deserializer::from_slice(bytes);
                let value = <Value as serde::Deserialize>::deserialize(
                    crate::serializer::json_ext::revive::Revive(&mut de),
                )
                .map_err(|e| failed(&e))?;
                de.end().map_err(|e| failed(&e))?;
                Ok(value)
            }
            #[cfg(feature = "msgpack")]
            CacheSerializer::MsgPack | CacheSerializer::Notepack => {
                crate::serializer::msgpack::read::from_slice(bytes).map_err(|e| failed(&e))
            }
            #[cfg(feature = "cbor")]
            CacheSerializer::Cbor => {
                crate::serializer::cbor::read::from_slice(bytes).map_err(|e| failed(&e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_go_there_and_back() {
        let value = json!({ "id": 5, "name": "John", "tags": ["a", null, 1.5], "ok": true });
        let mut serializers = vec![CacheSerializer::Json];
        #[cfg(feature = "jsonext")]
        serializers.push(CacheSerializer::JsonExt);
        #[cfg(feature = "msgpack")]
        serializers.extend([CacheSerializer::MsgPack, CacheSerializer::Notepack]);
        #[cfg(feature = "cbor")]
        serializers.push(CacheSerializer::Cbor);
        for serializer in serializers {
            let bytes = serializer.encode(&value).unwrap();
            assert_eq!(serializer.decode(&bytes).unwrap(), value, "{serializer:?}");
            assert_eq!(
                CacheSerializer::from_name(serializer.name()),
                Ok(serializer)
            );
        }
        assert_eq!(
            CacheSerializer::Json.encode(&json!({"a": 1})).unwrap(),
            br#"{"a":1}"#
        );
        assert!(
            CacheSerializer::from_name("Avro")
                .unwrap_err()
                .contains("schemaless")
        );
        assert!(CacheSerializer::Json.decode(b"{").is_err());
    }
}
