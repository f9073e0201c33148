//! Moleculer's error model (`src/errors.js`).
//!
//! Every failure is one [`Error`] that carries exactly what travels in a `RES` packet's `error`
//! object: `name`, `message`, `code`, `type`, `data`, `retryable`, `nodeID` and `stack`. The
//! [`ErrorKind`] classifies it the way Node's error classes do, so a Rust caller can `match` on
//! it, and [`Error::to_wire`] / [`Error::from_wire`] convert losslessly to and from the wire form.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value, json};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The class of a Moleculer error, named after Node's error classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `MoleculerError`: the base class, or any class name this crate does not know.
    Moleculer,
    /// `MoleculerRetryableError`.
    Retryable,
    /// `MoleculerServerError` (500, retryable).
    Server,
    /// `MoleculerClientError` (400, not retryable).
    Client,
    /// `ServiceNotFoundError` (404).
    ServiceNotFound,
    /// `ServiceNotAvailableError` (404).
    ServiceNotAvailable,
    /// `RequestTimeoutError` (504).
    RequestTimeout,
    /// `RequestSkippedError` (514).
    RequestSkipped,
    /// `RequestRejectedError` (503).
    RequestRejected,
    /// `QueueIsFullError` (429).
    QueueIsFull,
    /// `ValidationError` (422).
    Validation,
    /// `MaxCallLevelError` (500).
    MaxCallLevel,
    /// `ServiceSchemaError` (500).
    ServiceSchema,
    /// `BrokerOptionsError` (500).
    BrokerOptions,
    /// `GracefulStopTimeoutError` (500).
    GracefulStopTimeout,
    /// `ProtocolVersionMismatchError` (500).
    ProtocolVersionMismatch,
    /// `InvalidPacketDataError` (500).
    InvalidPacketData,
    /// `BrokerDisconnectedError` (502).
    BrokerDisconnected,
}

impl ErrorKind {
    /// The Node class name of this kind, as sent in the wire error's `name`.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Moleculer => "MoleculerError",
            ErrorKind::Retryable => "MoleculerRetryableError",
            ErrorKind::Server => "MoleculerServerError",
            ErrorKind::Client => "MoleculerClientError",
            ErrorKind::ServiceNotFound => "ServiceNotFoundError",
            ErrorKind::ServiceNotAvailable => "ServiceNotAvailableError",
            ErrorKind::RequestTimeout => "RequestTimeoutError",
            ErrorKind::RequestSkipped => "RequestSkippedError",
            ErrorKind::RequestRejected => "RequestRejectedError",
            ErrorKind::QueueIsFull => "QueueIsFullError",
            ErrorKind::Validation => "ValidationError",
            ErrorKind::MaxCallLevel => "MaxCallLevelError",
            ErrorKind::ServiceSchema => "ServiceSchemaError",
            ErrorKind::BrokerOptions => "BrokerOptionsError",
            ErrorKind::GracefulStopTimeout => "GracefulStopTimeoutError",
            ErrorKind::ProtocolVersionMismatch => "ProtocolVersionMismatchError",
            ErrorKind::InvalidPacketData => "InvalidPacketDataError",
            ErrorKind::BrokerDisconnected => "BrokerDisconnectedError",
        }
    }

    /// The kind for a Node class name; unknown names are [`ErrorKind::Moleculer`].
    pub fn from_class_name(name: &str) -> ErrorKind {
        const ALL: [ErrorKind; 18] = [
            ErrorKind::Moleculer,
            ErrorKind::Retryable,
            ErrorKind::Server,
            ErrorKind::Client,
            ErrorKind::ServiceNotFound,
            ErrorKind::ServiceNotAvailable,
            ErrorKind::RequestTimeout,
            ErrorKind::RequestSkipped,
            ErrorKind::RequestRejected,
            ErrorKind::QueueIsFull,
            ErrorKind::Validation,
            ErrorKind::MaxCallLevel,
            ErrorKind::ServiceSchema,
            ErrorKind::BrokerOptions,
            ErrorKind::GracefulStopTimeout,
            ErrorKind::ProtocolVersionMismatch,
            ErrorKind::InvalidPacketData,
            ErrorKind::BrokerDisconnected,
        ];
        ALL.into_iter()
            .find(|k| k.class_name() == name)
            .unwrap_or(ErrorKind::Moleculer)
    }
}

