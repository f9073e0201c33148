//! Rules in any of their forms (shorthand, array of rules, `$$type`) as rule objects.

use crate::{SchemaValue, lookup, parse_shorthand};

/// Normalizes a rule the way fastest-validator's `resolveType` does: a shorthand string is
/// parsed, an array of rules becomes `{type: "multi", rules}` (optional / nullable when every
/// alternative is), and `{$$type: T, ...props}` becomes rule `T` with `props`.
pub fn resolve_rule(rule: &SchemaValue) -> Result<Vec<(String, SchemaValue)>, String> {
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
