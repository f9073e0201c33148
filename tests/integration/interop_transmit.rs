//! Node's transmit middlewares (`Middlewares.Transmit.Compression` and `.Encryption`) against
//! the Rust ones, with real Node 0.14 and 0.15 nodes over NATS and TCP, with the JSON, MsgPack
//! and (0.14) schema serializers: calls both ways with
//! small (flagged, not compressed) and large (compressed) params, and events. A node with
//! another key sees nothing of the cluster.

use std::time::Duration;

use moleculer::ServiceBroker;
use moleculer::middleware::transmit::{Compression, CompressionMethod, Encryption};
use moleculer::options::SerializerKind;
use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter, tcp::PeerUrls};
use moleculer_tests::free_port;
use moleculer_tests::node::{NodePeer, NodeVersion, nats_url, node_interop_available};
use serde_json::{Value, json};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const IV: &str = "fedcba9876543210";

#[derive(Default)]
struct Echo;

#[service(name = "recho", register = false)]
impl Echo {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(json!({ "params": ctx.params, "nodeID": ctx.node_id() }))
    }
}

/// One cluster of a Rust node and a Node node, both with these transmit middlewares.
struct Case {
    version: NodeVersion,
    tcp: bool,
    serializer: Option<SerializerKind>,
    /// `None`: no encryption; `Some(true)`: key and IV; `Some(false)`: a password alone
    /// (0.14's `createCipher`).
    encryption: Option<bool>,
    compression: Option<(CompressionMethod, &'static str)>,
}

impl Case {
    fn node_options(&self, node_port: u16) -> Value {
        let mut o = json!({});
        if let Some(s) = self.serializer {
            o["serializer"] = json!(moleculer::options::PluginKind::name(s));
        }
        if self.tcp {
            o["transporter"] = json!({ "type": "TCP", "options": {
                "udpDiscovery": false, "port": node_port, "gossipPeriod": 1,
            }});
        }
        let mut transmit = json!({});
        match self.encryption {
            Some(true) => {
                transmit["encryption"] =
                    json!({ "password": KEY, "algorithm": "aes-256-cbc", "iv": IV })
            }
            Some(false) => transmit["encryption"] = json!({ "password": "s3cret" }),
            None => {}
        }
        if let Some((method, threshold)) = self.compression {
            transmit["compression"] = json!({ "method": method.name(), "threshold": threshold });
        }
        o["transmit"] = transmit;
        o
    }

    fn rust_node(&self, ns: &str, node_port: u16, key: &str) -> ServiceBroker {
        let mut builder = ServiceBroker::builder()
            .node_id("rust-tx")
            .namespace(ns)
            .protocol_version(self.version.protocol_version())
            .request_timeout(Duration::from_secs(5))
            .service(Echo);
        if let Some(s) = self.serializer {
            builder = builder.serializer(s);
        }
        // The same order as Node's `middlewares: [Encryption, Compression]`.
        match self.encryption {
            Some(true) => {
                let e = Encryption::new("aes-256-cbc", key.as_bytes(), IV.as_bytes()).unwrap();
                builder = builder.middleware(e);
            }
            Some(false) => {
                let e = Encryption::from_password("aes-256-cbc", key.as_bytes()).unwrap();
                builder = builder.middleware(e);
            }
            None => {}
        }
        if let Some((method, threshold)) = self.compression {
            let threshold = Compression::parse_threshold(threshold).unwrap();
            builder = builder.middleware(Compression::new(method).with_threshold(Some(threshold)));
        }
        builder = if self.tcp {
            let mut o = TcpOptions::default();
            o.udp_discovery = false;
            o.port = Some(free_port());
            o.urls = Some(PeerUrls::List(vec![format!(
                "127.0.0.1:{node_port}/node-tx"
            )]));
            o.gossip_period = Duration::from_secs(1);
            builder.transporter(TcpTransporter::new(o))
        } else {
            builder.transporter_url(&nats_url())
        };
        builder.build().unwrap()
    }

