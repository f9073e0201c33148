//! Remote nodes (Node's `src/registry/node-catalog.js` and `node.js`): what each node said in
//! its last INFO, when it last sent a heartbeat, and whether it is online.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::NodeInfo;
use crate::protocol::Info;
use crate::transporter::PeerAddress;

/// One remote node.
#[derive(Debug, Clone)]
pub(crate) struct RemoteNode {
    pub(crate) info: NodeInfo,
    /// The local broker's uptime (whole seconds) at the last heartbeat or INFO.
    pub(crate) last_heartbeat: u64,
    pub(crate) offline_since: Option<Instant>,
    /// Its last INFO as received (gossip passes it on to other nodes).
    pub(crate) raw: Option<Arc<Info>>,
    /// It was only heard of (no INFO, seq 0), then a connection to it failed or it said
    /// goodbye: known to be offline although nothing else is known of it.
    pub(crate) lost_unseen: bool,
}

/// What gossip tells of one node: `(nodeID, online, seq, cpuSeq, cpu)`.
pub(crate) type GossipRow = (String, bool, u64, u64, f64);

/// What an INFO changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InfoOutcome {
    /// A node not seen before (`reconnected: false`) or one back online (`true`).
    Connected { reconnected: bool },
    /// A known, online node sent a new INFO.
    Updated,
}

/// What a heartbeat tells about its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeartbeatOutcome {
    /// Known and online: its CPU and heartbeat time were updated.
    Alive,
    /// Unknown or offline: ask it for its INFO.
    Discover,
}

/// The remote nodes, by nodeID.
#[derive(Debug, Default)]
pub(crate) struct NodeCatalog {
    nodes: Mutex<HashMap<String, RemoteNode>>,
}

impl NodeCatalog {
    /// Applies an INFO from `sender`; returns what changed and whether its services must be
    /// registered again (the seq grew, the node came back, or another process took the
    /// nodeID), as Node's `processNodeInfo` decides.
    pub(crate) fn process_info(&self, sender: &str, info: &Info, now: u64) -> (InfoOutcome, bool) {
        let mut nodes = self.nodes.lock();
        let fresh = NodeInfo {
            id: sender.to_owned(),
            instance_id: info.instance_id.clone(),
            available: true,
            local: false,
            client: serde_json::to_value(&info.client).unwrap_or(Value::Null),
            metadata: match &info.metadata {
                Value::Object(map) => map.clone(),
                _ => Map::new(),
            },
            ip_list: info.ip_list.clone(),
            hostname: info.hostname.clone(),
            seq: info.seq,
            cpu: None,
            cpu_seq: 0,
            port: info.port,
            udp_address: None,
        };
        let raw = Some(Arc::new(info.clone()));
        match nodes.get_mut(sender) {
            None => {
                nodes.insert(
                    sender.to_owned(),
                    RemoteNode {
                        info: fresh,
                        last_heartbeat: now,
                        offline_since: None,
                        raw,
                        lost_unseen: false,
                    },
                );
                (InfoOutcome::Connected { reconnected: false }, true)
            }
            Some(node) => {
                let reconnected = !node.info.available;
                let changed = reconnected
                    || info.seq > node.info.seq
                    || info.instance_id != node.info.instance_id;
                let (cpu, cpu_seq) = (node.info.cpu, node.info.cpu_seq);
                let udp_address = node.info.udp_address.take();
                let port = fresh.port.or(node.info.port);
                node.info = NodeInfo {
                    cpu,
                    cpu_seq,
                    udp_address,
                    port,
                    ..fresh
                };
                node.last_heartbeat = now;
                node.offline_since = None;
                node.raw = raw;
                node.lost_unseen = false;
                let outcome = if reconnected {
                    InfoOutcome::Connected { reconnected: true }
                } else {
                    InfoOutcome::Updated
                };
                (outcome, changed)
            }
        }
    }

