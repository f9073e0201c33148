//! A fastest-validator compatible validator over `serde_json::Value`.
//!
//! A params schema in the fastest-validator dialect (as Node services publish it) is checked
//! by `moleculer_rules::check_schema`, then compiled once into a tree of rules: shorthands parsed,
//! options read, regexes built. Validation walks that tree over the params, applying
//! `default` values, `convert` conversions and sanitizers (`trim`, `padStart`...) in place,
//! and reports fastest-validator's error types, fields and default messages. The behaviour
//! follows fastest-validator 1.19.1, plus the `number` option `step` and the `pipe` rule of
//! its master branch.
//!
//! Files: `fastest_compile.rs` builds the tree, `fastest_check.rs` runs the required /
//! default logic and the container rules, `fastest_scalar.rs` the leaf rules, and
//! `fastest_messages.rs` fills in the messages; the JavaScript semantics they rely on
//! (`String(x)`, `Number(x)`, `==`, UTF-16 lengths, `RegExp` syntax) are the crate's `js`
//! module.
//!
//! Differences from Node, where JSON cannot carry what a rule needs:
//! - `custom`, `function` and `class` rules, and the `custom` option of any rule, are accepted
//!   but not run (they need JavaScript functions or classes); only `optional` / `default`
//!   apply to them.
//! - `date` accepts ISO 8601 strings (a JSON-serialized `Date`) and leaves them unchanged;
//!   with `convert: true` it also accepts epoch milliseconds (numbers or numeric strings),
//!   which become ISO strings.
//! - `objectID` accepts a 24-digit hex string.
//! - `currency` reports a non-string as a `currency` error (Node throws).
//! - patterns with lookaround or backreferences are rejected at compile time.

#[path = "fastest_check.rs"]
mod check;
#[path = "fastest_compile.rs"]
mod compile;
#[path = "fastest_messages.rs"]
mod messages;
#[path = "fastest_scalar.rs"]
mod scalar;

use std::borrow::Cow;

use regex::Regex;
use serde_json::{Map, Value};

/// A fastest-validator params schema, compiled once, that validates JSON params in place.
///
/// ```ignore
/// let v = FastestValidator::compile(&json!({ "name": "string|min:2", "age": "number|optional" }))?;
/// let mut params = json!({ "name": "x" });
/// let errors = v.validate(&mut params).unwrap_err();
/// assert_eq!(errors[0].message, "The 'name' field length must be greater than or equal to 2 characters long.");
/// ```
#[derive(Debug, Clone)]
pub struct FastestValidator {
    /// The root rule: an object rule for a params object, or the `$$root` rule.
    root: Rule,
    /// Whether null params stand for `{}` (Moleculer validates `ctx.params ?? {}`).
    object_root: bool,
}

/// One validation failure, shaped like a fastest-validator error object.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationIssue {
    /// The error type, e.g. `required`, `stringMin`, `numberPositive`.
    pub kind: String,
    /// The path of the value, as fastest-validator writes it (`user.name`, `tags[1]`,
    /// `user['first-name']`); empty for the root value.
    pub field: String,
    /// The message, fastest-validator's default (or the rule's `messages`) filled in.
    pub message: String,
    /// The offending value or measure (`None` when the error has none; `Some(Null)` for null).
    pub actual: Option<Value>,
    /// What the rule expected, when the error type has it.
    pub expected: Option<Value>,
    /// The rule's `label`, when it has one (messages use it in place of the field).
    pub label: Option<String>,
}

impl ValidationIssue {
    /// The fastest-validator error object: `{type, message, field, expected?, actual?, label?}`
    /// in that key order (`field` is left out for the root value, as in Node).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("type".to_owned(), Value::String(self.kind.clone()));
        out.insert("message".to_owned(), Value::String(self.message.clone()));
        if !self.field.is_empty() {
            out.insert("field".to_owned(), Value::String(self.field.clone()));
        }
        if let Some(expected) = &self.expected {
            out.insert("expected".to_owned(), expected.clone());
        }
        if let Some(actual) = &self.actual {
            out.insert("actual".to_owned(), actual.clone());
        }
        if let Some(label) = &self.label {
            out.insert("label".to_owned(), Value::String(label.clone()));
        }
        Value::Object(out)
    }
}

impl FastestValidator {
    /// Checks and compiles a params schema: an object of field rules (with optional
    /// `$$strict`, `$$async`), a `$$root: true` rule, or an array of alternative rules.
    /// The error lists every schema problem found, separated by `; `.
    pub fn compile(schema: &Value) -> Result<Self, String> {
        let (root, object_root) = compile::compile(schema)?;
        Ok(FastestValidator { root, object_root })
    }

