//! Node's `Console` trace exporter: when a trace's first span finishes, its tree of spans is
//! written to the log (the `tracer` module), each span with its time and a gauge of when it
//! ran within the trace, as Node draws it.

use std::collections::HashMap;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::js::utf16_len;
use crate::options::OptionsError;
use crate::tracer::SpanData;

/// The `Console` exporter's options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsoleExporterOptions {
    /// The table's width in characters (`width`, 100).
    pub width: usize,
    /// The gauge's width (`gaugeWidth`, 40).
    pub gauge_width: usize,
}

impl Default for ConsoleExporterOptions {
    fn default() -> Self {
        ConsoleExporterOptions {
            width: 100,
            gauge_width: 40,
        }
    }
}

impl ConsoleExporterOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = ConsoleExporterOptions::default();
        for (key, value) in options {
            let bad = |why: &str| OptionsError::invalid(&format!("{at}.{key}"), why);
            let size = || {
                value
                    .as_u64()
                    .map(|n| n as usize)
                    .ok_or_else(|| bad("a number of characters"))
            };
            match key.as_str() {
                _ if value.is_null() => {}
                "width" => parsed.width = size()?,
                "gaugeWidth" => parsed.gauge_width = size()?,
                "colors" if value == &Value::Bool(false) => {}
                "colors" => {
                    return Err(bad(
                        "false: the lines are plain text, coloured (or not) by the log subscriber",
                    ));
                }
                "logger" => {
                    return Err(bad(
                        "a JavaScript function: the lines go to the `tracer` log module",
                    ));
                }
                _ => {
                    return Err(bad(
                        "an option of the Console exporter (width, gaugeWidth, colors)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// What the table shows of a span.
#[derive(Debug, Clone)]
struct Shown {
    name: String,
    start_time: f64,
    finish_time: Option<f64>,
    duration: Option<f64>,
    from_cache: bool,
    remote_call: bool,
    failed: bool,
    children: Vec<String>,
}

impl Shown {
    fn of(span: &SpanData) -> Shown {
        let flag = |key: &str| crate::js::is_truthy(span.tags.get(key).unwrap_or(&Value::Null));
        Shown {
            name: span.name.clone(),
            start_time: span.start_time as f64,
            finish_time: span.finish_time,
            duration: span.duration,
            from_cache: flag("fromCache"),
            remote_call: flag("remoteCall"),
            failed: span.error.is_some(),
            children: Vec::new(),
        }
    }
}

/// The running exporter: the spans of the traces not printed yet.
#[derive(Debug)]
pub(crate) struct ConsoleExporter {
    options: ConsoleExporterOptions,
    spans: Mutex<HashMap<String, Shown>>,
}

impl ConsoleExporter {
    pub(crate) fn new(options: ConsoleExporterOptions) -> ConsoleExporter {
        ConsoleExporter {
            options,
            spans: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn span_started(&self, span: &SpanData) {
        let mut spans = self.spans.lock();
        if let Some(parent) = span.parent_id.as_ref().and_then(|p| spans.get_mut(p)) {
            parent.children.push(span.id.clone());
        }
        spans.insert(span.id.clone(), Shown::of(span));
    }

    pub(crate) fn span_finished(&self, span: SpanData) {
        for line in self.finished(&span) {
            tracing::info!(target: "moleculer::tracer", "{line}");
        }
    }

    /// Records a finished span; the lines of its trace when it is the top of it.
    fn finished(&self, span: &SpanData) -> Vec<String> {
        let mut spans = self.spans.lock();
        if let Some(shown) = spans.get_mut(&span.id) {
            let children = std::mem::take(&mut shown.children);
            *shown = Shown::of(span);
            shown.children = children;
        }
        // A span whose parent is not here is the top of what this node saw of a trace.
        if span
            .parent_id
            .as_ref()
            .is_some_and(|p| spans.contains_key(p))
        {
            return Vec::new();
        }
        let lines = render_trace(&spans, &span.id, &self.options);
        remove_tree(&mut spans, &span.id);
        lines
    }
}

fn remove_tree(spans: &mut HashMap<String, Shown>, id: &str) {
    if let Some(shown) = spans.remove(id) {
        for child in &shown.children {
            remove_tree(spans, child);
        }
    }
}

/// Node's `humanize`: the largest unit with a whole number of it.
fn humanize(ms: Option<f64>) -> String {
    let Some(ms) = ms else {
        return "?".to_owned();
    };
    const UNITS: [(f64, &str); 6] = [
        (3_600_000.0, "h"),
        (60_000.0, "m"),
        (1000.0, "s"),
        (1.0, "ms"),
        (1e-3, "μs"),
        (1e-6, "ns"),
    ];
    UNITS
        .iter()
        .find(|(divisor, _)| ms / divisor >= 1.0)
        .map_or("now".to_owned(), |(divisor, unit)| {
            format!("{}{unit}", (ms / divisor).floor())
        })
}

/// Node's `getAlignedTexts`: `text` padded to `space`, or cut with `...`.
fn aligned(text: &str, space: i64) -> String {
    let len = utf16_len(text) as i64;
    if len <= space {
        return format!("{text}{}", " ".repeat((space - len).max(0) as usize));
    }
    let keep: String = text.chars().take((space - 3).max(0) as usize).collect();
    format!("{keep}{}", ".".repeat(space.clamp(0, 3) as usize))
}

/// Node's `drawGauge`: where the span ran within the trace, in `width` cells.
fn gauge(start: f64, stop: f64, width: usize) -> String {
    let cells = |percent: f64| {
        let n = (width as f64 * percent / 100.0).floor();
        if n.is_finite() {
            n.max(0.0) as usize
        } else {
            0
        }
    };
    let p1 = cells(start).min(width);
    let p2 = cells(stop).saturating_sub(p1).max(1);
    let p3 = width.saturating_sub(p1 + p2);
    format!("[{}{}{}]", ".".repeat(p1), "■".repeat(p2), ".".repeat(p3))
}

/// A span's place in the tree: its depth and whether it is its parent's last child, for
/// itself and each of its ancestors.
struct Place {
    level: usize,
    last: bool,
    /// `last` of each ancestor, the top one first.
    ancestors_last: Vec<bool>,
}

/// The lines of the trace under `top`, as Node's `printRequest` draws them.
fn render_trace(
    spans: &HashMap<String, Shown>,
    top: &str,
    options: &ConsoleExporterOptions,
) -> Vec<String> {
    let Some(main) = spans.get(top) else {
        return Vec::new();
    };
    let width = options.width as i64;
    let w = width - 4;
    // Depth-first, as Node walks the children.
    let mut rows: Vec<(&Shown, Place)> = Vec::new();
    let mut stack = vec![(
        top.to_owned(),
        Place {
            level: 1,
            last: false,
            ancestors_last: Vec::new(),
        },
    )];
    while let Some((id, place)) = stack.pop() {
        let Some(shown) = spans.get(&id) else {
            continue;
        };
        let count = shown.children.len();
        for (i, child) in shown.children.iter().enumerate().rev() {
            let mut ancestors_last = place.ancestors_last.clone();
            ancestors_last.push(place.last);
            stack.push((
                child.clone(),
                Place {
                    level: place.level + 1,
                    last: i == count - 1,
                    ancestors_last,
                },
            ));
        }
        rows.push((shown, place));
    }
    let depth = rows.iter().map(|(_, p)| p.level).max().unwrap_or(1);
    let total = rows.len();
    let bar = "─".repeat(options.width.saturating_sub(2));
    let mut lines = vec![format!("┌{bar}┐")];
    let id_space = w
        - "ID: ".len() as i64
        - "Depth: ".len() as i64
        - depth.to_string().len() as i64
        - "Total: ".len() as i64
        - total.to_string().len() as i64
        - 2;
    lines.push(format!(
        "│ ID: {} Depth: {depth} Total: {total} │",
        aligned(top, id_space)
    ));
    lines.push(format!("├{bar}┤"));
    let span_of_trace = main.finish_time.unwrap_or(main.start_time) - main.start_time;
    for (shown, place) in &rows {
        let time = humanize(shown.duration);
        let indent = if place.level > 1 {
            let mut indent: String = place
                .ancestors_last
                .iter()
                .skip(1)
                .map(|last| if *last { "  " } else { "│ " })
                .collect();
            indent.push_str(if place.last { "└─" } else { "├─" });
            indent.push_str(if shown.children.is_empty() {
                "──"
            } else {
                "┬─"
            });
            indent.push(' ');
            indent
        } else {
            String::new()
        };
        let mut caption = shown.name.clone();
        if shown.from_cache {
            caption.push_str(" *");
        }
        if shown.remote_call {
            caption.push_str(" »");
        }
        if shown.failed {
            caption.push_str(" ×");
        }
        let space = w
            - options.gauge_width as i64
            - 3
            - utf16_len(&time) as i64
            - 1
            - utf16_len(&indent) as i64;
        let info = format!("{indent}{} {time}", aligned(&caption, space));
        let start = shown.start_time;
        let finish = shown.finish_time.or(main.finish_time).unwrap_or(start);
        let (mut g_start, mut g_stop) = (
            (start - main.start_time) / span_of_trace * 100.0,
            (finish - main.start_time) / span_of_trace * 100.0,
        );
        if g_start.is_nan() && g_stop.is_nan() {
            (g_start, g_stop) = (0.0, 100.0);
        }
        g_stop = g_stop.min(100.0);
        lines.push(format!(
            "│ {info} {} │",
            gauge(g_start, g_stop, options.gauge_width)
        ));
    }
    lines.push(format!("└{bar}┘"));
    lines
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::tracer::SpanKind;

    fn span(
        id: &str,
        parent: Option<&str>,
        name: &str,
        start: u64,
        finish: f64,
        tags: Value,
    ) -> SpanData {
        SpanData {
            name: name.to_owned(),
            kind: SpanKind::Action,
            id: id.to_owned(),
            trace_id: "6f1c-trace-id".to_owned(),
            parent_id: parent.map(str::to_owned),
            service: None,
            priority: 5,
            sampled: true,
            start_time: start,
            start_ticks: 0.0,
            started: Instant::now(),
            finish_time: Some(finish),
            duration: Some(finish - start as f64),
            error: None,
            logs: Vec::new(),
            tags: tags.as_object().cloned().unwrap_or_default(),
        }
    }

    /// The lines Node 0.15's Console exporter draws for the same four spans (`colors: false`).
    #[test]
    fn draws_a_trace_as_node() {
        let main = span(
            "6f1c-trace-id",
            None,
            "action 'orders.create'",
            1000,
            1010.0,
            serde_json::json!({}),
        );
        let price = span(
            "c1",
            Some("6f1c-trace-id"),
            "action 'v2.orders.price'",
            1002,
            1005.5,
            serde_json::json!({ "remoteCall": true }),
        );
        let load = span(
            "g1",
            Some("c1"),
            "load prices",
            1003,
            1004.25,
            serde_json::json!({}),
        );
        let mut save = span(
            "c2",
            Some("6f1c-trace-id"),
            "save order",
            1006,
            1009.0,
            serde_json::json!({ "fromCache": true }),
        );
        save.error = Some(serde_json::json!({ "name": "E" }));
        let exporter = ConsoleExporter::new(ConsoleExporterOptions::default());
        for s in [&main, &price, &load, &save] {
            exporter.span_started(s);
        }
        for s in [&load, &price, &save] {
            assert!(exporter.finished(s).is_empty(), "the trace is not over");
        }
        let lines = exporter.finished(&main);
        assert_eq!(
            lines,
            [
                "┌──────────────────────────────────────────────────────────────────────────────────────────────────┐",
                "│ ID: 6f1c-trace-id                                                              Depth: 3 Total: 4 │",
                "├──────────────────────────────────────────────────────────────────────────────────────────────────┤",
                "│ action 'orders.create'                           10ms [■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■] │",
                "│ ├─┬─ action 'v2.orders.price' »                   3ms [........■■■■■■■■■■■■■■..................] │",
                "│ │ └─── load prices                                1ms [............■■■■■.......................] │",
                "│ └─── save order * ×                               3ms [........................■■■■■■■■■■■■....] │",
                "└──────────────────────────────────────────────────────────────────────────────────────────────────┘",
            ]
        );
        assert!(
            exporter.spans.lock().is_empty(),
            "a printed trace is forgotten"
        );
    }

    #[test]
    fn humanizes_as_node() {
        assert_eq!(humanize(Some(3_700_000.0)), "1h");
        assert_eq!(humanize(Some(1500.0)), "1s");
        assert_eq!(humanize(Some(0.25)), "250μs");
        assert_eq!(humanize(Some(0.0)), "now");
        assert_eq!(humanize(None), "?");
    }
}
