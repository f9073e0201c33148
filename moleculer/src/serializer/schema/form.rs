//! The packet schemas of Moleculer 0.14 (`moleculer-framework/protocol` 4.0), written once.
//!
//! Each struct is one message of `packets.proto`, with its field numbers as prost tags, and
//! serves all three schema serializers: ProtoBuf encodes it with prost; Avro with avsc's
//! record of the same fields in the same order (`avro.js`), by serde; Thrift with field id =
//! position (`packets.thrift` numbers its fields as `packets.proto` does), by serde.
//!
//! Every field is optional: Node's encoders write a field when the packet object holds it
//! and it is not `null` (protobufjs writes a present `0` or `false` too), so presence, not
//! value, decides what goes on the wire. Custom fields (`meta`, INFO `services`, `config`,
//! `metadata`, RES `error`, gossip `online`/`offline`) are JSON strings; `params`/`data` are
//! bytes tagged with a [`DataType`].

use serde::{Deserialize, Serialize};

/// What the bytes of `params`/`data` are (`packets.proto` `DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataType {
    /// JavaScript `undefined`: no value.
    Undefined = 0,
    /// `null`.
    Null = 1,
    /// UTF-8 JSON text.
    Json = 2,
    /// A raw `Buffer`.
    Buffer = 3,
}

impl DataType {
    /// The tag as sent.
    pub(crate) fn tag(self) -> i32 {
        self as i32
    }

    /// The type a received tag names; an absent tag is `undefined`, an unknown one JSON (as
    /// `convertDataFromTransport` reads it).
    pub(crate) fn from_tag(tag: Option<i32>) -> DataType {
        match tag {
            None | Some(0) => DataType::Undefined,
            Some(1) => DataType::Null,
            Some(3) => DataType::Buffer,
            Some(_) => DataType::Json,
        }
    }
}

/// `PacketEvent`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct EventForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) id: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub(crate) event: Option<String>,
    #[prost(bytes = "vec", optional, tag = "5")]
    #[serde(default, with = "bytes_field")]
    pub(crate) data: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "6")]
    #[serde(rename = "dataType")]
    pub(crate) data_type: Option<i32>,
    /// Absent (Avro `null`, no Thrift field) when empty, as Node leaves `groups` undefined.
    #[prost(string, repeated, tag = "7")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) groups: Vec<String>,
    #[prost(bool, optional, tag = "8")]
    pub(crate) broadcast: Option<bool>,
    #[prost(string, optional, tag = "9")]
    pub(crate) meta: Option<String>,
    #[prost(int32, optional, tag = "10")]
    pub(crate) level: Option<i32>,
    #[prost(bool, optional, tag = "11")]
    pub(crate) tracing: Option<bool>,
    #[prost(string, optional, tag = "12")]
    #[serde(rename = "parentID")]
    pub(crate) parent_id: Option<String>,
    #[prost(string, optional, tag = "13")]
    #[serde(rename = "requestID")]
    pub(crate) request_id: Option<String>,
    #[prost(bool, optional, tag = "14")]
    pub(crate) stream: Option<bool>,
    #[prost(int32, optional, tag = "15")]
    pub(crate) seq: Option<i32>,
    #[prost(string, optional, tag = "16")]
    pub(crate) caller: Option<String>,
    #[prost(bool, optional, tag = "17")]
    #[serde(rename = "needAck")]
    pub(crate) need_ack: Option<bool>,
}

/// `PacketRequest`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct RequestForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) id: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub(crate) action: Option<String>,
    #[prost(bytes = "vec", optional, tag = "5")]
    #[serde(default, with = "bytes_field")]
    pub(crate) params: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "6")]
    #[serde(rename = "paramsType")]
    pub(crate) params_type: Option<i32>,
    #[prost(string, optional, tag = "7")]
    pub(crate) meta: Option<String>,
    #[prost(double, optional, tag = "8")]
    pub(crate) timeout: Option<f64>,
    #[prost(int32, optional, tag = "9")]
    pub(crate) level: Option<i32>,
    #[prost(bool, optional, tag = "10")]
    pub(crate) tracing: Option<bool>,
    #[prost(string, optional, tag = "11")]
    #[serde(rename = "parentID")]
    pub(crate) parent_id: Option<String>,
    #[prost(string, optional, tag = "12")]
    #[serde(rename = "requestID")]
    pub(crate) request_id: Option<String>,
    #[prost(bool, optional, tag = "13")]
    pub(crate) stream: Option<bool>,
    #[prost(int32, optional, tag = "14")]
    pub(crate) seq: Option<i32>,
    #[prost(string, optional, tag = "15")]
    pub(crate) caller: Option<String>,
}

