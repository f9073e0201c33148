//! Node's `Zipkin` trace exporter: the finished spans posted every `interval` seconds to
//! Zipkin's v2 API (`POST <baseURL>/api/v2/spans`), as Node writes them: ids without dashes
//! cut to 16 hex digits, times in microseconds, the tags flattened to strings, an error as
//! the `error` tag and annotation.
// Without an HTTP exporter's feature, only the options are read.
#![cfg_attr(not(any(feature = "zipkin", feature = "newrelic")), allow(dead_code))]

#[cfg(any(feature = "zipkin", feature = "newrelic"))]
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

#[cfg(any(feature = "zipkin", feature = "newrelic"))]
use super::batch::{Batch, SendBatch};
#[cfg(any(feature = "zipkin", feature = "newrelic"))]
use crate::error::{Error, Result};
use crate::options::OptionsError;
use crate::tracer::SpanData;

/// The `Zipkin` exporter's options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ZipkinExporterOptions {
    /// Zipkin's address (`baseURL`; the `ZIPKIN_URL` variable, else `http://localhost:9411`).
    pub base_url: String,
    /// How often the spans are posted (`interval`, 5 s; zero: each span at once).
    pub interval: Duration,
    /// `payloadOptions.debug`.
    pub debug: bool,
    /// `payloadOptions.shared`.
    pub shared: bool,
    /// Tags on every span (`defaultTags`), flattened.
    pub default_tags: Map<String, Value>,
    /// The request's headers (`headers`; `Content-Type: application/json`).
    pub headers: Map<String, Value>,
}

impl Default for ZipkinExporterOptions {
    fn default() -> Self {
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), json!("application/json"));
        ZipkinExporterOptions {
            base_url: std::env::var("ZIPKIN_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "http://localhost:9411".to_owned()),
            interval: Duration::from_secs(5),
            debug: false,
            shared: false,
            default_tags: Map::new(),
            headers,
        }
    }
}

