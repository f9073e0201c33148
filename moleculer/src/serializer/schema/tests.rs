//! The schema serializers against themselves: every packet type round-trips, protocol 5 is
//! refused, bad bytes are errors. Byte-exactness against Node's own encoders is tested in
//! `tests/integration/golden_serializers.rs`.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{AvroSerializer, ProtoBufSerializer, ThriftSerializer};
use crate::ErrorKind;
use crate::options::ProtocolVersion;
use crate::payload::Payload;
use crate::protocol::{
    ClientInfo, Event, GossipHello, GossipReq, GossipRes, Heartbeat, Info, Packet, PacketType,
    Ping, Pong, Request, Response,
};
use crate::serializer::json::props::{json, object, request};
use crate::serializer::{JsonSerializer, Serializer};

fn schema_serializers() -> [&'static dyn Serializer; 3] {
    [&ProtoBufSerializer, &AvroSerializer, &ThriftSerializer]
}

fn as_json(packet: &Packet) -> Value {
    serde_json::from_slice(
        &JsonSerializer
            .serialize(packet, ProtocolVersion::V4, "n")
            .unwrap(),
    )
    .unwrap()
}

fn packets() -> Vec<Packet> {
    let mut call = Request::new("c1", "math.add", json!({"a": 1, "b": [true, null, "x"]}));
    call.meta = json!({"user": {"id": 7}}).as_object().unwrap().clone();
    call.timeout = 1500.5;
    call.level = 3;
    call.tracing = Some(true);
    call.parent_id = Some("p1".into());
    call.caller = Some("v2.greeter".into());
    let mut chunk = Request::new(
        "c2",
        "files.save",
        json!({"type": "Buffer", "data": [0, 1, 255]}),
    );
    chunk.stream = true;
    chunk.seq = Some(2);
    let mut balanced = Event::new("e1", "user.created", json!({"id": 1}));
    balanced.groups = Some(vec!["mail".into(), "audit".into()]);
    let mut broadcast = Event::new("e2", "cache.clear", Payload::null());
    broadcast.broadcast = true;
    let mut meta_reply = Response::success("c1", Some(Payload::json(json!(3.5))));
    meta_reply.meta = json!({"seen": true}).as_object().unwrap().clone();
    let info = Info {
        services: vec![json!({"name": "math", "actions": {"math.add": {"name": "math.add"}}})],
        ip_list: vec!["10.0.0.1".into(), "192.168.1.2".into()],
        hostname: "host-a".into(),
        client: ClientInfo::rust(),
        instance_id: "i-1".into(),
        metadata: json!({"region": "eu"}),
        seq: 4,
        ..Info::default()
    };
    let online: Map<String, Value> = json!({"n1": [3, 2, 15]}).as_object().unwrap().clone();
    vec![
        Packet::Request(call),
        Packet::Request(chunk),
        Packet::Request(Request::new("c3", "a.b", Payload::null())),
        Packet::Event(balanced),
        Packet::Event(broadcast),
        Packet::Response(meta_reply),
        Packet::Response(Response::success("c4", None)),
        Packet::Response(Response::failure(
            "c5",
            json!({"name": "MoleculerError", "message": "boom", "code": 500}),
        )),
        Packet::Discover(crate::protocol::Discover),
        Packet::Disconnect(crate::protocol::Disconnect),
        Packet::Info(info),
        Packet::Heartbeat(Heartbeat { cpu: 12.5 }),
        Packet::Ping(Ping {
            time: 1_795_530_651_958,
            id: "p1".into(),
        }),
        Packet::Pong(Pong {
            time: 1_795_530_651_958,
            id: "p1".into(),
            arrived: 1_795_530_651_960,
        }),
        Packet::GossipHello(GossipHello {
            host: "127.0.0.1".into(),
            port: 4455,
        }),
        Packet::GossipReq(GossipReq {
            online: Some(online.clone()),
            offline: None,
        }),
        Packet::GossipRes(GossipRes {
            online: None,
            offline: Some(json!({"n2": 5}).as_object().unwrap().clone()),
        }),
    ]
}

#[test]
fn every_packet_type_round_trips() {
    for serializer in schema_serializers() {
        for packet in packets() {
            let ty = packet.packet_type();
            let what = format!("{} {ty}", serializer.name());
            let bytes = serializer
                .serialize(&packet, ProtocolVersion::V4, "node-1")
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let back = serializer
                .deserialize(ty, &bytes)
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            assert_eq!(
                (back.ver.as_str(), back.sender.as_str()),
                ("4", "node-1"),
                "{what}"
            );
            assert_eq!(as_json(&back.packet), as_json(&packet), "{what}");
            let again = serializer
                .serialize(&back.packet, ProtocolVersion::V4, "node-1")
                .unwrap();
            assert_eq!(again, bytes, "{what}: written again");
        }
    }
}