/// A Moleculer error: what a failed call returns, locally or across the wire.
///
/// Build one with a constructor named after Node's class ([`Error::service_not_found`],
/// [`Error::validation`], [`Error::client`], ...), or convert your own error type with
/// `impl From<MyError> for moleculer::Error`.
#[derive(Clone, PartialEq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq)]
struct Inner {
    kind: ErrorKind,
    name: Cow<'static, str>,
    message: String,
    code: u16,
    error_type: Option<Cow<'static, str>>,
    data: Option<Value>,
    retryable: bool,
    node_id: Option<String>,
    stack: Option<String>,
}

impl Error {
    fn of(kind: ErrorKind, message: impl Into<String>, code: u16, retryable: bool) -> Error {
        Error(Box::new(Inner {
            kind,
            name: Cow::Borrowed(kind.class_name()),
            message: message.into(),
            code,
            error_type: None,
            data: None,
            retryable,
            node_id: None,
            stack: None,
        }))
    }

    fn typed(mut self, error_type: &'static str) -> Error {
        self.0.error_type = Some(Cow::Borrowed(error_type));
        self
    }

    /// `MoleculerError(message, code, type, data)`: not retryable.
    pub fn moleculer(message: impl Into<String>, code: u16) -> Error {
        Error::of(ErrorKind::Moleculer, message, code, false)
    }

    /// `MoleculerRetryableError(message, code)`: retryable, code 500 by default.
    pub fn retryable(message: impl Into<String>) -> Error {
        Error::of(ErrorKind::Retryable, message, 500, true)
    }

    /// `MoleculerServerError(message)`: code 500, retryable.
    pub fn server(message: impl Into<String>) -> Error {
        Error::of(ErrorKind::Server, message, 500, true)
    }

    /// `MoleculerClientError(message)`: code 400, not retryable.
    pub fn client(message: impl Into<String>) -> Error {
        Error::of(ErrorKind::Client, message, 400, false)
    }

    /// `ServiceNotFoundError {action, nodeID}`.
    pub fn service_not_found(action: &str, node_id: Option<&str>) -> Error {
        let message = match node_id {
            Some(node) => format!("Service '{action}' is not found on '{node}' node."),
            None => format!("Service '{action}' is not found."),
        };
        Error::of(ErrorKind::ServiceNotFound, message, 404, true)
            .typed("SERVICE_NOT_FOUND")
            .with_data(json!({ "action": action, "nodeID": node_id }))
    }

    /// `ServiceNotFoundError {service, version}` from `waitForServices`-style lookups.
    pub fn service_not_found_by_name(service: &str, version: Option<&Value>) -> Error {
        Error::of(
            ErrorKind::ServiceNotFound,
            format!("Service '{service}' is not found."),
            404,
            true,
        )
        .typed("SERVICE_NOT_FOUND")
        .with_data(json!({ "service": service, "version": version }))
    }

    /// `ServiceNotAvailableError {action, nodeID}`.
    pub fn service_not_available(action: &str, node_id: Option<&str>) -> Error {
        let message = match node_id {
            Some(node) => format!("Service '{action}' is not available on '{node}' node."),
            None => format!("Service '{action}' is not available."),
        };
        Error::of(ErrorKind::ServiceNotAvailable, message, 404, true)
            .typed("SERVICE_NOT_AVAILABLE")
            .with_data(json!({ "action": action, "nodeID": node_id }))
    }

    /// `RequestTimeoutError {action, nodeID}`.
    pub fn request_timeout(action: &str, node_id: &str) -> Error {
        Error::of(
            ErrorKind::RequestTimeout,
            format!("Request is timed out when call '{action}' action on '{node_id}' node."),
            504,
            true,
        )
        .typed("REQUEST_TIMEOUT")
        .with_data(json!({ "action": action, "nodeID": node_id }))
    }

