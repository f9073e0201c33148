//! JSON Schema (as `schemars` 1.x generates it: draft 2020-12, `$defs`, `$ref`) to the
//! fastest-validator dialect, which is what a node publishes as an action's `params` and
//! what checks JSON params before they are deserialized.
//!
//! The conversion keeps what fastest-validator can express (types, required / nullable,
//! bounds, lengths, patterns, formats, enums, nested objects, maps, tuples, unions) and
//! turns anything else into `"any"`. It may be looser than the Rust type (the typed
//! `validator` check still runs after deserializing), never stricter, except that
//! `format: "uri"` becomes fastest-validator's `url` (http and https only) and string
//! lengths count UTF-16 units as JavaScript does.

use serde_json::{Map, Value};

use crate::js::number_to_json;

/// How deep schemas may nest (through `$ref`s too) before the rest is `"any"`.
const MAX_DEPTH: usize = 64;

/// Converts a JSON Schema into a fastest-validator params schema.
///
/// An object schema (a struct) becomes the params object `{field: rule, ...}`, with
/// `$$strict: true` when it denies unknown fields; anything else becomes a root rule,
/// `{"$$root": true, ...rule}`. Rules without options use the short form (`"number"`).
pub fn to_fastest(schema: &Value) -> Value {
    let mut converter = Converter {
        root: schema,
        refs: vec!["#".to_owned()],
    };
    let rule = converter.rule(schema, 0);
    match rule.into_params() {
        Ok(params) => params,
        Err(rule) => {
            let mut root = Map::new();
            root.insert("$$root".to_owned(), Value::Bool(true));
            match rule.finish(false, None) {
                Value::Object(map) => root.extend(map),
                Value::String(kind) => {
                    root.insert("type".to_owned(), Value::String(kind));
                }
                _ => {}
            }
            Value::Object(root)
        }
    }
}

/// Whether a fastest-validator params schema is an object of fields, rather than a
/// `$$root: true` rule.
pub fn is_object_root(fv: &Value) -> bool {
    fv.as_object()
        .is_some_and(|m| m.get("$$root") != Some(&Value::Bool(true)))
}

/// A rule being built: its options (`type` first) and whether null is also accepted.
#[derive(Debug, Clone)]
struct Rule {
    map: Map<String, Value>,
    nullable: bool,
}

impl Rule {
    fn of(kind: &str) -> Rule {
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::String(kind.to_owned()));
        Rule {
            map,
            nullable: false,
        }
    }

    fn any() -> Rule {
        Rule::of("any")
    }

    fn set(&mut self, key: &str, value: Value) {
        self.map.insert(key.to_owned(), value);
    }

    fn nullable(mut self) -> Rule {
        self.nullable = true;
        self
    }

    fn kind(&self) -> &str {
        self.map
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("any")
    }

    /// The published rule: `optional` for a field that may be left out, `default` when it
    /// has one, `nullable` when null is accepted; the short form when nothing but `type`.
    fn finish(self, optional: bool, default: Option<Value>) -> Value {
        let mut map = self.map;
        let has_default = default.is_some();
        if let Some(default) = default {
            map.insert("default".to_owned(), default);
        }
        if optional && !has_default {
            map.insert("optional".to_owned(), Value::Bool(true));
        } else if self.nullable {
            map.insert("nullable".to_owned(), Value::Bool(true));
        }
        match map.get("type") {
            Some(Value::String(kind)) if map.len() == 1 => Value::String(kind.clone()),
            _ => Value::Object(map),
        }
    }

    /// A plain object rule becomes the params object itself.
    fn into_params(self) -> Result<Value, Rule> {
        let plain = self.kind() == "object"
            && self.map.contains_key("props")
            && self
                .map
                .keys()
                .all(|k| matches!(k.as_str(), "type" | "props" | "strict"));
        if !plain {
            return Err(self);
        }
        let mut map = self.map;
        let mut params = match map.remove("props") {
            Some(Value::Object(props)) => props,
            _ => Map::new(),
        };
        if map.get("strict") == Some(&Value::Bool(true)) {
            params.insert("$$strict".to_owned(), Value::Bool(true));
        }
        Ok(Value::Object(params))
    }
}

/// Walks a schema, resolving `$ref`s against the root.
struct Converter<'a> {
    root: &'a Value,
    /// The `$ref`s being expanded, to stop at recursion.
    refs: Vec<String>,
}

