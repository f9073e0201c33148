//! Node's `Span` (`src/tracing/span.js`): a named, timed piece of a trace with its ids, tags,
//! logs and error, written as Node writes it for the exporters.

use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::Tracer;
use crate::error::Error;

/// What a span is of (Node's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// An action's handler (`"action"`).
    Action,
    /// An event's handler (`"event"`).
    Event,
    /// A span a handler starts (`"custom"`).
    Custom,
}

impl SpanKind {
    /// Node's name.
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Action => "action",
            SpanKind::Event => "event",
            SpanKind::Custom => "custom",
        }
    }
}

/// Where a span starts: its ids, service and sampling, and its first tags.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpanOptions {
    /// The span's id (a new one when `None`).
    pub id: Option<String>,
    /// The kind.
    pub kind: SpanKind,
    /// The trace's id (the span's own when `None`).
    pub trace_id: Option<String>,
    /// The parent span's id.
    pub parent_id: Option<String>,
    /// `{name, version, fullName}` of the service it runs in.
    pub service: Option<Value>,
    /// The priority (5).
    pub priority: i64,
    /// Whether it is sampled; the tracer decides when `None`.
    pub sampled: Option<bool>,
    /// Its first tags.
    pub tags: Map<String, Value>,
}

impl Default for SpanOptions {
    fn default() -> Self {
        SpanOptions {
            id: None,
            kind: SpanKind::Custom,
            trace_id: None,
            parent_id: None,
            service: None,
            priority: 5,
            sampled: None,
            tags: Map::new(),
        }
    }
}

impl SpanOptions {
    /// A custom span.
    pub fn new() -> SpanOptions {
        SpanOptions::default()
    }

    /// With this tag.
    pub fn tag(mut self, key: impl Into<String>, value: Value) -> SpanOptions {
        self.tags.insert(key.into(), value);
        self
    }

    /// With this priority.
    pub fn priority(mut self, priority: i64) -> SpanOptions {
        self.priority = priority;
        self
    }
}

/// The milliseconds since the process began (Node's `performance.now()`), the clock of a
/// span's `startTicks` and durations.
fn ticks(at: Instant) -> f64 {
    static BORN: OnceLock<Instant> = OnceLock::new();
    let born = *BORN.get_or_init(Instant::now);
    at.saturating_duration_since(born).as_secs_f64() * 1000.0
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A span's fields.
#[derive(Debug, Clone)]
pub(crate) struct SpanData {
    pub(crate) name: String,
    pub(crate) kind: SpanKind,
    pub(crate) id: String,
    pub(crate) trace_id: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) service: Option<Value>,
    pub(crate) priority: i64,
    pub(crate) sampled: bool,
    pub(crate) start_time: u64,
    pub(crate) start_ticks: f64,
    pub(crate) started: Instant,
    pub(crate) finish_time: Option<f64>,
    pub(crate) duration: Option<f64>,
    pub(crate) error: Option<Value>,
    pub(crate) logs: Vec<Value>,
    pub(crate) tags: Map<String, Value>,
}

impl SpanData {
    /// The milliseconds since the epoch now, on the span's clock.
    fn time(&self) -> f64 {
        self.start_time as f64 + self.started.elapsed().as_secs_f64() * 1000.0
    }
}

/// The span as Node's exporters see it (`Object.assign({}, span)`), in Node's key order,
/// written straight from the fields.
impl serde::Serialize for SpanData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = serializer.serialize_map(None)?;
        if let Some(service) = &self.service {
            out.serialize_entry("service", service)?;
        }
        out.serialize_entry("name", &self.name)?;
        out.serialize_entry("type", self.kind.name())?;
        out.serialize_entry("id", &self.id)?;
        out.serialize_entry("traceID", &self.trace_id)?;
        out.serialize_entry("parentID", &self.parent_id)?;
        out.serialize_entry("priority", &self.priority)?;
        out.serialize_entry("sampled", &self.sampled)?;
        out.serialize_entry("startTime", &self.start_time)?;
        out.serialize_entry("startTicks", &number(Some(self.start_ticks)))?;
        out.serialize_entry("finishTime", &number(self.finish_time))?;
        out.serialize_entry("duration", &number(self.duration))?;
        out.serialize_entry("error", &self.error)?;
        out.serialize_entry("logs", &self.logs)?;
        out.serialize_entry("tags", &self.tags)?;
        out.end()
    }
}

