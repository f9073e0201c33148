//! Load-balancing strategies (Node's `src/strategies/*`): which of the available endpoints of
//! an action serves the next call.
//!
//! | Strategy | Options (defaults) | Choice |
//! |---|---|---|
//! | `RoundRobin` (default) | – | a counter per endpoint list, reset when it reaches the list length |
//! | `Random` | – | uniform |
//! | `CpuUsage` | `sampleCount: 3`, `lowCpuUsage: 10` | the first sampled node under `lowCpuUsage`, else the lowest CPU, else random |
//! | `Latency` | `sampleCount: 5`, `lowLatency: 10`, `collectCount: 5`, `pingInterval: 10` | as `CpuUsage`, on the host's average ping round-trip (ms) |
//! | `Shard` | `shardKey: null`, `vnodes: 10`, `ringSize: null`, `cacheSize: 1000` | consistent hashing of a key read from the params (or from the meta with `#path`) |
//!
//! The module knows nothing of the registry: a candidate only has to tell its node ID
//! ([`Candidate`]) and per-node figures come through [`NodeStats`]. Each endpoint list owns its
//! own [`Strategy`] (as Node builds one strategy object per `EndpointList`), see
//! [`Strategy::fresh`]. Every type here is `Send + Sync`.
//!
//! Shard keys are turned into text the way JavaScript's `String(key)` does (numbers printed as
//! JS prints them, arrays joined with commas, objects as `[object Object]`), and key paths are
//! resolved as lodash's `_.get` resolves them, so a Rust caller and a Node caller send the same
//! key to the same node.

mod latency;
mod lru;
mod shard;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

pub(crate) use latency::LatencyStore;
pub(crate) use shard::Shard;

use super::FastMap;

/// What a strategy needs to know of one candidate endpoint.
pub(crate) trait Candidate {
    /// The ID of the node the endpoint lives on.
    fn node_id(&self) -> &str;
}

impl Candidate for str {
    fn node_id(&self) -> &str {
        self
    }
}

impl<T: Candidate + ?Sized> Candidate for &T {
    fn node_id(&self) -> &str {
        (**self).node_id()
    }
}

impl<T: Candidate + ?Sized> Candidate for Arc<T> {
    fn node_id(&self) -> &str {
        (**self).node_id()
    }
}

/// Per-node figures the strategies read.
pub(crate) trait NodeStats {
    /// The node's CPU usage in percent, from its last `HEARTBEAT`; `None` if unknown.
    fn cpu(&self, node_id: &str) -> Option<f64>;
    /// The average ping round-trip to the node's host in milliseconds (see [`LatencyStore`]);
    /// `None` if there is no sample yet.
    fn latency_ms(&self, node_id: &str) -> Option<f64>;
}

/// What `Shard` reads from the call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SelectInput<'a> {
    /// The call's params (`ctx.params`).
    pub(crate) params: Option<&'a Value>,
    /// The call's meta (`ctx.meta`).
    pub(crate) meta: Option<&'a Map<String, Value>>,
}

/// The sampling options shared by `CpuUsage` and `Latency`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sampling {
    /// How many random endpoints to look at (`sampleCount`); `<= 0` or `>=` the list length
    /// means all of them, in order.
    pub(crate) sample_count: f64,
    /// A figure under this is good enough to stop looking (`lowCpuUsage` / `lowLatency`).
    pub(crate) low: f64,
}

/// The options of the `Latency` strategy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LatencyOptions {
    /// `sampleCount` (5) and `lowLatency` (10 ms).
    pub(crate) sampling: Sampling,
    /// How many round-trips per host are averaged (`collectCount`, 5); for [`LatencyStore::new`].
    pub(crate) collect_count: usize,
    /// How often hosts are pinged (`pingInterval`, 10 s).
    pub(crate) ping_interval: Duration,
}

/// A load-balancing strategy with its state (one per endpoint list).
#[derive(Debug)]
pub(crate) enum Strategy {
    /// Each endpoint in turn; the counter goes back to 0 when it reaches the list length.
    RoundRobin(AtomicUsize),
    /// A uniformly random endpoint.
    Random,
    /// The least busy of a few sampled nodes, by their CPU usage.
    CpuUsage(Sampling),
    /// The closest of a few sampled nodes, by their host's average ping round-trip.
    Latency(LatencyOptions),
    /// Consistent hashing of a key taken from the call.
    Shard(Shard),
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy::RoundRobin(AtomicUsize::new(0))
    }
}

impl Strategy {
    /// Builds a strategy from its name (case-insensitive: `RoundRobin`, `Random`, `CpuUsage`,
    /// `Latency`, `Shard`) and its options (Node's `strategyOptions`, camelCase keys). Missing or
    /// `null` options take Node's defaults and unknown keys are ignored; an unknown name or an
    /// option of the wrong type is an error.
    pub(crate) fn from_name(name: &str, options: &Map<String, Value>) -> Result<Strategy, String> {
        match name.to_lowercase().as_str() {
            "roundrobin" => Ok(Strategy::default()),
            "random" => Ok(Strategy::Random),
            "cpuusage" => Ok(Strategy::CpuUsage(Sampling {
                sample_count: number_option(options, "sampleCount", 3.0)?,
                low: number_option(options, "lowCpuUsage", 10.0)?,
            })),
            "latency" => {
                let ping = number_option(options, "pingInterval", 10.0)?;
                let ping_interval = Duration::try_from_secs_f64(ping).map_err(|_| {
                    format!("strategy option 'pingInterval' must be a number of seconds >= 0, got {ping}")
                })?;
                Ok(Strategy::Latency(LatencyOptions {
                    sampling: Sampling {
                        sample_count: number_option(options, "sampleCount", 5.0)?,
                        low: number_option(options, "lowLatency", 10.0)?,
                    },
                    collect_count: count_option(options, "collectCount", 5)?,
                    ping_interval,
                }))
            }
            "shard" => Shard::from_options(options).map(Strategy::Shard),
            _ => Err(format!("Invalid strategy type '{name}'.")),
        }
    }

