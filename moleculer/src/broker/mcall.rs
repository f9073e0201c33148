//! `mcall`: several calls at once, as a list or a map, optionally settled.

use futures_util::future::join_all;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::ServiceBroker;
use crate::context::CallOptions;
use crate::error::{Error, Result};
use crate::middleware::McallRequest;
use crate::payload::Payload;

/// One call of an `mcall`: `{action, params, options}`.
#[derive(Debug, Clone)]
pub struct CallDef {
    /// The action name.
    pub action: String,
    /// The params.
    pub params: Payload,
    /// The call's own options (merged over the `mcall` options' parent).
    pub options: CallOptions,
}

impl CallDef {
    /// A call of `action` with `params`.
    pub fn new<P: Serialize + Send + Sync + 'static>(action: &str, params: P) -> CallDef {
        CallDef {
            action: action.to_owned(),
            params: Payload::typed(params),
            options: CallOptions::new(),
        }
    }

    /// Sets the call's options.
    pub fn options(mut self, options: CallOptions) -> CallDef {
        self.options = options;
        self
    }
}

/// The calls of an `mcall`: a list (results in a JSON array) or named calls (results in a
/// JSON object).
#[derive(Debug, Clone)]
pub struct MultiCall {
    calls: Calls,
    settled: bool,
}

#[derive(Debug, Clone)]
enum Calls {
    List(Vec<CallDef>),
    Map(Vec<(String, CallDef)>),
}

impl MultiCall {
    /// Calls whose results come back as an array, in order.
    pub fn list(calls: impl IntoIterator<Item = CallDef>) -> MultiCall {
        MultiCall {
            calls: Calls::List(calls.into_iter().collect()),
            settled: false,
        }
    }

    /// Named calls whose results come back as an object.
    pub fn map<K: Into<String>>(calls: impl IntoIterator<Item = (K, CallDef)>) -> MultiCall {
        MultiCall {
            calls: Calls::Map(calls.into_iter().map(|(k, c)| (k.into(), c)).collect()),
            settled: false,
        }
    }

    /// Reads Node's JSON form: `[{action, params}]` or `{key: {action, params}}`.
    ///
    /// # Errors
    /// `MoleculerServerError` `INVALID_PARAMETERS` for any other shape.
    pub fn from_json(def: &Value) -> Result<MultiCall> {
        let one = |v: &Value| -> Result<CallDef> {
            let action = v
                .get("action")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            let params = v.get("params").cloned().unwrap_or(Value::Null);
            Ok(CallDef::new(action, params))
        };
        match def {
            Value::Array(items) => Ok(MultiCall::list(
                items.iter().map(one).collect::<Result<Vec<_>>>()?,
            )),
            Value::Object(map) => Ok(MultiCall::map(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), one(v)?)))
                    .collect::<Result<Vec<_>>>()?,
            )),
            _ => Err(invalid()),
        }
    }

    /// Returns every outcome as `{status: "fulfilled", value}` or `{status: "rejected",
    /// reason}` instead of failing on the first error.
    pub fn settled(mut self, settled: bool) -> MultiCall {
        self.settled = settled;
        self
    }

    /// Whether the outcomes are returned settled (see [`MultiCall::settled`]).
    pub fn is_settled(&self) -> bool {
        self.settled
    }

    /// The calls, each with its key for named calls.
    pub fn calls(&self) -> Vec<(Option<&str>, &CallDef)> {
        match &self.calls {
            Calls::List(list) => list.iter().map(|c| (None, c)).collect(),
            Calls::Map(map) => map.iter().map(|(k, c)| (Some(k.as_str()), c)).collect(),
        }
    }

    /// The calls, to change them.
    pub fn calls_mut(&mut self) -> Vec<&mut CallDef> {
        match &mut self.calls {
            Calls::List(list) => list.iter_mut().collect(),
            Calls::Map(map) => map.iter_mut().map(|(_, c)| c).collect(),
        }
    }

    /// How many calls there are.
    pub fn len(&self) -> usize {
        match &self.calls {
            Calls::List(list) => list.len(),
            Calls::Map(map) => map.len(),
        }
    }

    /// Whether there are no calls.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn invalid() -> Error {
    Error::server("Invalid calling definition.").with_type("INVALID_PARAMETERS")
}

impl ServiceBroker {
    /// Runs several calls concurrently (Node's `mcall`).
    ///
    /// # Errors
    /// Without `settled`, the first failing call's error.
    pub async fn mcall(&self, calls: MultiCall) -> Result<Value> {
        self.mcall_with(calls, CallOptions::new()).await
    }

    pub(crate) async fn mcall_with(&self, calls: MultiCall, options: CallOptions) -> Result<Value> {
        match &self.inner.hooks.mcall {
            Some(hook) => hook(McallRequest { calls, options }).await,
            None => self.mcall_plain(calls, options).await,
        }
    }

    /// An `mcall` without the middlewares' `mcall` wrappers (their innermost handler).
    pub(crate) async fn mcall_plain(
        &self,
        calls: MultiCall,
        options: CallOptions,
    ) -> Result<Value> {
        let settled = calls.settled;
        let run = |def: CallDef| {
            let mut opts = def.options;
            if opts.parent.is_none() {
                opts.parent = options.parent.clone();
            }
            let broker = self.clone();
            async move {
                let result = broker.call_payload(&def.action, def.params, opts).await;
                result.and_then(|p| p.into_json().map_err(Error::from))
            }
        };
        match calls.calls {
            Calls::List(list) => {
                let results = join_all(list.into_iter().map(run)).await;
                Ok(Value::Array(outcomes(results, settled)?))
            }
            Calls::Map(map) => {
                let (keys, defs): (Vec<_>, Vec<_>) = map.into_iter().unzip();
                let results = join_all(defs.into_iter().map(run)).await;
                let values = outcomes(results, settled)?;
                Ok(Value::Object(
                    keys.into_iter().zip(values).collect::<Map<_, _>>(),
                ))
            }
        }
    }
}

fn outcomes(results: Vec<Result<Value>>, settled: bool) -> Result<Vec<Value>> {
    if !settled {
        return results.into_iter().collect();
    }
    Ok(results
        .into_iter()
        .map(|r| match r {
            Ok(value) => json!({ "status": "fulfilled", "value": value }),
            Err(err) => json!({ "status": "rejected", "reason": err.to_wire() }),
        })
        .collect())
}