/// `PacketResponse`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct ResponseForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) id: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub(crate) success: Option<bool>,
    #[prost(bytes = "vec", optional, tag = "5")]
    #[serde(default, with = "bytes_field")]
    pub(crate) data: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "6")]
    #[serde(rename = "dataType")]
    pub(crate) data_type: Option<i32>,
    #[prost(string, optional, tag = "7")]
    pub(crate) error: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub(crate) meta: Option<String>,
    #[prost(bool, optional, tag = "9")]
    pub(crate) stream: Option<bool>,
    #[prost(int32, optional, tag = "10")]
    pub(crate) seq: Option<i32>,
}

/// `PacketDiscover` and `PacketDisconnect`: the sender alone.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct SenderForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
}

/// `PacketInfo`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct InfoForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) services: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub(crate) config: Option<String>,
    #[prost(string, repeated, tag = "5")]
    #[serde(rename = "ipList", default)]
    pub(crate) ip_list: Vec<String>,
    #[prost(string, optional, tag = "6")]
    pub(crate) hostname: Option<String>,
    #[prost(message, optional, tag = "7")]
    pub(crate) client: Option<ClientForm>,
    #[prost(int32, optional, tag = "8")]
    pub(crate) seq: Option<i32>,
    #[prost(string, optional, tag = "9")]
    #[serde(rename = "instanceID")]
    pub(crate) instance_id: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub(crate) metadata: Option<String>,
}

/// `PacketInfo.Client`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct ClientForm {
    #[prost(string, optional, tag = "1")]
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) version: Option<String>,
    #[prost(string, optional, tag = "3")]
    #[serde(rename = "langVersion")]
    pub(crate) lang_version: Option<String>,
}

/// `PacketHeartbeat`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct HeartbeatForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(double, optional, tag = "3")]
    pub(crate) cpu: Option<f64>,
}

/// `PacketPing`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct PingForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(int64, optional, tag = "3")]
    pub(crate) time: Option<i64>,
    #[prost(string, optional, tag = "4")]
    pub(crate) id: Option<String>,
}

/// `PacketPong`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct PongForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(int64, optional, tag = "3")]
    pub(crate) time: Option<i64>,
    #[prost(int64, optional, tag = "4")]
    pub(crate) arrived: Option<i64>,
    #[prost(string, optional, tag = "5")]
    pub(crate) id: Option<String>,
}

/// `PacketGossipHello`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct GossipHelloForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) host: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub(crate) port: Option<i32>,
}

/// `PacketGossipRequest` and `PacketGossipResponse`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub(crate) struct GossipForm {
    #[prost(string, optional, tag = "1")]
    pub(crate) ver: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub(crate) sender: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub(crate) online: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub(crate) offline: Option<String>,
}

/// `Option<Vec<u8>>` as serde bytes (not a sequence of numbers), which Avro and Thrift both
/// need for their `bytes`/`binary` fields.
mod bytes_field {
    use std::fmt;

    use serde::de::{Deserializer, SeqAccess, Visitor};
    use serde::ser::Serializer;

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => serializer.serialize_some(&Bytes(bytes)),
            None => serializer.serialize_none(),
        }
    }

    struct Bytes<'a>(&'a [u8]);

    impl serde::Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        deserializer.deserialize_option(OptionalBytes)
    }

    struct OptionalBytes;

    impl<'de> Visitor<'de> for OptionalBytes {
        type Value = Option<Vec<u8>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bytes or nothing")
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_bytes(self)
        }

        fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
            Ok(Some(v.to_vec()))
        }

        fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.as_bytes().to_vec()))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(byte) = seq.next_element::<u8>()? {
                out.push(byte);
            }
            Ok(Some(out))
        }
    }
}
