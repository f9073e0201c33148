//! The bits of JavaScript semantics fastest-validator's output depends on: its default
//! messages and how they are filled in, `String(x)` / `Number(x)`, `==` / `===`, UTF-16
//! lengths and `RegExp` patterns.

use std::collections::HashSet;

use regex::{Regex, RegexBuilder};

use serde_json::Value;

use moleculer_rules::js::string_to_number as js_number;

/// fastest-validator's default message for an error type (`lib/messages.js`).
pub(super) fn default_message(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "required" => "The '{field}' field is required.",
        "string" => "The '{field}' field must be a string.",
        "stringEmpty" => "The '{field}' field must not be empty.",
        "stringMin" => {
            "The '{field}' field length must be greater than or equal to {expected} characters long."
        }
        "stringMax" => {
            "The '{field}' field length must be less than or equal to {expected} characters long."
        }
        "stringLength" => "The '{field}' field length must be {expected} characters long.",
        "stringPattern" => "The '{field}' field fails to match the required pattern.",
        "stringContains" => "The '{field}' field must contain the '{expected}' text.",
        "stringEnum" => "The '{field}' field does not match any of the allowed values.",
        "stringNumeric" => "The '{field}' field must be a numeric string.",
        "stringAlpha" => "The '{field}' field must be an alphabetic string.",
        "stringAlphanum" => "The '{field}' field must be an alphanumeric string.",
        "stringAlphadash" => "The '{field}' field must be an alphadash string.",
        "stringHex" => "The '{field}' field must be a hex string.",
        "stringSingleLine" => "The '{field}' field must be a single line string.",
        "stringBase64" => "The '{field}' field must be a base64 string.",
        "number" => "The '{field}' field must be a number.",
        "numberMin" => "The '{field}' field must be greater than or equal to {expected}.",
        "numberMax" => "The '{field}' field must be less than or equal to {expected}.",
        "numberEqual" => "The '{field}' field must be equal to {expected}.",
        "numberNotEqual" => "The '{field}' field can't be equal to {expected}.",
        "numberInteger" => "The '{field}' field must be an integer.",
        "numberStep" => "The '{field}' field must be a multiple of {expected}.",
        "numberPositive" => "The '{field}' field must be a positive number.",
        "numberNegative" => "The '{field}' field must be a negative number.",
        "array" | "tuple" => "The '{field}' field must be an array.",
        "arrayEmpty" | "tupleEmpty" => "The '{field}' field must not be an empty array.",
        "arrayMin" => "The '{field}' field must contain at least {expected} items.",
        "arrayMax" => "The '{field}' field must contain less than or equal to {expected} items.",
        "arrayLength" | "tupleLength" => "The '{field}' field must contain {expected} items.",
        "arrayContains" => "The '{field}' field must contain the '{expected}' item.",
        "arrayUnique" => {
            "The '{actual}' value in '{field}' field does not unique the '{expected}' values."
        }
        "arrayEnum" => {
            "The '{actual}' value in '{field}' field does not match any of the '{expected}' values."
        }
        "boolean" => "The '{field}' field must be a boolean.",
        "currency" => "The '{field}' must be a valid currency format",
        "date" => "The '{field}' field must be a Date.",
        "dateMin" => "The '{field}' field must be greater than or equal to {expected}.",
        "dateMax" => "The '{field}' field must be less than or equal to {expected}.",
        "enumValue" => {
            "The '{field}' field value '{expected}' does not match any of the allowed values."
        }
        "equalValue" => "The '{field}' field value must be equal to '{expected}'.",
        "equalField" => "The '{field}' field value must be equal to '{expected}' field value.",
        "forbidden" => "The '{field}' field is forbidden.",
        "function" => "The '{field}' field must be a function.",
        "email" => "The '{field}' field must be a valid e-mail.",
        "emailEmpty" => "The '{field}' field must not be empty.",
        "emailMin" => {
            "The '{field}' field length must be greater than or equal to {expected} characters long."
        }
        "emailMax" => {
            "The '{field}' field length must be less than or equal to {expected} characters long."
        }
        "luhn" => "The '{field}' field must be a valid checksum luhn.",
        "mac" => "The '{field}' field must be a valid MAC address.",
        "object" | "record" => "The '{field}' must be an Object.",
        "objectStrict" => "The object '{field}' contains forbidden keys: '{actual}'.",
        "objectMinProps" => "The object '{field}' must contain at least {expected} properties.",
        "objectMaxProps" => "The object '{field}' must contain {expected} properties at most.",
        "url" => "The '{field}' field must be a valid URL.",
        "urlEmpty" => "The '{field}' field must not be empty.",
        "uuid" => "The '{field}' field must be a valid UUID.",
        "uuidVersion" => "The '{field}' field must be a valid UUID version provided.",
        "classInstanceOf" => "The '{field}' field must be an instance of the '{expected}' class.",
        "objectID" => "The '{field}' field must be an valid ObjectID",
        _ => return None,
    })
}

