//! Loading `.json` and `.toml` files, and `load`'s discovery.

use serde_json::{Value, json};

use super::super::load::load_from;
use super::super::*;
use super::{parse, temp_dir, temp_file, vars};

/// A config as a Node project would write it, every section away from its default.
const NODE_CONFIG: &str = r##"{
    "namespace": "dev",
    "nodeID": "node-1",
    "logger": {"type": "Console", "options": {"colors": false}},
    "logLevel": {"TRANSIT": "debug", "GREETER": false, "**": "warn"},
    "transporter": "nats://127.0.0.1:4222",
    "serializer": {"type": "msgpack", "options": {}},
    "requestTimeout": 5000,
    "retryPolicy": {"enabled": true, "retries": 3, "delay": 200, "maxDelay": 3000, "factor": 3},
    "contextParamsCloning": true,
    "maxCallLevel": 100,
    "heartbeatInterval": 5,
    "heartbeatTimeout": 15.5,
    "tracking": {"enabled": true, "shutdownTimeout": 10000},
    "disableBalancer": true,
    "registry": {
        "strategy": "Shard",
        "strategyOptions": {"shardKey": "#userID", "vnodes": 10},
        "preferLocal": false,
        "stopDelay": 0,
        "discoverer": "redis://localhost:6379"
    },
    "circuitBreaker": {"enabled": true, "threshold": 0.3, "windowTime": 30, "minRequestCount": 5, "halfOpenTime": 5000},
    "bulkhead": {"enabled": true, "concurrency": 3, "maxQueueSize": 10},
    "transit": {
        "maxQueueSize": 1000, "maxChunkSize": 65536, "disableReconnect": true,
        "disableVersionCheck": true, "serviceChangedDebounceTime": 0,
        "protocolVersion": "4"
    },
    "cacher": {"type": "Memory", "options": {"ttl": 30}},
    "validator": false,
    "metrics": {"enabled": true, "reporter": ["Prometheus"]},
    "tracing": false,
    "internalServices": false,
    "internalMiddlewares": false,
    "dependencyInterval": 500,
    "dependencyTimeout": 60000,
    "hotReload": true,
    "middlewares": [],
    "metadata": {"region": "eu-west-1", "zone": 2},
    "skipProcessEventRegistration": true,
    "maxSafeObjectSize": 1024
}"##;

