//! A record's fields printed as Node's `util.inspect` prints a flat object (the formatted
//! loggers' default `objectPrinter`: `breakLength: Infinity`, colours when the logger has
//! them).

use super::color::{Style, paint};
use super::record::FieldValue;

/// `{ user: 5, name: 'x' }`, coloured as `util.inspect` colours (strings green, numbers and
/// booleans yellow) when `colors`.
pub(crate) fn inspect_fields(fields: &[(String, FieldValue)], colors: bool) -> String {
    if fields.is_empty() {
        return "{}".to_owned();
    }
    let mut out = String::from("{ ");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if is_identifier(name) {
            out.push_str(name);
        } else {
            out.push_str(&stylize(&quote(name), Style::Green, colors));
        }
        out.push_str(": ");
        let (text, style) = match value {
            FieldValue::Str(s) => (quote(s), Style::Green),
            FieldValue::Float(x) if *x == 0.0 && x.is_sign_negative() => {
                ("-0".to_owned(), Style::Yellow)
            }
            other => (other.to_text(), Style::Yellow),
        };
        out.push_str(&stylize(&text, style, colors));
    }
    out.push_str(" }");
    out
}

fn stylize(text: &str, style: Style, colors: bool) -> String {
    if colors {
        paint(&[style], text)
    } else {
        text.to_owned()
    }
}

/// Whether `util.inspect` prints the key bare: `/^[a-zA-Z_][a-zA-Z_0-9]*$/`.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A string quoted as `util.inspect` quotes it: single quotes, else double quotes when the
/// text has a single quote, else backticks when it has both, escaping what must be.
pub(crate) fn quote(s: &str) -> String {
    let quote = if !s.contains('\'') {
        '\''
    } else if !s.contains('"') {
        '"'
    } else if !s.contains('`') && !s.contains("${") {
        '`'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\'' if quote == '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                out.push_str(&format!("\\x{:02X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, value: FieldValue) -> (String, FieldValue) {
        (name.to_owned(), value)
    }

    /// Expected texts printed by Node 20's `util.inspect(o, {depth: 2, breakLength:
    /// Infinity})` for the same values.
    #[test]
    fn fields_print_as_util_inspect_prints_them() {
        let fields = [
            field(
                "s",
                FieldValue::Str("a\0\u{7}\u{8}\t\n\u{b}\u{c}\r\u{1b}\u{7f}\u{80}\u{9f}\\é".into()),
            ),
            field("q", FieldValue::Str("it's \"x\"".into())),
            field("q2", FieldValue::Str("it's \"x\" `y`".into())),
            field("n", FieldValue::Float(-0.0)),
            field("f", FieldValue::Float(1e21)),
            field("g", FieldValue::Float(1.5e-7)),
            field("a.b", FieldValue::Int(1)),
            field("1a", FieldValue::Uint(2)),
            field("_x", FieldValue::Bool(true)),
            field("$y", FieldValue::Int(-4)),
            field("", FieldValue::Int(5)),
            field("nan", FieldValue::Float(f64::NAN)),
        ];
        assert_eq!(
            inspect_fields(&fields, false),
            r#"{ s: 'a\x00\x07\b\t\n\x0B\f\r\x1B\x7F\x80\x9F\\é', q: `it's "x"`, q2: 'it\'s "x" `y`', n: -0, f: 1e+21, g: 1.5e-7, 'a.b': 1, '1a': 2, _x: true, '$y': -4, '': 5, nan: NaN }"#
        );
        assert_eq!(inspect_fields(&[], false), "{}");
    }

    /// Node 20 with `FORCE_COLOR=1`: `{ a: \x1b[33m1\x1b[39m, b: \x1b[32m"x'y"\x1b[39m,
    /// \x1b[32m'c-d'\x1b[39m: … }`.
    #[test]
    fn colours_are_util_inspect_colours() {
        let fields = [
            field("a", FieldValue::Int(1)),
            field("b", FieldValue::Str("x'y".into())),
            field("c-d", FieldValue::Bool(true)),
        ];
        assert_eq!(
            inspect_fields(&fields, true),
            "{ a: \x1b[33m1\x1b[39m, b: \x1b[32m\"x'y\"\x1b[39m, \x1b[32m'c-d'\x1b[39m: \x1b[33mtrue\x1b[39m }"
        );
    }
}
