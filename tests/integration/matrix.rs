//! The interop matrix: transporter {NATS, Redis, MQTT, AMQP} × serializer {JSON, MsgPack, Notepack,
//! CBOR; JSONExt on protocol 5; ProtoBuf, Avro, Thrift on protocol 4} × protocol {4 with Node
//! 0.14.35, 5 with Node 0.15.2}. In each cell a Rust node and a real Node node call each other
//! (params, meta, errors), emit events both ways and the Node node is seen leaving
//! (`wire::exchange_with`); and per transporter and protocol, two nodes of each kind balance
//! calls and events both ways (`wire::balancing`), on NATS and AMQP also with
//! `disableBalancer` (`wire::balancing_by_the_transporter`, `amqp::rabbitmq_balances`). Cells
//! run four at a time; the matrix is printed as a table at the
//! end, and written to `target/interop-matrix.md`, which `.ci/run` shows last. (The TCP transporter has its own suites: `interop_tcp`, `interop_serializers`.)

use std::sync::Arc;

use moleculer::options::{PluginKind, SerializerKind};
use moleculer::transporter::{
    AmqpOptions, AmqpTransporter, MqttOptions, MqttTransporter, NatsOptions, NatsTransporter,
    RedisOptions, RedisTransporter,
};
use moleculer_tests::node::{
    NodeVersion, amqp_available, amqp_url, mqtt_available, mqtt_url, nats_url,
    node_interop_available, redis_available, redis_url,
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Nats,
    Redis,
    Mqtt,
    Amqp,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Nats => "NATS",
            Transport::Redis => "Redis",
            Transport::Mqtt => "MQTT",
            Transport::Amqp => "AMQP",
        }
    }

    async fn available(self) -> bool {
        match self {
            Transport::Nats => node_interop_available().await,
            Transport::Redis => redis_available().await,
            Transport::Mqtt => mqtt_available().await,
            Transport::Amqp => amqp_available().await,
        }
    }

    /// The Node node's `transporter` option.
    fn node_option(self) -> Value {
        match self {
            Transport::Nats => json!(nats_url()),
            Transport::Redis => json!(redis_url()),
            Transport::Mqtt => json!(mqtt_url()),
            Transport::Amqp => json!(amqp_url()),
        }
    }

    /// Two nodes of each kind on NATS with `disableBalancer`: NATS's queue groups balance.
    async fn balance_by_nats(version: NodeVersion) {
        let t = || NatsTransporter::new(NatsOptions::new(nats_url()));
        let node = json!(nats_url());
        crate::wire::balancing_by_the_transporter("matrix-NATS", version, t, node).await;
    }

    /// Two nodes of each kind on this transport (JSON): balancing both ways.
    async fn balance(self, version: NodeVersion) {
        let what = format!("matrix-{}", self.name());
        let node = self.node_option();
        match self {
            Transport::Nats => {
                let t = || NatsTransporter::new(NatsOptions::new(nats_url()));
                crate::wire::balancing(&what, version, t, node).await;
            }
            Transport::Redis => {
                let t = || RedisTransporter::new(RedisOptions::new(redis_url()));
                crate::wire::balancing(&what, version, t, node).await;
            }
            Transport::Mqtt => {
                let t = || {
                    let option: moleculer::options::TransporterOption =
                        serde_json::from_value(json!(mqtt_url())).unwrap();
                    MqttTransporter::new(MqttOptions::from_option(&option).unwrap())
                };
                crate::wire::balancing(&what, version, t, node).await;
            }
            Transport::Amqp => {
                let t = || AmqpTransporter::new(AmqpOptions::new(amqp_url()));
                crate::wire::balancing(&what, version, t, node).await;
            }
        }
    }

    /// Whether it balances by itself, so that `disableBalancer` hands balancing to it.
    fn balances(self) -> bool {
        matches!(self, Transport::Nats | Transport::Amqp)
    }

    /// Two nodes of each kind with `disableBalancer`: the transporter balances.
    async fn balance_by_the_transporter(self, version: NodeVersion) {
        match self {
            Transport::Nats => Transport::balance_by_nats(version).await,
            Transport::Amqp => crate::amqp::rabbitmq_balances(version).await,
            Transport::Redis | Transport::Mqtt => {}
        }
    }

    async fn run(self, version: NodeVersion, serializer: SerializerKind) {
        let what = format!("matrix-{}", self.name());
        let node = self.node_option();
        match self {
            Transport::Nats => {
                let t = NatsTransporter::new(NatsOptions::new(nats_url()));
                crate::wire::exchange_with(&what, version, serializer, t, node).await;
            }
            Transport::Redis => {
                let t = RedisTransporter::new(RedisOptions::new(redis_url()));
                crate::wire::exchange_with(&what, version, serializer, t, node).await;
            }
            Transport::Mqtt => {
                let option: moleculer::options::TransporterOption =
                    serde_json::from_value(json!(mqtt_url())).unwrap();
                let t = MqttTransporter::new(MqttOptions::from_option(&option).unwrap());
                crate::wire::exchange_with(&what, version, serializer, t, node).await;
            }
            Transport::Amqp => {
                let t = AmqpTransporter::new(AmqpOptions::new(amqp_url()));
                crate::wire::exchange_with(&what, version, serializer, t, node).await;
            }
        }
    }
}