    async fn run(self) {
        if !node_interop_available().await {
            return;
        }
        let what = format!(
            "v{} tcp={} {:?} enc={:?} {:?}",
            self.version.env_value(),
            self.tcp,
            self.serializer,
            self.encryption,
            self.compression
        );
        let ns = moleculer_tests::unique_namespace("transmit");
        let node_port = free_port();
        let mut peer = NodePeer::spawn_with(
            self.version,
            "node-tx",
            &ns,
            &["echo"],
            &self.node_options(node_port),
        )
        .await
        .expect("the Node peer starts");
        let key = if self.encryption == Some(false) {
            "s3cret"
        } else {
            KEY
        };
        let rust = self.rust_node(&ns, node_port, key);
        rust.start().await.unwrap();
        rust.wait_for_services(&["echo"], Some(Duration::from_secs(30)))
            .await
            .unwrap_or_else(|err| panic!("{what}: {err}"));
        peer.wait_for_services(&["recho"], Duration::from_secs(30))
            .await
            .unwrap();

        let large = json!({ "text": "moleculer ".repeat(600), "n": 0.5 });
        let small = json!({ "x": 1 });
        for params in [&small, &large] {
            let echo: Value = rust.call("echo.echo", params.clone()).await.unwrap();
            assert_eq!(&echo["params"], params, "{what}");
            let back = peer
                .call("recho.echo", params.clone(), Value::Null)
                .await
                .unwrap();
            assert_eq!(&back["params"], params, "{what}");
            assert_eq!(back["nodeID"], "node-tx", "{what}");
        }
        rust.stop().await.unwrap();

        // A Rust node with another key: Node's packets do not open, it sees no service.
        if self.encryption.is_some() {
            let outsider = self.rust_node(&ns, node_port, "ffffffffffffffffffffffffffffffff");
            outsider.start().await.unwrap();
            let seen = outsider
                .wait_for_services(&["echo"], Some(Duration::from_secs(3)))
                .await;
            assert!(seen.is_err(), "{what}: a node with another key joined");
            outsider.stop().await.unwrap();
        }
        peer.stop().await.unwrap();
    }
}

#[tokio::test]
async fn compression_with_node_0_15_over_nats() {
    Case {
        version: NodeVersion::V15,
        tcp: false,
        serializer: None,
        encryption: None,
        compression: Some((CompressionMethod::Deflate, "1kb")),
    }
    .run()
    .await;
}

#[tokio::test]
async fn encryption_and_gzip_with_node_0_15_over_tcp() {
    Case {
        version: NodeVersion::V15,
        tcp: true,
        serializer: None,
        encryption: Some(true),
        compression: Some((CompressionMethod::Gzip, "512")),
    }
    .run()
    .await;
}

#[tokio::test]
async fn password_encryption_and_raw_deflate_with_node_0_14_over_nats() {
    Case {
        version: NodeVersion::V14,
        tcp: false,
        serializer: None,
        encryption: Some(false),
        compression: Some((CompressionMethod::DeflateRaw, "1kb")),
    }
    .run()
    .await;
}

#[tokio::test]
async fn msgpack_encrypted_and_compressed_with_node_0_15_over_nats() {
    Case {
        version: NodeVersion::V15,
        tcp: false,
        serializer: Some(SerializerKind::MsgPack),
        encryption: Some(true),
        compression: Some((CompressionMethod::Deflate, "1kb")),
    }
    .run()
    .await;
}

#[tokio::test]
async fn protobuf_encrypted_and_compressed_with_node_0_14_over_tcp() {
    Case {
        version: NodeVersion::V14,
        tcp: true,
        serializer: Some(SerializerKind::ProtoBuf),
        encryption: Some(false),
        compression: Some((CompressionMethod::Gzip, "1kb")),
    }
    .run()
    .await;
}

#[tokio::test]
async fn avro_and_thrift_compressed_with_node_0_14_over_nats() {
    for serializer in [SerializerKind::Avro, SerializerKind::Thrift] {
        Case {
            version: NodeVersion::V14,
            tcp: false,
            serializer: Some(serializer),
            encryption: None,
            compression: Some((CompressionMethod::Deflate, "512")),
        }
        .run()
        .await;
    }
}
