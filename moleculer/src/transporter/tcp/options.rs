//! The options of the TCP transporter (reference §2.2), read from the `transporter` option
//! with Node's names and defaults.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::options::TransporterOption;
use crate::transporter::{check_option_keys, invalid_option as invalid, tls_files};

/// Settings of the [`TcpTransporter`](super::TcpTransporter); `Default` is Node's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TcpOptions {
    /// Find the nodes by UDP datagrams. Default `true`.
    pub udp_discovery: bool,
    /// The UDP port of discovery. Default 4445.
    pub udp_port: u16,
    /// The interface address to bind discovery to; `None` binds every IPv4 interface.
    pub udp_bind_address: Option<Ipv4Addr>,
    /// How often a discovery datagram goes out (the first one 0.5–1 s after start).
    /// Default 30 s.
    pub udp_period: Duration,
    /// Share the UDP port with other processes (`SO_REUSEADDR`). Default `true`.
    pub udp_reuse_addr: bool,
    /// Stop sending discovery datagrams after this many; 0 never stops. Default 0.
    pub udp_max_discovery: u32,
    /// The multicast group of discovery; `None` turns multicast off. Default `239.0.0.0`.
    pub udp_multicast: Option<Ipv4Addr>,
    /// The multicast TTL. Default 1.
    pub udp_multicast_ttl: u32,
    /// Broadcast discovery datagrams too. Default off.
    pub udp_broadcast: UdpBroadcast,
    /// The TCP port to listen on; `None` takes a free one (or the port `urls` gives this
    /// node).
    pub port: Option<u16>,
    /// Static peers, for networks without UDP (Node's `urls`).
    pub urls: Option<PeerUrls>,
    /// Connect to a node's host name rather than its first IP. Default `true`.
    pub use_hostname: bool,
    /// How often a node gossips. Default 2 s (at least 1 s).
    pub gossip_period: Duration,
    /// At most this many outgoing connections; the least recently used ones are closed.
    /// Default 32.
    pub max_connections: usize,
    /// The largest frame accepted; a peer sending a larger one is cut off. Default 1 MiB.
    pub max_packet_size: usize,
    /// At most this many incoming connections; past it new ones are closed at once. Node has
    /// no limit; default 1024 (`maxIncomingConnections`, a Rust option).
    pub max_incoming_connections: usize,
    /// A frame begun must be whole within this time, or its connection is closed (a peer
    /// that trickles a frame holds its buffer no longer). Node has no limit; default 30 s
    /// (`frameTimeout` in seconds, a Rust option).
    pub frame_timeout: Duration,
    /// Bytes that all incoming connections together may hold in large frames (over 64 KiB)
    /// still arriving; a connection whose frame does not fit waits, within `frame_timeout`,
    /// for room. At least `max_packet_size`. Node has no limit; default 64 MiB
    /// (`maxPendingBytes`, a Rust option).
    pub max_pending_bytes: usize,
    /// TLS between the nodes, with certificates a cluster CA signs (`tls`, a Rust option:
    /// Node's TCP transporter has none, so a cluster with Node nodes keeps it off). Default
    /// off.
    pub tls: Option<TcpTls>,
}

/// TLS for the TCP transporter. Every node both connects and is connected to, so each has a
/// certificate and its key, and checks the others' against the cluster's CA both ways: a
/// node without a certificate the CA signed can neither join nor listen in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpTls {
    /// The CA that signs the nodes' certificates (PEM, `caFile`).
    pub ca_file: PathBuf,
    /// This node's certificate chain (PEM, `certFile`), shown to the nodes it connects to
    /// and to those connecting to it.
    pub cert_file: PathBuf,
    /// The certificate's private key (PEM, `keyFile`).
    pub key_file: PathBuf,
    /// The name a node's certificate must hold when this node connects to it (`serverName`,
    /// one name for the cluster's certificates); by default the host connected to (its
    /// host name, or its IP address with `useHostname: false`).
    pub server_name: Option<String>,
}