    /// `RequestSkippedError {action, nodeID}`: the distributed timeout ran out before the call.
    pub fn request_skipped(action: &str, node_id: &str) -> Error {
        Error::of(
            ErrorKind::RequestSkipped,
            format!("Calling '{action}' is skipped because timeout reached on '{node_id}' node."),
            514,
            false,
        )
        .typed("REQUEST_SKIPPED")
        .with_data(json!({ "action": action, "nodeID": node_id }))
    }

    /// `RequestRejectedError {action, nodeID}`: the target node went away.
    pub fn request_rejected(action: &str, node_id: &str) -> Error {
        Error::of(
            ErrorKind::RequestRejected,
            format!("Request is rejected when call '{action}' action on '{node_id}' node."),
            503,
            true,
        )
        .typed("REQUEST_REJECTED")
        .with_data(json!({ "action": action, "nodeID": node_id }))
    }

    /// `QueueIsFullError {action, nodeID, size, limit}`.
    pub fn queue_is_full(action: &str, node_id: &str, size: usize, limit: usize) -> Error {
        Error::of(
            ErrorKind::QueueIsFull,
            format!("Queue is full. Request '{action}' action on '{node_id}' node is rejected."),
            429,
            true,
        )
        .typed("QUEUE_FULL")
        .with_data(json!({ "action": action, "nodeID": node_id, "size": size, "limit": limit }))
    }

    /// `ValidationError("Parameters validation error!", "VALIDATION_ERROR", data)`: `data` is the
    /// array of fastest-validator error objects.
    pub fn validation(data: Vec<Value>) -> Error {
        Error::of(
            ErrorKind::Validation,
            "Parameters validation error!",
            422,
            false,
        )
        .typed("VALIDATION_ERROR")
        .with_data(Value::Array(data))
    }

    /// `MaxCallLevelError {nodeID, level}`.
    pub fn max_call_level(node_id: &str, level: u32) -> Error {
        Error::of(
            ErrorKind::MaxCallLevel,
            format!("Request level is reached the limit ({level}) on '{node_id}' node."),
            500,
            false,
        )
        .typed("MAX_CALL_LEVEL")
        .with_data(json!({ "nodeID": node_id, "level": level }))
    }

    /// `ServiceSchemaError`: a service definition is invalid.
    pub fn service_schema(message: impl Into<String>, data: Option<Value>) -> Error {
        let err =
            Error::of(ErrorKind::ServiceSchema, message, 500, false).typed("SERVICE_SCHEMA_ERROR");
        match data {
            Some(data) => err.with_data(data),
            None => err,
        }
    }

    /// `BrokerOptionsError`: a broker option is invalid.
    pub fn broker_options(message: impl Into<String>, data: Option<Value>) -> Error {
        let err =
            Error::of(ErrorKind::BrokerOptions, message, 500, false).typed("BROKER_OPTIONS_ERROR");
        match data {
            Some(data) => err.with_data(data),
            None => err,
        }
    }

    /// `GracefulStopTimeoutError {name, version}`.
    pub fn graceful_stop_timeout(service: &str, version: Option<&Value>) -> Error {
        Error::of(
            ErrorKind::GracefulStopTimeout,
            format!("Unable to stop '{service}' service gracefully."),
            500,
            false,
        )
        .typed("GRACEFUL_STOP_TIMEOUT")
        .with_data(json!({ "name": service, "version": version }))
    }

    /// `ProtocolVersionMismatchError {nodeID, actual, received}`.
    pub fn protocol_version_mismatch(node_id: &str, actual: &str, received: &str) -> Error {
        Error::of(
            ErrorKind::ProtocolVersionMismatch,
            "Protocol version mismatch.",
            500,
            false,
        )
        .typed("PROTOCOL_VERSION_MISMATCH")
        .with_data(json!({ "nodeID": node_id, "actual": actual, "received": received }))
    }

