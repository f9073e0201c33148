//! Encoding exactly as Node's transit builds each payload: the same fields, in the same
//! order, then `ver` and `sender` appended by the transporter (`base.js` `serialize`).
//!
//! The packet is written straight to the serializer (no intermediate `Value`), and the map
//! length is known up front, so length-prefixed formats (MsgPack, CBOR) can reuse it.

use std::convert::Infallible;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::{
    Event, GossipHello, GossipReq, GossipRes, Heartbeat, Info, Packet, Ping, Pong, Request,
    Response,
};
use crate::options::ProtocolVersion;

/// A packet as it goes on the wire for one protocol version and sender.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WirePacket<'a> {
    pub(crate) packet: &'a Packet,
    pub(crate) version: ProtocolVersion,
    pub(crate) sender: &'a str,
}

impl Serialize for WirePacket<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let v5 = self.version == ProtocolVersion::V5;
        let mut count = Count(0);
        let Ok(()) = self.fields(&mut count, v5);
        let mut map = serializer.serialize_map(Some(count.0))?;
        self.fields(&mut Entries(&mut map), v5)?;
        map.end()
    }
}

impl WirePacket<'_> {
    /// Writes the packet as JSON, as serializing it with `serde_json` would, only faster: the
    /// keys are written as they are, and so are strings with nothing to escape (ids, names).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'{');
        let mut fields = JsonFields { out, first: true };
        self.fields(&mut fields, self.version == ProtocolVersion::V5)?;
        fields.out.push(b'}');
        Ok(())
    }

    fn fields<F: Fields>(&self, f: &mut F, v5: bool) -> Result<(), F::Error> {
        match self.packet {
            Packet::Event(p) => event(p, f, v5)?,
            Packet::Request(p) => request(p, f, v5)?,
            Packet::Response(p) => response(p, f, v5)?,
            Packet::Discover(_) | Packet::Disconnect(_) => {}
            Packet::Info(p) => info(p, f)?,
            Packet::Heartbeat(p) => heartbeat(p, f)?,
            Packet::Ping(p) => ping(p, f)?,
            Packet::Pong(p) => pong(p, f)?,
            Packet::GossipHello(p) => gossip_hello(p, f)?,
            Packet::GossipReq(GossipReq { online, offline })
            | Packet::GossipRes(GossipRes { online, offline }) => gossip(online, offline, f)?,
        }
        f.str("ver", self.version.as_str())?;
        f.str("sender", self.sender)
    }
}

/// Where the fields go: counted first, then written.
trait Fields {
    type Error;
    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error>;

    /// A string field.
    fn str(&mut self, key: &'static str, value: &str) -> Result<(), Self::Error> {
        self.field(key, value)
    }

    /// A string field that is `null` when absent.
    fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> Result<(), Self::Error> {
        self.field(key, &value)
    }
}

struct Count(usize);

impl Fields for Count {
    type Error = Infallible;
    fn field<T: ?Sized + Serialize>(&mut self, _: &'static str, _: &T) -> Result<(), Infallible> {
        self.0 += 1;
        Ok(())
    }
}

struct Entries<'m, M>(&'m mut M);

impl<M: SerializeMap> Fields for Entries<'_, M> {
    type Error = M::Error;
    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }
}

/// The fields written as the members of a JSON object.
struct JsonFields<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl JsonFields<'_> {
    fn key(&mut self, key: &'static str) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        // The keys are Moleculer's field names: nothing to escape.
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }
}

