//! Strings as JavaScript measures, pads, orders and replaces them: in UTF-16 code units.

use std::cmp::Ordering;

/// `s.length`: UTF-16 code units (`"a😀"` is 3).
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// `s.padStart(target, fill)`.
pub(crate) fn pad_start(s: &str, target: usize, fill: &str) -> String {
    filler(s, target, fill) + s
}

/// `s.padEnd(target, fill)`.
pub(crate) fn pad_end(s: &str, target: usize, fill: &str) -> String {
    format!("{s}{}", filler(s, target, fill))
}

/// The repeats of `fill` that bring `s` to `target` UTF-16 units; a surrogate pair cut in
/// half becomes U+FFFD.
fn filler(s: &str, target: usize, fill: &str) -> String {
    let len = utf16_len(s);
    if target <= len || fill.is_empty() {
        return String::new();
    }
    let units: Vec<u16> = fill.encode_utf16().cycle().take(target - len).collect();
    String::from_utf16_lossy(&units)
}

/// The order of JavaScript's default `Array.prototype.sort`: by UTF-16 code units, where
/// characters past U+FFFF sort before U+E000..U+FFFF (Rust's `str` order puts them after).
pub(crate) fn compare_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// `s.replace(/needle/g, replacement)` for a literal `needle`, with the replacement
/// patterns `$$`, `$&`, `` $` `` and `$'`.
pub(crate) fn replace_all(s: &str, needle: &str, replacement: &str) -> String {
    if !s.contains(needle) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + replacement.len());
    let mut rest = 0;
    for (at, _) in s.match_indices(needle) {
        out.push_str(&s[rest..at]);
        let (before, after) = (&s[..at], &s[at + needle.len()..]);
        expand_replacement(replacement, needle, before, after, &mut out);
        rest = at + needle.len();
    }
    out.push_str(&s[rest..]);
    out
}

/// Appends `replacement` with its `$` patterns filled in for one match.
fn expand_replacement(
    replacement: &str,
    matched: &str,
    before: &str,
    after: &str,
    out: &mut String,
) {
    let mut chars = replacement.chars().peekable();
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
