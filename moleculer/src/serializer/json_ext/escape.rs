//! Writing JSONExt: a serde serializer adapter over the JSON one that tags what Node's
//! replacer tags, at any depth: a string that begins with `[[` is escaped (`[[ES]]`), bytes
//! are a Buffer (`[[BF]]<base64>`), an integer no JavaScript number holds exactly is a
//! BigInt (`[[BI]]<digits>`). Map keys are left as they are (Node tags values only).
//!
//! A payload received as JSONExt is written back as it came: under the `RAW_PAYLOAD` name the
//! adapter passes values through untagged, and says it is not human-readable so that the
//! payload is read without reviving (see `Payload`'s binary forms).

use base64::Engine;
use serde::ser::{self, Serialize, Serializer};

use crate::serializer::RAW_PAYLOAD;

/// The largest integer a JS number holds exactly.
const MAX_SAFE: i128 = 9_007_199_254_740_991;

/// `value`, written through [`Escape`].
pub(crate) struct Escaped<'a, T: ?Sized> {
    pub(crate) value: &'a T,
    pub(crate) passthrough: bool,
}

impl<T: Serialize + ?Sized> Serialize for Escaped<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Escape {
            inner: serializer,
            passthrough: self.passthrough,
        })
    }
}

/// A serializer that tags values as Node's JSONExt replacer does (none in `passthrough`).
struct Escape<S> {
    inner: S,
    passthrough: bool,
}

/// A compound whose values are written through [`Escape`].
struct EscapeCompound<C> {
    inner: C,
    passthrough: bool,
}

impl<C> EscapeCompound<C> {
    fn wrap<'a, T: ?Sized>(&self, value: &'a T) -> Escaped<'a, T> {
        Escaped {
            value,
            passthrough: self.passthrough,
        }
    }
}

impl<S: Serializer> Escape<S> {
    fn wrap<'a, T: ?Sized>(&self, value: &'a T) -> Escaped<'a, T> {
        Escaped {
            value,
            passthrough: self.passthrough,
        }
    }

    fn int(self, v: i128) -> Result<S::Ok, S::Error> {
        if self.passthrough || (-MAX_SAFE..=MAX_SAFE).contains(&v) {
            match i64::try_from(v) {
                Ok(v) => self.inner.serialize_i64(v),
                Err(_) => match u64::try_from(v) {
                    Ok(v) => self.inner.serialize_u64(v),
                    Err(_) => self.inner.serialize_i128(v),
                },
            }
        } else {
            self.inner.serialize_str(&format!("[[BI]]{v}"))
        }
    }
}

impl<S: Serializer> Serializer for Escape<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = EscapeCompound<S::SerializeSeq>;
    type SerializeTuple = EscapeCompound<S::SerializeTuple>;
    type SerializeTupleStruct = EscapeCompound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = EscapeCompound<S::SerializeTupleVariant>;
    type SerializeMap = EscapeCompound<S::SerializeMap>;
    type SerializeStruct = EscapeCompound<S::SerializeStruct>;
    type SerializeStructVariant = EscapeCompound<S::SerializeStructVariant>;

    fn is_human_readable(&self) -> bool {
        !self.passthrough
    }

    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_i32(v)
    }
    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        self.int(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_u32(v)
    }
    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        self.int(v.into())
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        match i128::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) if self.passthrough => self.inner.serialize_u128(v),
            Err(_) => self.inner.serialize_str(&format!("[[BI]]{v}")),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        self.inner.serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.inner.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        if !self.passthrough && v.starts_with("[[") {
            return self.inner.serialize_str(&format!("[[ES]]{v}"));
        }
        self.inner.serialize_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        if self.passthrough {
            return self.inner.serialize_bytes(v);
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(v);
        self.inner.serialize_str(&format!("[[BF]]{b64}"))
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let value = self.wrap(value);
        self.inner.serialize_some(&value)
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        if name == RAW_PAYLOAD {
            return value.serialize(Escape {
                inner: self.inner,
                passthrough: true,
            });
        }
        let value = self.wrap(value);
        self.inner.serialize_newtype_struct(name, &value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let value = self.wrap(value);
        self.inner
            .serialize_newtype_variant(name, index, variant, &value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self.inner.serialize_seq(len)?,
            passthrough,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self.inner.serialize_tuple(len)?,
            passthrough,
        })
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            passthrough,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            passthrough,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self.inner.serialize_map(len)?,
            passthrough,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self.inner.serialize_struct(name, len)?,
            passthrough,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let passthrough = self.passthrough;
        Ok(EscapeCompound {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            passthrough,
        })
    }
}

impl<C: ser::SerializeSeq> ser::SerializeSeq for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_element(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTuple> ser::SerializeTuple for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_element(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleStruct> ser::SerializeTupleStruct for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_field(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeTupleVariant> ser::SerializeTupleVariant for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_field(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeMap> ser::SerializeMap for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_value(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStruct> ser::SerializeStruct for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_field(key, &value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: ser::SerializeStructVariant> ser::SerializeStructVariant for EscapeCompound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        let value = self.wrap(value);
        self.inner.serialize_field(key, &value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}
