//! A serde deserializer over CBOR bytes that reads every form a CBOR encoder may write
//! (reference §3): any head size, indefinite lengths, half, single and double floats,
//! `undefined` (as `null`), tags. What Node's JSON would make of the types JSON lacks: a
//! byte string is a Buffer's JSON form `{"type":"Buffer","data":[…]}` (or bytes, to a type
//! that asks for bytes), a date (tag 0 or 1) its ISO string, a bignum (tags 2 and 3) a
//! number.
//!
//! Written by hand for those mappings and for [`RawCbor`], which keeps a payload's bytes
//! undecoded; lengths are checked against the input before anything is allocated.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::serializer::RAW_PAYLOAD;
use crate::serializer::codec_error::CodecError as Error;
use crate::serializer::js_forms::{BufferForm, iso_date};

/// Nesting deeper than this is refused, as the JSON decoder refuses it.
const MAX_DEPTH: usize = 128;

/// The "break" that ends an indefinite-length item.
const BREAK: u8 = 0xff;

fn eof() -> Error {
    Error("unexpected end of CBOR data".into())
}

/// Decodes one whole value of type `T` from `bytes` (nothing may follow it).
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    let mut reader = Reader::new(bytes);
    let value = T::deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// A value's CBOR bytes, taken as they are.
#[cfg(feature = "cbor")]
pub(crate) struct RawCbor<'de>(pub(crate) &'de [u8]);

#[cfg(feature = "cbor")]
impl<'de> de::Deserialize<'de> for RawCbor<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawCbor<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a CBOR value")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(RawCbor(v))
            }
        }
        d.deserialize_newtype_struct(RAW_PAYLOAD, RawVisitor)
    }
}

/// The input and the position in it.
pub(crate) struct Reader<'de> {
    input: &'de [u8],
    depth: usize,
    /// Whether a byte string is given as bytes to whatever asks (to re-encode it in a binary
    /// format), not as a Buffer's JSON form.
    bytes_as_bytes: bool,
}