fn assert_node_config(o: &BrokerOptions) {
    assert_eq!(o.namespace, "dev");
    assert_eq!(o.node_id.as_deref(), Some("node-1"));
    assert_eq!(
        o.log_level,
        LogLevelOption::PerModule(vec![
            ("TRANSIT".to_owned(), Some(LogLevel::Debug)),
            ("GREETER".to_owned(), None),
            ("**".to_owned(), Some(LogLevel::Warn)),
        ])
    );
    let transporter = o.transporter.as_ref().expect("transporter");
    assert_eq!(transporter.kind(), TransporterKind::Nats);
    assert_eq!(transporter.url(), Some("nats://127.0.0.1:4222"));
    let serializer = o.serializer.as_ref().expect("serializer");
    assert_eq!(serializer.kind(), SerializerKind::MsgPack);
    assert_eq!(o.request_timeout, 5000);
    assert_eq!(
        o.retry_policy,
        RetryPolicyOptions {
            enabled: true,
            retries: 3,
            delay: 200,
            max_delay: 3000,
            factor: 3.0
        }
    );
    assert!(o.context_params_cloning);
    assert_eq!(o.max_call_level, 100);
    assert_eq!(o.heartbeat_interval, 5.0);
    assert_eq!(o.heartbeat_timeout, 15.5);
    assert_eq!(o.tracking.shutdown_timeout, 10_000);
    assert!(o.tracking.enabled && o.disable_balancer);
    assert_eq!(o.registry.strategy.kind(), StrategyKind::Shard);
    assert_eq!(o.registry.strategy_options["shardKey"], json!("#userID"));
    assert!(!o.registry.prefer_local);
    assert_eq!(o.registry.stop_delay, 0);
    assert_eq!(o.registry.discoverer.kind(), DiscovererKind::Redis);
    assert_eq!(o.registry.discoverer.url(), Some("redis://localhost:6379"));
    assert_eq!(o.circuit_breaker.threshold, 0.3);
    assert_eq!(o.circuit_breaker.window_time, 30.0);
    assert_eq!(o.circuit_breaker.min_request_count, 5);
    assert_eq!(o.circuit_breaker.half_open_time, 5000);
    assert_eq!(o.bulkhead.concurrency, 3);
    assert_eq!(o.bulkhead.max_queue_size, 10);
    assert_eq!(o.transit.max_queue_size, 1000);
    assert_eq!(o.transit.max_chunk_size, 65_536);
    assert!(o.transit.disable_reconnect && o.transit.disable_version_check);
    assert_eq!(o.transit.service_changed_debounce_time, 0);
    assert_eq!(o.transit.protocol_version, ProtocolVersion::V4);
    assert_eq!(
        o.cacher,
        Some(json!({"type": "Memory", "options": {"ttl": 30}}))
    );
    assert!(!o.validator);
    assert!(o.metrics.enabled);
    assert_eq!(o.metrics.options["reporter"], json!(["Prometheus"]));
    assert!(!o.tracing.enabled);
    assert!(!o.internal_services && !o.internal_middlewares);
    assert_eq!(o.dependency_interval, 500);
    assert_eq!(o.dependency_timeout, 60_000);
    assert!(o.hot_reload && o.skip_process_event_registration);
    assert_eq!(o.metadata["zone"], json!(2));
    assert_eq!(o.max_safe_object_size, Some(1024));
    assert_eq!(
        o.logger,
        LoggerOption::Console {
            colors: false,
            level: None
        }
    );
    // It reads, but a broker refuses what is not built yet (the Etcd3 discoverer first; the
    // Memory cacher and the metrics with Prometheus are there).
    let refused = o.check_supported().unwrap_err();
    assert_eq!(refused.key.as_deref(), Some("registry.discoverer"));
}

#[test]
fn reads_a_node_json_config() {
    let path = temp_file("moleculer.config.json", NODE_CONFIG);
    let o = BrokerOptions::from_file(&path).expect("load JSON");
    assert_node_config(&o);
    // What we serialize reads back identically.
    let again =
        BrokerOptions::from_json_value(&Value::Object(o.to_json_map())).expect("round trip");
    assert_eq!(again, o);
}

#[test]
fn reads_a_toml_config() {
    let text = r#"
namespace = "dev"
nodeID = "node-1"
transporter = "nats://127.0.0.1:4222"
requestTimeout = 5000.0
heartbeatInterval = 5
logger = true

[logLevel]
TRANSIT = "debug"
"**" = "warn"

[registry]
strategy = "random"
preferLocal = false

[registry.discoverer]
type = "etcd3"
options = { etcd = { hosts = "localhost:2379" } }

[transit]
protocolVersion = 4

[metadata]
deployed = 2024-01-02T03:04:05Z
tags = ["a", "b"]
"#;
    let path = temp_file("moleculer.config.toml", text);
    let o = BrokerOptions::from_file(&path).expect("load TOML");
    assert_eq!(o.namespace, "dev");
    assert_eq!(o.node_id.as_deref(), Some("node-1"));
    assert_eq!(
        o.transporter.as_ref().map(PluginOption::kind),
        Some(TransporterKind::Nats)
    );
    assert_eq!(o.request_timeout, 5000);
    assert_eq!(o.heartbeat_interval, 5.0);
    assert_eq!(
        o.registry.strategy,
        PluginOption::Name(StrategyKind::Random)
    );
    assert!(!o.registry.prefer_local);
    assert_eq!(o.registry.discoverer.kind(), DiscovererKind::Etcd3);
    assert_eq!(
        o.registry
            .discoverer
            .options()
            .map(|m| m["etcd"]["hosts"].clone()),
        Some(json!("localhost:2379"))
    );
    assert_eq!(o.transit.protocol_version, ProtocolVersion::V4);
    assert_eq!(o.metadata["deployed"], json!("2024-01-02T03:04:05Z"));
    assert_eq!(o.metadata["tags"], json!(["a", "b"]));
    assert_eq!(
        o.logger,
        LoggerOption::Console {
            colors: true,
            level: None
        }
    );
    match &o.log_level {
        LogLevelOption::PerModule(levels) => {
            assert!(levels.contains(&("TRANSIT".to_owned(), Some(LogLevel::Debug))));
            assert!(levels.contains(&("**".to_owned(), Some(LogLevel::Warn))));
        }
        other => panic!("expected per-module levels, got {other:?}"),
    }
}

