//! Node's process and OS metrics (the `collectProcessMetrics` option, `src/metrics/commons.js`):
//! registered when the registry starts, with Node's names, types, units, labels and
//! descriptions, and collected every `collectInterval` (5 s) by a task of their own, the first
//! time as the broker starts.
//!
//! This module has the `process.*` metrics and the task; [`os`](super::os) has the `os.*`
//! ones. Registered, in Node's order:
//!
//! * `process.arguments` (info, one series per `index`: the executable's absolute path, then
//!   the arguments), `process.pid`, `process.ppid` (infos), `process.memory.rss` (gauge,
//!   bytes), `process.uptime` (gauge, seconds, from a start known to the second);
//! * `os.memory.free`, `.used`, `.total`, `os.uptime`, `os.type`, `os.release`, `os.hostname`,
//!   `os.arch`, `os.platform`, `os.user.uid`, `.gid`, `.username`, `.homedir`,
//!   `os.network.address` and `.mac` (by `interface` and `family`), `os.datetime.unix`, `.iso`,
//!   `.utc`, `.tz.offset`, `os.cpu.load.1`, `.5`, `.15`, `os.cpu.utilization`, `os.cpu.user`,
//!   `.system`, `.total`, and `os.cpu.info.model`, `.speed`, `.times.user`, `.times.sys` (by
//!   `index`).
//!
//! The task keeps a `Weak` reference to the registry, so that it ends with it, and reads the
//! system on tokio's blocking threads: sysinfo reads files and asks the kernel.
//!
//! # Differences from moleculerjs
//!
//! Left out, as they measure Node's own runtime, which a Rust process does not have:
//!
//! * `process.memory.heap.size.total`, `.heap.size.used`, `process.memory.external`, the
//!   `process.memory.heap.space.*` series and the `process.memory.heap.stat.*` gauges: V8's
//!   heap and the buffers outside it;
//! * `process.internal.active.handles`: libuv's handles;
//! * `process.versions.node`: the version of Node (a Rust node has none to report, and a
//!   made-up one would mislead whoever reads it; `moleculer.node.type` says `rust`).
//!
//! 0.14's `process.gc.*`, `process.eventloop.lag.*` and `process.internal.active.requests`
//! are gone from 0.15 and are left out too.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{Value, json};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{MetricDef, MetricRegistry, MetricType, names, os};
use crate::broker::{clock, host};

/// A metric as Node's `registerCommonMetrics` defines it.
#[derive(Debug)]
pub(super) struct Common {
    pub(super) name: &'static str,
    pub(super) kind: MetricType,
    pub(super) unit: Option<&'static str>,
    pub(super) labels: &'static [&'static str],
    pub(super) description: &'static str,
}

impl Common {
    fn def(&self) -> MetricDef {
        let def = MetricDef::new(self.name, self.kind)
            .labels(self.labels)
            .description(self.description);
        match self.unit {
            Some(unit) => def.unit(unit),
            None => def,
        }
    }
}

/// The `process.*` metrics kept here, in Node's order.
const PROCESS: [Common; 5] = [
    Common {
        name: names::PROCESS_ARGUMENTS,
        kind: MetricType::Info,
        unit: None,
        labels: &["index"],
        description: "Process arguments",
    },
    Common {
        name: names::PROCESS_PID,
        kind: MetricType::Info,
        unit: None,
        labels: &[],
        description: "Process PID",
    },
    Common {
        name: names::PROCESS_PPID,
        kind: MetricType::Info,
        unit: None,
        labels: &[],
        description: "Process parent PID",
    },
    Common {
        name: names::PROCESS_MEMORY_RSS,
        kind: MetricType::Gauge,
        unit: Some("byte"),
        labels: &[],
        description: "Process RSS size",
    },
    Common {
        name: names::PROCESS_UPTIME,
        kind: MetricType::Gauge,
        unit: Some("second"),
        labels: &[],
        description: "Process uptime",
    },
];

/// Sets a metric registered here. A user's metric of the same name and another type was
/// there first, and keeps its values.
pub(super) fn set(registry: &MetricRegistry, name: &str, value: Value, labels: &Value) {
    let _ = registry.set(name, &value, labels);
}

/// Registers the process and OS metrics, sets the ones Node sets once, and spawns the task
/// that collects the others every `collectInterval`. Resolves once the first collection is
/// done, but for the CPUs' sample, which ends a moment later (as in Node).
pub(super) async fn start(registry: &Arc<MetricRegistry>) -> JoinHandle<()> {
    let every = registry.options().collect_interval;
    let (first_done, first) = oneshot::channel();
    let task = tokio::spawn(collect_every(Arc::downgrade(registry), every, first_done));
    // An error here is a task that ended before its first collection: nothing to wait for.
    let _ = first.await;
    task
}

