//! Wire protocol against the golden packets captured from real Node nodes
//! (`shared/fixtures`): every packet decodes, re-encodes to the same bytes (so the same
//! fields, values and key order), and its topic rebuilds from the decoded packet. Plus
//! malformed input, which must be an `InvalidPacketData` error and never a panic.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Envelope, Packet, PacketType, TopicTarget, Topics, buffer_from_json};
use crate::ErrorKind;
use crate::options::ProtocolVersion;
use crate::serializer::{JsonSerializer, Serializer};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(FIXTURES);
    assert!(
        dir.join("packets").is_dir(),
        "protocol fixtures not found at {}: check out the `shared/` folder beside the \
         repository root (it holds fixtures/packets, fixtures/packets-v4, …)",
        dir.display()
    );
    dir
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The `*.json` files of a folder, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn version_of(payload: &Value) -> ProtocolVersion {
    match payload["ver"].as_str() {
        Some("4") => ProtocolVersion::V4,
        Some("5") => ProtocolVersion::V5,
        other => panic!("fixture with ver {other:?}"),
    }
}

/// Same values and, for every object at any depth, the same keys in the same order.
fn assert_same_shape(path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let ek: Vec<&String> = e.keys().collect();
            let ak: Vec<&String> = a.keys().collect();
            assert_eq!(ek, ak, "key order differs at {path}");
            for (k, v) in e {
                assert_same_shape(&format!("{path}.{k}"), v, &a[k]);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "array length differs at {path}");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_same_shape(&format!("{path}[{i}]"), ev, av);
            }
        }
        _ => assert_eq!(expected, actual, "value differs at {path}"),
    }
}

/// Whether a Node transporter wrote the packet: it appends `ver` and `sender` last.
fn written_by_node(payload: &Value) -> bool {
    let keys: Vec<&String> = payload.as_object().expect("object").keys().collect();
    keys.ends_with(&[&"ver".to_owned(), &"sender".to_owned()])
}

/// Decodes `wire` as `ty`, re-encodes it with the same version and sender, and checks the
/// result against the original bytes and value. Returns the decoded envelope.
fn round_trip(what: &str, ty: PacketType, wire: &[u8], payload: &Value) -> Envelope {
    let envelope = JsonSerializer
        .deserialize(ty, wire)
        .unwrap_or_else(|err| panic!("{what}: decode failed: {err:?}"));
    assert_eq!(envelope.packet.packet_type(), ty, "{what}");
    assert_eq!(Some(envelope.sender.as_str()), payload["sender"].as_str());
    let version = version_of(payload);
    envelope
        .check_version(version, false)
        .unwrap_or_else(|err| panic!("{what}: {err:?}"));

    let encoded = JsonSerializer
        .serialize(&envelope.packet, version, &envelope.sender)
        .expect("encode");
    let value: Value = serde_json::from_slice(&encoded).expect("encoded JSON parses");
    if !written_by_node(payload) {
        // Hand-made by the capture harness (the `ghost-node` HEARTBEAT): same values, but
        // ours comes in Node's order.
        assert_eq!(&value, payload, "{what}");
        return envelope;
    }
    assert_same_shape(what, payload, &value);
    assert_eq!(
        String::from_utf8_lossy(&encoded),
        String::from_utf8_lossy(wire),
        "{what}: bytes differ"
    );
    envelope
}

