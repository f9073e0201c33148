//! A serde serializer that writes MsgPack as Node's encoders do (reference §3).
//!
//! Written by hand, on the format's markers, because no MsgPack crate writes numbers the way
//! a JavaScript encoder must: a JS number has no integer type, so an integral `f64` is an
//! integer on the wire, and msgpack5 writes a float as float32 whenever that is exact.
//! Everything else follows the spec's smallest encodings, which is what both Node libraries
//! emit (msgpack5 in its default, non-compatibility mode).

use serde::ser::{self, Serialize};

use crate::serializer::RAW_PAYLOAD;
use crate::serializer::codec_error::CodecError as Error;
use crate::serializer::compound::{BinaryWriter, Compound};

/// How numbers are written: msgpack5's rules or notepack.io's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// msgpack5: float32 when exact; integers beyond 2^53 as float64; negative integers
    /// from -214748365 down as int64 (its bound is off by a digit).
    Msgpack5,
    /// notepack.io: floats always float64; integers as the smallest integer.
    Notepack,
}

/// The largest integer a JS number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Writes `value` as MsgPack.
pub(crate) fn to_vec<T: Serialize + ?Sized>(
    value: &T,
    numbers: Numbers,
    capacity: usize,
) -> Result<Vec<u8>, Error> {
    let mut writer = Writer {
        out: Vec::with_capacity(capacity),
        numbers,
        received_payload: false,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// The output and the number rules.
pub(crate) struct Writer {
    out: Vec<u8>,
    numbers: Numbers,
    /// Whether a received MsgPack payload is being written back (see `is_human_readable`).
    received_payload: bool,
}

impl Writer {
    fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    fn marker_be(&mut self, marker: u8, bytes: &[u8]) {
        self.out.push(marker);
        self.out.extend_from_slice(bytes);
    }

    fn uint(&mut self, v: u64) {
        match v {
            0..=0x7f => self.byte(v as u8),
            0x80..=0xff => self.marker_be(0xcc, &[v as u8]),
            0x100..=0xffff => self.marker_be(0xcd, &(v as u16).to_be_bytes()),
            0x1_0000..=0xffff_ffff => self.marker_be(0xce, &(v as u32).to_be_bytes()),
            _ => self.marker_be(0xcf, &v.to_be_bytes()),
        }
    }

    fn int(&mut self, v: i64) {
        if v >= 0 {
            return self.uint(v as u64);
        }
        let int32_floor = match self.numbers {
            Numbers::Msgpack5 => -214_748_364,
            Numbers::Notepack => i64::from(i32::MIN),
        };
        match v {
            -32..=-1 => self.byte(v as u8),
            -128..=-33 => self.marker_be(0xd0, &(v as i8).to_be_bytes()),
            -32768..=-129 => self.marker_be(0xd1, &(v as i16).to_be_bytes()),
            _ if v >= int32_floor => self.marker_be(0xd2, &(v as i32).to_be_bytes()),
            _ => self.marker_be(0xd3, &v.to_be_bytes()),
        }
    }

    fn float(&mut self, v: f64) {
        let integral = v.is_finite() && v.fract() == 0.0;
        match self.numbers {
            Numbers::Msgpack5 if integral && v.abs() <= MAX_SAFE => self.int(v as i64),
            Numbers::Msgpack5 if (!integral && (v as f32) as f64 == v) || v.is_nan() => {
                self.marker_be(0xca, &(v as f32).to_be_bytes())
            }
            // notepack.io's own integer arithmetic holds only up to 2^64.
            Numbers::Notepack if integral && (0.0..18_446_744_073_709_551_616.0).contains(&v) => {
                self.uint(v as u64)
            }
            Numbers::Notepack if integral && (-9_223_372_036_854_775_808.0..0.0).contains(&v) => {
                self.int(v as i64)
            }
            _ => self.marker_be(0xcb, &v.to_be_bytes()),
        }
    }

    fn str(&mut self, s: &str) {
        let len = s.len();
        match len {
            0..=31 => self.byte(0xa0 | len as u8),
            32..=0xff => self.marker_be(0xd9, &[len as u8]),
            0x100..=0xffff => self.marker_be(0xda, &(len as u16).to_be_bytes()),
            _ => self.marker_be(0xdb, &(len as u32).to_be_bytes()),
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    fn bin(&mut self, b: &[u8]) {
        let len = b.len();
        match len {
            0..=0xff => self.marker_be(0xc4, &[len as u8]),
            0x100..=0xffff => self.marker_be(0xc5, &(len as u16).to_be_bytes()),
            _ => self.marker_be(0xc6, &(len as u32).to_be_bytes()),
        }
        self.out.extend_from_slice(b);
    }

    /// The header of an array (`map == false`) or a map of `len` entries.
    fn header(out: &mut Vec<u8>, len: usize, map: bool) {
        let (fix, m16) = if map { (0x80, 0xde) } else { (0x90, 0xdc) };
        match len {
            0..=15 => out.push(fix | len as u8),
            16..=0xffff => {
                out.push(m16);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(m16 + 1);
                out.extend_from_slice(&(len as u32).to_be_bytes());
            }
        }
    }
}

impl BinaryWriter for Writer {
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    fn head(out: &mut Vec<u8>, len: usize, map: bool) {
        Writer::header(out, len, map);
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

    /// Human-readable, as a JavaScript encoder is (a UUID or a time is a string to Node),
    /// except while a payload received as MsgPack is written back: its `bin`s stay `bin`s.
    fn is_human_readable(&self) -> bool {
        !self.received_payload
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.byte(if v { 0xc3 } else { 0xc2 });
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
        self.int(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(v), _) => self.int(v),
            (_, Ok(v)) => self.uint(v),
            _ => self.float(v as f64),
        }
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.uint(v.into());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.uint(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        match u64::try_from(v) {
            Ok(v) => self.uint(v),
            Err(_) => self.float(v as f64),
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
        self.bin(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.byte(0xc0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.byte(0xc0);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.byte(0xc0);
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
        Writer::header(&mut self.out, 1, true);
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
        Writer::header(&mut self.out, 1, true);
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
        Writer::header(&mut self.out, 1, true);
        self.str(variant);
        Ok(Compound::begin(self, Some(len), true))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bytes(v: &serde_json::Value, numbers: Numbers) -> Vec<u8> {
        to_vec(v, numbers, 16).unwrap()
    }

    /// Numbers as msgpack5 and notepack.io write them (checked against the npm packages).
    #[test]
    fn numbers_as_node_writes_them() {
        let m = Numbers::Msgpack5;
        let n = Numbers::Notepack;
        assert_eq!(bytes(&json!(0.5), m), [0xca, 0x3f, 0, 0, 0]);
        assert_eq!(bytes(&json!(0.5), n), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes(&json!(0.1), m)[0], 0xcb);
        assert_eq!(bytes(&json!(1.0), m), [1]);
        assert_eq!(bytes(&json!(1.0), n), [1]);
        assert_eq!(bytes(&json!(-300_000_000), m)[0], 0xd3);
        assert_eq!(bytes(&json!(-300_000_000), n)[0], 0xd2);
        assert_eq!(bytes(&json!(-200_000_000), m)[0], 0xd2);
        assert_eq!(bytes(&json!(2f64.powi(60)), m)[0], 0xcb);
        assert_eq!(bytes(&json!(2f64.powi(60)), n)[0], 0xcf);
        assert_eq!(bytes(&json!(-1), m), [0xff]);
        assert_eq!(bytes(&json!(200), m), [0xcc, 200]);
    }

    #[test]
    fn containers_and_strings_take_the_smallest_header() {
        let m = Numbers::Msgpack5;
        assert_eq!(bytes(&json!("a".repeat(31)), m)[0], 0xbf);
        assert_eq!(bytes(&json!("a".repeat(32)), m)[..2], [0xd9, 32]);
        assert_eq!(bytes(&json!(vec![1; 16]), m)[..3], [0xdc, 0, 16]);
        assert_eq!(bytes(&json!({"a": null}), m), [0x81, 0xa1, b'a', 0xc0]);
        // A map of unknown length gets its header once it is counted.
        let mut map = std::collections::BTreeMap::new();
        map.insert("k", 1);
        let flat = FlatMap(map);
        assert_eq!(to_vec(&flat, m, 8).unwrap(), [0x81, 0xa1, b'k', 1]);
    }

    struct FlatMap(std::collections::BTreeMap<&'static str, i32>);

    impl Serialize for FlatMap {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(None)?;
            for (k, v) in &self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
}
