//! Every invalid value is an error naming its key path.

use super::super::*;
use super::parse;

/// `(config JSON, expected key, text the message must contain)`.
const CASES: &[(&str, &str, &str)] = &[
    (r#"{"namespace": true}"#, "namespace", "expected a string"),
    (r#"{"nodeID": []}"#, "nodeID", "expected a string"),
    (
        r#"{"logLevel": 5}"#,
        "logLevel",
        "expected a log level name or an object",
    ),
    (
        r#"{"logLevel": "verbose"}"#,
        "logLevel",
        "unknown log level `verbose`",
    ),
    (
        r#"{"logLevel": {"TRANSIT": 3}}"#,
        "logLevel.TRANSIT",
        "a log level name or `false`",
    ),
    (
        r#"{"logLevel": {"**": "loud"}}"#,
        "logLevel.**",
        "unknown log level",
    ),
    (
        r#"{"transporter": "carrier-pigeon"}"#,
        "transporter",
        "unknown transporter `carrier-pigeon`",
    ),
    (
        r#"{"transporter": 5}"#,
        "transporter",
        "expected a string or an object",
    ),
    (
        r#"{"transporter": true}"#,
        "transporter",
        "expected a string or an object",
    ),
    (
        r#"{"transporter": {"type": "Pigeon"}}"#,
        "transporter.type",
        "unknown transporter",
    ),
    (
        r#"{"transporter": {"type": 1}}"#,
        "transporter.type",
        "expected a string",
    ),
    (
        r#"{"transporter": {"options": "x"}}"#,
        "transporter.options",
        "expected an object",
    ),
    (
        r#"{"serializer": "YAML"}"#,
        "serializer",
        "unknown serializer `YAML`",
    ),
    (
        r#"{"requestTimeout": "1s"}"#,
        "requestTimeout",
        "non-negative whole number",
    ),
    (
        r#"{"requestTimeout": -1}"#,
        "requestTimeout",
        "non-negative whole number",
    ),
    (
        r#"{"requestTimeout": 1.5}"#,
        "requestTimeout",
        "non-negative whole number",
    ),
    (r#"{"retryPolicy": 5}"#, "retryPolicy", "expected an object"),
    (
        r#"{"retryPolicy": {"enabled": "yes"}}"#,
        "retryPolicy.enabled",
        "expected a boolean",
    ),
    (
        r#"{"retryPolicy": {"retries": "5"}}"#,
        "retryPolicy.retries",
        "whole number",
    ),
    (
        r#"{"retryPolicy": {"delay": true}}"#,
        "retryPolicy.delay",
        "whole number",
    ),
    (
        r#"{"retryPolicy": {"maxDelay": []}}"#,
        "retryPolicy.maxDelay",
        "whole number",
    ),
    (
        r#"{"retryPolicy": {"factor": "2"}}"#,
        "retryPolicy.factor",
        "expected a number",
    ),
    (
        r#"{"contextParamsCloning": 1}"#,
        "contextParamsCloning",
        "expected a boolean",
    ),
    (
        r#"{"maxCallLevel": 5000000000}"#,
        "maxCallLevel",
        "no larger than 4294967295",
    ),
    (
        r#"{"heartbeatInterval": "10"}"#,
        "heartbeatInterval",
        "expected a number",
    ),
    (
        r#"{"heartbeatTimeout": {}}"#,
        "heartbeatTimeout",
        "expected a number",
    ),
    (r#"{"tracking": true}"#, "tracking", "expected an object"),
    (
        r#"{"tracking": {"enabled": 1}}"#,
        "tracking.enabled",
        "expected a boolean",
    ),
    (
        r#"{"tracking": {"shutdownTimeout": "5s"}}"#,
        "tracking.shutdownTimeout",
        "whole number",
    ),
    (
        r#"{"disableBalancer": "no"}"#,
        "disableBalancer",
        "expected a boolean",
    ),
    (r#"{"registry": []}"#, "registry", "expected an object"),
    (
        r#"{"registry": {"strategy": 5}}"#,
        "registry.strategy",
        "expected a string or an object",
    ),
    (
        r#"{"registry": {"strategy": "Randomm"}}"#,
        "registry.strategy",
        "unknown strategy `Randomm`",
    ),
    (
        r#"{"registry": {"strategy": {"type": "Best"}}}"#,
        "registry.strategy.type",
        "unknown strategy",
    ),
    (
        r#"{"registry": {"strategyOptions": 5}}"#,
        "registry.strategyOptions",
        "expected an object",
    ),
    (
        r#"{"registry": {"preferLocal": "true"}}"#,
        "registry.preferLocal",
        "expected a boolean",
    ),
    (
        r#"{"registry": {"stopDelay": -5}}"#,
        "registry.stopDelay",
        "whole number",
    ),
    (
        r#"{"registry": {"discoverer": "Consul"}}"#,
        "registry.discoverer",
        "unknown discoverer",
    ),
    (
        r#"{"circuitBreaker": {"enabled": null, "threshold": "half"}}"#,
        "circuitBreaker.threshold",
        "expected a number",
    ),
    (
        r#"{"circuitBreaker": {"enabled": "x"}}"#,
        "circuitBreaker.enabled",
        "expected a boolean",
    ),
    (
        r#"{"circuitBreaker": {"windowTime": "60s"}}"#,
        "circuitBreaker.windowTime",
        "expected a number",
    ),
    (
        r#"{"circuitBreaker": {"minRequestCount": 0.5}}"#,
        "circuitBreaker.minRequestCount",
        "whole number",
    ),
    (
        r#"{"circuitBreaker": {"halfOpenTime": false}}"#,
        "circuitBreaker.halfOpenTime",
        "whole number",
    ),
    (
        r#"{"bulkhead": {"enabled": 0}}"#,
        "bulkhead.enabled",
        "expected a boolean",
    ),
    (
        r#"{"bulkhead": {"concurrency": "10"}}"#,
        "bulkhead.concurrency",
        "whole number",
    ),
    (
        r#"{"bulkhead": {"maxQueueSize": -1}}"#,
        "bulkhead.maxQueueSize",
        "whole number",
    ),
    (r#"{"transit": 1}"#, "transit", "expected an object"),
    (
        r#"{"transit": {"maxQueueSize": "1k"}}"#,
        "transit.maxQueueSize",
        "whole number",
    ),
    (
        r#"{"transit": {"maxChunkSize": 1.5}}"#,
        "transit.maxChunkSize",
        "whole number",
    ),
    (
        r#"{"transit": {"disableReconnect": "x"}}"#,
        "transit.disableReconnect",
        "expected a boolean",
    ),
    (
        r#"{"transit": {"disableVersionCheck": 1}}"#,
        "transit.disableVersionCheck",
        "expected a boolean",
    ),
    (
        r#"{"transit": {"serviceChangedDebounceTime": "1s"}}"#,
        "transit.serviceChangedDebounceTime",
        "whole number",
    ),
    (
        r#"{"transit": {"protocolVersion": "6"}}"#,
        "transit.protocolVersion",
        "unknown protocol version `6`",
    ),
    (
        r#"{"transit": {"protocolVersion": true}}"#,
        "transit.protocolVersion",
        "expected \"4\" or \"5\"",
    ),
    (
        r#"{"validator": 1}"#,
        "validator",
        "expected a boolean, \"Fastest\" or an object",
    ),
    (
        r#"{"metrics": 1}"#,
        "metrics",
        "expected a boolean or an object",
    ),
    (
        r#"{"metrics": {"enabled": "yes"}}"#,
        "metrics.enabled",
        "expected a boolean",
    ),
    (
        r#"{"tracing": "on"}"#,
        "tracing",
        "expected a boolean or an object",
    ),
    (
        r#"{"internalServices": "yes"}"#,
        "internalServices",
        "expected a boolean",
    ),
    (
        r#"{"internalMiddlewares": []}"#,
        "internalMiddlewares",
        "expected a boolean",
    ),
    (
        r#"{"dependencyInterval": "1s"}"#,
        "dependencyInterval",
        "whole number",
    ),
    (
        r#"{"dependencyTimeout": -1}"#,
        "dependencyTimeout",
        "whole number",
    ),
    (r#"{"hotReload": 1}"#, "hotReload", "expected a boolean"),
    (r#"{"metadata": []}"#, "metadata", "expected an object"),
    (
        r#"{"skipProcessEventRegistration": "x"}"#,
        "skipProcessEventRegistration",
        "expected a boolean",
    ),
    (
        r#"{"maxSafeObjectSize": "big"}"#,
        "maxSafeObjectSize",
        "whole number",
    ),
];

#[test]
fn every_error_names_its_key() {
    for (json, key, text) in CASES {
        let err = parse(json).expect_err(json);
        assert_eq!(err.key.as_deref(), Some(*key), "{json}: {err}");
        assert!(err.message.contains(text), "{json}: {err}");
        assert!(
            err.to_string().contains(&format!("`{key}`")),
            "{json}: {err}"
        );
    }
}

#[test]
fn serde_errors_carry_the_same_message() {
    let err = serde_json::from_str::<BrokerOptions>(r#"{"registry": {"strategy": "Randomm"}}"#)
        .expect_err("bad strategy");
    assert_eq!(
        err.to_string(),
        "invalid broker option `registry.strategy`: unknown strategy `Randomm` (expected one of RoundRobin, Random, CpuUsage, Latency, Shard)"
    );
    let err =
        toml::from_str::<BrokerOptions>("[bulkhead]\nconcurrency = \"x\"\n").expect_err("toml");
    assert!(err.to_string().contains("`bulkhead.concurrency`"), "{err}");
}

#[test]
fn messages_describe_the_found_value() {
    let err = parse(r#"{"registry": {"preferLocal": "yes"}}"#).expect_err("string");
    assert_eq!(
        err.message,
        "expected a boolean, found the string `\"yes\"`"
    );
    let err = parse(r#"{"transit": {"maxQueueSize": -3}}"#).expect_err("negative");
    assert!(err.message.ends_with("found `-3`"), "{err}");
    let err = parse(r#"{"transporter": "foo"}"#).expect_err("unknown transporter");
    assert!(
        err.message.contains("or a URL starting with nats://"),
        "{err}"
    );
}

#[test]
fn numbers_are_accepted_where_node_coerces_them() {
    let o = parse(r#"{"nodeID": 42, "namespace": 7, "transit": {"protocolVersion": 4}}"#)
        .expect("coerced");
    assert_eq!(o.node_id.as_deref(), Some("42"));
    assert_eq!(o.namespace, "7");
    assert_eq!(o.transit.protocol_version, ProtocolVersion::V4);
    // As `${x}` prints them: a TOML `4.0` is "4".
    let o = parse(r#"{"nodeID": 4.0, "namespace": 1e21}"#).expect("coerced");
    assert_eq!(o.node_id.as_deref(), Some("4"));
    assert_eq!(o.namespace, "1e+21");
}
