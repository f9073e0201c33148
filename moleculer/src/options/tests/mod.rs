//! Tests of the options module.

mod defaults;
mod env;
mod errors;
mod files;
mod logger;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::{BrokerOptions, OptionsError};

/// A fresh, empty directory under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "moleculer-options-{}-{tag}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Writes `text` to `name` in a fresh temp dir and returns the file path.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = temp_dir("file").join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

/// Parses options from JSON text the way the loaders do.
fn parse(json: &str) -> Result<BrokerOptions, OptionsError> {
    let value: Value = serde_json::from_str(json).expect("test JSON is valid");
    BrokerOptions::from_json_value(&value)
}

/// Environment pairs from `(&str, &str)` literals.
fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
