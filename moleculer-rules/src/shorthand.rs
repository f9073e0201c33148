//! fastest-validator's shorthand strings: `"string|min:2|optional"`.

use crate::SchemaValue;
use crate::js::{string_to_number, trim};

/// Parses a fastest-validator shorthand (`"string|min:2|optional"`, `"number[]"`,
/// `"string|no-empty"`) into a rule object. Values that read as numbers become numbers,
/// `true`/`false` booleans, anything else stays a string; a bare flag is `true`, `no-flag`
/// is `false`. `T[]` is an array whose `items` is `T`, and the options that follow apply to
/// the array (`"string[]|min:1"` is an array of at least one string).
pub fn parse_shorthand(s: &str) -> Result<Vec<(String, SchemaValue)>, String> {
    let mut parts = s.split('|').map(trim);
    let head = parts.next().unwrap_or_default();
    if head.is_empty() {
        return Err(format!("empty rule name in `{s}`"));
    }
    let mut rule = match head.strip_suffix("[]") {
        Some("") => return Err(format!("empty item rule name in `{s}`")),
        Some(item) => vec![
            ("type".to_owned(), SchemaValue::String("array".to_owned())),
            ("items".to_owned(), SchemaValue::String(item.to_owned())),
        ],
        None => vec![("type".to_owned(), SchemaValue::String(head.to_owned()))],
    };
    for part in parts {
        rule.push(shorthand_option(part, s)?);
    }
    Ok(rule)
}

/// One `key:value`, `flag` or `no-flag` part of a shorthand.
fn shorthand_option(part: &str, whole: &str) -> Result<(String, SchemaValue), String> {
    let (key, value) = match part.split_once(':') {
        Some((key, value)) => (trim(key), shorthand_value(trim(value))),
        None => match part.strip_prefix("no-") {
            Some(flag) => (flag, SchemaValue::Bool(false)),
            None => (part, SchemaValue::Bool(true)),
        },
    };
    if key.is_empty() {
        return Err(format!("empty option name in `{whole}`"));
    }
    Ok((key.to_owned(), value))
}

fn shorthand_value(raw: &str) -> SchemaValue {
    match raw {
        "true" => SchemaValue::Bool(true),
        "false" => SchemaValue::Bool(false),
        _ => match string_to_number(raw) {
            Some(n) => SchemaValue::Number(n),
            None => SchemaValue::String(raw.to_owned()),
        },
    }
}
