//! A form to an Avro datum of its record: the fields in the record's order, a `["null", T]`
//! field as its branch index then the value, a plain field as the value alone (a `None`
//! there is an error, as avsc refuses a missing required field).

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeSeq, SerializeStruct};

use super::records::{Field, Type};
use crate::serializer::codec_error::CodecError;

/// The datum of `form` as `record`.
pub(super) fn to_vec<T: Serialize>(
    form: &T,
    record: &'static [Field],
) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(256);
    form.serialize(Value {
        out: &mut out,
        ty: Type::Record(record),
        nullable: false,
        name: "packet",
    })?;
    Ok(out)
}

/// Avro's `long` (and `int`): zigzag, then base-128 varint.
pub(super) fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A value to write as `ty`; `nullable` for a `["null", ty]` field.
struct Value<'o> {
    out: &'o mut Vec<u8>,
    ty: Type,
    nullable: bool,
    name: &'static str,
}

impl Value<'_> {
    /// Checks that the record has `ty` here and writes the union branch of a present value.
    fn begin(&mut self, ty: Type) -> Result<(), CodecError> {
        if self.ty != ty {
            return Err(CodecError(format!(
                "`{}` is {:?} in the record, not {ty:?}",
                self.name, self.ty
            )));
        }
        if self.nullable {
            write_long(self.out, 1);
        }
        Ok(())
    }

    fn bytes(mut self, ty: Type, bytes: &[u8]) -> Result<(), CodecError> {
        self.begin(ty)?;
        write_long(self.out, bytes.len() as i64);
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn absent(self) -> Result<(), CodecError> {
        if self.nullable {
            write_long(self.out, 0);
            Ok(())
        } else {
            Err(CodecError(format!("`{}` is required", self.name)))
        }
    }

    fn unsupported(&self, what: &str) -> CodecError {
        CodecError(format!(
            "`{}`: {what} is not in the Avro records",
            self.name
        ))
    }
}

/// A record being written: the index of its next field.
struct Fields<'o> {
    out: &'o mut Vec<u8>,
    fields: &'static [Field],
    next: usize,
}

impl Fields<'_> {
    fn field(&mut self, key: &'static str) -> Result<Field, CodecError> {
        match self.fields.get(self.next) {
            Some(field) if field.name == key => {
                self.next += 1;
                Ok(*field)
            }
            other => Err(CodecError(format!(
                "`{key}` where the record has {:?}",
                other.map(|f| f.name)
            ))),
        }
    }
}

impl SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        let field = self.field(key)?;
        value.serialize(Value {
            out: self.out,
            ty: field.ty,
            nullable: field.nullable,
            name: field.name,
        })
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), CodecError> {
        let field = self.field(key)?;
        Value {
            out: self.out,
            ty: field.ty,
            nullable: field.nullable,
            name: field.name,
        }
        .absent()
    }

    fn end(self) -> Result<(), CodecError> {
        match self.fields.get(self.next) {
            None => Ok(()),
            Some(field) => Err(CodecError(format!("`{}` is missing", field.name))),
        }
    }
}

/// The strings of an array being written, in one block.
struct Strings<'o> {
    out: &'o mut Vec<u8>,
    name: &'static str,
}

impl SerializeSeq for Strings<'_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CodecError> {
        value.serialize(Value {
            out: self.out,
            ty: Type::String,
            nullable: false,
            name: self.name,
        })
    }

    fn end(self) -> Result<(), CodecError> {
        // The block that ends the array.
        write_long(self.out, 0);
        Ok(())
    }
}

impl<'o> ser::Serializer for Value<'o> {
    type Ok = ();
    type Error = CodecError;
    type SerializeSeq = Strings<'o>;
    type SerializeTuple = Impossible<(), CodecError>;
    type SerializeTupleStruct = Impossible<(), CodecError>;
    type SerializeTupleVariant = Impossible<(), CodecError>;
    type SerializeMap = Impossible<(), CodecError>;
    type SerializeStruct = Fields<'o>;
    type SerializeStructVariant = Impossible<(), CodecError>;

    fn serialize_none(self) -> Result<(), CodecError> {
        self.absent()
    }

    fn serialize_unit(self) -> Result<(), CodecError> {
        self.absent()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), CodecError> {
        value.serialize(self)
    }

    fn serialize_bool(mut self, v: bool) -> Result<(), CodecError> {
        self.begin(Type::Boolean)?;
        self.out.push(u8::from(v));
        Ok(())
    }

    fn serialize_i32(mut self, v: i32) -> Result<(), CodecError> {
        let ty = if self.ty == Type::Long {
            Type::Long
        } else {
            Type::Int
        };
        self.begin(ty)?;
        write_long(self.out, i64::from(v));
        Ok(())
    }

    fn serialize_i64(mut self, v: i64) -> Result<(), CodecError> {
        self.begin(Type::Long)?;
        write_long(self.out, v);
        Ok(())
    }

    fn serialize_f64(mut self, v: f64) -> Result<(), CodecError> {
        self.begin(Type::Double)?;
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), CodecError> {
        self.bytes(Type::String, v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), CodecError> {
        self.bytes(Type::Bytes, v)
    }

    fn serialize_seq(mut self, len: Option<usize>) -> Result<Strings<'o>, CodecError> {
        let len = len.ok_or_else(|| self.unsupported("a list of unknown length"))?;
        self.begin(Type::Strings)?;
        if len > 0 {
            write_long(self.out, len as i64);
        }
        Ok(Strings {
            out: self.out,
            name: self.name,
        })
    }

    fn serialize_struct(mut self, _: &'static str, _: usize) -> Result<Fields<'o>, CodecError> {
        let Type::Record(fields) = self.ty else {
            return Err(self.unsupported("a record"));
        };
        self.begin(self.ty)?;
        Ok(Fields {
            out: self.out,
            fields,
            next: 0,
        })
    }

    fn serialize_i8(self, _: i8) -> Result<(), CodecError> {
        Err(self.unsupported("an i8"))
    }
    fn serialize_i16(self, _: i16) -> Result<(), CodecError> {
        Err(self.unsupported("an i16"))
    }
    fn serialize_u8(self, _: u8) -> Result<(), CodecError> {
        Err(self.unsupported("a u8"))
    }
    fn serialize_u16(self, _: u16) -> Result<(), CodecError> {
        Err(self.unsupported("a u16"))
    }
    fn serialize_u32(self, _: u32) -> Result<(), CodecError> {
        Err(self.unsupported("a u32"))
    }
    fn serialize_u64(self, _: u64) -> Result<(), CodecError> {
        Err(self.unsupported("a u64"))
    }
    fn serialize_f32(self, _: f32) -> Result<(), CodecError> {
        Err(self.unsupported("an f32"))
    }
    fn serialize_char(self, _: char) -> Result<(), CodecError> {
        Err(self.unsupported("a char"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CodecError> {
        self.absent()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), CodecError> {
        Err(self.unsupported("an enum"))
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
        Err(self.unsupported("an enum"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CodecError> {
        Err(self.unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CodecError> {
        Err(self.unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CodecError> {
        Err(self.unsupported("an enum"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CodecError> {
        Err(self.unsupported("a map"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CodecError> {
        Err(self.unsupported("an enum"))
    }
}
