//! Events: emit balanced per group, broadcast, broadcastLocal, wildcards, groups, `$` events.

use moleculer::prelude::*;
use moleculer_tests::Recorder;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize, Deserialize, Validate, JsonSchema)]
struct User {
    #[validate(length(min = 1))]
    name: String,
}

/// Two instances of the same group would be balanced; here each service is its own group,
/// except the two mailers that share one.
struct Listener {
    tag: &'static str,
    seen: Recorder,
}

#[service(name = "listener", register = false)]
impl Listener {
    #[event(name = "user.*", params = User)]
    async fn on_user(&self, ctx: EventContext<User>) {
        self.seen.push(json!({
            "tag": self.tag, "event": ctx.event_name(), "name": ctx.params.name,
            "type": ctx.event_type().as_str(), "groups": ctx.event_groups(),
        }));
    }
}

struct Mailer {
    seen: Recorder,
}

#[service(name = "mailer", register = false)]
impl Mailer {
    #[event(name = "user.created", group = "mail")]
    async fn created(&self, ctx: EventContext) {
        self.seen.push(
            json!({"tag": "mailer", "event": ctx.event_name(), "type": ctx.event_type().as_str()}),
        );
    }

    #[event(name = "order.**", params = { id: "number" })]
    async fn order(&self, ctx: EventContext) -> Result<()> {
        self.seen.push(json!({"tag": "order", "event": ctx.event_name(), "level": ctx.level(), "caller": ctx.caller()}));
        Ok(())
    }
}

struct Mailer2 {
    seen: Recorder,
}

#[service(name = "mailer2", register = false)]
impl Mailer2 {
    #[event(name = "user.created", group = "mail")]
    async fn created(&self, _ctx: EventContext) {
        self.seen.push(json!({"tag": "mailer2"}));
    }
}

async fn setup() -> (ServiceBroker, Recorder) {
    let seen = Recorder::default();
    let b = ServiceBroker::builder()
        .node_id("ev")
        .service(Listener {
            tag: "l",
            seen: seen.clone(),
        })
        .service(Mailer { seen: seen.clone() })
        .service(Mailer2 { seen: seen.clone() })
        .build()
        .unwrap();
    b.start().await.unwrap();
    (b, seen)
}