/// Fills `{field}`, `{expected}` and `{actual}` in, in that order, as fastest-validator does
/// (missing or null values print as nothing).
pub(super) fn format_message(
    template: &str,
    field: &str,
    expected: Option<&Value>,
    actual: Option<&Value>,
) -> String {
    let text = |v: Option<&Value>| {
        v.filter(|v| !v.is_null())
            .map(js_string)
            .unwrap_or_default()
    };
    let out = js_replace_all(template, "{field}", field);
    let out = js_replace_all(&out, "{expected}", &text(expected));
    js_replace_all(&out, "{actual}", &text(actual))
}

/// `s.replace(/needle/g, repl)`, including the `$$`, `$&`, `` $` `` and `$'` patterns.
fn js_replace_all(s: &str, needle: &str, repl: &str) -> String {
    if !s.contains(needle) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + repl.len());
    let mut rest = 0;
    for (at, _) in s.match_indices(needle) {
        out.push_str(&s[rest..at]);
        expand_replacement(repl, needle, &s[..at], &s[at + needle.len()..], &mut out);
        rest = at + needle.len();
    }
    out.push_str(&s[rest..]);
    out
}

fn expand_replacement(repl: &str, matched: &str, before: &str, after: &str, out: &mut String) {
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        let special = match (c, chars.peek()) {
            ('$', Some('$')) => Some("$"),
            ('$', Some('&')) => Some(matched),
            ('$', Some('`')) => Some(before),
            ('$', Some('\'')) => Some(after),
            _ => None,
        };
        match special {
            Some(text) => {
                out.push_str(text);
                chars.next();
            }
            None => out.push(c),
        }
    }
}

/// JavaScript's `String(value)`. Nested arrays are walked with an explicit stack, so any
/// depth prints without recursion.
pub(super) fn js_string(value: &Value) -> String {
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

fn push_scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => out.push_str(s),
        Value::Array(_) => {}
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// `values.join(sep)` (null items print as nothing).
pub(super) fn js_join(values: &[Value], sep: &str) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| {
            if v.is_null() {
                String::new()
            } else {
                js_string(v)
            }
        })
        .collect();
    parts.join(sep)
}

/// JavaScript's `Number.prototype.toString()`.
pub(super) fn js_number_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if (1e-6..1e21).contains(&x.abs()) {
        return format!("{x}");
    }
    let sci = format!("{x:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => sci,
    }
}

/// A JSON number as JavaScript would serialize it (integral values without a fraction).
pub(super) fn num_value(x: f64) -> Value {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if x.fract() == 0.0 && x.abs() < SAFE {
        // Exact: |x| < 2^53 and integral.
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// JavaScript's `Number(value)`; `None` is `NaN`.
pub(super) fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Null => Some(0.0),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => js_number(s),
        Value::Array(_) => js_number(&js_string(value)),
        Value::Object(_) => None,
    }
}

/// `a === b` for JSON values: objects and arrays are never equal (they would be distinct
/// references in JavaScript).
pub(super) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `a == b`; `b` may be `undefined` (`None`).
pub(super) fn loose_eq(a: &Value, b: Option<&Value>) -> bool {
    let Some(b) = b else {
        return a.is_null();
    };
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Bool(x), _) => loose_eq(&Value::from(u8::from(*x)), Some(b)),
        (_, Value::Bool(y)) => loose_eq(a, Some(&Value::from(u8::from(*y)))),
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            matches!((to_number(a), to_number(b)), (Some(x), Some(y)) if x == y)
        }
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => false,
        (Value::Array(_) | Value::Object(_), _) => loose_eq(&Value::String(js_string(a)), Some(b)),
        (_, Value::Array(_) | Value::Object(_)) => loose_eq(a, Some(&Value::String(js_string(b)))),
        _ => strict_eq(a, b),
    }
}

