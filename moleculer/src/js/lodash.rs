//! lodash's `_.get`, which the `Shard` strategy resolves its key path with (the key then
//! prints as `String(value)`), and `_.omit`, which takes a service's `$secureSettings` out of
//! the settings it publishes.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// The object `_.get` starts from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Root<'a> {
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
pub(crate) fn lodash_get<'a>(root: Root<'a>, path: &str) -> Option<Cow<'a, Value>> {
    if is_whole_key(path) {
        return root.prop(path);
    }
    if let Some(found) = root.prop(path) {
        return Some(found);
    }
    let segments = to_path(path);
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

/// lodash's `_.omit(object, paths)`: a copy of `object` without each path, a path read as
/// `_.get` reads it (one key when it is a key of the object or a plain word, else
/// `a.b[0]["c.d"]` segments). A path that does not lead anywhere changes nothing; an array
/// element a path names becomes `null` (the hole `delete` leaves, as JSON prints it).
pub(crate) fn lodash_omit(object: &Map<String, Value>, paths: &[&str]) -> Map<String, Value> {
    let mut out = object.clone();
    for path in paths {
        let whole_key = is_plain_prop(path) || !is_deep_prop(path) || object.contains_key(*path);
        if whole_key {
            out.remove(*path);
            continue;
        }
        let segments = to_path(path);
        let Some((last, parents)) = segments.split_last() else {
            continue;
        };
        let Some((first, rest)) = parents.split_first() else {
            out.remove(last);
            continue;
        };
        let mut parent = out.get_mut(first);
        for segment in rest {
            parent = match parent {
                Some(Value::Object(map)) => map.get_mut(segment),
                Some(Value::Array(items)) => array_index(segment).and_then(|i| items.get_mut(i)),
                _ => None,
            };
        }
        match parent {
            Some(Value::Object(map)) => {
                map.remove(last);
            }
            Some(Value::Array(items)) => {
                if let Some(item) = array_index(last).and_then(|i| items.get_mut(i)) {
                    *item = Value::Null;
                }
            }
            _ => {}
        }
    }
    out
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
/// Whether `_.get` reads `path` as one key whatever the object (a plain word, or no `.` nor
/// `[…]` in it).
pub(crate) fn is_whole_key(path: &str) -> bool {
    is_plain_prop(path) || !is_deep_prop(path)
}

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

    #[test]
    fn lodash_omit_takes_nested_paths_out() {
        let settings = json!({
            "$secureSettings": ["db.password", "tokens[1]", "a.b", "x.y.z", "c.d", "missing.key"],
            "db": {"host": "h", "password": "p"}, "tokens": ["t0", "t1", "t2"], "a.b": 1,
            "a": {"b": 2, "c": 3}, "x": {"y": "str"}, "c": null, "plain": 1
        });
        let Value::Object(settings) = settings else {
            unreachable!()
        };
        let paths = [
            "db.password",
            "tokens[1]",
            "a.b",
            "x.y.z",
            "c.d",
            "missing.key",
            "$secureSettings",
        ];
        // Node: `_.omit(settings, [...settings.$secureSettings, "$secureSettings"])`.
        assert_eq!(
            Value::Object(lodash_omit(&settings, &paths)),
            json!({"db": {"host": "h"}, "tokens": ["t0", null, "t2"], "a": {"b": 2, "c": 3},
                   "x": {"y": "str"}, "c": null, "plain": 1})
        );
    }
}
