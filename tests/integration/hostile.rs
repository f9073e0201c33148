//! No packet can silence a node: every packet type Node sends (the captured fixtures), with
//! each of its fields replaced by hostile values (huge, negative, of the wrong type, long),
//! is sent to a node, which must go on answering calls, and answer a request whose timeout is
//! out of any range.

use std::path::Path;
use std::time::Duration;

use moleculer::prelude::*;
use moleculer::transporter::{Bytes, FakeBus, FakeTransporter, IncomingSink, Transporter};
use serde_json::{Value, json};

#[derive(Default)]
struct Echo;

#[service(name = "echo", register = false)]
impl Echo {
    #[action]
    async fn echo(&self, ctx: Context) -> Result<Value> {
        Ok(ctx.params)
    }

    #[action]
    async fn deeper(&self, ctx: Context) -> Result<Value> {
        // A sub-call from a request of any level.
        ctx.call("echo.echo", json!({ "level": ctx.level() })).await
    }
}

/// The payloads and subjects of the captured v5 JSON packets.
fn fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/packets");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the packet fixtures") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (Some(cmd), Some(payload)) = (fixture["cmd"].as_str(), fixture.get("payload")) else {
            continue;
        };
        out.push((cmd.to_owned(), payload.clone()));
    }
    assert!(out.len() > 10, "fixtures found in {}", dir.display());
    out
}

fn hostile_values() -> Vec<Value> {
    vec![
        json!(1e300),
        json!(-1e300),
        json!(4_294_967_296_u64),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(-1),
        json!(0.5),
        json!("x"),
        Value::Null,
        json!([]),
        json!({}),
        json!(true),
        Value::String("é".repeat(50_000)),
    ]
}

#[tokio::test]
async fn no_packet_silences_a_node() {
    let bus = FakeBus::new();
    let server = ServiceBroker::builder()
        .node_id("target")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Echo)
        .build()
        .unwrap();
    let client = ServiceBroker::builder()
        .node_id("caller")
        // A node that stopped answering fails the calls instead of hanging the test.
        .request_timeout(Duration::from_secs(5))
        .transporter(FakeTransporter::new(bus.clone()))
        .build()
        .unwrap();
    server.start().await.unwrap();
    client.start().await.unwrap();
    client
        .wait_for_services(&["echo"], Some(Duration::from_secs(5)))
        .await
        .unwrap();

    // The attacker: a bare transporter on the same bus.
    let attacker = FakeTransporter::new(bus);
    let (sink, mut answers) = IncomingSink::channel();
    attacker.connect(sink).await.unwrap();
    attacker.subscribe("MOL.RES.hostile").await.unwrap();

    let mut sent = 0;
    for (cmd, payload) in fixtures() {
        let topic = match cmd.as_str() {
            "INFO" | "DISCOVER" | "HEARTBEAT" | "DISCONNECT" => format!("MOL.{cmd}"),
            _ => format!("MOL.{cmd}.target"),
        };
        let Value::Object(fields) = payload else {
            continue;
        };
        for key in fields.keys() {
            for value in hostile_values() {
                let mut packet = fields.clone();
                packet.insert("sender".into(), json!("hostile"));
                packet.insert(key.clone(), value);
                let bytes = Bytes::from(serde_json::to_vec(&packet).unwrap());
                attacker.publish(&topic, bytes).await.unwrap();
                sent += 1;
            }
        }
        // Bytes that are not JSON at all, and cut-off JSON.
        attacker
            .publish(&topic, Bytes::from_static(b"\xff\x00{"))
            .await
            .unwrap();
        attacker
            .publish(&topic, Bytes::from_static(b"{\"ver\":\"5\",\"id\":"))
            .await
            .unwrap();
        // After each packet type, the node still answers (the hostile INFOs may announce
        // services of their own: the call goes to the target by name).
        let answered: Value = client
            .call_with(
                "echo.echo",
                json!({ "after": cmd }),
                CallOptions::new().node_id("target"),
            )
            .await
            .unwrap_or_else(|err| panic!("the node stopped answering after {cmd} packets: {err}"));
        assert_eq!(answered, json!({ "after": cmd }));
    }
    assert!(sent > 1_000, "{sent} hostile packets");

    // Numbers out of every range in a request: no timeout, the deepest level, and still an
    // answer to the sender.
    while answers.try_recv().is_ok() {}
    let request = json!({
        "ver": "5", "sender": "hostile", "id": "h-1", "action": "echo.deeper", "params": {},
        "meta": {}, "headers": {}, "timeout": 1e300, "level": u32::MAX, "tracing": null,
        "parentID": null, "requestID": "h-1", "caller": null, "stream": false,
    });
    attacker
        .publish(
            "MOL.REQ.target",
            Bytes::from(serde_json::to_vec(&request).unwrap()),
        )
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let message = answers.recv().await.expect("the attacker's sink");
            let response: Value = serde_json::from_slice(&message.payload).unwrap();
            if response["id"] == "h-1" {
                return response;
            }
        }
    })
    .await
    .expect("the out-of-range request is answered");
    assert_eq!(answer["sender"], "target");
    // Past `maxCallLevel` (none by default) the sub-call runs at the saturated level.
    assert_eq!(answer["success"], true, "{answer}");

    let answered: Value = client
        .call_with(
            "echo.echo",
            json!({ "last": true }),
            CallOptions::new().node_id("target"),
        )
        .await
        .unwrap();
    assert_eq!(answered, json!({ "last": true }));
    client.stop().await.unwrap();
    server.stop().await.unwrap();
}

/// A flood of DISCOVER packets is not answered one INFO for one (Node answers each): one
/// answer per sender per second.
#[tokio::test]
async fn a_discover_flood_gets_one_answer() {
    let bus = FakeBus::new();
    let server = ServiceBroker::builder()
        .node_id("flooded")
        .transporter(FakeTransporter::new(bus.clone()))
        .service(Echo)
        .build()
        .unwrap();
    server.start().await.unwrap();
    let attacker = FakeTransporter::new(bus);
    let (sink, mut answers) = IncomingSink::channel();
    attacker.connect(sink).await.unwrap();
    attacker.subscribe("MOL.INFO.flood").await.unwrap();
    let discover = Bytes::from_static(br#"{"ver":"5","sender":"flood"}"#);
    for _ in 0..500 {
        attacker
            .publish("MOL.DISCOVER", discover.clone())
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut infos = 0;
    while answers.try_recv().is_ok() {
        infos += 1;
    }
    assert_eq!(infos, 1, "one INFO for 500 DISCOVER packets");
    server.stop().await.unwrap();
}
