//! The `logger` option: which of Node's loggers the broker installs, read as Node's
//! `LoggerFactory` reads it (`true`, a name, `{type, options}`, or a list of them).

use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json, join, type_error};
use super::log_level::LogLevelOption;

/// Node's loggers that are not built yet, by the name `type` gives them.
const LATER_LOGGERS: [&str; 6] = ["Pino", "Bunyan", "Winston", "Log4js", "Datadog", "Debug"];

/// The template Node's docs show, named where a function formatter is refused.
const TEMPLATE_EXAMPLE: &str = "{timestamp} {level} {nodeID}/{mod}: {msg}";

/// The `logger` option.
///
/// Node's default is `true` (a console logger). The Rust default is `false`, so that a
/// library or a test gets no `tracing` subscriber forced on it: a binary sets `logger: true`
/// (or calls [`logging::init_from`](crate::logging::init_from) itself) to log as a Node node
/// does. With any logger set, [`BrokerBuilder::build`](crate::BrokerBuilder::build) installs
/// the loggers as the global `tracing` subscriber, unless one is set already.
///
/// Read as Node reads it: `true` or `"Console"` is the console logger, `"File"` the file
/// logger, `{type, options}` either with its options, and a list gives several loggers at
/// once, each with its own `level`. A single console logger with only `colors` and `level`
/// reads as [`LoggerOption::Console`]; anything else as [`LoggerOption::Loggers`].
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum LoggerOption {
    /// `false` or `null`: the broker installs no logger (the application may).
    #[default]
    Off,
    /// `true`, `"Console"` or `{type: "Console", options: {colors, level}}`: the console
    /// logger with the `full` formatter, with colours unless `colors` is `false`.
    Console {
        /// Whether levels and modules are coloured. Default `true`.
        colors: bool,
        /// The logger's own level (global or per module), which wins over the broker's
        /// `logLevel`, as in Node.
        level: Option<LogLevelOption>,
    },
    /// Any other set of loggers, in the order given (`[]` logs nothing).
    Loggers(Vec<LoggerConfig>),
}

impl LoggerOption {
    /// The console logger with colours and the broker's `logLevel`.
    fn console() -> LoggerOption {
        LoggerOption::Console {
            colors: true,
            level: None,
        }
    }

    /// The loggers this option stands for, in order (none for [`LoggerOption::Off`]).
    pub fn configs(&self) -> Vec<LoggerConfig> {
        match self {
            Self::Off => Vec::new(),
            Self::Console { colors, level } => vec![LoggerConfig::Console(FormattedOptions {
                colors: *colors,
                level: level.clone(),
                ..FormattedOptions::default()
            })],
            Self::Loggers(loggers) => loggers.clone(),
        }
    }
}

/// One logger of the `logger` option: `{type, options}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LoggerConfig {
    /// `Console`: records on stdout, `warn`, `error` and `fatal` on stderr (Node's
    /// `console.warn` and `console.error`).
    Console(FormattedOptions),
    /// `File`: records appended to a file of `folder`, written in batches every `interval`.
    File(FileLoggerOptions),
}

impl LoggerConfig {
    /// The options every formatted logger has.
    pub fn formatted(&self) -> &FormattedOptions {
        match self {
            Self::Console(options) => options,
            Self::File(options) => &options.formatted,
        }
    }

    /// Node's name of the logger (`"Console"`, `"File"`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Console(_) => "Console",
            Self::File(_) => "File",
        }
    }
}

/// Node's `Formatted` logger options, which the console and file loggers share.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FormattedOptions {
    /// The logger's own level, global or per module; `None` takes the broker's `logLevel`.
    /// When both are per module, the logger's modules come first and the broker's fill in
    /// the others (Node's `defaultsDeep`).
    pub level: Option<LogLevelOption>,
    /// Whether levels, modules and times are coloured with ANSI codes. Default `true` (the
    /// file logger: always `false`, as in Node). Colours also need what Node's `kleur`
    /// needs: no `NO_COLOR` nor `NODE_DISABLE_COLORS`, `TERM` not `dumb`, and a terminal on
    /// stdout or `FORCE_COLOR` set.
    pub colors: bool,
    /// Colours of module names. Default off (grey).
    pub module_colors: ModuleColors,
    /// How a record is printed. Default [`Formatter::Full`].
    pub formatter: Formatter,
    /// Whether `full` and `short` pad module names to the longest one seen so far, so that
    /// messages line up. Default `false`.
    pub auto_padding: bool,
}