    /// A new strategy with the same options and a clean state: counter at 0, no ring, empty
    /// cache. Node builds one strategy object per endpoint list; so does the registry with this.
    pub(crate) fn fresh(&self) -> Strategy {
        match self {
            Strategy::RoundRobin(_) => Strategy::default(),
            Strategy::Random => Strategy::Random,
            Strategy::CpuUsage(sampling) => Strategy::CpuUsage(*sampling),
            Strategy::Latency(options) => Strategy::Latency(*options),
            Strategy::Shard(shard) => Strategy::Shard(shard.fresh()),
        }
    }

    /// Whether [`select`](Self::select) reads the call's [`SelectInput`]: only `Shard` with a
    /// key path (`shardKey`) does; every other strategy ignores the params and meta.
    pub(crate) fn needs_input(&self) -> bool {
        match self {
            Strategy::Shard(shard) => shard.has_key(),
            Strategy::RoundRobin(_)
            | Strategy::Random
            | Strategy::CpuUsage(_)
            | Strategy::Latency(_) => false,
        }
    }

    /// Whether this is the `RoundRobin` strategy.
    pub(crate) fn is_round_robin(&self) -> bool {
        matches!(self, Strategy::RoundRobin(_))
    }

    /// The `Latency` strategy's options (for its [`LatencyStore`] and pinging); `None` for any
    /// other strategy.
    pub(crate) fn latency_options(&self) -> Option<&LatencyOptions> {
        match self {
            Strategy::Latency(options) => Some(options),
            _ => None,
        }
    }

    /// Picks the index of one of `candidates`: they are all available already, and there is at
    /// least one (with none, the answer is 0, which the caller must not use).
    pub(crate) fn select<C: Candidate>(
        &self,
        candidates: &[C],
        stats: &dyn NodeStats,
        input: &SelectInput<'_>,
    ) -> usize {
        let len = candidates.len();
        if len == 0 {
            return 0;
        }
        match self {
            Strategy::RoundRobin(counter) => {
                // Node: `if (counter >= length) counter = 0; return list[counter++]`.
                let step = |c: usize| Some(if c >= len { 1 } else { c + 1 });
                match counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, step) {
                    Ok(prev) | Err(prev) => {
                        if prev >= len {
                            0
                        } else {
                            prev
                        }
                    }
                }
            }
            Strategy::Random => random_index(len),
            Strategy::CpuUsage(sampling) => sampled(len, *sampling, false, |i| {
                stats.cpu(candidates[i].node_id())
            }),
            Strategy::Latency(options) => sampled(len, options.sampling, true, |i| {
                stats.latency_ms(candidates[i].node_id())
            }),
            Strategy::Shard(shard) => shard.select(candidates, input),
        }
    }
}

/// A uniformly random index below `len` (lodash's `random(0, len - 1)`); `len > 0`.
fn random_index(len: usize) -> usize {
    fastrand::usize(..len)
}

/// The selection shared by `CpuUsage` and `Latency`: look at `sample_count` random endpoints
/// (with replacement; all of them in order if `sample_count <= 0` or `>= len`), return the first
/// whose figure is under `low`, else the lowest figure, else a random one.
///
/// `zero_quirk` mirrors Node's latency code (`!minEp || !minLatency || lat < minLatency`): a
/// best figure of exactly 0 is replaced by the next sampled one. It only matters with
/// `lowLatency <= 0`.
fn sampled(
    len: usize,
    sampling: Sampling,
    zero_quirk: bool,
    figure: impl Fn(usize) -> Option<f64>,
) -> usize {
    #[allow(clippy::cast_precision_loss)] // endpoint lists are far below 2^52
    let len_f = len as f64;
    let count = sampling.sample_count;
    let all = count <= 0.0 || count >= len_f;
    let mut best: Option<(usize, f64)> = None;
    let mut i = 0usize;
    loop {
        #[allow(clippy::cast_precision_loss)]
        let more = if all { i < len } else { (i as f64) < count };
        if !more {
            break;
        }
        let idx = if all { i } else { random_index(len) };
        i += 1;
        let Some(value) = figure(idx) else {
            continue;
        };
        if value < sampling.low {
            return idx;
        }
        let replace = match best {
            None => true,
            Some((_, min)) => (zero_quirk && min == 0.0) || value < min,
        };
        if replace {
            best = Some((idx, value));
        }
    }
    best.map_or_else(|| random_index(len), |(idx, _)| idx)
}

/// A numeric option; missing or `null` gives `default`.
fn number_option(options: &Map<String, Value>, name: &str, default: f64) -> Result<f64, String> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| format!("strategy option '{name}' is not a usable number")),
        Some(other) => Err(format!(
            "strategy option '{name}' must be a number, got {other}"
        )),
    }
}

/// A whole, non-negative numeric option; missing or `null` gives `default`.
fn count_option(options: &Map<String, Value>, name: &str, default: usize) -> Result<usize, String> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                // `10.0` is a whole number too.
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9_007_199_254_740_992.0)
                    .map(|f| {
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let whole = f as u64;
                        whole
                    })
            })
            .and_then(|u| usize::try_from(u).ok())
            .ok_or_else(|| {
                format!("strategy option '{name}' must be a whole number >= 0, got {n}")
            }),
        Some(other) => Err(format!(
            "strategy option '{name}' must be a number, got {other}"
        )),
    }
}
