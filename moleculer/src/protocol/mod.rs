//! Moleculer's wire protocol, versions 4 (0.14) and 5 (0.15): the packets and the Node
//! `Buffer` JSON form (reference §1), as a transit middleware or a serializer sees them.
//!
//! * [`Packet`] is a packet body, one variant per [`PacketType`]; [`Envelope`] adds the
//!   `ver` and `sender` that every transporter writes.
//! * [`Envelope::check_version`] is Node's protocol version check.
//! * The bytes come from a [`Serializer`](crate::serializer::Serializer): every serializer
//!   decodes through the same liberal field rules and writes exactly Node's fields, in Node's
//!   order.
//!
//! ```
//! use moleculer::options::ProtocolVersion;
//! use moleculer::protocol::{Packet, PacketType, Request};
//! use moleculer::serializer::{JsonSerializer, Serializer};
//!
//! let req = Request::new("c1", "math.add", serde_json::json!({"a": 1, "b": 2}));
//! let bytes = JsonSerializer.serialize(&Packet::Request(req), ProtocolVersion::V4, "node-1")?;
//! assert_eq!(
//!     String::from_utf8(bytes.clone()).unwrap(),
//!     r#"{"id":"c1","action":"math.add","params":{"a":1,"b":2},"meta":{},"timeout":0,"level":1,"tracing":null,"parentID":null,"requestID":"c1","caller":null,"stream":false,"ver":"4","sender":"node-1"}"#
//! );
//! let back = JsonSerializer.deserialize(PacketType::Request, &bytes)?;
//! assert_eq!(back.sender, "node-1");
//! back.check_version(ProtocolVersion::V4, false)?;
//! let Packet::Request(req) = back.packet else { unreachable!() };
//! assert_eq!(req.params.as_raw_json(), Some(r#"{"a":1,"b":2}"#));
//! # Ok::<(), moleculer::Error>(())
//! ```

mod buffer;
pub(crate) mod packet;
mod topic;

#[cfg(test)]
mod golden_tests;

pub use buffer::{buffer_from_json, buffer_to_json, is_buffer_json};
pub use packet::{
    ClientInfo, Disconnect, Discover, Envelope, Event, GossipHello, GossipReq, GossipRes,
    Heartbeat, Info, Packet, PacketType, Ping, Pong, Request, Response,
};
pub(crate) use topic::{TopicTarget, Topics};
