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

// Transit, transporter, fault tolerance and registry metrics (Node's `transit.js`, the Metrics
// middleware's transit hooks, `middlewares/*.js` and `registry/registry.js`).

/// Packets published, by packet `type` (`REQ`, `RES`, `EVENT`, …; gossip left out).
pub const TRANSIT_PUBLISH_TOTAL: &str = "moleculer.transit.publish.total";
/// Packets received and handed to the transit, by packet `type` (gossip left out).
pub const TRANSIT_RECEIVE_TOTAL: &str = "moleculer.transit.receive.total";
/// Requests sent to other nodes and waiting for their response.
pub const TRANSIT_REQUESTS_ACTIVE: &str = "moleculer.transit.requests.active";
/// Streams being sent (always 0: streams are not implemented).
pub const TRANSIT_STREAMS_SEND_ACTIVE: &str = "moleculer.transit.streams.send.active";
/// 1 while the transit is ready (the local services are published).
pub const TRANSIT_READY: &str = "moleculer.transit.ready";
/// 1 while the transporter is connected.
pub const TRANSIT_CONNECTED: &str = "moleculer.transit.connected";
/// The last ping's round trip in milliseconds, by `targetNodeID`.
pub const TRANSIT_PONG_TIME: &str = "moleculer.transit.pong.time";
/// How far this node's clock is ahead of `targetNodeID`'s, in milliseconds.
pub const TRANSIT_PONG_SYSTIME_DIFF: &str = "moleculer.transit.pong.systime-diff";
/// Responses that came after their request was given up.
pub const TRANSIT_ORPHAN_RESPONSE_TOTAL: &str = "moleculer.transit.orphan.response.total";
/// Messages handed to the transporter.
pub const TRANSPORTER_PACKETS_SENT_TOTAL: &str = "moleculer.transporter.packets.sent.total";
/// Bytes handed to the transporter (serialized, before any `transporter_send` wrapper).
pub const TRANSPORTER_PACKETS_SENT_BYTES: &str = "moleculer.transporter.packets.sent.bytes";
/// Messages received from the transporter.
pub const TRANSPORTER_PACKETS_RECEIVED_TOTAL: &str = "moleculer.transporter.packets.received.total";
/// Bytes received (after any `transporter_receive` wrapper).
pub const TRANSPORTER_PACKETS_RECEIVED_BYTES: &str = "moleculer.transporter.packets.received.bytes";
/// 1 while the circuit of an action on a node (`affectedNodeID`, `service`, `action`) is open.
pub const CIRCUIT_BREAKER_OPENED_ACTIVE: &str = "moleculer.circuit-breaker.opened.active";
/// How many times a circuit opened.
pub const CIRCUIT_BREAKER_OPENED_TOTAL: &str = "moleculer.circuit-breaker.opened.total";
/// 1 while a circuit is half-open.
pub const CIRCUIT_BREAKER_HALF_OPENED_ACTIVE: &str = "moleculer.circuit-breaker.half-opened.active";
/// Failed calls answered by a fallback, by `service` and `action`.
pub const REQUEST_FALLBACK_TOTAL: &str = "moleculer.request.fallback.total";
/// Handlers of a local action running inside its bulkhead, by `action` and `service`.
pub const REQUEST_BULKHEAD_INFLIGHT: &str = "moleculer.request.bulkhead.inflight";
/// Calls of a local action waiting in its bulkhead's queue.
pub const REQUEST_BULKHEAD_QUEUE_SIZE: &str = "moleculer.request.bulkhead.queue.size";
/// Event handlers running inside their bulkhead, by `event` and `service`.
pub const EVENT_BULKHEAD_INFLIGHT: &str = "moleculer.event.bulkhead.inflight";
/// Events waiting in an event handler's bulkhead queue.
pub const EVENT_BULKHEAD_QUEUE_SIZE: &str = "moleculer.event.bulkhead.queue.size";
/// Failures the retry policy looked at (retried, or the last one), by `service` and `action`.
pub const REQUEST_RETRY_ATTEMPTS_TOTAL: &str = "moleculer.request.retry.attempts.total";
/// Calls that timed out, by `service` and `action`.
pub const REQUEST_TIMEOUT_TOTAL: &str = "moleculer.request.timeout.total";
/// The nodes known, this one and the offline ones included.
pub const REGISTRY_NODES_TOTAL: &str = "moleculer.registry.nodes.total";
/// The nodes online, this one included.
pub const REGISTRY_NODES_ONLINE_TOTAL: &str = "moleculer.registry.nodes.online.total";
/// The services offered by some node.
pub const REGISTRY_SERVICES_TOTAL: &str = "moleculer.registry.services.total";
/// The nodes offering a `service`.
pub const REGISTRY_SERVICE_ENDPOINTS_TOTAL: &str = "moleculer.registry.service.endpoints.total";
/// The actions known (an action whose last node left still counts, as in Node).
pub const REGISTRY_ACTIONS_TOTAL: &str = "moleculer.registry.actions.total";
/// The nodes offering an `action`.
pub const REGISTRY_ACTION_ENDPOINTS_TOTAL: &str = "moleculer.registry.action.endpoints.total";
/// The event listener groups known (one whose last node left still counts, as in Node).
pub const REGISTRY_EVENTS_TOTAL: &str = "moleculer.registry.events.total";
/// The handlers of an `event` (per group; the last group listed wins, as in Node).
pub const REGISTRY_EVENT_ENDPOINTS_TOTAL: &str = "moleculer.registry.event.endpoints.total";

