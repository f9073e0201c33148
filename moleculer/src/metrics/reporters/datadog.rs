//! Node's `Datadog` reporter: every `interval` seconds, the counters, gauges and histograms
//! posted as series to Datadog's HTTP API v1 (`POST <baseUrl><apiVersion><path>?api_key=…`,
//! body `{"series": [{metric, type, points, tags, host}]}`), tagged with the default labels
//! (`namespace`, `nodeID`) and the series' own. Infos and `os.datetime.*` are left out, as
//! in Node.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{OptionReader, ReporterContext, ReporterOptions, Running, label_value, merged_labels};
use crate::error::Result;
use crate::options::OptionsError;

/// The `Datadog` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DatadogOptions {
    /// The `host` of every series (`host`, this machine's host name).
    pub host: String,
    /// The API's address (`baseUrl`, `https://api.datadoghq.com/api/`).
    pub base_url: String,
    /// `apiVersion` (`v1`).
    pub api_version: String,
    /// `path` (`/series`).
    pub path: String,
    /// The API key (`apiKey`, else the `DATADOG_API_KEY` variable).
    pub api_key: Option<String>,
    /// Tags on every series (`defaultLabels`); the broker's `namespace` and `nodeID` when
    /// `None`.
    pub default_labels: Option<Map<String, Value>>,
    /// How often (`interval`, 10 s).
    pub interval: Duration,
}

impl Default for DatadogOptions {
    fn default() -> Self {
        DatadogOptions {
            host: crate::broker::hostname(),
            base_url: "https://api.datadoghq.com/api/".to_owned(),
            api_version: "v1".to_owned(),
            path: "/series".to_owned(),
            api_key: std::env::var("DATADOG_API_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            default_labels: None,
            interval: Duration::from_secs(10),
        }
    }
}

impl DatadogOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = DatadogOptions::default();
        for (key, value) in options {
            let read = OptionReader::new(at, key, value);
            match key.as_str() {
                _ if value.is_null() => {}
                "host" => parsed.host = read.string()?,
                "baseUrl" => parsed.base_url = read.string()?,
                "apiVersion" => parsed.api_version = read.string()?,
                "path" => parsed.path = read.string()?,
                "apiKey" => parsed.api_key = Some(read.string()?),
                "defaultLabels" => parsed.default_labels = Some(read.labels()?),
                "interval" => parsed.interval = read.seconds()?,
                _ => {
                    return Err(read.bad(
                        "an option of the Datadog reporter (host, baseUrl, apiVersion, path, apiKey, defaultLabels, interval, includes, excludes, metricNamePrefix, metricNameSuffix)",
                    ));
                }
            }
        }
        if parsed.api_key.is_none() {
            return Err(OptionsError::invalid(
                &format!("{at}.apiKey"),
                "Datadog's API key: give `apiKey` or set the DATADOG_API_KEY environment variable",
            ));
        }
        Ok(parsed)
    }

    /// Where the series are posted.
    pub fn url(&self) -> String {
        format!(
            "{}{}{}?api_key={}",
            self.base_url,
            self.api_version,
            self.path,
            self.api_key.as_deref().unwrap_or_default()
        )
    }
}

/// The series Node's Datadog reporter posts for `list`, at `now_s` (seconds since the epoch).
pub fn datadog_series(
    list: &[Value],
    shared: &ReporterOptions,
    options: &DatadogOptions,
    default_labels: &Map<String, Value>,
    now_s: u64,
) -> Vec<Value> {
    let mut series = Vec::new();
    for metric in list {
        let name = metric["name"].as_str().unwrap_or_default();
        if name.starts_with("os.datetime") {
            continue;
        }
        let mut push = |metric_name: String, kind: &str, value: &Value, item: &Value| {
            series.push(json!({
                "metric": shared.metric_name(&metric_name),
                "type": kind,
                "points": [[now_s, value]],
                "tags": tags(default_labels, item),
                "host": options.host,
            }));
        };
        for item in metric["values"].as_array().into_iter().flatten() {
            match metric["type"].as_str().unwrap_or_default() {
                "counter" | "gauge" => push(name.to_owned(), "gauge", &item["value"], item),
                "histogram" => {
                    if let Some(buckets) = item["buckets"].as_object() {
                        for (le, count) in buckets {
                            push(format!("{name}.bucket_{le}"), "rate", count, item);
                        }
                        push(format!("{name}.bucket_inf"), "rate", &item["count"], item);
                    }
                    if let Some(quantiles) = item["quantiles"].as_object() {
                        for (q, value) in quantiles {
                            push(format!("{name}.q{q}"), "rate", value, item);
                        }
                        for (suffix, key) in [
                            ("sum", "sum"),
                            ("count", "count"),
                            ("min", "min"),
                            ("mean", "mean"),
                            ("variance", "variance"),
                            ("stddev", "stdDev"),
                            ("max", "max"),
                        ] {
                            push(format!("{name}.{suffix}"), "rate", &item[key], item);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    series
}

/// `name:value` for the default labels and then the series' own (which win).
fn tags(defaults: &Map<String, Value>, item: &Value) -> Vec<String> {
    merged_labels(
        defaults
            .iter()
            .chain(item["labels"].as_object().into_iter().flatten())
            .map(|(k, v)| (k.as_str(), v)),
    )
    .into_iter()
    .map(|(k, v)| format!("{k}:{}", label_value(v)))
    .collect()
}

#[cfg(feature = "datadog")]
pub(super) fn start(
    shared: &ReporterOptions,
    options: &DatadogOptions,
    context: &ReporterContext,
) -> Result<Running> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|err| {
            crate::error::Error::broker_options(format!("Datadog metric reporter: {err}"), None)
        })?;
    let labels = options
        .default_labels
        .clone()
        .unwrap_or_else(|| context.default_labels.clone());
    let (shared, options) = (shared.clone(), options.clone());
    let url = options.url();
    Ok(super::every(
        options.interval,
        &context.registry,
        move |registry| {
            let now_s = registry.now_ms() / 1000;
            let series = datadog_series(
                &shared.list(&registry, None),
                &shared,
                &options,
                &labels,
                now_s,
            );
            let (client, url) = (client.clone(), url.clone());
            async move {
                if series.is_empty() {
                    return;
                }
                let body = json!({ "series": series }).to_string();
                let sent = client
                    .post(url)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status().is_success() => tracing::debug!(
                        target: "moleculer::metrics",
                        "Metrics are uploaded to DataDog. Status: {}",
                        res.status()
                    ),
                    Ok(res) => tracing::warn!(
                        target: "moleculer::metrics",
                        "Datadog refused the metrics. Status: {}",
                        res.status()
                    ),
                    Err(err) => tracing::warn!(
                        target: "moleculer::metrics",
                        "Unable to upload metrics to Datadog server. Error: {err}"
                    ),
                }
            }
        },
    ))
}

#[cfg(not(feature = "datadog"))]
pub(super) fn start(
    _: &ReporterOptions,
    _: &DatadogOptions,
    _: &ReporterContext,
) -> Result<Running> {
    Err(crate::error::Error::broker_options(
        "the Datadog reporter needs the `datadog` feature of moleculer-rs",
        None,
    ))
}
