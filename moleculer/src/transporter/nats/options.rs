//! The options of the NATS transporter, read from the `transporter` option with the names of
//! Node's transporter (which hands them to the `nats` client).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Result;
use crate::options::TransporterOption;
use crate::transporter::{check_option_keys, invalid_option as invalid, tls_files};

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
    /// succeeds, as Moleculer's transit does; when `false` (`reconnect: false` or
    /// `maxReconnectAttempts: 0`) a failed initial connect is an error.
    pub reconnect: bool,
    /// The delay between initial connect attempts (Moleculer: 5 s).
    pub retry_interval: Duration,
    /// After a lost connection, how many reconnect attempts in a row before the client gives
    /// up (`maxReconnectAttempts`); `None` (Moleculer's `-1`) tries forever.
    pub max_reconnect_attempts: Option<usize>,
    /// The wait between reconnect attempts (`reconnectTimeWait`; the client's own back-off
    /// when `None`).
    pub reconnect_time_wait: Option<Duration>,
    /// How often the client pings the server (`pingInterval`).
    pub ping_interval: Option<Duration>,
    /// How long connecting may take (`timeout`).
    pub connect_timeout: Option<Duration>,
    /// `user` and `pass`, for servers that ask for them.
    pub user_and_password: Option<(String, String)>,
    /// `token`, for servers that ask for one.
    pub token: Option<String>,
    /// Try the servers in the order given (`noRandomize`).
    pub no_randomize: bool,
    /// The server does not send this connection the messages it publishes (`noEcho`).
    pub no_echo: bool,
    /// An nkey seed to authenticate with (`nkey`).
    pub nkey: Option<String>,
    /// A credentials file (JWT and nkey seed) to authenticate with (`credentials`, or
    /// nats.js v1's `userCreds`).
    pub credentials: Option<PathBuf>,
    /// TLS (`tls: true` or `{caFile, certFile, keyFile}`, nats.js' names); a `tls://` URL
    /// asks for it too.
    pub tls: Option<NatsTls>,
}

/// The TLS settings of a NATS connection: the server's certificate is always checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NatsTls {
    /// Root certificates (PEM) to trust besides the system's (`caFile`).
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM), for servers that verify clients (`certFile`).
    pub cert_file: Option<PathBuf>,
    /// The client certificate's key (PEM) (`keyFile`).
    pub key_file: Option<PathBuf>,
}

