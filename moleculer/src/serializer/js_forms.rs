//! The JSON forms Node gives the JavaScript types JSON lacks, for the binary serializers to
//! read them as: a Buffer is `{"type":"Buffer","data":[…]}`, a Date its ISO string.

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed};

/// `{type: "Buffer", data: [bytes…]}`: bytes as Node's JSON shows a Buffer, read by a
/// deserializer whose error type is `E`.
pub(crate) struct BufferForm<'a, E> {
    bytes: &'a [u8],
    step: u8,
    error: PhantomData<E>,
}

impl<'a, E> BufferForm<'a, E> {
    pub(crate) fn new(bytes: &'a [u8]) -> BufferForm<'a, E> {
        BufferForm {
            bytes,
            step: 0,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> de::MapAccess<'de> for BufferForm<'_, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        let key = match self.step {
            0 => "type",
            1 => "data",
            _ => return Ok(None),
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        self.step += 1;
        if self.step == 1 {
            seed.deserialize(de::value::BorrowedStrDeserializer::new("Buffer"))
        } else {
            seed.deserialize(de::value::SeqDeserializer::new(self.bytes.iter().copied()))
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for seconds since the epoch (civil-from-days, proleptic
/// Gregorian).
pub(crate) fn iso_date(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates_before_and_after_the_epoch() {
        assert_eq!(iso_date(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_date(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(iso_date(-1, 0), "1969-12-31T23:59:59.000Z");
    }
}