#[test]
fn payloads_keep_their_kind() {
    for serializer in schema_serializers() {
        let chunk = Request::new("c", "a.b", json!({"type": "Buffer", "data": [104, 105]}));
        let bytes = serializer
            .serialize(&Packet::Request(chunk), ProtocolVersion::V4, "n")
            .unwrap();
        // The raw bytes travel, not their JSON form.
        assert!(
            bytes.windows(2).any(|w| w == b"hi"),
            "{}",
            serializer.name()
        );
        assert!(
            !bytes.windows(6).any(|w| w == b"Buffer"),
            "{}",
            serializer.name()
        );

        let text = Request::new("c", "a.b", json!({"x": 1}));
        let bytes = serializer
            .serialize(&Packet::Request(text), ProtocolVersion::V4, "n")
            .unwrap();
        let Packet::Request(back) = serializer
            .deserialize(PacketType::Request, &bytes)
            .unwrap()
            .packet
        else {
            unreachable!()
        };
        // JSON params stay the text they came as until a handler reads them.
        assert_eq!(
            back.params.as_raw_json(),
            Some(r#"{"x":1}"#),
            "{}",
            serializer.name()
        );

        // `undefined` (no data) and `null` stay apart.
        for data in [None, Some(Payload::null())] {
            let res = Packet::Response(Response::success("c", data.clone()));
            let bytes = serializer
                .serialize(&res, ProtocolVersion::V4, "n")
                .unwrap();
            let Packet::Response(back) = serializer
                .deserialize(PacketType::Response, &bytes)
                .unwrap()
                .packet
            else {
                unreachable!()
            };
            assert_eq!(back.data, data, "{}", serializer.name());
        }
    }
}

#[test]
fn protocol_5_is_refused() {
    for serializer in schema_serializers() {
        let err = serializer
            .serialize(
                &Packet::Heartbeat(Heartbeat { cpu: 1.0 }),
                ProtocolVersion::V5,
                "n",
            )
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::BrokerOptions,
            "{}",
            serializer.name()
        );
        assert!(err.message().contains("protocol 4 only"), "{err}");
    }
}

#[test]
fn bad_bytes_are_invalid_packet_data() {
    let mut junk = vec![0x0b, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff];
    junk.extend_from_slice(b"ab");
    for serializer in schema_serializers() {
        let err = serializer
            .deserialize(PacketType::Request, &junk)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidPacketData,
            "{}",
            serializer.name()
        );
    }
    // A length far beyond the packet is refused before anything is read into it.
    let thrift = ThriftSerializer
        .deserialize(PacketType::Heartbeat, &junk)
        .unwrap_err();
    assert!(thrift.message().contains("too long"), "{thrift}");
    // avsc refuses trailing bytes; so do we.
    let avro = AvroSerializer;
    let mut bytes = avro
        .serialize(
            &Packet::Heartbeat(Heartbeat { cpu: 1.0 }),
            ProtocolVersion::V4,
            "n",
        )
        .unwrap();
    bytes.push(0);
    let err = avro.deserialize(PacketType::Heartbeat, &bytes).unwrap_err();
    assert!(err.message().contains("trailing"), "{err}");
}

#[test]
fn options_refuse_protocol_5() {
    let options: crate::options::BrokerOptions =
        serde_json::from_value(json!({"serializer": "ProtoBuf"})).unwrap();
    let err = options.check_supported().unwrap_err().to_string();
    assert!(err.contains("protocol 4 only"), "{err}");
    let options: crate::options::BrokerOptions =
        serde_json::from_value(json!({"serializer": "Thrift", "transit": {"protocolVersion": 4}}))
            .unwrap();
    options.check_supported().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_bytes_decode_or_fail_without_panic(
        ty in proptest::sample::select(&PacketType::ALL[..]),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        for serializer in schema_serializers() {
            let _ = serializer.deserialize(ty, &bytes);
        }
    }

    #[test]
    fn requests_and_responses_round_trip(mut req in request(), data in json(), meta in object()) {
        req.level = req.level.clamp(1, i32::MAX as u32);
        let mut res = Response::success(req.id.clone(), Some(Payload::json(data)));
        res.meta = meta;
        for packet in [Packet::Request(req), Packet::Response(res)] {
            for serializer in schema_serializers() {
                let bytes = serializer.serialize(&packet, ProtocolVersion::V4, "node-1").unwrap();
                let back = serializer.deserialize(packet.packet_type(), &bytes).unwrap();
                prop_assert_eq!(as_json(&back.packet), as_json(&packet), "{}", serializer.name());
                let again = serializer.serialize(&back.packet, ProtocolVersion::V4, "node-1").unwrap();
                prop_assert_eq!(again, bytes, "{}", serializer.name());
            }
        }
    }
}
