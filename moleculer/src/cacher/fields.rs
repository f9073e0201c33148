//! The values of some top-level fields of typed params, read through their `Serialize`
//! without turning the whole params into JSON: what a cache key of plain `keys` (`["id",
//! "limit"]`) needs of a typed call.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

/// The values of `names` in `params`, in that order (`None`: no such field), or `None` when
/// `params` is not a struct or a map with string keys.
pub(crate) fn pick(
    params: &dyn erased_serde::Serialize,
    names: &[String],
) -> Option<Vec<Option<Value>>> {
    let mut picker = Picker {
        names,
        found: vec![None; names.len()],
    };
    erased_serde::serialize(params, &mut picker).ok()?;
    Some(picker.found)
}

struct Picker<'n> {
    names: &'n [String],
    found: Vec<Option<Value>>,
}

impl Picker<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), NotFields> {
        if let Some(at) = self.names.iter().position(|n| n == name) {
            self.found[at] = Some(serde_json::to_value(value).map_err(|_| NotFields)?);
        }
        Ok(())
    }
}

/// The params are not fields with names (or a value does not become JSON).
#[derive(Debug)]
struct NotFields;

impl std::fmt::Display for NotFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not fields with names")
    }
}

impl std::error::Error for NotFields {}

impl ser::Error for NotFields {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        NotFields
    }
}

macro_rules! not_fields {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), NotFields> { Err(NotFields) })*
    };
}

impl<'a, 'n> ser::Serializer for &'a mut Picker<'n> {
    type Ok = ();
    type Error = NotFields;
    type SerializeSeq = Impossible<(), NotFields>;
    type SerializeTuple = Impossible<(), NotFields>;
    type SerializeTupleStruct = Impossible<(), NotFields>;
    type SerializeTupleVariant = Impossible<(), NotFields>;
    type SerializeMap = MapPicker<'a, 'n>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotFields>;

    not_fields!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotFields> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), NotFields> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), NotFields> {
        Err(NotFields)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotFields> {
        Err(NotFields)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotFields> {
        Ok(MapPicker {
            picker: self,
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, NotFields> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotFields> {
        Err(NotFields)
    }
}

impl ser::SerializeStruct for &mut Picker<'_> {
    type Ok = ();
    type Error = NotFields;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NotFields> {
        self.field(name, value)
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

/// A map's entries, each key read as a string (a key that is not one ends the picking).
struct MapPicker<'a, 'n> {
    picker: &'a mut Picker<'n>,
    key: Option<String>,
}

impl ser::SerializeMap for MapPicker<'_, '_> {
    type Ok = ();
    type Error = NotFields;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotFields> {
        match serde_json::to_value(key) {
            Ok(Value::String(key)) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(NotFields),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotFields> {
        let key = self.key.take().ok_or(NotFields)?;
        self.picker.field(&key, value)
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    struct Find {
        id: u32,
        #[serde(rename = "tenantId")]
        tenant: Option<String>,
        tags: Vec<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    }

    #[test]
    fn picks_fields_by_their_serialized_names() {
        let find = Find {
            id: 5,
            tenant: None,
            tags: vec!["a"],
            limit: None,
        };
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let picked = pick(&find, &names(&["tags", "tenantId", "limit", "id"])).unwrap();
        assert_eq!(
            picked,
            [Some(json!(["a"])), Some(Value::Null), None, Some(json!(5))]
        );
        let map = BTreeMap::from([("x", 1)]);
        assert_eq!(pick(&map, &names(&["x"])).unwrap(), [Some(json!(1))]);
        assert!(pick(&5, &names(&["x"])).is_none(), "not fields");
        assert!(pick(&vec![1], &names(&["x"])).is_none());
    }
}
