//! Service versions, full names and action visibility.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A service version: a number (`v2.math`) or a string (`staging.math`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Version {
    /// A numeric version, prefixed `v<n>.`.
    Number(i64),
    /// A string version, used as the prefix as it is.
    String(String),
}

impl Version {
    /// The prefix of the full name (`"v2"` or `"staging"`).
    pub fn prefix(&self) -> String {
        match self {
            Version::Number(n) => format!("v{n}"),
            Version::String(s) => s.clone(),
        }
    }

    /// The JSON form (a number or a string), as INFO publishes it.
    pub fn to_json(&self) -> Value {
        match self {
            Version::Number(n) => Value::from(*n),
            Version::String(s) => Value::from(s.clone()),
        }
    }

    /// Reads a version from JSON (`2`, `"2"` stays a string, `null` is none).
    pub fn from_json(value: &Value) -> Option<Version> {
        match value {
            Value::Number(n) => n.as_i64().map(Version::Number),
            Value::String(s) => Some(Version::String(s.clone())),
            _ => None,
        }
    }
}

impl From<i64> for Version {
    fn from(n: i64) -> Version {
        Version::Number(n)
    }
}

impl From<&str> for Version {
    fn from(s: &str) -> Version {
        Version::String(s.to_owned())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Number(n) => write!(f, "{n}"),
            Version::String(s) => f.write_str(s),
        }
    }
}

/// Node's `getVersionedFullName`: `v2.math`, `staging.math`, or `math`.
pub fn full_service_name(name: &str, version: Option<&Version>) -> String {
    match version {
        Some(v) => format!("{}.{name}", v.prefix()),
        None => name.to_owned(),
    }
}

/// Who may call an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Callable locally and remotely, and published by API gateways (the default).
    #[default]
    Published,
    /// Callable locally and remotely; gateways do not publish it.
    Public,
    /// Callable only by services on the same node.
    Protected,
    /// Callable only by its own service; never registered.
    Private,
}

impl Visibility {
    /// Node's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Published => "published",
            Visibility::Public => "public",
            Visibility::Protected => "protected",
            Visibility::Private => "private",
        }
    }

    /// Parses Node's name.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "published" => Some(Visibility::Published),
            "public" => Some(Visibility::Public),
            "protected" => Some(Visibility::Protected),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_follow_node() {
        assert_eq!(
            full_service_name("math", Some(&Version::Number(1))),
            "v1.math"
        );
        assert_eq!(
            full_service_name("math", Some(&Version::from("staging"))),
            "staging.math"
        );
        assert_eq!(full_service_name("math", None), "math");
    }
}
