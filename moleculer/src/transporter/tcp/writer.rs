//! Outgoing connections (Node's `tcp/tcp-writer.js`): one per remote node, opened on the
//! first packet for it, starting with a `GOSSIP_HELLO`. They only carry data out: the node
//! answers on its own connection to us. Reading them tells when the node goes away.
//!
//! A connection's frames queue in its [`Outbox`], in order, and the connection's own task
//! writes them, woken by the first frame queued; under load it lets the other ready tasks
//! queue their frames first, so that one write carries many. (A sender writing its own frame
//! when the connection looked idle was tried: at c = 100 every caller then wrote alone.)
//!
//! One exception saves a hop to that task on the answering side: a reading task hands the
//! frames of one read to the broker inside a [`Batch`]; the answers its handlers give at once
//! (sent from the reading task itself, told apart by its task id) queue without waking the
//! connection's task, and the reading task writes them when the batch ends, one write per
//! connection. Frames sent from any other task wake the connection's task as usual (if they
//! join a batch's outbox, they leave with it). A TLS connection takes no part in batches: its
//! task alone seals and writes its frames (see [`tls`](super::tls)).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio::sync::{Notify, OnceCell, oneshot};

use super::frame::header;
use super::tls::{Sealer, Tls};
use crate::error::{Error, Result};
use crate::protocol::PacketType;
use crate::transporter::{IncomingSink, PeerEvent};

/// How long connecting to a node may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed connection to a node, no new attempt for this long, doubled at each failure
/// in a row up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// The outgoing connections, by nodeID.
#[derive(Debug)]
pub(crate) struct Writers {
    slots: Mutex<HashMap<Arc<str>, Arc<Slot>>>,
    sink: IncomingSink,
    use_hostname: bool,
    max_connections: usize,
    local_port: u16,
    /// TLS on every connection, when the options ask for it.
    tls: Option<Tls>,
    epoch: Instant,
    /// Nodes whose last connection attempts failed: how many in a row, and until when no new
    /// attempt is made.
    backoff: Mutex<HashMap<Arc<str>, (u32, Instant)>>,
    /// The reading tasks inside a [`Batch`], and the connections their handlers queued frames
    /// on.
    batches: Mutex<Vec<(tokio::task::Id, Vec<Arc<Link>>)>>,
    /// The connections' tasks, to wait for when closing.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// A reading task's batch (see the module's doc): ends when dropped, writing the frames the
/// task's handlers queued.
#[derive(Debug)]
pub(crate) struct Batch {
    writers: Arc<Writers>,
    task: Option<tokio::task::Id>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        let Some(task) = self.task else {
            return;
        };
        let links = {
            let mut batches = self.writers.batches.lock();
            let Some(at) = batches.iter().position(|(id, _)| *id == task) else {
                return;
            };
            batches.swap_remove(at).1
        };
        for link in links {
            link.write_now();
        }
    }
}

/// What queueing a frame asks of the sender.
#[derive(Debug, PartialEq, Eq)]
enum Queued {
    /// The connection is closed: the frame was not taken.
    Closed,
    /// Someone else sees the frame written (it joined frames already queued or being
    /// written).
    Joined,
    /// The outbox was empty: the sender sees that the connection's task wakes (or writes the
    /// frames itself at the end of its batch).
    First,
}

/// One node's connection, opened once by the first sender (the others wait for it). Dropping
/// the slot closes the connection once its queued frames are written.
#[derive(Debug, Default)]
struct Slot {
    link: OnceCell<Arc<Link>>,
    /// Milliseconds since `epoch` of the last non-gossip packet (for closing the least
    /// recently used connections).
    last_used: AtomicU64,
    /// While the connection opens: where its `GOSSIP_HELLO` goes once the middlewares'
    /// `transporter_send` wrappers are done with it.
    hello: Mutex<Option<oneshot::Sender<Bytes>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(link) = self.link.get() {
            link.close();
        }
    }
}

