//! Packets to and from their 0.14 schema forms: Node's `serializeCustomFields` and
//! `deserializeCustomFields` (`src/serializers/base.js`), over the fields 0.14's transit
//! puts in each packet.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::form::{
    ClientForm, DataType, EventForm, GossipForm, GossipHelloForm, HeartbeatForm, InfoForm,
    PingForm, PongForm, RequestForm, ResponseForm, SenderForm,
};
use crate::options::{PluginKind, ProtocolVersion, SerializerKind};
use crate::payload::Payload;
use crate::protocol::packet::invalid_packet;
use crate::protocol::{
    ClientInfo, Disconnect, Discover, Envelope, Event, GossipHello, GossipReq, GossipRes,
    Heartbeat, Info, Packet, PacketType, Ping, Pong, Request, Response, buffer_from_json,
    buffer_to_json,
};
use crate::serializer::Serializer;
use crate::{Error, Result};

/// A schema form: one message type of the 0.14 schemas.
pub(crate) trait Form: prost::Message + Default + Serialize + DeserializeOwned {}

impl<T: prost::Message + Default + Serialize + DeserializeOwned> Form for T {}

/// One schema format (ProtoBuf, Avro, Thrift): how a form becomes bytes and back.
pub(crate) trait SchemaFormat {
    /// Which serializer this is.
    const KIND: SerializerKind;

    /// The bytes of `form`, a packet of type `ty`.
    fn encode<F: Form>(&self, ty: PacketType, form: &F) -> std::result::Result<Vec<u8>, String>;

    /// The form of a packet of type `ty`.
    fn decode<F: Form>(&self, ty: PacketType, bytes: &[u8]) -> std::result::Result<F, String>;
}

/// Every schema format is a [`Serializer`]: the packet goes through its form.
impl<S: SchemaFormat + std::fmt::Debug + Send + Sync> Serializer for S {
    fn name(&self) -> &'static str {
        S::KIND.name()
    }

    fn serialize(
        &self,
        packet: &Packet,
        version: ProtocolVersion,
        sender: &str,
    ) -> Result<Vec<u8>> {
        serialize(self, packet, version, sender)
    }

    fn deserialize(&self, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
        deserialize(self, ty, bytes)
    }
}

/// The bytes of `packet` in `format`; 0.14's schemas only exist for protocol 4.
fn serialize<S: SchemaFormat>(
    format: &S,
    packet: &Packet,
    version: ProtocolVersion,
    sender: &str,
) -> Result<Vec<u8>> {
    if version != ProtocolVersion::V4 {
        return Err(super::needs_protocol_4(S::KIND, version));
    }
    let ty = packet.packet_type();
    let (ver, sender) = (Some("4".to_owned()), Some(sender.to_owned()));
    let encoded = match packet {
        Packet::Event(p) => format.encode(ty, &event(p, ver, sender)?),
        Packet::Request(p) => format.encode(ty, &request(p, ver, sender)?),
        Packet::Response(p) => format.encode(ty, &response(p, ver, sender)?),
        Packet::Discover(_) | Packet::Disconnect(_) => {
            format.encode(ty, &SenderForm { ver, sender })
        }
        Packet::Info(p) => format.encode(ty, &info(p, ver, sender)?),
        Packet::Heartbeat(p) => format.encode(
            ty,
            &HeartbeatForm {
                ver,
                sender,
                cpu: Some(p.cpu),
            },
        ),
        Packet::Ping(p) => format.encode(
            ty,
            &PingForm {
                ver,
                sender,
                time: Some(p.time),
                id: Some(p.id.clone()),
            },
        ),
        Packet::Pong(p) => format.encode(
            ty,
            &PongForm {
                ver,
                sender,
                time: Some(p.time),
                arrived: Some(p.arrived),
                id: Some(p.id.clone()),
            },
        ),
        Packet::GossipHello(p) => format.encode(
            ty,
            &GossipHelloForm {
                ver,
                sender,
                host: Some(p.host.clone()),
                port: Some(i32::from(p.port)),
            },
        ),
        Packet::GossipReq(GossipReq { online, offline })
        | Packet::GossipRes(GossipRes { online, offline }) => format.encode(
            ty,
            &GossipForm {
                ver,
                sender,
                online: online.as_ref().map(json_text).transpose()?,
                offline: offline.as_ref().map(json_text).transpose()?,
            },
        ),
    };
    encoded.map_err(|err| {
        Error::server(format!(
            "the {ty} packet does not serialize as {}: {err}",
            S::KIND.name()
        ))
    })
}

