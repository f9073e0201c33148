//! A node started with `broker.start()` (not `run()`), for the signal tests: it prints
//! `ready` once started and `stopped worker` from its service's `stopped` handler, then
//! waits for ever. Options come from the environment (`MOL_SKIP_PROCESS_EVENT_REGISTRATION`).

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
        .node_id("start-node")
        .env()
        .service(Worker)
        .build()?;
    broker.start().await?;
    // Only a signal ends this process: the broker's own handlers, or the default action.
    std::future::pending::<()>().await;
    Ok(())
}