/// A primitive as a `Set` sees it (SameValueZero); objects and arrays have no key.
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

/// The values that occur more than once, each listed once, in first-repeat order
/// (`Array.from(new Set(value.filter((x, i) => value.indexOf(x) !== i)))`).
pub(super) fn duplicates(items: &[Value]) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut dups = Vec::new();
    for item in items {
        let Some(key) = set_key(item) else { continue };
        if !seen.insert(key) && reported.insert(key) {
            dups.push(item.clone());
        }
    }
    dups
}

/// `s.length`: UTF-16 code units.
pub(super) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// `s.padStart(target, fill)` / `s.padEnd(target, fill)` in UTF-16 code units.
pub(super) fn pad(s: &str, target: usize, fill: &str, at_start: bool) -> String {
    let len = utf16_len(s);
    if target <= len || fill.is_empty() {
        return s.to_owned();
    }
    let units: Vec<u16> = fill.encode_utf16().cycle().take(target - len).collect();
    let filler = String::from_utf16_lossy(&units);
    if at_start {
        filler + s
    } else {
        format!("{s}{filler}")
    }
}

/// `trimStart` / `trimEnd` with JavaScript whitespace.
pub(super) fn js_trim_start(s: &str) -> &str {
    moleculer_rules::js::trim_start(s)
}

/// `trimEnd` with JavaScript whitespace.
pub(super) fn js_trim_end(s: &str) -> &str {
    moleculer_rules::js::trim_end(s)
}

/// Compiles a JavaScript pattern with its flags into a Rust regex, translating the syntax
/// that differs (`\d` and `\w` are ASCII, `[` is literal inside a class...). Lookaround and
/// backreferences have no Rust equivalent and are rejected.
pub(super) fn js_regex(source: &str, flags: &str) -> Result<Regex, String> {
    let mut pattern = translate_pattern(source).map_err(|e| format!("pattern `{source}`: {e}"))?;
    if flags.contains('y') {
        pattern = format!(r"\A(?:{pattern})");
    }
    RegexBuilder::new(&pattern)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .build()
        .map_err(|e| format!("pattern `{source}` is not supported: {e}"))
}