impl TcpTls {
    /// TLS with the cluster's CA, this node's certificate and its key (PEM files).
    pub fn new(
        ca_file: impl Into<PathBuf>,
        cert_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> TcpTls {
        TcpTls {
            ca_file: ca_file.into(),
            cert_file: cert_file.into(),
            key_file: key_file.into(),
            server_name: None,
        }
    }

    /// Checks this name in the certificates of the nodes connected to, instead of their host.
    pub fn with_server_name(mut self, name: impl Into<String>) -> TcpTls {
        self.server_name = Some(name.into());
        self
    }

    /// The `tls` option: `{caFile, certFile, keyFile, serverName}`, the three files required.
    fn from_value(value: &Value) -> Result<Option<TcpTls>> {
        let map = match value {
            Value::Null | Value::Bool(false) => return Ok(None),
            Value::Object(map) => map,
            _ => {
                return Err(invalid(
                    "tls",
                    "an object of caFile, certFile, keyFile (and serverName)",
                ));
            }
        };
        let files = tls_files::read(map, &["serverName"])?;
        let (Some(ca_file), Some(cert_file), Some(key_file)) =
            (files.ca_file, files.cert_file, files.key_file)
        else {
            return Err(invalid(
                "tls",
                "an object of caFile, certFile and keyFile: every node needs the cluster's CA, \
                 its certificate and its key",
            ));
        };
        let server_name = match map.get("serverName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(invalid("tls.serverName", "a string")),
        };
        Ok(Some(TcpTls {
            ca_file,
            cert_file,
            key_file,
            server_name,
        }))
    }
}

/// Where broadcast discovery datagrams go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UdpBroadcast {
    /// No broadcast (the default).
    #[default]
    Off,
    /// The broadcast address of every IPv4 interface (`udpBroadcast: true`).
    Interfaces,
    /// These addresses (`udpBroadcast: "192.168.1.255"` or a list).
    Addresses(Vec<Ipv4Addr>),
}

/// The static peer list, in any form Node accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerUrls {
    /// `["host:port/nodeID", …]` or `"tcp://host:port/nodeID,host:port/nodeID"`.
    List(Vec<String>),
    /// `{nodeID: "host:port"}`.
    Map(Vec<(String, String)>),
    /// `file://path`: a JSON list or object, or one `host:port/nodeID` per line.
    File(String),
}

/// One static peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerUrl {
    /// Its nodeID.
    pub node_id: String,
    /// Its host.
    pub host: String,
    /// Its TCP port.
    pub port: u16,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            udp_discovery: true,
            udp_port: 4445,
            udp_bind_address: None,
            udp_period: Duration::from_secs(30),
            udp_reuse_addr: true,
            udp_max_discovery: 0,
            udp_multicast: Some(Ipv4Addr::new(239, 0, 0, 0)),
            udp_multicast_ttl: 1,
            udp_broadcast: UdpBroadcast::Off,
            port: None,
            urls: None,
            use_hostname: true,
            gossip_period: Duration::from_secs(2),
            max_connections: 32,
            max_packet_size: 1024 * 1024,
            max_incoming_connections: 1024,
            frame_timeout: Duration::from_secs(30),
            max_pending_bytes: 64 * 1024 * 1024,
            tls: None,
        }
    }
}

/// Node's TCP transporter options, every one read here.
const KNOWN: &[&str] = &[
    "udpDiscovery",
    "udpPort",
    "udpBindAddress",
    "udpPeriod",
    "udpReuseAddr",
    "udpMaxDiscovery",
    "udpMulticast",
    "udpMulticastTTL",
    "udpBroadcast",
    "port",
    "urls",
    "useHostname",
    "gossipPeriod",
    "maxConnections",
    "maxPacketSize",
    // Rust's own: limits Node does not have.
    "maxIncomingConnections",
    "frameTimeout",
    "maxPendingBytes",
    "tls",
];

impl TcpOptions {
    /// Reads `"TCP"`, `"tcp://host:port/nodeID,…"` (static peers) or `{type: "TCP",
    /// options: {…}}` with Node's option names.
    pub fn from_option(opt: &TransporterOption) -> Result<TcpOptions> {
        let mut options = TcpOptions::default();
        if let Some(url) = opt.url() {
            options.urls = Some(PeerUrls::from_str(url));
            return Ok(options);
        }
        if let Some(map) = opt.options() {
            options.read(map)?;
        }
        Ok(options)
    }