    /// Validates `params` in place (defaults, conversions, sanitizers and `strict: "remove"`
    /// are applied to it) and returns every error found. Null params count as `{}` when the
    /// schema describes an object.
    pub fn validate(&self, params: &mut Value) -> Result<(), Vec<ValidationIssue>> {
        if self.object_root && params.is_null() {
            *params = Value::Object(Map::new());
        }
        let mut errors = Vec::new();
        check::run_root(&self.root, params, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A compiled rule: the type-specific check plus what every rule has.
#[derive(Debug, Clone)]
struct Rule {
    check: Check,
    optional: bool,
    nullable: bool,
    /// Set when the value is missing (or null, unless `nullable`).
    default: Option<Value>,
    label: Option<String>,
    messages: Messages,
}

/// Message templates: the rule's own `messages`, then fastest-validator's defaults.
#[derive(Debug, Clone, Default)]
struct Messages {
    custom: Vec<(String, String)>,
    /// A `record` key rule says "key" where string messages say "field".
    key_rule: bool,
}

impl Messages {
    fn template(&self, kind: &str) -> Option<Cow<'static, str>> {
        let found = match self.custom.iter().rev().find(|(k, _)| k == kind) {
            Some((_, text)) => Cow::Owned(text.clone()),
            None => Cow::Borrowed(messages::default_message(kind)?),
        };
        if self.key_rule && kind.starts_with("string") {
            return Some(Cow::Owned(found.replacen(" field ", " key ", 1)));
        }
        Some(found)
    }
}

#[derive(Debug, Clone)]
enum Check {
    Any,
    Array(Box<ArrayCheck>),
    Boolean { convert: bool },
    Currency(Box<CurrencyCheck>),
    Date { convert: bool },
    Email(Box<EmailCheck>),
    Enum(Box<EnumCheck>),
    Equal(Box<EqualCheck>),
    Forbidden { remove: bool },
    Luhn,
    Mac,
    Multi(Vec<Rule>),
    Pipe(Vec<Rule>),
    Number(Box<NumberCheck>),
    Object(Box<ObjectCheck>),
    ObjectId,
    Record(Box<(Rule, Rule)>),
    String(Box<StringCheck>),
    Tuple(Box<TupleCheck>),
    Url { empty: bool },
    Uuid { version: Option<u8> },
}

#[derive(Debug, Clone)]
struct ArrayCheck {
    convert: bool,
    not_empty: bool,
    min: Option<f64>,
    max: Option<f64>,
    length: Option<f64>,
    contains: Option<Value>,
    unique: bool,
    /// Allowed item values, and their `", "`-joined text for messages.
    allowed: Option<(Vec<Value>, String)>,
    items: Option<Rule>,
}

#[derive(Debug, Clone)]
struct CurrencyCheck {
    regex: Regex,
    /// The built-in pattern also wants a digit somewhere (a lookahead in JavaScript).
    needs_digit: bool,
}

#[derive(Debug, Clone)]
struct EmailCheck {
    empty: bool,
    precise: bool,
    normalize: bool,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Debug, Clone)]
struct EnumCheck {
    values: Vec<Value>,
    joined: String,
}

#[derive(Debug, Clone)]
struct EqualCheck {
    /// Compare with a sibling field instead of `value`.
    field: Option<String>,
    /// `value`; `None` is JavaScript's `undefined`.
    value: Option<Value>,
    strict: bool,
}

#[derive(Debug, Clone)]
struct NumberCheck {
    convert: bool,
    min: Option<f64>,
    max: Option<f64>,
    equal: Option<f64>,
    not_equal: Option<f64>,
    integer: bool,
    step: Option<Step>,
    positive: bool,
    negative: bool,
}

/// `step`, with the decimal arithmetic fastest-validator uses for fractional steps.
#[derive(Debug, Clone)]
struct Step {
    value: f64,
    /// For a fractional step: its decimals, `10^decimals`, and the step scaled to an integer.
    scaled: Option<(usize, f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strict {
    Off,
    Error,
    Remove,
}

#[derive(Debug, Clone)]
struct ObjectCheck {
    props: Option<Vec<(String, Rule)>>,
    /// The keys `strict` allows.
    allowed: Vec<String>,
    strict: Strict,
    min_props: Option<f64>,
    max_props: Option<f64>,
}

#[derive(Debug, Clone, Default)]
struct StringCheck {
    convert: bool,
    trim: bool,
    trim_left: bool,
    trim_right: bool,
    pad_start: Option<usize>,
    pad_end: Option<usize>,
    pad_char: String,
    lowercase: bool,
    uppercase: bool,
    locale_lowercase: bool,
    locale_uppercase: bool,
    /// `Some(false)`: must not be empty; `Some(true)`: empty passes every other check.
    empty: Option<bool>,
    min: Option<f64>,
    max: Option<f64>,
    length: Option<f64>,
    pattern: Option<(Regex, String)>,
    contains: Option<String>,
    allowed: Option<(Vec<String>, String)>,
    numeric: bool,
    alpha: bool,
    alphanum: bool,
    alphadash: bool,
    hex: bool,
    single_line: bool,
    base64: bool,
}

impl StringCheck {
    fn sanitizes(&self) -> bool {
        self.trim
            || self.trim_left
            || self.trim_right
            || self.pad_start.is_some()
            || self.pad_end.is_some()
            || self.lowercase
            || self.uppercase
            || self.locale_lowercase
            || self.locale_uppercase
    }
}

#[derive(Debug, Clone)]
struct TupleCheck {
    not_empty: bool,
    items: Option<Vec<Rule>>,
}

#[cfg(test)]
#[path = "fastest_tests.rs"]
mod tests;