/// One CBOR item; containers carry their length (`None`: indefinite).
enum Token<'de> {
    Uint(u64),
    /// `-1 - n`.
    Neg(u64),
    Bytes(Cow<'de, [u8]>),
    Text(Cow<'de, [u8]>),
    Array(Option<usize>),
    Map(Option<usize>),
    Tag(u64),
    Bool(bool),
    Null,
    Float(f64),
}

impl<'de> Reader<'de> {
    pub(crate) fn new(input: &'de [u8]) -> Reader<'de> {
        Reader {
            input,
            depth: 0,
            bytes_as_bytes: false,
        }
    }

    /// A reader for re-encoding into a binary format: byte strings stay bytes.
    pub(crate) fn for_binary(input: &'de [u8]) -> Reader<'de> {
        Reader {
            bytes_as_bytes: true,
            ..Reader::new(input)
        }
    }

    /// Fails unless every byte was read.
    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(Error(format!(
                "{} bytes after the CBOR value",
                self.input.len()
            )))
        }
    }

    fn take(&mut self, n: u64) -> Result<&'de [u8], Error> {
        let n = usize::try_from(n).map_err(|_| eof())?;
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

    /// The argument of a head whose low five bits are `info` (`None`: indefinite).
    fn argument(&mut self, info: u8) -> Result<Option<u64>, Error> {
        Ok(Some(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(
                self.take(2)?.try_into().unwrap_or_default(),
            )),
            26 => u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().unwrap_or_default(),
            )),
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()),
            31 => return Ok(None),
            _ => return Err(Error(format!("reserved CBOR head info {info}"))),
        }))
    }

    /// A count of items, each at least a byte: more than the input holds cannot be.
    fn count(&self, n: u64, per_item: u64) -> Result<usize, Error> {
        match usize::try_from(n.saturating_mul(per_item)) {
            Ok(bytes) if bytes <= self.input.len() => Ok(n as usize),
            _ => Err(eof()),
        }
    }

    /// The chunks of an indefinite-length byte or text string of `major` type, joined.
    fn chunks(&mut self, major: u8) -> Result<Cow<'de, [u8]>, Error> {
        let mut joined = Vec::new();
        loop {
            let first = self.byte()?;
            if first == BREAK {
                return Ok(Cow::Owned(joined));
            }
            if first >> 5 != major {
                return Err(Error("a chunk of another type in a CBOR string".into()));
            }
            let n = self
                .argument(first & 0x1f)?
                .ok_or_else(|| Error("a nested indefinite CBOR string".into()))?;
            joined.extend_from_slice(self.take(n)?);
        }
    }

    fn token(&mut self) -> Result<Token<'de>, Error> {
        let first = self.byte()?;
        let (major, info) = (first >> 5, first & 0x1f);
        if major == 7 {
            return Ok(match info {
                20 => Token::Bool(false),
                21 => Token::Bool(true),
                22 | 23 => Token::Null,
                25 => Token::Float(f16(u16::from_be_bytes(
                    self.take(2)?.try_into().unwrap_or_default(),
                ))),
                26 => Token::Float(f64::from(f32::from_be_bytes(
                    self.take(4)?.try_into().unwrap_or_default(),
                ))),
                27 => Token::Float(f64::from_be_bytes(
                    self.take(8)?.try_into().unwrap_or_default(),
                )),
                31 => return Err(Error("a CBOR break outside an indefinite item".into())),
                n => return Err(Error(format!("CBOR simple value {n} is not known"))),
            });
        }
        let arg = self.argument(info)?;
        Ok(match (major, arg) {
            (0, Some(n)) => Token::Uint(n),
            (1, Some(n)) => Token::Neg(n),
            (2, Some(n)) => Token::Bytes(Cow::Borrowed(self.take(n)?)),
            (2, None) => Token::Bytes(self.chunks(2)?),
            (3, Some(n)) => Token::Text(Cow::Borrowed(self.take(n)?)),
            (3, None) => Token::Text(self.chunks(3)?),
            (4, n) => Token::Array(n.map(|n| self.count(n, 1)).transpose()?),
            (5, n) => Token::Map(n.map(|n| self.count(n, 2)).transpose()?),
            (6, Some(tag)) => Token::Tag(tag),
            _ => {
                return Err(Error(format!(
                    "an indefinite CBOR item of major type {major}"
                )));
            }
        })
    }

    /// Skips one whole value (and what it holds), reading only the heads.
    fn skip(&mut self) -> Result<(), Error> {
        self.skip_at(self.depth + 1)
    }

    fn skip_at(&mut self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error(format!("CBOR nested deeper than {MAX_DEPTH}")));
        }
        let first = self.byte()?;
        let (major, info) = (first >> 5, first & 0x1f);
        if major == 7 {
            return match info {
                20..=23 => Ok(()),
                25 => self.take(2).map(drop),
                26 => self.take(4).map(drop),
                27 => self.take(8).map(drop),
                _ => Err(Error(format!("CBOR simple value {info} is not known"))),
            };
        }
        let arg = self.argument(info)?;
        match (major, arg) {
            (0 | 1, Some(_)) => Ok(()),
            (2 | 3, Some(n)) => self.take(n).map(drop),
            (2 | 3, None) => self.chunks(major).map(drop),
            (4 | 5, Some(n)) => {
                let items = self.count(n, u64::from(major) - 3)? * (usize::from(major) - 3);
                (0..items).try_for_each(|_| self.skip_at(depth + 1))
            }
            (4 | 5, None) => {
                while self.peek()? != BREAK {
                    self.skip_at(depth + 1)?;
                }
                self.byte().map(drop)
            }
            (6, Some(_)) => self.skip_at(depth + 1),
            _ => Err(Error(format!(
                "an indefinite CBOR item of major type {major}"
            ))),
        }
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error(format!("CBOR nested deeper than {MAX_DEPTH}")));
        }
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn visit_token<V: Visitor<'de>>(
        &mut self,
        token: Token<'de>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match token {
            Token::Null => visitor.visit_unit(),
            Token::Bool(b) => visitor.visit_bool(b),
            Token::Uint(v) => visitor.visit_u64(v),
            Token::Neg(n) => match i64::try_from(n) {
                Ok(n) => visitor.visit_i64(-1 - n),
                Err(_) => visitor.visit_f64(-1.0 - n as f64),
            },
            Token::Float(v) => visitor.visit_f64(v),
            Token::Text(Cow::Borrowed(s)) => match std::str::from_utf8(s) {
                Ok(s) => visitor.visit_borrowed_str(s),
                Err(_) => visitor.visit_string(String::from_utf8_lossy(s).into_owned()),
            },
            Token::Text(Cow::Owned(s)) => {
                visitor.visit_string(String::from_utf8_lossy(&s).into_owned())
            }
            Token::Bytes(b) if self.bytes_as_bytes => match b {
                Cow::Borrowed(b) => visitor.visit_borrowed_bytes(b),
                Cow::Owned(b) => visitor.visit_byte_buf(b),
            },
            Token::Bytes(b) => visitor.visit_map(BufferForm::new(&b)),
            Token::Array(len) => self.nested(|r| {
                let mut seq = Entries {
                    reader: r,
                    left: len,
                };
                let value = visitor.visit_seq(&mut seq)?;
                seq.rest(1)?;
                Ok(value)
            }),
            Token::Map(len) => self.nested(|r| {
                let mut map = Entries {
                    reader: r,
                    left: len,
                };
                let value = visitor.visit_map(&mut map)?;
                map.rest(2)?;
                Ok(value)
            }),
            Token::Tag(tag) => self.nested(|r| r.visit_tagged(tag, visitor)),
        }
    }

    /// A tagged value: dates as ISO strings, bignums as numbers, any other tag its value.
    fn visit_tagged<V: Visitor<'de>>(&mut self, tag: u64, visitor: V) -> Result<V::Value, Error> {
        let token = self.token()?;
        match (tag, token) {
            (1, Token::Uint(s)) => {
                visitor.visit_string(iso_date(i64::try_from(s).unwrap_or(i64::MAX), 0))
            }
            (1, Token::Neg(n)) => {
                visitor.visit_string(iso_date(-1 - i64::try_from(n).unwrap_or(i64::MAX - 1), 0))
            }
            (1, Token::Float(s)) if s.is_finite() => {
                let ms = (s * 1000.0).round() as i64;
                visitor.visit_string(iso_date(ms.div_euclid(1000), ms.rem_euclid(1000) as u32))
            }
            (2 | 3, Token::Bytes(b)) => {
                let magnitude = b.iter().fold(0.0_f64, |acc, &d| acc * 256.0 + f64::from(d));
                visitor.visit_f64(if tag == 2 {
                    magnitude
                } else {
                    -1.0 - magnitude
                })
            }
            (_, token) => self.visit_token(token, visitor),
        }
    }
}

