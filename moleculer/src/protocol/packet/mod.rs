//! Moleculer's packets (`src/packets.js`, reference §1.1–§1.2) and the field rules every
//! serializer shares.
//!
//! Decoding ([`de`]) is liberal, as Node is: absent, `null` and `undefined` are the same for
//! optional fields, fractional numbers are accepted where Node may send them, unknown fields
//! are ignored; a wrong-typed required field is an [`InvalidPacketData`](crate::ErrorKind)
//! error, never a panic. Encoding ([`ser`]) gives exactly the fields Node writes for the chosen
//! protocol version, in the same order, then `ver` and `sender`.

mod body;
pub(crate) mod de;
pub(crate) mod ser;

use std::fmt;
use std::str::FromStr;

use serde_json::json;

pub use body::{
    ClientInfo, Disconnect, Discover, Event, GossipHello, GossipReq, GossipRes, Heartbeat, Info,
    Ping, Pong, Request, Response,
};

use crate::options::ProtocolVersion;
use crate::{Error, Result};

/// The packet types, with Node's names (`src/packets.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PacketType {
    /// `EVENT`: an event for one node or a balanced group.
    Event,
    /// `REQ`: an action call.
    Request,
    /// `RES`: a call's result.
    Response,
    /// `DISCOVER`: asks for INFO.
    Discover,
    /// `INFO`: node and services description.
    Info,
    /// `DISCONNECT`: graceful stop.
    Disconnect,
    /// `HEARTBEAT`: liveness and CPU.
    Heartbeat,
    /// `PING`.
    Ping,
    /// `PONG`.
    Pong,
    /// `GOSSIP_HELLO` (TCP transporter).
    GossipHello,
    /// `GOSSIP_REQ` (TCP transporter).
    GossipReq,
    /// `GOSSIP_RES` (TCP transporter).
    GossipRes,
}

impl PacketType {
    /// Every packet type.
    pub const ALL: [PacketType; 12] = [
        PacketType::Event,
        PacketType::Request,
        PacketType::Response,
        PacketType::Discover,
        PacketType::Info,
        PacketType::Disconnect,
        PacketType::Heartbeat,
        PacketType::Ping,
        PacketType::Pong,
        PacketType::GossipHello,
        PacketType::GossipReq,
        PacketType::GossipRes,
    ];

    /// Node's name, as used in topics: `EVENT`, `REQ`, `RES`, `DISCOVER`, `INFO`,
    /// `DISCONNECT`, `HEARTBEAT`, `PING`, `PONG`, `GOSSIP_HELLO`, `GOSSIP_REQ`, `GOSSIP_RES`.
    pub fn as_str(self) -> &'static str {
        match self {
            PacketType::Event => "EVENT",
            PacketType::Request => "REQ",
            PacketType::Response => "RES",
            PacketType::Discover => "DISCOVER",
            PacketType::Info => "INFO",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Heartbeat => "HEARTBEAT",
            PacketType::Ping => "PING",
            PacketType::Pong => "PONG",
            PacketType::GossipHello => "GOSSIP_HELLO",
            PacketType::GossipReq => "GOSSIP_REQ",
            PacketType::GossipRes => "GOSSIP_RES",
        }
    }

    /// The type named `name` (exact, upper case), if any.
    pub fn from_name(name: &str) -> Option<PacketType> {
        PacketType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether this is one of the TCP transporter's gossip packets (`GOSSIP_HELLO`,
    /// `GOSSIP_REQ`, `GOSSIP_RES`).
    pub fn is_gossip(self) -> bool {
        matches!(
            self,
            PacketType::GossipHello | PacketType::GossipReq | PacketType::GossipRes
        )
    }

    /// The TCP transporter's frame type id (`tcp/constants.js`): EVENT=1, REQ=2, RES=3,
    /// PING=4, PONG=5, GOSSIP_REQ=6, GOSSIP_RES=7, GOSSIP_HELLO=8. `None` for DISCOVER,
    /// INFO, DISCONNECT and HEARTBEAT, which never travel over TCP.
    pub fn tcp_id(self) -> Option<u8> {
        Some(match self {
            PacketType::Event => 1,
            PacketType::Request => 2,
            PacketType::Response => 3,
            PacketType::Ping => 4,
            PacketType::Pong => 5,
            PacketType::GossipReq => 6,
            PacketType::GossipRes => 7,
            PacketType::GossipHello => 8,
            PacketType::Discover
            | PacketType::Info
            | PacketType::Disconnect
            | PacketType::Heartbeat => return None,
        })
    }

    /// The type of a TCP frame type id.
    pub fn from_tcp_id(id: u8) -> Option<PacketType> {
        PacketType::ALL.into_iter().find(|t| t.tcp_id() == Some(id))
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PacketType {
    type Err = Error;

    /// Parses Node's name; an unknown one is an `InvalidPacketData` error.
    fn from_str(s: &str) -> Result<PacketType> {
        PacketType::from_name(s).ok_or_else(|| {
            Error::invalid_packet_data(
                format!("Unknown packet type `{s}`."),
                Some(json!({ "type": s })),
            )
        })
    }
}

/// A packet body, one variant per [`PacketType`].
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `EVENT`.
    Event(Event),
    /// `REQ`.
    Request(Request),
    /// `RES`.
    Response(Response),
    /// `DISCOVER`.
    Discover(Discover),
    /// `INFO`.
    Info(Info),
    /// `DISCONNECT`.
    Disconnect(Disconnect),
    /// `HEARTBEAT`.
    Heartbeat(Heartbeat),
    /// `PING`.
    Ping(Ping),
    /// `PONG`.
    Pong(Pong),
    /// `GOSSIP_HELLO`.
    GossipHello(GossipHello),
    /// `GOSSIP_REQ`.
    GossipReq(GossipReq),
    /// `GOSSIP_RES`.
    GossipRes(GossipRes),
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Event(_) => PacketType::Event,
            Packet::Request(_) => PacketType::Request,
            Packet::Response(_) => PacketType::Response,
            Packet::Discover(_) => PacketType::Discover,
            Packet::Info(_) => PacketType::Info,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Heartbeat(_) => PacketType::Heartbeat,
            Packet::Ping(_) => PacketType::Ping,
            Packet::Pong(_) => PacketType::Pong,
            Packet::GossipHello(_) => PacketType::GossipHello,
            Packet::GossipReq(_) => PacketType::GossipReq,
            Packet::GossipRes(_) => PacketType::GossipRes,
        }
    }
}

