//! Remote request/response throughput of moleculer-rs over NATS: the Rust side of
//! `bench/nats.sh`, beside Node Moleculer (`bench/nats_node.js`) and bare async-nats
//! (`bench_nats_bare`). See `BENCHMARKS.md`.
//!
//! * `bench_nats server`: node `bench-server-rs` hosting `bench.echo` (returns its params,
//!   typed as a Rust service declares them) and `bench.echoJson` (the same with
//!   `serde_json::Value`s); prints a `ready` line, runs until SIGINT/SIGTERM.
//! * `bench_nats client`: node `bench-client-rs`; waits for `bench`, checks one echo of each,
//!   then per case `c<N>` runs N concurrent loops of
//!   `call("bench.echo", Echo { a: 1, b: "hello", c: [1, 2, 3] })` (on the wire the same
//!   `{"a":1,"b":"hello","c":[1,2,3]}` Node sends) for `BENCH_WARMUP` then `BENCH_SECS`
//!   seconds and prints `{"impl":"rust","case":"c10","ops":N,"secs":S,"per_sec":R}`.
//!
//! Environment: `NATS_URL` (default `nats://127.0.0.1:4222`), `BENCH_TRANSPORTER` (another
//! transporter, e.g. `tcp://…` for `bench/tcp.sh`), `BENCH_NAMESPACE` (`bench-rs`),
//! `BENCH_SERIALIZER` (`JSON`, `MsgPack`, `Notepack`, `CBOR`), `BENCH_CASES` (`c1,c10,c100`), `BENCH_SECS` (3), `BENCH_WARMUP` (0.5), `BENCH_WORKERS`
//! (worker threads, 2), `BENCH_IMPL` (the `impl` printed, `rust`), `BENCH_PARAMS` (`typed`, or
//! `json` for `serde_json::Value` params and results through `bench.echoJson`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use moleculer::prelude::*;
use serde_json::{Value, json};

/// The echoed params, `{"a":1,"b":"hello","c":[1,2,3]}`, as a Rust service declares them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Validate, JsonSchema)]
struct Echo {
    a: i64,
    b: String,
    c: Vec<i64>,
}

#[derive(Default)]
struct Bench;

#[service(name = "bench", register = false)]
impl Bench {
    #[action(params = Echo)]
    async fn echo(&self, ctx: Context<Echo>) -> moleculer::Result<Echo> {
        Ok(ctx.params)
    }

    /// The same with JSON params and result (`BENCH_PARAMS=json`).
    #[action(name = "echoJson")]
    async fn echo_json(&self, ctx: Context) -> moleculer::Result<Value> {
        Ok(ctx.params)
    }
}

/// Whether the client calls with typed params (`Echo`, the default) or `serde_json::Value`s
/// (`BENCH_PARAMS=json`, calling `bench.echoJson`).
fn json_params() -> bool {
    env_or("BENCH_PARAMS", "typed") == "json"
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn env_secs(name: &str, default: f64) -> Result<Duration> {
    let text = env_or(name, &default.to_string());
    let secs: f64 = text.parse().with_context(|| format!("{name}={text}"))?;
    Ok(Duration::from_secs_f64(secs))
}

fn broker(node_id: &str, with_service: bool) -> Result<ServiceBroker> {
    let options: moleculer::BrokerOptions = serde_json::from_value(
        serde_json::json!({ "serializer": env_or("BENCH_SERIALIZER", "JSON") }),
    )?;
    let builder = ServiceBroker::builder()
        .options(options)
        .node_id(node_id)
        .namespace(env_or("BENCH_NAMESPACE", "bench-rs"))
        .transporter_url(&env_or(
            "BENCH_TRANSPORTER",
            &env_or("NATS_URL", "nats://127.0.0.1:4222"),
        ))
        .request_timeout(Duration::ZERO);
    let builder = if with_service {
        builder.service(Bench)
    } else {
        builder
    };
    Ok(builder.build()?)
}

async fn server() -> Result<()> {
    let broker = broker("bench-server-rs", true)?;
    broker.start().await?;
    println!(
        "{}",
        json!({"ready": true, "impl": "rust", "node": broker.node_id(), "namespace": broker.namespace()})
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    broker.stop().await?;
    Ok(())
}

fn echo_params() -> Echo {
    Echo {
        a: 1,
        b: "hello".into(),
        c: vec![1, 2, 3],
    }
}

/// Runs `concurrency` loops of calls for `duration`; the number of calls done.
async fn run_for(broker: &ServiceBroker, concurrency: usize, duration: Duration) -> Result<u64> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let json = json_params();
    let params = echo_params();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (broker, stop, done, params) =
                (broker.clone(), stop.clone(), done.clone(), params.clone());
            let json_params = serde_json::to_value(&params).expect("serializable");
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if json {
                        let _: Value = broker.call("bench.echoJson", json_params.clone()).await?;
                    } else {
                        let _: Echo = broker.call("bench.echo", params.clone()).await?;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<(), moleculer::Error>(())
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed))
}

async fn client() -> Result<()> {
    let broker = broker("bench-client-rs", false)?;
    broker.start().await?;
    broker
        .wait_for_services(&["bench"], Some(Duration::from_secs(10)))
        .await?;
    if json_params() {
        let params = json!({"a": 1, "b": "hello", "c": [1, 2, 3]});
        let echo: Value = broker.call("bench.echoJson", params.clone()).await?;
        ensure!(echo == params, "bad echo: {echo}");
    } else {
        let params = echo_params();
        let echo: Echo = broker.call("bench.echo", params.clone()).await?;
        ensure!(echo == params, "bad echo: {echo:?}");
    }
    let implementation = env_or("BENCH_IMPL", "rust");
    let (secs, warmup) = (env_secs("BENCH_SECS", 3.0)?, env_secs("BENCH_WARMUP", 0.5)?);
    for case in env_or("BENCH_CASES", "c1,c10,c100").split(',') {
        let Some(concurrency) = case.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) else {
            bail!("unknown case `{case}` (expected c<N>)");
        };
        run_for(&broker, concurrency, warmup).await?;
        let start = Instant::now();
        let ops = run_for(&broker, concurrency, secs).await?;
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({"impl": implementation, "case": case, "ops": ops, "secs": elapsed,
                   "per_sec": (ops as f64 / elapsed).round()})
        );
    }
    broker.stop().await?;
    Ok(())
}

fn main() -> Result<()> {
    let workers: usize = env_or("BENCH_WORKERS", "2").parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    match std::env::args().nth(1).as_deref() {
        Some("server") => runtime.block_on(server()),
        Some("client") => runtime.block_on(client()),
        _ => bail!("usage: bench_nats server|client"),
    }
}
