//! UDP discovery (Node's `tcp/udp-broadcaster.js`): every node sends the datagram
//! `namespace|nodeID|port` by multicast and/or broadcast, and registers the nodes it hears.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;

use super::options::{TcpOptions, UdpBroadcast};
use crate::transporter::{IncomingSink, PeerEvent};

/// One discovery socket and where its datagrams go.
struct Server {
    socket: Arc<UdpSocket>,
    destinations: Vec<SocketAddrV4>,
}

/// Binds the discovery sockets and runs them (receiving, and sending every `udpPeriod`)
/// until the returned tasks are dropped. A socket that cannot be set up is logged and
/// skipped, as Node does.
pub(crate) fn start(options: &TcpOptions, sink: &IncomingSink, tcp_port: u16) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    if !options.udp_discovery {
        tracing::info!("UDP discovery is disabled");
        return tasks;
    }
    let servers = servers(options);
    if servers.is_empty() {
        return tasks;
    }
    for server in &servers {
        tasks.spawn(receive_loop(server.socket.clone(), sink.clone()));
    }
    let datagram = format!("{}|{}|{}", sink.namespace(), sink.node_id(), tcp_port);
    tasks.spawn(send_loop(
        servers,
        datagram.into_bytes(),
        options.udp_period.max(Duration::from_millis(100)),
        options.udp_max_discovery,
    ));
    tasks
}

fn servers(options: &TcpOptions) -> Vec<Server> {
    let port = options.udp_port;
    let mut servers = Vec::new();
    if let Some(group) = options.udp_multicast {
        let interfaces = match options.udp_bind_address {
            Some(ip) => vec![ip],
            None => crate::broker::ipv4_interfaces()
                .into_iter()
                .map(|(ip, _)| ip)
                .collect(),
        };
        for interface in interfaces {
            let socket = bind(Ipv4Addr::UNSPECIFIED, port, options.udp_reuse_addr).and_then(|s| {
                s.set_multicast_if_v4(&interface)?;
                s.join_multicast_v4(&group, &interface)?;
                s.set_multicast_ttl_v4(options.udp_multicast_ttl.max(1))?;
                Ok(s)
            });
            match socket.and_then(into_tokio) {
                Ok(socket) => {
                    tracing::info!(%interface, port, %group, "UDP multicast discovery listening");
                    servers.push(Server {
                        socket,
                        destinations: vec![SocketAddrV4::new(group, port)],
                    });
                }
                Err(err) => {
                    tracing::warn!(%interface, port, error = %err, "UDP multicast discovery unavailable")
                }
            }
        }
    }
    let broadcast: Vec<Ipv4Addr> = match &options.udp_broadcast {
        UdpBroadcast::Off => Vec::new(),
        UdpBroadcast::Addresses(list) => list.clone(),
        UdpBroadcast::Interfaces => crate::broker::ipv4_interfaces()
            .into_iter()
            .map(|(ip, prefix)| broadcast_address(ip, prefix))
            .collect(),
    };
    if !broadcast.is_empty() {
        let address = options.udp_bind_address.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let socket = bind(address, port, options.udp_reuse_addr).and_then(|s| {
            s.set_broadcast(true)?;
            Ok(s)
        });
        match socket.and_then(into_tokio) {
            Ok(socket) => {
                tracing::info!(%address, port, destinations = ?broadcast, "UDP broadcast discovery listening");
                servers.push(Server {
                    socket,
                    destinations: broadcast
                        .into_iter()
                        .map(|ip| SocketAddrV4::new(ip, port))
                        .collect(),
                });
            }
            Err(err) => {
                tracing::warn!(%address, port, error = %err, "UDP broadcast discovery unavailable")
            }
        }
    }
    servers
}

/// A UDP socket bound to `address:port`, sharing the port with other processes when
/// `reuse` (as Node's `reuseAddr`).
fn bind(address: Ipv4Addr, port: u16, reuse: bool) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(reuse)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(address, port)).into())?;
    Ok(socket)
}

fn into_tokio(socket: Socket) -> std::io::Result<Arc<UdpSocket>> {
    UdpSocket::from_std(socket.into()).map(Arc::new)
}

