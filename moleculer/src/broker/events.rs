//! `emit`, `broadcast` and `broadcastLocal` (Node's `src/service-broker.js` and
//! `src/registry/event-catalog.js`).
//!
//! Every `(pattern, group)` pair whose pattern matches the event name is an endpoint list.
//! `emit` picks one endpoint per list (balanced per group), `broadcast` takes every endpoint,
//! `broadcastLocal` every local one; a `groups` option keeps only those groups. The returned
//! future completes when the local handlers have run; their errors are logged, or returned with
//! `throw_error`.

use std::sync::Arc;

use futures_util::future::join_all;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ServiceBroker;
use super::call::merged_meta;
use crate::context::{ContextId, ContextInner, EmitOptions, EventContext, EventInfo, EventType};
use crate::error::Result;
use crate::payload::Payload;
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
        self.dispatch(event, Payload::typed(payload), options, EventType::Emit)
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

    pub(crate) async fn dispatch(
        &self,
        event: &str,
        payload: Payload,
        options: EmitOptions,
        kind: EventType,
    ) -> Result<()> {
        let targets = self.event_targets(event, options.groups.as_deref(), kind);
        if targets.is_empty() {
            return Ok(());
        }
        let event_name: Arc<str> = Arc::from(event);
        let parent = options.parent.as_deref();
        let meta = merged_meta(parent, options.meta);
        let headers = options.headers.unwrap_or_default();
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
            let running = (endpoint.handler)(EventContext::from_parts(payload, ctx));
            async move {
                let result = running.await;
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
        };
        // The last target gets the payload itself, so a typed payload with one receiver is
        // moved, not copied through JSON; one target needs no `join_all`.
        let mut targets = targets;
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
        // Remote delivery arrives with the transit layer; locally every target runs here.
        targets.retain(|e| e.local);
        targets
    }

    #[allow(clippy::too_many_arguments)]
    fn event_context(
        &self,
        endpoint: &EventEndpoint,
        event: &Arc<str>,
        kind: EventType,
        groups: &Option<Vec<String>>,
        parent: Option<&ContextInner>,
        meta: &Map<String, Value>,
        headers: &Map<String, Value>,
    ) -> Arc<ContextInner> {
        Arc::new(ContextInner {
            broker: self.clone(),
            id: ContextId::generate(),
            request_id: parent.map(|p| p.request_id().clone()),
            parent_id: parent.map(|p| p.id.clone()),
            level: parent.map_or(1, |p| p.level + 1),
            caller: parent.and_then(|p| p.service.clone()),
            node_id: self.inner.node_id.clone(),
            target: Some(endpoint.def.name.clone()),
            service: Some(endpoint.service.full_name.clone()),
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
