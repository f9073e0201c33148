//! Tests of the fastest-validator port. `NODE_CASES` are fastest-validator's own results
//! (errors, or the sanitized params) for each schema and input, recorded from Node.

use super::*;
use serde_json::json;

fn compile(schema: Value) -> FastestValidator {
    FastestValidator::compile(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

/// Runs `schema` on `input`: the errors as JSON objects, and the params afterwards.
fn run(schema: Value, input: Value) -> (Vec<Value>, Value) {
    let mut params = input;
    let errors = match compile(schema).validate(&mut params) {
        Ok(()) => Vec::new(),
        Err(issues) => issues.iter().map(ValidationIssue::to_json).collect(),
    };
    (errors, params)
}

fn errors(schema: Value, input: Value) -> Vec<Value> {
    run(schema, input).0
}

fn messages(schema: Value, input: Value) -> Vec<String> {
    errors(schema, input)
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn passes(schema: Value, input: Value) -> Value {
    let (errs, params) = run(schema, input);
    assert!(errs.is_empty(), "unexpected errors {errs:?}");
    params
}

#[test]
fn node_cases() {
    let mut failures = Vec::new();
    for (schema, input, want, want_value) in NODE_CASES {
        let schema: Value = serde_json::from_str(schema).unwrap();
        let mut params: Value = serde_json::from_str(input).unwrap();
        let got = match compile(schema.clone()).validate(&mut params) {
            Ok(()) => "true".to_owned(),
            Err(issues) => {
                let list: Vec<Value> = issues.iter().map(ValidationIssue::to_json).collect();
                serde_json::to_string(&list).unwrap()
            }
        };
        let value = serde_json::to_string(&params).unwrap();
        if got != *want || (!want_value.is_empty() && value != *want_value) {
            failures.push(format!(
                "{schema} {input}\n  want {want} {want_value}\n  got  {got} {value}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn required_message_and_shape() {
    let errs = errors(json!({ "name": "string" }), json!({}));
    assert_eq!(
        errs,
        vec![
            json!({"type": "required", "message": "The 'name' field is required.", "field": "name"})
        ]
    );
    let issue = &compile(json!({ "name": "string" }))
        .validate(&mut json!({ "name": null }))
        .unwrap_err()[0];
    assert_eq!(issue.kind, "required");
    assert_eq!(issue.field, "name");
    assert_eq!(issue.actual, Some(Value::Null));
    assert_eq!(issue.expected, None);
    assert_eq!(issue.label, None);
}

#[test]
fn to_json_key_order() {
    let issue = ValidationIssue {
        kind: "stringMin".into(),
        field: "a".into(),
        message: "m".into(),
        actual: Some(json!(1)),
        expected: Some(json!(2)),
        label: Some("A".into()),
    };
    assert_eq!(
        serde_json::to_string(&issue.to_json()).unwrap(),
        r#"{"type":"stringMin","message":"m","field":"a","expected":2,"actual":1,"label":"A"}"#
    );
    let root = ValidationIssue {
        field: String::new(),
        label: None,
        actual: None,
        expected: None,
        ..issue
    };
    assert_eq!(
        serde_json::to_string(&root.to_json()).unwrap(),
        r#"{"type":"stringMin","message":"m"}"#
    );
}

#[test]
fn null_params_are_an_empty_object() {
    let v = compile(json!({ "a": { "type": "number", "default": 3 } }));
    let mut params = Value::Null;
    assert_eq!(v.validate(&mut params), Ok(()));
    assert_eq!(params, json!({ "a": 3 }));
    let root = compile(json!({ "$$root": true, "type": "string" }));
    let errs = root.validate(&mut Value::Null).unwrap_err();
    assert_eq!(errs[0].message, "The '' field is required.");
}

#[test]
fn string_rules() {
    let m = |rule: Value, value: Value| messages(json!({ "s": rule }), json!({ "s": value }));
    assert_eq!(
        m(json!("string"), json!(1)),
        ["The 's' field must be a string."]
    );
    assert_eq!(
        m(json!("string|min:2"), json!("a")),
        ["The 's' field length must be greater than or equal to 2 characters long."]
    );
    assert_eq!(
        m(json!("string|max:2"), json!("abc")),
        ["The 's' field length must be less than or equal to 2 characters long."]
    );
    assert_eq!(
        m(json!("string|length:2"), json!("abc")),
        ["The 's' field length must be 2 characters long."]
    );
    assert_eq!(
        m(json!("string|empty:false"), json!("")),
        ["The 's' field must not be empty."]
    );
    assert_eq!(
        m(json!({"type": "string", "pattern": "^a"}), json!("b")),
        ["The 's' field fails to match the required pattern."]
    );
    assert_eq!(
        m(json!("string|contains:x"), json!("b")),
        ["The 's' field must contain the 'x' text."]
    );
    assert_eq!(
        m(json!({"type": "string", "enum": ["x"]}), json!("b")),
        ["The 's' field does not match any of the allowed values."]
    );
    assert_eq!(
        m(json!("string|numeric"), json!("1a")),
        ["The 's' field must be a numeric string."]
    );
    assert_eq!(
        m(json!("string|alpha"), json!("1a")),
        ["The 's' field must be an alphabetic string."]
    );
    assert_eq!(
        m(json!("string|alphanum"), json!("1-a")),
        ["The 's' field must be an alphanumeric string."]
    );
    assert_eq!(
        m(json!("string|alphadash"), json!("1 a")),
        ["The 's' field must be an alphadash string."]
    );
    assert_eq!(
        m(json!("string|hex"), json!("abc")),
        ["The 's' field must be a hex string."]
    );
    assert_eq!(
        m(json!("string|singleLine"), json!("a\nb")),
        ["The 's' field must be a single line string."]
    );
    assert_eq!(
        m(json!("string|base64"), json!("a")),
        ["The 's' field must be a base64 string."]
    );
    for ok in [json!("ab"), json!("abcd")] {
        assert_eq!(
            m(json!("string|min:2|max:4|alpha"), ok),
            Vec::<String>::new()
        );
    }
}

#[test]
fn string_sanitizers() {
    let s = |rule: Value, value: Value| {
        passes(json!({ "s": rule }), json!({ "s": value }))["s"].clone()
    };
    assert_eq!(s(json!("string|trim"), json!("  a  ")), json!("a"));
    assert_eq!(s(json!("string|trimLeft"), json!("  a  ")), json!("a  "));
    assert_eq!(s(json!("string|trimRight"), json!("  a  ")), json!("  a"));
    assert_eq!(
        s(json!("string|padStart:3|padChar:0"), json!("7")),
        json!("007")
    );
    assert_eq!(s(json!("string|padEnd:3"), json!("7")), json!("7  "));
    assert_eq!(s(json!("string|lowercase"), json!("AbC")), json!("abc"));
    assert_eq!(s(json!("string|uppercase"), json!("AbC")), json!("ABC"));
    assert_eq!(
        s(json!("string|localeLowercase"), json!("AbC")),
        json!("abc")
    );
    assert_eq!(s(json!("string|convert"), json!(12.5)), json!("12.5"));
    assert_eq!(s(json!("string|convert"), json!([1, 2])), json!("1,2"));
    // Checks see the sanitized value; `actual` of a pattern error is the value before.
    let errs = errors(
        json!({ "s": {"type": "string", "trim": true, "pattern": "^b$"} }),
        json!({ "s": " a " }),
    );
    assert_eq!(errs[0]["actual"], json!(" a "));
    assert_eq!(errs[0]["expected"], json!("/^b$/"));
}

#[test]
fn number_rules() {
    let m = |rule: &str, value: Value| messages(json!({ "n": rule }), json!({ "n": value }));
    assert_eq!(m("number", json!("1")), ["The 'n' field must be a number."]);
    assert_eq!(
        m("number|min:2", json!(1)),
        ["The 'n' field must be greater than or equal to 2."]
    );
    assert_eq!(
        m("number|max:2", json!(3)),
        ["The 'n' field must be less than or equal to 2."]
    );
    assert_eq!(
        m("number|equal:2", json!(3)),
        ["The 'n' field must be equal to 2."]
    );
    assert_eq!(
        m("number|notEqual:2", json!(2)),
        ["The 'n' field can't be equal to 2."]
    );
    assert_eq!(
        m("number|integer", json!(2.5)),
        ["The 'n' field must be an integer."]
    );
    assert_eq!(
        m("number|positive", json!(0)),
        ["The 'n' field must be a positive number."]
    );
    assert_eq!(
        m("number|negative", json!(0)),
        ["The 'n' field must be a negative number."]
    );
    assert_eq!(
        m("number|step:0.5", json!(0.7)),
        ["The 'n' field must be a multiple of 0.5."]
    );
    assert!(m("number|min:1|max:3|integer|positive|step:0.5", json!(2)).is_empty());
    let errs = errors(json!({ "n": "number|convert|min:10" }), json!({ "n": "5" }));
    assert_eq!(
        errs[0]["actual"],
        json!("5"),
        "actual is the value before conversion"
    );
    assert_eq!(
        passes(json!({ "n": "number|convert" }), json!({ "n": " 5 " })),
        json!({ "n": 5 })
    );
    assert_eq!(
        passes(json!({ "n": "number|convert" }), json!({ "n": "2.5" })),
        json!({ "n": 2.5 })
    );
}

#[test]
fn boolean_and_convert() {
    let b = |value: Value| {
        passes(json!({ "b": "boolean|convert" }), json!({ "b": value }))["b"].clone()
    };
    for (input, want) in [
        (json!(1), true),
        (json!("true"), true),
        (json!("on"), true),
        (json!("1"), true),
    ] {
        assert_eq!(b(input), json!(want));
    }
    for input in [json!(0), json!("false"), json!("off"), json!("0")] {
        assert_eq!(b(input), json!(false));
    }
    assert_eq!(
        messages(json!({ "b": "boolean" }), json!({ "b": 1 })),
        ["The 'b' field must be a boolean."]
    );
    assert_eq!(
        messages(json!({ "b": "boolean|convert" }), json!({ "b": "yes" })),
        ["The 'b' field must be a boolean."]
    );
}

#[test]
fn array_rules() {
    let m = |rule: Value, value: Value| messages(json!({ "l": rule }), json!({ "l": value }));
    assert_eq!(
        m(json!("array"), json!({})),
        ["The 'l' field must be an array."]
    );
    assert_eq!(
        m(json!("array|empty:false"), json!([])),
        ["The 'l' field must not be an empty array."]
    );
    assert_eq!(
        m(json!("array|min:2"), json!([1])),
        ["The 'l' field must contain at least 2 items."]
    );
    assert_eq!(
        m(json!("array|max:1"), json!([1, 2])),
        ["The 'l' field must contain less than or equal to 1 items."]
    );
    assert_eq!(
        m(json!("array|length:1"), json!([1, 2])),
        ["The 'l' field must contain 1 items."]
    );
    assert_eq!(
        m(json!({"type": "array", "contains": "x"}), json!(["y"])),
        ["The 'l' field must contain the 'x' item."]
    );
    assert_eq!(
        m(json!("array|unique"), json!([1, 1, 2, 2])),
        ["The '1,1,2,2' value in 'l' field does not unique the '1,2' values."]
    );
    assert_eq!(
        m(
            json!({"type": "array", "enum": ["a", "b"]}),
            json!(["a", "c"])
        ),
        ["The 'c' value in 'l' field does not match any of the 'a, b' values."]
    );
    let errs = errors(json!({ "l": "number[]" }), json!({ "l": [1, "x", 3, "y"] }));
    let fields: Vec<&Value> = errs.iter().map(|e| &e["field"]).collect();
    assert_eq!(fields, [&json!("l[1]"), &json!("l[3]")]);
    assert_eq!(
        errs[0]["message"],
        json!("The 'l[1]' field must be a number.")
    );
    assert_eq!(
        passes(
            json!({ "l": {"type": "array", "convert": true, "items": "number|convert"} }),
            json!({ "l": "4" })
        ),
        json!({ "l": [4] })
    );
}

#[test]
fn nested_paths_and_labels() {
    let schema = json!({
        "user": { "type": "object", "props": {
            "name": { "type": "string", "label": "User name" },
            "tags": { "type": "array", "items": { "type": "object", "props": { "id": "number" } } },
            "first-name": "string",
        } }
    });
    let errs = errors(
        schema,
        json!({ "user": { "name": 5, "tags": [{ "id": 1 }, { "id": "x" }] } }),
    );
    let summary: Vec<(String, String)> = errs
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "user.name".to_owned(),
                "The 'User name' field must be a string.".to_owned()
            ),
            (
                "user.tags[1].id".to_owned(),
                "The 'user.tags[1].id' field must be a number.".to_owned()
            ),
            (
                "user['first-name']".to_owned(),
                "The 'user['first-name']' field is required.".to_owned()
            ),
        ]
    );
    assert_eq!(errs[0]["label"], json!("User name"));
}

#[test]
fn defaults() {
    let schema = json!({
        "a": { "type": "number", "default": 1 },
        "b": { "type": "string", "optional": true, "default": "x" },
        "c": { "type": "object", "default": { "k": [1] } },
        "d": { "type": "string", "nullable": true, "default": "y" },
    });
    let out = passes(schema, json!({ "b": null, "d": null }));
    assert_eq!(
        out,
        json!({ "b": "x", "d": null, "a": 1, "c": { "k": [1] } })
    );
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"b":"x","d":null,"a":1,"c":{"k":[1]}}"#
    );
}

#[test]
fn strict_modes() {
    let errs = errors(
        json!({ "$$strict": true, "a": "string" }),
        json!({ "a": "x", "b": 1, "c": 2 }),
    );
    assert_eq!(
        errs,
        vec![
            json!({"type": "objectStrict", "message": "The object '' contains forbidden keys: 'b, c'.", "expected": "a", "actual": "b, c"})
        ]
    );
    let out = passes(
        json!({ "$$strict": "remove", "a": "string" }),
        json!({ "a": "x", "b": 1 }),
    );
    assert_eq!(out, json!({ "a": "x" }));
    let nested = json!({ "o": { "type": "object", "strict": true, "props": { "a": "any" } } });
    assert_eq!(
        messages(nested, json!({ "o": { "a": 1, "z": 1 } })),
        ["The object 'o' contains forbidden keys: 'z'."]
    );
}

#[test]
fn object_rules() {
    let m = |rule: Value, value: Value| messages(json!({ "o": rule }), json!({ "o": value }));
    assert_eq!(
        m(json!("object"), json!([])),
        ["The 'o' must be an Object."]
    );
    assert_eq!(
        m(json!("object|minProps:2"), json!({"a": 1})),
        ["The object 'o' must contain at least 2 properties."]
    );
    assert_eq!(
        m(json!("object|maxProps:1"), json!({"a": 1, "b": 2})),
        ["The object 'o' must contain 1 properties at most."]
    );
    let dollar = json!({ "$$type": "object|optional", "a": "number" });
    assert_eq!(
        m(dollar.clone(), json!({"a": "x"})),
        ["The 'o.a' field must be a number."]
    );
    assert!(errors(json!({ "o": dollar }), json!({})).is_empty());
}

#[test]
fn other_rules() {
    let m = |rule: Value, value: Value| messages(json!({ "x": rule }), json!({ "x": value }));
    assert_eq!(
        m(json!("email"), json!("nope")),
        ["The 'x' field must be a valid e-mail."]
    );
    assert_eq!(
        m(json!("email"), json!("")),
        ["The 'x' field must not be empty."]
    );
    assert_eq!(
        m(json!({"type": "enum", "values": ["a", "b"]}), json!("c")),
        ["The 'x' field value 'a, b' does not match any of the allowed values."]
    );
    assert_eq!(
        m(json!({"type": "equal", "value": 3}), json!(4)),
        ["The 'x' field value must be equal to '3'."]
    );
    assert_eq!(
        m(json!("forbidden"), json!(1)),
        ["The 'x' field is forbidden."]
    );
    assert_eq!(
        m(json!("luhn"), json!("4242424242424241")),
        ["The 'x' field must be a valid checksum luhn."]
    );
    assert_eq!(
        m(json!("mac"), json!("01:02")),
        ["The 'x' field must be a valid MAC address."]
    );
    assert_eq!(
        m(json!("url"), json!("ftp://x")),
        ["The 'x' field must be a valid URL."]
    );
    assert_eq!(
        m(json!("uuid"), json!("x")),
        ["The 'x' field must be a valid UUID."]
    );
    assert_eq!(
        m(
            json!("uuid|version:4"),
            json!("10ba038e-48da-187b-96e8-8d3b99b6d18a")
        ),
        ["The 'x' field must be a valid UUID version provided."]
    );
    assert_eq!(
        m(json!("currency"), json!("1,2")),
        ["The 'x' must be a valid currency format"]
    );
    assert_eq!(
        m(json!("objectID"), json!("123")),
        ["The 'x' field must be an valid ObjectID"]
    );
    assert!(m(json!("objectID"), json!("507f1f77bcf86cd799439011")).is_empty());
    assert_eq!(
        m(json!("date"), json!("nope")),
        ["The 'x' field must be a Date."]
    );
    assert!(m(json!("date"), json!("2024-02-29T10:00:00Z")).is_empty());
    assert_eq!(
        m(
            json!({"type": "tuple", "items": ["string", "number"]}),
            json!(["a"])
        ),
        ["The 'x' field must contain 2 items."]
    );
    assert_eq!(
        m(
            json!({"type": "record", "key": "string|alpha"}),
            json!({"a1": 1})
        ),
        ["The 'x.a1' key must be an alphabetic string."]
    );
    assert_eq!(m(json!("record"), json!(5)), ["The 'x' must be an Object."]);
}

#[test]
fn date_conversion() {
    let d =
        |value: Value| passes(json!({ "d": "date|convert" }), json!({ "d": value }))["d"].clone();
    assert_eq!(d(json!(0)), json!("1970-01-01T00:00:00.000Z"));
    assert_eq!(d(json!("86400000")), json!("1970-01-02T00:00:00.000Z"));
    assert_eq!(
        d(json!("2020-01-01T10:00:00+02:00")),
        json!("2020-01-01T10:00:00+02:00")
    );
}

#[test]
fn multi_rules() {
    let schema = json!({ "v": ["string", "number"] });
    assert!(errors(schema.clone(), json!({ "v": 1 })).is_empty());
    assert_eq!(
        messages(schema, json!({ "v": true })),
        [
            "The 'v' field must be a string.",
            "The 'v' field must be a number."
        ]
    );
    let converting = json!({ "v": { "type": "multi", "rules": ["number|convert", "string"] } });
    assert_eq!(passes(converting, json!({ "v": "5" })), json!({ "v": 5 }));
}

#[test]
fn rules_that_need_javascript_values_are_refused() {
    for schema in [
        json!({ "f": "function" }),
        json!({ "c": { "type": "custom", "check": true } }),
        json!({ "k": { "type": "class", "instanceOf": true } }),
        json!({ "a": { "type": "any", "custom": true } }),
    ] {
        let err = FastestValidator::compile(&schema).unwrap_err();
        assert!(err.contains("JavaScript"), "{schema}: {err}");
    }
}

#[test]
fn custom_messages() {
    let schema = json!({ "a": { "type": "string", "min": 3, "messages": { "stringMin": "{field}: {actual} < {expected}" } } });
    assert_eq!(messages(schema, json!({ "a": "x" })), ["a: 1 < 3"]);
}

#[test]
fn compile_errors() {
    let err =
        FastestValidator::compile(&json!({ "a": "strng", "b": { "type": "string", "minn": 1 } }))
            .unwrap_err();
    assert!(err.starts_with("`a`: unknown rule type `strng`"), "{err}");
    assert!(
        err.ends_with("; `b.minn`: unknown option `minn` for rule `string`"),
        "{err}"
    );
    assert!(FastestValidator::compile(&json!("string")).is_err());
    let lookahead =
        FastestValidator::compile(&json!({ "a": { "type": "string", "pattern": "(?=x)" } }));
    assert!(lookahead.unwrap_err().contains("lookaround"));
    let mut deep = json!("string");
    for _ in 0..300 {
        deep = json!({ "type": "array", "items": deep });
    }
    assert!(FastestValidator::compile(&json!({ "a": deep })).is_err());
}

#[test]
fn root_rules() {
    let v = compile(json!({ "$$root": true, "type": "array", "items": "number|convert" }));
    let mut params = json!(["1", 2]);
    assert_eq!(v.validate(&mut params), Ok(()));
    assert_eq!(params, json!([1, 2]));
    let errs = v.validate(&mut json!(["x"])).unwrap_err();
    assert_eq!(errs[0].field, "[0]");
    assert_eq!(errs[0].message, "The '[0]' field must be a number.");
}

#[test]
fn deep_values_do_not_overflow() {
    // Far deeper than serde_json parses (128); the validator itself only recurses along the
    // schema, and prints nested arrays to a bounded depth.
    let mut deep = json!(1);
    for _ in 0..1_000 {
        deep = Value::Array(vec![deep]);
    }
    let v =
        compile(json!({ "a": "any", "b": {"type": "array", "enum": [1]}, "c": "string|convert" }));
    let mut params = json!({ "a": deep.clone(), "b": [deep.clone()], "c": deep });
    let errs = v.validate(&mut params).unwrap_err();
    assert_eq!(errs[0].kind, "arrayEnum");
    assert!(errs[0].message.starts_with("The '1' value in 'b' field"));
}

#[test]
fn odd_inputs_never_panic() {
    let schemas = [
        json!({ "a": "string|trim|padStart:3|min:1", "b": "number|convert|step:0.01", "c": "email|normalize" }),
        json!({ "a": "date|convert", "b": "uuid|version:4", "c": "luhn", "d": "mac", "e": "url" }),
        json!({ "a": {"type": "record", "key": "string|convert", "value": ["number", "string"]} }),
        json!({ "a": {"type": "array", "unique": true, "contains": 1, "enum": [1, "a"]}, "b": "currency" }),
        json!({ "$$strict": "remove", "a": {"type": "tuple", "items": ["any", "forbidden|remove"]} }),
    ];
    let inputs = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1.5),
        json!(""),
        json!("😀\u{0}"),
        json!("9007199254740993"),
        json!([]),
        json!([null, [], {}]),
        json!({}),
        json!({"x": {"y": []}}),
        json!(1e300),
        json!(u64::MAX),
        json!("-0x1"),
        json!("2020-02-30"),
        json!("+275760-09-13T00:00:00.001Z"),
    ];
    for schema in schemas {
        let v = compile(schema);
        for a in &inputs {
            for b in &inputs {
                let mut params = json!({ "a": a, "b": b, "c": a, "d": b, "e": a });
                let _ = v.validate(&mut params);
                let _ = v.validate(&mut a.clone());
            }
        }
    }
}

