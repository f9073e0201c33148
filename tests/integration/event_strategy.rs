//! An emit picks one handler per group with the registry's strategy, or the handler's own
//! `strategy` (Node builds an event list's strategy as an action list's): Shard by a payload
//! key, Random over every node.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::service::{EventSpec, ServiceSpec};
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer_tests::Recorder;
use serde_json::{Value, json};

/// Records the node each event ran on.
#[derive(Default)]
struct Mailer {
    seen: Recorder,
}

#[service(name = "mailer", register = false)]
impl Mailer {
    #[event(name = "user.created")]
    async fn created(&self, ctx: EventContext) {
        self.seen.push(json!(ctx.broker().node_id()));
    }

    /// Balanced by its own strategy, whatever the registry's.
    #[event(name = "user.sharded", strategy = "Shard", strategy_options = { shardKey: "user" })]
    async fn sharded(&self, ctx: EventContext) {
        self.seen.push(json!(ctx.broker().node_id()));
    }
}

/// An emitter with `registry` options and no handlers of its own, and `n1`, `n2` with the
/// mailer, all on one bus; the recorder the mailers share.
async fn cluster(registry: Value) -> (Vec<ServiceBroker>, Recorder) {
    let bus = FakeBus::new();
    let seen = Recorder::default();
    let options: moleculer::BrokerOptions =
        serde_json::from_value(json!({ "nodeID": "emitter", "registry": registry })).unwrap();
    let emitter = ServiceBroker::builder()
        .options(options)
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    let mut brokers = vec![emitter];
    for id in ["n1", "n2"] {
        let node = ServiceBroker::builder()
            .node_id(id)
            .transporter(FakeTransporter::new(bus.clone()))
            .service(Mailer { seen: seen.clone() })
            .build()
            .unwrap();
        brokers.push(node);
    }
    for broker in &brokers {
        broker.start().await.unwrap();
    }
    for _ in 0..300 {
        let events: Value = brokers[0]
            .call(
                "$node.events",
                json!({ "skipInternal": true, "onlyAvailable": true }),
            )
            .await
            .unwrap();
        let counted = events
            .as_array()
            .is_some_and(|e| e.len() == 2 && e.iter().all(|e| e["count"] == 2));
        if counted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (brokers, seen)
}

/// The node that ran one emit of `event` with `payload`.
async fn node_for(
    brokers: &[ServiceBroker],
    seen: &Recorder,
    event: &str,
    payload: Value,
) -> String {
    brokers[0].emit(event, payload).await.unwrap();
    assert!(
        seen.wait_for(1, Duration::from_secs(5)).await,
        "the event ran"
    );
    let ran = seen.take_strings();
    assert_eq!(ran.len(), 1, "one handler of the group: {ran:?}");
    ran[0].clone()
}

async fn stop(brokers: Vec<ServiceBroker>) {
    for broker in brokers {
        broker.stop().await.unwrap();
    }
}

#[tokio::test]
async fn the_registrys_shard_strategy_picks_by_the_payload() {
    let (brokers, seen) =
        cluster(json!({ "strategy": "Shard", "strategyOptions": { "shardKey": "user" } })).await;
    // Node's ring over [n1, n2] with 10 vnodes: "John" -> n2, "user-1" -> n1.
    for _ in 0..3 {
        let john = node_for(&brokers, &seen, "user.created", json!({ "user": "John" })).await;
        assert_eq!(john, "n2");
        let user1 = node_for(&brokers, &seen, "user.created", json!({ "user": "user-1" })).await;
        assert_eq!(user1, "n1");
    }
    stop(brokers).await;
}

#[tokio::test]
async fn a_handlers_own_strategy_is_published_and_used() {
    // The registry round-robins; the handler's own Shard (read from the nodes' INFO) wins.
    let (brokers, seen) = cluster(json!({ "strategy": "RoundRobin" })).await;
    for _ in 0..3 {
        let john = node_for(&brokers, &seen, "user.sharded", json!({ "user": "John" })).await;
        assert_eq!(john, "n2");
    }
    let events: Value = brokers[0]
        .call(
            "$node.events",
            json!({ "skipInternal": true, "withEndpoints": true }),
        )
        .await
        .unwrap();
    let sharded = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "user.sharded")
        .expect("listed");
    assert_eq!(sharded["event"]["strategy"], "Shard");
    assert_eq!(
        sharded["event"]["strategyOptions"],
        json!({ "shardKey": "user" })
    );
    // The registry's round robin still alternates the other event.
    let first = node_for(&brokers, &seen, "user.created", json!({})).await;
    let second = node_for(&brokers, &seen, "user.created", json!({})).await;
    assert_ne!(first, second);
    stop(brokers).await;
}

#[tokio::test]
async fn the_registrys_random_strategy_uses_every_node() {
    let (brokers, seen) = cluster(json!({ "strategy": "Random" })).await;
    let mut nodes = std::collections::BTreeSet::new();
    for _ in 0..40 {
        nodes.insert(node_for(&brokers, &seen, "user.created", json!({})).await);
    }
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    stop(brokers).await;
}

#[derive(Default)]
struct BadStrategy;

impl moleculer::ServiceDef for BadStrategy {
    fn spec() -> ServiceSpec<BadStrategy> {
        ServiceSpec::new("bad").event(
            EventSpec::<BadStrategy>::new::<Value>("x", |_svc, _ctx| Box::pin(async { Ok(()) }))
                .strategy("Fastest", serde_json::Map::new()),
        )
    }
}

#[tokio::test]
async fn an_unknown_event_strategy_fails_adding_the_service() {
    let err = ServiceBroker::builder()
        .build()
        .unwrap()
        .add_service(BadStrategy)
        .unwrap_err();
    assert_eq!(err.kind(), moleculer::ErrorKind::ServiceSchema, "{err:?}");
    assert!(err.message().contains("Fastest"), "{}", err.message());
}
