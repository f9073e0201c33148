//! Metric reporters (Node's `src/metrics/reporters/*`): where the registry's metrics go.
//! The options every reporter shares (`includes`, `excludes`, `metricNamePrefix`,
//! `metricNameSuffix`) are Node's; `Prometheus` is here, the others come with a later
//! release and are refused with the reason.

mod prometheus;

use serde_json::{Map, Value};

pub use prometheus::PrometheusOptions;
#[cfg(feature = "prometheus")]
pub use prometheus::{PrometheusReporter, render_prometheus};

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

/// A reporter the `reporter` option asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReporterConfig {
    /// `Prometheus` (served with the `prometheus` feature).
    Prometheus(ReporterOptions, PrometheusOptions),
}

/// Reads `reporter`: a name, `{type, options}`, or a list of them.
///
/// # Errors
/// An unknown reporter, one of a later release, or an option of the wrong shape.
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
    let options_at = format!("{at}.options");
    match kind.to_lowercase().as_str() {
        "prometheus" if cfg!(feature = "prometheus") => {
            let shared = ReporterOptions::take(&mut options, &options_at)?;
            let own = PrometheusOptions::from_json(&options, &options_at)?;
            Ok(ReporterConfig::Prometheus(shared, own))
        }
        "prometheus" => Err(OptionsError::invalid(
            at,
            "a reporter of this build: Prometheus needs the `prometheus` feature of moleculer-rs",
        )),
        "console" | "csv" | "event" | "datadog" | "statsd" => Err(OptionsError::invalid(
            at,
            format!(
                "a reporter of this release: {kind} comes with a later one (Prometheus is here)"
            ),
        )),
        _ => Err(OptionsError::invalid(
            at,
            format!(
                "a known reporter, not `{kind}` (Prometheus, Console, CSV, Event, Datadog, StatsD)"
            ),
        )),
    }
}
