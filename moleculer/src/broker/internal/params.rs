//! The params of the `$node` actions: Node's published schemas, key for key, and the flags
//! they turn into.
//!
//! Node publishes each action as `{cache, tracing, params, rawName, name}` (its schema's key
//! order). An `ActionSpec` with a schema publishes `params` first, so these actions publish
//! their schema as an ordinary key after `cache` and `tracing` and validate it here, with the
//! same fastest-validator rules and the same `ValidationError`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::validation::{FastestValidator, ValidationIssue};

/// The flags `$node` actions take. Node's defaults: all false except `grouping`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Flags {
    pub(super) with_services: bool,
    pub(super) only_available: bool,
    pub(super) only_local: bool,
    pub(super) skip_internal: bool,
    pub(super) with_actions: bool,
    pub(super) with_events: bool,
    pub(super) with_endpoints: bool,
    pub(super) grouping: bool,
}

impl Default for Flags {
    fn default() -> Self {
        Flags {
            with_services: false,
            only_available: false,
            only_local: false,
            skip_internal: false,
            with_actions: false,
            with_events: false,
            with_endpoints: false,
            grouping: true,
        }
    }
}

/// Node's rule for one flag: `{type: "boolean", optional: true, convert: true, default}`.
fn flag(default: bool) -> Value {
    json!({ "type": "boolean", "optional": true, "convert": true, "default": default })
}

/// The params schema Node publishes for `$node.<action>`: `None` for `health`, which has
/// none; `{}` for `options`.
pub(super) fn schema(action: &str) -> Option<Value> {
    let flags = |keys: &[&str]| -> Value {
        let rules: Map<String, Value> = keys
            .iter()
            .map(|k| ((*k).to_owned(), flag(*k == "grouping")))
            .collect();
        Value::Object(rules)
    };
    let names = json!({
        "type": "multi",
        "optional": true,
        "rules": [{ "type": "string" }, { "type": "array", "items": "string" }],
    });
    Some(match action {
        "list" => flags(&["withServices", "onlyAvailable"]),
        "services" => flags(&[
            "onlyLocal",
            "skipInternal",
            "withActions",
            "withEvents",
            "onlyAvailable",
            "grouping",
        ]),
        "actions" | "events" => flags(&[
            "onlyLocal",
            "skipInternal",
            "withEndpoints",
            "onlyAvailable",
        ]),
        "options" => json!({}),
        "metrics" => json!({ "types": names, "includes": names, "excludes": names }),
        _ => return None,
    })
}

/// A compiled params schema of one `$node` action.
#[derive(Debug)]
pub(super) struct ParamsRule {
    action: String,
    validator: FastestValidator,
}

impl ParamsRule {
    /// Compiles the schema of `$node.<action>`; `None` when the action has no params.
    pub(super) fn of(action: &str) -> Option<ParamsRule> {
        let schema = schema(action)?;
        let validator = FastestValidator::compile(&schema)
            .unwrap_or_else(|err| panic!("the `$node.{action}` schema is invalid: {err}"));
        Some(ParamsRule {
            action: format!("$node.{action}"),
            validator,
        })
    }

    /// Validates `params` in place (conversions and defaults applied), failing as an action
    /// with a params schema fails: a `ValidationError` whose issues name the node and action.
    pub(super) fn check(&self, params: &mut Value, node_id: &str) -> Result<()> {
        self.validator.validate(params).map_err(|issues| {
            Error::validation(
                issues
                    .iter()
                    .map(|issue| self.issue_json(issue, node_id))
                    .collect(),
            )
        })
    }

    fn issue_json(&self, issue: &ValidationIssue, node_id: &str) -> Value {
        let mut value = issue.to_json();
        if let Value::Object(obj) = &mut value {
            obj.insert("nodeID".into(), Value::from(node_id));
            obj.insert("action".into(), Value::from(self.action.clone()));
        }
        value
    }

    /// Validates `params` and reads the flags from them.
    pub(super) fn flags(&self, mut params: Value, node_id: &str) -> Result<Flags> {
        self.check(&mut params, node_id)?;
        Ok(serde_json::from_value(params).unwrap_or_default())
    }
}
