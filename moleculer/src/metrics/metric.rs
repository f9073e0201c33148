//! One metric and its series (a value per set of labels), as Node's `types/*.js` keep them,
//! with the snapshot Node's `toObject()` gives. A series is updated with atomics only: no lock
//! and no allocation once it exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use parking_lot::{Mutex, RwLock};
use serde_json::{Map, Value};

use super::window::Window;
use super::{MetricDef, MetricType};
use crate::error::{Error, Result};

/// A metric: its definition and its series by label key.
#[derive(Debug)]
pub struct Metric {
    def: MetricDef,
    series: RwLock<IndexMap<String, Arc<Series>>>,
}

/// The values of one set of labels.
#[derive(Debug)]
pub struct Series {
    key: String,
    labels: Map<String, Value>,
    /// A counter's or gauge's value (f64 bits); a histogram's count.
    value: AtomicU64,
    /// When it last changed (ms since the epoch).
    timestamp: AtomicU64,
    /// An info's value.
    info: Mutex<Value>,
    histogram: Option<HistogramValues>,
    rate: Option<Mutex<Rate>>,
}

#[derive(Debug)]
struct HistogramValues {
    sum: AtomicU64,
    last: AtomicU64,
    /// Per bucket bound, how many values fell at most at it and above the bound before (one
    /// addition per value; the snapshot adds them up into Node's cumulative counts).
    buckets: Box<[AtomicU64]>,
    window: Option<Window>,
}

/// Node's `MetricRate`: a per-minute rate, recomputed every 5 s as the mean of the last rate
/// and the per-minute change since the last tick.
#[derive(Debug, Default)]
struct Rate {
    rate: f64,
    last_value: f64,
    last_tick_ms: u64,
}

fn add_f64(cell: &AtomicU64, delta: f64) -> f64 {
    let mut now = cell.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(now) + delta).to_bits();
        match cell.compare_exchange_weak(now, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return f64::from_bits(next),
            Err(seen) => now = seen,
        }
    }
}

impl Metric {
    pub(crate) fn new(def: MetricDef) -> Metric {
        Metric {
            def,
            series: RwLock::new(IndexMap::new()),
        }
    }

    /// The definition.
    pub fn def(&self) -> &MetricDef {
        &self.def
    }

    /// The series of `labels` (an object, or `null` for none), made when it is new.
    pub fn series(&self, labels: &Value, now_ms: u64) -> Arc<Series> {
        let key = self.key_of(labels);
        if let Some(series) = self.series.read().get(&key) {
            return series.clone();
        }
        let mut all = self.series.write();
        all.entry(key.clone())
            .or_insert_with(|| Arc::new(self.new_series(key, labels, now_ms)))
            .clone()
    }

    /// Node's `hashingLabels`: each label value in the order of `labelNames`, strings quoted,
    /// numbers and booleans as they print, anything else empty, joined with `|`.
    fn key_of(&self, labels: &Value) -> String {
        let Value::Object(labels) = labels else {
            return String::new();
        };
        let mut key = String::new();
        for (i, name) in self.def.label_names.iter().enumerate() {
            if i > 0 {
                key.push('|');
            }
            match labels.get(name) {
                Some(Value::String(s)) => {
                    key.push('"');
                    key.push_str(s);
                    key.push('"');
                }
                Some(Value::Number(n)) => {
                    key.push_str(&crate::js::number_to_string(n.as_f64().unwrap_or(f64::NAN)))
                }
                Some(Value::Bool(b)) => key.push_str(if *b { "true" } else { "false" }),
                _ => {}
            }
        }
        key
    }

    fn new_series(&self, key: String, labels: &Value, now_ms: u64) -> Series {
        // `_.pick(labels, labelNames)`: the named labels that are there, `null` ones too.
        let labels = match labels {
            Value::Object(all) => self
                .def
                .label_names
                .iter()
                .filter_map(|name| all.get(name).map(|v| (name.clone(), v.clone())))
                .collect(),
            _ => Map::new(),
        };
        let histogram =
            (self.def.kind == MetricType::Histogram).then(|| HistogramValues {
                sum: AtomicU64::new(0f64.to_bits()),
                last: AtomicU64::new(f64::NAN.to_bits()),
                buckets: self
                    .def
                    .buckets
                    .iter()
                    .flatten()
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                window: self.def.quantiles.as_ref().map(|_| {
                    Window::new(self.def.max_age.as_millis() as u64, self.def.age_buckets)
                }),
            });
        Series {
            key,
            labels,
            value: AtomicU64::new(0f64.to_bits()),
            timestamp: AtomicU64::new(now_ms),
            info: Mutex::new(Value::Null),
            histogram,
            rate: self.def.rate.then(|| {
                Mutex::new(Rate {
                    last_tick_ms: now_ms,
                    ..Rate::default()
                })
            }),
        }
    }

