use tokio::sync::mpsc::UnboundedReceiver;

use super::*;
use crate::error::ErrorKind;

async fn connected(bus: &FakeBus) -> (FakeTransporter, UnboundedReceiver<Incoming>) {
    let transporter = FakeTransporter::new(bus.clone());
    let (tx, rx) = IncomingSink::channel();
    transporter.connect(tx).await.unwrap();
    (transporter, rx)
}

/// What arrived so far; delivery goes through the transporter's task, so let it run first.
async fn drain(rx: &mut UnboundedReceiver<Incoming>) -> Vec<Incoming> {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mut out = Vec::new();
    while let Ok(msg) = rx.try_recv() {
        out.push(msg);
    }
    out
}

#[tokio::test]
async fn two_transporters_exchange_messages() {
    let bus = FakeBus::new();
    let (a, mut rx_a) = connected(&bus).await;
    let (b, mut rx_b) = connected(&bus).await;
    a.subscribe("MOL.REQ.a").await.unwrap();
    b.subscribe("MOL.RES.b").await.unwrap();
    b.publish("MOL.REQ.a", Bytes::from_static(b"req"))
        .await
        .unwrap();
    a.publish("MOL.RES.b", Bytes::from_static(b"res"))
        .await
        .unwrap();
    a.publish("MOL.NOBODY", Bytes::from_static(b"x"))
        .await
        .unwrap();
    let got_a = drain(&mut rx_a).await;
    let got_b = drain(&mut rx_b).await;
    assert_eq!(got_a.len(), 1);
    assert_eq!(
        (got_a[0].topic.as_str(), &got_a[0].payload[..]),
        ("MOL.REQ.a", &b"req"[..])
    );
    assert_eq!(got_b.len(), 1);
    assert_eq!(got_b[0].payload, &b"res"[..]);
}

#[tokio::test]
async fn queue_group_delivers_each_message_once() {
    let bus = FakeBus::new();
    let (a, mut rx_a) = connected(&bus).await;
    let (b, mut rx_b) = connected(&bus).await;
    let (c, mut rx_c) = connected(&bus).await;
    a.subscribe_balanced("MOL.REQB.math.add", "math.add")
        .await
        .unwrap();
    b.subscribe_balanced("MOL.REQB.math.add", "math.add")
        .await
        .unwrap();
    // Another group on the same topic gets its own copy.
    c.subscribe_balanced("MOL.REQB.math.add", "other")
        .await
        .unwrap();
    for i in 0..10u8 {
        c.publish("MOL.REQB.math.add", Bytes::from(vec![i]))
            .await
            .unwrap();
    }
    let (got_a, got_b, got_c) = (
        drain(&mut rx_a).await,
        drain(&mut rx_b).await,
        drain(&mut rx_c).await,
    );
    assert_eq!(got_a.len() + got_b.len(), 10);
    assert_eq!((got_a.len(), got_b.len()), (5, 5), "round-robin");
    let mut all: Vec<u8> = got_a.iter().chain(&got_b).map(|m| m.payload[0]).collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    assert_eq!(got_c.len(), 10);
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let bus = FakeBus::new();
    let (a, mut rx_a) = connected(&bus).await;
    a.subscribe("MOL.INFO").await.unwrap();
    a.subscribe_balanced("MOL.INFO", "g").await.unwrap();
    a.publish("MOL.INFO", Bytes::from_static(b"1"))
        .await
        .unwrap();
    assert_eq!(drain(&mut rx_a).await.len(), 2);
    a.unsubscribe("MOL.INFO").await.unwrap();
    assert_eq!(bus.subscriber_count("MOL.INFO"), 0);
    a.publish("MOL.INFO", Bytes::from_static(b"2"))
        .await
        .unwrap();
    assert!(drain(&mut rx_a).await.is_empty());
}

#[tokio::test]
async fn disconnect_removes_all_subscriptions() {
    let bus = FakeBus::new();
    let (a, _rx_a) = connected(&bus).await;
    let (b, mut rx_b) = connected(&bus).await;
    a.subscribe("MOL.INFO").await.unwrap();
    a.subscribe_balanced("MOL.REQB.x", "x").await.unwrap();
    b.subscribe("MOL.INFO").await.unwrap();
    a.disconnect().await.unwrap();
    assert_eq!(bus.subscriber_count("MOL.INFO"), 1);
    assert_eq!(bus.subscriber_count("MOL.REQB.x"), 0);
    let err = a.publish("MOL.INFO", Bytes::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokerDisconnected);
    assert_eq!(
        a.subscribe("MOL.X").await.unwrap_err().kind(),
        ErrorKind::BrokerDisconnected
    );
    b.publish("MOL.INFO", Bytes::from_static(b"hi"))
        .await
        .unwrap();
    assert_eq!(drain(&mut rx_b).await.len(), 1);
    a.disconnect().await.unwrap();
}

#[tokio::test]
async fn buses_are_isolated() {
    let (bus1, bus2) = (FakeBus::new(), FakeBus::new());
    let (a, _rx_a) = connected(&bus1).await;
    let (b, mut rx_b) = connected(&bus2).await;
    b.subscribe("MOL.INFO").await.unwrap();
    a.publish("MOL.INFO", Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert!(drain(&mut rx_b).await.is_empty());
}

#[tokio::test]
async fn dead_receivers_are_removed() {
    let bus = FakeBus::new();
    let (a, rx_a) = connected(&bus).await;
    let (b, mut rx_b) = connected(&bus).await;
    a.subscribe("T").await.unwrap();
    a.subscribe_balanced("Q", "g").await.unwrap();
    b.subscribe_balanced("Q", "g").await.unwrap();
    drop(rx_a);
    // a's delivery task sees its receiver gone on the next message and ends.
    b.publish("T", Bytes::new()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for _ in 0..4 {
        b.publish("T", Bytes::new()).await.unwrap();
        b.publish("Q", Bytes::new()).await.unwrap();
    }
    assert_eq!(bus.subscriber_count("T"), 0);
    assert_eq!(bus.subscriber_count("Q"), 1);
    assert_eq!(
        drain(&mut rx_b).await.len(),
        4,
        "the live member gets every message"
    );
}
