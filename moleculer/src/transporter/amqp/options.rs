//! The options of the AMQP transporter, read from the `transporter` option with the names
//! and defaults of Node's `amqp.js`; the four option objects it hands to amqplib
//! (`queueOptions`, `exchangeOptions`, `messageOptions`, `consumeOptions`) keep amqplib's
//! names and are checked here, key by key.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::options::TransporterOption;
use crate::transporter::{check_keys_at, check_option_keys, invalid_option as invalid};

/// Connection settings of the [`AmqpTransporter`](super::AmqpTransporter).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AmqpOptions {
    /// The servers (`url`: one URL, a list, or URLs joined by `;`), one per connection
    /// attempt in turn: `amqp://[user:pass@]host[:port][/vhost][?heartbeat=s]`.
    pub urls: Vec<String>,
    /// How many unacknowledged requests and balanced events each consumer holds at once
    /// (`prefetch`; 1).
    pub prefetch: u16,
    /// The `messageTtl` (ms) of event queues (`eventTimeToLive`; none).
    pub event_time_to_live: Option<u32>,
    /// The `messageTtl` (ms) of heartbeat queues (`heartbeatTimeToLive`; none).
    pub heartbeat_time_to_live: Option<u32>,
    /// The `expires` (ms) of the per-node request, response and event queues and of the
    /// balanced event queues (`autoDeleteQueues`: `true` = 2 minutes, the default; a
    /// number; `false` = they never expire, `None` here).
    pub auto_delete_queues: Option<u32>,
    /// amqplib's `assertQueue` options, over every queue's own (`queueOptions`).
    pub queue_options: Map<String, Value>,
    /// amqplib's `assertExchange` options of the broadcast exchanges (`exchangeOptions`).
    pub exchange_options: Map<String, Value>,
    /// amqplib's `publish` options of every message (`messageOptions`).
    pub message_options: Map<String, Value>,
    /// amqplib's `consume` options of every consumer (`consumeOptions`).
    pub consume_options: Map<String, Value>,
    /// The certificates of `amqps://` connections (`tls: {caFile, certFile, keyFile}`): the
    /// server's certificate is always checked, against the system's roots and `caFile`.
    /// Needs the `amqp-tls` feature.
    pub tls: AmqpTls,
}

/// The certificates of TLS connections to RabbitMQ.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AmqpTls {
    /// Root certificates (PEM) to trust besides the system's (`caFile`).
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM), for servers that verify clients (`certFile`).
    pub cert_file: Option<std::path::PathBuf>,
    /// The client certificate's key (PEM, PKCS #8) (`keyFile`).
    pub key_file: Option<std::path::PathBuf>,
}

const KNOWN: &[&str] = &[
    "url",
    "prefetch",
    "eventTimeToLive",
    "heartbeatTimeToLive",
    "autoDeleteQueues",
    "queueOptions",
    "exchangeOptions",
    "messageOptions",
    "consumeOptions",
    "socketOptions",
    "tls",
];
const REFUSED: &[(&str, &str)] = &[];

/// amqplib's `assertQueue` options.
const QUEUE: &[&str] = &[
    "durable",
    "exclusive",
    "autoDelete",
    "arguments",
    "messageTtl",
    "expires",
    "deadLetterExchange",
    "deadLetterRoutingKey",
    "maxLength",
    "maxPriority",
    "overflow",
    "queueMode",
];
/// amqplib's `assertExchange` options.
const EXCHANGE: &[&str] = &[
    "durable",
    "internal",
    "autoDelete",
    "alternateExchange",
    "arguments",
];
/// amqplib's `consume` options.
const CONSUME: &[&str] = &["noLocal", "noAck", "exclusive", "priority", "arguments"];
const CONSUME_REFUSED: &[(&str, &str)] = &[(
    "consumerTag",
    "every queue has a consumer of its own, and one tag cannot name them all",
)];
/// amqplib's `publish` options.
const MESSAGE: &[&str] = &[
    "expiration",
    "userId",
    "priority",
    "persistent",
    "deliveryMode",
    "contentType",
    "contentEncoding",
    "headers",
    "correlationId",
    "replyTo",
    "messageId",
    "timestamp",
    "type",
    "appId",
];
const MESSAGE_REFUSED: &[(&str, &str)] = &[
    (
        "mandatory",
        "returned messages would only be logged; a request to a node that is gone times out",
    ),
    ("CC", "messages go to one queue or one exchange"),
    ("BCC", "messages go to one queue or one exchange"),
];

