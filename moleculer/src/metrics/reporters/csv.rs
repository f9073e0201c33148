//! Node's `CSV` reporter: every `interval` seconds, a row for each value that changed,
//! appended to `<folder>/<metric>.csv` (mode `metric`) or to
//! `<folder>/<metric>/<metric>--<labels>.csv` (mode `label`), the header written when the
//! file is new.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use super::{Changes, OptionReader, ReporterContext, ReporterOptions, Running, every};
use crate::error::{Error, Result};
use crate::js::value_to_string;
use crate::options::OptionsError;

/// Which file a row goes to (`mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvMode {
    /// A file per metric (`"metric"`).
    #[default]
    Metric,
    /// A file per metric and set of labels (`"label"`).
    Label,
}

/// The `CSV` reporter's own options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CsvOptions {
    /// Where the files go (`folder`, `./reports/metrics`).
    pub folder: PathBuf,
    /// Between fields (`delimiter`, `,`).
    pub delimiter: String,
    /// After each row (`rowDelimiter`, `\n`).
    pub row_delimiter: String,
    /// A file per metric or per set of labels (`mode`).
    pub mode: CsvMode,
    /// Only metrics of these types (`types`).
    pub types: Option<Vec<String>>,
    /// How often rows are written (`interval`, 5 s).
    pub interval: Duration,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            folder: PathBuf::from("./reports/metrics"),
            delimiter: ",".to_owned(),
            row_delimiter: "\n".to_owned(),
            mode: CsvMode::Metric,
            types: None,
            interval: Duration::from_secs(5),
        }
    }
}

impl CsvOptions {
    pub(crate) fn from_json(options: &Map<String, Value>, at: &str) -> Result<Self, OptionsError> {
        let mut parsed = CsvOptions::default();
        for (key, value) in options {
            let read = OptionReader::new(at, key, value);
            match key.as_str() {
                _ if value.is_null() => {}
                "folder" => parsed.folder = PathBuf::from(read.string()?),
                "delimiter" => parsed.delimiter = read.string()?,
                "rowDelimiter" => parsed.row_delimiter = read.string()?,
                "mode" => {
                    parsed.mode = match value.as_str() {
                        Some("metric") => CsvMode::Metric,
                        Some("label") => CsvMode::Label,
                        _ => return Err(read.bad("\"metric\" or \"label\"")),
                    }
                }
                "types" => parsed.types = Some(read.types()?),
                "interval" => parsed.interval = read.seconds()?,
                "filenameFormatter" | "rowFormatter" => {
                    return Err(read.function("use `mode` and `delimiter`"));
                }
                _ => {
                    return Err(read.bad(
                        "an option of the CSV reporter (folder, delimiter, rowDelimiter, mode, types, interval, includes, excludes, metricNamePrefix, metricNameSuffix)",
                    ));
                }
            }
        }
        Ok(parsed)
    }
}

/// One row to append.
struct Row {
    file: PathBuf,
    headers: Vec<String>,
    fields: Vec<Value>,
}

pub(super) fn start(
    shared: &ReporterOptions,
    options: &CsvOptions,
    context: &ReporterContext,
) -> Result<Running> {
    std::fs::create_dir_all(&options.folder).map_err(|err| {
        Error::broker_options(
            format!(
                "CSV metric reporter: the folder {} cannot be made: {err}",
                options.folder.display()
            ),
            None,
        )
    })?;
    let (shared, options) = (shared.clone(), options.clone());
    let mut changes = Changes::default();
    Ok(every(
        options.interval,
        &context.registry,
        move |registry| {
            let now = registry.now_ms();
            let list = shared.list(&registry, options.types.as_deref());
            let rows = rows(&list, &shared, &options, &changes);
            changes.reported(now);
            let options = options.clone();
            async move {
                let written = tokio::task::spawn_blocking(move || {
                    for row in rows {
                        if let Err(err) = append(&row, &options) {
                            tracing::error!(
                                target: "moleculer::metrics",
                                "Unable to write metrics values to the '{}' file. Error: {err}",
                                row.file.display()
                            );
                        }
                    }
                });
                let _ = written.await;
            }
        },
    ))
}

