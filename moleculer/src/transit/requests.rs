//! Requests across nodes (Node's `transit.js` `_sendRequest`, `responseHandler` and
//! `requestHandler`): the pending table on the caller's side, the local handler run on the
//! callee's side.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::oneshot;

use super::{Transit, Work};
use crate::broker::{ErrorInfo, LocalDispatch, Params, Start, Started};
use crate::context::{ContextId, ContextInner, Received, SharedContext};
use crate::error::{Error, Result};
use crate::metrics::PacketMetrics;
use crate::payload::Payload;
use crate::protocol::{Packet, PacketType, Request, Response};
use crate::registry::ActionEndpoint;
use crate::service::SlowStart;

/// What a pending call receives: the responder's nodeID and its answer.
type Answer = Result<(String, Response)>;

/// One call waiting for its `RES`.
struct Waiter {
    /// The node asked; `None` for a balanced (`REQB`) request.
    node_id: Option<Arc<str>>,
    action: Arc<str>,
    answer: oneshot::Sender<Answer>,
}

/// Calls waiting for a response, by context id (a number for the ids this node makes, so
/// neither inserting nor looking up allocates).
pub(crate) struct Pending {
    waiting: Mutex<HashMap<ContextId, Waiter, foldhash::fast::RandomState>>,
    limit: usize,
    /// Where `moleculer.transit.requests.active` is kept, when metrics are on: set to the
    /// table's size under its lock at each change, so that the last value set is the last
    /// size.
    metrics: Option<Arc<PacketMetrics>>,
}

impl Pending {
    pub(crate) fn new(limit: usize, metrics: Option<Arc<PacketMetrics>>) -> Pending {
        Pending {
            waiting: Mutex::new(HashMap::default()),
            limit,
            metrics,
        }
    }

    /// The table's size changed to `len`.
    fn resized(&self, len: usize) {
        if let Some(metrics) = &self.metrics {
            metrics.requests_active(len);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.waiting.lock().len()
    }

    /// Adds a waiter; `QueueIsFullError` beyond `transit.maxQueueSize`.
    fn insert(
        &self,
        id: ContextId,
        node_id: Option<&Arc<str>>,
        action: &Arc<str>,
        local_node: &str,
    ) -> Result<oneshot::Receiver<Answer>> {
        let (tx, rx) = oneshot::channel();
        let mut waiting = self.waiting.lock();
        if self.limit > 0 && waiting.len() >= self.limit {
            return Err(Error::queue_is_full(
                action,
                local_node,
                waiting.len(),
                self.limit,
            ));
        }
        waiting.insert(
            id,
            Waiter {
                node_id: node_id.cloned(),
                action: action.clone(),
                answer: tx,
            },
        );
        self.resized(waiting.len());
        Ok(rx)
    }

    fn remove(&self, id: &ContextId) {
        let mut waiting = self.waiting.lock();
        if waiting.remove(id).is_some() {
            self.resized(waiting.len());
        }
    }

    /// A `RES` arrived: hand it to its caller; an orphan (its call timed out) is dropped.
    /// Whether it was an orphan.
    pub(crate) fn resolve(&self, sender: String, response: Response) -> bool {
        let waiter = {
            let mut waiting = self.waiting.lock();
            let waiter = waiting.remove(&ContextId::parse(&response.id));
            if waiter.is_some() {
                self.resized(waiting.len());
            }
            waiter
        };
        match waiter {
            Some(waiter) => {
                let _ = waiter.answer.send(Ok((sender, response)));
                false
            }
            None => {
                tracing::debug!(id = %response.id, sender, "orphan response dropped");
                true
            }
        }
    }

    /// The node left: fail every call waiting on it with `RequestRejectedError`.
    pub(crate) fn reject_node(&self, node_id: &str) {
        let rejected: Vec<Waiter> = {
            let mut waiting = self.waiting.lock();
            let ids: Vec<ContextId> = waiting
                .iter()
                .filter(|(_, w)| w.node_id.as_deref() == Some(node_id))
                .map(|(id, _)| id.clone())
                .collect();
            let rejected = ids.iter().filter_map(|id| waiting.remove(id)).collect();
            self.resized(waiting.len());
            rejected
        };
        for waiter in rejected {
            let _ = waiter
                .answer
                .send(Err(Error::request_rejected(&waiter.action, node_id)));
        }
    }

    /// The local node disconnects: fail every waiting call.
    pub(crate) fn reject_all(&self, local_node: &str) {
        let all: Vec<Waiter> = {
            let mut waiting = self.waiting.lock();
            let all = waiting.drain().map(|(_, w)| w).collect();
            self.resized(0);
            all
        };
        for waiter in all {
            let node = waiter.node_id.as_deref().unwrap_or(local_node);
            let _ = waiter
                .answer
                .send(Err(Error::request_rejected(&waiter.action, node)));
        }
    }
}

/// Removes a call's waiter when the call ends early (timeout, dropped future).
struct WaiterGuard<'a> {
    pending: &'a Pending,
    id: &'a ContextId,
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.pending.remove(self.id);
    }
}

