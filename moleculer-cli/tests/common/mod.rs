//! Running the `mol` binary in tests, isolated from this environment's broker variables.

// Each test binary uses its own part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

/// What one `mol` run gave.
#[derive(Debug)]
pub(crate) struct Run {
    /// The process ID `mol` ran as (its default node ID ends with it).
    pub(crate) pid: u32,
    /// The exit status.
    pub(crate) code: Option<i32>,
    /// Everything printed on stdout.
    pub(crate) stdout: String,
    /// Everything printed on stderr.
    pub(crate) stderr: String,
}

impl Run {
    /// The error JSON on stderr (after any log lines).
    pub(crate) fn error(&self) -> Value {
        let start = self.stderr.find("\n{").map_or(0, |i| i + 1);
        serde_json::from_str(&self.stderr[start..])
            .unwrap_or_else(|err| panic!("stderr is not error JSON ({err}): {self:?}"))
    }

    /// Stdout as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {self:?}"))
    }

    /// Asserts the run succeeded and returns stdout as JSON.
    pub(crate) fn ok_json(&self) -> Value {
        assert_eq!(self.code, Some(0), "{self:?}");
        self.json()
    }
}

/// One `mol` command line, with no broker variable of this environment.
#[derive(Debug)]
pub(crate) struct Mol {
    command: tokio::process::Command,
}

/// Variables a broker reads that must not leak from the environment running the tests.
const BROKER_VARS: &[&str] = &[
    "TRANSPORTER",
    "NAMESPACE",
    "NODEID",
    "SERIALIZER",
    "TRANSIT_PROTOCOLVERSION",
    "MOLECULER_CONFIG",
    "RUST_LOG",
    "LOGLEVEL",
];

impl Mol {
    /// `mol` with `args`, run in the test's directory unless [`Mol::current_dir`] says
    /// otherwise.
    pub(crate) fn new(args: &[&str]) -> Mol {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mol"));
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if BROKER_VARS.contains(&key.as_str()) || key.starts_with("MOL_") {
                command.env_remove(key);
            }
        }
        command.args(args).stdin(Stdio::null()).kill_on_drop(true);
        Mol { command }
    }

    /// Sets an environment variable.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Mol {
        self.command.env(key, value);
        self
    }

    /// Runs in `dir`.
    pub(crate) fn current_dir(mut self, dir: &Path) -> Mol {
        self.command.current_dir(dir);
        self
    }

    /// Runs to the end (60 s at most).
    pub(crate) async fn run(mut self) -> Run {
        let child = self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = child.spawn().expect("mol starts");
        let pid = child.id().expect("mol has a pid while running");
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("mol finished within 60 s")
            .expect("mol's output is read");
        Run {
            pid,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `mol-<hostname>-<pid>`: the node ID of the `mol` process `pid` when none is given.
pub(crate) fn mol_id(pid: u32) -> String {
    let own = moleculer::options::default_node_id();
    let host = own.rsplit_once('-').map_or(own.as_str(), |(host, _)| host);
    format!("mol-{host}-{pid}")
}

/// A fresh directory holding one file (a project's config file); removed when dropped.
#[derive(Debug)]
pub(crate) struct Project {
    /// The directory.
    pub(crate) dir: PathBuf,
}

impl Project {
    /// Creates the directory with `file` holding `text`.
    pub(crate) fn with_file(file: &str, text: &str) -> Project {
        let dir = std::env::temp_dir().join(moleculer_tests::unique_namespace("mol-project"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join(file), text).expect("file written");
        Project { dir }
    }

    /// The path of `name` in the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
