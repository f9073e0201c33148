//! JavaScript semantics the `Shard` strategy needs to agree with Node: `String(value)` (with
//! `Number.prototype.toString()`'s formatting) and lodash's `_.get` path resolution.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// JavaScript's `String(value)` for a JSON value; `None` for `null` (Node's `key != null`).
pub(super) fn js_string(value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    push_js_string(value, &mut out);
    Some(out)
}

/// Appends `String(value)`; `null` inside an array prints as nothing (`Array.prototype.join`).
fn push_js_string(value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_js_string(item, out);
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// JavaScript's `Number.prototype.toString()` (ECMAScript `Number::toString`, radix 10): the
/// shortest round-tripping digits, plain between 1e-7 and 1e21, else `d.ddde±x`.
fn js_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` prints the shortest round-tripping digits: "1.5e0", "1e21", "5e-324".
    let sci = format!("{:e}", x.abs());
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return format!("{x}");
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return format!("{x}");
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = even_on_tie(x.abs(), digits, exponent);
    // ECMAScript's k (digit count) and n (decimal point position).
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let point = usize::try_from(n).unwrap_or(0);
        format!("{}.{}", &digits[..point], &digits[point..])
    } else if -6 < n && n <= 0 {
        let zeros = usize::try_from(-n).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let (first, rest) = digits.split_at(1);
        let e = n - 1;
        let e_sign = if e >= 0 { "+" } else { "-" };
        let e = e.abs();
        if rest.is_empty() {
            format!("{first}e{e_sign}{e}")
        } else {
            format!("{first}.{rest}e{e_sign}{e}")
        }
    };
    format!("{sign}{body}")
}

/// ECMAScript's tie rule for the shortest digits of `x` (> 0): when `x` lies exactly halfway
/// between two `k`-digit strings that both read back as `x`, the even one is printed, where
/// Rust's shortest formatting rounds the tie up (`1788995919670093.25` prints as
/// `…093.2` in JS, `…093.3` in Rust). `digits` and `exponent` are Rust's shortest digits.
fn even_on_tie(x: f64, digits: String, exponent: i64) -> String {
    let k = digits.len();
    // A tie needs the exact expansion to be `digits`' length plus one digit, a 5.
    let near = format!("{x:.k$e}");
    if !near
        .split_once('e')
        .is_some_and(|(mantissa, _)| mantissa.ends_with('5'))
    {
        return digits;
    }
    // 800 digits hold any f64's exact decimal expansion (at most 767 significant digits).
    let exact = format!("{x:.800e}");
    let Some((mantissa, exact_exponent)) = exact.split_once('e') else {
        return digits;
    };
    if exact_exponent.parse::<i64>().ok() != Some(exponent) {
        return digits;
    }
    let all: String = mantissa.chars().filter(|c| *c != '.').collect();
    let (head, tail) = all.split_at(k);
    if !(tail.starts_with('5') && tail[1..].bytes().all(|b| b == b'0')) {
        return digits;
    }
    let down = head.to_owned();
    let Some(up) = increment_digits(head) else {
        return digits;
    };
    let down_is_even = down
        .bytes()
        .last()
        .is_some_and(|b| (b - b'0').is_multiple_of(2));
    let (even, odd) = if down_is_even { (down, up) } else { (up, down) };
    let reads_back = |candidate: &str| {
        let shift = exponent - i64::try_from(k).unwrap_or(0) + 1;
        format!("{candidate}e{shift}").parse::<f64>() == Ok(x)
    };
    [even, odd]
        .into_iter()
        .find(|candidate| candidate.len() == k && reads_back(candidate))
        .unwrap_or(digits)
}

/// A decimal digit string plus one in its last place; `None` when it carries out (`"99"`).
fn increment_digits(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// The object `_.get` starts from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Root<'a> {
    /// The params: any JSON value.
    Value(&'a Value),
    /// The meta: an object.
    Map(&'a Map<String, Value>),
}

impl<'a> Root<'a> {
    /// `root[key]`.
    fn prop(self, key: &str) -> Option<Cow<'a, Value>> {
        match self {
            Root::Value(v) => prop(v, key),
            Root::Map(m) => m.get(key).map(Cow::Borrowed),
        }
    }
}

/// lodash's `_.get(root, path)`: the path is one key if it is a plain word, has no `.` nor
/// `[…]`, or is a key of `root` itself; else it is split as lodash's `stringToPath` does
/// (`a.b[0]["c.d"]`). Walking stops with `None` at a missing or `null` step. Only JSON data is
/// seen: no prototype properties, but arrays and strings have `length` and indices.
pub(super) fn lodash_get<'a>(root: Root<'a>, path: &str) -> Option<Cow<'a, Value>> {
    let whole_key = is_plain_prop(path) || !is_deep_prop(path) || root.prop(path).is_some();
    let segments = if whole_key {
        vec![path.to_owned()]
    } else {
        to_path(path)
    };
    let mut segments = segments.iter();
    let mut current = root.prop(segments.next()?)?;
    for segment in segments {
        if current.is_null() {
            return None;
        }
        current = match current {
            Cow::Borrowed(v) => prop(v, segment)?,
            Cow::Owned(v) => Cow::Owned(prop(&v, segment)?.into_owned()),
        };
    }
    Some(current)
}

/// `value[key]` on JSON data: object keys, and `length` and canonical indices of arrays and of
/// strings (a string index gives one UTF-16 unit; a lone surrogate becomes U+FFFD, which is
/// what Node's MD5 of it would hash).
fn prop<'a>(value: &'a Value, key: &str) -> Option<Cow<'a, Value>> {
    match value {
        Value::Object(map) => map.get(key).map(Cow::Borrowed),
        Value::Array(items) if key == "length" => Some(Cow::Owned(Value::from(items.len()))),
        Value::Array(items) => items.get(array_index(key)?).map(Cow::Borrowed),
        Value::String(s) if key == "length" => {
            Some(Cow::Owned(Value::from(s.encode_utf16().count())))
        }
        Value::String(s) => {
            let unit = s.encode_utf16().nth(array_index(key)?)?;
            let c = char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER);
            Some(Cow::Owned(Value::String(c.to_string())))
        }
        _ => None,
    }
}

/// A canonical array index (`"0"`, `"12"`, not `"01"` nor `"-1"`).
fn array_index(key: &str) -> Option<usize> {
    let canonical = key == "0"
        || (!key.starts_with('0') && !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()));
    if canonical { key.parse().ok() } else { None }
}

/// lodash's `reIsPlainProp`: `^\w*$`.
fn is_plain_prop(path: &str) -> bool {
    path.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// lodash's `reIsDeepProp`: a `.`, or a `[…]` with no bracket inside (or a quoted string).
fn is_deep_prop(path: &str) -> bool {
    if path.contains('.') {
        return true;
    }
    let bytes = path.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'['
            && (bytes[i + 1..].iter().find(|&&c| c == b'[' || c == b']') == Some(&b']')
                || quoted_bracket(path, i).is_some())
    })
}

/// lodash's `stringToPath`: the keys of a path like `a.b[0]["c.d"]`, found as its `rePropName`
/// finds them (runs of other characters than `.[]`, `[number]`, `["quoted"]`, and an empty key
/// where a `.` or `[]` is followed by another or by the end).
fn to_path(path: &str) -> Vec<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    if bytes.first() == Some(&b'.') {
        out.push(String::new());
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' | b'[' | b']' => {
                if bytes[i] == b'['
                    && let Some((segment, end)) = bracket_segment(path, i)
                {
                    out.push(segment);
                    i = end;
                    continue;
                }
                if bytes[i] != b']' && empty_segment_at(&bytes[i..]) {
                    out.push(String::new());
                }
                i += 1;
            }
            _ => {
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'.' | b'[' | b']') {
                    i += 1;
                }
                out.push(path[start..i].to_owned());
            }
        }
    }
    out
}

/// `rePropName`'s empty match: `(?=(?:\.|\[\])(?:\.|\[\]|$))`.
fn empty_segment_at(rest: &[u8]) -> bool {
    let after = if rest.starts_with(b".") {
        &rest[1..]
    } else if rest.starts_with(b"[]") {
        &rest[2..]
    } else {
        return false;
    };
    after.is_empty() || after.starts_with(b".") || after.starts_with(b"[]")
}

/// `rePropName`'s bracket at `open` (a `[`): `[-1.5]` gives `-1.5`, `["x"]`/`['x']` gives `x`
/// unescaped; with the index just past the `]`.
fn bracket_segment(path: &str, open: usize) -> Option<(String, usize)> {
    let bytes = path.as_bytes();
    if let Some(close) = bytes[open + 1..].iter().position(|&b| b == b']') {
        let content = &path[open + 1..open + 1 + close];
        if is_number_pattern(content) {
            return Some((content.to_owned(), open + close + 2));
        }
    }
    let close_quote = quoted_bracket(path, open)?;
    Some((unescape(&path[open + 2..close_quote]), close_quote + 2))
}

/// `\[(["'])((?:(?!\1)[^\\]|\\.)*?)\1\]` at `open`: the index of the closing quote.
fn quoted_bracket(path: &str, open: usize) -> Option<usize> {
    let bytes = path.as_bytes();
    let quote = *bytes.get(open + 1)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let mut i = open + 2;
    loop {
        match *bytes.get(i)? {
            b if b == quote => break,
            b'\\' => {
                // `\\.`: `.` is any character but a line terminator.
                let next = &bytes[i + 1..];
                if next.is_empty()
                    || next[0] == b'\n'
                    || next[0] == b'\r'
                    || next.starts_with("\u{2028}".as_bytes())
                    || next.starts_with("\u{2029}".as_bytes())
                {
                    return None;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    (bytes.get(i + 1) == Some(&b']')).then_some(i)
}

/// `-?\d+(?:\.\d+)?`, whole.
fn is_number_pattern(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let s = s.strip_prefix('-').unwrap_or(s);
    match s.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(s),
    }
}

/// lodash's `replace(/\\(\\)?/g, '$1')`: `\\` becomes `\`, a lone `\` goes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let rest = chars.as_str();
            if rest.starts_with('\\') {
                out.push('\\');
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategy_js_number_to_string() {
        // Checked with Node's `String(n)`.
        for (n, s) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (-5.0, "-5"),
            (-0.0, "0"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1.23e-18, "1.23e-18"),
            (0.1 + 0.2, "0.30000000000000004"),
            (9_007_199_254_740_993_f64, "9007199254740992"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (123_456.789, "123456.789"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.000_001, "0.000001"),
            (1e-7, "1e-7"),
            (123_456_789_012.0, "123456789012"),
            (1e20, "100000000000000000000"),
            // Ties between two shortest digit strings go to the even one.
            (1_788_995_919_670_093.0 + 0.25, "1788995919670093.2"),
            (-(248_205_947_514.0 + 0.578_125), "-248205947514.57812"),
            (-(126_084_559_850_050.0 + 0.625), "-126084559850050.62"),
        ] {
            assert_eq!(js_number(n), s, "{n}");
        }
    }

    #[test]
    fn strategy_js_string_of_values() {
        assert_eq!(js_string(&json!(null)), None);
        for (v, s) in [
            (json!("x"), "x"),
            (json!(true), "true"),
            (json!(false), "false"),
            (json!(u64::MAX), "18446744073709552000"),
            (json!({"a": 1}), "[object Object]"),
            (
                json!([1, "a", null, [2, [3]], {"b": 1}]),
                "1,a,,2,3,[object Object]",
            ),
            (json!([]), ""),
        ] {
            assert_eq!(js_string(&v).as_deref(), Some(s), "{v}");
        }
    }

    #[test]
    fn strategy_lodash_to_path() {
        // Checked with lodash's `_.toPath`.
        for (path, expected) in [
            ("a.b", vec!["a", "b"]),
            ("a[0].b", vec!["a", "0", "b"]),
            ("a[\"c.d\"]", vec!["a", "c.d"]),
            ("a..b", vec!["a", "", "b"]),
            ("a.", vec!["a", ""]),
            ("[0]", vec!["0"]),
            (".a", vec!["", "a"]),
            (".", vec!["", ""]),
            ("a[b]", vec!["a", "b"]),
            ("a]b", vec!["a", "b"]),
            ("a[1.5]", vec!["a", "1.5"]),
            ("a[-1]", vec!["a", "-1"]),
            ("a[01]", vec!["a", "01"]),
            ("a[1.]", vec!["a", "1"]),
            ("a\\.b", vec!["a\\", "b"]),
            ("a['x\\\\y']", vec!["a", "x\\y"]),
            ("a['x\\y']", vec!["a", "xy"]),
            ("a[\"x]y\"]", vec!["a", "x]y"]),
            ("[\"a\"].b", vec!["a", "b"]),
            ("a[]", vec!["a", ""]),
            ("a[].b", vec!["a", "", "b"]),
            ("a.b.", vec!["a", "b", ""]),
            ("a[\"q\"]x", vec!["a", "q", "x"]),
            ("é.日本", vec!["é", "日本"]),
        ] {
            assert_eq!(to_path(path), expected, "{path}");
        }
    }

    #[test]
    fn strategy_lodash_get() {
        let o = json!({"a.b": 1, "a": {"b": 2, "c.d": 3, "": 4}, "arr": [{"x": 1}, {"x": 2}], "s": "hey", "n": null});
        let get = |p: &str| lodash_get(Root::Value(&o), p).map(Cow::into_owned);
        // Checked with lodash's `_.get`.
        assert_eq!(get("a.b"), Some(json!(1)));
        assert_eq!(get("a[\"c.d\"]"), Some(json!(3)));
        assert_eq!(get("a."), Some(json!(4)));
        assert_eq!(get("arr[1].x"), Some(json!(2)));
        assert_eq!(get("arr.1.x"), Some(json!(2)));
        assert_eq!(get("arr.01.x"), None);
        assert_eq!(get("arr[-1]"), None);
        assert_eq!(get("arr.length"), Some(json!(2)));
        assert_eq!(get("s.length"), Some(json!(3)));
        assert_eq!(get("s[0]"), Some(json!("h")));
        assert_eq!(get("s[0].length"), Some(json!(1)));
        assert_eq!(get("a.b.c"), None);
        assert_eq!(get("n"), Some(json!(null)));
        assert_eq!(get("n.x"), None);
        assert_eq!(get("missing"), None);
        assert_eq!(
            lodash_get(Root::Value(&json!("abc")), "length").map(Cow::into_owned),
            Some(json!(3))
        );
        assert_eq!(lodash_get(Root::Value(&json!(5)), "x"), None);
        assert_eq!(
            lodash_get(Root::Value(&json!("😀")), "[0]").map(Cow::into_owned),
            Some(json!("\u{FFFD}"))
        );
    }

    #[test]
    fn strategy_lodash_path_kinds() {
        assert!(is_plain_prop("abc_1"));
        assert!(is_plain_prop(""));
        assert!(!is_plain_prop("a-b"));
        assert!(is_deep_prop("a.b"));
        assert!(is_deep_prop("a[0]"));
        assert!(is_deep_prop("a[\"x[\"]"));
        assert!(!is_deep_prop("a[b"));
        assert!(!is_deep_prop("a]b"));
        assert!(is_deep_prop("a[[b]"));
        assert!(!is_deep_prop("a[[b"));
    }
}
