//! A node with three services that call each other and talk through events.
//!
//! Run it with `cargo run -p moleculer-examples --example quickstart`.

use std::sync::atomic::{AtomicU64, Ordering};

use moleculer::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
struct AddParams {
    #[validate(range(min = -1e9, max = 1e9))]
    a: f64,
    b: f64,
}

#[derive(Default)]
struct Math;

#[service(
    name = "math",
    version = 2,
    settings(precision = 2),
    metadata(team = "core")
)]
impl Math {
    /// Typed params: checked by `validator`, published in fastest-validator form.
    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
        let sum = ctx.params.a + ctx.params.b;
        ctx.emit(
            "math.added",
            json!({ "a": ctx.params.a, "b": ctx.params.b, "sum": sum }),
        )
        .await?;
        Ok(sum)
    }
}

#[derive(Default)]
struct Greeter;

#[service(name = "greeter", dependencies("v2.math"))]
impl Greeter {
    /// Inline fastest-validator schema, checked at compile time.
    #[action(name = "hello", params = { name: "string|min:2", age: "number|optional" }, visibility = "public")]
    async fn greet(&self, ctx: Context) -> Result<String> {
        let name = ctx.params["name"].as_str().unwrap_or_default().to_owned();
        // A sub-call: level, request id and meta travel with it.
        let lucky: f64 = ctx
            .call("v2.math.add", AddParams { a: 40.0, b: 2.0 })
            .await?;
        Ok(format!("Hello {name}, your lucky number is {lucky}"))
    }
}

#[derive(Default)]
struct Audit {
    seen: AtomicU64,
}

#[service(name = "audit")]
impl Audit {
    #[event(name = "math.*")]
    async fn on_math(&self, ctx: EventContext) {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        println!(
            "  [audit] #{n} {} from {:?} (level {}): {}",
            ctx.event_name(),
            ctx.caller(),
            ctx.level(),
            ctx.params
        );
    }

    #[started]
    async fn started(&self, broker: &ServiceBroker) -> Result<()> {
        println!("  [audit] started on node {}", broker.node_id());
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The demo prints its own output; `LOGLEVEL=info` shows the broker's log too.
    moleculer::logging::init_with("warn");
    let broker = ServiceBroker::builder()
        .node_id("quickstart")
        .service(Math)
        .service(Greeter)
        .service(Audit::default())
        .build()?;
    broker.start().await?;

    let sum: f64 = broker
        .call("v2.math.add", AddParams { a: 5.0, b: 3.0 })
        .await?;
    println!("v2.math.add(5, 3) = {sum}");

    let greeting: String = broker
        .call("greeter.hello", json!({ "name": "John" }))
        .await?;
    println!("greeter.hello = {greeting:?}");

    match broker
        .call::<String, _>("greeter.hello", json!({ "name": "J" }))
        .await
    {
        Ok(_) => println!("unexpected success"),
        Err(err) => println!(
            "greeter.hello with a short name fails: {err}\n  data: {}",
            err.data().cloned().unwrap_or_default()
        ),
    }

    broker
        .broadcast("math.reset", json!({ "by": "main" }))
        .await?;

    let actions: serde_json::Value = broker
        .call("$node.actions", json!({ "skipInternal": true }))
        .await?;
    let names: Vec<&str> = actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    println!("actions on this node: {names:?}");

    broker.stop().await?;
    Ok(())
}
