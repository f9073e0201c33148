//! The middlewares' wrappers around the broker's methods (`call`, `mcall`, `emit`,
//! `broadcast`, `broadcast_local`), composed once when the broker is built.
//!
//! Each is `None` when every middleware declined it: the method then takes its plain path and
//! pays nothing. The innermost handler of each chain runs the plain path of the broker it was
//! built for (held weakly, so the chain does not keep the broker alive).

use std::sync::Arc;

use super::{ServiceBroker, WeakBroker};
use crate::context::EventType;
use crate::error::{Error, Result};
use crate::middleware::{
    CallHandler, CallRequest, EmitHandler, EmitRequest, McallHandler, McallRequest, Stack,
};

/// The composed wrappers, `None` where no middleware wraps.
pub(crate) struct BrokerHooks {
    pub(super) call: Option<CallHandler>,
    pub(super) mcall: Option<McallHandler>,
    emit: Option<EmitHandler>,
    broadcast: Option<EmitHandler>,
    broadcast_local: Option<EmitHandler>,
}

impl BrokerHooks {
    /// Applies the middlewares' method hooks around the plain paths of `broker`.
    pub(crate) fn new(stack: &Stack, broker: &WeakBroker) -> BrokerHooks {
        let call_base: CallHandler = {
            let broker = broker.clone();
            Arc::new(move |req: CallRequest| {
                let broker = broker.upgrade();
                Box::pin(async move {
                    let broker = alive(broker)?;
                    broker
                        .call_payload_plain(&req.action, req.params, req.options)
                        .await
                })
            })
        };
        let mcall_base: McallHandler = {
            let broker = broker.clone();
            Arc::new(move |req: McallRequest| {
                let broker = broker.upgrade();
                Box::pin(async move { alive(broker)?.mcall_plain(req.calls, req.options).await })
            })
        };
        let emit = |kind| {
            stack.wrapped(&emit_base(broker, kind), false, |mw, next| match kind {
                EventType::Emit => mw.emit(next),
                EventType::Broadcast => mw.broadcast(next),
                EventType::BroadcastLocal => mw.broadcast_local(next),
            })
        };
        BrokerHooks {
            call: stack.wrapped(&call_base, false, |mw, next| mw.call(next)),
            mcall: stack.wrapped(&mcall_base, false, |mw, next| mw.mcall(next)),
            emit: emit(EventType::Emit),
            broadcast: emit(EventType::Broadcast),
            broadcast_local: emit(EventType::BroadcastLocal),
        }
    }

    /// The wrapper of `emit`, `broadcast` or `broadcast_local`.
    pub(crate) fn emit(&self, kind: EventType) -> Option<&EmitHandler> {
        match kind {
            EventType::Emit => self.emit.as_ref(),
            EventType::Broadcast => self.broadcast.as_ref(),
            EventType::BroadcastLocal => self.broadcast_local.as_ref(),
        }
    }
}

/// The plain `emit`, `broadcast` or `broadcast_local` of `broker`.
fn emit_base(broker: &WeakBroker, kind: EventType) -> EmitHandler {
    let broker = broker.clone();
    Arc::new(move |req: EmitRequest| {
        let broker = broker.upgrade();
        Box::pin(async move {
            alive(broker)?
                .dispatch(&req.event, req.payload, req.options, kind, false)
                .await
        })
    })
}

/// The broker a chain was built for, if it still exists.
fn alive(broker: Option<ServiceBroker>) -> Result<ServiceBroker> {
    broker.ok_or_else(|| Error::server("the broker of this middleware chain was dropped"))
}
