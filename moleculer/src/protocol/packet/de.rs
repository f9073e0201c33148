//! Liberal decoding: the envelope (`ver`, `sender`) and the payload split off the body in one
//! pass, and field helpers that treat absent, `null` and `undefined` alike.
//!
//! Everything here works with any self-describing serde format (JSON, MsgPack, CBOR), so
//! every serializer decodes through the same body types. How the payload field (a `REQ`'s
//! `params`, a `RES`'s or `EVENT`'s `data`) is read is the serializer's choice, given as a
//! [`PayloadReader`]: the JSON serializer keeps it as the received text; a binary format reads
//! it as a value.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{CowStrDeserializer, MapAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, de::Error as _};

use super::{Disconnect, Discover, Envelope, Packet, PacketType};
use crate::payload::Payload;

/// How a serializer reads the payload field of a packet from its format.
pub(crate) trait PayloadReader {
    /// Reads the value of the payload field that `map` is at.
    ///
    /// # Errors
    /// The format's error for a value that does not decode.
    fn read<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Payload, A::Error>;
}

/// The payload field of a packet type: `params` of a `REQ`, `data` of a `RES` or `EVENT`.
fn payload_key(ty: PacketType) -> Option<&'static str> {
    match ty {
        PacketType::Request => Some("params"),
        PacketType::Response | PacketType::Event => Some("data"),
        _ => None,
    }
}

/// Decodes one packet of type `ty` from any serde deserializer, its payload read by `R`.
pub(crate) fn deserialize_envelope<'de, D: Deserializer<'de>, R: PayloadReader>(
    ty: PacketType,
    d: D,
) -> Result<Envelope, D::Error> {
    fn wrap<T>(w: Wire<T>, f: impl FnOnce(T, Option<Payload>) -> Packet) -> Envelope {
        Envelope {
            ver: w.ver,
            sender: w.sender,
            packet: f(w.body, w.payload),
        }
    }
    let key = payload_key(ty);
    Ok(match ty {
        PacketType::Event => wrap(
            Wire::read::<R, D>(d, key)?,
            |mut body: super::Event, payload| {
                body.data = payload.unwrap_or_else(Payload::null);
                Packet::Event(body)
            },
        ),
        PacketType::Request => wrap(
            Wire::read::<R, D>(d, key)?,
            |mut body: super::Request, payload| {
                body.params = payload.unwrap_or_else(Payload::null);
                Packet::Request(body)
            },
        ),
        PacketType::Response => wrap(
            Wire::read::<R, D>(d, key)?,
            |mut body: super::Response, payload| {
                // An explicit `null` is `Some(null)`; only an absent field is `None`.
                body.data = payload;
                Packet::Response(body)
            },
        ),
        PacketType::Discover => wrap(Wire::read::<R, D>(d, key)?, |_: Empty, _| {
            Packet::Discover(Discover)
        }),
        PacketType::Info => wrap(Wire::read::<R, D>(d, key)?, |body, _| Packet::Info(body)),
        PacketType::Disconnect => wrap(Wire::read::<R, D>(d, key)?, |_: Empty, _| {
            Packet::Disconnect(Disconnect)
        }),
        PacketType::Heartbeat => wrap(Wire::read::<R, D>(d, key)?, |body, _| {
            Packet::Heartbeat(body)
        }),
        PacketType::Ping => wrap(Wire::read::<R, D>(d, key)?, |body, _| Packet::Ping(body)),
        PacketType::Pong => wrap(Wire::read::<R, D>(d, key)?, |body, _| Packet::Pong(body)),
        PacketType::GossipHello => wrap(Wire::read::<R, D>(d, key)?, |body, _| {
            Packet::GossipHello(body)
        }),
        PacketType::GossipReq => wrap(Wire::read::<R, D>(d, key)?, |body, _| {
            Packet::GossipReq(body)
        }),
        PacketType::GossipRes => wrap(Wire::read::<R, D>(d, key)?, |body, _| {
            Packet::GossipRes(body)
        }),
    })
}

/// A body without fields (DISCOVER, DISCONNECT): any map is accepted.
#[derive(Deserialize)]
struct Empty {}

/// One packet: the body `T` plus the transporter's `ver` and `sender` and the payload field,
/// read in a single pass.
struct Wire<T> {
    ver: String,
    sender: String,
    payload: Option<Payload>,
    body: T,
}