fn tags(records: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = records
        .iter()
        .map(|r| r["tag"].as_str().unwrap_or("").to_owned())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn emit_reaches_one_handler_per_group() {
    let (b, seen) = setup().await;
    b.emit(
        "user.created",
        User {
            name: "John".into(),
        },
    )
    .await
    .unwrap();
    let records = seen.take();
    // Group `listener` gets it once; group `mail` has two handlers and one of them gets it.
    assert_eq!(records.len(), 2, "{records:?}");
    let t = tags(&records);
    assert!(t.contains(&"l".to_owned()));
    assert!(t.contains(&"mailer".to_owned()) ^ t.contains(&"mailer2".to_owned()));
    let l = records.iter().find(|r| r["tag"] == "l").unwrap();
    assert_eq!(
        l["event"], "user.created",
        "the concrete name, not the pattern"
    );
    assert_eq!(l["type"], "emit");
    assert_eq!(l["name"], "John");
    // Balanced: the next emit goes to the other mailer.
    b.emit(
        "user.created",
        User {
            name: "Jane".into(),
        },
    )
    .await
    .unwrap();
    let second = tags(&seen.take());
    assert!(t.contains(&"mailer".to_owned()) == second.contains(&"mailer2".to_owned()));
}

#[tokio::test]
async fn broadcast_reaches_every_handler() {
    let (b, seen) = setup().await;
    b.broadcast("user.created", json!({"name": "x"}))
        .await
        .unwrap();
    let records = seen.take();
    assert_eq!(tags(&records), ["l", "mailer", "mailer2"]);
    // As in Node, `broadcast` reaches this node's handlers through `broadcastLocal`: they see
    // that event type (other nodes' handlers see `broadcast`).
    assert!(
        records
            .iter()
            .filter(|r| r["tag"] == "l")
            .all(|r| r["type"] == "broadcastLocal")
    );
    b.broadcast_local("user.created", json!({"name": "x"}))
        .await
        .unwrap();
    let records = seen.take();
    assert_eq!(tags(&records), ["l", "mailer", "mailer2"]);
    assert_eq!(
        records.iter().find(|r| r["tag"] == "l").unwrap()["type"],
        "broadcastLocal"
    );
}

#[tokio::test]
async fn groups_filter_the_receivers() {
    let (b, seen) = setup().await;
    b.emit_with(
        "user.created",
        json!({"name": "x"}),
        EmitOptions::new().groups(["mail"]),
    )
    .await
    .unwrap();
    let records = seen.take();
    assert_eq!(records.len(), 1);
    assert_ne!(records[0]["tag"], "l");
    b.broadcast_with(
        "user.created",
        json!({"name": "x"}),
        EmitOptions::new().groups(["listener"]),
    )
    .await
    .unwrap();
    let records = seen.take();
    assert_eq!(tags(&records), ["l"]);
    assert_eq!(records[0]["groups"], json!(["listener"]));
}

#[tokio::test]
async fn wildcards_and_unmatched_events() {
    let (b, seen) = setup().await;
    b.emit("user.deleted", json!({"name": "x"})).await.unwrap();
    assert_eq!(tags(&seen.take()), ["l"]);
    b.emit("user.deleted.now", json!({"name": "x"}))
        .await
        .unwrap();
    assert!(seen.take().is_empty(), "`*` does not cross dots");
    b.emit("order.paid.eu", json!({"id": 1})).await.unwrap();
    assert_eq!(tags(&seen.take()), ["order"], "`**` does");
    b.emit("nobody.listens", json!({})).await.unwrap();
    assert!(seen.is_empty());
    assert!(b.has_event_listener("user.x"));
    assert!(!b.has_event_listener("nobody.listens"));
    let mut groups = b.event_groups("user.created");
    groups.sort();
    assert_eq!(groups, ["listener", "mail"]);
}

#[tokio::test]
async fn invalid_event_payloads_are_dropped_and_reported() {
    let (b, seen) = setup().await;
    // Not awaited by anyone: logged, and not delivered.
    b.emit("order.x", json!({"id": "not a number"}))
        .await
        .unwrap();
    assert!(seen.take().is_empty());
    let err = b
        .emit_with(
            "order.x",
            json!({"id": "nope"}),
            EmitOptions::new().throw_error(true),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422);
    assert_eq!(err.data().unwrap()[0]["field"], "id");
    assert_eq!(err.data().unwrap()[0]["event"], "order.**");
    let err = b
        .emit_with(
            "user.created",
            json!({"name": ""}),
            EmitOptions::new().throw_error(true).groups(["listener"]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.data().unwrap()[0]["type"], "stringMin");
}

#[tokio::test]
async fn events_from_a_context_carry_it() {
    #[derive(Default)]
    struct Store;
    #[service(name = "store")]
    impl Store {
        #[action]
        async fn pay(&self, ctx: Context) -> Result<()> {
            ctx.emit("order.paid", json!({"id": 7})).await
        }
    }
    let seen = Recorder::default();
    let b = ServiceBroker::builder()
        .service(Store)
        .service(Mailer { seen: seen.clone() })
        .build()
        .unwrap();
    b.start().await.unwrap();
    b.call::<(), _>("store.pay", json!({})).await.unwrap();
    let records = seen.take();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["level"], 2);
    assert_eq!(records[0]["caller"], "store");
}

#[tokio::test]
async fn internal_events_are_delivered() {
    struct Watcher {
        seen: Recorder,
    }
    #[service(name = "watcher", register = false)]
    impl Watcher {
        #[event(name = "$services.changed")]
        async fn changed(&self, ctx: EventContext) {
            self.seen
                .push(json!({"e": ctx.event_name(), "p": ctx.params}));
        }
        #[event(name = "$broker.*")]
        async fn broker(&self, ctx: EventContext) {
            self.seen.push(json!({"e": ctx.event_name()}));
        }
    }
    let seen = Recorder::default();
    let b = ServiceBroker::builder()
        .service(Watcher { seen: seen.clone() })
        .build()
        .unwrap();
    b.start().await.unwrap();
    b.stop().await.unwrap();
    let events: Vec<Value> = seen.take().into_iter().map(|r| r["e"].clone()).collect();
    assert!(events.contains(&json!("$broker.started")), "{events:?}");
    assert!(events.contains(&json!("$services.changed")));
    assert!(events.contains(&json!("$broker.stopped")));
}
