//! `$node.health`: Node's `getHealthStatus()` (`src/health.js`), key for key.

use serde_json::{Value, json};
use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

use super::super::ServiceBroker;
use super::{clock, host, ip_list};

/// `{cpu, mem, os, process, client, net, time}`.
pub(super) fn health(broker: &ServiceBroker) -> Value {
    let mut sys = System::new();
    sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let pid = Pid::from_u32(std::process::id());
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        false,
        ProcessRefreshKind::nothing()
            .with_memory()
            .with_user(UpdateKind::Always),
    );
    let process = sys.process(pid);
    let now = clock::now_ms();
    json!({
        "cpu": cpu(),
        "mem": mem(&sys),
        "os": {
            "uptime": host::uptime(),
            "type": host::os_type(),
            "release": System::kernel_version().unwrap_or_default(),
            "hostname": super::hostname(),
            "arch": host::arch(),
            "platform": host::platform(),
            "user": host::user(process.and_then(host::user_ids)),
        },
        "process": {
            "pid": std::process::id(),
            "memory": memory(process),
            "uptime": process_uptime(broker, process, now),
            "argv": host::argv(),
        },
        "client": broker.inner.registry.local_node().client,
        "net": { "ip": ip_list() },
        "time": { "now": now, "iso": clock::iso(now), "utc": clock::utc(now) },
    })
}

/// `{load1, load5, load15, cores, utilization}`; `utilization` is the 1-minute load per
/// core in whole percent, at most 100 (`null` without cores, as 0.15 has it).
fn cpu() -> Value {
    let load = System::load_average();
    let cores = host::cpu_count();
    let utilization =
        (cores > 0).then(|| (load.one * 100.0 / cores as f64).floor().clamp(0.0, 100.0) as u64);
    json!({
        "load1": load.one,
        "load5": load.five,
        "load15": load.fifteen,
        "cores": cores,
        "utilization": utilization,
    })
}

/// `{free, total, percent}` in bytes; `free` is what `os.freemem()` reports: the memory
/// available to new processes.
fn mem(sys: &System) -> Value {
    let (free, total) = (sys.available_memory(), sys.total_memory());
    let percent = if total > 0 {
        Value::from(free as f64 * 100.0 / total as f64)
    } else {
        Value::Null
    };
    json!({ "free": free, "total": total, "percent": percent })
}

/// `process.memoryUsage()`: `{rss, heapTotal, heapUsed, external, arrayBuffers}` in bytes.
/// `rss` is the resident set size; a Rust process has no JavaScript heap and no buffers
/// outside it, so the other four are 0.
fn memory(process: Option<&sysinfo::Process>) -> Value {
    json!({
        "rss": process.map_or(0, sysinfo::Process::memory),
        "heapTotal": 0,
        "heapUsed": 0,
        "external": 0,
        "arrayBuffers": 0,
    })
}

/// `process.uptime()`: seconds since the process started (the start is known to the
/// second); the broker's uptime when the process cannot be read.
fn process_uptime(broker: &ServiceBroker, process: Option<&sysinfo::Process>, now_ms: u64) -> f64 {
    let broker_uptime = broker.inner.registry.uptime().as_secs_f64();
    process
        .map(|p| now_ms as f64 / 1000.0 - p.start_time() as f64)
        .filter(|secs| *secs >= 0.0)
        .map_or(broker_uptime, |secs| secs.max(broker_uptime))
}
