//! Event `debounce` and `throttle` (Node's `Debounce` and `Throttle` middlewares), on
//! tokio's paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moleculer::prelude::*;
use serde_json::{Value, json};

#[derive(Default)]
struct Watch {
    debounced: Arc<Mutex<Vec<i64>>>,
    throttled: Arc<Mutex<Vec<i64>>>,
}

fn number(ctx: &EventContext) -> i64 {
    ctx.params["n"].as_i64().unwrap_or(-1)
}

#[service(name = "watch", register = false)]
impl Watch {
    #[event(name = "burst", debounce = 500)]
    async fn on_burst(&self, ctx: EventContext) {
        self.debounced.lock().unwrap().push(number(&ctx));
    }

    #[event(name = "tick", throttle = 500)]
    async fn on_tick(&self, ctx: EventContext) {
        self.throttled.lock().unwrap().push(number(&ctx));
    }
}

async fn started(internal_middlewares: bool) -> (ServiceBroker, Watch) {
    let watch = Watch::default();
    let seen = Watch {
        debounced: watch.debounced.clone(),
        throttled: watch.throttled.clone(),
    };
    let mut options = moleculer::BrokerOptions::default();
    options.skip_process_event_registration = true;
    options.internal_middlewares = internal_middlewares;
    let broker = ServiceBroker::builder()
        .options(options)
        .service(watch)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    (broker, seen)
}

async fn emit_at(broker: &ServiceBroker, event: &str, n: i64, after: Duration) {
    tokio::time::sleep(after).await;
    broker.emit(event, json!({ "n": n })).await.unwrap();
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn debounce_runs_the_last_event_of_a_burst_after_the_quiet_period() {
    let (broker, seen) = started(true).await;
    emit_at(&broker, "burst", 1, ms(0)).await;
    emit_at(&broker, "burst", 2, ms(200)).await;
    emit_at(&broker, "burst", 3, ms(200)).await;
    tokio::time::sleep(ms(499)).await;
    assert!(
        seen.debounced.lock().unwrap().is_empty(),
        "still quiet for less than 500 ms"
    );
    tokio::time::sleep(ms(2)).await;
    assert_eq!(*seen.debounced.lock().unwrap(), [3]);
    emit_at(&broker, "burst", 4, ms(10)).await;
    tokio::time::sleep(ms(600)).await;
    assert_eq!(*seen.debounced.lock().unwrap(), [3, 4]);
    broker.stop().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn throttle_runs_the_first_event_of_each_period() {
    let (broker, seen) = started(true).await;
    // At 0, 200, 499, 500, 700 and 1000 ms: the ones at 0, 500 and 1000 run.
    for (n, gap) in [(1, 0), (2, 200), (3, 299), (4, 1), (5, 200), (6, 300)] {
        emit_at(&broker, "tick", n, ms(gap)).await;
    }
    tokio::time::sleep(ms(1)).await;
    assert_eq!(*seen.throttled.lock().unwrap(), [1, 4, 6]);
    broker.stop().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn without_the_built_in_middlewares_every_event_runs_at_once() {
    let (broker, seen) = started(false).await;
    for n in 1..=3 {
        emit_at(&broker, "burst", n, ms(10)).await;
        emit_at(&broker, "tick", n, ms(10)).await;
    }
    tokio::time::sleep(ms(1)).await;
    assert_eq!(*seen.debounced.lock().unwrap(), [1, 2, 3]);
    assert_eq!(*seen.throttled.lock().unwrap(), [1, 2, 3]);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn debounce_and_throttle_are_published_with_the_event() {
    let (broker, _seen) = started(true).await;
    let events: Value = broker
        .call("$node.events", json!({"onlyLocal": true}))
        .await
        .unwrap();
    let find = |name: &str| {
        events
            .as_array()
            .and_then(|list| list.iter().find(|e| e["name"] == name))
            .map(|e| e["endpoints"].clone())
            .is_some()
    };
    assert!(find("burst") && find("tick"), "{events}");
    let services: Value = broker
        .call(
            "$node.services",
            json!({"withEvents": true, "onlyLocal": true}),
        )
        .await
        .unwrap();
    let text = services.to_string();
    assert!(text.contains(r#""debounce":500"#), "{text}");
    assert!(text.contains(r#""throttle":500"#), "{text}");
    broker.stop().await.unwrap();
}
