//! A form to Thrift binary: a struct's fields get ids 1, 2, 3… in order; `None` fields are
//! left out, as Node's generated `write` leaves out `null` ones.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeSeq, SerializeStruct};
use thrift::protocol::{
    TBinaryOutputProtocol, TFieldIdentifier, TListIdentifier, TOutputProtocol, TStructIdentifier,
    TType,
};

use super::Codec;
use crate::serializer::codec_error::CodecError;

type Out<'a> = TBinaryOutputProtocol<&'a mut Vec<u8>>;

/// The Thrift bytes of a form (a struct).
pub(super) fn to_vec<T: Serialize>(form: &T) -> Result<Vec<u8>, CodecError> {
    let mut bytes = Vec::with_capacity(256);
    let mut out = TBinaryOutputProtocol::new(&mut bytes, true);
    form.serialize(Value {
        out: &mut out,
        id: None,
    })?;
    Ok(bytes)
}

/// A value to write: a field's (whose header is written with the value, so that `None`
/// writes nothing), or the top-level struct (`id: None`).
struct Value<'o, 'a> {
    out: &'o mut Out<'a>,
    id: Option<i16>,
}

impl Value<'_, '_> {
    fn header(&mut self, field_type: TType) -> Result<(), CodecError> {
        if let Some(id) = self.id {
            self.out
                .write_field_begin(&TFieldIdentifier {
                    name: None,
                    field_type,
                    id: Some(id),
                })
                .codec()?;
        }
        Ok(())
    }

    fn unsupported(what: &str) -> CodecError {
        CodecError(format!("{what} is not in the Thrift packet schemas"))
    }
}

/// A struct being written: the id of its next field.
struct Fields<'o, 'a> {
    out: &'o mut Out<'a>,
    next_id: i16,
}

impl SerializeStruct for Fields<'_, '_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        let id = self.next_id;
        self.next_id += 1;
        value.serialize(Value {
            out: self.out,
            id: Some(id),
        })
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), CodecError> {
        self.next_id += 1;
        Ok(())
    }

    fn end(self) -> Result<(), CodecError> {
        self.out.write_field_stop().codec()?;
        self.out.write_struct_end().codec()?;
        Ok(())
    }
}

/// A `list<string>` being written.
struct Strings<'o, 'a> {
    out: &'o mut Out<'a>,
}

impl SerializeSeq for Strings<'_, '_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CodecError> {
        // Elements have no field header.
        value.serialize(Value {
            out: self.out,
            id: None,
        })
    }

    fn end(self) -> Result<(), CodecError> {
        self.out.write_list_end().codec()?;
        Ok(())
    }
}

impl<'o, 'a> ser::Serializer for Value<'o, 'a> {
    type Ok = ();
    type Error = CodecError;
    type SerializeSeq = Strings<'o, 'a>;
    type SerializeTuple = Impossible<(), CodecError>;
    type SerializeTupleStruct = Impossible<(), CodecError>;
    type SerializeTupleVariant = Impossible<(), CodecError>;
    type SerializeMap = Impossible<(), CodecError>;
    type SerializeStruct = Fields<'o, 'a>;
    type SerializeStructVariant = Impossible<(), CodecError>;

    fn serialize_none(self) -> Result<(), CodecError> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), CodecError> {
        value.serialize(self)
    }

    fn serialize_bool(mut self, v: bool) -> Result<(), CodecError> {
        self.header(TType::Bool)?;
        self.out.write_bool(v).codec()
    }

    fn serialize_i32(mut self, v: i32) -> Result<(), CodecError> {
        self.header(TType::I32)?;
        self.out.write_i32(v).codec()
    }

    fn serialize_i64(mut self, v: i64) -> Result<(), CodecError> {
        self.header(TType::I64)?;
        self.out.write_i64(v).codec()
    }

    fn serialize_f64(mut self, v: f64) -> Result<(), CodecError> {
        self.header(TType::Double)?;
        self.out.write_double(v).codec()
    }

    fn serialize_str(mut self, v: &str) -> Result<(), CodecError> {
        self.header(TType::String)?;
        self.out.write_string(v).codec()
    }

    fn serialize_bytes(mut self, v: &[u8]) -> Result<(), CodecError> {
        // `binary` is a `string` on the wire.
        self.header(TType::String)?;
        self.out.write_bytes(v).codec()
    }

    fn serialize_seq(mut self, len: Option<usize>) -> Result<Strings<'o, 'a>, CodecError> {
        let len = len.ok_or_else(|| Value::unsupported("a list of unknown length"))?;
        let size = i32::try_from(len).map_err(|_| Value::unsupported("a list this long"))?;
        self.header(TType::List)?;
        // The schemas' only lists are `list<string>` (`groups`, `ipList`).
        self.out
            .write_list_begin(&TListIdentifier {
                element_type: TType::String,
                size,
            })
            .codec()?;
        Ok(Strings { out: self.out })
    }

    fn serialize_struct(
        mut self,
        name: &'static str,
        _: usize,
    ) -> Result<Fields<'o, 'a>, CodecError> {
        self.header(TType::Struct)?;
        self.out
            .write_struct_begin(&TStructIdentifier {
                name: name.to_owned(),
            })
            .codec()?;
        Ok(Fields {
            out: self.out,
            next_id: 1,
        })
    }

    fn serialize_i8(self, _: i8) -> Result<(), CodecError> {
        Err(Value::unsupported("an i8"))
    }
    fn serialize_i16(self, _: i16) -> Result<(), CodecError> {
        Err(Value::unsupported("an i16"))
    }
    fn serialize_u8(self, _: u8) -> Result<(), CodecError> {
        Err(Value::unsupported("a u8"))
    }
    fn serialize_u16(self, _: u16) -> Result<(), CodecError> {
        Err(Value::unsupported("a u16"))
    }
    fn serialize_u32(self, _: u32) -> Result<(), CodecError> {
        Err(Value::unsupported("a u32"))
    }
    fn serialize_u64(self, _: u64) -> Result<(), CodecError> {
        Err(Value::unsupported("a u64"))
    }
    fn serialize_f32(self, _: f32) -> Result<(), CodecError> {
        Err(Value::unsupported("an f32"))
    }
    fn serialize_char(self, _: char) -> Result<(), CodecError> {
        Err(Value::unsupported("a char"))
    }
    fn serialize_unit(self) -> Result<(), CodecError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CodecError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), CodecError> {
        Err(Value::unsupported("an enum"))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CodecError> {
        Err(Value::unsupported("an enum"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CodecError> {
        Err(Value::unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CodecError> {
        Err(Value::unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CodecError> {
        Err(Value::unsupported("an enum"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CodecError> {
        Err(Value::unsupported("a map"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CodecError> {
        Err(Value::unsupported("an enum"))
    }
}
