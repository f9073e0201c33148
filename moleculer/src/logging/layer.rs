//! [`Loggers`]: the `logger` option's loggers as one `tracing_subscriber` layer.

use std::io::Write;
use std::sync::Arc;

use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use super::file::{Clock, FileWriter, strip_colors};
use super::formatted::Formatted;
use super::record::{Record, SERVICE_FIELD, ServiceBindings};
use super::{NodeBindings, module_level, tracing_level};
use crate::error::{Error, Result};
use crate::options::{LogLevel, LogLevelOption, LoggerConfig, LoggerOption};

/// The loggers of a `logger` option, ready to be a `tracing_subscriber` layer.
///
/// Each logger has its level (global or per module) and its formatter, and prints a record
/// as Node's logger of the same options prints it. [`layer`](Self::layer) gives the layer;
/// [`flush`](Self::flush) writes what the file loggers hold (the broker does it when it
/// stops).
///
/// ```no_run
/// use moleculer::logging::{Loggers, NodeBindings};
/// use moleculer::options::{LogLevelOption, LoggerOption};
/// use tracing_subscriber::prelude::*;
///
/// let option: LoggerOption = serde_json::from_str(
///     r#"[{"type": "Console", "options": {"formatter": "short"}},
///         {"type": "File", "options": {"folder": "./logs", "level": "debug"}}]"#,
/// )?;
/// let loggers = Loggers::new(
///     &option,
///     &LogLevelOption::default(),
///     NodeBindings::new("node-1", ""),
/// )?;
/// tracing_subscriber::registry().with(loggers.layer()).init();
/// tracing::info!(target: "greeter", "Hello");
/// loggers.flush();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Loggers {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    node: NodeBindings,
    appenders: Vec<Appender>,
    /// The most verbose level any logger prints.
    max_level: LevelFilter,
    /// Whether levels are left to a filter around the layer (`RUST_LOG`).
    levels_outside: bool,
}

/// One logger (Node's appender).
#[derive(Debug)]
struct Appender {
    /// The logger's level merged with `logLevel`.
    level: LogLevelOption,
    formatted: Formatted,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Console,
    File(Arc<FileWriter>),
}

impl Loggers {
    /// The loggers of `option` for the node `node`; `log_level` (the broker's `logLevel`)
    /// is the level of a logger without its own. The file loggers make their folders and
    /// start their writing threads.
    ///
    /// # Errors
    /// A `BrokerOptionsError` when a file logger's folder cannot be made.
    pub fn new(
        option: &LoggerOption,
        log_level: &LogLevelOption,
        node: NodeBindings,
    ) -> Result<Loggers> {
        Self::build(option, log_level, node, false, &|| {
            Arc::new(std::time::SystemTime::now)
        })
    }

    /// [`Loggers::new`] with the file loggers' clock; with `levels_outside`, every level
    /// passes, for a filter around the layer (`RUST_LOG`) to choose.
    pub(crate) fn build(
        option: &LoggerOption,
        log_level: &LogLevelOption,
        node: NodeBindings,
        levels_outside: bool,
        clock: &dyn Fn() -> Clock,
    ) -> Result<Loggers> {
        let mut appenders = Vec::new();
        for config in option.configs() {
            let formatted = config.formatted();
            let sink = match &config {
                LoggerConfig::Console(_) => Sink::Console,
                LoggerConfig::File(options) => {
                    let writer = FileWriter::start(options, &node, clock()).map_err(|err| {
                        Error::broker_options(
                            format!(
                                "the File logger cannot make its folder `{}`: {err}",
                                options.folder
                            ),
                            None,
                        )
                    })?;
                    Sink::File(writer)
                }
            };
            appenders.push(Appender {
                level: merged_level(formatted.level.as_ref(), log_level),
                formatted: Formatted::new(formatted),
                sink,
            });
        }
        let max_level = if levels_outside {
            LevelFilter::TRACE
        } else {
            appenders
                .iter()
                .filter_map(|a| most_verbose(&a.level))
                .max()
                .map_or(LevelFilter::OFF, |level| {
                    LevelFilter::from(tracing_level(level))
                })
        };
        Ok(Loggers {
            shared: Arc::new(Shared {
                node,
                appenders,
                max_level,
                levels_outside,
            }),
        })
    }

