use serde_json::{Value, json};

use super::*;
use crate::ErrorKind;
use crate::payload::Payload;
use crate::protocol::*;

fn encode(packet: &Packet, version: ProtocolVersion, sender: &str) -> Result<Vec<u8>> {
    JsonSerializer.serialize(packet, version, sender)
}

fn decode(ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
    JsonSerializer.deserialize(ty, bytes)
}

fn text(packet: &Packet, version: ProtocolVersion, sender: &str) -> String {
    String::from_utf8(encode(packet, version, sender).expect("encode")).expect("utf-8")
}

fn decode_str(ty: PacketType, json: &str) -> Result<Envelope> {
    decode(ty, json.as_bytes())
}

fn invalid(ty: PacketType, json: &[u8]) -> Error {
    match decode(ty, json) {
        Ok(envelope) => panic!(
            "decoded {envelope:?} from {:?}",
            String::from_utf8_lossy(json)
        ),
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "{err:?}");
            err
        }
    }
}

#[test]
fn request_encoding_v4_and_v5() {
    let mut req = Request::new("c1", "math.add", json!({"a": 1}));
    req.meta.insert("m".into(), json!(1));
    req.headers.insert("h".into(), json!("x"));
    req.timeout = 1500.25;
    let packet = Packet::Request(req.clone());
    assert_eq!(
        text(&packet, ProtocolVersion::V5, "n1"),
        r#"{"id":"c1","action":"math.add","params":{"a":1},"meta":{"m":1},"headers":{"h":"x"},"timeout":1500.25,"level":1,"tracing":null,"parentID":null,"requestID":"c1","caller":null,"stream":false,"ver":"5","sender":"n1"}"#
    );
    req.timeout = 3000.0;
    req.stream = true;
    req.seq = Some(0);
    req.tracing = Some(true);
    assert_eq!(
        text(&Packet::Request(req), ProtocolVersion::V4, "n1"),
        r#"{"id":"c1","action":"math.add","params":{"a":1},"meta":{"m":1},"timeout":3000,"level":1,"tracing":true,"parentID":null,"requestID":"c1","caller":null,"stream":true,"seq":0,"ver":"4","sender":"n1"}"#
    );
}

#[test]
fn response_encoding() {
    let ok = Response::success("r1", Some(json!(3).into()));
    assert_eq!(
        text(&Packet::Response(ok), ProtocolVersion::V5, "a"),
        r#"{"id":"r1","meta":{},"headers":{},"success":true,"data":3,"ver":"5","sender":"a"}"#
    );
    // A handler that returned `undefined`: no `data` at all.
    let undefined = Response::success("r2", None);
    assert_eq!(
        text(&Packet::Response(undefined), ProtocolVersion::V4, "a"),
        r#"{"id":"r2","meta":{},"success":true,"ver":"4","sender":"a"}"#
    );
    let failed = Response::failure("r3", json!({"name": "MoleculerError"}));
    assert_eq!(
        text(&Packet::Response(failed.clone()), ProtocolVersion::V4, "a"),
        r#"{"id":"r3","meta":{},"success":false,"data":null,"error":{"name":"MoleculerError"},"ver":"4","sender":"a"}"#
    );
    // A response stream's error packet: `error` comes after `stream` and `seq`.
    let stream_error = Response {
        stream: Some(false),
        seq: Some(4),
        ..failed
    };
    assert_eq!(
        text(&Packet::Response(stream_error), ProtocolVersion::V5, "a"),
        r#"{"id":"r3","meta":{},"headers":{},"success":false,"data":null,"stream":false,"seq":4,"error":{"name":"MoleculerError"},"ver":"5","sender":"a"}"#
    );
}

