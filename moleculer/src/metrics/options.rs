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
        }
    }
}

impl MetricsOptions {
    /// Reads the `metrics` option.
    ///
    /// # Errors
    /// A key of the wrong shape, an unknown key, or one that asks for what is not built yet
    /// (reporters, process metrics), each named.
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
                    Value::Bool(false) => {}
                    _ => {
                        return bad(
                            key,
                            "false: the process and OS metrics come with a later release",
                        );
                    }
                },
                "collectInterval" => {
                    if !value.as_f64().is_some_and(|n| n.is_finite() && n > 0.0) {
                        return bad(key, "a number of seconds");
                    }
                }
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
            "defaultMaxAgeSeconds": 30, "defaultAgeBuckets": 5, "collectInterval": 5,
            "collectProcessMetrics": false, "reporter": false, "defaultAggregator": "sum"
        }))
        .unwrap();
        assert!(options.enabled);
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
            (json!({ "collectProcessMetrics": true }), "later release"),
            (json!({ "defaultQuantiles": [2] }), "from 0 to 1"),
            (json!({ "defaultAggregator": "avg" }), "sum"),
            (json!({ "reportr": [] }), "an option of the metrics"),
        ] {
            let err = read(value.clone()).unwrap_err();
            assert!(err.to_string().contains(says), "{value}: {err}");
        }
    }
}
