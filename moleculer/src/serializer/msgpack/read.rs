//! A serde deserializer over MsgPack bytes that reads every form a Node encoder writes
//! (reference §3), with what Node's JSON would make of the types JSON lacks: a `bin` is a
//! Buffer's JSON form `{"type":"Buffer","data":[…]}` (or bytes, to a type that asks for
//! bytes), a timestamp (ext -1, a JS `Date`) its ISO string.
//!
//! Written by hand for those two mappings and for [`RawMsgPack`], which keeps a payload's
//! bytes undecoded; lengths are checked against the input before anything is allocated.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::serializer::RAW_PAYLOAD;
use crate::serializer::codec_error::CodecError as Error;
use crate::serializer::js_forms::{BufferForm, iso_date};

/// Nesting deeper than this is refused, as the JSON decoder refuses it.
const MAX_DEPTH: usize = 128;

fn eof() -> Error {
    Error("unexpected end of MsgPack data".into())
}

/// Decodes one whole value of type `T` from `bytes` (nothing may follow it).
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    let mut reader = Reader::new(bytes);
    let value = T::deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// A value's MsgPack bytes, taken as they are.
#[cfg(feature = "msgpack")]
pub(crate) struct RawMsgPack<'de>(pub(crate) &'de [u8]);

#[cfg(feature = "msgpack")]
impl<'de> de::Deserialize<'de> for RawMsgPack<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawMsgPack<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a MsgPack value")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(RawMsgPack(v))
            }
        }
        d.deserialize_newtype_struct(RAW_PAYLOAD, RawVisitor)
    }
}

/// The input and the position in it.
pub(crate) struct Reader<'de> {
    input: &'de [u8],
    depth: usize,
    /// Whether a `bin` is given as bytes to whatever asks (to re-encode it as MsgPack), not
    /// as a Buffer's JSON form.
    bins_as_bytes: bool,
}

