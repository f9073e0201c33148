//! A node that loads its options as Moleculer Runner does (`MOLECULER_CONFIG`, then the
//! environment), so its `logger` and `logLevel` come from there, logs one line per level
//! and module, and exits; for the logging tests.

use moleculer::prelude::*;

#[tokio::main]
async fn main() -> moleculer::Result<()> {
    let broker = ServiceBroker::builder().load_config().build()?;
    tracing::debug!(target: "my.users", "users debug");
    tracing::info!(target: "my.users", "users info");
    tracing::debug!(target: "other", "other debug");
    tracing::info!(target: "other", "other info");
    tracing::warn!(target: "other", "other warn");
    drop(broker);
    Ok(())
}
