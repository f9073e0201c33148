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
use crate::payload::Payload;

/// A packet as it goes on the wire for one protocol version and sender.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WirePacket<'a> {
    pub(crate) packet: &'a Packet,
    pub(crate) version: ProtocolVersion,
    pub(crate) sender: &'a str,
}

impl Serialize for WirePacket<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut count = Count(0);
        let Ok(()) = self.fields(&mut count);
        let mut map = serializer.serialize_map(Some(count.0))?;
        self.fields(&mut Entries(&mut map))?;
        map.end()
    }
}

impl WirePacket<'_> {
    /// Hands the packet's fields, in Node's order, to `f`.
    pub(crate) fn fields<F: Fields>(&self, f: &mut F) -> Result<(), F::Error> {
        let v5 = self.version == ProtocolVersion::V5;
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

/// Where the fields go: counted first, then written (by serde, or by a serializer's own
/// writer).
pub(crate) trait Fields {
    /// The writer's error.
    type Error;

    /// A field.
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

    /// The payload field (`params`, `data`).
    fn payload(&mut self, key: &'static str, value: &Payload) -> Result<(), Self::Error> {
        self.field(key, value)
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
    f.payload("data", &p.data)?;
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
    f.payload("params", &p.params)?;
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
        f.payload("data", data)?;
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