/// An open connection: the socket its writer task writes, and the frames senders queue for
/// it.
#[derive(Debug)]
struct Link {
    stream: TcpStream,
    /// A TLS connection: only its task writes (it seals the frames first).
    sealed: bool,
    out: Mutex<Outbox>,
    /// Wakes the connection's task: frames to write, or closing.
    wake: Notify,
}

/// A connection's frames not written yet.
#[derive(Debug, Default)]
struct Outbox {
    /// The frames, in order.
    pending: Vec<u8>,
    /// How many frames `pending` holds.
    frames: usize,
    /// The connection's task has taken frames to write: nobody else writes until it is done,
    /// or frames would overtake each other.
    writing: bool,
    /// Frames in the last write: more than one means callers keep the connection busy, and
    /// the task then yields before its next write so that more frames join it.
    last_batch: usize,
    /// No more frames are taken: the slot was dropped, or the connection ended.
    closed: bool,
}

impl Link {
    fn new(stream: TcpStream, sealed: bool) -> Link {
        Link {
            stream,
            sealed,
            out: Mutex::new(Outbox::default()),
            wake: Notify::new(),
        }
    }

    /// Queues one frame (see [`Queued`] for what the sender must then do).
    fn queue(&self, type_id: u8, body: &[u8]) -> Queued {
        let mut out = self.out.lock();
        if out.closed {
            return Queued::Closed;
        }
        let first = out.pending.is_empty();
        out.pending.extend_from_slice(&header(type_id, body.len()));
        out.pending.extend_from_slice(body);
        out.frames += 1;
        // Whoever made the outbox non-empty sees it written; later frames go along.
        if !first || out.writing {
            Queued::Joined
        } else {
            Queued::First
        }
    }

    /// Writes the queued frames from the calling task, as far as the socket takes them
    /// without waiting; what is left (and what others queue meanwhile) goes to the
    /// connection's task. Nothing happens while that task writes: it takes them along.
    fn write_now(&self) {
        let mut buf = {
            let mut out = self.out.lock();
            if out.writing || out.pending.is_empty() {
                return;
            }
            out.writing = true;
            out.last_batch = std::mem::take(&mut out.frames);
            std::mem::take(&mut out.pending)
        };
        let mut written = 0;
        while written < buf.len() {
            match self.stream.try_write(&buf[written..]) {
                Ok(n) if n > 0 => written += n,
                // Would block, or failed: the connection's task writes the rest (and meets
                // the error itself).
                _ => break,
            }
        }
        let mut out = self.out.lock();
        out.writing = false;
        if written < buf.len() {
            buf.drain(..written);
            buf.extend_from_slice(&out.pending);
            out.pending = buf;
            out.frames += 1;
        } else if out.pending.is_empty() {
            // Keep the allocation for the next batch.
            buf.clear();
            out.pending = buf;
            return;
        }
        drop(out);
        self.wake.notify_one();
    }

    fn close(&self) {
        self.out.lock().closed = true;
        self.wake.notify_one();
    }
}