/// The rows of the values that changed.
fn rows(
    list: &[Value],
    shared: &ReporterOptions,
    options: &CsvOptions,
    changes: &Changes,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for metric in list {
        let name = shared.metric_name(metric["name"].as_str().unwrap_or_default());
        let kind = metric["type"].as_str().unwrap_or_default();
        let label_names: Vec<&str> = metric["labelNames"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for item in metric["values"].as_array().into_iter().flatten() {
            if !changes.changed(item) {
                continue;
            }
            let mut headers = vec!["Timestamp".to_owned(), "Metric".to_owned()];
            let mut fields = vec![item["timestamp"].clone(), Value::from(name.as_str())];
            for label in &label_names {
                headers.push(format!("Label {label}"));
                fields.push(match &item["labels"][*label] {
                    Value::Null => Value::from(""),
                    other => Value::from(value_to_string(other)),
                });
            }
            if kind == "histogram" {
                histogram_fields(item, &mut headers, &mut fields);
            } else if item["value"].is_null() {
                continue;
            } else {
                headers.push("Value".to_owned());
                fields.push(Value::from(value_to_string(&item["value"])));
            }
            rows.push(Row {
                file: file_of(&name, item, options),
                headers,
                fields,
            });
        }
    }
    rows
}

fn histogram_fields(item: &Value, headers: &mut Vec<String>, fields: &mut Vec<Value>) {
    let mut push = |header: String, field: &Value| {
        headers.push(header);
        fields.push(field.clone());
    };
    push("Count".to_owned(), &item["count"]);
    push("Sum".to_owned(), &item["sum"]);
    if let Some(buckets) = item["buckets"].as_object() {
        for (bound, count) in buckets {
            push(format!("Bucket_{bound}"), count);
        }
    }
    if let Some(quantiles) = item["quantiles"].as_object() {
        for (header, key) in [
            ("Min", "min"),
            ("Mean", "mean"),
            ("Var", "variance"),
            ("StdDev", "stdDev"),
            ("Max", "max"),
        ] {
            push(header.to_owned(), &item[key]);
        }
        for (q, value) in quantiles {
            push(format!("Quantile_{q}"), value);
        }
    }
}

/// Node's `getFilename`.
fn file_of(name: &str, item: &Value, options: &CsvOptions) -> PathBuf {
    match options.mode {
        CsvMode::Metric => options.folder.join(format!("{name}.csv")),
        CsvMode::Label => {
            let labels = labels_text(item);
            let file = if labels.is_empty() {
                format!("{name}.csv")
            } else {
                format!("{name}--{labels}.csv")
            };
            options.folder.join(name).join(file)
        }
    }
}

/// Node's `labelsToStr`: `name=value` joined with `--`, white space as `_`, and the
/// characters a file name should not have left out.
fn labels_text(item: &Value) -> String {
    let Some(labels) = item["labels"].as_object() else {
        return String::new();
    };
    let joined: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", value_to_string(v)))
        .collect();
    joined
        .join("--")
        .chars()
        .filter(|c| !"|&:;$%@\"<>()+,/?".contains(*c))
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// Appends a row, with the header first when the file is new.
fn append(row: &Row, options: &CsvOptions) -> std::io::Result<()> {
    if let Some(dir) = row.file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    if !Path::exists(&row.file) {
        text.push_str(&row.headers.join(&options.delimiter));
        text.push_str(&options.row_delimiter);
    }
    text.push_str(&crate::js::join(&row.fields, &options.delimiter));
    text.push_str(&options.row_delimiter);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&row.file)?
        .write_all(text.as_bytes())
}
