//! Bare TCP request/response throughput: the transport's ceiling for the remote `bench.echo`
//! benchmark on the TCP transporter (`bash bench/tcp.sh`), as `bench_nats_bare` is for NATS.
//!
//! Two "nodes" on 127.0.0.1, connected as Moleculer's TCP transporter connects them: each node
//! writes on its own outgoing connection and reads the other's on its listener. The responder
//! echoes every frame, unchanged, on its connection back, inline in its read loop (the echoes of
//! frames read together in one write). The requester runs `c` concurrent tasks, each queueing a
//! frame for the connection's writer task (which writes what queued in one write, as the TCP
//! transporter's writer does) and awaiting the echo in a loop; a reader task finds each echo's id
//! and completes the matching entry of a pending map (id -> oneshot sender), as Moleculer
//! correlates responses by the packet id. No JSON is parsed and nothing is allocated but the
//! frames and the pending entries.
//!
//! In the cases `c<N>` the responder is a second process (this binary, run as
//! `bench_tcp_bare respond`), as the Moleculer client and server are: every round trip then
//! wakes a process on the other core, which is most of its time at `c1` on a virtual machine.
//! In the cases `inproc_c<N>` both ends share one process and its runtime.
//!
//! Each request is a 6-byte frame header plus the 303 bytes of the REQ packet Node Moleculer
//! 0.15.2 sends for `broker.call("bench.echo", {"a":1,"b":"hello","c":[1,2,3]})`, with a fresh
//! 36-character id.
//!
//! Cases `c1`, `c10`, `c100` (any `c<N>` or `inproc_c<N>`). Prints one JSON line per case:
//! `{"impl":"bare-tcp","case":"c10","ops":N,"secs":S,"per_sec":R}`.
//!
//! Configuration (environment): `BENCH_SECS` (3), `BENCH_WARMUP` (0.5), `BENCH_CASES`
//! (`c1,c10,c100`), `BENCH_WORKERS` (worker threads, 2).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// The REQ packet of Node Moleculer 0.15.2 for `bench.echo`, around its two ids.
const PACKET_HEAD: &str = r#"{"id":""#;
const PACKET_MID: &str = r#"","action":"bench.echo","params":{"a":1,"b":"hello","c":[1,2,3]},"meta":{},"headers":{},"timeout":0,"level":1,"tracing":null,"parentID":null,"requestID":""#;
const PACKET_TAIL: &str =
    r#"","caller":null,"stream":false,"ver":"5","sender":"bench-client-node"}"#;
const ID_LEN: usize = 36;
const HEADER_LEN: usize = 6;

type Pending = Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<()>>>>;

/// A framed request with the id `id` (the id in the UUID layout, twice, as Node sends it).
fn frame(id: u64) -> Vec<u8> {
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        id >> 48,
        id & 0xFFFF_FFFF_FFFF
    );
    let body_len = PACKET_HEAD.len() + PACKET_MID.len() + PACKET_TAIL.len() + 2 * ID_LEN;
    let mut buf = Vec::with_capacity(HEADER_LEN + body_len);
    // Moleculer's header: check byte, length (header included), packet type (2 = REQ).
    buf.push(0);
    buf.extend_from_slice(&((HEADER_LEN + body_len) as u32).to_be_bytes());
    buf.push(2);
    for part in [PACKET_HEAD, &id, PACKET_MID, &id, PACKET_TAIL] {
        buf.extend_from_slice(part.as_bytes());
    }
    buf
}

/// The id back out of a frame's body.
fn id_of(body: &[u8]) -> Option<u64> {
    let text =
        std::str::from_utf8(body.get(PACKET_HEAD.len()..PACKET_HEAD.len() + ID_LEN)?).ok()?;
    let high = u64::from_str_radix(&text[..8], 16).ok()?;
    let low = u64::from_str_radix(&text[24..], 16).ok()?;
    Some((high << 48) | low)
}

/// Reads one frame into `buf` (header stripped); `false` at the end of the stream.
async fn read_frame(reader: &mut BufReader<OwnedReadHalf>, buf: &mut Vec<u8>) -> Result<bool> {
    let mut header = [0u8; HEADER_LEN];
    if let Err(err) = reader.read_exact(&mut header).await {
        return match err.kind() {
            std::io::ErrorKind::UnexpectedEof => Ok(false),
            _ => Err(err.into()),
        };
    }
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    buf.resize(len.saturating_sub(HEADER_LEN), 0);
    reader.read_exact(buf).await?;
    Ok(true)
}

/// Connects `from` to `to`'s listener; gives `from`'s outgoing half and `to`'s incoming half.
async fn link(to: &TcpListener) -> Result<(OwnedWriteHalf, BufReader<OwnedReadHalf>)> {
    let out = TcpStream::connect(to.local_addr()?).await?;
    out.set_nodelay(true)?;
    let (incoming, _) = to.accept().await?;
    incoming.set_nodelay(true)?;
    let (_, write) = out.into_split();
    let (read, _) = incoming.into_split();
    Ok((write, BufReader::with_capacity(64 * 1024, read)))
}

/// Echoes every frame of `request_in` on `response_out` until the stream ends; the echoes of
/// the frames that arrived together go out in one write.
async fn echo(
    mut request_in: BufReader<OwnedReadHalf>,
    mut response_out: OwnedWriteHalf,
) -> Result<()> {
    let mut body = Vec::new();
    let mut out = Vec::with_capacity(64 * 1024);
    while read_frame(&mut request_in, &mut body).await? {
        out.push(0);
        out.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_be_bytes());
        out.push(3);
        out.extend_from_slice(&body);
        if request_in.buffer().len() < HEADER_LEN {
            response_out.write_all(&out).await?;
            out.clear();
        }
    }
    Ok(())
}