macro_rules! packet_from {
    ($($body:ident),*) => {$(
        impl From<$body> for Packet {
            fn from(body: $body) -> Packet {
                Packet::$body(body)
            }
        }
    )*};
}

packet_from!(
    Event,
    Request,
    Response,
    Discover,
    Info,
    Disconnect,
    Heartbeat,
    Ping,
    Pong,
    GossipHello,
    GossipReq,
    GossipRes
);

/// A received packet: the body plus the two fields every transporter adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The protocol version the sender speaks (`"4"`, `"5"`); empty when absent.
    pub ver: String,
    /// The sender's nodeID.
    pub sender: String,
    /// The body.
    pub packet: Packet,
}

impl Envelope {
    /// Node's version check (`transit.js` `messageHandler`): a packet whose `ver` is not the
    /// local protocol version is refused unless `disable_version_check`.
    ///
    /// # Errors
    /// `ProtocolVersionMismatchError` with data `{nodeID, actual, received}`, where `actual`
    /// is the local version and `received` the packet's.
    pub fn check_version(&self, local: ProtocolVersion, disable_version_check: bool) -> Result<()> {
        if disable_version_check || self.ver == local.as_str() {
            Ok(())
        } else {
            Err(Error::protocol_version_mismatch(
                &self.sender,
                local.as_str(),
                &self.ver,
            ))
        }
    }
}

/// The error for a packet that does not decode.
pub(crate) fn invalid_packet(ty: PacketType, reason: &dyn fmt::Display) -> Error {
    let reason = reason.to_string();
    Error::invalid_packet_data(
        format!("Invalid {ty} packet data: {reason}"),
        Some(json!({ "type": ty.as_str(), "reason": reason })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_and_tcp_ids() {
        for ty in PacketType::ALL {
            assert_eq!(PacketType::from_name(ty.as_str()), Some(ty));
            assert_eq!(ty.as_str().parse::<PacketType>().ok(), Some(ty));
            assert_eq!(ty.to_string(), ty.as_str());
            if let Some(id) = ty.tcp_id() {
                assert_eq!(PacketType::from_tcp_id(id), Some(ty));
            }
        }
        assert_eq!(PacketType::Request.as_str(), "REQ");
        assert_eq!(PacketType::GossipRes.as_str(), "GOSSIP_RES");
        assert_eq!(PacketType::GossipHello.tcp_id(), Some(8));
        assert_eq!(PacketType::Info.tcp_id(), None);
        assert_eq!(PacketType::from_tcp_id(0), None);
        assert_eq!(PacketType::from_tcp_id(9), None);
        assert!("GOSSIP_RSP".parse::<PacketType>().is_err());
        assert!("req".parse::<PacketType>().is_err());
    }
}
