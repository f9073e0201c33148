//! Gossip (Node's TCP transporter, `src/transporters/tcp.js`): with a transporter that carries
//! no `DISCOVER`/`INFO`/`HEARTBEAT`/`DISCONNECT`, nodes learn about each other by telling a
//! random peer, every gossip period, the seq and CPU of every node they know; the peer
//! answers with what is newer on its side (whole INFOs, CPU rows, offline seqs).
//!
//! The transporter reports what it learns itself (discovery datagrams, `GOSSIP_HELLO`s,
//! lost connections) through [`TransitPeers`], the broker's [`PeerDirectory`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Transit;
use super::discovery::{self, CpuMeter};
use crate::protocol::packet::ser::JsNumber;
use crate::protocol::{GossipHello, GossipReq, GossipRes, Info, Packet};
use crate::service::BoxFuture;
use crate::transporter::{PeerAddress, PeerDirectory, PeerEvent};

/// The local node's side of gossip.
#[derive(Debug)]
pub(crate) struct GossipState {
    period: Duration,
    /// Bumped each time the sampled CPU usage changes, so peers keep the newest.
    cpu_seq: AtomicU64,
    /// The last sampled CPU usage (f64 bits).
    cpu: AtomicU64,
}

impl GossipState {
    pub(crate) fn new(period: Duration) -> GossipState {
        GossipState {
            period,
            cpu_seq: AtomicU64::new(0),
            cpu: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn cpu(&self) -> (u64, f64) {
        (
            self.cpu_seq.load(Ordering::Relaxed),
            f64::from_bits(self.cpu.load(Ordering::Relaxed)),
        )
    }
}

/// Every gossip period: sample the CPU, then send a `GOSSIP_REQ`.
pub(crate) fn spawn_timer(transit: Weak<Transit>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(period) = transit
            .upgrade()
            .and_then(|t| Some(t.gossip.as_ref()?.period))
        else {
            return;
        };
        let mut cpu = CpuMeter::new();
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(transit) = transit.upgrade() else {
                return;
            };
            let Some(state) = transit.gossip.as_ref() else {
                return;
            };
            let sample = cpu.sample();
            if f64::from_bits(state.cpu.swap(sample.to_bits(), Ordering::Relaxed)) != sample
                || state.cpu_seq.load(Ordering::Relaxed) == 0
            {
                state.cpu_seq.fetch_add(1, Ordering::Relaxed);
            }
            transit.registry.set_local_cpu(sample);
            send_request(&transit).await;
        }
    })
}

/// `GOSSIP_REQ` to a random online node, and with a probability that grows with the share
/// of offline nodes, to a random offline one (so a node that came back is found).
async fn send_request(cluster: &Arc<Transit>) {
    let rows = cluster.registry.nodes.gossip_rows();
    if rows.is_empty() {
        return;
    }
    let mut online = Map::new();
    let mut offline = Map::new();
    let (seq, cpu_seq, cpu) = local_row(cluster);
    online.insert(
        cluster.node_id.to_string(),
        json!([seq, cpu_seq, cpu_value(cpu)]),
    );
    let mut online_ids = Vec::new();
    let mut offline_ids = Vec::new();
    for (id, available, seq, cpu_seq, cpu) in rows {
        if available {
            online.insert(id.clone(), json!([seq, cpu_seq, cpu_value(cpu)]));
            online_ids.push(id);
        } else {
            if seq > 0 {
                offline.insert(id.clone(), json!(seq));
            }
            offline_ids.push(id);
        }
    }
    let packet = Packet::GossipReq(GossipReq {
        online: Some(online),
        offline: (!offline.is_empty()).then_some(offline),
    });
    let ratio = offline_ids.len() as f64 / (online_ids.len() + 1) as f64;
    let to_offline = (ratio >= 1.0 || fastrand::f64() < ratio)
        .then(|| pick(&offline_ids))
        .flatten();
    match (pick(&online_ids), to_offline) {
        (Some(online), Some(offline)) => {
            send_to(cluster, packet.clone(), online).await;
            send_to(cluster, packet, offline).await;
        }
        (Some(id), None) | (None, Some(id)) => send_to(cluster, packet, id).await,
        (None, None) => {}
    }
}

fn pick(ids: &[String]) -> Option<&String> {
    (!ids.is_empty()).then(|| &ids[fastrand::usize(..ids.len())])
}

/// Sends a gossip packet; an unreachable node is already marked lost by the transporter.
async fn send_to(cluster: &Transit, packet: Packet, node_id: &str) {
    let ty = packet.packet_type();
    if let Err(err) = cluster.send(packet, Some(node_id)).await {
        tracing::debug!(node_id, packet = %ty, error = %err, "gossip not delivered");
    }
}

