//! The value that travels in a call or an event: params, results and event data.
//!
//! A [`Payload`] is JSON (from a JSON caller), a typed Rust value, or the JSON text of a
//! received packet's params or data, kept as it came. When the caller and the handler agree on
//! the type, the value is handed over as it is, without serializing; otherwise it goes through
//! JSON, exactly once: received text is parsed straight into the handler's type (no `Value` in
//! between) and a typed result is written straight into the response.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::serializer::{RAW_PAYLOAD, cbor, json_ext, msgpack};

/// A params, result or event value, typed or JSON.
#[derive(Clone)]
pub struct Payload(Repr);

#[derive(Clone)]
enum Repr {
    Json(Value),
    Typed(Arc<dyn ErasedValue>),
    /// Received JSON text, parsed only by whoever needs the value.
    Raw(Box<RawValue>),
    /// Received bytes of one value in a binary format, decoded only by whoever needs the
    /// value.
    #[cfg_attr(
        not(any(feature = "msgpack", feature = "cbor", feature = "jsonext")),
        allow(dead_code)
    )]
    Binary(Binary),
}

/// A typed value that can still become JSON when it has to.
trait ErasedValue: Any + Send + Sync {
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;
    fn to_json(&self) -> Result<Value, serde_json::Error>;
    fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error>;
    /// Moves the value into `out` (an `Option<Self>`) if this is the only reference; gives the
    /// value back otherwise.
    fn move_into(self: Arc<Self>, out: &mut dyn Any) -> Option<Arc<dyn ErasedValue>>;
    fn type_name(&self) -> &'static str;
}

impl<T: Serialize + Send + Sync + 'static> ErasedValue for T {
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }
    fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
    fn move_into(self: Arc<Self>, out: &mut dyn Any) -> Option<Arc<dyn ErasedValue>> {
        let Some(slot) = out.downcast_mut::<Option<T>>() else {
            return Some(self);
        };
        match Arc::try_unwrap(self) {
            Ok(value) => {
                *slot = Some(value);
                None
            }
            Err(shared) => Some(shared),
        }
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// Typed params lent by a local caller: the handler takes the value out (no allocation) when
/// the types match, or turns it into a payload otherwise.
pub(crate) trait ParamSlot: Send {
    /// The slot (an `Option<T>`) as `Any`, to downcast.
    fn as_any(&mut self) -> &mut dyn Any;
    /// Takes the value as a payload.
    fn take_payload(&mut self) -> Payload;
}

impl<T: Serialize + Send + Sync + 'static> ParamSlot for Option<T> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn take_payload(&mut self) -> Payload {
        self.take()
            .map_or_else(Payload::empty_object, Payload::typed)
    }
}

/// Moves `value` into `U` when `T` and `U` are the same type, without allocating.
fn cast<T: 'static, U: 'static>(value: T) -> Result<U, T> {
    // Known per instance at compile time: no dynamic check when the types differ.
    if TypeId::of::<T>() != TypeId::of::<U>() {
        return Err(value);
    }
    let mut slot = Some(value);
    if let Some(same) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<U>>()
        .and_then(Option::take)
    {
        return Ok(same);
    }
    match slot {
        Some(value) => Err(value),
        None => unreachable!("the slot is only emptied by a successful cast"),
    }
}

/// A number or boolean read straight out of a JSON value when `T` is that primitive type (what
/// `serde_json::from_value` gives, without its deserializer); `None` otherwise, and for
/// anything that does not fit, which then takes the general path and its error.
fn primitive<T: 'static>(value: &Value) -> Option<T> {
    let id = TypeId::of::<T>();
    if id == TypeId::of::<f64>() {
        cast::<f64, T>(value.as_f64()?).ok()
    } else if id == TypeId::of::<i64>() {
        cast::<i64, T>(value.as_i64()?).ok()
    } else if id == TypeId::of::<u64>() {
        cast::<u64, T>(value.as_u64()?).ok()
    } else if id == TypeId::of::<bool>() {
        cast::<bool, T>(value.as_bool()?).ok()
    } else {
        None
    }
}

impl Payload {
    /// A JSON payload.
    pub fn json(value: Value) -> Payload {
        Payload(Repr::Json(value))
    }

