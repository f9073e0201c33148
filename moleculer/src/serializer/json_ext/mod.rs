//! Node's `JSONExt` serializer (Moleculer 0.15): JSON in which the values JSON lacks travel
//! as tagged strings (`[[BI]]`, `[[DT]]`, `[[MP]]`, `[[ST]]`, `[[BF]]`, `[[RE]]`, and `[[ES]]`
//! for a plain string that begins with `[[`). The packet is JSON written through [`escape`]
//! and read through [`revive`], adapters over serde_json; a received payload stays the
//! JSONExt text it came as until a handler reads it. Custom types (Node's `customs`, which
//! are JavaScript functions) are left as their tagged strings. The reader is always built (a
//! payload may hold JSONExt text); the serializer comes with the `jsonext` feature.

#[cfg(feature = "jsonext")]
pub(crate) mod escape;
pub(crate) mod revive;
#[cfg(feature = "jsonext")]
mod serializer;

#[cfg(feature = "jsonext")]
pub use serializer::JsonExtSerializer;

#[cfg(all(test, feature = "jsonext"))]
mod tests;
