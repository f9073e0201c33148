//! Mixins (`#[service(mixins(...))]`): actions, events, hooks, settings, metadata,
//! dependencies and lifecycle handlers merged with Node's rules, nested mixins included.

use std::sync::LazyLock;
use std::time::Duration;

use moleculer::prelude::*;
use moleculer_tests::Recorder;
use serde_json::{Value, json};

/// What the services of this file did, in order (the mixins are made with `Default`, so
/// they record here).
static LOG: LazyLock<Recorder> = LazyLock::new(Recorder::default);

#[derive(Default)]
struct Base;

#[service(name = "base", register = false)]
impl Base {
    #[action]
    async fn ping(&self) -> Result<&'static str> {
        Ok("pong from Base")
    }
}

#[derive(Default)]
struct Timestamps;

#[service(
    name = "timestamps",
    register = false,
    settings = { pageSize: 10, cache: { ttl: 30, size: 100 }, db: "mixin-db", "$secureSettings": ["db"] },
    metadata(layer = "mixin", owner = "timestamps"),
    dependencies("helper"),
)]
impl Timestamps {
    #[action]
    async fn now(&self) -> Result<&'static str> {
        Ok("now from Timestamps")
    }

    #[action]
    async fn list(&self) -> Result<&'static str> {
        Ok("list from Timestamps")
    }

    #[action]
    async fn purge(&self) -> Result<&'static str> {
        Ok("purge from Timestamps")
    }

    #[event(name = "user.created")]
    async fn on_created(&self, _ctx: EventContext) {
        LOG.push(json!("Timestamps event"));
    }

    #[hook(before = "*")]
    async fn before_all(&self, _ctx: &mut Context<Payload>) {
        LOG.push(json!("Timestamps before"));
    }

    #[hook(after = "*")]
    async fn after_all(&self, _ctx: &Context<Payload>, res: Payload) -> Result<Payload> {
        LOG.push(json!("Timestamps after"));
        Ok(res)
    }

    #[created]
    fn created(&self) {
        LOG.push(json!("Timestamps created"));
    }

    #[started]
    async fn started(&self) {
        LOG.push(json!("Timestamps started"));
    }

    #[stopped]
    async fn stopped(&self) {
        LOG.push(json!("Timestamps stopped"));
    }
}

#[derive(Default)]
struct SoftDelete;

#[service(name = "soft-delete", register = false, mixins(Base))]
impl SoftDelete {
    #[action]
    async fn remove(&self) -> Result<&'static str> {
        Ok("remove from SoftDelete")
    }

    #[action]
    async fn purge(&self) -> Result<&'static str> {
        Ok("purge from SoftDelete")
    }

    #[started]
    async fn started(&self) {
        LOG.push(json!("SoftDelete started"));
    }

    #[stopped]
    async fn stopped(&self) {
        LOG.push(json!("SoftDelete stopped"));
    }
}

struct Users;

#[service(
    name = "users",
    register = false,
    settings = { pageSize: 50, cache: { ttl: 5 }, token: "t0k3n", "$secureSettings": ["token"] },
    metadata(layer = "service"),
    mixins(Timestamps, SoftDelete),
)]
impl Users {
    #[action]
    async fn list(&self) -> Result<&'static str> {
        LOG.push(json!("Users list"));
        Ok("list from Users")
    }

    #[event(name = "user.created")]
    async fn on_created(&self, _ctx: EventContext) {
        LOG.push(json!("Users event"));
    }

    // A hook may name a mixin's action: with mixins, names are checked when the service is
    // composed, not at compile time.
    #[hook(before = "*")]
    async fn before_all(&self, _ctx: &mut Context<Payload>) {
        LOG.push(json!("Users before"));
    }

    #[hook(after = "*")]
    async fn after_all(&self, _ctx: &Context<Payload>, res: Payload) -> Result<Payload> {
        LOG.push(json!("Users after"));
        Ok(res)
    }

    #[created]
    fn created(&self) {
        LOG.push(json!("Users created"));
    }

    #[started]
    async fn started(&self) {
        LOG.push(json!("Users started"));
    }

    #[stopped]
    async fn stopped(&self) {
        LOG.push(json!("Users stopped"));
    }
}

#[derive(Default)]
struct Helper;

#[service(name = "helper", register = false)]
impl Helper {}

#[tokio::test]
async fn mixins_merge_with_nodes_rules() {
    // The mixin's dependency is the service's: without `helper` it does not start.
    let lonely = ServiceBroker::builder()
        .options(serde_json::from_value(json!({ "dependencyTimeout": 200 })).unwrap())
        .node_id("mixins-lonely")
        .service(Users)
        .build()
        .unwrap();
    let err = lonely.start().await.unwrap_err();
    assert_eq!(err.error_type(), Some("WAITFOR_SERVICES"));
    assert_eq!(err.data().unwrap()["services"], json!(["helper"]), "{err}");
    lonely.stop().await.unwrap();
    LOG.take();

    let broker = ServiceBroker::builder()
        .node_id("mixins")
        .service(Helper)
        .service(Users)
        .build()
        .unwrap();
    // `created`: the last mixin's first, the service's last.
    assert_eq!(LOG.take_strings(), ["Timestamps created", "Users created"]);
    broker.start().await.unwrap();
    assert_eq!(
        LOG.take_strings(),
        ["SoftDelete started", "Timestamps started", "Users started"]
    );

    // The service's own action wins; then the first mixin over the second; nested mixins too.
    let call = |action: &'static str| {
        let broker = broker.clone();
        async move { broker.call::<String, _>(action, json!({})).await.unwrap() }
    };
    assert_eq!(call("users.list").await, "list from Users");
    assert_eq!(
        LOG.take_strings(),
        [
            "Timestamps before",
            "Users before",
            "Users list",
            "Users after",
            "Timestamps after"
        ]
    );
    assert_eq!(call("users.now").await, "now from Timestamps");
    assert_eq!(call("users.remove").await, "remove from SoftDelete");
    assert_eq!(call("users.purge").await, "purge from Timestamps");
    assert_eq!(call("users.ping").await, "pong from Base");
    LOG.take();

    // Both handlers of the event run for one emit.
    broker
        .emit("user.created", json!({ "id": 1 }))
        .await
        .unwrap();
    assert!(LOG.wait_for(2, Duration::from_secs(2)).await);
    let mut seen = LOG.take_strings();
    seen.sort();
    assert_eq!(seen, ["Timestamps event", "Users event"]);

    // Settings and metadata merged deeply, the service's keys first; secure keys united (the
    // mixin's `db` and the service's `token` are not published).
    let services: Value = broker
        .call("$node.services", json!({ "skipInternal": true }))
        .await
        .unwrap();
    let users = services
        .as_array()
        .and_then(|l| l.iter().find(|s| s["name"] == "users"))
        .cloned()
        .unwrap();
    assert_eq!(
        users["settings"],
        json!({ "pageSize": 50, "cache": { "ttl": 5, "size": 100 } }),
        "{users}"
    );
    assert_eq!(
        users["metadata"],
        json!({ "layer": "service", "owner": "timestamps" })
    );

    broker.stop().await.unwrap();
    assert_eq!(
        LOG.take_strings(),
        ["Users stopped", "Timestamps stopped", "SoftDelete stopped"]
    );
}