/// Sends the datagram 0.5–1 s after start, then every `period`, `max` times at most
/// (0: forever).
async fn send_loop(servers: Vec<Server>, datagram: Vec<u8>, period: Duration, max: u32) {
    tokio::time::sleep(Duration::from_millis(500 + fastrand::u64(0..500))).await;
    let mut sent = 0u32;
    loop {
        for server in &servers {
            for destination in &server.destinations {
                if let Err(err) = server.socket.send_to(&datagram, destination).await {
                    tracing::debug!(%destination, error = %err, "discovery datagram not sent");
                }
            }
        }
        sent += 1;
        if max > 0 && sent >= max {
            tracing::info!("UDP discovery stopped after {sent} datagrams");
            return;
        }
        tokio::time::sleep(period).await;
    }
}

async fn receive_loop(socket: Arc<UdpSocket>, sink: IncomingSink) {
    let mut buf = [0u8; 512];
    loop {
        let (len, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(err) => {
                tracing::debug!(error = %err, "UDP receive failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some((node_id, port)) = parse(&buf[..len], sink.namespace()) else {
            tracing::debug!(%from, "malformed or foreign discovery datagram ignored");
            continue;
        };
        if node_id == sink.node_id() {
            continue;
        }
        if let Some(peers) = sink.peers() {
            peers.peer_event(PeerEvent::Discovered {
                node_id: node_id.to_owned(),
                host: from.ip().to_canonical().to_string(),
                port,
                from_datagram: true,
            });
        }
    }
}

/// `namespace|nodeID|port` of our namespace: the nodeID and port.
pub(crate) fn parse<'a>(datagram: &'a [u8], namespace: &str) -> Option<(&'a str, u16)> {
    let text = std::str::from_utf8(datagram).ok()?;
    let mut parts = text.split('|');
    let (ns, node_id, port) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ns != namespace || node_id.is_empty() {
        return None;
    }
    // Node's parseInt: the leading digits.
    let digits = port.trim_start();
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let port = digits[..end].parse().ok().filter(|p| *p != 0)?;
    Some((node_id, port))
}

/// The broadcast address of `ip/prefix`.
fn broadcast_address(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(u32::from(ip) | host_bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_as_node_reads_them() {
        assert_eq!(parse(b"|node-a|6101", ""), Some(("node-a", 6101)));
        assert_eq!(parse(b"dev|n|7000x", "dev"), Some(("n", 7000)));
        assert_eq!(parse(b"|node-a|6101", "dev"), None, "another namespace");
        assert_eq!(parse(b"|a|1|2", ""), None, "four parts");
        assert_eq!(parse(b"|a", ""), None);
        assert_eq!(parse(b"||1", ""), None);
        assert_eq!(parse(b"|a|x", ""), None);
        assert_eq!(parse(&[0xff, b'|', b'a', b'|', b'1'], ""), None);
    }

    /// Node's captured datagrams (`shared/fixtures/packets-tcp/*/UDP-DISCOVERY.json`).
    #[test]
    fn captured_datagrams() {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/packets-tcp"
        );
        for version in ["0.14.35", "0.15.2"] {
            let path = std::path::Path::new(root)
                .join(version)
                .join("UDP-DISCOVERY.json");
            let fixture: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let examples = fixture["examples"].as_array().unwrap();
            assert!(!examples.is_empty());
            for example in examples {
                let text = example["text"].as_str().unwrap();
                let fields = &example["fields"];
                let port = fields["port"].as_u64().unwrap() as u16;
                let node_id = fields["nodeID"].as_str().unwrap();
                assert_eq!(parse(text.as_bytes(), ""), Some((node_id, port)));
                assert_eq!(format!("|{node_id}|{port}"), text, "what we send");
            }
        }
    }

    #[test]
    fn broadcast_addresses() {
        let ip = Ipv4Addr::new(192, 168, 1, 20);
        assert_eq!(broadcast_address(ip, 24), Ipv4Addr::new(192, 168, 1, 255));
        assert_eq!(
            broadcast_address(Ipv4Addr::LOCALHOST, 8),
            Ipv4Addr::new(127, 255, 255, 255)
        );
        assert_eq!(broadcast_address(ip, 32), ip);
        assert_eq!(broadcast_address(ip, 0), Ipv4Addr::BROADCAST);
    }
}
