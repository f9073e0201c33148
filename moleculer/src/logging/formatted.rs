//! Node's `Formatted` logger: a record printed as one line by the `full`, `short`,
//! `simple`, `json` or `jsonext` formatter or a template, as `formatted.js` prints it.
//!
//! Node prints a record as `console.log(...parts)`, which joins the parts with spaces; the
//! message is one part and the fields object another, as Node prints
//! `logger.info(message, fields)`. The `jsonext` formatter takes the fields as Node takes
//! `logger.info(fields, message)`: as keys of the line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::NodeBindings;
use super::color::{Style, environment_allows_colors, level_styles, module_styles, paint};
use super::inspect::inspect_fields;
use super::record::Record;
use crate::options::{FormattedOptions, Formatter, LogLevel, ModuleColors};

/// A formatted logger's way of printing, built once from its options.
#[derive(Debug)]
pub(crate) struct Formatted {
    formatter: Formatter,
    /// Whether ANSI colours are written (the option, the environment, and never for JSON).
    colors: bool,
    module_colors: ModuleColors,
    auto_padding: bool,
    /// The longest prefix seen so far, for `autoPadding` (Node's `maxPrefixLength`).
    max_prefix: AtomicUsize,
}

impl Formatted {
    /// The way `options` print, with colours when the environment allows them.
    pub(crate) fn new(options: &FormattedOptions) -> Formatted {
        Self::with_colors(options, options.colors && environment_allows_colors())
    }

    /// The way `options` print, colours decided by `colors`.
    pub(crate) fn with_colors(options: &FormattedOptions, colors: bool) -> Formatted {
        let json = matches!(options.formatter, Formatter::Json | Formatter::JsonExt);
        Formatted {
            formatter: options.formatter.clone(),
            colors: colors && !json,
            module_colors: options.module_colors.clone(),
            auto_padding: options.auto_padding,
            max_prefix: AtomicUsize::new(0),
        }
    }

    /// Notes a module this logger prints (Node does it when a module's logger is made): the
    /// padding of `full` and `short` grows to the longest prefix seen.
    pub(crate) fn note_module(&self, node: &NodeBindings, module: &str) {
        if let Some(len) = self.prefix_len(node, module) {
            self.max_prefix.fetch_max(len, Ordering::Relaxed);
        }
    }

    /// Node's `prefixLen`, counted in UTF-16 units as JavaScript counts.
    fn prefix_len(&self, node: &NodeBindings, module: &str) -> Option<usize> {
        let module = crate::js::utf16_len(module);
        match self.formatter {
            Formatter::Full => Some(35 + crate::js::utf16_len(&node.node_id) + module),
            Formatter::Short => Some(23 + module),
            _ => None,
        }
    }

    /// Node's `padLeft`: spaces up to the longest prefix, with `autoPadding`.
    fn pad(&self, node: &NodeBindings, module: &str) -> String {
        match self.prefix_len(node, module) {
            Some(len) if self.auto_padding => {
                " ".repeat(self.max_prefix.load(Ordering::Relaxed).saturating_sub(len))
            }
            _ => String::new(),
        }
    }

    fn paint(&self, styles: &[Style], text: &str) -> String {
        if self.colors {
            paint(styles, text)
        } else {
            text.to_owned()
        }
    }

    fn grey(&self, text: &str) -> String {
        self.paint(&[Style::Gray], text)
    }

    /// The level's name, upper case, padded to five and coloured.
    fn level(&self, level: LogLevel) -> String {
        let name = format!("{:<5}", level.as_str().to_uppercase());
        self.paint(level_styles(level), &name)
    }

    /// The module's name, upper case, in its colour.
    fn module(&self, module: &str) -> String {
        let module = module.to_uppercase();
        let styles = if self.colors {
            module_styles(&self.module_colors, &module)
        } else {
            Vec::new()
        };
        self.paint(&styles, &module)
    }

    /// The record's arguments, printed: the message, then the fields as an object.
    fn args(&self, record: &Record) -> Vec<String> {
        let mut args = Vec::with_capacity(2);
        if let Some(message) = &record.message {
            args.push(message.clone());
        }
        if !record.fields.is_empty() {
            args.push(inspect_fields(&record.fields, self.colors));
        }
        args
    }

