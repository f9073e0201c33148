//! A node that loads its options as Moleculer Runner does (`MOLECULER_CONFIG`), so its
//! `logger` comes from there, logs the records of `tests/node/loggers.js` (a module's and a
//! service's), stops and exits; for the loggers tests, which compare the lines with Node's.

use moleculer::prelude::*;
use tracing::Instrument;

#[derive(Default)]
struct Math;

#[service(name = "math", version = 2)]
impl Math {
    /// Logs with the service's bindings, as `this.logger` in a Node service.
    #[action]
    async fn log(&self, ctx: Context) -> Result<()> {
        async {
            tracing::debug!(user = 5, "login");
            tracing::trace!("finished");
        }
        .instrument(moleculer::logging::service_span(ctx.service()))
        .await;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> moleculer::Result<()> {
    let broker = ServiceBroker::builder()
        .load_config()
        .service(Math)
        .build()?;
    broker.start().await?;
    tracing::info!(target: "greeter", user = 5, name = "x'y", "Hello");
    tracing::warn!(target: "greeter", "careful");
    tracing::error!(target: "greeter", fatal = true, "deadly");
    tracing::error!(target: "greeter", "oops");
    broker
        .call::<(), _>("v2.math.log", serde_json::Value::Null)
        .await?;
    tracing::info!(target: "greeter", level = "x", n = 1.5);
    broker.stop().await
}
