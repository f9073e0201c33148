//! Node's `TCP` transporter (reference §2.2): nodes find each other by UDP datagrams (or a
//! static list), talk over direct TCP connections and know who is alive by gossip; no
//! message broker at all.
//!
//! * `frame`: the 6-byte frame header; the type id replaces the topic.
//! * `writer`: one outgoing connection per remote node, opened on demand, `GOSSIP_HELLO`
//!   first. `reader`: the listener and the incoming connections. A request and its
//!   response so travel on two different connections, as between Node nodes.
//! * `udp`: discovery datagrams.
//! * `tls`: TLS on the connections, when the options ask for it (Node has none).
//!
//! The transporter only moves frames. What it learns about nodes (a datagram, a HELLO, a
//! lost connection) goes to the broker's [`PeerDirectory`](super::PeerDirectory), which
//! also tells it where each node listens; the broker runs the gossip itself.

mod frame;
mod options;
mod reader;
mod tls;
mod udp;
mod writer;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use options::{PeerUrl, PeerUrls, TcpOptions, TcpTls, UdpBroadcast};

use super::{IncomingSink, PeerEvent, Transporter};
use crate::error::{Error, Result};
use crate::protocol::{TopicTarget, Topics};
use crate::service::BoxFuture;
pub(crate) use frame::next_frame;
use reader::InboundTopics;
pub(crate) use udp::parse as parse_datagram;
use writer::Writers;

/// How long disconnecting waits for the connections to write what was queued.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The TCP transporter.
pub struct TcpTransporter {
    options: TcpOptions,
    /// The listening port once connected (0 before).
    port: AtomicU16,
    state: Mutex<Option<Running>>,
}

/// A connected transporter's parts.
struct Running {
    topics: Topics,
    writers: Arc<Writers>,
    acceptor: JoinHandle<()>,
    /// Discovery's sockets; dropping the set stops them.
    _discovery: JoinSet<()>,
}

impl TcpTransporter {
    /// A transporter that listens and discovers with `options` on
    /// [`connect`](Transporter::connect).
    pub fn new(options: TcpOptions) -> TcpTransporter {
        TcpTransporter {
            options,
            port: AtomicU16::new(0),
            state: Mutex::new(None),
        }
    }

    /// Its options.
    pub fn options(&self) -> &TcpOptions {
        &self.options
    }

    /// How many outgoing connections are open.
    pub fn connections(&self) -> usize {
        self.state.lock().as_ref().map_or(0, |r| r.writers.len())
    }

    async fn start(&self, sink: IncomingSink) -> Result<()> {
        let peers = sink.peers().cloned().ok_or_else(|| {
            Error::broker_options(
                "the TCP transporter needs a broker's peer directory (connect it through a broker)",
                None,
            )
        })?;
        if self.options.max_pending_bytes < self.options.max_packet_size {
            return Err(Error::broker_options(
                "the TCP transporter's maxPendingBytes must be at least its maxPacketSize",
                Some(serde_json::json!({
                    "maxPendingBytes": self.options.max_pending_bytes,
                    "maxPacketSize": self.options.max_packet_size,
                })),
            ));
        }
        let tls = self.options.tls.as_ref().map(tls::Tls::load).transpose()?;
        let mut port = self.options.port;
        if let Some(urls) = &self.options.urls {
            for url in urls.resolve()? {
                if url.node_id == sink.node_id() {
                    port = port.or(Some(url.port));
                } else {
                    peers.peer_event(PeerEvent::Discovered {
                        node_id: url.node_id,
                        host: url.host,
                        port: url.port,
                        from_datagram: false,
                    });
                }
            }
        }
        let listener =
            TcpListener::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port.unwrap_or(0)))
                .await
                .map_err(|err| {
                    // A busy port may free up: a server error, so the connect is retried.
                    Error::server(format!(
                        "the TCP transporter cannot listen on port {}: {err}",
                        port.unwrap_or(0)
                    ))
                    .with_data(serde_json::json!({ "port": port }))
                })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        self.port.store(port, Ordering::Release);
        let topics = Arc::new(InboundTopics::new(sink.namespace(), sink.node_id()));
        let writers = Arc::new(Writers::new(
            sink.clone(),
            self.options.use_hostname,
            self.options.max_connections,
            port,
            tls.clone(),
        ));
        let limits = reader::Limits {
            max_packet_size: self.options.max_packet_size,
            max_connections: self.options.max_incoming_connections,
            frame_timeout: self.options.frame_timeout,
            pending: reader::PendingBudget::new(self.options.max_pending_bytes),
        };
        let acceptor = tokio::spawn(reader::accept_loop(
            listener,
            sink.clone(),
            writers.clone(),
            topics,
            limits,
            tls.clone(),
        ));
        let discovery = udp::start(&self.options, &sink, port);
        tracing::info!(port, tls = tls.is_some(), "TCP transporter listening");
        *self.state.lock() = Some(Running {
            topics: Topics::new(sink.namespace()),
            writers,
            acceptor,
            _discovery: discovery,
        });
        Ok(())
    }

    /// Stops listening and closes the outgoing connections; the writers they leave are
    /// still writing what was queued.
    fn stop(&self) -> Option<Arc<Writers>> {
        let running = self.state.lock().take()?;
        running.acceptor.abort();
        running.writers.close_all();
        Some(running.writers)
    }
}

