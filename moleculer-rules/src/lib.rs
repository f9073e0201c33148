//! The fastest-validator schema dialect, std only, shared by the `moleculer` runtime (which
//! compiles params schemas into validators) and its proc-macro crate (which checks inline
//! `params` schemas at compile time), so both read a schema the same way.
//!
//! - [`SchemaValue`]: a JSON-like tree that keeps an object's key order;
//! - [`parse_shorthand`] and [`resolve_rule`]: a rule in any of its forms as a rule object;
//! - [`check_schema`]: every problem of a params schema, as [`SchemaIssue`]s;
//! - [`sections`]: the keys of the fault-tolerance sections an action sets for itself;
//! - [`js`]: JavaScript's `Number(text)`, `Number.prototype.toString()` and whitespace, which
//!   the dialect is defined by (a shorthand's `min:0x10` is `Number("0x10")`).
//!
//! Rule names and options follow fastest-validator 1.19.

#![forbid(unsafe_code)]

mod check;
pub mod js;
mod options;
mod resolve;
mod schema_value;
pub mod sections;
mod shorthand;

pub use check::{MAX_DEPTH, SchemaIssue, check_schema};
pub use options::{RULE_TYPES, valid_regex_flags};
pub use resolve::resolve_rule;
pub use schema_value::{SchemaValue, lookup};
pub use shorthand::parse_shorthand;

#[cfg(test)]
mod tests;
