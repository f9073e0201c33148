//! The options of the MQTT transporter, read from the `transporter` option with the names of
//! Node's transporter (`qos`, `topicSeparator`) and of the mqtt.js client it hands the rest to.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Result;
use crate::options::TransporterOption;
use crate::transporter::{check_option_keys, invalid_option as invalid};

/// Connection settings of the [`MqttTransporter`](super::MqttTransporter).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MqttOptions {
    /// The broker's host (`host`, or the URL's).
    pub host: String,
    /// The broker's port (`port`, or the URL's; 1883).
    pub port: u16,
    /// `username` and `password`, for brokers that ask for them.
    pub credentials: Option<(String, String)>,
    /// The client id (`clientId`); mqtt.js' `mqttjs_` and 8 random hex digits by default.
    pub client_id: Option<String>,
    /// MQTT 3.1.1 (`protocolVersion: 4`, the default) or 5.
    pub protocol_version: u8,
    /// The quality of service of every subscription and publication (`qos`: 0, 1 or 2).
    pub qos: u8,
    /// What joins a topic's parts (`topicSeparator`: `"."` by default, or `"/"`).
    pub topic_separator: String,
    /// Keep-alive interval (`keepalive`, in seconds; 60).
    pub keep_alive: Duration,
    /// The wait between reconnect attempts (`reconnectPeriod`; 1 s).
    pub reconnect_period: Duration,
    /// How long connecting may take (`connectTimeout`; 30 s).
    pub connect_timeout: Duration,
    /// TLS (`mqtts://`, `protocol: "mqtts"`, or `tls: {caFile, certFile, keyFile}`): the
    /// broker's certificate is always checked, against `caFile` or the system's roots.
    /// Needs the `mqtt-tls` feature.
    pub tls: Option<MqttTls>,
}

/// The TLS settings of an MQTT connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MqttTls {
    /// Root certificates (PEM) to trust instead of the system's (`caFile`).
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM), for brokers that verify clients (`certFile`).
    pub cert_file: Option<std::path::PathBuf>,
    /// The client certificate's key (PEM) (`keyFile`).
    pub key_file: Option<std::path::PathBuf>,
}

const KNOWN: &[&str] = &[
    "host",
    "hostname",
    "port",
    "username",
    "password",
    "clientId",
    "protocolVersion",
    "qos",
    "topicSeparator",
    "keepalive",
    "reconnectPeriod",
    "connectTimeout",
    "clean",
    "protocol",
    "url",
    "tls",
];
const REFUSED: &[(&str, &str)] = &[
    ("will", "a last will is not supported"),
    ("servers", "give one broker in `host`/`port` or `url`"),
    ("transformWsUrl", "a JavaScript function"),
    ("ca", "give the file: `tls: {caFile}`"),
    ("cert", "give the file: `tls: {certFile}`"),
    ("key", "give the file: `tls: {keyFile}`"),
    (
        "rejectUnauthorized",
        "certificates are always checked (give their CA in `tls: {caFile}`)",
    ),
];

impl MqttOptions {
    /// Options for the broker at `host:port` with the defaults of Node's transporter and
    /// mqtt.js.
    pub fn new(host: impl Into<String>, port: u16) -> MqttOptions {
        MqttOptions {
            host: host.into(),
            port,
            credentials: None,
            client_id: None,
            protocol_version: 4,
            qos: 0,
            topic_separator: ".".to_owned(),
            keep_alive: Duration::from_secs(60),
            reconnect_period: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(30),
            tls: None,
        }
    }

    /// Reads `"MQTT"`, `"mqtt://…"` or `{type: "MQTT", options: {…}}`. An option that cannot
    /// be honoured and an unknown key are errors.
    ///
    /// # Errors
    /// `BrokerOptionsError` naming the option.
    pub fn from_option(opt: &TransporterOption) -> Result<MqttOptions> {
        let mut options = MqttOptions::new("localhost", 1883);
        if let Some(url) = opt.url() {
            options.read_url(url)?;
        }
        if let Some(map) = opt.options() {
            options.read(map)?;
        }
        if options.tls.is_some() && !cfg!(feature = "mqtt-tls") {
            return Err(invalid(
                "tls",
                "left out: TLS for MQTT needs the `mqtt-tls` feature of the moleculer crate",
            ));
        }
        Ok(options)
    }