    /// Records a heartbeat.
    pub(crate) fn heartbeat(&self, sender: &str, cpu: f64, now: u64) -> HeartbeatOutcome {
        match self.nodes.lock().get_mut(sender) {
            Some(node) if node.info.available => {
                node.info.cpu = Some(cpu);
                node.info.cpu_seq = 1;
                node.last_heartbeat = now;
                HeartbeatOutcome::Alive
            }
            _ => HeartbeatOutcome::Discover,
        }
    }

    /// Marks a node offline; `None` if it was unknown or already offline. A node marked
    /// offline gets its seq bumped, as Node does, so its next INFO registers it again. A node
    /// only heard of is marked lost instead (its seq, which gossip passes on, stays 0).
    pub(crate) fn disconnect(&self, node_id: &str) -> Option<NodeInfo> {
        let mut nodes = self.nodes.lock();
        let node = nodes.get_mut(node_id)?;
        if !node.info.available {
            node.lost_unseen |= node.info.seq == 0;
            return None;
        }
        node.info.available = false;
        node.info.seq = node.info.seq.saturating_add(1);
        node.offline_since = Some(Instant::now());
        Some(node.info.clone())
    }

    /// A node heard of by a discovery datagram (`from_datagram`), a static URL or a
    /// `GOSSIP_HELLO`: an unknown one is registered offline (seq 0) until gossip brings its
    /// INFO; an offline one gets the new address. Returns whether it was unknown.
    pub(crate) fn discovered(
        &self,
        node_id: &str,
        host: &str,
        port: u16,
        from_datagram: bool,
    ) -> bool {
        let mut nodes = self.nodes.lock();
        let added = !nodes.contains_key(node_id);
        let node = nodes
            .entry(node_id.to_owned())
            .or_insert_with(|| RemoteNode {
                info: NodeInfo {
                    id: node_id.to_owned(),
                    instance_id: String::new(),
                    available: false,
                    local: false,
                    client: Value::Object(Map::new()),
                    metadata: Map::new(),
                    ip_list: vec![host.to_owned()],
                    hostname: host.to_owned(),
                    seq: 0,
                    cpu: None,
                    cpu_seq: 0,
                    port: Some(port),
                    udp_address: None,
                },
                last_heartbeat: 0,
                offline_since: Some(Instant::now()),
                raw: None,
                lost_unseen: false,
            });
        // Heard of again: it may be reachable now.
        node.lost_unseen = false;
        if from_datagram {
            if !node.info.available {
                node.info.port = Some(port);
                node.info.hostname = host.to_owned();
                if !node.info.ip_list.iter().any(|ip| ip == host) {
                    node.info.ip_list.insert(0, host.to_owned());
                }
            }
            node.info.udp_address = Some(host.to_owned());
        }
        added
    }

    /// A `GOSSIP_HELLO` from `node_id` that announced `host:port`, on a connection from
    /// `remote` (when known): an unknown node is registered offline; the connection's address
    /// is kept unless the node has one already.
    pub(crate) fn hello(&self, node_id: &str, host: &str, port: u16, remote: Option<&str>) -> bool {
        let added = self.discovered(node_id, host, port, false);
        if let Some(remote) = remote
            && let Some(node) = self.nodes.lock().get_mut(node_id)
            && node.info.udp_address.is_none()
        {
            node.info.udp_address = Some(remote.to_owned());
        }
        added
    }

    /// Where a node can be reached.
    pub(crate) fn address(&self, node_id: &str) -> Option<PeerAddress> {
        self.nodes.lock().get(node_id).map(|n| PeerAddress {
            udp_address: n.info.udp_address.clone(),
            hostname: n.info.hostname.clone(),
            ip_list: n.info.ip_list.clone(),
            port: n.info.port,
        })
    }

