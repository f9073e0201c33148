//! A small LRU map for the `Shard` strategy's key → node cache (lru-cache's `max` semantics).

use super::FastMap;

/// "No slot" in [`Lru`]'s links.
const NIL: usize = usize::MAX;

/// A bounded least-recently-used map from key text to a node index (as lru-cache's `max`):
/// reading or writing a key makes it the most recent, and a new key when full evicts the least
/// recent one.
#[derive(Debug)]
pub(super) struct Lru {
    /// Most entries kept; 0 keeps none.
    cap: usize,
    /// Key → slot.
    map: FastMap<String, usize>,
    /// The entries, linked from most to least recent.
    slots: Vec<LruSlot>,
    /// Most recent slot.
    head: usize,
    /// Least recent slot.
    tail: usize,
}

/// One entry of [`Lru`].
#[derive(Debug)]
struct LruSlot {
    /// Its key (to unmap it on eviction).
    key: String,
    /// Its value.
    value: usize,
    /// The more recent neighbour.
    prev: usize,
    /// The less recent neighbour.
    next: usize,
}

impl Lru {
    /// An empty cache of at most `cap` entries.
    pub(super) fn new(cap: usize) -> Self {
        Lru {
            cap,
            map: FastMap::default(),
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    /// How many entries are kept.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// The value of `key`, now the most recent.
    pub(super) fn get(&mut self, key: &str) -> Option<usize> {
        let slot = *self.map.get(key)?;
        self.touch(slot);
        Some(self.slots[slot].value)
    }

    /// Sets `key`, now the most recent, evicting the least recent entry when full.
    pub(super) fn insert(&mut self, key: String, value: usize) {
        if self.cap == 0 {
            return;
        }
        if let Some(&slot) = self.map.get(&key) {
            self.slots[slot].value = value;
            self.touch(slot);
            return;
        }
        let slot = if self.slots.len() < self.cap {
            self.slots.push(LruSlot {
                key: key.clone(),
                value,
                prev: NIL,
                next: NIL,
            });
            self.slots.len() - 1
        } else {
            let slot = self.tail;
            self.unlink(slot);
            let old = std::mem::replace(&mut self.slots[slot].key, key.clone());
            self.map.remove(&old);
            self.slots[slot].value = value;
            slot
        };
        self.push_front(slot);
        self.map.insert(key, slot);
    }

    /// Drops every entry.
    pub(super) fn clear(&mut self) {
        self.map.clear();
        self.slots.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    /// Makes `slot` the most recent.
    fn touch(&mut self, slot: usize) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    /// Takes `slot` out of the recency list.
    fn unlink(&mut self, slot: usize) {
        let LruSlot { prev, next, .. } = self.slots[slot];
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
    }

    /// Puts `slot` first in the recency list.
    fn push_front(&mut self, slot: usize) {
        self.slots[slot].prev = NIL;
        self.slots[slot].next = self.head;
        if self.head == NIL {
            self.tail = slot;
        } else {
            self.slots[self.head].prev = slot;
        }
        self.head = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_lru_evicts_least_recent() {
        let mut lru = Lru::new(2);
        lru.insert("a".to_owned(), 1);
        lru.insert("b".to_owned(), 2);
        assert_eq!(lru.get("a"), Some(1)); // a is now the most recent
        lru.insert("c".to_owned(), 3); // evicts b
        assert_eq!(lru.get("b"), None);
        assert_eq!(lru.get("a"), Some(1));
        assert_eq!(lru.get("c"), Some(3));
        lru.insert("a".to_owned(), 10); // update, now most recent
        lru.insert("d".to_owned(), 4); // evicts c
        assert_eq!(lru.get("c"), None);
        assert_eq!(lru.get("a"), Some(10));
        assert_eq!(lru.get("d"), Some(4));
        assert_eq!(lru.len(), 2);
        lru.clear();
        assert_eq!(lru.len(), 0);
        assert_eq!(lru.get("a"), None);
        lru.insert("e".to_owned(), 5);
        assert_eq!(lru.get("e"), Some(5));
        let mut one = Lru::new(1);
        one.insert("x".to_owned(), 1);
        one.insert("y".to_owned(), 2);
        assert_eq!((one.get("x"), one.get("y")), (None, Some(2)));
    }
}
