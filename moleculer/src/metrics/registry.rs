//! Node's `MetricRegistry`: the metrics by name, in registration order.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// The metrics' clock is quanta's: the CPU's time stamp counter where it is stable (a call is
// timed with two reads, and the counter is cheaper to read than the system's monotonic
// clock), else that clock.
use quanta::Instant;

use indexmap::IndexMap;
use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::task::JoinHandle;

use super::{Metric, MetricDef, MetricType, MetricsOptions};
use crate::error::{Error, Result};
use crate::registry::pattern;

/// How often the rates are recomputed (Node's `MetricRate` interval).
const RATE_TICK: Duration = Duration::from_secs(5);

/// The metrics of a broker. Disabled, it keeps nothing and every update is a no-op, as Node's.
#[derive(Debug)]
pub struct MetricRegistry {
    options: MetricsOptions,
    store: RwLock<IndexMap<String, Arc<Metric>>>,
    /// A fixed pair of clocks: timestamps are the wall clock at `born` plus the monotonic
    /// time since.
    born: Instant,
    born_ms: u64,
    ticking: Mutex<Option<JoinHandle<()>>>,
    /// The task collecting the process and OS metrics.
    collecting: Mutex<Option<JoinHandle<()>>>,
    /// The running reporters.
    reporters: Mutex<Vec<super::reporters::Running>>,
}

/// Which metrics [`MetricRegistry::list`] gives (`$node.metrics`' params).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only these types (`"counter"`, …).
    pub types: Option<Vec<String>>,
    /// Only names matching one of these patterns (`"moleculer.request.**"`).
    pub includes: Option<Vec<String>>,
    /// No names matching one of these.
    pub excludes: Option<Vec<String>>,
}

impl ListOptions {
    /// Every metric.
    pub fn all() -> ListOptions {
        ListOptions::default()
    }

    /// Only metrics of these types (`"counter"`, `"gauge"`, `"histogram"`, `"info"`).
    pub fn types(mut self, types: &[&str]) -> ListOptions {
        self.types = Some(types.iter().map(|t| (*t).to_owned()).collect());
        self
    }

    /// Only names matching one of these patterns.
    pub fn includes(mut self, patterns: &[&str]) -> ListOptions {
        self.includes = Some(patterns.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    /// No names matching one of these patterns.
    pub fn excludes(mut self, patterns: &[&str]) -> ListOptions {
        self.excludes = Some(patterns.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    /// Reads `{types, includes, excludes}`, each a string or a list of strings.
    ///
    /// # Errors
    /// Another shape, naming the key.
    pub fn from_json(params: &Value) -> Result<ListOptions> {
        let list = |key: &str| -> Result<Option<Vec<String>>> {
            match params.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(one)) => Ok(Some(vec![one.clone()])),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(Some)
                    .ok_or_else(|| bad(key)),
                Some(_) => Err(bad(key)),
            }
        };
        fn bad(key: &str) -> Error {
            Error::validation(vec![serde_json::json!({
                "type": "multi",
                "field": key,
                "message": format!("The '{key}' field must be a string or an array of strings."),
            })])
        }
        Ok(ListOptions {
            types: list("types")?,
            includes: list("includes")?,
            excludes: list("excludes")?,
        })
    }
}

/// A running measurement (Node's `timer()`): [`stop`](Timer::stop) records the milliseconds
/// since it began.
#[derive(Debug)]
#[must_use = "a timer records nothing until it is stopped"]
pub struct Timer<'a> {
    registry: &'a MetricRegistry,
    target: Option<(Arc<Metric>, Value)>,
    began: Instant,
}

impl Timer<'_> {
    /// Records the time since the timer began, and gives it (milliseconds).
    pub fn stop(self) -> f64 {
        let ms = self.began.elapsed().as_secs_f64() * 1000.0;
        if let Some((metric, labels)) = self.target {
            let now = self.registry.now_ms();
            let series = metric.series(&labels, now);
            let _ = metric.observe(&series, ms, now);
        }
        ms
    }
}

fn valid_name(name: &str, more: &[char]) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || more.contains(&c))
}

impl MetricRegistry {
    /// A registry with `options`.
    pub fn new(options: MetricsOptions) -> MetricRegistry {
        let born_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        MetricRegistry {
            options,
            store: RwLock::new(IndexMap::new()),
            born: Instant::now(),
            born_ms,
            ticking: Mutex::new(None),
            reporters: Mutex::new(Vec::new()),
            collecting: Mutex::new(None),
        }
    }

