//! Printing results on stdout and errors on stderr.

use moleculer::Error;
use serde_json::{Value, json};

use crate::table::Table;

/// What a command prints.
#[derive(Debug)]
pub(crate) enum Output {
    /// Pretty JSON.
    Json(Value),
    /// An aligned text table.
    Table(Table),
}

/// Prints a command's output on stdout.
pub(crate) fn print(output: &Output) {
    match output {
        Output::Json(value) => println!("{}", pretty(value)),
        Output::Table(table) => print!("{table}"),
    }
}

/// Prints an error's Moleculer fields as JSON on stderr.
pub(crate) fn print_error(err: &Error) {
    eprintln!("{}", pretty(&error_json(err)));
}

/// Pretty JSON text.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// An error's Moleculer fields: `{name, message, code, type, data, nodeID}`.
pub(crate) fn error_json(err: &Error) -> Value {
    json!({
        "name": err.name(),
        "message": err.message(),
        "code": err.code(),
        "type": err.error_type(),
        "data": err.data(),
        "nodeID": err.node_id(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_their_moleculer_fields() {
        let err = Error::client("nope")
            .with_code(418)
            .with_type("TEAPOT")
            .with_data(json!({ "a": 1 }))
            .with_node_id("n1");
        assert_eq!(
            error_json(&err),
            json!({ "name": "MoleculerClientError", "message": "nope", "code": 418,
                    "type": "TEAPOT", "data": { "a": 1 }, "nodeID": "n1" })
        );
        let keys: Vec<String> = error_json(&Error::server("x"))
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["name", "message", "code", "type", "data", "nodeID"]);
    }
}
