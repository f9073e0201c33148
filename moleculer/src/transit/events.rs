//! Events across nodes (Node's `transit.js` `sendEvent` and `eventHandler`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Transit;
use crate::broker::ServiceBroker;
use crate::protocol::{Event, Packet};

/// An `EVENT` from `sender`: run the matching local handlers on their own task. Dropped while
/// the broker stops.
pub(crate) fn deliver(broker: ServiceBroker, cluster: Arc<Transit>, sender: String, event: Event) {
    if cluster.stopping.load(Ordering::Acquire) {
        tracing::debug!(event = %event.event, sender, "event dropped: the broker is stopping");
        return;
    }
    super::run_or_spawn(async move { broker.deliver_remote_event(&sender, event).await });
}

impl Transit {
    /// Sends an event to one node (`EVENT.<node>`), or with the built-in balancer to the
    /// queue of its first group (`EVENTB.<group>.<event>`).
    pub(crate) fn send_event(
        &self,
        event: Event,
        node_id: Option<&str>,
    ) -> impl Future<Output = ()> + Send + '_ {
        let packet = Packet::Event(event);
        let topic = self.topics.for_packet(&packet, node_id);
        let sending = self.publish(packet, topic);
        async move {
            if let Err(err) = sending.await {
                tracing::warn!(error = %err, "could not send an event");
            }
        }
    }
}
