//! Graceful shutdown: `stop()` refuses new calls (local and remote), waits for the calls and
//! event handlers in flight (with `tracking.enabled`) up to `shutdownTimeout`, then stops the
//! services.

use std::time::Duration;

use moleculer::prelude::*;
use moleculer::{BrokerOptions, ErrorKind};
use moleculer_tests::{Recorder, started_on_one_bus};
use serde_json::{Value, json};

struct Slow {
    log: Recorder,
}

#[service(name = "slow", register = false)]
impl Slow {
    #[action]
    async fn work(&self, ctx: Context) -> Result<Value> {
        let ms = ctx.params["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        // A sub-call of a running request still works while the broker stops.
        let echoed: Value = ctx.call("slow.echo", json!({ "n": ms })).await?;
        self.log.push(json!(format!("work {ms} done")));
        Ok(echoed)
    }

    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[event(name = "slow.event")]
    async fn on_event(&self, ctx: EventContext) {
        let ms = ctx.params["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.log.push(json!(format!("event {ms} done")));
    }

    #[stopped]
    async fn stopped(&self) {
        self.log.push(json!("stopped"));
    }
}

/// Calls `slow.work` for `ms` ms, on a task of its own.
fn work(broker: &ServiceBroker, ms: u64) -> tokio::task::JoinHandle<moleculer::Result<Value>> {
    let broker = broker.clone();
    tokio::spawn(async move { broker.call("slow.work", json!({ "ms": ms })).await })
}

/// Stops the broker on a task of its own.
fn stop(broker: &ServiceBroker) -> tokio::task::JoinHandle<moleculer::Result<()>> {
    let broker = broker.clone();
    tokio::spawn(async move { broker.stop().await })
}

fn tracking(ms: u64) -> BrokerOptions {
    serde_json::from_value(json!({ "tracking": { "enabled": true, "shutdownTimeout": ms } }))
        .unwrap()
}

#[tokio::test]
async fn stop_waits_for_calls_and_events_in_flight_and_refuses_new_ones() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .options(tracking(5000))
        .node_id("drain")
        .service(Slow { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();

    let in_flight = work(&broker, 300);
    broker
        .emit("slow.event", json!({ "ms": 200 }))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let stopping = stop(&broker);
    tokio::time::sleep(Duration::from_millis(20)).await;

    // A new caller is turned away while the broker drains.
    let err = broker
        .call::<Value, _>("slow.echo", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotAvailable);

    // The call in flight finishes (its sub-call included) and its caller gets the result.
    assert_eq!(in_flight.await.unwrap().unwrap(), json!({ "n": 300 }));
    stopping.await.unwrap().unwrap();
    assert_eq!(
        log.take_strings(),
        ["event 200 done", "work 300 done", "stopped"]
    );
}

#[tokio::test]
async fn stop_gives_up_waiting_after_the_shutdown_timeout() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .options(tracking(100))
        .node_id("drain-timeout")
        .service(Slow { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let in_flight = work(&broker, 800);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = std::time::Instant::now();
    broker.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(700));
    assert_eq!(log.take_strings(), ["stopped"]);
    in_flight.abort();
}

/// A server hosting `Slow` and a client that sees it, started; tracking on where asked.
async fn pair(
    log: &Recorder,
    server_tracks: bool,
    ids: (&str, &str),
) -> (ServiceBroker, ServiceBroker) {
    let server_options = if server_tracks {
        tracking(5000)
    } else {
        BrokerOptions::default()
    };
    started_on_one_bus(
        ServiceBroker::builder()
            .options(server_options)
            .node_id(ids.0)
            .service(Slow { log: log.clone() }),
        ServiceBroker::builder()
            .options(tracking(5000))
            .node_id(ids.1),
        "slow",
    )
    .await
}

#[tokio::test]
async fn a_stopping_node_refuses_remote_requests_and_answers_the_running_ones() {
    let log = Recorder::default();
    let (server, client) = pair(&log, true, ("drain-server", "drain-client")).await;

    let in_flight = work(&client, 300);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let stopping = stop(&server);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let err = client
        .call::<Value, _>("slow.echo", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ServiceNotAvailable | ErrorKind::ServiceNotFound
        ),
        "{err}"
    );
    assert_eq!(in_flight.await.unwrap().unwrap(), json!({ "n": 300 }));
    stopping.await.unwrap().unwrap();
    assert_eq!(log.take_strings(), ["work 300 done", "stopped"]);
    client.stop().await.unwrap();
}

#[tokio::test]
async fn the_caller_waits_for_its_remote_calls_before_it_stops() {
    let log = Recorder::default();
    let (server, client) = pair(&log, false, ("drain-far", "drain-near")).await;
    let in_flight = work(&client, 300);
    tokio::time::sleep(Duration::from_millis(30)).await;
    client.stop().await.unwrap();
    // The answer arrived before the client disconnected.
    assert_eq!(in_flight.await.unwrap().unwrap(), json!({ "n": 300 }));
    server.stop().await.unwrap();
}

/// Drops the INFO packets of one node once armed: the caller keeps routing to it as a node
/// does whose INFO is still on its way.
struct DeafToInfoFrom {
    node: &'static str,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl moleculer::middleware::Middleware for DeafToInfoFrom {
    fn transit_message_handler(
        &self,
        next: &moleculer::middleware::MessageHandler,
    ) -> Option<moleculer::middleware::MessageHandler> {
        let (next, node, armed) = (next.clone(), self.node, self.armed.clone());
        Some(std::sync::Arc::new(
            move |received: moleculer::middleware::ReceivedPacket| {
                let envelope = &received.envelope;
                let info = matches!(envelope.packet, moleculer::protocol::Packet::Info(_));
                if info
                    && envelope.sender == node
                    && armed.load(std::sync::atomic::Ordering::SeqCst)
                {
                    return;
                }
                next(received);
            },
        ))
    }
}

/// As Node: during `registry.stopDelay`, after its empty INFO, a stopping node still serves
/// the requests that were sent before the others learnt it leaves; only then does it refuse.
#[tokio::test]
async fn a_stopping_node_serves_requests_during_its_stop_delay() {
    let log = Recorder::default();
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server_options: BrokerOptions =
        serde_json::from_value(json!({ "registry": { "stopDelay": 600 } })).unwrap();
    let (server, client) = started_on_one_bus(
        ServiceBroker::builder()
            .options(server_options)
            .node_id("delay-server")
            .service(Slow { log: log.clone() }),
        ServiceBroker::builder()
            .node_id("delay-client")
            .middleware(DeafToInfoFrom {
                node: "delay-server",
                armed: armed.clone(),
            }),
        "slow",
    )
    .await;
    armed.store(true, std::sync::atomic::Ordering::SeqCst);

    let stopping = stop(&server);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let served: Value = client.call("slow.echo", json!({ "n": 1 })).await.unwrap();
    assert_eq!(served, json!({ "n": 1 }), "served during stopDelay");

    // After the delay the node refuses (and then leaves).
    tokio::time::sleep(Duration::from_millis(600)).await;
    let late = client.call::<Value, _>("slow.echo", json!({})).await;
    assert!(late.is_err(), "refused after stopDelay: {late:?}");
    stopping.await.unwrap().unwrap();
    client.stop().await.unwrap();
}
