//! Middleware wrappers around the transit layer (`transit_publish`,
//! `transit_message_handler`) and the transporter (`transporter_send`,
//! `transporter_receive`), between brokers on one in-memory bus.

use std::sync::Arc;
use std::time::Duration;

use moleculer::middleware::{
    MessageHandler, Middleware, PublishHandler, ReceiveHandler, ReceivedMessage, ReceivedPacket,
    SendHandler, TransitPacket, WireMessage,
};
use moleculer::prelude::*;
use moleculer::protocol::{Packet, PacketType};
use moleculer::transporter::{FakeBus, FakeTransporter, IncomingSink, Transporter};
use moleculer::{BrokerBuilder, ErrorKind};
use moleculer_tests::{Recorder, Xor, xor};
use serde_json::{Value, json};

struct Echo {
    log: Recorder,
}

#[service(name = "echo", register = false)]
impl Echo {
    #[action]
    async fn say(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[event(name = "wire.*")]
    async fn heard(&self, ctx: EventContext) {
        self.log
            .push(json!({ "event": ctx.event_name(), "payload": ctx.params }));
    }
}

fn node(id: &str) -> BrokerBuilder {
    ServiceBroker::builder().node_id(id)
}

/// Records the type of every packet it publishes; adds `"via": "publish"` to event payloads.
struct PublishSpy(Recorder);

impl Middleware for PublishSpy {
    fn transit_publish(&self, next: &PublishHandler) -> Option<PublishHandler> {
        let next = next.clone();
        let log = self.0.clone();
        Some(Arc::new(move |mut out: TransitPacket| {
            log.push(json!(out.packet.packet_type().as_str()));
            if let Packet::Event(event) = &mut out.packet
                && let Ok(Some(data)) = event.data.json_mut().map(Value::as_object_mut)
            {
                data.insert("via".into(), json!("publish"));
            }
            next(out)
        }))
    }
}

#[tokio::test]
async fn a_publish_wrapper_sees_every_packet_and_may_change_it() {
    let sent = Recorder::default();
    let heard = Recorder::default();
    let (server, client) = moleculer_tests::started_on_one_bus(
        node("mw-pub-server").service(Echo { log: heard.clone() }),
        node("mw-pub-client").middleware(PublishSpy(sent.clone())),
        "echo",
    )
    .await;
    let echoed: Value = client.call("echo.say", json!({ "a": 1 })).await.unwrap();
    assert_eq!(echoed, json!({ "a": 1 }));
    client.emit("wire.ping", json!({ "n": 1 })).await.unwrap();
    assert!(heard.wait_for(1, Duration::from_secs(5)).await);
    // The event's payload was changed on its way out.
    assert_eq!(
        heard.take(),
        [json!({ "event": "wire.ping", "payload": { "n": 1, "via": "publish" } })]
    );
    let sent = sent.take_strings();
    for ty in ["DISCOVER", "INFO", "REQ", "EVENT"] {
        assert!(sent.contains(&ty.to_owned()), "{ty} not in {sent:?}");
    }
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}

/// Records `"<type> from <sender>"` for every received packet; drops `wire.dropped` events.
struct MessageSpy(Recorder);

impl Middleware for MessageSpy {
    fn transit_message_handler(&self, next: &MessageHandler) -> Option<MessageHandler> {
        let next = next.clone();
        let log = self.0.clone();
        Some(Arc::new(move |received: ReceivedPacket| {
            let envelope = &received.envelope;
            log.push(json!(format!(
                "{} from {}",
                envelope.packet.packet_type(),
                envelope.sender
            )));
            if let Packet::Event(event) = &envelope.packet
                && event.event == "wire.dropped"
            {
                return;
            }
            next(received);
        }))
    }
}

#[tokio::test]
async fn a_message_handler_wrapper_sees_received_packets_and_may_drop_them() {
    let received = Recorder::default();
    let heard = Recorder::default();
    let (server, client) = moleculer_tests::started_on_one_bus(
        node("mw-msg-server")
            .service(Echo { log: heard.clone() })
            .middleware(MessageSpy(received.clone())),
        node("mw-msg-client"),
        "echo",
    )
    .await;
    let echoed: Value = client.call("echo.say", json!({ "b": 2 })).await.unwrap();
    assert_eq!(echoed, json!({ "b": 2 }));
    client.emit("wire.dropped", json!({})).await.unwrap();
    client.emit("wire.kept", json!({})).await.unwrap();
    assert!(heard.wait_for(1, Duration::from_secs(5)).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        heard.take(),
        [json!({ "event": "wire.kept", "payload": {} })]
    );
    let received = received.take_strings();
    for seen in ["INFO from mw-msg-client", "REQ from mw-msg-client"] {
        assert!(
            received.contains(&seen.to_owned()),
            "{seen} not in {received:?}"
        );
    }
    let events = received
        .iter()
        .filter(|s| *s == "EVENT from mw-msg-client")
        .count();
    assert_eq!(events, 2, "{received:?}");
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn byte_wrappers_change_the_bytes_on_the_wire() {
    let bus = FakeBus::new();
    // A listener of its own on the bus, to see the bytes as they travel.
    let tap = FakeTransporter::new(bus.clone());
    let (sink, mut tapped) = IncomingSink::channel();
    tap.connect(sink).await.unwrap();
    tap.subscribe("MOL.INFO").await.unwrap();

    let on_bus = |builder: BrokerBuilder| {
        builder
            .transporter(FakeTransporter::new(bus.clone()))
            .build()
            .unwrap()
    };
    let heard = Recorder::default();
    let server = on_bus(
        node("mw-xor-server")
            .middleware(Xor(0x5a))
            .service(Echo { log: heard.clone() }),
    );
    let client = on_bus(node("mw-xor-client").middleware(Xor(0x5a)));
    let outsider = on_bus(node("mw-xor-outsider"));
    for broker in [&server, &client, &outsider] {
        broker.start().await.unwrap();
    }
    client
        .wait_for_services(&["echo"], Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let echoed: Value = client.call("echo.say", json!({ "c": 3 })).await.unwrap();
    assert_eq!(echoed, json!({ "c": 3 }));
    client.emit("wire.secret", json!({ "d": 4 })).await.unwrap();
    assert!(heard.wait_for(1, Duration::from_secs(5)).await);

    // The bytes on the wire are not JSON; XORed back they are the packet.
    let msg = tokio::time::timeout(Duration::from_secs(5), tapped.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(serde_json::from_slice::<Value>(&msg.payload).is_err());
    let packet: Value = serde_json::from_slice(&xor(&msg.payload, 0x5a)).unwrap();
    assert!(
        packet["sender"].as_str().unwrap().starts_with("mw-xor-"),
        "{packet}"
    );

    // A node without the transform cannot read the others, nor they it.
    let err = outsider
        .wait_for_services(&["echo"], Some(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("WAITFOR_SERVICES"));
    let err = outsider
        .call::<Value, _>("echo.say", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
    let nodes: Value = client.call("$node.list", json!({})).await.unwrap();
    let ids: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(!ids.contains(&"mw-xor-outsider"), "{ids:?}");
    for broker in [&outsider, &client, &server] {
        broker.stop().await.unwrap();
    }
}

/// Appends its tag byte to what it sends; checks and strips it from what it receives (and
/// drops a message without it). Records its steps for requests.
struct Tag {
    tag: u8,
    log: Recorder,
}

impl Middleware for Tag {
    fn transporter_send(&self, next: &SendHandler) -> Option<SendHandler> {
        let next = next.clone();
        let (tag, log) = (self.tag, self.log.clone());
        Some(Arc::new(move |mut msg: WireMessage| {
            if msg.packet_type == PacketType::Request {
                log.push(json!(format!("{} send", tag as char)));
            }
            let mut data = msg.data.to_vec();
            data.push(tag);
            msg.data = data.into();
            next(msg)
        }))
    }

    fn transporter_receive(&self, next: &ReceiveHandler) -> Option<ReceiveHandler> {
        let next = next.clone();
        let (tag, log) = (self.tag, self.log.clone());
        Some(Arc::new(move |mut msg: ReceivedMessage| {
            if msg.packet_type == PacketType::Request {
                log.push(json!(format!("{} receive", tag as char)));
            }
            if msg.data.last() == Some(&tag) {
                msg.data = msg.data.slice(..msg.data.len() - 1);
                next(msg);
            }
        }))
    }
}

#[tokio::test]
async fn receive_wrappers_undo_send_wrappers_in_mirror_order() {
    let (client_log, server_log) = (Recorder::default(), Recorder::default());
    let tagged = |builder: BrokerBuilder, log: &Recorder| {
        builder
            .middleware(Tag {
                tag: b'a',
                log: log.clone(),
            })
            .middleware(Tag {
                tag: b'b',
                log: log.clone(),
            })
    };
    let (server, client) = moleculer_tests::started_on_one_bus(
        tagged(
            node("mw-tag-server").service(Echo {
                log: Recorder::default(),
            }),
            &server_log,
        ),
        tagged(node("mw-tag-client"), &client_log),
        "echo",
    )
    .await;
    let echoed: Value = client.call("echo.say", json!({ "e": 5 })).await.unwrap();
    assert_eq!(echoed, json!({ "e": 5 }));
    // Sending: the last added runs first (its tag is inside); receiving: the first added
    // runs first, stripping the outer tag.
    assert_eq!(client_log.take_strings(), ["b send", "a send"]);
    assert_eq!(server_log.take_strings(), ["a receive", "b receive"]);
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}
