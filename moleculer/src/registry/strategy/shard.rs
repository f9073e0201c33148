//! The `Shard` strategy: consistent hashing of a key read from the call (params, or meta with
//! `#path`) onto a ring of virtual nodes, with an LRU cache of key → node.

use md5::{Digest, Md5};
use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::js;

use super::lru::Lru;
use super::{Candidate, SelectInput, count_option, number_option, random_index};
use crate::js::{Root, lodash_get};

/// Node's default ring size for `Shard`: 2^32.
const DEFAULT_RING_SIZE: f64 = 4_294_967_296.0;

/// Where `Shard` reads its key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ShardKey {
    /// `#path`: a lodash path into the meta.
    Meta(String),
    /// A lodash path into the params.
    Params(String),
}

/// The `Shard` strategy: consistent hashing of a key from the call onto a ring of virtual nodes.
#[derive(Debug)]
pub(crate) struct Shard {
    /// Where the key comes from; `None` (no or empty `shardKey`) always picks at random.
    key: Option<ShardKey>,
    /// Virtual nodes per node (`vnodes`).
    vnodes: usize,
    /// `ringSize`; `None` (null or 0) means 2^32 and no `%` on the hash.
    ring_size: Option<f64>,
    /// `cacheSize` of the key → node LRU; 0 disables it.
    cache_size: usize,
    /// The ring and the cache, built from the candidates' node set.
    state: Mutex<ShardState>,
}

/// The ring and cache of one `Shard`.
#[derive(Debug)]
struct ShardState {
    /// Whether the ring has been built yet.
    built: bool,
    /// The node IDs the ring was built from, sorted as JavaScript's `Array.prototype.sort`.
    nodes: Vec<String>,
    /// The ring, by ascending key.
    ring: Vec<RingEntry>,
    /// Key text → index in `nodes`.
    cache: Lru,
}

/// One virtual node on the ring.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RingEntry {
    /// The top of this virtual node's slice of the ring.
    key: f64,
    /// Index in [`ShardState::nodes`].
    node: usize,
}

impl Shard {
    /// Reads `shardKey`, `vnodes`, `ringSize` and `cacheSize`.
    pub(super) fn from_options(options: &Map<String, Value>) -> Result<Shard, String> {
        let key = match options.get("shardKey") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(match s.strip_prefix('#') {
                Some(path) => ShardKey::Meta(path.to_owned()),
                None => ShardKey::Params(s.clone()),
            }),
            Some(other) => {
                return Err(format!(
                    "strategy option 'shardKey' must be a string, got {other}"
                ));
            }
        };
        let vnodes = count_option(options, "vnodes", 10)?;
        if vnodes == 0 {
            return Err("strategy option 'vnodes' must be at least 1".to_owned());
        }
        let ring_size = number_option(options, "ringSize", 0.0)?;
        if ring_size < 0.0 {
            return Err(format!(
                "strategy option 'ringSize' must be positive, got {ring_size}"
            ));
        }
        let ring_size = (ring_size > 0.0).then_some(ring_size);
        let cache_size = count_option(options, "cacheSize", 1000)?;
        Ok(Shard::new(key, vnodes, ring_size, cache_size))
    }

    /// A shard strategy with an empty ring.
    fn new(
        key: Option<ShardKey>,
        vnodes: usize,
        ring_size: Option<f64>,
        cache_size: usize,
    ) -> Self {
        Shard {
            key,
            vnodes,
            ring_size,
            cache_size,
            state: Mutex::new(ShardState {
                built: false,
                nodes: Vec::new(),
                ring: Vec::new(),
                cache: Lru::new(cache_size),
            }),
        }
    }

    /// Whether a key path is set (`shardKey`), so that picks read the call's params or meta.
    pub(super) fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The same options, an empty ring and cache.
    pub(super) fn fresh(&self) -> Shard {
        Shard::new(
            self.key.clone(),
            self.vnodes,
            self.ring_size,
            self.cache_size,
        )
    }

    /// The key of the call as text (`String(key)`); `None` if there is no key path or the value
    /// is missing or `null`.
    fn key_text(&self, input: &SelectInput<'_>) -> Option<String> {
        let value = match self.key.as_ref()? {
            ShardKey::Meta(path) => lodash_get(Root::Map(input.meta?), path)?,
            ShardKey::Params(path) => lodash_get(Root::Value(input.params?), path)?,
        };
        (!value.is_null()).then(|| js::value_to_string(&value))
    }

    /// Node's `getHash`: the first 32 bits of the key's MD5, `% ringSize` if one is set.
    fn hash(&self, key: &str) -> f64 {
        let digest = Md5::digest(key.as_bytes());
        let n = f64::from(u32::from_be_bytes([
            digest[0], digest[1], digest[2], digest[3],
        ]));
        match self.ring_size {
            Some(size) => n % size,
            None => n,
        }
    }

    /// Picks the candidate owning the call's key, or a random one without a key.
    pub(super) fn select<C: Candidate>(&self, candidates: &[C], input: &SelectInput<'_>) -> usize {
        let Some(key) = self.key_text(input) else {
            return random_index(candidates.len());
        };
        let mut ids: Vec<&str> = candidates.iter().map(Candidate::node_id).collect();
        ids.sort_by(|a, b| js::compare_utf16(a, b));

        let mut state = self.state.lock();
        if !state.built
            || !state
                .nodes
                .iter()
                .map(String::as_str)
                .eq(ids.iter().copied())
        {
            state.rebuild(
                &ids,
                self.vnodes,
                self.ring_size.unwrap_or(DEFAULT_RING_SIZE),
            );
        }
        let cached = state.cache.get(&key);
        let node = cached.or_else(|| {
            let node = state.lookup(self.hash(&key));
            if let Some(node) = node {
                state.cache.insert(key, node);
            }
            node
        });
        node.and_then(|n| {
            let id = state.nodes[n].as_str();
            candidates.iter().position(|c| c.node_id() == id)
        })
        .unwrap_or_else(|| random_index(candidates.len()))
    }
}

impl ShardState {
    /// Node's `rebuild`: clears the cache and lays `vnodes` rounds of the sorted nodes on the
    /// ring, slice by slice; the last key is the ring size itself.
    fn rebuild(&mut self, sorted_ids: &[&str], vnodes: usize, ring_size: f64) {
        self.cache.clear();
        self.nodes = sorted_ids.iter().map(|&id| id.to_owned()).collect();
        self.ring.clear();
        #[allow(clippy::cast_precision_loss)] // ring lengths are far below 2^52
        let slice = ring_size / (self.nodes.len() * vnodes) as f64;
        for _ in 0..vnodes {
            for node in 0..self.nodes.len() {
                #[allow(clippy::cast_precision_loss)]
                let key = (slice * (self.ring.len() + 1) as f64).floor();
                self.ring.push(RingEntry { key, node });
            }
        }
        if let Some(last) = self.ring.last_mut() {
            last.key = ring_size;
        }
        self.built = true;
    }

    /// The node of the first ring entry whose key is `>= hash`.
    fn lookup(&self, hash: f64) -> Option<usize> {
        // Keys never decrease (the ring size is positive), so this is Node's linear scan.
        let at = self.ring.partition_point(|e| e.key < hash);
        self.ring.get(at).map(|e| e.node)
    }
}

#[cfg(test)]
mod tests;
