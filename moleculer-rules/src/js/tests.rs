//! Exact outputs for tricky inputs, as Node 20 prints them.

use super::*;

#[test]
fn numbers_print_as_node_prints_them() {
    for (x, text) in [
        (1.0, "1"),
        (1.5, "1.5"),
        (-5.0, "-5"),
        (-0.0, "0"),
        (100.0, "100"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (999_999_999_999_999_900_000.0, "999999999999999900000"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (0.000_001_234, "0.000001234"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1.23e-18, "1.23e-18"),
        (0.1 + 0.2, "0.30000000000000004"),
        (100.0 / 3.0, "33.333333333333336"),
        (9_007_199_254_740_993_f64, "9007199254740992"),
        (18_446_744_073_709_551_615_f64, "18446744073709552000"),
        (1e300, "1e+300"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (123_456.789, "123456.789"),
        (4.35, "4.35"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        // Exactly halfway between two shortest digit strings: the even one, where Rust's
        // own formatting rounds up.
        (1_788_995_919_670_093.0 + 0.25, "1788995919670093.2"),
        (-(248_205_947_514.0 + 0.578_125), "-248205947514.57812"),
        (-(126_084_559_850_050.0 + 0.625), "-126084559850050.62"),
    ] {
        assert_eq!(number_to_string(x), text, "{x:e}");
    }
}

#[test]
fn text_reads_as_node_reads_it() {
    let f = "f".repeat(64);
    let too_big = format!("0x{}", "f".repeat(256));
    let huge = format!("0x1{}", "0".repeat(255));
    for (text, number) in [
        ("", Some(0.0)),
        ("  ", Some(0.0)),
        (" 12 ", Some(12.0)),
        (
            "\t\n\u{b}\u{c}\r 7 \u{a0}\u{1680}\u{2000}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}",
            Some(7.0),
        ),
        (".5", Some(0.5)),
        ("5.", Some(5.0)),
        ("+5e2", Some(500.0)),
        ("-1.5E-3", Some(-0.0015)),
        ("1.e5", Some(100_000.0)),
        ("007", Some(7.0)),
        ("0b101", Some(5.0)),
        ("0B11", Some(3.0)),
        ("0o17", Some(15.0)),
        ("0x1F", Some(31.0)),
        ("0XaB", Some(171.0)),
        (" 0x10 ", Some(16.0)),
        ("0x20000000000001", Some(9_007_199_254_740_992.0)),
        ("0x1000000000000081", Some(1_152_921_504_606_847_232.0)),
        (&format!("0x{f}"), Some(1.157_920_892_373_162e77)),
        (&huge, Some(1.123_558_209_288_947_4e307)),
        (&too_big, Some(f64::INFINITY)),
        ("Infinity", Some(f64::INFINITY)),
        ("+Infinity", Some(f64::INFINITY)),
        (" Infinity ", Some(f64::INFINITY)),
        ("-Infinity", Some(f64::NEG_INFINITY)),
        ("1e400", Some(f64::INFINITY)),
        ("-1e400", Some(f64::NEG_INFINITY)),
        ("1e-400", Some(0.0)),
        ("9007199254740993", Some(9_007_199_254_740_992.0)),
        ("0.30000000000000004", Some(0.1 + 0.2)),
        ("\u{85}5", None),
        ("5\u{85}", None),
        ("\u{180e}5", None),
        (".", None),
        ("1e", None),
        ("e5", None),
        ("+-1", None),
        ("1_000", None),
        ("12px", None),
        ("1,5", None),
        ("0O8", None),
        ("0x", None),
        ("0x1.5", None),
        ("-0x10", None),
        ("+0x10", None),
        ("infinity", None),
        ("inf", None),
        ("NaN", None),
    ] {
        assert_eq!(string_to_number(text), number, "{text:?}");
    }
    assert!(string_to_number("-0").is_some_and(|z| z == 0.0 && z.is_sign_negative()));
}

#[test]
fn whitespace_is_javascript_whitespace() {
    assert_eq!(trim("\u{feff} a b\u{3000}\n"), "a b");
    assert_eq!(trim_start(" \ta "), "a ");
    assert_eq!(trim_end(" a \u{2029}"), " a");
    assert_eq!(trim("\u{85}a\u{85}"), "\u{85}a\u{85}");
    assert!(is_space('\u{feff}') && is_space('\u{205f}'));
    assert!(!is_space('\u{85}') && !is_space('\u{180e}') && !is_space('\u{200b}'));
}