    /// The loggers as a layer of any subscriber with span lookup (such as
    /// `tracing_subscriber::registry()`). Its filter passes the events that some logger
    /// may print, and the spans that carry a service's bindings, leaving the other layers
    /// of the subscriber unfiltered.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let gate = Gate {
            max_level: self.shared.max_level,
        };
        LoggersLayer {
            shared: self.shared.clone(),
        }
        .with_filter(gate)
    }

    /// Writes what the file loggers hold now, on this thread.
    pub fn flush(&self) {
        for appender in &self.shared.appenders {
            if let Sink::File(writer) = &appender.sink {
                writer.flush();
            }
        }
    }
}

/// The logger's own level over the broker's: Node's `defaultsDeep`, which keeps the
/// logger's and, when both are per module, adds the broker's modules it lacks.
pub(crate) fn merged_level(
    own: Option<&LogLevelOption>,
    global: &LogLevelOption,
) -> LogLevelOption {
    match (own, global) {
        (None, global) => global.clone(),
        (Some(LogLevelOption::PerModule(own)), LogLevelOption::PerModule(global)) => {
            let mut levels = own.clone();
            for (module, level) in global {
                if !own.iter().any(|(m, _)| m == module) {
                    levels.push((module.clone(), *level));
                }
            }
            LogLevelOption::PerModule(levels)
        }
        (Some(own), _) => own.clone(),
    }
}

/// The most verbose level `level` lets any module print.
fn most_verbose(level: &LogLevelOption) -> Option<LogLevel> {
    match level {
        LogLevelOption::Global(level) => Some(*level),
        LogLevelOption::PerModule(levels) => levels.iter().filter_map(|(_, l)| *l).max(),
    }
}

/// The layer's filter: events no logger prints never reach it.
#[derive(Debug, Clone, Copy)]
struct Gate {
    max_level: LevelFilter,
}

impl Gate {
    fn passes(&self, meta: &Metadata<'_>) -> bool {
        // A span naming a service is kept whatever its level: its records need it.
        self.max_level >= *meta.level()
            || (meta.is_span() && meta.fields().field(SERVICE_FIELD).is_some())
    }
}

impl<S> Filter<S> for Gate {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        self.passes(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.passes(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

/// The layer itself.
struct LoggersLayer {
    shared: Arc<Shared>,
}

impl<S> Layer<S> for LoggersLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if !attrs
            .metadata()
            .fields()
            .iter()
            .any(|f| is_binding(f.name()))
        {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut bindings = ServiceBindings::default();
        attrs.record(&mut bindings.visitor());
        span.extensions_mut().replace(bindings);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(bindings) = extensions.get_mut::<ServiceBindings>() {
            values.record(&mut bindings.visitor());
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let record = Record::of_event(event, || {
            ctx.event_scope(event)
                .into_iter()
                .flatten()
                .find_map(|span| {
                    let extensions = span.extensions();
                    extensions
                        .get::<ServiceBindings>()
                        .filter(|b| b.svc.is_some())
                        .cloned()
                })
                .unwrap_or_default()
        });
        self.shared.log(&record);
    }
}

fn is_binding(name: &str) -> bool {
    name == SERVICE_FIELD || name == super::record::VERSION_FIELD
}

impl Shared {
    /// Prints `record` with every logger whose level lets it through.
    fn log(&self, record: &Record) {
        let module = record.module.to_uppercase();
        for appender in &self.appenders {
            if !self.levels_outside {
                // Node makes a module's logger only where the module has a level.
                let Some(max) = module_level(&appender.level, &module) else {
                    continue;
                };
                appender.formatted.note_module(&self.node, &record.module);
                if record.level > max {
                    continue;
                }
            } else {
                appender.formatted.note_module(&self.node, &record.module);
            }
            let line = appender.formatted.format(record, &self.node);
            match &appender.sink {
                Sink::Console => write_console(record.level, line),
                Sink::File(writer) => writer.push(strip_colors(&line)),
            }
        }
    }
}

/// Node's console: `fatal`, `error` (`console.error`) and `warn` (`console.warn`) to
/// stderr, the others (`console.log`) to stdout.
fn write_console(level: LogLevel, mut line: String) {
    line.push('\n');
    let _ = if level <= LogLevel::Warn {
        std::io::stderr().lock().write_all(line.as_bytes())
    } else {
        std::io::stdout().lock().write_all(line.as_bytes())
    };
}
