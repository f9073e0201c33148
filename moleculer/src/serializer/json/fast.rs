//! The common shape of the packets of a call (`REQ`, `RES`) decoded from JSON in one pass:
//! the fields matched as bytes, strings without escapes borrowed, payloads captured as text.
//!
//! Whatever is not that shape (an escaped string, a field twice, a number written another way,
//! anything invalid) returns `None` and goes to the serde decoder, which gives the same packet
//! or the precise error: this path only takes what it decodes the same way.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::payload::Payload;
use crate::protocol::{Envelope, Packet, PacketType, Request, Response};

/// The packet in `text`, if it is a `REQ` or `RES` of the common shape.
pub(super) fn decode(ty: PacketType, text: &str) -> Option<Envelope> {
    let mut scan = Scan { text, pos: 0 };
    let envelope = match ty {
        PacketType::Request => request(&mut scan)?,
        PacketType::Response => response(&mut scan)?,
        _ => return None,
    };
    scan.ws();
    (scan.pos == text.len()).then_some(envelope)
}

/// `ver` and `sender`, which every packet carries.
#[derive(Default)]
struct Common {
    ver: Option<Option<String>>,
    sender: Option<String>,
}

impl Common {
    /// Reads `key`'s value if it is `ver` or `sender`; `Some(false)` for another key.
    fn field(&mut self, key: &str, scan: &mut Scan<'_>) -> Option<bool> {
        match key {
            "ver" => set(&mut self.ver, scan.opt_str()?.map(str::to_owned))?,
            "sender" => set(&mut self.sender, scan.str()?.to_owned())?,
            _ => return Some(false),
        }
        Some(true)
    }

    fn envelope(self, packet: Packet) -> Option<Envelope> {
        Some(Envelope {
            ver: self.ver.flatten().unwrap_or_default(),
            sender: self.sender?,
            packet,
        })
    }
}

fn request(scan: &mut Scan<'_>) -> Option<Envelope> {
    let mut common = Common::default();
    let (mut id, mut action, mut params, mut meta, mut headers) = (None, None, None, None, None);
    let (mut timeout, mut level, mut tracing, mut parent_id) = (None, None, None, None);
    let (mut request_id, mut caller, mut stream, mut seq) = (None, None, None, None);
    scan.object(|key, scan| {
        match key {
            "id" => set(&mut id, scan.str()?.to_owned())?,
            "action" => set(&mut action, scan.str()?.to_owned())?,
            "params" => set(&mut params, Payload::from_raw(scan.raw()?.to_owned()))?,
            "meta" => set(&mut meta, scan.map()?)?,
            "headers" => set(&mut headers, scan.map()?)?,
            "timeout" => set(&mut timeout, scan.number()?.unwrap_or(0.0))?,
            "level" => set(
                &mut level,
                scan.opt_uint()?.map_or(Some(1), |n| n.try_into().ok())?,
            )?,
            "tracing" => set(&mut tracing, scan.opt_bool()?)?,
            "parentID" => set(&mut parent_id, scan.opt_str()?.map(str::to_owned))?,
            "requestID" => set(&mut request_id, scan.opt_str()?.map(str::to_owned))?,
            "caller" => set(&mut caller, scan.opt_str()?.map(str::to_owned))?,
            "stream" => set(&mut stream, scan.opt_bool()?.unwrap_or(false))?,
            "seq" => set(&mut seq, scan.opt_uint()?)?,
            _ if common.field(key, scan)? => {}
            _ => drop(scan.raw()?),
        }
        Some(())
    })?;
    let request = Request {
        id: id?,
        action: action?,
        params: params.unwrap_or_else(Payload::null),
        meta: meta.unwrap_or_default(),
        headers: headers.unwrap_or_default(),
        timeout: timeout.unwrap_or(0.0),
        level: level.unwrap_or(1),
        tracing: tracing.flatten(),
        parent_id: parent_id.flatten(),
        request_id: request_id.flatten(),
        caller: caller.flatten(),
        stream: stream.unwrap_or(false),
        seq: seq.flatten(),
    };
    common.envelope(Packet::Request(request))
}

