//! Outgoing connections (Node's `tcp/tcp-writer.js`): one per remote node, opened on the
//! first packet for it, starting with a `GOSSIP_HELLO`. They only carry data out: the node
//! answers on its own connection to us. Reading them tells when the node goes away.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::OnceCell;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::frame::header;
use crate::error::{Error, Result};
use crate::transit::PacketType;
use crate::transporter::{IncomingSink, PeerEvent};

/// How long connecting to a node may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most bytes gathered into one write when packets queue up.
const BATCH_BYTES: usize = 256 * 1024;
/// After a failed connection to a node, no new attempt for this long, doubled at each failure
/// in a row up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// A packet to send: its TCP type id and serialized body.
type Outgoing = (u8, Bytes);

/// The outgoing connections, by nodeID.
#[derive(Debug)]
pub(crate) struct Writers {
    slots: Mutex<HashMap<Arc<str>, Arc<Slot>>>,
    sink: IncomingSink,
    use_hostname: bool,
    max_connections: usize,
    local_port: u16,
    epoch: Instant,
    /// Nodes whose last connection attempts failed: how many in a row, and until when no new
    /// attempt is made.
    backoff: Mutex<HashMap<Arc<str>, (u32, Instant)>>,
}

/// One node's connection, opened once by the first sender (the others wait for it).
#[derive(Debug, Default)]
struct Slot {
    tx: OnceCell<UnboundedSender<Outgoing>>,
    /// Milliseconds since `epoch` of the last non-gossip packet (for closing the least
    /// recently used connections).
    last_used: AtomicU64,
}

impl Writers {
    pub(crate) fn new(
        sink: IncomingSink,
        use_hostname: bool,
        max_connections: usize,
        local_port: u16,
    ) -> Writers {
        Writers {
            slots: Mutex::new(HashMap::new()),
            sink,
            use_hostname,
            max_connections,
            local_port,
            epoch: Instant::now(),
            backoff: Mutex::new(HashMap::new()),
        }
    }