/// The collecting task: registers, then collects at once and every `every`.
async fn collect_every(
    registry: Weak<MetricRegistry>,
    every: Duration,
    first_done: oneshot::Sender<()>,
) {
    let Some(mut probe) = blocking(&registry, Probe::new(), Probe::register).await else {
        return;
    };
    let mut first_done = Some(first_done);
    let mut ticks = tokio::time::interval(every);
    // A slow collection delays the next one rather than bunching them.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(sampling) = blocking(&registry, probe, Probe::collect).await else {
            return;
        };
        if let Some(done) = first_done.take() {
            let _ = done.send(());
        }
        // Node's `cpuUsage()` samples 200 ms too; sysinfo needs that long between reads.
        tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL).await;
        let Some(sampled) = blocking(&registry, sampling, Probe::collect_cpus).await else {
            return;
        };
        probe = sampled;
    }
}

/// Runs `step` on a blocking thread, while the registry is there.
async fn blocking(
    registry: &Weak<MetricRegistry>,
    mut probe: Probe,
    step: fn(&mut Probe, &MetricRegistry),
) -> Option<Probe> {
    let registry = registry.upgrade()?;
    tokio::task::spawn_blocking(move || {
        step(&mut probe, &registry);
        probe
    })
    .await
    .ok()
}

/// What the task keeps from one collection to the next: sysinfo's view of the system (the
/// CPUs' usage is the change between two reads).
#[derive(Debug)]
struct Probe {
    system: System,
    pid: Pid,
}

impl Probe {
    fn new() -> Probe {
        Probe {
            system: System::new(),
            pid: Pid::from_u32(std::process::id()),
        }
    }

    /// Node's `registerCommonMetrics`: every metric, and the values it sets once.
    fn register(&mut self, registry: &MetricRegistry) {
        for common in PROCESS.iter().chain(os::OS.iter()) {
            if let Err(err) = registry.register(common.def()) {
                tracing::warn!(error = %err, "process metric `{}` not registered", common.name);
            }
        }
        for (index, arg) in host::argv().into_iter().enumerate() {
            set(
                registry,
                names::PROCESS_ARGUMENTS,
                json!(arg),
                &json!({ "index": index }),
            );
        }
        set(
            registry,
            names::PROCESS_PID,
            json!(std::process::id()),
            &Value::Null,
        );
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing().with_user(UpdateKind::Always),
        );
        let process = self.system.process(self.pid);
        let ppid = process.and_then(sysinfo::Process::parent);
        set(
            registry,
            names::PROCESS_PPID,
            ppid.map_or(Value::Null, |pid| json!(pid.as_u32())),
            &Value::Null,
        );
        os::register(registry, &host::user(process.and_then(host::user_ids)));
    }

    /// Node's `updateCommonMetrics` up to its CPU sample, which this starts.
    fn collect(&mut self, registry: &MetricRegistry) {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let now_ms = clock::now_ms();
        if let Some(process) = self.system.process(self.pid) {
            set(
                registry,
                names::PROCESS_MEMORY_RSS,
                json!(process.memory()),
                &Value::Null,
            );
            // In whole milliseconds, so that the seconds print as Node's do.
            let up_ms = now_ms.saturating_sub(process.start_time().saturating_mul(1000));
            set(
                registry,
                names::PROCESS_UPTIME,
                json!(up_ms as f64 / 1000.0),
                &Value::Null,
            );
        }
        os::collect(&mut self.system, registry, now_ms);
    }

    /// The end of the CPU sample, and what Node sets with it.
    fn collect_cpus(&mut self, registry: &MetricRegistry) {
        os::collect_cpus(&mut self.system, registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsOptions;

    fn registry(collect_interval: Duration) -> Arc<MetricRegistry> {
        let mut options = MetricsOptions {
            enabled: true,
            ..MetricsOptions::default()
        };
        options.collect_process_metrics = true;
        options.collect_interval = collect_interval;
        Arc::new(MetricRegistry::new(options))
    }

    #[test]
    fn every_name_and_label_is_one_the_registry_takes() {
        let registry = registry(Duration::from_secs(5));
        for common in PROCESS.iter().chain(os::OS.iter()) {
            let metric = registry.register(common.def()).unwrap().unwrap();
            assert_eq!(metric.def().kind, common.kind, "{}", common.name);
        }
        assert_eq!(
            registry.list(&crate::metrics::ListOptions::all()).len(),
            PROCESS.len() + os::OS.len(),
            "each name once"
        );
    }

    #[tokio::test]
    async fn the_first_collection_is_done_when_start_returns() {
        let registry = registry(Duration::from_secs(60));
        let task = start(&registry).await;
        let value = |name: &str| registry.metric(name).unwrap().snapshot(0)["values"][0].clone();
        assert_eq!(
            value(names::PROCESS_PID)["value"],
            json!(std::process::id())
        );
        assert!(value(names::PROCESS_MEMORY_RSS)["value"].as_f64().unwrap() > 0.0);
        assert!(value(names::OS_MEMORY_TOTAL)["value"].as_f64().unwrap() > 0.0);
        assert_eq!(value(names::OS_ARCH)["value"], json!(host::arch()));
        task.abort();
    }

    #[tokio::test]
    async fn the_task_ends_with_the_registry() {
        let registry = registry(Duration::from_millis(10));
        let task = start(&registry).await;
        drop(registry);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("ended")
            .unwrap();
    }
}