/// `(seq, cpuSeq, cpu)` of the local node.
fn local_row(cluster: &Transit) -> (u64, u64, f64) {
    let seq = cluster.registry.local_seq();
    let (cpu_seq, cpu) = cluster.gossip.as_ref().map_or((0, 0.0), GossipState::cpu);
    (seq, cpu_seq, cpu)
}

/// The local node's INFO as gossip carries it: with the TCP `port`.
fn local_info(cluster: &Transit) -> Value {
    let mut info = cluster.local_info(false);
    info.port = cluster.transporter.local_port();
    info_value(&info)
}

/// An INFO object as Node keeps it in `rawInfo` (the INFO body, no `ver`/`sender`).
fn info_value(info: &Info) -> Value {
    serde_json::to_value(info).unwrap_or(Value::Null)
}

/// A CPU usage as `JSON.stringify` writes it (Node's rounded percentages: `12`, not `12.0`).
fn cpu_value(cpu: f64) -> Value {
    serde_json::to_value(JsNumber(cpu)).unwrap_or(Value::Null)
}

/// What a `GOSSIP_REQ` says of one node.
enum Said {
    /// Nothing (or a zero seq): the requester does not know it.
    Nothing,
    /// Offline, at this seq.
    Offline(u64),
    /// Online, at this seq, with this CPU row.
    Online { seq: u64, cpu_seq: u64, cpu: f64 },
}

impl Said {
    fn of(req: &GossipReq, id: &str) -> Said {
        let positive = |v: Option<&Value>| v.and_then(Value::as_u64).filter(|s| *s > 0);
        if let Some(seq) = req.offline.as_ref().and_then(|m| m.get(id)) {
            return positive(Some(seq)).map_or(Said::Nothing, Said::Offline);
        }
        let Some(Value::Array(row)) = req.online.as_ref().and_then(|m| m.get(id)) else {
            return Said::Nothing;
        };
        match positive(row.first()) {
            None => Said::Nothing,
            Some(seq) => Said::Online {
                seq,
                cpu_seq: row.get(1).and_then(Value::as_u64).unwrap_or(0),
                cpu: row.get(2).and_then(Value::as_f64).unwrap_or(0.0),
            },
        }
    }

    /// The seq it names, when it is not older than `known`; `None` when we know better.
    fn seq_at_least(&self, known: u64) -> Option<u64> {
        match *self {
            Said::Offline(seq) | Said::Online { seq, .. } if seq >= known => Some(seq),
            _ => None,
        }
    }
}

/// A `GOSSIP_REQ`: answer with what we know better, and learn what the requester knows
/// better (Node's `processGossipRequest`).
pub(crate) fn request_received(cluster: &Arc<Transit>, sender: String, req: GossipReq) {
    let registry = &cluster.registry;
    let mut online = Map::new();
    let mut offline = Map::new();

    // The local node.
    let own = cluster.node_id.to_string();
    let (own_seq, own_cpu_seq, own_cpu) = local_row(cluster);
    let said = Said::of(&req, &own);
    match (said.seq_at_least(own_seq), said) {
        (Some(seq), Said::Offline(_)) => {
            // The requester thinks we are gone: outbid its seq and send our INFO.
            registry.set_local_seq(seq.saturating_add(1));
            let info = local_info(cluster);
            online.insert(own, json!([info, own_cpu_seq, cpu_value(own_cpu)]));
        }
        (Some(_), Said::Online { cpu_seq, .. }) => {
            if cpu_seq < own_cpu_seq {
                online.insert(own, json!([own_cpu_seq, cpu_value(own_cpu)]));
            }
        }
        _ => {
            let info = local_info(cluster);
            online.insert(own, json!([info, own_cpu_seq, cpu_value(own_cpu)]));
        }
    }

    // The remote nodes.
    for (id, available, node_seq, node_cpu_seq, node_cpu) in registry.nodes.gossip_rows() {
        let said = Said::of(&req, &id);
        let Some(seq) = said.seq_at_least(node_seq) else {
            // We know newer, or the requester does not know the node.
            if !available {
                offline.insert(id, json!(node_seq));
            } else if let Some(raw) = registry.nodes.raw_info(&id) {
                let row = json!([info_value(&raw), node_cpu_seq, cpu_value(node_cpu)]);
                online.insert(id, row);
            }
            continue;
        };
        match said {
            Said::Offline(_) => {
                if available {
                    discovery::node_disconnected(cluster, &id, false);
                }
                if seq > node_seq || available {
                    registry.nodes.set_seq(&id, seq);
                }
            }
            Said::Online { cpu_seq, cpu, .. } if available => {
                if cpu_seq > node_cpu_seq {
                    registry
                        .nodes
                        .gossip_cpu(&id, cpu_seq, cpu, registry.clock());
                } else if cpu_seq < node_cpu_seq {
                    online.insert(id, json!([node_cpu_seq, cpu_value(node_cpu)]));
                }
            }
            _ => {}
        }
    }

    if online.is_empty() && offline.is_empty() {
        return;
    }
    let packet = Packet::GossipRes(GossipRes {
        online: (!online.is_empty()).then_some(online),
        offline: (!offline.is_empty()).then_some(offline),
    });
    let cluster = cluster.clone();
    tokio::spawn(async move { send_to(&cluster, packet, &sender).await });
}