/// The packet of type `ty` that `bytes` hold in `format`.
fn deserialize<S: SchemaFormat>(format: &S, ty: PacketType, bytes: &[u8]) -> Result<Envelope> {
    decode(format, ty, bytes).map_err(|reason| invalid_packet(ty, &reason))
}

fn decode<S: SchemaFormat>(
    format: &S,
    ty: PacketType,
    bytes: &[u8],
) -> std::result::Result<Envelope, String> {
    let (ver, sender, packet) = match ty {
        PacketType::Event => {
            let f: EventForm = format.decode(ty, bytes)?;
            let data = payload(f.data, f.data_type)?.unwrap_or_else(Payload::null);
            let event = Event {
                id: required(f.id, "id")?,
                event: required(f.event, "event")?,
                data,
                groups: (!f.groups.is_empty()).then_some(f.groups),
                broadcast: f.broadcast.unwrap_or(false),
                meta: json_object(f.meta, "meta")?,
                headers: Map::new(),
                level: level(f.level),
                tracing: f.tracing,
                parent_id: f.parent_id,
                request_id: f.request_id,
                caller: f.caller,
                need_ack: f.need_ack,
            };
            (f.ver, f.sender, Packet::Event(event))
        }
        PacketType::Request => {
            let f: RequestForm = format.decode(ty, bytes)?;
            let params = payload(f.params, f.params_type)?.unwrap_or_else(Payload::null);
            let request = Request {
                id: required(f.id, "id")?,
                action: required(f.action, "action")?,
                params,
                meta: json_object(f.meta, "meta")?,
                headers: Map::new(),
                timeout: f.timeout.filter(|t| t.is_finite()).unwrap_or(0.0),
                level: level(f.level),
                tracing: f.tracing,
                parent_id: f.parent_id,
                request_id: f.request_id,
                caller: f.caller,
                stream: f.stream.unwrap_or(false),
                seq: seq(f.seq),
            };
            (f.ver, f.sender, Packet::Request(request))
        }
        PacketType::Response => {
            let f: ResponseForm = format.decode(ty, bytes)?;
            let response = Response {
                id: required(f.id, "id")?,
                meta: json_object(f.meta, "meta")?,
                headers: Map::new(),
                success: f.success.unwrap_or(false),
                data: payload(f.data, f.data_type)?,
                error: f.error.map(|e| json_value(&e, "error")).transpose()?,
                stream: f.stream,
                seq: seq(f.seq),
            };
            (f.ver, f.sender, Packet::Response(response))
        }
        PacketType::Discover | PacketType::Disconnect => {
            let f: SenderForm = format.decode(ty, bytes)?;
            let packet = if ty == PacketType::Discover {
                Packet::Discover(Discover)
            } else {
                Packet::Disconnect(Disconnect)
            };
            (f.ver, f.sender, packet)
        }
        PacketType::Info => {
            let f: InfoForm = format.decode(ty, bytes)?;
            let services = match f.services {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|err| format!("`services` is not a JSON array: {err}"))?,
                None => Vec::new(),
            };
            let client = f.client.unwrap_or_default();
            let info = Info {
                services,
                ip_list: f.ip_list,
                hostname: f.hostname.unwrap_or_default(),
                client: ClientInfo {
                    kind: client.kind.unwrap_or_default(),
                    version: client.version.unwrap_or_default(),
                    lang_version: client.lang_version.unwrap_or_default(),
                },
                config: optional_json(f.config, "config")?,
                instance_id: f.instance_id.unwrap_or_default(),
                metadata: optional_json(f.metadata, "metadata")?,
                seq: f.seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(1),
                port: None,
            };
            (f.ver, f.sender, Packet::Info(info))
        }
        PacketType::Heartbeat => {
            let f: HeartbeatForm = format.decode(ty, bytes)?;
            let cpu = f.cpu.filter(|c| c.is_finite()).unwrap_or(0.0);
            (f.ver, f.sender, Packet::Heartbeat(Heartbeat { cpu }))
        }
        PacketType::Ping => {
            let f: PingForm = format.decode(ty, bytes)?;
            let ping = Ping {
                time: f.time.unwrap_or(0),
                id: f.id.unwrap_or_default(),
            };
            (f.ver, f.sender, Packet::Ping(ping))
        }
        PacketType::Pong => {
            let f: PongForm = format.decode(ty, bytes)?;
            let pong = Pong {
                time: f.time.unwrap_or(0),
                id: f.id.unwrap_or_default(),
                arrived: f.arrived.unwrap_or(0),
            };
            (f.ver, f.sender, Packet::Pong(pong))
        }
        PacketType::GossipHello => {
            let f: GossipHelloForm = format.decode(ty, bytes)?;
            let hello = GossipHello {
                host: f.host.unwrap_or_default(),
                port: f
                    .port
                    .map(|p| u16::try_from(p).map_err(|_| format!("`port` {p} is not a port")))
                    .transpose()?
                    .unwrap_or(0),
            };
            (f.ver, f.sender, Packet::GossipHello(hello))
        }
        PacketType::GossipReq | PacketType::GossipRes => {
            let f: GossipForm = format.decode(ty, bytes)?;
            let online = f.online.map(|t| json_map(&t, "online")).transpose()?;
            let offline = f.offline.map(|t| json_map(&t, "offline")).transpose()?;
            let packet = if ty == PacketType::GossipReq {
                Packet::GossipReq(GossipReq { online, offline })
            } else {
                Packet::GossipRes(GossipRes { online, offline })
            };
            (f.ver, f.sender, packet)
        }
    };
    Ok(Envelope {
        ver: ver.unwrap_or_default(),
        sender: required(sender, "sender")?,
        packet,
    })
}

