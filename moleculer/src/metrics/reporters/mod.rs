//! Metric reporters (Node's `src/metrics/reporters/*`): where the registry's metrics go.
//! The options every reporter shares (`includes`, `excludes`, `metricNamePrefix`,
//! `metricNameSuffix`) are Node's, and so is each reporter's own set:
//!
//! * `Prometheus`: an HTTP endpoint serving Prometheus' text format;
//! * `Console`: the metrics written to the log every `interval`;
//! * `CSV`: a row per changed value appended to CSV files, a file per metric or per label set;
//! * `Event`: the snapshot sent as the `$metrics.snapshot` event, to any node of the cluster;
//! * `StatsD`: lines over UDP in payloads of at most `maxPayloadSize` bytes;
//! * `Datadog`: series posted to Datadog's HTTP API (v1).
//!
//! Node's reporters learn of each change as it happens (`metricChanged`); here each value
//! keeps the time it last changed, so `onlyChanges` costs the hot path nothing.

mod console;
mod csv;
mod datadog;
mod event;
mod prometheus;
mod statsd;

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::task::JoinHandle;

pub use console::{ConsoleOptions, render_console};
pub use csv::{CsvMode, CsvOptions};
pub use datadog::{DatadogOptions, datadog_series};
pub use event::EventOptions;
pub use prometheus::PrometheusOptions;
#[cfg(feature = "prometheus")]
pub use prometheus::{PrometheusReporter, render_prometheus};
pub use statsd::StatsDOptions;

use super::{ListOptions, MetricRegistry};
use crate::broker::WeakBroker;
use crate::error::Result;
use crate::options::OptionsError;
use crate::registry::pattern;

/// What every reporter shares: which metrics it reports and how their names are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReporterOptions {
    /// Only names matching one of these patterns (`includes`).
    pub includes: Option<Vec<String>>,
    /// No names matching one of these (`excludes`).
    pub excludes: Option<Vec<String>>,
    /// Written before each name (`metricNamePrefix`).
    pub metric_name_prefix: Option<String>,
    /// Written after each name (`metricNameSuffix`).
    pub metric_name_suffix: Option<String>,
}

impl ReporterOptions {
    /// Node's `matchMetricName`.
    pub fn matches(&self, name: &str) -> bool {
        let any = |patterns: &[String]| patterns.iter().any(|p| pattern::matches(name, p));
        self.includes.as_deref().is_none_or(any) && self.excludes.as_deref().is_none_or(|p| !any(p))
    }

    /// Node's `formatMetricName`: the prefix, the name and the suffix.
    pub fn metric_name(&self, name: &str) -> String {
        format!(
            "{}{name}{}",
            self.metric_name_prefix.as_deref().unwrap_or(""),
            self.metric_name_suffix.as_deref().unwrap_or("")
        )
    }

    /// The registry's list of the metrics this reporter reports, of `types` when given.
    fn list(&self, registry: &MetricRegistry, types: Option<&[String]>) -> Vec<Value> {
        registry.list(&ListOptions {
            types: types.map(<[String]>::to_vec),
            includes: self.includes.clone(),
            excludes: self.excludes.clone(),
        })
    }

    /// Takes the shared keys out of a reporter's `options`.
    fn take(options: &mut Map<String, Value>, at: &str) -> Result<ReporterOptions, OptionsError> {
        let patterns =
            |value: Option<Value>, key: &str| -> Result<Option<Vec<String>>, OptionsError> {
                match value {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(one)) => Ok(Some(vec![one])),
                    Some(Value::Array(items)) => items
                        .into_iter()
                        .map(|i| match i {
                            Value::String(s) => Some(s),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .map(Some)
                        .ok_or_else(|| {
                            OptionsError::invalid(
                                &format!("{at}.{key}"),
                                "a pattern or a list of patterns",
                            )
                        }),
                    Some(_) => Err(OptionsError::invalid(
                        &format!("{at}.{key}"),
                        "a pattern or a list of patterns",
                    )),
                }
            };
        let text = |value: Option<Value>, key: &str| -> Result<Option<String>, OptionsError> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(OptionsError::invalid(&format!("{at}.{key}"), "a string")),
            }
        };
        for key in ["metricNameFormatter", "labelNameFormatter"] {
            if options.get(key).is_some_and(|v| !v.is_null()) {
                return Err(OptionsError::invalid(
                    &format!("{at}.{key}"),
                    "a JavaScript function: use metricNamePrefix and metricNameSuffix",
                ));
            }
            options.remove(key);
        }
        Ok(ReporterOptions {
            includes: patterns(options.remove("includes"), "includes")?,
            excludes: patterns(options.remove("excludes"), "excludes")?,
            metric_name_prefix: text(options.remove("metricNamePrefix"), "metricNamePrefix")?,
            metric_name_suffix: text(options.remove("metricNameSuffix"), "metricNameSuffix")?,
        })
    }
}

