//! Reading JSONExt: a serde deserializer adapter over the JSON one that turns Node's tagged
//! strings back into values as Node's JSON would show them, at any depth. Map keys are left
//! as they are (Node tags values only).
//!
//! | tag | Node's value | read as |
//! |---|---|---|
//! | `[[BI]]123` | BigInt | the integer (a float beyond 64 bits) |
//! | `[[DT]]<ms>` | Date | its ISO string |
//! | `[[MP]]<JSONExt>` | Map | the object |
//! | `[[ST]]<JSONExt>` | Set | the array |
//! | `[[BF]]<base64>` | Buffer | `{"type":"Buffer","data":[…]}` |
//! | `[[RE]]<flags>\|<source>` | RegExp | `/source/flags` |
//! | `[[ES]]<text>` | a string that began with `[[` | the string |
//!
//! Any other `[[…]]` prefix (a custom type of Node's `customs`) is left as the string.

use std::fmt;

use base64::Engine;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::serializer::js_forms::{BufferForm, iso_date};

/// serde_json's name for a raw value: passed through untouched (a payload set aside).
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// A deserializer whose strings are revived.
pub(crate) struct Revive<D>(pub(crate) D);

/// A visitor whose strings, and those of everything it holds, are revived.
struct ReviveVisitor<V>(V);

/// A seed read through [`Revive`].
struct ReviveSeed<S>(S);

/// A sequence or map whose values are read through [`Revive`].
struct ReviveAccess<A>(A);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ReviveSeed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Revive(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for ReviveAccess<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(ReviveSeed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ReviveAccess<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(ReviveSeed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

macro_rules! forward {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(ReviveVisitor(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Revive<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, ReviveVisitor(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == RAW_VALUE {
            return self.0.deserialize_newtype_struct(name, visitor);
        }
        self.0
            .deserialize_newtype_struct(name, ReviveVisitor(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, ReviveVisitor(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_tuple_struct(name, len, ReviveVisitor(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, ReviveVisitor(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        // Variant names are not tagged; their contents are read as they are.
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The tag and value of a string Node's reviver turns into something else.
fn tagged(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("[[")?;
    let tag = rest.get(..2)?;
    if rest.get(2..4)? != "]]" {
        return None;
    }
    matches!(tag, "ES" | "BI" | "DT" | "MP" | "ST" | "BF" | "RE").then(|| (tag, &rest[4..]))
}

/// The value of the tagged string `text` (tag `tag`, value `value`), given to `visitor`.
fn revive<'de, V: Visitor<'de>, E: de::Error>(
    visitor: V,
    tag: &str,
    value: &str,
    text: &str,
) -> Result<V::Value, E> {
    match tag {
        "ES" => visitor.visit_str(value),
        "BI" => match (
            value.parse::<i64>(),
            value.parse::<u64>(),
            value.parse::<f64>(),
        ) {
            (Ok(n), _, _) => visitor.visit_i64(n),
            (_, Ok(n), _) => visitor.visit_u64(n),
            (_, _, Ok(n)) => visitor.visit_f64(n),
            _ => Err(E::custom(format!("`{text}` is not a BigInt"))),
        },
        "DT" => {
            let ms = value
                .parse::<f64>()
                .map_err(|_| E::custom(format!("`{text}` is not a Date")))?
                as i64;
            visitor.visit_string(iso_date(ms.div_euclid(1000), ms.rem_euclid(1000) as u32))
        }
        "MP" | "ST" => {
            // Read from the text as a reader: nothing borrowed, so any visitor takes it.
            let mut inner = serde_json::Deserializer::from_reader(value.as_bytes());
            Revive(&mut inner)
                .deserialize_any(visitor)
                .map_err(E::custom)
        }
        "BF" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_err(|err| E::custom(format!("a Buffer's base64: {err}")))?;
            visitor.visit_map(BufferForm::<E>::new(&bytes))
        }
        _ => {
            let (flags, source) = value.split_once('|').unwrap_or(("", value));
            visitor.visit_string(format!("/{source}/{flags}"))
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ReviveVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<V::Value, E> {
        self.0.visit_i128(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<V::Value, E> {
        self.0.visit_u128(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match tagged(v) {
            Some((tag, value)) => revive(self.0, tag, value, v),
            None => self.0.visit_str(v),
        }
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        match tagged(v) {
            Some((tag, value)) => revive(self.0, tag, value, v),
            None => self.0.visit_borrowed_str(v),
        }
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        match tagged(&v) {
            Some((tag, value)) => revive(self.0, tag, value, &v),
            None => self.0.visit_string(v),
        }
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.0.visit_bytes(v)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Revive(d))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Revive(d))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(ReviveAccess(seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(ReviveAccess(map))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }
}
