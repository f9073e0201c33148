//! The same operations run by Node itself over a table of JSON values: `String(v)`,
//! `Number(v)`, `Boolean(v)`, `==` and `===` of every pair, a `Set` of repeats, UTF-16
//! lengths, padding and sorting, `replace` patterns and `String(regexp)`.
//!
//! Without `node` on `PATH` the check is skipped with a printed reason (it fails instead
//! when `MOLECULER_REQUIRE_BROKERS=1`, as in CI).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::super::*;

/// Node's side: one JSON line in (`[operation, ...arguments]`), one JSON line out.
const SCRIPT: &str = r#"
const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
const escape = s => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const run = ([op, a, b, c]) => {
    switch (op) {
        case "value": return [String(a), String(Number(a)), Boolean(a)];
        case "eq": return [a == b, a === b];
        case "repeated": return Array.from(new Set(a.filter((x, i) => a.indexOf(x) !== i)));
        case "text": return [a.length, a.padStart(b, c), a.padEnd(b, c)];
        case "sort": return a.slice().sort();
        case "replace": return a.replace(new RegExp(escape(b), "g"), c);
        case "regexp": return String(new RegExp(a, b));
    }
};
console.log(lines.map(l => JSON.stringify(run(JSON.parse(l)))).join("\n"));
"#;

/// The same operations here.
fn run_here(input: &Value) -> Value {
    let arg = |i: usize| &input[i];
    let text = |i: usize| input[i].as_str().unwrap_or_default();
    match text(0) {
        "value" => {
            let number = value_to_number(arg(1)).map_or("NaN".to_owned(), number_to_string);
            json!([value_to_string(arg(1)), number, is_truthy(arg(1))])
        }
        "eq" => json!([
            loose_equals(arg(1), Some(arg(2))),
            strict_equals(arg(1), arg(2))
        ]),
        "repeated" => json!(repeated_values(
            arg(1).as_array().map_or(&[], Vec::as_slice)
        )),
        "text" => {
            let target = arg(2).as_u64().unwrap_or_default() as usize;
            json!([
                utf16_len(text(1)),
                pad_start(text(1), target, text(3)),
                pad_end(text(1), target, text(3))
            ])
        }
        "sort" => {
            let mut items: Vec<&str> = arg(1)
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            items.sort_by(|a, b| compare_utf16(a, b));
            json!(items)
        }
        "replace" => json!(replace_all(text(1), text(2), text(3))),
        "regexp" => json!(regexp_to_string(text(1), text(2))),
        other => panic!("unknown operation {other}"),
    }
}

fn values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-0.0),
        json!(1),
        json!(1.5),
        json!(-2.5e-7),
        json!(1e21),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!(" 12 "),
        json!("0x1F"),
        json!("1e3"),
        json!("1"),
        json!("true"),
        json!("abc"),
        json!("Infinity"),
        json!("\u{feff}5\u{3000}"),
        json!("\u{85}5"),
        json!("😀"),
        json!([]),
        json!([null]),
        json!([0]),
        json!([1]),
        json!(["1"]),
        json!([1, 2]),
        json!([[[]]]),
        json!([1, [2, [3, null]], {}]),
        json!(["0x10"]),
        json!([" 7 "]),
        json!([true, false]),
        json!({}),
        json!({"a": 1}),
    ]
}

fn cases() -> Vec<Value> {
    let values = values();
    let mut cases: Vec<Value> = values.iter().map(|v| json!(["value", v])).collect();
    for a in &values {
        cases.extend(values.iter().map(|b| json!(["eq", a, b])));
    }
    cases.push(json!(["repeated", values]));
    cases.push(json!([
        "repeated",
        [1, 2, 2, 0, -0.0, "a", "a", 2, {}, {}, [], [], null, null]
    ]));
    for (s, fill) in [
        ("5", "0"),
        ("5", "ab"),
        ("a😀", "-"),
        ("abc", "😀"),
        ("", "xy"),
        ("x", ""),
    ] {
        // Even pad counts only: half a surrogate pair is not valid JSON text for serde.
        for target in [0, 2, 3, 5, 7] {
            cases.push(json!(["text", s, target, fill]));
        }
    }
    cases.push(json!([
        "sort",
        ["é", "😀", "\u{ffff}", "a", "Z", "", "aa", "\u{e000}", "𝔸"]
    ]));
    for repl in ["[$`|$&|$'|$$|$1]", "$", "$$$", "x$&&y", "$'$`"] {
        cases.push(json!(["replace", "a{f}b{f}c", "{f}", repl]));
    }
    for (source, flags) in [
        ("a/b\n[/]", "yig"),
        ("", ""),
        (r"\/x/", "m"),
        ("\u{2028}", "su"),
        ("[/]/", "d"),
    ] {
        cases.push(json!(["regexp", source, flags]));
    }
    cases
}

/// `value` with every number written as `JSON.stringify` writes it (`-0` as `0`, `2.0` as
/// `2`), so results compare as Node's JSON text does.
fn numbers_as_json(value: &Value) -> Value {
    match value {
        Value::Number(n) => number_to_json(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(items) => items.iter().map(numbers_as_json).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), numbers_as_json(v)))
            .collect(),
        other => other.clone(),
    }
}

#[test]
fn javascript_semantics_agree_with_node() {
    let cases = cases();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let spawned = Command::new("node")
        .args(["-e", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            let reason = format!("node not available ({err})");
            let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
            assert!(!required, "{reason}");
            println!("skipped: {reason}");
            return;
        }
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input.as_bytes()).expect("write to node");
    drop(stdin);
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "node failed: {}", out.status);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8 from node")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON from node"))
        .collect();
    assert_eq!(lines.len(), cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .zip(&lines)
        .filter(|(case, node)| numbers_as_json(&run_here(case)) != numbers_as_json(node))
        .map(|(case, node)| format!("{case}: node {node}, here {}", run_here(case)))
        .collect();
    assert!(wrong.is_empty(), "{} differ: {wrong:#?}", wrong.len());
}