#[test]
fn file_errors_name_the_file_and_key() {
    let path = temp_file("bad.json", r#"{"registry": {"preferLocal": "yes"}}"#);
    let err = BrokerOptions::from_file(&path).expect_err("bad value");
    assert_eq!(err.key.as_deref(), Some("registry.preferLocal"));
    assert_eq!(
        err.source_name.as_deref(),
        Some(path.display().to_string().as_str())
    );
    assert!(err.to_string().contains("(from file "), "{err}");

    let path = temp_file("bad.toml", "[transit]\nmaxQueueSize = \"big\"\n");
    let err = BrokerOptions::from_file(&path).expect_err("bad TOML value");
    assert_eq!(err.key.as_deref(), Some("transit.maxQueueSize"));

    let path = temp_file("broken.json", "{\"namespace\": ");
    let err = BrokerOptions::from_file(&path).expect_err("broken JSON");
    assert_eq!(err.key, None);
    assert!(err.message.starts_with("invalid JSON"), "{err}");

    let path = temp_file("broken.toml", "namespace = \n");
    let err = BrokerOptions::from_file(&path).expect_err("broken TOML");
    assert!(err.message.starts_with("invalid TOML"), "{err}");

    let path = temp_file("list.json", "[1, 2]");
    let err = BrokerOptions::from_file(&path).expect_err("not an object");
    assert!(err.message.contains("must be an object"), "{err}");
}

#[test]
fn unknown_extensions_and_missing_files_are_errors() {
    let err =
        BrokerOptions::from_file(temp_file("moleculer.config.yaml", "a: 1")).expect_err("yaml");
    assert!(err.message.contains("`.yaml`"), "{err}");
    let err = BrokerOptions::from_file(temp_file("moleculer.config.js", "module.exports = {}"))
        .expect_err("js");
    assert!(err.message.contains("JavaScript"), "{err}");
    let err = BrokerOptions::from_file(temp_file("config", "{}")).expect_err("no extension");
    assert!(err.message.contains("no extension"), "{err}");
    let missing = temp_dir("missing").join("nope.json");
    let err = BrokerOptions::from_file(&missing).expect_err("missing");
    assert!(err.message.contains("cannot read"), "{err}");
}

#[test]
fn numbers_may_be_written_as_floats_or_ints() {
    let o = parse(
        r#"{"requestTimeout": 2500.0, "heartbeatInterval": 5, "maxCallLevel": 1e2,
            "bulkhead": {"concurrency": 4.0}, "retryPolicy": {"factor": 1}}"#,
    )
    .expect("numbers");
    assert_eq!(o.request_timeout, 2500);
    assert_eq!(o.heartbeat_interval, 5.0);
    assert_eq!(o.max_call_level, 100);
    assert_eq!(o.bulkhead.concurrency, 4);
    assert_eq!(o.retry_policy.factor, 1.0);
}

