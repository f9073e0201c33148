//! Rules in their other forms.

use super::*;

#[test]
fn resolve_forms() {
    let multi = resolve_rule(&SchemaValue::Array(vec![
        s("string|optional"),
        s("number|optional"),
    ]))
    .unwrap();
    assert_eq!(lookup(&multi, "type"), Some(&s("multi")));
    assert_eq!(lookup(&multi, "optional"), Some(&b(true)));
    assert_eq!(lookup(&multi, "nullable"), None);
    let dollar = resolve_rule(&obj(&[
        ("$$type", s("object|optional")),
        ("a", s("string")),
    ]))
    .unwrap();
    assert_eq!(
        dollar,
        entries(&[
            ("type", s("object")),
            ("optional", b(true)),
            ("props", obj(&[("a", s("string"))])),
        ])
    );
    assert!(resolve_rule(&n(1.0)).is_err());
    assert!(resolve_rule(&SchemaValue::Array(vec![])).is_err());
}

#[test]
fn nested_rule_arrays_resolve_in_linear_time() {
    // Each level used to resolve its alternatives once per flag: 2^depth.
    let mut rule = s("string|optional");
    for _ in 0..60 {
        rule = SchemaValue::Array(vec![rule, s("number|optional")]);
    }
    let resolved = resolve_rule(&rule).unwrap();
    assert_eq!(lookup(&resolved, "optional"), Some(&b(true)));
    assert_eq!(check_schema(&obj(&[("a", rule)])), vec![]);
}
