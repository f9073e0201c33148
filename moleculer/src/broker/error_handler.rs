//! The broker's error handler (Node's `errorHandler` option): one function that sees every
//! failed call (after the fallbacks, selection errors included), every failed request this
//! node serves, and every failed event handler, and may turn the error into a result.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::payload::Payload;

/// What failed, for the broker's error handler.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ErrorInfo<'a> {
    /// The action, when a call failed.
    pub action: Option<&'a str>,
    /// The event, when an event handler failed.
    pub event: Option<&'a str>,
    /// The full name of the service whose handler failed, when known.
    pub service: Option<&'a str>,
    /// The node the failed request came from (a request this node served).
    pub caller_node_id: Option<&'a str>,
}

impl<'a> ErrorInfo<'a> {
    pub(crate) fn action(action: &'a str) -> ErrorInfo<'a> {
        ErrorInfo {
            action: Some(action),
            event: None,
            service: None,
            caller_node_id: None,
        }
    }

    pub(crate) fn event(event: &'a str, service: &'a str) -> ErrorInfo<'a> {
        ErrorInfo {
            action: None,
            event: Some(event),
            service: Some(service),
            caller_node_id: None,
        }
    }
}

/// The broker's error handler: returns `Ok` to answer with a result instead (for an event
/// handler, to silence the error), or an error (the same or another) to pass on.
pub type ErrorHandler = Arc<dyn Fn(Error, &ErrorInfo<'_>) -> Result<Payload> + Send + Sync>;

/// `result`, or what the error handler makes of its error.
pub(crate) fn handled(
    handler: Option<&ErrorHandler>,
    result: Result<Payload>,
    info: &ErrorInfo<'_>,
) -> Result<Payload> {
    match (result, handler) {
        (Err(err), Some(handler)) => handler(err, info),
        (result, _) => result,
    }
}
