//! Tracing (reference §13): Node's `Tracer`, its spans and exporters.
//!
//! With `tracing` on, every local action call (and, with `events: true`, every local event
//! handler) runs in a span: its id is the context's id, its trace id the request id, its
//! parent the parent context's id, so a request that crosses Node and Rust nodes is one
//! trace. The sampling decision travels with the request (`tracing` in REQ and EVENT
//! packets): a node samples only the requests that come without one.
//!
//! * [`Tracer`]: the options, the sampling, and the exporters the finished spans go to
//!   ([`ServiceBroker::tracer`](crate::ServiceBroker::tracer)).
//! * [`Span`]: a running span; a handler starts its own with
//!   [`Context::start_span`](crate::Context::start_span).
//! * [`TracingOptions`]: the `tracing` option with Node's names and defaults.
//! * [`exporters`]: where spans go.

pub mod exporters;
mod middleware;
mod options;
mod span;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use serde_json::{Map, Value};

pub(crate) use middleware::{TracingMiddleware, service_json};
pub(crate) use options::HandlerTracing;
pub use options::{Capture, SamplingOptions, TagRules, TracingOptions};
pub(crate) use span::SpanData;
pub use span::{Span, SpanKind, SpanOptions};

use crate::broker::WeakBroker;
use crate::error::{Error, Result};

/// Node's `RateLimiter`: a budget of traces refilled at `tracesPerSecond`.
#[derive(Debug)]
struct RateLimiter {
    per_second: f64,
    balance: f64,
    last: Instant,
}

impl RateLimiter {
    fn check(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.balance = (self.balance + elapsed * self.per_second).min(self.per_second.max(1.0));
        if self.balance >= 1.0 {
            self.balance -= 1.0;
            return true;
        }
        false
    }
}

/// The tracer of a broker: it decides which traces are sampled and hands finished spans to
/// its exporters. Disabled, it starts no span.
#[derive(Debug)]
pub struct Tracer {
    options: TracingOptions,
    /// Root spans since the last sampled one (Node's `sampleCounter`).
    sample_counter: AtomicU64,
    limiter: Option<Mutex<RateLimiter>>,
    exporters: RwLock<Vec<exporters::Running>>,
    /// Whether an exporter sends each span at once (`interval: 0`).
    sends_at_once: std::sync::atomic::AtomicBool,
}

impl Tracer {
    /// A tracer with `options`.
    pub fn new(options: TracingOptions) -> Tracer {
        let limiter = options.sampling.traces_per_second.map(|per_second| {
            Mutex::new(RateLimiter {
                per_second,
                balance: 0.0,
                last: Instant::now(),
            })
        });
        Tracer {
            options,
            sample_counter: AtomicU64::new(0),
            limiter,
            exporters: RwLock::new(Vec::new()),
            sends_at_once: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether requests are traced.
    pub fn is_enabled(&self) -> bool {
        self.options.enabled
    }

    /// The options.
    pub fn options(&self) -> &TracingOptions {
        &self.options
    }

    /// Node's `shouldSample`: the priority floor, then the rate limiter or the constant rate.
    pub(crate) fn should_sample(&self, priority: i64) -> bool {
        let sampling = &self.options.sampling;
        if sampling.min_priority.is_some_and(|min| priority < min) {
            return false;
        }
        if let Some(limiter) = &self.limiter {
            return limiter.lock().check();
        }
        if sampling.rate <= 0.0 {
            return false;
        }
        if sampling.rate >= 1.0 {
            return true;
        }
        let seen = self.sample_counter.fetch_add(1, Ordering::Relaxed) + 1;
        if seen as f64 * sampling.rate >= 1.0 {
            self.sample_counter.store(0, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Starts a span of its own (a root unless `options` name a trace and a parent).
    pub fn start_span(self: &Arc<Self>, name: impl Into<String>, options: SpanOptions) -> Span {
        Span::start(self, name.into(), options)
    }

    /// The tracer's `errorFields` of an error (Node's `errorToObject`).
    pub(crate) fn error_object(&self, error: &Error) -> Value {
        let wire = error.to_wire();
        let fields: Map<String, Value> = self
            .options
            .error_fields
            .iter()
            .filter_map(|field| wire.get(field).map(|v| (field.clone(), v.clone())))
            .collect();
        Value::Object(fields)
    }

    pub(crate) fn span_started(&self, span: &SpanData) {
        if span.sampled {
            for exporter in self.exporters.read().iter() {
                exporter.span_started(span);
            }
        }
    }

    pub(crate) fn span_finished(&self, span: SpanData) {
        if !span.sampled {
            return;
        }
        let exporters = self.exporters.read();
        // Each exporter but the last gets a copy; the last one takes the span.
        if let Some((last, others)) = exporters.split_last() {
            for exporter in others {
                exporter.span_finished(span.clone());
            }
            last.span_finished(span);
        }
    }

    /// Starts the exporters (the broker starts them with itself).
    ///
    /// # Errors
    /// An exporter that cannot start.
    pub(crate) fn start(self: &Arc<Self>, broker: WeakBroker) -> Result<()> {
        if !self.is_enabled() {
            return Ok(());
        }
        let mut running = Vec::new();
        for config in &self.options.exporters {
            running.push(exporters::start(config, &broker)?);
        }
        let at_once = running.iter().any(exporters::Running::sends_at_once);
        self.sends_at_once.store(at_once, Ordering::Relaxed);
        *self.exporters.write() = running;
        Ok(())
    }

    /// After a handler's span: an exporter that sends each span at once (Node sends it
    /// before the call returns) gets its turn to send, even on a runtime of one thread
    /// busy with calls that never wait.
    pub(crate) async fn let_exporters_send(&self) {
        if self.sends_at_once.load(Ordering::Relaxed) {
            tokio::task::yield_now().await;
        }
    }

    /// Sends what the exporters hold and stops them.
    pub(crate) async fn stop(&self) {
        let running: Vec<exporters::Running> = std::mem::take(&mut *self.exporters.write());
        for exporter in running {
            exporter.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracer(sampling: SamplingOptions) -> Tracer {
        Tracer::new(TracingOptions {
            enabled: true,
            sampling,
            ..TracingOptions::default()
        })
    }

    #[test]
    fn a_constant_rate_samples_every_nth_root() {
        let quarter = tracer(SamplingOptions {
            rate: 0.25,
            ..SamplingOptions::default()
        });
        let sampled: Vec<bool> = (0..8).map(|_| quarter.should_sample(5)).collect();
        assert_eq!(
            sampled,
            [false, false, false, true, false, false, false, true]
        );
        let none = tracer(SamplingOptions {
            rate: 0.0,
            ..SamplingOptions::default()
        });
        assert!(!none.should_sample(5));
    }

    #[test]
    fn min_priority_and_traces_per_second_limit_sampling() {
        let picky = tracer(SamplingOptions {
            min_priority: Some(3),
            ..SamplingOptions::default()
        });
        assert!(!picky.should_sample(2));
        assert!(picky.should_sample(3));
        let limited = tracer(SamplingOptions {
            traces_per_second: Some(10.0),
            ..SamplingOptions::default()
        });
        // Node's limiter starts with an empty budget, refilled at 10 a second (at most 10).
        assert!(!limited.should_sample(5));
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(limited.should_sample(5));
        assert!(limited.should_sample(5));
        assert!(!limited.should_sample(5));
    }
}
