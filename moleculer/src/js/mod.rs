//! JavaScript semantics the runtime must share with Node, in one place: how values print
//! (`String(x)`), read as numbers (`Number(x)`), test as booleans and compare (`==`, `===`,
//! a `Set`), how strings measure, pad and sort (UTF-16 code units), `String.prototype.replace`
//! patterns, and `RegExp` syntax.
//!
//! The scalar parts (`Number.prototype.toString()`, `Number(text)`, whitespace) live in
//! `moleculer_rules::js`, which the macro crate uses too, and are re-exported here.

mod equality;
mod lodash;
mod regexp;
mod text;
mod value;

pub(crate) use equality::{loose_equals, repeated_values, strict_equals};
pub(crate) use lodash::{Root, is_whole_key, lodash_get, lodash_omit};
pub(crate) use moleculer_rules::js::{
    number_to_string, string_to_number, trim, trim_end, trim_start,
};
pub(crate) use regexp::{read_string_literal, regexp_to_string, to_rust_regex};
pub(crate) use text::{compare_utf16, pad_end, pad_start, replace_all, utf16_len};
pub(crate) use value::{
    is_truthy, join, number_to_json, to_fixed, value_to_number, value_to_string,
};

#[cfg(test)]
mod tests;
