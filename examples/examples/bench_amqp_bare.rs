//! Bare RabbitMQ request/response throughput (lapin): the transport's ceiling for the remote
//! `bench.echo` benchmark over AMQP (`bash bench/amqp.sh`, beside Node Moleculer and
//! moleculer-rs). See `BENCHMARKS.md`.
//!
//! Moleculer's pattern on RabbitMQ, with Node's defaults, one connection and one channel per
//! side:
//! - the responder, in a second process (this binary run as `bench_amqp_bare respond`), as
//!   the Moleculer server is, consumes the queue `bench.bare.echo` with `prefetch` 1 and
//!   manual acknowledgements, and sends every request's payload, unchanged, to the queue
//!   `bench.bare.res`, then acknowledges the request;
//! - the requester consumes `bench.bare.res` without acknowledgements; `c` concurrent tasks
//!   each send a request to `bench.bare.echo` and await its response, which a dispatcher task
//!   matches by the `id` in the JSON payload, as Moleculer correlates responses.
//!
//! Each request carries the bytes of the REQ packet Node Moleculer 0.15.2 sends for
//! `broker.call("bench.echo", {"a":1,"b":"hello","c":[1,2,3]})` (a fresh 36-character id per
//! request). Cases: `c1`, `c10`, `c100` (any `c<N>`). Prints one JSON line per case:
//! `{"impl":"bare-amqp","case":"c10","ops":N,"secs":S,"per_sec":R}`.
//!
//! Environment: `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672`), `BENCH_SECS` (5),
//! `BENCH_WARMUP` (1), `BENCH_CASES` (`c1,c10,c100`), `BENCH_WORKERS` (2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde::Deserialize;
use tokio::sync::oneshot;

const IMPL: &str = "bare-amqp";
const REQUESTS: &str = "bench.bare.echo";
const RESPONSES: &str = "bench.bare.res";

const PACKET_HEAD: &str = r#"{"id":""#;
const PACKET_MID: &str = r#"","action":"bench.echo","params":{"a":1,"b":"hello","c":[1,2,3]},"meta":{},"headers":{},"timeout":0,"level":1,"tracing":null,"parentID":null,"requestID":""#;
const PACKET_TAIL: &str =
    r#"","caller":null,"stream":false,"ver":"5","sender":"bench-client-node"}"#;

/// A request payload with the id `id`, as a 36-character UUID-like string.
fn payload(id: u64) -> (String, Bytes) {
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        id >> 48,
        id & 0xFFFF_FFFF_FFFF
    );
    let mut buf =
        BytesMut::with_capacity(PACKET_HEAD.len() + PACKET_MID.len() + PACKET_TAIL.len() + 72);
    for part in [PACKET_HEAD, &id, PACKET_MID, &id, PACKET_TAIL] {
        buf.extend_from_slice(part.as_bytes());
    }
    (id, buf.freeze())
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn secs(name: &str, default: &str) -> Result<f64> {
    env(name, default)
        .parse()
        .with_context(|| format!("bad {name}"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    let workers: usize = env("BENCH_WORKERS", "2")
        .parse()
        .context("bad BENCH_WORKERS")?;
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()?)
}

/// A channel with both queues declared (transient, as a benchmark's).
async fn channel(url: &str) -> Result<(Connection, Channel)> {
    let connection = Connection::connect(url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    for queue in [REQUESTS, RESPONSES] {
        channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok((connection, channel))
}

async fn send(channel: &Channel, queue: &str, payload: &[u8]) -> Result<()> {
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            payload,
            BasicProperties::default(),
        )
        .await?;
    Ok(())
}

/// The responder process: echoes until stdin closes.
fn respond(url: &str) -> Result<()> {
    runtime()?.block_on(async {
        let (_connection, channel) = channel(url).await?;
        channel
            .basic_qos(1, BasicQosOptions { global: false })
            .await?;
        let mut requests = channel
            .basic_consume(
                REQUESTS.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tokio::spawn(async move {
            while let Some(delivery) = requests.next().await {
                let delivery = delivery.expect("a request");
                send(&channel, RESPONSES, &delivery.data)
                    .await
                    .expect("send the response");
                delivery
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .expect("ack the request");
            }
        });
        println!("ready");
        tokio::task::spawn_blocking(|| {
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())
        })
        .await??;
        Ok(())
    })
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Bytes>>>>;

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: &'a str,
}

/// `conc` tasks calling in a loop for `dur`: (ops, seconds).
async fn run(conc: usize, dur: Duration, out: &Channel, pending: &Pending) -> Result<(u64, f64)> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..conc)
        .map(|task| {
            let out = out.clone();
            let pending = pending.clone();
            tokio::spawn(async move {
                let mut ops = 0u64;
                while start.elapsed() < dur {
                    let (id, body) = payload(((task as u64) << 48) | ops);
                    let (tx, rx) = oneshot::channel();
                    pending.lock().expect("pending map").insert(id, tx);
                    send(&out, REQUESTS, &body).await?;
                    ensure!(rx.await? == body, "the echo changed the payload");
                    ops += 1;
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

fn main() -> Result<()> {
    let url = env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672");
    if std::env::args().nth(1).as_deref() == Some("respond") {
        return respond(&url);
    }
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("respond")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the responder process")?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().context("stdout")?),
        &mut line,
    )?;
    ensure!(
        line.trim() == "ready",
        "the responder did not start: {line:?}"
    );
    let result = requester(&url);
    drop(child.stdin.take());
    child.wait()?;
    result
}

fn requester(url: &str) -> Result<()> {
    let (secs, warmup) = (secs("BENCH_SECS", "5")?, secs("BENCH_WARMUP", "1")?);
    let cases: Vec<(String, usize)> = env("BENCH_CASES", "c1,c10,c100")
        .split(',')
        .map(
            |name| match name.trim().strip_prefix('c').and_then(|n| n.parse().ok()) {
                Some(conc) if conc > 0 => Ok((name.trim().to_owned(), conc)),
                _ => bail!("unknown case '{name}'; expected c<N>"),
            },
        )
        .collect::<Result<_>>()?;
    runtime()?.block_on(async {
        let (_connection, channel) = channel(url).await?;
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let mut responses = channel
            .basic_consume(RESPONSES.into(), "".into(), no_ack, FieldTable::default())
            .await?;
        let pending: Pending = Arc::default();
        let map = pending.clone();
        tokio::spawn(async move {
            while let Some(delivery) = responses.next().await {
                let body = Bytes::from(delivery.expect("a response").data);
                let id = serde_json::from_slice::<IdOnly<'_>>(&body)
                    .expect("an id")
                    .id
                    .to_owned();
                if let Some(tx) = map.lock().expect("pending map").remove(&id) {
                    let _ = tx.send(body);
                }
            }
        });
        for (name, conc) in cases {
            if warmup > 0.0 {
                run(conc, Duration::from_secs_f64(warmup), &channel, &pending).await?;
            }
            let (ops, secs) = run(conc, Duration::from_secs_f64(secs), &channel, &pending).await?;
            println!(
                "{{\"impl\":\"{IMPL}\",\"case\":\"{name}\",\"ops\":{ops},\"secs\":{secs:.3},\"per_sec\":{}}}",
                (ops as f64 / secs).round() as u64
            );
        }
        Ok(())
    })
}