    /// Adds `delta` to a counter or gauge series.
    ///
    /// # Errors
    /// A counter made smaller, or a metric of another type.
    pub fn add(&self, series: &Series, delta: f64, now_ms: u64) -> Result<()> {
        match self.def.kind {
            MetricType::Counter if delta < 0.0 => {
                Err(Error::server("Counter can't be decreased.".to_owned()))
            }
            MetricType::Counter | MetricType::Gauge => {
                series.add(delta, now_ms);
                Ok(())
            }
            _ => Err(self.wrong_type("increment")),
        }
    }

    /// Sets a counter's, gauge's or info's value.
    ///
    /// # Errors
    /// A histogram, or an info value that is not a string, number or `null`, or a counter or
    /// gauge value that is not a number.
    pub fn set(&self, series: &Series, value: &Value, now_ms: u64) -> Result<()> {
        match (self.def.kind, value) {
            (MetricType::Info, _) => {
                *series.info.lock() = value.clone();
                series.timestamp.store(now_ms, Ordering::Relaxed);
                Ok(())
            }
            (MetricType::Counter | MetricType::Gauge, Value::Number(n)) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                series.value.store(n.to_bits(), Ordering::Relaxed);
                series.timestamp.store(now_ms, Ordering::Relaxed);
                Ok(())
            }
            (MetricType::Counter | MetricType::Gauge, _) => Err(Error::server(format!(
                "metric `{}`: a number is expected",
                self.def.name
            ))),
            (MetricType::Histogram, _) => Err(self.wrong_type("set")),
        }
    }

    /// Records `value` in a histogram series (or sets a gauge, as Node's `timer` does).
    ///
    /// # Errors
    /// A metric of another type.
    pub fn observe(&self, series: &Series, value: f64, now_ms: u64) -> Result<()> {
        match self.def.kind {
            MetricType::Histogram => {
                series.observe(self.def.buckets.as_deref().unwrap_or(&[]), value, now_ms);
                Ok(())
            }
            MetricType::Gauge => {
                series.value.store(value.to_bits(), Ordering::Relaxed);
                series.timestamp.store(now_ms, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(self.wrong_type("observe")),
        }
    }

    fn wrong_type(&self, what: &str) -> Error {
        Error::server(format!(
            "metric `{}` is a {}: `{what}` does not apply",
            self.def.name,
            self.def.kind.name()
        ))
    }

    /// Recomputes the rates (Node's 5-second tick).
    pub(crate) fn tick_rates(&self, now_ms: u64) {
        if !self.def.rate {
            return;
        }
        for series in self.series.read().values() {
            if let Some(rate) = &series.rate {
                let value = match &series.histogram {
                    Some(_) => series.value.load(Ordering::Relaxed) as f64,
                    None => f64::from_bits(series.value.load(Ordering::Relaxed)),
                };
                rate.lock().tick(value, now_ms);
            }
        }
    }

    /// Node's `toObject()`: `{type, name, description, labelNames, unit, values}`, the keys
    /// that are undefined in Node left out.
    pub fn snapshot(&self, now_ms: u64) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), Value::from(self.def.kind.name()));
        out.insert("name".into(), Value::from(self.def.name.clone()));
        if let Some(description) = &self.def.description {
            out.insert("description".into(), Value::from(description.clone()));
        }
        out.insert(
            "labelNames".into(),
            Value::from(self.def.label_names.clone()),
        );
        if let Some(unit) = &self.def.unit {
            out.insert("unit".into(), Value::from(unit.clone()));
        }
        let values: Vec<Value> = self
            .series
            .read()
            .values()
            .map(|s| self.series_snapshot(s, now_ms))
            .collect();
        out.insert("values".into(), Value::Array(values));
        Value::Object(out)
    }

    fn series_snapshot(&self, series: &Series, now_ms: u64) -> Value {
        let mut out = Map::new();
        out.insert("key".into(), Value::from(series.key.clone()));
        let timestamp = Value::from(series.timestamp.load(Ordering::Relaxed));
        match (&series.histogram, self.def.kind) {
            (Some(h), _) => {
                out.insert("labels".into(), Value::Object(series.labels.clone()));
                out.insert(
                    "count".into(),
                    Value::from(series.value.load(Ordering::Relaxed)),
                );
                out.insert(
                    "sum".into(),
                    number(f64::from_bits(h.sum.load(Ordering::Relaxed))),
                );
                out.insert(
                    "lastValue".into(),
                    number(f64::from_bits(h.last.load(Ordering::Relaxed))),
                );
                out.insert("timestamp".into(), timestamp);
                if let Some(bounds) = &self.def.buckets {
                    let mut below = 0;
                    let buckets: Map<String, Value> = bounds
                        .iter()
                        .zip(h.buckets.iter())
                        .map(|(bound, n)| {
                            below += n.load(Ordering::Relaxed);
                            (crate::js::number_to_string(*bound), Value::from(below))
                        })
                        .collect();
                    out.insert("buckets".into(), Value::Object(buckets));
                }
                if let (Some(quantiles), Some(window)) = (&self.def.quantiles, &h.window) {
                    let stats = window.stats(quantiles, now_ms);
                    out.insert("min".into(), optional(stats.min));
                    out.insert("mean".into(), optional(stats.mean));
                    out.insert("variance".into(), optional(stats.variance));
                    out.insert("stdDev".into(), optional(stats.std_dev));
                    out.insert("max".into(), optional(stats.max));
                    let quantiles: Map<String, Value> = quantiles
                        .iter()
                        .zip(stats.quantiles)
                        .map(|(q, v)| (crate::js::number_to_string(*q), optional(v)))
                        .filter(|(_, v)| !v.is_null())
                        .collect();
                    out.insert("quantiles".into(), Value::Object(quantiles));
                }
            }
            (None, MetricType::Info) => {
                out.insert("value".into(), series.info.lock().clone());
                out.insert("labels".into(), Value::Object(series.labels.clone()));
                out.insert("timestamp".into(), timestamp);
            }
            (None, _) => {
                out.insert(
                    "value".into(),
                    number(f64::from_bits(series.value.load(Ordering::Relaxed))),
                );
                out.insert("labels".into(), Value::Object(series.labels.clone()));
                out.insert("timestamp".into(), timestamp);
            }
        }
        if let Some(rate) = &series.rate {
            out.insert("rate".into(), number(rate.lock().rate));
        }
        Value::Object(out)
    }
}