impl Default for AmqpOptions {
    fn default() -> AmqpOptions {
        AmqpOptions {
            urls: vec![AmqpOptions::DEFAULT_URL.to_owned()],
            prefetch: 1,
            event_time_to_live: None,
            heartbeat_time_to_live: None,
            auto_delete_queues: Some(AmqpOptions::AUTO_DELETE_AFTER),
            queue_options: Map::new(),
            exchange_options: Map::new(),
            message_options: Map::new(),
            consume_options: Map::new(),
            tls: AmqpTls::default(),
        }
    }
}

impl AmqpOptions {
    /// amqplib's server when no URL is given.
    pub const DEFAULT_URL: &'static str = "amqp://guest:guest@localhost:5672";
    /// `autoDeleteQueues: true`: queues expire 2 minutes after their last consumer left.
    pub const AUTO_DELETE_AFTER: u32 = 120_000;

    /// Options for the server at `url`, with Node's defaults.
    pub fn new(url: impl Into<String>) -> AmqpOptions {
        AmqpOptions {
            urls: vec![url.into()],
            ..AmqpOptions::default()
        }
    }

    /// Reads `"AMQP"`, `"amqp://…"` or `{type: "AMQP", options: {…}}`. An option that cannot
    /// be honoured and an unknown key are errors.
    ///
    /// # Errors
    /// `BrokerOptionsError` naming the option.
    pub fn from_option(opt: &TransporterOption) -> Result<AmqpOptions> {
        let mut options = AmqpOptions::default();
        if let Some(url) = opt.url() {
            options.urls = split_urls(url);
        }
        if let Some(map) = opt.options() {
            options.read(map)?;
        }
        for url in &options.urls {
            check_url(url)?;
        }
        let tls = &options.tls;
        let has_files = tls.ca_file.is_some() || tls.cert_file.is_some();
        if has_files && !options.urls.iter().any(|url| url.starts_with("amqps://")) {
            return Err(invalid(
                "tls",
                "given with amqps:// URLs (the files are for TLS)",
            ));
        }
        Ok(options)
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<()> {
        check_option_keys(map, KNOWN, REFUSED)?;
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        match get("url") {
            None => {}
            Some(Value::String(url)) => self.urls = split_urls(url),
            Some(Value::Array(list)) => {
                self.urls = list
                    .iter()
                    .map(|u| u.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .filter(|urls| !urls.is_empty())
                    .ok_or_else(|| invalid("url", "a URL, or a list of URLs"))?;
            }
            Some(_) => return Err(invalid("url", "a URL, or a list of URLs")),
        }
        if let Some(prefetch) = get("prefetch") {
            self.prefetch = prefetch
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| invalid("prefetch", "a count from 0 to 65535"))?;
        }
        let millis = |key: &str| -> Result<Option<u32>> {
            get(key)
                .map(|v| {
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| invalid(key, "a number of milliseconds"))
                })
                .transpose()
        };
        // Node keeps a time to live only when it is a number, and 0 means none.
        self.event_time_to_live = millis("eventTimeToLive")?.filter(|ms| *ms > 0);
        self.heartbeat_time_to_live = millis("heartbeatTimeToLive")?.filter(|ms| *ms > 0);
        self.auto_delete_queues =
            match get("autoDeleteQueues") {
                None | Some(Value::Bool(true)) => Some(AmqpOptions::AUTO_DELETE_AFTER),
                Some(Value::Bool(false)) => None,
                Some(n) if n.as_i64().is_some_and(|n| n < 0) => None,
                Some(n) => Some(n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(
                    || {
                        invalid(
                            "autoDeleteQueues",
                            "true, false or a number of milliseconds",
                        )
                    },
                )?),
            };
        let object = |key: &str, known: &[&str], refused: &[(&str, &str)]| {
            let Some(value) = get(key) else {
                return Ok(Map::new());
            };
            let object = value.as_object().ok_or_else(|| invalid(key, "an object"))?;
            check_keys_at(
                &format!("transporter.options.{key}"),
                object,
                known,
                refused,
            )?;
            Ok::<_, crate::Error>(object.clone())
        };
        self.queue_options = object("queueOptions", QUEUE, &[])?;
        self.exchange_options = object("exchangeOptions", EXCHANGE, &[])?;
        self.message_options = object("messageOptions", MESSAGE, MESSAGE_REFUSED)?;
        self.consume_options = object("consumeOptions", CONSUME, CONSUME_REFUSED)?;
        if get("socketOptions").is_some_and(|v| v.as_object().is_none_or(|o| !o.is_empty())) {
            return Err(invalid(
                "socketOptions",
                "empty: give TLS files in `tls: {caFile, certFile, keyFile}`; connection \
                 settings such as `?heartbeat=30` go in the URL",
            ));
        }
        match get("tls") {
            None => {}
            Some(Value::Object(tls)) => {
                let files = crate::transporter::tls_files::read(tls, &[])?;
                self.tls = AmqpTls {
                    ca_file: files.ca_file,
                    cert_file: files.cert_file,
                    key_file: files.key_file,
                };
            }
            Some(_) => return Err(invalid("tls", "{caFile, certFile, keyFile}")),
        }
        Ok(())
    }
}

