//! `logger` and `logLevel` from a config file and the environment, applied by the broker's
//! logging setup in a child process.

use std::process::Command;

/// Runs `log_node` with a config file of `config` and the variables `env`; its stdout and
/// stderr lines that are the test's own messages.
fn logged(config: &str, env: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "mol-logging-{}-{}",
        std::process::id(),
        config.len() + env.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("moleculer.config.json"), config).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_log_node"))
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .env_remove("LOGLEVEL")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run the node");
    assert!(output.status.success(), "{output:?}");
    // As Node's console logger, `warn` and worse go to stderr: the node logs them last.
    let stdout = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    let messages = [
        "users debug",
        "users info",
        "other debug",
        "other info",
        "other warn",
    ];
    stdout
        .lines()
        .filter_map(|line| messages.iter().find(|m| line.ends_with(*m)))
        .map(|m| (*m).to_owned())
        .collect()
}

#[test]
fn a_per_module_log_level_from_the_file_filters_by_module() {
    let config = r#"{"logger": {"type": "Console", "options": {"colors": false}},
        "logLevel": {"MY.**": "debug", "**": "warn"}}"#;
    assert_eq!(
        logged(config, &[]),
        ["users debug", "users info", "other warn"]
    );
}

#[test]
fn a_log_level_string_applies_to_every_module_and_the_environment_wins() {
    let config = r#"{"logger": true, "logLevel": "debug"}"#;
    assert_eq!(
        logged(config, &[]),
        [
            "users debug",
            "users info",
            "other debug",
            "other info",
            "other warn"
        ]
    );
    assert_eq!(logged(config, &[("LOGLEVEL", "warn")]), ["other warn"]);
}

#[test]
fn without_logger_the_broker_installs_no_logger() {
    assert!(logged(r#"{"logLevel": "debug"}"#, &[]).is_empty());
}