/// `(schema, params, result, params after)` as fastest-validator (1.19.1, plus the `step`
/// and `pipe` of its master branch) gives them: `result` is `true` or the error list;
/// `params after` is checked when it passed.
#[rustfmt::skip]
const NODE_CASES: &[(&str, &str, &str, &str)] = &[
    (r#"{"a":"any"}"#, r#"{}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a"}]"#, r#""#),
    (r#"{"a":"any"}"#, r#"{"a":null}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a","actual":null}]"#, r#""#),
    (r#"{"a":"any|optional"}"#, r#"{}"#, r#"true"#, r#"{}"#),
    (r#"{"a":"any|optional"}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":{"type":"any","nullable":true}}"#, r#"{}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a"}]"#, r#""#),
    (r#"{"a":{"type":"any","nullable":true}}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":{"type":"number","default":5}}"#, r#"{}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"number","default":5}}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"number","default":5,"nullable":true}}"#, r#"{}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"number","default":5,"nullable":true}}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":{"type":"string","optional":true,"default":"x"}}"#, r#"{}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":{"type":"string","optional":true,"default":"x"}}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":{"type":"string","label":"Name"}}"#, r#"{}"#, r#"[{"type":"required","message":"The 'Name' field is required.","field":"a","label":"Name"}]"#, r#""#),
    (r#"{"a":{"type":"string","label":"Name"}}"#, r#"{"a":null}"#, r#"[{"type":"required","message":"The 'Name' field is required.","field":"a","actual":null,"label":"Name"}]"#, r#""#),
    (r#"{"a":{"type":"object","default":{"x":1}}}"#, r#"{}"#, r#"true"#, r#"{"a":{"x":1}}"#),
    (r#"{"a":"string"}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":"string"}"#, r#"{"a":5}"#, r#"[{"type":"string","message":"The 'a' field must be a string.","field":"a","actual":5}]"#, r#""#),
    (r#"{"a":"string|min:3|max:5"}"#, r#"{"a":"ab"}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 3 characters long.","field":"a","expected":3,"actual":2}]"#, r#""#),
    (r#"{"a":"string|min:3|max:5"}"#, r#"{"a":"abcdef"}"#, r#"[{"type":"stringMax","message":"The 'a' field length must be less than or equal to 5 characters long.","field":"a","expected":5,"actual":6}]"#, r#""#),
    (r#"{"a":"string|length:3"}"#, r#"{"a":"ab"}"#, r#"[{"type":"stringLength","message":"The 'a' field length must be 3 characters long.","field":"a","expected":3,"actual":2}]"#, r#""#),
    (r#"{"a":"string|length:3"}"#, r#"{"a":"abc"}"#, r#"true"#, r#"{"a":"abc"}"#),
    (r#"{"a":"string|empty:false"}"#, r#"{"a":""}"#, r#"[{"type":"stringEmpty","message":"The 'a' field must not be empty.","field":"a","actual":""}]"#, r#""#),
    (r#"{"a":"string|empty:false"}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":"string|empty:true|min:3"}"#, r#"{"a":""}"#, r#"true"#, r#"{"a":""}"#),
    (r#"{"a":"string|empty:true|min:3"}"#, r#"{"a":"x"}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 3 characters long.","field":"a","expected":3,"actual":1}]"#, r#""#),
    (r#"{"a":"string|no-empty|min:2"}"#, r#"{"a":""}"#, r#"[{"type":"stringEmpty","message":"The 'a' field must not be empty.","field":"a","actual":""},{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 2 characters long.","field":"a","expected":2,"actual":0}]"#, r#""#),
    (r#"{"a":{"type":"string","pattern":"^[a-z]+\\d$","patternFlags":"i"}}"#, r#"{"a":"Ab1"}"#, r#"true"#, r#"{"a":"Ab1"}"#),
    (r#"{"a":{"type":"string","pattern":"^[a-z]+\\d$","patternFlags":"i"}}"#, r#"{"a":"Ab"}"#, r#"[{"type":"stringPattern","message":"The 'a' field fails to match the required pattern.","field":"a","expected":"/^[a-z]+d$/i","actual":"Ab"}]"#, r#""#),
    (r#"{"a":{"type":"string","pattern":"a/b"}}"#, r#"{"a":"xx"}"#, r#"[{"type":"stringPattern","message":"The 'a' field fails to match the required pattern.","field":"a","expected":"/a/b/","actual":"xx"}]"#, r#""#),
    (r#"{"a":"string|contains:foo"}"#, r#"{"a":"xfoox"}"#, r#"true"#, r#"{"a":"xfoox"}"#),
    (r#"{"a":"string|contains:foo"}"#, r#"{"a":"bar"}"#, r#"[{"type":"stringContains","message":"The 'a' field must contain the 'foo' text.","field":"a","expected":"foo","actual":"bar"}]"#, r#""#),
    (r#"{"a":{"type":"string","enum":["a","b"]}}"#, r#"{"a":"a"}"#, r#"true"#, r#"{"a":"a"}"#),
    (r#"{"a":{"type":"string","enum":["a","b"]}}"#, r#"{"a":"c"}"#, r#"[{"type":"stringEnum","message":"The 'a' field does not match any of the allowed values.","field":"a","expected":"a, b","actual":"c"}]"#, r#""#),
    (r#"{"a":"string|numeric"}"#, r#"{"a":"-12.5"}"#, r#"true"#, r#"{"a":"-12.5"}"#),
    (r#"{"a":"string|numeric"}"#, r#"{"a":"12."}"#, r#"[{"type":"stringNumeric","message":"The 'a' field must be a numeric string.","field":"a","actual":"12."}]"#, r#""#),
    (r#"{"a":"string|alpha"}"#, r#"{"a":"abC"}"#, r#"true"#, r#"{"a":"abC"}"#),
    (r#"{"a":"string|alpha"}"#, r#"{"a":"ab1"}"#, r#"[{"type":"stringAlpha","message":"The 'a' field must be an alphabetic string.","field":"a","actual":"ab1"}]"#, r#""#),
    (r#"{"a":"string|alphanum"}"#, r#"{"a":"ab1"}"#, r#"true"#, r#"{"a":"ab1"}"#),
    (r#"{"a":"string|alphanum"}"#, r#"{"a":"ab-1"}"#, r#"[{"type":"stringAlphanum","message":"The 'a' field must be an alphanumeric string.","field":"a","actual":"ab-1"}]"#, r#""#),
    (r#"{"a":"string|alphadash"}"#, r#"{"a":"a_b-1"}"#, r#"true"#, r#"{"a":"a_b-1"}"#),
    (r#"{"a":"string|alphadash"}"#, r#"{"a":"a b"}"#, r#"[{"type":"stringAlphadash","message":"The 'a' field must be an alphadash string.","field":"a","actual":"a b"}]"#, r#""#),
    (r#"{"a":"string|hex"}"#, r#"{"a":"0aFf"}"#, r#"true"#, r#"{"a":"0aFf"}"#),
    (r#"{"a":"string|hex"}"#, r#"{"a":"abc"}"#, r#"[{"type":"stringHex","message":"The 'a' field must be a hex string.","field":"a","actual":"abc"}]"#, r#""#),
    (r#"{"a":"string|singleLine"}"#, r#"{"a":"ab"}"#, r#"true"#, r#"{"a":"ab"}"#),
    (r#"{"a":"string|singleLine"}"#, r#"{"a":"a\nb"}"#, r#"[{"type":"stringSingleLine","message":"The 'a' field must be a single line string.","field":"a"}]"#, r#""#),
    (r#"{"a":"string|base64"}"#, r#"{"a":"aGVsbG8="}"#, r#"true"#, r#"{"a":"aGVsbG8="}"#),
    (r#"{"a":"string|base64"}"#, r#"{"a":"aGVsbG8"}"#, r#"[{"type":"stringBase64","message":"The 'a' field must be a base64 string.","field":"a","actual":"aGVsbG8"}]"#, r#""#),
    (r#"{"a":"string|trim|min:2"}"#, r#"{"a":"  a  "}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 2 characters long.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":"string|trim|min:2"}"#, r#"{"a":"  ab  "}"#, r#"true"#, r#"{"a":"ab"}"#),
    (r#"{"a":"string|trimLeft"}"#, r#"{"a":"  a  "}"#, r#"true"#, r#"{"a":"a  "}"#),
    (r#"{"a":"string|trimRight"}"#, r#"{"a":"  a  "}"#, r#"true"#, r#"{"a":"  a"}"#),
    (r#"{"a":"string|padStart:5|padChar:0"}"#, r#"{"a":"12"}"#, r#"true"#, r#"{"a":"00012"}"#),
    (r#"{"a":"string|padStart:5|padChar:0"}"#, r#"{"a":"123456"}"#, r#"true"#, r#"{"a":"123456"}"#),
    (r#"{"a":{"type":"string","padEnd":6,"padChar":"ab"}}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"xababa"}"#),
    (r#"{"a":{"type":"string","padStart":4}}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"   x"}"#),
    (r#"{"a":"string|lowercase"}"#, r#"{"a":"AbC"}"#, r#"true"#, r#"{"a":"abc"}"#),
    (r#"{"a":"string|uppercase"}"#, r#"{"a":"AbC"}"#, r#"true"#, r#"{"a":"ABC"}"#),
    (r#"{"a":"string|localeUppercase|lowercase"}"#, r#"{"a":"AbC"}"#, r#"true"#, r#"{"a":"ABC"}"#),
    (r#"{"a":"string|convert"}"#, r#"{"a":5}"#, r#"true"#, r#"{"a":"5"}"#),
    (r#"{"a":"string|convert"}"#, r#"{"a":1.5}"#, r#"true"#, r#"{"a":"1.5"}"#),
    (r#"{"a":"string|convert|trim|uppercase|min:3"}"#, r#"{"a":12}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 3 characters long.","field":"a","expected":3,"actual":2}]"#, r#""#),
    (r#"{"a":{"type":"string","min":2,"messages":{"stringMin":"Too short: {field} {expected} {actual}"}}}"#, r#"{"a":"x"}"#, r#"[{"type":"stringMin","message":"Too short: a 2 1","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":"number"}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":"number"}"#, r#"{"a":"1"}"#, r#"[{"type":"number","message":"The 'a' field must be a number.","field":"a","actual":"1"}]"#, r#""#),
    (r#"{"a":"number|min:2|max:4"}"#, r#"{"a":1}"#, r#"[{"type":"numberMin","message":"The 'a' field must be greater than or equal to 2.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":"number|min:2|max:4"}"#, r#"{"a":5}"#, r#"[{"type":"numberMax","message":"The 'a' field must be less than or equal to 4.","field":"a","expected":4,"actual":5}]"#, r#""#),
    (r#"{"a":"number|equal:3"}"#, r#"{"a":3}"#, r#"true"#, r#"{"a":3}"#),
    (r#"{"a":"number|equal:3"}"#, r#"{"a":4}"#, r#"[{"type":"numberEqual","message":"The 'a' field must be equal to 3.","field":"a","expected":3,"actual":4}]"#, r#""#),
    (r#"{"a":"number|notEqual:3"}"#, r#"{"a":3}"#, r#"[{"type":"numberNotEqual","message":"The 'a' field can't be equal to 3.","field":"a","expected":3,"actual":3}]"#, r#""#),
    (r#"{"a":"number|notEqual:3"}"#, r#"{"a":4}"#, r#"true"#, r#"{"a":4}"#),
    (r#"{"a":"number|integer"}"#, r#"{"a":3}"#, r#"true"#, r#"{"a":3}"#),
    (r#"{"a":"number|integer"}"#, r#"{"a":3.5}"#, r#"[{"type":"numberInteger","message":"The 'a' field must be an integer.","field":"a","actual":3.5}]"#, r#""#),
    (r#"{"a":"number|positive"}"#, r#"{"a":0}"#, r#"[{"type":"numberPositive","message":"The 'a' field must be a positive number.","field":"a","actual":0}]"#, r#""#),
    (r#"{"a":"number|positive"}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":"number|negative"}"#, r#"{"a":0}"#, r#"[{"type":"numberNegative","message":"The 'a' field must be a negative number.","field":"a","actual":0}]"#, r#""#),
    (r#"{"a":"number|negative"}"#, r#"{"a":-1}"#, r#"true"#, r#"{"a":-1}"#),
    (r#"{"a":"number|step:3"}"#, r#"{"a":9}"#, r#"true"#, r#"{"a":9}"#),
    (r#"{"a":"number|step:3"}"#, r#"{"a":10}"#, r#"[{"type":"numberStep","message":"The 'a' field must be a multiple of 3.","field":"a","expected":3,"actual":10}]"#, r#""#),
    (r#"{"a":"number|step:0.1"}"#, r#"{"a":0.3}"#, r#"true"#, r#"{"a":0.3}"#),
    (r#"{"a":"number|step:0.1"}"#, r#"{"a":0.35}"#, r#"[{"type":"numberStep","message":"The 'a' field must be a multiple of 0.1.","field":"a","expected":0.1,"actual":0.35}]"#, r#""#),
    (r#"{"a":"number|step:0.25"}"#, r#"{"a":0.75}"#, r#"true"#, r#"{"a":0.75}"#),
    (r#"{"a":"number|step:0.25"}"#, r#"{"a":0.7}"#, r#"[{"type":"numberStep","message":"The 'a' field must be a multiple of 0.25.","field":"a","expected":0.25,"actual":0.7}]"#, r#""#),
    (r#"{"a":"number|convert"}"#, r#"{"a":"5"}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":"number|convert"}"#, r#"{"a":" 5 "}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":"number|convert|min:10|positive"}"#, r#"{"a":"5"}"#, r#"[{"type":"numberMin","message":"The 'a' field must be greater than or equal to 10.","field":"a","expected":10,"actual":"5"}]"#, r#""#),
    (r#"{"a":"number|convert|min:10|positive"}"#, r#"{"a":"-5"}"#, r#"[{"type":"numberMin","message":"The 'a' field must be greater than or equal to 10.","field":"a","expected":10,"actual":"-5"},{"type":"numberPositive","message":"The 'a' field must be a positive number.","field":"a","actual":"-5"}]"#, r#""#),
    (r#"{"a":"number|min:1.5"}"#, r#"{"a":1}"#, r#"[{"type":"numberMin","message":"The 'a' field must be greater than or equal to 1.5.","field":"a","expected":1.5,"actual":1}]"#, r#""#),
    (r#"{"a":"boolean"}"#, r#"{"a":true}"#, r#"true"#, r#"{"a":true}"#),
    (r#"{"a":"boolean"}"#, r#"{"a":1}"#, r#"[{"type":"boolean","message":"The 'a' field must be a boolean.","field":"a","actual":1}]"#, r#""#),
    (r#"{"a":"boolean|convert"}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":true}"#),
    (r#"{"a":"boolean|convert"}"#, r#"{"a":0}"#, r#"true"#, r#"{"a":false}"#),
    (r#"{"a":"array"}"#, r#"{"a":[]}"#, r#"true"#, r#"{"a":[]}"#),
    (r#"{"a":"array"}"#, r#"{"a":"x"}"#, r#"[{"type":"array","message":"The 'a' field must be an array.","field":"a","actual":"x"}]"#, r#""#),
    (r#"{"a":"array|empty:false"}"#, r#"{"a":[]}"#, r#"[{"type":"arrayEmpty","message":"The 'a' field must not be an empty array.","field":"a","actual":[]}]"#, r#""#),
    (r#"{"a":"array|min:2|max:3"}"#, r#"{"a":[1]}"#, r#"[{"type":"arrayMin","message":"The 'a' field must contain at least 2 items.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":"array|min:2|max:3"}"#, r#"{"a":[1,2,3,4]}"#, r#"[{"type":"arrayMax","message":"The 'a' field must contain less than or equal to 3 items.","field":"a","expected":3,"actual":4}]"#, r#""#),
    (r#"{"a":"array|length:2"}"#, r#"{"a":[1]}"#, r#"[{"type":"arrayLength","message":"The 'a' field must contain 2 items.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"array","contains":"x"}}"#, r#"{"a":["x"]}"#, r#"true"#, r#"{"a":["x"]}"#),
    (r#"{"a":{"type":"array","contains":"x"}}"#, r#"{"a":["y"]}"#, r#"[{"type":"arrayContains","message":"The 'a' field must contain the 'x' item.","field":"a","expected":"x","actual":["y"]}]"#, r#""#),
    (r#"{"a":{"type":"array","contains":1}}"#, r#"{"a":[1]}"#, r#"true"#, r#"{"a":[1]}"#),
    (r#"{"a":{"type":"array","contains":1}}"#, r#"{"a":["1"]}"#, r#"[{"type":"arrayContains","message":"The 'a' field must contain the '1' item.","field":"a","expected":1,"actual":["1"]}]"#, r#""#),
    (r#"{"a":"array|unique"}"#, r#"{"a":[1,2,2,"a","a",{},{}]}"#, r#"[{"type":"arrayUnique","message":"The '1,2,2,a,a,[object Object],[object Object]' value in 'a' field does not unique the '2,a' values.","field":"a","expected":[2,"a"],"actual":[1,2,2,"a","a",{},{}]}]"#, r#""#),
    (r#"{"a":"array|unique"}"#, r#"{"a":[1,2]}"#, r#"true"#, r#"{"a":[1,2]}"#),
    (r#"{"a":{"type":"array","enum":[1,"b",null]}}"#, r#"{"a":[1,"x",[1,2],{},null]}"#, r#"[{"type":"arrayEnum","message":"The 'x' value in 'a' field does not match any of the '1, b, ' values.","field":"a","expected":"1, b, ","actual":"x"},{"type":"arrayEnum","message":"The '1,2' value in 'a' field does not match any of the '1, b, ' values.","field":"a","expected":"1, b, ","actual":[1,2]},{"type":"arrayEnum","message":"The '[object Object]' value in 'a' field does not match any of the '1, b, ' values.","field":"a","expected":"1, b, ","actual":{}}]"#, r#""#),
    (r#"{"a":"string[]"}"#, r#"{"a":["a",null,3,"b"]}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a","actual":null},{"type":"string","message":"The 'a[2]' field must be a string.","field":"a[2]","actual":3}]"#, r#""#),
    (r#"{"a":"string[]"}"#, r#"{"a":[]}"#, r#"true"#, r#"{"a":[]}"#),
    (r#"{"a":"string[]|min:1"}"#, r#"{"a":[]}"#, r#"[{"type":"arrayMin","message":"The 'a' field must contain at least 1 items.","field":"a","expected":1,"actual":0}]"#, r#""#),
    (r#"{"a":{"type":"array","items":"number","label":"Nums"}}"#, r#"{"a":[1,null,"x"]}"#, r#"[{"type":"required","message":"The 'Nums' field is required.","field":"a","actual":null,"label":"Nums"},{"type":"number","message":"The 'a[2]' field must be a number.","field":"a[2]","actual":"x"}]"#, r#""#),
    (r#"{"a":{"type":"array","convert":true,"items":"number"}}"#, r#"{"a":5}"#, r#"true"#, r#"{"a":[5]}"#),
    (r#"{"a":{"type":"array","convert":true,"items":"number"}}"#, r#"{"a":"x"}"#, r#"[{"type":"number","message":"The 'a[0]' field must be a number.","field":"a[0]","actual":"x"}]"#, r#""#),
    (r#"{"a":{"type":"array","items":{"type":"object","props":{"b":"string"}}}}"#, r#"{"a":[{"b":"x"},{"b":1},{}]}"#, r#"[{"type":"string","message":"The 'a[1].b' field must be a string.","field":"a[1].b","actual":1},{"type":"required","message":"The 'a[2].b' field is required.","field":"a[2].b"}]"#, r#""#),
    (r#"{"a":{"type":"array","items":"number|convert"}}"#, r#"{"a":["1","2"]}"#, r#"true"#, r#"{"a":[1,2]}"#),
    (r#"{"a":"number[][]"}"#, r#"{"a":[[1],["x"]]}"#, r#"[{"type":"number","message":"The 'a[1][0]' field must be a number.","field":"a[1][0]","actual":"x"}]"#, r#""#),
    (r#"{"a":"date|convert"}"#, r#"{"a":0}"#, r#"true"#, r#"{"a":"1970-01-01T00:00:00.000Z"}"#),
    (r#"{"a":"date|convert"}"#, r#"{"a":"123"}"#, r#"true"#, r#"{"a":"1970-01-01T00:00:00.123Z"}"#),
    (r#"{"a":"email"}"#, r#"{"a":"a@b.co"}"#, r#"true"#, r#"{"a":"a@b.co"}"#),
    (r#"{"a":"email"}"#, r#"{"a":"ab"}"#, r#"[{"type":"email","message":"The 'a' field must be a valid e-mail.","field":"a","actual":"ab"}]"#, r#""#),
    (r#"{"a":"email|empty"}"#, r#"{"a":""}"#, r#"true"#, r#"{"a":""}"#),
    (r#"{"a":{"type":"email","mode":"precise"}}"#, r#"{"a":"a.b@c.io"}"#, r#"true"#, r#"{"a":"a.b@c.io"}"#),
    (r#"{"a":{"type":"email","mode":"precise"}}"#, r#"{"a":"a..b@c.io"}"#, r#"[{"type":"email","message":"The 'a' field must be a valid e-mail.","field":"a","actual":"a..b@c.io"}]"#, r#""#),
    (r#"{"a":"email|normalize|min:8"}"#, r#"{"a":"  AB@C.IO "}"#, r#"[{"type":"emailMin","message":"The 'a' field length must be greater than or equal to 8 characters long.","field":"a","expected":8,"actual":7}]"#, r#""#),
    (r#"{"a":"email|max:3"}"#, r#"{"a":"a@b.co"}"#, r#"[{"type":"emailMax","message":"The 'a' field length must be less than or equal to 3 characters long.","field":"a","expected":3,"actual":6}]"#, r#""#),
    (r#"{"a":{"type":"enum","values":["x",1,true,null]}}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":{"type":"enum","values":["x",1,true,null]}}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":{"type":"equal","value":5}}"#, r#"{"a":5}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"equal","value":5}}"#, r#"{"a":"5"}"#, r#"true"#, r#"{"a":"5"}"#),
    (r#"{"a":{"type":"equal","value":true}}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":{"type":"equal","value":true}}"#, r#"{"a":"1"}"#, r#"true"#, r#"{"a":"1"}"#),
    (r#"{"a":{"type":"equal","value":5,"strict":true}}"#, r#"{"a":"5"}"#, r#"[{"type":"equalValue","message":"The 'a' field value must be equal to '5'.","field":"a","expected":5,"actual":"5"}]"#, r#""#),
    (r#"{"a":{"type":"equal","value":5,"strict":true}}"#, r#"{"a":5}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"equal","value":"x","strict":true}}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"p":"string","c":{"type":"equal","field":"p"}}"#, r#"{"p":"x","c":"x"}"#, r#"true"#, r#"{"p":"x","c":"x"}"#),
    (r#"{"p":"string","c":{"type":"equal","field":"p"}}"#, r#"{"p":"x","c":"y"}"#, r#"[{"type":"equalField","message":"The 'c' field value must be equal to 'p' field value.","field":"c","expected":"p","actual":"y"}]"#, r#""#),
    (r#"{"p":"number","c":{"type":"equal","field":"p","strict":true}}"#, r#"{"p":5,"c":"5"}"#, r#"[{"type":"equalField","message":"The 'c' field value must be equal to 'p' field value.","field":"c","expected":"p","actual":"5"}]"#, r#""#),
    (r#"{"a":"forbidden"}"#, r#"{}"#, r#"true"#, r#"{}"#),
    (r#"{"a":"forbidden"}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":"forbidden|remove","b":"any"}"#, r#"{"a":1,"b":2}"#, r#"true"#, r#"{"b":2}"#),
    (r#"{"a":"luhn"}"#, r#"{"a":"4242424242424242"}"#, r#"true"#, r#"{"a":"4242424242424242"}"#),
    (r#"{"a":"luhn"}"#, r#"{"a":"4242-4242-4242-4242"}"#, r#"true"#, r#"{"a":"4242-4242-4242-4242"}"#),
    (r#"{"a":"mac"}"#, r#"{"a":"01:C8:95:4B:65:FE"}"#, r#"true"#, r#"{"a":"01:C8:95:4B:65:FE"}"#),
    (r#"{"a":"mac"}"#, r#"{"a":"01-c8-95-4b-65-fe"}"#, r#"true"#, r#"{"a":"01-c8-95-4b-65-fe"}"#),
    (r#"{"a":"url"}"#, r#"{"a":"http://x.y"}"#, r#"true"#, r#"{"a":"http://x.y"}"#),
    (r#"{"a":"url"}"#, r#"{"a":"https://x"}"#, r#"true"#, r#"{"a":"https://x"}"#),
    (r#"{"a":"url|empty"}"#, r#"{"a":""}"#, r#"true"#, r#"{"a":""}"#),
    (r#"{"a":"uuid"}"#, r#"{"a":"10ba038e-48da-487b-96e8-8d3b99b6d18a"}"#, r#"true"#, r#"{"a":"10ba038e-48da-487b-96e8-8d3b99b6d18a"}"#),
    (r#"{"a":"uuid"}"#, r#"{"a":"10BA038E-48DA-487B-96E8-8D3B99B6D18A"}"#, r#"true"#, r#"{"a":"10BA038E-48DA-487B-96E8-8D3B99B6D18A"}"#),
    (r#"{"a":"uuid|version:4"}"#, r#"{"a":"10ba038e-48da-487b-96e8-8d3b99b6d18a"}"#, r#"true"#, r#"{"a":"10ba038e-48da-487b-96e8-8d3b99b6d18a"}"#),
    (r#"{"a":"uuid|version:4"}"#, r#"{"a":"10ba038e-48da-187b-96e8-8d3b99b6d18a"}"#, r#"[{"type":"uuidVersion","message":"The 'a' field must be a valid UUID version provided.","field":"a","expected":4,"actual":1}]"#, r#""#),
    (r#"{"a":"uuid|version:1"}"#, r#"{"a":"10ba038e-48da-187b-c6e8-8d3b99b6d18a"}"#, r#"true"#, r#"{"a":"10ba038e-48da-187b-c6e8-8d3b99b6d18a"}"#),
    (r#"{"a":"currency"}"#, r#"{"a":"12"}"#, r#"true"#, r#"{"a":"12"}"#),
    (r#"{"a":"currency"}"#, r#"{"a":"1,234.56"}"#, r#"true"#, r#"{"a":"1,234.56"}"#),
    (r#"{"a":"currency|currencySymbol:$"}"#, r#"{"a":"$12"}"#, r#"true"#, r#"{"a":"$12"}"#),
    (r#"{"a":"currency|currencySymbol:$"}"#, r#"{"a":"12"}"#, r#"[{"type":"currency","message":"The 'a' must be a valid currency format","field":"a","actual":"12"}]"#, r#""#),
    (r#"{"a":"currency|currencySymbol:$|symbolOptional"}"#, r#"{"a":"$12"}"#, r#"true"#, r#"{"a":"$12"}"#),
    (r#"{"a":"currency|currencySymbol:$|symbolOptional"}"#, r#"{"a":"12"}"#, r#"true"#, r#"{"a":"12"}"#),
    (r#"{"a":{"type":"currency","thousandSeparator":".","decimalSeparator":","}}"#, r#"{"a":"1.234,56"}"#, r#"true"#, r#"{"a":"1.234,56"}"#),
    (r#"{"a":{"type":"currency","thousandSeparator":".","decimalSeparator":","}}"#, r#"{"a":"1,234.56"}"#, r#"[{"type":"currency","message":"The 'a' must be a valid currency format","field":"a","actual":"1,234.56"}]"#, r#""#),
    (r#"{"a":{"type":"currency","customRegex":"/^\\d+$/"}}"#, r#"{"a":"12"}"#, r#"true"#, r#"{"a":"12"}"#),
    (r#"{"a":{"type":"currency","customRegex":"/^\\d+$/"}}"#, r#"{"a":"1.2"}"#, r#"[{"type":"currency","message":"The 'a' must be a valid currency format","field":"a","actual":"1.2"}]"#, r#""#),
    (r#"{"a":["string","number"]}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":["string","number"]}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":["string|optional","number|optional"]}"#, r#"{}"#, r#"true"#, r#"{}"#),
    (r#"{"a":["string|optional","number|optional"]}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":{"type":"multi","rules":["number|convert","string"]}}"#, r#"{"a":"5"}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"multi","rules":["number|convert","string"]}}"#, r#"{"a":"x"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":{"type":"multi","rules":[{"type":"object","props":{"b":"number"}},"string|trim"],"label":"M"}}"#, r#"{"a":{"b":"x"}}"#, r#"[{"type":"number","message":"The 'a.b' field must be a number.","field":"a.b","actual":"x"},{"type":"string","message":"The 'a' field must be a string.","field":"a","actual":{"b":"x"}}]"#, r#""#),
    (r#"{"a":{"type":"multi","rules":[{"type":"object","props":{"b":"number"}},"string|trim"],"label":"M"}}"#, r#"{"a":" s "}"#, r#"true"#, r#"{"a":"s"}"#),
    (r#"["string","number"]"#, r#""x""#, r#"true"#, r#""x""#),
    (r#"["string","number"]"#, r#"true"#, r#"[{"type":"string","message":"The '' field must be a string.","actual":true},{"type":"number","message":"The '' field must be a number.","actual":true}]"#, r#""#),
    (r#"{"a":"object"}"#, r#"{"a":{}}"#, r#"true"#, r#"{"a":{}}"#),
    (r#"{"a":"object"}"#, r#"{"a":[]}"#, r#"[{"type":"object","message":"The 'a' must be an Object.","field":"a","actual":[]}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":"string","c":{"type":"number","default":1}}}}"#, r#"{"a":{}}"#, r#"[{"type":"required","message":"The 'a.b' field is required.","field":"a.b"}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":"string","c":{"type":"number","default":1}}}}"#, r#"{"a":{"b":"x","z":1}}"#, r#"true"#, r#"{"a":{"b":"x","z":1,"c":1}}"#),
    (r#"{"a":{"type":"object","strict":true,"props":{"b":"string|optional"}}}"#, r#"{"a":{"b":"x","y":1,"z":2}}"#, r#"[{"type":"objectStrict","message":"The object 'a' contains forbidden keys: 'y, z'.","field":"a","expected":"b","actual":"y, z"}]"#, r#""#),
    (r#"{"a":{"type":"object","strict":"remove","props":{"b":"string|optional"}}}"#, r#"{"a":{"b":"x","y":1}}"#, r#"true"#, r#"{"a":{"b":"x"}}"#),
    (r#"{"a":{"type":"object","strict":"remove","props":{"b":"string|optional"}}}"#, r#"{"a":{"b":1,"y":1}}"#, r#"[{"type":"string","message":"The 'a.b' field must be a string.","field":"a.b","actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","strict":true,"props":{"b":{"type":"string","optional":true,"label":"Bee"}}}}"#, r#"{"a":{"y":1}}"#, r#"[{"type":"objectStrict","message":"The object 'Bee' contains forbidden keys: 'y'.","field":"a","expected":"b","actual":"y","label":"Bee"}]"#, r#""#),
    (r#"{"a":{"type":"object","minProps":2,"maxProps":3}}"#, r#"{"a":{"x":1}}"#, r#"[{"type":"objectMinProps","message":"The object 'a' must contain at least 2 properties.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","minProps":2,"maxProps":3}}"#, r#"{"a":{"a":1,"b":2,"c":3,"d":4}}"#, r#"[{"type":"objectMaxProps","message":"The object 'a' must contain 3 properties at most.","field":"a","expected":3,"actual":4}]"#, r#""#),
    (r#"{"a":{"type":"object","minProps":2,"props":{"b":"any|optional"}}}"#, r#"{"a":{"b":1}}"#, r#"[{"type":"objectMinProps","message":"The object 'a' must contain at least 2 properties.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","properties":{"first-name":"string","x y":"string","_ok$":"string"}}}"#, r#"{"a":{}}"#, r#"[{"type":"required","message":"The 'a['first-name']' field is required.","field":"a['first-name']"},{"type":"required","message":"The 'a['x y']' field is required.","field":"a['x y']"},{"type":"required","message":"The 'a._ok$' field is required.","field":"a._ok$"}]"#, r#""#),
    (r#"{"first-name":"string"}"#, r#"{}"#, r#"[{"type":"required","message":"The 'first-name' field is required.","field":"first-name"}]"#, r#""#),
    (r#"{"a":{"$$type":"object|optional","b":"string"}}"#, r#"{}"#, r#"true"#, r#"{}"#),
    (r#"{"a":{"$$type":"object|optional","b":"string"}}"#, r#"{"a":{}}"#, r#"[{"type":"required","message":"The 'a.b' field is required.","field":"a.b"}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":{"type":"object","props":{"c":"number"}}}}}"#, r#"{"a":{"b":{"c":"x"}}}"#, r#"[{"type":"number","message":"The 'a.b.c' field must be a number.","field":"a.b.c","actual":"x"}]"#, r#""#),
    (r#"{"$$strict":true,"a":"string"}"#, r#"{"a":"x","b":1}"#, r#"[{"type":"objectStrict","message":"The object '' contains forbidden keys: 'b'.","expected":"a","actual":"b"}]"#, r#""#),
    (r#"{"$$strict":"remove","a":"string"}"#, r#"{"a":"x","b":1}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"$$strict":"remove","a":"string"}"#, r#"{"a":1,"b":1}"#, r#"[{"type":"string","message":"The 'a' field must be a string.","field":"a","actual":1}]"#, r#""#),
    (r#"{"$$strict":true,"a":{"type":"string","label":"Aa"}}"#, r#"{"a":"x","b":1}"#, r#"[{"type":"objectStrict","message":"The object 'Aa' contains forbidden keys: 'b'.","expected":"a","actual":"b","label":"Aa"}]"#, r#""#),
    (r#"{"a":{"type":"record","key":"string|alpha","value":"number"}}"#, r#"{"a":{"ab":1,"a1":2,"c":"x","d":null}}"#, r#"[{"type":"stringAlpha","message":"The 'a.a1' key must be an alphabetic string.","field":"a.a1","actual":"a1"},{"type":"number","message":"The 'a.c' field must be a number.","field":"a.c","actual":"x"},{"type":"required","message":"The 'a' field is required.","field":"a","actual":null}]"#, r#""#),
    (r#"{"a":{"type":"record","key":"string|alpha","value":"number"}}"#, r#"{"a":[]}"#, r#"[{"type":"record","message":"The 'a' must be an Object.","field":"a","actual":[]}]"#, r#""#),
    (r#"{"a":{"type":"record","key":{"type":"string","min":3}}}"#, r#"{"a":{"ab":1}}"#, r#"[{"type":"stringMin","message":"The 'a.ab' key length must be greater than or equal to 3 characters long.","field":"a.ab","expected":3,"actual":2}]"#, r#""#),
    (r#"{"a":{"type":"record","value":"number|convert"}}"#, r#"{"a":{"x":"5"}}"#, r#"true"#, r#"{"a":{"x":5}}"#),
    (r#"{"a":"tuple"}"#, r#"{"a":[]}"#, r#"true"#, r#"{"a":[]}"#),
    (r#"{"a":"tuple"}"#, r#"{"a":"x"}"#, r#"[{"type":"tuple","message":"The 'a' field must be an array.","field":"a","actual":"x"}]"#, r#""#),
    (r#"{"a":{"type":"tuple","items":["string","number"]}}"#, r#"{"a":["x",1]}"#, r#"true"#, r#"{"a":["x",1]}"#),
    (r#"{"a":{"type":"tuple","items":["string","number"]}}"#, r#"{"a":["x"]}"#, r#"[{"type":"tupleLength","message":"The 'a' field must contain 2 items.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"tuple","empty":false,"items":["string"]}}"#, r#"{"a":[]}"#, r#"[{"type":"tupleEmpty","message":"The 'a' field must not be an empty array.","field":"a","actual":[]}]"#, r#""#),
    (r#"{"a":{"type":"pipe","steps":["string|trim","string|min:2"]}}"#, r#"{"a":" a "}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 2 characters long.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"pipe","steps":["string|trim","string|min:2"]}}"#, r#"{"a":" abc "}"#, r#"true"#, r#"{"a":"abc"}"#),
    (r#"{"$$root":true,"type":"string","min":2}"#, r#""x""#, r#"[{"type":"stringMin","message":"The '' field length must be greater than or equal to 2 characters long.","expected":2,"actual":1}]"#, r#""#),
    (r#"{"$$root":true,"type":"string","min":2}"#, r#""xy""#, r#"true"#, r#""xy""#),
    (r#"{"$$root":true,"type":"number","label":"Root"}"#, r#""x""#, r#"[{"type":"number","message":"The 'Root' field must be a number.","actual":"x","label":"Root"}]"#, r#""#),
    (r#"{"$$root":true,"type":"array","items":"number"}"#, r#"[1,"x"]"#, r#"[{"type":"number","message":"The '[1]' field must be a number.","field":"[1]","actual":"x"}]"#, r#""#),
    (r#"{"$$root":true,"type":"object","strict":true,"props":{"a":"number"}}"#, r#"{"a":1,"b":2}"#, r#"[{"type":"objectStrict","message":"The object '' contains forbidden keys: 'b'.","expected":"a","actual":"b"}]"#, r#""#),
    (r#"{"a":{"type":"array","items":["string","number"]}}"#, r#"{"a":["x",1,true,null]}"#, r#"[{"type":"string","message":"The 'a[2]' field must be a string.","field":"a[2]","actual":true},{"type":"number","message":"The 'a[2]' field must be a number.","field":"a[2]","actual":true},{"type":"required","message":"The 'a' field is required.","field":"a","actual":null}]"#, r#""#),
    (r#"{"a":{"type":"array","label":"L","items":{"type":"string","label":"Inner"}}}"#, r#"{"a":[null,1]}"#, r#"[{"type":"required","message":"The 'L' field is required.","field":"a","actual":null,"label":"L"},{"type":"string","message":"The 'a[1]' field must be a string.","field":"a[1]","actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","label":"Obj","props":{"b":"string"}}}"#, r#"{"a":null}"#, r#"[{"type":"required","message":"The 'Obj' field is required.","field":"a","actual":null,"label":"Obj"}]"#, r#""#),
    (r#"{"a":{"type":"object","label":"Obj","props":{"b":"string"}}}"#, r#"{"a":5}"#, r#"[{"type":"object","message":"The 'Obj' must be an Object.","field":"a","actual":5,"label":"Obj"}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":{"type":"number","default":2},"c":"string|optional"}}}"#, r#"{"a":{"c":"x"}}"#, r#"true"#, r#"{"a":{"c":"x","b":2}}"#),
    (r#"{"x":"string","$$strict":"remove","y":{"type":"object","strict":"remove","props":{"z":"number"}}}"#, r#"{"x":1,"q":1,"y":{"z":1,"w":2}}"#, r#"[{"type":"string","message":"The 'x' field must be a string.","field":"x","actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","strict":"remove","props":{"b":"number"}},"c":"string"}"#, r#"{"a":{"b":1,"w":2},"c":1}"#, r#"[{"type":"string","message":"The 'c' field must be a string.","field":"c","actual":1}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":"string"},"properties":{"c":"number"}}}"#, r#"{"a":{"b":1,"c":"x"}}"#, r#"[{"type":"number","message":"The 'a.c' field must be a number.","field":"a.c","actual":"x"}]"#, r#""#),
    (r#"{"a":{"type":"record","key":{"type":"string","messages":{"stringMin":"Key {field} short"},"min":3},"value":"any"}}"#, r#"{"a":{"ab":1}}"#, r#"[{"type":"stringMin","message":"Key a.ab short","field":"a.ab","expected":3,"actual":2}]"#, r#""#),
    (r#"{"a":{"type":"record","key":"string|uppercase"}}"#, r#"{"a":{"ab":1,"cd":2}}"#, r#"true"#, r#"{"a":{"AB":1,"CD":2}}"#),
    (r#"{"a":{"type":"record","value":{"type":"object","props":{"n":"number"}}}}"#, r#"{"a":{"k":{"n":"x"},"j":{"n":1}}}"#, r#"[{"type":"number","message":"The 'a.k.n' field must be a number.","field":"a.k.n","actual":"x"}]"#, r#""#),
    (r#"{"r":{"type":"record","label":"Rec","value":"number"}}"#, r#"{"r":{"a":null}}"#, r#"[{"type":"required","message":"The 'Rec' field is required.","field":"r","actual":null,"label":"Rec"}]"#, r#""#),
    (r#"{"a":{"type":"uuid","version":6}}"#, r#"{"a":"1ec9414c-232a-6b00-b3c8-9e6bdeced846"}"#, r#"true"#, r#"{"a":"1ec9414c-232a-6b00-b3c8-9e6bdeced846"}"#),
    (r#"{"a":{"type":"uuid","version":6}}"#, r#"{"a":"1ec9414c-232a-6b00-d3c8-9e6bdeced846"}"#, r#"true"#, r#"{"a":"1ec9414c-232a-6b00-d3c8-9e6bdeced846"}"#),
    (r#"{"a":{"type":"uuid","version":0}}"#, r#"{"a":"00000000-0000-0000-0000-000000000000"}"#, r#"true"#, r#"{"a":"00000000-0000-0000-0000-000000000000"}"#),
    (r#"{"a":{"type":"equal","value":[1]}}"#, r#"{"a":[1]}"#, r#"[{"type":"equalValue","message":"The 'a' field value must be equal to '1'.","field":"a","expected":[1],"actual":[1]}]"#, r#""#),
    (r#"{"a":{"type":"equal","value":[1]}}"#, r#"{"a":"1"}"#, r#"true"#, r#"{"a":"1"}"#),
    (r#"{"a":{"type":"equal","value":null}}"#, r#"{"a":0}"#, r#"[{"type":"equalValue","message":"The 'a' field value must be equal to ''.","field":"a","expected":null,"actual":0}]"#, r#""#),
    (r#"{"a":{"type":"equal","value":""}}"#, r#"{"a":0}"#, r#"true"#, r#"{"a":0}"#),
    (r#"{"a":{"type":"equal","value":""}}"#, r#"{"a":[]}"#, r#"true"#, r#"{"a":[]}"#),
    (r#"{"a":{"type":"equal","value":0}}"#, r#"{"a":""}"#, r#"true"#, r#"{"a":""}"#),
    (r#"{"a":{"type":"equal","value":0}}"#, r#"{"a":" "}"#, r#"true"#, r#"{"a":" "}"#),
    (r#"{"a":{"type":"equal","field":"b"},"b":"number|convert"}"#, r#"{"a":5,"b":"5"}"#, r#"true"#, r#"{"a":5,"b":5}"#),
    (r#"{"b":"number|convert","a":{"type":"equal","field":"b","strict":true}}"#, r#"{"a":5,"b":"5"}"#, r#"true"#, r#"{"a":5,"b":5}"#),
    (r#"{"a":{"type":"array","items":"string","unique":true,"enum":["x","y"],"contains":"x","min":3}}"#, r#"{"a":["y","y"]}"#, r#"[{"type":"arrayMin","message":"The 'a' field must contain at least 3 items.","field":"a","expected":3,"actual":2},{"type":"arrayContains","message":"The 'a' field must contain the 'x' item.","field":"a","expected":"x","actual":["y","y"]},{"type":"arrayUnique","message":"The 'y,y' value in 'a' field does not unique the 'y' values.","field":"a","expected":["y"],"actual":["y","y"]}]"#, r#""#),
    (r#"{"a":"string|min:2|max:1|length:3|contains:z|alpha|numeric|alphanum|alphadash|hex|base64|singleLine"}"#, r#"{"a":"a b\n"}"#, r#"[{"type":"stringMax","message":"The 'a' field length must be less than or equal to 1 characters long.","field":"a","expected":1,"actual":4},{"type":"stringLength","message":"The 'a' field length must be 3 characters long.","field":"a","expected":3,"actual":4},{"type":"stringContains","message":"The 'a' field must contain the 'z' text.","field":"a","expected":"z","actual":"a b\n"},{"type":"stringNumeric","message":"The 'a' field must be a numeric string.","field":"a","actual":"a b\n"},{"type":"stringAlpha","message":"The 'a' field must be an alphabetic string.","field":"a","actual":"a b\n"},{"type":"stringAlphanum","message":"The 'a' field must be an alphanumeric string.","field":"a","actual":"a b\n"},{"type":"stringAlphadash","message":"The 'a' field must be an alphadash string.","field":"a","actual":"a b\n"},{"type":"stringHex","message":"The 'a' field must be a hex string.","field":"a","actual":"a b\n"},{"type":"stringSingleLine","message":"The 'a' field must be a single line string.","field":"a"},{"type":"stringBase64","message":"The 'a' field must be a base64 string.","field":"a","actual":"a b\n"}]"#, r#""#),
    (r#"{"a":{"type":"string","enum":["a","b"],"min":2}}"#, r#"{"a":"c"}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 2 characters long.","field":"a","expected":2,"actual":1},{"type":"stringEnum","message":"The 'a' field does not match any of the allowed values.","field":"a","expected":"a, b","actual":"c"}]"#, r#""#),
    (r#"{"a":"number|min:0|max:1|equal:2|notEqual:0|integer|positive|negative"}"#, r#"{"a":0}"#, r#"[{"type":"numberEqual","message":"The 'a' field must be equal to 2.","field":"a","expected":2,"actual":0},{"type":"numberNotEqual","message":"The 'a' field can't be equal to 0.","field":"a","expected":0,"actual":0},{"type":"numberPositive","message":"The 'a' field must be a positive number.","field":"a","actual":0},{"type":"numberNegative","message":"The 'a' field must be a negative number.","field":"a","actual":0}]"#, r#""#),
    (r#"{"a":"number|min:0|max:1|equal:2|notEqual:0|integer|positive|negative"}"#, r#"{"a":0.5}"#, r#"[{"type":"numberEqual","message":"The 'a' field must be equal to 2.","field":"a","expected":2,"actual":0.5},{"type":"numberInteger","message":"The 'a' field must be an integer.","field":"a","actual":0.5},{"type":"numberNegative","message":"The 'a' field must be a negative number.","field":"a","actual":0.5}]"#, r#""#),
    (r#"{"a":"number|max:5"}"#, r#"{"a":1e+21}"#, r#"[{"type":"numberMax","message":"The 'a' field must be less than or equal to 5.","field":"a","expected":5,"actual":1e+21}]"#, r#""#),
    (r#"{"a":"number|max:5"}"#, r#"{"a":5.000001}"#, r#"[{"type":"numberMax","message":"The 'a' field must be less than or equal to 5.","field":"a","expected":5,"actual":5.000001}]"#, r#""#),
    (r#"{"a":"string|trim"}"#, r#"{"a":" ﻿ x \t\n"}"#, r#"true"#, r#"{"a":"x"}"#),
    (r#"{"a":"string|padStart:4|padChar:ab"}"#, r#"{"a":"😀"}"#, r#"true"#, r#"{"a":"ab😀"}"#),
    (r#"{"a":"string|min:2"}"#, r#"{"a":"😀"}"#, r#"true"#, r#"{"a":"😀"}"#),
    (r#"{"a":"string|min:2"}"#, r#"{"a":"é"}"#, r#"[{"type":"stringMin","message":"The 'a' field length must be greater than or equal to 2 characters long.","field":"a","expected":2,"actual":1}]"#, r#""#),
    (r#"{"a":{"type":"string","pattern":"^\\w+$"}}"#, r#"{"a":"abc_1"}"#, r#"true"#, r#"{"a":"abc_1"}"#),
    (r#"{"a":{"type":"string","pattern":"^\\w+$"}}"#, r#"{"a":"é"}"#, r#"[{"type":"stringPattern","message":"The 'a' field fails to match the required pattern.","field":"a","expected":"/^w+$/","actual":"é"}]"#, r#""#),
    (r#"{"a":{"type":"string","pattern":"[\\d]{2}\\b"}}"#, r#"{"a":"12 "}"#, r#"true"#, r#"{"a":"12 "}"#),
    (r#"{"a":{"type":"string","pattern":"[\\d]{2}\\b"}}"#, r#"{"a":"123"}"#, r#"true"#, r#"{"a":"123"}"#),
    (r#"{"a":{"type":"string","pattern":"^a.c$","patternFlags":"s"}}"#, r#"{"a":"a\nc"}"#, r#"true"#, r#"{"a":"a\nc"}"#),
    (r#"{"a":{"type":"string","pattern":"^b$","patternFlags":"m"}}"#, r#"{"a":"a\nb"}"#, r#"true"#, r#"{"a":"a\nb"}"#),
    (r#"{"a":{"type":"string","pattern":"'q\""}}"#, r#"{"a":"x"}"#, r#"[{"type":"stringPattern","message":"The 'a' field fails to match the required pattern.","field":"a","expected":"/'q\"/","actual":"x"}]"#, r#""#),
    (r#"{"a":"email|normalize"}"#, r#"{"a":"  X@Y.COM  "}"#, r#"true"#, r#"{"a":"x@y.com"}"#),
    (r#"{"a":["number|optional","string"]}"#, r#"{}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a"}]"#, r#""#),
    (r#"{"a":["number|nullable","string|nullable"]}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":["number|nullable","string|nullable"]}"#, r#"{}"#, r#"[{"type":"required","message":"The 'a' field is required.","field":"a"}]"#, r#""#),
    (r#"{"a":{"type":"multi","rules":["string","number"],"optional":true}}"#, r#"{}"#, r#"true"#, r#"{}"#),
    (r#"{"a":{"type":"multi","rules":[{"type":"string","default":"d"},"number"]}}"#, r#"{"a":5}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":{"type":"array","items":{"type":"string","default":"d"}}}"#, r#"{"a":[null,"x"]}"#, r#"true"#, r#"{"a":["d","x"]}"#),
    (r#"{"a":{"type":"tuple","items":["string",{"type":"number","default":1}]}}"#, r#"{"a":["x",null]}"#, r#"true"#, r#"{"a":["x",1]}"#),
    (r#"{"a":{"type":"object","props":{"0":"string","a.b":"string","$x":"string"}}}"#, r#"{"a":{}}"#, r#"[{"type":"required","message":"The 'a['0']' field is required.","field":"a['0']"},{"type":"required","message":"The 'a['a.b']' field is required.","field":"a['a.b']"},{"type":"required","message":"The 'a.$x' field is required.","field":"a.$x"}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":{"type":"object","props":{"c-d":{"type":"array","items":"number"}}}}}}"#, r#"{"a":{"b":{"c-d":[1,"x"]}}}"#, r#"[{"type":"number","message":"The 'a.b['c-d'][1]' field must be a number.","field":"a.b['c-d'][1]","actual":"x"}]"#, r#""#),
    (r#"{"a":{"type":"forbidden","remove":true}}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":null}"#),
    (r#"{"a":{"type":"forbidden","remove":true}}"#, r#"{"a":0}"#, r#"true"#, r#"{}"#),
    (r#"{"a":{"type":"currency","currencySymbol":"€","symbolOptional":true}}"#, r#"{"a":"€1,000.00"}"#, r#"true"#, r#"{"a":"€1,000.00"}"#),
    (r#"{"a":{"type":"currency","currencySymbol":"€","symbolOptional":true}}"#, r#"{"a":"1000"}"#, r#"[{"type":"currency","message":"The 'a' must be a valid currency format","field":"a","actual":"1000"}]"#, r#""#),
    (r#"{"a":{"type":"enum","values":[1,2]}}"#, r#"{"a":1}"#, r#"true"#, r#"{"a":1}"#),
    (r#"{"a":{"type":"enum","values":[1,2]}}"#, r#"{"a":[1]}"#, r#"[{"type":"enumValue","message":"The 'a' field value '1, 2' does not match any of the allowed values.","field":"a","expected":"1, 2","actual":[1]}]"#, r#""#),
    (r#"{"a":{"type":"string","messages":{"string":""}}}"#, r#"{"a":1}"#, r#"[{"type":"string","message":"","field":"a","actual":1}]"#, r#""#),
    (r#"{"a":{"type":"string","label":""}}"#, r#"{"a":1}"#, r#"[{"type":"string","message":"The 'a' field must be a string.","field":"a","actual":1}]"#, r#""#),
    (r#"{"a":"object|minProps:1"}"#, r#"{"a":{}}"#, r#"[{"type":"objectMinProps","message":"The object 'a' must contain at least 1 properties.","field":"a","expected":1,"actual":0}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{},"strict":true,"minProps":1}}"#, r#"{"a":{"x":1}}"#, r#"[{"type":"objectStrict","message":"The object 'a' contains forbidden keys: 'x'.","field":"a","expected":"","actual":"x"}]"#, r#""#),
    (r#"{"$$root":true,"type":"multi","rules":["string","number"]}"#, r#"true"#, r#"[{"type":"string","message":"The '' field must be a string.","actual":true},{"type":"number","message":"The '' field must be a number.","actual":true}]"#, r#""#),
    (r#"{"$$root":true,"$$type":"object","a":"number"}"#, r#"{"a":"x"}"#, r#"[{"type":"number","message":"The 'a' field must be a number.","field":"a","actual":"x"}]"#, r#""#),
    (r#"{"a":"number|default:5"}"#, r#"{}"#, r#"true"#, r#"{"a":5}"#),
    (r#"{"a":"string|optional|default:hi"}"#, r#"{"a":null}"#, r#"true"#, r#"{"a":"hi"}"#),
    (r#"{"a":{"type":"date"}}"#, r#"{"a":0}"#, r#"[{"type":"date","message":"The 'a' field must be a Date.","field":"a","actual":0}]"#, r#""#),
    (r#"{"a":"date"}"#, r#"{"a":"x"}"#, r#"[{"type":"date","message":"The 'a' field must be a Date.","field":"a","actual":"x"}]"#, r#""#),
    (r#"{"a":"date"}"#, r#"{"a":5}"#, r#"[{"type":"date","message":"The 'a' field must be a Date.","field":"a","actual":5}]"#, r#""#),
    (r#"{"a":{"type":"object","props":{"b":{"type":"array","items":{"type":"object","props":{"c":{"type":"string","label":"Cee"}}}}}}}"#, r#"{"a":{"b":[{"c":1},null]}}"#, r#"[{"type":"string","message":"The 'Cee' field must be a string.","field":"a.b[0].c","actual":1,"label":"Cee"},{"type":"required","message":"The 'a.b' field is required.","field":"a.b","actual":null}]"#, r#""#),
    (r#"{"a":{"type":"array","items":{"type":"multi","rules":["string","number"]}}}"#, r#"{"a":[true,null]}"#, r#"[{"type":"string","message":"The 'a[0]' field must be a string.","field":"a[0]","actual":true},{"type":"number","message":"The 'a[0]' field must be a number.","field":"a[0]","actual":true},{"type":"required","message":"The 'a' field is required.","field":"a","actual":null}]"#, r#""#),
    (r#"{"a":{"type":"record","key":"number|convert","value":"string"}}"#, r#"{"a":{"1":"x","b":"y"}}"#, r#"[{"type":"number","message":"The 'a.b' field must be a number.","field":"a.b","actual":"b"}]"#, r#""#),
    (r#"{"a":{"type":"object","strict":true,"props":{"b":"any|optional"},"maxProps":1}}"#, r#"{"a":{"b":1,"c":2}}"#, r#"[{"type":"objectStrict","message":"The object 'a' contains forbidden keys: 'c'.","field":"a","expected":"b","actual":"c"},{"type":"objectMaxProps","message":"The object 'a' must contain 1 properties at most.","field":"a","expected":1,"actual":2}]"#, r#""#),
    (r#"{"a":{"type":"tuple","items":[{"type":"object","props":{"x":"number"}},"string[]"]}}"#, r#"{"a":[{"x":"1"},[1]]}"#, r#"[{"type":"number","message":"The 'a[0].x' field must be a number.","field":"a[0].x","actual":"1"},{"type":"string","message":"The 'a[1][0]' field must be a string.","field":"a[1][0]","actual":1}]"#, r#""#),
    (r#"{"a":"string|convert|numeric"}"#, r#"{"a":12.5}"#, r#"true"#, r#"{"a":"12.5"}"#),
    (r#"{"a":"string|convert|numeric"}"#, r#"{"a":-3}"#, r#"true"#, r#"{"a":"-3"}"#),
    (r#"{"a":"number|convert|integer"}"#, r#"{"a":"12.0"}"#, r#"true"#, r#"{"a":12}"#),
    (r#"{"a":"number|convert|integer"}"#, r#"{"a":"1e3"}"#, r#"true"#, r#"{"a":1000}"#),
    (r#"{"a":"email|normalize|max:5"}"#, r#"{"a":" A@B.CO "}"#, r#"[{"type":"emailMax","message":"The 'a' field length must be less than or equal to 5 characters long.","field":"a","expected":5,"actual":6}]"#, r#""#),
    (r#"{"a":{"type":"equal","value":{"x":1}}}"#, r#"{"a":{"x":1}}"#, r#"[{"type":"equalValue","message":"The 'a' field value must be equal to '[object Object]'.","field":"a","expected":{"x":1},"actual":{"x":1}}]"#, r#""#),
    (r#"{"a":{"type":"array","contains":{"x":1}}}"#, r#"{"a":[{"x":1}]}"#, r#"[{"type":"arrayContains","message":"The 'a' field must contain the '[object Object]' item.","field":"a","expected":{"x":1},"actual":[{"x":1}]}]"#, r#""#),
    (r#"{"a":"string|trim|empty:false"}"#, r#"{"a":"   "}"#, r#"[{"type":"stringEmpty","message":"The 'a' field must not be empty.","field":"a","actual":""}]"#, r#""#),
    (r#"{"a":"string|empty:true|trim"}"#, r#"{"a":"   "}"#, r#"true"#, r#"{"a":""}"#),
    (r#"{"a":{"type":"object","props":{"b":"forbidden|remove","c":"number"}}}"#, r#"{"a":{"b":1,"c":"x"}}"#, r#"[{"type":"number","message":"The 'a.c' field must be a number.","field":"a.c","actual":"x"}]"#, r#""#),
    (r#"{"b":"number","a":{"type":"equal","field":"b"}}"#, r#"{"b":5,"a":"5.0"}"#, r#"true"#, r#"{"b":5,"a":"5.0"}"#),
    (r#"{"b":"number","a":{"type":"equal","field":"b"}}"#, r#"{"b":1,"a":true}"#, r#"true"#, r#"{"b":1,"a":true}"#),
    (r#"{"a":{"type":"string","messages":{"required":"Need {field}!"}}}"#, r#"{}"#, r#"[{"type":"required","message":"Need a!","field":"a"}]"#, r#""#),
    (r#"{"a":{"type":"number","messages":{"number":"$& {field} $$ {actual}"}}}"#, r#"{"a":"q"}"#, r#"[{"type":"number","message":"$& a $$ q","field":"a","actual":"q"}]"#, r#""#),
];
