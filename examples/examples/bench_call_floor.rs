//! The floor of a local call by name: what the smallest possible versions of the work a
//! Moleculer call must do cost on this machine, without Moleculer. See `BENCHMARKS.md`.
//!
//! Every case adds `a + b` through an `async fn` handler and awaits it, in the same loop as
//! `bench_local`'s `validated_c1`:
//! - `direct`: the handler's `async fn` called and awaited directly (no lookup, no type
//!   erasure, no context): what the compiler alone makes of it;
//! - `lookup`: the handler found by its name in a hash map (foldhash) and called through a
//!   `dyn` function pointer that gets the params through a `&mut dyn Any` slot and writes the
//!   result into another; the handler still runs synchronously (no future);
//! - `boxed`: `lookup`, with the handler returning a boxed `dyn Future` (1 allocation), as
//!   any registry of `async` handlers of different types must unless it stores futures
//!   inline;
//! - `min_ctx`: `boxed`, plus a shared, reference-counted context (an id, a level, meta
//!   created on first use) that the caller keeps to read meta back: 2 allocations and 3
//!   reference-count updates, the least a call with Moleculer's context can do;
//! - `boxed_ctx`: `min_ctx` with a broker handle in the context and an empty meta map made per
//!   call.
//!
//! Prints one JSON line per case, as `bench_local`: `{"impl":"floor","case":...}`.
//! `BENCH_SECS`, `BENCH_WARMUP`, `BENCH_CASES` and `BENCH_ITERS` as in `bench_local`.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Params {
    a: f64,
    b: f64,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<f64, String>> + Send>>;
type SyncHandler = Box<dyn Fn(&mut dyn Any, &mut dyn Any) -> Result<(), String> + Send + Sync>;
type AsyncHandler = Box<dyn Fn(&mut dyn Any) -> BoxFuture + Send + Sync>;
type MinCtxHandler = Box<dyn Fn(Arc<MinCtx>, &mut dyn Any) -> BoxFuture + Send + Sync>;
type CtxHandler = Box<dyn Fn(Arc<Ctx>, &mut dyn Any) -> BoxFuture + Send + Sync>;

/// The least a shared context holds.
struct Ctx {
    id: u64,
    level: u32,
    broker: Arc<AtomicU64>,
    meta: Mutex<HashMap<String, String>>,
}

async fn add(p: Params) -> Result<f64, String> {
    Ok(p.a + p.b)
}

/// A context with nothing but what every call sets, and meta created on first use.
struct MinCtx {
    id: u64,
    level: u32,
    meta: Mutex<Option<HashMap<String, String>>>,
}

async fn add_min_ctx(ctx: Arc<MinCtx>, p: Params) -> Result<f64, String> {
    black_box((ctx.id, ctx.level));
    Ok(p.a + p.b)
}

async fn add_ctx(ctx: Arc<Ctx>, p: Params) -> Result<f64, String> {
    black_box(ctx.level);
    Ok(p.a + p.b)
}

fn take_params(slot: &mut dyn Any) -> Result<Params, String> {
    slot.downcast_mut::<Option<Params>>()
        .and_then(Option::take)
        .ok_or_else(|| "wrong params type".to_owned())
}

type Map<T> = HashMap<Box<str>, T, foldhash::fast::RandomState>;

/// A small registry: `math.add` and a few other names, each with a handler made by `make`.
fn registry<T>(make: impl Fn() -> T) -> Map<T> {
    [
        "math.add",
        "math.sub",
        "math.mul",
        "greeter.hello",
        "$node.list",
    ]
    .into_iter()
    .map(|name| (name.into(), make()))
    .collect()
}