impl Default for FormattedOptions {
    fn default() -> Self {
        Self {
            level: None,
            colors: true,
            module_colors: ModuleColors::Off,
            formatter: Formatter::Full,
            auto_padding: false,
        }
    }
}

/// The `formatter` option of a formatted logger.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Formatter {
    /// `full`: `[2024-01-02T03:04:05.678Z] INFO  node-1/BROKER: message`.
    Full,
    /// `short`: `[03:04:05.678Z] INFO  BROKER: message`.
    Short,
    /// `simple`: `INFO  - message`.
    Simple,
    /// `json`: `{"ts":…,"level":"info","msg":"message","nodeID":…,"ns":…,"mod":…}`.
    Json,
    /// `jsonext`: `{"time":…,"level":"info","message":"message","nodeID":…,"ns":…,"mod":…}`,
    /// with the record's fields as keys of their own.
    JsonExt,
    /// Any other string: a template whose `{timestamp}`, `{time}`, `{level}`, `{nodeID}`,
    /// `{mod}` and `{msg}` are replaced (other names by nothing), such as
    /// `"{timestamp} {level} {nodeID}/{mod}: {msg}"`.
    Template(String),
}

impl Formatter {
    /// The option's value: the formatter's name, or the template.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Full => "full",
            Self::Short => "short",
            Self::Simple => "simple",
            Self::Json => "json",
            Self::JsonExt => "jsonext",
            Self::Template(template) => template,
        }
    }

    /// Reads a formatter as Node compares it: the names exactly (`"Full"` is a template).
    pub fn from_name(name: &str) -> Formatter {
        match name {
            "full" => Self::Full,
            "short" => Self::Short,
            "simple" => Self::Simple,
            "json" => Self::Json,
            "jsonext" => Self::JsonExt,
            template => Self::Template(template.to_owned()),
        }
    }
}

/// The `moduleColors` option: the colour of a module's name, picked by a hash of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModuleColors {
    /// `false`: module names are grey.
    Off,
    /// `true`: Node's ten colours (yellow, cyan, green, magenta and blue, plain and bold).
    On,
    /// A list of `kleur` colours, `"bold.yellow"` style (`red`, `bgBlue`, `underline`, …).
    List(Vec<String>),
}

/// The file logger's options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FileLoggerOptions {
    /// The formatted logger's options (`colors` is always `false` here, as in Node).
    pub formatted: FormattedOptions,
    /// The folder of the log files, made at start; `{nodeID}` and `{namespace}` are
    /// replaced. Default `"./logs"`.
    pub folder: String,
    /// The file name; `{date}` (the UTC date, `2024-01-02`: a new file each day),
    /// `{nodeID}` and `{namespace}` are replaced. Default `"moleculer-{date}.log"`.
    pub filename: String,
    /// The end of each line. Default the platform's (`"\n"`, `"\r\n"` on Windows).
    pub eol: String,
    /// Milliseconds between two writes; the records in between are written at once. `0`
    /// writes each record as it comes (still off the thread that logs it). Default `1000`.
    pub interval: u64,
}

impl Default for FileLoggerOptions {
    fn default() -> Self {
        Self {
            formatted: FormattedOptions {
                colors: false,
                ..FormattedOptions::default()
            },
            folder: "./logs".to_owned(),
            filename: "moleculer-{date}.log".to_owned(),
            eol: if cfg!(windows) { "\r\n" } else { "\n" }.to_owned(),
            interval: 1000,
        }
    }
}

