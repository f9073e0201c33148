//! The error returned when broker options cannot be read or are invalid.

use std::fmt;

/// Where a bad option value came from; decides the `(from …)` part of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Not known (options built in code, or a plain `serde` deserialization).
    Unknown,
    /// A configuration file; `source_name` is its path.
    File,
    /// An environment variable; `source_name` is its name.
    Env,
}

/// An invalid or unreadable broker option.
///
/// Displays as, for example:
/// ``invalid broker option `registry.strategy` (from env MOL_REGISTRY__STRATEGY): unknown strategy `Randomm` (expected one of RoundRobin, Random, CpuUsage, Latency, Shard)``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsError {
    /// Dotted path of the offending option in Moleculer's camelCase names (`registry.strategy`),
    /// or `None` when the problem is not about one option (an unreadable file, say).
    pub key: Option<String>,
    /// The configuration file path or the environment variable the value came from, if known.
    pub source_name: Option<String>,
    /// What is wrong, without the key and the source.
    pub message: String,
    origin: Origin,
}

impl OptionsError {
    /// An invalid value at `key` (dotted path), source not known yet.
    pub(crate) fn invalid(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: (!key.is_empty()).then(|| key.to_owned()),
            source_name: None,
            message: message.into(),
            origin: Origin::Unknown,
        }
    }

    /// A problem with a whole file (unreadable, unparsable, unsupported extension).
    pub(crate) fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: None,
            source_name: Some(path.into()),
            message: message.into(),
            origin: Origin::File,
        }
    }

    /// Records the file the value came from, unless a source is already known.
    pub(crate) fn in_file(mut self, path: impl Into<String>) -> Self {
        if self.origin == Origin::Unknown {
            self.source_name = Some(path.into());
            self.origin = Origin::File;
        }
        self
    }

    /// Records the environment variable the value came from (overrides an unknown source).
    pub(crate) fn in_env(mut self, var: impl Into<String>) -> Self {
        self.source_name = Some(var.into());
        self.origin = Origin::Env;
        self
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "invalid broker option `{key}`")?,
            None => f.write_str("invalid broker options")?,
        }
        if let Some(source) = &self.source_name {
            match self.origin {
                Origin::Env => write!(f, " (from env {source})")?,
                Origin::File => write!(f, " (from file {source})")?,
                Origin::Unknown => write!(f, " (from {source})")?,
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for OptionsError {}
