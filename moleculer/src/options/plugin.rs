//! Options that select a pluggable component by name: transporter, serializer, strategy,
//! discoverer. Node accepts the same three shapes for all of them (resolved in each
//! component's `index.js` `resolve`): a case-insensitive name, for some a connection URL
//! whose scheme picks the component, or `{type, options}`.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::js;

use super::error::OptionsError;
use super::json::{Fields, FromJson, join, type_error};

/// A family of named components (transporters, serializers, …) selectable by an option.
pub trait PluginKind: Copy + Eq + fmt::Debug + 'static {
    /// What the option selects, for messages: `"transporter"`, `"strategy"`.
    const WHAT: &'static str;
    /// Every kind with its canonical Node name, in the order Node lists them.
    const ALL: &'static [(Self, &'static str)];
    /// The kind selected by the object form when `type` is missing (Node's fallback).
    const OBJECT_DEFAULT: Self;
    /// URL prefixes that select a kind when the option is a string that is not a name.
    const URL_PREFIXES: &'static [(&'static str, Self)] = &[];

    /// The canonical Node name (`"NATS"`, `"RoundRobin"`).
    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("?", |(_, name)| name)
    }

    /// Looks a name up case-insensitively, as Node's `getByName` does.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(kind, _)| *kind)
    }
}

/// Declares a `PluginKind` enum from `(Variant, "NodeName", "doc")` triples.
macro_rules! plugin_kind {
    (
        $(#[$meta:meta])*
        $name:ident, what = $what:literal, object_default = $default:ident,
        urls = [$(($prefix:literal, $url_kind:ident)),* $(,)?],
        [$(($variant:ident, $node_name:literal, $doc:literal)),+ $(,)?]
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = $doc]
                $variant,
            )+
        }

        impl PluginKind for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(Self, &'static str)] = &[$((Self::$variant, $node_name)),+];
            const OBJECT_DEFAULT: Self = Self::$default;
            const URL_PREFIXES: &'static [(&'static str, Self)] = &[$(($prefix, Self::$url_kind)),*];
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

plugin_kind!(
    /// A transporter Moleculer knows (`transporter` option). The Rust broker may implement
    /// only some of them; the others still parse so a Node config loads and fails clearly later.
    TransporterKind, what = "transporter", object_default = Nats,
    urls = [
        ("nats://", Nats), ("mqtt://", Mqtt), ("mqtts://", Mqtt), ("redis://", Redis),
        ("rediss://", Redis), ("amqp://", Amqp), ("amqps://", Amqp), ("amqp10://", Amqp10),
        ("kafka://", Kafka), ("stan://", Stan), ("tcp://", Tcp),
    ],
    [
        (Fake, "Fake", "`Fake`: the in-process bus, for tests."),
        (Nats, "NATS", "`NATS` (`nats://…`)."),
        (Mqtt, "MQTT", "`MQTT` (`mqtt://…`, `mqtts://…`)."),
        (Redis, "Redis", "`Redis` (`redis://…`, `rediss://…`)."),
        (Amqp, "AMQP", "`AMQP` 0.9.1, RabbitMQ (`amqp://…`, `amqps://…`)."),
        (Amqp10, "AMQP10", "`AMQP10`, AMQP 1.0 (`amqp10://…`)."),
        (Kafka, "Kafka", "`Kafka` (`kafka://…`)."),
        (Stan, "STAN", "`STAN`, NATS Streaming (`stan://…`); Moleculer 0.14 only."),
        (Tcp, "TCP", "`TCP`: the built-in gossip transporter (`tcp://…`)."),
    ]
);

plugin_kind!(
    /// A serializer Moleculer knows (`serializer` option); JSON when unset.
    SerializerKind, what = "serializer", object_default = Json,
    urls = [],
    [
        (Json, "JSON", "`JSON` (the default)."),
        (JsonExt, "JSONExt", "`JSONExt`: JSON with tagged special values; Moleculer 0.15."),
        (MsgPack, "MsgPack", "`MsgPack` (msgpack5 dialect)."),
        (Notepack, "Notepack", "`Notepack` (notepack.io)."),
        (Cbor, "CBOR", "`CBOR` (cbor-x)."),
        (ProtoBuf, "ProtoBuf", "`ProtoBuf`: schema based; Moleculer 0.14 only."),
        (Avro, "Avro", "`Avro`: schema based; Moleculer 0.14 only."),
        (Thrift, "Thrift", "`Thrift`: schema based; Moleculer 0.14 only."),
    ]
);

plugin_kind!(
    /// A load-balancing strategy (`registry.strategy`).
    StrategyKind, what = "strategy", object_default = RoundRobin,
    urls = [],
    [
        (RoundRobin, "RoundRobin", "`RoundRobin` (the default)."),
        (Random, "Random", "`Random`: uniform choice."),
        (CpuUsage, "CpuUsage", "`CpuUsage`: prefers nodes with low CPU usage."),
        (Latency, "Latency", "`Latency`: prefers hosts with low ping latency."),
        (Shard, "Shard", "`Shard`: consistent hashing on a shard key."),
    ]
);