impl FromJson for LoggerOption {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::Bool(false) => Ok(Self::Off),
            Value::Bool(true) => Ok(Self::console()),
            Value::Array(items) => {
                let mut loggers = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    // Node's `_.compact`: `false`, `null`, `0` and `""` are left out.
                    if !crate::js::is_truthy(item) {
                        continue;
                    }
                    loggers.push(LoggerConfig::from_json(item, &join(path, &i.to_string()))?);
                }
                Ok(Self::Loggers(loggers))
            }
            Value::String(_) | Value::Object(_) => match LoggerConfig::from_json(value, path)? {
                LoggerConfig::Console(options) if options.is_plain() => Ok(Self::Console {
                    colors: options.colors,
                    level: options.level,
                }),
                logger => Ok(Self::Loggers(vec![logger])),
            },
            other => Err(type_error(
                path,
                "a boolean, a logger name, {type, options} or a list of loggers",
                other,
            )),
        }
    }
}

impl FromJson for LoggerConfig {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::String(name) => Self::named(name, None, path, path),
            Value::Object(map) => {
                let mut f = Fields::of_map(map, path);
                // Without `type` Node refuses the logger; the console logger is kinder and
                // what such a config meant before other loggers existed.
                let name = match f.raw("type") {
                    None => "Console",
                    Some(Value::String(name)) => name.as_str(),
                    Some(other) => {
                        return Err(type_error(&f.path_of("type"), "a logger name", other));
                    }
                };
                let logger = Self::named(name, f.raw("options"), &f.path_of("type"), path)?;
                f.finish()?;
                Ok(logger)
            }
            other => Err(type_error(path, "a logger name or {type, options}", other)),
        }
    }
}

impl LoggerConfig {
    /// The logger named `name` (case-insensitive, as Node looks it up) with `options`.
    fn named(
        name: &str,
        options: Option<&Value>,
        type_path: &str,
        path: &str,
    ) -> Result<LoggerConfig, OptionsError> {
        let options_path = join(path, "options");
        if name.eq_ignore_ascii_case("console") {
            let options = match options {
                None => FormattedOptions::default(),
                Some(options) => {
                    let mut f = Fields::object(options, &options_path)?;
                    let formatted = FormattedOptions::read(&mut f, true)?;
                    f.finish()?;
                    formatted
                }
            };
            return Ok(Self::Console(options));
        }
        if name.eq_ignore_ascii_case("file") {
            return FileLoggerOptions::read(options, &options_path).map(Self::File);
        }
        let message = match LATER_LOGGERS
            .iter()
            .find(|later| later.eq_ignore_ascii_case(name))
        {
            Some(later) => format!(
                "the `{later}` logger is not built yet (it comes later): the built-in loggers \
                 are `Console` and `File`, and any `tracing` subscriber the application \
                 installs itself works too"
            ),
            None => format!("unknown logger `{name}` (the built-in loggers are Console and File)"),
        };
        Err(OptionsError::invalid(type_path, message))
    }
}

impl FormattedOptions {
    /// Whether these are the console logger's defaults apart from `colors` and `level`.
    fn is_plain(&self) -> bool {
        self.formatter == Formatter::Full
            && self.module_colors == ModuleColors::Off
            && !self.auto_padding
    }