// The process and OS metrics (`collectProcessMetrics`), in the order Node registers them.

/// The process's arguments, one series per `index`.
pub const PROCESS_ARGUMENTS: &str = "process.arguments";
/// The process id.
pub const PROCESS_PID: &str = "process.pid";
/// The parent process's id.
pub const PROCESS_PPID: &str = "process.ppid";
/// The process's resident set size in bytes.
pub const PROCESS_MEMORY_RSS: &str = "process.memory.rss";
/// Seconds since the process started.
pub const PROCESS_UPTIME: &str = "process.uptime";
/// The memory available to new processes, in bytes (Node's `os.freemem()`).
pub const OS_MEMORY_FREE: &str = "os.memory.free";
/// The total memory less the free memory, in bytes.
pub const OS_MEMORY_USED: &str = "os.memory.used";
/// The total memory in bytes.
pub const OS_MEMORY_TOTAL: &str = "os.memory.total";
/// Seconds since the machine booted.
pub const OS_UPTIME: &str = "os.uptime";
/// The kernel's name (`Linux`, `Darwin`, `Windows_NT`).
pub const OS_TYPE: &str = "os.type";
/// The kernel's release.
pub const OS_RELEASE: &str = "os.release";
/// The host name.
pub const OS_HOSTNAME: &str = "os.hostname";
/// Node's name of the CPU architecture (`x64`, `arm64`).
pub const OS_ARCH: &str = "os.arch";
/// Node's name of the platform (`linux`, `darwin`, `win32`).
pub const OS_PLATFORM: &str = "os.platform";
/// The uid the process runs as.
pub const OS_USER_UID: &str = "os.user.uid";
/// The gid the process runs as.
pub const OS_USER_GID: &str = "os.user.gid";
/// The name of the user the process runs as.
pub const OS_USER_USERNAME: &str = "os.user.username";
/// That user's home directory.
pub const OS_USER_HOMEDIR: &str = "os.user.homedir";
/// Each network address, by `interface` and `family` (`IPv4`, `IPv6`).
pub const OS_NETWORK_ADDRESS: &str = "os.network.address";
/// Each interface's MAC address, by `interface` and `family`.
pub const OS_NETWORK_MAC: &str = "os.network.mac";
/// The time, in milliseconds since the Unix epoch.
pub const OS_DATETIME_UNIX: &str = "os.datetime.unix";
/// The time as JavaScript's `toISOString()` writes it.
pub const OS_DATETIME_ISO: &str = "os.datetime.iso";
/// The time as JavaScript's `toUTCString()` writes it.
pub const OS_DATETIME_UTC: &str = "os.datetime.utc";
/// JavaScript's `getTimezoneOffset()`: minutes from local time to UTC.
pub const OS_DATETIME_TZ_OFFSET: &str = "os.datetime.tz.offset";
/// The 1-minute load average.
pub const OS_CPU_LOAD_1: &str = "os.cpu.load.1";
/// The 5-minute load average.
pub const OS_CPU_LOAD_5: &str = "os.cpu.load.5";
/// The 15-minute load average.
pub const OS_CPU_LOAD_15: &str = "os.cpu.load.15";
/// The CPUs' mean busy percentage over a short sample.
pub const OS_CPU_UTILIZATION: &str = "os.cpu.utilization";
/// The milliseconds all CPUs spent in user mode since boot.
pub const OS_CPU_USER: &str = "os.cpu.user";
/// The milliseconds all CPUs spent in kernel mode since boot.
pub const OS_CPU_SYSTEM: &str = "os.cpu.system";
/// The number of logical CPUs.
pub const OS_CPU_TOTAL: &str = "os.cpu.total";
/// Each CPU's model, by `index`.
pub const OS_CPU_INFO_MODEL: &str = "os.cpu.info.model";
/// Each CPU's speed in MHz, by `index`.
pub const OS_CPU_INFO_SPEED: &str = "os.cpu.info.speed";
/// The milliseconds each CPU spent in user mode since boot, by `index`.
pub const OS_CPU_INFO_TIMES_USER: &str = "os.cpu.info.times.user";
/// The milliseconds each CPU spent in kernel mode since boot, by `index`.
pub const OS_CPU_INFO_TIMES_SYS: &str = "os.cpu.info.times.sys";