/// A reporter the `reporter` option asks for, with the options every reporter shares and its
/// own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReporterConfig {
    /// `Prometheus` (served with the `prometheus` feature).
    Prometheus(ReporterOptions, PrometheusOptions),
    /// `Console`.
    Console(ReporterOptions, ConsoleOptions),
    /// `CSV`.
    Csv(ReporterOptions, CsvOptions),
    /// `Event`.
    Event(ReporterOptions, EventOptions),
    /// `StatsD`.
    StatsD(ReporterOptions, StatsDOptions),
    /// `Datadog` (with the `datadog` feature).
    Datadog(ReporterOptions, DatadogOptions),
}

/// Reads `reporter`: a name, `{type, options}`, or a list of them.
///
/// # Errors
/// An unknown reporter, or an option of the wrong shape.
pub(crate) fn read_reporters(value: &Value) -> Result<Vec<ReporterConfig>, OptionsError> {
    match value {
        Value::Null | Value::Bool(false) => Ok(Vec::new()),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, one)| read_reporter(one, &format!("metrics.reporter[{i}]")))
            .collect(),
        one => read_reporter(one, "metrics.reporter").map(|r| vec![r]),
    }
}

fn read_reporter(value: &Value, at: &str) -> Result<ReporterConfig, OptionsError> {
    let (kind, mut options) = match value {
        Value::String(name) => (name.clone(), Map::new()),
        Value::Object(object) => {
            let kind = match object.get("type") {
                Some(Value::String(name)) => name.clone(),
                _ => {
                    return Err(OptionsError::invalid(
                        &format!("{at}.type"),
                        "a reporter name",
                    ));
                }
            };
            let options = match object.get("options") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(options)) => options.clone(),
                Some(_) => {
                    return Err(OptionsError::invalid(&format!("{at}.options"), "an object"));
                }
            };
            (kind, options)
        }
        _ => {
            return Err(OptionsError::invalid(
                at,
                "a reporter name or {type, options}",
            ));
        }
    };
    let at = format!("{at}.options");
    let at = at.as_str();
    let kind = kind.to_lowercase();
    let needs = |feature: &str| {
        Err(OptionsError::invalid(
            at.trim_end_matches(".options"),
            format!(
                "a reporter of this build: {kind} needs the `{feature}` feature of moleculer-rs"
            ),
        ))
    };
    match kind.as_str() {
        "prometheus" if !cfg!(feature = "prometheus") => return needs("prometheus"),
        "datadog" if !cfg!(feature = "datadog") => return needs("datadog"),
        "prometheus" | "console" | "csv" | "event" | "statsd" | "datadog" => {}
        _ => {
            return Err(OptionsError::invalid(
                at.trim_end_matches(".options"),
                format!(
                    "a known reporter, not `{kind}` (Prometheus, Console, CSV, Event, Datadog, StatsD)"
                ),
            ));
        }
    }
    let shared = ReporterOptions::take(&mut options, at)?;
    Ok(match kind.as_str() {
        "prometheus" => {
            ReporterConfig::Prometheus(shared, PrometheusOptions::from_json(&options, at)?)
        }
        "console" => ReporterConfig::Console(shared, ConsoleOptions::from_json(&options, at)?),
        "csv" => ReporterConfig::Csv(shared, CsvOptions::from_json(&options, at)?),
        "event" => ReporterConfig::Event(shared, EventOptions::from_json(&options, at)?),
        "statsd" => ReporterConfig::StatsD(shared, StatsDOptions::from_json(&options, at)?),
        _ => ReporterConfig::Datadog(shared, DatadogOptions::from_json(&options, at)?),
    })
}

/// Reads one of a reporter's own options, or says what it should be.
pub(crate) struct OptionReader<'a> {
    at: &'a str,
    key: &'a str,
    value: &'a Value,
}

impl<'a> OptionReader<'a> {
    /// The reader of `options[key]` under `at`.
    pub(crate) fn new(at: &'a str, key: &'a str, value: &'a Value) -> OptionReader<'a> {
        OptionReader { at, key, value }
    }

    /// The error naming the key and what it should be.
    pub(crate) fn bad(&self, why: impl Into<String>) -> OptionsError {
        OptionsError::invalid(&format!("{}.{}", self.at, self.key), why)
    }

    /// A string.
    pub(crate) fn string(&self) -> Result<String, OptionsError> {
        self.value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.bad("a string"))
    }

