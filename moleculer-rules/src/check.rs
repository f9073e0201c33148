//! The schema checker: walks a whole params schema and reports every problem, with where.

use std::fmt;

use crate::options::{
    Expect, RULE_TYPES, common_option, required_options, rule_option, scalar_option,
};
use crate::{SchemaValue, lookup, resolve_rule};

/// Meta keys allowed at the root of a params schema.
const ROOT_META_KEYS: &[&str] = &["$$strict", "$$async", "$$root"];

/// How deep rules may nest before the checker gives up (keeps recursion bounded).
pub const MAX_DEPTH: usize = 64;

/// One problem found in a schema: where (field names and option keys) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaIssue {
    /// Path to the offending value: field names, option keys, array indexes.
    pub path: Vec<String>,
    /// What is wrong, in lowercase, naming rules and options in backticks.
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path.join("."), self.message)
        }
    }
}

/// Checks a whole action `params` schema and returns every problem found (empty when valid).
///
/// `root` is an object of field rules plus the meta keys `$$strict`, `$$async` and `$$root`;
/// with `$$root: true` it is itself one rule. A root array is a `multi` rule.
pub fn check_schema(root: &SchemaValue) -> Vec<SchemaIssue> {
    let mut checker = Checker {
        issues: Vec::new(),
        path: Vec::new(),
        flat: false,
    };
    match root {
        SchemaValue::Object(entries) if root.get("$$root") == Some(&SchemaValue::Bool(true)) => {
            let not_meta = |(k, _): &&(String, SchemaValue)| k != "$$root" && k != "$$async";
            let rule = entries.iter().filter(not_meta).cloned().collect();
            checker.root_metas(entries, true);
            checker.rule(&SchemaValue::Object(rule), 0);
        }
        SchemaValue::Object(entries) => {
            checker.root_metas(entries, false);
            checker.fields(entries, 0, true);
        }
        SchemaValue::Array(_) => checker.rule(root, 0),
        other => checker.issue(format!(
            "a params schema must be an object of field rules, not {}",
            other.kind_name()
        )),
    }
    checker.issues
}

/// Walks a schema and collects issues.
struct Checker {
    issues: Vec<SchemaIssue>,
    /// Where the walk is.
    path: Vec<String>,
    /// Inside a shorthand string, whose options have no keys: issues stay at its field.
    flat: bool,
}

impl Checker {
    fn issue(&mut self, message: String) {
        let path = self.path.clone();
        self.issues.push(SchemaIssue { path, message });
    }

    /// Runs `f` one key deeper.
    fn nested(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        if self.flat {
            return f(self);
        }
        self.path.push(key.to_owned());
        f(self);
        self.path.pop();
    }

    fn issue_at(&mut self, key: &str, message: String) {
        self.nested(key, |c| c.issue(message));
    }

    /// The meta keys of a root object (`$$type` belongs to the rule in `$$root` mode).
    fn root_metas(&mut self, entries: &[(String, SchemaValue)], root_mode: bool) {
        for (key, value) in entries.iter().filter(|(k, _)| k.starts_with("$$")) {
            let (ok, want) = match key.as_str() {
                "$$type" if root_mode => continue,
                "$$strict" => (
                    scalar_option(Expect::Strict, value).is_ok(),
                    "a boolean or \"remove\"",
                ),
                "$$async" | "$$root" => (matches!(value, SchemaValue::Bool(_)), "a boolean"),
                _ => {
                    let known = ROOT_META_KEYS.join(", ");
                    self.issue_at(
                        key,
                        format!("unknown meta key `{key}` (expected one of: {known})"),
                    );
                    continue;
                }
            };
            if !ok {
                let got = value.kind_name();
                self.issue_at(key, format!("meta key `{key}` expects {want}, got {got}"));
            }
        }
    }

    /// An object of field rules (the root, or `props`); meta keys only mean something at
    /// the root.
    fn fields(&mut self, entries: &[(String, SchemaValue)], depth: usize, root: bool) {
        for (key, value) in entries {
            if !key.starts_with("$$") {
                self.nested(key, |c| c.rule(value, depth + 1));
            } else if !root {
                let msg =
                    format!("meta key `{key}` has no effect here (it only applies at the root)");
                self.issue_at(key, msg);
            }
        }
    }