    /// Sends one packet to `node_id`, connecting first if needed. A failed connection marks
    /// the node lost (`unexpected`) and fails the send.
    pub(crate) async fn send(
        self: &Arc<Self>,
        node_id: &str,
        ty: PacketType,
        type_id: u8,
        mut body: Bytes,
    ) -> Result<()> {
        // A connection that closed between lookup and send gets one fresh attempt.
        for _ in 0..2 {
            let slot = self.slot(node_id);
            let tx = slot
                .tx
                .get_or_try_init(|| self.connect(node_id, &slot))
                .await;
            let tx = match tx {
                Ok(tx) => tx,
                Err(err) => {
                    self.remove(node_id, &slot);
                    self.lost(node_id, true);
                    return Err(err);
                }
            };
            if !matches!(
                ty,
                PacketType::GossipReq | PacketType::GossipRes | PacketType::GossipHello
            ) {
                slot.last_used
                    .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            match tx.send((type_id, body)) {
                Ok(()) => return Ok(()),
                Err(returned) => {
                    self.remove(node_id, &slot);
                    body = returned.0.1;
                }
            }
        }
        Err(
            Error::retryable(format!("the connection to node '{node_id}' closed"))
                .with_node_id(node_id),
        )
    }

    /// Closes every connection (their queued packets are still written).
    pub(crate) fn close_all(&self) {
        self.slots.lock().clear();
    }

    /// How many connections are open or opening.
    pub(crate) fn len(&self) -> usize {
        self.slots.lock().len()
    }

    fn slot(&self, node_id: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock();
        if let Some(slot) = slots.get(node_id) {
            return slot.clone();
        }
        let slot = Arc::new(Slot::default());
        slots.insert(Arc::from(node_id), slot.clone());
        slot
    }

    /// Forgets `slot` if it is still `node_id`'s: its sender is dropped, so its task writes
    /// what is queued and closes the socket.
    fn remove(&self, node_id: &str, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock();
        if slots.get(node_id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            slots.remove(node_id);
        }
    }

    fn lost(&self, node_id: &str, unexpected: bool) {
        if let Some(peers) = self.sink.peers() {
            peers.peer_event(PeerEvent::Lost {
                node_id: node_id.to_owned(),
                unexpected,
            });
        }
    }

    async fn connect(
        self: &Arc<Self>,
        node_id: &str,
        slot: &Arc<Slot>,
    ) -> Result<UnboundedSender<Outgoing>> {
        if let Some((failures, until)) = self.backoff.lock().get(node_id).copied()
            && Instant::now() < until
        {
            return Err(Error::retryable(format!(
                "node '{node_id}' is unreachable ({failures} failed connection attempts); \
                 retrying later"
            ))
            .with_node_id(node_id));
        }
        let connected = self.open(node_id, slot).await;
        let mut backoff = self.backoff.lock();
        if connected.is_ok() {
            backoff.remove(node_id);
        } else {
            let failures = backoff.get(node_id).map_or(0, |(n, _)| *n) + 1;
            let wait = FIRST_BACKOFF
                .saturating_mul(1 << (failures - 1).min(8))
                .min(MAX_BACKOFF);
            backoff.insert(Arc::from(node_id), (failures, Instant::now() + wait));
        }
        connected
    }

    async fn open(
        self: &Arc<Self>,
        node_id: &str,
        slot: &Arc<Slot>,
    ) -> Result<UnboundedSender<Outgoing>> {
        let peers = self.sink.peers().ok_or_else(Error::broker_disconnected)?;
        let unknown =
            || Error::server(format!("missing address of node '{node_id}'")).with_node_id(node_id);
        let address = peers.address(node_id).ok_or_else(unknown)?;
        let host = address.host(self.use_hostname).ok_or_else(unknown)?;
        let port = address.port.ok_or_else(unknown)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        tracing::debug!(node_id, %host, port, "connecting");
        let stream =
            tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
                .await
                .map_err(|_| "connection timed out".to_owned())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map_err(|reason| {
                    Error::retryable(format!(
                        "cannot connect to node '{node_id}' at {host}:{port}: {reason}"
                    ))
                    .with_node_id(node_id)
                })?;
        stream.set_nodelay(true).ok();
        let (tx, rx) = unbounded_channel();
        // The peer learns who we are from the first frame.
        let own = peers.address(self.sink.node_id()).unwrap_or_default();
        let own_host = own.host(self.use_hostname).unwrap_or("127.0.0.1");
        if let Some(hello) = peers.hello(own_host, self.local_port) {
            let _ = tx.send((8, hello));
        }
        tokio::spawn(write_loop(
            stream,
            rx,
            Arc::from(node_id),
            Arc::downgrade(self),
            Arc::downgrade(slot),
        ));
        slot.last_used
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.close_least_used();
        Ok(tx)
    }

    /// Above `maxConnections`, closes the least recently used connections.
    fn close_least_used(&self) {
        let mut slots = self.slots.lock();
        let excess = slots.len().saturating_sub(self.max_connections);
        if excess == 0 {
            return;
        }
        let mut by_use: Vec<(u64, Arc<str>)> = slots
            .iter()
            .map(|(id, s)| (s.last_used.load(Ordering::Relaxed), id.clone()))
            .collect();
        by_use.sort();
        for (_, id) in by_use.into_iter().take(excess) {
            tracing::debug!(node_id = %id, "closing a least recently used connection");
            slots.remove(&id);
        }
    }
}

/// How a connection's task ended.
enum Ended {
    /// We closed it (its sender was dropped).
    Closed,
    /// The peer closed it.
    PeerClosed,
    /// Writing failed.
    Failed(std::io::Error),
}

/// Writes the queued packets (several per write when they pile up) and watches the
/// socket for the peer closing it.
async fn write_loop(
    stream: TcpStream,
    mut rx: UnboundedReceiver<Outgoing>,
    node_id: Arc<str>,
    writers: Weak<Writers>,
    slot: Weak<Slot>,
) {
    let (mut read_half, mut write_half) = stream.into_split();
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut probe = [0u8; 64];
    // Packets in the last write: more than one means callers are keeping the connection busy.
    let mut last_batch = 0usize;
    let ended = loop {
        tokio::select! {
            biased;
            next = rx.recv() => {
                let Some((type_id, body)) = next else { break Ended::Closed };
                buf.clear();
                push(&mut buf, type_id, &body);
                if last_batch > 1 {
                    // Under load, let the tasks that are ready queue their packets first:
                    // one write for many of them (a waking sender otherwise runs this task
                    // right after itself, one packet per write). Idle, a packet goes at once.
                    tokio::task::yield_now().await;
                }
                let mut count = 1;
                while buf.len() < BATCH_BYTES {
                    match rx.try_recv() {
                        Ok((type_id, body)) => {
                            push(&mut buf, type_id, &body);
                            count += 1;
                        }
                        Err(_) => break,
                    }
                }
                last_batch = count;
                if let Err(err) = write_half.write_all(&buf).await {
                    break Ended::Failed(err);
                }
            }
            read = read_half.read(&mut probe) => match read {
                Ok(0) | Err(_) => break Ended::PeerClosed,
                Ok(_) => {} // a peer never writes here; ignore it
            },
        }
    };
    let _ = write_half.shutdown().await;
    let (Some(writers), Some(slot)) = (writers.upgrade(), slot.upgrade()) else {
        return;
    };
    match ended {
        Ended::Closed => {}
        Ended::PeerClosed => {
            tracing::debug!(node_id = %node_id, "connection closed by the node");
            writers.remove(&node_id, &slot);
            writers.lost(&node_id, false);
        }
        Ended::Failed(err) => {
            tracing::debug!(node_id = %node_id, error = %err, "connection failed");
            writers.remove(&node_id, &slot);
            writers.lost(&node_id, true);
        }
    }
}

fn push(buf: &mut Vec<u8>, type_id: u8, body: &[u8]) {
    buf.extend_from_slice(&header(type_id, body.len()));
    buf.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transporter::{PeerAddress, PeerDirectory};

    /// Knows one node, at a port nobody listens on; counts what it is told.
    struct Directory {
        port: u16,
        lost: Mutex<Vec<(String, bool)>>,
    }

    impl PeerDirectory for Directory {
        fn address(&self, node_id: &str) -> Option<PeerAddress> {
            (node_id == "far").then(|| PeerAddress {
                ip_list: vec!["127.0.0.1".into()],
                port: Some(self.port),
                ..PeerAddress::default()
            })
        }

        fn peer_event(&self, event: PeerEvent) {
            if let PeerEvent::Lost {
                node_id,
                unexpected,
            } = event
            {
                self.lost.lock().push((node_id, unexpected));
            }
        }

        fn hello(&self, _host: &str, _port: u16) -> Option<Bytes> {
            Some(Bytes::from_static(b"{}"))
        }
    }

    #[tokio::test]
    async fn unreachable_nodes_fail_fast_and_back_off() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let directory = Arc::new(Directory {
            port,
            lost: Mutex::new(Vec::new()),
        });
        let sink = IncomingSink::new(|_, _| true)
            .with_node("near", "")
            .with_peers(directory.clone());
        let writers = Arc::new(Writers::new(sink, true, 4, 1));
        let body = || Bytes::from_static(b"{}");

        let refused = writers
            .send("far", PacketType::Request, 2, body())
            .await
            .unwrap_err();
        assert!(refused.message().contains("cannot connect"), "{refused:?}");
        // The next attempt within the back-off does not dial again.
        let backing_off = writers
            .send("far", PacketType::Request, 2, body())
            .await
            .unwrap_err();
        assert!(
            backing_off.message().contains("retrying later"),
            "{backing_off:?}"
        );
        assert!(backing_off.is_retryable());
        // An unknown node is an error, not a panic.
        let unknown = writers
            .send("nobody", PacketType::Request, 2, body())
            .await
            .unwrap_err();
        assert!(unknown.message().contains("missing address"), "{unknown:?}");
        assert_eq!(writers.len(), 0);
        assert_eq!(
            directory.lost.lock()[0],
            ("far".to_owned(), true),
            "a failed connection reports the node lost"
        );
    }
}