    /// A boolean.
    pub(crate) fn boolean(&self) -> Result<bool, OptionsError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.bad("true or false"))
    }

    /// A number of seconds above 0 (Node's `interval`).
    pub(crate) fn seconds(&self) -> Result<Duration, OptionsError> {
        self.value
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| self.bad("a number of seconds above 0"))
    }

    /// A list of metric types (`types`): a name or a list of names.
    pub(crate) fn types(&self) -> Result<Vec<String>, OptionsError> {
        let one = |v: &Value| {
            v.as_str()
                .filter(|t| super::MetricType::from_name(t).is_some())
                .map(str::to_owned)
        };
        match self.value {
            Value::Array(items) => items.iter().map(one).collect::<Option<Vec<_>>>(),
            other => one(other).map(|t| vec![t]),
        }
        .ok_or_else(|| {
            self.bad("a metric type or a list of them (counter, gauge, histogram, info)")
        })
    }

    /// An object of labels (`defaultLabels`).
    pub(crate) fn labels(&self) -> Result<Map<String, Value>, OptionsError> {
        self.value.as_object().cloned().ok_or_else(|| {
            self.bad("an object of labels (a JavaScript function cannot be given here)")
        })
    }

    /// A JavaScript function Node takes here: refused, with what to use instead.
    pub(crate) fn function(&self, instead: &str) -> OptionsError {
        self.bad(format!("a JavaScript function: {instead}"))
    }
}

/// Node's `Object.assign({}, defaults, labels, …)`: the labels in order, a later one
/// replacing an earlier one of the same name in its place.
pub(crate) fn merged_labels<'a>(
    labels: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<(&'a str, &'a Value)> {
    let mut all: Vec<(&str, &Value)> = Vec::new();
    for (key, value) in labels {
        match all.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => all.push((key, value)),
        }
    }
    all
}

/// A label value as the reporters write it (Node's `escapeLabelValue`, then `${value}`):
/// a string with `\` and `"` escaped, anything else as JavaScript prints it.
pub(crate) fn label_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.replace('\\', "\\\\").replace('"', "\\\""),
        other => crate::js::value_to_string(other),
    }
}

/// What a running reporter needs: the registry, the broker (the `Event` reporter emits
/// through it), and the labels every series gets by default (`namespace` and `nodeID`).
#[derive(Clone)]
pub(crate) struct ReporterContext {
    pub(crate) registry: Arc<MetricRegistry>,
    pub(crate) broker: WeakBroker,
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "datadog")),
        allow(dead_code)
    )]
    pub(crate) default_labels: Map<String, Value>,
}

/// A started reporter.
#[derive(Debug)]
pub(crate) enum Running {
    /// The Prometheus endpoint.
    #[cfg(feature = "prometheus")]
    Prometheus(PrometheusReporter),
    /// A reporter that reports every `interval`.
    Task(JoinHandle<()>),
}

impl Running {
    /// Stops reporting.
    pub(crate) fn stop(&self) {
        match self {
            #[cfg(feature = "prometheus")]
            Running::Prometheus(reporter) => reporter.stop(),
            Running::Task(task) => task.abort(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the reporter `config` asks for.
///
/// # Errors
/// One that cannot start: a port in use, a folder that cannot be made, a missing API key.
pub(crate) async fn start(config: &ReporterConfig, context: &ReporterContext) -> Result<Running> {
    match config {
        #[cfg(feature = "prometheus")]
        ReporterConfig::Prometheus(shared, own) => Ok(Running::Prometheus(
            PrometheusReporter::start(
                &context.registry,
                shared.clone(),
                own.clone(),
                context.default_labels.clone(),
            )
            .await?,
        )),
        #[cfg(not(feature = "prometheus"))]
        ReporterConfig::Prometheus(..) => Err(crate::error::Error::broker_options(
            "the Prometheus reporter needs the `prometheus` feature of moleculer-rs",
            None,
        )),
        ReporterConfig::Console(shared, own) => Ok(console::start(shared, own, context)),
        ReporterConfig::Csv(shared, own) => csv::start(shared, own, context),
        ReporterConfig::Event(shared, own) => Ok(event::start(shared, own, context)),
        ReporterConfig::StatsD(shared, own) => statsd::start(shared, own, context).await,
        ReporterConfig::Datadog(shared, own) => datadog::start(shared, own, context),
    }
}

/// Runs `report` every `interval`, the first time one interval after the start (Node's
/// `setInterval`), while the registry exists.
pub(crate) fn every<F, Fut>(
    interval: Duration,
    registry: &Arc<MetricRegistry>,
    mut report: F,
) -> Running
where
    F: FnMut(Arc<MetricRegistry>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let registry: Weak<MetricRegistry> = Arc::downgrade(registry);
    Running::Task(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(registry) = registry.upgrade() else {
                return;
            };
            report(registry).await;
        }
    }))
}

/// The values changed since the last report (`onlyChanges`), told by their timestamps.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    since_ms: u64,
}

impl Changes {
    /// Whether a value of a snapshot changed since the last report.
    pub(crate) fn changed(&self, item: &Value) -> bool {
        item["timestamp"]
            .as_u64()
            .is_some_and(|at| at >= self.since_ms)
    }

    /// Whether any value of a metric's snapshot changed.
    pub(crate) fn metric_changed(&self, metric: &Value) -> bool {
        metric["values"]
            .as_array()
            .is_some_and(|values| values.iter().any(|item| self.changed(item)))
    }

    /// A report was made with what changed until `now_ms`.
    pub(crate) fn reported(&mut self, now_ms: u64) {
        self.since_ms = now_ms;
    }
}
