//! Logging through `tracing`, with a default subscriber for binaries.
//!
//! The broker logs with `tracing` under the `moleculer` target. Libraries should leave the
//! subscriber to the application; binaries and examples can call [`init`].

/// Installs a formatted `tracing` subscriber for binaries. The level comes from `RUST_LOG`,
/// else `LOGLEVEL` (Moleculer Runner's variable: `fatal`, `error`, `warn`, `info`, `debug`,
/// `trace`), else `info`. Does nothing if a subscriber is already set.
pub fn init() {
    init_with("info");
}

/// Like [`init`], with another level when neither `RUST_LOG` nor `LOGLEVEL` is set.
pub fn init_with(default_level: &str) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("LOGLEVEL").ok().map(|l| level_directive(&l)))
        .unwrap_or_else(|| level_directive(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}

/// Maps a Moleculer level name onto a `tracing` filter directive.
pub fn level_directive(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "fatal" | "error" => "error",
        "warn" => "warn",
        "debug" => "debug",
        "trace" => "trace",
        _ => "info",
    }
    .to_owned()
}