impl<'de, T: Deserialize<'de>> Wire<T> {
    fn read<R: PayloadReader, D: Deserializer<'de>>(
        d: D,
        payload_key: Option<&'static str>,
    ) -> Result<Wire<T>, D::Error> {
        d.deserialize_map(WireVisitor::<T, R> {
            payload_key,
            marker: PhantomData,
        })
    }
}

struct WireVisitor<T, R> {
    payload_key: Option<&'static str>,
    marker: PhantomData<(T, R)>,
}

impl<'de, T: Deserialize<'de>, R: PayloadReader> Visitor<'de> for WireVisitor<T, R> {
    type Value = Wire<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a packet object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Wire<T>, A::Error> {
        let mut filter = EnvelopeFilter::<A, R> {
            inner: map,
            ver: None,
            sender: None,
            payload_key: self.payload_key,
            payload: None,
            reader: PhantomData,
        };
        let body = T::deserialize(MapAccessDeserializer::new(&mut filter))?;
        Ok(Wire {
            ver: filter.ver.flatten().unwrap_or_default(),
            sender: filter
                .sender
                .ok_or_else(|| A::Error::missing_field("sender"))?,
            payload: filter.payload,
            body,
        })
    }
}

/// Hands every entry to the body's own visitor, except `ver`, `sender` and the payload
/// field, which it keeps.
struct EnvelopeFilter<A, R> {
    inner: A,
    ver: Option<Option<String>>,
    sender: Option<String>,
    payload_key: Option<&'static str>,
    payload: Option<Payload>,
    reader: PhantomData<R>,
}

impl<'de, A: MapAccess<'de>, R: PayloadReader> MapAccess<'de> for &mut EnvelopeFilter<A, R> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(Key(key)) = self.inner.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            match &*key {
                "ver" => self.ver = Some(self.inner.next_value::<Option<String>>()?),
                "sender" => self.sender = Some(self.inner.next_value::<String>()?),
                key if Some(key) == self.payload_key => {
                    if self.payload.is_some() {
                        return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    self.payload = Some(R::read(&mut self.inner)?);
                }
                _ => {
                    let key: CowStrDeserializer<'de, A::Error> = key.into_deserializer();
                    return seed.deserialize(key).map(Some);
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A map key, borrowed from the input when the format allows it.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Field helpers, used with `#[serde(default, deserialize_with = "…")]`.

/// `null` (or absent, with `#[serde(default)]`) becomes `T::default()`.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Keeps an explicit `null` as `Some(null)`; only an absent field is `None`.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Payload>, D::Error> {
    Payload::deserialize(d).map(Some)
}

/// A number (integer or fractional) or `null`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct F64Visitor;
    impl<'de> Visitor<'de> for F64Visitor {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or null")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(F64Visitor)
}

/// A number or `null`, `0` when absent or `null`.
pub(crate) fn f64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(opt_f64(d)?.unwrap_or(0.0))
}

/// An integer of type `T`, or `null`. Floats with no fractional part are accepted (msgpack5
/// writes large integers such as `Date.now()` as float64).
pub(crate) fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    struct IntVisitor<T>(PhantomData<T>);
    impl<T: TryFrom<i128>> IntVisitor<T> {
        fn fit<E: de::Error>(v: i128) -> Result<Option<T>, E> {
            T::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format_args!("integer {v} out of range")))
        }
    }
    impl<'de, T: TryFrom<i128>> Visitor<'de> for IntVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or null")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Self::fit(i128::from(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Self::fit(i128::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // 2^64: beyond it no target type fits anyway.
            if v.is_finite() && v.fract() == 0.0 && v.abs() < 18_446_744_073_709_551_616.0 {
                Self::fit(v as i128)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(IntVisitor(PhantomData))
}

/// An integer, `T::default()` when absent or `null`.
pub(crate) fn int_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128> + Default,
{
    Ok(opt_int(d)?.unwrap_or_default())
}

/// The call level: `1` (a root call) when absent or `null`.
pub(crate) fn level<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(opt_int(d)?.unwrap_or(1))
}

/// `1`, the default `level`.
pub(crate) fn one() -> u32 {
    1
}

/// `1`: a missing INFO `seq` counts as 1 (Node's `processNodeInfo`).
pub(crate) fn seq_one() -> u64 {
    1
}

/// INFO `seq`: `1` when `null`.
pub(crate) fn info_seq<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(opt_int(d)?.unwrap_or(1))
}
