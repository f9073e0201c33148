//! JavaScript's reading and printing of numbers, and its whitespace.
//!
//! - `Number.prototype.toString()`, which is also `String(x)`, `` `${x}` `` and, for a
//!   finite number, `JSON.stringify(x)`: [`number_to_string`];
//! - `Number(text)`: [`string_to_number`];
//! - `String.prototype.trim` and the whitespace `Number(text)` ignores: [`trim`],
//!   [`trim_start`], [`trim_end`], [`is_space`].
//!
//! The runtime's value-level semantics (`String(value)` of arrays and objects, `==`, ...)
//! are built on these.

mod number_format;
mod number_parse;
mod space;

pub use number_format::number_to_string;
pub use number_parse::string_to_number;
pub use space::{is_space, trim, trim_end, trim_start};

#[cfg(test)]
mod node;
#[cfg(test)]
mod tests;