    /// A typed payload. A `serde_json::Value` is stored as JSON.
    pub fn typed<T: Serialize + Send + Sync + 'static>(value: T) -> Payload {
        match Payload::json_form(value) {
            Ok(json) => json,
            Err(value) => match cast::<T, Payload>(value) {
                Ok(payload) => payload,
                Err(value) => Payload(Repr::Typed(Arc::new(value))),
            },
        }
    }

    /// `value` as a JSON payload when it is JSON already: a `serde_json::Value`, a number, a
    /// boolean or `()` (no allocation; they convert back without loss, a non-finite f64
    /// becoming `null` as with `serde_json`); any other value is given back.
    pub(crate) fn json_form<T: 'static>(value: T) -> Result<Payload, T> {
        let value = match cast::<T, f64>(value) {
            Ok(n) => return Ok(Payload(Repr::Json(Value::from(n)))),
            Err(v) => v,
        };
        let value = match cast::<T, i64>(value) {
            Ok(n) => return Ok(Payload(Repr::Json(Value::from(n)))),
            Err(v) => v,
        };
        let value = match cast::<T, u64>(value) {
            Ok(n) => return Ok(Payload(Repr::Json(Value::from(n)))),
            Err(v) => v,
        };
        let value = match cast::<T, bool>(value) {
            Ok(b) => return Ok(Payload(Repr::Json(Value::Bool(b)))),
            Err(v) => v,
        };
        let value = match cast::<T, ()>(value) {
            Ok(()) => return Ok(Payload(Repr::Json(Value::Null))),
            Err(v) => v,
        };
        cast::<T, Value>(value).map(|json| Payload(Repr::Json(json)))
    }

    /// The empty params object `{}`, what Node uses when a caller passes no params.
    pub fn empty_object() -> Payload {
        Payload(Repr::Json(Value::Object(serde_json::Map::new())))
    }

    /// `null`.
    pub fn null() -> Payload {
        Payload(Repr::Json(Value::Null))
    }

    /// `{}` in place of `null`: Node turns missing params into an empty object.
    pub fn or_empty_object(self) -> Payload {
        match self.0 {
            Repr::Json(Value::Null) => Payload::empty_object(),
            repr => Payload(repr),
        }
    }

    /// Whether the payload holds a typed value of type `T` (no conversion needed).
    pub fn is<T: 'static>(&self) -> bool {
        match &self.0 {
            Repr::Json(_) => TypeId::of::<T>() == TypeId::of::<Value>(),
            Repr::Typed(v) => (**v).type_id() == TypeId::of::<T>(),
            Repr::Raw(_) | Repr::Binary(_) => false,
        }
    }

    /// Borrows the typed value, if the payload holds a `T` (not JSON).
    pub(crate) fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        match &self.0 {
            Repr::Json(_) | Repr::Raw(_) | Repr::Binary(_) => None,
            Repr::Typed(v) => (&**v as &dyn Any).downcast_ref::<T>(),
        }
    }

    /// The typed value's `Serialize`, if the payload holds a typed value (not JSON).
    pub(crate) fn typed_serialize(&self) -> Option<&dyn erased_serde::Serialize> {
        match &self.0 {
            Repr::Typed(v) => Some(v.as_serialize()),
            Repr::Json(_) | Repr::Raw(_) | Repr::Binary(_) => None,
        }
    }

    /// Whether the payload is JSON (a value, or received text or binary), not a typed value.
    pub fn is_json(&self) -> bool {
        matches!(self.0, Repr::Json(_) | Repr::Raw(_) | Repr::Binary(_))
    }

    /// Borrows the JSON value, if the payload is a JSON value (not a typed value, nor
    /// received text that nobody parsed yet).
    pub fn as_json(&self) -> Option<&Value> {
        match &self.0 {
            Repr::Json(v) => Some(v),
            Repr::Typed(_) | Repr::Raw(_) | Repr::Binary(_) => None,
        }
    }

    /// The payload as a JSON value to change in place: received text is parsed and a typed
    /// value serialized first (once; the payload stays JSON afterwards).
    ///
    /// # Errors
    /// When the text does not parse or the typed value's `Serialize` implementation fails;
    /// the payload is then left as it was.
    pub fn json_mut(&mut self) -> Result<&mut Value, serde_json::Error> {
        if !matches!(self.0, Repr::Json(_)) {
            self.0 = Repr::Json(Payload::to_json(self)?);
        }
        match &mut self.0 {
            Repr::Json(v) => Ok(v),
            Repr::Typed(_) | Repr::Raw(_) | Repr::Binary(_) => unreachable!("made JSON above"),
        }
    }

    /// The JSON text, if the payload is received text not parsed yet.
    pub fn as_raw_json(&self) -> Option<&str> {
        match &self.0 {
            Repr::Raw(raw) => Some(raw.get()),
            Repr::Json(_) | Repr::Typed(_) | Repr::Binary(_) => None,
        }
    }

    /// Received JSON text, kept as it is.
    pub(crate) fn from_raw(raw: Box<RawValue>) -> Payload {
        Payload(Repr::Raw(raw))
    }

    /// Received bytes of one value in `format`, kept as they are.
    #[cfg_attr(
        not(any(feature = "msgpack", feature = "cbor", feature = "jsonext")),
        allow(dead_code)
    )]
    pub(crate) fn from_binary(format: BinaryFormat, bytes: &[u8]) -> Payload {
        Payload(Repr::Binary(Binary {
            format,
            bytes: bytes.into(),
        }))
    }

    /// The received bytes and their format, if the payload is a value a binary serializer
    /// (MsgPack, CBOR…) received and nobody decoded yet.
    pub fn as_binary(&self) -> Option<(BinaryFormat, &[u8])> {
        match &self.0 {
            Repr::Binary(b) => Some((b.format, &b.bytes)),
            Repr::Json(_) | Repr::Typed(_) | Repr::Raw(_) => None,
        }
    }

    /// A payload of JSON text, parsed only when a value is needed.
    ///
    /// # Errors
    /// When `text` is not one valid JSON value.
    pub fn from_json_text(text: &str) -> Result<Payload, serde_json::Error> {
        RawValue::from_string(text.to_owned()).map(|raw| Payload(Repr::Raw(raw)))
    }

    /// The payload as JSON (serializing a typed value).
    ///
    /// # Errors
    /// When the typed value's `Serialize` implementation fails.
    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        match &self.0 {
            Repr::Json(v) => Ok(v.clone()),
            Repr::Typed(v) => v.to_json(),
            Repr::Raw(raw) => serde_json::from_str(raw.get()),
            Repr::Binary(b) => b.decode(),
        }
    }

    /// The payload as JSON text (a typed value is serialized straight to text, with no
    /// `Value` in between).
    ///
    /// # Errors
    /// When the typed value's `Serialize` implementation fails.
    pub(crate) fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        match &self.0 {
            Repr::Json(v) => serde_json::to_vec(v),
            Repr::Typed(v) => v.to_vec(),
            Repr::Raw(raw) => Ok(raw.get().as_bytes().to_vec()),
            Repr::Binary(b) => serde_json::to_vec(&b.decode::<Value>()?),
        }
    }

    /// Turns the payload into JSON, moving it when it already is.
    ///
    /// # Errors
    /// When the typed value's `Serialize` implementation fails.
    pub fn into_json(self) -> Result<Value, serde_json::Error> {
        match self.0 {
            Repr::Json(v) => Ok(v),
            Repr::Typed(v) => v.to_json(),
            Repr::Raw(raw) => serde_json::from_str(raw.get()),
            Repr::Binary(b) => b.decode(),
        }
    }

    /// Turns the payload into `T`: moved when it holds a `T`, deserialized otherwise.
    ///
    /// # Errors
    /// When the value does not deserialize into `T`.
    pub fn into_typed<T: DeserializeOwned + 'static>(self) -> Result<T, serde_json::Error> {
        match self.0 {
            Repr::Json(v) => {
                if let Some(value) = primitive::<T>(&v) {
                    return Ok(value);
                }
                match cast::<Value, T>(v) {
                    Ok(same) => Ok(same),
                    Err(v) => serde_json::from_value(v),
                }
            }
            Repr::Raw(raw) => serde_json::from_str(raw.get()),
            Repr::Binary(b) => b.decode(),
            Repr::Typed(v) => {
                // A unique value of the right type moves out; a shared one (an event delivered
                // to several handlers) is copied through JSON, so types need not be `Clone`.
                let mut v = v;
                if (*v).type_id() == TypeId::of::<T>() {
                    let mut out: Option<T> = None;
                    match v.move_into(&mut out) {
                        None => {
                            if let Some(value) = out {
                                return Ok(value);
                            }
                            return Err(serde::de::Error::custom("payload lost while moving"));
                        }
                        Some(back) => v = back,
                    }
                }
                let json = v.to_json()?;
                match cast::<Value, T>(json) {
                    Ok(same) => Ok(same),
                    Err(json) => serde_json::from_value(json),
                }
            }
        }
    }

    /// The Rust type name of a typed payload, for diagnostics.
    pub fn type_name(&self) -> &'static str {
        match &self.0 {
            Repr::Json(_) => "serde_json::Value",
            Repr::Typed(v) => v.type_name(),
            Repr::Raw(_) => "JSON text",
            Repr::Binary(b) => b.format.name(),
        }
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Json(v) => write!(f, "Payload({v})"),
            Repr::Raw(raw) => write!(f, "Payload({})", raw.get()),
            Repr::Binary(b) => match b.decode::<Value>() {
                Ok(json) => write!(f, "Payload({json})"),
                Err(_) => write!(f, "Payload({} {:02x?})", b.format.name(), b.bytes),
            },
            Repr::Typed(v) => match v.to_json() {
                Ok(json) => write!(f, "Payload<{}>({json})", v.type_name()),
                Err(_) => write!(f, "Payload<{}>", v.type_name()),
            },
        }
    }
}

