//! A Rust node on the TCP transporter in its own process, so a test can kill it (SIGKILL, no
//! goodbye) and start it again. Environment: `NODE_ID`, `NAMESPACE`, `TCP_OPTIONS` (the
//! transporter's options object, Node's names), `PROTOCOL` (`4` or `5`); `TRANSPORTER` (a
//! URL such as `nats://…`) puts it on another transporter instead; `BROKER_OPTIONS`, a JSON
//! object of broker options, is applied first. It hosts
//! `rust-worker` (`where` answers its nodeID) and prints `ready` once started.

use moleculer::options::{PluginOption, ProtocolVersion, TransporterKind};
use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter};

#[derive(Default)]
struct Worker;

#[service(name = "rust-worker")]
impl Worker {
    #[action]
    async fn r#where(&self, ctx: Context) -> Result<String> {
        Ok(ctx.broker().node_id().to_owned())
    }

    #[started]
    async fn started(&self) {
        println!("ready");
    }
}

#[tokio::main]
async fn main() -> moleculer::Result<()> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let options = match serde_json::from_str(&var("TCP_OPTIONS")) {
        Ok(serde_json::Value::Object(options)) => options,
        _ => serde_json::Map::new(),
    };
    let tcp = TcpOptions::from_option(&PluginOption::Object {
        kind: TransporterKind::Tcp,
        options,
    })?;
    let protocol = if var("PROTOCOL") == "4" {
        ProtocolVersion::V4
    } else {
        ProtocolVersion::V5
    };
    let options = match var("BROKER_OPTIONS").as_str() {
        "" => moleculer::BrokerOptions::default(),
        json => serde_json::from_str(json).map_err(|err| {
            moleculer::Error::broker_options(format!("BROKER_OPTIONS: {err}"), None)
        })?,
    };
    let builder = ServiceBroker::builder()
        .options(options)
        .node_id(var("NODE_ID"))
        .namespace(var("NAMESPACE"))
        .protocol_version(protocol)
        .service(Worker);
    let builder = match var("TRANSPORTER") {
        url if url.is_empty() => builder.transporter(TcpTransporter::new(tcp)),
        url => builder.transporter_url(&url),
    };
    let broker = builder.build()?;
    broker.run().await
}
