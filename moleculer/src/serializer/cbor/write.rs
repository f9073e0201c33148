//! A serde serializer that writes CBOR as cbor-x does with Moleculer's options
//! (`useRecords: false`, `useTag259ForMaps: false`; reference §3).
//!
//! Written by hand because cbor-x has its own dialect no CBOR crate writes: every map
//! header is 16 bits (`b9 <u16>`) however small the map, a JS number is an integer only
//! within 32 bits (beyond, and every non-integral number, is a float64), and `-0` is `0`.

use serde::ser::{self, Serialize};

use crate::serializer::RAW_PAYLOAD;
use crate::serializer::codec_error::CodecError as Error;
use crate::serializer::compound::{BinaryWriter, Compound};

/// The largest integer a JS number holds exactly.
const MAX_SAFE: i128 = 9_007_199_254_740_991;

/// Writes `value` as CBOR.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<Vec<u8>, Error> {
    let mut writer = Writer {
        out: Vec::with_capacity(capacity),
        received_payload: false,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// The output.
pub(crate) struct Writer {
    out: Vec<u8>,
    /// Whether a received binary payload is being written back (see `is_human_readable`).
    received_payload: bool,
}

/// The head of an item of `major` type with argument `n`, in its smallest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// A map's head as cbor-x writes it: 16 bits at least.
fn map_head(out: &mut Vec<u8>, len: usize) {
    match u16::try_from(len) {
        Ok(n) => {
            out.push(0xb9);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Err(_) => {
            out.push(0xba);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

impl Writer {
    /// An integer as a JS number goes: an integer within 32 bits, a float64 beyond (exact up
    /// to 2^53; past that a 64-bit integer keeps what a float would lose).
    fn int(&mut self, v: i128) {
        if (0..=0xffff_ffff).contains(&v) {
            head(&mut self.out, 0, v as u64);
        } else if (-0x1_0000_0000..0).contains(&v) {
            head(&mut self.out, 1, (-1 - v) as u64);
        } else if (-MAX_SAFE..=MAX_SAFE).contains(&v) {
            self.f64(v as f64);
        } else if let Ok(u) = u64::try_from(v) {
            head(&mut self.out, 0, u);
        } else if let Ok(n) = u64::try_from(-1 - v) {
            head(&mut self.out, 1, n);
        } else {
            self.f64(v as f64);
        }
    }

    fn float(&mut self, v: f64) {
        if v.is_finite() && v.fract() == 0.0 && (-4_294_967_296.0..=4_294_967_295.0).contains(&v) {
            self.int(v as i128);
        } else {
            self.f64(v);
        }
    }

    fn f64(&mut self, v: f64) {
        self.out.push(0xfb);
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn str(&mut self, s: &str) {
        head(&mut self.out, 3, s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }
}

impl BinaryWriter for Writer {
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    fn head(out: &mut Vec<u8>, len: usize, map: bool) {
        if map {
            map_head(out, len);
        } else {
            head(out, 4, len as u64);
        }
    }

    fn key(&mut self, key: &str) {
        self.str(key);
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, Writer>;
    type SerializeTuple = Compound<'a, Writer>;
    type SerializeTupleStruct = Compound<'a, Writer>;
    type SerializeTupleVariant = Compound<'a, Writer>;
    type SerializeMap = Compound<'a, Writer>;
    type SerializeStruct = Compound<'a, Writer>;
    type SerializeStructVariant = Compound<'a, Writer>;

    /// Human-readable, as a JavaScript encoder is, except while a received binary payload
    /// is written back: its byte strings stay byte strings.
    fn is_human_readable(&self) -> bool {
        !self.received_payload
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push(if v { 0xf5 } else { 0xf4 });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.int(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.int(v.into());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        match i128::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.f64(v as f64),
        }
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(v.into());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        head(&mut self.out, 2, v.len() as u64);
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.push(0xf6);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push(0xf6);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.out.push(0xf6);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if name != RAW_PAYLOAD {
            return value.serialize(self);
        }
        let outer = std::mem::replace(&mut self.received_payload, true);
        let written = value.serialize(&mut *self);
        self.received_payload = outer;
        written
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        map_head(&mut self.out, 1);
        self.str(variant);
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, Writer>, Error> {
        Ok(Compound::begin(self, len, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, Writer>, Error> {
        Ok(Compound::begin(self, Some(len), false))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, Writer>, Error> {
        Ok(Compound::begin(self, Some(len), false))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, Writer>, Error> {
        map_head(&mut self.out, 1);
        self.str(variant);
        Ok(Compound::begin(self, Some(len), false))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, Writer>, Error> {
        Ok(Compound::begin(self, len, true))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, Writer>, Error> {
        Ok(Compound::begin(self, Some(len), true))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, Writer>, Error> {
        map_head(&mut self.out, 1);
        self.str(variant);
        Ok(Compound::begin(self, Some(len), true))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn hex(v: &Value) -> String {
        to_vec(v, 16)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// What cbor-x writes for the same values (checked against the npm package).
    #[test]
    fn values_as_cbor_x_writes_them() {
        let cases = [
            (json!({"a": 1}), "b90001616101"),
            (json!({}), "b90000"),
            (json!([1, 2]), "820102"),
            (json!(0.5), "fb3fe0000000000000"),
            (json!(2f64.powi(40)), "fb4270000000000000"),
            (json!(4_294_967_296_u64), "fb41f0000000000000"),
            (json!(4_294_967_295_u64), "1affffffff"),
            (json!(-2_147_483_649_i64), "3a80000000"),
            (json!(-300_000_000), "3a11e1a2ff"),
            (json!(9_007_199_254_740_991_u64), "fb433fffffffffffff"),
            (json!(-1), "20"),
            (json!(-25), "3818"),
            (json!(255), "18ff"),
            (json!(null), "f6"),
            (json!("a".repeat(24)), &format!("7818{}", "61".repeat(24))),
            (json!("héllo ✓ 😀"), "6f68c3a96c6c6f20e29c9320f09f9880"),
            (json!(1e300), "fb7e37e43c8800759c"),
            (json!(true), "f5"),
            (json!(100.25), "fb4059100000000000"),
        ];
        for (value, expected) in cases {
            assert_eq!(hex(&value), expected, "{value}");
        }
        assert_eq!(hex(&json!(-0.0)), "00");
        let big: serde_json::Map<String, Value> =
            (0..20).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(hex(&Value::Object(big)).starts_with("b90014626b3000"));
    }
}
