//! Sections Node accepts as `true`, `false` or an options object: `metrics`, `tracing`.

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, type_error};

/// A switchable feature (`metrics`, `tracing`): a typed `enabled` plus the remaining keys
/// (`reporter`, `exporter`, `sampling`, …) kept raw for the feature's own module.
///
/// `true`/`false` mean `{enabled: true/false}`. An object without `enabled` is disabled,
/// as in Node, where the broker's defaults (`{enabled: false}`) are merged in first.
///
/// Neither feature is built yet: a broker refuses to build with one enabled (see
/// [`BrokerOptions::check_supported`](super::BrokerOptions::check_supported)); the other keys
/// are kept as written, unchecked, for when they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct FeatureOptions {
    /// Whether the feature is on. Default `false`.
    pub enabled: bool,
    /// Every other key of the object form, as written. Default `{}`.
    #[serde(flatten)]
    pub options: Map<String, Value>,
}

impl FromJson for FeatureOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::Bool(enabled) => Ok(Self {
                enabled: *enabled,
                options: Map::new(),
            }),
            Value::Object(map) => {
                let mut f = Fields::of_map(map, path);
                let enabled = f.get("enabled", false)?;
                Ok(Self {
                    enabled,
                    options: f.unknown(),
                })
            }
            other => Err(type_error(path, "a boolean or an object", other)),
        }
    }
}

deserialize_via_json!(FeatureOptions, "");
