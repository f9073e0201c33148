//! The formatters against lines Node prints.
//!
//! The expected lines were printed by moleculer 0.15.2 on Node 20 for the same records
//! (`broker.getLogger("greeter")` and `broker.getLogger("v2.math", {svc: "math", ver: 2})`
//! of a broker `node-1` in namespace `ns1`), with `Date` fixed at
//! 2024-01-02T03:04:05.678Z; the coloured ones with `FORCE_COLOR=1`, `moduleColors: true`
//! and `autoPadding: true`. `tests/integration/loggers.rs` compares with a live Node.

use std::time::{Duration, SystemTime};

use super::formatted::{Formatted, render};
use super::record::{FieldValue, Record, ServiceBindings};
use super::*;
use crate::options::{FormattedOptions, Formatter, LogLevel, ModuleColors};

const TEMPLATE: &str = "{timestamp} {level} {nodeID}/{mod}: {msg} [{ time }] {unknown}|{ns}";

fn node() -> NodeBindings {
    NodeBindings::new("node-1", "ns1")
}

/// 2024-01-02T03:04:05.678Z
fn fixed_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_164_645_678)
}

fn record(
    level: LogLevel,
    module: &str,
    message: Option<&str>,
    fields: &[(&str, FieldValue)],
) -> Record {
    let service = if module == "v2.math" {
        ServiceBindings {
            svc: Some("math".to_owned()),
            ver: Some(FieldValue::Int(2)),
        }
    } else {
        ServiceBindings::default()
    };
    Record {
        time: fixed_time(),
        level,
        module: module.to_owned(),
        service,
        message: message.map(str::to_owned),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

/// The records of the Node script, in its order.
fn records() -> Vec<Record> {
    use FieldValue::*;
    vec![
        record(
            LogLevel::Info,
            "greeter",
            Some("Hello"),
            &[("user", Int(5)), ("name", Str("x'y".into()))],
        ),
        record(LogLevel::Warn, "greeter", Some("careful"), &[]),
        record(LogLevel::Fatal, "greeter", Some("dead"), &[]),
        record(LogLevel::Error, "greeter", Some("oops"), &[]),
        record(
            LogLevel::Debug,
            "v2.math",
            Some("login"),
            &[("user", Uint(5))],
        ),
        record(LogLevel::Trace, "v2.math", Some("done"), &[]),
        record(
            LogLevel::Info,
            "greeter",
            None,
            &[("level", Str("x".into())), ("n", Float(1.5))],
        ),
    ]
}

fn printed(formatter: Formatter, colors: bool) -> Vec<String> {
    let options = FormattedOptions {
        formatter,
        module_colors: if colors {
            ModuleColors::On
        } else {
            ModuleColors::Off
        },
        auto_padding: colors,
        ..FormattedOptions::default()
    };
    let formatted = Formatted::with_colors(&options, colors);
    // Node had made the `circuit-breaker` module's logger before these: the longest prefix.
    formatted.note_module(&node(), "circuit-breaker");
    records()
        .iter()
        .map(|record| {
            formatted.note_module(&node(), &record.module);
            formatted.format(record, &node())
        })
        .collect()
}

#[test]
fn full_prints_as_node() {
    assert_eq!(printed(Formatter::Full, false), FULL_PLAIN);
}

#[test]
fn short_prints_as_node() {
    assert_eq!(printed(Formatter::Short, false), SHORT_PLAIN);
}

#[test]
fn simple_prints_as_node() {
    assert_eq!(printed(Formatter::Simple, false), SIMPLE_PLAIN);
}

#[test]
fn json_prints_as_node() {
    assert_eq!(printed(Formatter::Json, false), JSON_PLAIN);
    // JSON never has colours.
    assert_eq!(printed(Formatter::Json, true), JSON_PLAIN);
}

#[test]
fn jsonext_prints_as_node() {
    assert_eq!(printed(Formatter::JsonExt, false), JSONEXT_PLAIN);
}

#[test]
fn a_template_prints_as_node() {
    assert_eq!(
        printed(Formatter::Template(TEMPLATE.to_owned()), false),
        TEMPLATE_PLAIN
    );
}

#[test]
fn colours_module_colours_and_padding_print_as_node() {
    assert_eq!(printed(Formatter::Full, true), FULL_COLORS);
    assert_eq!(printed(Formatter::Short, true), SHORT_COLORS);
    assert_eq!(printed(Formatter::Simple, true), SIMPLE_COLORS);
    assert_eq!(
        printed(Formatter::Template(TEMPLATE.to_owned()), true),
        TEMPLATE_COLORS
    );
}

#[test]
fn padding_grows_with_the_longest_module() {
    let options = FormattedOptions {
        formatter: Formatter::Short,
        auto_padding: true,
        ..FormattedOptions::default()
    };
    let formatted = Formatted::with_colors(&options, false);
    let line = |module: &str| {
        formatted.note_module(&node(), module);
        formatted.format(&record(LogLevel::Info, module, Some("hi"), &[]), &node())
    };
    assert_eq!(line("broker"), "[03:04:05.678Z] INFO  BROKER: hi");
    assert_eq!(line("registry"), "[03:04:05.678Z] INFO  REGISTRY: hi");
    assert_eq!(line("broker"), "[03:04:05.678Z] INFO  BROKER  : hi");
}

#[test]
fn templates_render_as_node_renders_them() {
    let value = |name: &str| (name == "a").then(|| "A".to_owned());
    assert_eq!(
        render("{a}{ a }{a }{ a}{  a}{b}{}{a-b}", value),
        "AAAA{  a}{}{a-b}"
    );
    assert_eq!(render("x{", value), "x{");
    assert_eq!(render("{a", value), "{a");
}

#[test]
fn merged_levels_follow_defaults_deep() {
    use crate::options::LogLevelOption::{Global, PerModule};
    let own = PerModule(vec![("TRANSIT".into(), Some(LogLevel::Debug))]);
    let global = PerModule(vec![
        ("TRANSIT".into(), Some(LogLevel::Warn)),
        ("**".into(), Some(LogLevel::Info)),
    ]);
    assert_eq!(
        layer::merged_level(Some(&own), &global),
        PerModule(vec![
            ("TRANSIT".into(), Some(LogLevel::Debug)),
            ("**".into(), Some(LogLevel::Info)),
        ])
    );
    assert_eq!(
        layer::merged_level(Some(&own), &Global(LogLevel::Warn)),
        own
    );
    assert_eq!(layer::merged_level(None, &global), global);
    assert_eq!(
        layer::merged_level(Some(&Global(LogLevel::Trace)), &global),
        Global(LogLevel::Trace)
    );
}

fn per_module(pairs: &[(&str, Option<LogLevel>)]) -> LogLevelOption {
    LogLevelOption::PerModule(pairs.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect())
}

#[test]
fn targets_map_to_node_modules() {
    assert_eq!(module_of("moleculer::transit::discovery"), "transit");
    assert_eq!(module_of("moleculer::transporter::tcp"), "transporter");
    assert_eq!(module_of("moleculer::registry"), "registry");
    assert_eq!(module_of("moleculer::broker::lifecycle"), "broker");
    assert_eq!(module_of("moleculer"), "broker");
    assert_eq!(module_of("moleculer::metrics::reporters"), "metrics");
    assert_eq!(module_of("moleculer::tracer::exporters"), "tracer");
    assert_eq!(module_of("moleculer::cacher::redis"), "cacher");
    assert_eq!(module_of("my_app::users"), "my_app.users");
    assert_eq!(module_of("greeter"), "greeter");
    assert_eq!(module_of("moleculer_extra::x"), "moleculer_extra.x");
}

#[test]
fn per_module_levels_are_looked_up_as_node_does() {
    use LogLevel::*;
    let levels = per_module(&[
        ("TRANSIT", Some(Debug)),
        ("my.**", Some(Trace)),
        ("GREETER", None),
        ("**", Some(Warn)),
    ]);
    assert_eq!(module_level(&levels, "TRANSIT"), Some(Debug));
    assert_eq!(module_level(&levels, "MY.USERS"), Some(Trace));
    assert_eq!(module_level(&levels, "MY.USERS.DEEP"), Some(Trace));
    assert_eq!(module_level(&levels, "GREETER"), None);
    assert_eq!(module_level(&levels, "BROKER"), Some(Warn));
    let no_fallback = per_module(&[("TRANSIT", Some(Info))]);
    assert_eq!(module_level(&no_fallback, "BROKER"), None);
    assert_eq!(
        module_level(&LogLevelOption::Global(Error), "ANY"),
        Some(Error)
    );
}

#[test]
fn fatal_logs_as_error() {
    assert_eq!(tracing_level(LogLevel::Fatal), Level::ERROR);
    assert!(Level::WARN > tracing_level(LogLevel::Error));
}

const FULL_PLAIN: [&str; 7] = [
    "[2024-01-02T03:04:05.678Z] INFO  node-1/GREETER: Hello { user: 5, name: \"x'y\" }",
    "[2024-01-02T03:04:05.678Z] WARN  node-1/GREETER: careful",
    "[2024-01-02T03:04:05.678Z] FATAL node-1/GREETER: dead",
    "[2024-01-02T03:04:05.678Z] ERROR node-1/GREETER: oops",
    "[2024-01-02T03:04:05.678Z] DEBUG node-1/V2.MATH: login { user: 5 }",
    "[2024-01-02T03:04:05.678Z] TRACE node-1/V2.MATH: done",
    "[2024-01-02T03:04:05.678Z] INFO  node-1/GREETER: { level: 'x', n: 1.5 }",
];
const SHORT_PLAIN: [&str; 7] = [
    "[03:04:05.678Z] INFO  GREETER: Hello { user: 5, name: \"x'y\" }",
    "[03:04:05.678Z] WARN  GREETER: careful",
    "[03:04:05.678Z] FATAL GREETER: dead",
    "[03:04:05.678Z] ERROR GREETER: oops",
    "[03:04:05.678Z] DEBUG V2.MATH: login { user: 5 }",
    "[03:04:05.678Z] TRACE V2.MATH: done",
    "[03:04:05.678Z] INFO  GREETER: { level: 'x', n: 1.5 }",
];
const SIMPLE_PLAIN: [&str; 7] = [
    "INFO  - Hello { user: 5, name: \"x'y\" }",
    "WARN  - careful",
    "FATAL - dead",
    "ERROR - oops",
    "DEBUG - login { user: 5 }",
    "TRACE - done",
    "INFO  - { level: 'x', n: 1.5 }",
];
const JSON_PLAIN: [&str; 7] = [
    "{\"ts\":1704164645678,\"level\":\"info\",\"msg\":\"Hello { user: 5, name: \\\"x'y\\\" }\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"ts\":1704164645678,\"level\":\"warn\",\"msg\":\"careful\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"ts\":1704164645678,\"level\":\"fatal\",\"msg\":\"dead\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"ts\":1704164645678,\"level\":\"error\",\"msg\":\"oops\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"ts\":1704164645678,\"level\":\"debug\",\"msg\":\"login { user: 5 }\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"v2.math\",\"svc\":\"math\",\"ver\":2}",
    "{\"ts\":1704164645678,\"level\":\"trace\",\"msg\":\"done\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"v2.math\",\"svc\":\"math\",\"ver\":2}",
    "{\"ts\":1704164645678,\"level\":\"info\",\"msg\":\"{ level: 'x', n: 1.5 }\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
];
const JSONEXT_PLAIN: [&str; 7] = [
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"info\",\"message\":\"Hello\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\",\"user\":5,\"name\":\"x'y\"}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"warn\",\"message\":\"careful\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"fatal\",\"message\":\"dead\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"error\",\"message\":\"oops\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\"}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"debug\",\"message\":\"login\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"v2.math\",\"svc\":\"math\",\"ver\":2,\"user\":5}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"trace\",\"message\":\"done\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"v2.math\",\"svc\":\"math\",\"ver\":2}",
    "{\"time\":\"2024-01-02T03:04:05.678Z\",\"level\":\"x\",\"message\":\"\",\"nodeID\":\"node-1\",\"ns\":\"ns1\",\"mod\":\"greeter\",\"n\":1.5}",
];
const TEMPLATE_PLAIN: [&str; 7] = [
    "2024-01-02T03:04:05.678Z INFO  node-1/GREETER: Hello { user: 5, name: \"x'y\" } [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z WARN  node-1/GREETER: careful [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z FATAL node-1/GREETER: dead [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z ERROR node-1/GREETER: oops [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z DEBUG node-1/V2.MATH: login { user: 5 } [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z TRACE node-1/V2.MATH: done [03:04:05.678Z] |",
    "2024-01-02T03:04:05.678Z INFO  node-1/GREETER: { level: 'x', n: 1.5 } [03:04:05.678Z] |",
];
const FULL_COLORS: [&str; 7] = [
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[32mINFO \x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m Hello { user: \x1b[33m5\x1b[39m, name: \x1b[32m\"x'y\"\x1b[39m }",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[33mWARN \x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m careful",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m \x1b[90mnode-1/\x1b[39m\x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m dead",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[31mERROR\x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m oops",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[35mDEBUG\x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[36mV2.MATH\x1b[39m        \x1b[90m:\x1b[39m login { user: \x1b[33m5\x1b[39m }",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[90mTRACE\x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[36mV2.MATH\x1b[39m        \x1b[90m:\x1b[39m done",
    "\x1b[90m[2024-01-02T03:04:05.678Z]\x1b[39m \x1b[32mINFO \x1b[39m \x1b[90mnode-1/\x1b[39m\x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m { level: \x1b[32m'x'\x1b[39m, n: \x1b[33m1.5\x1b[39m }",
];
const SHORT_COLORS: [&str; 7] = [
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[32mINFO \x1b[39m \x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m Hello { user: \x1b[33m5\x1b[39m, name: \x1b[32m\"x'y\"\x1b[39m }",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[33mWARN \x1b[39m \x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m careful",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m \x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m dead",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[31mERROR\x1b[39m \x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m oops",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[35mDEBUG\x1b[39m \x1b[36mV2.MATH\x1b[39m        \x1b[90m:\x1b[39m login { user: \x1b[33m5\x1b[39m }",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[90mTRACE\x1b[39m \x1b[36mV2.MATH\x1b[39m        \x1b[90m:\x1b[39m done",
    "\x1b[90m[03:04:05.678Z]\x1b[39m \x1b[32mINFO \x1b[39m \x1b[35mGREETER\x1b[39m        \x1b[90m:\x1b[39m { level: \x1b[32m'x'\x1b[39m, n: \x1b[33m1.5\x1b[39m }",
];
const SIMPLE_COLORS: [&str; 7] = [
    "\x1b[32mINFO \x1b[39m - Hello { user: \x1b[33m5\x1b[39m, name: \x1b[32m\"x'y\"\x1b[39m }",
    "\x1b[33mWARN \x1b[39m - careful",
    "\x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m - dead",
    "\x1b[31mERROR\x1b[39m - oops",
    "\x1b[35mDEBUG\x1b[39m - login { user: \x1b[33m5\x1b[39m }",
    "\x1b[90mTRACE\x1b[39m - done",
    "\x1b[32mINFO \x1b[39m - { level: \x1b[32m'x'\x1b[39m, n: \x1b[33m1.5\x1b[39m }",
];
const TEMPLATE_COLORS: [&str; 7] = [
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[32mINFO \x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[35mGREETER\x1b[39m: Hello { user: \x1b[33m5\x1b[39m, name: \x1b[32m\"x'y\"\x1b[39m } [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[33mWARN \x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[35mGREETER\x1b[39m: careful [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m \x1b[90mnode-1\x1b[39m/\x1b[35mGREETER\x1b[39m: dead [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[31mERROR\x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[35mGREETER\x1b[39m: oops [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[35mDEBUG\x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[36mV2.MATH\x1b[39m: login { user: \x1b[33m5\x1b[39m } [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[90mTRACE\x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[36mV2.MATH\x1b[39m: done [\x1b[90m03:04:05.678Z\x1b[39m] |",
    "\x1b[90m2024-01-02T03:04:05.678Z\x1b[39m \x1b[32mINFO \x1b[39m \x1b[90mnode-1\x1b[39m/\x1b[35mGREETER\x1b[39m: { level: \x1b[32m'x'\x1b[39m, n: \x1b[33m1.5\x1b[39m } [\x1b[90m03:04:05.678Z\x1b[39m] |",
];
