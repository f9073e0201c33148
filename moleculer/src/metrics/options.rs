//! The `metrics` broker option, with Node's names and defaults (`src/metrics/registry.js`).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::options::{FeatureOptions, OptionsError};

/// The metrics registry's settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsOptions {
    /// Whether metrics are kept (`enabled`).
    pub enabled: bool,
    /// `defaultBuckets` of histograms (milliseconds).
    pub default_buckets: Vec<f64>,
    /// `defaultQuantiles` of histograms.
    pub default_quantiles: Vec<f64>,
    /// `defaultMaxAgeSeconds`: how far back quantiles look.
    pub default_max_age: Duration,
    /// `defaultAgeBuckets`: in how many steps that window moves.
    pub default_age_buckets: usize,
    /// `reporter`: where the metrics go.
    pub reporters: Vec<super::reporters::ReporterConfig>,
    /// `collectProcessMetrics`: whether the `process.*` and `os.*` metrics are registered and
    /// collected. Node's default: yes, unless the `NODE_ENV` environment variable is `test`.
    pub collect_process_metrics: bool,
    /// `collectInterval`: how often the process and OS metrics are collected (5 s).
    pub collect_interval: Duration,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            enabled: false,
            default_buckets: vec![
                1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
            ],
            default_quantiles: vec![0.5, 0.9, 0.95, 0.99, 0.999],
            default_max_age: Duration::from_secs(60),
            default_age_buckets: 10,
            reporters: Vec::new(),
            collect_process_metrics: collect_by_default(std::env::var("NODE_ENV").ok().as_deref()),
            collect_interval: Duration::from_secs(5),
        }
    }
}

/// Node's `process.env.NODE_ENV !== "test"`.
fn collect_by_default(node_env: Option<&str>) -> bool {
    node_env != Some("test")
}

impl MetricsOptions {
    /// Reads the `metrics` option.
    ///
    /// # Errors
    /// A key of the wrong shape, an unknown key, or one that asks for what is not built yet
    /// (reporters), each named.
    pub fn from_feature(feature: &FeatureOptions) -> Result<MetricsOptions, OptionsError> {
        let mut options = MetricsOptions {
            enabled: feature.enabled,
            ..MetricsOptions::default()
        };
        options.read(&feature.options)?;
        Ok(options)
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<(), OptionsError> {
        let bad = |key: &str, why: &str| Err(OptionsError::invalid(&format!("metrics.{key}"), why));
        for (key, value) in map {
            match key.as_str() {
                _ if value.is_null() => {}
                "reporter" => self.reporters = super::reporters::read_reporters(value)?,
                "collectProcessMetrics" => match value {
                    Value::Bool(collect) => self.collect_process_metrics = *collect,
                    _ => return bad(key, "true or false"),
                },
                "collectInterval" => match value.as_f64().filter(|n| n.is_finite() && *n > 0.0) {
                    Some(secs) => self.collect_interval = Duration::from_secs_f64(secs),
                    None => return bad(key, "a number of seconds"),
                },
                "defaultBuckets" => match numbers(value) {
                    Some(buckets) => self.default_buckets = buckets,
                    None => return bad(key, "a list of numbers"),
                },
                "defaultQuantiles" => {
                    match numbers(value).filter(|qs| qs.iter().all(|q| (0.0..=1.0).contains(q))) {
                        Some(quantiles) => self.default_quantiles = quantiles,
                        None => return bad(key, "a list of numbers from 0 to 1"),
                    }
                }
                "defaultMaxAgeSeconds" => {
                    match value.as_f64().filter(|n| n.is_finite() && *n > 0.0) {
                        Some(secs) => self.default_max_age = Duration::from_secs_f64(secs),
                        None => return bad(key, "a number of seconds"),
                    }
                }
                "defaultAgeBuckets" => match value.as_u64().filter(|n| *n > 0) {
                    Some(n) => self.default_age_buckets = n as usize,
                    None => return bad(key, "a whole number above 0"),
                },
                "defaultAggregator" => {
                    if value != "sum" {
                        return bad(key, "\"sum\" (the only aggregator of this release)");
                    }
                }
                _ => {
                    return bad(
                        key,
                        "an option of the metrics (enabled, reporter, collectProcessMetrics, collectInterval, defaultBuckets, defaultQuantiles, defaultMaxAgeSeconds, defaultAgeBuckets, defaultAggregator)",
                    );
                }
            }
        }
        self.default_buckets.sort_by(f64::total_cmp);
        self.default_quantiles.sort_by(f64::total_cmp);
        Ok(())
    }
}

fn numbers(value: &Value) -> Option<Vec<f64>> {
    value
        .as_array()?
        .iter()
        .map(|n| n.as_f64().filter(|n| n.is_finite()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(value: Value) -> Result<MetricsOptions, OptionsError> {
        let feature: FeatureOptions = serde_json::from_value(value).unwrap();
        MetricsOptions::from_feature(&feature)
    }

    #[test]
    fn reads_nodes_options_and_refuses_what_is_not_built() {
        let options = read(json!({
            "enabled": true, "defaultBuckets": [10, 1], "defaultQuantiles": [0.9, 0.5],
            "defaultMaxAgeSeconds": 30, "defaultAgeBuckets": 5, "collectInterval": 2.5,
            "collectProcessMetrics": false, "reporter": false, "defaultAggregator": "sum"
        }))
        .unwrap();
        assert!(options.enabled);
        assert!(!options.collect_process_metrics);
        assert_eq!(options.collect_interval, Duration::from_millis(2500));
        let collecting = read(json!({ "enabled": true, "collectProcessMetrics": true })).unwrap();
        assert!(collecting.collect_process_metrics);
        assert_eq!(
            collecting.collect_interval,
            Duration::from_secs(5),
            "Node's default"
        );
        assert_eq!(options.default_buckets, [1.0, 10.0]);
        assert_eq!(options.default_quantiles, [0.5, 0.9]);
        assert_eq!(options.default_max_age, Duration::from_secs(30));
        assert_eq!(options.default_age_buckets, 5);
        assert!(
            !read(json!({ "defaultBuckets": [1] })).unwrap().enabled,
            "Node's default"
        );
        for (value, says) in [
            (json!({ "reporter": "Graphite" }), "a known reporter"),
            (
                json!({ "reporter": [{ "type": "Prometheus", "options": { "prot": 1 } }] }),
                "an option of the Prometheus reporter",
            ),
            (json!({ "collectProcessMetrics": "yes" }), "true or false"),
            (json!({ "collectInterval": 0 }), "a number of seconds"),
            (json!({ "defaultQuantiles": [2] }), "from 0 to 1"),
            (json!({ "defaultAggregator": "avg" }), "sum"),
            (json!({ "reportr": [] }), "an option of the metrics"),
        ] {
            let err = read(value.clone()).unwrap_err();
            assert!(err.to_string().contains(says), "{value}: {err}");
        }
    }

    #[test]
    fn process_metrics_are_collected_unless_node_env_is_test() {
        assert!(collect_by_default(None));
        assert!(collect_by_default(Some("production")));
        assert!(!collect_by_default(Some("test")));
    }
}
