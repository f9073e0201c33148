//! Incoming connections (Node's `tcp/tcp-reader.js`): the listener, and one reading task per
//! connection that cuts the stream into frames (after the TLS handshake, on TLS) and hands
//! each packet to the broker.
//!
//! Memory: a connection reads into a buffer of [`FIRST_READ`], grown to about
//! [`READ_CHUNK`] once a read fills it; a frame larger than that gets a buffer of its own
//! size, paid from a budget all connections share (`maxPendingBytes`), so peers that begin
//! large frames and stall hold that much at most.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::frame::{frame_length, next_frame};
use super::tls::Tls;
use super::writer::Writers;
use crate::protocol::{PacketType, Topics};
use crate::transit::limits::RateLimit;
use crate::transporter::IncomingSink;

/// A connection's first read buffer: what an idle or stalled peer holds.
const FIRST_READ: usize = 8 * 1024;

/// Room a busy connection reads into; frames larger than this get their own buffer.
const READ_CHUNK: usize = 64 * 1024;

/// The topics incoming packets are delivered on (`MOL.REQ.<own nodeID>`…), by TCP type id.
#[derive(Debug)]
pub(crate) struct InboundTopics([String; 9]);

impl InboundTopics {
    pub(crate) fn new(namespace: &str, node_id: &str) -> InboundTopics {
        let topics = Topics::new(namespace);
        InboundTopics(std::array::from_fn(|id| {
            PacketType::from_tcp_id(id as u8)
                .map(|ty| topics.topic(ty, Some(node_id)))
                .unwrap_or_default()
        }))
    }

    fn of(&self, ty: PacketType) -> &str {
        ty.tcp_id().map_or("", |id| &self.0[usize::from(id)])
    }
}

/// The bytes all incoming connections together may hold in large frames still arriving: a
/// semaphore of KiB, so a connection whose frame does not fit waits its turn.
#[derive(Debug, Clone)]
pub(crate) struct PendingBudget(Arc<Semaphore>);

impl PendingBudget {
    pub(crate) fn new(bytes: usize) -> PendingBudget {
        PendingBudget(Arc::new(Semaphore::new(
            kib(bytes).min(Semaphore::MAX_PERMITS as u32) as usize,
        )))
    }

    /// Room for `bytes`, once the budget has it; held until the permit is dropped.
    async fn room_for(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        self.0.clone().acquire_many_owned(kib(bytes)).await.ok()
    }
}

fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// What one peer, and all of them together, may make this node hold.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// The largest frame.
    pub(crate) max_packet_size: usize,
    /// Incoming connections at once.
    pub(crate) max_connections: usize,
    /// How long a frame begun (or a TLS handshake) may take to arrive whole.
    pub(crate) frame_timeout: Duration,
    /// Room for large frames, shared by every connection.
    pub(crate) pending: PendingBudget,
}

/// Accepts connections until the task is aborted; aborting it closes every connection
/// (the `JoinSet` it owns aborts them when dropped). Past `limits.max_connections` a new
/// connection is closed at once.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    sink: IncomingSink,
    writers: std::sync::Arc<Writers>,
    topics: std::sync::Arc<InboundTopics>,
    limits: Limits,
    tls: Option<Tls>,
) {
    let mut connections = JoinSet::new();
    let refused = RateLimit::new(1, Duration::from_secs(10));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) if connections.len() >= limits.max_connections => {
                    drop(stream);
                    if let Some(left_out) = refused.allow() {
                        tracing::warn!(%remote, limit = limits.max_connections, left_out,
                            "too many incoming TCP connections: a new one is closed");
                    }
                }
                Ok((stream, remote)) => {
                    stream.set_nodelay(true).ok();
                    let reading = Reading {
                        remote,
                        sink: sink.clone(),
                        writers: writers.clone(),
                        topics: topics.clone(),
                        limits: limits.clone(),
                    };
                    match tls.clone() {
                        None => connections.spawn(read_loop(stream, reading)),
                        Some(tls) => connections.spawn(read_tls(tls, stream, reading)),
                    };
                }
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// What a connection's reading task needs.
struct Reading {
    remote: SocketAddr,
    sink: IncomingSink,
    writers: std::sync::Arc<Writers>,
    topics: std::sync::Arc<InboundTopics>,
    limits: Limits,
}

/// Reads a TLS connection once its handshake is done (within `limits.frame_timeout`); a
/// failed handshake (a peer without a certificate the CA signed, say) closes it.
async fn read_tls(tls: Tls, stream: TcpStream, reading: Reading) {
    let remote = reading.remote;
    match tokio::time::timeout(reading.limits.frame_timeout, tls.accept(stream)).await {
        Ok(Ok(stream)) => read_loop(stream, reading).await,
        Ok(Err(err)) => {
            tracing::warn!(%remote, error = %err, "TLS handshake failed: connection closed");
        }
        Err(_) => tracing::warn!(%remote, "TLS handshake not done in time: connection closed"),
    }
}

