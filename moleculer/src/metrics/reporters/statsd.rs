//! Node's `StatsD` reporter: StatsD lines (`name:value|type`, DogStatsD `|#tags` for
//! labelled metrics) sent over UDP in payloads of at most `maxPayloadSize` bytes.
//!
//! Node sends a packet for every single change, the running total of a counter each time
//! (which StatsD adds up as if each were an increment), and each histogram value. Here the
//! changes are gathered for `interval` seconds and sent together: a counter sends what it
//! gained since the last report, a gauge or an info its value, and a histogram the mean of
//! its new values with the sample rate `@1/n`, so StatsD counts all `n` of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::net::UdpSocket;

use super::{Changes, OptionReader, ReporterContext, ReporterOptions, Running, every, label_value};
use crate::error::{Error, Result};
use crate::js::{number_to_string, value_to_string};
use crate::options::OptionsError;

/// The `StatsD` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatsDOptions {
    /// The StatsD server (`host`, `localhost`).
    pub host: String,
    /// Its UDP port (`port`, 8125).
    pub port: u16,
    /// Only metrics of these types (`types`).
    pub types: Option<Vec<String>>,
    /// The most bytes in one UDP payload (`maxPayloadSize`, 1300; 0 for no limit). A line
    /// longer than that goes alone.
    pub max_payload_size: usize,
    /// How often the changes are sent (`interval`, 5 s; Node sends each change at once).
    pub interval: Duration,
}

impl Default for StatsDOptions {
    fn default() -> Self {
        StatsDOptions {
            host: "localhost".to_owned(),
            port: 8125,
            types: None,
            max_payload_size: 1300,
            interval: Duration::from_secs(5),
        }
    }
}