fn main() {
    let env = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.to_owned());
    let secs: f64 = env("BENCH_SECS", "3").parse().expect("BENCH_SECS");
    let warmup: f64 = env("BENCH_WARMUP", "0.5").parse().expect("BENCH_WARMUP");
    let iters: Option<u64> = std::env::var("BENCH_ITERS")
        .ok()
        .map(|n| n.parse().expect("BENCH_ITERS"));
    let cases = env("BENCH_CASES", "direct,lookup,boxed,min_ctx,boxed_ctx");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let sync_map = registry(|| -> SyncHandler {
        Box::new(|params, out| {
            let p = take_params(params)?;
            if let Some(out) = out.downcast_mut::<Option<f64>>() {
                *out = Some(p.a + p.b);
            }
            Ok(())
        })
    });
    let async_map = registry(|| -> AsyncHandler {
        Box::new(|params| match take_params(params) {
            Ok(p) => Box::pin(add(p)),
            Err(e) => Box::pin(async move { Err(e) }),
        })
    });
    let ctx_map = registry(|| -> CtxHandler {
        Box::new(|ctx, params| match take_params(params) {
            Ok(p) => Box::pin(add_ctx(ctx, p)),
            Err(e) => Box::pin(async move { Err(e) }),
        })
    });
    let min_map = registry(|| -> MinCtxHandler {
        Box::new(|ctx, params| match take_params(params) {
            Ok(p) => Box::pin(add_min_ctx(ctx, p)),
            Err(e) => Box::pin(async move { Err(e) }),
        })
    });
    let broker = Arc::new(AtomicU64::new(0));

    for case in cases.split(',') {
        let run = |n: u64| -> f64 {
            runtime.block_on(async {
                let mut acc = 0.0;
                for i in 0..n {
                    let a = (i & 0xFFFF) as f64;
                    let name = black_box("math.add");
                    acc += match case {
                        "direct" => add(Params { a, b: 2.0 }).await.expect("add"),
                        "lookup" => {
                            let handler = &sync_map[name];
                            let mut params = Some(Params { a, b: 2.0 });
                            let mut out: Option<f64> = None;
                            handler(&mut params, &mut out).expect("add");
                            out.expect("result")
                        }
                        "boxed" => {
                            let mut params = Some(Params { a, b: 2.0 });
                            async_map[name](&mut params).await.expect("add")
                        }
                        "boxed_ctx" => {
                            let ctx = Arc::new(Ctx {
                                id: i,
                                level: 1,
                                broker: broker.clone(),
                                meta: Mutex::new(HashMap::new()),
                            });
                            let mut params = Some(Params { a, b: 2.0 });
                            let result = ctx_map[name](ctx.clone(), &mut params).await;
                            black_box(ctx.meta.lock().map(|m| m.len()).unwrap_or(0));
                            black_box((ctx.id, ctx.broker.load(Ordering::Relaxed)));
                            result.expect("add")
                        }
                        "min_ctx" => {
                            let ctx = Arc::new(MinCtx {
                                id: i,
                                level: 1,
                                meta: Mutex::new(None),
                            });
                            let mut params = Some(Params { a, b: 2.0 });
                            let result = min_map[name](ctx.clone(), &mut params).await;
                            black_box(ctx.meta.lock().map(|m| m.is_some()).unwrap_or(false));
                            result.expect("add")
                        }
                        other => panic!("unknown case {other}"),
                    };
                }
                acc
            })
        };
        let (ops, elapsed) = match iters {
            Some(n) => {
                let start = Instant::now();
                black_box(run(n));
                (n, start.elapsed())
            }
            None => {
                let timed = |d: f64| {
                    let start = Instant::now();
                    let mut ops = 0;
                    while start.elapsed() < Duration::from_secs_f64(d) {
                        black_box(run(1024));
                        ops += 1024;
                    }
                    (ops, start.elapsed())
                };
                timed(warmup);
                timed(secs)
            }
        };
        let secs = elapsed.as_secs_f64();
        println!(
            "{{\"impl\":\"floor\",\"case\":\"{case}\",\"ops\":{ops},\"secs\":{secs:.3},\"per_sec\":{:.0}}}",
            ops as f64 / secs
        );
    }
}
