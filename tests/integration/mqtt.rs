//! The MQTT transporter: a Rust node and a real Node.js Moleculer node (0.14 / protocol 4 and
//! 0.15 / protocol 5, both on mqtt.js) on the same broker, with Node's defaults (QoS 0, `.`
//! between topic parts), with `topicSeparator: "/"` and QoS 1, and over MQTT 5 with QoS 2:
//! calls, errors and events both ways, the Node node seen leaving. Rust nodes on a mosquitto
//! this test starts on its own port keep working across a restart of it. Skipped when the
//! broker (or `node`, or `mosquitto`) is missing, unless `MOLECULER_REQUIRE_BROKERS=1`.

use std::time::Duration;

use moleculer::options::TransporterOption;
use moleculer::prelude::*;
use moleculer::transporter::{MqttOptions, MqttTransporter};
use moleculer_tests::node::{
    NodeVersion, brokers_required, mqtt_available, mqtt_url, node_tcp_available,
};
use moleculer_tests::private_server::PrivateServer;
use moleculer_tests::{Recorder, free_port};
use serde_json::{Value, json};

use crate::wire::Rusty;

/// The `transporter` option both sides take: the broker's URL and `extra` options.
fn option(url: &str, extra: Value) -> Value {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
    let mut options = json!({ "host": host, "port": port.parse::<u16>().unwrap() });
    if let Value::Object(extra) = extra {
        options.as_object_mut().unwrap().extend(extra);
    }
    json!({ "type": "MQTT", "options": options })
}

fn transporter(option: &Value) -> MqttTransporter {
    let option: TransporterOption = serde_json::from_value(option.clone()).unwrap();
    MqttTransporter::new(MqttOptions::from_option(&option).unwrap())
}

async fn with_node(version: NodeVersion, extra: Value) {
    if !(mqtt_available().await && node_tcp_available()) {
        return;
    }
    let option = option(&mqtt_url(), extra);
    crate::wire::exchange("mqtt", version, transporter(&option), option).await;
}

#[tokio::test]
async fn rust_and_node_0_15_over_mqtt() {
    with_node(NodeVersion::V15, json!({})).await;
}

#[tokio::test]
async fn rust_and_node_0_14_over_mqtt_with_slashes_and_qos_1() {
    with_node(NodeVersion::V14, json!({ "topicSeparator": "/", "qos": 1 })).await;
}

#[tokio::test]
async fn rust_and_node_0_15_over_mqtt_5_with_qos_2() {
    with_node(NodeVersion::V15, json!({ "protocolVersion": 5, "qos": 2 })).await;
}

/// A private mosquitto on `port`, killed on drop; `None` when it is not installed.
fn private_mosquitto(port: u16) -> Option<PrivateServer> {
    PrivateServer::start("mosquitto", &["-p", &port.to_string()], port)
}

#[derive(Default)]
struct Echo;

#[service(name = "echo", register = false)]
impl Echo {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }
}