impl Transit {
    /// A call that the transporter balances (`disableBalancer`): its request goes to
    /// `REQB.<action>`, a queue of every node that offers the action.
    pub(crate) fn balanced_request(
        self: &Arc<Self>,
        ctx: SharedContext,
        params: Payload,
        endpoint: &Arc<ActionEndpoint>,
    ) -> Started {
        let timeout = self.local.timeout(ctx.timeout.map(|(t, _)| t), endpoint);
        let transit = self.clone();
        let running = Box::pin(async move { transit.request(None, &ctx, params).await });
        Started::plain(running, timeout)
    }

    /// Sends the request of `ctx` to `node_id` (or to the balanced `REQB` topic) and waits
    /// for the response; its meta merges into the context's meta.
    pub(crate) async fn request(
        &self,
        node_id: Option<&Arc<str>>,
        ctx: &SharedContext,
        params: Payload,
    ) -> Result<Payload> {
        let action = ctx.target.name().clone();
        let params = params.or_empty_object();
        let answer = self
            .pending
            .insert(ctx.id.clone(), node_id, &action, &self.node_id)?;
        let _guard = WaiterGuard {
            pending: &self.pending,
            id: &ctx.id,
        };
        let request = request_packet(ctx.id.to_string(), &action, ctx, params);
        let node_id = node_id.map(|id| &**id);
        let topic = match node_id {
            Some(node) => self.topics.topic(PacketType::Request, Some(node)),
            None => self.topics.balanced_request(&action),
        };
        self.publish(Packet::Request(request), topic).await?;
        let (sender, response) = answer
            .await
            .map_err(|_| Error::request_rejected(&action, node_id.unwrap_or(&self.node_id)))??;
        if !response.meta.is_empty() {
            ctx.meta.lock().extend(response.meta);
        }
        if !response.headers.is_empty() {
            let mut scratch = ctx.scratch.lock();
            let scratch = scratch.get_or_insert_with(Box::default);
            scratch.response_headers.extend(response.headers);
        }
        if response.success {
            Ok(response.data.unwrap_or_else(Payload::null))
        } else {
            Err(Error::from_wire(
                response.error.as_ref().unwrap_or(&Value::Null),
                Some(&sender),
            ))
        }
    }
}

/// The `REQ` of a context, with the fields Node sends.
fn request_packet(id: String, action: &str, ctx: &ContextInner, params: Payload) -> Request {
    Request {
        // A root call's request id is its own id: no second formatting.
        request_id: Some(
            ctx.request_id
                .as_ref()
                .map_or_else(|| id.clone(), ToString::to_string),
        ),
        id,
        action: action.to_owned(),
        params,
        meta: ctx.meta.lock().clone(),
        headers: ctx.headers.as_deref().cloned().unwrap_or_default(),
        timeout: ctx
            .timeout
            .map_or(0.0, |(timeout, _)| timeout.as_secs_f64() * 1000.0),
        level: ctx.level,
        tracing: ctx.tracing.get(),
        parent_id: ctx.parent_id.as_ref().map(ToString::to_string),
        caller: ctx.caller.as_deref().map(str::to_owned),
        stream: false,
        seq: None,
    }
}

