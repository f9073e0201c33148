//! Trace exporters (Node's `src/tracing/exporters/*`): where the sampled spans go. `Event`
//! sends them as the `$tracing.spans` event, which a Node collector service reads as it
//! reads Node's own; `Console` draws each trace's tree in the log.

mod batch;
mod console;
mod event;
mod event_legacy;
mod newrelic;
mod zipkin;

use serde_json::{Map, Value};

pub use console::ConsoleExporterOptions;
pub use event::EventExporterOptions;
pub use newrelic::NewRelicExporterOptions;
pub use zipkin::ZipkinExporterOptions;

use super::SpanData;
use crate::broker::WeakBroker;
use crate::error::Result;
use crate::options::OptionsError;

/// An exporter the `exporter` option asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExporterConfig {
    /// `Event`: the spans as an event.
    Event(EventExporterOptions),
    /// `Console`: each trace drawn in the log.
    Console(ConsoleExporterOptions),
    /// `EventLegacy` (Node 0.14): each span as Moleculer 0.13's `metrics.trace.span.start`
    /// and `metrics.trace.span.finish` events.
    EventLegacy,
    /// `Zipkin`: spans posted to Zipkin's v2 API (with the `zipkin` feature).
    Zipkin(ZipkinExporterOptions),
    /// `NewRelic`: spans posted to New Relic's trace API (with the `newrelic` feature).
    NewRelic(NewRelicExporterOptions),
}

/// Reads `exporter`: a name, `{type, options}`, or a list of them.
///
/// # Errors
/// An unknown exporter, one of a later release, or an option of the wrong shape.
pub(crate) fn read_exporters(value: &Value) -> Result<Vec<ExporterConfig>, OptionsError> {
    match value {
        Value::Null | Value::Bool(false) => Ok(Vec::new()),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .filter(|(_, one)| !one.is_null())
            .map(|(i, one)| read_exporter(one, &format!("tracing.exporter[{i}]")))
            .collect(),
        one => read_exporter(one, "tracing.exporter").map(|e| vec![e]),
    }
}

fn read_exporter(value: &Value, at: &str) -> Result<ExporterConfig, OptionsError> {
    let (kind, options) = match value {
        Value::String(name) => (name.clone(), Map::new()),
        Value::Object(object) => {
            let Some(Value::String(kind)) = object.get("type") else {
                return Err(OptionsError::invalid(
                    &format!("{at}.type"),
                    "an exporter name",
                ));
            };
            let options = match object.get("options") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(options)) => options.clone(),
                Some(_) => {
                    return Err(OptionsError::invalid(&format!("{at}.options"), "an object"));
                }
            };
            (kind.clone(), options)
        }
        _ => {
            return Err(OptionsError::invalid(
                at,
                "an exporter name or {type, options}",
            ));
        }
    };
    let options_at = format!("{at}.options");
    match kind.to_lowercase().as_str() {
        "event" => Ok(ExporterConfig::Event(EventExporterOptions::from_json(
            &options,
            &options_at,
        )?)),
        "console" => Ok(ExporterConfig::Console(ConsoleExporterOptions::from_json(
            &options,
            &options_at,
        )?)),
        "eventlegacy" => {
            event_legacy::read_options(&options, &options_at)?;
            Ok(ExporterConfig::EventLegacy)
        }
        "zipkin" => Ok(ExporterConfig::Zipkin(ZipkinExporterOptions::from_json(
            &options,
            &options_at,
        )?)),
        "newrelic" => Ok(ExporterConfig::NewRelic(
            NewRelicExporterOptions::from_json(&options, &options_at)?,
        )),
        "jaeger" | "datadog" => Err(OptionsError::invalid(
            at,
            format!(
                "an exporter of this release: {kind} comes with a later one (Event, EventLegacy, Console, Zipkin and NewRelic are here)"
            ),
        )),
        _ => Err(OptionsError::invalid(
            at,
            format!(
                "a known exporter, not `{kind}` (Console, Event, EventLegacy, Zipkin, Jaeger, Datadog, NewRelic)"
            ),
        )),
    }
}

/// A started exporter.
#[derive(Debug)]
pub(crate) enum Running {
    /// The `Event` exporter.
    Event(event::EventExporter),
    /// The `Console` exporter.
    Console(console::ConsoleExporter),
    /// The `EventLegacy` exporter.
    EventLegacy(event_legacy::EventLegacyExporter),
    /// The `Zipkin` and `NewRelic` exporters.
    #[cfg(any(feature = "zipkin", feature = "newrelic"))]
    Posting(zipkin::SpanPoster),
}

impl Running {
    pub(crate) fn span_started(&self, span: &SpanData) {
        match self {
            Running::Event(exporter) => exporter.span_started(span),
            Running::Console(exporter) => exporter.span_started(span),
            Running::EventLegacy(exporter) => exporter.span_started(span),
            #[cfg(any(feature = "zipkin", feature = "newrelic"))]
            Running::Posting(_) => {}
        }
    }

    pub(crate) fn span_finished(&self, span: SpanData) {
        match self {
            Running::Event(exporter) => exporter.span_finished(span),
            Running::Console(exporter) => exporter.span_finished(span),
            Running::EventLegacy(exporter) => exporter.span_finished(&span),
            #[cfg(any(feature = "zipkin", feature = "newrelic"))]
            Running::Posting(exporter) => exporter.span_finished(span),
        }
    }

    /// Whether it sends each span at once.
    pub(crate) fn sends_at_once(&self) -> bool {
        match self {
            Running::Event(exporter) => exporter.sends_at_once(),
            Running::Console(_) => false,
            Running::EventLegacy(_) => true,
            #[cfg(any(feature = "zipkin", feature = "newrelic"))]
            Running::Posting(exporter) => exporter.sends_at_once(),
        }
    }

    /// Sends what it holds, and stops.
    pub(crate) async fn stop(self) {
        match self {
            Running::Event(exporter) => exporter.stop().await,
            Running::Console(_) => {}
            Running::EventLegacy(exporter) => exporter.stop().await,
            #[cfg(any(feature = "zipkin", feature = "newrelic"))]
            Running::Posting(exporter) => exporter.stop().await,
        }
    }
}

/// Starts the exporter `config` asks for.
///
/// # Errors
/// One that cannot start.
pub(crate) fn start(config: &ExporterConfig, broker: &WeakBroker) -> Result<Running> {
    match config {
        ExporterConfig::Event(options) => Ok(Running::Event(event::EventExporter::start(
            options.clone(),
            broker.clone(),
        ))),
        ExporterConfig::Console(options) => Ok(Running::Console(console::ConsoleExporter::new(
            options.clone(),
        ))),
        ExporterConfig::EventLegacy => Ok(Running::EventLegacy(
            event_legacy::EventLegacyExporter::start(broker.clone()),
        )),
        #[cfg(feature = "zipkin")]
        ExporterConfig::Zipkin(options) => Ok(Running::Posting(zipkin::start(options)?)),
        #[cfg(feature = "newrelic")]
        ExporterConfig::NewRelic(options) => Ok(Running::Posting(newrelic::start(options)?)),
        #[cfg(not(feature = "newrelic"))]
        ExporterConfig::NewRelic(_) => Err(crate::error::Error::broker_options(
            "the NewRelic exporter needs the `newrelic` feature of moleculer-rs",
            None,
        )),
        #[cfg(not(feature = "zipkin"))]
        ExporterConfig::Zipkin(_) => Err(crate::error::Error::broker_options(
            "the Zipkin exporter needs the `zipkin` feature of moleculer-rs",
            None,
        )),
    }
}
