//! Local `broker.call` and `emit` throughput, the Rust side of `bench/local.js`.
//!
//! Run it with `cargo run --release -p moleculer-examples --example bench_local`, or through
//! `bash bench/run.sh`, which runs it beside Node Moleculer and prints a table. See
//! `BENCHMARKS.md`.
//!
//! One broker, no transporter, no logger subscriber, the default pipeline. A `math` service:
//! - `math.add`: typed params `AddParams` (serde + `validator` range rule + JSON Schema);
//! - `math.plain`: no params, returns a constant;
//! - an event handler for `bench.event`.
//!
//! Cases (each: a warm-up, then a fixed-duration measured run):
//! - `plain_c1`: sequential `broker.call::<f64, _>("math.plain", Value::Null)` (no params);
//! - `validated_c1`: sequential `broker.call::<f64, _>("math.add", AddParams { .. })`: the
//!   handler gets the caller's value moved, only the `validator` rules run, no JSON;
//! - `validated_json_c1`: sequential `broker.call::<f64, _>("math.add", json!({..}))`: the
//!   params go through the fastest-validator schema and are deserialized into `AddParams`;
//! - `validated_c100`: 100 tasks on a multi-thread runtime with 2 workers, each calling
//!   `math.add` with typed params in a loop and yielding to the scheduler after every call (so
//!   that all 100 loops interleave, as 100 `await` loops do in Node);
//! - `validated_c100_ct`: the same 100 tasks on a current-thread runtime (one core, like Node);
//! - `emit_c1`: sequential `broker.emit("bench.event", AddParams { .. })` to one local handler;
//! - `mw5_c1`: `validated_c1` on a broker with 5 user middlewares wrapping every local action
//!   (each passes the call on);
//! - `fault_c1`: `validated_c1` with the bulkhead, circuit breaker, retry policy and context
//!   tracking all enabled (none of them trips);
//! - `metrics_c1`: `validated_c1` with metrics enabled, process metrics off (the request
//!   metrics of every call);
//! - `tracing_c1`: `validated_c1` with tracing enabled: every call sampled, its span sent by
//!   the Event exporter at once (`interval: 0`);
//! - `debug_off_c1`: `validated_c1` on `math.logged`, whose handler has a `debug!` line, with
//!   a logger at `warn`: the cost of a log below the level;
//! - `cache_hit_c1`: sequential `math.cached` (`cache = { keys: ["a", "b"] }`) with the same
//!   typed params and the Memory cacher: every call after the first is a hit;
//! - `lru_hit_c1`: the same with the MemoryLRU cacher;
//! - `lru_miss_c1`: `math.cached` with `a` changing on every call (65,536 values) and MemoryLRU
//!   (max 1000): every call misses, runs the handler and caches its result;
//! - `redis_hit_c1`, `redis_miss_c1`: the same hit and miss with the Redis cacher (`REDIS_URL`,
//!   default `redis://127.0.0.1:6379`; `ttl: 60`; the miss's `a` is new on every call);
//! - `redis_bare_get_c1`: sequential `GET` of one key on a redis crate connection, no
//!   Moleculer: the ceiling of a Redis hit.
//!
//! Prints one JSON line per case: `{"impl":"rust","case":"...","ops":N,"secs":S,"per_sec":R}`.
//!
//! Configuration (environment or `--key=value` arguments):
//! - `BENCH_SECS` / `--secs=5`: measured seconds per case;
//! - `BENCH_WARMUP` / `--warmup=1`: warm-up seconds per case;
//! - `BENCH_CASES` / `--cases=a,b`: a comma-separated subset of the cases;
//! - `BENCH_ITERS` / `--iters=N`: run exactly N operations per case instead (no warm-up;
//!   for profilers such as `valgrind --tool=callgrind`);
//! - `BENCH_WORKERS` / `--workers=2`: worker threads of the multi-thread runtime
//!   (`validated_c100`).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moleculer::middleware::{Middleware, wrap_action};
use moleculer::prelude::*;
use moleculer::service::{ActionDef, ActionHandler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
struct AddParams {
    #[validate(range(min = -1e9, max = 1e9))]
    a: f64,
    b: f64,
}

struct Math {
    received: Arc<AtomicU64>,
}

#[service(name = "math", register = false)]
impl Math {
    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }

    /// `add` with a `debug!` line, below the level in `debug_off_c1`.
    #[action(params = AddParams)]
    async fn logged(&self, ctx: Context<AddParams>) -> Result<f64> {
        tracing::debug!(a = ctx.params.a, b = ctx.params.b, "adding");
        Ok(ctx.params.a + ctx.params.b)
    }

    #[action]
    async fn plain(&self) -> Result<f64> {
        Ok(3.0)
    }

    #[action(params = AddParams, cache = { keys: ["a", "b"] })]
    async fn cached(&self, ctx: Context<AddParams>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }

    #[event(name = "bench.event")]
    async fn on_event(&self, ctx: EventContext<AddParams>) {
        self.received
            .fetch_add(ctx.params.b as u64, Ordering::Relaxed);
    }
}