fn event(p: &Event, ver: Option<String>, sender: Option<String>) -> Result<EventForm> {
    let (data, data_type) = to_transport(Some(&p.data))?;
    Ok(EventForm {
        ver,
        sender,
        id: Some(p.id.clone()),
        event: Some(p.event.clone()),
        data,
        data_type,
        groups: p.groups.clone().unwrap_or_default(),
        broadcast: Some(p.broadcast),
        meta: Some(json_text(&p.meta)?),
        level: Some(wire_level(p.level)),
        tracing: p.tracing,
        parent_id: p.parent_id.clone(),
        request_id: p.request_id.clone(),
        stream: None,
        seq: None,
        caller: p.caller.clone(),
        need_ack: p.need_ack,
    })
}

fn request(p: &Request, ver: Option<String>, sender: Option<String>) -> Result<RequestForm> {
    let (params, params_type) = to_transport(Some(&p.params))?;
    Ok(RequestForm {
        ver,
        sender,
        id: Some(p.id.clone()),
        action: Some(p.action.clone()),
        params,
        params_type,
        meta: Some(json_text(&p.meta)?),
        timeout: Some(p.timeout),
        level: Some(wire_level(p.level)),
        tracing: p.tracing,
        parent_id: p.parent_id.clone(),
        request_id: p.request_id.clone(),
        stream: Some(p.stream),
        seq: p.seq.map(wire_seq),
        caller: p.caller.clone(),
    })
}

fn response(p: &Response, ver: Option<String>, sender: Option<String>) -> Result<ResponseForm> {
    let (data, data_type) = to_transport(p.data.as_ref())?;
    Ok(ResponseForm {
        ver,
        sender,
        id: Some(p.id.clone()),
        success: Some(p.success),
        data,
        data_type,
        error: p.error.as_ref().map(json_text).transpose()?,
        meta: Some(json_text(&p.meta)?),
        stream: p.stream,
        seq: p.seq.map(wire_seq),
    })
}

