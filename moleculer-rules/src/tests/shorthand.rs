//! Shorthand strings.

use super::*;

#[test]
fn shorthand_basic() {
    assert_eq!(
        parse_shorthand("string|min:2|optional").unwrap(),
        entries(&[
            ("type", s("string")),
            ("min", n(2.0)),
            ("optional", b(true))
        ])
    );
    assert_eq!(
        parse_shorthand("number|integer|positive").unwrap(),
        entries(&[
            ("type", s("number")),
            ("integer", b(true)),
            ("positive", b(true))
        ])
    );
    assert_eq!(
        parse_shorthand("any").unwrap(),
        entries(&[("type", s("any"))])
    );
}

#[test]
fn shorthand_values() {
    assert_eq!(
        parse_shorthand(" string | no-empty | pattern:^a:b$ | max : 0x10 | x:false | y: ").unwrap(),
        entries(&[
            ("type", s("string")),
            ("empty", b(false)),
            ("pattern", s("^a:b$")),
            ("max", n(16.0)),
            ("x", b(false)),
            ("y", n(0.0)),
        ])
    );
    assert_eq!(
        parse_shorthand("number|min:-1.5e3|max:abc").unwrap(),
        entries(&[
            ("type", s("number")),
            ("min", n(-1500.0)),
            ("max", s("abc"))
        ])
    );
}

#[test]
fn shorthand_array_suffix() {
    assert_eq!(
        parse_shorthand("string[]|min:1").unwrap(),
        entries(&[
            ("type", s("array")),
            ("items", s("string")),
            ("min", n(1.0))
        ])
    );
    assert_eq!(
        parse_shorthand("number[][]").unwrap(),
        entries(&[("type", s("array")), ("items", s("number[]"))])
    );
}

#[test]
fn shorthand_errors() {
    assert_eq!(parse_shorthand("").unwrap_err(), "empty rule name in ``");
    assert_eq!(
        parse_shorthand("|optional").unwrap_err(),
        "empty rule name in `|optional`"
    );
    assert_eq!(
        parse_shorthand("[]").unwrap_err(),
        "empty item rule name in `[]`"
    );
    assert_eq!(
        parse_shorthand("string||min:1").unwrap_err(),
        "empty option name in `string||min:1`"
    );
    assert_eq!(
        parse_shorthand("string|:1").unwrap_err(),
        "empty option name in `string|:1`"
    );
}
