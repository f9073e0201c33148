//! Path-tracking reading of option values from `serde_json::Value`.
//!
//! Options are read by hand from a JSON tree rather than through derived `Deserialize`, so
//! that every error can name the dotted key path (`registry.preferLocal`) and so that Node's
//! looser conventions (`null` means "use the default", `5.0` is a fine integer) hold.

use serde_json::{Map, Value};

use super::error::OptionsError;
use super::suggest::closest;

/// Joins a key onto a dotted path prefix.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Describes a JSON value for an error message ("the string `\"x\"`", "an array").
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the string `{s:?}`"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// "expected X, found Y" at `path`.
pub(crate) fn type_error(path: &str, expected: &str, found: &Value) -> OptionsError {
    OptionsError::invalid(
        path,
        format!("expected {expected}, found {}", describe(found)),
    )
}

/// A value that can be read from JSON at a known key path.
pub(crate) trait FromJson: Sized {
    /// Reads `value`, which sits at `path`. `null` never reaches this (it means "default").
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError>;
}

impl FromJson for bool {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        value
            .as_bool()
            .ok_or_else(|| type_error(path, "a boolean", value))
    }
}

impl FromJson for String {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| type_error(path, "a string", value))
    }
}

impl FromJson for f64 {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        value
            .as_f64()
            .ok_or_else(|| type_error(path, "a number", value))
    }
}

/// Reads a non-negative whole number no larger than `max`; `5` and `5.0` are both accepted
/// because JavaScript has one number type and Node configs (and TOML files) use either.
fn whole_number(value: &Value, path: &str, max: u64) -> Result<u64, OptionsError> {
    let Value::Number(n) = value else {
        return Err(type_error(path, "a non-negative whole number", value));
    };
    if let Some(u) = n.as_u64() {
        if u <= max {
            return Ok(u);
        }
    } else if let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f >= 0.0
        && f <= max as f64
    {
        return Ok(f as u64);
    }
    Err(OptionsError::invalid(
        path,
        format!("expected a non-negative whole number no larger than {max}, found `{n}`"),
    ))
}

impl FromJson for u64 {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        whole_number(value, path, u64::MAX)
    }
}

impl FromJson for u32 {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let n = whole_number(value, path, u64::from(u32::MAX))?;
        u32::try_from(n).map_err(|_| type_error(path, "a 32-bit whole number", value))
    }
}

impl FromJson for usize {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        let n = whole_number(value, path, max)?;
        usize::try_from(n).map_err(|_| type_error(path, "a smaller whole number", value))
    }
}

impl FromJson for Map<String, Value> {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        value
            .as_object()
            .cloned()
            .ok_or_else(|| type_error(path, "an object", value))
    }
}

impl FromJson for Value {
    fn from_json(value: &Value, _path: &str) -> Result<Self, OptionsError> {
        Ok(value.clone())
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_json(other, path).map(Some),
        }
    }
}

/// Reads the fields of one JSON object, remembering which keys were asked for so that any
/// other key can be reported.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be an object, at `path`.
    pub(crate) fn object(value: &'a Value, path: &'a str) -> Result<Self, OptionsError> {
        match value {
            Value::Object(map) => Ok(Self::of_map(map, path)),
            other => Err(type_error(path, "an object", other)),
        }
    }

    /// Starts reading an object already known to be one.
    pub(crate) fn of_map(map: &'a Map<String, Value>, path: &'a str) -> Self {
        Self {
            path,
            map,
            known: Vec::new(),
        }
    }

    /// The dotted path of `key` inside this object.
    pub(crate) fn path_of(&self, key: &str) -> String {
        join(self.path, key)
    }

    /// The raw value at `key`, treating `null` as absent.
    pub(crate) fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Reads `key`, or returns `default` when it is absent or `null`.
    pub(crate) fn get<T: FromJson>(
        &mut self,
        key: &'static str,
        default: T,
    ) -> Result<T, OptionsError> {
        match self.raw(key) {
            None => Ok(default),
            Some(value) => T::from_json(value, &self.path_of(key)),
        }
    }

    /// Marks `key` as known and refuses any value but `null` (and, for lists, `[]`): an
    /// option Node has that the Rust broker cannot take, with `why` saying what to do instead.
    pub(crate) fn refuse(&mut self, key: &'static str, why: &str) -> Result<(), OptionsError> {
        match self.raw(key) {
            None => Ok(()),
            Some(Value::Array(items)) if items.is_empty() => Ok(()),
            Some(_) => Err(OptionsError::invalid(&self.path_of(key), why)),
        }
    }

    /// The keys that were not asked for, in their original order.
    pub(crate) fn unknown(&self) -> Map<String, Value> {
        self.map
            .iter()
            .filter(|(k, _)| !self.known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Ends reading: a key that was not asked for is an error naming it, with the closest
    /// known key as a suggestion (`requestTimout` → `requestTimeout`).
    pub(crate) fn finish(self) -> Result<(), OptionsError> {
        let Some(key) = self.map.keys().find(|k| !self.known.contains(&k.as_str())) else {
            return Ok(());
        };
        let mut message = "unknown option".to_owned();
        if let Some(near) = closest(key, &self.known) {
            message.push_str(&format!("; did you mean `{}`?", join(self.path, near)));
        } else {
            message.push_str(&format!(" (known here: {})", self.known.join(", ")));
        }
        Err(OptionsError::invalid(&self.path_of(key), message))
    }
}

/// Implements `serde::Deserialize` through [`FromJson`], so `serde_json::from_str` and
/// `toml::from_str` give the same results (and messages) as the loaders. `FromJson` must be in
/// scope where it is used.
macro_rules! deserialize_via_json {
    ($ty:ty, $path:expr) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                <$ty as FromJson>::from_json(&value, $path).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use deserialize_via_json;
