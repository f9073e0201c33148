//! The `tracing` broker option (Node's `src/tracing/tracer.js` defaults) and an action's or
//! event's own `tracing` key.

use serde_json::{Map, Value};

use super::exporters::{ExporterConfig, read_exporters};
use crate::options::{FeatureOptions, OptionsError};

/// What a tracer captures of a request in its span's tags: nothing, everything, or some
/// keys (`params`, `meta`, `response`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Capture {
    /// Not captured (`false`, or no key).
    #[default]
    None,
    /// The whole object (`true`).
    All,
    /// Only these keys (`["id", "name"]`).
    Keys(Vec<String>),
}

/// The tag rules of an action or event span (Node's `tags: {params, meta, response}`). A rule
/// left unset takes the one under it: the action's own, then the tracer's `tags.action`
/// (or `tags.event`), then `params: true`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TagRules {
    /// The params (or the event's payload).
    pub params: Option<Capture>,
    /// The meta.
    pub meta: Option<Capture>,
    /// The response (actions only).
    pub response: Option<Capture>,
}

impl TagRules {
    /// Node's `{params: true, ...global, ...own}`.
    pub(crate) fn over(&self, under: &TagRules) -> TagRules {
        TagRules {
            params: self.params.clone().or_else(|| under.params.clone()),
            meta: self.meta.clone().or_else(|| under.meta.clone()),
            response: self.response.clone().or_else(|| under.response.clone()),
        }
    }

    /// The rules Node applies without any: every param.
    pub(crate) fn node_default() -> TagRules {
        TagRules {
            params: Some(Capture::All),
            ..TagRules::default()
        }
    }

    fn from_json(value: &Value, at: &str) -> Result<TagRules, OptionsError> {
        let Value::Object(map) = value else {
            return Err(OptionsError::invalid(
                at,
                "{params, meta, response}, each true, false or a list of keys (a JavaScript function cannot be given here)",
            ));
        };
        let mut rules = TagRules::default();
        for (key, value) in map {
            let capture = match value {
                Value::Bool(true) => Capture::All,
                Value::Bool(false) | Value::Null => Capture::None,
                Value::Array(keys) => Capture::Keys(
                    keys.iter()
                        .map(|k| k.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            OptionsError::invalid(&format!("{at}.{key}"), "a list of keys")
                        })?,
                ),
                _ => {
                    return Err(OptionsError::invalid(
                        &format!("{at}.{key}"),
                        "true, false or a list of keys",
                    ));
                }
            };
            match key.as_str() {
                "params" => rules.params = Some(capture),
                "meta" => rules.meta = Some(capture),
                "response" => rules.response = Some(capture),
                _ => {
                    return Err(OptionsError::invalid(
                        &format!("{at}.{key}"),
                        "a tag rule (params, meta, response)",
                    ));
                }
            }
        }
        Ok(rules)
    }
}

/// How root spans are sampled (`sampling`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SamplingOptions {
    /// Every `1/rate`-th root span (`rate`, 1.0: all; 0: none).
    pub rate: f64,
    /// At most this many traces a second (`tracesPerSecond`), instead of `rate`.
    pub traces_per_second: Option<f64>,
    /// Spans of a lower priority are not sampled (`minPriority`).
    pub min_priority: Option<i64>,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        SamplingOptions {
            rate: 1.0,
            traces_per_second: None,
            min_priority: None,
        }
    }
}

/// The tracer's settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TracingOptions {
    /// Whether requests are traced (`enabled`).
    pub enabled: bool,
    /// Where the spans go (`exporter`).
    pub exporters: Vec<ExporterConfig>,
    /// `sampling`.
    pub sampling: SamplingOptions,
    /// Whether actions are traced (`actions`, true).
    pub actions: bool,
    /// Whether events are traced (`events`, false).
    pub events: bool,
    /// The fields of an error kept in a span (`errorFields`; `stack` added by `stackTrace`).
    pub error_fields: Vec<String>,
    /// Tags on every span (`defaultTags`).
    pub default_tags: Map<String, Value>,
    /// The tag rules of every action span (`tags.action`).
    pub action_tags: TagRules,
    /// The tag rules of every event span (`tags.event`).
    pub event_tags: TagRules,
}

impl Default for TracingOptions {
    fn default() -> Self {
        TracingOptions {
            enabled: false,
            exporters: Vec::new(),
            sampling: SamplingOptions::default(),
            actions: true,
            events: false,
            error_fields: ["name", "message", "code", "type", "data"]
                .map(str::to_owned)
                .to_vec(),
            default_tags: Map::new(),
            action_tags: TagRules::default(),
            event_tags: TagRules::default(),
        }
    }
}