    /// Reads the formatted logger's keys of `f`; `colors` defaults to `default_colors`.
    fn read(f: &mut Fields<'_>, default_colors: bool) -> Result<FormattedOptions, OptionsError> {
        let level = match f.raw("level") {
            None => None,
            // Node's `false`: this logger logs nothing (no module has a level).
            Some(Value::Bool(false)) => Some(LogLevelOption::PerModule(Vec::new())),
            Some(level) => Some(LogLevelOption::from_json(level, &f.path_of("level"))?),
        };
        let colors = f.get("colors", default_colors)?;
        let module_colors = match f.raw("moduleColors") {
            None | Some(Value::Bool(false)) => ModuleColors::Off,
            Some(Value::Bool(true)) => ModuleColors::On,
            Some(Value::Array(items)) => {
                let path = f.path_of("moduleColors");
                let colors = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| module_color(item, &join(&path, &i.to_string())))
                    .collect::<Result<_, _>>()?;
                ModuleColors::List(colors)
            }
            Some(other) => {
                return Err(type_error(
                    &f.path_of("moduleColors"),
                    "a boolean or a list of colours",
                    other,
                ));
            }
        };
        let formatter = match f.raw("formatter") {
            None => Formatter::Full,
            Some(Value::String(name)) => Formatter::from_name(name),
            Some(_) => {
                return Err(OptionsError::invalid(
                    &f.path_of("formatter"),
                    format!(
                        "a formatter is a name or a template: a JavaScript function cannot be \
                         used; name one of full, short, simple, json, jsonext, or write a \
                         template such as \"{TEMPLATE_EXAMPLE}\""
                    ),
                ));
            }
        };
        f.refuse(
            "objectPrinter",
            "`objectPrinter` is a JavaScript function and cannot be used: a record's fields \
             print as Node's `util.inspect` prints an object (or, with the `jsonext` \
             formatter, as keys of the JSON line)",
        )?;
        let auto_padding = f.get("autoPadding", false)?;
        Ok(FormattedOptions {
            level,
            colors,
            module_colors,
            formatter,
            auto_padding,
        })
    }

    /// The JSON form, keys in Node's order (the base logger's, then the formatted one's).
    fn to_json(&self, into: &mut Map<String, Value>) {
        if let Some(level) = &self.level {
            let level = serde_json::to_value(level).unwrap_or(Value::Null);
            into.insert("level".into(), level);
        }
        into.insert("colors".into(), Value::Bool(self.colors));
        let module_colors = match &self.module_colors {
            ModuleColors::Off => json!(false),
            ModuleColors::On => json!(true),
            ModuleColors::List(colors) => json!(colors),
        };
        into.insert("moduleColors".into(), module_colors);
        into.insert("formatter".into(), json!(self.formatter.as_str()));
        into.insert("autoPadding".into(), json!(self.auto_padding));
    }
}

/// One colour of `moduleColors`, checked against `kleur`'s names (Node fails on an unknown
/// one only when it first logs).
fn module_color(value: &Value, path: &str) -> Result<String, OptionsError> {
    let Value::String(color) = value else {
        return Err(type_error(
            path,
            "a colour name such as \"bold.cyan\"",
            value,
        ));
    };
    match color
        .split('.')
        .find(|style| crate::logging::style_code(style).is_none())
    {
        None => Ok(color.clone()),
        Some(unknown) => Err(OptionsError::invalid(
            path,
            format!(
                "unknown colour `{unknown}` (expected kleur's names: red, green, yellow, blue, \
                 magenta, cyan, white, gray, black, bgRed…, bold, dim, italic, underline, \
                 inverse, joined with dots as in \"bold.cyan\")"
            ),
        )),
    }
}

impl FileLoggerOptions {
    /// Reads the file logger's `options`.
    fn read(options: Option<&Value>, path: &str) -> Result<FileLoggerOptions, OptionsError> {
        let d = FileLoggerOptions::default();
        let Some(options) = options else {
            return Ok(d);
        };
        let mut f = Fields::object(options, path)?;
        let mut formatted = FormattedOptions::read(&mut f, false)?;
        // Node sets `colors` to `false` whatever the options say.
        formatted.colors = false;
        let options = FileLoggerOptions {
            formatted,
            folder: f.get("folder", d.folder)?,
            filename: f.get("filename", d.filename)?,
            eol: f.get("eol", d.eol)?,
            interval: f.get("interval", d.interval)?,
        };
        f.finish()?;
        Ok(options)
    }
}

impl LoggerConfig {
    /// The JSON form, `{type, options}` with every option.
    fn to_json(&self) -> Value {
        let mut options = Map::new();
        self.formatted().to_json(&mut options);
        if let Self::File(file) = self {
            options.insert("folder".into(), json!(file.folder));
            options.insert("filename".into(), json!(file.filename));
            options.insert("eol".into(), json!(file.eol));
            options.insert("interval".into(), json!(file.interval));
        }
        json!({"type": self.type_name(), "options": options})
    }
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
                let mut options = Map::new();
                if let Some(level) = level {
                    let level = serde_json::to_value(level).unwrap_or(Value::Null);
                    options.insert("level".into(), level);
                }
                options.insert("colors".into(), Value::Bool(*colors));
                json!({"type": "Console", "options": options}).serialize(serializer)
            }
            Self::Loggers(loggers) => {
                Value::Array(loggers.iter().map(LoggerConfig::to_json).collect())
                    .serialize(serializer)
            }
        }
    }
}

deserialize_via_json!(LoggerOption, "logger");
