//! One struct per packet body, with Node's field names on the wire (reference §1.2).
//!
//! The bodies implement `Deserialize` (liberal: absent and `null` are the same for optional
//! fields, unknown fields are ignored) but not `Serialize`: what goes on the wire depends on
//! the protocol version, so encoding goes through [`encode`](super::encode).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::de;
use crate::payload::Payload;

/// `EVENT`: an emitted or broadcast event, sent to one node (or to a balanced group topic).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event context id.
    pub id: String,
    /// The concrete event name (never the wildcard pattern).
    pub event: String,
    /// The event payload; `null` when the emitter gave none. Received packets keep it as
    /// JSON text until a handler needs it.
    #[serde(default = "Payload::null")]
    pub data: Payload,
    /// The groups to deliver to on the receiving node; `None` (omitted on the wire) for a
    /// broadcast without groups, which means every group.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// `true` for `broadcast`, `false` for `emit`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub broadcast: bool,
    /// The context meta.
    #[serde(default, deserialize_with = "de::null_default")]
    pub meta: Map<String, Value>,
    /// The context headers; sent in protocol v5 only.
    #[serde(default, deserialize_with = "de::null_default")]
    pub headers: Map<String, Value>,
    /// The call depth; the root is 1.
    #[serde(default = "de::one", deserialize_with = "de::level")]
    pub level: u32,
    /// Whether the trace is sampled; `None` (`null`) when tracing is off at the root.
    #[serde(default)]
    pub tracing: Option<bool>,
    /// The parent span id (the parent context id).
    #[serde(default, rename = "parentID")]
    pub parent_id: Option<String>,
    /// The root request id (= the trace id).
    #[serde(default, rename = "requestID")]
    pub request_id: Option<String>,
    /// The emitting service's full name (e.g. `"v2.users"`).
    #[serde(default)]
    pub caller: Option<String>,
    /// Always `null` in Node (EVENTACK is not implemented); kept for the wire shape.
    #[serde(default)]
    pub need_ack: Option<bool>,
}

impl Event {
    /// An `emit` event with Node's defaults: level 1, `requestID` = `id`, empty meta and
    /// headers, no groups.
    pub fn new(id: impl Into<String>, event: impl Into<String>, data: impl Into<Payload>) -> Event {
        let id = id.into();
        Event {
            request_id: Some(id.clone()),
            id,
            event: event.into(),
            data: data.into(),
            groups: None,
            broadcast: false,
            meta: Map::new(),
            headers: Map::new(),
            level: 1,
            tracing: None,
            parent_id: None,
            caller: None,
            need_ack: None,
        }
    }
}

/// `REQ`: an action call, or one packet of a request stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The context id; the response correlates on it.
    pub id: String,
    /// The full action name, e.g. `v2.greeter.hello`.
    pub action: String,
    /// The params: `{}` when the caller gave none; a stream chunk in stream packets with
    /// `seq > 0` (bytes in [Buffer JSON form](crate::protocol::buffer_to_json)); `null` in a v4
    /// stream's first packet and in every stream's closing packet. Received packets keep
    /// them as JSON text until the handler parses them into its params type.
    #[serde(default = "Payload::null")]
    pub params: Payload,
    /// The context meta.
    #[serde(default, deserialize_with = "de::null_default")]
    pub meta: Map<String, Value>,
    /// The context headers; sent in protocol v5 only.
    #[serde(default, deserialize_with = "de::null_default")]
    pub headers: Map<String, Value>,
    /// The effective timeout in milliseconds, `0` for none. Can be fractional (the remaining
    /// part of a distributed timeout).
    #[serde(default, deserialize_with = "de::f64_or_zero")]
    pub timeout: f64,
    /// The call depth; the root is 1.
    #[serde(default = "de::one", deserialize_with = "de::level")]
    pub level: u32,
    /// Whether the trace is sampled; `None` (`null`) when tracing is off at the root.
    #[serde(default)]
    pub tracing: Option<bool>,
    /// The parent span id (the parent context id).
    #[serde(default, rename = "parentID")]
    pub parent_id: Option<String>,
    /// The root request id (= the trace id).
    #[serde(default, rename = "requestID")]
    pub request_id: Option<String>,
    /// The calling service's full name (not an action name).
    #[serde(default)]
    pub caller: Option<String>,
    /// Whether this packet opens or continues a stream; `false` for normal calls and for a
    /// stream's closing packet.
    #[serde(default, deserialize_with = "de::null_default")]
    pub stream: bool,
    /// The stream sequence number (0, 1, 2, …); only in stream packets.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub seq: Option<u64>,
}

