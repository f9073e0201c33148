//! `mol`: a command-line client for Moleculer clusters.
//!
//! Each run joins the cluster as a client node (no services of its own besides `$node`), runs
//! one command (call an action, emit or broadcast an event, list nodes, services, actions or
//! events, ping nodes), prints the result on stdout, then leaves the cluster gracefully.
//! Options come from the same places as a broker's: `moleculer.config.toml`/`.json` (or
//! `MOLECULER_CONFIG`) and the environment (`TRANSPORTER`, `NAMESPACE`, `SERIALIZER`,
//! `TRANSIT_PROTOCOLVERSION`, `MOL_...`), with the command-line flags over them.
//!
//! The node ID is the exception: it is `--node-id`, else `NODEID`, else `mol-<hostname>-<pid>`,
//! never the config file's `nodeID`. Run inside a project, `mol` reads the project's
//! transporter and namespace, but joining under the project node's own ID would push that
//! node off the cluster.
//!
//! On the TCP transporter nodes are discovered by UDP and gossip over a few seconds, so before
//! it lists the cluster, pings every node, emits or broadcasts, `mol` waits until some other
//! node is known, every node it heard of has sent its INFO or is known to be offline, and the
//! registry has been quiet for a second; `--wait` bounds that wait. Other transporters answer
//! the `DISCOVER` sent while joining.
//!
//! Exit status: 0 on success, 1 when the command failed (the Moleculer error is printed as
//! JSON on stderr), 2 for a usage error.

mod client;
mod commands;
mod discovery;
mod output;
mod table;
mod views;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::Value;

/// The command line: global options, then one command.
#[derive(Debug, Parser)]
#[command(
    name = "mol",
    version,
    about = "Joins a Moleculer cluster as a client node, runs one command, and leaves.",
    after_help = "Options are read like a broker's: moleculer.config.toml/.json (or MOLECULER_CONFIG), \
then the environment (TRANSPORTER, NAMESPACE, SERIALIZER, TRANSIT_PROTOCOLVERSION=4, MOL_...), \
then these flags. The node ID is --node-id, else NODEID, else mol-HOSTNAME-PID: never the config \
file's nodeID, which belongs to the project's own node.\n\
On TCP, nodes, services, actions, events, ping, emit and broadcast first wait (at most --wait) until \
every node heard of by UDP, static URLs or gossip has sent its INFO or is known offline.\n\
Results are printed as JSON on stdout; errors as JSON on stderr (exit status 1)."
)]
pub(crate) struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options shared by every command (they may also follow the command).
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Transporter: a URL (`nats://host:4222`), a name (`NATS`), or `none` for no
    /// transporter [default: the config file's, else NATS_URL, else nats://127.0.0.1:4222].
    #[arg(long, env = "TRANSPORTER", global = true, value_name = "URL")]
    pub(crate) transporter: Option<String>,
    /// Namespace of the cluster.
    #[arg(long, env = "NAMESPACE", global = true)]
    pub(crate) namespace: Option<String>,
    /// Wire protocol version: 4 for Moleculer 0.14 clusters, 5 for 0.15 [default: 5, or
    /// TRANSIT_PROTOCOLVERSION].
    #[arg(long, global = true, value_name = "VERSION")]
    pub(crate) protocol: Option<Protocol>,
    /// Serializer: `JSON` (default), `JSONExt`, `MsgPack`, `Notepack`, `CBOR`, and with
    /// `--protocol 4` `ProtoBuf`, `Avro`, `Thrift`.
    #[arg(long, env = "SERIALIZER", global = true, value_name = "NAME")]
    pub(crate) serializer: Option<String>,
    /// This client's node ID [default: mol-HOSTNAME-PID; a config file's nodeID is not
    /// used].
    #[arg(long, env = "NODEID", global = true, value_name = "ID")]
    pub(crate) node_id: Option<String>,
    /// Prints an aligned text table instead of JSON (nodes, services, actions, events, ping,
    /// and a call's object result).
    #[arg(long, global = true)]
    pub(crate) table: bool,
    /// How long to wait (ms) for the cluster: on TCP, for discovery to complete before
    /// listing, pinging every node, emitting or broadcasting; for the called action, or a
    /// listener of the event, to appear.
    #[arg(long, global = true, value_name = "MS", default_value_t = 5000)]
    pub(crate) wait: u64,
    /// Logs more on stderr: -v info, -vv debug, -vvv trace [default: warn, or RUST_LOG].
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The wire protocol version named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Protocol {
    /// Protocol 4: Moleculer 0.14.
    #[value(name = "4")]
    V4,
    /// Protocol 5: Moleculer 0.15.
    #[value(name = "5")]
    V5,
}

