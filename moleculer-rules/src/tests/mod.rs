//! Tests of the dialect, with builders for schema trees.

use crate::*;

mod check;
mod resolve;
mod shorthand;

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
