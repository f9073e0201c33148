//! Events across nodes (Node's `transit.js` `sendEvent` and `eventHandler`): the `EVENT`
//! packets of an emit or broadcast, and the local handlers of a received one.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value};

use super::{Transit, Work};
use crate::broker::ServiceBroker;
use crate::context::{
    ContextId, ContextInner, EmitOptions, EventInfo, EventType, Received, SharedContext,
    merged_meta,
};
use crate::error::Result;
use crate::payload::Payload;
use crate::protocol::{Event, Packet};
use crate::registry::{EventEndpoint, SelectInput};

/// An emit or broadcast on its way to other nodes: what its `EVENT` packets carry.
pub(crate) struct OutgoingEvent<'a> {
    name: &'a str,
    payload: &'a Payload,
    kind: EventType,
    /// The caller's groups, if it named any.
    groups: Option<&'a [String]>,
    parent: Option<&'a ContextInner>,
    meta: Map<String, Value>,
    headers: Map<String, Value>,
}

impl<'a> OutgoingEvent<'a> {
    pub(crate) fn new(
        name: &'a str,
        payload: &'a Payload,
        options: &'a EmitOptions,
        kind: EventType,
    ) -> OutgoingEvent<'a> {
        let parent = options.parent.as_deref();
        OutgoingEvent {
            name,
            payload,
            kind,
            groups: options.groups.as_deref(),
            parent,
            meta: merged_meta(parent, options.meta.clone()),
            headers: options.headers.clone().unwrap_or_default(),
        }
    }

    /// The `EVENT` packet naming `groups`, with the context fields Node sends.
    fn packet(&self, groups: Option<Vec<String>>) -> Event {
        let id = ContextId::generate().to_string();
        let parent = self.parent;
        Event {
            request_id: Some(parent.map_or_else(|| id.clone(), |p| p.request_id().to_string())),
            id,
            event: self.name.to_owned(),
            data: self.payload.clone(),
            groups,
            broadcast: self.kind == EventType::Broadcast,
            meta: self.meta.clone(),
            headers: self.headers.clone(),
            level: parent.map_or(1, |p| p.level.saturating_add(1)),
            tracing: parent.and_then(|p| p.tracing.get()),
            parent_id: parent.map(|p| p.id.to_string()),
            caller: parent.map(|p| p.target.service().full_name.to_string()),
            need_ack: None,
        }
    }
}

impl Transit {
    /// Sends an emit or broadcast to the nodes of `remote`: one `EVENT` per node (Node's
    /// `sendEvent` grouping).
    pub(crate) async fn send_events(
        &self,
        event: OutgoingEvent<'_>,
        remote: &[Arc<EventEndpoint>],
    ) {
        for (node, groups) in per_node(remote, event.kind, event.groups) {
            self.send_event(event.packet(groups), Some(&node)).await;
        }
    }

    /// `disableBalancer` (reference §1.9): an emit goes once per group to the group's queue
    /// (`EVENTB.<group>.<event>`), a broadcast once to every listening node, this one
    /// included; nothing runs locally without the transporter.
    pub(crate) async fn emit_balanced(
        &self,
        event: OutgoingEvent<'_>,
        targets: &[Arc<EventEndpoint>],
    ) -> Result<()> {
        if event.kind == EventType::Emit {
            let groups: BTreeSet<String> = match event.groups {
                Some(groups) => groups.iter().cloned().collect(),
                None => targets.iter().map(|e| e.group().to_owned()).collect(),
            };
            for group in groups {
                self.send_event(event.packet(Some(vec![group])), None).await;
            }
        } else {
            self.send_events(event, targets).await;
        }
        Ok(())
    }

    /// Sends an event to one node (`EVENT.<node>`), or with the built-in balancer to the
    /// queue of its first group (`EVENTB.<group>.<event>`); a failure is logged.
    async fn send_event(&self, event: Event, node_id: Option<&str>) {
        let packet = Packet::Event(event);
        let topic = self.topics.for_packet(&packet, node_id);
        if let Err(err) = self.publish(packet, topic).await {
            tracing::warn!(error = %err, "could not send an event");
        }
    }
}

