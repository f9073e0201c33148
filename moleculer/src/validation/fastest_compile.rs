//! Compiling a checked fastest-validator schema into the rule tree `fastest_check.rs` runs:
//! shorthands resolved, options read once, JavaScript patterns turned into Rust regexes.

use std::borrow::Cow;

use moleculer_rules::{self as rules, SchemaValue, lookup, resolve_rule};
use regex::Regex;
use serde_json::Value;

use crate::js;

use super::messages;
use super::{
    ArrayCheck, Check, CurrencyCheck, EmailCheck, EnumCheck, EqualCheck, Messages, NumberCheck,
    ObjectCheck, Rule, Step, Strict, StringCheck, TupleCheck,
};

/// Checks `schema` (every issue is reported, separated by `; `) and compiles it: the root
/// rule, and whether it describes an object (so that null params stand for `{}`).
pub(super) fn compile(schema: &Value) -> Result<(Rule, bool), String> {
    let tree = to_schema_value(schema, 0)?;
    let issues = rules::check_schema(&tree);
    if !issues.is_empty() {
        let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
        return Err(text.join("; "));
    }
    build_root(&tree)
}

/// How far a schema may nest (JSON levels) before compiling gives up.
const MAX_JSON_DEPTH: usize = 4 * rules::MAX_DEPTH;