#[test]
fn event_encoding_omits_groups_only_when_absent() {
    let mut event = Event::new("e1", "user.created", json!({"id": 1}));
    event.broadcast = true;
    assert_eq!(
        text(&Packet::Event(event.clone()), ProtocolVersion::V5, "b"),
        r#"{"id":"e1","event":"user.created","data":{"id":1},"broadcast":true,"meta":{},"headers":{},"level":1,"tracing":null,"parentID":null,"requestID":"e1","caller":null,"needAck":null,"ver":"5","sender":"b"}"#
    );
    event.groups = Some(vec!["users".into()]);
    event.broadcast = false;
    event.caller = Some("v2.users".into());
    assert_eq!(
        text(&Packet::Event(event), ProtocolVersion::V4, "b"),
        r#"{"id":"e1","event":"user.created","data":{"id":1},"groups":["users"],"broadcast":false,"meta":{},"level":1,"tracing":null,"parentID":null,"requestID":"e1","caller":"v2.users","needAck":null,"ver":"4","sender":"b"}"#
    );
}

#[test]
fn small_packets_encoding() {
    let v5 = ProtocolVersion::V5;
    assert_eq!(
        text(&Packet::Disconnect(Disconnect), v5, "a"),
        r#"{"ver":"5","sender":"a"}"#
    );
    assert_eq!(
        text(&Packet::Heartbeat(Heartbeat { cpu: 12.5 }), v5, "a"),
        r#"{"cpu":12.5,"ver":"5","sender":"a"}"#
    );
    assert_eq!(
        text(&Packet::Heartbeat(Heartbeat { cpu: f64::NAN }), v5, "a"),
        r#"{"cpu":null,"ver":"5","sender":"a"}"#
    );
    let ping = Ping {
        time: 1_795_528_161_367,
        id: "p".into(),
    };
    assert_eq!(
        text(&Packet::Ping(ping), v5, "a"),
        r#"{"time":1795528161367,"id":"p","ver":"5","sender":"a"}"#
    );
    let pong = Pong {
        time: 1,
        id: "p".into(),
        arrived: 2,
    };
    assert_eq!(
        text(&Packet::Pong(pong), v5, "a"),
        r#"{"time":1,"id":"p","arrived":2,"ver":"5","sender":"a"}"#
    );
    let hello = GossipHello {
        host: "127.0.0.1".into(),
        port: 6101,
    };
    assert_eq!(
        text(&Packet::GossipHello(hello), v5, "a"),
        r#"{"host":"127.0.0.1","port":6101,"ver":"5","sender":"a"}"#
    );
    let gossip = GossipReq {
        online: json!({"a": [4, 1, 100]}).as_object().cloned(),
        offline: None,
    };
    assert_eq!(
        text(&Packet::GossipReq(gossip), v5, "a"),
        r#"{"online":{"a":[4,1,100]},"ver":"5","sender":"a"}"#
    );
}

#[test]
fn info_encoding() {
    let info = Info {
        services: vec![json!({"name": "math", "fullName": "math", "actions": {}})],
        ip_list: vec!["10.0.0.1".into()],
        hostname: "box".into(),
        client: ClientInfo {
            kind: "rust".into(),
            version: "0.1.0".into(),
            lang_version: "1.95".into(),
        },
        config: json!({}),
        instance_id: "i-1".into(),
        metadata: json!({"region": "eu"}),
        seq: 2,
        port: None,
    };
    assert_eq!(
        text(&Packet::Info(info.clone()), ProtocolVersion::V5, "n"),
        r#"{"services":[{"name":"math","fullName":"math","actions":{}}],"ipList":["10.0.0.1"],"hostname":"box","client":{"type":"rust","version":"0.1.0","langVersion":"1.95"},"config":{},"instanceID":"i-1","metadata":{"region":"eu"},"seq":2,"ver":"5","sender":"n"}"#
    );
    let bytes = encode(&Packet::Info(info.clone()), ProtocolVersion::V5, "n").expect("encode");
    let back = decode(PacketType::Info, &bytes).expect("decode");
    assert_eq!(back.packet, Packet::Info(info));
}

