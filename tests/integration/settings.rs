//! A handler reads its service's settings (Node's `this.settings`): as JSON or typed, in local
//! calls, in requests served for another node, and in event handlers; mixins' settings merged in.

use std::time::Duration;

use moleculer::ErrorKind;
use moleculer::prelude::*;
use moleculer_tests::{Recorder, started_on_one_bus};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Default)]
struct Paging;

#[service(name = "paging", register = false, settings = { pageSize: 10, maxPageSize: 100 })]
impl Paging {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostSettings<'a> {
    page_size: u32,
    max_page_size: u32,
    dsn: &'a str,
}

#[derive(Default)]
struct Posts {
    seen: Recorder,
}

#[service(
    name = "posts",
    version = 2,
    mixins(Paging),
    settings = { "$secureSettings": ["dsn"], dsn: "postgres://db", pageSize: 20 }
)]
impl Posts {
    #[action]
    async fn settings(&self, ctx: Context) -> Result<Value> {
        Ok(Value::Object(ctx.settings().clone()))
    }

    #[action]
    async fn typed(&self, ctx: Context) -> Result<Value> {
        let settings: PostSettings<'_> = ctx.settings_as()?;
        Ok(json!({
            "pageSize": settings.page_size,
            "maxPageSize": settings.max_page_size,
            "dsn": settings.dsn,
            "service": ctx.service_name(),
            "version": ctx.service().version.as_ref().map(|v| v.to_json()),
        }))
    }

    #[action]
    async fn wrong_shape(&self, ctx: Context) -> Result<Value> {
        let n: Vec<u32> = ctx.settings_as()?;
        Ok(json!(n))
    }

    #[event(name = "posts.read")]
    async fn on_read(&self, ctx: EventContext) {
        self.seen.push(json!({
            "dsn": ctx.settings()["dsn"],
            "service": ctx.service_name(),
        }));
    }
}

fn expected_settings() -> Value {
    json!({
        "$secureSettings": ["dsn"],
        "dsn": "postgres://db",
        "pageSize": 20,
        "maxPageSize": 100,
    })
}

#[tokio::test]
async fn a_local_handler_reads_its_services_settings() {
    let seen = Recorder::default();
    let broker = ServiceBroker::builder()
        .service(Posts { seen: seen.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();

    let settings: Value = broker.call("v2.posts.settings", json!({})).await.unwrap();
    assert_eq!(settings, expected_settings());
    let typed: Value = broker.call("v2.posts.typed", json!({})).await.unwrap();
    assert_eq!(
        typed,
        json!({"pageSize": 20, "maxPageSize": 100, "dsn": "postgres://db", "service": "v2.posts", "version": 2})
    );

    broker.emit("posts.read", json!({})).await.unwrap();
    assert_eq!(
        seen.take(),
        vec![json!({"dsn": "postgres://db", "service": "v2.posts"})]
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn settings_of_the_wrong_shape_are_a_clear_error() {
    let broker = ServiceBroker::builder()
        .service(Posts::default())
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let err = broker
        .call::<Value, _>("v2.posts.wrong_shape", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceSchema);
    assert!(
        err.message().contains("the settings of `v2.posts`"),
        "{}",
        err.message()
    );
    broker.stop().await.unwrap();
}

/// A request or an event that another node sent runs with the serving service's settings,
/// secure ones included, although the other node never sees those.
#[tokio::test]
async fn a_served_request_and_a_received_event_read_the_local_settings() {
    let seen = Recorder::default();
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .node_id("settings-server")
            .service(Posts { seen: seen.clone() }),
        ServiceBroker::builder().node_id("settings-client"),
        "v2.posts",
    )
    .await;

    let settings: Value = client.call("v2.posts.settings", json!({})).await.unwrap();
    assert_eq!(settings, expected_settings());
    let typed: Value = client.call("v2.posts.typed", json!({})).await.unwrap();
    assert_eq!(typed["dsn"], "postgres://db");
    assert_eq!(typed["service"], "v2.posts");

    client.emit("posts.read", json!({})).await.unwrap();
    assert!(seen.wait_for(1, Duration::from_secs(5)).await);
    assert_eq!(
        seen.take(),
        vec![json!({"dsn": "postgres://db", "service": "v2.posts"})]
    );

    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
