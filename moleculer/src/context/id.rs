//! Context ids: cheap to make, UUID-shaped when printed.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// The id of a context (Node's `ctx.id`, `requestID`, `parentID`).
///
/// Locally made ids are a per-thread random prefix plus a counter, printed in the UUID v4
/// layout Node uses; making one costs a thread-local increment. Ids that arrive from other
/// nodes in that layout (lowercase) are kept as the same number, so they compare equal to the
/// id they were printed from; any other id is kept as the string it was.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContextId(IdRepr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum IdRepr {
    /// A UUID-shaped id, as its 128 bits (printed back exactly).
    Uuid(u128),
    /// Any other id, as received.
    Text(Arc<str>),
}

thread_local! {
    /// A random prefix per thread and a counter after it: unique ids without a shared atomic,
    /// so concurrent calls on several cores do not contend on one cache line.
    static NEXT: Cell<(u64, u64)> = Cell::new((fastrand::u64(..), 0));
}

impl ContextId {
    /// A new unique id.
    pub fn generate() -> ContextId {
        let (prefix, n) = NEXT.with(|next| {
            let (prefix, n) = next.get();
            next.set((prefix, n.wrapping_add(1)));
            (prefix, n)
        });
        // Version nibble 4 and variant bits 10, as a v4 UUID has them, so that the printed
        // form parses back to the same number.
        let n = (u128::from(prefix) << 64) | u128::from(n);
        let v4 = (n & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        ContextId(IdRepr::Uuid(v4))
    }

    /// An id received from elsewhere.
    pub fn from_string(id: impl Into<Arc<str>>) -> ContextId {
        let id = id.into();
        ContextId(parse_uuid(&id).map_or(IdRepr::Text(id), IdRepr::Uuid))
    }

    /// An id received from elsewhere, without allocating when it is a UUID in the lowercase
    /// layout Node and this crate print (then it equals the id it was printed from).
    pub fn parse(id: &str) -> ContextId {
        ContextId(parse_uuid(id).map_or_else(|| IdRepr::Text(Arc::from(id)), IdRepr::Uuid))
    }
}

/// The value of each lowercase hex digit; `0xFF` for every other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 16 {
        table[b"0123456789abcdef"[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The number of a lowercase `8-4-4-4-12` hex UUID; `None` for anything else, so that every
/// id that parses prints back exactly as it came.
fn parse_uuid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    if [bytes[8], bytes[13], bytes[18], bytes[23]] != [b'-'; 4] {
        return None;
    }
    // Every id of every remote call goes through here: one table lookup per digit.
    let mut n: u128 = 0;
    for group in [
        &bytes[..8],
        &bytes[9..13],
        &bytes[14..18],
        &bytes[19..23],
        &bytes[24..],
    ] {
        for &b in group {
            let digit = HEX_VALUE[usize::from(b)];
            if digit > 0xF {
                return None;
            }
            n = (n << 4) | u128::from(digit);
        }
    }
    Some(n)
}

impl fmt::Display for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            IdRepr::Text(s) => f.write_str(s),
            IdRepr::Uuid(n) => {
                // Hex digits written by hand (ids are printed for every remote call).
                let v = *n;
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut out = [b'-'; 36];
                let mut nibble = 32;
                for (i, byte) in out.iter_mut().enumerate() {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        continue;
                    }
                    nibble -= 1;
                    *byte = HEX[((v >> (nibble * 4)) & 0xF) as usize];
                }
                // Only ASCII hex digits and dashes were written.
                f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
            }
        }
    }
}

impl fmt::Debug for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContextId({self})")
    }
}

impl From<&str> for ContextId {
    fn from(s: &str) -> ContextId {
        ContextId::from_string(s)
    }
}

impl From<String> for ContextId {
    fn from(s: String) -> ContextId {
        ContextId::from_string(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_uuid_shaped() {
        let a = ContextId::generate().to_string();
        let b = ContextId::generate().to_string();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn foreign_ids_print_as_given() {
        for id in [
            "abc",
            "0f6d1a3e-9c1b-4a57-8e2f-5b7c9d0e1f2a",
            "0F6D1A3E-9C1B-4A57-8E2F-5B7C9D0E1F2A",
            "0f6d1a3e-9c1b-4a57-8e2f-5b7c9d0e1f2",
            "0f6d1a3e9c1b-4a57-8e2f-5b7c9d0e1f2a-",
            "0f6d1a3e-9c1b-4a57-8e2f-5b7c9d0e1f2g",
            "0f6d1a3e-9c1b-4a57-8e2f-5b7c9d0e1-2a",
            "0f6d1a3e-9c1b-4a57-8e2f-5b7c9d0\u{e9}f2",
        ] {
            assert_eq!(ContextId::from(id).to_string(), id);
            assert_eq!(ContextId::parse(id).to_string(), id);
        }
    }

    #[test]
    fn printed_ids_parse_back_to_the_same_id() {
        let id = ContextId::generate();
        assert_eq!(ContextId::parse(&id.to_string()), id);
        assert_eq!(ContextId::from(id.to_string()), id);
        assert_ne!(ContextId::parse("abc"), id);
    }
}