/// The nodes of `remote` and the groups each `EVENT` names: for an emit, the groups picked on
/// that node; for a broadcast, the caller's groups, if any.
fn per_node(
    remote: &[Arc<EventEndpoint>],
    kind: EventType,
    groups: Option<&[String]>,
) -> Vec<(Arc<str>, Option<Vec<String>>)> {
    let mut sends: Vec<(Arc<str>, Option<Vec<String>>)> = Vec::new();
    for endpoint in remote {
        let slot = match sends.iter().position(|(n, _)| *n == endpoint.node_id) {
            Some(i) => i,
            None => {
                let initial = match kind {
                    EventType::Emit => Some(Vec::new()),
                    _ => groups.map(<[String]>::to_vec),
                };
                sends.push((endpoint.node_id.clone(), initial));
                sends.len() - 1
            }
        };
        if kind == EventType::Emit
            && let Some(list) = &mut sends[slot].1
            && !list.iter().any(|g| g == endpoint.group())
        {
            list.push(endpoint.group().to_owned());
        }
    }
    sends
}

/// An `EVENT` from `sender`: the work of running the matching local handlers through the
/// local-dispatch port; `None` when none listens, or while the broker stops (dropped).
pub(crate) fn deliver(transit: &Arc<Transit>, sender: String, event: Event) -> Option<Work> {
    if transit.stopping.load(Ordering::Acquire) {
        tracing::debug!(event = %event.event, sender, "event dropped: the broker is stopping");
        return None;
    }
    let targets = transit.received_event_targets(&event);
    if targets.is_empty() {
        return None;
    }
    let broker = transit.broker.upgrade()?;
    let local = transit.local.clone();
    // Usually one handler; with several, the first one's mark stands for them.
    let slow_start = targets[0].slow_start.clone();
    let future = Box::pin(async move {
        let (received, payload) = ReceivedEvent::new(broker, &sender, event);
        let context = |endpoint: &Arc<EventEndpoint>| received.context(endpoint);
        // Failures are logged where they happen; nobody waits for them here.
        let _ = local.run_events(targets, context, payload).await;
    });
    Some(Work::new(future, slow_start))
}

impl Transit {
    /// Node's `emitLocalServices`: for each local list whose pattern matches and whose group
    /// is among the packet's groups (every list when it names none), one local handler for an
    /// emit, all of them for a broadcast.
    fn received_event_targets(&self, event: &Event) -> Vec<Arc<EventEndpoint>> {
        let groups = event.groups.as_deref().filter(|g| !g.is_empty());
        let mut endpoints = Vec::new();
        for list in self.registry.catalog().event_lists(&event.event).iter() {
            if groups.is_some_and(|g| !g.iter().any(|g| **g == *list.group())) {
                continue;
            }
            if event.broadcast {
                endpoints.extend(list.endpoints.iter().filter(|e| e.local).cloned());
            } else {
                // Node picks without a context here: Shard has no key, so it picks at random.
                let input = SelectInput::default();
                endpoints.extend(list.next_local(&*self.registry, &input).cloned());
            }
        }
        endpoints
    }
}

/// A received event: what each of its local handlers' contexts is made of.
struct ReceivedEvent {
    broker: ServiceBroker,
    sender: Arc<str>,
    name: Arc<str>,
    kind: EventType,
    groups: Option<Vec<String>>,
    fields: Received,
}

impl ReceivedEvent {
    /// The event's context fields, and its payload.
    fn new(broker: ServiceBroker, sender: &str, event: Event) -> (ReceivedEvent, Payload) {
        let received = ReceivedEvent {
            broker,
            sender: Arc::from(sender),
            name: Arc::from(event.event.as_str()),
            kind: if event.broadcast {
                EventType::Broadcast
            } else {
                EventType::Emit
            },
            groups: event.groups,
            fields: Received {
                id: ContextId::parse(&event.id),
                request_id: event.request_id,
                parent_id: event.parent_id,
                level: event.level,
                caller: event.caller,
                meta: event.meta,
                headers: event.headers,
                tracing: event.tracing,
            },
        };
        (received, event.data)
    }

    /// The context of the local handler `endpoint`.
    fn context(&self, endpoint: &Arc<EventEndpoint>) -> SharedContext {
        let info = EventInfo {
            name: self.name.clone(),
            event_type: self.kind,
            groups: self.groups.clone(),
        };
        SharedContext::new(ContextInner::received(
            self.broker.clone(),
            self.sender.clone(),
            self.fields.clone(),
            (endpoint.def.name.clone(), endpoint.service.clone()),
            None,
            Some(Box::new(info)),
        ))
    }
}
