//! NATS reconnect: two nodes on a nats-server this test starts on its own port keep their
//! registrations and keep calling each other after the server restarts, and each emits
//! `$transporter.connected {wasReconnect: true}` (and sends its INFO again). Skipped when
//! `nats-server` is not installed, unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::time::{Duration, Instant};

use moleculer::ServiceBroker;
use moleculer::prelude::*;
use moleculer_tests::node::brokers_required;
use moleculer_tests::private_server::PrivateServer;
use serde_json::{Value, json};

#[derive(Default)]
struct Echo;

#[service(name = "echo", register = false)]
impl Echo {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }
}

/// Records the `$transporter.connected` events of its node.
#[derive(Default)]
struct Connections {
    seen: moleculer_tests::Recorder,
}

#[service(name = "connections", register = false)]
impl Connections {
    #[event(name = "$transporter.connected")]
    async fn connected(&self, ctx: EventContext) {
        self.seen.push(ctx.params.clone());
    }
}

fn nats_server_path() -> Option<String> {
    let path = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
    moleculer_tests::private_server::installed(&path).then_some(path)
}

/// A private nats-server on `port`, killed on drop.
fn private_nats(bin: &str, port: u16) -> PrivateServer {
    PrivateServer::start(bin, &["-a", "127.0.0.1", "-p", &port.to_string()], port)
        .expect("nats-server starts")
}

#[tokio::test]
async fn nodes_survive_a_nats_server_restart() {
    let Some(bin) = nats_server_path() else {
        assert!(!brokers_required(), "nats-server is not installed");
        println!("skipped: nats-server is not installed");
        return;
    };
    let port = moleculer_tests::free_port();
    let mut server = private_nats(&bin, port);
    let url = format!("nats://127.0.0.1:{port}");
    let build = |id: &str| {
        ServiceBroker::builder()
            .node_id(id)
            .namespace("reconnect")
            .transporter_url(&url)
    };
    let connections = moleculer_tests::Recorder::default();
    let a = build("a")
        .service(Connections {
            seen: connections.clone(),
        })
        .build()
        .unwrap();
    let b = build("b").service(Echo).build().unwrap();
    b.start().await.unwrap();
    a.start().await.unwrap();
    a.wait_for_services(&["echo"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(
        moleculer_tests::call_until_answered(
            &a,
            "echo.echo",
            json!({ "n": 1 }),
            Duration::from_secs(2)
        )
        .await,
        json!({ "n": 1 })
    );

    // The server goes away and comes back on the same port.
    drop(server);
    let err = a
        .call_with::<Value, _>(
            "echo.echo",
            json!({}),
            CallOptions::new().timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            moleculer::ErrorKind::RequestTimeout | moleculer::ErrorKind::BrokerDisconnected
        ),
        "{err:?}"
    );
    server = private_nats(&bin, port);

    // The clients reconnect and resubscribe; the registries kept each other's services.
    assert_eq!(
        moleculer_tests::call_until_answered(
            &a,
            "echo.echo",
            json!({ "n": 1 }),
            Duration::from_secs(15)
        )
        .await,
        json!({ "n": 1 })
    );
    moleculer_tests::eventually!(
        "a reconnect is announced",
        Duration::from_secs(10),
        connections
            .take()
            .iter()
            .any(|e| e == &json!({ "wasReconnect": true }))
    );
    let nodes: Value = a.call("$node.list", json!({})).await.unwrap();
    assert!(
        nodes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "b" && n["available"] == true),
        "{nodes}"
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    drop(server);
}

/// A caller that retries in a tight loop while NATS is away (every call fails fast with
/// `BrokerDisconnectedError`) does not starve the client's reconnect, even on a runtime of
/// one thread: the loop gets its answer once the server is back.
#[test]
fn a_tight_retry_loop_does_not_starve_the_reconnect() {
    let Some(bin) = nats_server_path() else {
        assert!(!brokers_required(), "nats-server is not installed");
        println!("skipped: nats-server is not installed");
        return;
    };
    let port = moleculer_tests::free_port();
    let mut server = Some(private_nats(&bin, port));
    let url = format!("nats://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let build = |id: &str| {
            ServiceBroker::builder()
                .node_id(id)
                .namespace("tight")
                .transporter_url(&url)
        };
        // Calls published while the client reconnects are not left waiting.
        let a = build("a")
            .request_timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let b = build("b").service(Echo).build().unwrap();
        b.start().await.unwrap();
        a.start().await.unwrap();
        a.wait_for_services(&["echo"], Some(Duration::from_secs(5)))
            .await
            .unwrap();

        drop(server.take());
        // Wait until the client has noticed (calls fail fast), then bring the server back
        // from another thread while this one loops without any wait of its own.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let err = a.call::<Value, _>("echo.echo", json!({})).await;
            if matches!(&err, Err(e) if e.kind() == moleculer::ErrorKind::BrokerDisconnected) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "calls never failed fast: {err:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let restart = std::thread::spawn({
            let bin = bin.clone();
            move || private_nats(&bin, port)
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut attempts = 0_u64;
        let answer = loop {
            attempts += 1;
            match a.call::<Value, _>("echo.echo", json!({ "n": 2 })).await {
                Ok(answer) => break answer,
                Err(err) => assert!(
                    Instant::now() < deadline,
                    "no reconnect after {attempts} fast failures: {err:?}"
                ),
            }
        };
        assert_eq!(answer, json!({ "n": 2 }));
        server = Some(restart.join().unwrap());
        a.stop().await.unwrap();
        b.stop().await.unwrap();
    });
    drop(server);
}