/// An IEEE 754 half-precision float.
fn f16(bits: u16) -> f64 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let token = self.token()?;
        self.visit_token(token, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if matches!(self.peek()?, 0xf6 | 0xf7) {
            self.byte()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Bytes(Cow::Borrowed(b)) | Token::Text(Cow::Borrowed(b)) => {
                visitor.visit_borrowed_bytes(b)
            }
            Token::Bytes(Cow::Owned(b)) | Token::Text(Cow::Owned(b)) => visitor.visit_byte_buf(b),
            token => self.visit_token(token, visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    /// A byte string read as a sequence is its bytes (a `Vec<u8>`).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.token()? {
            Token::Bytes(b) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(b.iter().copied()))
            }
            token => self.visit_token(token, visitor),
        }
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
            Token::Text(s) => {
                let s = String::from_utf8(s.into_owned()).map_err(de::Error::custom)?;
                visitor.visit_enum(s.into_deserializer())
            }
            Token::Map(Some(1)) => self.nested(|r| visitor.visit_enum(Variant { reader: r })),
            _ => Err(Error("an enum is a string or a map of one entry".into())),
        }
    }

    fn is_human_readable(&self) -> bool {
        !self.bytes_as_bytes
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

/// The entries of an array or map being read (`left: None`: indefinite, up to a break).
struct Entries<'a, 'de> {
    reader: &'a mut Reader<'de>,
    left: Option<usize>,
}

impl Entries<'_, '_> {
    /// Whether another entry follows (consuming the break of an indefinite item).
    fn more(&mut self) -> Result<bool, Error> {
        match &mut self.left {
            Some(0) => Ok(false),
            Some(n) => {
                *n -= 1;
                Ok(true)
            }
            None if self.reader.peek()? == BREAK => {
                self.reader.byte()?;
                self.left = Some(0);
                Ok(false)
            }
            None => Ok(true),
        }
    }

    /// Skips the entries the visitor left unread (`per_entry` values each).
    fn rest(&mut self, per_entry: usize) -> Result<(), Error> {
        while self.more()? {
            for _ in 0..per_entry {
                self.reader.skip()?;
            }
        }
        Ok(())
    }
}

impl<'de> de::SeqAccess<'de> for Entries<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        self.left.map(|n| n.min(4096))
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(MapKey(&mut *self.reader)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }
    fn size_hint(&self) -> Option<usize> {
        self.left.map(|n| n.min(4096))
    }
}

