//! Bare async-nats request/response throughput: the transport's ceiling for the remote
//! `bench.echo` benchmark of `bench/nats_node.js` (Node Moleculer) and `bench_nats` (moleculer-rs).
//!
//! Run it with `cargo run --release -p moleculer-examples --example bench_nats_bare` (a NATS
//! server must be running), or through `bash bench/nats.sh`, which runs it beside Node Moleculer
//! and prints a table. See `BENCHMARKS.md`.
//!
//! Two NATS connections, as two nodes would have:
//! - the responder subscribes `bench.bare.echo` and publishes every request's payload, unchanged,
//!   to the request's reply subject (inline, in its subscription loop). It runs in a second
//!   process (this binary, run as `bench_nats_bare respond`), as the Moleculer server does; the
//!   `inproc_` cases use a responder in this process instead (no wake-up of another process
//!   per round trip);
//! - the requester runs `c` concurrent tasks, each sending a request and awaiting its response in a
//!   loop, for a warm-up then a measured duration.
//!
//! Each request carries the bytes of the REQ packet Node Moleculer 0.15.2 sends for
//! `broker.call("bench.echo", {"a":1,"b":"hello","c":[1,2,3]})` (303 bytes of JSON, with a fresh
//! 36-character id per request); the response is the same bytes.
//!
//! Cases:
//! - `c1`, `c10`, `c100` (any `c<N>`): NATS request/reply, `client.request(subject, payload)`
//!   (async-nats multiplexes the responses on one `_INBOX.<nuid>.*` subscription);
//! - `inproc_c<N>`, `inproc_pubsub_c<N>`: the same two with the responder in this process;
//! - `pubsub_c1`, `pubsub_c10`, `pubsub_c100` (any `pubsub_c<N>`): Moleculer's pattern instead
//!   of request/reply: the requester subscribes its own subject once (as Moleculer subscribes
//!   `RES.<nodeID>`), publishes each request with that subject as reply subject, and a dispatcher
//!   task parses the `id` out of each JSON response and completes the matching entry of a pending
//!   map (id -> oneshot sender), as Moleculer correlates responses by the packet id.
//!
//! Prints one JSON line per case, the format of `bench_local` and `bench/local.js`:
//! `{"impl":"bare-nats","case":"c10","ops":N,"secs":S,"per_sec":R}`.
//!
//! Configuration (environment or `--key=value` arguments):
//! - `NATS_URL` / `--nats=url`: the NATS server (default `nats://127.0.0.1:4222`);
//! - `BENCH_SECS` / `--secs=5`: measured seconds per case;
//! - `BENCH_WARMUP` / `--warmup=1`: warm-up seconds per case;
//! - `BENCH_CASES` / `--cases=a,b`: a comma-separated subset of the cases (default
//!   `c1,c10,c100,pubsub_c1,pubsub_c10,pubsub_c100`);
//! - `BENCH_WORKERS` / `--workers=2`: worker threads of the multi-thread tokio runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use async_nats::Client;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::oneshot;

const IMPL: &str = "bare-nats";
/// The subject of the responder in the second process, and of the one in this process.
const SUBJECT: &str = "bench.bare.echo";
const INPROC_SUBJECT: &str = "bench.bare.echo.inproc";
const DEFAULT_CASES: &str = "c1,c10,c100,pubsub_c1,pubsub_c10,pubsub_c100";

/// The REQ packet of Node Moleculer 0.15.2 for `bench.echo`, around its two ids (the packet id
/// and the request id, the same for a top-level call).
const PACKET_HEAD: &str = r#"{"id":""#;
const PACKET_MID: &str = r#"","action":"bench.echo","params":{"a":1,"b":"hello","c":[1,2,3]},"meta":{},"headers":{},"timeout":0,"level":1,"tracing":null,"parentID":null,"requestID":""#;
const PACKET_TAIL: &str =
    r#"","caller":null,"stream":false,"ver":"5","sender":"bench-client-node"}"#;
const ID_LEN: usize = 36;

