//! Loading options from files and the environment, the way moleculer-runner does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value};

use super::broker::BrokerOptions;
use super::env::{self, CONFIG_VAR};
use super::error::OptionsError;
use super::json::join;

/// Config files looked for in the current directory when `MOLECULER_CONFIG` is unset, in
/// order. (The runner looks for `moleculer.config.js`, then `.json`; JavaScript cannot be
/// read here, and TOML is this crate's addition.)
const CONVENTIONAL_FILES: &[&str] = &["moleculer.config.toml", "moleculer.config.json"];

/// The configuration file formats understood by [`BrokerOptions::from_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Toml,
}

impl BrokerOptions {
    /// Reads options from a `.json` or `.toml` file (chosen by extension), with Moleculer's
    /// camelCase option names. Missing options take their defaults.
    ///
    /// # Errors
    /// An unsupported extension, an unreadable or unparsable file, or an invalid option; the
    /// error names the file and, for an invalid option, its key.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, OptionsError> {
        Self::default().merge_file(path)
    }

    /// These options with the keys of a `.json` or `.toml` file over them: a key the file
    /// sets replaces the one here (sections merge key by key; a component option such as
    /// `transporter` or a `logLevel` table is replaced whole), the others stay.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn merge_file(self, path: impl AsRef<Path>) -> Result<Self, OptionsError> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let overlay = read_file(path)?;
        if !overlay.is_object() {
            return Self::from_json_value(&overlay).map_err(|e| e.in_file(source));
        }
        let mut root = Value::Object(self.to_json_map());
        merge_over(&mut root, overlay, "");
        Self::from_json_value(&root).map_err(|e| e.in_file(source))
    }

    /// Applies environment overrides the way moleculer-runner does: `NODEID`, `NAMESPACE`,
    /// `TRANSPORTER`, `SERIALIZER`, `LOGLEVEL` and every other option by its upper-cased
    /// key path (`CIRCUITBREAKER_ENABLED`), then `MOL_` variables with `__` for nesting and
    /// SNAKE_CASE for camelCase (`MOL_REGISTRY__STRATEGY=Random`). `true`/`false` become
    /// booleans and numeric text numbers.
    ///
    /// # Errors
    /// A variable gives an option a value of the wrong type or an unknown name; the error
    /// names the key and the variable.
    pub fn from_env_overlay(
        self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, OptionsError> {
        let vars: BTreeMap<String, String> = vars.into_iter().collect();
        let mut root = self.to_json_map();
        let applied = env::overlay(&mut root, &vars)?;
        if applied.is_empty() {
            return Ok(self);
        }
        Self::from_json_value(&Value::Object(root)).map_err(|e| env::blame(e, &applied))
    }

    /// [`from_env_overlay`](Self::from_env_overlay) with this process's environment
    /// (variables that are not valid Unicode are skipped).
    ///
    /// # Errors
    /// As [`from_env_overlay`](Self::from_env_overlay).
    pub fn apply_env(self) -> Result<Self, OptionsError> {
        self.from_env_overlay(process_env())
    }

    /// The conventional discovery: the file named by `MOLECULER_CONFIG` (relative to the
    /// current directory), else `moleculer.config.toml` or `moleculer.config.json` in the
    /// current directory, else the defaults; then the environment overrides.
    ///
    /// # Errors
    /// `MOLECULER_CONFIG` names a missing file, the file is invalid, or a variable is.
    pub fn load() -> Result<Self, OptionsError> {
        let cwd = std::env::current_dir().map_err(|e| {
            OptionsError::invalid("", format!("cannot read the current directory: {e}"))
        })?;
        load_from(&cwd, process_env())
    }

    /// [`load`](Self::load) over these options: the discovered file's keys, then the
    /// environment's, replace the ones here; the others stay.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn merge_loaded(self) -> Result<Self, OptionsError> {
        let cwd = std::env::current_dir().map_err(|e| {
            OptionsError::invalid("", format!("cannot read the current directory: {e}"))
        })?;
        load_over(self, &cwd, process_env())
    }
}

/// [`BrokerOptions::load`] with an explicit directory and environment (testable).
pub(crate) fn load_from(
    cwd: &Path,
    vars: Vec<(String, String)>,
) -> Result<BrokerOptions, OptionsError> {
    load_over(BrokerOptions::default(), cwd, vars)
}

