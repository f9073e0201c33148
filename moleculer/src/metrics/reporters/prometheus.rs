//! Node's `Prometheus` reporter: an HTTP endpoint (`http://host:port/path`) that serves the
//! metrics in Prometheus' text format, written exactly as Node writes it (names with `_` for
//! `.` and `-`, the `namespace` and `nodeID` labels on every series, a `_rate` series for
//! rates, infos as gauges labelled with their value, and histograms as `_bucket{le}`,
//! quantile series, `_sum`, `_count`, `_min`, `_mean`, `_variance`, `_stddev`, `_max`).

#[cfg(feature = "prometheus")]
use std::net::SocketAddr;
#[cfg(feature = "prometheus")]
use std::sync::{Arc, Weak};

use serde_json::{Map, Value};
#[cfg(feature = "prometheus")]
use tokio::task::JoinHandle;

#[cfg(feature = "prometheus")]
use super::ReporterOptions;
#[cfg(feature = "prometheus")]
use crate::error::{Error, Result};
#[cfg(feature = "prometheus")]
use crate::metrics::{ListOptions, MetricRegistry};
use crate::options::OptionsError;

/// The `Prometheus` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrometheusOptions {
    /// The address to listen on (`host`, `0.0.0.0` by default).
    pub host: String,
    /// The port (`port`, 3030; 0 for any free one).
    pub port: u16,
    /// The path of the metrics (`path`, `/metrics`).
    pub path: String,
    /// Labels on every series (`defaultLabels`); the broker's `namespace` and `nodeID` when
    /// `None`, as in Node.
    pub default_labels: Option<Map<String, Value>>,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        PrometheusOptions {
            host: "0.0.0.0".to_owned(),
            port: 3030,
            path: "/metrics".to_owned(),
            default_labels: None,
        }
    }
}

impl PrometheusOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = PrometheusOptions::default();
        for (key, value) in options {
            let bad = |why: &str| Err(OptionsError::invalid(&format!("{at}.{key}"), why));
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                ("host", Value::String(host)) => parsed.host = host.clone(),
                ("port", port) => match port.as_u64().and_then(|p| u16::try_from(p).ok()) {
                    Some(port) => parsed.port = port,
                    None => return bad("a port number"),
                },
                ("path", Value::String(path)) if path.starts_with('/') => {
                    parsed.path = path.clone()
                }
                ("defaultLabels", Value::Object(labels)) => {
                    parsed.default_labels = Some(labels.clone())
                }
                ("host", _) => return bad("a host name or address"),
                ("path", _) => return bad("a path starting with `/`"),
                ("defaultLabels", _) => {
                    return bad("an object of labels (a JavaScript function cannot be given here)");
                }
                _ => {
                    return bad(
                        "an option of the Prometheus reporter (host, port, path, defaultLabels, includes, excludes, metricNamePrefix, metricNameSuffix)",
                    );
                }
            }
        }
        Ok(parsed)
    }
}

#[cfg(feature = "prometheus")]
mod serve {
    use super::*;

    /// A running Prometheus endpoint.
    #[derive(Debug)]
    pub struct PrometheusReporter {
        address: SocketAddr,
        server: JoinHandle<()>,
    }