    /// Every node's gossip row, sorted by nodeID.
    pub(crate) fn gossip_rows(&self) -> Vec<GossipRow> {
        let mut rows: Vec<GossipRow> = self
            .nodes
            .lock()
            .values()
            .map(|n| {
                let i = &n.info;
                (
                    i.id.clone(),
                    i.available,
                    i.seq,
                    i.cpu_seq,
                    i.cpu.unwrap_or(0.0),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }

    /// The last INFO a node sent, as received.
    pub(crate) fn raw_info(&self, node_id: &str) -> Option<Arc<Info>> {
        self.nodes.lock().get(node_id).and_then(|n| n.raw.clone())
    }

    /// Sets a node's seq (gossip takes the seq another node knows).
    pub(crate) fn set_seq(&self, node_id: &str, seq: u64) {
        if let Some(node) = self.nodes.lock().get_mut(node_id) {
            node.info.seq = seq;
        }
    }

    /// Records a CPU usage gossip brought, when it is newer than the one known.
    pub(crate) fn gossip_cpu(&self, node_id: &str, cpu_seq: u64, cpu: f64, now: u64) {
        if let Some(node) = self.nodes.lock().get_mut(node_id)
            && cpu_seq > node.info.cpu_seq
        {
            node.info.cpu = Some(cpu);
            node.info.cpu_seq = cpu_seq;
            node.last_heartbeat = now;
        }
    }

    /// The online nodes whose last heartbeat is older than `timeout` seconds.
    pub(crate) fn timed_out(&self, now: u64, timeout: u64) -> Vec<String> {
        self.nodes
            .lock()
            .values()
            .filter(|n| n.info.available && now.saturating_sub(n.last_heartbeat) > timeout)
            .map(|n| n.info.id.clone())
            .collect()
    }

    /// Forgets the nodes offline for longer than `after`.
    pub(crate) fn remove_offline(&self, after: Duration) -> Vec<String> {
        let mut removed = Vec::new();
        self.nodes.lock().retain(|id, n| {
            let stale = n.offline_since.is_some_and(|t| t.elapsed() > after);
            if stale {
                removed.push(id.clone());
            }
            !stale
        });
        removed
    }

    /// One node.
    pub(crate) fn get(&self, node_id: &str) -> Option<RemoteNode> {
        self.nodes.lock().get(node_id).cloned()
    }

    /// Every node, sorted by nodeID.
    pub(crate) fn list(&self) -> Vec<RemoteNode> {
        let mut all: Vec<RemoteNode> = self.nodes.lock().values().cloned().collect();
        all.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        all
    }

    /// The CPU usage a node last reported.
    pub(crate) fn cpu(&self, node_id: &str) -> Option<f64> {
        self.nodes.lock().get(node_id).and_then(|n| n.info.cpu)
    }

    /// A node's host name.
    pub(crate) fn hostname(&self, node_id: &str) -> Option<String> {
        self.nodes
            .lock()
            .get(node_id)
            .map(|n| n.info.hostname.clone())
    }

    /// One online node per host name, picked at random (the Latency strategy pings these).
    pub(crate) fn one_per_host(&self) -> Vec<(String, String)> {
        let mut by_host: HashMap<String, Vec<String>> = HashMap::new();
        for node in self.nodes.lock().values().filter(|n| n.info.available) {
            by_host
                .entry(node.info.hostname.clone())
                .or_default()
                .push(node.info.id.clone());
        }
        by_host
            .into_iter()
            .map(|(host, ids)| {
                let pick = ids[fastrand::usize(..ids.len())].clone();
                (host, pick)
            })
            .collect()
    }

    /// Whether some online node runs on `host`.
    pub(crate) fn host_has_nodes(&self, host: &str) -> bool {
        self.nodes
            .lock()
            .values()
            .any(|n| n.info.available && n.info.hostname == host)
    }

    /// The nodes only heard of (seq 0, no INFO), neither reported offline by a peer (which
    /// gives them a seq) nor lost, sorted by nodeID.
    pub(crate) fn awaiting_info(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .nodes
            .lock()
            .values()
            .filter(|n| !n.info.available && n.info.seq == 0 && !n.lost_unseen)
            .map(|n| n.info.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// How many nodes are known, and how many of them are online.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let nodes = self.nodes.lock();
        let online = nodes.values().filter(|n| n.info.available).count();
        (nodes.len(), online)
    }

    /// The IDs of the online nodes.
    pub(crate) fn available_ids(&self) -> Vec<String> {
        self.nodes
            .lock()
            .values()
            .filter(|n| n.info.available)
            .map(|n| n.info.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(seq: u64, instance: &str) -> Info {
        Info {
            seq,
            instance_id: instance.to_owned(),
            hostname: "h".to_owned(),
            ..Info::default()
        }
    }

    #[test]
    fn info_seq_and_instance_decide_re_registration() {
        let nodes = NodeCatalog::default();
        assert_eq!(
            nodes.process_info("a", &info(2, "i1"), 0),
            (InfoOutcome::Connected { reconnected: false }, true)
        );
        assert_eq!(
            nodes.process_info("a", &info(2, "i1"), 1),
            (InfoOutcome::Updated, false)
        );
        assert_eq!(
            nodes.process_info("a", &info(3, "i1"), 1),
            (InfoOutcome::Updated, true)
        );
        assert_eq!(
            nodes.process_info("a", &info(1, "i2"), 1),
            (InfoOutcome::Updated, true)
        );
        assert!(nodes.disconnect("a").is_some());
        assert!(nodes.disconnect("a").is_none(), "already offline");
        assert_eq!(nodes.get("a").map(|n| n.info.seq), Some(2));
        assert_eq!(
            nodes.process_info("a", &info(1, "i2"), 2),
            (InfoOutcome::Connected { reconnected: true }, true)
        );
    }

    #[test]
    fn heartbeats_and_timeouts() {
        let nodes = NodeCatalog::default();
        assert_eq!(nodes.heartbeat("a", 5.0, 0), HeartbeatOutcome::Discover);
        nodes.process_info("a", &info(1, "i"), 0);
        assert_eq!(nodes.heartbeat("a", 42.0, 10), HeartbeatOutcome::Alive);
        assert_eq!(nodes.cpu("a"), Some(42.0));
        assert_eq!(nodes.one_per_host(), [("h".to_owned(), "a".to_owned())]);
        assert!(nodes.timed_out(40, 30).is_empty());
        assert_eq!(nodes.timed_out(41, 30), ["a"]);
        assert!(nodes.host_has_nodes("h"));
        nodes.disconnect("a");
        assert!(!nodes.host_has_nodes("h"));
        assert_eq!(nodes.heartbeat("a", 1.0, 50), HeartbeatOutcome::Discover);
        assert!(nodes.timed_out(100, 30).is_empty());
        assert!(nodes.remove_offline(Duration::from_secs(60)).is_empty());
        assert_eq!(nodes.remove_offline(Duration::ZERO), ["a"]);
        assert!(nodes.list().is_empty());
    }

    #[test]
    fn heard_of_nodes_await_their_info_until_it_comes_or_they_are_known_offline() {
        let nodes = NodeCatalog::default();
        for id in ["c", "a", "b", "d"] {
            assert!(nodes.discovered(id, "10.0.0.1", 4000, true));
        }
        assert_eq!(nodes.awaiting_info(), ["a", "b", "c", "d"]);
        // a: its INFO came. b: a peer says it is offline. c: a connection to it failed.
        nodes.process_info("a", &info(1, "i"), 0);
        nodes.set_seq("b", 3);
        assert!(nodes.disconnect("c").is_none(), "it was never online");
        assert_eq!(nodes.get("c").map(|n| n.info.seq), Some(0), "seq untouched");
        assert_eq!(nodes.awaiting_info(), ["d"]);
        // Heard of again: c may be reachable now.
        assert!(!nodes.hello("c", "10.0.0.1", 4000, None));
        assert_eq!(nodes.awaiting_info(), ["c", "d"]);
        // A node that was online and left is known offline, not awaited.
        nodes.process_info("d", &info(1, "i"), 0);
        assert!(nodes.disconnect("d").is_some());
        assert_eq!(nodes.awaiting_info(), ["c"]);
    }
}
