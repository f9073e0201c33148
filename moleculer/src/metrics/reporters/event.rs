//! Node's `Event` reporter: every `interval` seconds, the metrics list (Node's snapshot
//! shape) sent as an event (`$metrics.snapshot` by default), emitted or broadcast, over the
//! wire to any node that listens, Node's included.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Changes, OptionReader, ReporterContext, ReporterOptions, Running, every};
use crate::context::EmitOptions;
use crate::options::OptionsError;

/// The `Event` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventOptions {
    /// The event's name (`eventName`, `$metrics.snapshot`).
    pub event_name: String,
    /// Broadcast rather than emit (`broadcast`, false).
    pub broadcast: bool,
    /// Only to these groups (`groups`).
    pub groups: Option<Vec<String>>,
    /// Only the metrics that changed since the last event (`onlyChanges`, false).
    pub only_changes: bool,
    /// How often (`interval`, 5 s).
    pub interval: Duration,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            event_name: "$metrics.snapshot".to_owned(),
            broadcast: false,
            groups: None,
            only_changes: false,
            interval: Duration::from_secs(5),
        }
    }
}

impl EventOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = EventOptions::default();
        for (key, value) in options {
            let read = OptionReader::new(at, key, value);
            match key.as_str() {
                _ if value.is_null() => {}
                "eventName" => parsed.event_name = read.string()?,
                "broadcast" => parsed.broadcast = read.boolean()?,
                "groups" => {
                    let groups = match value {
                        Value::String(one) => Some(vec![one.clone()]),
                        Value::Array(items) => items
                            .iter()
                            .map(|g| g.as_str().map(str::to_owned))
                            .collect(),
                        _ => None,
                    };
                    parsed.groups =
                        Some(groups.ok_or_else(|| read.bad("a group or a list of groups"))?);
                }
                "onlyChanges" => parsed.only_changes = read.boolean()?,
                "interval" => parsed.interval = read.seconds()?,
                _ => {
                    return Err(read.bad(
                        "an option of the Event reporter (eventName, broadcast, groups, onlyChanges, interval, includes, excludes)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

pub(super) fn start(
    shared: &ReporterOptions,
    options: &EventOptions,
    context: &ReporterContext,
) -> Running {
    let (shared, options, broker) = (shared.clone(), options.clone(), context.broker.clone());
    let mut changes = Changes::default();
    every(options.interval, &context.registry, move |registry| {
        let now = registry.now_ms();
        let mut list = shared.list(&registry, None);
        if options.only_changes {
            list.retain(|metric| changes.metric_changed(metric));
        }
        changes.reported(now);
        let (broker, options) = (broker.upgrade(), options.clone());
        async move {
            let Some(broker) = broker.filter(|_| !list.is_empty()) else {
                return;
            };
            let mut emit = EmitOptions::new();
            emit.groups = options.groups;
            let kind = if options.broadcast {
                "broadcast"
            } else {
                "emit"
            };
            tracing::debug!(
                target: "moleculer::metrics",
                "Send metrics.snapshot ({} metrics) {kind} events.",
                list.len()
            );
            let sent = if options.broadcast {
                broker
                    .broadcast_with(&options.event_name, Value::Array(list), emit)
                    .await
            } else {
                broker
                    .emit_with(&options.event_name, Value::Array(list), emit)
                    .await
            };
            if let Err(err) = sent {
                tracing::warn!(target: "moleculer::metrics", "Unable to send the metrics snapshot: {err}");
            }
        }
    })
}