impl<'a> Converter<'a> {
    fn rule(&mut self, schema: &'a Value, depth: usize) -> Rule {
        if depth > MAX_DEPTH {
            return Rule::any();
        }
        match schema {
            Value::Object(o) => self.object_schema(o, depth),
            Value::Bool(false) => Rule::of("forbidden"),
            _ => Rule::any(),
        }
    }

    fn object_schema(&mut self, o: &'a Map<String, Value>, depth: usize) -> Rule {
        if let Some(Value::String(reference)) = o.get("$ref") {
            return self.reference(reference, depth);
        }
        if let Some(Value::Array(all)) = o.get("allOf") {
            return self.all_of(all, depth);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(alternatives)) = o.get(key) {
                return self.union(alternatives, depth);
            }
        }
        let rule = self.typed(o, depth);
        if o.get("nullable") == Some(&Value::Bool(true)) {
            rule.nullable()
        } else {
            rule
        }
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            Some(self.root)
        } else {
            self.root.pointer(pointer)
        }
    }

    fn reference(&mut self, reference: &str, depth: usize) -> Rule {
        let Some(target) = self.resolve(reference) else {
            return Rule::any();
        };
        if self.refs.iter().any(|r| r == reference) {
            // A recursive type: stop with its bare shape.
            return if looks_like_object(target) {
                Rule::of("object")
            } else {
                Rule::any()
            };
        }
        self.refs.push(reference.to_owned());
        let rule = self.rule(target, depth + 1);
        self.refs.pop();
        rule
    }

    /// `allOf`: one schema is that schema; several objects merge their properties.
    fn all_of(&mut self, all: &'a [Value], depth: usize) -> Rule {
        if let [only] = all {
            return self.rule(only, depth + 1);
        }
        let mut props = Map::new();
        let mut strict = false;
        for part in all {
            let rule = self.rule(part, depth + 1);
            match (rule.kind(), rule.map.get("props")) {
                ("object", Some(Value::Object(p))) => {
                    props.extend(p.clone());
                    strict |= rule.map.get("strict") == Some(&Value::Bool(true));
                }
                _ => return Rule::any(),
            }
        }
        let mut rule = Rule::of("object");
        rule.set("props", Value::Object(props));
        if strict {
            rule.set("strict", Value::Bool(true));
        }
        rule
    }

    /// `anyOf` / `oneOf`: null alternatives make the rule nullable; one remaining alternative
    /// is that rule, several a `multi`.
    fn union(&mut self, alternatives: &'a [Value], depth: usize) -> Rule {
        let mut nullable = false;
        let mut rules = Vec::new();
        for alternative in alternatives {
            if is_null_schema(alternative) {
                nullable = true;
            } else {
                rules.push(self.rule(alternative, depth + 1));
            }
        }
        let rule = match rules.len() {
            0 => Rule::any(),
            1 => rules.remove(0),
            _ if rules.iter().any(|r| r.kind() == "any" && !r.nullable) => Rule::any(),
            _ => {
                let mut multi = Rule::of("multi");
                let list = rules.into_iter().map(|r| r.finish(false, None)).collect();
                multi.set("rules", Value::Array(list));
                multi
            }
        };
        if nullable { rule.nullable() } else { rule }
    }

    /// A schema without `$ref` / combinators: `const`, `enum`, then by `type`.
    fn typed(&mut self, o: &'a Map<String, Value>, depth: usize) -> Rule {
        if let Some(value) = o.get("const") {
            return const_rule(value);
        }
        if let Some(Value::Array(values)) = o.get("enum") {
            return enum_rule(values);
        }
        match o.get("type") {
            Some(Value::String(kind)) => self.of_type(kind, o, depth),
            Some(Value::Array(kinds)) => self.of_types(kinds, o, depth),
            _ => self.of_type(inferred_type(o), o, depth),
        }
    }

    /// `type: [...]`: `"null"` makes it nullable; several other types make a `multi`.
    fn of_types(&mut self, kinds: &'a [Value], o: &'a Map<String, Value>, depth: usize) -> Rule {
        let names: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
        let nullable = names.contains(&"null");
        let others: Vec<&str> = names.into_iter().filter(|k| *k != "null").collect();
        let rule = match others.as_slice() {
            [] => Rule::any(),
            [one] => self.of_type(one, o, depth),
            many => {
                let mut multi = Rule::of("multi");
                let list = many
                    .iter()
                    .map(|k| self.of_type(k, o, depth).finish(false, None))
                    .collect();
                multi.set("rules", Value::Array(list));
                multi
            }
        };
        if nullable { rule.nullable() } else { rule }
    }

    fn of_type(&mut self, kind: &str, o: &'a Map<String, Value>, depth: usize) -> Rule {
        match kind {
            "string" => string_rule(o),
            "integer" | "number" => number_rule(kind == "integer", o),
            "boolean" => Rule::of("boolean"),
            "array" => self.array_rule(o, depth),
            "object" => self.object_rule(o, depth),
            "null" => Rule::of("forbidden"),
            _ => Rule::any(),
        }
    }

    fn array_rule(&mut self, o: &'a Map<String, Value>, depth: usize) -> Rule {
        let tuple = match (o.get("prefixItems"), o.get("items")) {
            (Some(Value::Array(items)), _) | (None, Some(Value::Array(items))) => Some(items),
            _ => None,
        };
        if let Some(items) = tuple.filter(|items| !items.is_empty()) {
            let mut rule = Rule::of("tuple");
            let list = items
                .iter()
                .map(|s| self.rule(s, depth + 1).finish(false, None))
                .collect();
            rule.set("items", Value::Array(list));
            return rule;
        }
        let mut rule = Rule::of("array");
        if let Some(items @ Value::Object(_)) = o.get("items") {
            let item = self.rule(items, depth + 1);
            if item.kind() != "any" || item.nullable {
                rule.set("items", item.finish(false, None));
            }
        }
        copy_number(o, "minItems", &mut rule, "min");
        copy_number(o, "maxItems", &mut rule, "max");
        if o.get("uniqueItems") == Some(&Value::Bool(true)) {
            rule.set("unique", Value::Bool(true));
        }
        rule
    }

    fn object_rule(&mut self, o: &'a Map<String, Value>, depth: usize) -> Rule {
        let additional = o.get("additionalProperties");
        let mut rule = match (o.get("properties"), additional) {
            (Some(Value::Object(properties)), _) => {
                let mut rule = Rule::of("object");
                rule.set("props", Value::Object(self.props(properties, o, depth)));
                if additional == Some(&Value::Bool(false)) {
                    rule.set("strict", Value::Bool(true));
                }
                rule
            }
            (_, Some(values @ Value::Object(_))) => self.record_rule(values, o, depth),
            _ => Rule::of("object"),
        };
        if rule.kind() == "object" {
            copy_number(o, "minProperties", &mut rule, "minProps");
            copy_number(o, "maxProperties", &mut rule, "maxProps");
        }
        rule
    }

    /// The fields of an object: required ones plain, the others optional or defaulted.
    fn props(
        &mut self,
        properties: &'a Map<String, Value>,
        o: &'a Map<String, Value>,
        depth: usize,
    ) -> Map<String, Value> {
        let required: Vec<&str> = match o.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut props = Map::new();
        for (name, schema) in properties {
            let default = schema
                .get("default")
                .filter(|d| !d.is_null())
                .map(normalize_numbers);
            let rule = self.rule(schema, depth + 1);
            let optional = !required.contains(&name.as_str());
            props.insert(name.clone(), rule.finish(optional, default));
        }
        props
    }

    /// A map: `record` with the value rule (and a key rule from `propertyNames`).
    fn record_rule(&mut self, values: &'a Value, o: &'a Map<String, Value>, depth: usize) -> Rule {
        let mut rule = Rule::of("record");
        if let Some(keys @ Value::Object(_)) = o.get("propertyNames") {
            let key = self.rule(keys, depth + 1);
            if key.kind() == "string" && key.map.len() > 1 {
                rule.set("key", key.finish(false, None));
            }
        }
        let value = self.rule(values, depth + 1);
        if value.kind() != "any" || value.nullable {
            rule.set("value", value.finish(false, None));
        }
        rule
    }
}

