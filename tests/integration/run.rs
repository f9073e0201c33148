//! `broker.run()`: a real process stops gracefully on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
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