impl Request {
    /// A plain (non-stream) call with Node's defaults: level 1, `requestID` = `id`, no
    /// timeout, empty meta and headers.
    pub fn new(
        id: impl Into<String>,
        action: impl Into<String>,
        params: impl Into<Payload>,
    ) -> Request {
        let id = id.into();
        Request {
            request_id: Some(id.clone()),
            id,
            action: action.into(),
            params: params.into(),
            meta: Map::new(),
            headers: Map::new(),
            timeout: 0.0,
            level: 1,
            tracing: None,
            parent_id: None,
            caller: None,
            stream: false,
            seq: None,
        }
    }
}

/// `RES`: the result of a call, or one packet of a response stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The id of the request this answers.
    pub id: String,
    /// The handler's whole `ctx.meta`, merged into the caller's meta.
    #[serde(default, deserialize_with = "de::null_default")]
    pub meta: Map<String, Value>,
    /// The response headers (`ctx.responseHeaders`); sent in protocol v5 only.
    #[serde(default, deserialize_with = "de::null_default")]
    pub headers: Map<String, Value>,
    /// Whether the call succeeded.
    pub success: bool,
    /// The result. `None` is JavaScript's `undefined` (a handler that returned nothing): the
    /// field is omitted. `Some(null)` is an explicit `null` (every error response).
    /// Received packets keep it as JSON text until the caller converts it.
    #[serde(default, deserialize_with = "de::present")]
    pub data: Option<Payload>,
    /// The error in Moleculer's plain form `{name, message, nodeID, code, type, retryable,
    /// stack, data}` (see [`Error::to_wire`](crate::Error::to_wire)); present on failure only.
    #[serde(default)]
    pub error: Option<Value>,
    /// Stream responses only: `true` while the stream runs, `false` on its last packet.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Stream responses only: the sequence number.
    #[serde(default, deserialize_with = "de::opt_int")]
    pub seq: Option<u64>,
}

impl Response {
    /// A successful, non-stream response.
    pub fn success(id: impl Into<String>, data: Option<Payload>) -> Response {
        Response {
            id: id.into(),
            meta: Map::new(),
            headers: Map::new(),
            success: true,
            data,
            error: None,
            stream: None,
            seq: None,
        }
    }

    /// A failed response: `data: null` and the plain error object.
    pub fn failure(id: impl Into<String>, error: Value) -> Response {
        Response {
            success: false,
            data: Some(Payload::null()),
            error: Some(error),
            ..Response::success(id, None)
        }
    }
}

/// `DISCOVER`: asks for the receiver's INFO (broadcast, or targeted at one node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Discover;

/// `DISCONNECT`: the sender is stopping gracefully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disconnect;

/// `INFO`: the sender's node description and its service catalogue (reference §1.3).
///
/// [`Info::default`] has no services, `config` and `metadata` `{}`, and `seq` 1.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// The published services, as Node's `getLocalNodeServices` shapes them: `[]` while
    /// stopping. Each item is `{name, version?, fullName, settings, metadata, actions, events}`
    /// where `actions` and `events` are **objects keyed by full name**. Kept as JSON so that
    /// every property (including custom ones) and its order survive.
    #[serde(default, deserialize_with = "de::null_default")]
    pub services: Vec<Value>,
    /// The node's IPv4 addresses.
    #[serde(default, deserialize_with = "de::null_default")]
    pub ip_list: Vec<String>,
    /// The host name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub hostname: String,
    /// The implementation that runs the node.
    #[serde(default, deserialize_with = "de::null_default")]
    pub client: ClientInfo,
    /// Legacy, always `{}`.
    #[serde(default)]
    pub config: Value,
    /// A token that changes with every process start; a different one under the same
    /// nodeID means another process took that nodeID.
    #[serde(default, rename = "instanceID", deserialize_with = "de::null_default")]
    pub instance_id: String,
    /// The broker's `metadata` option.
    #[serde(default)]
    pub metadata: Value,
    /// The node info sequence number; a missing one counts as 1.
    #[serde(default = "de::seq_one", deserialize_with = "de::info_seq")]
    pub seq: u64,
    /// The TCP port; only in the node info that TCP gossip carries (transit's INFO omits it).
    #[serde(default, deserialize_with = "de::opt_int")]
    pub port: Option<u16>,
}