/// The responder process: listens, prints its port, connects back to the requester's port
/// (`BENCH_RESPOND_TO`) and echoes until the requester closes its connection.
async fn respond() -> Result<()> {
    let requester: u16 = env_or("BENCH_RESPOND_TO", "").parse()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let (incoming, _) = listener.accept().await?;
    incoming.set_nodelay(true)?;
    let back = TcpStream::connect(("127.0.0.1", requester)).await?;
    back.set_nodelay(true)?;
    let (read, _) = incoming.into_split();
    let (_, write) = back.into_split();
    echo(BufReader::with_capacity(64 * 1024, read), write).await
}

/// The requester's two connections, `(request_out, response_in)`, to a responder in this
/// process (spawned here) or in a child process (returned, to be waited for).
async fn connect_responder(
    in_process: bool,
) -> Result<(
    OwnedWriteHalf,
    BufReader<OwnedReadHalf>,
    Option<tokio::task::JoinHandle<Result<()>>>,
    Option<std::process::Child>,
)> {
    let requester = TcpListener::bind("127.0.0.1:0").await?;
    if in_process {
        let responder = TcpListener::bind("127.0.0.1:0").await?;
        let (request_out, request_in) = link(&responder).await?;
        let (response_out, response_in) = link(&requester).await?;
        let task = tokio::spawn(echo(request_in, response_out));
        return Ok((request_out, response_in, Some(task), None));
    }
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("respond")
        .env(
            "BENCH_RESPOND_TO",
            requester.local_addr()?.port().to_string(),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().context("the responder's stdout")?),
        &mut line,
    )?;
    let port: u16 = line.trim().parse().context("the responder's port")?;
    let out = TcpStream::connect(("127.0.0.1", port)).await?;
    out.set_nodelay(true)?;
    let (incoming, _) = requester.accept().await?;
    incoming.set_nodelay(true)?;
    let (_, request_out) = out.into_split();
    let (response_in, _) = incoming.into_split();
    Ok((
        request_out,
        BufReader::with_capacity(64 * 1024, response_in),
        None,
        Some(child),
    ))
}

async fn run_case(
    concurrency: usize,
    in_process: bool,
    warmup: Duration,
    measured: Duration,
) -> Result<(u64, f64)> {
    let (request_out, mut response_in, echo, responder) = connect_responder(in_process).await?;

    // The requester's reader: completes the pending entries.
    let pending: Pending = Arc::default();
    let dispatcher = {
        let pending = pending.clone();
        tokio::spawn(async move {
            let mut body = Vec::new();
            while read_frame(&mut response_in, &mut body).await? {
                let id = id_of(&body).context("an echo without an id")?;
                if let Some(done) = pending.lock().expect("pending map").remove(&id) {
                    let _ = done.send(());
                }
            }
            anyhow::Ok(())
        })
    };

    // The requester's writer: what the tasks queued meanwhile goes out in one write.
    let (queue, mut queued) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        let mut request_out = request_out;
        let mut out = Vec::with_capacity(64 * 1024);
        while let Some(frame) = queued.recv().await {
            out.extend_from_slice(&frame);
            while let Ok(frame) = queued.try_recv() {
                out.extend_from_slice(&frame);
            }
            request_out.write_all(&out).await?;
            out.clear();
        }
        anyhow::Ok(())
    });
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let (queue, pending) = (queue.clone(), pending.clone());
            let (stop, measuring, done) = (stop.clone(), measuring.clone(), done.clone());
            tokio::spawn(async move {
                let mut n: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let id = ((task as u64) << 48) | n;
                    let (tx, rx) = oneshot::channel();
                    pending.lock().expect("pending map").insert(id, tx);
                    queue.send(frame(id)).ok().context("the writer stopped")?;
                    rx.await.context("the echo never came")?;
                    if measuring.load(Ordering::Relaxed) {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                anyhow::Ok(())
            })
        })
        .collect();
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(measured).await;
    let ops = done.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    drop(queue);
    writer.await??;
    if let Some(echo) = echo {
        echo.await??;
    }
    dispatcher.await??;
    if let Some(mut responder) = responder {
        responder.wait()?;
    }
    Ok((ops, secs))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn main() -> Result<()> {
    let secs: f64 = env_or("BENCH_SECS", "3").parse()?;
    let warmup: f64 = env_or("BENCH_WARMUP", "0.5").parse()?;
    let workers: usize = env_or("BENCH_WORKERS", "2").parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    if std::env::args().nth(1).as_deref() == Some("respond") {
        return runtime.block_on(respond());
    }
    for case in env_or("BENCH_CASES", "c1,c10,c100").split(',') {
        let (in_process, conc) = match case.strip_prefix("inproc_") {
            Some(conc) => (true, conc),
            None => (false, case),
        };
        let Some(concurrency) = conc.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) else {
            bail!("unknown case '{case}'; expected c<N> or inproc_c<N>, e.g. c10");
        };
        let (ops, elapsed) = runtime.block_on(run_case(
            concurrency.max(1),
            in_process,
            Duration::from_secs_f64(warmup),
            Duration::from_secs_f64(secs),
        ))?;
        println!(
            r#"{{"impl":"bare-tcp","case":"{case}","ops":{ops},"secs":{elapsed},"per_sec":{:.1}}}"#,
            ops as f64 / elapsed
        );
    }
    Ok(())
}
