//! The `$node` internal service.

use moleculer::prelude::*;
use serde_json::{Value, json};

#[derive(serde::Deserialize, Validate, JsonSchema)]
#[allow(dead_code)]
struct AddParams {
    #[validate(range(min = -1000.0, max = 1000.0))]
    a: f64,
    b: i32,
    #[validate(length(min = 2))]
    label: Option<String>,
}

#[derive(Default)]
struct Greeter;

#[service(name = "greeter", version = 2, metadata(scalable = true))]
impl Greeter {
    #[action(params = { name: "string" }, rest = "GET /hello", timeout = 3000)]
    async fn hello(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
        Ok(ctx.params.a + f64::from(ctx.params.b))
    }

    #[event(name = "user.*", group = "other")]
    async fn user(&self, _ctx: EventContext) {}
}

async fn broker() -> ServiceBroker {
    let b = ServiceBroker::builder()
        .node_id("node-1")
        .service(Greeter)
        .build()
        .unwrap();
    b.start().await.unwrap();
    b
}

#[tokio::test]
async fn node_list() {
    let b = broker().await;
    let list: Value = b.call("$node.list", json!({})).await.unwrap();
    let node = &list[0];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(node["id"], "node-1");
    assert_eq!(node["local"], true);
    assert_eq!(node["available"], true);
    assert_eq!(node["client"]["type"], "rust");
    assert_eq!(node["config"], json!({}));
    assert!(node["instanceID"].as_str().unwrap().len() == 36);
    for key in [
        "lastHeartbeatTime",
        "metadata",
        "ipList",
        "hostname",
        "udpAddress",
        "cpu",
        "cpuSeq",
        "seq",
        "offlineSince",
    ] {
        assert!(node.get(key).is_some(), "missing {key}");
    }
    assert!(node.get("services").is_none());
    let list: Value = b
        .call("$node.list", json!({"withServices": "true"}))
        .await
        .unwrap();
    assert!(
        list[0]["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["fullName"] == "v2.greeter")
    );
}

#[tokio::test]
async fn node_services() {
    let b = broker().await;
    let all: Value = b.call("$node.services", json!({})).await.unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fullName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["$node", "v2.greeter"]);
    let svc: Value = b
        .call(
            "$node.services",
            json!({"skipInternal": true, "withActions": true, "withEvents": true}),
        )
        .await
        .unwrap();
    let g = &svc[0];
    assert_eq!(g["name"], "greeter");
    assert_eq!(g["version"], 2);
    assert_eq!(g["metadata"], json!({"scalable": true}));
    assert_eq!(g["nodes"], json!(["node-1"]));
    assert_eq!(
        g["actions"]["v2.greeter.hello"],
        json!({"params": {"name": "string"}, "timeout": 3000, "rest": "GET /hello", "rawName": "hello", "name": "v2.greeter.hello"})
    );
    assert_eq!(
        g["events"]["user.*"],
        json!({"group": "other", "name": "user.*"})
    );
    // Typed params are published in the fastest-validator dialect, as Node nodes publish them.
    assert_eq!(
        g["actions"]["v2.greeter.add"]["params"],
        json!({
            "a": {"type": "number", "min": -1000, "max": 1000},
            "b": {"type": "number", "integer": true},
            "label": {"type": "string", "min": 2, "optional": true},
        })
    );
    let ungrouped: Value = b
        .call(
            "$node.services",
            json!({"skipInternal": true, "grouping": false}),
        )
        .await
        .unwrap();
    assert_eq!(ungrouped[0]["nodeID"], "node-1");
}

#[tokio::test]
async fn node_actions_and_events() {
    let b = broker().await;
    let actions: Value = b
        .call("$node.actions", json!({"withEndpoints": true}))
        .await
        .unwrap();
    let hello = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "v2.greeter.hello")
        .unwrap();
    assert_eq!(hello["count"], 1);
    assert_eq!(hello["hasLocal"], true);
    assert_eq!(hello["available"], true);
    assert_eq!(
        hello["endpoints"],
        json!([{"nodeID": "node-1", "state": true, "available": true}])
    );
    let list = actions.as_array().unwrap();
    assert!(list.iter().any(|a| a["name"] == "$node.health"));
    let no_internal: Value = b
        .call("$node.actions", json!({"skipInternal": true}))
        .await
        .unwrap();
    assert_eq!(no_internal.as_array().unwrap().len(), 2);
    let events: Value = b.call("$node.events", json!({})).await.unwrap();
    assert_eq!(events[0]["name"], "user.*");
    assert_eq!(events[0]["group"], "other");
    assert_eq!(events[0]["count"], 1);
}

#[tokio::test]
async fn node_health_and_options() {
    let b = broker().await;
    let health: Value = b.call("$node.health", json!({})).await.unwrap();
    for key in ["cpu", "mem", "os", "process", "client", "net", "time"] {
        assert!(health.get(key).is_some(), "missing {key}");
    }
    assert!(health["cpu"]["cores"].as_u64().unwrap() >= 1);
    assert!(health["mem"]["total"].as_u64().unwrap() > 0);
    assert_eq!(health["process"]["pid"], std::process::id());
    // Node's `process.memoryUsage()` keys; only `rss` has a meaning outside a JS engine.
    let memory = health["process"]["memory"].as_object().unwrap();
    let keys: Vec<&str> = memory.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"]
    );
    assert!(memory["rss"].as_u64().unwrap() > 0);
    // `os.userInfo()` of this user.
    let user = &health["os"]["user"];
    assert!(
        user["username"].is_string() && user["homedir"].is_string(),
        "{user}"
    );
    // `toISOString()` and `toUTCString()` of `time.now`.
    let iso = health["time"]["iso"].as_str().unwrap();
    assert!(
        iso.len() == 24 && iso.ends_with('Z') && iso.as_bytes()[10] == b'T',
        "{iso}"
    );
    assert!(health["time"]["utc"].as_str().unwrap().ends_with(" GMT"));
    if cfg!(target_os = "linux") {
        assert_eq!(
            (&health["os"]["type"], &health["os"]["platform"]),
            (&json!("Linux"), &json!("linux"))
        );
    }
    let options: Value = b.call("$node.options", json!({})).await.unwrap();
    assert_eq!(options["nodeID"], "node-1");
    assert_eq!(options["heartbeatInterval"], 10.0);
    assert_eq!(options["registry"]["preferLocal"], true);
}

#[tokio::test]
async fn bad_flags_are_a_validation_error() {
    let b = broker().await;
    let err = b
        .call::<Value, _>("$node.list", json!({"withServices": "maybe"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422);
    assert_eq!(err.data().unwrap()[0]["field"], "withServices");
}