impl Fields for JsonFields<'_> {
    type Error = serde_json::Error;

    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.key(key);
        serde_json::to_writer(&mut *self.out, value)
    }

    fn str(&mut self, key: &'static str, value: &str) -> Result<(), serde_json::Error> {
        self.key(key);
        write_json_str(self.out, value)
    }

    fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> Result<(), serde_json::Error> {
        self.key(key);
        match value {
            Some(value) => write_json_str(self.out, value),
            None => {
                self.out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
}

/// Writes `value` as a JSON string: as it is when nothing in it needs escaping, else through
/// `serde_json`.
fn write_json_str(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    if needs_escape(value.as_bytes()) {
        return serde_json::to_writer(out, value);
    }
    out.reserve(value.len() + 2);
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether a JSON string needs escapes for `bytes`: a quote, a backslash or a control
/// character. Whole blocks are checked without early exit, so that the check vectorizes; the
/// bytes after the last block, and short strings (most keys and values), are checked 8 at a
/// time as words, read with fixed-size loads that may overlap bytes already checked.
pub(super) fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let len = bytes.len();
    if len < 8 {
        return word_needs_escape(short_word(bytes));
    }
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | special(b)) {
            return true;
        }
    }
    let rest = blocks.remainder().len();
    let word = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        word_needs_escape(u64::from_le_bytes(word))
    };
    rest > 0 && (word(len - rest.max(8)) || word(len - 8))
}

/// Up to 7 bytes as one word, every one of them in it, padded with bytes that need no
/// escape.
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let mut word = [b'a'; 8];
    if n >= 4 {
        word[..4].copy_from_slice(&bytes[..4]);
        word[4..].copy_from_slice(&bytes[n - 4..]);
    } else if n > 0 {
        word[0] = bytes[0];
        word[1] = bytes[n / 2];
        word[2] = bytes[n - 1];
    }
    u64::from_le_bytes(word)
}

/// Whether one of the 8 bytes of `word` is below 0x20, a quote or a backslash (exact as a
/// whole, by the usual bit tricks: a byte below `n` leaves its high bit set after
/// subtracting `n` from every byte, when its own high bit was clear).
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(n * ONES) & !v & HIGH;
    let zero = |v: u64| below(v, 1);
    (below(word, 0x20)
        | zero(word ^ (u64::from(b'"') * ONES))
        | zero(word ^ (u64::from(b'\\') * ONES)))
        != 0
}

/// A number written the way `JSON.stringify` writes it: integral values without a fraction
/// (`3000`, not `3000.0`), non-finite values as `null`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsNumber(pub(crate) f64);

impl Serialize for JsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if !v.is_finite() {
            serializer.serialize_unit()
        } else if v.fract() == 0.0 && v.abs() < 9_223_372_036_854_775_808.0 {
            // Exact: |v| < 2^63 and integral.
            serializer.serialize_i64(v as i64)
        } else {
            serializer.serialize_f64(v)
        }
    }
}

fn event<F: Fields>(p: &Event, f: &mut F, v5: bool) -> Result<(), F::Error> {
    f.str("id", &p.id)?;
    f.str("event", &p.event)?;
    f.field("data", &p.data)?;
    if let Some(groups) = &p.groups {
        f.field("groups", groups)?;
    }
    f.field("broadcast", &p.broadcast)?;
    f.field("meta", &p.meta)?;
    headers(&p.headers, f, v5)?;
    f.field("level", &p.level)?;
    f.field("tracing", &p.tracing)?;
    f.opt_str("parentID", p.parent_id.as_deref())?;
    f.opt_str("requestID", p.request_id.as_deref())?;
    f.opt_str("caller", p.caller.as_deref())?;
    f.field("needAck", &p.need_ack)
}

fn request<F: Fields>(p: &Request, f: &mut F, v5: bool) -> Result<(), F::Error> {
    f.str("id", &p.id)?;
    f.str("action", &p.action)?;
    f.field("params", &p.params)?;
    f.field("meta", &p.meta)?;
    headers(&p.headers, f, v5)?;
    f.field("timeout", &JsNumber(p.timeout))?;
    f.field("level", &p.level)?;
    f.field("tracing", &p.tracing)?;
    f.opt_str("parentID", p.parent_id.as_deref())?;
    f.opt_str("requestID", p.request_id.as_deref())?;
    f.opt_str("caller", p.caller.as_deref())?;
    f.field("stream", &p.stream)?;
    if let Some(seq) = p.seq {
        f.field("seq", &seq)?;
    }
    Ok(())
}