#[test]
fn decoding_is_liberal() {
    // Absent and null optional fields, fractional timeout, unknown fields, integral floats.
    let envelope = decode_str(
        PacketType::Request,
        r#"{"id":"1","action":"a.b","timeout":12.5,"tracing":null,"meta":null,"headers":null,
            "level":2.0,"seq":3.0,"stream":null,"paramsType":2,"extra":{"x":[1]},"ver":"5","sender":"n"}"#,
    )
    .expect("decode");
    let Packet::Request(req) = envelope.packet else {
        panic!("not a request")
    };
    assert_eq!(req.timeout, 12.5);
    assert_eq!(req.level, 2);
    assert_eq!(req.seq, Some(3));
    assert_eq!(req.tracing, None);
    assert!(!req.stream);
    assert!(req.meta.is_empty() && req.headers.is_empty());
    assert_eq!(req.params, Payload::null());
    assert_eq!(req.request_id, None);

    // Level defaults to 1; a missing `ver` is empty (and fails the version check).
    let envelope =
        decode_str(PacketType::Event, r#"{"id":"e","event":"x","sender":"n"}"#).expect("decode");
    assert_eq!(envelope.ver, "");
    let Packet::Event(event) = &envelope.packet else {
        panic!("not an event")
    };
    assert_eq!((event.level, event.groups.as_ref()), (1, None));
    assert!(envelope.check_version(ProtocolVersion::V5, false).is_err());

    let hb = decode_str(
        PacketType::Heartbeat,
        r#"{"cpu":42.75,"ver":"4","sender":"n"}"#,
    )
    .expect("decode");
    assert_eq!(hb.packet, Packet::Heartbeat(Heartbeat { cpu: 42.75 }));
    let hb = decode_str(
        PacketType::Heartbeat,
        r#"{"cpu":null,"ver":"4","sender":"n"}"#,
    )
    .expect("decode");
    assert_eq!(hb.packet, Packet::Heartbeat(Heartbeat { cpu: 0.0 }));

    // `ver`/`sender` may come anywhere; whitespace around the object is fine.
    let d = decode_str(
        PacketType::Discover,
        r#" {"sender":"x","ver":"5","foo":1} "#,
    )
    .expect("decode");
    assert_eq!((d.ver.as_str(), d.sender.as_str()), ("5", "x"));

    // msgpack5 sends big integers as float64: accepted when integral.
    let ping = decode_str(
        PacketType::Ping,
        r#"{"time":1795528161367.0,"id":"p","ver":"5","sender":"n"}"#,
    )
    .expect("decode");
    assert_eq!(
        ping.packet,
        Packet::Ping(Ping {
            time: 1_795_528_161_367,
            id: "p".into()
        })
    );
}

