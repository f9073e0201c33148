//! The `transit` section and the wire protocol version (reference §0, §1).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, type_error};

/// The Moleculer wire protocol version sent in every packet's `ver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolVersion {
    /// `"4"`: Moleculer 0.14 nodes.
    V4,
    /// `"5"`: Moleculer 0.15 nodes (the default).
    #[default]
    V5,
}

impl ProtocolVersion {
    /// The value of the packets' `ver` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V4 => "4",
            Self::V5 => "5",
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromJson for ProtocolVersion {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        // A number is accepted too: env overlays turn `5` into one, and TOML users write it.
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => return Err(type_error(path, "\"4\" or \"5\"", other)),
        };
        match text.as_str() {
            "4" | "4.0" => Ok(Self::V4),
            "5" | "5.0" => Ok(Self::V5),
            _ => Err(OptionsError::invalid(
                path,
                format!("unknown protocol version `{text}` (expected \"4\" or \"5\")"),
            )),
        }
    }
}

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

deserialize_via_json!(ProtocolVersion, "transit.protocolVersion");

/// `transit`: the layer between the broker and the transporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct TransitOptions {
    /// Maximum pending outgoing requests; beyond it calls fail with `QueueIsFullError`.
    /// Default `50000`.
    pub max_queue_size: usize,
    /// Maximum stream chunk size in bytes. Default `262144` (256 KiB).
    pub max_chunk_size: usize,
    /// Whether reconnecting after a lost transporter connection is disabled. Default `false`.
    pub disable_reconnect: bool,
    /// Whether packets with another protocol `ver` are accepted. Default `false` (dropped).
    pub disable_version_check: bool,
    /// Milliseconds to debounce `$services.changed` INFO broadcasts. Default `1000` (0.15
    /// only; the docs put it under `registry`).
    pub service_changed_debounce_time: u64,
    /// Rust-only: the protocol version to speak, `"4"` (0.14 clusters) or `"5"` (0.15).
    /// Default `"5"`.
    pub protocol_version: ProtocolVersion,
}

impl Default for TransitOptions {
    fn default() -> Self {
        Self {
            max_queue_size: 50_000,
            max_chunk_size: 256 * 1024,
            disable_reconnect: false,
            disable_version_check: false,
            service_changed_debounce_time: 1000,
            protocol_version: ProtocolVersion::V5,
        }
    }
}

impl FromJson for TransitOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            max_queue_size: f.get("maxQueueSize", d.max_queue_size)?,
            max_chunk_size: f.get("maxChunkSize", d.max_chunk_size)?,
            disable_reconnect: f.get("disableReconnect", d.disable_reconnect)?,
            disable_version_check: f.get("disableVersionCheck", d.disable_version_check)?,
            service_changed_debounce_time: f.get(
                "serviceChangedDebounceTime",
                d.service_changed_debounce_time,
            )?,
            protocol_version: f.get("protocolVersion", d.protocol_version)?,
        };
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(TransitOptions, "transit");