    impl PrometheusReporter {
        /// Listens on the options' address and serves `registry`'s metrics.
        ///
        /// # Errors
        /// The address cannot be listened on.
        pub async fn start(
            registry: &Arc<MetricRegistry>,
            shared: ReporterOptions,
            options: PrometheusOptions,
            default_labels: Map<String, Value>,
        ) -> Result<PrometheusReporter> {
            let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
                .await
                .map_err(|err| {
                    Error::broker_options(
                        format!(
                            "Prometheus metric reporter listening error on {}:{}: {err}",
                            options.host, options.port
                        ),
                        None,
                    )
                })?;
            let address = listener
                .local_addr()
                .map_err(|err| Error::server(err.to_string()))?;
            let labels = options.default_labels.clone().unwrap_or(default_labels);
            let registry: Weak<MetricRegistry> = Arc::downgrade(registry);
            let serve = move |headers: axum::http::HeaderMap| {
                let text = registry
                    .upgrade()
                    .map(|registry| render_prometheus(&registry, &shared, &labels))
                    .unwrap_or_default();
                async move { response(&headers, text) }
            };
            let app = axum::Router::new().route(&options.path, axum::routing::get(serve));
            tracing::info!(
                "Prometheus metric reporter listening on http://{address}{} address.",
                options.path
            );
            let server = tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, app).await {
                    tracing::error!(error = %err, "Prometheus metric reporter stopped");
                }
            });
            Ok(PrometheusReporter { address, server })
        }

        /// Where it listens.
        pub fn address(&self) -> SocketAddr {
            self.address
        }

        /// Stops listening.
        pub fn stop(&self) {
            self.server.abort();
        }
    }

    /// The text, gzipped when the scraper accepts gzip (as Node's reporter does).
    fn response(headers: &axum::http::HeaderMap, text: String) -> axum::response::Response {
        use axum::http::{StatusCode, header};
        use axum::response::IntoResponse;
        let content_type = (
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        );
        let gzip = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        if !gzip {
            return ([content_type], text).into_response();
        }
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let zipped = std::io::Write::write_all(&mut encoder, text.as_bytes())
            .and_then(|()| encoder.finish());
        match zipped {
            Ok(body) => ([content_type, (header::CONTENT_ENCODING, "gzip")], body).into_response(),
            Err(err) => {
                tracing::error!(target: "moleculer::metrics", "Unable to compress response: {err}");
                (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response()
            }
        }
    }

    impl Drop for PrometheusReporter {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    /// The metrics of `registry` in Prometheus' text format, as Node's reporter writes them.
    pub fn render_prometheus(
        registry: &MetricRegistry,
        shared: &ReporterOptions,
        default_labels: &Map<String, Value>,
    ) -> String {
        let mut out: Vec<String> = Vec::new();
        for metric in registry.list(&ListOptions::all()) {
            let name = metric["name"].as_str().unwrap_or_default();
            if !shared.matches(name) || name.starts_with("os.datetime") {
                continue;
            }
            let values = metric["values"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if values.is_empty() {
                continue;
            }
            let prom = shared.metric_name(name).replace(['.', '-'], "_");
            let description = match metric["description"].as_str() {
                Some(d) => d.to_owned(),
                None => match metric["unit"].as_str() {
                    Some(unit) => format!("{name} ({unit})"),
                    None => name.to_owned(),
                },
            };
            let kind = metric["type"].as_str().unwrap_or_default();
            out.push(format!("# HELP {prom} {description}"));
            out.push(format!(
                "# TYPE {prom} {}",
                if kind == "info" { "gauge" } else { kind }
            ));
            for item in values {
                let labels = item["labels"].as_object();
                let label = |extra: &[(&str, Value)]| labels_text(default_labels, labels, extra);
                match kind {
                    "counter" | "gauge" => {
                        out.push(format!("{prom}{} {}", label(&[]), val(&item["value"])));
                        if truthy(&item["rate"]) {
                            out.push(format!("{prom}_rate{} {}", label(&[]), val(&item["rate"])));
                        }
                    }
                    "info" => {
                        out.push(format!(
                            "{prom}{} 1",
                            label(&[("value", item["value"].clone())])
                        ));
                    }
                    "histogram" => {
                        if let Some(buckets) = item["buckets"].as_object() {
                            for (le, count) in buckets {
                                out.push(format!(
                                    "{prom}_bucket{} {}",
                                    label(&[("le", Value::from(le.as_str()))]),
                                    val(count)
                                ));
                            }
                            out.push(format!(
                                "{prom}_bucket{} {}",
                                label(&[("le", Value::from("+Inf"))]),
                                val(&item["count"])
                            ));
                        }
                        if let Some(quantiles) = item["quantiles"].as_object() {
                            for (q, value) in quantiles {
                                out.push(format!(
                                    "{prom}{} {}",
                                    label(&[("quantile", Value::from(q.as_str()))]),
                                    val(value)
                                ));
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
                                out.push(format!(
                                    "{prom}_{suffix}{} {}",
                                    label(&[]),
                                    val(&item[key])
                                ));
                            }
                        }
                        if truthy(&item["rate"]) {
                            out.push(format!("{prom}_rate{} {}", label(&[]), val(&item["rate"])));
                        }
                    }
                    _ => {}
                }
            }
            out.push(String::new());
        }
        out.join("\n")
    }

    /// JavaScript's truthiness of a rate (0 and null are false).
    fn truthy(value: &Value) -> bool {
        match value {
            Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
            Value::Null => false,
            _ => true,
        }
    }

    /// A value as Node's `val` writes it: `NaN` for null, else as JavaScript prints it.
    fn val(value: &Value) -> String {
        match value {
            Value::Null => "NaN".to_owned(),
            Value::Number(n) => crate::js::number_to_string(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => s.clone(),
            other => crate::js::value_to_string(other),
        }
    }

    /// Node's `labelsToStr`: the default labels, the series' labels and the extra ones (later
    /// ones replace earlier ones of the same name), `{name="value",…}`, quotes and backslashes
    /// escaped.
    fn labels_text(
        defaults: &Map<String, Value>,
        labels: Option<&Map<String, Value>>,
        extra: &[(&str, Value)],
    ) -> String {
        let all = super::super::merged_labels(
            defaults
                .iter()
                .chain(labels.into_iter().flatten())
                .map(|(k, v)| (k.as_str(), v))
                .chain(extra.iter().map(|(k, v)| (*k, v))),
        );
        if all.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = all
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", super::super::label_value(v)))
            .collect();
        format!("{{{}}}", parts.join(","))
    }
}

#[cfg(feature = "prometheus")]
pub use serve::{PrometheusReporter, render_prometheus};
