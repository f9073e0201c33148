//! The sliding time window a histogram's quantiles are read from (Node's
//! `TimeWindowQuantiles`): `ageBuckets` buckets of `maxAgeSeconds / ageBuckets` each, the
//! oldest dropped as time moves on. Node keeps every sample of the window (a million calls a
//! second is sixty million numbers); here each bucket keeps its latest [`SAMPLES`] samples in
//! a ring written without a lock, so memory is bounded and the quantiles are those of the
//! samples kept.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many samples each age bucket keeps.
pub(crate) const SAMPLES: usize = 256;

/// One age bucket: the span it belongs to and its ring of samples.
#[derive(Debug)]
struct AgeBucket {
    /// The span number (`time / span`) the samples are of.
    epoch: AtomicU64,
    /// How many samples were written in this span.
    written: AtomicU64,
    samples: Box<[AtomicU64]>,
}

/// The window of one histogram series.
#[derive(Debug)]
pub(crate) struct Window {
    buckets: Box<[AgeBucket]>,
    /// Each bucket's span, in milliseconds.
    span_ms: u64,
}

/// What the window's samples say (Node's `min`, `mean`, `variance`, `stdDev`, `max`, and the
/// quantiles in the order asked).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WindowStats {
    pub(crate) min: Option<f64>,
    pub(crate) mean: Option<f64>,
    pub(crate) variance: Option<f64>,
    pub(crate) std_dev: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) quantiles: Vec<Option<f64>>,
}

impl Window {
    pub(crate) fn new(max_age_ms: u64, age_buckets: usize) -> Window {
        let age_buckets = age_buckets.max(1);
        let buckets = (0..age_buckets)
            .map(|_| AgeBucket {
                epoch: AtomicU64::new(u64::MAX),
                written: AtomicU64::new(0),
                samples: (0..SAMPLES).map(|_| AtomicU64::new(0)).collect(),
            })
            .collect();
        Window {
            buckets,
            span_ms: (max_age_ms / age_buckets as u64).max(1),
        }
    }

    /// Adds `value` at time `now_ms`.
    pub(crate) fn add(&self, value: f64, now_ms: u64) {
        let epoch = now_ms / self.span_ms;
        let bucket = &self.buckets[(epoch % self.buckets.len() as u64) as usize];
        let seen = bucket.epoch.load(Ordering::Acquire);
        if seen != epoch
            && bucket
                .epoch
                .compare_exchange(seen, epoch, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // This bucket's span is over: it starts again.
            bucket.written.store(0, Ordering::Release);
        }
        let at = bucket.written.fetch_add(1, Ordering::AcqRel) as usize % SAMPLES;
        bucket.samples[at].store(value.to_bits(), Ordering::Relaxed);
    }

    /// The stats of the samples of the window ending at `now_ms`.
    pub(crate) fn stats(&self, quantiles: &[f64], now_ms: u64) -> WindowStats {
        let current = now_ms / self.span_ms;
        let oldest = current.saturating_sub(self.buckets.len() as u64 - 1);
        let mut samples = Vec::new();
        for bucket in self.buckets.iter() {
            let epoch = bucket.epoch.load(Ordering::Acquire);
            if epoch == u64::MAX || epoch < oldest || epoch > current {
                continue;
            }
            let written = (bucket.written.load(Ordering::Acquire) as usize).min(SAMPLES);
            samples.extend(
                bucket.samples[..written]
                    .iter()
                    .map(|s| f64::from_bits(s.load(Ordering::Relaxed))),
            );
        }
        samples.sort_by(f64::total_cmp);
        stats_of(&samples, quantiles)
    }
}

/// Node's snapshot of sorted samples: the sample variance (n - 1), and each quantile `q` the
/// sample at `ceil(q * n) - 1`.
fn stats_of(sorted: &[f64], quantiles: &[f64]) -> WindowStats {
    let n = sorted.len();
    let mean = (n > 0).then(|| sorted.iter().sum::<f64>() / n as f64);
    let variance = match mean {
        Some(mean) if n > 1 => {
            Some(sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64)
        }
        _ => None,
    };
    WindowStats {
        min: sorted.first().copied(),
        mean,
        // Node's `variance ? Math.sqrt(variance) : null`: no deviation for a zero variance.
        std_dev: variance.filter(|v| *v != 0.0).map(f64::sqrt),
        variance,
        max: sorted.last().copied(),
        quantiles: quantiles
            .iter()
            .map(|q| {
                let at = (q * n as f64).ceil() as usize;
                at.checked_sub(1).and_then(|i| sorted.get(i)).copied()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_are_nodes() {
        let window = Window::new(60_000, 10);
        for (i, v) in [0.00634, 0.130504].into_iter().enumerate() {
            window.add(v, 1_000 + i as u64);
        }
        let stats = window.stats(&[0.5, 0.9], 1_500);
        assert_eq!(stats.min, Some(0.00634));
        assert_eq!(stats.max, Some(0.130504));
        assert!((stats.mean.unwrap() - 0.068422).abs() < 1e-12);
        assert!((stats.variance.unwrap() - 0.007708349448).abs() < 1e-12);
        assert_eq!(stats.quantiles, [Some(0.00634), Some(0.130504)]);
        let one = stats_of(&[0.26], &[0.5]);
        assert_eq!((one.variance, one.std_dev), (None, None));
    }

    #[test]
    fn old_samples_leave_and_memory_is_bounded() {
        let window = Window::new(10_000, 10);
        for i in 0..10_000 {
            window.add(i as f64, 500);
        }
        let stats = window.stats(&[0.5], 500);
        assert_eq!(stats.max, Some(9_999.0));
        assert_eq!(
            stats.min,
            Some((10_000 - SAMPLES) as f64),
            "the latest kept"
        );
        window.add(1.0, 5_500);
        assert_eq!(window.stats(&[0.5], 5_500).min, Some(1.0));
        let later = window.stats(&[0.5], 12_000);
        assert_eq!(later.max, Some(1.0), "the first span left the window");
        assert_eq!(window.stats(&[0.5], 30_000).quantiles, [None]);
    }
}
