//! `contextParamsCloning`: each handler gets params that share nothing with the caller's
//! value. JSON params are the handler's own already; a typed value (which a local caller
//! hands over as it is, shared state such as an `Arc` inside included) is copied through
//! JSON, as Node copies the params object.

use super::{ActionHandler, BoxFuture, EventHandler};
use crate::context::{Context, EventContext};
use crate::error::{Error, Result};
use crate::payload::Payload;

/// `next` with its params copied first.
pub(crate) fn action(next: ActionHandler) -> ActionHandler {
    ActionHandler::new(move |ctx: Context<Payload>| {
        let Context { params, inner } = ctx;
        match copied(params) {
            Ok(params) => next.call(Context::from_parts(params, inner)),
            Err(err) => failed(err),
        }
    })
}

/// `next` with its payload copied first.
pub(crate) fn event(next: EventHandler) -> EventHandler {
    EventHandler::new(move |ctx: EventContext<Payload>| {
        let EventContext { params, inner } = ctx;
        match copied(params) {
            Ok(params) => next.call(EventContext::from_parts(params, inner)),
            Err(err) => failed(err),
        }
    })
}

fn copied(params: Payload) -> Result<Payload> {
    if params.is_json() {
        return Ok(params);
    }
    params
        .into_json()
        .map(Payload::json)
        .map_err(|err| Error::server(format!("the params could not be copied: {err}")))
}

fn failed<T: Send + 'static>(err: Error) -> BoxFuture<'static, Result<T>> {
    Box::pin(std::future::ready(Err(err)))
}
