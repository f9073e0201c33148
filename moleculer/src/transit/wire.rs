//! Packets to bytes and back, through the middlewares' transit and transporter wrappers.
//!
//! Outgoing (composed when the broker is built): `transit_publish` wrappers → serializer →
//! `transporter_send` wrappers → transporter. Incoming (composed on each connect, with the
//! broker it delivers to): transporter → `transporter_receive` wrappers → serializer →
//! `transit_message_handler` wrappers → version check and dispatch. A side that no middleware
//! wraps goes straight through.

use std::sync::{Arc, Weak};

use super::Transit;
use crate::error::{Error, Result};
use crate::metrics::PacketMetrics;
use crate::middleware::{
    MessageHandler, PublishHandler, ReceiveHandler, ReceivedMessage, ReceivedPacket, SendHandler,
    Stack, TransitPacket, WireMessage,
};
use crate::options::ProtocolVersion;
use crate::protocol::{Packet, PacketType};
use crate::serializer::Serializer;
use crate::service::BoxFuture;
use crate::transporter::{Bytes, Transporter};

/// The sending side: serializes packets and hands the bytes to the transporter.
pub(crate) struct Sending {
    encoder: Arc<Encoder>,
    /// The `transit_publish` wrappers, if any.
    publish: Option<PublishHandler>,
    /// The packet counts, when metrics are on.
    metrics: Option<Arc<PacketMetrics>>,
}

/// Serializer and transporter, with the `transporter_send` wrappers between them.
struct Encoder {
    serializer: Arc<dyn Serializer>,
    version: ProtocolVersion,
    node_id: Arc<str>,
    transporter: Arc<dyn Transporter>,
    send: Option<SendHandler>,
    metrics: Option<Arc<PacketMetrics>>,
}

impl Encoder {
    fn encode(&self, packet: &Packet) -> Result<Bytes> {
        let bytes = self
            .serializer
            .serialize(packet, self.version, &self.node_id)?;
        Ok(bytes.into())
    }

    async fn send(&self, packet_type: PacketType, topic: &str, data: Bytes) -> Result<()> {
        // Counted before the `transporter_send` wrappers, as Node's Metrics middleware (the
        // outermost one) counts: the serialized size.
        if let Some(metrics) = &self.metrics {
            metrics.sent(data.len());
        }
        match &self.send {
            Some(send) => {
                send(WireMessage {
                    topic: topic.to_owned(),
                    packet_type,
                    data,
                })
                .await
            }
            None => self.transporter.publish(topic, data).await,
        }
    }
}

/// A packet on its way out, once the synchronous part is done.
enum Outgoing {
    /// In the `transit_publish` wrappers.
    Wrapped(BoxFuture<'static, Result<()>>),
    /// Serialized, for the transporter.
    Encoded(PacketType, String, Bytes),
    Failed(Error),
}

impl Sending {
    pub(crate) fn new(
        stack: &Stack,
        serializer: Arc<dyn Serializer>,
        version: ProtocolVersion,
        node_id: Arc<str>,
        transporter: Arc<dyn Transporter>,
        metrics: Option<Arc<PacketMetrics>>,
    ) -> Sending {
        let send_base: SendHandler = {
            let transporter = transporter.clone();
            Arc::new(move |msg: WireMessage| {
                let transporter = transporter.clone();
                Box::pin(async move { transporter.publish(&msg.topic, msg.data).await })
            })
        };
        let encoder = Arc::new(Encoder {
            serializer,
            version,
            node_id,
            transporter,
            send: stack.wrapped(&send_base, false, |mw, next| mw.transporter_send(next)),
            metrics: metrics.clone(),
        });
        let publish_base: PublishHandler = {
            let encoder = encoder.clone();
            Arc::new(move |out: TransitPacket| {
                let encoder = encoder.clone();
                let encoded = encoder.encode(&out.packet);
                let packet_type = out.packet.packet_type();
                Box::pin(async move { encoder.send(packet_type, &out.topic, encoded?).await })
            })
        };
        Sending {
            publish: stack.wrapped(&publish_base, false, |mw, next| mw.transit_publish(next)),
            encoder,
            metrics,
        }
    }

    /// Publishes `packet` to `topic`. The packet is serialized (or handed to the wrappers)
    /// before the future is returned, so that the future stays small: it does not hold the
    /// packet.
    pub(crate) fn publish(
        &self,
        packet: Packet,
        topic: String,
    ) -> impl Future<Output = Result<()>> + Send + '_ {
        let packet_type = packet.packet_type();
        // Counted before the `transit_publish` wrappers, as Node's Metrics middleware (the
        // outermost one) counts; gossip is the transporter's, as in Node.
        if let Some(metrics) = &self.metrics
            && !packet_type.is_gossip()
        {
            metrics.published(packet_type);
        }
        let outgoing = match &self.publish {
            // Gossip goes straight to the transporter, as in Node (see `Transit::decode`).
            Some(publish) if !packet_type.is_gossip() => {
                Outgoing::Wrapped(publish(TransitPacket { topic, packet }))
            }
            _ => match self.encoder.encode(&packet) {
                Ok(bytes) => Outgoing::Encoded(packet_type, topic, bytes),
                Err(err) => Outgoing::Failed(err),
            },
        };
        async move {
            match outgoing {
                Outgoing::Wrapped(publishing) => publishing.await,
                Outgoing::Encoded(packet_type, topic, bytes) => {
                    self.encoder.send(packet_type, &topic, bytes).await
                }
                Outgoing::Failed(err) => Err(err),
            }
        }
    }
}

/// The receiving side's wrappers, composed for one connection.
pub(crate) struct Receiving {
    /// The `transporter_receive` wrappers, if any.
    receive: Option<ReceiveHandler>,
    /// The `transit_message_handler` wrappers, if any.
    message: Option<MessageHandler>,
}

impl Receiving {
    /// The middlewares' receiving wrappers around the plain handling by `transit` (held
    /// weakly: a message that arrives once it is gone is dropped).
    pub(crate) fn new(stack: &Stack, transit: &Weak<Transit>) -> Receiving {
        let message_base: MessageHandler = {
            let transit = transit.clone();
            // Behind a wrapper, whatever the packet starts runs on a task of its own.
            Arc::new(move |received: ReceivedPacket| {
                let ReceivedPacket {
                    envelope,
                    settlement,
                } = received;
                if let Some(work) = transit.upgrade().and_then(|t| t.dispatch(envelope)) {
                    work.settled_by(settlement).spawn();
                }
            })
        };
        let message = stack.wrapped(&message_base, false, |mw, next| {
            mw.transit_message_handler(next)
        });
        let receive_base: ReceiveHandler = {
            let (transit, message) = (transit.clone(), message.clone());
            Arc::new(move |received: ReceivedMessage| {
                let transit = transit.upgrade();
                if let Some(work) = transit.and_then(|t| t.decode(received, message.as_ref())) {
                    work.spawn();
                }
            })
        };
        // Reversed: the first middleware undoes its sending change last on the way out, so
        // first on the way in.
        let receive = stack.wrapped(&receive_base, true, |mw, next| mw.transporter_receive(next));
        Receiving { receive, message }
    }

    /// Hands one received message on: to the receiving wrappers, or straight to the decoder
    /// (then the work the message starts comes back, for the receiving task to run).
    pub(crate) fn deliver(
        &self,
        transit: &Arc<Transit>,
        message: ReceivedMessage,
    ) -> Option<super::Work> {
        match &self.receive {
            Some(receive) => {
                receive(message);
                None
            }
            None => transit.decode(message, self.message.as_ref()),
        }
    }
}
