//! The fastest-validator schema dialect: shorthand parsing and a static schema checker.
//!
//! This file is std-only because it is compiled twice: into the runtime crate (which compiles
//! params schemas into validators) and into the proc-macro crate (which checks inline `params`
//! schemas at compile time). Rule names and options follow fastest-validator 1.19.

use std::fmt;

/// A neutral JSON-like tree; objects keep their key order (and duplicates, last one wins).
// The proc-macro crate may not build every variant.
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SchemaValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number (JavaScript numbers are doubles).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<SchemaValue>),
    /// An object, in source order.
    Object(Vec<(String, SchemaValue)>),
}

impl SchemaValue {
    /// The value of `key` when `self` is an object (the last one, as in a JavaScript literal).
    pub(crate) fn get(&self, key: &str) -> Option<&SchemaValue> {
        match self {
            SchemaValue::Object(entries) => lookup(entries, key),
            _ => None,
        }
    }

    /// "a string", "an object"...: how messages name the JSON type of a value.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            SchemaValue::Null => "null",
            SchemaValue::Bool(_) => "a boolean",
            SchemaValue::Number(_) => "a number",
            SchemaValue::String(_) => "a string",
            SchemaValue::Array(_) => "an array",
            SchemaValue::Object(_) => "an object",
        }
    }
}

/// The last value of `key` in an object's entries.
pub(crate) fn lookup<'a>(
    entries: &'a [(String, SchemaValue)],
    key: &str,
) -> Option<&'a SchemaValue> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Every built-in fastest-validator rule type.
#[rustfmt::skip]
pub(crate) const RULE_TYPES: &[&str] = &[
    "any",
    "array",
    "boolean",
    "class",
    "currency",
    "custom",
    "date",
    "email",
    "enum",
    "equal",
    "forbidden",
    "function",
    "luhn",
    "mac",
    "multi",
    "number",
    "object",
    "objectID",
    "pipe",
    "record",
    "string",
    "tuple",
    "url",
    "uuid",
];

/// Meta keys allowed at the root of a params schema.
const ROOT_META_KEYS: &[&str] = &["$$strict", "$$async", "$$root"];

/// How deep rules may nest before the checker gives up (keeps recursion bounded).
pub(crate) const MAX_DEPTH: usize = 64;

