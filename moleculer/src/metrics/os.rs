//! The `os.*` metrics of Node's `commons.js`, with the values of Node's `os` module: the
//! memory, the kernel, the host, the user, the network addresses, the clock, the load and
//! the CPUs.
//!
//! # Differences from moleculerjs
//!
//! * `os.cpu.utilization` is the mean of each CPU's busy percentage over the 200 ms sample, as
//!   sysinfo counts it (iowait as idle, softirq and steal as busy, where Node's `cpuUsage`
//!   leaves those three out).
//! * `os.cpu.user`, `os.cpu.system` and `os.cpu.info.times.*` come from `/proc/stat`, which
//!   only Linux has (sysinfo keeps no CPU times); elsewhere they have no value.
//! * `os.network.*`: an interface with several addresses of one family has one series per
//!   family, as in Node, holding the highest address (Node: the last the system lists).
//!   Loopback addresses stand for Node's `internal` interfaces.
//! * `os.cpu.info.speed` is in MHz, as Node's `os.cpus()` gives it, under Node's unit `GHz`.

use serde_json::{Value, json};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, Networks, System};

use super::MetricRegistry;
use super::MetricType::{Gauge, Info};
use super::names;
use super::process::{Common, set};
use crate::broker::{clock, host};

/// A gauge without labels or unit.
const fn gauge(name: &'static str, description: &'static str) -> Common {
    Common {
        name,
        kind: Gauge,
        unit: None,
        labels: &[],
        description,
    }
}

/// An info without labels.
const fn info(name: &'static str, description: &'static str) -> Common {
    Common {
        name,
        kind: Info,
        unit: None,
        labels: &[],
        description,
    }
}

/// The `os.*` metrics, in Node's order.
pub(super) const OS: [Common; 30] = [
    Common {
        unit: Some("byte"),
        ..gauge(names::OS_MEMORY_FREE, "OS free memory size")
    },
    Common {
        unit: Some("byte"),
        ..gauge(names::OS_MEMORY_USED, "OS used memory size")
    },
    Common {
        unit: Some("byte"),
        ..gauge(names::OS_MEMORY_TOTAL, "OS total memory size")
    },
    Common {
        unit: Some("second"),
        ..gauge(names::OS_UPTIME, "OS uptime")
    },
    info(names::OS_TYPE, "OS type"),
    info(names::OS_RELEASE, "OS release"),
    info(names::OS_HOSTNAME, "Hostname"),
    info(names::OS_ARCH, "OS architecture"),
    info(names::OS_PLATFORM, "OS platform"),
    info(names::OS_USER_UID, "UID"),
    info(names::OS_USER_GID, "GID"),
    info(names::OS_USER_USERNAME, "Username"),
    info(names::OS_USER_HOMEDIR, "User's home directory"),
    Common {
        labels: &["interface", "family"],
        ..info(names::OS_NETWORK_ADDRESS, "Network address")
    },
    Common {
        labels: &["interface", "family"],
        ..info(names::OS_NETWORK_MAC, "MAC address")
    },
    gauge(names::OS_DATETIME_UNIX, "Current datetime in Unix format"),
    info(names::OS_DATETIME_ISO, "Current datetime in ISO string"),
    info(names::OS_DATETIME_UTC, "Current UTC datetime"),
    gauge(names::OS_DATETIME_TZ_OFFSET, "Timezone offset"),
    gauge(names::OS_CPU_LOAD_1, "CPU load1"),
    gauge(names::OS_CPU_LOAD_5, "CPU load5"),
    gauge(names::OS_CPU_LOAD_15, "CPU load15"),
    gauge(names::OS_CPU_UTILIZATION, "CPU utilization"),
    gauge(names::OS_CPU_USER, "CPU user time"),
    gauge(names::OS_CPU_SYSTEM, "CPU system time"),
    Common {
        unit: Some("cpu"),
        ..gauge(names::OS_CPU_TOTAL, "Number of CPUs")
    },
    Common {
        labels: &["index"],
        ..info(names::OS_CPU_INFO_MODEL, "CPU model")
    },
    Common {
        labels: &["index"],
        unit: Some("GHz"),
        ..gauge(names::OS_CPU_INFO_SPEED, "CPU speed")
    },
    Common {
        labels: &["index"],
        ..gauge(names::OS_CPU_INFO_TIMES_USER, "CPU user time")
    },
    Common {
        labels: &["index"],
        ..gauge(names::OS_CPU_INFO_TIMES_SYS, "CPU system time")
    },
];

