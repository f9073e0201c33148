//! A broker server a test starts on its own port (nats-server, redis-server, mosquitto), to
//! stop and restart it without touching the shared one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process listening on 127.0.0.1:`port`, killed on drop.
#[derive(Debug)]
pub struct PrivateServer(Child);

impl PrivateServer {
    /// Starts `program` with `args` and waits (5 s at most) until it listens on `port`.
    /// `None` when the program cannot be started (not installed).
    pub fn start(program: &str, args: &[&str], port: u16) -> Option<PrivateServer> {
        let child = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = PrivateServer(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{program} did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `program --version` runs: the server is installed.
pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
