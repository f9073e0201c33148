//! Middlewares (reference §9, Node's `src/middleware.js`): code that wraps the broker's
//! handlers and methods, the transit layer and the transporter, and hooks into the lifecycle.
//!
//! A [`Middleware`] implements only the hooks it needs; every hook has a default that
//! does nothing (a wrapping hook returns `None`). There are three kinds:
//!
//! * **Handler wrappers** ([`local_action`](Middleware::local_action),
//!   [`remote_action`](Middleware::remote_action), [`local_event`](Middleware::local_event)):
//!   applied once per handler, when the action or event is registered.
//! * **Method wrappers** ([`call`](Middleware::call), [`mcall`](Middleware::mcall),
//!   [`emit`](Middleware::emit), [`broadcast`](Middleware::broadcast),
//!   [`broadcast_local`](Middleware::broadcast_local) around the broker's methods;
//!   [`transit_publish`](Middleware::transit_publish) and
//!   [`transit_message_handler`](Middleware::transit_message_handler) around every packet
//!   sent and received; [`transporter_send`](Middleware::transporter_send) and
//!   [`transporter_receive`](Middleware::transporter_receive) around the bytes on the wire):
//!   applied once, when the broker is built (the receiving ones when it connects).
//! * **Lifecycle hooks**: [`created`](Middleware::created), [`starting`](Middleware::starting),
//!   [`started`](Middleware::started), [`stopping`](Middleware::stopping),
//!   [`stopped`](Middleware::stopped), [`service_creating`](Middleware::service_creating),
//!   [`service_created`](Middleware::service_created),
//!   [`service_starting`](Middleware::service_starting),
//!   [`service_started`](Middleware::service_started),
//!   [`service_stopping`](Middleware::service_stopping),
//!   [`service_stopped`](Middleware::service_stopped).
//!
//! With the feature `tower`, `TowerLayer` makes a tower `Layer` a middleware around actions.
//!
//! A wrapping hook gets the next handler and returns `Some` handler to use instead, or `None`
//! to leave it as it is. When no middleware wraps a hook, the broker keeps its plain path: a
//! call, an emit or a packet through middlewares that wrap nothing costs nothing.
//!
//! Order, as in Node: middlewares wrap in the order they were added, each later one around
//! the earlier ones, so the last one added runs first (outermost); the built-in ones (bulkhead,
//! context tracker, circuit breaker) are added after the user's, so they run outside them.
//! `transporter_receive` wraps in the reverse order, so that the receiving side undoes the
//! sending side's changes in mirror order. The `stopping`, `stopped`, `service_stopping` and
//! `service_stopped` hooks run in reverse order.
//!
//! A handler wrapper, written as an async function ([`from_fn`], as axum's):
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use moleculer::middleware::from_fn;
//!
//! // Counts the calls of every local action.
//! let count = Arc::new(AtomicUsize::new(0));
//! let counter = from_fn({
//!     let count = count.clone();
//!     move |ctx, next| {
//!         count.fetch_add(1, Ordering::Relaxed);
//!         async move { next.call(ctx).await }
//!     }
//! });
//! # let _ = moleculer::ServiceBroker::builder().middleware(counter);
//! ```
//!
//! The same as a [`Middleware`] that wraps only some actions:
//!
//! ```
//! use moleculer::middleware::{Middleware, wrap_action};
//! use moleculer::service::{ActionDef, ActionHandler};
//!
//! /// Logs the calls of the actions published as `rest` routes.
//! struct RestLog;
//!
//! impl Middleware for RestLog {
//!     fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
//!         action.extra.get("rest")?;
//!         let name = action.name.clone();
//!         Some(wrap_action(next, move |ctx, next| {
//!             tracing::info!(action = %name, "REST call");
//!             next.call(ctx)
//!         }))
//!     }
//! }
//! # let _ = moleculer::ServiceBroker::builder().middleware(RestLog);
//! ```
//!
//! A `call` wrapper that answers one action itself and passes the other calls on:
//!
//! ```
//! use std::sync::Arc;
//! use moleculer::middleware::{CallHandler, CallRequest, Middleware};
//! use moleculer::{Payload, ServiceBroker};
//!
//! struct Maintenance;
//!
//! impl Middleware for Maintenance {
//!     fn call(&self, next: &CallHandler) -> Option<CallHandler> {
//!         let next = next.clone();
//!         Some(Arc::new(move |req: CallRequest| {
//!             if req.action == "billing.charge" {
//!                 return Box::pin(async { Ok(Payload::typed("closed for maintenance")) });
//!             }
//!             next(req)
//!         }))
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let broker = ServiceBroker::builder().middleware(Maintenance).build()?;
//! broker.start().await?;
//! let answer: String = broker.call("billing.charge", serde_json::json!({})).await?;
//! assert_eq!(answer, "closed for maintenance");
//! broker.stop().await?;
//! # Ok::<(), moleculer::Error>(())
//! # }).unwrap();
//! ```
//!
//! A byte transform on the wire (Node's `Transmit.*` middlewares sit here); every node of the
//! cluster needs it:
//!
//! ```
//! use std::sync::Arc;
//! use moleculer::middleware::{
//!     Middleware, ReceiveHandler, ReceivedMessage, SendHandler, WireMessage,
//! };
//! use moleculer::transporter::Bytes;
//!
//! struct Xor(u8);
//!
//! fn xor(data: &[u8], key: u8) -> Bytes {
//!     data.iter().map(|b| b ^ key).collect::<Vec<u8>>().into()
//! }
//!
//! impl Middleware for Xor {
//!     fn transporter_send(&self, next: &SendHandler) -> Option<SendHandler> {
//!         let (key, next) = (self.0, next.clone());
//!         Some(Arc::new(move |mut msg: WireMessage| {
//!             msg.data = xor(&msg.data, key);
//!             next(msg)
//!         }))
//!     }
//!
//!     fn transporter_receive(&self, next: &ReceiveHandler) -> Option<ReceiveHandler> {
//!         let (key, next) = (self.0, next.clone());
//!         Some(Arc::new(move |mut msg: ReceivedMessage| {
//!             msg.data = xor(&msg.data, key);
//!             next(msg)
//!         }))
//!     }
//! }
//! # let _ = moleculer::ServiceBroker::builder().middleware(Xor(0x5a));
//! ```
//!
//! # Differences from moleculerjs
//!
//! * Middlewares are values implementing [`Middleware`], not objects of functions; Node's
//!   built-in middlewares are options of the broker, not names to add.
//! * A wrapping hook that leaves the handler as it is returns `None` (Node's returns `next`).
//! * The receiving hooks (`transporter_receive`, `transit_message_handler`) are synchronous:
//!   they run on the transporter's reading task. One that has to wait spawns a task and calls
//!   `next` from it; everything the rest of the chain needs travels in the message.
//! * `service_creating` gets a [`ServiceSchema`], a view of the
//!   merged definition that can change its name, settings, metadata, dependencies and its
//!   actions' published options, or remove actions; it cannot add handlers.
//! * Not available: `localMethod`, `createService`, `registerLocalService`, `destroyService`
//!   and `newLogEntry`.

