//! The JSON packet writer: a packet's fields written by hand around its payloads, byte for
//! byte what `serde_json` writes for the same packet, only faster: the keys are written as
//! they are, and so are strings with nothing to escape (ids, names). Received payload text is
//! written as it came.

use serde::Serialize;

use crate::options::ProtocolVersion;
use crate::payload::Payload;
use crate::protocol::Packet;
use crate::protocol::packet::ser::{Fields, WirePacket};

/// Appends `packet` as JSON, as a node speaking `version` sends it, to `out`.
pub(super) fn write_packet(
    packet: &Packet,
    version: ProtocolVersion,
    sender: &str,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let wire = WirePacket {
        packet,
        version,
        sender,
    };
    out.push(b'{');
    let mut fields = JsonFields { out, first: true };
    wire.fields(&mut fields)?;
    fields.out.push(b'}');
    Ok(())
}

/// The fields written as the members of a JSON object.
struct JsonFields<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl JsonFields<'_> {
    fn key(&mut self, key: &'static str) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        // The keys are Moleculer's field names: nothing to escape.
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }
}

impl Fields for JsonFields<'_> {
    type Error = serde_json::Error;

    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.key(key);
        serde_json::to_writer(&mut *self.out, value)
    }

    fn str(&mut self, key: &'static str, value: &str) -> Result<(), serde_json::Error> {
        self.key(key);
        write_json_str(self.out, value)
    }

    fn payload(&mut self, key: &'static str, value: &Payload) -> Result<(), serde_json::Error> {
        self.key(key);
        match value.as_raw_json() {
            Some(text) => {
                self.out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            None => serde_json::to_writer(&mut *self.out, value),
        }
    }

    fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> Result<(), serde_json::Error> {
        self.key(key);
        match value {
            Some(value) => write_json_str(self.out, value),
            None => {
                self.out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
}

/// Writes `value` as a JSON string: as it is when nothing in it needs escaping, else through
/// `serde_json`.
fn write_json_str(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    if needs_escape(value.as_bytes()) {
        return serde_json::to_writer(out, value);
    }
    out.reserve(value.len() + 2);
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether a JSON string needs escapes for `bytes`: a quote, a backslash or a control
/// character. Whole blocks are checked without early exit, so that the check vectorizes; the
/// bytes after the last block, and short strings (most keys and values), are checked 8 at a
/// time as words, read with fixed-size loads that may overlap bytes already checked.
pub(super) fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let len = bytes.len();
    if len < 8 {
        return word_needs_escape(short_word(bytes));
    }
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | special(b)) {
            return true;
        }
    }
    let rest = blocks.remainder().len();
    let word = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        word_needs_escape(u64::from_le_bytes(word))
    };
    rest > 0 && (word(len - rest.max(8)) || word(len - 8))
}

/// Up to 7 bytes as one word, every one of them in it, padded with bytes that need no
/// escape.
fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let mut word = [b'a'; 8];
    if n >= 4 {
        word[..4].copy_from_slice(&bytes[..4]);
        word[4..].copy_from_slice(&bytes[n - 4..]);
    } else if n > 0 {
        word[0] = bytes[0];
        word[1] = bytes[n / 2];
        word[2] = bytes[n - 1];
    }
    u64::from_le_bytes(word)
}

/// Whether one of the 8 bytes of `word` is below 0x20, a quote or a backslash (exact as a
/// whole, by the usual bit tricks: a byte below `n` leaves its high bit set after
/// subtracting `n` from every byte, when its own high bit was clear).
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(n * ONES) & !v & HIGH;
    let zero = |v: u64| below(v, 1);
    (below(word, 0x20)
        | zero(word ^ (u64::from(b'"') * ONES))
        | zero(word ^ (u64::from(b'\\') * ONES)))
        != 0
}

#[cfg(test)]
mod tests {
    use super::needs_escape;

    #[test]
    fn the_escape_check_finds_every_byte_that_needs_one() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        // Every byte value at every position of strings of every length up to 40, among
        // plain letters and among bytes with the high bit set (UTF-8 sequences).
        for filler in [b'a', 0xc3, 0x7f, 0x20, 0x80] {
            for len in 0..40 {
                for pos in 0..len {
                    for byte in 0..=255u8 {
                        let mut bytes = vec![filler; len];
                        bytes[pos] = byte;
                        assert_eq!(
                            needs_escape(&bytes),
                            naive(&bytes),
                            "{bytes:?} (byte {byte:#x} at {pos} of {len})"
                        );
                    }
                }
            }
        }
    }
}