fn looks_like_object(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("object".to_owned()))
        || schema.get("properties").is_some()
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&Value::String("null".to_owned()))
        || schema.get("const") == Some(&Value::Null)
}

fn inferred_type(o: &Map<String, Value>) -> &'static str {
    if o.contains_key("properties") || o.contains_key("additionalProperties") {
        "object"
    } else if o.contains_key("items") || o.contains_key("prefixItems") {
        "array"
    } else {
        "any"
    }
}

fn const_rule(value: &Value) -> Rule {
    if value.is_null() {
        return Rule::of("forbidden");
    }
    let mut rule = Rule::of("equal");
    rule.set("value", normalize_numbers(value));
    rule.set("strict", Value::Bool(true));
    rule
}

fn enum_rule(values: &[Value]) -> Rule {
    let mut rule = Rule::of("enum");
    let non_null: Vec<Value> = values
        .iter()
        .filter(|v| !v.is_null())
        .map(normalize_numbers)
        .collect();
    rule.set("values", Value::Array(non_null));
    if values.iter().any(Value::is_null) {
        rule.nullable()
    } else {
        rule
    }
}

fn string_rule(o: &Map<String, Value>) -> Rule {
    let format = o.get("format").and_then(Value::as_str).unwrap_or_default();
    let mut rule = match format {
        "email" | "idn-email" => Rule::of("email"),
        "uri" | "url" | "iri" => return Rule::of("url"),
        "uuid" => return Rule::of("uuid"),
        "date-time" | "date" => {
            let mut rule = Rule::of("date");
            rule.set("convert", Value::Bool(true));
            return rule;
        }
        _ => Rule::of("string"),
    };
    copy_number(o, "minLength", &mut rule, "min");
    copy_number(o, "maxLength", &mut rule, "max");
    if rule.kind() == "string"
        && let Some(Value::String(pattern)) = o.get("pattern")
    {
        rule.set("pattern", Value::String(pattern.clone()));
    }
    rule
}