/// What a cell runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// Calls, errors, events and leaving, one node of each kind, on a serializer.
    Exchange(SerializerKind),
    /// Two nodes of each kind, JSON: balancing both ways.
    Balancing,
    /// The same with `disableBalancer` (transporters with a balancer of their own).
    DisabledBalancer,
}

impl Cell {
    fn name(self) -> &'static str {
        match self {
            Cell::Exchange(serializer) => serializer.name(),
            Cell::Balancing => "JSON, 2 + 2 nodes: balancing",
            Cell::DisabledBalancer => "JSON, 2 + 2 nodes: disableBalancer",
        }
    }
}

/// The serializers each protocol version has.
fn serializers(version: NodeVersion) -> Vec<SerializerKind> {
    let mut list = vec![
        SerializerKind::Json,
        SerializerKind::MsgPack,
        SerializerKind::Notepack,
        SerializerKind::Cbor,
    ];
    match version {
        NodeVersion::V15 => list.push(SerializerKind::JsonExt),
        NodeVersion::V14 => list.extend([
            SerializerKind::ProtoBuf,
            SerializerKind::Avro,
            SerializerKind::Thrift,
        ]),
    }
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transporters_serializers_and_protocols_with_node() {
    let mut transports = Vec::new();
    for transport in [
        Transport::Nats,
        Transport::Redis,
        Transport::Mqtt,
        Transport::Amqp,
    ] {
        if transport.available().await {
            transports.push(transport);
        }
    }
    if transports.is_empty() || !moleculer_tests::node::node_tcp_available() {
        return;
    }
    let slots = Arc::new(Semaphore::new(4));
    let mut cells = Vec::new();
    for &transport in &transports {
        for version in [NodeVersion::V14, NodeVersion::V15] {
            for serializer in serializers(version) {
                let slots = slots.clone();
                let task = tokio::spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    transport.run(version, serializer).await;
                });
                cells.push((transport, version, Cell::Exchange(serializer), task));
            }
            let slot = slots.clone();
            let task = tokio::spawn(async move {
                let _slot = slot.acquire_owned().await.unwrap();
                transport.balance(version).await;
            });
            cells.push((transport, version, Cell::Balancing, task));
            if transport.balances() {
                let slots = slots.clone();
                let task = tokio::spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    transport.balance_by_the_transporter(version).await;
                });
                cells.push((transport, version, Cell::DisabledBalancer, task));
            }
        }
    }
    let mut results = Vec::new();
    for (transport, version, serializer, task) in cells {
        let outcome = task.await.map_err(|err| match err.try_into_panic() {
            Ok(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned()),
            Err(err) => err.to_string(),
        });
        results.push((transport, version, serializer, outcome));
    }

    // The table: a row per transporter and serializer, a column per protocol version.
    let mut table = String::from(
        "\n| transporter | serializer | v4, Node 0.14.35 | v5, Node 0.15.2 |\n|---|---|---|---|\n",
    );
    for &transport in &transports {
        let mut kinds: Vec<Cell> = serializers(NodeVersion::V14)
            .into_iter()
            .map(Cell::Exchange)
            .collect();
        kinds.push(Cell::Exchange(SerializerKind::JsonExt));
        kinds.push(Cell::Balancing);
        if transport.balances() {
            kinds.push(Cell::DisabledBalancer);
        }
        for kind in kinds {
            let cell = |version: NodeVersion| {
                results
                    .iter()
                    .find(|(t, v, c, _)| *t == transport && *v == version && *c == kind)
                    .map_or(
                        "–",
                        |(.., outcome)| {
                            if outcome.is_ok() { "ok" } else { "FAILED" }
                        },
                    )
            };
            table.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                transport.name(),
                kind.name(),
                cell(NodeVersion::V14),
                cell(NodeVersion::V15)
            ));
        }
    }
    println!("{table}");
    // `.ci/run` prints it at the end of the run.
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop-matrix.md");
    if let Err(err) = std::fs::write(&file, &table) {
        println!(
            "the matrix could not be written to {}: {err}",
            file.display()
        );
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(t, v, s, outcome)| {
            outcome
                .as_ref()
                .err()
                .map(|why| format!("{} {} v{}: {why}", t.name(), s.name(), v.env_value()))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{table}\nfailed cells:\n{}",
        failed.join("\n")
    );
}
