//! Node 0.14's `EventLegacy` trace exporter: each span sent as Moleculer 0.13's metrics
//! events, `metrics.trace.span.start` when it starts and `metrics.trace.span.finish` when it
//! ends, with 0.13's payload, for the collectors written for those.

use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::broker::WeakBroker;
use crate::options::OptionsError;
use crate::tracer::SpanData;

const STARTED: &str = "metrics.trace.span.start";
const FINISHED: &str = "metrics.trace.span.finish";

/// Reads the exporter's options: it has none of its own.
pub(crate) fn read_options(options: &Map<String, Value>, at: &str) -> Result<(), OptionsError> {
    match options.iter().find(|(_, v)| !v.is_null()) {
        Some((key, _)) => Err(OptionsError::invalid(
            &format!("{at}.{key}"),
            "nothing: the EventLegacy exporter has no options",
        )),
        None => Ok(()),
    }
}

/// The running exporter: the events waiting, and the task sending them.
#[derive(Debug)]
pub(crate) struct EventLegacyExporter {
    node_id: String,
    broker: WeakBroker,
    queue: Arc<Mutex<Vec<(&'static str, Value)>>>,
    waiting: Arc<Notify>,
    sender: JoinHandle<()>,
}

impl EventLegacyExporter {
    pub(crate) fn start(broker: WeakBroker) -> EventLegacyExporter {
        let node_id = broker
            .upgrade()
            .map(|b| b.node_id().to_owned())
            .unwrap_or_default();
        let queue: Arc<Mutex<Vec<(&'static str, Value)>>> = Arc::new(Mutex::new(Vec::new()));
        let waiting = Arc::new(Notify::new());
        let sender = {
            let (broker, queue, waiting) = (broker.clone(), queue.clone(), waiting.clone());
            tokio::spawn(async move {
                loop {
                    waiting.notified().await;
                    send(&broker, &queue).await;
                }
            })
        };
        EventLegacyExporter {
            node_id,
            broker,
            queue,
            waiting,
            sender,
        }
    }

    pub(crate) fn span_started(&self, span: &SpanData) {
        self.push(STARTED, span);
    }

    pub(crate) fn span_finished(&self, span: &SpanData) {
        self.push(FINISHED, span);
    }

    fn push(&self, event: &'static str, span: &SpanData) {
        let own = span.tags.get("eventName").and_then(Value::as_str);
        if own == Some(STARTED) || own == Some(FINISHED) {
            return;
        }
        self.queue.lock().push((event, self.payload(span)));
        self.waiting.notify_one();
    }

    /// Moleculer 0.13's span payload.
    fn payload(&self, span: &SpanData) -> Value {
        let tag = |key: &str| span.tags.get(key).cloned();
        let mut out = Map::new();
        out.insert("id".into(), Value::from(span.id.clone()));
        out.insert("requestID".into(), Value::from(span.trace_id.clone()));
        if let Some(level) = tag("callingLevel") {
            out.insert("level".into(), level);
        }
        out.insert("startTime".into(), Value::from(span.start_time));
        let remote = tag("remoteCall");
        if let Some(remote) = &remote {
            out.insert("remoteCall".into(), remote.clone());
        }
        if let Some(action) = tag("action") {
            out.insert("action".into(), action);
        }
        if let Some(service) = &span.service {
            out.insert("service".into(), service.clone());
        }
        if let Some(parent) = &span.parent_id {
            out.insert("parent".into(), Value::from(parent.clone()));
        }
        out.insert("nodeID".into(), Value::from(self.node_id.clone()));
        if remote.as_ref().is_some_and(crate::js::is_truthy)
            && let Some(caller) = tag("callerNodeID")
        {
            out.insert("callerNodeID".into(), caller);
        }
        if let Some(finish) = span.finish_time {
            out.insert("endTime".into(), number(finish));
            out.insert("duration".into(), number(span.duration.unwrap_or(0.0)));
            if let Some(from_cache) = tag("fromCache") {
                out.insert("fromCache".into(), from_cache);
            }
            if let Some(error) = &span.error {
                out.insert("error".into(), error.clone());
            }
        }
        Value::Object(out)
    }

    pub(crate) async fn stop(self) {
        self.sender.abort();
        send(&self.broker, &self.queue).await;
    }
}

fn number(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// Sends the events waiting.
async fn send(broker: &WeakBroker, queue: &Mutex<Vec<(&'static str, Value)>>) {
    let events = std::mem::take(&mut *queue.lock());
    let Some(broker) = broker.upgrade() else {
        return;
    };
    for (event, payload) in events {
        if let Err(err) = broker.emit(event, payload).await {
            tracing::warn!(target: "moleculer::tracer", "Unable to send `{event}`: {err}");
        }
    }
}

impl Drop for EventLegacyExporter {
    fn drop(&mut self) {
        self.sender.abort();
    }
}
