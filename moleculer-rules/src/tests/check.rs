//! The schema checker.

use super::*;

#[test]
fn valid_schemas_have_no_issues() {
    let root = obj(&[
        ("$$strict", s("remove")),
        ("$$async", b(true)),
        ("name", s("string|min:2|optional")),
        ("tags", s("string[]|min:1")),
        (
            "age",
            obj(&[
                ("type", s("number")),
                ("positive", b(true)),
                ("label", s("Age")),
            ]),
        ),
        ("id", SchemaValue::Array(vec![s("string"), s("number")])),
        (
            "user",
            obj(&[
                ("type", s("object")),
                ("strict", b(true)),
                (
                    "props",
                    obj(&[("first", s("string")), ("last", s("string|no-empty"))]),
                ),
            ]),
        ),
        (
            "address",
            obj(&[("$$type", s("object|optional")), ("city", s("string"))]),
        ),
        (
            "kind",
            obj(&[
                ("type", s("enum")),
                ("values", SchemaValue::Array(vec![s("a")])),
            ]),
        ),
        (
            "pair",
            obj(&[
                ("type", s("tuple")),
                ("items", SchemaValue::Array(vec![s("string"), s("number")])),
            ]),
        ),
        (
            "map",
            obj(&[
                ("type", s("record")),
                ("key", s("string|alpha")),
                ("value", s("number")),
            ]),
        ),
        ("uuid", s("uuid|version:4")),
        (
            "email",
            obj(&[("type", s("email")), ("mode", s("precise"))]),
        ),
        (
            "msg",
            obj(&[
                ("type", s("string")),
                ("messages", obj(&[("string", s("Nope {field}"))])),
            ]),
        ),
        (
            "pat",
            obj(&[
                ("type", s("string")),
                ("pattern", s("^a")),
                ("patternFlags", s("gi")),
            ]),
        ),
        (
            "oid",
            obj(&[("type", s("objectID")), ("convert", s("hexString"))]),
        ),
        (
            "any",
            obj(&[("type", s("any")), ("default", SchemaValue::Null)]),
        ),
    ]);
    assert_eq!(issues(&root), vec![]);
    let root_mode = obj(&[("$$root", b(true)), ("type", s("string")), ("min", n(3.0))]);
    assert_eq!(issues(&root_mode), vec![]);
    assert_eq!(
        issues(&SchemaValue::Array(vec![s("string"), s("number")])),
        vec![]
    );
}

#[test]
fn unknown_types_and_options() {
    let root = obj(&[
        ("a", s("strng")),
        ("b", obj(&[("type", s("string")), ("minn", n(1.0))])),
        ("c", s("string|minn:1")),
        ("d", obj(&[("type", s("strng"))])),
        ("e", obj(&[("min", n(1.0))])),
        ("f", obj(&[("type", n(1.0))])),
    ]);
    let got = issues(&root);
    assert_eq!(got.len(), 6, "{got:#?}");
    assert_eq!(got[0].0, "a");
    assert!(
        got[0]
            .1
            .starts_with("unknown rule type `strng` (expected one of: any, array, ")
    );
    assert_eq!(
        got[1],
        (
            "b.minn".to_owned(),
            "unknown option `minn` for rule `string`".to_owned()
        )
    );
    assert_eq!(
        got[2],
        (
            "c".to_owned(),
            "unknown option `minn` for rule `string`".to_owned()
        )
    );
    assert_eq!(got[3].0, "d.type");
    assert_eq!(got[4].0, "e");
    assert!(got[4].1.starts_with("rule has no `type`"));
    assert_eq!(
        got[5],
        (
            "f.type".to_owned(),
            "rule `type` must be a string, got a number".to_owned()
        )
    );
}

