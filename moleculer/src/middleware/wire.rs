//! What the hooks around the transit layer (`transit_publish`,
//! `transit_message_handler`) and the transporter (`transporter_send`,
//! `transporter_receive`) get and return.
//!
//! Outgoing, a packet goes through the `transit_publish` hooks, is serialized, and its bytes go
//! through the `transporter_send` hooks to the transporter. Incoming, the bytes go through the
//! `transporter_receive` hooks, are decoded, and the packet goes through the
//! `transit_message_handler` hooks to the broker.
//!
//! The receiving side is synchronous: the transporter's reading task calls it once per
//! message, and the broker moves slow work to other tasks itself. A receiving hook that has to
//! wait spawns a task and calls `next` from it: what the rest of the chain needs (the bytes,
//! the packet type, the peer's address) travels in the message.

use std::sync::Arc;

use crate::error::Result;
use crate::protocol::{Envelope, Packet, PacketType};
use crate::service::BoxFuture;
use crate::transporter::{Bytes, Settlement};

/// A packet on its way out, as the
/// [`Middleware::transit_publish`](super::Middleware::transit_publish) hook sees it (Node's
/// `packet`).
#[derive(Debug, Clone)]
pub struct TransitPacket {
    /// Where it goes (`MOL.REQ.node-2`, `MOL.INFO`, …).
    pub topic: String,
    /// The packet.
    pub packet: Packet,
}

/// Publishes one packet: serializes it and hands the bytes on, wrapped by the
/// `transit_publish` hooks.
pub type PublishHandler =
    Arc<dyn Fn(TransitPacket) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// Handles one decoded packet (Node's `messageHandler(cmd, packet)`): checks its protocol
/// version and dispatches it, wrapped by the `transit_message_handler` hooks. The packet's
/// type is `received.envelope.packet.packet_type()`. Not calling `next` drops the packet.
pub type MessageHandler = Arc<dyn Fn(ReceivedPacket) + Send + Sync>;

/// A decoded packet, as the
/// [`Middleware::transit_message_handler`](super::Middleware::transit_message_handler) hook
/// sees it (Node's `packet`).
#[derive(Debug)]
pub struct ReceivedPacket {
    /// The packet and its sender.
    pub envelope: Envelope,
    /// Dropped once the work the packet starts is over (see [`Settlement`]): a hook passes
    /// it on with the packet.
    pub settlement: Settlement,
}

/// Serialized bytes on their way to the transporter, as the
/// [`Middleware::transporter_send`](super::Middleware::transporter_send) hook sees them
/// (Node's `(topic, data, meta)`).
#[derive(Debug, Clone)]
pub struct WireMessage {
    /// Where they go.
    pub topic: String,
    /// The type of the packet they hold.
    pub packet_type: PacketType,
    /// The bytes; what reaches the transporter is what the last hook passes on.
    pub data: Bytes,
}

/// Hands bytes to the transporter, wrapped by the `transporter_send` hooks.
pub type SendHandler = Arc<dyn Fn(WireMessage) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// Bytes received from the transporter, as the
/// [`Middleware::transporter_receive`](super::Middleware::transporter_receive) hook sees them
/// (Node's `(cmd, data, socket)`).
#[derive(Debug)]
pub struct ReceivedMessage {
    /// The type of the packet they hold (from the topic, or the TCP frame header).
    pub packet_type: PacketType,
    /// The bytes; what is decoded is what the last hook passes on.
    pub data: Bytes,
    /// The address of the peer they came from, where the transporter knows it (the TCP
    /// transporter's `GOSSIP_HELLO`: Node's `socket.remoteAddress`).
    pub source: Option<String>,
    /// Dropped once the work the message starts is over (see [`Settlement`]): a hook passes
    /// it on with the bytes, so that a transporter that acknowledges messages (AMQP) does so
    /// only then.
    pub settlement: Settlement,
}

/// Takes the bytes of one received message, decodes them and hands the packet on, wrapped by
/// the `transporter_receive` hooks. Bytes that do not decode are logged and dropped.
pub type ReceiveHandler = Arc<dyn Fn(ReceivedMessage) + Send + Sync>;
