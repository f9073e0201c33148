//! Signals: a real process stops gracefully on SIGTERM, under `broker.run()`, and under
//! `broker.start()` unless `skipProcessEventRegistration` is set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[test]
#[cfg(unix)]
fn sigterm_stops_the_node_gracefully() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_signal_node"))
        .env("LOGLEVEL", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the node");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the node did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit:?}");
    assert_eq!(rest, ["stopped worker", "exited cleanly"]);
}

/// Starts `start_node` with `env`, waits for `ready`, sends SIGTERM, and returns how it
/// ended and what it printed after `ready`.
#[cfg(unix)]
fn sigterm_start_node(env: &[(&str, &str)]) -> (ExitStatus, Vec<String>) {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_start_node"))
        .env("LOGLEVEL", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the node");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return (exit, rest);
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the node did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[cfg(unix)]
fn start_registers_signal_handlers_that_stop_gracefully() {
    let (exit, rest) = sigterm_start_node(&[]);
    assert!(exit.success(), "exit status {exit:?}");
    assert_eq!(rest, ["stopped worker"]);
}

#[test]
#[cfg(unix)]
fn skip_process_event_registration_leaves_signals_alone() {
    use std::os::unix::process::ExitStatusExt;
    let (exit, rest) = sigterm_start_node(&[("MOL_SKIP_PROCESS_EVENT_REGISTRATION", "true")]);
    assert_eq!(
        exit.signal(),
        Some(15),
        "killed by SIGTERM's default action: {exit:?}"
    );
    assert!(rest.is_empty(), "no graceful stop: {rest:?}");
}
