//! Nodes of the cluster (Node's `src/registry/node.js`).

use serde_json::{Map, Value, json};

/// What the registry knows of one node, shaped like Node's `Node` object.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The nodeID.
    pub id: String,
    /// A token that changes at each process start.
    pub instance_id: String,
    /// Whether the node is online.
    pub available: bool,
    /// Whether this is the local node.
    pub local: bool,
    /// `{type, version, langVersion}` of the node's framework.
    pub client: Value,
    /// The node's broker metadata.
    pub metadata: Map<String, Value>,
    /// IPv4 addresses of the node.
    pub ip_list: Vec<String>,
    /// The node's host name.
    pub hostname: String,
    /// The node's info sequence number.
    pub seq: u64,
    /// Last reported CPU usage, 0-100.
    pub cpu: Option<f64>,
    /// The sequence number of `cpu` (gossip; 0 before the first report).
    pub cpu_seq: u64,
    /// The TCP port (TCP transporter).
    pub port: Option<u16>,
    /// The address its discovery datagram or first connection came from (TCP transporter).
    pub udp_address: Option<String>,
}

impl NodeInfo {
    /// The `$node.list` item (without services).
    pub fn to_json(&self, last_heartbeat_time: u64) -> Value {
        json!({
            "id": self.id,
            "instanceID": self.instance_id,
            "available": self.available,
            "local": self.local,
            "lastHeartbeatTime": last_heartbeat_time,
            "config": {},
            "client": self.client,
            "metadata": self.metadata,
            "ipList": self.ip_list,
            "port": self.port,
            "hostname": self.hostname,
            "udpAddress": self.udp_address,
            "cpu": self.cpu,
            "cpuSeq": (self.cpu_seq > 0).then_some(self.cpu_seq),
            "seq": self.seq,
            "offlineSince": null,
        })
    }
}