impl Default for Info {
    fn default() -> Info {
        Info {
            services: Vec::new(),
            ip_list: Vec::new(),
            hostname: String::new(),
            client: ClientInfo::rust(),
            config: Value::Object(Map::new()),
            instance_id: String::new(),
            metadata: Value::Object(Map::new()),
            seq: 1,
            port: None,
        }
    }
}

/// INFO `client`: which implementation runs the node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
pub struct ClientInfo {
    /// `"nodejs"` for Node; this crate sends `"rust"`.
    #[serde(rename = "type", default, deserialize_with = "de::null_default")]
    pub kind: String,
    /// The framework version, e.g. `"0.15.2"`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub version: String,
    /// The language version, e.g. `"v22.1.0"` or `"1.95"`.
    #[serde(rename = "langVersion", default, deserialize_with = "de::null_default")]
    pub lang_version: String,
}

impl ClientInfo {
    /// This crate: `{type: "rust", version: <crate version>, langVersion: <rustc version>}`.
    pub fn rust() -> ClientInfo {
        ClientInfo {
            kind: "rust".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            lang_version: crate::RUST_VERSION.to_owned(),
        }
    }
}

/// `HEARTBEAT`: the sender is alive; carries its CPU usage.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct Heartbeat {
    /// CPU usage in percent, 0–100 (Node sends a rounded integer; fractions are accepted).
    #[serde(default, deserialize_with = "de::f64_or_zero")]
    pub cpu: f64,
}

/// `PING`: answered by a `PONG` to the sender.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ping {
    /// The sender's clock, milliseconds since the Unix epoch.
    #[serde(default, deserialize_with = "de::int_or_default")]
    pub time: i64,
    /// The ping id, echoed in the PONG.
    pub id: String,
}

/// `PONG`: the answer to a `PING`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pong {
    /// The PING's `time`, echoed.
    #[serde(default, deserialize_with = "de::int_or_default")]
    pub time: i64,
    /// The PING's `id`, echoed.
    pub id: String,
    /// The responder's clock when the PING arrived, milliseconds since the Unix epoch.
    #[serde(default, deserialize_with = "de::int_or_default")]
    pub arrived: i64,
}

/// `GOSSIP_HELLO` (TCP transporter): the first frame on a new connection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GossipHello {
    /// The connecting node's address.
    #[serde(default, deserialize_with = "de::null_default")]
    pub host: String,
    /// The connecting node's TCP port.
    #[serde(default, deserialize_with = "de::int_or_default")]
    pub port: u16,
}

/// `GOSSIP_REQ` (TCP transporter): what the sender knows about every node.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct GossipReq {
    /// `{nodeID: [seq, cpuSeq, cpu]}` for every available node, the sender included; `None`
    /// (omitted) when empty.
    #[serde(default)]
    pub online: Option<Map<String, Value>>,
    /// `{nodeID: seq}` for unavailable nodes; `None` (omitted) when empty.
    #[serde(default)]
    pub offline: Option<Map<String, Value>>,
}

/// `GOSSIP_RES` (TCP transporter): the answer to a `GOSSIP_REQ`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct GossipRes {
    /// `{nodeID: row}` where a row is `[info]`, `[cpuSeq, cpu]` or `[info, cpuSeq, cpu]`;
    /// `info` is the node's raw INFO object (with `port` and `seq`, in its own key order).
    /// `None` (omitted) when empty.
    #[serde(default)]
    pub online: Option<Map<String, Value>>,
    /// `{nodeID: seq}`; `None` (omitted) when empty.
    #[serde(default)]
    pub offline: Option<Map<String, Value>>,
}