    /// Whether metrics are kept.
    pub fn is_enabled(&self) -> bool {
        self.options.enabled
    }

    /// The options.
    pub fn options(&self) -> &MetricsOptions {
        &self.options
    }

    /// Now, in milliseconds since the epoch (the timestamps of the values).
    pub fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    /// `at`, in milliseconds since the epoch.
    pub(crate) fn ms_at(&self, at: Instant) -> u64 {
        self.born_ms + at.saturating_duration_since(self.born).as_millis() as u64
    }

    /// A histogram definition with the registry's default buckets and quantiles.
    pub fn histogram_def(&self, name: impl Into<String>) -> MetricDef {
        let mut def = MetricDef::new(name, MetricType::Histogram)
            .buckets(self.options.default_buckets.clone())
            .quantiles(self.options.default_quantiles.clone());
        def.max_age = self.options.default_max_age;
        def.age_buckets = self.options.default_age_buckets;
        def
    }

    /// Node's `register`: adds a metric, or gives the one of that name already there.
    /// `None` when metrics are disabled.
    ///
    /// # Errors
    /// An invalid name or label name, or a name taken by a metric of another type.
    pub fn register(&self, mut def: MetricDef) -> Result<Option<Arc<Metric>>> {
        if !valid_name(&def.name, &[':', '.']) {
            return Err(Error::server(format!(
                "The metric 'name' is not valid: {}",
                def.name
            )));
        }
        if let Some(label) = def.label_names.iter().find(|l| !valid_name(l, &['.'])) {
            return Err(Error::server(format!(
                "The '{}' metric label name is not valid: {label}",
                def.name
            )));
        }
        if !self.is_enabled() {
            return Ok(None);
        }
        if let Some(buckets) = &mut def.buckets {
            buckets.sort_by(f64::total_cmp);
        }
        if let Some(quantiles) = &mut def.quantiles {
            quantiles.sort_by(f64::total_cmp);
        }
        let mut store = self.store.write();
        if let Some(existing) = store.get(&def.name) {
            if existing.def().kind != def.kind {
                return Err(Error::server(format!(
                    "metric `{}` is a {}, not a {}",
                    def.name,
                    existing.def().kind.name(),
                    def.kind.name()
                )));
            }
            return Ok(Some(existing.clone()));
        }
        let metric = Arc::new(Metric::new(def));
        store.insert(metric.def().name.clone(), metric.clone());
        Ok(Some(metric))
    }

    /// The metric named `name`.
    pub fn metric(&self, name: &str) -> Option<Arc<Metric>> {
        self.store.read().get(name).cloned()
    }

    fn target(&self, name: &str) -> Result<Option<Arc<Metric>>> {
        if !self.is_enabled() {
            return Ok(None);
        }
        self.metric(name)
            .map(Some)
            .ok_or_else(|| Error::server(format!("Metric '{name}' is not registered.")))
    }

    /// Node's `increment(name, labels, value = 1)` of a counter or gauge.
    ///
    /// # Errors
    /// An unknown metric, or one of another type.
    pub fn increment(&self, name: &str, labels: &Value, value: f64) -> Result<()> {
        let Some(metric) = self.target(name)? else {
            return Ok(());
        };
        let now = self.now_ms();
        metric.add(&metric.series(labels, now), value, now)
    }

    /// Node's `decrement(name, labels, value = 1)` of a gauge.
    ///
    /// # Errors
    /// An unknown metric, a counter, or one of another type.
    pub fn decrement(&self, name: &str, labels: &Value, value: f64) -> Result<()> {
        let Some(metric) = self.target(name)? else {
            return Ok(());
        };
        let now = self.now_ms();
        metric.add(&metric.series(labels, now), -value, now)
    }

    /// Node's `set(name, value, labels)` of a counter, gauge or info.
    ///
    /// # Errors
    /// An unknown metric, a histogram, or a value of the wrong kind.
    pub fn set(&self, name: &str, value: &Value, labels: &Value) -> Result<()> {
        let Some(metric) = self.target(name)? else {
            return Ok(());
        };
        let now = self.now_ms();
        metric.set(&metric.series(labels, now), value, now)
    }

    /// Node's `observe(name, value, labels)` of a histogram.
    ///
    /// # Errors
    /// An unknown metric, or one that is no histogram or gauge.
    pub fn observe(&self, name: &str, value: f64, labels: &Value) -> Result<()> {
        let Some(metric) = self.target(name)? else {
            return Ok(());
        };
        let now = self.now_ms();
        metric.observe(&metric.series(labels, now), value, now)
    }