fn number(n: Option<f64>) -> Value {
    n.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A running span. [`finish`](Span::finish) ends it (dropping it does too) and hands it to
/// the exporters when it is sampled.
#[derive(Debug)]
pub struct Span {
    data: Option<SpanData>,
    tracer: Arc<Tracer>,
}

impl Span {
    pub(crate) fn start(tracer: &Arc<Tracer>, name: String, options: SpanOptions) -> Span {
        let id = options
            .id
            .unwrap_or_else(|| crate::context::ContextId::generate().to_string());
        let started = Instant::now();
        let mut data = SpanData {
            name,
            kind: options.kind,
            trace_id: options.trace_id.unwrap_or_else(|| id.clone()),
            id,
            parent_id: options.parent_id,
            service: options.service,
            priority: options.priority,
            sampled: false,
            start_time: epoch_ms(),
            start_ticks: ticks(started),
            started,
            finish_time: None,
            duration: None,
            error: None,
            logs: Vec::new(),
            // The tracer's `defaultTags` first, as Node adds them.
            tags: match &tracer.options().default_tags {
                defaults if defaults.is_empty() => options.tags,
                defaults => {
                    let mut tags = defaults.clone();
                    tags.extend(options.tags);
                    tags
                }
            },
        };
        data.sampled = options
            .sampled
            .unwrap_or_else(|| tracer.should_sample(data.priority));
        tracer.span_started(&data);
        Span {
            data: Some(data),
            tracer: tracer.clone(),
        }
    }

    fn data(&self) -> &SpanData {
        self.data
            .as_ref()
            .expect("a span is running until it is finished")
    }

    fn data_mut(&mut self) -> &mut SpanData {
        self.data
            .as_mut()
            .expect("a span is running until it is finished")
    }

    /// The span's id.
    pub fn id(&self) -> &str {
        &self.data().id
    }

    /// The trace's id.
    pub fn trace_id(&self) -> &str {
        &self.data().trace_id
    }

    /// Whether it is sampled (exported).
    pub fn is_sampled(&self) -> bool {
        self.data().sampled
    }

    /// Adds tags (Node's `addTags`: a tag of the same name is replaced).
    pub fn add_tags(&mut self, tags: Map<String, Value>) -> &mut Span {
        self.data_mut().tags.extend(tags);
        self
    }

    /// Adds one tag.
    pub fn tag(&mut self, key: impl Into<String>, value: Value) -> &mut Span {
        self.data_mut().tags.insert(key.into(), value);
        self
    }

    /// Records a log event in the span (Node's `log(name, fields)`).
    pub fn log(&mut self, name: impl Into<String>, fields: Value) -> &mut Span {
        let data = self.data_mut();
        let time = data.time();
        let fields = if fields.is_null() { json!({}) } else { fields };
        data.logs.push(json!({
            "name": name.into(),
            "fields": fields,
            "time": time,
            "elapsed": time - data.start_time as f64,
        }));
        self
    }

    /// Marks the span failed, keeping the tracer's `errorFields` of the error.
    pub fn set_error(&mut self, error: &Error) -> &mut Span {
        let fields = self.tracer.error_object(error);
        self.data_mut().error = Some(fields);
        self
    }

    /// Starts a span inside this one: same trace, this one its parent, same sampling and
    /// service.
    pub fn start_span(&self, name: impl Into<String>, mut options: SpanOptions) -> Span {
        let data = self.data();
        options.trace_id = Some(data.trace_id.clone());
        options.parent_id = Some(data.id.clone());
        options.sampled = Some(data.sampled);
        if options.service.is_none() {
            options.service = data.service.clone();
        }
        Span::start(&self.tracer, name.into(), options)
    }

    /// Ends the span now.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if let Some(mut data) = self.data.take() {
            let finish = data.time();
            data.finish_time = Some(finish);
            data.duration = Some(finish - data.start_time as f64);
            self.tracer.span_finished(data);
        }
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        self.end();
    }
}
