//! Incoming connections (Node's `tcp/tcp-reader.js`): the listener, and one reading task per
//! connection that cuts the stream into frames and hands each packet to the broker.

use std::net::SocketAddr;

use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::frame::next_frame;
use super::writer::Writers;
use crate::protocol::{PacketType, Topics};
use crate::transporter::IncomingSink;

/// Room kept free in a connection's read buffer.
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

/// Accepts connections until the task is aborted; aborting it closes every connection
/// (the `JoinSet` it owns aborts them when dropped).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    sink: IncomingSink,
    writers: std::sync::Arc<Writers>,
    topics: std::sync::Arc<InboundTopics>,
    max_packet_size: usize,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    stream.set_nodelay(true).ok();
                    connections.spawn(read_loop(
                        stream,
                        remote,
                        sink.clone(),
                        writers.clone(),
                        topics.clone(),
                        max_packet_size,
                    ));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a TCP connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Reads one connection: many frames per read, frames across reads, the frames of one read
/// handed over in one [`Batch`](super::writer::Batch). Bytes that are not frames close this
/// connection only.
async fn read_loop(
    mut stream: TcpStream,
    remote: SocketAddr,
    sink: IncomingSink,
    writers: std::sync::Arc<Writers>,
    topics: std::sync::Arc<InboundTopics>,
    max_packet_size: usize,
) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(%remote, error = %err, "TCP connection error");
                return;
            }
        }
        // The answers the handlers give at once leave when the batch ends (see `Batch`).
        let batch = writers.batch();
        let open = deliver_frames(&mut buf, remote, &sink, &topics, max_packet_size).await;
        drop(batch);
        if !open {
            return;
        }
    }
}

/// Hands every whole frame in `buf` to the broker; `false` when the connection must close
/// (bytes that are not frames, or the broker is gone).
async fn deliver_frames(
    buf: &mut BytesMut,
    remote: SocketAddr,
    sink: &IncomingSink,
    topics: &InboundTopics,
    max_packet_size: usize,
) -> bool {
    loop {
        match next_frame(buf, max_packet_size) {
            Ok(Some((PacketType::GossipHello, payload))) => {
                let source = remote.ip().to_canonical().to_string();
                if !sink
                    .deliver_from(topics.of(PacketType::GossipHello), payload, &source)
                    .await
                {
                    return false;
                }
            }
            Ok(Some((ty, payload))) => {
                if !sink.deliver(topics.of(ty), payload).await {
                    return false;
                }
            }
            Ok(None) => return true,
            Err(err) => {
                tracing::warn!(%remote, error = %err, "invalid data from a TCP peer: connection closed");
                return false;
            }
        }
    }
}
