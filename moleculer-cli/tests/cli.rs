//! End-to-end tests of the `mol` binary: an in-process Rust broker with a small service joins
//! NATS in a fresh namespace, and `mol` processes call, emit, list and ping it. Skipped (with
//! a printed `skipped: ...`) when NATS is unreachable, unless `MOLECULER_REQUIRE_BROKERS=1`.

mod common;

use std::time::Duration;

use moleculer::ServiceBroker;
use moleculer::prelude::*;
use moleculer_tests::Recorder;
use moleculer_tests::node::{brokers_required, nats_available, nats_url};
use serde_json::{Value, json};

use common::{Mol, Project, Run, mol_id};

/// The in-process target of the commands.
struct Target {
    seen: Recorder,
}

#[service(name = "clitest", register = false)]
impl Target {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(json!({ "params": ctx.params, "meta": *ctx.meta() }))
    }

    #[action]
    async fn fail(&self, _ctx: Context) -> Result<Value> {
        Err(Error::client("refused")
            .with_code(418)
            .with_type("TEAPOT")
            .with_data(json!({ "why": "tea" })))
    }

    #[event(name = "cli.**")]
    async fn on_event(&self, ctx: EventContext) {
        self.seen.push(json!({
            "event": ctx.event_name(),
            "payload": ctx.params,
            "meta": *ctx.meta(),
            "type": ctx.event_type().as_str(),
        }));
    }
}

/// Whether NATS is reachable; prints why not (or panics when brokers are required).
async fn nats_or_skip() -> bool {
    match nats_available().await {
        Ok(()) => true,
        Err(cause) => {
            let reason = format!("NATS not reachable at {} ({cause})", nats_url());
            assert!(!brokers_required(), "{reason}");
            println!("skipped: {reason}");
            false
        }
    }
}

/// A namespace no other test run uses.
fn namespace() -> String {
    moleculer_tests::unique_namespace("cli")
}

/// Runs `mol` with `args` on `transporter` (none: the default) in `namespace`.
async fn mol(transporter: Option<&str>, namespace: &str, args: &[&str]) -> Run {
    let mol = Mol::new(args).env("NAMESPACE", namespace);
    match transporter {
        Some(t) => mol.env("TRANSPORTER", t),
        None => mol,
    }
    .run()
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mol_talks_to_a_rust_node_over_nats() {
    if !nats_or_skip().await {
        return;
    }
    let ns = namespace();
    let url = nats_url();
    let seen = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("cli-target")
        .namespace(&ns)
        .transporter_url(&url)
        .service(Target { seen: seen.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let t = Some(url.as_str());

    let (echo, echo_table, fail, nodes, emitted, ping) = tokio::join!(
        mol(
            t,
            &ns,
            &[
                "call",
                "clitest.echo",
                r#"{"a":[1,2]}"#,
                "--meta",
                r#"{"user":"ann"}"#
            ]
        ),
        mol(t, &ns, &["call", "clitest.echo", r#"{"k":"v"}"#, "--table"]),
        mol(t, &ns, &["call", "clitest.fail", "--timeout", "5000"]),
        mol(t, &ns, &["nodes", "--table"]),
        mol(
            t,
            &ns,
            &["emit", "cli.hello", r#"{"n":1}"#, "--meta", r#"{"m":"e"}"#]
        ),
        mol(t, &ns, &["ping", "cli-target"]),
    );

    assert_eq!(echo.code, Some(0), "{echo:?}");
    assert_eq!(
        echo.json(),
        json!({ "params": { "a": [1, 2] }, "meta": { "user": "ann" } })
    );

    assert_eq!(echo_table.code, Some(0), "{echo_table:?}");
    let lines: Vec<&str> = echo_table.stdout.lines().collect();
    assert_eq!(lines[0], "Key     Value", "{echo_table:?}");
    assert_eq!(lines[2], r#"params  {"k":"v"}"#, "{echo_table:?}");
    assert_eq!(lines[3], "meta    {}", "{echo_table:?}");

    assert_eq!(fail.code, Some(1), "{fail:?}");
    assert!(fail.stdout.is_empty(), "{fail:?}");
    assert_eq!(
        fail.error(),
        json!({ "name": "MoleculerClientError", "message": "refused", "code": 418,
                "type": "TEAPOT", "data": { "why": "tea" }, "nodeID": "cli-target" })
    );

    assert_eq!(nodes.code, Some(0), "{nodes:?}");
    let header = nodes.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("ID "), "{nodes:?}");
    assert!(header.ends_with("Status"), "{nodes:?}");
    let row = nodes
        .stdout
        .lines()
        .find(|l| l.starts_with("cli-target "))
        .unwrap_or_else(|| panic!("cli-target not listed: {nodes:?}"));
    assert!(row.contains(" rust ") && row.ends_with("ONLINE"), "{row}");
    assert!(
        nodes.stdout.contains(" (*) "),
        "the client itself: {nodes:?}"
    );

    assert_eq!(emitted.code, Some(0), "{emitted:?}");
    assert_eq!(
        emitted.json(),
        json!({ "event": "cli.hello", "type": "emit", "groups": ["clitest"] })
    );
    assert!(seen.wait_for(1, Duration::from_secs(5)).await, "no event");
    assert_eq!(
        seen.take(),
        [
            json!({ "event": "cli.hello", "payload": { "n": 1 }, "meta": { "m": "e" }, "type": "emit" })
        ]
    );

    assert_eq!(ping.code, Some(0), "{ping:?}");
    let pong = ping.json();
    assert_eq!(pong["nodeID"], "cli-target", "{pong}");
    assert!(pong["elapsedTime"].is_number(), "{pong}");

    broker.stop().await.unwrap();
}

#[tokio::test]
async fn usage_errors_exit_with_status_2() {
    let run = mol(Some("none"), "x", &["call"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("<ACTION>"), "{run:?}");
    let run = mol(Some("none"), "x", &["call", "a.b", "{not json"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("not valid JSON"), "{run:?}");
}

#[tokio::test]
async fn a_config_files_node_id_is_not_the_clients() {
    let project = Project::with_file(
        "moleculer.config.toml",
        "nodeID = \"real-node\"\nnamespace = \"project\"\n",
    );
    let run = Mol::new(&["nodes", "--transporter", "none"])
        .current_dir(&project.dir)
        .run()
        .await;
    let nodes = run.ok_json();
    assert_eq!(nodes[0]["id"], json!(mol_id(run.pid)), "{nodes}");
    let run = Mol::new(&["nodes", "--transporter", "none"])
        .current_dir(&project.dir)
        .env("NODEID", "from-env")
        .run()
        .await;
    assert_eq!(run.ok_json()[0]["id"], "from-env");
}

#[tokio::test]
async fn without_a_transporter_only_the_client_is_seen() {
    let run = mol(Some("none"), "x", &["nodes"]).await;
    let nodes = run.ok_json();
    assert_eq!(nodes.as_array().map(Vec::len), Some(1), "{nodes}");
    assert_eq!(nodes[0]["local"], true);
    assert_eq!(nodes[0]["id"], json!(mol_id(run.pid)), "{nodes}");
    // An unknown action fails with its Moleculer error once `--wait` has passed.
    let run = mol(
        Some("none"),
        "x",
        &["call", "nope.nothing", "--wait", "100"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    let err = run.error();
    assert_eq!(err["name"], "ServiceNotFoundError", "{err}");
    assert_eq!(err["code"], 404);
}