    fn read(&mut self, map: &Map<String, Value>) -> Result<()> {
        check_option_keys(map, KNOWN, &[])?;
        let get = |key: &str| map.get(key).filter(|v| !v.is_null());
        if let Some(v) = get("udpDiscovery") {
            self.udp_discovery = as_bool(v, "udpDiscovery")?;
        }
        if let Some(v) = get("udpPort") {
            self.udp_port = as_port(v, "udpPort")?;
        }
        if let Some(v) = get("udpBindAddress") {
            self.udp_bind_address = Some(as_ip(v, "udpBindAddress")?);
        }
        if let Some(v) = get("udpPeriod") {
            self.udp_period = as_secs(v, "udpPeriod")?;
        }
        if let Some(v) = get("udpReuseAddr") {
            self.udp_reuse_addr = as_bool(v, "udpReuseAddr")?;
        }
        if let Some(v) = get("udpMaxDiscovery") {
            self.udp_max_discovery = as_u64(v, "udpMaxDiscovery")? as u32;
        }
        match map.get("udpMulticast") {
            None => {}
            Some(Value::Null | Value::Bool(false)) => self.udp_multicast = None,
            Some(v) => self.udp_multicast = Some(as_ip(v, "udpMulticast")?),
        }
        if let Some(v) = get("udpMulticastTTL") {
            self.udp_multicast_ttl = as_u64(v, "udpMulticastTTL")? as u32;
        }
        self.udp_broadcast = match get("udpBroadcast") {
            None | Some(Value::Bool(false)) => UdpBroadcast::Off,
            Some(Value::Bool(true)) => UdpBroadcast::Interfaces,
            Some(v @ Value::String(_)) => UdpBroadcast::Addresses(vec![as_ip(v, "udpBroadcast")?]),
            Some(Value::Array(list)) => UdpBroadcast::Addresses(
                list.iter()
                    .map(|v| as_ip(v, "udpBroadcast"))
                    .collect::<Result<_>>()?,
            ),
            Some(_) => {
                return Err(invalid(
                    "udpBroadcast",
                    "a boolean, an address or a list of addresses",
                ));
            }
        };
        if let Some(v) = get("port") {
            let port = as_port(v, "port")?;
            self.port = (port != 0).then_some(port);
        }
        if let Some(v) = get("urls") {
            self.urls = Some(PeerUrls::from_value(v)?);
        }
        if let Some(v) = get("useHostname") {
            self.use_hostname = as_bool(v, "useHostname")?;
        }
        if let Some(v) = get("gossipPeriod") {
            self.gossip_period = as_secs(v, "gossipPeriod")?;
        }
        if let Some(v) = get("maxConnections") {
            self.max_connections = as_u64(v, "maxConnections")?.max(1) as usize;
        }
        if let Some(v) = get("maxPacketSize") {
            self.max_packet_size = as_u64(v, "maxPacketSize")?.max(6) as usize;
        }
        if let Some(v) = get("maxIncomingConnections") {
            self.max_incoming_connections = as_u64(v, "maxIncomingConnections")?.max(1) as usize;
        }
        if let Some(v) = get("frameTimeout") {
            self.frame_timeout = as_secs(v, "frameTimeout")?;
        }
        if let Some(v) = get("maxPendingBytes") {
            self.max_pending_bytes = as_u64(v, "maxPendingBytes")? as usize;
        }
        if let Some(v) = map.get("tls") {
            self.tls = TcpTls::from_value(v)?;
        }
        Ok(())
    }
}

impl PeerUrls {
    /// The `urls` option: a string, a list of strings, or `{nodeID: "host:port"}`.
    fn from_value(value: &Value) -> Result<PeerUrls> {
        match value {
            Value::String(s) => Ok(PeerUrls::from_str(s)),
            Value::Array(list) => list
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .map(PeerUrls::List)
                .ok_or_else(|| invalid("urls", "a list of strings")),
            Value::Object(map) => map
                .iter()
                .map(|(id, v)| v.as_str().map(|s| (id.clone(), s.to_owned())))
                .collect::<Option<_>>()
                .map(PeerUrls::Map)
                .ok_or_else(|| invalid("urls", "an object of \"host:port\" strings")),
            _ => Err(invalid("urls", "a string, a list or an object")),
        }
    }

