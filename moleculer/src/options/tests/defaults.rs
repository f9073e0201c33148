//! Defaults: the source table of reference §4.1, and their JSON form.

use serde_json::{Map, Value, json};

use super::super::*;
use super::parse;

#[test]
fn empty_object_deserializes_to_default() {
    let from_serde: BrokerOptions = serde_json::from_str("{}").expect("parse {}");
    assert_eq!(from_serde, BrokerOptions::default());
    let from_toml: BrokerOptions = toml::from_str("").expect("parse empty TOML");
    assert_eq!(from_toml, BrokerOptions::default());
}

#[test]
fn defaults_match_the_source() {
    let o = BrokerOptions::default();
    assert_eq!(o.namespace, "");
    assert_eq!(o.node_id, None);
    assert_eq!(o.log_level, LogLevelOption::Global(LogLevel::Info));
    assert_eq!(o.transporter, None);
    assert_eq!(o.serializer, None);
    assert_eq!(o.request_timeout, 0);
    assert_eq!(
        o.retry_policy,
        RetryPolicyOptions {
            enabled: false,
            retries: 5,
            delay: 100,
            max_delay: 1000,
            factor: 2.0
        }
    );
    assert!(!o.context_params_cloning);
    assert_eq!(o.max_call_level, 0);
    assert_eq!(o.heartbeat_interval, 10.0);
    assert_eq!(o.heartbeat_timeout, 30.0);
    assert_eq!(
        o.tracking,
        TrackingOptions {
            enabled: false,
            shutdown_timeout: 5000
        }
    );
    assert!(!o.disable_balancer);
    assert_eq!(
        o.registry.strategy,
        PluginOption::Name(StrategyKind::RoundRobin)
    );
    assert!(o.registry.strategy_options.is_empty());
    assert!(o.registry.prefer_local);
    assert_eq!(o.registry.stop_delay, 100);
    assert_eq!(
        o.registry.discoverer,
        PluginOption::Name(DiscovererKind::Local)
    );
    assert_eq!(
        o.circuit_breaker,
        CircuitBreakerOptions {
            enabled: false,
            threshold: 0.5,
            window_time: 60.0,
            min_request_count: 20,
            half_open_time: 10_000
        }
    );
    assert_eq!(
        o.bulkhead,
        BulkheadOptions {
            enabled: false,
            concurrency: 10,
            max_queue_size: 100
        }
    );
    assert_eq!(o.transit.max_queue_size, 50_000);
    assert_eq!(o.transit.max_chunk_size, 262_144);
    assert!(!o.transit.disable_reconnect);
    assert!(!o.transit.disable_version_check);
    assert_eq!(o.transit.service_changed_debounce_time, 1000);
    assert_eq!(o.transit.protocol_version, ProtocolVersion::V5);
    assert_eq!(o.cacher, None);
    assert!(o.validator);
    assert!(!o.metrics.enabled && o.metrics.options.is_empty());
    assert!(!o.tracing.enabled && o.tracing.options.is_empty());
    assert!(o.internal_services);
    assert!(o.internal_middlewares);
    assert_eq!(o.dependency_interval, 1000);
    assert_eq!(o.dependency_timeout, 0);
    assert!(!o.hot_reload);
    assert!(o.metadata.is_empty());
    assert!(!o.skip_process_event_registration);
    assert_eq!(o.max_safe_object_size, None);
    assert_eq!(o.logger, LoggerOption::Off);
}

#[test]
fn default_json_form_uses_node_names() {
    let json = Value::Object(BrokerOptions::default().to_json_map());
    let expected = json!({
        "namespace": "",
        "nodeID": null,
        "logger": false,
        "logLevel": "info",
        "transporter": null,
        "serializer": null,
        "requestTimeout": 0,
        "retryPolicy": {"enabled": false, "retries": 5, "delay": 100, "maxDelay": 1000, "factor": 2.0},
        "contextParamsCloning": false,
        "maxCallLevel": 0,
        "heartbeatInterval": 10.0,
        "heartbeatTimeout": 30.0,
        "tracking": {"enabled": false, "shutdownTimeout": 5000},
        "disableBalancer": false,
        "registry": {"strategy": "RoundRobin", "preferLocal": true, "stopDelay": 100, "discoverer": "Local"},
        "circuitBreaker": {"enabled": false, "threshold": 0.5, "windowTime": 60.0, "minRequestCount": 20, "halfOpenTime": 10000},
        "bulkhead": {"enabled": false, "concurrency": 10, "maxQueueSize": 100},
        "transit": {
            "maxQueueSize": 50000, "maxChunkSize": 262144, "disableReconnect": false,
            "disableVersionCheck": false, "serviceChangedDebounceTime": 1000, "protocolVersion": "5"
        },
        "cacher": null,
        "validator": true,
        "metrics": {"enabled": false},
        "tracing": {"enabled": false},
        "internalServices": true,
        "internalMiddlewares": true,
        "dependencyInterval": 1000,
        "dependencyTimeout": 0,
        "hotReload": false,
        "metadata": {},
        "skipProcessEventRegistration": false,
        "maxSafeObjectSize": null
    });
    assert_eq!(json, expected);
}