/// The keys read here, and those Node's client has that this one cannot honour (with why).
const KNOWN: &[&str] = &[
    "url",
    "servers",
    "name",
    "reconnect",
    "maxReconnectAttempts",
    "reconnectTimeWait",
    "pingInterval",
    "timeout",
    "user",
    "pass",
    "token",
    "noRandomize",
    "noEcho",
    "preserveBuffers",
    "nkey",
    "credentials",
    "userCreds",
    "tls",
];
const REFUSED: &[(&str, &str)] = &[
    (
        "authenticator",
        "a JavaScript authenticator; use `user`/`pass` or `token`",
    ),
    (
        "reconnectDelayHandler",
        "a JavaScript function; use `reconnectTimeWait`",
    ),
    ("maxPingOut", "the Rust NATS client has no such setting"),
    (
        "reconnectJitter",
        "the Rust NATS client has no such setting",
    ),
    (
        "reconnectJitterTLS",
        "the Rust NATS client has no such setting",
    ),
    (
        "waitOnFirstConnect",
        "use `reconnect` (the initial connect is retried unless it is false)",
    ),
    ("verbose", "the Rust NATS client has no such setting"),
    ("pedantic", "the Rust NATS client has no such setting"),
    (
        "debug",
        "install a `tracing` subscriber with `async_nats=debug`",
    ),
    ("port", "give the port in `url` or `servers`"),
];

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
            max_reconnect_attempts: None,
            reconnect_time_wait: None,
            ping_interval: None,
            connect_timeout: None,
            user_and_password: None,
            token: None,
            no_randomize: false,
            no_echo: false,
            nkey: None,
            credentials: None,
            tls: None,
        }
    }

    /// Reads `"NATS"`, `"nats://…"` or `{type: "NATS", options: {…}}` with the names of Node's
    /// options (`url`/`servers`, `name`, `user`, `pass`, `token`, `reconnect`,
    /// `maxReconnectAttempts`, `reconnectTimeWait`, `pingInterval`, `timeout`, `noRandomize`,
    /// `noEcho`, `preserveBuffers`). An option the Rust client cannot honour (`tls`,
    /// `maxPingOut`, …) and an unknown key are errors.
    pub fn from_option(opt: &TransporterOption) -> Result<NatsOptions> {
        if let Some(url) = opt.url() {
            return Ok(NatsOptions::new(url));
        }
        let mut options = NatsOptions::default();
        if let Some(map) = opt.options() {
            options.read(map)?;
        }
        Ok(options)
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<()> {
        check_option_keys(map, KNOWN, REFUSED)?;
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        match get("url").or_else(|| get("servers")) {
            None => {}
            Some(Value::String(url)) => self.url = url.clone(),
            Some(Value::Array(list)) => {
                let urls: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
                let urls = urls.ok_or_else(|| invalid("url", "a string or a list of strings"))?;
                self.url = urls.join(",");
            }
            Some(_) => return Err(invalid("url", "a string or a list of strings")),
        }
        let string = |key: &str| -> Result<Option<String>> {
            get(key)
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| invalid(key, "a string"))
                })
                .transpose()
        };
        let flag = |key: &str| -> Result<Option<bool>> {
            get(key)
                .map(|v| v.as_bool().ok_or_else(|| invalid(key, "a boolean")))
                .transpose()
        };
        let millis = |key: &str| -> Result<Option<Duration>> {
            get(key)
                .map(|v| {
                    v.as_f64()
                        .filter(|ms| ms.is_finite() && *ms >= 0.0)
                        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
                        .ok_or_else(|| invalid(key, "a number of milliseconds"))
                })
                .transpose()
        };
        self.name = string("name")?.or(self.name.take());
        if let Some(reconnect) = flag("reconnect")? {
            self.reconnect = reconnect;
        }
        match get("maxReconnectAttempts") {
            None => {}
            Some(v) => match v.as_i64() {
                Some(n) if n < 0 => self.max_reconnect_attempts = None,
                Some(0) => self.reconnect = false,
                Some(n) => self.max_reconnect_attempts = usize::try_from(n).ok(),
                None => {
                    return Err(invalid(
                        "maxReconnectAttempts",
                        "a whole number (-1: forever)",
                    ));
                }
            },
        }
        self.reconnect_time_wait = millis("reconnectTimeWait")?;
        self.ping_interval = millis("pingInterval")?.filter(|d| !d.is_zero());
        self.connect_timeout = millis("timeout")?.filter(|d| !d.is_zero());
        match (string("user")?, string("pass")?) {
            (Some(user), pass) => self.user_and_password = Some((user, pass.unwrap_or_default())),
            (None, Some(_)) => return Err(invalid("pass", "given with `user`")),
            (None, None) => {}
        }
        self.token = string("token")?;
        self.no_randomize = flag("noRandomize")?.unwrap_or(false);
        self.no_echo = flag("noEcho")?.unwrap_or(false);
        self.nkey = string("nkey")?;
        self.credentials = string("credentials")?
            .or(string("userCreds")?)
            .map(PathBuf::from);
        self.tls = read_tls(get("tls"))?;
        // Received payloads are always kept as bytes (`Bytes`): `preserveBuffers: true` is how
        // this client works, `false` (strings instead of Buffers) has no meaning here.
        if flag("preserveBuffers")? == Some(false) {
            return Err(invalid(
                "preserveBuffers",
                "true (payloads are always kept as bytes)",
            ));
        }
        Ok(())
    }
}