    /// A string option: `file://path`, or a comma-separated list.
    fn from_str(s: &str) -> PeerUrls {
        match s.strip_prefix("file://") {
            Some(path) => PeerUrls::File(path.to_owned()),
            None => PeerUrls::List(
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// The peers, reading the file of the `file://` form; malformed entries are logged and
    /// skipped, as Node does.
    pub fn resolve(&self) -> Result<Vec<PeerUrl>> {
        let entries: Vec<String> = match self {
            PeerUrls::List(list) => list.clone(),
            PeerUrls::Map(map) => map.iter().map(|(id, hp)| format!("{hp}/{id}")).collect(),
            PeerUrls::File(path) => return read_file(path),
        };
        Ok(entries.iter().filter_map(|e| parse_entry(e)).collect())
    }
}

/// `file://` content: a JSON list or object, or one entry per line.
fn read_file(path: &str) -> Result<Vec<PeerUrl>> {
    let file_error = |what: String| {
        Error::broker_options(
            format!("the TCP transporter's urls file `{path}`: {what}"),
            Some(serde_json::json!({ "file": path })),
        )
    };
    let text = std::fs::read_to_string(path).map_err(|err| file_error(err.to_string()))?;
    let text = text.trim();
    let urls = if text.starts_with('[') || text.starts_with('{') {
        let value: Value = serde_json::from_str(text)
            .map_err(|err| file_error(format!("not valid JSON: {err}")))?;
        match PeerUrls::from_value(&value)? {
            PeerUrls::File(_) => return Err(file_error("names another file".to_owned())),
            urls => urls,
        }
    } else {
        PeerUrls::List(text.lines().map(str::to_owned).collect())
    };
    urls.resolve()
}

/// `[tcp://]host:port/nodeID` (IPv6 hosts keep their colons).
fn parse_entry(entry: &str) -> Option<PeerUrl> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    let s = entry.strip_prefix("tcp://").unwrap_or(entry);
    let Some((address, node_id)) = s.split_once('/').filter(|(_, id)| !id.contains('/')) else {
        tracing::warn!(url = entry, "invalid TCP endpoint URL: missing nodeID");
        return None;
    };
    let Some((host, port)) = address.rsplit_once(':') else {
        tracing::warn!(url = entry, "invalid TCP endpoint URL: missing port");
        return None;
    };
    let Ok(port) = port.parse::<u16>() else {
        tracing::warn!(url = entry, "invalid TCP endpoint URL: bad port");
        return None;
    };
    Some(PeerUrl {
        node_id: node_id.to_owned(),
        host: host.to_owned(),
        port,
    })
}

fn as_bool(v: &Value, key: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| invalid(key, "a boolean"))
}

fn as_u64(v: &Value, key: &str) -> Result<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .ok_or_else(|| invalid(key, "a non-negative number"))
}

fn as_port(v: &Value, key: &str) -> Result<u16> {
    u16::try_from(as_u64(v, key)?).map_err(|_| invalid(key, "a port number"))
}

fn as_secs(v: &Value, key: &str) -> Result<Duration> {
    v.as_f64()
        .and_then(|f| Duration::try_from_secs_f64(f).ok())
        .ok_or_else(|| invalid(key, "a number of seconds"))
}