mod breaker;
mod bulkhead;
mod debounce;
mod hooks;
mod stack;
mod throttle;
#[cfg(feature = "tower")]
mod tower;
mod tracker;
#[cfg(feature = "transmit")]
pub mod transmit;
mod wire;
mod wrap;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use self::tower::{ActionService, TowerLayer};
pub(crate) use breaker::CircuitBreaker;
pub(crate) use bulkhead::Bulkhead;
pub(crate) use debounce::Debounce;
pub use hooks::{CallHandler, CallRequest, EmitHandler, EmitRequest, McallHandler, McallRequest};
pub(crate) use stack::Stack;
pub(crate) use throttle::Throttle;
pub(crate) use tracker::ContextTracker;
pub use wire::{
    MessageHandler, PublishHandler, ReceiveHandler, ReceivedMessage, ReceivedPacket, SendHandler,
    TransitPacket, WireMessage,
};
pub use wrap::{FromFn, from_fn, wrap_action, wrap_event};

use crate::broker::ServiceBroker;
use crate::error::Result;
use crate::service::{
    ActionDef, ActionHandler, BoxFuture, EventDef, EventHandler, ServiceInfo, ServiceSchema,
};

/// A broker middleware: wrapping hooks for handlers, and lifecycle hooks. Every method has a
/// default that does nothing, so a middleware implements only what it needs.
pub trait Middleware: Send + Sync + 'static {
    /// A name for logs.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Wraps the handler of a local action (Node's `localAction`): the handler to use
    /// instead of `next`, or `None` to leave it as it is.
    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let _ = (next, action);
        None
    }

    /// Wraps the handler of an action on another node, which sends the request (Node's
    /// `remoteAction`); `None` leaves it as it is.
    fn remote_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        let _ = (next, action);
        None
    }

    /// Wraps the handler of a local event (Node's `localEvent`); `None` leaves it as it is.
    fn local_event(&self, next: &EventHandler, event: &EventDef) -> Option<EventHandler> {
        let _ = (next, event);
        None
    }

    /// Wraps the broker's call path (Node's `call`): every `broker.call*` and `ctx.call*`,
    /// before the endpoint is picked. The handler may change the request, answer without
    /// calling `next`, or look at the result. `None` leaves it as it is.
    ///
    /// With a `call` wrapper, typed params travel in a [`Payload`](crate::Payload) (still
    /// typed, not serialized); without one, calls take the direct typed path.
    fn call(&self, next: &CallHandler) -> Option<CallHandler> {
        let _ = next;
        None
    }

    /// Wraps `broker.mcall` and `ctx.mcall` (Node's `mcall`); each call of the `mcall` then
    /// goes through the `call` wrappers. `None` leaves it as it is.
    fn mcall(&self, next: &McallHandler) -> Option<McallHandler> {
        let _ = next;
        None
    }

    /// Wraps `broker.emit*` and `ctx.emit*` (Node's `emit`). The handler may change the
    /// event's name, payload or options, swallow it (`Ok(())` without calling `next`), or
    /// look at it. `None` leaves it as it is.
    fn emit(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }

    /// Wraps `broker.broadcast*` and `ctx.broadcast` (Node's `broadcast`), as
    /// [`emit`](Middleware::emit).
    fn broadcast(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }

    /// Wraps `broker.broadcast_local*` (Node's `broadcastLocal`), the internal events
    /// (`$broker.started`, `$services.changed`, …) included, as [`emit`](Middleware::emit).
    fn broadcast_local(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }

    /// Wraps the sending of every packet to other nodes (Node's `transitPublish`), before it
    /// is serialized; the TCP transporter's gossip packets, which Node sends around the
    /// transit, bypass it. `None` leaves it as it is.
    fn transit_publish(&self, next: &PublishHandler) -> Option<PublishHandler> {
        let _ = next;
        None
    }

    /// Wraps the handling of every packet received from the transporter, once decoded and
    /// before its protocol version is checked (Node's `transitMessageHandler`); gossip
    /// packets bypass it, as in Node. `None` leaves it as it is.
    fn transit_message_handler(&self, next: &MessageHandler) -> Option<MessageHandler> {
        let _ = next;
        None
    }

    /// Wraps the sending of the serialized bytes of every packet to the transporter (Node's
    /// `transporterSend`), gossip included: where compression or encryption goes. `None`
    /// leaves it as it is.
    fn transporter_send(&self, next: &SendHandler) -> Option<SendHandler> {
        let _ = next;
        None
    }

    /// Wraps the bytes of every message received from the transporter, before they are
    /// decoded (Node's `transporterReceive`); applied in reverse order of the middlewares, so
    /// it undoes [`transporter_send`](Middleware::transporter_send) in mirror order. `None`
    /// leaves it as it is.
    fn transporter_receive(&self, next: &ReceiveHandler) -> Option<ReceiveHandler> {
        let _ = next;
        None
    }

    /// The broker was built (synchronous, as in Node).
    fn created(&self, broker: &ServiceBroker) {
        let _ = broker;
    }

    /// The broker starts, before its services.
    fn starting<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker and all its services have started.
    fn started<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker stops, before its services (run in reverse order of the middlewares).
    fn stopping<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// The broker and its services have stopped (reverse order).
    fn stopped<'a>(&'a self, broker: &'a ServiceBroker) -> BoxFuture<'a, Result<()>> {
        let _ = broker;
        done()
    }

    /// A service is being created (synchronous, as in Node's `serviceCreating`): its
    /// definition is merged with its mixins, and its handlers are not built yet. `schema`
    /// shows the definition and may change it. An error fails `add_service` (and `build`).
    ///
    /// # Errors
    /// Whatever the middleware refuses the service with.
    fn service_creating(
        &self,
        broker: &ServiceBroker,
        schema: &mut ServiceSchema<'_>,
    ) -> Result<()> {
        let _ = (broker, schema);
        Ok(())
    }

    /// A service was created (synchronous, as in Node's `serviceCreated`): its handlers are
    /// built and wrapped and its `created` handlers have run; the broker adds it next. An
    /// error fails `add_service` (and `build`), and the service is not added.
    ///
    /// # Errors
    /// Whatever the middleware refuses the service with.
    fn service_created(&self, broker: &ServiceBroker, service: &ServiceInfo) -> Result<()> {
        let _ = (broker, service);
        Ok(())
    }

    /// A local service starts, before waiting for its dependencies.
    fn service_starting<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service has started and is registered.
    fn service_started<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service stops, before its `stopped` handlers (reverse order).
    fn service_stopping<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }

    /// A local service has stopped (reverse order).
    fn service_stopped<'a>(
        &'a self,
        broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (broker, service);
        done()
    }
}

/// A lifecycle hook that has nothing to do.
fn done<'a>() -> BoxFuture<'a, Result<()>> {
    Box::pin(std::future::ready(Ok(())))
}