fn info(p: &Info, ver: Option<String>, sender: Option<String>) -> Result<InfoForm> {
    // `if (obj.config)`: a missing or `null` config stays absent; `{}` is a string.
    let optional = |v: &Value| (!v.is_null()).then(|| json_text(v)).transpose();
    Ok(InfoForm {
        ver,
        sender,
        services: Some(json_text(&p.services)?),
        config: optional(&p.config)?,
        ip_list: p.ip_list.clone(),
        hostname: Some(p.hostname.clone()),
        client: Some(ClientForm {
            kind: Some(p.client.kind.clone()),
            version: Some(p.client.version.clone()),
            lang_version: Some(p.client.lang_version.clone()),
        }),
        seq: Some(i32::try_from(p.seq).unwrap_or(i32::MAX)),
        instance_id: Some(p.instance_id.clone()),
        metadata: optional(&p.metadata)?,
    })
}

/// `convertDataToTransport`: the bytes and their tag. `None` is `undefined`; a payload that
/// holds a Buffer (in its JSON form) goes as raw bytes, anything else as JSON text.
fn to_transport(payload: Option<&Payload>) -> Result<(Option<Vec<u8>>, Option<i32>)> {
    let Some(payload) = payload else {
        return Ok((None, Some(DataType::Undefined.tag())));
    };
    if let Some(bytes) = payload.as_json().and_then(buffer_from_json) {
        return Ok((Some(bytes), Some(DataType::Buffer.tag())));
    }
    let json = payload
        .to_vec()
        .map_err(|err| Error::server(format!("the payload does not serialize: {err}")))?;
    Ok(if json == b"null" {
        (None, Some(DataType::Null.tag()))
    } else {
        (Some(json), Some(DataType::Json.tag()))
    })
}

/// `convertDataFromTransport`: `None` for `undefined`, a Buffer in its JSON form, or the
/// JSON text kept undecoded.
fn payload(
    bytes: Option<Vec<u8>>,
    tag: Option<i32>,
) -> std::result::Result<Option<Payload>, String> {
    Ok(match DataType::from_tag(tag) {
        DataType::Undefined => None,
        DataType::Null => Some(Payload::null()),
        DataType::Buffer => Some(Payload::json(buffer_to_json(&bytes.unwrap_or_default()))),
        DataType::Json => {
            let bytes = bytes.ok_or("a JSON payload without bytes")?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|err| format!("the JSON payload is not UTF-8: {err}"))?;
            Some(
                Payload::from_json_text(text)
                    .map_err(|err| format!("the JSON payload does not parse: {err}"))?,
            )
        }
    })
}

fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|err| Error::server(format!("a field does not serialize: {err}")))
}

fn json_value(text: &str, field: &str) -> std::result::Result<Value, String> {
    serde_json::from_str(text).map_err(|err| format!("`{field}` is not JSON: {err}"))
}

fn json_map(text: &str, field: &str) -> std::result::Result<Map<String, Value>, String> {
    match json_value(text, field)? {
        Value::Object(map) => Ok(map),
        other => Err(format!("`{field}` is not a JSON object: {other}")),
    }
}

/// `meta`: an object; absent or `null` is `{}`.
fn json_object(
    text: Option<String>,
    field: &str,
) -> std::result::Result<Map<String, Value>, String> {
    match text.as_deref().map(|t| json_value(t, field)).transpose()? {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(other) => Err(format!("`{field}` is not a JSON object: {other}")),
    }
}

fn optional_json(text: Option<String>, field: &str) -> std::result::Result<Value, String> {
    Ok(text
        .map(|t| json_value(&t, field))
        .transpose()?
        .unwrap_or_else(|| Value::Object(Map::new())))
}

fn required(value: Option<String>, field: &str) -> std::result::Result<String, String> {
    value.ok_or_else(|| format!("`{field}` is missing"))
}

/// A received level; the root (1) when absent or not positive.
fn level(level: Option<i32>) -> u32 {
    level
        .and_then(|l| u32::try_from(l).ok())
        .filter(|&l| l > 0)
        .unwrap_or(1)
}

fn seq(seq: Option<i32>) -> Option<u64> {
    seq.and_then(|s| u64::try_from(s).ok())
}

/// The schemas' `int32`: a call deeper than that is not one Node could make.
fn wire_level(level: u32) -> i32 {
    i32::try_from(level).unwrap_or(i32::MAX)
}

fn wire_seq(seq: u64) -> i32 {
    i32::try_from(seq).unwrap_or(i32::MAX)
}