fn number_rule(integer: bool, o: &Map<String, Value>) -> Rule {
    let mut rule = Rule::of("number");
    if integer {
        rule.set("integer", Value::Bool(true));
    }
    let bound = |key: &str| o.get(key).and_then(Value::as_f64);
    let mut min = bound("minimum");
    let mut max = bound("maximum");
    let (mut positive, mut negative) = (false, false);
    if let Some(x) = bound("exclusiveMinimum") {
        match (integer, x) {
            (true, _) => min = Some(min.map_or(x.floor() + 1.0, |m| m.max(x.floor() + 1.0))),
            (false, 0.0) => positive = true,
            // fastest-validator has no exclusive bound: the inclusive one is the closest.
            (false, _) => min = Some(min.map_or(x, |m| m.max(x))),
        }
    }
    if let Some(x) = bound("exclusiveMaximum") {
        match (integer, x) {
            (true, _) => max = Some(max.map_or(x.ceil() - 1.0, |m| m.min(x.ceil() - 1.0))),
            (false, 0.0) => negative = true,
            (false, _) => max = Some(max.map_or(x, |m| m.min(x))),
        }
    }
    for (key, value) in [("min", min), ("max", max)] {
        if let Some(value) = value {
            rule.set(key, number_to_json(value));
        }
    }
    for (key, on) in [("positive", positive), ("negative", negative)] {
        if on {
            rule.set(key, Value::Bool(true));
        }
    }
    if let Some(step) = bound("multipleOf").filter(|s| *s > 0.0 && !(integer && *s == 1.0)) {
        rule.set("step", number_to_json(step));
    }
    rule
}

fn copy_number(o: &Map<String, Value>, from: &str, rule: &mut Rule, to: &str) {
    if let Some(x) = o.get(from).and_then(Value::as_f64) {
        rule.set(to, number_to_json(x));
    }
}