impl<'de> Reader<'de> {
    pub(crate) fn new(input: &'de [u8]) -> Reader<'de> {
        Reader {
            input,
            depth: 0,
            bins_as_bytes: false,
        }
    }

    /// A reader for re-encoding into a binary format: `bin` stays bytes (the reader then
    /// says it is not human-readable, as the binary serializer it feeds).
    pub(crate) fn for_binary(input: &'de [u8]) -> Reader<'de> {
        Reader {
            bins_as_bytes: true,
            ..Reader::new(input)
        }
    }

    /// Fails unless every byte was read.
    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(Error(format!(
                "{} bytes after the MsgPack value",
                self.input.len()
            )))
        }
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
        if n > self.input.len() {
            return Err(eof());
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Result<u8, Error> {
        self.input.first().copied().ok_or_else(eof)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn len(&mut self, width: usize) -> Result<usize, Error> {
        Ok(match width {
            1 => usize::from(self.byte()?),
            2 => usize::from(u16::from_be_bytes(self.be()?)),
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    /// The next value, as a token; strings, bins and exts borrow the input.
    fn token(&mut self) -> Result<Token<'de>, Error> {
        let marker = self.byte()?;
        Ok(match marker {
            0x00..=0x7f => Token::Uint(u64::from(marker)),
            0x80..=0x8f => Token::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Token::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Token::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Token::Nil,
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                Token::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (marker - 0xc7))?;
                let ty = self.byte()? as i8;
                Token::Ext(ty, self.take(n)?)
            }
            0xca => Token::Float(f64::from(f32::from_be_bytes(self.be()?))),
            0xcb => Token::Float(f64::from_be_bytes(self.be()?)),
            0xcc => Token::Uint(u64::from(self.byte()?)),
            0xcd => Token::Uint(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Token::Uint(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Token::Uint(u64::from_be_bytes(self.be()?)),
            0xd0 => Token::Int(i64::from(self.byte()? as i8)),
            0xd1 => Token::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Token::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Token::Int(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => {
                let ty = self.byte()? as i8;
                Token::Ext(ty, self.take(1 << (marker - 0xd4))?)
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Token::Str(self.take(n)?)
            }
            0xdc | 0xdd => Token::Array(self.len(2 << (marker - 0xdc))?),
            0xde | 0xdf => Token::Map(self.len(2 << (marker - 0xde))?),
            0xe0..=0xff => Token::Int(i64::from(marker as i8)),
            0xc1 => return Err(Error("the reserved MsgPack marker 0xc1".into())),
        })
    }

    /// Skips one whole value (and what it holds).
    fn skip(&mut self) -> Result<(), Error> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.token()? {
                Token::Array(n) => pending = pending.saturating_add(n),
                Token::Map(n) => pending = pending.saturating_add(n.saturating_mul(2)),
                _ => {}
            }
            // Each value takes at least a byte: more pending values than bytes cannot be.
            if pending > self.input.len() {
                return Err(eof());
            }
        }
        Ok(())
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error(format!("MsgPack nested deeper than {MAX_DEPTH}")));
        }
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// Fails when `n` values cannot fit in what is left (each takes a byte at least).
    fn check_count(&self, n: usize) -> Result<(), Error> {
        if n > self.input.len() {
            Err(eof())
        } else {
            Ok(())
        }
    }
}

/// One MsgPack item.
enum Token<'de> {
    Nil,
    Bool(bool),
    Uint(u64),
    Int(i64),
    Float(f64),
    Str(&'de [u8]),
    Bin(&'de [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'de [u8]),
}

/// A msgpack timestamp (ext -1: 4, 8 or 12 bytes) as the ISO string a JS `Date` gives.
fn timestamp(data: &[u8]) -> Result<String, Error> {
    let (secs, nanos) = match data.len() {
        4 => (
            i64::from(u32::from_be_bytes(data.try_into().unwrap_or_default())),
            0,
        ),
        8 => {
            let v = u64::from_be_bytes(data.try_into().unwrap_or_default());
            ((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32)
        }
        12 => {
            let nanos = u32::from_be_bytes(data[..4].try_into().unwrap_or_default());
            let secs = i64::from_be_bytes(data[4..].try_into().unwrap_or_default());
            (secs, nanos)
        }
        n => return Err(Error(format!("a timestamp of {n} bytes"))),
    };
    Ok(iso_date(secs, nanos / 1_000_000))
}

impl<'de> Reader<'de> {
    fn visit_token<V: Visitor<'de>>(
        &mut self,
        token: Token<'de>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match token {
            Token::Nil => visitor.visit_unit(),
            Token::Bool(b) => visitor.visit_bool(b),
            Token::Uint(v) => visitor.visit_u64(v),
            Token::Int(v) => visitor.visit_i64(v),
            Token::Float(v) => visitor.visit_f64(v),
            Token::Str(s) => match std::str::from_utf8(s) {
                Ok(s) => visitor.visit_borrowed_str(s),
                // Node decodes bad UTF-8 with replacement characters.
                Err(_) => visitor.visit_string(String::from_utf8_lossy(s).into_owned()),
            },
            Token::Bin(b) if self.bins_as_bytes => visitor.visit_borrowed_bytes(b),
            Token::Bin(b) => visitor.visit_map(BufferForm::new(b)),
            Token::Array(n) => {
                self.check_count(n)?;
                self.nested(|r| {
                    let mut seq = Entries { reader: r, left: n };
                    let value = visitor.visit_seq(&mut seq)?;
                    seq.rest(1)?;
                    Ok(value)
                })
            }
            Token::Map(n) => {
                self.check_count(n.saturating_mul(2))?;
                self.nested(|r| {
                    let mut map = Entries { reader: r, left: n };
                    let value = visitor.visit_map(&mut map)?;
                    map.rest(2)?;
                    Ok(value)
                })
            }
            Token::Ext(-1, data) => visitor.visit_string(timestamp(data)?),
            Token::Ext(ty, _) => Err(Error(format!("MsgPack extension type {ty} is not known"))),
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let token = self.token()?;
        self.visit_token(token, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == 0xc0 {
            self.byte()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Bin(b) | Token::Str(b) => visitor.visit_borrowed_bytes(b),
            token => self.visit_token(token, visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    /// A `bin` read as a sequence is its bytes (a `Vec<u8>`).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Bin(b) => visitor.visit_seq(de::value::SeqDeserializer::new(b.iter().copied())),
            token => self.visit_token(token, visitor),
        }
    }

    fn is_human_readable(&self) -> bool {
        !self.bins_as_bytes
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == RAW_PAYLOAD {
            let start = self.input;
            self.skip()?;
            let taken = start.len() - self.input.len();
            return visitor.visit_borrowed_bytes(&start[..taken]);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Str(s) => {
                let s = std::str::from_utf8(s).map_err(de::Error::custom)?;
                visitor.visit_enum(s.into_deserializer())
            }
            Token::Map(1) => self.nested(|r| visitor.visit_enum(Variant { reader: r })),
            _ => Err(Error("an enum is a string or a map of one entry".into())),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

/// The entries of an array or map being read.
struct Entries<'a, 'de> {
    reader: &'a mut Reader<'de>,
    left: usize,
}

impl Entries<'_, '_> {
    /// Skips the entries the visitor left unread (`per_entry` values each).
    fn rest(&mut self, per_entry: usize) -> Result<(), Error> {
        for _ in 0..self.left.saturating_mul(per_entry) {
            self.reader.skip()?;
        }
        self.left = 0;
        Ok(())
    }
}

impl<'de> de::SeqAccess<'de> for Entries<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left.min(4096))
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left.min(4096))
    }
}

/// An enum written as a map of one entry: `{variant: value}`.
struct Variant<'a, 'de> {
    reader: &'a mut Reader<'de>,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let v = seed.deserialize(&mut *self.reader)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(&mut *self.reader)
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.reader, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.reader, visitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn node_forms_read_as_node_json_shows_them() {
        // float32 0.5, a bin, a timestamp (ext -1, 4 bytes: 2024-01-01T00:00:00Z).
        let bytes = [
            0x83, 0xa1, b'f', 0xca, 0x3f, 0, 0, 0, 0xa1, b'b', 0xc4, 2, 1, 2, 0xa1, b'd', 0xd6,
            0xff, 0x65, 0x92, 0x00, 0x80,
        ];
        let value: Value = from_slice(&bytes).unwrap();
        assert_eq!(
            value,
            json!({"f": 0.5, "b": {"type": "Buffer", "data": [1, 2]}, "d": "2024-01-01T00:00:00.000Z"})
        );
        let bytes: serde_bytes_like::Bytes = from_slice(&[0xc4, 2, 7, 8]).unwrap();
        assert_eq!(bytes.0, [7, 8]);
    }

    mod serde_bytes_like {
        pub(super) struct Bytes(pub(super) Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Bytes {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Bytes;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                        Ok(Bytes(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    }

    #[test]
    fn damaged_bytes_are_errors_not_allocations() {
        // An array and a string claiming 4 G entries, cut-off input, the reserved marker.
        for bad in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
            &[0x92, 1],
            &[0xc1],
            &[0x81, 0xa1],
        ] {
            assert!(from_slice::<Value>(bad).is_err(), "{bad:?}");
        }
        let deep = [0x91; 200];
        assert!(from_slice::<Value>(&deep).is_err());
    }
}