impl Series {
    /// The key of its labels (Node's `hashingLabels`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A counter's or gauge's value.
    pub fn value(&self) -> f64 {
        f64::from_bits(self.value.load(Ordering::Relaxed))
    }

    /// A histogram's count of observed values.
    pub fn count(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    /// A histogram's sum of observed values.
    pub fn sum(&self) -> f64 {
        self.histogram
            .as_ref()
            .map_or(0.0, |h| f64::from_bits(h.sum.load(Ordering::Relaxed)))
    }

    pub(crate) fn add(&self, delta: f64, now_ms: u64) {
        add_f64(&self.value, delta);
        self.timestamp.store(now_ms, Ordering::Relaxed);
    }

    /// Sets a counter's or gauge's value.
    pub(crate) fn set(&self, value: f64, now_ms: u64) {
        self.value.store(value.to_bits(), Ordering::Relaxed);
        self.timestamp.store(now_ms, Ordering::Relaxed);
    }

    pub(crate) fn observe(&self, bounds: &[f64], value: f64, now_ms: u64) {
        let Some(h) = &self.histogram else {
            return;
        };
        self.value.fetch_add(1, Ordering::Relaxed);
        add_f64(&h.sum, value);
        h.last.store(value.to_bits(), Ordering::Relaxed);
        // The first bound at or above the value (values above every bound count in none).
        let at = bounds.partition_point(|bound| *bound < value);
        if let Some(n) = h.buckets.get(at) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(window) = &h.window {
            window.add(value, now_ms);
        }
        self.timestamp.store(now_ms, Ordering::Relaxed);
    }
}

impl Rate {
    fn tick(&mut self, value: f64, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_tick_ms) as f64 / 1000.0;
        self.last_tick_ms = now_ms;
        if elapsed <= 0.0 {
            return;
        }
        let per_minute = (value - self.last_value) / elapsed * 60.0;
        self.last_value = value;
        let mut rate = self.rate + (per_minute - self.rate) * 0.5;
        if rate.abs() < 0.05 {
            rate = 0.0;
        }
        self.rate = rate;
    }
}

/// A number as JSON (`null` for NaN and the infinities, as `JSON.stringify` writes them).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn optional(n: Option<f64>) -> Value {
    n.map_or(Value::Null, number)
}