/// Sets what Node sets once, as it registers: the kernel and host (set again at each
/// collection) and the user (`os.userInfo()`, `{}` when unknown).
pub(super) fn register(registry: &MetricRegistry, user: &Value) {
    host_infos(registry);
    for (name, key) in [
        (names::OS_USER_UID, "uid"),
        (names::OS_USER_GID, "gid"),
        (names::OS_USER_USERNAME, "username"),
        (names::OS_USER_HOMEDIR, "homedir"),
    ] {
        set(registry, name, user[key].clone(), &Value::Null);
    }
}

fn host_infos(registry: &MetricRegistry) {
    let infos = [
        (names::OS_TYPE, json!(host::os_type())),
        (names::OS_RELEASE, json!(System::kernel_version())),
        (names::OS_HOSTNAME, json!(System::host_name())),
        (names::OS_ARCH, json!(host::arch())),
        (names::OS_PLATFORM, json!(host::platform())),
    ];
    for (name, value) in infos {
        set(registry, name, value, &Value::Null);
    }
}

/// Node's update of the `os.*` metrics up to the CPU sample, which this starts.
pub(super) fn collect(system: &mut System, registry: &MetricRegistry, now_ms: u64) {
    system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    // `os.freemem()` is the memory available to new processes (`MemAvailable` on Linux).
    let (free, total) = (system.available_memory(), system.total_memory());
    let gauges = [
        (names::OS_MEMORY_FREE, json!(free)),
        (names::OS_MEMORY_USED, json!(total.saturating_sub(free))),
        (names::OS_MEMORY_TOTAL, json!(total)),
        (names::OS_UPTIME, json!(host::uptime())),
    ];
    for (name, value) in gauges {
        set(registry, name, value, &Value::Null);
    }
    host_infos(registry);
    for (interface, family, address, mac) in addresses(&Networks::new_with_refreshed_list()) {
        let labels = json!({ "interface": interface, "family": family });
        set(registry, names::OS_NETWORK_ADDRESS, json!(address), &labels);
        set(registry, names::OS_NETWORK_MAC, json!(mac), &labels);
    }
    let clock_values = [
        (names::OS_DATETIME_UNIX, json!(now_ms)),
        (names::OS_DATETIME_ISO, json!(clock::iso(now_ms))),
        (names::OS_DATETIME_UTC, json!(clock::utc(now_ms))),
        (names::OS_DATETIME_TZ_OFFSET, json!(timezone_offset(now_ms))),
    ];
    for (name, value) in clock_values {
        set(registry, name, value, &Value::Null);
    }
    let load = System::load_average();
    for (name, value) in [
        (names::OS_CPU_LOAD_1, load.one),
        (names::OS_CPU_LOAD_5, load.five),
        (names::OS_CPU_LOAD_15, load.fifteen),
    ] {
        set(registry, name, json!(value), &Value::Null);
    }
    system.refresh_cpu_usage();
}

/// The end of the CPU sample: the utilization, then what Node reads from `os.cpus()`.
pub(super) fn collect_cpus(system: &mut System, registry: &MetricRegistry) {
    system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_cpu_usage().with_frequency());
    let cpus = system.cpus();
    if cpus.is_empty() {
        return;
    }
    let usage = cpus.iter().map(|c| f64::from(c.cpu_usage())).sum::<f64>() / cpus.len() as f64;
    set(
        registry,
        names::OS_CPU_UTILIZATION,
        json!(usage),
        &Value::Null,
    );
    set(
        registry,
        names::OS_CPU_TOTAL,
        json!(cpus.len()),
        &Value::Null,
    );
    let times = std::fs::read_to_string("/proc/stat")
        .map(|stat| cpu_times(&stat))
        .unwrap_or_default();
    if times.len() == cpus.len() {
        let user: u64 = times.iter().map(|t| t.0).sum();
        let sys: u64 = times.iter().map(|t| t.1).sum();
        set(registry, names::OS_CPU_USER, json!(user), &Value::Null);
        set(registry, names::OS_CPU_SYSTEM, json!(sys), &Value::Null);
    }
    for (index, cpu) in cpus.iter().enumerate() {
        let labels = json!({ "index": index });
        set(
            registry,
            names::OS_CPU_INFO_MODEL,
            json!(cpu.brand()),
            &labels,
        );
        set(
            registry,
            names::OS_CPU_INFO_SPEED,
            json!(cpu.frequency()),
            &labels,
        );
        if let Some((user, sys)) = times.get(index).filter(|_| times.len() == cpus.len()) {
            set(
                registry,
                names::OS_CPU_INFO_TIMES_USER,
                json!(user),
                &labels,
            );
            set(registry, names::OS_CPU_INFO_TIMES_SYS, json!(sys), &labels);
        }
    }
}

