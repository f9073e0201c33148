//! Node's `NewRelic` trace exporter: the finished spans posted every `interval` seconds to
//! New Relic's trace API (`POST <baseURL>/trace/v1`) in Zipkin's v2 format, with the
//! `Api-Key` (the insert key) and `Data-Format: zipkin` headers, as Node writes them: kind
//! `CONSUMER`, and the `sr` and `ss` annotations.
// Without an HTTP exporter's feature, only the options are read.
#![cfg_attr(not(any(feature = "zipkin", feature = "newrelic")), allow(dead_code))]

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::zipkin::{Shape, read_shared};
use crate::options::OptionsError;

/// The `NewRelic` exporter's options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewRelicExporterOptions {
    /// The trace API's address (`baseURL`; the `NEW_RELIC_TRACE_API_URL` variable, else
    /// `https://trace-api.newrelic.com`).
    pub base_url: String,
    /// The insert key (`insertKey`).
    pub insert_key: String,
    /// How often the spans are posted (`interval`, 5 s; zero: each span at once).
    pub interval: Duration,
    /// `payloadOptions.debug`.
    pub debug: bool,
    /// `payloadOptions.shared`.
    pub shared: bool,
    /// Tags on every span (`defaultTags`), flattened.
    pub default_tags: Map<String, Value>,
}

impl Default for NewRelicExporterOptions {
    fn default() -> Self {
        NewRelicExporterOptions {
            base_url: std::env::var("NEW_RELIC_TRACE_API_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "https://trace-api.newrelic.com".to_owned()),
            insert_key: String::new(),
            interval: Duration::from_secs(5),
            debug: false,
            shared: false,
            default_tags: Map::new(),
        }
    }
}

impl NewRelicExporterOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = NewRelicExporterOptions::default();
        for (key, value) in options {
            let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
            match key.as_str() {
                _ if value.is_null() => {}
                "baseURL" => {
                    parsed.base_url = value.as_str().ok_or_else(|| bad("a URL"))?.to_owned();
                }
                "insertKey" => {
                    parsed.insert_key = value.as_str().ok_or_else(|| bad("a string"))?.to_owned();
                }
                "interval" | "payloadOptions" | "defaultTags" => read_shared(
                    key,
                    value,
                    at,
                    &mut parsed.interval,
                    (&mut parsed.debug, &mut parsed.shared),
                    &mut parsed.default_tags,
                )?,
                _ => {
                    return Err(bad(
                        "an option of the NewRelic exporter (baseURL, insertKey, interval, payloadOptions, defaultTags)",
                    ));
                }
            }
        }
        Ok(parsed)
    }

    pub(crate) fn shape(&self) -> Shape {
        Shape {
            kind: "CONSUMER",
            server_annotations: true,
            debug: self.debug,
            shared: self.shared,
            default_tags: self.default_tags.clone(),
        }
    }

    /// The headers New Relic's trace API reads.
    pub(crate) fn headers(&self) -> Map<String, Value> {
        let mut headers = Map::new();
        headers.insert("Content-Type".into(), json!("application/json"));
        headers.insert("Api-Key".into(), json!(self.insert_key));
        headers.insert("Data-Format".into(), json!("zipkin"));
        headers.insert("Data-Format-Version".into(), json!("2"));
        headers
    }
}

/// Starts the NewRelic exporter.
///
/// # Errors
/// A header that cannot be sent, or no HTTP client.
#[cfg(feature = "newrelic")]
pub(crate) fn start(
    options: &NewRelicExporterOptions,
) -> crate::error::Result<super::zipkin::SpanPoster> {
    super::zipkin::SpanPoster::start(
        "NewRelic",
        format!("{}/trace/v1", options.base_url.trim_end_matches('/')),
        &options.headers(),
        options.interval,
        options.shape(),
    )
}