/// Whitespace as JavaScript's `String.prototype.trim` sees it.
pub(crate) fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// `s.trim()` with JavaScript's notion of whitespace.
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// JavaScript's `Number(string)`; `None` stands for `NaN`.
pub(crate) fn js_number(s: &str) -> Option<f64> {
    let s = js_trim(s);
    if s.is_empty() {
        return Some(0.0);
    }
    if let Some(n) = radix_number(s) {
        return n;
    }
    match s {
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if !is_decimal_literal(s) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// `0x..`, `0o..`, `0b..` literals: `Some(result)` when `s` has such a prefix.
fn radix_number(s: &str) -> Option<Option<f64>> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'0' {
        return None;
    }
    let radix = match bytes[1] {
        b'x' | b'X' => 16,
        b'o' | b'O' => 8,
        b'b' | b'B' => 2,
        _ => return None,
    };
    let digits = &s[2..];
    if digits.is_empty() {
        return Some(None);
    }
    let mut value = 0.0_f64;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return Some(None),
        }
    }
    Some(Some(value))
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Parses a fastest-validator shorthand (`"string|min:2|optional"`, `"number[]"`,
/// `"string|no-empty"`) into a rule object. Values that read as numbers become numbers,
/// `true`/`false` booleans, anything else stays a string; a bare flag is `true`, `no-flag`
/// is `false`. `T[]` is an array whose `items` is `T`, and the options that follow apply to
/// the array (`"string[]|min:1"` is an array of at least one string).
pub(crate) fn parse_shorthand(s: &str) -> Result<Vec<(String, SchemaValue)>, String> {
    let mut parts = s.split('|').map(js_trim);
    let head = parts.next().unwrap_or_default();
    if head.is_empty() {
        return Err(format!("empty rule name in `{s}`"));
    }
    let mut rule = match head.strip_suffix("[]") {
        Some("") => return Err(format!("empty item rule name in `{s}`")),
        Some(item) => vec![
            ("type".to_owned(), SchemaValue::String("array".to_owned())),
            ("items".to_owned(), SchemaValue::String(item.to_owned())),
        ],
        None => vec![("type".to_owned(), SchemaValue::String(head.to_owned()))],
    };
    for part in parts {
        rule.push(shorthand_option(part, s)?);
    }
    Ok(rule)
}

/// One `key:value`, `flag` or `no-flag` part of a shorthand.
fn shorthand_option(part: &str, whole: &str) -> Result<(String, SchemaValue), String> {
    let (key, value) = match part.split_once(':') {
        Some((key, value)) => (js_trim(key), shorthand_value(js_trim(value))),
        None => match part.strip_prefix("no-") {
            Some(flag) => (flag, SchemaValue::Bool(false)),
            None => (part, SchemaValue::Bool(true)),
        },
    };
    if key.is_empty() {
        return Err(format!("empty option name in `{whole}`"));
    }
    Ok((key.to_owned(), value))
}

fn shorthand_value(raw: &str) -> SchemaValue {
    match raw {
        "true" => SchemaValue::Bool(true),
        "false" => SchemaValue::Bool(false),
        _ => match js_number(raw) {
            Some(n) => SchemaValue::Number(n),
            None => SchemaValue::String(raw.to_owned()),
        },
    }
}

/// Normalizes a rule the way fastest-validator's `resolveType` does: a shorthand string is
/// parsed, an array of rules becomes `{type: "multi", rules}` (optional / nullable when every
/// alternative is), and `{$$type: T, ...props}` becomes rule `T` with `props`.
pub(crate) fn resolve_rule(rule: &SchemaValue) -> Result<Vec<(String, SchemaValue)>, String> {
    let entries = match rule {
        SchemaValue::String(s) => parse_shorthand(s)?,
        SchemaValue::Array(rules) => multi_from_array(rules)?,
        SchemaValue::Object(entries) => entries.clone(),
        other => {
            return Err(format!(
                "a rule must be a string, an object or an array of rules, not {}",
                other.kind_name()
            ));
        }
    };
    match lookup(&entries, "$$type") {
        Some(base) => expand_dollar_type(base, &entries),
        None => Ok(entries),
    }
}

fn multi_from_array(rules: &[SchemaValue]) -> Result<Vec<(String, SchemaValue)>, String> {
    if rules.is_empty() {
        return Err("an array of rules must not be empty".to_owned());
    }
    let (optional, nullable) = all_flags(rules);
    let mut entries = vec![
        ("type".to_owned(), SchemaValue::String("multi".to_owned())),
        ("rules".to_owned(), SchemaValue::Array(rules.to_vec())),
    ];
    for (flag, on) in [("optional", optional), ("nullable", nullable)] {
        if on {
            entries.push((flag.to_owned(), SchemaValue::Bool(true)));
        }
    }
    Ok(entries)
}

/// Whether every rule is `optional: true`, and whether every one is `nullable: true`
/// (one pass, so nested arrays of rules cost linear time).
fn all_flags(rules: &[SchemaValue]) -> (bool, bool) {
    let flags: Vec<(bool, bool)> = rules.iter().map(rule_flags).collect();
    (flags.iter().all(|f| f.0), flags.iter().all(|f| f.1))
}

/// A rule's `optional` and `nullable`, as `resolve_rule` would give them.
fn rule_flags(rule: &SchemaValue) -> (bool, bool) {
    let of = |entries: &[(String, SchemaValue)]| {
        let on = |flag| lookup(entries, flag) == Some(&SchemaValue::Bool(true));
        (on("optional"), on("nullable"))
    };
    match rule {
        SchemaValue::String(s) => parse_shorthand(s).map_or((false, false), |e| of(&e)),
        SchemaValue::Array(items) if !items.is_empty() => all_flags(items),
        SchemaValue::Object(entries) => match lookup(entries, "$$type") {
            Some(base @ (SchemaValue::String(_) | SchemaValue::Array(_))) => rule_flags(base),
            Some(_) => (false, false),
            None => of(entries),
        },
        _ => (false, false),
    }
}

fn expand_dollar_type(
    base: &SchemaValue,
    entries: &[(String, SchemaValue)],
) -> Result<Vec<(String, SchemaValue)>, String> {
    if matches!(base, SchemaValue::Object(inner) if lookup(inner, "$$type").is_some()) {
        return Err("`$$type` must not nest another `$$type`".to_owned());
    }
    let mut resolved = resolve_rule(base).map_err(|e| format!("in `$$type`: {e}"))?;
    let props = entries
        .iter()
        .filter(|(k, _)| k != "$$type")
        .cloned()
        .collect();
    resolved.retain(|(k, _)| k != "props");
    resolved.push(("props".to_owned(), SchemaValue::Object(props)));
    Ok(resolved)
}

/// One problem found in a schema: where (field names and option keys) and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SchemaIssue {
    /// Path to the offending value: field names, option keys, array indexes.
    pub(crate) path: Vec<String>,
    /// What is wrong, in lowercase, naming rules and options in backticks.
    pub(crate) message: String,
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

/// What JSON an option's value must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Any,
    Bool,
    Number,
    PositiveNumber,
    String,
    /// A string, or a number that JavaScript turns into one (`padChar:0` in a shorthand).
    Text,
    Array,
    Strings,
    Rule,
    Rules,
    NonEmptyRules,
    Props,
    Messages,
    Strict,
    ObjectIdConvert,
    EmailMode,
    UuidVersion,
    Flags,
}

