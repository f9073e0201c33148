//! JSON values as JavaScript converts them: `String(value)`, `Number(value)`, truthiness,
//! and a double back into JSON data.

use serde_json::Value;

use super::{number_to_string, string_to_number};

/// `String(value)`: `null` is `"null"`, numbers print as [`number_to_string`], arrays join
/// their items with commas (a `null` item prints as nothing, nested arrays are flattened the
/// same way) and objects are `"[object Object]"`. Nested arrays are walked with an explicit
/// stack, so any depth prints without recursion.
pub(crate) fn value_to_string(value: &Value) -> String {
    let mut out = String::new();
    let Value::Array(items) = value else {
        push_scalar(value, &mut out);
        return out;
    };
    let mut stack: Vec<(&[Value], usize)> = vec![(items.as_slice(), 0)];
    while let Some(top) = stack.last_mut() {
        let (items, i) = *top;
        let Some(item) = items.get(i) else {
            stack.pop();
            continue;
        };
        top.1 += 1;
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Array(inner) => stack.push((inner.as_slice(), 0)),
            Value::Null => {}
            scalar => push_scalar(scalar, &mut out),
        }
    }
    out
}

/// Appends `String(value)` of a value that is not an array.
fn push_scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => out.push_str(s),
        Value::Array(_) => {}
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// `values.join(sep)`: `null` items print as nothing.
pub(crate) fn join(values: &[Value], sep: &str) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| {
            if v.is_null() {
                String::new()
            } else {
                value_to_string(v)
            }
        })
        .collect();
    parts.join(sep)
}

/// `Number(value)`; `None` is `NaN`. An array reads as its string (`[7]` is 7, `[]` is 0).
pub(crate) fn value_to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Null => Some(0.0),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => string_to_number(s),
        Value::Array(_) => string_to_number(&value_to_string(value)),
        Value::Object(_) => None,
    }
}

/// Whether `value` is truthy: everything but `null`, `false`, `0`, `-0` and `""`.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A JavaScript number as JSON data, as `JSON.stringify` writes it: integral values below
/// 2^53 become JSON integers (`2`, not `2.0`; `-0` is `0`), others stay floats, and `NaN`
/// and the infinities are `null`.
pub(crate) fn number_to_json(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: integers beyond it are not exact
    if x.fract() == 0.0 && x.abs() < EXACT {
        // Exact: integral and below 2^53.
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// `x.toFixed(digits)` for `digits` up to 20: the nearest decimal with that many fraction
/// digits, a tie rounded away from zero (Rust's `{:.2}` rounds ties to even), and
/// `Number.prototype.toString()` from 1e21 on, as JavaScript writes them.
pub(crate) fn to_fixed(x: f64, digits: usize) -> String {
    if !x.is_finite() || x.abs() >= 1e21 {
        return super::number_to_string(x);
    }
    // Every double has an exact decimal form of at most 1074 fraction digits.
    let exact = format!("{:.1074}", x.abs());
    let (whole, fraction) = exact.split_once('.').unwrap_or((&exact, ""));
    let mut kept: Vec<u8> = whole.bytes().chain(fraction.bytes().take(digits)).collect();
    if fraction.as_bytes().get(digits).is_some_and(|d| *d >= b'5') {
        // Round up: carry through the nines.
        let mut at = kept.len();
        loop {
            if at == 0 {
                kept.insert(0, b'1');
                break;
            }
            at -= 1;
            if kept[at] == b'9' {
                kept[at] = b'0';
            } else {
                kept[at] += 1;
                break;
            }
        }
    }
    let split = kept.len() - digits;
    let mut out = String::with_capacity(kept.len() + 2);
    // JavaScript keeps the sign of a negative number that rounds to zero (`-0.00`).
    if x < 0.0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&kept[..split]).unwrap_or("0"));
    if digits > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&kept[split..]).unwrap_or(""));
    }
    out
}
