//! Node's `Avro` serializer: avsc's records of `src/serializers/avro.js`, one per packet
//! type, encoded as bare datums (no container, no schema fingerprint).

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value as AvroValue;
use apache_avro::writer::datum::GenericDatumWriter;
use serde_json::{Value, json};

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
/// let avro = AvroSerializer::new();
/// let bytes = avro.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V4, "n1")?;
/// assert_eq!(&bytes[..5], b"\x024\x04n1");
/// assert_eq!(avro.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AvroSerializer {
    /// One record schema per packet type, in the order of [`PacketType::ALL`].
    schemas: Vec<Schema>,
}

impl AvroSerializer {
    /// The serializer, with its schemas parsed.
    pub fn new() -> AvroSerializer {
        let schemas = PacketType::ALL
            .into_iter()
            .map(|ty| Schema::parse(&schema(ty)).expect("the packet schemas are valid Avro"))
            .collect();
        AvroSerializer { schemas }
    }

    fn schema(&self, ty: PacketType) -> &Schema {
        let index = PacketType::ALL.iter().position(|t| *t == ty);
        &self.schemas[index.expect("every packet type is in ALL")]
    }
}

impl Default for AvroSerializer {
    fn default() -> AvroSerializer {
        AvroSerializer::new()
    }
}

impl SchemaFormat for AvroSerializer {
    const KIND: SerializerKind = SerializerKind::Avro;

    fn encode<F: Form>(&self, ty: PacketType, form: &F) -> std::result::Result<Vec<u8>, String> {
        // Through a `Value`: resolving it against the schema takes a present value for a
        // plain field and for a `["null", T]` union alike, as avsc does.
        let schema = self.schema(ty);
        apache_avro::to_value(form)
            .and_then(|value| value.resolve(schema))
            .and_then(|value| {
                GenericDatumWriter::builder(schema)
                    .build()?
                    .write_value_to_vec(value)
            })
            .map_err(|err| err.to_string())
    }

    fn decode<F: Form>(&self, ty: PacketType, bytes: &[u8]) -> std::result::Result<F, String> {
        let mut rest = bytes;
        // A length beyond the input fails at the read; the buffer apache-avro reserves for
        // it first is zeroed memory that is never touched, so it costs no resident memory.
        let value = GenericDatumReader::builder(self.schema(ty))
            .build()
            .and_then(|reader| reader.read_value(&mut rest))
            .map_err(|err| err.to_string())?;
        if !rest.is_empty() {
            // avsc's `fromBuffer` refuses them too.
            return Err(format!("{} trailing bytes", rest.len()));
        }
        apache_avro::from_value(&optional_fields(value)).map_err(|err| err.to_string())
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

/// A decoded record in the shape serde reads the form from: every field of a form is an
/// `Option` (which apache-avro reads from a union only) or a list. So a `null` field is left
/// out (`None`), a list stays a list, and any other value becomes the union of itself,
/// whether the schema had `["null", T]` or plain `T` there.
fn optional_fields(value: AvroValue) -> AvroValue {
    let AvroValue::Record(fields) = value else {
        return value;
    };
    let fields = fields
        .into_iter()
        .filter_map(|(name, value)| {
            let value = match value {
                AvroValue::Union(_, inner) => *inner,
                plain => plain,
            };
            let value = match value {
                AvroValue::Null => return None,
                list @ AvroValue::Array(_) => list,
                other => AvroValue::Union(1, Box::new(optional_fields(other))),
            };
            Some((name, value))
        })
        .collect();
    AvroValue::Record(fields)
}

/// `["null", type]`, `null` by default.
fn nullable(name: &str, ty: Value) -> Value {
    json!({ "name": name, "type": ["null", ty], "default": null })
}

fn field(name: &str, ty: Value) -> Value {
    json!({ "name": name, "type": ty })
}

/// The record of packet type `ty`, field for field as `avro.js` declares it.
fn schema(ty: PacketType) -> Value {
    let envelope = [
        field("ver", json!("string")),
        field("sender", json!("string")),
    ];
    let fields: Vec<Value> = match ty {
        PacketType::Event => vec![
            field("id", json!("string")),
            field("event", json!("string")),
            nullable("data", json!("bytes")),
            field("dataType", json!("int")),
            nullable("groups", json!({ "type": "array", "items": "string" })),
            field("broadcast", json!("boolean")),
            field("meta", json!("string")),
            field("level", json!("int")),
            nullable("tracing", json!("boolean")),
            nullable("parentID", json!("string")),
            nullable("requestID", json!("string")),
            nullable("stream", json!("boolean")),
            nullable("seq", json!("int")),
            nullable("caller", json!("string")),
            nullable("needAck", json!("boolean")),
        ],
        PacketType::Request => vec![
            field("id", json!("string")),
            field("action", json!("string")),
            nullable("params", json!("bytes")),
            field("paramsType", json!("int")),
            field("meta", json!("string")),
            nullable("timeout", json!("double")),
            field("level", json!("int")),
            nullable("tracing", json!("boolean")),
            nullable("parentID", json!("string")),
            nullable("requestID", json!("string")),
            nullable("stream", json!("boolean")),
            nullable("seq", json!("int")),
            nullable("caller", json!("string")),
        ],
        PacketType::Response => vec![
            field("id", json!("string")),
            field("success", json!("boolean")),
            nullable("data", json!("bytes")),
            field("dataType", json!("int")),
            nullable("error", json!("string")),
            field("meta", json!("string")),
            nullable("stream", json!("boolean")),
            nullable("seq", json!("int")),
        ],
        PacketType::Discover | PacketType::Disconnect => Vec::new(),
        PacketType::Info => vec![
            field("services", json!("string")),
            field("config", json!("string")),
            field("ipList", json!({ "type": "array", "items": "string" })),
            field("hostname", json!("string")),
            // avsc takes an anonymous record; Avro's specification wants a name, which
            // does not change the bytes.
            field(
                "client",
                json!({
                    "type": "record",
                    "name": "Client",
                    "fields": [
                        { "name": "type", "type": "string" },
                        { "name": "version", "type": "string" },
                        { "name": "langVersion", "type": "string" }
                    ]
                }),
            ),
            field("seq", json!("int")),
            field("instanceID", json!("string")),
            field("metadata", json!("string")),
        ],
        PacketType::Heartbeat => vec![field("cpu", json!("double"))],
        PacketType::Ping => vec![
            field("time", json!("long")),
            nullable("id", json!("string")),
        ],
        PacketType::Pong => vec![
            field("time", json!("long")),
            field("arrived", json!("long")),
            nullable("id", json!("string")),
        ],
        PacketType::GossipHello => {
            vec![field("host", json!("string")), field("port", json!("int"))]
        }
        PacketType::GossipReq | PacketType::GossipRes => vec![
            nullable("online", json!("string")),
            nullable("offline", json!("string")),
        ],
    };
    let fields: Vec<Value> = envelope.into_iter().chain(fields).collect();
    json!({ "name": ty.as_str(), "type": "record", "fields": fields })
}
