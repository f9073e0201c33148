//! Fault-tolerance sections: `retryPolicy`, `circuitBreaker`, `bulkhead`, `tracking`
//! (reference §8). Defaults are the ones in `src/service-broker.js`, not the docs'.

use serde::Serialize;
use serde_json::Value;

use super::error::OptionsError;
use super::json::{Fields, FromJson, deserialize_via_json};

/// Why `retryPolicy.check` and `circuitBreaker.check` are refused.
const CHECK_IS_JS: &str = "`check` is a JavaScript function and cannot be set here: retries \
    take the errors marked retryable, the circuit breaker counts errors with code >= 500";

/// `retryPolicy`: retry of failed calls with exponential back-off. Node's `check` function
/// cannot be configured here; the broker retries errors marked retryable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicyOptions {
    /// Whether calls are retried. Default `false`.
    pub enabled: bool,
    /// How many retries after the first attempt. Default `5`.
    pub retries: u32,
    /// First back-off delay in milliseconds. Default `100`.
    pub delay: u64,
    /// Upper bound of the back-off delay in milliseconds. Default `1000` (the docs say 2000;
    /// the source says 1000).
    pub max_delay: u64,
    /// Multiplier applied to the delay after each attempt. Default `2`.
    pub factor: f64,
}

impl Default for RetryPolicyOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            retries: 5,
            delay: 100,
            max_delay: 1000,
            factor: 2.0,
        }
    }
}

impl FromJson for RetryPolicyOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            enabled: f.get("enabled", d.enabled)?,
            retries: f.get("retries", d.retries)?,
            delay: f.get("delay", d.delay)?,
            max_delay: f.get("maxDelay", d.max_delay)?,
            factor: f.get("factor", d.factor)?,
        };
        f.refuse("check", CHECK_IS_JS)?;
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(RetryPolicyOptions, "retryPolicy");

/// `circuitBreaker`: stops calling an endpoint whose failure rate is too high. Node's `check`
/// function cannot be configured here; errors with code >= 500 count as failures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct CircuitBreakerOptions {
    /// Whether the breaker is active. Default `false`.
    pub enabled: bool,
    /// Failure ratio (0..1) that opens the circuit. Default `0.5`.
    pub threshold: f64,
    /// Length of the counting window in seconds. Default `60`.
    pub window_time: f64,
    /// Requests needed in a window before the threshold is checked. Default `20`.
    pub min_request_count: u32,
    /// Milliseconds an open circuit waits before letting one trial request through.
    /// Default `10000`.
    pub half_open_time: u64,
}

impl Default for CircuitBreakerOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            threshold: 0.5,
            window_time: 60.0,
            min_request_count: 20,
            half_open_time: 10_000,
        }
    }
}

impl FromJson for CircuitBreakerOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            enabled: f.get("enabled", d.enabled)?,
            threshold: f.get("threshold", d.threshold)?,
            window_time: f.get("windowTime", d.window_time)?,
            min_request_count: f.get("minRequestCount", d.min_request_count)?,
            half_open_time: f.get("halfOpenTime", d.half_open_time)?,
        };
        f.refuse("check", CHECK_IS_JS)?;
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(CircuitBreakerOptions, "circuitBreaker");

/// `bulkhead`: caps concurrent local handler executions and queues the excess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct BulkheadOptions {
    /// Whether the bulkhead is active. Default `false`.
    pub enabled: bool,
    /// Maximum handlers running at once. Default `10` (the docs say 3; the source says 10).
    pub concurrency: usize,
    /// Maximum queued requests; beyond it calls fail with `QueueIsFullError`. Default `100`.
    pub max_queue_size: usize,
}

impl Default for BulkheadOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            concurrency: 10,
            max_queue_size: 100,
        }
    }
}

impl FromJson for BulkheadOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            enabled: f.get("enabled", d.enabled)?,
            concurrency: f.get("concurrency", d.concurrency)?,
            max_queue_size: f.get("maxQueueSize", d.max_queue_size)?,
        };
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(BulkheadOptions, "bulkhead");

/// `tracking`: tracks in-flight requests so a stopping broker can wait for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct TrackingOptions {
    /// Whether contexts are tracked. Default `false`.
    pub enabled: bool,
    /// Milliseconds to wait for in-flight requests when stopping. Default `5000`.
    pub shutdown_timeout: u64,
}

impl Default for TrackingOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            shutdown_timeout: 5000,
        }
    }
}

impl FromJson for TrackingOptions {
    fn from_json(value: &Value, path: &str) -> Result<Self, OptionsError> {
        let d = Self::default();
        let mut f = Fields::object(value, path)?;
        let out = Self {
            enabled: f.get("enabled", d.enabled)?,
            shutdown_timeout: f.get("shutdownTimeout", d.shutdown_timeout)?,
        };
        f.finish()?;
        Ok(out)
    }
}

deserialize_via_json!(TrackingOptions, "tracking");
