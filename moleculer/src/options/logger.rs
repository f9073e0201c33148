//! The `logger` option: whether the broker installs its console logger.

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, type_error};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LoggerOption {
    /// `false` or `null`: the broker installs no logger (the application may).
    #[default]
    Off,
    /// `true`, `"Console"` or `{type: "Console", options: {colors}}`: the console logger on
    /// stdout, with ANSI colours unless `colors` is `false`.
    Console {
        /// Whether levels and fields are coloured. Default `true`.
        colors: bool,
    },
}

impl FromJson for LoggerOption {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::Bool(false) => Ok(Self::Off),
            Value::Bool(true) => Ok(Self::Console { colors: true }),
            Value::String(name) if name.eq_ignore_ascii_case("console") => {
                Ok(Self::Console { colors: true })
            }
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
                let colors = match f.raw("options") {
                    None => true,
                    Some(options) => console_colors(options, &f.path_of("options"))?,
                };
                f.finish()?;
                Ok(Self::Console { colors })
            }
            other => Err(type_error(
                path,
                "a boolean, \"Console\" or an object",
                other,
            )),
        }
    }
}

/// The console logger's `options`: `colors`, and Node's formatting keys refused.
fn console_colors(options: &Value, path: &str) -> Result<bool, OptionsError> {
    let mut f = Fields::object(options, path)?;
    let colors = f.get("colors", true)?;
    for key in ["moduleColors", "formatter", "objectPrinter", "autoPadding"] {
        f.refuse(key, FORMATTING)?;
    }
    f.refuse("level", "set the level with the broker's `logLevel` option")?;
    f.finish()?;
    Ok(colors)
}

impl Serialize for LoggerOption {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => serializer.serialize_bool(false),
            Self::Console { colors: true } => serializer.serialize_bool(true),
            Self::Console { colors: false } => {
                json!({"type": "Console", "options": {"colors": false}}).serialize(serializer)
            }
        }
    }
}

deserialize_via_json!(LoggerOption, "logger");
