//! Running one command on the client node.

use std::time::{Duration, Instant};

use moleculer::{CallOptions, EmitOptions, Error, Result, ServiceBroker};
use serde_json::{Value, json};

use crate::output::Output;
use crate::table::Table;
use crate::{Cli, Command, EventArgs, ListArgs, client, discovery, views};

/// The call timeout when neither `--timeout` nor the `requestTimeout` option sets one.
const DEFAULT_CALL_TIMEOUT_MS: u64 = 30_000;

/// How often the registry is looked at while waiting for an action or an event listener.
const POLL: Duration = Duration::from_millis(50);

/// Joins the cluster, runs the command, and leaves the cluster (whatever the outcome).
pub(crate) async fn run(cli: &Cli) -> Result<Output> {
    let broker = client::connect(&cli.global).await?;
    let result = execute(&broker, cli).await;
    if let Err(err) = broker.stop().await {
        tracing::warn!(error = %err, "leaving the cluster failed");
    }
    result
}

/// Runs the command on a started broker. `--wait` bounds all the waiting for the cluster:
/// for discovery to complete before the cluster is read or an event is sent, and for the
/// called action or a listener to appear.
async fn execute(broker: &ServiceBroker, cli: &Cli) -> Result<Output> {
    let table = cli.global.table;
    let deadline = Instant::now() + Duration::from_millis(cli.global.wait);
    if reads_the_whole_cluster(&cli.command) {
        discovery::wait(broker, deadline).await;
    }
    match &cli.command {
        Command::Call {
            action,
            params,
            meta,
            timeout,
            node,
        } => {
            wait_for_action(broker, action, node.as_deref(), deadline).await;
            let timeout = timeout.unwrap_or(match broker.options().request_timeout {
                0 => DEFAULT_CALL_TIMEOUT_MS,
                t => t,
            });
            let mut options = CallOptions::new().timeout(Duration::from_millis(timeout));
            if let Some(meta) = meta {
                options = options.meta(meta.clone());
            }
            if let Some(node) = node {
                options = options.node_id(node.clone());
            }
            let params = params.clone().unwrap_or_else(|| json!({}));
            let result: Value = broker.call_with(action, params, options).await?;
            Ok(match views::result(&result) {
                Some(t) if table => Output::Table(t),
                _ => Output::Json(result),
            })
        }
        Command::Emit(args) => event(broker, args, false, deadline).await,
        Command::Broadcast(args) => event(broker, args, true, deadline).await,
        Command::Nodes { all } => {
            let list: Value = broker
                .call("$node.list", json!({ "onlyAvailable": !all }))
                .await?;
            Ok(shown(list, table, views::nodes))
        }
        Command::Services(args) => {
            let mut params = list_params(args);
            params["withActions"] = Value::Bool(true);
            params["withEvents"] = Value::Bool(true);
            let list: Value = broker.call("$node.services", params).await?;
            Ok(shown(list, table, views::services))
        }
        Command::Actions(args) => {
            let list: Value = broker.call("$node.actions", list_params(args)).await?;
            Ok(shown(list, table, views::actions))
        }
        Command::Events(args) => {
            let list: Value = broker.call("$node.events", list_params(args)).await?;
            Ok(shown(list, table, views::events))
        }
        Command::Ping { node, timeout } => {
            let timeout = Duration::from_millis(*timeout);
            let result = ping(broker, node.as_deref(), timeout).await?;
            Ok(shown(result, table, views::pings))
        }
    }
}

/// JSON, or the table `view` makes of it.
fn shown(value: Value, table: bool, view: fn(&Value) -> Table) -> Output {
    if table {
        Output::Table(view(&value))
    } else {
        Output::Json(value)
    }
}

/// The `$node.services`/`actions`/`events` params for the list filters.
fn list_params(args: &ListArgs) -> Value {
    json!({
        "onlyLocal": args.local,
        "skipInternal": args.skip_internal,
        "onlyAvailable": !args.all,
        "withEndpoints": true,
    })
}

/// Whether the command's result depends on knowing every node: listings, pinging every
/// node, and events (an emit reaches one listener per known group, a broadcast every known
/// listener). A call needs only one endpoint of its action.
fn reads_the_whole_cluster(command: &Command) -> bool {
    matches!(
        command,
        Command::Nodes { .. }
            | Command::Services(_)
            | Command::Actions(_)
            | Command::Events(_)
            | Command::Ping { node: None, .. }
            | Command::Emit(_)
            | Command::Broadcast(_)
    )
}

/// Waits until `action` has an available endpoint (on `node`, when given), or `deadline`
/// passed: the call then reports what is missing.
async fn wait_for_action(
    broker: &ServiceBroker,
    action: &str,
    node: Option<&str>,
    deadline: Instant,
) {
    loop {
        if action_available(broker, action, node).await {
            return;
        }
        if Instant::now() >= deadline {
            tracing::info!(action, "the action did not appear in time; calling anyway");
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether `$node.actions` lists `action` with an available endpoint (on `node`).
async fn action_available(broker: &ServiceBroker, action: &str, node: Option<&str>) -> bool {
    let params = json!({ "onlyAvailable": true, "withEndpoints": true });
    let Ok(list) = broker.call::<Value, _>("$node.actions", params).await else {
        return false;
    };
    list.as_array().into_iter().flatten().any(|item| {
        item["name"] == action
            && node.is_none_or(|node| {
                item["endpoints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| e["nodeID"] == node && e["available"] == true)
            })
    })
}

/// The groups listening to `event`, restricted to `only` when it is not empty.
fn listening_groups(broker: &ServiceBroker, event: &str, only: &[String]) -> Vec<String> {
    broker
        .event_groups(event)
        .into_iter()
        .filter(|g| only.is_empty() || only.contains(g))
        .collect()
}

/// `emit` or `broadcast`: waits (until `deadline`) for a listener, sends, and reports which
/// groups listen.
async fn event(
    broker: &ServiceBroker,
    args: &EventArgs,
    broadcast: bool,
    deadline: Instant,
) -> Result<Output> {
    let mut groups = listening_groups(broker, &args.event, &args.groups);
    while groups.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        groups = listening_groups(broker, &args.event, &args.groups);
    }
    if groups.is_empty() {
        tracing::warn!(event = %args.event, "no service listens to this event; it is dropped");
    }
    let mut options = EmitOptions::new();
    if !args.groups.is_empty() {
        options = options.groups(args.groups.iter().cloned());
    }
    if let Some(meta) = &args.meta {
        options = options.meta(meta.clone());
    }
    let payload = args.payload.clone().unwrap_or_else(|| json!({}));
    if broadcast {
        broker.broadcast_with(&args.event, payload, options).await?;
    } else {
        broker.emit_with(&args.event, payload, options).await?;
    }
    Ok(Output::Json(json!({
        "event": args.event,
        "type": if broadcast { "broadcast" } else { "emit" },
        "groups": groups,
    })))
}

/// Pings `node`, or every online node; a missing PONG from a named node is an error.
async fn ping(broker: &ServiceBroker, node: Option<&str>, timeout: Duration) -> Result<Value> {
    let Some(node) = node else {
        let all = broker.ping_all(timeout).await?;
        if all.as_object().is_some_and(serde_json::Map::is_empty) {
            tracing::warn!("no other node is online");
        }
        return Ok(all);
    };
    let pong = broker.ping(node, timeout).await?;
    if pong.is_null() {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        return Err(Error::request_timeout("ping", node)
            .with_type("PING_TIMEOUT")
            .with_data(json!({ "nodeID": node, "timeout": ms })));
    }
    Ok(pong)
}