    /// `mqtt://[user:pass@]host[:port]`.
    fn read_url(&mut self, url: &str) -> Result<()> {
        let (rest, tls) = match url.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (rest, false),
            Some(("mqtts" | "ssl" | "tls", rest)) => (rest, true),
            _ => {
                return Err(invalid(
                    "url",
                    "an mqtt://host:port or mqtts://host:port URL",
                ));
            }
        };
        if tls {
            self.port = 8883;
            self.tls.get_or_insert_with(MqttTls::default);
        }
        let rest = rest.split('/').next().unwrap_or_default();
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        if let Some(userinfo) = userinfo {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            self.credentials = Some((user.to_owned(), pass.to_owned()));
        }
        match hostport.rsplit_once(':') {
            Some((host, port)) => {
                self.host = host.to_owned();
                self.port = port
                    .parse()
                    .map_err(|_| invalid("url", "a URL with a valid port"))?;
            }
            None => self.host = hostport.to_owned(),
        }
        Ok(())
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<()> {
        check_option_keys(map, KNOWN, REFUSED)?;
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        let string = |key: &str| -> Result<Option<String>> {
            get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(key, "a string"))
                })
                .transpose()
        };
        let number = |key: &str| -> Result<Option<f64>> {
            get(key)
                .map(|v| {
                    v.as_f64()
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .ok_or_else(|| invalid(key, "a number"))
                })
                .transpose()
        };
        if let Some(url) = string("url")? {
            self.read_url(&url)?;
        }
        match string("protocol")?.as_deref() {
            None | Some("mqtt" | "tcp") => {}
            Some("mqtts" | "ssl" | "tls") => {
                self.tls.get_or_insert_with(MqttTls::default);
                if get("port").is_none() && self.port == 1883 {
                    self.port = 8883;
                }
            }
            Some(_) => {
                return Err(invalid(
                    "protocol",
                    "\"mqtt\" or \"mqtts\" (WebSockets are not supported yet)",
                ));
            }
        }
        match get("tls") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                self.tls.get_or_insert_with(MqttTls::default);
            }
            Some(Value::Object(tls)) => {
                let files = crate::transporter::tls_files::read(tls, &[])?;
                self.tls = Some(MqttTls {
                    ca_file: files.ca_file,
                    cert_file: files.cert_file,
                    key_file: files.key_file,
                });
            }
            Some(_) => return Err(invalid("tls", "true or {caFile, certFile, keyFile}")),
        }
        if let Some(host) = string("host")?.or(string("hostname")?) {
            self.host = host;
        }
        if let Some(port) = get("port") {
            self.port = port
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| invalid("port", "a port number"))?;
        }
        match (string("username")?, string("password")?) {
            (Some(user), pass) => self.credentials = Some((user, pass.unwrap_or_default())),
            (None, Some(_)) => return Err(invalid("password", "given with `username`")),
            (None, None) => {}
        }
        self.client_id = string("clientId")?.or(self.client_id.take());
        if let Some(version) = number("protocolVersion")? {
            self.protocol_version = match version as u8 {
                4 => 4,
                5 => 5,
                _ => return Err(invalid("protocolVersion", "4 (MQTT 3.1.1) or 5")),
            };
        }
        if let Some(qos) = number("qos")? {
            self.qos = match qos as u8 {
                q @ 0..=2 if f64::from(q) == qos => q,
                _ => return Err(invalid("qos", "0, 1 or 2")),
            };
        }
        if let Some(separator) = string("topicSeparator")? {
            if separator.is_empty() || separator.contains(['+', '#']) {
                return Err(invalid(
                    "topicSeparator",
                    "a separator such as \".\" or \"/\"",
                ));
            }
            self.topic_separator = separator;
        }
        if let Some(secs) = number("keepalive")? {
            self.keep_alive = Duration::from_secs_f64(secs.max(5.0));
        }
        if let Some(ms) = number("reconnectPeriod")? {
            self.reconnect_period = Duration::from_secs_f64(ms / 1000.0);
        }
        if let Some(ms) = number("connectTimeout")? {
            self.connect_timeout = Duration::from_secs_f64(ms / 1000.0);
        }
        if get("clean") == Some(&Value::Bool(false)) {
            return Err(invalid(
                "clean",
                "true (the transporter subscribes again on every connection)",
            ));
        }
        Ok(())
    }
}

impl Default for MqttOptions {
    fn default() -> Self {
        MqttOptions::new("localhost", 1883)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::options::{PluginOption, TransporterKind};

    fn object(options: Value) -> TransporterOption {
        let Value::Object(options) = options else {
            unreachable!()
        };
        PluginOption::Object {
            kind: TransporterKind::Mqtt,
            options,
        }
    }

    #[test]
    fn reads_nodes_names() {
        let url = PluginOption::Url {
            kind: TransporterKind::Mqtt,
            url: "mqtt://u:p@broker:1884".to_owned(),
        };
        let o = MqttOptions::from_option(&url).unwrap();
        assert_eq!((o.host.as_str(), o.port), ("broker", 1884));
        assert_eq!(o.credentials, Some(("u".to_owned(), "p".to_owned())));
        let o = MqttOptions::from_option(&object(json!({
            "host": "h", "port": 1999, "qos": 1, "topicSeparator": "/", "protocolVersion": 5,
            "keepalive": 30, "reconnectPeriod": 200
        })))
        .unwrap();
        assert_eq!(
            (o.qos, o.topic_separator.as_str(), o.protocol_version),
            (1, "/", 5)
        );
        assert_eq!(o.reconnect_period, Duration::from_millis(200));
        let tls = PluginOption::Url {
            kind: TransporterKind::Mqtt,
            url: "mqtts://broker".to_owned(),
        };
        if !cfg!(feature = "mqtt-tls") {
            let err = MqttOptions::from_option(&tls).unwrap_err();
            assert!(
                err.message().contains("`mqtt-tls` feature"),
                "{}",
                err.message()
            );
            return;
        }
        let o = MqttOptions::from_option(&tls).unwrap();
        assert_eq!((o.port, o.tls.clone()), (8883, Some(MqttTls::default())));
        let o = MqttOptions::from_option(&object(json!({
            "host": "h", "port": 8884, "tls": {"caFile": "/ca.pem"}
        })))
        .unwrap();
        assert_eq!(
            o.tls.and_then(|t| t.ca_file),
            Some(std::path::PathBuf::from("/ca.pem"))
        );
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for (options, expected) in [
            (json!({"qos": 3}), "0, 1 or 2"),
            (json!({"protocolVersion": 3}), "4 (MQTT 3.1.1) or 5"),
            (json!({"topicSeparator": "#"}), "a separator"),
            (json!({"clean": false}), "subscribes again"),
            (json!({"will": {}}), "last will"),
            (json!({"protocol": "ws"}), "WebSockets"),
            (json!({"ca": "-----BEGIN"}), "caFile"),
            (json!({"tls": {"caFile": "a", "certFile": "b"}}), "together"),
        ] {
            let err = MqttOptions::from_option(&object(options.clone())).unwrap_err();
            assert!(
                err.message().contains(expected),
                "{options}: {}",
                err.message()
            );
        }
    }
}
