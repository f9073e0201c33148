//! A neutral JSON-like tree for schemas, from `serde_json` values in the runtime and from
//! token trees in the macro crate.

/// A neutral JSON-like tree; objects keep their key order (and duplicates, last one wins).
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaValue {
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
    pub fn get(&self, key: &str) -> Option<&SchemaValue> {
        match self {
            SchemaValue::Object(entries) => lookup(entries, key),
            _ => None,
        }
    }

    /// "a string", "an object"...: how messages name the JSON type of a value.
    pub fn kind_name(&self) -> &'static str {
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
pub fn lookup<'a>(entries: &'a [(String, SchemaValue)], key: &str) -> Option<&'a SchemaValue> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}
