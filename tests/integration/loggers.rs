//! Node's loggers: the lines of the `Console` and `File` loggers against the lines
//! moleculer 0.15 prints for the same records (`tests/node/loggers.js`, run live; skipped,
//! with the reason printed, when `node` is missing), times compared by shape; the file
//! logger's file names and batching; several loggers with their own levels; a service's
//! bindings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use moleculer::logging::{Loggers, NodeBindings};
use moleculer::options::{LogLevelOption, LoggerOption};
use moleculer_tests::node::{brokers_required, ensure_node_modules, node_available, node_dir};
use tracing_subscriber::prelude::*;

/// What marks the test's own records among the brokers' lines.
const MARKERS: [&str; 8] = [
    "Hello",
    "careful",
    "deadly",
    "oops",
    "login",
    "finished",
    "n: 1.5",
    "\"n\":1.5",
];

/// A fresh, empty directory for one test.
fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mol-loggers-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `node` and the Node dependencies are there; prints why not.
fn node_ready() -> bool {
    let reason = match node_available().and_then(|_| ensure_node_modules()) {
        Ok(()) => return true,
        Err(cause) => format!("node not available ({cause})"),
    };
    assert!(!brokers_required(), "{reason}");
    println!("skipped: {reason}");
    false
}

/// The line with its times masked: `<timestamp>` for an ISO time, `<time>` for its time
/// part, `<ts>` for JSON's milliseconds; the rest must match byte for byte.
fn mask_times(line: &str) -> String {
    fn shaped(s: &[u8], shape: &[u8]) -> bool {
        s.len() >= shape.len()
            && shape.iter().zip(s).all(|(want, got)| match want {
                b'D' => got.is_ascii_digit(),
                other => other == got,
            })
    }
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if shaped(rest, b"DDDD-DD-DDTDD:DD:DD.DDDZ") {
            out.push_str("<timestamp>");
            i += 24;
        } else if shaped(rest, b"DD:DD:DD.DDDZ") {
            out.push_str("<time>");
            i += 13;
        } else if rest.starts_with(b"\"ts\":") && rest.get(5).is_some_and(u8::is_ascii_digit) {
            out.push_str("\"ts\":<ts>");
            i += 5 + rest[5..].iter().take_while(|b| b.is_ascii_digit()).count();
        } else {
            let c = line[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The test's own lines of `text`, times masked.
fn own_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| MARKERS.iter().any(|m| line.contains(m)))
        .map(mask_times)
        .collect()
}

/// The test's lines on stdout and on stderr.
fn streams(output: &Output) -> (Vec<String>, Vec<String>) {
    assert!(output.status.success(), "{output:?}");
    (
        own_lines(&String::from_utf8_lossy(&output.stdout)),
        own_lines(&String::from_utf8_lossy(&output.stderr)),
    )
}

fn clean(command: &mut Command) -> &mut Command {
    command
        .env_remove("RUST_LOG")
        .env_remove("LOGLEVEL")
        .env_remove("FORCE_COLOR")
        .env_remove("MOLECULER_CONFIG")
}

/// Runs `loggers_node` in `dir` with the `logger` option `logger`.
fn rust_node(logger: &str, dir: &Path) -> Output {
    let config = format!(
        r#"{{"nodeID": "node-1", "namespace": "ns1", "logLevel": "trace", "logger": {logger}}}"#
    );
    std::fs::write(dir.join("moleculer.config.json"), config).unwrap();
    clean(&mut Command::new(env!("CARGO_BIN_EXE_loggers_node")))
        .current_dir(dir)
        .output()
        .expect("run loggers_node")
}

/// Runs `tests/node/loggers.js` in `dir` with the `logger` option `logger`.
fn node_node(logger: &str, dir: &Path) -> Output {
    clean(&mut Command::new("node"))
        .arg(node_dir().join("loggers.js"))
        .arg(logger)
        .current_dir(dir)
        .output()
        .expect("run node")
}

const TEMPLATE: &str = "{timestamp} {level} {nodeID}/{mod}: {msg} [{ time }] {unknown}|";

#[test]
fn the_console_logger_prints_every_formatter_as_node_does() {
    if !node_ready() {
        return;
    }
    for formatter in ["full", "short", "simple", "json", "jsonext", TEMPLATE] {
        let logger = serde_json::json!({"type": "Console", "options": {"formatter": formatter}});
        let logger = logger.to_string();
        let dir = temp_dir("console");
        let (node_out, node_err) = streams(&node_node(&logger, &dir));
        let (rust_out, rust_err) = streams(&rust_node(&logger, &dir));
        assert_eq!(
            node_out.len() + node_err.len(),
            7,
            "{formatter}: {node_out:?} {node_err:?}"
        );
        // `console.log` for info, debug and trace; `console.warn` and `console.error`
        // (stderr) for warn, error and fatal.
        assert_eq!(rust_out, node_out, "{formatter}: stdout");
        assert_eq!(rust_err, node_err, "{formatter}: stderr");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `YYYY-MM-DD` of `time`, in UTC (Node's `toISOString().substring(0, 10)`).
fn utc_date(time: SystemTime) -> String {
    let days = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    // Howard Hinnant's `civil_from_days`.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The lines of the day's log file in `folder` (the day it was at `before` or after).
fn log_file(folder: &Path, before: SystemTime) -> String {
    let mut dates = vec![utc_date(before), utc_date(SystemTime::now())];
    dates.dedup();
    let text: String = dates
        .iter()
        .filter_map(|date| {
            std::fs::read_to_string(folder.join(format!("moleculer-{date}.log"))).ok()
        })
        .collect();
    assert!(
        !text.is_empty(),
        "no moleculer-{}.log in {}",
        dates[1],
        folder.display()
    );
    text
}

#[test]
fn the_file_logger_writes_the_lines_node_writes_to_the_days_file() {
    if !node_ready() {
        return;
    }
    for formatter in ["full", "json"] {
        let logger = serde_json::json!({"type": "File", "options": {
            "folder": "logs/{nodeID}", "formatter": formatter, "interval": 200
        }})
        .to_string();
        let node_dir = temp_dir("file-node");
        let rust_dir = temp_dir("file-rust");
        let before = SystemTime::now();
        streams(&node_node(&logger, &node_dir));
        let (out, err) = streams(&rust_node(&logger, &rust_dir));
        assert!(out.is_empty() && err.is_empty(), "{out:?} {err:?}");
        let node_lines = own_lines(&log_file(&node_dir.join("logs/node-1"), before));
        let rust_lines = own_lines(&log_file(&rust_dir.join("logs/node-1"), before));
        assert_eq!(node_lines.len(), 7, "{formatter}: {node_lines:?}");
        assert_eq!(rust_lines, node_lines, "{formatter}");
        let _ = std::fs::remove_dir_all(&node_dir);
        let _ = std::fs::remove_dir_all(&rust_dir);
    }
}

/// The loggers of `logger` (JSON) for `node-1`, with `logLevel` `log_level`.
fn loggers(logger: serde_json::Value, log_level: &str) -> Loggers {
    let option: LoggerOption = serde_json::from_value(logger).unwrap();
    let level: LogLevelOption = serde_json::from_value(serde_json::json!(log_level)).unwrap();
    Loggers::new(&option, &level, NodeBindings::new("node-1", "ns1")).unwrap()
}

fn folder_of(dir: &Path) -> String {
    dir.display().to_string()
}

#[test]
fn the_file_logger_writes_in_batches_every_interval() {
    let dir = temp_dir("batch");
    let loggers = loggers(
        serde_json::json!({"type": "File", "options": {
            "folder": folder_of(&dir), "formatter": "simple", "interval": 1000
        }}),
        "info",
    );
    let before = SystemTime::now();
    let subscriber = tracing_subscriber::registry().with(loggers.layer());
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(target: "greeter", "one");
        tracing::debug!(target: "greeter", "below the level");
        tracing::warn!(target: "greeter", "two");
    });
    // Nothing is written as the records come: they wait for the next interval.
    let file = dir.join(format!("moleculer-{}.log", utc_date(before)));
    assert!(!file.exists(), "written before the interval");
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if !text.is_empty() || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Both lines came in one write.
    assert_eq!(text, "INFO  - one\nWARN  - two\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_logger_has_its_own_level_over_log_level() {
    let (a, b, c) = (
        temp_dir("level-a"),
        temp_dir("level-b"),
        temp_dir("level-c"),
    );
    let file = |dir: &Path, level: serde_json::Value| {
        serde_json::json!({"type": "File", "options": {
            "folder": folder_of(dir), "formatter": "{level} {mod}: {msg}",
            "interval": 3_600_000, "level": level
        }})
    };
    let loggers = loggers(
        serde_json::json!([
            file(&a, serde_json::json!(null)),
            file(&b, serde_json::json!({"GREETER": "debug", "**": false})),
            file(&c, serde_json::json!("fatal")),
        ]),
        "warn",
    );
    let before = SystemTime::now();
    let subscriber = tracing_subscriber::registry().with(loggers.layer());
    tracing::subscriber::with_default(subscriber, || {
        tracing::debug!(target: "greeter", "g-debug");
        tracing::info!(target: "greeter", "g-info");
        tracing::warn!(target: "greeter", "g-warn");
        tracing::warn!(target: "other", "o-warn");
        tracing::error!(target: "other", fatal = true, "o-fatal");
    });
    loggers.flush();
    let read = |dir: &Path| {
        std::fs::read_to_string(dir.join(format!("moleculer-{}.log", utc_date(before)))).unwrap()
    };
    assert_eq!(
        read(&a),
        "WARN  GREETER: g-warn\nWARN  OTHER: o-warn\nFATAL OTHER: o-fatal\n"
    );
    assert_eq!(
        read(&b),
        "DEBUG GREETER: g-debug\nINFO  GREETER: g-info\nWARN  GREETER: g-warn\n"
    );
    // `fatal` lets only the records marked `fatal = true` through.
    assert_eq!(read(&c), "FATAL OTHER: o-fatal\n");
    for dir in [a, b, c] {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn records_of_a_service_carry_its_bindings() {
    let dir = temp_dir("service");
    let loggers = loggers(
        serde_json::json!({"type": "File", "options": {
            "folder": folder_of(&dir), "formatter": "json", "interval": 3_600_000
        }}),
        "info",
    );
    let math = moleculer::service::ServiceInfo {
        name: "math".to_owned(),
        version: Some(moleculer::Version::Number(2)),
        full_name: "v2.math".into(),
        settings: Default::default(),
        metadata: Default::default(),
        dependencies: Vec::new(),
    };
    let before = SystemTime::now();
    let subscriber = tracing_subscriber::registry().with(loggers.layer());
    tracing::subscriber::with_default(subscriber, || {
        moleculer::logging::service_span(&math).in_scope(|| {
            tracing::info!(user = 5, "in the span");
            // A span of another level inside changes nothing.
            tracing::debug_span!("inner").in_scope(|| tracing::warn!("deeper"));
        });
        tracing::info!(svc = "users", "by fields");
        tracing::info!(target: "greeter", "no service");
    });
    loggers.flush();
    let text =
        std::fs::read_to_string(dir.join(format!("moleculer-{}.log", utc_date(before)))).unwrap();
    let lines: Vec<String> = text.lines().map(mask_times).collect();
    assert_eq!(
        lines,
        [
            r#"{"ts":<ts>,"level":"info","msg":"in the span { user: 5 }","nodeID":"node-1","ns":"ns1","mod":"v2.math","svc":"math","ver":2}"#,
            r#"{"ts":<ts>,"level":"warn","msg":"deeper","nodeID":"node-1","ns":"ns1","mod":"v2.math","svc":"math","ver":2}"#,
            r#"{"ts":<ts>,"level":"info","msg":"by fields","nodeID":"node-1","ns":"ns1","mod":"users","svc":"users"}"#,
            r#"{"ts":<ts>,"level":"info","msg":"no service","nodeID":"node-1","ns":"ns1","mod":"greeter"}"#,
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
