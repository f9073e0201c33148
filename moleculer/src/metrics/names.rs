//! The built-in metric names (Node's `src/metrics/constants.js`).

/// Requests handled or sent, by `service`, `action`, `type` (`local`/`remote`), `caller`.
pub const REQUEST_TOTAL: &str = "moleculer.request.total";
/// Requests running now.
pub const REQUEST_ACTIVE: &str = "moleculer.request.active";
/// Requests that failed, with `errorName`, `errorCode`, `errorType`.
pub const REQUEST_ERROR_TOTAL: &str = "moleculer.request.error.total";
/// Request times in milliseconds.
pub const REQUEST_TIME: &str = "moleculer.request.time";
/// Requests by context `level`.
pub const REQUEST_LEVELS: &str = "moleculer.request.levels";
/// Events emitted, by `event` (and `groups`).
pub const EVENT_EMIT_TOTAL: &str = "moleculer.event.emit.total";
/// Events broadcast.
pub const EVENT_BROADCAST_TOTAL: &str = "moleculer.event.broadcast.total";
/// Events broadcast locally.
pub const EVENT_BROADCAST_LOCAL_TOTAL: &str = "moleculer.event.broadcast-local.total";
/// Events received, by `service`, `group`, `event`, `caller`.
pub const EVENT_RECEIVED_TOTAL: &str = "moleculer.event.received.total";
/// Events being handled now.
pub const EVENT_RECEIVED_ACTIVE: &str = "moleculer.event.received.active";
/// Event handlers that failed.
pub const EVENT_RECEIVED_ERROR_TOTAL: &str = "moleculer.event.received.error.total";
/// Event handling times in milliseconds.
pub const EVENT_RECEIVED_TIME: &str = "moleculer.event.received.time";
/// `moleculer.node.type`: `"rust"` here.
pub const NODE_TYPE: &str = "moleculer.node.type";
/// The Moleculer version this node speaks as.
pub const NODE_VERSIONS_MOLECULER: &str = "moleculer.node.versions.moleculer";
/// The protocol version.
pub const NODE_VERSIONS_PROTOCOL: &str = "moleculer.node.versions.protocol";
/// The broker's namespace.
pub const BROKER_NAMESPACE: &str = "moleculer.broker.namespace";
/// 1 while the broker is started.
pub const BROKER_STARTED: &str = "moleculer.broker.started";
/// The broker's local services.
pub const BROKER_LOCAL_SERVICES_TOTAL: &str = "moleculer.broker.local.services.total";
/// The broker's middlewares.
pub const BROKER_MIDDLEWARES_TOTAL: &str = "moleculer.broker.middlewares.total";
