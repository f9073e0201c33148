//! An Avro datum of a record to a form: the record's fields in order; a `["null", T]` field
//! whose branch is `null` is left out (the form's `None`). Every length is checked against
//! the bytes left before anything is read or allocated for it.

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::records::{Field, Type};
use crate::serializer::codec_error::CodecError;

/// The form that `bytes`, a datum of `record`, hold; trailing bytes are refused, as avsc's
/// `fromBuffer` refuses them.
pub(super) fn from_slice<T: DeserializeOwned>(
    bytes: &[u8],
    record: &'static [Field],
) -> Result<T, CodecError> {
    let mut input = Input { rest: bytes };
    let form = T::deserialize(Value {
        input: &mut input,
        ty: Type::Record(record),
    })?;
    if input.rest.is_empty() {
        Ok(form)
    } else {
        Err(CodecError(format!("{} trailing bytes", input.rest.len())))
    }
}

/// The bytes not read yet.
struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    fn long(&mut self) -> Result<i64, CodecError> {
        let mut n: u64 = 0;
        for (i, &byte) in self.rest.iter().enumerate().take(10) {
            n |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(((n >> 1) as i64) ^ -((n & 1) as i64));
            }
        }
        Err(CodecError("a truncated or overlong varint".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.rest.len() {
            return Err(CodecError(format!(
                "a length of {n} with {} bytes left",
                self.rest.len()
            )));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// A `string`'s or `bytes`' content.
    fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.long()?;
        let len = usize::try_from(len).map_err(|_| CodecError(format!("a length of {len}")))?;
        self.take(len)
    }
}

/// A value of type `ty` to read.
struct Value<'i, 'a> {
    input: &'i mut Input<'a>,
    ty: Type,
}

impl<'de> de::Deserializer<'de> for Value<'_, '_> {
    type Error = CodecError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        match self.ty {
            Type::String => {
                let text = std::str::from_utf8(self.input.bytes()?)
                    .map_err(|err| CodecError(format!("a string that is not UTF-8: {err}")))?;
                visitor.visit_str(text)
            }
            Type::Bytes => visitor.visit_bytes(self.input.bytes()?),
            Type::Int => {
                let n = self.input.long()?;
                let n = i32::try_from(n).map_err(|_| CodecError(format!("an int of {n}")))?;
                visitor.visit_i32(n)
            }
            Type::Long => visitor.visit_i64(self.input.long()?),
            Type::Double => {
                let bytes = self.input.take(8)?;
                let bytes: [u8; 8] = bytes.try_into().expect("8 bytes were taken");
                visitor.visit_f64(f64::from_le_bytes(bytes))
            }
            Type::Boolean => visitor.visit_bool(self.input.take(1)?[0] != 0),
            Type::Strings => visitor.visit_seq(Blocks {
                input: self.input,
                left: 0,
            }),
            Type::Record(fields) => visitor.visit_map(Fields {
                input: self.input,
                fields,
                pending: Type::String,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        // A `null` branch never reaches a value: the field is left out.
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The fields of a record being read; `pending` is the type of the field whose value comes
/// next.
struct Fields<'i, 'a> {
    input: &'i mut Input<'a>,
    fields: &'static [Field],
    pending: Type,
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = CodecError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, CodecError> {
        while let Some((field, rest)) = self.fields.split_first() {
            self.fields = rest;
            if field.nullable {
                match self.input.long()? {
                    0 => continue,
                    1 => {}
                    other => {
                        return Err(CodecError(format!(
                            "`{}`: union branch {other} of 2",
                            field.name
                        )));
                    }
                }
            }
            self.pending = field.ty;
            let key: StrDeserializer<'_, CodecError> = field.name.into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, CodecError> {
        seed.deserialize(Value {
            input: &mut *self.input,
            ty: self.pending,
        })
    }
}

/// The strings of an array being read, block by block; `left` in the current block.
struct Blocks<'i, 'a> {
    input: &'i mut Input<'a>,
    left: u64,
}

impl<'de> SeqAccess<'de> for Blocks<'_, '_> {
    type Error = CodecError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, CodecError> {
        while self.left == 0 {
            let count = self.input.long()?;
            if count == 0 {
                return Ok(None);
            }
            if count < 0 {
                // A negative count is followed by the block's size in bytes.
                self.input.long()?;
            }
            let count = count.unsigned_abs();
            // Every string takes at least its length byte.
            if count > self.input.rest.len() as u64 {
                return Err(CodecError(format!(
                    "a block of {count} strings with {} bytes left",
                    self.input.rest.len()
                )));
            }
            self.left = count;
        }
        self.left -= 1;
        seed.deserialize(Value {
            input: &mut *self.input,
            ty: Type::String,
        })
        .map(Some)
    }
}