/// Options every rule accepts.
fn common_option(key: &str) -> Option<Expect> {
    match key {
        "optional" | "nullable" => Some(Expect::Bool),
        "default" | "custom" => Some(Expect::Any),
        "label" => Some(Expect::String),
        "messages" => Some(Expect::Messages),
        _ => None,
    }
}

/// Options of one rule type, as the rule sources read them.
fn rule_option(rule: &str, key: &str) -> Option<Expect> {
    use Expect::*;
    let expect = match (rule, key) {
        ("array", "empty" | "unique" | "convert") => Bool,
        ("array", "min" | "max" | "length") => Number,
        ("array", "contains") => Any,
        ("array", "enum") => Array,
        ("array", "items") | ("record", "key" | "value") => Rule,
        ("boolean" | "date", "convert") => Bool,
        ("class", "instanceOf") | ("custom", "check") | ("objectID", "ObjectID") => Any,
        ("currency", "currencySymbol" | "thousandSeparator" | "decimalSeparator") => Text,
        ("currency", "customRegex") => String,
        ("currency", "symbolOptional") => Bool,
        ("email", "empty" | "normalize") => Bool,
        ("email", "mode") => EmailMode,
        ("email", "min" | "max") => Number,
        ("enum", "values") => Array,
        ("equal", "value") => Any,
        ("equal", "field") => String,
        ("equal", "strict") | ("forbidden", "remove") => Bool,
        ("multi", "rules") => NonEmptyRules,
        ("pipe", "steps") => Rules,
        ("number", "min" | "max" | "equal" | "notEqual") => Number,
        ("number", "step") => PositiveNumber,
        ("number", "integer" | "positive" | "negative" | "convert") => Bool,
        ("object", "strict") => Strict,
        ("object", "props" | "properties") => Props,
        ("object", "minProps" | "maxProps") => Number,
        ("objectID", "convert") => ObjectIdConvert,
        ("string", "min" | "max" | "length" | "padStart" | "padEnd") => Number,
        ("string", "pattern" | "contains" | "padChar") => Text,
        ("string", "patternFlags") => Flags,
        ("string", "enum") => Strings,
        ("string", _) if STRING_FLAGS.contains(&key) => Bool,
        ("tuple", "empty") | ("url", "empty") => Bool,
        ("tuple", "items") => NonEmptyRules,
        ("uuid", "version") => UuidVersion,
        _ => return None,
    };
    Some(expect)
}

/// Boolean options of the `string` rule.
#[rustfmt::skip]
const STRING_FLAGS: &[&str] = &[
    "empty",
    "alpha",
    "numeric",
    "alphanum",
    "alphadash",
    "hex",
    "singleLine",
    "base64",
    "trim",
    "trimLeft",
    "trimRight",
    "lowercase",
    "uppercase",
    "localeLowercase",
    "localeUppercase",
    "convert",
];

/// Options a rule cannot do without.
fn required_options(rule: &str) -> &'static [&'static str] {
    match rule {
        "enum" => &["values"],
        "multi" => &["rules"],
        _ => &[],
    }
}