    /// `InvalidPacketDataError {type, packet}`.
    pub fn invalid_packet_data(message: impl Into<String>, data: Option<Value>) -> Error {
        let err = Error::of(ErrorKind::InvalidPacketData, message, 500, false)
            .typed("INVALID_PACKET_DATA");
        match data {
            Some(data) => err.with_data(data),
            None => err,
        }
    }

    /// `BrokerDisconnectedError`: the transporter is disconnected.
    pub fn broker_disconnected() -> Error {
        Error::of(
            ErrorKind::BrokerDisconnected,
            "The broker's transporter has disconnected. Please try again when a connection is reestablished.",
            502,
            true,
        )
        .typed("BAD_GATEWAY")
    }

    /// Sets the Moleculer `type` string (e.g. `"BAD_REQUEST"`).
    pub fn with_type(mut self, error_type: impl Into<String>) -> Error {
        self.0.error_type = Some(Cow::Owned(error_type.into()));
        self
    }

    /// Sets the error's `data`.
    pub fn with_data(mut self, data: Value) -> Error {
        self.0.data = Some(data);
        self
    }

    /// Sets the numeric `code`.
    pub fn with_code(mut self, code: u16) -> Error {
        self.0.code = code;
        self
    }

    /// Overrides `retryable`.
    pub fn with_retryable(mut self, retryable: bool) -> Error {
        self.0.retryable = retryable;
        self
    }

    /// Sets the node where the error happened (kept when it is forwarded through other nodes).
    pub fn with_node_id(mut self, node_id: impl Into<String>) -> Error {
        self.0.node_id = Some(node_id.into());
        self
    }

    /// Sets a custom class `name`, keeping the kind [`ErrorKind::Moleculer`] unless the name is
    /// one of Node's.
    pub fn with_name(mut self, name: impl Into<String>) -> Error {
        let name = name.into();
        self.0.kind = ErrorKind::from_class_name(&name);
        self.0.name = Cow::Owned(name);
        self
    }

    /// The error class.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The class name sent on the wire (`"ServiceNotFoundError"`, or a custom name).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The numeric code (HTTP-like: 404, 422, 500, ...).
    pub fn code(&self) -> u16 {
        self.0.code
    }

    /// The Moleculer `type` string, e.g. `"SERVICE_NOT_FOUND"`.
    pub fn error_type(&self) -> Option<&str> {
        self.0.error_type.as_deref()
    }

    /// The error's `data`.
    pub fn data(&self) -> Option<&Value> {
        self.0.data.as_ref()
    }

    /// Whether the retry policy may retry the call that failed with this error.
    pub fn is_retryable(&self) -> bool {
        self.0.retryable
    }

    /// The node where the error happened, if known.
    pub fn node_id(&self) -> Option<&str> {
        self.0.node_id.as_deref()
    }

    /// The remote stack trace, for errors that came over the wire.
    pub fn stack(&self) -> Option<&str> {
        self.0.stack.as_deref()
    }

    /// The wire form: `{name, message, nodeID, code, type, retryable, stack, data}`.
    pub fn to_wire(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("name".into(), Value::String(self.0.name.to_string()));
        obj.insert("message".into(), Value::String(self.0.message.clone()));
        obj.insert(
            "nodeID".into(),
            self.0.node_id.clone().map_or(Value::Null, Value::String),
        );
        obj.insert("code".into(), Value::from(self.0.code));
        if let Some(t) = &self.0.error_type {
            obj.insert("type".into(), Value::String(t.to_string()));
        }
        obj.insert("retryable".into(), Value::Bool(self.0.retryable));
        let stack = self
            .0
            .stack
            .clone()
            .unwrap_or_else(|| format!("{}: {}", self.0.name, self.0.message));
        obj.insert("stack".into(), Value::String(stack));
        if let Some(data) = &self.0.data {
            obj.insert("data".into(), data.clone());
        }
        Value::Object(obj)
    }

