//! Thrift binary to a form: field id `n` is the form's `n`-th field; fields the form does
//! not have are skipped, as Node's generated `read` skips them.

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use thrift::TConfiguration;
use thrift::protocol::{TBinaryInputProtocol, TInputProtocol, TType};

use super::Codec;
use crate::serializer::codec_error::CodecError;

type In<'a> = TBinaryInputProtocol<&'a [u8]>;

/// The form (a struct) that `bytes` hold.
pub(super) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    // No string or list can be longer than the packet: a bigger length is refused before
    // anything is allocated for it.
    let config = TConfiguration::builder()
        .max_string_size(Some(bytes.len()))
        .max_container_size(Some(bytes.len()))
        .build()
        .codec()?;
    let mut input = TBinaryInputProtocol::with_config(bytes, true, config);
    T::deserialize(Value {
        input: &mut input,
        ty: TType::Struct,
    })
}

/// A value of wire type `ty` to read.
struct Value<'i, 'a> {
    input: &'i mut In<'a>,
    ty: TType,
}

impl<'de> de::Deserializer<'de> for Value<'_, '_> {
    type Error = CodecError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        match self.ty {
            TType::Bool => visitor.visit_bool(self.input.read_bool().codec()?),
            TType::I08 => visitor.visit_i8(self.input.read_i8().codec()?),
            TType::I16 => visitor.visit_i16(self.input.read_i16().codec()?),
            TType::I32 => visitor.visit_i32(self.input.read_i32().codec()?),
            TType::I64 => visitor.visit_i64(self.input.read_i64().codec()?),
            TType::Double => visitor.visit_f64(self.input.read_double().codec()?),
            TType::String => visitor.visit_byte_buf(self.input.read_bytes().codec()?),
            TType::List => {
                let list = self.input.read_list_begin().codec()?;
                let value = visitor.visit_seq(Elements {
                    input: &mut *self.input,
                    ty: list.element_type,
                    left: list.size,
                })?;
                self.input.read_list_end().codec()?;
                Ok(value)
            }
            other => Err(CodecError(format!(
                "a {other:?} where the packet schema has none"
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        // A field that is on the wire is present.
        visitor.visit_some(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        if self.ty != TType::Struct {
            return Err(CodecError(format!(
                "a {:?} where a struct belongs",
                self.ty
            )));
        }
        self.input.read_struct_begin().codec()?;
        let value = visitor.visit_map(Fields {
            input: &mut *self.input,
            fields,
            pending: TType::Stop,
        })?;
        self.input.read_struct_end().codec()?;
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The fields of a struct being read; `pending` is the wire type of the field whose value
/// comes next.
struct Fields<'i, 'a> {
    input: &'i mut In<'a>,
    fields: &'static [&'static str],
    pending: TType,
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = CodecError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, CodecError> {
        loop {
            let field = self.input.read_field_begin().codec()?;
            if field.field_type == TType::Stop {
                return Ok(None);
            }
            let name = field
                .id
                .and_then(|id| usize::try_from(id).ok())
                .and_then(|id| id.checked_sub(1))
                .and_then(|index| self.fields.get(index));
            match name {
                Some(name) => {
                    self.pending = field.field_type;
                    let key: StrDeserializer<'_, CodecError> = name.into_deserializer();
                    return seed.deserialize(key).map(Some);
                }
                None => {
                    self.input.skip(field.field_type).codec()?;
                    self.input.read_field_end().codec()?;
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, CodecError> {
        let value = seed.deserialize(Value {
            input: &mut *self.input,
            ty: self.pending,
        })?;
        self.input.read_field_end().codec()?;
        Ok(value)
    }
}

/// The elements of a list being read.
struct Elements<'i, 'a> {
    input: &'i mut In<'a>,
    ty: TType,
    left: i32,
}

impl<'de> SeqAccess<'de> for Elements<'_, '_> {
    type Error = CodecError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, CodecError> {
        if self.left <= 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(Value {
            input: &mut *self.input,
            ty: self.ty,
        })
        .map(Some)
    }
}
