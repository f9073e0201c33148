//! Running a compiled rule tree over a JSON value, as fastest-validator's generated code
//! does: same checks, order, error fields and in-place sanitizing. This file holds the
//! required / default handling and the rules that contain other rules; the leaf rules are
//! in `fastest_scalar.rs`.

use std::mem;

use serde_json::{Map, Value};

use crate::js::{self, number_to_json, strict_equals};

use super::messages;
use super::scalar;
use super::{ArrayCheck, Check, ObjectCheck, Rule, Strict, TupleCheck, ValidationIssue};

/// Where a value sits: its field path (empty at the root) and the label messages show.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub(super) field: &'a str,
    pub(super) label: Option<&'a str>,
}

impl<'a> At<'a> {
    fn unlabeled(field: &'a str) -> At<'a> {
        At { field, label: None }
    }
}

type Errors = Vec<ValidationIssue>;

/// The object holding the value (what `equal` with `field` compares against).
type Parent<'p> = Option<&'p Map<String, Value>>;

/// What a check needs besides the value: its rule (for messages), where the value is, the
/// object holding it, and the error list.
pub(super) struct Cx<'x> {
    pub(super) rule: &'x Rule,
    pub(super) at: At<'x>,
    pub(super) parent: Parent<'x>,
    pub(super) errs: &'x mut Errors,
}

/// How a measure is compared with a limit.
#[derive(Clone, Copy)]
pub(super) enum Bound {
    /// `measure < limit` fails.
    Min,
    /// `measure > limit` fails.
    Max,
    /// `measure !== limit` fails.
    Exact,
}

impl Cx<'_> {
    /// Records an error of this rule at this value.
    pub(super) fn fail(&mut self, kind: &str, expected: Option<Value>, actual: Option<Value>) {
        report(self.rule, self.errs, kind, self.at, expected, actual);
    }

    /// A `min` / `max` / `length` style check, reporting the limit and the measure.
    pub(super) fn bound(&mut self, bound: Bound, limit: Option<f64>, measure: f64, kind: &str) {
        let Some(limit) = limit else { return };
        let fails = match bound {
            Bound::Min => measure < limit,
            Bound::Max => measure > limit,
            Bound::Exact => measure != limit,
        };
        if fails {
            self.fail(
                kind,
                Some(number_to_json(limit)),
                Some(number_to_json(measure)),
            );
        }
    }
}

/// Records one error with `rule`'s message for `kind`.
fn report(
    rule: &Rule,
    errs: &mut Errors,
    kind: &str,
    at: At<'_>,
    expected: Option<Value>,
    actual: Option<Value>,
) {
    let shown = at.label.unwrap_or(at.field);
    let message = rule
        .messages
        .template(kind)
        .map(|t| messages::format_message(&t, shown, expected.as_ref(), actual.as_ref()))
        .unwrap_or_default();
    errs.push(ValidationIssue {
        kind: kind.to_owned(),
        field: at.field.to_owned(),
        message,
        actual,
        expected,
        label: at.label.map(str::to_owned),
    });
}

/// Validates the whole params value with the root rule.
pub(super) fn run_root(root: &Rule, params: &mut Value, errs: &mut Errors) {
    let at = At {
        field: "",
        label: root.label.as_deref(),
    };
    let mut slot = Some(mem::take(params));
    root.run(&mut slot, at, at, None, errs);
    *params = slot.unwrap_or(Value::Null);
}

impl Rule {
    /// The required / optional / default handling around a rule, then the rule itself.
    /// `slot` is `None` for a missing value (JavaScript's `undefined`) and is left `None`
    /// when the rule removes the value. `outer` is where a `required` error is reported
    /// (for array items: the array itself, as fastest-validator does); `inner` is where
    /// the value's own errors are.
    fn run(
        &self,
        slot: &mut Option<Value>,
        outer: At<'_>,
        inner: At<'_>,
        parent: Parent<'_>,
        errs: &mut Errors,
    ) {
        let forbidden = matches!(self.check, Check::Forbidden { .. });
        let skip_null = match self.default {
            Some(_) => self.nullable,
            None => self.optional || self.nullable || forbidden,
        };
        match slot {
            None if self.default.is_none() && (self.optional || forbidden) => {}
            Some(Value::Null) if skip_null => {}
            None | Some(Value::Null) => match &self.default {
                Some(default) => *slot = Some(default.clone()),
                None => {
                    let actual = slot.clone();
                    report(self, errs, "required", outer, None, actual);
                }
            },
            Some(value) => {
                let mut cx = Cx {
                    rule: self,
                    at: inner,
                    parent,
                    errs,
                };
                if !check(&self.check, value, &mut cx) {
                    *slot = None;
                }
            }
        }
    }
}