/// One command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Calls an action and prints its result.
    Call {
        /// The action's full name (`math.add`, `v2.users.get`).
        action: String,
        /// Params as JSON [default: {}].
        #[arg(value_parser = parse_json, value_name = "JSON")]
        params: Option<Value>,
        /// Meta as a JSON object.
        #[arg(long, value_parser = parse_object, value_name = "JSON")]
        meta: Option<Value>,
        /// Timeout in ms [default: the requestTimeout option, else 30000; 0: none].
        #[arg(long, value_name = "MS")]
        timeout: Option<u64>,
        /// Calls the action on this node only.
        #[arg(long, value_name = "ID")]
        node: Option<String>,
    },
    /// Emits an event: one listener per group receives it.
    Emit(EventArgs),
    /// Broadcasts an event: every listener on every node receives it.
    Broadcast(EventArgs),
    /// Lists the nodes of the cluster.
    Nodes {
        /// Includes offline nodes.
        #[arg(short, long)]
        all: bool,
    },
    /// Lists the services of the cluster.
    Services(ListArgs),
    /// Lists the actions of the cluster.
    Actions(ListArgs),
    /// Lists the event listeners of the cluster.
    Events(ListArgs),
    /// Pings one node, or every online node when none is named.
    Ping {
        /// The node to ping.
        node: Option<String>,
        /// How long to wait for each PONG, in ms.
        #[arg(long, value_name = "MS", default_value_t = 5000)]
        timeout: u64,
    },
}

/// The arguments of `emit` and `broadcast`.
#[derive(Debug, Args)]
pub(crate) struct EventArgs {
    /// The event name.
    pub(crate) event: String,
    /// Payload as JSON [default: {}].
    #[arg(value_parser = parse_json, value_name = "JSON")]
    pub(crate) payload: Option<Value>,
    /// Only these groups receive the event (repeatable).
    #[arg(short, long = "group", value_name = "GROUP")]
    pub(crate) groups: Vec<String>,
    /// Meta as a JSON object.
    #[arg(long, value_parser = parse_object, value_name = "JSON")]
    pub(crate) meta: Option<Value>,
}

/// Filters of `services`, `actions` and `events`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Hides internal (`$node`) entries.
    #[arg(short = 'i', long)]
    pub(crate) skip_internal: bool,
    /// Only entries with an endpoint on this client node.
    #[arg(short, long)]
    pub(crate) local: bool,
    /// Includes unavailable entries.
    #[arg(short, long)]
    pub(crate) all: bool,
}

/// Parses a JSON argument.
fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|err| {
        format!("not valid JSON ({err}); quote it for the shell, e.g. '{{\"a\": 1}}'")
    })
}

/// Parses a JSON object argument.
fn parse_object(text: &str) -> Result<Value, String> {
    match parse_json(text)? {
        value @ Value::Object(_) => Ok(value),
        other => Err(format!("expected a JSON object, found `{other}`")),
    }
}