fn response(scan: &mut Scan<'_>) -> Option<Envelope> {
    let mut common = Common::default();
    let (mut id, mut meta, mut headers, mut success, mut data) = (None, None, None, None, None);
    let (mut error, mut stream, mut seq) = (None, None, None);
    scan.object(|key, scan| {
        match key {
            "id" => set(&mut id, scan.str()?.to_owned())?,
            "meta" => set(&mut meta, scan.map()?)?,
            "headers" => set(&mut headers, scan.map()?)?,
            "success" => set(&mut success, scan.bool()?)?,
            "data" => set(&mut data, Payload::from_raw(scan.raw()?.to_owned()))?,
            "error" => set(&mut error, scan.error()?)?,
            "stream" => set(&mut stream, scan.opt_bool()?)?,
            "seq" => set(&mut seq, scan.opt_uint()?)?,
            _ if common.field(key, scan)? => {}
            _ => drop(scan.raw()?),
        }
        Some(())
    })?;
    let response = Response {
        id: id?,
        meta: meta.unwrap_or_default(),
        headers: headers.unwrap_or_default(),
        success: success?,
        data,
        error: error.flatten(),
        stream: stream.flatten(),
        seq: seq.flatten(),
    };
    common.envelope(Packet::Response(response))
}

/// Stores a field's value; `None` if the field came before (serde decides about twice).
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// A position in the packet's text.
struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// The members of an object, each key handed to `member` with the scan at its value.
    fn object(&mut self, mut member: impl FnMut(&'a str, &mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.str()?;
            self.eat(b':')?;
            member(key, self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string with no escapes in it.
    fn str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = &self.text.as_bytes()[self.pos..];
        let len = memchr::memchr(b'"', rest)?;
        if super::writer::needs_escape(&rest[..len]) {
            return None;
        }
        let s = self.text.get(self.pos..self.pos + len)?;
        self.pos += len + 1;
        Some(s)
    }

    fn literal(&mut self, word: &str) -> bool {
        self.ws();
        let found = self.text[self.pos..].starts_with(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        if self.literal("null") {
            Some(None)
        } else {
            self.str().map(Some)
        }
    }

    fn bool(&mut self) -> Option<bool> {
        if self.literal("true") {
            Some(true)
        } else if self.literal("false") {
            Some(false)
        } else {
            None
        }
    }

    fn opt_bool(&mut self) -> Option<Option<bool>> {
        if self.literal("null") {
            Some(None)
        } else {
            self.bool().map(Some)
        }
    }

    /// An integer written as plain digits, or `null`.
    fn opt_uint(&mut self) -> Option<Option<u64>> {
        if self.literal("null") {
            return Some(None);
        }
        let rest = &self.text.as_bytes()[self.pos..];
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        // No leading zero, fraction or exponent: serde reads those.
        let next = rest.get(len).copied().unwrap_or(b' ');
        if len == 0 || (len > 1 && rest[0] == b'0') || matches!(next, b'.' | b'e' | b'E') {
            return None;
        }
        let n = self.text[self.pos..self.pos + len].parse().ok()?;
        self.pos += len;
        Some(Some(n))
    }

    /// A number or `null`, read as serde reads it.
    fn number(&mut self) -> Option<Option<f64>> {
        match self.opt_uint() {
            Some(n) => Some(n.map(|n| n as f64)),
            None => serde_json::from_str(self.raw()?.get()).ok(),
        }
    }

    /// Any value, as its text (serde_json finds where it ends).
    fn raw(&mut self) -> Option<&'a RawValue> {
        self.ws();
        let rest = &self.text[self.pos..];
        let raw = <&RawValue>::deserialize(&mut serde_json::Deserializer::from_str(rest)).ok()?;
        self.pos += raw.get().as_ptr() as usize - rest.as_ptr() as usize + raw.get().len();
        Some(raw)
    }

    /// An object (`meta`, `headers`); `null` is an empty one.
    fn map(&mut self) -> Option<Map<String, Value>> {
        if self.literal("null") || self.literal("{}") {
            return Some(Map::new());
        }
        serde_json::from_str(self.raw()?.get()).ok()
    }

    /// `error`: any value, `null` for none.
    fn error(&mut self) -> Option<Option<Value>> {
        serde_json::from_str(self.raw()?.get()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde decoder's result for `text`.
    fn by_serde(ty: PacketType, text: &str) -> crate::Result<Envelope> {
        super::super::decode_from(ty, serde_json::Deserializer::from_str(text))
    }

    /// The fast path decodes `text` and agrees with serde.
    fn agrees(ty: PacketType, text: &str) {
        let fast = decode(ty, text).unwrap_or_else(|| panic!("not taken: {text}"));
        assert_eq!(fast, by_serde(ty, text).unwrap(), "{text}");
        // Payloads stay the very text received.
        match &fast.packet {
            Packet::Request(r) => {
                assert!(r.params.as_raw_json().is_some() || !text.contains("\"params\""))
            }
            Packet::Response(r) => {
                assert!(r.data.as_ref().is_none_or(|d| d.as_raw_json().is_some()))
            }
            _ => unreachable!(),
        }
    }

    /// The fast path leaves `text` to serde.
    fn left(ty: PacketType, text: &str) {
        assert!(decode(ty, text).is_none(), "taken: {text}");
    }

    /// The `REQ` and `RES` packets captured from Node nodes: (type, JSON text).
    fn nodes_packets() -> Vec<(PacketType, String)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");
        let mut packets = Vec::new();
        for dir in ["packets", "packets-v4", "packets/json-nobalancer"] {
            let Ok(entries) = std::fs::read_dir(std::path::Path::new(root).join(dir)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let ty = if name.starts_with("REQUEST") {
                    PacketType::Request
                } else if name.starts_with("RESPONSE") {
                    PacketType::Response
                } else {
                    continue;
                };
                let fixture: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                if let Some(raw) = fixture["raw"].as_str() {
                    packets.push((ty, raw.to_owned()));
                }
            }
        }
        assert!(packets.len() >= 10, "only {} fixtures", packets.len());
        packets
    }

    #[test]
    fn nodes_packets_agree_with_serde() {
        for (ty, raw) in nodes_packets() {
            agrees(ty, &raw);
        }
    }

    /// Node's packets cut short, with one byte deleted, or with one byte replaced by bytes
    /// that matter to JSON or UTF-8 (at every position): decoding never panics, and
    /// whatever the fast path takes, serde decodes to the same packet.
    #[test]
    fn damaged_packets_are_errors_or_agree_with_serde() {
        const BYTES: &[u8] = b"\"\\{],:0e \x00\xc3";
        let (mut taken, mut tried) = (0, 0);
        // A third of them (the directories hold much the same packets), the short ones.
        let packets = nodes_packets()
            .into_iter()
            .filter(|(_, raw)| raw.len() < 400);
        for (ty, raw) in packets.step_by(3) {
            let raw = raw.as_bytes();
            let mut variants: Vec<Vec<u8>> = Vec::new();
            for at in 0..raw.len() {
                variants.push(raw[..at].to_vec());
                let mut deleted = raw.to_vec();
                deleted.remove(at);
                variants.push(deleted);
                for &byte in BYTES {
                    let mut replaced = raw.to_vec();
                    replaced[at] = byte;
                    variants.push(replaced);
                }
            }
            for bytes in variants {
                tried += 1;
                let decoded = crate::serializer::Serializer::deserialize(
                    &super::super::JsonSerializer,
                    ty,
                    &bytes,
                );
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    assert!(decoded.is_err(), "not UTF-8, yet decoded: {bytes:?}");
                    continue;
                };
                if let Some(fast) = decode(ty, text) {
                    taken += 1;
                    assert_eq!(Ok(fast), by_serde(ty, text), "{text}");
                }
            }
        }
        // Many damaged packets are still valid (a digit for a digit, a space in a string).
        assert!(taken > 0 && tried > 10_000, "{taken} of {tried}");
    }

    #[test]
    fn the_common_shape_is_taken_and_agrees_with_serde() {
        use PacketType::{Request as Req, Response as Res};
        agrees(Req, r#"{"id":"1","action":"a.b","sender":"n"}"#);
        agrees(
            Req,
            r#" { "id" : "1" , "action":"a.b", "params": [1, {"x": "y\"z"}], "meta": {"m": {"n": 1}},
               "headers": null, "timeout": 1500.25, "level": 3, "tracing": true,
               "parentID": "p", "requestID": null, "caller": "svc", "stream": null, "seq": 2,
               "unknown": {"deep": [1, 2]}, "ver": null, "sender": "nöde ✓" } "#,
        );
        agrees(
            Req,
            r#"{"id":"1","action":"a","params":null,"timeout":1e3,"level":null,"ver":"4","sender":"n"}"#,
        );
        agrees(Req, r#"{"id":"1","action":"a","timeout":-5,"sender":"n"}"#);
        agrees(
            Req,
            r#"{"id":"1","action":"a","timeout":18446744073709551616,"sender":"n"}"#,
        );
        agrees(Res, r#"{"id":"1","success":true,"sender":"n"}"#);
        agrees(Res, r#"{"id":"1","success":true,"data":null,"sender":"n"}"#);
        agrees(
            Res,
            r#"{"id":"1","meta":{},"headers":{"h":1},"success":false,"data":null,"stream":false,"seq":0,"error":{"name":"E","message":"m\n"},"ver":"5","sender":"n"}"#,
        );
        agrees(
            Res,
            r#"{"id":"1","success":true,"error":null,"stream":null,"sender":"n"}"#,
        );
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        use PacketType::{Request as Req, Response as Res};
        // Escaped strings, repeated fields, other number forms, wrong types, missing fields,
        // bad JSON, trailing bytes, other packet types.
        left(Req, r#"{"id":"\u0031","action":"a","sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","sender":"n\"x"}"#);
        left(Req, r#"{"id":"1","id":"2","action":"a","sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","sender":"n","sender":"m"}"#);
        left(Req, r#"{"id":"1","action":"a","level":1.0,"sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","level":-1,"sender":"n"}"#);
        left(
            Req,
            r#"{"id":"1","action":"a","level":4294967296,"sender":"n"}"#,
        );
        left(Req, r#"{"id":"1","action":"a","seq":01,"sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","timeout":"5","sender":"n"}"#);
        left(Req, r#"{"id":1,"action":"a","sender":"n"}"#);
        left(Req, r#"{"action":"a","sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a"}"#);
        left(Req, r#"{"id":"1","action":"a","meta":[],"sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","stream":0,"sender":"n"}"#);
        left(Req, r#"{"id":"1","action":"a","sender":"n"} x"#);
        left(Req, r#"{"id":"1","action":"a","sender":"n",}"#);
        left(
            Req,
            r#"{"id":"1","action":"a","params":{"a":},"sender":"n"}"#,
        );
        left(Req, r#"["id"]"#);
        left(Req, "");
        left(Res, r#"{"id":"1","sender":"n"}"#);
        left(Res, r#"{"id":"1","success":null,"sender":"n"}"#);
        left(Res, r#"{"id":"1","success":truex,"sender":"n"}"#);
        left(PacketType::Event, r#"{"id":"1","event":"e","sender":"n"}"#);
        // What serde makes of them is tested with the decoder (`packet/tests.rs`); here, that
        // the left ones still decode or fail the same through `decode`.
        for text in [
            r#"{"id":"\u0031","action":"a","sender":"n"}"#,
            r#"{"id":"1","action":"a","level":1.0,"sender":"n"}"#,
        ] {
            assert_eq!(
                crate::serializer::Serializer::deserialize(
                    &super::super::JsonSerializer,
                    Req,
                    text.as_bytes()
                )
                .unwrap(),
                by_serde(Req, text).unwrap()
            );
        }
    }
}
