//! Params validation (Node's `Validator` middleware with fastest-validator).
//!
//! An action's params are checked on the node that runs the handler, before it runs, in one of
//! two ways:
//! - a params **type** (`#[action(params = AddParams)]`): `serde` + [`validator::Validate`];
//!   its JSON Schema (from `schemars`) is turned into the fastest-validator dialect, which is
//!   what the node publishes and what checks JSON params, so errors have Node's shape;
//! - an inline fastest-validator **schema** (`params = { name: "string|min:2" }`), checked by the
//!   macro at compile time and compiled once at registration.
//!
//! Either way a failure is a `ValidationError` (422, `VALIDATION_ERROR`) whose `data` is the
//! array of fastest-validator error objects.

mod fastest;
mod json_schema;
mod typed;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use fastest::{FastestValidator, ValidationIssue};
pub use json_schema::{is_object_root, to_fastest};
pub use typed::{Params, validator_errors_to_fastest};

use crate::error::{Error, Result};
use crate::payload::{ParamSlot, Payload};

/// How an action checks its params; built once when the action is registered.
pub(crate) struct ParamsCheck<P> {
    /// The fastest-validator schema for JSON params, and the one the node publishes.
    schema: Option<(FastestValidator, Value)>,
    /// The typed check (`validator::Validate`), when the params are a type.
    typed: Option<fn(&P) -> Vec<Value>>,
}

impl<P> std::fmt::Debug for ParamsCheck<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamsCheck")
            .field("schema", &self.schema.as_ref().map(|(_, s)| s))
            .field("typed", &self.typed.is_some())
            .finish()
    }
}

impl<P: DeserializeOwned + 'static> ParamsCheck<P> {
    /// No validation: params only need to deserialize.
    pub(crate) fn none() -> ParamsCheck<P> {
        ParamsCheck {
            schema: None,
            typed: None,
        }
    }

    /// A fastest-validator schema.
    pub(crate) fn schema(schema: Value) -> Result<ParamsCheck<P>> {
        let validator = FastestValidator::compile(&schema)
            .map_err(|e| Error::service_schema(format!("invalid params schema: {e}"), None))?;
        Ok(ParamsCheck {
            schema: Some((validator, schema)),
            typed: None,
        })
    }

    /// A params type.
    pub(crate) fn typed() -> Result<ParamsCheck<P>>
    where
        P: Params,
    {
        let schema = to_fastest(&P::params_json_schema());
        let validator = FastestValidator::compile(&schema).map_err(|e| {
            Error::service_schema(
                format!(
                    "params type `{}` has no fastest-validator form: {e}",
                    std::any::type_name::<P>()
                ),
                None,
            )
        })?;
        Ok(ParamsCheck {
            schema: Some((validator, schema)),
            typed: Some(P::check),
        })
    }

    /// The published schema (fastest-validator dialect).
    pub(crate) fn published(&self) -> Option<&Value> {
        self.schema.as_ref().map(|(_, s)| s)
    }

    /// Validates params the caller passed as a `P` (moved, no JSON).
    pub(crate) fn apply_typed(&self, params: P) -> std::result::Result<P, Vec<Value>> {
        self.typed_issues(&params)?;
        Ok(params)
    }

    /// Turns the payload into `P`, validating it. A `P` passed by a local caller is moved and
    /// only the typed check runs; anything else goes through JSON and the schema.
    pub(crate) fn apply(&self, payload: Payload) -> std::result::Result<P, Vec<Value>> {
        let params = if payload.is::<P>() && !payload.is_json() {
            payload.into_typed::<P>().map_err(deserialize_issue)?
        } else if let Some(p) = self.typed_from_text(&payload) {
            p
        } else {
            let mut json = payload.into_json().map_err(deserialize_issue)?;
            match (&self.schema, self.typed.is_some()) {
                // A params type: serde enforces its schema, so deserialize first; only a
                // failure runs fastest-validator, to describe it in Node's words.
                (Some((validator, _)), true) => match P::deserialize(&json) {
                    Ok(params) => params,
                    Err(err) => {
                        validator.validate(&mut json).map_err(issues_to_json)?;
                        return Err(deserialize_issue(err));
                    }
                },
                (Some((validator, _)), false) => {
                    validator.validate(&mut json).map_err(issues_to_json)?;
                    Payload::json(json)
                        .into_typed::<P>()
                        .map_err(deserialize_issue)?
                }
                (None, _) => Payload::json(json)
                    .into_typed::<P>()
                    .map_err(deserialize_issue)?,
            }
        };
        self.typed_issues(&params)?;
        Ok(params)
    }

    /// Validates params without converting them for good, for a validator that runs before
    /// the user's middlewares and hooks: they see the params checked, and the method converts
    /// them afterwards. A `P` lent or passed by a local caller is checked where it lies; other
    /// params go on as the validated JSON (with the validator's defaults and conversions).
    pub(crate) fn validate<'s>(
        &self,
        params: Payload,
        slot: Option<&'s mut dyn ParamSlot>,
    ) -> std::result::Result<(Payload, Option<&'s mut dyn ParamSlot>), Vec<Value>> {
        let params = match slot {
            Some(slot) => {
                let lent = slot.as_any().downcast_mut::<Option<P>>();
                if let Some(Some(p)) = lent {
                    self.typed_issues(p)?;
                    return Ok((params, Some(slot)));
                }
                slot.take_payload()
            }
            None => params,
        };
        if let Some(p) = params.downcast_ref::<P>() {
            self.typed_issues(p)?;
            return Ok((params, None));
        }
        if let Some(p) = self.typed_from_text(&params) {
            self.typed_issues(&p)?;
            return Ok((params, None));
        }
        let mut json = params
            .or_empty_object()
            .into_json()
            .map_err(deserialize_issue)?;
        match (&self.schema, self.typed.is_some()) {
            (Some((validator, _)), true) => match P::deserialize(&json) {
                Ok(p) => self.typed_issues(&p)?,
                Err(err) => {
                    validator.validate(&mut json).map_err(issues_to_json)?;
                    return Err(deserialize_issue(err));
                }
            },
            (Some((validator, _)), false) => {
                validator.validate(&mut json).map_err(issues_to_json)?;
            }
            // Nothing to check: the method reports params that do not convert.
            (None, _) => {}
        }
        Ok((Payload::json(json), None))
    }

    /// Received JSON text parsed straight into a params type (no `Value` in between). `None`
    /// when the action's params are not a type, the payload is not text, or the text does not
    /// deserialize: the JSON path then describes what is wrong in fastest-validator's words.
    fn typed_from_text(&self, payload: &Payload) -> Option<P> {
        let text = payload.as_raw_json().filter(|_| self.typed.is_some())?;
        serde_json::from_str(text).ok()
    }

    fn typed_issues(&self, params: &P) -> std::result::Result<(), Vec<Value>> {
        match self.typed.map(|check| check(params)) {
            Some(issues) if !issues.is_empty() => Err(issues),
            _ => Ok(()),
        }
    }
}

fn issues_to_json(issues: Vec<ValidationIssue>) -> Vec<Value> {
    issues.iter().map(ValidationIssue::to_json).collect()
}

/// A params value that does not deserialize into the handler's type.
fn deserialize_issue(err: serde_json::Error) -> Vec<Value> {
    vec![serde_json::json!({
        "type": "deserialize",
        "message": format!("The params could not be read: {err}."),
        "field": "",
    })]
}
