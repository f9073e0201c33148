//! Node's `Tracing` middleware (`src/middlewares/tracing.js`): a span around each local action
//! call and, with `events: true`, each local event handler, with Node's names and tags.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Capture, HandlerTracing, SpanKind, SpanOptions, TagRules, Tracer};
use crate::context::SharedContext;
use crate::middleware::{Middleware, wrap_action, wrap_event};
use crate::payload::Payload;
use crate::service::{ActionDef, ActionHandler, EventDef, EventHandler, ServiceInfo};

/// The middleware; it exists only while tracing is on.
pub(crate) struct TracingMiddleware {
    tracer: Arc<Tracer>,
    node_id: Arc<str>,
}

impl TracingMiddleware {
    pub(crate) fn new(tracer: &Arc<Tracer>, node_id: Arc<str>) -> Option<TracingMiddleware> {
        tracer.is_enabled().then(|| TracingMiddleware {
            tracer: tracer.clone(),
            node_id,
        })
    }

    /// Whether a handler is traced (`kind_on`: the tracer's `actions` or `events`, then its
    /// own `tracing` key), and if so its own span name and its tag rules over the tracer's
    /// `global` ones. A malformed key is logged and the handler traced as by default.
    fn traced(
        &self,
        kind_on: bool,
        own: Option<&Value>,
        what: &str,
        global: &TagRules,
    ) -> Option<(Option<String>, Arc<TagRules>)> {
        if !kind_on {
            return None;
        }
        let own = HandlerTracing::from_def(own, &format!("{what}.tracing")).unwrap_or_else(|err| {
            tracing::error!(target: "moleculer::tracer", "{err}");
            HandlerTracing::from_def(None, "").expect("the default is valid")
        });
        if !own.enabled {
            return None;
        }
        let rules = own.tags.over(global).over(&TagRules::node_default());
        Some((own.span_name, Arc::new(rules)))
    }
}

/// `value` as a tag under `capture`: all of it, some keys of it, or nothing.
fn captured(capture: Option<&Capture>, value: impl FnOnce() -> Value) -> Option<Value> {
    match capture? {
        Capture::None => None,
        Capture::All => Some(value()),
        Capture::Keys(keys) => {
            let value = value();
            let picked: Map<String, Value> = keys
                .iter()
                .filter_map(|k| value.get(k).map(|v| (k.clone(), v.clone())))
                .collect();
            Some(Value::Object(picked))
        }
    }
}

fn json_of(payload: &Payload) -> Value {
    payload.to_json().unwrap_or(Value::Null)
}

/// `{name, version, fullName}` of a service, as a span names it.
pub(crate) fn service_json(service: &ServiceInfo) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), Value::from(service.name.clone()));
    if let Some(version) = &service.version {
        out.insert(
            "version".into(),
            serde_json::to_value(version).unwrap_or(Value::Null),
        );
    }
    out.insert("fullName".into(), Value::from(&*service.full_name));
    Value::Object(out)
}

/// Who sent the request, and whether that is another node.
fn caller_of(inner: &SharedContext, node_id: &str) -> (Value, Value) {
    let caller = inner.target.node_id();
    (Value::from(&**caller), Value::from(&**caller != node_id))
}

fn span_options(inner: &SharedContext, kind: SpanKind, tags: Map<String, Value>) -> SpanOptions {
    SpanOptions {
        id: Some(inner.id.to_string()),
        kind,
        trace_id: Some(inner.request_id().to_string()),
        parent_id: inner.parent_id.as_ref().map(ToString::to_string),
        service: Some(service_json(inner.target.service())),
        sampled: inner.tracing.get(),
        tags,
        ..SpanOptions::default()
    }
}