impl TracingOptions {
    /// Reads the `tracing` option.
    ///
    /// # Errors
    /// With tracing on: a key of the wrong shape or an unknown key, named; a JavaScript
    /// function Node takes (`defaultTags`, `tags.action` as functions), with what to use
    /// instead.
    pub fn from_feature(feature: &FeatureOptions) -> Result<TracingOptions, OptionsError> {
        let mut options = TracingOptions {
            enabled: feature.enabled,
            ..TracingOptions::default()
        };
        // As Node, the settings of a tracer that is off are not looked at.
        if !feature.enabled {
            return Ok(options);
        }
        let mut stack_trace = false;
        for (key, value) in &feature.options {
            let at = format!("tracing.{key}");
            let boolean = || {
                value
                    .as_bool()
                    .ok_or_else(|| OptionsError::invalid(&at, "true or false"))
            };
            match key.as_str() {
                _ if value.is_null() => {}
                "exporter" => options.exporters = read_exporters(value)?,
                "sampling" => options.sampling = sampling(value, &at)?,
                "actions" => options.actions = boolean()?,
                "events" => options.events = boolean()?,
                "stackTrace" => stack_trace = boolean()?,
                "errorFields" => {
                    options.error_fields = value
                        .as_array()
                        .and_then(|fields| {
                            fields
                                .iter()
                                .map(|f| f.as_str().map(str::to_owned))
                                .collect()
                        })
                        .ok_or_else(|| OptionsError::invalid(&at, "a list of field names"))?;
                }
                "defaultTags" => {
                    options.default_tags = value.as_object().cloned().ok_or_else(|| {
                        OptionsError::invalid(
                            &at,
                            "an object of tags (a JavaScript function cannot be given here)",
                        )
                    })?;
                }
                "tags" => {
                    let Value::Object(tags) = value else {
                        return Err(OptionsError::invalid(&at, "{action, event}"));
                    };
                    for (kind, rules) in tags {
                        let rule_at = format!("{at}.{kind}");
                        match kind.as_str() {
                            _ if rules.is_null() => {}
                            "action" => options.action_tags = TagRules::from_json(rules, &rule_at)?,
                            "event" => options.event_tags = TagRules::from_json(rules, &rule_at)?,
                            _ => return Err(OptionsError::invalid(&rule_at, "action or event")),
                        }
                    }
                }
                _ => {
                    return Err(OptionsError::invalid(
                        &at,
                        "an option of the tracing (enabled, exporter, sampling, actions, events, errorFields, stackTrace, defaultTags, tags)",
                    ));
                }
            }
        }
        if stack_trace && !options.error_fields.iter().any(|f| f == "stack") {
            options.error_fields.push("stack".to_owned());
        }
        Ok(options)
    }
}

fn sampling(value: &Value, at: &str) -> Result<SamplingOptions, OptionsError> {
    let Value::Object(map) = value else {
        return Err(OptionsError::invalid(
            at,
            "{rate, tracesPerSecond, minPriority}",
        ));
    };
    let mut sampling = SamplingOptions::default();
    for (key, value) in map {
        let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
        match key.as_str() {
            _ if value.is_null() => {}
            "rate" => {
                sampling.rate = value
                    .as_f64()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| bad("a number from 0 to 1"))?;
            }
            "tracesPerSecond" => {
                sampling.traces_per_second = Some(
                    value
                        .as_f64()
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .ok_or_else(|| bad("a number of traces a second"))?,
                )
                .filter(|n| *n > 0.0);
            }
            "minPriority" => {
                sampling.min_priority = Some(value.as_i64().ok_or_else(|| bad("a whole number"))?);
            }
            _ => return Err(bad("rate, tracesPerSecond or minPriority")),
        }
    }
    Ok(sampling)
}

/// An action's or event handler's own `tracing` key: `false`, `true` or `{enabled, tags,
/// spanName, safetyTags}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandlerTracing {
    pub(crate) enabled: bool,
    pub(crate) tags: TagRules,
    pub(crate) span_name: Option<String>,
}

impl HandlerTracing {
    /// Reads the key from a handler's published definition (`None`: traced by default).
    ///
    /// # Errors
    /// A value of another shape.
    pub(crate) fn from_def(
        value: Option<&Value>,
        at: &str,
    ) -> Result<HandlerTracing, OptionsError> {
        let mut own = HandlerTracing {
            enabled: true,
            tags: TagRules::default(),
            span_name: None,
        };
        match value {
            None | Some(Value::Null) | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => own.enabled = false,
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    let key_at = format!("{at}.{key}");
                    match (key.as_str(), value) {
                        (_, Value::Null) => {}
                        ("enabled", Value::Bool(on)) => own.enabled = *on,
                        ("tags", rules) => own.tags = TagRules::from_json(rules, &key_at)?,
                        ("spanName", Value::String(name)) => own.span_name = Some(name.clone()),
                        // Tags are JSON data here: nothing in them can be unsafe to keep.
                        ("safetyTags", Value::Bool(_)) => {}
                        _ => {
                            return Err(OptionsError::invalid(
                                &key_at,
                                "enabled (a boolean), tags ({params, meta, response}), spanName (a string) or safetyTags (a boolean)",
                            ));
                        }
                    }
                }
            }
            Some(_) => {
                return Err(OptionsError::invalid(
                    at,
                    "true, false or {enabled, tags, spanName, safetyTags}",
                ));
            }
        }
        Ok(own)
    }
}
