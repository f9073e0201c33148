//! Environment overrides (moleculer-runner's `overwriteFromEnv`).

use serde_json::{Value, json};

use super::super::env::normalize;
use super::super::*;
use super::{parse, vars};

fn overlay(pairs: &[(&str, &str)]) -> Result<BrokerOptions, OptionsError> {
    BrokerOptions::default().from_env_overlay(vars(pairs))
}

#[test]
fn plain_names_override_options() {
    let o = overlay(&[
        ("NODEID", "node-7"),
        ("NAMESPACE", "staging"),
        ("TRANSPORTER", "nats://nats:4222"),
        ("SERIALIZER", "MsgPack"),
        ("LOGLEVEL", "debug"),
        ("REQUESTTIMEOUT", "5000"),
        ("HEARTBEATINTERVAL", "2.5"),
        ("CIRCUITBREAKER_ENABLED", "true"),
        ("REGISTRY_PREFERLOCAL", "false"),
        ("REGISTRY_STRATEGY", "latency"),
        ("TRANSIT_MAXQUEUESIZE", "10"),
        ("TRANSIT_PROTOCOLVERSION", "4"),
        ("METRICS", "true"),
        ("LOGGER", "true"),
        ("CACHER", "redis://cache:6379"),
        ("UNRELATED", "x"),
    ])
    .expect("overlay");
    assert_eq!(o.node_id.as_deref(), Some("node-7"));
    assert_eq!(o.cacher, Some(serde_json::json!("redis://cache:6379")));
    assert_eq!(o.namespace, "staging");
    assert_eq!(
        o.transporter.as_ref().and_then(|t| t.url()),
        Some("nats://nats:4222")
    );
    assert_eq!(
        o.serializer.as_ref().map(PluginOption::kind),
        Some(SerializerKind::MsgPack)
    );
    assert_eq!(o.log_level, LogLevelOption::Global(LogLevel::Debug));
    assert_eq!(o.request_timeout, 5000);
    assert_eq!(o.heartbeat_interval, 2.5);
    assert!(o.circuit_breaker.enabled);
    assert!(!o.registry.prefer_local);
    assert_eq!(
        o.registry.strategy,
        PluginOption::Name(StrategyKind::Latency)
    );
    assert_eq!(o.transit.max_queue_size, 10);
    assert_eq!(o.transit.protocol_version, ProtocolVersion::V4);
    assert!(o.metrics.enabled);
    assert_eq!(
        o.logger,
        LoggerOption::Console {
            colors: true,
            level: None
        }
    );
}

#[test]
fn plain_names_reach_keys_from_the_file() {
    let base = parse(
        r#"{"metadata": {"region": "eu"}, "transporter": {"type": "NATS", "options": {"url": "nats://a"}}}"#,
    )
    .expect("base");
    let o = base
        .from_env_overlay(vars(&[
            ("METADATA_REGION", "us"),
            ("TRANSPORTER_OPTIONS_URL", "nats://b"),
        ]))
        .expect("overlay");
    assert_eq!(o.metadata["region"], json!("us"));
    let options = o.transporter.as_ref().and_then(PluginOption::options);
    assert_eq!(options.map(|m| m["url"].clone()), Some(json!("nats://b")));
}

#[test]
fn mol_variables_set_nested_keys() {
    let o = overlay(&[
        ("MOL_REGISTRY__STRATEGY", "Random"),
        ("MOL_REGISTRY__PREFER_LOCAL", "false"),
        ("MOL_REGISTRY__STRATEGY_OPTIONS__SAMPLE_COUNT", "3"),
        ("MOL_TRANSIT__MAX_QUEUE_SIZE", "1000"),
        ("MOL_TRANSIT__DISABLE_VERSION_CHECK", "TRUE"),
        ("MOL_CIRCUIT_BREAKER__THRESHOLD", "0.25"),
        ("MOL_METADATA__REGION", "eu-west"),
        ("MOL_TRACING__ENABLED", "true"),
        ("MOL_TRACING__EXPORTER__TYPE", "Console"),
        ("MOL_TRANSPORTER__TYPE", "TCP"),
        ("MOL_TRANSPORTER__OPTIONS__UDP_DISCOVERY", "false"),
        ("MOL_CACHER__OPTIONS__TTL", "30"),
    ])
    .expect("overlay");
    assert_eq!(
        o.registry.strategy,
        PluginOption::Name(StrategyKind::Random)
    );
    assert!(!o.registry.prefer_local);
    assert_eq!(o.registry.strategy_options["sampleCount"], json!(3));
    assert_eq!(o.transit.max_queue_size, 1000);
    assert!(o.transit.disable_version_check);
    assert_eq!(o.circuit_breaker.threshold, 0.25);
    assert_eq!(o.metadata["region"], json!("eu-west"));
    assert!(o.tracing.enabled);
    assert_eq!(o.tracing.options["exporter"], json!({"type": "Console"}));
    let transporter = o.transporter.expect("transporter");
    assert_eq!(transporter.kind(), TransporterKind::Tcp);
    assert_eq!(
        transporter.options().map(|m| m["udpDiscovery"].clone()),
        Some(json!(false))
    );
    assert_eq!(o.cacher, Some(json!({"options": {"ttl": 30}})));
}

