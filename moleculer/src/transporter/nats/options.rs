//! The options of the NATS transporter, read from the `transporter` option.

use std::time::Duration;

use serde_json::Value;

use crate::error::Result;
use crate::options::TransporterOption;
use crate::transporter::invalid_option as invalid;

/// Connection settings of the [`NatsTransporter`](super::NatsTransporter).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsOptions {
    /// Server URL(s), comma separated as in Node (`nats://a:4222,nats://b:4222`).
    /// `user:pass@` in a URL authenticates.
    pub url: String,
    /// The connection name shown by the server (`connz`); a default is used when `None`.
    pub name: Option<String>,
    /// Retry the initial connect every [`retry_interval`](Self::retry_interval) until it
    /// succeeds, as Node does; when `false` a failed initial connect is an error.
    /// Reconnecting after a lost connection is always on (Node's `maxReconnectAttempts: -1`).
    pub reconnect: bool,
    /// The delay between initial connect attempts (Node: 5 s).
    pub retry_interval: Duration,
}

impl NatsOptions {
    /// The default server, `nats://127.0.0.1:4222`.
    pub const DEFAULT_URL: &'static str = "nats://127.0.0.1:4222";

    /// Options for `url` with the defaults (reconnect on, 5 s between attempts).
    pub fn new(url: impl Into<String>) -> NatsOptions {
        NatsOptions {
            url: url.into(),
            name: None,
            reconnect: true,
            retry_interval: Duration::from_secs(5),
        }
    }

    /// Reads `"NATS"`, `"nats://…"` or `{type: "NATS", options: {url, name, reconnect,
    /// maxReconnectAttempts}}` (`maxReconnectAttempts: 0` or `reconnect: false` turn the
    /// initial-connect retry off).
    pub fn from_option(opt: &TransporterOption) -> Result<NatsOptions> {
        if let Some(url) = opt.url() {
            return Ok(NatsOptions::new(url));
        }
        let mut options = NatsOptions::default();
        let Some(map) = opt.options() else {
            return Ok(options);
        };
        match map.get("url").or_else(|| map.get("servers")) {
            None | Some(Value::Null) => {}
            Some(Value::String(url)) => options.url = url.clone(),
            Some(Value::Array(list)) => {
                let urls: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
                let urls = urls.ok_or_else(|| invalid("url", "a string or a list of strings"))?;
                options.url = urls.join(",");
            }
            Some(_) => return Err(invalid("url", "a string or a list of strings")),
        }
        match map.get("name") {
            None | Some(Value::Null) => {}
            Some(Value::String(name)) => options.name = Some(name.clone()),
            Some(_) => return Err(invalid("name", "a string")),
        }
        if let Some(reconnect) = map.get("reconnect") {
            options.reconnect = reconnect
                .as_bool()
                .ok_or_else(|| invalid("reconnect", "a boolean"))?;
        }
        if map.get("maxReconnectAttempts").and_then(Value::as_i64) == Some(0) {
            options.reconnect = false;
        }
        Ok(options)
    }
}

impl Default for NatsOptions {
    fn default() -> Self {
        NatsOptions::new(NatsOptions::DEFAULT_URL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{PluginOption, TransporterKind};

    #[test]
    fn reads_every_shape() {
        let name = PluginOption::Name(TransporterKind::Nats);
        assert_eq!(
            NatsOptions::from_option(&name).unwrap(),
            NatsOptions::default()
        );
        let url = PluginOption::Url {
            kind: TransporterKind::Nats,
            url: "nats://h:1".to_owned(),
        };
        assert_eq!(NatsOptions::from_option(&url).unwrap().url, "nats://h:1");
        let serde_json::Value::Object(options) = serde_json::json!({
            "url": ["nats://a:1", "nats://b:2"], "name": "n", "maxReconnectAttempts": 0
        }) else {
            unreachable!()
        };
        let object = PluginOption::Object {
            kind: TransporterKind::Nats,
            options,
        };
        let read = NatsOptions::from_option(&object).unwrap();
        assert_eq!(read.url, "nats://a:1,nats://b:2");
        assert_eq!(read.name.as_deref(), Some("n"));
        assert!(!read.reconnect);
    }
}