impl Transporter for TcpTransporter {
    fn name(&self) -> &'static str {
        "TCP"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.stop();
            self.start(incoming).await
        })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        let writers = self.stop();
        Box::pin(async move {
            // What was sent before leaves before the process may exit.
            if let Some(writers) = writers {
                writers.closed(CLOSE_TIMEOUT).await;
            }
            Ok(())
        })
    }

    fn subscribe(&self, _topic: &str) -> BoxFuture<'_, Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn subscribe_balanced(&self, _topic: &str, _group: &str) -> BoxFuture<'_, Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn unsubscribe(&self, _topic: &str) -> BoxFuture<'_, Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// Sends a packet addressed to one node over the connection to it. Packets to every
    /// node and the types TCP does not carry (DISCOVER, INFO, HEARTBEAT, DISCONNECT) are
    /// dropped, as Node's transporter drops them: gossip does their work.
    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>> {
        let connecting = {
            let state = self.state.lock();
            let Some(running) = state.as_ref() else {
                return Box::pin(std::future::ready(Err(Error::broker_disconnected())));
            };
            let target = running.topics.parse(topic).and_then(|parsed| {
                let TopicTarget::Node(node_id) = parsed.target else {
                    return None;
                };
                Some((parsed.packet_type, parsed.packet_type.tcp_id()?, node_id))
            });
            let Some((ty, type_id, node_id)) = target else {
                return Box::pin(std::future::ready(Ok(())));
            };
            // An open connection takes the packet at once (queueing it never blocks); only
            // connecting waits.
            if running.writers.send_open(node_id, ty, type_id, &payload) {
                return Box::pin(std::future::ready(Ok(())));
            }
            (running.writers.clone(), ty, type_id, node_id)
        };
        let (writers, ty, type_id, node_id) = connecting;
        Box::pin(async move { writers.send(node_id, ty, type_id, payload).await })
    }

    fn has_built_in_balancer(&self) -> bool {
        false
    }

    fn gossip_period(&self) -> Option<Duration> {
        Some(self.options.gossip_period.max(Duration::from_secs(1)))
    }

    fn local_port(&self) -> Option<u16> {
        match self.port.load(Ordering::Acquire) {
            0 => self.options.port,
            port => Some(port),
        }
    }
}

impl fmt::Debug for TcpTransporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransporter")
            .field("port", &self.local_port())
            .field("connections", &self.connections())
            .finish()
    }
}

impl Drop for TcpTransporter {
    fn drop(&mut self) {
        self.stop();
    }
}