/// A payload serializes as its JSON form, so handlers and hooks may return one.
impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Json(v) => v.serialize(serializer),
            // Straight to the serializer: no `Value` in between.
            Repr::Typed(v) => erased_serde::serialize(v.as_serialize(), serializer),
            // Parsed, so that any format gets a value (serde_json's raw-value marker means
            // something to serde_json only); the JSON serializer writes the text itself.
            Repr::Raw(raw) => serde_json::from_str::<Value>(raw.get())
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
            // Value by value, with no `Value` in between (see `Binary`'s `Serialize`).
            Repr::Binary(b) => serializer.serialize_newtype_struct(RAW_PAYLOAD, b),
        }
    }
}

/// Any self-describing format gives a JSON payload (the JSON serializer keeps a packet's
/// payload as text by reading it itself).
impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Payload, D::Error> {
        Value::deserialize(deserializer).map(Payload::json)
    }
}

/// Payloads are equal when their JSON forms are (a typed value that does not serialize
/// equals nothing).
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        match (&self.0, &other.0) {
            (Repr::Json(a), Repr::Json(b)) => a == b,
            (Repr::Raw(a), Repr::Raw(b)) if a.get() == b.get() => true,
            _ => matches!((self.to_json(), other.to_json()), (Ok(a), Ok(b)) if a == b),
        }
    }
}