    /// One rule in any form.
    fn rule(&mut self, rule: &SchemaValue, depth: usize) {
        if depth > MAX_DEPTH {
            return self.issue(format!("rules nest deeper than {MAX_DEPTH} levels"));
        }
        let was_flat = self.flat;
        self.flat |= matches!(rule, SchemaValue::String(_));
        match resolve_rule(rule) {
            Ok(entries) => self.rule_object(&entries, depth),
            Err(message) => self.issue(message),
        }
        self.flat = was_flat;
    }

    /// A resolved rule object: its type, then each option.
    fn rule_object(&mut self, entries: &[(String, SchemaValue)], depth: usize) {
        let Some(rule) = self.rule_type(entries) else {
            return;
        };
        if let Some(why) = javascript_only(rule) {
            return self.issue(format!("rule `{rule}` {why}"));
        }
        for (key, value) in entries.iter().filter(|(k, _)| k != "type") {
            if key == "custom" {
                self.issue_at(key, format!("option `custom` {JS_FUNCTION}"));
                continue;
            }
            match common_option(key).or_else(|| rule_option(rule, key)) {
                Some(expect) => self.nested(key, |c| c.option(rule, key, expect, value, depth)),
                None => self.issue_at(key, format!("unknown option `{key}` for rule `{rule}`")),
            }
        }
        for needed in required_options(rule) {
            if lookup(entries, needed).is_none() {
                self.issue(format!("rule `{rule}` needs the option `{needed}`"));
            }
        }
    }

    /// The rule's `type`, when present and known.
    fn rule_type<'e>(&mut self, entries: &'e [(String, SchemaValue)]) -> Option<&'e str> {
        let expected = RULE_TYPES.join(", ");
        match lookup(entries, "type") {
            Some(SchemaValue::String(t)) if RULE_TYPES.contains(&t.as_str()) => return Some(t),
            Some(SchemaValue::String(t)) => {
                let msg = format!("unknown rule type `{t}` (expected one of: {expected})");
                self.issue_at("type", msg);
            }
            Some(other) => {
                let msg = format!("rule `type` must be a string, got {}", other.kind_name());
                self.issue_at("type", msg);
            }
            None => self.issue(format!(
                "rule has no `type` (expected one of: {expected}; nested objects are \
                 `{{type: \"object\", props: {{...}}}}`)"
            )),
        }
        None
    }

    /// One option value against what it expects.
    fn option(&mut self, rule: &str, key: &str, expect: Expect, value: &SchemaValue, depth: usize) {
        let want = match (expect, value) {
            (Expect::Rule, _) => return self.rule(value, depth + 1),
            (Expect::Rules | Expect::NonEmptyRules, SchemaValue::Array(items)) => {
                if items.is_empty() && expect == Expect::NonEmptyRules {
                    self.issue(format!("option `{key}` of rule `{rule}` must not be empty"));
                }
                for (i, item) in items.iter().enumerate() {
                    self.nested(&i.to_string(), |c| c.rule(item, depth + 1));
                }
                return;
            }
            (Expect::Rules | Expect::NonEmptyRules, _) => "an array of rules",
            (Expect::Props, SchemaValue::Object(entries)) => {
                return self.fields(entries, depth, false);
            }
            (Expect::Props, _) => "an object of field rules",
            _ => match scalar_option(expect, value) {
                Ok(()) => return,
                Err(want) => want,
            },
        };
        let got = value.kind_name();
        self.issue(format!(
            "option `{key}` of rule `{rule}` expects {want}, got {got}"
        ));
    }
}

/// Why a Rust service cannot use a rule that needs a JavaScript value: params arrive as JSON,
/// which holds no functions or class instances, and a schema in Rust cannot hold a JavaScript
/// check.
fn javascript_only(rule: &str) -> Option<&'static str> {
    match rule {
        "custom" => Some(JS_FUNCTION),
        "class" => Some(
            "checks `instanceof` a JavaScript class, which JSON params never are: \
             use a typed params struct instead",
        ),
        "function" => Some("asks for a JavaScript function, which JSON params never hold"),
        _ => None,
    }
}

/// The reason for the `custom` rule and option.
const JS_FUNCTION: &str = "runs a JavaScript function, which a Rust schema cannot hold: \
                           check the value in a typed params struct (`#[derive(Validate)]`) \
                           or in the handler";