#[tokio::test]
async fn nodes_survive_a_broker_restart() {
    let port = free_port();
    let Some(mut broker) = private_mosquitto(port) else {
        assert!(!brokers_required(), "mosquitto is not installed");
        println!("skipped: mosquitto is not installed");
        return;
    };
    let option = option(
        &format!("mqtt://127.0.0.1:{port}"),
        json!({ "reconnectPeriod": 100, "topicSeparator": "/" }),
    );
    let seen = Recorder::default();
    let build = |id: &str| {
        ServiceBroker::builder()
            .node_id(id)
            .namespace("mqtt-restart")
            .transporter(transporter(&option))
    };
    let a = build("a")
        .service(Rusty { seen: seen.clone() })
        .build()
        .unwrap();
    let b = build("b").service(Echo).build().unwrap();
    b.start().await.unwrap();
    a.start().await.unwrap();
    a.wait_for_services(&["echo"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let first: Value = a.call("echo.echo", json!({ "n": 1 })).await.unwrap();
    assert_eq!(first, json!({ "n": 1 }));

    drop(broker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    broker = private_mosquitto(port).unwrap();
    let answer = moleculer_tests::call_until_answered(
        &a,
        "echo.echo",
        json!({ "n": 2 }),
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(answer, json!({ "n": 2 }));
    moleculer_tests::eventually!(
        "a reconnect is announced",
        Duration::from_secs(10),
        seen.take()
            .iter()
            .any(|e| e["connected"] == json!({ "wasReconnect": true }))
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    drop(broker);
}

/// A private mosquitto on `port` that speaks TLS only, with `pki`'s `server` certificate.
/// (Started as root, mosquitto would switch to its own user, which cannot read the test's
/// key: `user root` keeps it as it is; it is ignored when not root.)
fn private_tls_mosquitto(port: u16, pki: &moleculer_tests::pki::Pki) -> Option<PrivateServer> {
    let config = format!(
        "user root\nlistener {port} 127.0.0.1\nallow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}\n",
        pki.path("ca.pem"),
        pki.path("server.pem"),
        pki.path("server-key.pem"),
    );
    let file = pki.path("mosquitto.conf");
    std::fs::write(&file, config).expect("the mosquitto config");
    PrivateServer::start("mosquitto", &["-c", &file], port)
}

/// A Rust node and a Node node (mqtt.js) on a mosquitto that speaks TLS only (`mqtts://`):
/// both check the broker's certificate against the test's CA; a Rust node that trusts
/// another CA cannot connect.
#[tokio::test]
async fn rust_and_node_over_mqtt_with_tls() {
    use moleculer_tests::pki::{Pki, openssl_available};
    if !(openssl_available() && node_tcp_available()) {
        return;
    }
    let pki = Pki::new("mqtt-tls");
    pki.issue("server", "IP:127.0.0.1", "serverAuth");
    let port = free_port();
    let Some(_broker) = private_tls_mosquitto(port, &pki) else {
        assert!(!brokers_required(), "mosquitto is not installed");
        println!("skipped: mosquitto is not installed");
        return;
    };
    let rust_option = |ca: &str| {
        json!({ "type": "MQTT", "options": {
            "url": format!("mqtts://127.0.0.1:{port}"), "tls": { "caFile": ca }
        }})
    };
    let ns = moleculer_tests::unique_namespace("mqtt-tls");
    let rust = ServiceBroker::builder()
        .node_id("rust-tls")
        .namespace(&ns)
        .transporter(transporter(&rust_option(&pki.path("ca.pem"))))
        .service(Rusty::default())
        .build()
        .unwrap();
    rust.start().await.unwrap();
    let ca = std::fs::read_to_string(pki.path("ca.pem")).unwrap();
    let mut peer = moleculer_tests::node::NodePeer::spawn_with(
        NodeVersion::V15,
        "node-tls",
        &ns,
        &["math"],
        &json!({ "transporter": { "type": "MQTT", "options": {
            "host": "127.0.0.1", "port": port, "protocol": "mqtts", "ca": ca,
            "rejectUnauthorized": true
        }}}),
    )
    .await
    .expect("the Node peer starts");
    rust.wait_for_services(&["math"], Some(Duration::from_secs(30)))
        .await
        .unwrap();
    let sum: f64 = rust
        .call("math.add", json!({ "a": 1, "b": 2 }))
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    peer.wait_for_services(&["rusty"], Duration::from_secs(30))
        .await
        .unwrap();
    let who = peer
        .call("rusty.whoami", json!({ "x": 1 }), Value::Null)
        .await
        .unwrap();
    assert_eq!(who["params"], json!({ "x": 1 }));

    // A node that trusts another CA does not get in.
    let rogue = Pki::new("mqtt-tls-rogue");
    let stranger = transporter(&rust_option(&rogue.path("ca.pem")));
    moleculer_tests::assert_cannot_connect("stranger", &ns, stranger).await;
    peer.stop().await.unwrap();
    rust.stop().await.unwrap();
}
