//! JavaScript's equalities over JSON values: `===`, `==` and a `Set`'s SameValueZero.

use std::collections::HashSet;

use serde_json::Value;

use super::{value_to_number, value_to_string};

/// `a === b`. Objects and arrays are never equal: in JavaScript they would be distinct
/// references.
pub(crate) fn strict_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `a == b`; `b` may be `undefined` (`None`), which only `null` equals.
pub(crate) fn loose_equals(a: &Value, b: Option<&Value>) -> bool {
    let Some(b) = b else {
        return a.is_null();
    };
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Bool(x), _) => loose_equals(&Value::from(u8::from(*x)), Some(b)),
        (_, Value::Bool(y)) => loose_equals(a, Some(&Value::from(u8::from(*y)))),
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            matches!((value_to_number(a), value_to_number(b)), (Some(x), Some(y)) if x == y)
        }
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => false,
        (Value::Array(_) | Value::Object(_), _) => {
            loose_equals(&Value::String(value_to_string(a)), Some(b))
        }
        (_, Value::Array(_) | Value::Object(_)) => {
            loose_equals(a, Some(&Value::String(value_to_string(b))))
        }
        _ => strict_equals(a, b),
    }
}

/// A primitive as a `Set` sees it (SameValueZero); objects and arrays have no key, since
/// each would be a distinct reference.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum SetKey<'a> {
    Null,
    Bool(bool),
    Number(u64),
    String(&'a str),
}

fn set_key(value: &Value) -> Option<SetKey<'_>> {
    match value {
        Value::Null => Some(SetKey::Null),
        Value::Bool(b) => Some(SetKey::Bool(*b)),
        // `+ 0.0` turns -0 into 0, which a Set treats as the same value.
        Value::Number(n) => n.as_f64().map(|x| SetKey::Number((x + 0.0).to_bits())),
        Value::String(s) => Some(SetKey::String(s)),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The values that occur more than once, each listed once, in the order they repeat:
/// `Array.from(new Set(items.filter((x, i) => items.indexOf(x) !== i)))`.
pub(crate) fn repeated_values(items: &[Value]) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut repeated = Vec::new();
    for item in items {
        let Some(key) = set_key(item) else { continue };
        if !seen.insert(key) && reported.insert(key) {
            repeated.push(item.clone());
        }
    }
    repeated
}
