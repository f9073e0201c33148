//! The one error of the hand-written readers and writers (MsgPack, CBOR, and the Avro and
//! Thrift codecs of the schema serializers): a message,
//! which serde's `de::Error` and `ser::Error` both ask for.

use std::fmt;

/// Why bytes do not decode, or a value does not encode.
#[derive(Debug)]
pub(crate) struct CodecError(pub(crate) String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

impl serde::de::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError(msg.to_string())
    }
}

impl serde::ser::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError(msg.to_string())
    }
}