fn response<F: Fields>(p: &Response, f: &mut F, v5: bool) -> Result<(), F::Error> {
    f.str("id", &p.id)?;
    f.field("meta", &p.meta)?;
    headers(&p.headers, f, v5)?;
    f.field("success", &p.success)?;
    if let Some(data) = &p.data {
        f.field("data", data)?;
    }
    // Node sets `stream`/`seq` on the payload before a stream's error packet appends `error`.
    if let Some(stream) = p.stream {
        f.field("stream", &stream)?;
    }
    if let Some(seq) = p.seq {
        f.field("seq", &seq)?;
    }
    if let Some(error) = &p.error {
        f.field("error", error)?;
    }
    Ok(())
}

fn headers<F: Fields>(h: &Map<String, Value>, f: &mut F, v5: bool) -> Result<(), F::Error> {
    if v5 { f.field("headers", h) } else { Ok(()) }
}

fn info<F: Fields>(p: &Info, f: &mut F) -> Result<(), F::Error> {
    f.field("services", &p.services)?;
    f.field("ipList", &p.ip_list)?;
    f.field("hostname", &p.hostname)?;
    f.field("client", &p.client)?;
    f.field("config", &p.config)?;
    f.field("instanceID", &p.instance_id)?;
    f.field("metadata", &p.metadata)?;
    f.field("seq", &p.seq)?;
    if let Some(port) = p.port {
        f.field("port", &port)?;
    }
    Ok(())
}

/// An INFO body alone, without `ver` and `sender`: the node info that TCP gossip carries
/// inside `GOSSIP_RES` rows (Node's `rawInfo`).
impl Serialize for Info {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut count = Count(0);
        let Ok(()) = info(self, &mut count);
        let mut map = serializer.serialize_map(Some(count.0))?;
        info(self, &mut Entries(&mut map))?;
        map.end()
    }
}

fn heartbeat<F: Fields>(p: &Heartbeat, f: &mut F) -> Result<(), F::Error> {
    f.field("cpu", &JsNumber(p.cpu))
}

fn ping<F: Fields>(p: &Ping, f: &mut F) -> Result<(), F::Error> {
    f.field("time", &p.time)?;
    f.str("id", &p.id)
}

fn pong<F: Fields>(p: &Pong, f: &mut F) -> Result<(), F::Error> {
    f.field("time", &p.time)?;
    f.str("id", &p.id)?;
    f.field("arrived", &p.arrived)
}

fn gossip_hello<F: Fields>(p: &GossipHello, f: &mut F) -> Result<(), F::Error> {
    f.field("host", &p.host)?;
    f.field("port", &p.port)
}

fn gossip<F: Fields>(
    online: &Option<Map<String, Value>>,
    offline: &Option<Map<String, Value>>,
    f: &mut F,
) -> Result<(), F::Error> {
    if let Some(online) = online {
        f.field("online", online)?;
    }
    if let Some(offline) = offline {
        f.field("offline", offline)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::needs_escape;

    #[test]
    fn the_escape_check_finds_every_byte_that_needs_one() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        // Every byte value at every position of strings of every length up to 40, among
        // plain letters and among bytes with the high bit set (UTF-8 sequences).
        for filler in [b'a', 0xc3, 0x7f, 0x20, 0x80] {
            for len in 0..40 {
                for pos in 0..len {
                    for byte in 0..=255u8 {
                        let mut bytes = vec![filler; len];
                        bytes[pos] = byte;
                        assert_eq!(
                            needs_escape(&bytes),
                            naive(&bytes),
                            "{bytes:?} (byte {byte:#x} at {pos} of {len})"
                        );
                    }
                }
            }
        }
    }
}
