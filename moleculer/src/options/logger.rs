//! The `logger` option: whether the broker installs its console logger.

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, type_error};
use super::log_level::LogLevelOption;

/// Why a Node logger other than the console one is refused.
const OTHER_LOGGERS: &str = "only the `Console` logger is built in; any other logger (File, \
    Pino, Winston, …) is a `tracing` subscriber the application installs itself";

/// Why a formatting option of Node's console logger is refused.
const FORMATTING: &str = "not supported: the console logger writes `tracing_subscriber`'s \
    format (only `colors` can be set)";

/// The `logger` option.
///
/// Node's default is `true` (a console logger). The Rust default is `false`, so that a
/// library or a test gets no `tracing` subscriber forced on it: a binary sets `logger: true`
/// (or calls [`logging::init_from`](crate::logging::init_from) itself) to log as a Node node
/// does. With `true`, [`BrokerBuilder::build`](crate::BrokerBuilder::build) installs the
/// console logger with the `logLevel` filter, unless a subscriber is set already.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum LoggerOption {
    /// `false` or `null`: the broker installs no logger (the application may).
    #[default]
    Off,
    /// `true`, `"Console"` or `{type: "Console", options: {colors, level}}`: the console
    /// logger on stdout, with ANSI colours unless `colors` is `false`.
    Console {
        /// Whether levels and fields are coloured. Default `true`.
        colors: bool,
        /// The logger's own level (global or per module), which wins over the broker's
        /// `logLevel`, as in Node.
        level: Option<LogLevelOption>,
    },
}

impl FromJson for LoggerOption {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::Bool(false) => Ok(Self::Off),
            Value::Bool(true) => Ok(Self::console()),
            Value::String(name) if name.eq_ignore_ascii_case("console") => Ok(Self::console()),
            Value::String(_) | Value::Array(_) => Err(OptionsError::invalid(path, OTHER_LOGGERS)),
            Value::Object(map) => {
                let mut f = Fields::of_map(map, path);
                match f.raw("type") {
                    None => {}
                    Some(Value::String(name)) if name.eq_ignore_ascii_case("console") => {}
                    Some(_) => {
                        return Err(OptionsError::invalid(&f.path_of("type"), OTHER_LOGGERS));
                    }
                }
                let logger = match f.raw("options") {
                    None => Self::console(),
                    Some(options) => console_options(options, &f.path_of("options"))?,
                };
                f.finish()?;
                Ok(logger)
            }
            other => Err(type_error(
                path,
                "a boolean, \"Console\" or an object",
                other,
            )),
        }
    }
}

impl LoggerOption {
    /// The console logger with colours and the broker's `logLevel`.
    fn console() -> LoggerOption {
        LoggerOption::Console {
            colors: true,
            level: None,
        }
    }
}

/// The console logger's `options`: `colors` and `level`; Node's formatting keys refused.
fn console_options(options: &Value, path: &str) -> Result<LoggerOption, OptionsError> {
    let mut f = Fields::object(options, path)?;
    let colors = f.get("colors", true)?;
    for key in ["moduleColors", "formatter", "objectPrinter", "autoPadding"] {
        f.refuse(key, FORMATTING)?;
    }
    let level = match f.raw("level") {
        None | Some(Value::Null) => None,
        Some(level) => Some(LogLevelOption::from_json(level, &f.path_of("level"))?),
    };
    f.finish()?;
    Ok(LoggerOption::Console { colors, level })
}

impl Serialize for LoggerOption {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => serializer.serialize_bool(false),
            Self::Console {
                colors: true,
                level: None,
            } => serializer.serialize_bool(true),
            Self::Console { colors, level } => {
                // Node's order: the base logger's `level`, then the console's `colors`.
                let mut options = serde_json::Map::new();
                if let Some(level) = level {
                    let level = serde_json::to_value(level).unwrap_or(Value::Null);
                    options.insert("level".into(), level);
                }
                options.insert("colors".into(), Value::Bool(*colors));
                json!({"type": "Console", "options": options}).serialize(serializer)
            }
        }
    }
}

deserialize_via_json!(LoggerOption, "logger");
