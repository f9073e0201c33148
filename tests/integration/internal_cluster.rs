//! `$node` listings of two Rust nodes on one in-memory bus: a service whose nodes offer
//! different actions, as 0.14 and 0.15 group it, and a node gone offline.

use std::time::Duration;

use moleculer::ServiceBroker;
use moleculer::options::ProtocolVersion;
use moleculer::prelude::*;
use moleculer::transporter::{FakeBus, FakeTransporter};
use serde_json::{Value, json};

/// `store` as an older node has it: `get` only.
#[derive(Default)]
struct OldStore;

#[service(name = "store", register = false)]
impl OldStore {
    #[action]
    async fn get(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }
}

/// `store` as a newer node has it: `get` and `put`, and an event handler.
#[derive(Default)]
struct NewStore;

#[service(name = "store", register = false)]
impl NewStore {
    #[action]
    async fn get(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }

    #[action]
    async fn put(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }

    #[event(name = "store.cleared")]
    async fn cleared(&self, _ctx: EventContext) {}
}

/// Node `a` (old store) started first, then `b` (new store); returned once `a` sees `b`'s.
async fn pair(version: ProtocolVersion) -> (ServiceBroker, ServiceBroker) {
    let bus = FakeBus::new();
    let node = |id: &str| {
        ServiceBroker::builder()
            .node_id(id)
            .protocol_version(version)
            .transporter(FakeTransporter::new(bus.clone()))
    };
    let a = node("a").service(OldStore).build().unwrap();
    let b = node("b").service(NewStore).build().unwrap();
    a.start().await.unwrap();
    b.start().await.unwrap();
    a.wait_for_services(&["store"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    moleculer_tests::eventually!("a sees store.put", Duration::from_secs(5), {
        let actions: Value = a.call("$node.actions", json!({})).await.unwrap();
        actions
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "store.put")
    });
    (a, b)
}

async fn grouped_store(a: &ServiceBroker) -> Value {
    let list: Value = a
        .call(
            "$node.services",
            json!({ "withActions": true, "withEvents": true, "skipInternal": true }),
        )
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    list[0].clone()
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn grouping_merges_later_nodes_actions_on_v5_only() {
    let (a, b) = pair(ProtocolVersion::V5).await;
    let store = grouped_store(&a).await;
    assert_eq!(store["nodes"], json!(["a", "b"]));
    // 0.15 adds what the later node has and the first lacks, after the first's own.
    assert_eq!(keys(&store["actions"]), ["store.get", "store.put"]);
    assert_eq!(keys(&store["events"]), ["store.cleared"]);
    assert!(
        store.get("version").is_none(),
        "no version, no key: {store}"
    );
    b.stop().await.unwrap();
    a.stop().await.unwrap();

    let (a, b) = pair(ProtocolVersion::V4).await;
    let store = grouped_store(&a).await;
    assert_eq!(store["nodes"], json!(["a", "b"]));
    // 0.14 lists the first node's only.
    assert_eq!(keys(&store["actions"]), ["store.get"]);
    assert_eq!(store["events"], json!({}));
    b.stop().await.unwrap();
    a.stop().await.unwrap();
}

#[tokio::test]
async fn an_offline_node_is_listed_as_node_lists_it() {
    let (a, b) = pair(ProtocolVersion::V5).await;
    let list: Value = a
        .call("$node.list", json!({ "withServices": true }))
        .await
        .unwrap();
    assert_eq!(list[1]["id"], "b");
    // A remote node's services are its INFO's list.
    let names: Vec<&Value> = list[1]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["fullName"])
        .collect();
    assert_eq!(names, [&json!("$node"), &json!("store")], "{list}");
    assert_eq!(list[1]["offlineSince"], Value::Null);
    // An INFO over a broker transporter has no port: Node's item has no such key.
    assert!(list[1].get("port").is_none(), "{list}");
    assert!(
        list[0].get("port").is_some(),
        "the local node has one: {list}"
    );

    b.stop().await.unwrap();
    moleculer_tests::eventually!("b offline", Duration::from_secs(5), {
        let list: Value = a.call("$node.list", json!({})).await.unwrap();
        list[1]["available"] == false
    });
    let list: Value = a
        .call("$node.list", json!({ "withServices": true }))
        .await
        .unwrap();
    let gone = &list[1];
    assert!(gone["offlineSince"].is_u64(), "{gone}");
    // Its services are those of its last INFO: none, since a stopping node first publishes
    // an INFO without them. The key is where Node's `Node` has it: after `udpAddress`.
    assert_eq!(gone["services"], json!([]), "{gone}");
    let order = keys(gone);
    let at = |k: &str| order.iter().position(|x| *x == k).unwrap();
    assert_eq!(at("services"), at("udpAddress") + 1, "{order:?}");
    let online: Value = a
        .call("$node.list", json!({ "onlyAvailable": true }))
        .await
        .unwrap();
    assert_eq!(online.as_array().unwrap().len(), 1, "{online}");
    let list: Value = a
        .call("$node.list", json!({ "withServices": true }))
        .await
        .unwrap();
    assert_eq!(
        list[0]["services"].as_array().map(Vec::len),
        Some(2),
        "{list}"
    );
    let services: Value = a
        .call("$node.services", json!({ "skipInternal": true }))
        .await
        .unwrap();
    assert_eq!(services[0]["nodes"], json!(["a"]));
    a.stop().await.unwrap();
}