    /// Restores an error from its wire form, as Node's `Regenerator.restore` does; `sender`
    /// fills a missing `nodeID`. Never fails: odd shapes become a plain `MoleculerError`.
    pub fn from_wire(value: &Value, sender: Option<&str>) -> Error {
        let Some(obj) = value.as_object() else {
            let message = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Error::moleculer(message, 500);
        };
        let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
        let name = text("name").unwrap_or_else(|| "MoleculerError".to_owned());
        let kind = ErrorKind::from_class_name(&name);
        let code = obj
            .get("code")
            .and_then(Value::as_f64)
            .filter(|c| (0.0..=65535.0).contains(c))
            .map_or(500, |c| c as u16);
        Error(Box::new(Inner {
            kind,
            name: Cow::Owned(name),
            message: text("message").unwrap_or_default(),
            code,
            error_type: text("type").map(Cow::Owned),
            data: obj.get("data").filter(|d| !d.is_null()).cloned(),
            retryable: obj
                .get("retryable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            node_id: text("nodeID").or_else(|| sender.map(str::to_owned)),
            stack: text("stack"),
        }))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("name", &self.0.name)
            .field("message", &self.0.message)
            .field("code", &self.0.code);
        if let Some(t) = &self.0.error_type {
            d.field("type", t);
        }
        if let Some(data) = &self.0.data {
            d.field("data", data);
        }
        d.field("retryable", &self.0.retryable);
        if let Some(node) = &self.0.node_id {
            d.field("node_id", node);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.name, self.0.message)?;
        if let Some(t) = &self.0.error_type {
            write!(f, " ({}, {t})", self.0.code)?;
        } else {
            write!(f, " ({})", self.0.code)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Error {
        Error::server(format!("serialization failed: {err}")).with_type("SERIALIZATION_ERROR")
    }
}

impl From<crate::options::OptionsError> for Error {
    fn from(err: crate::options::OptionsError) -> Error {
        Error::broker_options(err.to_string(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_keeps_every_field() {
        let err = Error::client("Bad thing")
            .with_type("BAD")
            .with_data(json!({"x": 1}))
            .with_node_id("node-1");
        let wire = err.to_wire();
        assert_eq!(wire["name"], "MoleculerClientError");
        assert_eq!(wire["code"], 400);
        let back = Error::from_wire(&wire, Some("other"));
        assert_eq!(back.kind(), ErrorKind::Client);
        assert_eq!(back.error_type(), Some("BAD"));
        assert_eq!(back.data(), Some(&json!({"x": 1})));
        assert_eq!(back.node_id(), Some("node-1"));
        assert!(!back.is_retryable());
    }

    #[test]
    fn restore_uses_sender_when_node_id_is_missing() {
        let back = Error::from_wire(&json!({"name": "CustomError", "message": "m"}), Some("n2"));
        assert_eq!(back.kind(), ErrorKind::Moleculer);
        assert_eq!(back.name(), "CustomError");
        assert_eq!(back.node_id(), Some("n2"));
        assert_eq!(back.code(), 500);
    }

    #[test]
    fn non_object_errors_become_moleculer_errors() {
        let back = Error::from_wire(&json!("boom"), None);
        assert_eq!(back.message(), "boom");
        assert_eq!(back.code(), 500);
    }

    #[test]
    fn class_names_round_trip() {
        for kind in [
            ErrorKind::ServiceNotFound,
            ErrorKind::Validation,
            ErrorKind::BrokerDisconnected,
        ] {
            assert_eq!(ErrorKind::from_class_name(kind.class_name()), kind);
        }
    }

    #[test]
    fn constructors_follow_node_codes_and_types() {
        let e = Error::request_timeout("math.add", "n1");
        assert_eq!(
            (e.code(), e.error_type(), e.is_retryable()),
            (504, Some("REQUEST_TIMEOUT"), true)
        );
        let e = Error::queue_is_full("a", "n", 3, 3);
        assert_eq!((e.code(), e.error_type()), (429, Some("QUEUE_FULL")));
        let e = Error::max_call_level("n", 5);
        assert_eq!(
            e.message(),
            "Request level is reached the limit (5) on 'n' node."
        );
    }
}