fn to_schema_value(value: &Value, depth: usize) -> Result<SchemaValue, String> {
    if depth > MAX_JSON_DEPTH {
        return Err(format!(
            "the schema nests deeper than {MAX_JSON_DEPTH} levels"
        ));
    }
    Ok(match value {
        Value::Null => SchemaValue::Null,
        Value::Bool(b) => SchemaValue::Bool(*b),
        Value::Number(n) => SchemaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => SchemaValue::String(s.clone()),
        Value::Array(items) => SchemaValue::Array(
            items
                .iter()
                .map(|v| to_schema_value(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => SchemaValue::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), to_schema_value(v, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

fn to_value(value: &SchemaValue) -> Value {
    match value {
        SchemaValue::Null => Value::Null,
        SchemaValue::Bool(b) => Value::Bool(*b),
        SchemaValue::Number(n) => js::number_to_json(*n),
        SchemaValue::String(s) => Value::String(s.clone()),
        SchemaValue::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        SchemaValue::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
    }
}

/// The options of one resolved rule object.
struct Opts<'a>(&'a [(String, SchemaValue)]);

impl Opts<'_> {
    fn get(&self, key: &str) -> Option<&SchemaValue> {
        lookup(self.0, key)
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key) == Some(&SchemaValue::Bool(true))
    }

    fn num(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(SchemaValue::Number(n)) => Some(*n),
            _ => None,
        }
    }

    fn text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(SchemaValue::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A string option that may also be given as a number (`"${x}"` in JavaScript).
    fn text_or_number(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.get(key) {
            Some(SchemaValue::String(s)) => Some(Cow::Borrowed(s)),
            Some(SchemaValue::Number(n)) => Some(Cow::Owned(js::number_to_string(*n))),
            _ => None,
        }
    }

    fn values(&self, key: &str) -> Option<Vec<Value>> {
        match self.get(key) {
            Some(SchemaValue::Array(items)) => Some(items.iter().map(to_value).collect()),
            _ => None,
        }
    }
}

fn build_root(tree: &SchemaValue) -> Result<(Rule, bool), String> {
    let root = match tree {
        SchemaValue::Object(entries) if tree.get("$$root") == Some(&SchemaValue::Bool(true)) => {
            let rule = entries
                .iter()
                .filter(|(k, _)| k != "$$root" && k != "$$async")
                .cloned();
            build_rule(&SchemaValue::Object(rule.collect()))?
        }
        SchemaValue::Object(entries) => params_object(entries)?,
        other => build_rule(other)?,
    };
    let object_root = matches!(root.check, Check::Object(_) | Check::Record(_));
    Ok((root, object_root))
}

/// The implicit root object rule of a params schema.
fn params_object(entries: &[(String, SchemaValue)]) -> Result<Rule, String> {
    let fields: Vec<_> = entries
        .iter()
        .filter(|(k, _)| !k.starts_with("$$"))
        .cloned()
        .collect();
    let strict = strict_mode(lookup(entries, "$$strict"));
    Ok(plain_rule(Check::Object(Box::new(object_check(
        &fields, strict, None, None,
    )?))))
}

fn plain_rule(check: Check) -> Rule {
    Rule {
        check,
        optional: false,
        nullable: false,
        default: None,
        label: None,
        messages: Messages::default(),
    }
}

fn build_rule(rule: &SchemaValue) -> Result<Rule, String> {
    let entries = resolve_rule(rule)?;
    let opts = Opts(&entries);
    let messages = match opts.get("messages") {
        Some(SchemaValue::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| match v {
                SchemaValue::String(text) => Some((k.clone(), text.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Rule {
        check: build_check(opts.text("type").unwrap_or_default(), &opts)?,
        optional: opts.flag("optional"),
        nullable: opts.flag("nullable"),
        default: opts
            .get("default")
            .filter(|d| **d != SchemaValue::Null)
            .map(to_value),
        label: opts
            .text("label")
            .filter(|l| !l.is_empty())
            .map(str::to_owned),
        messages: Messages {
            custom: messages,
            key_rule: false,
        },
    })
}

fn build_rules(rules: Option<&SchemaValue>) -> Result<Vec<Rule>, String> {
    match rules {
        Some(SchemaValue::Array(items)) => items.iter().map(build_rule).collect(),
        _ => Ok(Vec::new()),
    }
}

fn build_check(kind: &str, o: &Opts<'_>) -> Result<Check, String> {
    Ok(match kind {
        "any" => Check::Any,
        // Refused by `check_schema` before (they need JavaScript values).
        "custom" | "function" | "class" => {
            return Err(format!("rule `{kind}` needs JavaScript values"));
        }
        "array" => Check::Array(Box::new(array_check(o)?)),
        "boolean" => Check::Boolean {
            convert: o.flag("convert"),
        },
        "currency" => Check::Currency(Box::new(currency_check(o)?)),
        "date" => Check::Date {
            convert: o.flag("convert"),
        },
        "email" => Check::Email(Box::new(EmailCheck {
            empty: o.flag("empty"),
            precise: o.text("mode") == Some("precise"),
            normalize: o.flag("normalize"),
            min: o.num("min"),
            max: o.num("max"),
        })),
        "enum" => {
            let values = o.values("values").unwrap_or_default();
            Check::Enum(Box::new(EnumCheck {
                joined: js::join(&values, ", "),
                values,
            }))
        }
        "equal" => Check::Equal(Box::new(EqualCheck {
            field: o.text("field").filter(|f| !f.is_empty()).map(str::to_owned),
            value: o.get("value").map(to_value),
            strict: o.flag("strict"),
        })),
        "forbidden" => Check::Forbidden {
            remove: o.flag("remove"),
        },
        "luhn" => Check::Luhn,
        "mac" => Check::Mac,
        "multi" => Check::Multi(build_rules(o.get("rules"))?),
        "pipe" => Check::Pipe(build_rules(o.get("steps"))?),
        "number" => Check::Number(Box::new(number_check(o)?)),
        "object" => Check::Object(Box::new(object_rule(o)?)),
        "objectID" => Check::ObjectId,
        "record" => Check::Record(Box::new(record_rules(o)?)),
        "string" => Check::String(Box::new(string_check(o)?)),
        "tuple" => Check::Tuple(Box::new(TupleCheck {
            not_empty: o.get("empty") == Some(&SchemaValue::Bool(false)),
            items: match o.get("items") {
                Some(items) => Some(build_rules(Some(items))?),
                None => None,
            },
        })),
        "url" => Check::Url {
            empty: o.flag("empty"),
        },
        "uuid" => Check::Uuid {
            version: o.num("version").filter(|v| *v < 9.0).map(|v| v as u8),
        },
        other => return Err(format!("unknown rule type `{other}`")),
    })
}

fn array_check(o: &Opts<'_>) -> Result<ArrayCheck, String> {
    Ok(ArrayCheck {
        convert: o.flag("convert"),
        not_empty: o.get("empty") == Some(&SchemaValue::Bool(false)),
        min: o.num("min"),
        max: o.num("max"),
        length: o.num("length"),
        contains: o
            .get("contains")
            .filter(|c| **c != SchemaValue::Null)
            .map(to_value),
        unique: o.flag("unique"),
        allowed: o.values("enum").map(|v| {
            let joined = js::join(&v, ", ");
            (v, joined)
        }),
        items: o.get("items").map(build_rule).transpose()?,
    })
}

fn number_check(o: &Opts<'_>) -> Result<NumberCheck, String> {
    let step = match o.num("step") {
        Some(step) if step > 0.0 && step.is_finite() => Some(Step {
            value: step,
            scaled: scaled_step(step),
        }),
        Some(_) => {
            return Err("option `step` of rule `number` must be a positive number".to_owned());
        }
        None => None,
    };
    Ok(NumberCheck {
        convert: o.flag("convert"),
        min: o.num("min"),
        max: o.num("max"),
        equal: o.num("equal"),
        not_equal: o.num("notEqual"),
        integer: o.flag("integer"),
        step,
        positive: o.flag("positive"),
        negative: o.flag("negative"),
    })
}

/// Decimals of a fractional step as `step.toString()` shows them, `10^decimals` and the
/// step as an integer multiple of `10^-decimals`.
fn scaled_step(step: f64) -> Option<(usize, f64, f64)> {
    if step.fract() == 0.0 {
        return None;
    }
    let text = js::number_to_string(step);
    let decimals = match text.split_once('e') {
        Some((mantissa, exp)) => {
            let frac = mantissa.split_once('.').map_or(0, |(_, f)| f.len());
            let exp: i32 = exp.parse().unwrap_or(0);
            usize::try_from(i64::from(-exp) + frac as i64).unwrap_or(0)
        }
        None => text.split_once('.').map_or(0, |(_, f)| f.len()),
    };
    let multiplier = 10f64.powi(i32::try_from(decimals).unwrap_or(i32::MAX));
    Some((decimals, multiplier, (step * multiplier).round()))
}

fn strict_mode(value: Option<&SchemaValue>) -> Strict {
    match value {
        Some(SchemaValue::Bool(true)) => Strict::Error,
        Some(SchemaValue::String(s)) if s == "remove" => Strict::Remove,
        _ => Strict::Off,
    }
}

fn object_rule(o: &Opts<'_>) -> Result<ObjectCheck, String> {
    let strict = strict_mode(o.get("strict"));
    let (min, max) = (o.num("minProps"), o.num("maxProps"));
    // `schema.properties || schema.props`
    match o.get("properties").or_else(|| o.get("props")) {
        Some(SchemaValue::Object(props)) => object_check(props, strict, min, max),
        _ => Ok(ObjectCheck {
            props: None,
            allowed: Vec::new(),
            strict,
            min_props: min,
            max_props: max,
        }),
    }
}

fn object_check(
    props: &[(String, SchemaValue)],
    strict: Strict,
    min_props: Option<f64>,
    max_props: Option<f64>,
) -> Result<ObjectCheck, String> {
    let mut rules: Vec<(String, Rule)> = Vec::new();
    for (name, rule) in props.iter().filter(|(k, _)| !k.starts_with("$$")) {
        let rule = build_rule(rule).map_err(|e| format!("`{name}`: {e}"))?;
        // A repeated key keeps its first position and its last rule, like a JS object literal.
        match rules.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = rule,
            None => rules.push((name.clone(), rule)),
        }
    }
    let allowed = props.iter().map(|(k, _)| k.clone()).collect();
    Ok(ObjectCheck {
        props: Some(rules),
        allowed,
        strict,
        min_props,
        max_props,
    })
}

fn record_rules(o: &Opts<'_>) -> Result<(Rule, Rule), String> {
    let default_key = SchemaValue::String("string".to_owned());
    let default_value = SchemaValue::String("any".to_owned());
    let mut key = build_rule(o.get("key").unwrap_or(&default_key))?;
    key.messages.key_rule = true;
    let value = build_rule(o.get("value").unwrap_or(&default_value))?;
    Ok((key, value))
}

/// The longest `padStart` / `padEnd` accepted (bounds what one string can grow to).
const MAX_PAD: f64 = 1_048_576.0;

fn pad_option(o: &Opts<'_>, key: &str) -> Result<Option<usize>, String> {
    match o.num(key) {
        Some(n) if n > MAX_PAD => Err(format!(
            "option `{key}` of rule `string` is larger than {MAX_PAD}"
        )),
        // `padStart(n)` truncates `n`; 0 and below pad nothing (and NaN is falsy).
        Some(n) if n >= 1.0 => Ok(Some(n as usize)),
        _ => Ok(None),
    }
}

fn string_check(o: &Opts<'_>) -> Result<StringCheck, String> {
    let pattern = match o.text_or_number("pattern") {
        Some(source) => {
            let flags = o.text("patternFlags").unwrap_or_default();
            Some((
                js::to_rust_regex(&source, flags)?,
                messages::pattern_expected(&source, flags),
            ))
        }
        None => None,
    };
    let allowed = o.values("enum").map(|values| {
        let joined = js::join(&values, ", ");
        (
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            joined,
        )
    });
    Ok(StringCheck {
        convert: o.flag("convert"),
        trim: o.flag("trim"),
        trim_left: o.flag("trimLeft"),
        trim_right: o.flag("trimRight"),
        pad_start: pad_option(o, "padStart")?,
        pad_end: pad_option(o, "padEnd")?,
        pad_char: o
            .text_or_number("padChar")
            .map_or_else(|| " ".to_owned(), Cow::into_owned),
        lowercase: o.flag("lowercase"),
        uppercase: o.flag("uppercase"),
        locale_lowercase: o.flag("localeLowercase"),
        locale_uppercase: o.flag("localeUppercase"),
        empty: match o.get("empty") {
            Some(SchemaValue::Bool(b)) => Some(*b),
            _ => None,
        },
        min: o.num("min"),
        max: o.num("max"),
        length: o.num("length"),
        pattern,
        contains: o.text_or_number("contains").map(Cow::into_owned),
        allowed,
        numeric: o.flag("numeric"),
        alpha: o.flag("alpha"),
        alphanum: o.flag("alphanum"),
        alphadash: o.flag("alphadash"),
        hex: o.flag("hex"),
        single_line: o.flag("singleLine"),
        base64: o.flag("base64"),
    })
}

/// fastest-validator's currency pattern with the rule's symbol and separators, or
/// `customRegex` (a `/source/flags` literal or a bare pattern).
fn currency_check(o: &Opts<'_>) -> Result<CurrencyCheck, String> {
    if let Some(custom) = o.text("customRegex") {
        let regex = match custom
            .strip_prefix('/')
            .and_then(|rest| rest.rsplit_once('/'))
        {
            Some((source, flags)) if rules::valid_regex_flags(flags) => {
                js::to_rust_regex(source, flags)
            }
            _ => js::to_rust_regex(custom, ""),
        }?;
        return Ok(CurrencyCheck {
            regex,
            needs_digit: false,
        });
    }
    let option = |key: &str, default: &str| {
        let text = o.text_or_number(key).filter(|s| !s.is_empty());
        regex::escape(text.as_deref().unwrap_or(default))
    };
    let symbol = match option("currencySymbol", "") {
        s if s.is_empty() => s,
        s if o.flag("symbolOptional") => format!("(?:{s})?"),
        s => s,
    };
    let (thousands, decimal) = (
        option("thousandSeparator", ","),
        option("decimalSeparator", "."),
    );
    let pattern = format!(
        r"^(?:-?{symbol}|{symbol}-?)(?:(?:[0-9][0-9]{{0,2}}(?:{thousands}[0-9]{{3}})*)|0)?(?:{decimal}[0-9]{{1,2}})?$"
    );
    let regex = Regex::new(&pattern)
        .map_err(|e| format!("currency options give an invalid pattern: {e}"))?;
    Ok(CurrencyCheck {
        regex,
        needs_digit: true,
    })
}