/// A `REQ` from `sender`: the work of running the local action and answering with `RES`.
pub(crate) fn serve(transit: Arc<Transit>, sender: String, req: Request) -> Work {
    // The synchronous part runs here, so that the work's future holds no packet.
    let (id, started) = transit.start_served(&sender, req);
    let slow_start = match &started {
        Ok(served) => served.endpoint.slow_start.clone(),
        Err(_) => SlowStart::default(),
    };
    let future = Box::pin(async move {
        let (result, ctx) = match started {
            Ok(served) => {
                let ctx = served.ctx.clone();
                (served.run(&transit.local, &sender).await, Some(ctx))
            }
            Err(err) => (Err(err), None),
        };
        let failure = |id: String, err: Error| {
            let err = if err.node_id().is_none() {
                err.with_node_id(&*transit.node_id)
            } else {
                err
            };
            Response::failure(id, err.to_wire())
        };
        // The context id is the request's: it names the response again if this one fails.
        let retry_id = ctx
            .as_ref()
            .filter(|_| result.is_ok())
            .map(|c| c.id.clone());
        let mut response = match result {
            Ok(data) => Response::success(id, Some(data)),
            Err(err) => failure(id, err),
        };
        // The handler is done with its context: move its meta and headers out.
        if let Some(ctx) = ctx {
            response.meta = std::mem::take(&mut *ctx.meta.lock());
            if let Some(scratch) = ctx.scratch.lock().as_mut() {
                response.headers = std::mem::take(&mut scratch.response_headers);
            }
        }
        let Err(err) = transit
            .send(Packet::Response(response), Some(&sender))
            .await
        else {
            return;
        };
        // A typed result is serialized while the packet is: if that (or the send) failed,
        // the caller gets the error instead of waiting for its timeout.
        tracing::warn!(error = %err, "could not send a response");
        if let Some(id) = retry_id {
            let response = failure(id.to_string(), err);
            transit
                .send_logged(Packet::Response(response), Some(&sender))
                .await;
        }
    });
    Work::new(future, slow_start)
}

/// A remote request's local handler, started.
struct Served {
    started: Started,
    ctx: SharedContext,
    endpoint: Arc<ActionEndpoint>,
}

impl Served {
    /// The handler's result under the request's timeout, after the action's fallback and the
    /// broker's error handler.
    async fn run(self, local: &LocalDispatch, sender: &str) -> Result<Payload> {
        let Served {
            started, endpoint, ..
        } = self;
        let result = started.run(&endpoint.def.name).await;
        let info = ErrorInfo {
            service: Some(&endpoint.service.full_name),
            caller_node_id: Some(sender),
            ..ErrorInfo::action(&endpoint.def.name)
        };
        local.handled(result, &info)
    }
}

impl Transit {
    /// Finds the local endpoint of a remote request and starts its handler through the
    /// local-dispatch port, with the context rebuilt from the packet; gives back the request
    /// id for the response.
    fn start_served(&self, sender: &str, req: Request) -> (String, Result<Served>) {
        let own = &self.node_id;
        if self.stopping.load(std::sync::atomic::Ordering::Acquire) {
            let err = Error::service_not_available(&req.action, Some(own));
            return (req.id, Err(err));
        }
        let endpoint = match self.local_endpoint(&req.action) {
            Ok(endpoint) => endpoint,
            Err(err) => return (req.id, Err(err)),
        };
        let Some(broker) = self.broker.upgrade() else {
            let err = Error::service_not_available(&req.action, Some(own));
            return (req.id, Err(err));
        };
        // Node's `Timeout` is a built-in middleware: none without them.
        let timed = req.timeout > 0.0 && self.builtin_middlewares;
        // A timeout too large for a `Duration` (or not a number) is no timeout: it would
        // never fire (Node's `setTimeout` fires such a timer at once instead).
        let timeout = timed
            .then(|| Duration::try_from_secs_f64(req.timeout / 1000.0).ok())
            .flatten();
        let fields = Received {
            id: ContextId::parse(&req.id),
            request_id: req.request_id,
            parent_id: req.parent_id,
            level: req.level,
            caller: req.caller,
            meta: req.meta,
            headers: req.headers,
            tracing: req.tracing,
        };
        let ctx = SharedContext::new(ContextInner::received(
            broker,
            Arc::from(sender),
            fields,
            (endpoint.def.name.clone(), endpoint.service.clone()),
            timeout,
            None,
        ));
        let start = Start {
            own_fallback: self.builtin_middlewares,
            // A panicking handler answers with an error instead of leaving the caller waiting.
            catch_panics: true,
            keep_def: false,
        };
        let params = Params::Payload(req.params);
        let started = self
            .local
            .start_action(&endpoint, ctx.clone(), params, start);
        let served = Served {
            started,
            ctx,
            endpoint,
        };
        (req.id, Ok(served))
    }

    /// The local endpoint of `action`: `ServiceNotFoundError` when this node has none,
    /// `ServiceNotAvailableError` when its circuit is open.
    fn local_endpoint(&self, action: &str) -> Result<Arc<ActionEndpoint>> {
        let own = &self.node_id;
        let catalog = self.registry.catalog();
        let list = catalog.actions.get(action);
        match list.and_then(|list| list.local_endpoint()) {
            None => Err(Error::service_not_found(action, Some(own))),
            Some(ep) if !ep.is_available() => Err(Error::service_not_available(action, Some(own))),
            Some(ep) => Ok(ep.clone()),
        }
    }
}