/// The binary formats a received payload may stay in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BinaryFormat {
    /// MsgPack (the `MsgPack` and `Notepack` serializers).
    MsgPack,
    /// CBOR (the `CBOR` serializer).
    Cbor,
    /// JSONExt text (the `JSONExt` serializer): JSON with tagged strings.
    JsonExt,
}

impl BinaryFormat {
    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryFormat::MsgPack => "MsgPack",
            BinaryFormat::Cbor => "CBOR",
            BinaryFormat::JsonExt => "JSONExt",
        }
    }
}

/// Received bytes of one value in a binary format.
#[derive(Clone)]
struct Binary {
    format: BinaryFormat,
    bytes: Box<[u8]>,
}

impl Binary {
    /// The value as `T`, with the format's errors given as JSON errors (the type every
    /// payload conversion reports).
    fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let decoded = match self.format {
            BinaryFormat::MsgPack => {
                msgpack::read::from_slice(&self.bytes).map_err(|e| e.to_string())
            }
            BinaryFormat::Cbor => cbor::read::from_slice(&self.bytes).map_err(|e| e.to_string()),
            BinaryFormat::JsonExt => {
                let mut de = serde_json::Deserializer::from_slice(&self.bytes);
                return T::deserialize(json_ext::revive::Revive(&mut de))
                    .and_then(|value| de.end().map(|()| value));
            }
        };
        decoded.map_err(serde::de::Error::custom)
    }
}

/// Re-encoded value by value into any format: a byte string becomes a Buffer's JSON form for
/// a human-readable format, and stays bytes for one that is not (a binary writer says it is
/// not while it writes a received payload, so that the payload goes back as it came).
impl Serialize for Binary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let binary = !serializer.is_human_readable();
        match self.format {
            BinaryFormat::MsgPack => {
                let mut reader = if binary {
                    msgpack::read::Reader::for_binary(&self.bytes)
                } else {
                    msgpack::read::Reader::new(&self.bytes)
                };
                serde_transcode::transcode(&mut reader, serializer)
            }
            BinaryFormat::Cbor => {
                let mut reader = if binary {
                    cbor::read::Reader::for_binary(&self.bytes)
                } else {
                    cbor::read::Reader::new(&self.bytes)
                };
                serde_transcode::transcode(&mut reader, serializer)
            }
            // Written back into JSONExt untouched; into anything else, revived.
            BinaryFormat::JsonExt => {
                let mut de = serde_json::Deserializer::from_slice(&self.bytes);
                if binary {
                    serde_transcode::transcode(&mut de, serializer)
                } else {
                    serde_transcode::transcode(json_ext::revive::Revive(&mut de), serializer)
                }
            }
        }
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Payload {
        Payload::json(value)
    }
}