/// `tls`: `true`, or nats.js' `{caFile, certFile, keyFile}` (see
/// [`tls_files`](crate::transporter::tls_files)).
fn read_tls(value: Option<&Value>) -> Result<Option<NatsTls>> {
    match value {
        None | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Bool(true)) => Ok(Some(NatsTls::default())),
        Some(Value::Object(map)) => {
            let files = tls_files::read(map, &[])?;
            Ok(Some(NatsTls {
                ca_file: files.ca_file,
                cert_file: files.cert_file,
                key_file: files.key_file,
            }))
        }
        Some(_) => Err(invalid(
            "tls",
            "true or an object of caFile, certFile, keyFile",
        )),
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

    fn object(options: Value) -> TransporterOption {
        let Value::Object(options) = options else {
            unreachable!()
        };
        PluginOption::Object {
            kind: TransporterKind::Nats,
            options,
        }
    }

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
        let read = NatsOptions::from_option(&object(serde_json::json!({
            "url": ["nats://a:1", "nats://b:2"], "name": "n", "maxReconnectAttempts": 0
        })))
        .unwrap();
        assert_eq!(read.url, "nats://a:1,nats://b:2");
        assert_eq!(read.name.as_deref(), Some("n"));
        assert!(!read.reconnect);
    }

    #[test]
    fn reads_nodes_client_options() {
        let read = NatsOptions::from_option(&object(serde_json::json!({
            "servers": "nats://a:1",
            "user": "u", "pass": "p", "token": null,
            "maxReconnectAttempts": 7, "reconnectTimeWait": 250, "pingInterval": 30000,
            "timeout": 1500, "noRandomize": true, "noEcho": false, "preserveBuffers": true,
        })))
        .unwrap();
        assert_eq!(read.url, "nats://a:1");
        assert_eq!(
            read.user_and_password,
            Some(("u".to_owned(), "p".to_owned()))
        );
        assert_eq!(read.max_reconnect_attempts, Some(7));
        assert_eq!(read.reconnect_time_wait, Some(Duration::from_millis(250)));
        assert_eq!(read.ping_interval, Some(Duration::from_secs(30)));
        assert_eq!(read.connect_timeout, Some(Duration::from_millis(1500)));
        assert!(read.no_randomize && !read.no_echo && read.reconnect);
        let forever = NatsOptions::from_option(&object(serde_json::json!({
            "maxReconnectAttempts": -1, "token": "t"
        })))
        .unwrap();
        assert_eq!(forever.max_reconnect_attempts, None);
        assert_eq!(forever.token.as_deref(), Some("t"));
    }

    #[test]
    fn refuses_what_it_cannot_honour_and_unknown_keys() {
        let message = |options: Value| {
            NatsOptions::from_option(&object(options))
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert!(message(serde_json::json!({"tls": {"ca": "x"}})).contains("caFile"));
        assert!(
            message(serde_json::json!({"tls": {"rejectUnauthorized": false}}))
                .contains("always checked")
        );
        assert!(message(serde_json::json!({"tls": {"certFile": "c"}})).contains("together"));
        assert!(message(serde_json::json!({"maxPingOut": 3})).contains("no such setting"));
        let typo = message(serde_json::json!({"pingIntreval": 3}));
        assert!(
            typo.contains("did you mean `transporter.options.pingInterval`"),
            "{typo}"
        );
        assert!(message(serde_json::json!({"user": 1})).contains("a string"));
        assert!(message(serde_json::json!({"preserveBuffers": false})).contains("true"));
        // Refused keys at their empty value are fine.
        assert!(NatsOptions::from_option(&object(serde_json::json!({"maxPingOut": null}))).is_ok());
        let tls = NatsOptions::from_option(&object(serde_json::json!({
            "tls": {"caFile": "ca.pem", "certFile": "c.pem", "keyFile": "k.pem"},
            "nkey": "SU…", "userCreds": "me.creds",
        })))
        .unwrap();
        assert_eq!(tls.tls.unwrap().ca_file, Some(PathBuf::from("ca.pem")));
        assert_eq!(tls.credentials, Some(PathBuf::from("me.creds")));
    }
}