#[test]
fn wrong_option_values() {
    let root = obj(&[
        (
            "a",
            obj(&[("type", s("string")), ("min", s("2")), ("trim", n(1.0))]),
        ),
        ("b", obj(&[("type", s("enum")), ("values", s("x"))])),
        (
            "c",
            obj(&[
                ("type", s("object")),
                ("strict", s("yes")),
                ("props", s("x")),
            ]),
        ),
        (
            "d",
            obj(&[
                ("type", s("number")),
                ("step", n(0.0)),
                ("optional", s("true")),
            ]),
        ),
        (
            "e",
            obj(&[
                ("type", s("string")),
                ("patternFlags", s("gg")),
                ("enum", SchemaValue::Array(vec![n(1.0)])),
            ]),
        ),
        ("f", obj(&[("type", s("uuid")), ("version", n(9.0))])),
        ("g", obj(&[("type", s("email")), ("mode", s("fast"))])),
        (
            "h",
            obj(&[
                ("type", s("string")),
                ("messages", obj(&[("string", n(1.0))])),
            ]),
        ),
    ]);
    let got = issues(&root);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "a.min",
            "a.trim",
            "b.values",
            "c.strict",
            "c.props",
            "d.step",
            "d.optional",
            "e.patternFlags",
            "e.enum",
            "f.version",
            "g.mode",
            "h.messages"
        ]
    );
    assert_eq!(
        got[0].1,
        "option `min` of rule `string` expects a number, got a string"
    );
    assert_eq!(
        got[3].1,
        "option `strict` of rule `object` expects a boolean or \"remove\", got a string"
    );
}

#[test]
fn nested_paths() {
    let root = obj(&[
        (
            "user",
            obj(&[
                ("type", s("object")),
                (
                    "props",
                    obj(&[
                        ("name", obj(&[("type", s("string")), ("max", b(true))])),
                        (
                            "tags",
                            obj(&[("type", s("array")), ("items", obj(&[("type", s("nope"))]))]),
                        ),
                        ("$$strict", b(true)),
                    ]),
                ),
            ]),
        ),
        (
            "m",
            obj(&[
                ("type", s("multi")),
                ("rules", SchemaValue::Array(vec![s("string"), s("x")])),
            ]),
        ),
        (
            "t",
            obj(&[("type", s("tuple")), ("items", SchemaValue::Array(vec![]))]),
        ),
        (
            "r",
            obj(&[("type", s("record")), ("value", s("number|foo"))]),
        ),
        ("s", s("string[]|min:x")),
        ("q", s("strin[]")),
    ]);
    let got = issues(&root);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "user.props.name.max",
            "user.props.tags.items.type",
            "user.props.$$strict",
            "m.rules.1",
            "t.items",
            "r.value",
            "s",
            "q"
        ],
        "{got:#?}"
    );
}

#[test]
fn missing_required_options_and_metas() {
    let root = obj(&[
        ("$$strict", n(1.0)),
        ("$$foo", b(true)),
        ("a", s("enum")),
        ("b", s("multi")),
        ("c", n(5.0)),
    ]);
    let got = issues(&root);
    assert_eq!(
        got,
        vec![
            (
                "$$strict".to_owned(),
                "meta key `$$strict` expects a boolean or \"remove\", got a number".to_owned()
            ),
            (
                "$$foo".to_owned(),
                "unknown meta key `$$foo` (expected one of: $$strict, $$async, $$root)".to_owned()
            ),
            (
                "a".to_owned(),
                "rule `enum` needs the option `values`".to_owned()
            ),
            (
                "b".to_owned(),
                "rule `multi` needs the option `rules`".to_owned()
            ),
            (
                "c".to_owned(),
                "a rule must be a string, an object or an array of rules, not a number".to_owned()
            ),
        ]
    );
    assert_eq!(issues(&s("string")).len(), 1);
    let root_mode = obj(&[
        ("$$root", b(true)),
        ("type", s("string")),
        ("$$strict", b(true)),
    ]);
    assert_eq!(
        issues(&root_mode),
        vec![(
            "$$strict".to_owned(),
            "unknown option `$$strict` for rule `string`".to_owned()
        )]
    );
}

#[test]
fn depth_is_bounded() {
    let mut rule = s("string");
    for _ in 0..(MAX_DEPTH + 5) {
        rule = obj(&[("type", s("array")), ("items", rule)]);
    }
    let got = check_schema(&obj(&[("deep", rule)]));
    assert_eq!(got.len(), 1);
    assert!(got[0].message.contains("nest deeper"));
}

#[test]
fn issue_display() {
    let issue = SchemaIssue {
        path: vec!["a".into(), "min".into()],
        message: "bad".into(),
    };
    assert_eq!(issue.to_string(), "`a.min`: bad");
}
