//! Node's `Console` reporter: every `interval` seconds, the metrics (only the changed ones by
//! default) written to the log, under the `METRICS` module, in Node's layout.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Changes, OptionReader, ReporterContext, ReporterOptions, Running, every};
use crate::js::{to_fixed, value_to_string};
use crate::options::OptionsError;

/// The `Console` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConsoleOptions {
    /// How often it writes (`interval`, 5 s).
    pub interval: Duration,
    /// Only the metrics that changed since the last time (`onlyChanges`, true).
    pub only_changes: bool,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            interval: Duration::from_secs(5),
            only_changes: true,
        }
    }
}

impl ConsoleOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = ConsoleOptions::default();
        for (key, value) in options {
            let read = OptionReader::new(at, key, value);
            match key.as_str() {
                _ if value.is_null() => {}
                "interval" => parsed.interval = read.seconds()?,
                "onlyChanges" => parsed.only_changes = read.boolean()?,
                // Colours are the log subscriber's business here (tracing-subscriber's
                // `with_ansi` colours the levels, and escapes codes found in messages).
                "colors" if value == &Value::Bool(false) => {}
                "colors" => {
                    return Err(read.bad(
                        "false: the lines are plain text, coloured (or not) by the log subscriber",
                    ));
                }
                "logger" => {
                    return Err(read.function("the lines go to the `METRICS` log module"));
                }
                _ => {
                    return Err(read.bad(
                        "an option of the Console reporter (interval, onlyChanges, colors, includes, excludes, metricNamePrefix, metricNameSuffix)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

pub(super) fn start(
    shared: &ReporterOptions,
    options: &ConsoleOptions,
    context: &ReporterContext,
) -> Running {
    let (shared, only_changes) = (shared.clone(), options.only_changes);
    let mut changes = Changes::default();
    every(options.interval, &context.registry, move |registry| {
        let now = registry.now_ms();
        let mut list = shared.list(&registry, None);
        if only_changes {
            list.retain(|metric| changes.metric_changed(metric));
        }
        changes.reported(now);
        for line in render_console(&list, &shared) {
            tracing::info!(target: "moleculer::metrics", "{line}");
        }
        std::future::ready(())
    })
}

/// The lines Node's Console reporter writes for `list` (snapshots from
/// [`MetricRegistry::list`](crate::metrics::MetricRegistry::list)); none for an empty list.
pub fn render_console(list: &[Value], shared: &ReporterOptions) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    let n = list.len();
    let mut lines = vec![format!(
        "------------------- [ METRICS START ({n}) ] -------------------"
    )];
    for metric in list {
        let kind = metric["type"].as_str().unwrap_or_default();
        lines.push(format!(
            "{} ({kind})",
            shared.metric_name(metric["name"].as_str().unwrap_or_default())
        ));
        let values = metric["values"].as_array().map_or(&[][..], Vec::as_slice);
        if values.is_empty() {
            lines.push("  <no values>".to_owned());
        }
        let unit = metric["unit"].as_str().map_or(String::new(), plural);
        for item in values {
            let value = match kind {
                "histogram" => histogram_text(item),
                _ => {
                    let mut text = match &item["value"] {
                        Value::String(s) if s.is_empty() => "<empty string>".to_owned(),
                        other => value_to_string(other),
                    };
                    if let Some(rate) = item["rate"].as_f64() {
                        text.push_str(" | Rate: ");
                        text.push_str(&to_fixed(rate, 2));
                    }
                    text
                }
            };
            lines.push(format!("  {}: {value} {unit}", labels_text(item)));
        }
        lines.push(String::new());
    }
    lines.push(format!(
        "-------------------- [ METRICS END ({n}) ] --------------------"
    ));
    lines
}

/// Node's `pluralizeUnit`.
fn plural(unit: &str) -> String {
    if unit == "GHz" {
        unit.to_owned()
    } else {
        format!("{unit}s")
    }
}

/// `{name: value, …}`, or `{}`.
fn labels_text(item: &Value) -> String {
    let Some(labels) = item["labels"].as_object().filter(|l| !l.is_empty()) else {
        return "{}".to_owned();
    };
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}: {}", value_to_string(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// `Count: n | <bucket>: n | … | Min: … | Mean: … | Var: … | StdDev: … | Max: … | <q>: … |
/// Rate: …`, two decimals for the computed values and `-` for the missing ones.
fn histogram_text(item: &Value) -> String {
    let fixed = |v: &Value| v.as_f64().map_or("-".to_owned(), |n| to_fixed(n, 2));
    let mut parts = vec![format!("Count: {}", value_to_string(&item["count"]))];
    if let Some(buckets) = item["buckets"].as_object() {
        for (bound, count) in buckets {
            let count = match count {
                Value::Null => "-".to_owned(),
                other => value_to_string(other),
            };
            parts.push(format!("{bound}: {count}"));
        }
    }
    if let Some(quantiles) = item["quantiles"].as_object() {
        for (label, key) in [
            ("Min", "min"),
            ("Mean", "mean"),
            ("Var", "variance"),
            ("StdDev", "stdDev"),
            ("Max", "max"),
        ] {
            parts.push(format!("{label}: {}", fixed(&item[key])));
        }
        for (q, value) in quantiles {
            parts.push(format!("{q}: {}", fixed(value)));
        }
    }
    if let Some(rate) = item["rate"].as_f64() {
        parts.push(format!("Rate: {}", to_fixed(rate, 2)));
    }
    parts.join(" | ")
}