/// Checks a whole action `params` schema and returns every problem found (empty when valid).
///
/// `root` is an object of field rules plus the meta keys `$$strict`, `$$async` and `$$root`;
/// with `$$root: true` it is itself one rule. A root array is a `multi` rule.
pub(crate) fn check_schema(root: &SchemaValue) -> Vec<SchemaIssue> {
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
        for (key, value) in entries.iter().filter(|(k, _)| k != "type") {
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

/// Checks an option whose value is plain data; `Err` says what was expected.
fn scalar_option(expect: Expect, value: &SchemaValue) -> Result<(), &'static str> {
    use SchemaValue as V;
    let ok = match expect {
        Expect::Any | Expect::Rule | Expect::Rules | Expect::NonEmptyRules | Expect::Props => true,
        Expect::Bool => matches!(value, V::Bool(_)),
        Expect::Number => matches!(value, V::Number(n) if !n.is_nan()),
        Expect::PositiveNumber => matches!(value, V::Number(n) if *n > 0.0 && n.is_finite()),
        Expect::String => matches!(value, V::String(_)),
        Expect::Text => matches!(value, V::String(_) | V::Number(_)),
        Expect::Array => matches!(value, V::Array(_)),
        Expect::Strings => {
            matches!(value, V::Array(a) if a.iter().all(|v| matches!(v, V::String(_))))
        }
        Expect::Messages => {
            matches!(value, V::Object(e) if e.iter().all(|(_, v)| matches!(v, V::String(_))))
        }
        Expect::Strict => {
            matches!(value, V::Bool(_)) || matches!(value, V::String(s) if s == "remove")
        }
        Expect::ObjectIdConvert => {
            matches!(value, V::Bool(_)) || matches!(value, V::String(s) if s == "hexString")
        }
        Expect::EmailMode => matches!(value, V::String(s) if s == "quick" || s == "precise"),
        Expect::UuidVersion => {
            matches!(value, V::Number(n) if (0.0..=8.0).contains(n) && n.fract() == 0.0)
        }
        Expect::Flags => matches!(value, V::String(s) if valid_regex_flags(s)),
    };
    if ok { Ok(()) } else { Err(expect_text(expect)) }
}

fn expect_text(expect: Expect) -> &'static str {
    match expect {
        Expect::Bool => "a boolean",
        Expect::Number => "a number",
        Expect::PositiveNumber => "a positive number",
        Expect::String => "a string",
        Expect::Text => "a string",
        Expect::Array => "an array",
        Expect::Strings => "an array of strings",
        Expect::Messages => "an object of message strings",
        Expect::Strict => "a boolean or \"remove\"",
        Expect::ObjectIdConvert => "a boolean or \"hexString\"",
        Expect::EmailMode => "\"quick\" or \"precise\"",
        Expect::UuidVersion => "a uuid version from 0 to 8",
        Expect::Flags => "regular expression flags (d, g, i, m, s, u, v, y; each once)",
        Expect::Any | Expect::Rule | Expect::Rules | Expect::NonEmptyRules | Expect::Props => {
            "a value"
        }
    }
}

/// JavaScript `RegExp` flags: each of `dgimsuvy` at most once.
pub(crate) fn valid_regex_flags(flags: &str) -> bool {
    flags
        .char_indices()
        .all(|(i, c)| "dgimsuvy".contains(c) && !flags[..i].contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> SchemaValue {
        SchemaValue::String(v.to_owned())
    }

    fn n(v: f64) -> SchemaValue {
        SchemaValue::Number(v)
    }

    fn b(v: bool) -> SchemaValue {
        SchemaValue::Bool(v)
    }

    fn obj(entries: &[(&str, SchemaValue)]) -> SchemaValue {
        SchemaValue::Object(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn entries(v: &[(&str, SchemaValue)]) -> Vec<(String, SchemaValue)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn issues(root: &SchemaValue) -> Vec<(String, String)> {
        check_schema(root)
            .into_iter()
            .map(|i| (i.path.join("."), i.message))
            .collect()
    }

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
            parse_shorthand(" string | no-empty | pattern:^a:b$ | max : 0x10 | x:false | y: ")
                .unwrap(),
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

    #[test]
    fn js_numbers() {
        assert_eq!(js_number(" 12 "), Some(12.0));
        assert_eq!(js_number(""), Some(0.0));
        assert_eq!(js_number(".5"), Some(0.5));
        assert_eq!(js_number("5."), Some(5.0));
        assert_eq!(js_number("+5e2"), Some(500.0));
        assert_eq!(js_number("0b101"), Some(5.0));
        assert_eq!(js_number("-Infinity"), Some(f64::NEG_INFINITY));
        for bad in ["inf", "NaN", "1e", "0x", "-0x1", "1,5", "12px", ".", "e5"] {
            assert_eq!(js_number(bad), None, "{bad}");
        }
    }

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
                obj(&[
                    ("type", s("any")),
                    ("default", SchemaValue::Null),
                    ("custom", b(true)),
                ]),
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
                                obj(&[
                                    ("type", s("array")),
                                    ("items", obj(&[("type", s("nope"))])),
                                ]),
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
                    "unknown meta key `$$foo` (expected one of: $$strict, $$async, $$root)"
                        .to_owned()
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
                    "a rule must be a string, an object or an array of rules, not a number"
                        .to_owned()
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
}
