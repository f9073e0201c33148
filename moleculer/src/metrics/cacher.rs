//! The cacher's metrics (Node's `moleculer.cacher.*`, registered by its cachers): how many
//! reads, values found, writes, deletions and cleans, and how long each took. The broker
//! reports its cacher's operations here when metrics are on.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{Metric, MetricDef, MetricRegistry, MetricType, Series};
use crate::cacher::{CacheObserver, CacheOp};
use crate::error::Result;

/// A counter and a timing histogram, without labels.
#[derive(Debug)]
struct Counted {
    total: Arc<Series>,
    time: Option<(Arc<Metric>, Arc<Series>)>,
}

/// Records the cacher's operations in the registry.
#[derive(Debug)]
pub(crate) struct CacherMetrics {
    registry: Arc<MetricRegistry>,
    get: Counted,
    found: Arc<Series>,
    set: Counted,
    del: Counted,
    clean: Counted,
}

impl CacherMetrics {
    /// Registers the metrics; `None` when metrics are off.
    ///
    /// # Errors
    /// A metric of one of these names registered before with another type.
    pub(crate) fn new(registry: Arc<MetricRegistry>) -> Result<Option<CacherMetrics>> {
        if !registry.is_enabled() {
            return Ok(None);
        }
        let now = registry.now_ms();
        let counter = |name: &str| -> Result<Option<Arc<Series>>> {
            let metric = registry.register(MetricDef::new(name, MetricType::Counter).rate())?;
            Ok(metric.map(|m| m.series(&Value::Null, now)))
        };
        let counted = |op: &str| -> Result<Option<Counted>> {
            let Some(total) = counter(&format!("moleculer.cacher.{op}.total"))? else {
                return Ok(None);
            };
            let mut def =
                MetricDef::new(format!("moleculer.cacher.{op}.time"), MetricType::Histogram)
                    .quantiles(registry.options().default_quantiles.clone())
                    .unit("millisecond");
            def.max_age = registry.options().default_max_age;
            def.age_buckets = registry.options().default_age_buckets;
            let time = registry.register(def)?.map(|m| {
                let series = m.series(&Value::Null, now);
                (m, series)
            });
            Ok(Some(Counted { total, time }))
        };
        // Node's order of registration: get, its time, found, set, del, clean.
        let (Some(get), Some(found), Some(set), Some(del), Some(clean)) = (
            counted("get")?,
            counter("moleculer.cacher.found.total")?,
            counted("set")?,
            counted("del")?,
            counted("clean")?,
        ) else {
            return Ok(None);
        };
        Ok(Some(CacherMetrics {
            registry,
            get,
            found,
            set,
            del,
            clean,
        }))
    }
}

impl CacheObserver for CacherMetrics {
    fn observe(&self, op: CacheOp, took: Duration) {
        let now = self.registry.now_ms();
        let counted = match op {
            CacheOp::Get { found } => {
                if found {
                    self.found.add(1.0, now);
                }
                &self.get
            }
            CacheOp::Set => &self.set,
            CacheOp::Del => &self.del,
            CacheOp::Clean => &self.clean,
        };
        counted.total.add(1.0, now);
        if let Some((metric, series)) = &counted.time {
            let _ = metric.observe(series, took.as_secs_f64() * 1000.0, now);
        }
    }
}
