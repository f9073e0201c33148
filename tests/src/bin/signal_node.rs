//! A node run with `broker.run()`, for the graceful-shutdown test: it prints `ready` once
//! started, and `stopped <name>` from its service's `stopped` handler.

use moleculer::prelude::*;

#[derive(Default)]
struct Worker;

#[service(name = "worker")]
impl Worker {
    #[started]
    async fn started(&self) {
        println!("ready");
    }

    #[stopped]
    async fn stopped(&self) {
        println!("stopped worker");
    }
}

#[tokio::main]
async fn main() -> moleculer::Result<()> {
    let broker = ServiceBroker::builder()
        .node_id("signal-node")
        .service(Worker)
        .build()?;
    broker.run().await?;
    println!("exited cleanly");
    Ok(())
}
