//! Node's `Event` trace exporter: the sampled spans, in Node's shape, sent as an event
//! (`$tracing.spans`) every `interval` seconds, or at once with `interval: 0`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::batch::{self, Batch};
use crate::broker::WeakBroker;
use crate::context::EmitOptions;
use crate::options::OptionsError;
use crate::tracer::SpanData;

/// The `Event` exporter's options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventExporterOptions {
    /// The event's name (`eventName`, `$tracing.spans`).
    pub event_name: String,
    /// Send spans when they start (`sendStartSpan`, false).
    pub send_start_span: bool,
    /// Send spans when they finish (`sendFinishSpan`, true).
    pub send_finish_span: bool,
    /// Broadcast rather than emit (`broadcast`, false).
    pub broadcast: bool,
    /// Only to these groups (`groups`).
    pub groups: Option<Vec<String>>,
    /// How often the spans are sent (`interval`, 5 s); zero sends each span at once.
    pub interval: Duration,
    /// Tags under each span's own (`defaultTags`).
    pub default_tags: Map<String, Value>,
}

impl Default for EventExporterOptions {
    fn default() -> Self {
        EventExporterOptions {
            event_name: "$tracing.spans".to_owned(),
            send_start_span: false,
            send_finish_span: true,
            broadcast: false,
            groups: None,
            interval: Duration::from_secs(5),
            default_tags: Map::new(),
        }
    }
}

impl EventExporterOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = EventExporterOptions::default();
        for (key, value) in options {
            let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
            let boolean = || value.as_bool().ok_or_else(|| bad("true or false"));
            match key.as_str() {
                _ if value.is_null() => {}
                "eventName" => {
                    parsed.event_name = value.as_str().ok_or_else(|| bad("a string"))?.to_owned();
                }
                "sendStartSpan" => parsed.send_start_span = boolean()?,
                "sendFinishSpan" => parsed.send_finish_span = boolean()?,
                "broadcast" => parsed.broadcast = boolean()?,
                "groups" => {
                    let groups = match value {
                        Value::String(one) => Some(vec![one.clone()]),
                        Value::Array(items) => items
                            .iter()
                            .map(|g| g.as_str().map(str::to_owned))
                            .collect(),
                        _ => None,
                    };
                    parsed.groups = Some(groups.ok_or_else(|| bad("a group or a list of groups"))?);
                }
                "interval" => {
                    parsed.interval = value
                        .as_f64()
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(Duration::from_secs_f64)
                        .ok_or_else(|| bad("a number of seconds (0: each span at once)"))?;
                }
                "defaultTags" => {
                    parsed.default_tags = value.as_object().cloned().ok_or_else(|| {
                        bad("an object of tags (a JavaScript function cannot be given here)")
                    })?;
                }
                "spanConverter" => {
                    return Err(bad(
                        "a JavaScript function: the spans are sent in Node's shape",
                    ));
                }
                _ => {
                    return Err(bad(
                        "an option of the Event exporter (eventName, sendStartSpan, sendFinishSpan, broadcast, groups, interval, defaultTags)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// The running exporter.
#[derive(Debug)]
pub(crate) struct EventExporter {
    options: Arc<EventExporterOptions>,
    batch: Batch,
}

impl EventExporter {
    pub(crate) fn start(options: EventExporterOptions, broker: WeakBroker) -> EventExporter {
        let options = Arc::new(options);
        let send: batch::SendBatch = {
            let options = options.clone();
            Arc::new(move |spans| {
                let (options, broker) = (options.clone(), broker.clone());
                Box::pin(async move { send(&options, &broker, spans).await })
            })
        };
        EventExporter {
            batch: Batch::start(options.interval, send),
            options,
        }
    }

    pub(crate) fn span_started(&self, span: &SpanData) {
        if self.options.send_start_span {
            self.push(span.clone());
        }
    }

    pub(crate) fn span_finished(&self, span: SpanData) {
        if self.options.send_finish_span {
            self.push(span);
        }
    }

    fn push(&self, mut span: SpanData) {
        // The exporter's own events are not traced in its spans.
        if span.tags.get("eventName").and_then(Value::as_str) == Some(&self.options.event_name) {
            return;
        }
        if !self.options.default_tags.is_empty() {
            let mut tags = self.options.default_tags.clone();
            tags.extend(std::mem::take(&mut span.tags));
            span.tags = tags;
        }
        self.batch.push(span);
    }

    pub(crate) fn sends_at_once(&self) -> bool {
        self.batch.sends_at_once()
    }

    pub(crate) async fn stop(self) {
        self.batch.stop().await;
    }
}

/// Sends spans as the event, written in Node's shape when they are serialized.
async fn send(options: &EventExporterOptions, broker: &WeakBroker, spans: Vec<SpanData>) {
    let Some(broker) = broker.upgrade() else {
        return;
    };
    let mut emit = EmitOptions::new();
    emit.groups = options.groups.clone();
    tracing::debug!(
        target: "moleculer::tracer",
        "Send tracing spans ({} spans) {} events.",
        spans.len(),
        if options.broadcast { "broadcast" } else { "emit" }
    );
    let sent = if options.broadcast {
        broker
            .broadcast_with(&options.event_name, spans, emit)
            .await
    } else {
        broker.emit_with(&options.event_name, spans, emit).await
    };
    if let Err(err) = sent {
        tracing::warn!(target: "moleculer::tracer", "Unable to send the tracing spans: {err}");
    }
}