/// A `GOSSIP_HELLO` at the start of a connection from another node (Node's
/// `processGossipHello`): an unknown node is registered offline at the address it gives,
/// and the connection's address is kept as the node's.
pub(crate) fn hello_received(
    transit: &Transit,
    sender: &str,
    hello: GossipHello,
    source: Option<&str>,
) {
    transit
        .registry
        .nodes
        .hello(sender, &hello.host, hello.port, source);
}

/// A `GOSSIP_RES`: take the newer INFOs and CPU rows, and the nodes it says are gone
/// (Node's `processGossipResponse`).
pub(crate) fn response_received(cluster: &Arc<Transit>, res: GossipRes) {
    let registry = &cluster.registry;
    let nodes = &registry.nodes;
    for (id, row) in res.online.into_iter().flatten() {
        if id == *cluster.node_id {
            continue;
        }
        let Value::Array(row) = row else { continue };
        let (info, cpu) = match row.as_slice() {
            [info] => (Some(info), None),
            [cpu_seq, cpu] => (None, Some((cpu_seq, cpu))),
            [info, cpu_seq, cpu] => (Some(info), Some((cpu_seq, cpu))),
            _ => continue,
        };
        if let Some(info) = info {
            match serde_json::from_value::<Info>(info.clone()) {
                Ok(info) => {
                    let known = nodes.get(&id).map(|n| n.info.seq);
                    if known.is_none_or(|seq| seq < info.seq) {
                        discovery::info_received(cluster, id.clone(), info);
                    }
                }
                Err(err) => {
                    tracing::warn!(node_id = %id, error = %err, "invalid node info in GOSSIP_RES");
                }
            }
        }
        if let Some((Some(cpu_seq), Some(cpu))) = cpu.map(|(s, c)| (s.as_u64(), c.as_f64())) {
            nodes.gossip_cpu(&id, cpu_seq, cpu, registry.clock());
        }
    }
    for (id, seq) in res.offline.into_iter().flatten() {
        if id == *cluster.node_id {
            continue;
        }
        let (Some(seq), Some(node)) = (seq.as_u64(), nodes.get(&id)) else {
            continue;
        };
        if node.info.seq < seq {
            if node.info.available {
                discovery::node_disconnected(cluster, &id, false);
            }
            nodes.set_seq(&id, seq);
        }
    }
}

/// The broker's [`PeerDirectory`]: the registry's nodes, for the transporter.
pub(crate) struct TransitPeers(pub(crate) Weak<Transit>);

impl PeerDirectory for TransitPeers {
    fn address(&self, node_id: &str) -> Option<PeerAddress> {
        let transit = self.0.upgrade()?;
        if node_id == &*transit.node_id {
            let local = transit.registry.local_node();
            return Some(PeerAddress {
                udp_address: None,
                hostname: local.hostname.clone(),
                ip_list: local.ip_list.clone(),
                port: transit.transporter.local_port(),
            });
        }
        transit.registry.nodes.address(node_id)
    }

    fn peer_event(&self, event: PeerEvent) {
        let Some(cluster) = self.0.upgrade() else {
            return;
        };
        let nodes = &cluster.registry.nodes;
        match event {
            PeerEvent::Discovered {
                node_id,
                host,
                port,
                from_datagram,
            } => {
                if node_id != *cluster.node_id
                    && nodes.discovered(&node_id, &host, port, from_datagram)
                {
                    tracing::debug!(node_id, %host, port, "node discovered");
                }
            }
            PeerEvent::Lost {
                node_id,
                unexpected,
            } => discovery::node_disconnected(&cluster, &node_id, unexpected),
        }
    }

    fn send_hello(&self, node_id: &str, host: &str, port: u16) -> BoxFuture<'static, ()> {
        let Some(cluster) = self.0.upgrade() else {
            return Box::pin(std::future::ready(()));
        };
        let packet = Packet::GossipHello(GossipHello {
            host: host.to_owned(),
            port,
        });
        let node_id = node_id.to_owned();
        Box::pin(async move { cluster.send_logged(packet, Some(&node_id)).await })
    }
}
