//! Any bytes, read as any packet type by the MsgPack, Notepack, CBOR and JSONExt serializers:
//! an error or a packet, never a panic (nor an allocation a length prefix asks for); a packet
//! taken encodes again, and its payload reads into a JSON value or fails cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moleculer::options::ProtocolVersion;
use moleculer::protocol::{Packet, PacketType};
use moleculer::serializer::{
    CborSerializer, JsonExtSerializer, MsgPackSerializer, NotepackSerializer, Serializer,
};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let ty = PacketType::ALL[usize::from(first) % PacketType::ALL.len()];
    let serializer: &dyn Serializer = match first / 64 {
        0 => &MsgPackSerializer,
        1 => &NotepackSerializer,
        2 => &CborSerializer,
        _ => &JsonExtSerializer,
    };
    if let Ok(envelope) = serializer.deserialize(ty, bytes) {
        let _ = serializer.serialize(&envelope.packet, ProtocolVersion::V5, &envelope.sender);
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