const CASES: [&str; 17] = [
    "plain_c1",
    "validated_c1",
    "validated_json_c1",
    "validated_c100",
    "validated_c100_ct",
    "emit_c1",
    "mw5_c1",
    "fault_c1",
    "metrics_c1",
    "tracing_c1",
    "debug_off_c1",
    "cache_hit_c1",
    "lru_hit_c1",
    "lru_miss_c1",
    "redis_hit_c1",
    "redis_miss_c1",
    "redis_bare_get_c1",
];

/// A user middleware that passes every local call on (Node: `localAction: next => ctx =>
/// next(ctx)`), counting the calls it saw.
struct PassOn(Arc<AtomicU64>);

impl Middleware for PassOn {
    fn local_action(&self, next: &ActionHandler, _action: &ActionDef) -> Option<ActionHandler> {
        let seen = self.0.clone();
        Some(wrap_action(next, move |ctx, next| {
            seen.fetch_add(1, Ordering::Relaxed);
            next.call(ctx)
        }))
    }
}

/// Calls between two looks at the clock.
const BLOCK: u64 = 1024;
/// Calls between two looks at the clock, per task, in the c=100 cases.
const TASK_BLOCK: u64 = 64;
const CONCURRENCY: usize = 100;

struct Config {
    workers: usize,
    secs: f64,
    warmup: f64,
    iters: Option<u64>,
    cases: Vec<String>,
}

fn arg(name: &str, env: &str) -> Option<String> {
    let flag = format!("--{name}=");
    std::env::args()
        .find_map(|a| a.strip_prefix(&flag).map(str::to_owned))
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
}