/// The type-specific check of a present, non-null value; `false` removes the value.
fn check<'x>(check: &'x Check, v: &mut Value, cx: &mut Cx<'x>) -> bool {
    match check {
        Check::Any => {}
        Check::Array(c) => array(c, v, cx),
        Check::Forbidden { remove } => return scalar::forbidden(*remove, v, cx),
        Check::Multi(rules) => return multi(rules, v, cx),
        Check::Pipe(steps) => return pipe(steps, v, cx),
        Check::Object(c) => object(c, v, cx),
        Check::Record(rules) => record(&rules.0, &rules.1, v, cx),
        Check::Tuple(c) => tuple(c, v, cx),
        scalar_check => scalar::check(scalar_check, v, cx),
    }
    true
}

fn array(c: &ArrayCheck, v: &mut Value, cx: &mut Cx<'_>) {
    if c.convert && !v.is_array() {
        *v = Value::Array(vec![mem::take(v)]);
    }
    let Value::Array(items) = v else {
        return cx.fail("array", None, Some(v.clone()));
    };
    let len = items.len() as f64;
    let whole = |items: &Vec<Value>| Some(Value::Array(items.clone()));
    if c.not_empty && items.is_empty() {
        cx.fail("arrayEmpty", None, whole(items));
    }
    cx.bound(Bound::Min, c.min, len, "arrayMin");
    cx.bound(Bound::Max, c.max, len, "arrayMax");
    cx.bound(Bound::Exact, c.length, len, "arrayLength");
    if let Some(needle) = &c.contains
        && !items.iter().any(|item| strict_equals(item, needle))
    {
        cx.fail("arrayContains", Some(needle.clone()), whole(items));
    }
    if c.unique {
        let dups = js::repeated_values(items);
        if !dups.is_empty() {
            cx.fail("arrayUnique", Some(Value::Array(dups)), whole(items));
        }
    }
    if let Some((allowed, joined)) = &c.allowed {
        for item in items.iter() {
            if !allowed.iter().any(|a| strict_equals(a, item)) {
                cx.fail(
                    "arrayEnum",
                    Some(Value::String(joined.clone())),
                    Some(item.clone()),
                );
            }
        }
    }
    if let Some(rule) = &c.items {
        items_in_place(items.iter_mut().map(|item| (rule, item)), cx);
    }
}

/// Runs each item's rule on it; a `required` error is reported at the container.
fn items_in_place<'r>(items: impl Iterator<Item = (&'r Rule, &'r mut Value)>, cx: &mut Cx<'_>) {
    for (i, (rule, item)) in items.enumerate() {
        let field = format!("{}[{i}]", cx.at.field);
        let mut slot = Some(mem::take(item));
        rule.run(&mut slot, cx.at, At::unlabeled(&field), cx.parent, cx.errs);
        *item = slot.unwrap_or(Value::Null);
    }
}

/// The first alternative that passes wins (its sanitized value is kept); when none does,
/// every alternative's errors are reported.
fn multi(rules: &[Rule], v: &mut Value, cx: &mut Cx<'_>) -> bool {
    let mut failures = Vec::new();
    for rule in rules {
        let mut slot = Some(v.clone());
        let mut local = Vec::new();
        rule.run(
            &mut slot,
            cx.at,
            At::unlabeled(cx.at.field),
            cx.parent,
            &mut local,
        );
        if local.is_empty() {
            return put_back(v, slot);
        }
        failures.append(&mut local);
    }
    cx.errs.append(&mut failures);
    true
}

/// Steps run in order on the value each returns, stopping at the first that fails.
fn pipe(steps: &[Rule], v: &mut Value, cx: &mut Cx<'_>) -> bool {
    let mut slot = Some(mem::take(v));
    for step in steps {
        let before = cx.errs.len();
        step.run(&mut slot, cx.at, cx.at, cx.parent, cx.errs);
        if cx.errs.len() > before {
            break;
        }
    }
    put_back(v, slot)
}

/// Stores a slot's value into `v`; `false` when the value was removed.
fn put_back(v: &mut Value, slot: Option<Value>) -> bool {
    match slot {
        Some(value) => {
            *v = value;
            true
        }
        None => false,
    }
}

