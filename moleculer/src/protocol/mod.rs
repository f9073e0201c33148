//! Moleculer's wire protocol, versions 4 (0.14) and 5 (0.15): packets, topics and the
//! Node `Buffer` JSON form (reference §1).
//!
//! * [`Packet`] is a packet body; [`Envelope`] adds the `ver` and `sender` that every
//!   transporter writes.
//! * [`decode`] and [`encode`] are the JSON codec (the [`JsonSerializer`](crate::serializer::JsonSerializer)
//!   uses them): decoding is liberal, encoding writes exactly Node's fields, in Node's order.
//! * [`Envelope::check_version`] is Node's protocol version check.
//! * [`Topics`] builds and parses `MOL[-<ns>].<TYPE>[.<nodeID>]` and the balanced
//!   `REQB`/`EVENTB` topics.
//!
//! Other serializers reuse the same field rules through serde: `packet::de::deserialize_envelope`
//! decodes from any self-describing `Deserializer`, and `packet::ser::WirePacket` serializes
//! with a known map length (both crate-private). With this JSON codec, the params and data of
//! received packets stay JSON text ([`Payload::as_raw_json`](crate::Payload::as_raw_json))
//! until a handler parses them into its own type; with any other format they are values.
//!
//! ```
//! use moleculer::options::ProtocolVersion;
//! use moleculer::protocol::{Packet, PacketType, Request, decode, encode};
//!
//! let req = Request::new("c1", "math.add", serde_json::json!({"a": 1, "b": 2}));
//! let bytes = encode(&Packet::Request(req), ProtocolVersion::V4, "node-1")?;
//! assert_eq!(
//!     String::from_utf8(bytes.clone()).unwrap(),
//!     r#"{"id":"c1","action":"math.add","params":{"a":1,"b":2},"meta":{},"timeout":0,"level":1,"tracing":null,"parentID":null,"requestID":"c1","caller":null,"stream":false,"ver":"4","sender":"node-1"}"#
//! );
//! let back = decode(PacketType::Request, &bytes)?;
//! assert_eq!(back.sender, "node-1");
//! back.check_version(ProtocolVersion::V4, false)?;
//! let Packet::Request(req) = back.packet else { unreachable!() };
//! assert_eq!(req.params.as_raw_json(), Some(r#"{"a":1,"b":2}"#));
//! # Ok::<(), moleculer::Error>(())
//! ```

mod buffer;
pub(crate) mod packet;
mod topic;

pub use buffer::{buffer_from_json, buffer_to_json, is_buffer_json};
pub use packet::{
    ClientInfo, Disconnect, Discover, Envelope, Event, GossipHello, GossipReq, GossipRes,
    Heartbeat, Info, Packet, PacketType, Ping, Pong, Request, Response, decode, encode,
};
pub use topic::{Topic, TopicTarget, Topics};