/// A map key: a JS object's keys are strings, so a number key reads as its text.
struct MapKey<'a, 'de>(&'a mut Reader<'de>);

impl<'de> de::Deserializer<'de> for MapKey<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.token()? {
            Token::Uint(n) => visitor.visit_string(n.to_string()),
            Token::Neg(n) => visitor.visit_string((-1 - i128::from(n)).to_string()),
            token => self.0.visit_token(token, visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
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

    fn read(hex: &str) -> Result<Value, Error> {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        from_slice(&bytes)
    }

    #[test]
    fn every_form_reads() {
        // cbor-x's 16-bit map head, a small map head, an indefinite map and array.
        assert_eq!(read("b90001616101").unwrap(), json!({"a": 1}));
        assert_eq!(read("a16161f7").unwrap(), json!({"a": null}));
        assert_eq!(read("bf61619f0102ffff").unwrap(), json!({"a": [1, 2]}));
        // Half, single and double floats; a 64-bit integer; a number key.
        assert_eq!(read("f93e00").unwrap(), json!(1.5));
        assert_eq!(read("fa3f000000").unwrap(), json!(0.5));
        assert_eq!(
            read("1b0000000100000000").unwrap(),
            json!(4_294_967_296_u64)
        );
        assert_eq!(read("a10102").unwrap(), json!({"1": 2}));
        // Dates (tag 1, whole and fractional seconds), a byte string, chunked text.
        assert_eq!(
            read("c11a65920080").unwrap(),
            json!("2024-01-01T00:00:00.000Z")
        );
        assert_eq!(
            read("c1fb41d964802007df3b").unwrap(),
            json!("2024-01-01T00:00:00.123Z")
        );
        assert_eq!(
            read("420102").unwrap(),
            json!({"type": "Buffer", "data": [1, 2]})
        );
        assert_eq!(read("7f6161626262ff").unwrap(), json!("abb"));
    }

    #[test]
    fn damaged_bytes_are_errors_not_allocations() {
        for bad in [
            "9bffffffffffffffff",
            "7bffffffffffffffff61",
            "8201",
            "ff",
            "bf6161",
            "1c",
            "f8ff",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        assert!(read(&"81".repeat(200)).is_err());
        assert!(read(&"c1".repeat(200)).is_err());
    }
}
