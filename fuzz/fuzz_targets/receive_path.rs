//! Any bytes on any of a node's topics, through the whole receive path (the transporter's
//! sink, the receiving wrappers, decoding, dispatch, the handlers a packet starts): a panic
//! anywhere, even one a guard would contain, aborts the run. Every 256 inputs the node must
//! still answer a call.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use moleculer::transporter::{Bytes, FakeBus, FakeTransporter, IncomingSink, Transporter};
use moleculer::{CallOptions, ServiceBroker};

const TOPICS: [&str; 10] = [
    "MOL.REQ.target",
    "MOL.RES.target",
    "MOL.EVENT.target",
    "MOL.DISCOVER",
    "MOL.DISCOVER.target",
    "MOL.INFO",
    "MOL.INFO.target",
    "MOL.HEARTBEAT",
    "MOL.PING.target",
    "MOL.DISCONNECT",
];

struct Rig {
    runtime: tokio::runtime::Runtime,
    attacker: FakeTransporter,
    caller: ServiceBroker,
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{info}");
            std::process::abort();
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (attacker, caller) = runtime.block_on(async {
            let bus = FakeBus::new();
            let target = ServiceBroker::builder()
                .node_id("target")
                .transporter(FakeTransporter::new(bus.clone()))
                .build()
                .unwrap();
            let caller = ServiceBroker::builder()
                .node_id("caller")
                .transporter(FakeTransporter::new(bus.clone()))
                .build()
                .unwrap();
            target.start().await.unwrap();
            caller.start().await.unwrap();
            let attacker = FakeTransporter::new(bus);
            attacker.connect(IncomingSink::channel().0).await.unwrap();
            std::mem::forget(target);
            (attacker, caller)
        });
        Rig {
            runtime,
            attacker,
            caller,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let rig = rig();
    let topic = TOPICS[usize::from(first) % TOPICS.len()];
    rig.runtime.block_on(async {
        rig.attacker
            .publish(topic, Bytes::copy_from_slice(bytes))
            .await
            .unwrap();
        // Let the node take the message and run what it starts.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        if COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 256 == 0 {
            let options = CallOptions::new()
                .node_id("target")
                .timeout(Duration::from_secs(5));
            let answer: serde_json::Value = rig
                .caller
                .call_with("$node.health", serde_json::json!({}), options)
                .await
                .expect("the node still answers");
            assert!(answer.is_object());
        }
    });
});