    /// Node's `timer(name, labels)`: a measurement recorded in the histogram (or gauge) when
    /// it is stopped.
    ///
    /// # Errors
    /// An unknown metric, or one that is no histogram or gauge.
    pub fn timer(&self, name: &str, labels: &Value) -> Result<Timer<'_>> {
        let target = match self.target(name)? {
            Some(metric)
                if matches!(metric.def().kind, MetricType::Histogram | MetricType::Gauge) =>
            {
                Some((metric, labels.clone()))
            }
            Some(metric) => {
                return Err(Error::server(format!(
                    "Invalid metric type. Timing works only with histogram or gauge metric types (`{}` is a {})",
                    name,
                    metric.def().kind.name()
                )));
            }
            None => None,
        };
        Ok(Timer {
            registry: self,
            target,
            began: Instant::now(),
        })
    }

    /// Node's `list({types, includes, excludes})`: the snapshot of each metric asked for, in
    /// registration order.
    pub fn list(&self, options: &ListOptions) -> Vec<Value> {
        let now = self.now_ms();
        let matches =
            |name: &str, patterns: &[String]| patterns.iter().any(|p| pattern::matches(name, p));
        self.store
            .read()
            .values()
            .filter(|m| {
                let def = m.def();
                options
                    .types
                    .as_ref()
                    .is_none_or(|types| types.iter().any(|t| t == def.kind.name()))
                    && options
                        .includes
                        .as_ref()
                        .is_none_or(|p| matches(&def.name, p))
                    && options
                        .excludes
                        .as_ref()
                        .is_none_or(|p| !matches(&def.name, p))
            })
            .map(|m| m.snapshot(now))
            .collect()
    }

    /// Starts the reporters, labelling their series with `default_labels` (the broker's
    /// `namespace` and `nodeID`, unless a reporter has its own).
    ///
    /// # Errors
    /// A reporter that cannot start (a port in use, a folder that cannot be made).
    pub(crate) async fn start_reporters(
        self: &Arc<Self>,
        broker: crate::broker::WeakBroker,
        default_labels: serde_json::Map<String, Value>,
    ) -> Result<()> {
        if !self.is_enabled() {
            return Ok(());
        }
        let context = super::reporters::ReporterContext {
            registry: self.clone(),
            broker,
            default_labels,
        };
        for config in &self.options.reporters {
            let running = super::reporters::start(config, &context).await?;
            self.reporters.lock().push(running);
        }
        Ok(())
    }

    /// Where the running Prometheus reporters listen.
    #[cfg(feature = "prometheus")]
    pub fn prometheus_addresses(&self) -> Vec<std::net::SocketAddr> {
        self.reporters
            .lock()
            .iter()
            .filter_map(|r| match r {
                super::reporters::Running::Prometheus(p) => Some(p.address()),
                super::reporters::Running::Task(_) => None,
            })
            .collect()
    }

    /// Starts recomputing the rates every 5 seconds and, with `collectProcessMetrics`,
    /// registers the process and OS metrics and collects them every `collectInterval`, the
    /// first time before this returns (the broker starts it).
    pub(crate) async fn start(self: &Arc<Self>) {
        if !self.is_enabled() {
            return;
        }
        if self.options.collect_process_metrics {
            let task = super::process::start(self).await;
            if let Some(old) = self.collecting.lock().replace(task) {
                old.abort();
            }
        }
        let registry = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(RATE_TICK);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                let now = registry.now_ms();
                let metrics: Vec<Arc<Metric>> = registry.store.read().values().cloned().collect();
                for metric in metrics {
                    metric.tick_rates(now);
                }
            }
        });
        if let Some(old) = self.ticking.lock().replace(task) {
            old.abort();
        }
    }

    /// Stops the rates' ticking, the collection of the process metrics and the reporters.
    pub(crate) fn stop(&self) {
        for tasks in [&self.ticking, &self.collecting] {
            if let Some(task) = tasks.lock().take() {
                task.abort();
            }
        }
        for reporter in self.reporters.lock().drain(..) {
            reporter.stop();
        }
    }
}

impl Drop for MetricRegistry {
    fn drop(&mut self) {
        for tasks in [&mut self.ticking, &mut self.collecting] {
            if let Some(task) = tasks.get_mut().take() {
                task.abort();
            }
        }
    }
}