/// The topic Node would publish the decoded packet to.
fn rebuilt_topic(topics: &Topics, subject: &str, packet: &Packet) -> String {
    let topic = topics
        .parse(subject)
        .unwrap_or_else(|| panic!("cannot parse topic {subject}"));
    assert_eq!(topic.packet_type, packet.packet_type(), "{subject}");
    match topic.target {
        TopicTarget::Node(node) => topics.for_packet(packet, Some(node)),
        TopicTarget::Broadcast | TopicTarget::Action(_) | TopicTarget::Group { .. } => {
            topics.for_packet(packet, None)
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    v4: usize,
    v5: usize,
    files: usize,
}

impl Tally {
    fn count(&mut self, payload: &Value) {
        match version_of(payload) {
            ProtocolVersion::V4 => self.v4 += 1,
            ProtocolVersion::V5 => self.v5 += 1,
        }
    }
}

/// One NATS fixture folder: every file (single packet or `packets: [...]`) and the
/// transcript.
fn nats_folder(dir: &Path, tally: &mut Tally) {
    let files = json_files(dir);
    assert!(
        files.len() >= 26,
        "{}: only {} fixtures",
        dir.display(),
        files.len()
    );
    for file in files {
        tally.files += 1;
        let fixture = read_json(&file);
        let packets = match fixture.get("packets") {
            Some(Value::Array(list)) => list.clone(),
            _ => vec![fixture.clone()],
        };
        assert!(!packets.is_empty(), "{}", file.display());
        for (i, p) in packets.iter().enumerate() {
            let what = format!("{}#{i}", file.display());
            let subject = p["subject"].as_str().expect("subject");
            let namespace = p["namespace"].as_str().unwrap_or("");
            let topics = Topics::new(namespace);
            let ty = topics
                .parse(subject)
                .unwrap_or_else(|| panic!("{what}: bad subject {subject}"))
                .packet_type;
            let raw = p["raw"].as_str().expect("raw");
            let envelope = round_trip(&what, ty, raw.as_bytes(), &p["payload"]);
            assert_eq!(
                rebuilt_topic(&topics, subject, &envelope.packet),
                subject,
                "{what}"
            );
            tally.count(&p["payload"]);
        }
    }

    let transcript = dir.join("transcript.jsonl");
    let text = fs::read_to_string(&transcript).expect("transcript.jsonl");
    let topics = Topics::new("");
    let mut lines = 0;
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let entry: Value = serde_json::from_str(line).expect("transcript line");
        let what = format!("{}:{}", transcript.display(), n + 1);
        let subject = entry["subject"].as_str().expect("subject");
        let ty = topics.parse(subject).expect("subject").packet_type;
        let wire = serde_json::to_vec(&entry["payload"]).expect("payload");
        let envelope = round_trip(&what, ty, &wire, &entry["payload"]);
        assert_eq!(
            rebuilt_topic(&topics, subject, &envelope.packet),
            subject,
            "{what}"
        );
        tally.count(&entry["payload"]);
        lines += 1;
    }
    assert!(lines > 40, "{}: only {lines} packets", transcript.display());
}

#[test]
fn golden_nats_packets_round_trip() {
    let root = fixtures();
    let mut tally = Tally::default();
    nats_folder(&root.join("packets"), &mut tally);
    nats_folder(&root.join("packets-v4"), &mut tally);
    nats_folder(&root.join("packets/json-nobalancer"), &mut tally);
    assert_eq!(tally.files, 78, "{tally:?}");
    assert!(tally.v4 >= 80 && tally.v5 >= 160, "{tally:?}");
}

/// The TCP captures carry GOSSIP_* packets, which never travel over NATS.
#[test]
fn golden_tcp_bodies_round_trip() {
    let root = fixtures().join("packets-tcp");
    let mut frames = 0;
    let mut gossip = 0;
    for version in ["0.14.35", "0.15.2"] {
        let dir = root.join(version);
        for file in json_files(&dir) {
            let frame = read_json(&file);
            let (Some(id), Some(raw)) = (frame["type_id"].as_u64(), frame["body_raw"].as_str())
            else {
                continue; // summary.json, UDP-DISCOVERY.json
            };
            let ty = u8::try_from(id)
                .ok()
                .and_then(PacketType::from_tcp_id)
                .unwrap_or_else(|| panic!("{}: type id {id}", file.display()));
            assert_eq!(frame["type"].as_str(), Some(ty.as_str()));
            round_trip(
                &file.display().to_string(),
                ty,
                raw.as_bytes(),
                &frame["body"],
            );
            frames += 1;
            gossip += usize::from(ty.as_str().starts_with("GOSSIP"));
        }
        let transcript = fs::read_to_string(dir.join("transcript.jsonl")).expect("transcript");
        for line in transcript.lines().filter(|l| !l.trim().is_empty()) {
            let entry: Value = serde_json::from_str(line).expect("transcript line");
            let Some(id) = entry["type_id"].as_u64() else {
                continue; // UDP datagrams
            };
            let ty = u8::try_from(id)
                .ok()
                .and_then(PacketType::from_tcp_id)
                .expect("type");
            let wire = serde_json::to_vec(&entry["body"]).expect("body");
            round_trip(
                &format!("{version} transcript #{}", entry["i"]),
                ty,
                &wire,
                &entry["body"],
            );
            frames += 1;
        }
    }
    assert!(
        frames >= 40 && gossip >= 8,
        "frames {frames}, gossip {gossip}"
    );
}

#[test]
fn v5_packets_reencode_as_v4_without_headers() {
    let root = fixtures();
    for name in ["REQUEST.json", "RESPONSE-error.json", "EVENT-balanced.json"] {
        let v5 = read_json(&root.join("packets").join(name));
        let v4 = read_json(&root.join("packets-v4").join(name));
        let ty = Topics::new("")
            .parse(v5["subject"].as_str().expect("subject"))
            .expect("topic")
            .packet_type;
        let envelope = JsonSerializer
            .deserialize(ty, v5["raw"].as_str().expect("raw").as_bytes())
            .expect("decode");

        // A 0.14 node refuses it unless the version check is off.
        let err = envelope
            .check_version(ProtocolVersion::V4, false)
            .expect_err("version mismatch");
        assert_eq!(err.kind(), ErrorKind::ProtocolVersionMismatch);
        assert_eq!(
            err.data(),
            Some(&json!({"nodeID": envelope.sender, "actual": "4", "received": "5"}))
        );
        envelope
            .check_version(ProtocolVersion::V4, true)
            .expect("disableVersionCheck");

        let encoded = JsonSerializer
            .serialize(&envelope.packet, ProtocolVersion::V4, &envelope.sender)
            .expect("encode");
        let value: Value = serde_json::from_slice(&encoded).expect("json");
        let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        let v4_keys: Vec<&String> = v4["payload"].as_object().expect("object").keys().collect();
        assert_eq!(keys, v4_keys, "{name}");
        assert_eq!(value["ver"], "4");
    }
}

#[test]
fn stream_chunks_are_node_buffers() {
    let fixture = read_json(&fixtures().join("packets/REQUEST-stream.json"));
    let mut chunks = Vec::new();
    for p in fixture["packets"].as_array().expect("packets") {
        let raw = p["raw"].as_str().expect("raw");
        let Packet::Request(req) = JsonSerializer
            .deserialize(PacketType::Request, raw.as_bytes())
            .expect("decode")
            .packet
        else {
            panic!("not a request")
        };
        let params = req.params.to_json().expect("params");
        match req.seq {
            Some(0) => assert!(req.stream && buffer_from_json(&params).is_none()),
            Some(_) if req.stream => chunks.extend(buffer_from_json(&params).expect("chunk")),
            _ => assert!(params.is_null()),
        }
    }
    assert_eq!(String::from_utf8(chunks).expect("utf-8"), "hello stream");
}

// ------------------------------------------------------------------------------------------
// Malformed input: always an InvalidPacketData error.

fn assert_invalid(ty: PacketType, bytes: &[u8]) {
    match JsonSerializer.deserialize(ty, bytes) {
        Ok(envelope) => panic!(
            "decoded {envelope:?} from {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ),
        Err(err) => assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "{err:?}"),
    }
}

#[test]
fn every_truncation_of_a_packet_is_invalid() {
    let root = fixtures();
    for (name, ty) in [
        ("REQUEST-meta.json", PacketType::Request),
        ("RESPONSE-error.json", PacketType::Response),
        ("EVENT-balanced.json", PacketType::Event),
        ("PONG.json", PacketType::Pong),
    ] {
        let fixture = read_json(&root.join("packets").join(name));
        let raw = fixture["raw"].as_str().expect("raw").as_bytes();
        for len in 0..raw.len() {
            assert_invalid(ty, &raw[..len]);
        }
    }
}

#[test]
fn wrong_types_and_missing_fields_are_invalid() {
    use PacketType as T;
    let base = json!({
        "id": "1", "action": "math.add", "params": {}, "meta": {}, "headers": {},
        "timeout": 0, "level": 1, "tracing": null, "parentID": null, "requestID": "1",
        "caller": null, "stream": false, "ver": "5", "sender": "n"
    });
    let with = |key: &str, value: Option<Value>| {
        let mut packet = base.clone();
        let map = packet.as_object_mut().expect("object");
        match value {
            Some(v) => map.insert(key.to_owned(), v),
            None => map.shift_remove(key),
        };
        serde_json::to_vec(&packet).expect("json")
    };
    JsonSerializer
        .deserialize(T::Request, &with("extra", Some(json!(1))))
        .expect("the base is valid");
    for (key, value) in [
        ("id", None),
        ("id", Some(json!(null))),
        ("id", Some(json!(42))),
        ("id", Some(json!(["1"]))),
        ("action", None),
        ("action", Some(json!({}))),
        ("sender", None),
        ("sender", Some(json!(7))),
        ("ver", Some(json!(5))),
        ("meta", Some(json!("m"))),
        ("headers", Some(json!([1]))),
        ("timeout", Some(json!("10"))),
        ("level", Some(json!(true))),
        ("level", Some(json!(4_294_967_296u64))),
        ("tracing", Some(json!(1))),
        ("parentID", Some(json!(1))),
        ("stream", Some(json!("false"))),
        ("seq", Some(json!(-1))),
        ("seq", Some(json!(0.5))),
    ] {
        let bytes = with(key, value.clone());
        match JsonSerializer.deserialize(T::Request, &bytes) {
            Ok(_) => panic!("{key} = {value:?} was accepted"),
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::InvalidPacketData, "{key}");
                assert_eq!(err.data().and_then(|d| d.get("type")), Some(&json!("REQ")));
            }
        }
    }
    assert_invalid(T::Response, br#"{"id":"1","success":"yes","sender":"n"}"#);
    assert_invalid(T::Event, br#"{"event":"e","sender":"n"}"#);
    assert_invalid(T::Ping, br#"{"time":1,"sender":"n"}"#);
    assert_invalid(T::Info, br#"{"ipList":"127.0.0.1","sender":"n"}"#);
    assert_invalid(T::GossipReq, br#"{"online":[1],"sender":"n"}"#);
}

#[test]
fn huge_numbers_are_invalid_where_integers_are_expected() {
    use PacketType as T;
    for time in [
        "1e400",
        "-1e400",
        "1e19",
        "99999999999999999999999",
        "18446744073709551616",
    ] {
        let json = format!(r#"{{"time":{time},"id":"p","ver":"5","sender":"n"}}"#);
        assert_invalid(T::Ping, json.as_bytes());
    }
    assert_invalid(T::GossipHello, br#"{"host":"h","port":65536,"sender":"n"}"#);
    assert_invalid(T::Info, br#"{"seq":-1,"sender":"n"}"#);
    // Huge numbers inside payload values are just numbers.
    let ok = JsonSerializer
        .deserialize(
            T::Event,
            br#"{"id":"1","event":"e","data":[1e300,99999999999999999999999,-0.0],"sender":"n"}"#,
        )
        .expect("payload numbers");
    let Packet::Event(event) = ok.packet else {
        panic!("not an event")
    };
    assert_eq!(event.data.to_json().expect("parses")[0], json!(1e300));
    // ...but one beyond f64 does not parse: the data stays text until a handler needs it,
    // which then gets the error.
    let ok = JsonSerializer
        .deserialize(
            T::Event,
            br#"{"id":"1","event":"e","data":1e400,"sender":"n"}"#,
        )
        .expect("kept as text");
    let Packet::Event(event) = ok.packet else {
        panic!("not an event")
    };
    let err = event.data.to_json().expect_err("beyond f64");
    assert!(err.to_string().contains("number out of range"), "{err}");
    // A huge fractional timeout is fine.
    JsonSerializer
        .deserialize(
            T::Request,
            br#"{"id":"1","action":"a","timeout":1.7e308,"sender":"n"}"#,
        )
        .expect("timeout");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let deep_array = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    for deep in [&deep_array, &deep_object] {
        for field in ["meta", "headers", "error"] {
            let json =
                format!(r#"{{"id":"1","action":"a","{field}":{deep},"ver":"5","sender":"n"}}"#);
            let ty = if field == "error" {
                PacketType::Response
            } else {
                PacketType::Request
            };
            assert_invalid(ty, json.as_bytes());
        }
        // An unknown field is skipped without recursion (serde_json's `ignore_value` keeps
        // its own stack), so it is accepted, not a crash.
        let json = format!(r#"{{"id":"1","action":"a","unknownField":{deep},"sender":"n"}}"#);
        JsonSerializer
            .deserialize(PacketType::Request, json.as_bytes())
            .expect("ignored deep field");
        // Params are kept as text the same way: the packet decodes (its caller can be
        // answered) and parsing the params is the error.
        let json = format!(r#"{{"id":"1","action":"a","params":{deep},"sender":"n"}}"#);
        let Packet::Request(req) = JsonSerializer
            .deserialize(PacketType::Request, json.as_bytes())
            .expect("params kept as text")
            .packet
        else {
            panic!("not a request")
        };
        let err = req.params.to_json().expect_err("too deep");
        assert!(err.to_string().contains("recursion limit"), "{err}");
        assert_invalid(PacketType::Discover, deep.as_bytes());
        let json = format!(r#"{{"services":[{deep}],"sender":"n"}}"#);
        assert_invalid(PacketType::Info, json.as_bytes());
    }
    // Up to serde_json's limit (128 levels in all) nesting is fine.
    let ok = format!(
        r#"{{"id":"1","action":"a","params":{}{},"sender":"n"}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    JsonSerializer
        .deserialize(PacketType::Request, ok.as_bytes())
        .expect("100 levels");
}

#[test]
fn non_utf8_and_non_json_are_invalid() {
    for bytes in [
        &b"\xff\xfe\xfd"[..],
        b"{\"id\":\"\xc3\x28\",\"action\":\"a\",\"sender\":\"n\"}",
        b"{\"id\":\"1\",\"action\":\"a\",\"sender\":\"n\xed\xa0\x80\"}",
        b"\x82\xa2id\xa11",
        b"",
        b"   ",
        b"null",
        b"[]",
        b"{\"id\":\"1\",\"action\":\"a\",\"sender\":\"n\"}{}",
        b"{'id':'1'}",
    ] {
        assert_invalid(PacketType::Request, bytes);
    }
    // A lone surrogate inside the params (kept as text) fails when they are parsed.
    let Packet::Request(req) = JsonSerializer
        .deserialize(
            PacketType::Request,
            b"{\"id\":\"1\",\"action\":\"a\",\"params\":\"\\ud800\",\"sender\":\"n\"}",
        )
        .expect("params kept as text")
        .packet
    else {
        panic!("not a request")
    };
    let err = req.params.to_json().expect_err("lone surrogate");
    assert!(err.to_string().contains("escape"), "{err}");
}