impl ZipkinExporterOptions {
    pub(crate) fn from_json(
        options: &Map<String, Value>,
        at: &str,
    ) -> std::result::Result<Self, OptionsError> {
        let mut parsed = ZipkinExporterOptions::default();
        for (key, value) in options {
            let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
            match key.as_str() {
                _ if value.is_null() => {}
                "baseURL" => {
                    parsed.base_url = value.as_str().ok_or_else(|| bad("a URL"))?.to_owned();
                }
                "interval" | "payloadOptions" | "defaultTags" => read_shared(
                    key,
                    value,
                    at,
                    &mut parsed.interval,
                    (&mut parsed.debug, &mut parsed.shared),
                    &mut parsed.default_tags,
                )?,
                "headers" => {
                    let headers = value
                        .as_object()
                        .filter(|h| h.values().all(Value::is_string))
                        .ok_or_else(|| bad("an object of header names and string values"))?;
                    parsed.headers.extend(headers.clone());
                }
                _ => {
                    return Err(bad(
                        "an option of the Zipkin exporter (baseURL, interval, payloadOptions, defaultTags, headers)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// Reads one of the options Zipkin's and New Relic's exporters share: `interval`,
/// `payloadOptions: {debug, shared}` and `defaultTags`.
pub(crate) fn read_shared(
    key: &str,
    value: &Value,
    at: &str,
    interval: &mut Duration,
    (debug, shared): (&mut bool, &mut bool),
    default_tags: &mut Map<String, Value>,
) -> std::result::Result<(), OptionsError> {
    let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
    match key {
        "interval" => {
            *interval = value
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| bad("a number of seconds (0: each span at once)"))?;
        }
        "payloadOptions" => {
            let Value::Object(payload) = value else {
                return Err(bad("{debug, shared}"));
            };
            for (flag, on) in payload {
                let on = on
                    .as_bool()
                    .ok_or_else(|| bad("{debug, shared}: booleans"))?;
                match flag.as_str() {
                    "debug" => *debug = on,
                    "shared" => *shared = on,
                    _ => return Err(bad("{debug, shared}")),
                }
            }
        }
        _ => {
            *default_tags = value.as_object().cloned().ok_or_else(|| {
                bad("an object of tags (a JavaScript function cannot be given here)")
            })?;
        }
    }
    Ok(())
}

/// Node's `flattenTags(obj, true, path)`: nested objects and arrays as dotted keys, each
/// value as a string.
pub(crate) fn flatten_tags(tags: &Map<String, Value>, path: &str, out: &mut Map<String, Value>) {
    for (key, value) in tags {
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match value {
            Value::Object(inner) => flatten_tags(inner, &at, out),
            Value::Array(items) => {
                let indexed: Map<String, Value> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v.clone()))
                    .collect();
                flatten_tags(&indexed, &at, out);
            }
            other => {
                out.insert(at, Value::from(crate::js::value_to_string(other)));
            }
        }
    }
}

/// Node's `convertID`: without dashes, the first 16 characters.
fn zipkin_id(id: Option<&str>) -> Value {
    id.filter(|i| !i.is_empty()).map_or(Value::Null, |id| {
        Value::from(id.replace('-', "").chars().take(16).collect::<String>())
    })
}

/// Milliseconds as Zipkin's microseconds.
fn micros(ms: Option<f64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::from((ms * 1000.0).round() as i64))
}

/// What differs between the exporters that write Zipkin's v2 spans (Zipkin's and New
/// Relic's).
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// `kind` (`SERVER` for Zipkin, `CONSUMER` for New Relic).
    pub(crate) kind: &'static str,
    /// New Relic's `sr` and `ss` annotations at the start and the finish.
    pub(crate) server_annotations: bool,
    pub(crate) debug: bool,
    pub(crate) shared: bool,
    pub(crate) default_tags: Map<String, Value>,
}

impl ZipkinExporterOptions {
    pub(crate) fn shape(&self) -> Shape {
        Shape {
            kind: "SERVER",
            server_annotations: false,
            debug: self.debug,
            shared: self.shared,
            default_tags: self.default_tags.clone(),
        }
    }
}

/// The span as Node's `makePayload` writes it.
pub(crate) fn zipkin_span(span: &SpanData, shape: &Shape) -> Value {
    let service_name = span
        .service
        .as_ref()
        .and_then(|s| s.get("fullName").cloned())
        .unwrap_or(Value::Null);
    let mut tags = Map::new();
    tags.insert("service".into(), service_name.clone());
    tags.insert("span.type".into(), Value::from(span.kind.name()));
    let mut annotations = Vec::new();
    if shape.server_annotations {
        annotations
            .push(json!({ "timestamp": micros(Some(span.start_time as f64)), "value": "sr" }));
        annotations.push(json!({ "timestamp": micros(span.finish_time), "value": "ss" }));
    }
    if let Some(error) = &span.error {
        let message = error
            .get("message")
            .cloned()
            .unwrap_or_else(|| Value::from("Unknown error"));
        tags.insert("error".into(), message);
        annotations.push(json!({
            "value": "error",
            "endpoint": { "serviceName": service_name, "ipv4": "", "port": 0 },
            "timestamp": micros(span.finish_time),
        }));
    }
    flatten_tags(&shape.default_tags, "", &mut tags);
    flatten_tags(&span.tags, "", &mut tags);
    if let Some(Value::Object(error)) = &span.error {
        flatten_tags(error, "error", &mut tags);
    }
    json!({
        "name": span.name,
        "kind": shape.kind,
        "traceId": zipkin_id(Some(&span.trace_id)),
        "id": zipkin_id(Some(&span.id)),
        "parentId": zipkin_id(span.parent_id.as_deref()),
        "localEndpoint": { "serviceName": service_name },
        "remoteEndpoint": { "serviceName": service_name },
        "annotations": annotations,
        "timestamp": micros(Some(span.start_time as f64)),
        "duration": micros(span.duration),
        "tags": tags,
        "debug": shape.debug,
        "shared": shape.shared,
    })
}

/// A running exporter posting Zipkin's v2 spans (Zipkin's and New Relic's).
#[cfg(any(feature = "zipkin", feature = "newrelic"))]
#[derive(Debug)]
pub(crate) struct SpanPoster {
    batch: Batch,
}

#[cfg(any(feature = "zipkin", feature = "newrelic"))]
impl SpanPoster {
    /// Starts posting to `url` every `interval`, with `headers`; `who` names the backend in
    /// the logs.
    ///
    /// # Errors
    /// A header that cannot be sent, or no HTTP client.
    pub(crate) fn start(
        who: &'static str,
        url: String,
        headers: &Map<String, Value>,
        interval: Duration,
        shape: Shape,
    ) -> Result<SpanPoster> {
        let mut sent_headers = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let (Ok(name), Some(Ok(value))) = (
                reqwest::header::HeaderName::try_from(name.as_str()),
                value.as_str().map(reqwest::header::HeaderValue::from_str),
            ) else {
                return Err(Error::broker_options(
                    format!("{who} exporter: the header `{name}` cannot be sent"),
                    None,
                ));
            };
            sent_headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .default_headers(sent_headers)
            .build()
            .map_err(|err| Error::broker_options(format!("{who} exporter: {err}"), None))?;
        let send: SendBatch = Arc::new(move |spans: Vec<SpanData>| {
            let body: Vec<Value> = spans.iter().map(|s| zipkin_span(s, &shape)).collect();
            let (client, url) = (client.clone(), url.clone());
            Box::pin(async move { post(who, &client, &url, body).await })
        });
        Ok(SpanPoster {
            batch: Batch::start(interval, send),
        })
    }

    pub(crate) fn span_finished(&self, span: SpanData) {
        self.batch.push(span);
    }

    pub(crate) fn sends_at_once(&self) -> bool {
        self.batch.sends_at_once()
    }

    pub(crate) async fn stop(self) {
        self.batch.stop().await;
    }
}

/// Starts the Zipkin exporter.
///
/// # Errors
/// As [`SpanPoster::start`].
#[cfg(feature = "zipkin")]
pub(crate) fn start(options: &ZipkinExporterOptions) -> Result<SpanPoster> {
    SpanPoster::start(
        "Zipkin",
        format!("{}/api/v2/spans", options.base_url.trim_end_matches('/')),
        &options.headers,
        options.interval,
        options.shape(),
    )
}

#[cfg(any(feature = "zipkin", feature = "newrelic"))]
async fn post(who: &str, client: &reqwest::Client, url: &str, body: Vec<Value>) {
    let count = body.len();
    let sent = client
        .post(url)
        .body(Value::Array(body).to_string())
        .send()
        .await;
    match sent {
        Ok(res) if res.status().as_u16() < 400 => tracing::debug!(
            target: "moleculer::tracer",
            "Tracing spans ({count} spans) are uploaded to {who}. Status: {}",
            res.status()
        ),
        Ok(res) => tracing::warn!(
            target: "moleculer::tracer",
            "Unable to upload tracing spans to {who}. Status: {}",
            res.status()
        ),
        Err(err) => tracing::warn!(
            target: "moleculer::tracer",
            "Unable to upload tracing spans to {who}. Error: {err}"
        ),
    }
}
