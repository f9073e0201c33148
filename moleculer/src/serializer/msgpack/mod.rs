//! Node's `MsgPack` (msgpack5) and `Notepack` (notepack.io) serializers: the same format,
//! written with each library's number rules ([`write::Numbers`]) and read liberally by one
//! decoder ([`read`]). A received payload (`params`, `data`) stays the MsgPack bytes it came
//! as until a handler reads it into its type. The reader is always built (a payload may hold
//! MsgPack bytes); the serializers come with the `msgpack` feature.

pub(crate) mod read;
#[cfg(feature = "msgpack")]
mod serializers;
#[cfg(feature = "msgpack")]
pub(crate) mod write;

#[cfg(feature = "msgpack")]
pub use serializers::{MsgPackSerializer, NotepackSerializer};

#[cfg(all(test, feature = "msgpack"))]
mod tests;
