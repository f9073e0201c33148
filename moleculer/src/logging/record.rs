//! A `tracing` event read as a Moleculer log record: its level (with `fatal`), its module
//! and service bindings, its message and its other fields.

use std::fmt;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Level};

use super::module_of;
use crate::options::LogLevel;

/// The field that marks an `error` record as `fatal`.
pub(crate) const FATAL_FIELD: &str = "fatal";
/// The field (on the record or a span around it) naming the record's service.
pub(crate) const SERVICE_FIELD: &str = "svc";
/// The field (on the record or a span around it) with the service's version.
pub(crate) const VERSION_FIELD: &str = "ver";

/// The value of a record's field, kept as typed as `tracing` gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldValue {
    /// Text, and any value recorded with `%` or `?`.
    Str(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl FieldValue {
    /// The value as JSON, as `JSON.stringify` writes it (`NaN` is `null`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Str(s) => serde_json::Value::from(s.as_str()),
            Self::Int(n) => serde_json::Value::from(*n),
            Self::Uint(n) => serde_json::Value::from(*n),
            Self::Float(x) => crate::js::number_to_json(*x),
            Self::Bool(b) => serde_json::Value::from(*b),
        }
    }

    /// The value as `String(value)` gives it.
    pub(crate) fn to_text(&self) -> String {
        match self {
            Self::Str(s) => s.clone(),
            Self::Int(n) => n.to_string(),
            Self::Uint(n) => n.to_string(),
            Self::Float(x) => crate::js::number_to_string(*x),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// A service's bindings: `svc` and `ver`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ServiceBindings {
    /// The service's name.
    pub(crate) svc: Option<String>,
    /// The service's version, a number or a string.
    pub(crate) ver: Option<FieldValue>,
}

impl ServiceBindings {
    /// Node's module of a service logger: the service's full name (`v2.math`).
    pub(crate) fn module(&self) -> Option<String> {
        let svc = self.svc.as_ref()?;
        Some(match &self.ver {
            None => svc.clone(),
            Some(FieldValue::Str(prefix)) => format!("{prefix}.{svc}"),
            Some(number) => format!("v{}.{svc}", number.to_text()),
        })
    }

    /// A visitor that takes `svc` and `ver` from a span's fields.
    pub(crate) fn visitor(&mut self) -> BindingsVisitor<'_> {
        BindingsVisitor(self)
    }
}

/// Reads only `svc` and `ver`.
pub(crate) struct BindingsVisitor<'a>(&'a mut ServiceBindings);

impl Visit for BindingsVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.value(field, FieldValue::Str(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, FieldValue::Int(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, FieldValue::Uint(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, FieldValue::Float(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.value(field, FieldValue::Str(format!("{value:?}")));
    }
}

impl BindingsVisitor<'_> {
    fn value(&mut self, field: &Field, value: FieldValue) {
        match field.name() {
            SERVICE_FIELD => self.0.svc = Some(value.to_text()),
            VERSION_FIELD => self.0.ver = Some(value),
            _ => {}
        }
    }
}

/// A record as the formatters print it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// When it was logged.
    pub(crate) time: SystemTime,
    /// Its level; `fatal` for an `error` with the marker field.
    pub(crate) level: LogLevel,
    /// Node's `mod` binding: the module as named (`broker`, `transit`, `v2.math`).
    pub(crate) module: String,
    /// The service bindings, when the record comes from a service.
    pub(crate) service: ServiceBindings,
    /// The message, if the record has one.
    pub(crate) message: Option<String>,
    /// The other fields, in the order written.
    pub(crate) fields: Vec<(String, FieldValue)>,
}

impl Record {
    /// Reads `event`, with `outer` the bindings of the spans around it (the innermost
    /// span that names a service).
    pub(crate) fn of_event(event: &Event<'_>, outer: impl FnOnce() -> ServiceBindings) -> Record {
        let mut visitor = RecordVisitor::default();
        event.record(&mut visitor);
        let level = match *event.metadata().level() {
            Level::ERROR if visitor.fatal => LogLevel::Fatal,
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        };
        let service = if visitor.service.svc.is_some() {
            visitor.service
        } else {
            outer()
        };
        let module = service.module().unwrap_or_else(|| {
            module_of(
                visitor
                    .target
                    .as_deref()
                    .unwrap_or(event.metadata().target()),
            )
        });
        Record {
            time: SystemTime::now(),
            level,
            module,
            service,
            message: visitor.message,
            fields: visitor.fields,
        }
    }
}

/// Collects an event's fields, setting the bindings and the markers apart.
#[derive(Default)]
struct RecordVisitor {
    fatal: bool,
    service: ServiceBindings,
    message: Option<String>,
    /// The target of a record bridged from the `log` crate (`log.target`).
    target: Option<String>,
    fields: Vec<(String, FieldValue)>,
}

impl RecordVisitor {
    fn value(&mut self, field: &Field, value: FieldValue) {
        match field.name() {
            "message" => self.message = Some(value.to_text()),
            SERVICE_FIELD => self.service.svc = Some(value.to_text()),
            VERSION_FIELD => self.service.ver = Some(value),
            FATAL_FIELD if value == FieldValue::Bool(true) => self.fatal = true,
            FATAL_FIELD if value == FieldValue::Bool(false) => {}
            "log.target" => self.target = Some(value.to_text()),
            name if name.starts_with("log.") => {}
            name => self.fields.push((name.to_owned(), value)),
        }
    }
}

impl Visit for RecordVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.value(field, FieldValue::Str(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, FieldValue::Int(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, FieldValue::Uint(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, FieldValue::Float(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.value(field, FieldValue::Bool(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.value(field, FieldValue::Str(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.value(field, FieldValue::Str(format!("{value:?}")));
    }
}
