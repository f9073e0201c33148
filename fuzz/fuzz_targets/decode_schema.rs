//! Any bytes, read as any packet type by Moleculer 0.14's schema serializers (ProtoBuf, Avro,
//! Thrift): an error or a packet, never a panic; a packet taken encodes again, and its
//! payload reads into a JSON value or fails cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moleculer::options::ProtocolVersion;
use moleculer::protocol::{Packet, PacketType};
use moleculer::serializer::{AvroSerializer, ProtoBufSerializer, Serializer, ThriftSerializer};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let ty = PacketType::ALL[usize::from(first) % PacketType::ALL.len()];
    // Byte 0 = serializer * 12 + packet type.
    let serializer: &dyn Serializer = match (first / 12) % 3 {
        0 => &ProtoBufSerializer,
        1 => &AvroSerializer,
        _ => &ThriftSerializer,
    };
    if let Ok(envelope) = serializer.deserialize(ty, bytes) {
        let _ = serializer.serialize(&envelope.packet, ProtocolVersion::V4, &envelope.sender);
        let payload = match envelope.packet {
            Packet::Request(r) => Some(r.params),
            Packet::Response(r) => r.data,
            Packet::Event(e) => Some(e.data),
            _ => None,
        };
        if let Some(payload) = payload {
            let _ = payload.into_json();
        }
    }
});