impl Writers {
    pub(crate) fn new(
        sink: IncomingSink,
        use_hostname: bool,
        max_connections: usize,
        local_port: u16,
        tls: Option<Tls>,
    ) -> Writers {
        Writers {
            slots: Mutex::new(HashMap::new()),
            sink,
            use_hostname,
            max_connections,
            local_port,
            tls,
            epoch: Instant::now(),
            backoff: Mutex::new(HashMap::new()),
            batches: Mutex::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Starts a batch for the calling reading task (see the module's doc).
    pub(crate) fn batch(self: &Arc<Self>) -> Batch {
        let task = tokio::task::try_id();
        if let Some(id) = task {
            self.batches.lock().push((id, Vec::new()));
        }
        Batch {
            writers: self.clone(),
            task,
        }
    }

    /// Queues one frame on `link`; `false` if the connection is closed. A first frame wakes
    /// the connection's task, unless the calling task is in a batch: then the batch writes it.
    fn queue(&self, link: &Arc<Link>, type_id: u8, body: &[u8]) -> bool {
        match link.queue(type_id, body) {
            Queued::Closed => false,
            Queued::Joined => true,
            Queued::First => {
                if !self.defer(link) {
                    link.wake.notify_one();
                }
                true
            }
        }
    }

    /// Adds `link` to the calling task's batch; `false` when the task is in none (or the
    /// connection is a TLS one).
    fn defer(&self, link: &Arc<Link>) -> bool {
        let Some(task) = tokio::task::try_id().filter(|_| !link.sealed) else {
            return false;
        };
        let mut batches = self.batches.lock();
        let Some((_, links)) = batches.iter_mut().find(|(id, _)| *id == task) else {
            return false;
        };
        if !links.iter().any(|l| Arc::ptr_eq(l, link)) {
            links.push(link.clone());
        }
        true
    }

    /// Sends one packet to `node_id` if its connection is open, without waiting; `false`
    /// when it is not (then [`send`](Self::send) connects). A `GOSSIP_HELLO` is the first
    /// frame of the connection being opened to `node_id`; one sent at any other time is
    /// dropped.
    pub(crate) fn send_open(
        &self,
        node_id: &str,
        ty: PacketType,
        type_id: u8,
        body: &[u8],
    ) -> bool {
        let Some(slot) = self.slots.lock().get(node_id).cloned() else {
            return ty == PacketType::GossipHello;
        };
        if ty == PacketType::GossipHello {
            if let Some(opening) = slot.hello.lock().take() {
                opening.send(Bytes::copy_from_slice(body)).ok();
            }
            return true;
        }
        let Some(link) = slot.link.get() else {
            return false;
        };
        self.touch(&slot, ty);
        self.queue(link, type_id, body)
    }

    /// Sends one packet to `node_id`, connecting first if needed. A failed connection marks
    /// the node lost (`unexpected`) and fails the send.
    pub(crate) async fn send(
        self: &Arc<Self>,
        node_id: &str,
        ty: PacketType,
        type_id: u8,
        body: Bytes,
    ) -> Result<()> {
        // A connection that closed between lookup and send gets one fresh attempt.
        for _ in 0..2 {
            let slot = self.slot(node_id);
            let link = slot
                .link
                .get_or_try_init(|| self.connect(node_id, &slot))
                .await;
            let link = match link {
                Ok(link) => link,
                Err(err) => {
                    self.remove(node_id, &slot);
                    self.lost(node_id, true);
                    return Err(err);
                }
            };
            self.touch(&slot, ty);
            if self.queue(link, type_id, &body) {
                return Ok(());
            }
            self.remove(node_id, &slot);
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

    /// Waits until the connections' tasks have written what was queued and closed, `limit`
    /// at the most (a peer that does not read could hold a write forever).
    pub(crate) async fn closed(&self, limit: Duration) {
        let tasks = std::mem::take(&mut *self.tasks.lock());
        let all = futures_util::future::join_all(tasks);
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("TCP connections still writing when the transporter closed");
        }
    }

    /// How many connections are open or opening.
    pub(crate) fn len(&self) -> usize {
        self.slots.lock().len()
    }

    /// Notes the use of `slot` by a packet that is not gossip.
    fn touch(&self, slot: &Slot, ty: PacketType) {
        if !ty.is_gossip() {
            slot.last_used
                .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
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

    /// Forgets `slot` if it is still `node_id`'s: once nobody holds it, its task writes what
    /// is queued and closes the socket.
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

    async fn connect(self: &Arc<Self>, node_id: &str, slot: &Arc<Slot>) -> Result<Arc<Link>> {
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

    async fn open(self: &Arc<Self>, node_id: &str, slot: &Arc<Slot>) -> Result<Arc<Link>> {
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
        let connecting = async {
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true).ok();
            match &self.tls {
                None => Ok((stream, None)),
                Some(tls) => tls
                    .connect(&host, stream)
                    .await
                    .map(|(stream, sealer)| (stream, Some(sealer)))
                    .map_err(|err| std::io::Error::new(err.kind(), format!("TLS: {err}"))),
            }
        };
        let (stream, sealer) = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| "connection timed out".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|reason| {
                Error::retryable(format!(
                    "cannot connect to node '{node_id}' at {host}:{port}: {reason}"
                ))
                .with_node_id(node_id)
            })?;
        let link = Arc::new(Link::new(stream, sealer.is_some()));
        // The peer learns who we are from the first frame, which goes through the
        // middlewares' wrappers and comes back by `send_open`.
        let own = peers.address(self.sink.node_id()).unwrap_or_default();
        let own_host = own.host(self.use_hostname).unwrap_or("127.0.0.1");
        let (hello_tx, mut hello_rx) = oneshot::channel();
        *slot.hello.lock() = Some(hello_tx);
        let sent = tokio::time::timeout(
            CONNECT_TIMEOUT,
            peers.send_hello(node_id, own_host, self.local_port),
        )
        .await;
        slot.hello.lock().take();
        match hello_rx.try_recv() {
            Ok(hello) => {
                // The first frame: the connection's task, started below, writes it first.
                if link.queue(8, &hello) == Queued::First {
                    link.wake.notify_one();
                }
            }
            Err(_) if sent.is_err() => tracing::warn!(node_id, "GOSSIP_HELLO not sent in time"),
            // A middleware kept it back.
            Err(_) => {}
        }
        let task = tokio::spawn(write_loop(
            link.clone(),
            sealer,
            Arc::from(node_id),
            Arc::downgrade(self),
            Arc::downgrade(slot),
        ));
        {
            let mut tasks = self.tasks.lock();
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
        slot.last_used
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.close_least_used();
        Ok(link)
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
    /// We closed it (its slot was dropped).
    Closed,
    /// The peer closed it.
    PeerClosed,
    /// Writing failed.
    Failed(std::io::Error),
}

/// Writes the frames that queue up (several per write under load), sealed into TLS records
/// first on a TLS connection, and watches the socket for the peer closing it.
async fn write_loop(
    link: Arc<Link>,
    mut sealer: Option<Sealer>,
    node_id: Arc<str>,
    writers: Weak<Writers>,
    slot: Weak<Slot>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut sealed: Vec<u8> = Vec::new();
    let mut probe = [0u8; 256];
    let ended = 'task: loop {
        tokio::select! {
            biased;
            () = link.wake.notified() => {}
            ready = link.stream.readable() => {
                // A peer never writes here: readable means closed, or stray bytes (ignored;
                // on TLS an alert, which may end the connection).
                match ready.and_then(|()| link.stream.try_read(&mut probe)) {
                    Ok(0) => break Ended::PeerClosed,
                    Ok(n) => match sealer.as_mut().map(|s| s.receive(&probe[..n])) {
                        Some(Err(err)) => break Ended::Failed(err),
                        _ => continue,
                    },
                    Err(err) if err.kind() != ErrorKind::WouldBlock => break Ended::PeerClosed,
                    Err(_) => continue,
                }
            }
        }
        loop {
            if link.out.lock().last_batch > 1 {
                // Under load, let the tasks that are ready queue their frames first: one
                // write for many of them. Idle, a frame goes at once.
                tokio::task::yield_now().await;
            }
            {
                let mut out = link.out.lock();
                if out.pending.is_empty() {
                    out.writing = false;
                    if out.closed {
                        break 'task Ended::Closed;
                    }
                    break;
                }
                std::mem::swap(&mut out.pending, &mut buf);
                out.last_batch = std::mem::take(&mut out.frames);
                out.writing = true;
            }
            let written = match sealer.as_mut() {
                None => write_all(&link.stream, &buf).await,
                Some(sealer) => match sealer.seal(&buf, &mut sealed) {
                    Ok(()) => write_all(&link.stream, &sealed).await,
                    Err(err) => Err(err),
                },
            };
            if let Err(err) = written {
                break 'task Ended::Failed(err);
            }
            buf.clear();
        }
    };
    link.close();
    if let (Ended::Closed, Some(sealer)) = (&ended, sealer.as_mut())
        && sealer.close(&mut sealed).is_ok()
    {
        // Best effort: the peer sees a clean end of the session.
        let _ = link.stream.try_write(&sealed);
    }
    let _ = socket2::SockRef::from(&link.stream).shutdown(std::net::Shutdown::Write);
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

/// Writes all of `buf` to the shared socket.
async fn write_all(stream: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transporter::{PeerAddress, PeerDirectory};

    /// Knows one node, `far`, at `port`; records the nodes reported lost; says hello with
    /// `{}`.
    struct Directory {
        port: u16,
        lost: Mutex<Vec<(String, bool)>>,
        writers: std::sync::OnceLock<Weak<Writers>>,
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

        fn send_hello(
            &self,
            node_id: &str,
            _host: &str,
            _port: u16,
        ) -> crate::service::BoxFuture<'static, ()> {
            if let Some(writers) = self.writers.get().and_then(Weak::upgrade) {
                writers.send_open(node_id, PacketType::GossipHello, 8, b"{}");
            }
            Box::pin(std::future::ready(()))
        }
    }

    #[tokio::test]
    async fn unreachable_nodes_fail_fast_and_back_off() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let (writers, directory) = writers_to(port);
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

    fn writers_to(port: u16) -> (Arc<Writers>, Arc<Directory>) {
        let directory = Arc::new(Directory {
            port,
            lost: Mutex::new(Vec::new()),
            writers: std::sync::OnceLock::new(),
        });
        let sink = IncomingSink::new(|_, _| true)
            .with_node("near", "")
            .with_peers(directory.clone());
        let writers = Arc::new(Writers::new(sink, true, 4, 1, None));
        directory.writers.set(Arc::downgrade(&writers)).ok();
        (writers, directory)
    }

    /// Reads `count` frames off `socket`: (type id, body).
    fn read_frames(socket: &mut std::net::TcpStream, count: usize) -> Vec<(u8, String)> {
        use std::io::Read;
        let (mut frames, mut buf, mut chunk) = (Vec::new(), Vec::new(), [0u8; 4096]);
        while frames.len() < count {
            let n = socket.read(&mut chunk).expect("read");
            assert!(n > 0, "closed after {} frames", frames.len());
            buf.extend_from_slice(&chunk[..n]);
            while buf.len() >= 6 {
                let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
                if buf.len() < len {
                    break;
                }
                let body = String::from_utf8(buf[6..len].to_vec()).expect("utf-8");
                frames.push((buf[5], body));
                buf.drain(..len);
            }
        }
        frames
    }

    /// Writers connected to `far` by a first frame, `first`; the accepted socket, past the
    /// HELLO and that frame.
    async fn connected() -> (Arc<Writers>, Arc<Directory>, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (writers, directory) = writers_to(listener.local_addr().unwrap().port());
        writers
            .send("far", PacketType::Request, 2, Bytes::from_static(b"first"))
            .await
            .unwrap();
        let (mut socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let start = read_frames(&mut socket, 2);
        assert_eq!(
            start,
            [(8, "{}".into()), (2, "first".into())],
            "HELLO first"
        );
        (writers, directory, socket)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn frames_keep_their_order() {
        let (writers, directory, mut socket) = connected().await;

        // Many senders at once: every frame arrives whole, each sender's in its order.
        let senders: Vec<_> = (0..4)
            .map(|task| {
                let writers = writers.clone();
                tokio::spawn(async move {
                    for i in 0..100 {
                        let body = Bytes::from(format!("{task}:{i}"));
                        if i % 2 == 0 {
                            writers
                                .send("far", PacketType::Request, 2, body)
                                .await
                                .unwrap();
                        } else {
                            assert!(writers.send_open("far", PacketType::Response, 3, &body));
                        }
                        if i % 10 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        let frames = tokio::task::spawn_blocking(move || {
            let frames = read_frames(&mut socket, 400);
            (frames, socket)
        });
        for sender in senders {
            sender.await.unwrap();
        }
        let (frames, socket) = frames.await.unwrap();
        let mut next = [0; 4];
        for (type_id, body) in frames {
            let (task, i) = body.split_once(':').unwrap();
            let (task, i): (usize, usize) = (task.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[task], "task {task}'s frames in order");
            assert_eq!(type_id, if i % 2 == 0 { 2 } else { 3 });
            next[task] += 1;
        }
        assert_eq!(next, [100; 4]);

        // The node closing its end is noticed: the node is lost, the slot forgotten.
        drop(socket);
        let deadline = Instant::now() + Duration::from_secs(5);
        while directory.lost.lock().is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            directory.lost.lock().as_slice(),
            [("far".to_owned(), false)]
        );
        assert_eq!(writers.len(), 0);
        assert!(!writers.send_open("far", PacketType::Request, 2, b"gone"));
    }

    #[tokio::test]
    async fn closing_writes_what_is_queued_first() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (writers, _) = writers_to(listener.local_addr().unwrap().port());
        writers
            .send("far", PacketType::Request, 2, Bytes::from_static(b"0"))
            .await
            .unwrap();
        for i in 1..200 {
            assert!(writers.send_open("far", PacketType::Event, 1, i.to_string().as_bytes()));
        }
        writers.close_all();
        let (mut socket, _) = listener.accept().unwrap();
        let frames = tokio::task::spawn_blocking(move || {
            let frames = read_frames(&mut socket, 201);
            let mut rest = Vec::new();
            let end = std::io::Read::read_to_end(&mut socket, &mut rest);
            (frames, end.map(|_| rest.len()).ok())
        })
        .await
        .unwrap();
        let bodies: Vec<String> = frames.0.into_iter().skip(1).map(|(_, b)| b).collect();
        let expected: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        assert_eq!(bodies, expected);
        assert_eq!(frames.1, Some(0), "then the connection ends");
    }

    /// A batch's own frames leave when it ends, in one write with what joined them; a frame
    /// another task sends meanwhile to an idle connection does not wait for the batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_writes_its_frames_when_it_ends() {
        let (writers, _, mut socket) = connected().await;
        // The connection's task is done with the first frames (a frame queued while it still
        // writes goes with it, batch or not).
        let link = writers.slots.lock()["far"].link.get().unwrap().clone();
        while link.out.lock().writing {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }

        let (in_batch, release) = (
            tokio::sync::oneshot::channel(),
            tokio::sync::oneshot::channel(),
        );
        let (queued_tx, queued_rx) = in_batch;
        let (release_tx, release_rx) = release;
        let reader = tokio::spawn({
            let writers = writers.clone();
            async move {
                let batch = writers.batch();
                assert!(writers.send_open("far", PacketType::Response, 3, b"a"));
                assert!(writers.send_open("far", PacketType::Response, 3, b"b"));
                queued_tx.send(()).unwrap();
                release_rx.await.unwrap();
                drop(batch);
            }
        });
        queued_rx.await.unwrap();
        // Held by the batch: nothing arrives.
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut probe = [0u8; 16];
        let held = std::io::Read::read(&mut socket, &mut probe);
        assert!(held.is_err(), "a batch's frames wait for its end: {held:?}");
        // Another task's frame joins the queued ones and leaves with them.
        assert!(writers.send_open("far", PacketType::Event, 1, b"c"));
        release_tx.send(()).unwrap();
        reader.await.unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let frames = tokio::task::spawn_blocking(move || (read_frames(&mut socket, 3), socket))
            .await
            .unwrap();
        let (frames, mut socket) = frames;
        let bodies: Vec<&str> = frames.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(bodies, ["a", "b", "c"]);

        // With the outbox empty, a frame from outside a batch goes at once, even while a
        // batch is open in another task.
        let (open_tx, open_rx) = tokio::sync::oneshot::channel();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn({
            let writers = writers.clone();
            async move {
                let _batch = writers.batch();
                open_tx.send(()).unwrap();
                done_rx.await.ok();
            }
        });
        open_rx.await.unwrap();
        assert!(writers.send_open("far", PacketType::Event, 1, b"now"));
        let frames = tokio::task::spawn_blocking(move || read_frames(&mut socket, 1))
            .await
            .unwrap();
        assert_eq!(frames, [(1, "now".to_owned())]);
        done_tx.send(()).unwrap();
        holder.await.unwrap();
    }
}