fn as_ip(v: &Value, key: &str) -> Result<Ipv4Addr> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(key, "an IPv4 address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{PluginOption, TransporterKind};

    fn object(options: Value) -> TransporterOption {
        let Value::Object(options) = options else {
            unreachable!()
        };
        PluginOption::Object {
            kind: TransporterKind::Tcp,
            options,
        }
    }

    #[test]
    fn defaults_are_nodes() {
        let read = TcpOptions::from_option(&PluginOption::Name(TransporterKind::Tcp)).unwrap();
        assert_eq!(read, TcpOptions::default());
        assert_eq!(read.udp_port, 4445);
        assert_eq!(read.gossip_period, Duration::from_secs(2));
        assert_eq!(read.max_packet_size, 1 << 20);
    }

    #[test]
    fn reads_every_option() {
        let read = TcpOptions::from_option(&object(serde_json::json!({
            "udpDiscovery": false, "udpPort": 4446, "udpBindAddress": "127.0.0.1",
            "udpPeriod": 1.5, "udpReuseAddr": false, "udpMaxDiscovery": 3,
            "udpMulticast": null, "udpMulticastTTL": 2, "udpBroadcast": ["127.255.255.255"],
            "port": 6000, "urls": {"n2": "127.0.0.1:6001"}, "useHostname": false,
            "gossipPeriod": 1, "maxConnections": 4, "maxPacketSize": 4096,
            "maxIncomingConnections": 8, "frameTimeout": 2, "maxPendingBytes": 65536
        })))
        .unwrap();
        assert!(!read.udp_discovery && !read.udp_reuse_addr && !read.use_hostname);
        assert_eq!(read.udp_port, 4446);
        assert_eq!(read.udp_bind_address, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(read.udp_period, Duration::from_millis(1500));
        assert_eq!(read.udp_multicast, None);
        assert_eq!(
            read.udp_broadcast,
            UdpBroadcast::Addresses(vec![Ipv4Addr::new(127, 255, 255, 255)])
        );
        assert_eq!(read.port, Some(6000));
        assert_eq!((read.max_connections, read.max_packet_size), (4, 4096));
        assert_eq!(read.max_incoming_connections, 8);
        assert_eq!(read.frame_timeout, Duration::from_secs(2));
        assert_eq!(read.max_pending_bytes, 65536);
        assert_eq!(
            read.urls.unwrap().resolve().unwrap(),
            [PeerUrl {
                node_id: "n2".into(),
                host: "127.0.0.1".into(),
                port: 6001
            }]
        );
        let err =
            TcpOptions::from_option(&object(serde_json::json!({ "udpPort": "x" }))).unwrap_err();
        assert!(err.message().contains("udpPort"), "{}", err.message());
        let tls = TcpOptions::from_option(&object(serde_json::json!({
            "tls": {"caFile": "ca.pem", "certFile": "n.pem", "keyFile": "n-key.pem", "serverName": "cluster"}
        })))
        .unwrap();
        assert_eq!(
            tls.tls,
            Some(TcpTls::new("ca.pem", "n.pem", "n-key.pem").with_server_name("cluster"))
        );
        for (options, says) in [
            (
                serde_json::json!({"tls": true}),
                "caFile, certFile, keyFile",
            ),
            (
                serde_json::json!({"tls": {"caFile": "c"}}),
                "every node needs",
            ),
            (
                serde_json::json!({"tls": {"cert": "-----BEGIN"}}),
                "certFile",
            ),
            (
                serde_json::json!({"tls": {"rejectUnauthorized": false}}),
                "always checked",
            ),
            (serde_json::json!({"tls": {"caFil": "x"}}), "serverName"),
        ] {
            let err = TcpOptions::from_option(&object(options)).unwrap_err();
            assert!(err.message().contains(says), "{}", err.message());
        }
        let typo = TcpOptions::from_option(&object(serde_json::json!({ "gossipPeriode": 1 })))
            .unwrap_err();
        assert!(
            typo.message()
                .contains("did you mean `transporter.options.gossipPeriod`"),
            "{}",
            typo.message()
        );
    }

    #[test]
    fn url_lists_in_every_form() {
        let url = PluginOption::Url {
            kind: TransporterKind::Tcp,
            url: "tcp://127.0.0.1:6000/n1, tcp://[::1]:6001/n2,bad,h:x/n3,h:1".to_owned(),
        };
        let peers = TcpOptions::from_option(&url)
            .unwrap()
            .urls
            .unwrap()
            .resolve()
            .unwrap();
        let got: Vec<(&str, &str, u16)> = peers
            .iter()
            .map(|p| (p.node_id.as_str(), p.host.as_str(), p.port))
            .collect();
        assert_eq!(got, [("n1", "127.0.0.1", 6000), ("n2", "[::1]", 6001)]);

        let dir = std::env::temp_dir().join(format!("mol-urls-{}", std::process::id()));
        std::fs::write(&dir, "h1:1/a\n\nh2:2/b\n").unwrap();
        let lines = PeerUrls::File(dir.display().to_string()).resolve().unwrap();
        assert_eq!(lines.len(), 2);
        std::fs::write(&dir, r#"{"c": "h3:3"}"#).unwrap();
        let json = PeerUrls::File(dir.display().to_string()).resolve().unwrap();
        assert_eq!(json[0].node_id, "c");
        std::fs::remove_file(&dir).ok();
        assert!(PeerUrls::File("/nonexistent/x".into()).resolve().is_err());
    }
}
