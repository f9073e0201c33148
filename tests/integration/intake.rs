//! A handler that works long before it first waits (CPU-bound) does not hold up the requests
//! that arrive behind it: once seen slow three times in a row, it starts on a task of its own
//! instead of in the task that receives the node's messages.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer_tests::{Recorder, started_on_one_bus};
use serde_json::{Value, json};

#[derive(Default)]
struct Jobs {
    log: Recorder,
}

#[service(name = "jobs", register = false)]
impl Jobs {
    /// 300 ms of work without a wait, as a CPU-bound handler does.
    #[action]
    async fn busy(&self, _ctx: Context) -> Result<&'static str> {
        std::thread::sleep(Duration::from_millis(300));
        self.log.push(json!("busy done"));
        Ok("busy")
    }

    #[action]
    async fn quick(&self, _ctx: Context) -> Result<&'static str> {
        Ok("quick")
    }

    #[event(name = "jobs.crunch")]
    async fn crunch(&self, _ctx: EventContext) {
        std::thread::sleep(Duration::from_millis(300));
        self.log.push(json!("crunch done"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cpu_bound_handler_does_not_hold_the_intake() {
    let log = Recorder::default();
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .node_id("intake-server")
            .service(Jobs { log: log.clone() }),
        ServiceBroker::builder().node_id("intake-client"),
        "jobs",
    )
    .await;
    // Three runs in a row show each handler works long before it waits.
    for round in 1..=3 {
        client
            .call::<Value, _>("jobs.busy", json!({}))
            .await
            .unwrap();
        client.emit("jobs.crunch", json!({})).await.unwrap();
        assert!(log.wait_for(2 * round, Duration::from_secs(5)).await);
    }
    log.take();

    for (busy, done) in [("jobs.busy", "busy done"), ("jobs.crunch", "crunch done")] {
        let started = tokio::spawn({
            let client = client.clone();
            async move {
                if busy == "jobs.busy" {
                    client.call::<Value, _>(busy, json!({})).await.unwrap();
                } else {
                    client.emit(busy, json!({})).await.unwrap();
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..3 {
            let answer: Value = client.call("jobs.quick", json!({})).await.unwrap();
            log.push(answer);
        }
        started.await.unwrap();
        assert!(log.wait_for(4, Duration::from_secs(5)).await);
        // The quick calls were answered while the busy handler still worked.
        assert_eq!(
            log.take(),
            [json!("quick"), json!("quick"), json!("quick"), json!(done)],
            "{busy}"
        );
    }
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
