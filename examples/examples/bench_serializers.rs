//! Serializer throughput: each serializer encoding and decoding a `REQ` and a `RES` packet,
//! with a small payload and with a 10 kB one (the packets `bench/serializers.js` builds for
//! Node's serializers). Decoding includes reading the payload into a `serde_json::Value`, as
//! Node's decoding builds its objects (a Rust handler that reads its own type pays less).
//!
//! Prints one JSON line per serializer and case:
//! `{"impl":"rust","serializer":"MsgPack","case":"req_small","bytes":N,"encode_per_sec":E,"decode_per_sec":D,"envelope_decode_per_sec":P,"roundtrip_per_sec":R}`
//!
//! Environment: `BENCH_SECS` (measured seconds per measure, default 1).

use std::hint::black_box;
use std::time::{Duration, Instant};

use moleculer::options::ProtocolVersion;
use moleculer::protocol::{Packet, PacketType, Request, Response};
use moleculer::serializer::{
    AvroSerializer, CborSerializer, JsonExtSerializer, JsonSerializer, MsgPackSerializer,
    NotepackSerializer, ProtoBufSerializer, Serializer, ThriftSerializer,
};
use serde_json::{Value, json};

const ID: &str = "6c783b13-66cf-406d-bce4-3f40c7624d49";

fn packets() -> Vec<(&'static str, PacketType, &'static str, Packet)> {
    let small =
        json!({ "a": 1, "b": 2.5, "name": "bench", "tags": ["x", "y"], "nested": { "ok": true } });
    let items: Vec<Value> = (0..170)
        .map(|i| json!({ "id": i, "name": format!("item-{i}"), "price": f64::from(i) * 1.25, "tags": ["a", "b"] }))
        .collect();
    let large = json!({ "items": items });
    let req = |params: &Value| Packet::Request(Request::new(ID, "math.add", params.clone()));
    let res = |data: &Value| Packet::Response(Response::success(ID, Some(data.clone().into())));
    vec![
        ("req_small", PacketType::Request, "node-b", req(&small)),
        ("res_small", PacketType::Response, "node-a", res(&small)),
        ("req_10k", PacketType::Request, "node-b", req(&large)),
        ("res_10k", PacketType::Response, "node-a", res(&large)),
    ]
}

/// Operations per second of `f`, run for `secs` after a short warm-up.
fn rate(secs: f64, mut f: impl FnMut()) -> u64 {
    for _ in 0..1000 {
        f();
    }
    let start = Instant::now();
    let until = Duration::from_secs_f64(secs);
    let mut ops = 0u64;
    while start.elapsed() < until {
        for _ in 0..100 {
            f();
        }
        ops += 100;
    }
    (ops as f64 / start.elapsed().as_secs_f64()).round() as u64
}

/// Decodes and reads the payload into a `Value`, as Node's decoding builds its objects.
fn decode(serializer: &dyn Serializer, ty: PacketType, bytes: &[u8]) -> Value {
    let envelope = serializer.deserialize(ty, bytes).expect("decodes");
    match envelope.packet {
        Packet::Request(r) => r.params.into_json().expect("params"),
        Packet::Response(r) => r.data.map_or(Value::Null, |d| d.into_json().expect("data")),
        _ => Value::Null,
    }
}

fn main() {
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    // Moleculer 0.14's schema serializers speak protocol 4 only.
    let serializers: [(&dyn Serializer, ProtocolVersion); 8] = [
        (&JsonSerializer, ProtocolVersion::V5),
        (&JsonExtSerializer, ProtocolVersion::V5),
        (&MsgPackSerializer, ProtocolVersion::V5),
        (&NotepackSerializer, ProtocolVersion::V5),
        (&CborSerializer, ProtocolVersion::V5),
        (&ProtoBufSerializer, ProtocolVersion::V4),
        (&AvroSerializer, ProtocolVersion::V4),
        (&ThriftSerializer, ProtocolVersion::V4),
    ];
    for (serializer, v) in serializers {
        for (label, ty, sender, packet) in packets() {
            let bytes = serializer.serialize(&packet, v, sender).expect("encodes");
            let encode = rate(secs, || {
                black_box(serializer.serialize(black_box(&packet), v, sender).unwrap());
            });
            let decode_rate = rate(secs, || {
                black_box(decode(serializer, ty, black_box(&bytes)));
            });
            // The envelope alone, the payload kept as received (what a typed handler starts
            // from: it then reads the payload straight into its own type).
            let envelope_only = rate(secs, || {
                black_box(serializer.deserialize(ty, black_box(&bytes)).unwrap());
            });
            let roundtrip = rate(secs, || {
                let b = serializer.serialize(black_box(&packet), v, sender).unwrap();
                black_box(decode(serializer, ty, &b));
            });
            println!(
                "{}",
                json!({
                    "impl": "rust", "serializer": serializer.name(), "case": label,
                    "bytes": bytes.len(), "encode_per_sec": encode,
                    "decode_per_sec": decode_rate, "envelope_decode_per_sec": envelope_only,
                    "roundtrip_per_sec": roundtrip,
                })
            );
        }
    }
}
