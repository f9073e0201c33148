//! What the built-in metrics share: registering on an enabled registry, a series made at its
//! first update, and the `service` label of an action.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::{Metric, MetricDef, MetricRegistry, Series};
use crate::error::{Error, Result};
use crate::service::ActionDef;

/// Registers `def` on a registry known to be enabled.
///
/// # Errors
/// A metric of that name with another type, or a disabled registry.
pub(crate) fn registered(registry: &MetricRegistry, def: MetricDef) -> Result<Arc<Metric>> {
    registry
        .register(def)?
        .ok_or_else(|| Error::server("metrics are disabled".to_owned()))
}

/// A metric without labels and its one series, made at the first update (Node makes a series
/// when a value is first given to it, so a metric never updated lists no value).
#[derive(Debug)]
pub(crate) struct Unlabeled {
    metric: Arc<Metric>,
    series: OnceLock<Arc<Series>>,
}

impl Unlabeled {
    pub(crate) fn new(metric: Arc<Metric>) -> Unlabeled {
        Unlabeled {
            metric,
            series: OnceLock::new(),
        }
    }

    /// The series, made now if it is new.
    pub(crate) fn get(&self, now_ms: u64) -> &Series {
        self.series
            .get_or_init(|| self.metric.series(&Value::Null, now_ms))
    }
}

/// The `service` label of an action: its service's full name, the action's name without its
/// own (`v2.math` of `v2.math.add`); `null` for an action whose name does not end with it.
pub(crate) fn service_of(action: &ActionDef) -> Value {
    action
        .name
        .strip_suffix(action.raw_name.as_str())
        .and_then(|s| s.strip_suffix('.'))
        .map_or(Value::Null, Value::from)
}