plugin_kind!(
    /// A service discoverer (`registry.discoverer`).
    DiscovererKind, what = "discoverer", object_default = Local,
    urls = [("redis://", Redis), ("rediss://", Redis), ("etcd3://", Etcd3)],
    [
        (Local, "Local", "`Local` (the default): discovery over the transporter."),
        (Redis, "Redis", "`Redis` (`redis://…`): discovery through Redis keys."),
        (Etcd3, "Etcd3", "`Etcd3` (`etcd3://…`): discovery through etcd leases."),
    ]
);

/// The value of an option that selects a component, in the shape it was written.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginOption<K> {
    /// A bare name such as `"NATS"` or `"random"` (matched case-insensitively).
    Name(K),
    /// A connection URL whose scheme selected the kind, kept verbatim
    /// (`"nats://127.0.0.1:4222"`). Only kinds with URL prefixes produce this.
    Url {
        /// The kind the URL scheme selects.
        kind: K,
        /// The URL as written.
        url: String,
    },
    /// The object form `{type, options}`; a missing `type` selects Node's fallback kind.
    Object {
        /// The kind named by `type`.
        kind: K,
        /// The `options` object as written (`{}` when absent).
        options: Map<String, Value>,
    },
}

/// The `transporter` option: `"NATS"`, `"nats://127.0.0.1:4222"`, `{type, options}`.
pub type TransporterOption = PluginOption<TransporterKind>;
/// The `serializer` option: `"MsgPack"` or `{type, options}`.
pub type SerializerOption = PluginOption<SerializerKind>;
/// The `registry.strategy` option: `"RoundRobin"` or `{type, options}`.
pub type StrategyOption = PluginOption<StrategyKind>;
/// The `registry.discoverer` option: `"Local"`, `"redis://…"`, `"etcd3://…"` or `{type, options}`.
pub type DiscovererOption = PluginOption<DiscovererKind>;

impl<K: PluginKind> PluginOption<K> {
    /// The selected kind, whatever the shape.
    pub fn kind(&self) -> K {
        match self {
            Self::Name(kind) | Self::Url { kind, .. } | Self::Object { kind, .. } => *kind,
        }
    }

    /// The connection URL of the URL form.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Url { url, .. } => Some(url),
            _ => None,
        }
    }

    /// The `options` of the object form.
    pub fn options(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Object { options, .. } => Some(options),
            _ => None,
        }
    }

    /// The message for a name that is neither a kind nor a known URL.
    fn unknown(path: &str, name: &str) -> OptionsError {
        let names: Vec<&str> = K::ALL.iter().map(|(_, n)| *n).collect();
        let mut message = format!(
            "unknown {} `{name}` (expected one of {}",
            K::WHAT,
            names.join(", ")
        );
        if !K::URL_PREFIXES.is_empty() {
            let prefixes: Vec<&str> = K::URL_PREFIXES.iter().map(|(p, _)| *p).collect();
            message.push_str(", or a URL starting with ");
            message.push_str(&prefixes.join(", "));
        }
        message.push(')');
        OptionsError::invalid(path, message)
    }
}

impl<K: PluginKind> FromJson for PluginOption<K> {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        match value {
            Value::String(s) => {
                if let Some(kind) = K::from_name(s) {
                    return Ok(Self::Name(kind));
                }
                K::URL_PREFIXES
                    .iter()
                    .find(|(prefix, _)| s.starts_with(prefix))
                    .map(|(_, kind)| Self::Url {
                        kind: *kind,
                        url: s.clone(),
                    })
                    .ok_or_else(|| Self::unknown(path, s))
            }
            Value::Object(map) => {
                let type_path = join(path, "type");
                let kind = match map.get("type") {
                    None | Some(Value::Null) => K::OBJECT_DEFAULT,
                    Some(Value::String(s)) => {
                        K::from_name(s).ok_or_else(|| Self::unknown(&type_path, s))?
                    }
                    Some(other) => return Err(type_error(&type_path, "a string", other)),
                };
                let options = match map.get("options") {
                    None | Some(Value::Null) => Map::new(),
                    Some(value) => Map::from_json(value, &join(path, "options"))?,
                };
                let mut f = Fields::of_map(map, path);
                f.raw("type");
                f.raw("options");
                f.finish()?;
                Ok(Self::Object { kind, options })
            }
            other => Err(type_error(path, "a string or an object", other)),
        }
    }
}

impl<K: PluginKind> Serialize for PluginOption<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Name(kind) => serializer.serialize_str(kind.name()),
            Self::Url { url, .. } => serializer.serialize_str(url),
            Self::Object { kind, options } => {
                let mut map = Map::new();
                map.insert("type".to_owned(), Value::from(kind.name()));
                map.insert("options".to_owned(), Value::Object(options.clone()));
                map.serialize(serializer)
            }
        }
    }
}

impl<'de, K: PluginKind> serde::Deserialize<'de> for PluginOption<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
        Self::from_json(&value, K::WHAT).map_err(serde::de::Error::custom)
    }
}

/// Reads an optional component option where Node treats every falsy value (`null`,
/// `false`, `""`, `0`) as "not configured".
pub(crate) fn optional_plugin<K: PluginKind>(
    value: Option<&Value>,
    path: &str,
) -> Result<Option<PluginOption<K>>, OptionsError> {
    match value {
        Some(value) if js::is_truthy(value) => PluginOption::from_json(value, path).map(Some),
        _ => Ok(None),
    }
}