fn object<'x>(c: &'x ObjectCheck, v: &mut Value, cx: &mut Cx<'x>) {
    let Value::Object(map) = v else {
        return cx.fail("object", None, Some(v.clone()));
    };
    if let Some(props) = &c.props {
        for (name, rule) in props {
            let field = prop_field(cx.at.field, name);
            let at = At {
                field: &field,
                label: rule.label.as_deref(),
            };
            let mut slot = map.get_mut(name).map(mem::take);
            rule.run(&mut slot, at, at, Some(&*map), cx.errs);
            store(map, name, slot);
            // fastest-validator reuses one `label` variable: after the props it holds the
            // last prop's label, which the object's own errors then show.
            cx.at.label = rule.label.as_deref();
        }
        strict(c, map, cx);
    }
    let count = map.len() as f64;
    cx.bound(Bound::Min, c.min_props, count, "objectMinProps");
    cx.bound(Bound::Max, c.max_props, count, "objectMaxProps");
}

fn strict(c: &ObjectCheck, map: &mut Map<String, Value>, cx: &mut Cx<'_>) {
    if c.strict == Strict::Off {
        return;
    }
    let extra: Vec<String> = map
        .keys()
        .filter(|k| !c.allowed.contains(k))
        .cloned()
        .collect();
    if extra.is_empty() {
        return;
    }
    if c.strict == Strict::Remove {
        // Only params without errors (so far) lose their extra keys.
        if cx.errs.is_empty() {
            for key in &extra {
                map.shift_remove(key);
            }
        }
        return;
    }
    let expected = Value::String(c.allowed.join(", "));
    cx.fail(
        "objectStrict",
        Some(expected),
        Some(Value::String(extra.join(", "))),
    );
}

/// Puts a checked value back into its object (appending a new key, as JavaScript does).
fn store(map: &mut Map<String, Value>, name: &str, slot: Option<Value>) {
    match (slot, map.get_mut(name)) {
        (Some(value), Some(existing)) => *existing = value,
        (Some(value), None) => {
            map.insert(name.to_owned(), value);
        }
        (None, _) => {
            map.shift_remove(name);
        }
    }
}

/// `parent.name`, or `parent['name']` when `name` is not a plain identifier.
fn prop_field<'n>(parent: &str, name: &'n str) -> std::borrow::Cow<'n, str> {
    if parent.is_empty() {
        // Top-level fields (the common case) need no new string.
        return std::borrow::Cow::Borrowed(name);
    }
    let mut chars = name.chars();
    let first = chars
        .next()
        .is_some_and(|c| c == '_' || c == '$' || c.is_ascii_alphabetic());
    std::borrow::Cow::Owned(
        if first && chars.all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric()) {
            format!("{parent}.{name}")
        } else {
            format!("{parent}['{name}']")
        },
    )
}

/// Checks each key and value; the object is rebuilt with the (possibly sanitized) keys.
fn record(key_rule: &Rule, value_rule: &Rule, v: &mut Value, cx: &mut Cx<'_>) {
    let Value::Object(map) = v else {
        return cx.fail("record", None, Some(v.clone()));
    };
    let mut source = mem::take(map);
    let keys: Vec<String> = source.keys().cloned().collect();
    for key in keys {
        let field = match cx.at.field {
            "" => key.clone(),
            parent => format!("{parent}.{key}"),
        };
        let inner = At::unlabeled(&field);
        let mut key_slot = Some(Value::String(key.clone()));
        key_rule.run(&mut key_slot, cx.at, inner, Some(&source), cx.errs);
        let mut value_slot = source.get_mut(&key).map(mem::take);
        value_rule.run(&mut value_slot, cx.at, inner, Some(&source), cx.errs);
        if let Some(value) = value_slot {
            let new_key = match key_slot {
                Some(Value::String(k)) => k,
                Some(other) => js::value_to_string(&other),
                None => "undefined".to_owned(),
            };
            map.insert(new_key, value);
        }
    }
}

fn tuple(c: &TupleCheck, v: &mut Value, cx: &mut Cx<'_>) {
    let Value::Array(items) = v else {
        return cx.fail("tuple", None, Some(v.clone()));
    };
    if c.not_empty && items.is_empty() {
        return cx.fail("tupleEmpty", None, Some(Value::Array(Vec::new())));
    }
    let Some(rules) = &c.items else { return };
    if items.is_empty() {
        return;
    }
    if items.len() != rules.len() {
        let expected = number_to_json(rules.len() as f64);
        return cx.fail(
            "tupleLength",
            Some(expected),
            Some(number_to_json(items.len() as f64)),
        );
    }
    items_in_place(rules.iter().zip(items.iter_mut()), cx);
}
