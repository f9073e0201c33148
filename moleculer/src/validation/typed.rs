//! Typed params: `serde` + `validator` + `schemars`, with errors in fastest-validator's shape.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::js;

/// A params type: deserializable, validated with `validator`, described with `schemars`.
///
/// Implemented for every type that derives `Deserialize`, `Validate` and `JsonSchema`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as action params",
    note = "derive `serde::Deserialize`, `validator::Validate` and `schemars::JsonSchema` on `{Self}`"
)]
pub trait Params: DeserializeOwned + Validate + schemars::JsonSchema + Send + 'static {
    /// The type's JSON Schema.
    fn params_json_schema() -> Value {
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<Self>();
        serde_json::to_value(schema).unwrap_or(Value::Null)
    }

    /// Runs the `validator` rules, returning fastest-validator shaped errors.
    fn check(&self) -> Vec<Value> {
        match self.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => validator_errors_to_fastest(&errors),
        }
    }
}

impl<T> Params for T where T: DeserializeOwned + Validate + schemars::JsonSchema + Send + 'static {}

/// Converts `validator` errors into fastest-validator error objects
/// (`{type, message, field, actual?, expected?}`), with dotted field paths.
pub fn validator_errors_to_fastest(errors: &ValidationErrors) -> Vec<Value> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<Value>) {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| convert(e, &path)));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// One `validator` error as fastest-validator would have reported the same rule.
fn convert(error: &validator::ValidationError, field: &str) -> Value {
    let param = |key: &str| error.params.get(key).cloned();
    let actual = param("value");
    let number = |v: &Option<Value>| v.as_ref().and_then(Value::as_f64);
    let (kind, expected, message) = match error.code.as_ref() {
        "range" => {
            let (min, max, value) = (param("min"), param("max"), number(&actual));
            match (number(&min), value) {
                (Some(m), Some(v)) if v < m => (
                    "numberMin",
                    min.clone(),
                    format!(
                        "The '{field}' field must be greater than or equal to {}.",
                        shown(&min)
                    ),
                ),
                _ => (
                    "numberMax",
                    max.clone(),
                    format!(
                        "The '{field}' field must be less than or equal to {}.",
                        shown(&max)
                    ),
                ),
            }
        }
        "length" => length_error(field, &actual, param("min"), param("max"), param("equal")),
        "email" => (
            "email",
            None,
            format!("The '{field}' field must be a valid e-mail."),
        ),
        "url" => (
            "url",
            None,
            format!("The '{field}' field must be a valid URL."),
        ),
        "regex" => (
            "stringPattern",
            None,
            format!("The '{field}' field fails to match the required pattern."),
        ),
        "required" => (
            "required",
            None,
            format!("The '{field}' field is required."),
        ),
        "contains" => (
            "stringContains",
            param("needle"),
            format!(
                "The '{field}' field must contain the '{}' text.",
                shown(&param("needle"))
            ),
        ),
        other => {
            let message = error
                .message
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| format!("The '{field}' field is invalid ({other})."));
            return issue(other, field, message, actual, None);
        }
    };
    let message = error.message.as_ref().map_or(message, ToString::to_string);
    issue(kind, field, message, actual, expected)
}

type Described = (&'static str, Option<Value>, String);

fn length_error(
    field: &str,
    actual: &Option<Value>,
    min: Option<Value>,
    max: Option<Value>,
    equal: Option<Value>,
) -> Described {
    let is_array = matches!(actual, Some(Value::Array(_)));
    let len = match actual {
        Some(Value::String(s)) => s.chars().count() as f64,
        Some(Value::Array(a)) => a.len() as f64,
        _ => 0.0,
    };
    let below_min = min
        .as_ref()
        .and_then(Value::as_f64)
        .is_some_and(|m| len < m);
    match (is_array, equal.is_some(), below_min) {
        (false, true, _) => (
            "stringLength",
            equal.clone(),
            format!(
                "The '{field}' field length must be {} characters long.",
                shown(&equal)
            ),
        ),
        (false, false, true) => (
            "stringMin",
            min.clone(),
            format!(
                "The '{field}' field length must be greater than or equal to {} characters long.",
                shown(&min)
            ),
        ),
        (false, false, false) => (
            "stringMax",
            max.clone(),
            format!(
                "The '{field}' field length must be less than or equal to {} characters long.",
                shown(&max)
            ),
        ),
        (true, true, _) => (
            "arrayLength",
            equal.clone(),
            format!("The '{field}' field must contain {} items.", shown(&equal)),
        ),
        (true, false, true) => (
            "arrayMin",
            min.clone(),
            format!(
                "The '{field}' field must contain at least {} items.",
                shown(&min)
            ),
        ),
        (true, false, false) => (
            "arrayMax",
            max.clone(),
            format!(
                "The '{field}' field must contain less than or equal to {} items.",
                shown(&max)
            ),
        ),
    }
}

fn issue(
    kind: &str,
    field: &str,
    message: String,
    actual: Option<Value>,
    expected: Option<Value>,
) -> Value {
    let mut obj = json!({ "type": kind, "message": message, "field": field });
    if let Some(actual) = actual {
        obj["actual"] = actual;
    }
    if let Some(expected) = expected {
        obj["expected"] = expected;
    }
    obj
}

/// A value as a JavaScript template prints it in a message (`1000000000`, not
/// `1000000000.0`); nothing when missing.
fn shown(value: &Option<Value>) -> String {
    value.as_ref().map(js::value_to_string).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Validate)]
    struct Add {
        #[validate(range(min = -10.0, max = 10.0))]
        a: f64,
        #[validate(length(min = 2))]
        name: String,
    }

    #[test]
    fn range_and_length_errors_have_fastest_validator_shape() {
        let errors = Add {
            a: 20.0,
            name: "x".into(),
        }
        .validate()
        .unwrap_err();
        let out = validator_errors_to_fastest(&errors);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["type"], "numberMax");
        assert_eq!(out[0]["field"], "a");
        assert_eq!(
            out[0]["message"],
            "The 'a' field must be less than or equal to 10."
        );
        assert_eq!(out[0]["expected"], 10.0);
        assert_eq!(out[1]["type"], "stringMin");
        assert_eq!(
            out[1]["message"],
            "The 'name' field length must be greater than or equal to 2 characters long."
        );
        assert_eq!(out[1]["actual"], "x");
    }
}
