//! `$node.options`: the broker options as a Node broker of the cluster's version shows its
//! own (`utils.safetyObject(broker.options)`): Node's keys in the order of its
//! `defaultOptions`, each with this broker's value or Node's default.
//!
//! An option Node's version does not have (one of the other version's, or a Rust-only one
//! such as `transit.protocolVersion`) is shown only when it is set to something other than
//! its default, as Node shows any option it was given.

use serde_json::{Map, Value};

use crate::options::{BrokerOptions, ProtocolVersion};

/// `ServiceBroker.defaultOptions` of moleculer 0.14.35, functions left out as
/// `safetyObject` leaves them out.
const DEFAULTS_V4: &str = r#"{"namespace":"","nodeID":null,"logger":true,"logLevel":null,
"transporter":null,"errorRegenerator":null,"requestTimeout":0,"retryPolicy":{"enabled":false,
"retries":5,"delay":100,"maxDelay":1000,"factor":2},"contextParamsCloning":false,
"maxCallLevel":0,"heartbeatInterval":10,"heartbeatTimeout":30,"tracking":{"enabled":false,
"shutdownTimeout":5000},"disableBalancer":false,"registry":{"strategy":"RoundRobin",
"preferLocal":true,"stopDelay":100},"circuitBreaker":{"enabled":false,"threshold":0.5,
"windowTime":60,"minRequestCount":20,"halfOpenTime":10000},"bulkhead":{"enabled":false,
"concurrency":10,"maxQueueSize":100},"transit":{"maxQueueSize":50000,"maxChunkSize":262144,
"disableReconnect":false,"disableVersionCheck":false},"uidGenerator":null,"errorHandler":null,
"cacher":null,"serializer":null,"validator":true,"metrics":{"enabled":false},
"tracing":{"enabled":false},"internalServices":true,"internalMiddlewares":true,
"dependencyInterval":1000,"dependencyTimeout":0,"hotReload":false,"middlewares":null,
"replCommands":null,"replDelimiter":null,"metadata":{},"skipProcessEventRegistration":false,
"maxSafeObjectSize":null}"#;

/// `ServiceBroker.defaultOptions` of moleculer 0.15.2, likewise.
const DEFAULTS_V5: &str = r#"{"namespace":"","nodeID":null,"logger":true,"logLevel":null,
"transporter":null,"errorRegenerator":null,"requestTimeout":0,"retryPolicy":{"enabled":false,
"retries":5,"delay":100,"maxDelay":1000,"factor":2},"contextParamsCloning":false,
"maxCallLevel":0,"heartbeatInterval":10,"heartbeatTimeout":30,"tracking":{"enabled":false,
"shutdownTimeout":5000},"disableBalancer":false,"registry":{"strategy":"RoundRobin",
"preferLocal":true,"stopDelay":100,"discoverer":"Local"},"circuitBreaker":{"enabled":false,
"threshold":0.5,"windowTime":60,"minRequestCount":20,"halfOpenTime":10000},
"bulkhead":{"enabled":false,"concurrency":10,"maxQueueSize":100},"transit":{
"maxQueueSize":50000,"maxChunkSize":262144,"disableReconnect":false,
"disableVersionCheck":false,"serviceChangedDebounceTime":1000},"uidGenerator":null,
"errorHandler":null,"cacher":null,"serializer":null,"validator":true,
"metrics":{"enabled":false},"tracing":{"enabled":false},"internalServices":true,
"internalMiddlewares":true,"dependencyInterval":1000,"dependencyTimeout":0,"hotReload":false,
"middlewares":null,"replOptions":null,"metadata":{},"skipProcessEventRegistration":false,
"maxSafeObjectSize":null}"#;

fn node_defaults(version: ProtocolVersion) -> Map<String, Value> {
    let text = match version {
        ProtocolVersion::V4 => DEFAULTS_V4,
        ProtocolVersion::V5 => DEFAULTS_V5,
    };
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The options as Node's `$node.options` shows them.
pub(super) fn node_options(options: &BrokerOptions) -> Value {
    let Value::Object(ours) = options.to_safe_json() else {
        return Value::Object(Map::new());
    };
    let defaults = BrokerOptions::default().to_json_map();
    let shaped = shape(
        ours,
        &node_defaults(options.transit.protocol_version),
        &defaults,
    );
    let mut value = Value::Object(shaped);
    if let Some(max) = options.max_safe_object_size {
        truncate(&mut value, max);
    }
    value
}

/// Node's keys in Node's order, with our values (or Node's defaults), then the keys Node
/// lacks whose values are not our defaults. Sections are shaped the same way.
fn shape(
    mut ours: Map<String, Value>,
    node: &Map<String, Value>,
    our_defaults: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, node_default) in node {
        let value = match (ours.remove(key), node_default) {
            (Some(Value::Object(section)), Value::Object(keys)) if !keys.is_empty() => {
                let defaults = match our_defaults.get(key) {
                    Some(Value::Object(d)) => d.clone(),
                    _ => Map::new(),
                };
                Value::Object(shape(section, keys, &defaults))
            }
            (Some(value), _) => value,
            (None, default) => default.clone(),
        };
        out.insert(key.clone(), value);
    }
    for (key, value) in ours {
        if our_defaults.get(&key) != Some(&value) {
            out.insert(key, value);
        }
    }
    out
}

/// `maxSafeObjectSize`: an array longer than `max` becomes `"[Array <length>]"`.
fn truncate(value: &mut Value, max: usize) {
    match value {
        Value::Array(items) if max > 0 && items.len() > max => {
            *value = Value::String(format!("[Array {}]", items.len()));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| truncate(v, max)),
        Value::Object(map) => map.values_mut().for_each(|v| truncate(v, max)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn node_key_order_per_version() {
        let v5 = node_options(&BrokerOptions::default());
        assert_eq!(
            keys(&v5),
            keys(&Value::Object(node_defaults(ProtocolVersion::V5)))
        );
        assert_eq!(
            keys(&v5["transit"]),
            [
                "maxQueueSize",
                "maxChunkSize",
                "disableReconnect",
                "disableVersionCheck",
                "serviceChangedDebounceTime"
            ]
        );
        assert_eq!(v5["logLevel"], "info");
        assert_eq!(v5["logger"], false, "the Rust default");
        let mut options = BrokerOptions::default();
        options.transit.protocol_version = ProtocolVersion::V4;
        let v4 = node_options(&options);
        assert!(v4.get("replCommands").is_some() && v4.get("replOptions").is_none());
        assert!(v4["registry"].get("discoverer").is_none(), "0.14 has none");
        // Set to something else than the default, a Rust-only option is shown, last.
        assert_eq!(keys(&v4["transit"]).last(), Some(&"protocolVersion"));
        assert_eq!(v4["transit"]["protocolVersion"], "4");
    }

    #[test]
    fn long_arrays_are_cut_like_node_cuts_them() {
        let mut value = json!({ "a": [1, 2, 3], "b": { "c": [1] } });
        truncate(&mut value, 2);
        assert_eq!(value, json!({ "a": "[Array 3]", "b": { "c": [1] } }));
    }
}