/// Node's `url.split(";")`, empty parts left out.
fn split_urls(url: &str) -> Vec<String> {
    let urls: Vec<String> = url
        .split(';')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        vec![AmqpOptions::DEFAULT_URL.to_owned()]
    } else {
        urls
    }
}

/// An `amqp://` (or, with the `amqp-tls` feature, `amqps://`) URL the client can parse.
fn check_url(url: &str) -> Result<()> {
    if url.starts_with("amqps://") && !cfg!(feature = "amqp-tls") {
        return Err(invalid(
            "url",
            "an amqp:// URL: TLS to RabbitMQ (amqps://) needs the `amqp-tls` feature of the \
             moleculer crate",
        ));
    }
    url.parse::<lapin::uri::AMQPUri>()
        .map(|_| ())
        .map_err(|err| invalid("url", &format!("an amqp:// URL ({err})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::options::{PluginOption, TransporterKind};
    use serde_json::json;

    fn object(options: Value) -> TransporterOption {
        PluginOption::Object {
            kind: TransporterKind::Amqp,
            options: options.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn defaults_are_nodes() {
        let url = PluginOption::Url {
            kind: TransporterKind::Amqp,
            url: "amqp://a:5672;amqp://b:5672".to_owned(),
        };
        let options = AmqpOptions::from_option(&url).unwrap();
        assert_eq!(options.urls, ["amqp://a:5672", "amqp://b:5672"]);
        assert_eq!(options.prefetch, 1);
        assert_eq!(options.auto_delete_queues, Some(120_000));
        assert_eq!(options.event_time_to_live, None);
        let named = AmqpOptions::from_option(&PluginOption::Name(TransporterKind::Amqp)).unwrap();
        assert_eq!(named.urls, [AmqpOptions::DEFAULT_URL]);
    }

    #[test]
    fn reads_nodes_names() {
        let options = AmqpOptions::from_option(&object(json!({
            "url": ["amqp://a", "amqp://b"],
            "prefetch": 5,
            "eventTimeToLive": 5000,
            "heartbeatTimeToLive": 0,
            "autoDeleteQueues": false,
            "queueOptions": { "durable": false, "maxLength": 10 },
            "messageOptions": { "persistent": true },
            "socketOptions": {},
        })))
        .unwrap();
        assert_eq!(options.urls, ["amqp://a", "amqp://b"]);
        assert_eq!(options.prefetch, 5);
        assert_eq!(options.event_time_to_live, Some(5000));
        assert_eq!(options.heartbeat_time_to_live, None);
        assert_eq!(options.auto_delete_queues, None);
        assert_eq!(options.queue_options["maxLength"], 10);
        let minutes = object(json!({ "autoDeleteQueues": 60000 }));
        assert_eq!(
            AmqpOptions::from_option(&minutes)
                .unwrap()
                .auto_delete_queues,
            Some(60000)
        );
    }

    #[test]
    fn what_cannot_be_honoured_is_an_error() {
        for (options, says) in [
            (json!({ "prefetch": -1 }), "prefetch"),
            (
                json!({ "queueOptions": { "durabel": true } }),
                "did you mean `transporter.options.queueOptions.durable`",
            ),
            (
                json!({ "consumeOptions": { "consumerTag": "x" } }),
                "one tag",
            ),
            (
                json!({ "messageOptions": { "mandatory": true } }),
                "returned",
            ),
            (
                json!({ "socketOptions": { "ca": "…" } }),
                "socketOptions must be empty",
            ),
            (json!({ "tls": { "ca": "…" } }), "caFile"),
            (
                json!({ "tls": { "caFile": "/ca.pem" } }),
                "given with amqps://",
            ),
            (json!({ "url": "http://h" }), "amqp://"),
        ] {
            let err = AmqpOptions::from_option(&object(options)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokerOptions);
            assert!(err.message().contains(says), "{}", err.message());
        }
        let tls = object(json!({ "url": "amqps://h", "tls": { "caFile": "/ca.pem" } }));
        match AmqpOptions::from_option(&tls) {
            Ok(options) if cfg!(feature = "amqp-tls") => {
                assert_eq!(options.tls.ca_file.unwrap().to_str(), Some("/ca.pem"));
            }
            Err(err) if !cfg!(feature = "amqp-tls") => {
                assert!(
                    err.message().contains("`amqp-tls` feature"),
                    "{}",
                    err.message()
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
