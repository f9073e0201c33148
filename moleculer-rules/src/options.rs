//! What each rule accepts: the rule types, their options and what JSON each option takes.

use crate::SchemaValue;

/// Every built-in fastest-validator rule type.
#[rustfmt::skip]
pub const RULE_TYPES: &[&str] = &[
    "any",
    "array",
    "boolean",
    "class",
    "currency",
    "custom",
    "date",
    "email",
    "enum",
    "equal",
    "forbidden",
    "function",
    "luhn",
    "mac",
    "multi",
    "number",
    "object",
    "objectID",
    "pipe",
    "record",
    "string",
    "tuple",
    "url",
    "uuid",
];

/// What JSON an option's value must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Expect {
    Any,
    Bool,
    Number,
    PositiveNumber,
    String,
    /// A string, or a number that JavaScript turns into one (`padChar:0` in a shorthand).
    Text,
    Array,
    Strings,
    Rule,
    Rules,
    NonEmptyRules,
    Props,
    Messages,
    Strict,
    ObjectIdConvert,
    EmailMode,
    UuidVersion,
    Flags,
}

/// Options every rule accepts.
pub(crate) fn common_option(key: &str) -> Option<Expect> {
    match key {
        "optional" | "nullable" => Some(Expect::Bool),
        "default" | "custom" => Some(Expect::Any),
        "label" => Some(Expect::String),
        "messages" => Some(Expect::Messages),
        _ => None,
    }
}

/// Options of one rule type, as the rule sources read them.
pub(crate) fn rule_option(rule: &str, key: &str) -> Option<Expect> {
    use Expect::*;
    let expect = match (rule, key) {
        ("array", "empty" | "unique" | "convert") => Bool,
        ("array", "min" | "max" | "length") => Number,
        ("array", "contains") => Any,
        ("array", "enum") => Array,
        ("array", "items") | ("record", "key" | "value") => Rule,
        ("boolean" | "date", "convert") => Bool,
        ("class", "instanceOf") | ("custom", "check") | ("objectID", "ObjectID") => Any,
        ("currency", "currencySymbol" | "thousandSeparator" | "decimalSeparator") => Text,
        ("currency", "customRegex") => String,
        ("currency", "symbolOptional") => Bool,
        ("email", "empty" | "normalize") => Bool,
        ("email", "mode") => EmailMode,
        ("email", "min" | "max") => Number,
        ("enum", "values") => Array,
        ("equal", "value") => Any,
        ("equal", "field") => String,
        ("equal", "strict") | ("forbidden", "remove") => Bool,
        ("multi", "rules") => NonEmptyRules,
        ("pipe", "steps") => Rules,
        ("number", "min" | "max" | "equal" | "notEqual") => Number,
        ("number", "step") => PositiveNumber,
        ("number", "integer" | "positive" | "negative" | "convert") => Bool,
        ("object", "strict") => Strict,
        ("object", "props" | "properties") => Props,
        ("object", "minProps" | "maxProps") => Number,
        ("objectID", "convert") => ObjectIdConvert,
        ("string", "min" | "max" | "length" | "padStart" | "padEnd") => Number,
        ("string", "pattern" | "contains" | "padChar") => Text,
        ("string", "patternFlags") => Flags,
        ("string", "enum") => Strings,
        ("string", _) if STRING_FLAGS.contains(&key) => Bool,
        ("tuple", "empty") | ("url", "empty") => Bool,
        ("tuple", "items") => NonEmptyRules,
        ("uuid", "version") => UuidVersion,
        _ => return None,
    };
    Some(expect)
}

/// Boolean options of the `string` rule.
#[rustfmt::skip]
const STRING_FLAGS: &[&str] = &[
    "empty",
    "alpha",
    "numeric",
    "alphanum",
    "alphadash",
    "hex",
    "singleLine",
    "base64",
    "trim",
    "trimLeft",
    "trimRight",
    "lowercase",
    "uppercase",
    "localeLowercase",
    "localeUppercase",
    "convert",
];

/// Options a rule cannot do without.
pub(crate) fn required_options(rule: &str) -> &'static [&'static str] {
    match rule {
        "enum" => &["values"],
        "multi" => &["rules"],
        _ => &[],
    }
}

/// Checks an option whose value is plain data; `Err` says what was expected.
pub(crate) fn scalar_option(expect: Expect, value: &SchemaValue) -> Result<(), &'static str> {
    use SchemaValue as V;
    let ok = match expect {
        Expect::Any | Expect::Rule | Expect::Rules | Expect::NonEmptyRules | Expect::Props => true,
        Expect::Bool => matches!(value, V::Bool(_)),
        Expect::Number => matches!(value, V::Number(n) if !n.is_nan()),
        Expect::PositiveNumber => matches!(value, V::Number(n) if *n > 0.0 && n.is_finite()),
        Expect::String => matches!(value, V::String(_)),
        Expect::Text => matches!(value, V::String(_) | V::Number(_)),
        Expect::Array => matches!(value, V::Array(_)),
        Expect::Strings => {
            matches!(value, V::Array(a) if a.iter().all(|v| matches!(v, V::String(_))))
        }
        Expect::Messages => {
            matches!(value, V::Object(e) if e.iter().all(|(_, v)| matches!(v, V::String(_))))
        }
        Expect::Strict => {
            matches!(value, V::Bool(_)) || matches!(value, V::String(s) if s == "remove")
        }
        Expect::ObjectIdConvert => {
            matches!(value, V::Bool(_)) || matches!(value, V::String(s) if s == "hexString")
        }
        Expect::EmailMode => matches!(value, V::String(s) if s == "quick" || s == "precise"),
        Expect::UuidVersion => {
            matches!(value, V::Number(n) if (0.0..=8.0).contains(n) && n.fract() == 0.0)
        }
        Expect::Flags => matches!(value, V::String(s) if valid_regex_flags(s)),
    };
    if ok { Ok(()) } else { Err(expect_text(expect)) }
}

fn expect_text(expect: Expect) -> &'static str {
    match expect {
        Expect::Bool => "a boolean",
        Expect::Number => "a number",
        Expect::PositiveNumber => "a positive number",
        Expect::String => "a string",
        Expect::Text => "a string",
        Expect::Array => "an array",
        Expect::Strings => "an array of strings",
        Expect::Messages => "an object of message strings",
        Expect::Strict => "a boolean or \"remove\"",
        Expect::ObjectIdConvert => "a boolean or \"hexString\"",
        Expect::EmailMode => "\"quick\" or \"precise\"",
        Expect::UuidVersion => "a uuid version from 0 to 8",
        Expect::Flags => "regular expression flags (d, g, i, m, s, u, v, y; each once)",
        Expect::Any | Expect::Rule | Expect::Rules | Expect::NonEmptyRules | Expect::Props => {
            "a value"
        }
    }
}

/// JavaScript `RegExp` flags: each of `dgimsuvy` at most once.
pub fn valid_regex_flags(flags: &str) -> bool {
    flags
        .char_indices()
        .all(|(i, c)| "dgimsuvy".contains(c) && !flags[..i].contains(c))
}
