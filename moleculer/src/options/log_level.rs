//! The `logLevel` option (reference §14): one level, or levels per module.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::OptionsError;
use super::json::{FromJson, deserialize_via_json, join, type_error};

/// A Moleculer log level, from the most to the least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `fatal`
    Fatal,
    /// `error`
    Error,
    /// `warn`
    Warn,
    /// `info` (the default)
    Info,
    /// `debug`
    Debug,
    /// `trace`
    Trace,
}

impl LogLevel {
    /// Every level, most severe first (Node's `LEVELS`).
    const ALL: [Self; 6] = [
        Self::Fatal,
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// The Node name (`"info"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fatal => "fatal",
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    /// Parses a level name case-insensitively. (Node compares case-sensitively and silently
    /// logs nothing for `"INFO"`; accepting it is kinder and changes no valid config.)
    fn parse(name: &str, path: &str) -> Result<Self, OptionsError> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                OptionsError::invalid(
                    path,
                    format!(
                        "unknown log level `{name}` (expected one of fatal, error, warn, info, debug, trace)"
                    ),
                )
            })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `logLevel` option. Default: `info` for every module (Node's `null` → `"info"`).
#[derive(Debug, Clone, PartialEq)]
pub enum LogLevelOption {
    /// One level for every module: `"debug"`.
    Global(LogLevel),
    /// Levels per module, in the order written: `{"TRANSIT": "debug", "MY.**": false,
    /// "**": "info"}`. Keys are upper-case module names with `*`/`**` wildcards and a `"**"`
    /// fallback; `None` is Node's `false` (that module logs nothing).
    PerModule(Vec<(String, Option<LogLevel>)>),
}

impl Default for LogLevelOption {
    fn default() -> Self {
        Self::Global(LogLevel::Info)
    }
}

impl FromJson for LogLevelOption {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::String(name) => LogLevel::parse(name, path).map(Self::Global),
            Value::Object(map) => map
                .iter()
                .map(|(module, level)| {
                    let level_path = join(path, module);
                    let level = match level {
                        Value::String(name) => Some(LogLevel::parse(name, &level_path)?),
                        Value::Bool(false) | Value::Null => None,
                        other => {
                            return Err(type_error(
                                &level_path,
                                "a log level name or `false`",
                                other,
                            ));
                        }
                    };
                    Ok((module.clone(), level))
                })
                .collect::<Result<_, _>>()
                .map(Self::PerModule),
            other => Err(type_error(
                path,
                "a log level name or an object of levels per module",
                other,
            )),
        }
    }
}

deserialize_via_json!(LogLevelOption, "logLevel");

impl Serialize for LogLevelOption {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Global(level) => serializer.serialize_str(level.as_str()),
            Self::PerModule(levels) => levels
                .iter()
                .map(|(module, level)| {
                    let value = level.map_or(Value::Bool(false), |l| Value::from(l.as_str()));
                    (module.clone(), value)
                })
                .collect::<Map<String, Value>>()
                .serialize(serializer),
        }
    }
}
