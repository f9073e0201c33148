//! Broker options from files and the environment.

use moleculer::BrokerOptions;
use moleculer::prelude::*;
use serde_json::json;

#[test]
fn defaults_follow_node() {
    let o = BrokerOptions::default();
    assert_eq!(o.namespace, "");
    assert_eq!(o.request_timeout, 0);
    assert_eq!(o.heartbeat_interval, 10.0);
    assert_eq!(o.heartbeat_timeout, 30.0);
    assert!(o.registry.prefer_local);
    assert_eq!(o.transit.max_queue_size, 50_000);
    assert!(o.internal_services);
}

#[test]
fn the_default_node_id_is_hostname_pid() {
    let broker = ServiceBroker::builder().build().unwrap();
    let id = broker.node_id();
    let suffix = format!("-{}", std::process::id());
    assert!(id.ends_with(&suffix), "{id}");
    assert!(id.len() > suffix.len());
    assert_eq!(id, id.to_lowercase());
}

#[tokio::test]
async fn a_config_file_drives_the_broker() {
    let dir = std::env::temp_dir().join(format!("mol-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("moleculer.config.toml");
    std::fs::write(
        &path,
        "nodeID = \"from-file\"\nnamespace = \"dev\"\nrequestTimeout = 1500\n[registry]\npreferLocal = false\n[metadata]\nregion = \"eu\"\n",
    )
    .unwrap();
    let broker = ServiceBroker::builder().config_file(&path).build().unwrap();
    assert_eq!(broker.node_id(), "from-file");
    assert_eq!(broker.namespace(), "dev");
    assert_eq!(broker.options().request_timeout, 1500);
    assert!(!broker.options().registry.prefer_local);
    broker.start().await.unwrap();
    let list: serde_json::Value = broker.call("$node.list", json!({})).await.unwrap();
    assert_eq!(list[0]["metadata"], json!({"region": "eu"}));
}

#[test]
fn environment_overlays_options() {
    let o = BrokerOptions::default()
        .from_env_overlay([
            ("NODEID".to_owned(), "env-node".to_owned()),
            ("MOL_REGISTRY__STRATEGY".to_owned(), "Random".to_owned()),
            ("MOL_TRANSIT__MAX_QUEUE_SIZE".to_owned(), "1000".to_owned()),
        ])
        .unwrap();
    assert_eq!(o.node_id.as_deref(), Some("env-node"));
    assert_eq!(o.transit.max_queue_size, 1000);
}

#[test]
fn bad_options_name_the_key() {
    let err = BrokerOptions::default()
        .from_env_overlay([("MOL_REGISTRY__STRATEGY".to_owned(), "Randomm".to_owned())])
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("registry.strategy"), "{text}");
    assert!(text.contains("MOL_REGISTRY__STRATEGY"), "{text}");
    let broker_err = Error::from(err);
    assert_eq!(broker_err.kind(), moleculer::ErrorKind::BrokerOptions);
    assert_eq!(broker_err.error_type(), Some("BROKER_OPTIONS_ERROR"));
}

/// The README's production settings read as they say.
#[test]
fn the_readmes_production_settings_read() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("# moleculer.config.toml\n")
        .expect("the production block");
    let block = &readme[start..];
    let block = &block[..block.find("```").expect("its end")];
    let dir = std::env::temp_dir().join(format!("mol-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("moleculer.config.toml");
    std::fs::write(&file, block).unwrap();
    let options = moleculer::BrokerOptions::default()
        .merge_file(&file)
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(options.request_timeout, 5000);
    assert_eq!(options.heartbeat_timeout, 10.0);
    assert!(options.circuit_breaker.enabled && options.tracking.enabled);
}
