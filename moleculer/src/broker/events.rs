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

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ServiceBroker;
use crate::context::{
    ContextId, ContextInner, EmitOptions, EventInfo, EventType, SharedContext, Target, TracingFlag,
    merged_meta,
};
use crate::error::Result;
use crate::middleware::EmitRequest;
use crate::payload::Payload;
use crate::registry::{EventEndpoint, SelectInput};
use crate::transit::OutgoingEvent;

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
            .map(|l| l.group().to_owned())
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
        let transit = self.inner.transit.as_ref();
        if let Some(transit) = transit
            && transit.balanced()
            && kind != EventType::BroadcastLocal
        {
            let targets = self.event_targets(event, &payload, &options, EventType::Broadcast);
            let outgoing = OutgoingEvent::new(event, &payload, &options, kind);
            return transit.emit_balanced(outgoing, &targets).await;
        }
        let targets = self.event_targets(event, &payload, &options, kind);
        if kind == EventType::Broadcast {
            // Node's `broadcast`: the other nodes, then `broadcastLocal` for this one (through
            // its wrappers; the handlers see the event type `broadcastLocal`).
            let remote: Vec<_> = targets.into_iter().filter(|e| !e.local).collect();
            if let Some(transit) = transit
                && !remote.is_empty()
            {
                let outgoing = OutgoingEvent::new(event, &payload, &options, kind);
                transit.send_events(outgoing, &remote).await;
            }
            let local = self.dispatch(event, payload, options, EventType::BroadcastLocal, true);
            return Box::pin(local).await;
        }
        if targets.is_empty() {
            return Ok(());
        }
        // Usually every target is local: then no second list.
        let (local, remote): (Vec<_>, Vec<_>) = if targets.iter().all(|e| e.local) {
            (targets, Vec::new())
        } else {
            targets.into_iter().partition(|e| e.local)
        };
        if let Some(transit) = transit
            && !remote.is_empty()
        {
            let outgoing = OutgoingEvent::new(event, &payload, &options, kind);
            transit.send_events(outgoing, &remote).await;
        }
        if local.is_empty() {
            return Ok(());
        }
        let meta = merged_meta(options.parent.as_deref(), options.meta.take());
        let headers = options.headers.take().unwrap_or_default();
        let parent = options.parent.as_deref();
        let event_name: Arc<str> = Arc::from(event);
        let context = |endpoint: &Arc<EventEndpoint>| {
            self.event_context(
                endpoint,
                &event_name,
                kind,
                &options.groups,
                parent,
                &meta,
                &headers,
            )
        };
        let result = self.inner.local.run_events(local, context, payload).await;
        if options.throw_error {
            result?;
        }
        Ok(())
    }

    /// The endpoints that receive one event.
    fn event_targets(
        &self,
        event: &str,
        payload: &Payload,
        options: &EmitOptions,
        kind: EventType,
    ) -> Vec<Arc<EventEndpoint>> {
        let registry = &*self.inner.registry;
        let lists = registry.catalog().event_lists(event);
        let groups = options.groups.as_deref();
        let mut targets = Vec::new();
        for list in lists.iter() {
            if groups.is_some_and(|g| !g.iter().any(|g| **g == *list.group())) {
                continue;
            }
            match kind {
                EventType::Emit if list.strategy.needs_input() => {
                    // Shard reads its key from the payload (as JSON) or the meta.
                    let json = payload.to_json().ok();
                    let parent_meta = options.parent.as_ref().map(|p| p.meta.lock().clone());
                    let input = SelectInput {
                        params: json.as_ref(),
                        meta: options.meta.as_ref().or(parent_meta.as_ref()),
                    };
                    targets.extend(list.next(registry.prefer_local, registry, &input).cloned());
                }
                EventType::Emit => {
                    let input = SelectInput::default();
                    targets.extend(list.next(registry.prefer_local, registry, &input).cloned());
                }
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
            level: parent.map_or(1, |p| p.level.saturating_add(1)),
            caller: parent.map(|p| p.target.service().full_name.clone()),
            target: Target::Event(endpoint.clone()),
            meta: Mutex::new(meta.clone()),
            headers: (!headers.is_empty()).then(|| Box::new(headers.clone())),
            scratch: Mutex::new(None),
            cached_result: std::sync::atomic::AtomicBool::new(false),
            tracing: TracingFlag::new(parent.and_then(|p| p.tracing.get())),
            timeout: None,
            event: Some(Box::new(EventInfo {
                name: event.clone(),
                event_type: kind,
                groups: groups.clone(),
            })),
        })
    }
}
