//! JavaScript's `RegExp`: patterns compiled with Rust's `regex` (syntax translated where it
//! differs), printed as `String(regexp)` prints them, and the string literals they are
//! pasted into.

use regex::{Regex, RegexBuilder};

/// Compiles a JavaScript pattern with its flags into a Rust regex, translating the syntax
/// that differs (`\d` and `\w` are ASCII, `[` is literal inside a class...). Lookaround and
/// backreferences have no Rust equivalent and are rejected.
pub(crate) fn to_rust_regex(source: &str, flags: &str) -> Result<Regex, String> {
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

/// `String(new RegExp(source, flags))`: `/source/flags` with the source escaped as
/// `RegExp.prototype.source` escapes it (`(?:)` when empty) and the flags in their canonical
/// order.
pub(crate) fn regexp_to_string(source: &str, flags: &str) -> String {
    let mut text = String::from("/");
    if source.is_empty() {
        text.push_str("(?:)");
    } else {
        escape_regexp_source(source, &mut text);
    }
    text.push('/');
    text.extend("dgimsuvy".chars().filter(|c| flags.contains(*c)));
    text
}

/// Appends `RegExp.prototype.source`: unescaped `/` and line breaks are escaped.
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

/// `s` read as the body of a sloppy-mode JavaScript string literal: its escapes (`\n`,
/// `\x41`, `\u0042`, legacy octal `\101`, line continuations) decoded, and any other escaped
/// character kept without its backslash (`\d` is `d`).
pub(crate) fn read_string_literal(s: &str) -> String {
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