impl Default for Payload {
    fn default() -> Payload {
        Payload::empty_object()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    /// The primitives' shortcut gives what `serde_json::from_value` gives, errors included.
    #[test]
    fn primitives_convert_as_serde_json_does() {
        fn same<T: DeserializeOwned + PartialEq + fmt::Debug + 'static>(value: &Value) {
            let fast = Payload::json(value.clone()).into_typed::<T>().ok();
            let serde = serde_json::from_value::<T>(value.clone()).ok();
            assert_eq!(fast, serde, "{value} as {}", std::any::type_name::<T>());
        }
        let values = [
            json!(3),
            json!(-3),
            json!(3.5),
            json!(-0.0),
            json!(1e300),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(true),
            json!("3"),
            json!(null),
            json!([1]),
        ];
        for value in &values {
            same::<f64>(value);
            same::<i64>(value);
            same::<u64>(value);
            same::<bool>(value);
            same::<i32>(value);
        }
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Add {
        a: f64,
        b: f64,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Other {
        a: f64,
        b: f64,
    }

    #[test]
    fn same_type_moves_without_json() {
        let p = Payload::typed(Add { a: 1.0, b: 2.0 });
        assert!(p.is::<Add>());
        assert_eq!(p.into_typed::<Add>().unwrap(), Add { a: 1.0, b: 2.0 });
    }

    #[test]
    fn other_type_goes_through_json() {
        let p = Payload::typed(Add { a: 1.0, b: 2.0 });
        assert_eq!(p.into_typed::<Other>().unwrap(), Other { a: 1.0, b: 2.0 });
    }

    #[test]
    fn json_in_json_out() {
        let p = Payload::typed(json!({"a": 1}));
        assert!(p.is_json());
        assert_eq!(p.into_typed::<Value>().unwrap(), json!({"a": 1}));
        let p = Payload::typed(3.5_f64);
        assert_eq!(p.into_typed::<Value>().unwrap(), json!(3.5));
    }

    #[test]
    fn json_deserializes_into_types() {
        let p = Payload::json(json!({"a": 1, "b": 2}));
        assert_eq!(p.into_typed::<Add>().unwrap(), Add { a: 1.0, b: 2.0 });
        let p = Payload::json(json!({"a": "x"}));
        assert!(p.into_typed::<Add>().is_err());
    }

    #[test]
    fn typed_and_json_values_write_the_same_text() {
        let typed = Payload::typed(Add { a: 1.5, b: 2.0 });
        let json = Payload::json(json!({"a": 1.5, "b": 2.0}));
        assert_eq!(typed.to_vec().unwrap(), br#"{"a":1.5,"b":2.0}"#);
        assert_eq!(json.to_vec().unwrap(), typed.to_vec().unwrap());
    }

    #[test]
    fn text_parses_straight_into_types_and_can_be_edited() {
        let text = Payload::from_json_text(r#"{"a":1,"b":2.5}"#).unwrap();
        assert!(text.is_json() && !text.is::<Value>() && text.as_json().is_none());
        assert_eq!(text.to_vec().unwrap(), br#"{"a":1,"b":2.5}"#);
        assert_eq!(
            text.clone().into_typed::<Add>().unwrap(),
            Add { a: 1.0, b: 2.5 }
        );
        assert!(text.clone().into_typed::<Vec<u8>>().is_err());
        let mut edited = text;
        edited.json_mut().unwrap()["c"] = json!(true);
        assert_eq!(
            edited.as_json(),
            Some(&json!({"a": 1, "b": 2.5, "c": true}))
        );
        // Typed values become JSON the same way.
        let mut typed = Payload::typed(Add { a: 1.0, b: 2.0 });
        typed.json_mut().unwrap()["a"] = json!(5);
        assert_eq!(typed.into_typed::<Add>().unwrap(), Add { a: 5.0, b: 2.0 });
        assert!(Payload::from_json_text("{").is_err());
    }

    #[test]
    fn a_shared_typed_value_still_converts() {
        let p = Payload::typed(Add { a: 1.0, b: 2.0 });
        let q = p.clone();
        assert_eq!(p.into_typed::<Add>().unwrap(), Add { a: 1.0, b: 2.0 });
        assert_eq!(q.into_typed::<Add>().unwrap(), Add { a: 1.0, b: 2.0 });
    }
}