/// Installs the stderr logger: `warn` unless `-v` or `RUST_LOG` says otherwise.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
        1 => "info".to_owned(),
        2 => "debug".to_owned(),
        _ => "trace".to_owned(),
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    match commands::run(&cli).await {
        Ok(out) => {
            output::print(&out);
            ExitCode::SUCCESS
        }
        Err(err) => {
            output::print_error(&err);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;
    use serde_json::json;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("mol").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn call_takes_params_meta_timeout_and_node() {
        let cli = parse(&[
            "--namespace",
            "demo",
            "call",
            "math.add",
            r#"{"a":1,"b":2}"#,
            "--meta",
            r#"{"user":"ann"}"#,
            "--timeout",
            "250",
            "--node",
            "node-1",
        ])
        .unwrap();
        assert_eq!(cli.global.namespace.as_deref(), Some("demo"));
        let Command::Call {
            action,
            params,
            meta,
            timeout,
            node,
        } = cli.command
        else {
            panic!("not a call: {:?}", cli.command);
        };
        assert_eq!(action, "math.add");
        assert_eq!(params, Some(json!({ "a": 1, "b": 2 })));
        assert_eq!(meta, Some(json!({ "user": "ann" })));
        assert_eq!(timeout, Some(250));
        assert_eq!(node.as_deref(), Some("node-1"));
    }

    #[test]
    fn global_options_may_follow_the_command() {
        let cli = parse(&[
            "nodes",
            "--table",
            "--namespace",
            "ns",
            "--protocol",
            "4",
            "--node-id",
            "me",
            "--wait",
            "100",
            "-vv",
        ])
        .unwrap();
        let g = &cli.global;
        assert!(g.table);
        assert_eq!(g.namespace.as_deref(), Some("ns"));
        assert_eq!(g.protocol, Some(Protocol::V4));
        assert_eq!(g.node_id.as_deref(), Some("me"));
        assert_eq!((g.wait, g.verbose), (100, 2));
        assert!(matches!(cli.command, Command::Nodes { all: false }));
    }

    #[test]
    fn defaults() {
        let cli = parse(&["call", "x.y"]).unwrap();
        assert!(!cli.global.table);
        assert_eq!(cli.global.wait, 5000);
        assert_eq!(cli.global.protocol, None);
        assert!(matches!(
            cli.command,
            Command::Call {
                params: None,
                meta: None,
                timeout: None,
                node: None,
                ..
            }
        ));
        let cli = parse(&["ping"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ping {
                node: None,
                timeout: 5000
            }
        ));
    }

    #[test]
    fn emit_collects_repeated_groups() {
        let cli = parse(&["emit", "user.created", "[1,2]", "-g", "a", "--group", "b"]).unwrap();
        let Command::Emit(args) = cli.command else {
            panic!("not an emit");
        };
        assert_eq!(args.event, "user.created");
        assert_eq!(args.payload, Some(json!([1, 2])));
        assert_eq!(args.groups, ["a", "b"]);
        let cli = parse(&["broadcast", "x", "--meta", "{}"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Broadcast(EventArgs { payload: None, .. })
        ));
    }

    #[test]
    fn list_filters() {
        let cli = parse(&["services", "-i", "-l", "-a"]).unwrap();
        let Command::Services(list) = cli.command else {
            panic!("not services");
        };
        assert!(list.skip_internal && list.local && list.all);
        let cli = parse(&["events"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Events(ListArgs {
                skip_internal: false,
                local: false,
                all: false
            })
        ));
    }

    #[test]
    fn usage_errors() {
        let kind = |args: &[&str]| parse(args).unwrap_err().kind();
        assert_eq!(kind(&["call"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(kind(&["call", "a.b", "{nope"]), ErrorKind::ValueValidation);
        assert_eq!(
            kind(&["call", "a.b", "--meta", "[1]"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(kind(&["--protocol", "3", "nodes"]), ErrorKind::InvalidValue);
        assert_eq!(
            kind(&["--wait", "soon", "nodes"]),
            ErrorKind::ValueValidation
        );
        assert_eq!(kind(&["frobnicate"]), ErrorKind::InvalidSubcommand);
        assert_eq!(
            kind(&[]),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        // Usage errors exit with status 2.
        assert_eq!(parse(&["call"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn json_arguments() {
        assert_eq!(parse_json("42"), Ok(json!(42)));
        assert_eq!(parse_json(r#""text""#), Ok(json!("text")));
        assert!(parse_json("text").unwrap_err().contains("not valid JSON"));
        assert!(
            parse_object("[]")
                .unwrap_err()
                .contains("expected a JSON object")
        );
    }
}