/// `value` with its float numbers that are integral written as integers.
fn normalize_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map_or(Value::Null, number_to_json),
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fastest::FastestValidator;
    use super::*;
    use serde_json::json;

    /// Converts, and checks that the result compiles as a fastest-validator schema.
    fn convert(schema: Value) -> Value {
        let fv = to_fastest(&schema);
        if let Err(e) = FastestValidator::compile(&fv) {
            panic!("{fv} does not compile: {e}");
        }
        fv
    }

    #[test]
    fn struct_example() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Params",
            "type": "object",
            "properties": {
                "a": { "type": "number", "format": "double", "minimum": -1000000000.0, "maximum": 1000000000.0 },
                "b": { "type": "number", "format": "double" },
                "name": { "type": ["string", "null"], "minLength": 2 },
                "tags": { "type": "array", "items": { "type": "string" } },
                "kind": { "$ref": "#/$defs/Kind" }
            },
            "required": ["a", "b", "tags", "kind"],
            "$defs": { "Kind": { "type": "string", "enum": ["x", "y"] } }
        });
        let fv = convert(schema);
        assert_eq!(
            serde_json::to_string(&fv).unwrap(),
            r#"{"a":{"type":"number","min":-1000000000,"max":1000000000},"b":"number","name":{"type":"string","min":2,"optional":true},"tags":{"type":"array","items":"string"},"kind":{"type":"enum","values":["x","y"]}}"#
        );
        assert!(is_object_root(&fv));
    }

    #[test]
    fn integers_and_bounds() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "n": { "type": "integer", "format": "uint32", "minimum": 0 },
                "b": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 },
                "e": { "type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5 },
                "p": { "type": "number", "exclusiveMinimum": 0 },
                "q": { "type": "number", "exclusiveMaximum": 0, "multipleOf": 0.5 },
                "i": { "type": "integer", "format": "int64" }
            },
            "required": ["n", "b", "e", "p", "q", "i"]
        }));
        assert_eq!(
            fv,
            json!({
                "n": { "type": "number", "integer": true, "min": 0 },
                "b": { "type": "number", "integer": true, "min": 0, "max": 255 },
                "e": { "type": "number", "integer": true, "min": 1, "max": 10 },
                "p": { "type": "number", "positive": true },
                "q": { "type": "number", "negative": true, "step": 0.5 },
                "i": { "type": "number", "integer": true }
            })
        );
    }

    #[test]
    fn strings_and_formats() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "email": { "type": "string", "format": "email" },
                "url": { "type": "string", "format": "uri" },
                "id": { "type": "string", "format": "uuid" },
                "at": { "type": "string", "format": "date-time" },
                "pat": { "type": "string", "pattern": "^a+$", "maxLength": 5 },
                "ch": { "type": "string", "minLength": 1, "maxLength": 1 },
                "other": { "type": "string", "format": "ipv4" }
            },
            "required": ["email", "url", "id", "at", "pat", "ch", "other"]
        }));
        assert_eq!(
            fv,
            json!({
                "email": "email",
                "url": "url",
                "id": "uuid",
                "at": { "type": "date", "convert": true },
                "pat": { "type": "string", "max": 5, "pattern": "^a+$" },
                "ch": { "type": "string", "min": 1, "max": 1 },
                "other": "string"
            })
        );
    }

    #[test]
    fn optional_nullable_and_defaults() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "opt": { "type": ["integer", "null"], "format": "int32" },
                "req_null": { "type": ["string", "null"] },
                "def": { "type": "integer", "format": "int32", "default": 0 },
                "def_null": { "type": ["string", "null"], "default": null },
                "okind": { "anyOf": [{ "$ref": "#/$defs/Kind" }, { "type": "null" }] },
                "items": { "type": "array", "items": { "type": ["string", "null"] } }
            },
            "required": ["req_null", "items"],
            "$defs": { "Kind": { "type": "string", "enum": ["x"] } }
        }));
        assert_eq!(
            fv,
            json!({
                "opt": { "type": "number", "integer": true, "optional": true },
                "req_null": { "type": "string", "nullable": true },
                "def": { "type": "number", "integer": true, "default": 0 },
                "def_null": { "type": "string", "optional": true },
                "okind": { "type": "enum", "values": ["x"], "optional": true },
                "items": { "type": "array", "items": { "type": "string", "nullable": true } }
            })
        );
    }

    #[test]
    fn arrays_maps_and_nested_objects() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "list": { "type": "array", "items": { "type": "integer", "format": "int32" }, "minItems": 1, "maxItems": 3 },
                "set": { "type": "array", "uniqueItems": true, "items": { "type": "string" } },
                "map": { "type": "object", "additionalProperties": { "type": "integer", "format": "int32" } },
                "json_map": { "type": "object", "additionalProperties": true },
                "inner": { "$ref": "#/$defs/Inner" },
                "tup": { "type": "array", "prefixItems": [{ "type": "integer" }, { "type": "string" }], "minItems": 2, "maxItems": 2 },
                "val": true
            },
            "required": ["list", "set", "map", "json_map", "inner", "tup", "val"],
            "additionalProperties": false,
            "$defs": {
                "Inner": {
                    "type": "object",
                    "properties": { "z": { "type": "boolean" } },
                    "required": ["z"],
                    "additionalProperties": false
                }
            }
        }));
        assert_eq!(
            fv,
            json!({
                "list": { "type": "array", "items": { "type": "number", "integer": true }, "min": 1, "max": 3 },
                "set": { "type": "array", "items": "string", "unique": true },
                "map": { "type": "record", "value": { "type": "number", "integer": true } },
                "json_map": "object",
                "inner": { "type": "object", "props": { "z": "boolean" }, "strict": true },
                "tup": { "type": "tuple", "items": [{ "type": "number", "integer": true }, "string"] },
                "val": "any",
                "$$strict": true
            })
        );
    }

    #[test]
    fn enums_and_unions() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "tagged": { "$ref": "#/$defs/Tagged" },
                "untagged": { "anyOf": [{ "type": "integer", "format": "int32" }, { "type": "string" }] },
                "external": { "oneOf": [
                    { "type": "string", "enum": ["C"] },
                    { "type": "object", "properties": { "A": { "type": "integer" } }, "required": ["A"], "additionalProperties": false }
                ] },
                "either": { "type": ["string", "number"], "minLength": 2, "minimum": 5 }
            },
            "required": ["tagged", "untagged", "external", "either"],
            "$defs": {
                "Tagged": { "oneOf": [
                    { "type": "object", "properties": { "t": { "type": "string", "const": "A" }, "x": { "type": "integer" } }, "required": ["t", "x"] },
                    { "type": "object", "properties": { "t": { "type": "string", "const": "B" } }, "required": ["t"] }
                ] }
            }
        }));
        assert_eq!(
            fv["tagged"],
            json!({ "type": "multi", "rules": [
                { "type": "object", "props": { "t": { "type": "equal", "value": "A", "strict": true }, "x": { "type": "number", "integer": true } } },
                { "type": "object", "props": { "t": { "type": "equal", "value": "B", "strict": true } } }
            ] })
        );
        assert_eq!(
            fv["untagged"],
            json!({ "type": "multi", "rules": [{ "type": "number", "integer": true }, "string"] })
        );
        assert_eq!(
            fv["external"],
            json!({ "type": "multi", "rules": [
                { "type": "enum", "values": ["C"] },
                { "type": "object", "props": { "A": { "type": "number", "integer": true } }, "strict": true }
            ] })
        );
        assert_eq!(
            fv["either"],
            json!({ "type": "multi", "rules": [{ "type": "string", "min": 2 }, { "type": "number", "min": 5 }] })
        );
    }

    #[test]
    fn recursion_stops() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "children": { "type": "array", "items": { "$ref": "#" } },
                "next": { "anyOf": [{ "$ref": "#/$defs/Node" }, { "type": "null" }] }
            },
            "required": ["children"],
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": { "next": { "anyOf": [{ "$ref": "#/$defs/Node" }, { "type": "null" }] } }
                }
            }
        }));
        assert_eq!(
            fv,
            json!({
                "children": { "type": "array", "items": "object" },
                "next": { "type": "object", "props": { "next": { "type": "object", "optional": true } }, "optional": true }
            })
        );
        // A dangling reference is "any".
        assert_eq!(
            to_fastest(&json!({ "$ref": "#/$defs/Missing" })),
            json!({ "$$root": true, "type": "any" })
        );
    }

    #[test]
    fn non_object_roots() {
        assert_eq!(
            convert(json!({ "title": "Newtype", "type": "string" })),
            json!({ "$$root": true, "type": "string" })
        );
        assert_eq!(
            convert(
                json!({ "type": "array", "items": { "type": "integer", "format": "uint32", "minimum": 0 } })
            ),
            json!({ "$$root": true, "type": "array", "items": { "type": "number", "integer": true, "min": 0 } })
        );
        let nullable_kind = convert(json!({
            "anyOf": [{ "$ref": "#/$defs/Kind" }, { "type": "null" }],
            "$defs": { "Kind": { "type": "string", "enum": ["x", "y"] } }
        }));
        assert_eq!(
            nullable_kind,
            json!({ "$$root": true, "type": "enum", "values": ["x", "y"], "nullable": true })
        );
        assert!(!is_object_root(&nullable_kind));
        assert_eq!(
            convert(json!(true)),
            json!({ "$$root": true, "type": "any" })
        );
        let map =
            convert(json!({ "type": "object", "additionalProperties": { "type": "string" } }));
        assert_eq!(
            map,
            json!({ "$$root": true, "type": "record", "value": "string" })
        );
    }

    #[test]
    fn converted_schema_validates() {
        let fv = convert(json!({
            "type": "object",
            "properties": {
                "name": { "type": ["string", "null"], "minLength": 2 },
                "age": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 }
            },
            "required": ["age"],
            "additionalProperties": false
        }));
        let v = FastestValidator::compile(&fv).unwrap();
        assert_eq!(v.validate(&mut json!({ "age": 3 })), Ok(()));
        assert_eq!(v.validate(&mut json!({ "age": 3, "name": null })), Ok(()));
        let errs = v
            .validate(&mut json!({ "age": 3.5, "name": "x", "z": 1 }))
            .unwrap_err();
        let kinds: Vec<&str> = errs.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["stringMin", "numberInteger", "objectStrict"]);
    }
}