#[test]
fn mol_levels_match_existing_keys_case_insensitively() {
    let o = overlay(&[
        ("MOL_NODE_ID", "n-1"),
        ("MOL_REQUESTTIMEOUT", "100"),
        ("MOL_NAMESPACE", "ns"),
    ])
    .expect("overlay");
    assert_eq!(o.node_id.as_deref(), Some("n-1"));
    assert_eq!(o.request_timeout, 100);
    assert_eq!(o.namespace, "ns");
}

#[test]
fn mol_variables_apply_after_plain_names() {
    let o = overlay(&[("REQUESTTIMEOUT", "1"), ("MOL_REQUEST_TIMEOUT", "2")]).expect("overlay");
    assert_eq!(o.request_timeout, 2);
}

#[test]
fn empty_variables_are_ignored() {
    let o = overlay(&[
        ("NAMESPACE", ""),
        ("MOL_REQUEST_TIMEOUT", ""),
        ("TRANSPORTER", ""),
    ])
    .expect("empty");
    assert_eq!(o, BrokerOptions::default());
}

#[test]
fn no_variables_change_nothing() {
    let base =
        parse(r#"{"nodeID": "a", "logger": true, "registry": {"strategy": {"type": "Shard"}}}"#)
            .expect("base");
    assert_eq!(
        base.clone().from_env_overlay(Vec::new()).expect("none"),
        base
    );
    // A variable elsewhere round-trips the rest unchanged.
    let o = base
        .clone()
        .from_env_overlay(vars(&[("HOTRELOAD", "true")]))
        .expect("one");
    assert!(o.hot_reload);
    assert_eq!(
        BrokerOptions {
            hot_reload: false,
            ..o
        },
        base
    );
}

#[test]
fn node_id_and_namespace_stay_text() {
    let o = overlay(&[("NODEID", "1e3"), ("NAMESPACE", "0x10")]).expect("text");
    assert_eq!(o.node_id.as_deref(), Some("1e3"));
    assert_eq!(o.namespace, "0x10");
}

#[test]
fn values_are_parsed_like_the_runner() {
    let cases: &[(&str, Value)] = &[
        ("true", json!(true)),
        ("false", json!(false)),
        ("TRUE", json!(true)),
        ("False", json!(false)),
        ("42", json!(42)),
        ("-3", json!(-3)),
        ("+7", json!(7)),
        (" 8 ", json!(8)),
        // `Number()`'s whitespace: blank is 0, a byte order mark is space, U+0085 is not.
        (" \t ", json!(0)),
        ("\u{feff}9", json!(9)),
        ("\u{85}9", json!("\u{85}9")),
        ("007", json!(7)),
        ("1.5", json!(1.5)),
        (".5", json!(0.5)),
        ("1e3", json!(1000)),
        ("2.5E-1", json!(0.25)),
        ("0x1F", json!(31)),
        ("0o17", json!(15)),
        ("0b101", json!(5)),
        ("0x", json!("0x")),
        ("-0x10", json!("-0x10")),
        ("1e", json!("1e")),
        ("1_000", json!("1_000")),
        ("Infinity", json!("Infinity")),
        ("NaN", json!("NaN")),
        ("nats://a:4222", json!("nats://a:4222")),
        ("{\"a\":1}", json!("{\"a\":1}")),
        ("[1,2]", json!("[1,2]")),
        ("debug", json!("debug")),
    ];
    for (raw, expected) in cases {
        assert_eq!(&normalize(raw, "some.key"), expected, "{raw}");
    }
}

#[test]
fn env_errors_name_key_and_variable() {
    let err = overlay(&[("MOL_REGISTRY__STRATEGY", "Randomm")]).expect_err("bad strategy");
    assert_eq!(err.key.as_deref(), Some("registry.strategy"));
    assert_eq!(err.source_name.as_deref(), Some("MOL_REGISTRY__STRATEGY"));
    assert_eq!(
        err.to_string(),
        "invalid broker option `registry.strategy` (from env MOL_REGISTRY__STRATEGY): unknown strategy `Randomm` (expected one of RoundRobin, Random, CpuUsage, Latency, Shard)"
    );

    let err = overlay(&[("REQUESTTIMEOUT", "soon")]).expect_err("bad number");
    assert_eq!(err.key.as_deref(), Some("requestTimeout"));
    assert_eq!(err.source_name.as_deref(), Some("REQUESTTIMEOUT"));

    let err = overlay(&[("MOL_TRANSIT__MAX_QUEUE_SIZE", "-5")]).expect_err("negative");
    assert_eq!(err.key.as_deref(), Some("transit.maxQueueSize"));
    assert_eq!(
        err.source_name.as_deref(),
        Some("MOL_TRANSIT__MAX_QUEUE_SIZE")
    );

    // A whole section replaced by a scalar: the error is about the section.
    let err = overlay(&[("TRANSIT", "5")]).expect_err("scalar section");
    assert_eq!(err.key.as_deref(), Some("transit"));
    assert_eq!(err.source_name.as_deref(), Some("TRANSIT"));

    // A nested variable below a bad value: the error names the variable too.
    let err = overlay(&[("MOL_REGISTRY__STRATEGY__TYPE", "Randomm")]).expect_err("nested type");
    assert_eq!(err.key.as_deref(), Some("registry.strategy"));
    assert!(
        err.message.contains("cannot set `type` inside the string"),
        "{err}"
    );
    assert_eq!(
        err.source_name.as_deref(),
        Some("MOL_REGISTRY__STRATEGY__TYPE")
    );

    let err = overlay(&[("MOL_METRICS__ENABLED", "maybe")]).expect_err("bad bool");
    assert_eq!(err.key.as_deref(), Some("metrics.enabled"));
    assert_eq!(err.source_name.as_deref(), Some("MOL_METRICS__ENABLED"));

    let err = overlay(&[("LOGLEVEL", "loud")]).expect_err("bad level");
    assert_eq!(err.key.as_deref(), Some("logLevel"));
    assert_eq!(err.source_name.as_deref(), Some("LOGLEVEL"));
}

#[test]
fn malformed_mol_names_are_errors() {
    for name in ["MOL_", "MOL_REGISTRY__", "MOL__X", "MOL_A_"] {
        let err = overlay(&[(name, "1")]).expect_err(name);
        assert_eq!(err.source_name.as_deref(), Some(name));
    }
}

#[test]
fn apply_env_reads_the_process_environment() {
    // Only checks that it runs: the test process environment is not ours to set.
    let result = BrokerOptions::default().apply_env();
    if let Err(err) = result {
        assert!(err.source_name.is_some(), "{err}");
    }
}

#[test]
fn unknown_and_javascript_only_keys_from_the_environment_are_errors() {
    let err = overlay(&[("MOL_CUSTOM_SETTING", "on")]).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("customSetting"));
    assert_eq!(err.source_name.as_deref(), Some("MOL_CUSTOM_SETTING"));
    assert!(err.message.contains("unknown option"), "{err}");
    let err = overlay(&[("MOL_REQUEST_TIMOUT", "5")]).unwrap_err();
    assert!(
        err.message.contains("did you mean `requestTimeout`?"),
        "{err}"
    );
    let err = overlay(&[("ERRORHANDLER", "x")]).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("errorHandler"));
    assert!(
        err.message.contains("BrokerBuilder::error_handler"),
        "{err}"
    );
}

