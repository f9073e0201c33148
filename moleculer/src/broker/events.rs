//! `emit`, `broadcast` and `broadcastLocal` (Node's `src/service-broker.js` and
//! `src/registry/event-catalog.js`).
//!
//! Every `(pattern, group)` pair whose pattern matches the event name is an endpoint list.
//! `emit` picks one endpoint per list (balanced per group), `broadcast` takes every endpoint,
//! `broadcastLocal` every local one; a `groups` option keeps only those groups. As in Node,
//! `broadcast` sends to the other nodes and then runs `broadcastLocal` (and its wrappers) for
//! this one. The returned future completes when the local handlers have run; their errors are
//! logged, or returned with `throw_error`. A middleware's `emit`, `broadcast` or
//! `broadcast_local` wrapper runs around all of it.

use std::sync::Arc;

use futures_util::future::join_all;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ServiceBroker;
use super::call::merged_meta;
use crate::context::{
    ContextId, ContextInner, EmitOptions, EventContext, EventInfo, EventType, Received,
    SharedContext, Target,
};
use crate::error::Result;
use crate::middleware::EmitRequest;
use crate::payload::Payload;
use crate::protocol::Event;
use crate::registry::EventEndpoint;

impl ServiceBroker {
    /// Emits an event: one handler per group receives it (balanced).
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`]: the first failing local handler's error.
    pub async fn emit<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
    ) -> Result<()> {
        self.emit_with(event, payload, EmitOptions::new()).await
    }

    /// Emits an event with options.
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`].
    pub async fn emit_with<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
        options: EmitOptions,
    ) -> Result<()> {
        self.dispatch(
            event,
            Payload::typed(payload),
            options,
            EventType::Emit,
            true,
        )
        .await
    }

    /// Broadcasts an event: every handler on every node receives it.
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`].
    pub async fn broadcast<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
    ) -> Result<()> {
        self.broadcast_with(event, payload, EmitOptions::new())
            .await
    }

    /// Broadcasts an event with options.
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`].
    pub async fn broadcast_with<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
        options: EmitOptions,
    ) -> Result<()> {
        self.dispatch(
            event,
            Payload::typed(payload),
            options,
            EventType::Broadcast,
            true,
        )
        .await
    }

    /// Broadcasts an event to the local handlers only.
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`].
    pub async fn broadcast_local<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
    ) -> Result<()> {
        self.broadcast_local_with(event, payload, EmitOptions::new())
            .await
    }

    /// Broadcasts an event to the local handlers only, with options.
    ///
    /// # Errors
    /// Only with [`EmitOptions::throw_error`].
    pub async fn broadcast_local_with<P: Serialize + Send + Sync + 'static>(
        &self,
        event: &str,
        payload: P,
        options: EmitOptions,
    ) -> Result<()> {
        self.dispatch(
            event,
            Payload::typed(payload),
            options,
            EventType::BroadcastLocal,
            true,
        )
        .await
    }

    /// Whether some handler listens to `event`.
    pub fn has_event_listener(&self, event: &str) -> bool {
        !self.inner.registry.catalog().event_lists(event).is_empty()
    }

    /// The groups that listen to `event`.
    pub fn event_groups(&self, event: &str) -> Vec<String> {
        let mut groups: Vec<String> = self
            .inner
            .registry
            .catalog()
            .event_lists(event)
            .iter()
            .map(|l| l.group.to_string())
            .collect();
        groups.dedup();
        groups
    }

    /// Sends an event: through the middlewares' wrapper of `kind` when `wrapped` and there is
    /// one, else (and as the wrapper's innermost handler) straight on. Checked here rather than
    /// in a helper future around this one, so that the plain path's (large) future is not
    /// moved into one more.
    pub(crate) async fn dispatch(
        &self,
        event: &str,
        payload: Payload,
        mut options: EmitOptions,
        kind: EventType,
        wrapped: bool,
    ) -> Result<()> {
        if wrapped && let Some(hook) = self.inner.hooks.emit(kind) {
            return hook(EmitRequest::new(event, payload, options)).await;
        }
        if let Some(cluster) = &self.inner.cluster
            && cluster.balanced
            && kind != EventType::BroadcastLocal
        {
            return self
                .dispatch_balanced(cluster, event, &payload, options, kind)
                .await;
        }
        let targets = self.event_targets(event, options.groups.as_deref(), kind);
        if kind == EventType::Broadcast {
            // Node's `broadcast`: the other nodes, then `broadcastLocal` for this one (through
            // its wrappers; the handlers see the event type `broadcastLocal`).
            let remote: Vec<_> = targets.into_iter().filter(|e| !e.local).collect();
            if !remote.is_empty() {
                let meta = merged_meta(options.parent.as_deref(), options.meta.clone());
                let headers = options.headers.clone().unwrap_or_default();
                self.send_remote(event, &payload, &remote, &options, kind, &meta, &headers)
                    .await;
            }
            let local = self.dispatch(event, payload, options, EventType::BroadcastLocal, true);
            return Box::pin(local).await;
        }
        if targets.is_empty() {
            return Ok(());
        }
        // Usually every target is local: then no second list.
        let (mut targets, remote): (Vec<_>, Vec<_>) = if targets.iter().all(|e| e.local) {
            (targets, Vec::new())
        } else {
            targets.into_iter().partition(|e| e.local)
        };
        let meta = merged_meta(options.parent.as_deref(), options.meta.take());
        let headers = options.headers.take().unwrap_or_default();
        let parent = options.parent.as_deref();
        if !remote.is_empty() {
            self.send_remote(event, &payload, &remote, &options, kind, &meta, &headers)
                .await;
        }
        let event_name: Arc<str> = Arc::from(event);
        let run = |endpoint: Arc<EventEndpoint>, payload: Payload| {
            let ctx = self.event_context(
                &endpoint,
                &event_name,
                kind,
                &options.groups,
                parent,
                &meta,
                &headers,
            );
            run_handler(endpoint, ctx, payload)
        };
        // The last target gets the payload itself, so a typed payload with one receiver is
        // moved, not copied through JSON; one target needs no `join_all`.
        let Some(last) = targets.pop() else {
            return Ok(());
        };
        if targets.is_empty() {
            let result = run(last, payload).await;
            if options.throw_error {
                result?;
            }
            return Ok(());
        }
        let mut calls: Vec<_> = targets
            .into_iter()
            .map(|e| run(e, payload.clone()))
            .collect();
        calls.push(run(last, payload));
        let results = join_all(calls).await;
        if options.throw_error {
            results.into_iter().collect::<Result<Vec<()>>>()?;
        }
        Ok(())
    }

    /// The `EVENT` packets of an emit or broadcast to the nodes of `remote`: one per node.
    #[allow(clippy::too_many_arguments)]
    async fn send_remote(
        &self,
        event: &str,
        payload: &Payload,
        remote: &[Arc<EventEndpoint>],
        options: &EmitOptions,
        kind: EventType,
        meta: &Map<String, Value>,
        headers: &Map<String, Value>,
    ) {
        let Some(cluster) = &self.inner.cluster else {
            return;
        };
        let sends = remote_sends(remote, kind, options.groups.as_deref());
        let data = match payload.to_json() {
            Ok(data) => data,
            Err(err) => {
                tracing::error!(event, error = %err, "event payload does not serialize; not sent to other nodes");
                return;
            }
        };
        let parent = options.parent.as_deref();
        for (node, groups) in sends {
            let packet = event_packet(event, data.clone(), groups, kind, parent, meta, headers);
            cluster.send_event(packet, Some(&node)).await;
        }
    }

    /// `disableBalancer` (reference §1.9): an emit goes once per group to the group's queue
    /// (`EVENTB.<group>.<event>`), a broadcast once to every listening node, this one
    /// included; nothing runs locally without the transporter.
    async fn dispatch_balanced(
        &self,
        cluster: &crate::transit::Transit,
        event: &str,
        payload: &Payload,
        options: EmitOptions,
        kind: EventType,
    ) -> Result<()> {
        let data = payload.to_json().map_err(|err| {
            crate::Error::server(format!("event payload does not serialize: {err}"))
        })?;
        let parent = options.parent.as_deref();
        let meta = merged_meta(parent, options.meta);
        let headers = options.headers.unwrap_or_default();
        let targets = self.event_targets(event, options.groups.as_deref(), EventType::Broadcast);
        if kind == EventType::Emit {
            let groups: std::collections::BTreeSet<String> = match options.groups {
                Some(groups) => groups.into_iter().collect(),
                None => targets.iter().map(|e| e.group().to_owned()).collect(),
            };
            for group in groups {
                let packet = event_packet(
                    event,
                    data.clone(),
                    Some(vec![group]),
                    kind,
                    parent,
                    &meta,
                    &headers,
                );
                cluster.send_event(packet, None).await;
            }
        } else {
            for (node, groups) in remote_sends(&targets, kind, options.groups.as_deref()) {
                let packet =
                    event_packet(event, data.clone(), groups, kind, parent, &meta, &headers);
                cluster.send_event(packet, Some(&node)).await;
            }
        }
        Ok(())
    }

    /// An event that another node sent here: Node's `emitLocalServices`. For each local list
    /// whose pattern matches and whose group is among the packet's groups (every list when it
    /// names none), one local handler runs for an emit, all of them for a broadcast.
    pub(crate) async fn deliver_remote_event(&self, sender: &str, event: Event) {
        let kind = if event.broadcast {
            EventType::Broadcast
        } else {
            EventType::Emit
        };
        let groups = event.groups.as_deref().filter(|g| !g.is_empty());
        let mut targets = Vec::new();
        for list in self
            .inner
            .registry
            .catalog()
            .event_lists(&event.event)
            .iter()
        {
            if groups.is_some_and(|g| !g.iter().any(|g| **g == *list.group)) {
                continue;
            }
            match kind {
                EventType::Broadcast => {
                    targets.extend(list.endpoints.iter().filter(|e| e.local).cloned());
                }
                _ => targets.extend(list.next_local()),
            }
        }
        if targets.is_empty() {
            return;
        }
        let name: Arc<str> = Arc::from(event.event.as_str());
        let node_id: Arc<str> = Arc::from(sender);
        let payload = event.data;
        let fields = Received {
            id: ContextId::parse(&event.id),
            request_id: event.request_id,
            parent_id: event.parent_id,
            level: event.level,
            caller: event.caller,
            meta: event.meta,
            headers: event.headers,
            tracing: event.tracing,
        };
        let calls = targets.into_iter().map(|endpoint| {
            let info = EventInfo {
                name: name.clone(),
                event_type: kind,
                groups: event.groups.clone(),
            };
            let ctx = ContextInner::received(
                self.clone(),
                node_id.clone(),
                fields.clone(),
                (
                    endpoint.def.name.clone(),
                    endpoint.service.full_name.clone(),
                ),
                None,
                Some(Box::new(info)),
            );
            run_handler(endpoint, SharedContext::new(ctx), payload.clone())
        });
        join_all(calls).await;
    }

    /// The endpoints that receive one event.
    fn event_targets(
        &self,
        event: &str,
        groups: Option<&[String]>,
        kind: EventType,
    ) -> Vec<Arc<EventEndpoint>> {
        let lists = self.inner.registry.catalog().event_lists(event);
        let prefer_local = self.inner.registry.prefer_local;
        let mut targets = Vec::new();
        for list in lists.iter() {
            if groups.is_some_and(|g| !g.iter().any(|g| **g == *list.group)) {
                continue;
            }
            match kind {
                EventType::Emit => targets.extend(list.next(prefer_local)),
                EventType::Broadcast => targets.extend(list.endpoints.iter().cloned()),
                EventType::BroadcastLocal => {
                    targets.extend(list.endpoints.iter().filter(|e| e.local).cloned());
                }
            }
        }
        targets
    }

    #[allow(clippy::too_many_arguments)]
    fn event_context(
        &self,
        endpoint: &Arc<EventEndpoint>,
        event: &Arc<str>,
        kind: EventType,
        groups: &Option<Vec<String>>,
        parent: Option<&ContextInner>,
        meta: &Map<String, Value>,
        headers: &Map<String, Value>,
    ) -> SharedContext {
        SharedContext::new(ContextInner {
            broker: self.clone(),
            id: ContextId::generate(),
            request_id: parent.map(|p| p.request_id().clone()),
            parent_id: parent.map(|p| p.id.clone()),
            level: parent.map_or(1, |p| p.level + 1),
            caller: parent.and_then(|p| p.target.service().cloned()),
            target: Target::Event(endpoint.clone()),
            meta: Mutex::new(meta.clone()),
            headers: (!headers.is_empty()).then(|| Box::new(headers.clone())),
            scratch: Mutex::new(None),
            tracing: parent.and_then(|p| p.tracing),
            timeout: None,
            event: Some(Box::new(EventInfo {
                name: event.clone(),
                event_type: kind,
                groups: groups.clone(),
            })),
        })
    }
}

/// Runs one local handler and logs its failure.
async fn run_handler(
    endpoint: Arc<EventEndpoint>,
    ctx: SharedContext,
    payload: Payload,
) -> Result<()> {
    let Some(handler) = &endpoint.handler else {
        return Ok(());
    };
    // Kept only when there is one: no reference count touched per event otherwise.
    let error_handler = ctx.broker.inner.error_handler.clone();
    let result = handler(EventContext::from_parts(payload, ctx)).await;
    // The error handler may silence the error (any `Ok`).
    let result = match result {
        Ok(()) => Ok(()),
        Err(err) => {
            let info = super::ErrorInfo::event(&endpoint.def.name, &endpoint.service.full_name);
            super::handled(error_handler.as_ref(), Err(err), &info).map(drop)
        }
    };
    if let Err(err) = &result {
        tracing::error!(
            event = %endpoint.def.name,
            service = %endpoint.service.full_name,
            error = %err,
            "event handler failed"
        );
    }
    result
}

/// The `EVENT` packets for remote endpoints, one per node (Node's `sendEvent` grouping): an
/// emit names the groups picked on that node; a broadcast names the caller's groups, if any.
fn remote_sends(
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

/// The `EVENT` packet of an emit or broadcast, with the context fields Node sends.
fn event_packet(
    event: &str,
    data: Value,
    groups: Option<Vec<String>>,
    kind: EventType,
    parent: Option<&ContextInner>,
    meta: &Map<String, Value>,
    headers: &Map<String, Value>,
) -> Event {
    let id = ContextId::generate().to_string();
    Event {
        request_id: Some(parent.map_or_else(|| id.clone(), |p| p.request_id().to_string())),
        id,
        event: event.to_owned(),
        data: data.into(),
        groups,
        broadcast: kind == EventType::Broadcast,
        meta: meta.clone(),
        headers: headers.clone(),
        level: parent.map_or(1, |p| p.level + 1),
        tracing: parent.and_then(|p| p.tracing),
        parent_id: parent.map(|p| p.id.to_string()),
        caller: parent.and_then(|p| p.target.service().map(|s| s.to_string())),
        need_ack: None,
    }
}
