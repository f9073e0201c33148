//! Node's default `JSON` serializer: UTF-8 JSON, `Buffer`s as `{"type":"Buffer","data":[…]}`.

use super::Serializer;
use crate::Result;
use crate::options::ProtocolVersion;
use crate::protocol::{self, Envelope, Packet, PacketType};

/// The `JSON` serializer (Node's default), built on [`protocol::encode`] and
/// [`protocol::decode`].
///
/// ```
/// use moleculer::options::ProtocolVersion;
/// use moleculer::serializer::{JsonSerializer, Serializer};
/// use moleculer::protocol::{Heartbeat, Packet, PacketType};
///
/// let json = JsonSerializer;
/// let bytes = json.serialize(&Packet::Heartbeat(Heartbeat { cpu: 12.0 }), ProtocolVersion::V5, "n1")?;
/// assert_eq!(bytes, br#"{"cpu":12,"ver":"5","sender":"n1"}"#);
/// assert_eq!(json.deserialize(PacketType::Heartbeat, &bytes)?.sender, "n1");
/// # Ok::<(), moleculer::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonSerializer;

impl Serializer for JsonSerializer {
    fn name(&self) -> &'static str {
        "JSON"
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        protocol::encode(packet, version, sender)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        protocol::decode(ty, bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::protocol::Discover;

    #[test]
    fn is_object_safe_and_round_trips() {
        let serializer: Arc<dyn Serializer> = Arc::new(JsonSerializer);
        assert_eq!(serializer.name(), "JSON");
        let bytes = serializer
            .serialize(&Packet::Discover(Discover), ProtocolVersion::V4, "a")
            .expect("encode");
        assert_eq!(bytes, br#"{"ver":"4","sender":"a"}"#);
        let envelope = serializer
            .deserialize(PacketType::Discover, &bytes)
            .expect("decode");
        assert_eq!(envelope.packet, Packet::Discover(Discover));
        assert_eq!(
            (envelope.ver.as_str(), envelope.sender.as_str()),
            ("4", "a")
        );
    }
}
