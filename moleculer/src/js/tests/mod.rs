//! Exact results for tricky inputs, as Node 20 gives them; `node.rs` checks many more
//! against Node itself.

use std::cmp::Ordering;

use serde_json::json;

use super::*;

mod node;

#[test]
fn to_fixed_rounds_ties_up_as_javascript() {
    for (x, two, none) in [
        (0.125, "0.13", "0"),
        (1.005, "1.00", "1"),
        (-0.001, "-0.00", "-0"),
        (2.5, "2.50", "3"),
        (1234.5678, "1234.57", "1235"),
        (0.0, "0.00", "0"),
        (-1.235, "-1.24", "-1"),
        (999.995, "1000.00", "1000"),
        (1e21, "1e+21", "1e+21"),
        (0.5, "0.50", "1"),
    ] {
        assert_eq!(to_fixed(x, 2), two, "{x}");
        assert_eq!(to_fixed(x, 0), none, "{x}");
    }
}

#[test]
fn values_print_as_string_prints_them() {
    for (value, text) in [
        (json!(null), "null"),
        (json!(true), "true"),
        (json!(-0.0), "0"),
        (json!(1e21), "1e+21"),
        (json!(-2.5e-7), "-2.5e-7"),
        (json!(u64::MAX), "18446744073709552000"),
        (json!(" x "), " x "),
        (json!([]), ""),
        (json!([null]), ""),
        (json!([[[]]]), ""),
        (json!([1, [2, [3, null]], {}]), "1,2,3,,[object Object]"),
        (json!([true, false]), "true,false"),
        (json!({"a": 1}), "[object Object]"),
    ] {
        assert_eq!(value_to_string(&value), text, "{value}");
    }
    assert_eq!(join(&[json!(1), json!("b"), json!(null)], ", "), "1, b, ");
}

#[test]
fn deep_arrays_print_without_recursion() {
    let mut value = json!(1);
    for _ in 0..100_000 {
        value = serde_json::Value::Array(vec![value, json!(null)]);
    }
    assert_eq!(value_to_string(&value).len(), 1 + 100_000);
    // Dropping a value this deep would recurse; it is leaked instead.
    std::mem::forget(value);
}

#[test]
fn values_read_as_number_reads_them() {
    for (value, number) in [
        (json!(null), Some(0.0)),
        (json!(true), Some(1.0)),
        (json!(" 12 "), Some(12.0)),
        (json!("0x1F"), Some(31.0)),
        (json!("\u{feff}5"), Some(5.0)),
        (json!("Infinity"), Some(f64::INFINITY)),
        (json!(""), Some(0.0)),
        (json!([]), Some(0.0)),
        (json!([null]), Some(0.0)),
        (json!([" 7 "]), Some(7.0)),
        (json!(["0x10"]), Some(16.0)),
        (json!("abc"), None),
        (json!("5x"), None),
        (json!([1, 2]), None),
        (json!({}), None),
    ] {
        assert_eq!(value_to_number(&value), number, "{value}");
    }
}

#[test]
fn truthiness() {
    for falsy in [json!(null), json!(false), json!(0), json!(-0.0), json!("")] {
        assert!(!is_truthy(&falsy), "{falsy}");
    }
    for truthy in [
        json!(true),
        json!(1),
        json!(" "),
        json!("0"),
        json!([]),
        json!({}),
    ] {
        assert!(is_truthy(&truthy), "{truthy}");
    }
}

#[test]
fn numbers_become_json_as_javascript_writes_them() {
    assert_eq!(number_to_json(2.0), json!(2));
    assert_eq!(number_to_json(-0.0).to_string(), "0");
    assert_eq!(number_to_json(-3.0), json!(-3));
    assert_eq!(number_to_json(2.5), json!(2.5));
    assert_eq!(
        number_to_json(9_007_199_254_740_992.0),
        json!(9_007_199_254_740_992.0)
    );
    assert_eq!(number_to_json(f64::NAN), json!(null));
    assert_eq!(number_to_json(f64::INFINITY), json!(null));
}

#[test]
fn equalities() {
    assert!(loose_equals(&json!("5"), Some(&json!(5))));
    assert!(loose_equals(&json!(1), Some(&json!(true))));
    assert!(loose_equals(&json!("1"), Some(&json!(true))));
    assert!(loose_equals(&json!([5]), Some(&json!("5"))));
    assert!(loose_equals(&json!(null), None));
    assert!(!loose_equals(&json!({}), Some(&json!({}))));
    assert!(!loose_equals(&json!(0), Some(&json!(null))));
    assert!(!loose_equals(&json!(0), None));
    assert!(strict_equals(&json!(1), &json!(1.0)));
    assert!(strict_equals(&json!(0), &json!(-0.0)));
    assert!(!strict_equals(&json!([]), &json!([])));
    assert!(!strict_equals(&json!("1"), &json!(1)));
    let items = [1, 2, 2, 0].map(|n| json!(n));
    let more = [
        json!(-0.0),
        json!("a"),
        json!("a"),
        json!(2),
        json!({}),
        json!({}),
    ];
    let all: Vec<_> = items.into_iter().chain(more).collect();
    assert_eq!(
        repeated_values(&all),
        vec![json!(2), json!(-0.0), json!("a")]
    );
}

#[test]
fn strings_in_utf16_units() {
    assert_eq!(utf16_len("a😀"), 3);
    assert_eq!(utf16_len("abc"), 3);
    assert_eq!(pad_start("5", 3, "0"), "005");
    assert_eq!(pad_end("5", 4, "ab"), "5aba");
    assert_eq!(pad_start("555", 2, "0"), "555");
    assert_eq!(pad_start("5", 3, ""), "5");
    // Half a surrogate pair, as a lone surrogate cannot be a Rust string.
    assert_eq!(pad_start("5", 2, "😀"), "\u{fffd}5");
    assert_eq!(compare_utf16("😀", "\u{ffff}"), Ordering::Less);
    assert_eq!(compare_utf16("Z", "a"), Ordering::Less);
    assert_eq!(compare_utf16("é", "😀"), Ordering::Less);
}

#[test]
fn replacement_patterns() {
    assert_eq!(
        replace_all("a{f}b{f}", "{f}", "[$`|$&|$'|$$|$1]"),
        "a[a|{f}|b{f}|$|$1]b[a{f}b|{f}||$|$1]"
    );
    assert_eq!(replace_all("abc", "x", "$&"), "abc");
}

#[test]
fn regexps_translate_to_rust() {
    let ok = |src: &str, flags: &str, text: &str| to_rust_regex(src, flags).unwrap().is_match(text);
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
    assert!(to_rust_regex(r"(?=a)", "").is_err());
    assert!(to_rust_regex(r"(a)\1", "").is_err());
    assert!(to_rust_regex(r"\", "").is_err());
}

#[test]
fn regexps_print_and_literals_read_as_javascript_does() {
    assert_eq!(regexp_to_string("a/b\n[/]", "yig"), r"/a\/b\n[/]/giy");
    assert_eq!(regexp_to_string("", ""), "/(?:)/");
    assert_eq!(
        read_string_literal(
            r"\d\x41\u0042\101\n\
x"
        ),
        "dABA\nx"
    );
}