    /// The record as one line, without the end of line.
    pub(crate) fn format(&self, record: &Record, node: &NodeBindings) -> String {
        let mut parts = match &self.formatter {
            Formatter::Json => return self.json(record, node),
            Formatter::JsonExt => return self.json_ext(record, node),
            Formatter::Template(template) => return self.template(template, record, node),
            Formatter::Simple => vec![self.level(record.level), "-".to_owned()],
            Formatter::Short => vec![
                self.grey(&format!("[{}]", &iso_time(record.time)[11..])),
                self.level(record.level),
                format!(
                    "{}{}{}",
                    self.module(&record.module),
                    self.pad(node, &record.module),
                    self.grey(":")
                ),
            ],
            Formatter::Full => vec![
                self.grey(&format!("[{}]", iso_time(record.time))),
                self.level(record.level),
                format!(
                    "{}{}{}{}",
                    self.grey(&format!("{}/", node.node_id)),
                    self.module(&record.module),
                    self.pad(node, &record.module),
                    self.grey(":")
                ),
            ],
        };
        parts.extend(self.args(record));
        parts.join(" ")
    }

    /// The bindings as JSON keys: `nodeID`, `ns`, `mod`, then `svc` and `ver` if any.
    fn bindings(line: &mut Map<String, Value>, record: &Record, node: &NodeBindings) {
        line.insert("nodeID".into(), Value::from(node.node_id.as_str()));
        line.insert("ns".into(), Value::from(node.namespace.as_str()));
        line.insert("mod".into(), Value::from(record.module.as_str()));
        if let Some(svc) = &record.service.svc {
            line.insert("svc".into(), Value::from(svc.as_str()));
        }
        if let Some(ver) = &record.service.ver {
            line.insert("ver".into(), ver.to_json());
        }
    }

    fn json(&self, record: &Record, node: &NodeBindings) -> String {
        let mut line = Map::new();
        let ts = record
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        line.insert("ts".into(), Value::from(ts as u64));
        line.insert("level".into(), Value::from(record.level.as_str()));
        line.insert("msg".into(), Value::from(self.args(record).join(" ")));
        Self::bindings(&mut line, record, node);
        Value::Object(line).to_string()
    }

    fn json_ext(&self, record: &Record, node: &NodeBindings) -> String {
        let mut line = Map::new();
        line.insert("time".into(), Value::from(iso_time(record.time)));
        line.insert("level".into(), Value::from(record.level.as_str()));
        line.insert("message".into(), Value::from(""));
        Self::bindings(&mut line, record, node);
        // `Object.assign`: a field of the same name as a key replaces it in place.
        for (name, value) in &record.fields {
            line.insert(name.clone(), value.to_json());
        }
        let message = record.message.clone().unwrap_or_default();
        line.insert("message".into(), Value::from(message));
        Value::Object(line).to_string()
    }

    fn template(&self, template: &str, record: &Record, node: &NodeBindings) -> String {
        let timestamp = iso_time(record.time);
        render(template, |name| match name {
            "timestamp" => Some(self.grey(&timestamp)),
            "time" => Some(self.grey(&timestamp[11..])),
            "level" => Some(self.level(record.level)),
            "nodeID" => Some(self.grey(&node.node_id)),
            "mod" => Some(self.module(&record.module)),
            "msg" => Some(self.args(record).join(" ")),
            _ => None,
        })
    }
}

/// Node's `render`: every `{name}` (one optional space inside each brace) replaced by its
/// value; a name without a value, or with an empty one, by nothing.
pub(crate) fn render(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        match placeholder(after) {
            Some((name, len)) => {
                out.push_str(&value(name).unwrap_or_default());
                rest = &after[len..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `\{\s?(\w+)\s?\}` at the start of `s`: the name and the length matched.
fn placeholder(s: &str) -> Option<(&str, usize)> {
    let is_space = |c: char| c.is_whitespace() || c == '\u{feff}';
    let mut i = 1;
    let inner = &s[i..];
    if let Some(c) = inner.chars().next().filter(|c| is_space(*c)) {
        i += c.len_utf8();
    }
    let name_len = s[i..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len() - i);
    if name_len == 0 {
        return None;
    }
    let name = &s[i..i + name_len];
    i += name_len;
    if let Some(c) = s[i..].chars().next().filter(|c| is_space(*c)) {
        i += c.len_utf8();
    }
    s[i..].starts_with('}').then_some((name, i + 1))
}

/// `new Date(time).toISOString()`: `2024-01-02T03:04:05.678Z`.
pub(crate) fn iso_time(time: SystemTime) -> String {
    let time = chrono::DateTime::<chrono::Utc>::from(time);
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
