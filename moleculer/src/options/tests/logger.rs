//! The `logger` option read as Node's `LoggerFactory` reads it.

use serde_json::json;

use super::parse;
use crate::options::{
    FileLoggerOptions, FormattedOptions, Formatter, LogLevel, LogLevelOption, LoggerConfig,
    LoggerOption, ModuleColors,
};

fn logger(json: &str) -> LoggerOption {
    parse(&format!(r#"{{"logger": {json}}}"#))
        .unwrap_or_else(|err| panic!("{json}: {err}"))
        .logger
}

fn refused(json: &str) -> (String, String) {
    let err = parse(&format!(r#"{{"logger": {json}}}"#)).unwrap_err();
    (err.key.unwrap_or_default(), err.message)
}

#[test]
fn true_and_console_are_the_console_logger() {
    let console = LoggerOption::Console {
        colors: true,
        level: None,
    };
    assert_eq!(logger("true"), console);
    assert_eq!(logger(r#""Console""#), console);
    assert_eq!(logger(r#""console""#), console);
    assert_eq!(logger(r#"{"type": "Console"}"#), console);
    assert_eq!(logger("false"), LoggerOption::Off);
    assert_eq!(logger("null"), LoggerOption::Off);
    assert_eq!(
        console.configs(),
        [LoggerConfig::Console(FormattedOptions::default())]
    );
}

#[test]
fn formatted_options_are_read() {
    let option = logger(
        r#"{"type": "Console", "options": {"level": {"GREETER": "debug"}, "colors": false,
            "moduleColors": ["bold.red", "cyan"], "formatter": "{time} {msg}",
            "autoPadding": true}}"#,
    );
    let LoggerOption::Loggers(loggers) = option else {
        panic!("{option:?}");
    };
    let [LoggerConfig::Console(options)] = loggers.as_slice() else {
        panic!("{loggers:?}");
    };
    assert_eq!(
        options.level,
        Some(LogLevelOption::PerModule(vec![(
            "GREETER".into(),
            Some(LogLevel::Debug)
        )]))
    );
    assert!(!options.colors);
    assert_eq!(
        options.module_colors,
        ModuleColors::List(vec!["bold.red".into(), "cyan".into()])
    );
    assert_eq!(
        options.formatter,
        Formatter::Template("{time} {msg}".into())
    );
    assert!(options.auto_padding);
}

#[test]
fn formatter_names_are_compared_as_node_compares_them() {
    for (name, formatter) in [
        ("full", Formatter::Full),
        ("short", Formatter::Short),
        ("simple", Formatter::Simple),
        ("json", Formatter::Json),
        ("jsonext", Formatter::JsonExt),
        ("Short", Formatter::Template("Short".into())),
    ] {
        let option = logger(&format!(r#"{{"options": {{"formatter": "{name}"}}}}"#));
        assert_eq!(
            option.configs()[0].formatted().formatter,
            formatter,
            "{name}"
        );
    }
}

#[test]
fn the_file_logger_has_nodes_defaults_and_no_colours() {
    let option = logger(r#""File""#);
    let file = FileLoggerOptions::default();
    assert_eq!(
        option,
        LoggerOption::Loggers(vec![LoggerConfig::File(file.clone())])
    );
    assert_eq!(file.folder, "./logs");
    assert_eq!(file.filename, "moleculer-{date}.log");
    assert_eq!(file.interval, 1000);
    assert!(!file.formatted.colors);
    let option = logger(
        r#"{"type": "File", "options": {"folder": "/var/log/{namespace}", "filename":
            "{nodeID}-{date}.txt", "eol": "\r\n", "interval": 0, "colors": true,
            "formatter": "json", "level": "warn"}}"#,
    );
    let LoggerConfig::File(file) = &option.configs()[0] else {
        panic!("{option:?}");
    };
    assert_eq!(file.folder, "/var/log/{namespace}");
    assert_eq!(file.filename, "{nodeID}-{date}.txt");
    assert_eq!(file.eol, "\r\n");
    assert_eq!(file.interval, 0);
    // Node turns colours off whatever the options say.
    assert!(!file.formatted.colors);
    assert_eq!(file.formatted.formatter, Formatter::Json);
    assert_eq!(
        file.formatted.level,
        Some(LogLevelOption::Global(LogLevel::Warn))
    );
}

#[test]
fn a_list_gives_several_loggers_each_with_its_level() {
    let option = logger(
        r#"["Console", null, false, {"type": "File", "options": {"level": "debug"}},
            {"type": "Console", "options": {"level": false}}]"#,
    );
    let configs = option.configs();
    assert_eq!(configs.len(), 3);
    assert_eq!(
        configs[0],
        LoggerConfig::Console(FormattedOptions::default())
    );
    assert_eq!(
        configs[1].formatted().level,
        Some(LogLevelOption::Global(LogLevel::Debug))
    );
    // `level: false`: no module has a level, the logger prints nothing.
    assert_eq!(
        configs[2].formatted().level,
        Some(LogLevelOption::PerModule(Vec::new()))
    );
    assert_eq!(logger("[]"), LoggerOption::Loggers(Vec::new()));
}

#[test]
fn other_loggers_and_javascript_functions_are_refused_with_what_to_use() {
    for name in ["Pino", "Bunyan", "Winston", "Log4js", "Datadog", "Debug"] {
        let (key, message) = refused(&format!(r#""{name}""#));
        assert_eq!(key, "logger");
        assert!(
            message.contains(&format!("`{name}` logger is not built yet")),
            "{message}"
        );
        assert!(message.contains("`Console` and `File`"), "{message}");
        let (key, _) = refused(&format!(r#"[{{"type": "{name}"}}]"#));
        assert_eq!(key, "logger.0.type");
    }
    let (key, message) = refused(r#""Fancy""#);
    assert_eq!(key, "logger");
    assert!(message.contains("unknown logger `Fancy`"), "{message}");
    let (key, message) = refused(r#"{"options": {"objectPrinter": "inspect"}}"#);
    assert_eq!(key, "logger.options.objectPrinter");
    assert!(message.contains("util.inspect"), "{message}");
    let (key, message) = refused(r#"{"options": {"formatter": {"fn": 1}}}"#);
    assert_eq!(key, "logger.options.formatter");
    assert!(
        message.contains("full, short, simple, json, jsonext"),
        "{message}"
    );
    assert!(
        message.contains("{timestamp} {level} {nodeID}/{mod}: {msg}"),
        "{message}"
    );
    let (key, message) = refused(r#"{"options": {"moduleColors": ["bold.rainbow"]}}"#);
    assert_eq!(key, "logger.options.moduleColors.0");
    assert!(message.contains("unknown colour `rainbow`"), "{message}");
    let (key, _) = refused(r#"{"type": "File", "options": {"folder": 1}}"#);
    assert_eq!(key, "logger.options.folder");
    let (key, _) = refused(r#"[true]"#);
    assert_eq!(key, "logger.0");
}

#[test]
fn loggers_serialize_as_a_list_that_reads_back() {
    let option = logger(
        r#"[{"type": "Console", "options": {"formatter": "short", "moduleColors": true}},
            {"type": "File", "options": {"level": {"**": "debug"}, "interval": 250}}]"#,
    );
    let value = serde_json::to_value(&option).unwrap();
    assert_eq!(value[0]["type"], json!("Console"));
    assert_eq!(value[0]["options"]["formatter"], json!("short"));
    assert_eq!(value[1]["options"]["folder"], json!("./logs"));
    assert_eq!(value[1]["options"]["level"], json!({"**": "debug"}));
    assert_eq!(logger(&value.to_string()), option);
}