/// [`BrokerOptions::merge_loaded`] with an explicit directory and environment.
pub(crate) fn load_over(
    base: BrokerOptions,
    cwd: &Path,
    vars: Vec<(String, String)>,
) -> Result<BrokerOptions, OptionsError> {
    let explicit = vars
        .iter()
        .find(|(k, v)| k == CONFIG_VAR && !v.is_empty())
        .map(|(_, v)| v.clone());
    let file: Option<PathBuf> = match explicit {
        Some(name) => {
            let path = cwd.join(&name);
            if !path.is_file() {
                let message = format!("config file not found: {name}");
                return Err(OptionsError::invalid("", message).in_env(CONFIG_VAR));
            }
            Some(path)
        }
        None => CONVENTIONAL_FILES
            .iter()
            .map(|name| cwd.join(name))
            .find(|path| path.is_file()),
    };
    let base = match file {
        Some(path) => {
            tracing::debug!(file = %path.display(), "loading broker options");
            base.merge_file(&path)?
        }
        None => {
            if cwd.join("moleculer.config.js").is_file() {
                tracing::debug!("ignoring moleculer.config.js: JavaScript configs cannot be read");
            }
            base
        }
    };
    base.from_env_overlay(vars)
}

/// Reads a `.json` or `.toml` file (chosen by extension) into JSON.
fn read_file(path: &Path) -> Result<Value, OptionsError> {
    let source = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("json") => Format::Json,
        Some("toml") => Format::Toml,
        Some("js" | "mjs" | "cjs" | "ts") => {
            return Err(OptionsError::file(
                source,
                "JavaScript config files cannot be read by the Rust broker; write the options as .json or .toml",
            ));
        }
        other => {
            let found = other.map_or_else(|| "no extension".to_owned(), |e| format!("`.{e}`"));
            return Err(OptionsError::file(
                source,
                format!("unsupported config file extension: {found} (expected .json or .toml)"),
            ));
        }
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| OptionsError::file(&source, format!("cannot read the file: {e}")))?;
    match format {
        Format::Json => serde_json::from_str::<Value>(&text)
            .map_err(|e| OptionsError::file(&source, format!("invalid JSON: {e}"))),
        Format::Toml => {
            let table = toml::from_str::<toml::Table>(&text)
                .map_err(|e| OptionsError::file(&source, format!("invalid TOML: {e}")))?;
            toml_table_to_json(table, "").map_err(|e| e.in_file(&source))
        }
    }
}

/// Options whose value is one choice, replaced whole rather than merged key by key: a file's
/// `{type: "TCP", options}` does not mix with an earlier NATS transporter's options.
const REPLACED_WHOLE: &[&str] = &[
    "logger",
    "logLevel",
    "transporter",
    "serializer",
    "cacher",
    "validator",
    "registry.strategy",
    "registry.discoverer",
];

/// Puts the keys of `overlay` over `base`: objects merge key by key, anything else (and the
/// options in [`REPLACED_WHOLE`]) replaces.
fn merge_over(base: &mut Value, overlay: Value, path: &str) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) if !REPLACED_WHOLE.contains(&path) => {
            for (key, value) in overlay {
                let key_path = join(path, &key);
                match base.get_mut(&key) {
                    Some(slot) => merge_over(slot, value, &key_path),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, overlay) => *slot = overlay,
    }
}

/// This process's environment, skipping variables that are not valid Unicode (where
/// `std::env::vars` would panic).
fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Converts a TOML table to JSON; datetimes become their RFC 3339 text. Key order follows
/// the `toml` crate's map (document order when its `preserve_order` feature is on).
fn toml_table_to_json(table: toml::Table, path: &str) -> Result<Value, OptionsError> {
    let mut map = Map::new();
    for (key, value) in table {
        let value = toml_to_json(value, &join(path, &key))?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

fn toml_to_json(value: toml::Value, path: &str) -> Result<Value, OptionsError> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| OptionsError::invalid(path, format!("`{f}` is not a finite number")))?,
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| toml_to_json(v, &join(path, &i.to_string())))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => toml_table_to_json(table, path)?,
    })
}