impl StatsDOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = StatsDOptions::default();
        for (key, value) in options {
            let read = OptionReader::new(at, key, value);
            match key.as_str() {
                _ if value.is_null() => {}
                "host" => parsed.host = read.string()?,
                "port" => {
                    parsed.port = value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .ok_or_else(|| read.bad("a port number"))?;
                }
                "types" => parsed.types = Some(read.types()?),
                "maxPayloadSize" => {
                    parsed.max_payload_size = value
                        .as_u64()
                        .map(|n| n as usize)
                        .ok_or_else(|| read.bad("a number of bytes"))?;
                }
                "interval" => parsed.interval = read.seconds()?,
                _ => {
                    return Err(read.bad(
                        "an option of the StatsD reporter (host, port, types, maxPayloadSize, interval, includes, excludes, metricNamePrefix, metricNameSuffix)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// What was last sent of a series: a counter's value, a histogram's count and sum.
#[derive(Debug, Default, Clone, Copy)]
struct Sent {
    value: f64,
    count: f64,
    sum: f64,
}

/// The reporter's memory of what it sent, by metric name and label key.
#[derive(Debug, Default)]
struct Lines {
    sent: HashMap<(String, String), Sent>,
    changes: Changes,
}

impl Lines {
    /// The lines of what changed in `list` since the last call.
    fn next(&mut self, list: &[Value], shared: &ReporterOptions, now_ms: u64) -> Vec<String> {
        let mut lines = Vec::new();
        for metric in list {
            let raw = metric["name"].as_str().unwrap_or_default();
            let name = shared.metric_name(raw);
            let kind = metric["type"].as_str().unwrap_or_default();
            let labelled = metric["labelNames"]
                .as_array()
                .is_some_and(|names| !names.is_empty());
            for item in metric["values"].as_array().into_iter().flatten() {
                if !self.changes.changed(item) {
                    continue;
                }
                let key = (
                    raw.to_owned(),
                    item["key"].as_str().unwrap_or_default().to_owned(),
                );
                let last = self.sent.get(&key).copied().unwrap_or_default();
                let mut now = last;
                let line = match kind {
                    "counter" => {
                        now.value = item["value"].as_f64().unwrap_or(0.0);
                        let gained = now.value - last.value;
                        (gained != 0.0).then(|| format!("{name}:{}|c", number_to_string(gained)))
                    }
                    "gauge" => Some(format!("{name}:{}|g", value_to_string(&item["value"]))),
                    "info" => Some(match &item["value"] {
                        Value::Number(n) => format!("{name}:{n}|s"),
                        other => format!("{name}:\"{}\"|s", value_to_string(other)),
                    }),
                    "histogram" => {
                        now.count = item["count"].as_f64().unwrap_or(0.0);
                        now.sum = item["sum"].as_f64().unwrap_or(0.0);
                        let n = now.count - last.count;
                        (n > 0.0).then(|| {
                            let mean = number_to_string((now.sum - last.sum) / n);
                            if n > 1.0 {
                                format!("{name}:{mean}|ms|@{}", number_to_string(1.0 / n))
                            } else {
                                format!("{name}:{mean}|ms")
                            }
                        })
                    }
                    _ => None,
                };
                self.sent.insert(key, now);
                if let Some(mut line) = line {
                    if labelled {
                        line.push_str("|#");
                        line.push_str(&tags(item));
                    }
                    lines.push(line);
                }
            }
        }
        self.changes.reported(now_ms);
        lines
    }
}

/// `name:value,…`.
fn tags(item: &Value) -> String {
    let parts: Vec<String> = item["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}:{}", label_value(v)))
        .collect();
    parts.join(",")
}

/// The lines joined with `\n` into payloads of at most `max` bytes (0: one payload).
fn payloads(lines: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        if !current.is_empty() && max > 0 && current.len() + 1 + line.len() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

pub(super) async fn start(
    shared: &ReporterOptions,
    options: &StatsDOptions,
    context: &ReporterContext,
) -> Result<Running> {
    let socket = UdpSocket::bind(("0.0.0.0", 0)).await.map_err(|err| {
        Error::broker_options(
            format!("StatsD metric reporter: no UDP socket: {err}"),
            None,
        )
    })?;
    let socket = Arc::new(socket);
    let (shared, options) = (shared.clone(), options.clone());
    let mut lines = Lines::default();
    Ok(every(
        options.interval,
        &context.registry,
        move |registry| {
            let now = registry.now_ms();
            let list = shared.list(&registry, options.types.as_deref());
            let payloads = payloads(&lines.next(&list, &shared, now), options.max_payload_size);
            let (socket, host, port) = (socket.clone(), options.host.clone(), options.port);
            async move {
                for payload in payloads {
                    match socket
                        .send_to(payload.as_bytes(), (host.as_str(), port))
                        .await
                    {
                        Ok(bytes) => tracing::debug!(
                            target: "moleculer::metrics",
                            "Metrics are uploaded to StatsD. Sent bytes: {bytes}"
                        ),
                        Err(err) => tracing::warn!(
                            target: "moleculer::metrics",
                            "Unable to send metrics to StatsD server. Error: {err}"
                        ),
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sends_what_changed_counters_as_gains_and_histograms_as_sampled_means() {
        let counter = |value: f64, at: u64| {
            json!({ "name": "c", "type": "counter", "labelNames": ["action"],
                "values": [{ "key": "\"a\"", "labels": { "action": "a\"b" }, "value": value, "timestamp": at }] })
        };
        let histogram = |count: u64, sum: f64, at: u64| {
            json!({ "name": "h", "type": "histogram", "labelNames": [],
                "values": [{ "key": "", "labels": {}, "count": count, "sum": sum, "timestamp": at }] })
        };
        let info = json!({ "name": "i", "type": "info", "labelNames": [],
            "values": [{ "key": "", "labels": {}, "value": "rust", "timestamp": 1 }] });
        let shared = ReporterOptions {
            metric_name_prefix: Some("app.".into()),
            ..ReporterOptions::default()
        };
        let mut lines = Lines::default();
        assert_eq!(
            lines.next(
                &[counter(3.0, 1), histogram(1, 4.0, 1), info.clone()],
                &shared,
                10
            ),
            ["app.c:3|c|#action:a\\\"b", "app.h:4|ms", "app.i:\"rust\"|s"]
        );
        assert_eq!(
            lines.next(
                &[counter(5.0, 12), histogram(5, 24.0, 12), info],
                &shared,
                20
            ),
            ["app.c:2|c|#action:a\\\"b", "app.h:5|ms|@0.25"],
            "only what changed since, the counter's gain, the histogram's mean of 4 values"
        );
    }

    #[test]
    fn payloads_stay_within_the_limit() {
        let lines: Vec<String> = (0..5).map(|i| format!("metric.{i}:1|c")).collect();
        let sent = payloads(&lines, 30);
        assert_eq!(
            sent,
            [
                "metric.0:1|c\nmetric.1:1|c",
                "metric.2:1|c\nmetric.3:1|c",
                "metric.4:1|c"
            ]
        );
        assert!(sent.iter().all(|p| p.len() <= 30));
        assert_eq!(payloads(&lines, 0).len(), 1);
        assert_eq!(
            payloads(&["x".repeat(40)], 30).len(),
            1,
            "a long line goes alone"
        );
    }
}
