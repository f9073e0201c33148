//! Node's `CBOR` serializer (cbor-x with `useRecords: false`, `useTag259ForMaps: false`):
//! written as cbor-x writes it ([`write`]), read in every form CBOR allows ([`read`]). A
//! received payload (`params`, `data`) stays the CBOR bytes it came as until a handler reads
//! it into its type. The reader is always built (a payload may hold CBOR bytes); the
//! serializer comes with the `cbor` feature.

pub(crate) mod read;
#[cfg(feature = "cbor")]
mod serializer;
#[cfg(feature = "cbor")]
pub(crate) mod write;

#[cfg(feature = "cbor")]
pub use serializer::CborSerializer;

#[cfg(all(test, feature = "cbor"))]
mod tests;