fn config() -> Config {
    let num = |name, env, default: f64| {
        arg(name, env).map_or(default, |v| {
            v.parse().unwrap_or_else(|_| panic!("bad {env}: {v}"))
        })
    };
    let cases: Vec<String> = arg("cases", "BENCH_CASES")
        .map(|c| {
            c.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_else(|| CASES.iter().map(|s| (*s).to_owned()).collect());
    for c in &cases {
        assert!(
            CASES.contains(&c.as_str()),
            "unknown case '{c}'; known: {}",
            CASES.join(", ")
        );
    }
    Config {
        workers: num("workers", "BENCH_WORKERS", 2.0) as usize,
        secs: num("secs", "BENCH_SECS", 5.0),
        warmup: num("warmup", "BENCH_WARMUP", 1.0),
        iters: arg("iters", "BENCH_ITERS").map(|v| v.parse().expect("bad BENCH_ITERS")),
        cases,
    }
}

/// How long a measured run lasts: a duration, or a number of operations.
#[derive(Clone, Copy)]
enum Run {
    For(Duration),
    Ops(u64),
}

async fn new_broker(case: &str, received: Arc<AtomicU64>, seen: Arc<AtomicU64>) -> ServiceBroker {
    let mut builder = ServiceBroker::builder();
    if case == "metrics_c1" {
        let options: moleculer::BrokerOptions = serde_json::from_value(
            json!({ "metrics": { "enabled": true, "collectProcessMetrics": false } }),
        )
        .expect("options");
        builder = builder.options(options);
    }
    if case == "debug_off_c1" {
        // A logger at `warn`: the handler's `debug!` is below its level.
        moleculer::logging::init_with("warn");
    }
    if case == "tracing_c1" {
        let options: moleculer::BrokerOptions = serde_json::from_value(json!({ "tracing": {
            "enabled": true, "exporter": { "type": "Event", "options": { "interval": 0 } } } }))
        .expect("options");
        builder = builder.options(options);
    }
    if case == "fault_c1" {
        let options: moleculer::BrokerOptions = serde_json::from_value(json!({
            "bulkhead": { "enabled": true, "concurrency": 10, "maxQueueSize": 100 },
            "circuitBreaker": { "enabled": true },
            "retryPolicy": { "enabled": true },
            "tracking": { "enabled": true },
        }))
        .expect("options");
        builder = builder.options(options);
    }
    let cacher = match case {
        "cache_hit_c1" => Some(json!("Memory")),
        "lru_hit_c1" | "lru_miss_c1" => {
            Some(json!({ "type": "MemoryLRU", "options": { "max": 1000 } }))
        }
        "redis_hit_c1" | "redis_miss_c1" => Some(json!({
            "type": "Redis",
            "options": { "redis": redis_url(), "ttl": 60, "prefix": "bench-rs" }
        })),
        _ => None,
    };
    if let Some(cacher) = cacher {
        let options: moleculer::BrokerOptions =
            serde_json::from_value(json!({ "cacher": cacher })).expect("options");
        builder = builder.options(options);
    }
    if case == "mw5_c1" {
        for _ in 0..5 {
            builder = builder.middleware(PassOn(seen.clone()));
        }
    }
    let broker = builder
        .node_id("bench-node")
        .service(Math { received })
        .build()
        .expect("broker");
    broker.start().await.expect("start");
    // Sanity checks: both paths work and validation is on.
    let sum: f64 = broker
        .call("math.add", AddParams { a: 1.0, b: 2.0 })
        .await
        .expect("typed call");
    assert_eq!(sum, 3.0);
    let sum: f64 = broker
        .call("math.add", json!({"a": 1, "b": 2}))
        .await
        .expect("json call");
    assert_eq!(sum, 3.0);
    let err = broker
        .call::<f64, _>("math.add", json!({"a": "x", "b": 2}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422, "JSON params are validated");
    let err = broker
        .call::<f64, _>("math.add", AddParams { a: 5e10, b: 2.0 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), 422, "typed params are validated");
    broker
}

/// Runs one sequential case; returns (ops, seconds).
async fn sequential(broker: &ServiceBroker, case: &'static str, run: Run) -> (u64, f64) {
    // Dispatching on the case name once, outside the loop, so the loop is the call only.
    macro_rules! timed {
        ($call:expr) => {{
            let start = Instant::now();
            let mut ops = 0u64;
            let mut acc = 0.0f64;
            match run {
                Run::Ops(n) => {
                    for i in 0..n {
                        acc += $call(i).await;
                    }
                    ops = n;
                }
                Run::For(d) => loop {
                    for j in 0..BLOCK {
                        acc += $call(ops + j).await;
                    }
                    ops += BLOCK;
                    if start.elapsed() >= d {
                        break;
                    }
                },
            }
            black_box(acc);
            (ops, start.elapsed().as_secs_f64())
        }};
    }
    match case {
        "plain_c1" => timed!(|_i: u64| async move {
            broker
                .call::<f64, _>("math.plain", Value::Null)
                .await
                .expect("plain")
        }),
        "validated_c1" | "mw5_c1" | "fault_c1" | "metrics_c1" | "tracing_c1" => {
            timed!(|i: u64| async move {
                let a = (i & 0xFFFF) as f64;
                broker
                    .call::<f64, _>("math.add", AddParams { a, b: 2.0 })
                    .await
                    .expect("add")
            })
        }
        "debug_off_c1" => timed!(|i: u64| async move {
            let a = (i & 0xFFFF) as f64;
            broker
                .call::<f64, _>("math.logged", AddParams { a, b: 2.0 })
                .await
                .expect("logged")
        }),
        "validated_json_c1" => timed!(|i: u64| async move {
            let a = (i & 0xFFFF) as f64;
            broker
                .call::<f64, _>("math.add", json!({"a": a, "b": 2.0}))
                .await
                .expect("add json")
        }),
        "cache_hit_c1" | "lru_hit_c1" => timed!(|_i: u64| async move {
            broker
                .call::<f64, _>("math.cached", AddParams { a: 1.0, b: 2.0 })
                .await
                .expect("cached")
        }),
        "redis_hit_c1" => timed!(|_i: u64| async move {
            broker
                .call::<f64, _>("math.cached", AddParams { a: 1.0, b: 2.0 })
                .await
                .expect("cached")
        }),
        "redis_miss_c1" => {
            // A value of `a` no earlier run has cached (within the params' 1e9 bound).
            let offset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64 % 90_000)
                * 10_000;
            timed!(|i: u64| async move {
                let a = (offset + i) as f64;
                broker
                    .call::<f64, _>("math.cached", AddParams { a, b: 2.0 })
                    .await
                    .expect("cached")
            })
        }
        "redis_bare_get_c1" => {
            let mut connection = redis::Client::open(redis_url())
                .expect("redis url")
                .get_multiplexed_async_connection()
                .await
                .expect("redis connection");
            redis::cmd("SET")
                .arg("bench-bare-key")
                .arg("3")
                .query_async::<()>(&mut connection)
                .await
                .expect("set");
            timed!(|_i: u64| {
                let mut connection = connection.clone();
                async move {
                    redis::cmd("GET")
                        .arg("bench-bare-key")
                        .query_async::<Option<Vec<u8>>>(&mut connection)
                        .await
                        .expect("get")
                        .map_or(0.0, |value| value.len() as f64)
                }
            })
        }
        "lru_miss_c1" => timed!(|i: u64| async move {
            let a = (i & 0xFFFF) as f64;
            broker
                .call::<f64, _>("math.cached", AddParams { a, b: 2.0 })
                .await
                .expect("cached")
        }),
        "emit_c1" => timed!(|i: u64| async move {
            let a = (i & 0xFFFF) as f64;
            broker
                .emit("bench.event", AddParams { a, b: 1.0 })
                .await
                .expect("emit");
            1.0
        }),
        other => unreachable!("{other} is not sequential"),
    }
}

/// Runs `CONCURRENCY` tasks calling `math.add` in a loop, yielding after every call.
async fn concurrent(broker: &ServiceBroker, run: Run) -> (u64, f64) {
    let start = Instant::now();
    let per_task = match run {
        Run::Ops(n) => Some(n.div_ceil(CONCURRENCY as u64)),
        Run::For(_) => None,
    };
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|t| {
            let broker = broker.clone();
            tokio::spawn(async move {
                let mut ops = 0u64;
                let mut acc = 0.0f64;
                loop {
                    for j in 0..TASK_BLOCK {
                        let a = ((ops + j + t as u64) & 0xFFFF) as f64;
                        acc += broker
                            .call::<f64, _>("math.add", AddParams { a, b: 2.0 })
                            .await
                            .expect("add");
                        tokio::task::yield_now().await;
                    }
                    ops += TASK_BLOCK;
                    let done = match (run, per_task) {
                        (_, Some(n)) => ops >= n,
                        (Run::For(d), None) => start.elapsed() >= d,
                        (Run::Ops(_), None) => unreachable!(),
                    };
                    if done {
                        break;
                    }
                }
                black_box(acc);
                ops
            })
        })
        .collect();
    let mut ops = 0;
    for task in tasks {
        ops += task.await.expect("task");
    }
    (ops, start.elapsed().as_secs_f64())
}

fn runtime(case: &str, workers: usize) -> tokio::runtime::Runtime {
    if case == "validated_c100" {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("runtime")
}

fn main() {
    let cfg = config();
    for case in &cfg.cases {
        let case: &'static str = CASES
            .iter()
            .find(|c| **c == case.as_str())
            .expect("known case");
        let rt = runtime(case, cfg.workers);
        let received = Arc::new(AtomicU64::new(0));
        let seen = Arc::new(AtomicU64::new(0));
        let (ops, secs) = rt.block_on(async {
            let broker = new_broker(case, received.clone(), seen.clone()).await;
            let measure = |run| {
                let broker = broker.clone();
                async move {
                    if case.starts_with("validated_c100") {
                        concurrent(&broker, run).await
                    } else {
                        sequential(&broker, case, run).await
                    }
                }
            };
            let result = match cfg.iters {
                Some(n) => measure(Run::Ops(n)).await,
                None => {
                    if cfg.warmup > 0.0 {
                        measure(Run::For(Duration::from_secs_f64(cfg.warmup))).await;
                    }
                    measure(Run::For(Duration::from_secs_f64(cfg.secs))).await
                }
            };
            broker.stop().await.expect("stop");
            result
        });
        if case == "mw5_c1" {
            assert!(
                seen.load(Ordering::Relaxed) >= 5 * ops,
                "every middleware saw every call"
            );
        }
        if case == "emit_c1" {
            assert!(
                received.load(Ordering::Relaxed) >= ops,
                "the event handler ran for every emit"
            );
        }
        println!(
            "{{\"impl\":\"rust\",\"case\":\"{case}\",\"ops\":{ops},\"secs\":{secs:.3},\"per_sec\":{}}}",
            (ops as f64 / secs).round() as u64
        );
    }
}

/// The Redis server of the Redis cases (`REDIS_URL`).
fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}