/// A request payload with the id `id`, rendered as a 36-character UUID-like string.
fn payload(id: u64) -> (String, Bytes) {
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        id >> 48,
        id & 0xFFFF_FFFF_FFFF
    );
    debug_assert_eq!(id.len(), ID_LEN);
    let mut buf = BytesMut::with_capacity(
        PACKET_HEAD.len() + PACKET_MID.len() + PACKET_TAIL.len() + 2 * ID_LEN,
    );
    for part in [PACKET_HEAD, &id, PACKET_MID, &id, PACKET_TAIL] {
        buf.extend_from_slice(part.as_bytes());
    }
    (id, buf.freeze())
}

/// Request ids unique across the tasks of a case: the task number in the high 16 bits.
fn request_id(task: usize, n: u64) -> u64 {
    ((task as u64) << 48) | (n & 0xFFFF_FFFF_FFFF)
}

struct Config {
    url: String,
    secs: f64,
    warmup: f64,
    workers: usize,
    cases: Vec<(Case, String)>,
}

/// One case: how requests are made, to which responder, by how many tasks.
#[derive(Clone, Copy)]
struct Case {
    mode: Mode,
    conc: usize,
    /// The responder's subject: in the second process, or in this one.
    subject: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `client.request`: NATS request/reply.
    Request,
    /// Publish with a fixed reply subject, correlate by the id in the payload.
    PubSub,
}

fn arg(name: &str, env: &str) -> Option<String> {
    let flag = format!("--{name}=");
    std::env::args()
        .find_map(|a| a.strip_prefix(&flag).map(str::to_owned))
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
}

fn parse_case(name: &str) -> Result<Case> {
    let (subject, name) = match name.strip_prefix("inproc_") {
        Some(rest) => (INPROC_SUBJECT, rest),
        None => (SUBJECT, name),
    };
    let (mode, rest) = match name.strip_prefix("pubsub_") {
        Some(rest) => (Mode::PubSub, rest),
        None => (Mode::Request, name),
    };
    let conc = rest
        .strip_prefix('c')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0);
    match conc {
        Some(conc) => Ok(Case {
            mode,
            conc,
            subject,
        }),
        None => {
            bail!("unknown case '{name}'; expected [inproc_][pubsub_]c<N>, e.g. c10, pubsub_c100")
        }
    }
}

fn config() -> Result<Config> {
    let num = |name, env, default: f64| -> Result<f64> {
        arg(name, env).map_or(Ok(default), |v| {
            v.parse().with_context(|| format!("bad {env}: {v}"))
        })
    };
    let cases = arg("cases", "BENCH_CASES")
        .unwrap_or_else(|| DEFAULT_CASES.to_owned())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| parse_case(name).map(|case| (case, name.to_owned())))
        .collect::<Result<_>>()?;
    Ok(Config {
        url: arg("nats", "NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned()),
        secs: num("secs", "BENCH_SECS", 5.0)?,
        warmup: num("warmup", "BENCH_WARMUP", 1.0)?,
        workers: num("workers", "BENCH_WORKERS", 2.0)? as usize,
        cases,
    })
}

async fn connect(url: &str, name: &str) -> Result<Client> {
    async_nats::ConnectOptions::new()
        .name(name)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// The responder: echoes every request's payload on `subject` to its reply subject.
async fn start_responder(url: &str, subject: &'static str) -> Result<Client> {
    let client = connect(url, "bench-bare-responder").await?;
    let mut sub = client.subscribe(subject).await?;
    client.flush().await?;
    let publisher = client.clone();
    tokio::spawn(async move {
        while let Some(msg) = sub.next().await {
            if let Some(reply) = msg.reply {
                publisher
                    .publish(reply, msg.payload)
                    .await
                    .expect("publish the response");
            }
        }
    });
    Ok(client)
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Bytes>>>>;

/// The requester side of the `pubsub_` cases: its own response subject, a pending map and the
/// task that dispatches responses to it.
#[derive(Clone)]
struct PubSub {
    client: Client,
    inbox: String,
    pending: Pending,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: &'a str,
}

impl PubSub {
    async fn start(client: Client) -> Result<Self> {
        let inbox = format!("bench.bare.res.{}", client.new_inbox().replace('.', "_"));
        let mut sub = client.subscribe(inbox.clone()).await?;
        client.flush().await?;
        let pending: Pending = Arc::default();
        let map = pending.clone();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                let id = serde_json::from_slice::<IdOnly<'_>>(&msg.payload)
                    .expect("a JSON response with an id")
                    .id;
                let waiter = map.lock().expect("pending map").remove(id);
                if let Some(tx) = waiter {
                    let _ = tx.send(msg.payload);
                }
            }
        });
        Ok(Self {
            client,
            inbox,
            pending,
        })
    }

    async fn call(&self, subject: &'static str, id: String, payload: Bytes) -> Result<Bytes> {
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending map").insert(id, tx);
        self.client
            .publish_with_reply(subject, self.inbox.clone(), payload)
            .await?;
        Ok(rx.await?)
    }
}