fn translate_pattern(src: &str) -> Result<String, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                let next = chars.get(i).copied().ok_or("it ends with a backslash")?;
                i += 1;
                translate_escape(next, in_class, &mut out)?;
            }
            '[' if !in_class => {
                i = open_class(&chars, i, &mut out, &mut in_class)?;
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && out.ends_with('-') => out.push_str("\\-"),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '(' if !in_class && is_lookaround(&chars[i..]) => {
                return Err("lookaround assertions are not supported".to_owned());
            }
            '{' if !in_class => match quantifier_len(&chars[i..]) {
                Some(len) => {
                    out.push('{');
                    out.extend(&chars[i..i + len]);
                    i += len;
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Handles `[`, `[^`, and JavaScript's `[^]` (anything); returns the next index.
fn open_class(
    chars: &[char],
    mut i: usize,
    out: &mut String,
    in_class: &mut bool,
) -> Result<usize, String> {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        if negated {
            out.push_str(r"[\s\S]");
            return Ok(i + 1);
        }
        return Err("an empty class `[]` is not supported".to_owned());
    }
    out.push_str(if negated { "[^" } else { "[" });
    *in_class = true;
    Ok(i)
}

fn translate_escape(c: char, in_class: bool, out: &mut String) -> Result<(), String> {
    let text = match c {
        'd' => {
            if in_class {
                "0-9"
            } else {
                "[0-9]"
            }
        }
        'D' => "[^0-9]",
        'w' => {
            if in_class {
                "0-9A-Za-z_"
            } else {
                "[0-9A-Za-z_]"
            }
        }
        'W' => "[^0-9A-Za-z_]",
        'b' => {
            if in_class {
                r"\x08"
            } else {
                r"(?-u:\b)"
            }
        }
        'B' if !in_class => r"(?-u:\B)",
        '0' => r"\x00",
        '1'..='9' | 'k' if !in_class => return Err("backreferences are not supported".to_owned()),
        's' | 'S' | 'n' | 'r' | 't' | 'f' | 'v' | 'x' | 'u' | 'p' | 'P' => {
            out.push('\\');
            out.push(c);
            return Ok(());
        }
        c if c.is_ascii_alphanumeric() => {
            // An identity escape: `\a` is just `a` in JavaScript.
            out.push(c);
            return Ok(());
        }
        c if c.is_ascii() => {
            out.push('\\');
            out.push(c);
            return Ok(());
        }
        c => {
            out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
            return Ok(());
        }
    };
    out.push_str(text);
    Ok(())
}

fn is_lookaround(rest: &[char]) -> bool {
    matches!(rest, ['?', '=' | '!', ..] | ['?', '<', '=' | '!', ..])
}

/// Length of `n}`, `n,}` or `n,m}` at the start of `rest` (what follows a `{`).
fn quantifier_len(rest: &[char]) -> Option<usize> {
    let digits = |from: usize| {
        rest[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let first = digits(0);
    if first == 0 {
        return None;
    }
    let mut i = first;
    if rest.get(i) == Some(&',') {
        i += 1;
        i += digits(i);
    }
    (rest.get(i) == Some(&'}')).then_some(i + 1)
}

/// The `expected` text of a `stringPattern` error: `regex.toString()` pasted into a JavaScript
/// string literal by fastest-validator's code generator, so its escapes are re-read (`\d`
/// comes out as `d`).
pub(super) fn pattern_expected(source: &str, flags: &str) -> String {
    let mut text = String::from("/");
    if source.is_empty() {
        text.push_str("(?:)");
    } else {
        escape_regexp_source(source, &mut text);
    }
    text.push('/');
    text.extend("dgimsuvy".chars().filter(|c| flags.contains(*c)));
    unescape_js_literal(&text)
}

/// `RegExp.prototype.source`: unescaped `/` and line breaks are escaped.
fn escape_regexp_source(source: &str, out: &mut String) {
    let mut escaped = false;
    let mut in_class = false;
    for c in source.chars() {
        match c {
            '/' if !escaped && !in_class => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
        if !escaped {
            match c {
                '[' => in_class = true,
                ']' => in_class = false,
                _ => {}
            }
        }
        escaped = c == '\\' && !escaped;
    }
}

/// Reads `s` as the body of a sloppy-mode JavaScript string literal.
fn unescape_js_literal(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' || i == chars.len() {
            out.push(c);
            continue;
        }
        let e = chars[i];
        i += 1;
        match e {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\n' | '\u{2028}' | '\u{2029}' => {}
            'x' => i += hex_escape(&chars[i..], 2, &mut out, 'x'),
            'u' => i += hex_escape(&chars[i..], 4, &mut out, 'u'),
            '0'..='7' => i += octal_escape(&chars[i - 1..], &mut out) - 1,
            e => out.push(e),
        }
    }
    out
}

/// `\xHH` / `\uHHHH`; on malformed input keeps the letter. Returns the digits consumed.
fn hex_escape(rest: &[char], len: usize, out: &mut String, letter: char) -> usize {
    let digits: String = rest.iter().take(len).collect();
    let code = (digits.len() == len)
        .then(|| u32::from_str_radix(&digits, 16).ok())
        .flatten();
    match code.and_then(char::from_u32) {
        Some(ch) => {
            out.push(ch);
            len
        }
        None => {
            out.push(letter);
            0
        }
    }
}

/// A legacy octal escape (up to three digits, at most 0o377). Returns the digits consumed.
fn octal_escape(rest: &[char], out: &mut String) -> usize {
    let mut value = 0u32;
    let mut used = 0;
    for c in rest.iter().take(3) {
        match c.to_digit(8) {
            Some(d) if value * 8 + d <= 0o377 => {
                value = value * 8 + d;
                used += 1;
            }
            _ => break,
        }
    }
    out.extend(char::from_u32(value));
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn number_strings() {
        assert_eq!(js_number_string(2.0), "2");
        assert_eq!(js_number_string(-0.0), "0");
        assert_eq!(js_number_string(0.1), "0.1");
        assert_eq!(js_number_string(1e21), "1e+21");
        assert_eq!(js_number_string(1.5e-7), "1.5e-7");
        assert_eq!(js_number_string(123456789.125), "123456789.125");
        assert_eq!(js_number_string(1e20), "100000000000000000000");
        assert_eq!(num_value(2.0), json!(2));
        assert_eq!(num_value(2.5), json!(2.5));
    }

    #[test]
    fn strings_of_values() {
        assert_eq!(
            js_string(&json!([1, null, [2, "a"], {}])),
            "1,,2,a,[object Object]"
        );
        assert_eq!(js_string(&json!(true)), "true");
        assert_eq!(
            js_join(&[json!(1), json!("b"), json!(null)], ", "),
            "1, b, "
        );
    }

    #[test]
    fn messages_fill_in() {
        assert_eq!(
            format_message(
                "The '{field}' x {expected} {actual}",
                "a",
                Some(&json!(2)),
                None
            ),
            "The 'a' x 2 "
        );
        assert_eq!(format_message("{field}", "$&-$$", None, None), "{field}-$");
    }

    #[test]
    fn equality() {
        assert!(loose_eq(&json!("5"), Some(&json!(5))));
        assert!(loose_eq(&json!(1), Some(&json!(true))));
        assert!(loose_eq(&json!("1"), Some(&json!(true))));
        assert!(loose_eq(&json!([5]), Some(&json!("5"))));
        assert!(!loose_eq(&json!({}), Some(&json!({}))));
        assert!(!loose_eq(&json!(0), Some(&json!(null))));
        assert!(!loose_eq(&json!(0), None));
        assert!(strict_eq(&json!(1), &json!(1.0)));
        assert!(!strict_eq(&json!([]), &json!([])));
        assert_eq!(
            duplicates(&[
                json!(1),
                json!(2),
                json!(2),
                json!("a"),
                json!("a"),
                json!(2),
                json!({}),
                json!({})
            ]),
            vec![json!(2), json!("a")]
        );
    }

    #[test]
    fn numbers_of_values() {
        assert_eq!(to_number(&json!(" 12 ")), Some(12.0));
        assert_eq!(to_number(&json!([7])), Some(7.0));
        assert_eq!(to_number(&json!([])), Some(0.0));
        assert_eq!(to_number(&json!(true)), Some(1.0));
        assert_eq!(to_number(&json!({})), None);
        assert_eq!(to_number(&json!("5x")), None);
    }

    #[test]
    fn padding_and_lengths() {
        assert_eq!(utf16_len("a😀"), 3);
        assert_eq!(pad("5", 3, "0", true), "005");
        assert_eq!(pad("5", 4, "ab", false), "5aba");
        assert_eq!(pad("555", 2, "0", true), "555");
        assert_eq!(pad("5", 3, "", true), "5");
    }

    #[test]
    fn regexes() {
        let ok = |src: &str, flags: &str, text: &str| js_regex(src, flags).unwrap().is_match(text);
        assert!(ok(r"^\d+$", "", "123"));
        assert!(!ok(r"^\d+$", "", "١٢"));
        assert!(ok(r"^[\w-]+$", "", "a_b-c"));
        assert!(ok(r"^a/b$", "", "a/b"));
        assert!(ok(r"^[[a]+$", "", "[a["));
        assert!(ok(r"^ABC$", "i", "abc"));
        assert!(ok(r"^x{2}y{$", "", "xxy{"));
        assert!(ok(r"^[^]$", "", "\n"));
        assert!(ok(r"b", "y", "bc"));
        assert!(!ok(r"b", "y", "ab"));
        assert!(ok(r"^\é$", "", "é"));
        assert!(js_regex(r"(?=a)", "").is_err());
        assert!(js_regex(r"(a)\1", "").is_err());
        assert!(js_regex(r"\", "").is_err());
    }

    #[test]
    fn pattern_expected_text() {
        assert_eq!(
            pattern_expected(r"^\d+\.a/b\n\t$", "gi"),
            "/^d+.a/b\n\t$/gi"
        );
        assert_eq!(pattern_expected("", ""), "/(?:)/");
        assert_eq!(pattern_expected(r"^\x41\u0042$", "ig"), "/^AB$/gi");
    }
}