#[test]
fn json_form_round_trips() {
    let default = BrokerOptions::default();
    let back =
        BrokerOptions::from_json_value(&Value::Object(default.to_json_map())).expect("round trip");
    assert_eq!(back, default);
}

#[test]
fn null_means_default() {
    let o = parse(
        r#"{"namespace": null, "nodeID": null, "logLevel": null, "transporter": null,
            "requestTimeout": null, "registry": null, "transit": {"maxQueueSize": null},
            "metrics": null, "cacher": null, "metadata": null}"#,
    )
    .expect("nulls");
    assert_eq!(o, BrokerOptions::default());
}

#[test]
fn falsy_component_options_mean_none() {
    let o = parse(r#"{"transporter": "", "serializer": false, "cacher": false}"#).expect("falsy");
    assert_eq!(o.transporter, None);
    assert_eq!(o.serializer, None);
    assert_eq!(o.cacher, None);
    let o = parse(r#"{"transporter": 0, "serializer": null}"#).expect("falsy");
    assert_eq!(o.transporter, None);
    assert_eq!(o.serializer, None);
}

#[test]
fn default_node_id_is_lowercase_host_and_pid() {
    let id = default_node_id();
    let suffix = format!("-{}", std::process::id());
    assert!(id.ends_with(&suffix), "{id}");
    assert!(id.len() > suffix.len(), "{id}");
    assert_eq!(id, id.to_lowercase());
}

#[test]
fn safe_json_shows_the_resolved_node_id() {
    let mut o = BrokerOptions::default();
    let safe = o.to_safe_json();
    assert_eq!(safe["nodeID"], json!(default_node_id()));
    assert_eq!(safe["registry"]["strategy"], json!("RoundRobin"));

    o.node_id = Some("node-1".to_owned());
    o.logger = LoggerOption::Console {
        colors: false,
        level: None,
    };
    let safe = o.to_safe_json();
    assert_eq!(safe["nodeID"], json!("node-1"));
    assert_eq!(
        safe["logger"],
        json!({"type": "Console", "options": {"colors": false}})
    );

    o.node_id = Some(String::new());
    assert_eq!(o.resolved_node_id(), default_node_id());
}

#[test]
fn feature_options_keep_their_raw_keys() {
    let o = parse(
        r#"{"metrics": true, "tracing": {"enabled": true, "exporter": "Console", "sampling": {"rate": 0.5}}}"#,
    )
    .expect("features");
    assert!(o.metrics.enabled);
    assert!(o.tracing.enabled);
    assert_eq!(o.tracing.options["exporter"], json!("Console"));
    let safe = o.to_safe_json();
    assert_eq!(safe["metrics"], json!({"enabled": true}));
    assert_eq!(
        safe["tracing"],
        json!({"enabled": true, "exporter": "Console", "sampling": {"rate": 0.5}})
    );
    // An object without `enabled` is off, as after Node's `defaultsDeep` with `{enabled:false}`.
    let o = parse(r#"{"metrics": {"reporter": "Console"}}"#).expect("metrics object");
    assert!(!o.metrics.enabled);
    let mut expected = Map::new();
    expected.insert("reporter".to_owned(), json!("Console"));
    assert_eq!(o.metrics.options, expected);
}

#[test]
fn safe_json_truncates_arrays_past_max_safe_object_size() {
    let mut o = BrokerOptions::default();
    o.metadata
        .insert("zones".to_owned(), json!(["a", "b", "c"]));
    o.metadata.insert("pair".to_owned(), json!(["a", "b"]));
    assert_eq!(
        o.to_safe_json()["metadata"]["zones"],
        json!(["a", "b", "c"])
    );
    o.max_safe_object_size = Some(2);
    let safe = o.to_safe_json();
    assert_eq!(safe["metadata"]["zones"], json!("[Array 3]"));
    assert_eq!(safe["metadata"]["pair"], json!(["a", "b"]));
}