/// Reads one connection: many frames per read, frames across reads, the frames of one read
/// handed over in one [`Batch`](super::writer::Batch). Bytes that are not frames, and a frame
/// not whole within `limits.frame_timeout`, close this connection only.
async fn read_loop(mut stream: impl AsyncRead + Unpin, reading: Reading) {
    let Reading {
        remote,
        sink,
        writers,
        topics,
        limits,
    } = reading;
    let mut buf = BytesMut::with_capacity(FIRST_READ);
    // When the frame now in `buf` must be whole.
    let mut frame_deadline: Option<Instant> = None;
    loop {
        if let Some(length) = frame_length(&buf).filter(|n| *n > READ_CHUNK) {
            let deadline = frame_deadline.unwrap_or_else(|| Instant::now() + limits.frame_timeout);
            let large = read_large_frame(&mut stream, &mut buf, length, deadline, &limits).await;
            let (mut frame, _room) = match large {
                Ok(read) => read,
                Err(why) => {
                    tracing::warn!(%remote, "a TCP peer's frame {why}: connection closed");
                    return;
                }
            };
            let batch = writers.batch();
            let delivered =
                deliver_frames(&mut frame, remote, &sink, &topics, limits.max_packet_size).await;
            drop(batch);
            if delivered.is_none() {
                return;
            }
            frame_deadline = None;
            continue;
        }
        if buf.capacity() - buf.len() < FIRST_READ / 2 {
            buf.reserve(READ_CHUNK);
        }
        let read = match frame_deadline {
            None => stream.read_buf(&mut buf).await,
            Some(deadline) => {
                match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
                    Ok(read) => read,
                    Err(_) => {
                        tracing::warn!(%remote, "a TCP peer did not finish its frame in time: connection closed");
                        return;
                    }
                }
            }
        };
        match read {
            Ok(0) => return,
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(%remote, error = %err, "TCP connection error");
                return;
            }
        }
        // The answers the handlers give at once leave when the batch ends (see `Batch`).
        let batch = writers.batch();
        let delivered =
            deliver_frames(&mut buf, remote, &sink, &topics, limits.max_packet_size).await;
        drop(batch);
        let Some(delivered) = delivered else {
            return;
        };
        // A frame begun gets its own deadline, which stays while it comes in across reads.
        frame_deadline = match frame_deadline {
            _ if buf.is_empty() => None,
            Some(deadline) if delivered == 0 => Some(deadline),
            _ => Some(Instant::now() + limits.frame_timeout),
        };
    }
}

/// Reads the rest of the large frame `buf` begins (`length` bytes in all) into a buffer of
/// its own, once the shared budget has room for it; by `deadline`, or why not. The room is
/// held until the frame has been handed over.
async fn read_large_frame(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    length: usize,
    deadline: Instant,
    limits: &Limits,
) -> Result<(BytesMut, OwnedSemaphorePermit), &'static str> {
    let room = tokio::time::timeout_at(deadline, limits.pending.room_for(length))
        .await
        .ok()
        .flatten()
        .ok_or("found no room (maxPendingBytes) in time")?;
    let mut frame = BytesMut::zeroed(length);
    let begun = buf.len().min(length);
    frame[..begun].copy_from_slice(&buf[..begun]);
    buf.clear();
    match tokio::time::timeout_at(deadline, stream.read_exact(&mut frame[begun..])).await {
        Ok(Ok(_)) => Ok((frame, room)),
        Ok(Err(_)) => Err("was cut short"),
        Err(_) => Err("was not whole in time"),
    }
}

/// Hands every whole frame in `buf` to the broker: how many, or `None` when the connection
/// must close (bytes that are not frames, or the broker is gone).
async fn deliver_frames(
    buf: &mut BytesMut,
    remote: SocketAddr,
    sink: &IncomingSink,
    topics: &InboundTopics,
    max_packet_size: usize,
) -> Option<usize> {
    let mut delivered = 0;
    loop {
        let open = match next_frame(buf, max_packet_size) {
            Ok(Some((PacketType::GossipHello, payload))) => {
                let source = remote.ip().to_canonical().to_string();
                sink.deliver_from(topics.of(PacketType::GossipHello), payload, &source)
                    .await
            }
            Ok(Some((ty, payload))) => sink.deliver(topics.of(ty), payload).await,
            Ok(None) => return Some(delivered),
            Err(err) => {
                tracing::warn!(%remote, error = %err, "invalid data from a TCP peer: connection closed");
                false
            }
        };
        if !open {
            return None;
        }
        delivered += 1;
    }
}
