//! Structural comparison of two JSON answers: the same keys in the same order, the same JSON
//! types, the same array lengths and equal values, except where a [`Rule`] says what may
//! differ at a path.
//!
//! Paths are written `a.b[2].c`; a pattern may use `*` for any one key and `[*]` for any
//! index (`[*].client.*`). The first rule whose pattern matches a path applies.

use serde_json::Value;

/// What a value at some path must have in common with the other answer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The same JSON type; the value is a measurement of the node (a count, an uptime, an id
    /// of its process).
    Kind,
    /// A number or `null` on either side: sampled at intervals, missing before the first.
    NumberOrNull,
    /// An array of strings on both sides, of any length.
    Strings,
    /// Arrays of objects whose `fullName`s match, in order; the items are not compared.
    FullNames,
    /// A string in the form of JavaScript's `Date.prototype.toISOString()` on both sides.
    IsoDate,
    /// A string in the form of JavaScript's `Date.prototype.toUTCString()` on both sides.
    UtcDate,
}

/// Every difference between `node` and `rust` under `rules`, one line each.
pub fn differences(node: &Value, rust: &Value, rules: &[(&str, Rule)]) -> Vec<String> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), node, rust, rules, &mut out);
    out
}

/// Panics listing every difference between `node` and `rust` under `rules`; `what` names
/// the answers compared.
pub fn assert_same_shape(what: &str, node: &Value, rust: &Value, rules: &[(&str, Rule)]) {
    let diffs = differences(node, rust, rules);
    assert!(
        diffs.is_empty(),
        "{what}: {} difference(s)\n  {}\nNode: {node}\nRust: {rust}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

fn walk(
    path: &mut Vec<String>,
    node: &Value,
    rust: &Value,
    rules: &[(&str, Rule)],
    out: &mut Vec<String>,
) {
    let here = || render(path);
    if let Some(rule) = rule_at(path, rules) {
        if let Err(why) = check_rule(rule, node, rust) {
            out.push(format!("{}: {why}", here()));
        }
        return;
    }
    match (node, rust) {
        (Value::Object(n), Value::Object(r)) => {
            let (nk, rk): (Vec<&String>, Vec<&String>) = (n.keys().collect(), r.keys().collect());
            if nk != rk {
                let missing: Vec<_> = nk.iter().filter(|k| !r.contains_key(**k)).collect();
                let extra: Vec<_> = rk.iter().filter(|k| !n.contains_key(**k)).collect();
                out.push(format!(
                    "{}: keys differ (missing in Rust {missing:?}, only in Rust {extra:?}); Node {nk:?}, Rust {rk:?}",
                    here()
                ));
            }
            for (key, value) in n {
                if let Some(other) = r.get(key) {
                    path.push(key.clone());
                    walk(path, value, other, rules, out);
                    path.pop();
                }
            }
        }
        (Value::Array(n), Value::Array(r)) => {
            if n.len() != r.len() {
                out.push(format!(
                    "{}: {} items in Node, {} in Rust",
                    here(),
                    n.len(),
                    r.len()
                ));
            }
            for (i, (a, b)) in n.iter().zip(r).enumerate() {
                path.push(format!("[{i}]"));
                walk(path, a, b, rules, out);
                path.pop();
            }
        }
        // `10` and `10.0` are one JavaScript number.
        (Value::Number(a), Value::Number(b)) if a.as_f64() != b.as_f64() => {
            out.push(format!("{}: Node {a}, Rust {b}", here()));
        }
        (Value::Number(_), Value::Number(_)) => {}
        _ if kind(node) != kind(rust) => {
            out.push(format!(
                "{}: Node has {} {node}, Rust {} {rust}",
                here(),
                kind(node),
                kind(rust)
            ));
        }
        _ if node != rust => out.push(format!("{}: Node {node}, Rust {rust}", here())),
        _ => {}
    }
}

fn check_rule(rule: Rule, node: &Value, rust: &Value) -> Result<(), String> {
    let both = |ok: &dyn Fn(&Value) -> bool, what: &str| {
        if ok(node) && ok(rust) {
            Ok(())
        } else {
            Err(format!(
                "{what} expected on both sides: Node {node}, Rust {rust}"
            ))
        }
    };
    match rule {
        Rule::Kind if kind(node) == kind(rust) => Ok(()),
        Rule::Kind => Err(format!(
            "Node has {} {node}, Rust {} {rust}",
            kind(node),
            kind(rust)
        )),
        Rule::NumberOrNull => both(&|v| v.is_number() || v.is_null(), "a number or null"),
        Rule::Strings => both(
            &|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "an array of strings",
        ),
        Rule::FullNames => {
            let names = |v: &Value| -> Option<Vec<String>> {
                v.as_array()?
                    .iter()
                    .map(|item| item["fullName"].as_str().map(str::to_owned))
                    .collect()
            };
            match (names(node), names(rust)) {
                (Some(a), Some(b)) if a == b => Ok(()),
                (a, b) => Err(format!("service names: Node {a:?}, Rust {b:?}")),
            }
        }
        Rule::IsoDate => both(&|v| v.as_str().is_some_and(is_iso_date), "an ISO date"),
        Rule::UtcDate => both(&|v| v.as_str().is_some_and(is_utc_date), "a UTC date"),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn render(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if !seg.starts_with('[') && !out.is_empty() {
            out.push('.');
        }
        out.push_str(seg);
    }
    if out.is_empty() { "(root)".into() } else { out }
}

fn rule_at(path: &[String], rules: &[(&str, Rule)]) -> Option<Rule> {
    rules
        .iter()
        .find(|(pattern, _)| matches(&segments(pattern), path))
        .map(|(_, rule)| *rule)
}

/// `a.b[2][*].c` → `["a", "b", "[2]", "[*]", "c"]`.
fn segments(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in pattern.split('.') {
        let (head, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !head.is_empty() {
            out.push(head.to_owned());
        }
        out.extend(rest.split_inclusive(']').map(str::to_owned));
    }
    out
}

fn matches(pattern: &[String], path: &[String]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(p, s)| {
            p == s || (p == "*" && !s.starts_with('[')) || (p == "[*]" && s.starts_with('['))
        })
}

/// `2024-05-01T12:30:05.042Z`.
fn is_iso_date(s: &str) -> bool {
    fits(s, "dddd-dd-ddTdd:dd:dd.dddZ")
}

/// `Wed, 01 May 2024 12:30:05 GMT`.
fn is_utc_date(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    s.len() == 29
        && s.is_char_boundary(3)
        && DAYS.contains(&&s[..3])
        && s.is_char_boundary(11)
        && s.is_char_boundary(8)
        && MONTHS.contains(&&s[8..11])
        && fits(s, "www, dd mmm dddd dd:dd:dd GMT")
}

/// Whether `s` fits `template`, where `d` is a digit, `w` and `m` any letter, anything else
/// itself.
fn fits(s: &str, template: &str) -> bool {
    s.len() == template.len()
        && s.chars().zip(template.chars()).all(|(c, t)| match t {
            'd' => c.is_ascii_digit(),
            'w' | 'm' => c.is_ascii_alphabetic(),
            _ => c == t,
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_order_types_lengths_and_values() {
        let a = json!({"x": 1, "y": [1, 2], "z": "s"});
        assert!(differences(&a, &json!({"x": 1.0, "y": [1, 2], "z": "s"}), &[]).is_empty());
        assert_eq!(
            differences(&a, &json!({"y": [1, 2], "x": 1, "z": "s"}), &[]).len(),
            1
        );
        assert_eq!(
            differences(&a, &json!({"x": 1, "y": [1], "z": "s"}), &[]).len(),
            1
        );
        assert_eq!(
            differences(&a, &json!({"x": "1", "y": [1, 2], "z": "s"}), &[]).len(),
            1
        );
        assert_eq!(differences(&a, &json!({"x": 1, "y": [1, 2]}), &[]).len(), 1);
        let rules = [("x", Rule::Kind), ("y[*]", Rule::Kind)];
        assert!(differences(&a, &json!({"x": 7, "y": [3, 4], "z": "s"}), &rules).is_empty());
        assert_eq!(
            differences(&a, &json!({"x": null, "y": [1, 2], "z": "s"}), &rules).len(),
            1
        );
    }

    #[test]
    fn patterns_and_forms() {
        assert_eq!(segments("[*].client.*"), ["[*]", "client", "*"]);
        assert_eq!(segments("a[0][*].b"), ["a", "[0]", "[*]", "b"]);
        assert!(is_iso_date("2026-12-03T16:29:11.551Z"));
        assert!(!is_iso_date("2026-12-03T16:29:11Z"));
        assert!(is_utc_date("Thu, 03 Dec 2026 16:29:11 GMT"));
        assert!(!is_utc_date("Thu, 3 Dec 2026 16:29:11 GMT"));
    }
}
