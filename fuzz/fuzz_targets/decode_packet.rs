//! Any bytes, read as any packet type by the JSON serializer (the one-pass decoder and the
//! serde decoder behind it): an error or a packet, never a panic; a packet it takes encodes
//! again in both protocol versions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moleculer::options::ProtocolVersion;
use moleculer::protocol::PacketType;
use moleculer::serializer::{JsonSerializer, Serializer};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let ty = PacketType::ALL[usize::from(first) % PacketType::ALL.len()];
    if let Ok(envelope) = JsonSerializer.deserialize(ty, bytes) {
        for version in [ProtocolVersion::V4, ProtocolVersion::V5] {
            // A payload whose text does not serialize may fail; it must not panic.
            let _ = JsonSerializer.serialize(&envelope.packet, version, &envelope.sender);
        }
    }
});