impl Middleware for TracingMiddleware {
    fn name(&self) -> &str {
        "Tracing"
    }

    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let options = self.tracer.options();
        let (span_name, rules) = self.traced(
            options.actions,
            action.extra.get("tracing"),
            &action.name,
            &options.action_tags,
        )?;
        let span_name: Arc<str> = span_name
            .unwrap_or_else(|| format!("action '{}'", action.name))
            .into();
        let action_tag = json!({ "name": &*action.name, "rawName": action.raw_name });
        let (tracer, node_id) = (self.tracer.clone(), self.node_id.clone());
        Some(wrap_action(next, move |ctx, next| {
            let inner = ctx.inner.clone();
            let (caller, remote) = caller_of(&inner, &node_id);
            let mut tags = Map::with_capacity(12);
            tags.insert("callingLevel".into(), Value::from(inner.level));
            tags.insert("action".into(), action_tag.clone());
            tags.insert("remoteCall".into(), remote);
            tags.insert("callerNodeID".into(), caller);
            tags.insert("nodeID".into(), Value::from(&*node_id));
            let mut options = Map::new();
            if let Some((timeout, _)) = inner.timeout {
                options.insert("timeout".into(), Value::from(timeout.as_millis() as u64));
            }
            tags.insert("options".into(), Value::Object(options));
            tags.insert(
                "requestID".into(),
                Value::from(inner.request_id().to_string()),
            );
            if let Some(params) = captured(rules.params.as_ref(), || json_of(&ctx.params)) {
                tags.insert("params".into(), params);
            }
            if let Some(meta) = captured(rules.meta.as_ref(), || {
                Value::Object(inner.meta.lock().clone())
            }) {
                tags.insert("meta".into(), meta);
            }
            let mut span = tracer.start_span(
                span_name.to_string(),
                span_options(&inner, SpanKind::Action, tags),
            );
            inner.tracing.set(span.is_sampled());
            let (rules, next, tracer) = (rules.clone(), next.clone(), tracer.clone());
            Box::pin(async move {
                let result = next.call(ctx).await;
                match &result {
                    Ok(response) => {
                        let cached = inner
                            .cached_result
                            .load(std::sync::atomic::Ordering::Relaxed);
                        span.tag("fromCache", Value::from(cached));
                        if let Some(response) =
                            captured(rules.response.as_ref(), || json_of(response))
                        {
                            span.tag("response", response);
                        }
                    }
                    Err(err) => {
                        span.set_error(err);
                    }
                }
                span.finish();
                tracer.let_exporters_send().await;
                result
            })
        }))
    }

    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let options = self.tracer.options();
        let (span_name, rules) = self.traced(
            options.events,
            event.extra.get("tracing"),
            &event.name,
            &options.event_tags,
        )?;
        let (tracer, node_id) = (self.tracer.clone(), self.node_id.clone());
        let (pattern, group, span_name) = (
            event.name.clone(),
            event.group.clone(),
            span_name.map(Arc::<str>::from),
        );
        Some(wrap_event(next, move |ctx, next| {
            let inner = ctx.inner.clone();
            let service = inner.target.service().clone();
            let mut tags = Map::with_capacity(12);
            let group = group.clone().unwrap_or_else(|| service.name.clone());
            tags.insert("event".into(), json!({ "name": &*pattern, "group": group }));
            tags.insert("eventName".into(), Value::from(ctx.event_name()));
            tags.insert("eventType".into(), Value::from(ctx.event_type().as_str()));
            let (caller, remote) = caller_of(&inner, &node_id);
            tags.insert("callerNodeID".into(), caller);
            tags.insert("callingLevel".into(), Value::from(inner.level));
            tags.insert("remoteCall".into(), remote);
            tags.insert("nodeID".into(), Value::from(&*node_id));
            tags.insert(
                "requestID".into(),
                Value::from(inner.request_id().to_string()),
            );
            if let Some(params) = captured(rules.params.as_ref(), || json_of(&ctx.params)) {
                tags.insert("params".into(), params);
            }
            if let Some(meta) = captured(rules.meta.as_ref(), || {
                Value::Object(inner.meta.lock().clone())
            }) {
                tags.insert("meta".into(), meta);
            }
            let name = match &span_name {
                Some(name) => name.to_string(),
                None => format!("event '{}' in '{}'", ctx.event_name(), service.full_name),
            };
            let mut span = tracer.start_span(name, span_options(&inner, SpanKind::Event, tags));
            inner.tracing.set(span.is_sampled());
            let (next, tracer) = (next.clone(), tracer.clone());
            Box::pin(async move {
                let result = next.call(ctx).await;
                if let Err(err) = &result {
                    span.set_error(err);
                }
                span.finish();
                tracer.let_exporters_send().await;
                result
            })
        }))
    }
}