#[test]
fn response_data_keeps_null_apart_from_absent() {
    let absent = decode_str(
        PacketType::Response,
        r#"{"id":"1","success":true,"ver":"5","sender":"n"}"#,
    )
    .expect("decode");
    let null = decode_str(
        PacketType::Response,
        r#"{"id":"1","success":true,"data":null,"ver":"5","sender":"n"}"#,
    )
    .expect("decode");
    match (absent.packet, null.packet) {
        (Packet::Response(a), Packet::Response(n)) => {
            assert_eq!(a.data, None);
            assert_eq!(n.data, Some(Payload::null()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_packets_are_errors() {
    use PacketType as T;
    let err = invalid(T::Request, br#"{"id":"1","action":"a.b","ver":"5","#);
    assert_eq!(err.data().and_then(|d| d.get("type")), Some(&json!("REQ")));
    invalid(T::Request, br#"{"action":"a.b","ver":"5","sender":"n"}"#);
    invalid(
        T::Request,
        br#"{"id":1,"action":"a.b","ver":"5","sender":"n"}"#,
    );
    invalid(T::Request, br#"{"id":"1","ver":"5","sender":"n"}"#);
    invalid(T::Request, br#"{"id":"1","action":"a","ver":"5"}"#);
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","ver":5,"sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","timeout":"5","sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","level":-1,"sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","level":1.5,"sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","meta":[],"sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","tracing":"yes","sender":"n"}"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","action":"a","sender":"n"} trailing"#,
    );
    invalid(
        T::Request,
        br#"{"id":"1","id":"2","action":"a","sender":"n"}"#,
    );
    invalid(T::Response, br#"{"id":"1","sender":"n"}"#);
    invalid(
        T::Event,
        br#"{"id":"1","event":"e","groups":"g","sender":"n"}"#,
    );
    invalid(T::Ping, br#"{"time":1e400,"id":"p","sender":"n"}"#);
    invalid(T::Ping, br#"{"time":1e300,"id":"p","sender":"n"}"#);
    invalid(
        T::Ping,
        br#"{"time":99999999999999999999,"id":"p","sender":"n"}"#,
    );
    invalid(T::GossipHello, br#"{"host":"h","port":70000,"sender":"n"}"#);
    invalid(T::Info, br#"{"services":{},"sender":"n"}"#);
    invalid(T::Discover, b"[]");
    invalid(T::Discover, b"\"DISCOVER\"");
    invalid(T::Discover, b"");
    invalid(T::Discover, b"\xff\xfe");
    invalid(T::Discover, b"{\"sender\":\"\xc3\x28\"}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let depth = 10_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // In the meta: the packet does not decode.
    let json = format!(r#"{{"id":"1","action":"a","meta":{{"m":{nested}}},"sender":"n"}}"#);
    let err = invalid(PacketType::Request, json.as_bytes());
    assert!(
        err.message().contains("recursion limit"),
        "{}",
        err.message()
    );
    // In the params, kept as text: the packet decodes (so the caller can be answered) and
    // the params fail when they are parsed.
    let json = format!(r#"{{"id":"1","action":"a","params":{nested},"sender":"n"}}"#);
    let Packet::Request(req) = decode_str(PacketType::Request, &json)
        .expect("decode")
        .packet
    else {
        panic!("not a request")
    };
    let err = req.params.to_json().expect_err("too deep to parse");
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn params_and_data_stay_text_until_parsed() {
    let json = r#"{"id":"1","action":"a","params":{"b":[1,2.50,"x\u0041"],"a":{}},"sender":"n"}"#;
    let Packet::Request(req) = decode_str(PacketType::Request, json)
        .expect("decode")
        .packet
    else {
        panic!("not a request")
    };
    // As it came, to the byte, and written back the same way.
    assert_eq!(
        req.params.as_raw_json(),
        Some(r#"{"b":[1,2.50,"x\u0041"],"a":{}}"#)
    );
    assert_eq!(
        req.params.to_json().unwrap(),
        json!({"b": [1, 2.5, "xA"], "a": {}})
    );
    let again = text(&Packet::Request(req), ProtocolVersion::V5, "n");
    assert!(
        again.contains(r#""params":{"b":[1,2.50,"x\u0041"],"a":{}},"#),
        "{again}"
    );
    // Bad text inside the params is still a bad packet.
    invalid(
        PacketType::Request,
        br#"{"id":"1","action":"a","params":{"a":tru},"sender":"n"}"#,
    );
    // A response's data, and `null`.
    let Packet::Response(res) = decode_str(
        PacketType::Response,
        r#"{"id":"1","success":true,"data":{"x":[true]},"sender":"n"}"#,
    )
    .expect("decode")
    .packet
    else {
        panic!("not a response")
    };
    assert_eq!(
        res.data.unwrap().into_typed::<Value>().unwrap(),
        json!({"x": [true]})
    );
    // Outside the codec (any serde format), a payload is a plain value.
    let req: Request = serde_json::from_value(json!({"id": "1", "action": "a", "params": [1]}))
        .expect("from a value");
    assert_eq!(req.params.as_raw_json(), None);
    assert_eq!(req.params.as_json(), Some(&json!([1])));
    let raw = Payload::from_json_text(r#"{"a":1}"#).unwrap();
    assert_eq!(serde_json::to_value(&raw).unwrap(), json!({"a": 1}));
    assert_eq!(raw, Payload::json(json!({"a": 1})));
}

#[test]
fn defaults_and_conversions() {
    let info = Info::default();
    assert_eq!(info.client.kind, "rust");
    assert_eq!(info.client.lang_version, crate::RUST_VERSION);
    let packet = Packet::from(info);
    assert_eq!(packet.packet_type(), PacketType::Info);
    let bytes = encode(&packet, ProtocolVersion::V5, "n").expect("encode");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(
        text.starts_with(r#"{"services":[],"ipList":[],"hostname":"","client":{"type":"rust","#),
        "{text}"
    );
    assert!(
        text.ends_with(
            r#""config":{},"instanceID":"","metadata":{},"seq":1,"ver":"5","sender":"n"}"#
        ),
        "{text}"
    );
    assert_eq!(
        decode(PacketType::Info, &bytes).expect("decode").packet,
        packet
    );
    assert_eq!(Packet::from(Discover).packet_type(), PacketType::Discover);
    assert_eq!(
        Packet::from(GossipRes::default()).packet_type(),
        PacketType::GossipRes
    );
}

#[test]
fn version_check() {
    let v5 = decode_str(PacketType::Discover, r#"{"ver":"5","sender":"node-b"}"#).expect("ok");
    assert!(v5.check_version(ProtocolVersion::V5, false).is_ok());
    assert!(v5.check_version(ProtocolVersion::V4, true).is_ok());
    let err = v5
        .check_version(ProtocolVersion::V4, false)
        .expect_err("mismatch");
    assert_eq!(err.kind(), ErrorKind::ProtocolVersionMismatch);
    assert_eq!(
        err.data(),
        Some(&json!({"nodeID": "node-b", "actual": "4", "received": "5"}))
    );
}

#[test]
fn the_json_writer_writes_what_serde_json_writes() {
    // Strings with and without escapes, in every string field, across block boundaries.
    let strings = [
        "",
        "plain-id-0123456789abcdef",
        "quote \" inside a string longer than one block",
        "back\\slash",
        "tab\there",
        "0123456789abcde\n",
        "ünïcødé ✓ \u{7f}",
        "\u{1}",
    ];
    for (i, s) in strings.iter().enumerate() {
        let other = strings[(i + 1) % strings.len()];
        let mut req = Request::new(*s, other, json!({"k": s}));
        req.parent_id = Some(other.to_owned());
        req.caller = (i % 2 == 0).then(|| s.to_string());
        let mut event = Event::new(other, *s, json!([s]));
        event.request_id = Some(s.to_string());
        let mut res = Response::success(*s, Some(Payload::from(json!(s))));
        res.meta.insert(s.to_string(), json!(other));
        let ping = Packet::Ping(Ping {
            time: 5,
            id: s.to_string(),
        });
        for packet in [
            Packet::Request(req),
            Packet::Event(event),
            Packet::Response(res),
            ping,
        ] {
            for version in [ProtocolVersion::V4, ProtocolVersion::V5] {
                let wire = crate::protocol::packet::ser::WirePacket {
                    packet: &packet,
                    version,
                    sender: other,
                };
                let expected = serde_json::to_vec(&wire).unwrap();
                let written = encode(&packet, version, other).unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
    }
}

/// Every packet captured from Node (one of each kind), damaged at many positions (cut short,
/// or a byte replaced by one that matters to JSON or UTF-8): decoding gives a packet or an
/// `InvalidPacketDataError`, never a panic, and what decodes encodes again.
#[test]
fn damaged_packets_of_every_type_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/packets");
    let mut tried = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.unwrap().path();
        // (The stream captures are several packets, one per line: not these.)
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(fixture) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let (Some(cmd), Some(raw)) = (fixture["cmd"].as_str(), fixture["raw"].as_str()) else {
            continue;
        };
        let Some(ty) = PacketType::from_name(cmd) else {
            continue;
        };
        let raw = raw.as_bytes();
        // Every position of short packets, about 100 of long ones (INFO).
        let step = (raw.len() / 100).max(1);
        for at in (0..raw.len()).step_by(step) {
            let mut variants = vec![raw[..at].to_vec()];
            for byte in [b'"', b'\\', b'{', b']', b'0', b'n', 0xc3] {
                let mut replaced = raw.to_vec();
                replaced[at] = byte;
                variants.push(replaced);
            }
            for bytes in variants {
                tried += 1;
                match decode(ty, &bytes) {
                    Ok(envelope) => {
                        encode(&envelope.packet, ProtocolVersion::V5, "n").ok();
                    }
                    Err(err) => assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "{err:?}"),
                }
            }
        }
    }
    assert!(tried > 5_000, "only {tried} damaged packets");
}