/// Runs `conc` tasks sending requests in a loop for `dur`; returns (ops, seconds).
async fn run(case: Case, dur: Duration, client: &Client, pubsub: &PubSub) -> Result<(u64, f64)> {
    let start = Instant::now();
    let Case {
        mode,
        conc,
        subject,
    } = case;
    let tasks: Vec<_> = (0..conc)
        .map(|t| {
            let client = client.clone();
            let pubsub = pubsub.clone();
            tokio::spawn(async move {
                let mut ops = 0u64;
                loop {
                    let (id, body) = payload(request_id(t, ops));
                    let len = body.len();
                    let response = match mode {
                        Mode::Request => client.request(subject, body).await?.payload,
                        Mode::PubSub => pubsub.call(subject, id, body).await?,
                    };
                    ensure!(response.len() == len, "the echo changed the payload");
                    ops += 1;
                    if start.elapsed() >= dur {
                        break;
                    }
                }
                Ok::<_, anyhow::Error>(ops)
            })
        })
        .collect();
    let mut ops = 0;
    for task in tasks {
        ops += task.await??;
    }
    Ok((ops, start.elapsed().as_secs_f64()))
}

/// The responder in a second process: this binary run as `bench_nats_bare respond`; it
/// prints `ready` once subscribed and ends with its stdin.
fn spawn_responder(url: &str) -> Result<std::process::Child> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("respond")
        .env("NATS_URL", url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the responder process")?;
    let stdout = child.stdout.take().context("the responder's stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    ensure!(
        line.trim() == "ready",
        "the responder did not start: {line:?}"
    );
    Ok(child)
}

/// The responder process's work: echo until stdin closes (the requester ended).
fn respond(cfg: &Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.workers.max(1))
        .enable_all()
        .build()?;
    // The responder's task runs on the runtime's workers while this thread waits for stdin.
    let _responder = rt.block_on(start_responder(&cfg.url, SUBJECT))?;
    println!("ready");
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())?;
    Ok(())
}

fn main() -> Result<()> {
    let cfg = config()?;
    if std::env::args().nth(1).as_deref() == Some("respond") {
        return respond(&cfg);
    }
    let mut child = spawn_responder(&cfg.url)?;
    let result = requester(&cfg);
    drop(child.stdin.take());
    child.wait()?;
    result
}

/// The requester: runs the cases and prints their figures.
fn requester(cfg: &Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.workers.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async {
        let _responder = start_responder(&cfg.url, INPROC_SUBJECT).await?;
        let requester = connect(&cfg.url, "bench-bare-requester").await?;
        let pubsub = PubSub::start(requester.clone()).await?;

        // Sanity check: both paths get the payload back unchanged, from both responders.
        for subject in [SUBJECT, INPROC_SUBJECT] {
            let (id, body) = payload(0);
            let echoed = requester.request(subject, body.clone()).await?.payload;
            ensure!(echoed == body, "request/reply: the echo changed the payload");
            ensure!(
                pubsub.call(subject, id, body.clone()).await? == body,
                "pubsub: the echo changed the payload"
            );
        }

        for (case, name) in &cfg.cases {
            if cfg.warmup > 0.0 {
                let warmup = Duration::from_secs_f64(cfg.warmup);
                run(*case, warmup, &requester, &pubsub).await?;
            }
            let dur = Duration::from_secs_f64(cfg.secs);
            let (ops, secs) = run(*case, dur, &requester, &pubsub).await?;
            ensure!(
                pubsub.pending.lock().expect("pending map").is_empty(),
                "responses are missing"
            );
            println!(
                "{{\"impl\":\"{IMPL}\",\"case\":\"{name}\",\"ops\":{ops},\"secs\":{secs:.3},\"per_sec\":{}}}",
                (ops as f64 / secs).round() as u64
            );
        }
        Ok(())
    })
}
