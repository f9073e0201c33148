//! Context ids: cheap to make, UUID-shaped when printed.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// The id of a context (Node's `ctx.id`, `requestID`, `parentID`).
///
/// Locally made ids are a per-thread random prefix plus a counter, printed in the UUID v4
/// layout Node uses; making one costs a thread-local increment. Ids that arrive from other nodes are
/// kept as the strings they were.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContextId(IdRepr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum IdRepr {
    Local(u128),
    Foreign(Arc<str>),
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
        ContextId(IdRepr::Local((u128::from(prefix) << 64) | u128::from(n)))
    }

    /// An id received from elsewhere.
    pub fn from_string(id: impl Into<Arc<str>>) -> ContextId {
        ContextId(IdRepr::Foreign(id.into()))
    }
}

impl fmt::Display for ContextId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            IdRepr::Foreign(s) => f.write_str(s),
            IdRepr::Local(n) => {
                // Version nibble 4 and variant bits 10, as a v4 UUID has them; hex digits
                // written by hand (ids are printed for every remote call).
                let v = (n & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
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
        assert_eq!(ContextId::from("abc").to_string(), "abc");
    }
}
