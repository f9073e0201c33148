//! The records of `avro.js`, one per packet type, as constants.

use crate::protocol::PacketType;

/// An Avro type, as far as the packet records use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Type {
    String,
    Bytes,
    Int,
    Long,
    Double,
    Boolean,
    /// `{type: "array", items: "string"}`.
    Strings,
    Record(&'static [Field]),
}

/// A record field: its name, its type, and whether it is `["null", type]` (with `null` as
/// its default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) ty: Type,
    pub(super) nullable: bool,
}

const fn plain(name: &'static str, ty: Type) -> Field {
    Field {
        name,
        ty,
        nullable: false,
    }
}

const fn nullable(name: &'static str, ty: Type) -> Field {
    Field {
        name,
        ty,
        nullable: true,
    }
}

use Type::{Boolean, Bytes, Double, Int, Long, Record, String, Strings};

const EVENT: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("id", String),
    plain("event", String),
    nullable("data", Bytes),
    plain("dataType", Int),
    nullable("groups", Strings),
    plain("broadcast", Boolean),
    plain("meta", String),
    plain("level", Int),
    nullable("tracing", Boolean),
    nullable("parentID", String),
    nullable("requestID", String),
    nullable("stream", Boolean),
    nullable("seq", Int),
    nullable("caller", String),
    nullable("needAck", Boolean),
];

const REQUEST: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("id", String),
    plain("action", String),
    nullable("params", Bytes),
    plain("paramsType", Int),
    plain("meta", String),
    nullable("timeout", Double),
    plain("level", Int),
    nullable("tracing", Boolean),
    nullable("parentID", String),
    nullable("requestID", String),
    nullable("stream", Boolean),
    nullable("seq", Int),
    nullable("caller", String),
];

const RESPONSE: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("id", String),
    plain("success", Boolean),
    nullable("data", Bytes),
    plain("dataType", Int),
    nullable("error", String),
    plain("meta", String),
    nullable("stream", Boolean),
    nullable("seq", Int),
];

/// `DISCOVER` and `DISCONNECT`.
const SENDER: &[Field] = &[plain("ver", String), plain("sender", String)];

const CLIENT: &[Field] = &[
    plain("type", String),
    plain("version", String),
    plain("langVersion", String),
];

const INFO: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("services", String),
    plain("config", String),
    plain("ipList", Strings),
    plain("hostname", String),
    plain("client", Record(CLIENT)),
    plain("seq", Int),
    plain("instanceID", String),
    plain("metadata", String),
];

const HEARTBEAT: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("cpu", Double),
];

const PING: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("time", Long),
    nullable("id", String),
];

const PONG: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("time", Long),
    plain("arrived", Long),
    nullable("id", String),
];

const GOSSIP_HELLO: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    plain("host", String),
    plain("port", Int),
];

/// `GOSSIP_REQ` and `GOSSIP_RES`.
const GOSSIP: &[Field] = &[
    plain("ver", String),
    plain("sender", String),
    nullable("online", String),
    nullable("offline", String),
];

/// The record of packet type `ty`.
pub(super) fn record(ty: PacketType) -> &'static [Field] {
    match ty {
        PacketType::Event => EVENT,
        PacketType::Request => REQUEST,
        PacketType::Response => RESPONSE,
        PacketType::Discover | PacketType::Disconnect => SENDER,
        PacketType::Info => INFO,
        PacketType::Heartbeat => HEARTBEAT,
        PacketType::Ping => PING,
        PacketType::Pong => PONG,
        PacketType::GossipHello => GOSSIP_HELLO,
        PacketType::GossipReq | PacketType::GossipRes => GOSSIP,
    }
}
