//! A node hosting demo services, configured by the environment, running until Ctrl-C.
//!
//! ```sh
//! TRANSPORTER=TCP NODEID=node-1 cargo run -p moleculer-examples --example demo_node
//! TRANSPORTER=TCP NODEID=node-2 cargo run -p moleculer-examples --example demo_node
//! mol --transporter TCP call math.add '{"a": 1, "b": 2}'
//! TRANSPORTER=nats://127.0.0.1:4222 NAMESPACE=demo cargo run -p moleculer-examples --example demo_node
//! mol --namespace demo call math.add '{"a": 1, "b": 2}'
//! ```
//!
//! Services:
//! * `math`: `add`, `sub`, `mul`, `div` with `{a: number, b: number}`; dividing by zero is a
//!   `MoleculerClientError` (422, `DIVISION_BY_ZERO`).
//! * `greeter`: `hello` (no params) and `welcome` (`{name: string}`).
//! * `recorder`: records every event but internal `$` ones; `recorder.list` returns them,
//!   `recorder.clear` forgets them.
//!
//! Options come from `moleculer.config.toml`/`.json` and the environment, as with
//! moleculer-runner: `TRANSPORTER` (none: local only), `NODEID`, `NAMESPACE`,
//! `TRANSIT_PROTOCOLVERSION=4` to join Moleculer 0.14 nodes, `LOGLEVEL`, `MOL_...`.

use std::collections::VecDeque;
use std::sync::Mutex;

use moleculer::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

/// The operands of the `math` actions.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
struct Operands {
    #[validate(range(min = -1e15, max = 1e15))]
    a: f64,
    #[validate(range(min = -1e15, max = 1e15))]
    b: f64,
}

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(params = Operands)]
    async fn add(&self, ctx: Context<Operands>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }

    #[action(params = Operands)]
    async fn sub(&self, ctx: Context<Operands>) -> Result<f64> {
        Ok(ctx.params.a - ctx.params.b)
    }

    #[action(params = Operands)]
    async fn mul(&self, ctx: Context<Operands>) -> Result<f64> {
        Ok(ctx.params.a * ctx.params.b)
    }

    #[action(params = Operands)]
    async fn div(&self, ctx: Context<Operands>) -> Result<f64> {
        let Operands { a, b } = ctx.params;
        if b == 0.0 {
            return Err(Error::client("Division by zero")
                .with_code(422)
                .with_type("DIVISION_BY_ZERO")
                .with_data(json!({ "a": a, "b": b })));
        }
        Ok(a / b)
    }
}

#[derive(Default)]
struct Greeter;

#[service(name = "greeter")]
impl Greeter {
    #[action]
    async fn hello(&self, _ctx: Context) -> Result<String> {
        Ok("Hello Moleculer".to_owned())
    }

    #[action(params = { name: "string|min:1" })]
    async fn welcome(&self, ctx: Context) -> Result<String> {
        Ok(format!(
            "Welcome, {}",
            ctx.params["name"].as_str().unwrap_or_default()
        ))
    }
}

/// How many events the recorder keeps (the oldest are dropped).
const RECORDER_CAPACITY: usize = 100;

#[derive(Default)]
struct Recorder {
    events: Mutex<VecDeque<Value>>,
}

impl Recorder {
    fn events(&self) -> std::sync::MutexGuard<'_, VecDeque<Value>> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[service(name = "recorder")]
impl Recorder {
    #[event(name = "**")]
    async fn record(&self, ctx: EventContext) {
        if ctx.event_name().starts_with('$') {
            return;
        }
        let entry = json!({
            "event": ctx.event_name(),
            "payload": ctx.params,
            "meta": *ctx.meta(),
            "sender": ctx.node_id(),
            "type": ctx.event_type().as_str(),
            "groups": ctx.event_groups(),
        });
        let mut events = self.events();
        if events.len() == RECORDER_CAPACITY {
            events.pop_front();
        }
        events.push_back(entry);
    }

    /// The recorded events, oldest first.
    #[action]
    async fn list(&self, _ctx: Context) -> Result<Vec<Value>> {
        Ok(self.events().iter().cloned().collect())
    }

    /// Forgets the recorded events; returns how many there were.
    #[action]
    async fn clear(&self, _ctx: Context) -> Result<usize> {
        let mut events = self.events();
        let n = events.len();
        events.clear();
        Ok(n)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The options first, so that their `logLevel` (file or LOGLEVEL) drives the logger.
    let options = moleculer::BrokerOptions::load()?;
    moleculer::logging::init_from(&options);
    let broker = ServiceBroker::builder()
        .options(options)
        .service(Math)
        .service(Greeter)
        .service(Recorder::default())
        .build()?;
    let options = broker.options();
    let namespace = match broker.namespace() {
        "" => "(none)",
        ns => ns,
    };
    match &options.transporter {
        Some(t) => println!(
            "demo_node: node `{}`, namespace {namespace}, transporter {}, protocol v{}; Ctrl-C stops it",
            broker.node_id(),
            t.url()
                .unwrap_or(moleculer::options::PluginKind::name(t.kind())),
            options.transit.protocol_version,
        ),
        None => println!(
            "demo_node: node `{}`, local only (TRANSPORTER is not set); Ctrl-C stops it",
            broker.node_id(),
        ),
    }
    broker.run().await?;
    Ok(())
}