/// `(interface, family, address, mac)` of each address Node's `getNetworkInterfaces` keeps:
/// those of the external interfaces or, when there are none, of the loopback ones; in the
/// kernel's order of the interfaces.
fn addresses(networks: &Networks) -> Vec<(String, &'static str, String, String)> {
    let mut all: Vec<_> = networks
        .iter()
        .flat_map(|(name, data)| {
            data.ip_networks().iter().map(move |net| {
                let family = if net.addr.is_ipv4() { "IPv4" } else { "IPv6" };
                let mac = data.mac_address().to_string();
                (host::interface_index(name), name, net.addr, family, mac)
            })
        })
        .collect();
    all.sort();
    let (internal, external): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|entry| entry.2.is_loopback());
    let kept = if external.is_empty() {
        internal
    } else {
        external
    };
    kept.into_iter()
        .map(|(_, name, addr, family, mac)| (name.clone(), family, addr.to_string(), mac))
        .collect()
}

/// JavaScript's `getTimezoneOffset()` at `ms`: minutes from the local time to UTC (`-60` in
/// Paris in winter).
fn timezone_offset(ms: u64) -> f64 {
    use chrono::{Offset, TimeZone};
    let local = i64::try_from(ms)
        .ok()
        .and_then(|ms| chrono::Local.timestamp_millis_opt(ms).single());
    local.map_or(0.0, |at| {
        -f64::from(at.offset().fix().local_minus_utc()) / 60.0
    })
}

/// Milliseconds in one tick of `/proc/stat`: the kernel counts there in `USER_HZ`, 100 a
/// second on every Linux architecture (what libuv's `sysconf(_SC_CLK_TCK)` gives).
const MS_PER_TICK: u64 = 10;

/// `(user, sys)` milliseconds of each CPU (`cpuN` lines: `user nice system idle …`), as
/// libuv's `os.cpus()` reads them.
fn cpu_times(stat: &str) -> Vec<(u64, u64)> {
    stat.lines()
        .filter(|line| {
            line.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|line| {
            let mut fields = line
                .split_whitespace()
                .skip(1)
                .map(|f| f.parse().unwrap_or(0));
            let user: u64 = fields.next().unwrap_or(0);
            let _nice = fields.next();
            let sys: u64 = fields.next().unwrap_or(0);
            (user * MS_PER_TICK, sys * MS_PER_TICK)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_per_cpu_in_milliseconds() {
        let stat = "cpu  38372 0 12509 26342 580 0 76 105 0 0\n\
                    cpu0 18883 0 5612 14314 169 0 5 47 0 0\n\
                    cpu1 19489 3 6896 12027 411 0 70 57 0 0\n\
                    intr 1 2 3\nctxt 42\n";
        assert_eq!(
            cpu_times(stat),
            [(188_830, 56_120), (194_890, 68_960)],
            "the total line left out"
        );
        assert!(cpu_times("").is_empty());
    }

    #[test]
    fn the_timezone_offset_is_javascripts() {
        let offset = timezone_offset(1_709_251_198_007);
        assert_eq!(offset.fract(), 0.0, "whole minutes here: {offset}");
        assert!((-14.0 * 60.0..=12.0 * 60.0).contains(&offset), "{offset}");
    }

    #[test]
    fn addresses_come_in_nodes_families() {
        let networks = Networks::new_with_refreshed_list();
        for (interface, family, address, mac) in addresses(&networks) {
            assert!(!interface.is_empty());
            let ip: std::net::IpAddr = address.parse().unwrap();
            assert_eq!(family, if ip.is_ipv4() { "IPv4" } else { "IPv6" });
            assert_eq!(mac.len(), 17, "{mac}");
        }
    }
}