#[test]
fn metrics_from_the_file_and_mol_variables() {
    let base = parse(
        r#"{"metrics": {"enabled": false, "reporter": {"type": "Console", "options": {"interval": 10}}}}"#,
    )
    .expect("base");
    let o = base
        .clone()
        .from_env_overlay(vars(&[
            ("MOL_METRICS__ENABLED", "true"),
            ("MOL_METRICS__DEFAULT_MAX_AGE_SECONDS", "30"),
            ("MOL_METRICS__REPORTER__TYPE", "StatsD"),
            ("MOL_METRICS__REPORTER__OPTIONS__PORT", "9125"),
        ]))
        .expect("overlay");
    let metrics = crate::metrics::MetricsOptions::from_feature(&o.metrics).expect("metrics");
    assert!(metrics.enabled);
    assert_eq!(metrics.default_max_age, std::time::Duration::from_secs(30));
    match metrics.reporters.as_slice() {
        [crate::metrics::reporters::ReporterConfig::StatsD(_, statsd)] => {
            assert_eq!(statsd.port, 9125);
            assert_eq!(statsd.interval, std::time::Duration::from_secs(10));
        }
        other => panic!("{other:?}"),
    }
    let from_file = crate::metrics::MetricsOptions::from_feature(&base.metrics).expect("file");
    assert!(!from_file.enabled);
    match from_file.reporters.as_slice() {
        [crate::metrics::reporters::ReporterConfig::Console(_, console)] => {
            assert_eq!(console.interval, std::time::Duration::from_secs(10))
        }
        other => panic!("{other:?}"),
    }
}