#[test]
fn unknown_keys_are_errors_with_a_suggestion() {
    let cases = [
        (
            r#"{"requestTimout": 5}"#,
            "requestTimout",
            Some("requestTimeout"),
        ),
        (
            r#"{"registry": {"prefrLocal": false}}"#,
            "registry.prefrLocal",
            Some("registry.preferLocal"),
        ),
        (
            r#"{"transit": {"packetLogFilter": []}}"#,
            "transit.packetLogFilter",
            None,
        ),
        (
            r#"{"bulkhead": {"concurency": 2}}"#,
            "bulkhead.concurency",
            Some("bulkhead.concurrency"),
        ),
        (
            r#"{"tracking": {"shutdownTimout": 2}}"#,
            "tracking.shutdownTimout",
            Some("tracking.shutdownTimeout"),
        ),
        (
            r#"{"retryPolicy": {"retires": 2}}"#,
            "retryPolicy.retires",
            Some("retryPolicy.retries"),
        ),
        (
            r#"{"circuitBreaker": {"treshold": 0.1}}"#,
            "circuitBreaker.treshold",
            Some("circuitBreaker.threshold"),
        ),
        (
            r#"{"transporter": {"type": "TCP", "option": {}}}"#,
            "transporter.option",
            Some("transporter.options"),
        ),
        (
            r#"{"registry": {"discoverer": {"type": "Local", "options": {"heartbeatIntervall": 3}}}}"#,
            "registry.discoverer.options.heartbeatIntervall",
            Some("registry.discoverer.options.heartbeatInterval"),
        ),
        (
            r#"{"logger": {"type": "Console", "options": {"color": false}}}"#,
            "logger.options.color",
            Some("logger.options.colors"),
        ),
        (r#"{"somethingElse": 1}"#, "somethingElse", None),
    ];
    for (json, key, suggestion) in cases {
        let err = parse(json).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{json}: {err}");
        assert!(err.message.starts_with("unknown option"), "{err}");
        match suggestion {
            Some(near) => assert!(
                err.message.contains(&format!("did you mean `{near}`?")),
                "{err}"
            ),
            None => assert!(!err.message.contains("did you mean"), "{err}"),
        }
    }
    let err = parse(r#"{"requestTimout": 5}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid broker option `requestTimout`: unknown option; did you mean `requestTimeout`?"
    );
}

#[test]
fn javascript_only_keys_are_refused_unless_empty() {
    let o = parse(
        r#"{"logger": false, "errorHandler": null, "middlewares": [], "replOptions": null,
            "created": null, "uidGenerator": null}"#,
    )
    .expect("empty JavaScript-only keys");
    assert_eq!(o, BrokerOptions::default());
    for (key, hint) in [
        ("middlewares", "BrokerBuilder::middleware"),
        ("errorHandler", "BrokerBuilder::error_handler"),
        ("errorRegenerator", "rebuilt"),
        ("uidGenerator", "context IDs"),
        ("created", "`created` hook"),
        ("started", "`started` hook"),
        ("stopped", "`stopped` hook"),
        ("ServiceFactory", "#[service]"),
        ("ContextFactory", "Context"),
        ("Promise", "futures"),
        ("replOptions", "no REPL"),
        ("replCommands", "no REPL"),
        ("replDelimiter", "no REPL"),
    ] {
        let err = parse(&format!(r#"{{"{key}": ["x"]}}"#)).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key));
        assert!(err.message.contains(hint), "{key}: {err}");
    }
    for (json, key) in [
        (r#"{"retryPolicy": {"check": "fn"}}"#, "retryPolicy.check"),
        (
            r#"{"circuitBreaker": {"check": "fn"}}"#,
            "circuitBreaker.check",
        ),
        (r#"{"internalServices": {"$node": {}}}"#, "internalServices"),
        (r#"{"logger": "Pino"}"#, "logger"),
        (r#"{"logger": {"type": "Winston"}}"#, "logger.type"),
        (
            r#"{"logger": {"options": {"objectPrinter": "inspect"}}}"#,
            "logger.options.objectPrinter",
        ),
        (
            r#"{"logger": {"options": {"level": "loud"}}}"#,
            "logger.options.level",
        ),
        (r#"{"validator": "Joi"}"#, "validator"),
        (
            r#"{"validator": {"type": "Fastest", "options": {"haltOnFirstError": true}}}"#,
            "validator.options",
        ),
    ] {
        let err = parse(json).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{json}: {err}");
    }
}

#[test]
fn the_console_loggers_own_level_is_kept() {
    let o =
        parse(r#"{"logger": {"type": "Console", "options": {"level": "warn", "colors": false}}}"#)
            .expect("valid");
    let LoggerOption::Console { colors, level } = o.logger else {
        panic!("not the console logger: {:?}", o.logger);
    };
    assert!(!colors);
    assert_eq!(
        level.map(|l| serde_json::to_value(l).unwrap()),
        Some(serde_json::json!("warn"))
    );
}

#[test]
fn the_validator_takes_node_forms() {
    for (json, on) in [
        (r#"{"validator": false}"#, false),
        (r#"{"validator": "Fastest"}"#, true),
        (r#"{"validator": {"type": "fastest"}}"#, true),
        (r#"{"validator": null}"#, true),
    ] {
        assert_eq!(parse(json).expect(json).validator, on, "{json}");
    }
}

#[test]
fn unsupported_features_are_refused_only_when_asked_for() {
    let off = parse(
        r#"{"cacher": false, "metrics": false, "tracing": {"enabled": false, "exporter": "Console"},
            "hotReload": false, "serializer": "JSON", "registry": {"discoverer": "Local"},
            "transit": {"maxChunkSize": 262144}}"#,
    )
    .expect("features off");
    off.check_supported().expect("nothing asked for");
    for (json, key, why) in [
        (
            r#"{"cacher": {"type": "Redis", "options": {"serializer": "Thrift"}}}"#,
            "cacher.options.serializer",
            "schemaless",
        ),
        (r#"{"cacher": "Fancy"}"#, "cacher", "unknown cacher"),
        (
            r#"{"metrics": {"enabled": true, "reporter": "Graphite"}}"#,
            "metrics.reporter",
            "a known reporter",
        ),
        (
            r#"{"tracing": {"enabled": true, "exporter": "Jaeger"}}"#,
            "tracing.exporter",
            "later one",
        ),
        (r#"{"serializer": "Avro"}"#, "serializer", "Avro"),
        (
            r#"{"registry": {"discoverer": "redis://r:6379"}}"#,
            "registry.discoverer",
            "Redis",
        ),
        (
            r#"{"transit": {"maxChunkSize": 1024}}"#,
            "transit.maxChunkSize",
            "streams",
        ),
        (r#"{"hotReload": true}"#, "hotReload", "no code reload"),
    ] {
        let err = parse(json).expect(json).check_supported().unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{json}");
        assert!(err.message.contains(why), "{json}: {err}");
    }
}

#[test]
fn merge_file_replaces_only_the_keys_the_file_sets() {
    let path = temp_file(
        "moleculer.config.json",
        r#"{"namespace": "from-file", "registry": {"preferLocal": false},
            "transporter": {"type": "TCP", "options": {"port": 4000}}}"#,
    );
    let mut base = BrokerOptions {
        node_id: Some("kept".to_owned()),
        namespace: "replaced".to_owned(),
        transporter: Some(PluginOption::Url {
            kind: TransporterKind::Nats,
            url: "nats://n:4222".to_owned(),
        }),
        ..Default::default()
    };
    base.registry.stop_delay = 7;
    let o = base.merge_file(&path).expect("merge");
    assert_eq!(o.node_id.as_deref(), Some("kept"));
    assert_eq!(o.namespace, "from-file");
    assert!(!o.registry.prefer_local);
    assert_eq!(o.registry.stop_delay, 7, "sections merge key by key");
    let transporter = o.transporter.expect("transporter");
    assert_eq!(transporter.kind(), TransporterKind::Tcp);
    assert_eq!(
        transporter.options().map(|m| m.len()),
        Some(1),
        "replaced whole"
    );
}

#[test]
fn component_names_are_case_insensitive() {
    for (name, kind) in [
        ("RoundRobin", StrategyKind::RoundRobin),
        ("roundrobin", StrategyKind::RoundRobin),
        ("random", StrategyKind::Random),
        ("RANDOM", StrategyKind::Random),
        ("cpuUsage", StrategyKind::CpuUsage),
        ("latency", StrategyKind::Latency),
        ("sHaRd", StrategyKind::Shard),
    ] {
        let o = parse(&format!(r#"{{"registry": {{"strategy": "{name}"}}}}"#)).expect(name);
        assert_eq!(o.registry.strategy, PluginOption::Name(kind), "{name}");
        let o = parse(&format!(
            r#"{{"registry": {{"strategy": {{"type": "{name}"}}}}}}"#
        ))
        .expect(name);
        assert_eq!(o.registry.strategy.kind(), kind, "{name}");
    }
    let o = parse(r#"{"transporter": "tcp", "serializer": "cbor"}"#).expect("lowercase");
    assert_eq!(
        o.transporter,
        Some(PluginOption::Name(TransporterKind::Tcp))
    );
    assert_eq!(o.serializer, Some(PluginOption::Name(SerializerKind::Cbor)));
    // Serialized back under Node's canonical spelling.
    assert_eq!(o.to_safe_json()["transporter"], json!("TCP"));
}

#[test]
fn component_object_forms_use_node_fallbacks() {
    let o = parse(
        r#"{"transporter": {"options": {"url": "nats://a:4222"}},
            "serializer": {}, "registry": {"strategy": {"options": {"sampleCount": 3}}}}"#,
    )
    .expect("object forms");
    let transporter = o.transporter.expect("transporter");
    assert_eq!(transporter.kind(), TransporterKind::Nats);
    assert_eq!(
        transporter.options().map(|m| m["url"].clone()),
        Some(json!("nats://a:4222"))
    );
    assert_eq!(o.serializer.map(|s| s.kind()), Some(SerializerKind::Json));
    assert_eq!(o.registry.strategy.kind(), StrategyKind::RoundRobin);

    for (url, kind) in [
        ("tcp://0.0.0.0:6000", TransporterKind::Tcp),
        ("redis://h", TransporterKind::Redis),
        ("rediss://h", TransporterKind::Redis),
        ("mqtts://h", TransporterKind::Mqtt),
        ("amqp://h", TransporterKind::Amqp),
        ("amqp10://h", TransporterKind::Amqp10),
        ("kafka://h:9092", TransporterKind::Kafka),
        ("Fake", TransporterKind::Fake),
    ] {
        let o = parse(&format!(r#"{{"transporter": "{url}"}}"#)).expect(url);
        assert_eq!(o.transporter.map(|t| t.kind()), Some(kind), "{url}");
    }
}

#[test]
fn load_discovers_conventional_files() {
    // Nothing there: defaults plus the environment.
    let dir = temp_dir("load-empty");
    let o = load_from(&dir, vars(&[("NAMESPACE", "env")])).expect("defaults");
    assert_eq!(o.namespace, "env");

    // JSON only.
    std::fs::write(
        dir.join("moleculer.config.json"),
        r#"{"namespace": "json", "nodeID": "j"}"#,
    )
    .expect("write");
    let o = load_from(&dir, Vec::new()).expect("json");
    assert_eq!(o.namespace, "json");

    // TOML wins over JSON; the environment wins over the file.
    std::fs::write(dir.join("moleculer.config.toml"), "namespace = \"toml\"\n").expect("write");
    let o = load_from(&dir, Vec::new()).expect("toml");
    assert_eq!(o.namespace, "toml");
    let o = load_from(&dir, vars(&[("NAMESPACE", "env")])).expect("env over toml");
    assert_eq!(o.namespace, "env");

    // MOLECULER_CONFIG names a file relative to the directory, and wins over the rest.
    std::fs::create_dir_all(dir.join("conf")).expect("mkdir");
    std::fs::write(dir.join("conf/prod.json"), r#"{"namespace": "prod"}"#).expect("write");
    let o = load_from(&dir, vars(&[("MOLECULER_CONFIG", "conf/prod.json")])).expect("explicit");
    assert_eq!(o.namespace, "prod");
    let absolute = dir.join("conf/prod.json").display().to_string();
    let o = load_from(&dir, vars(&[("MOLECULER_CONFIG", absolute.as_str())])).expect("absolute");
    assert_eq!(o.namespace, "prod");

    let err =
        load_from(&dir, vars(&[("MOLECULER_CONFIG", "conf/missing.json")])).expect_err("missing");
    assert_eq!(err.source_name.as_deref(), Some("MOLECULER_CONFIG"));
    assert!(
        err.to_string()
            .contains("config file not found: conf/missing.json"),
        "{err}"
    );
}
