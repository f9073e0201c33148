//! Which handlers start off the task that receives a node's messages: those seen working for
//! long before they first wait (CPU-bound work), which would hold up the messages behind them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A handler's record of how long its runs in the receiving task took before they first
/// waited; shared by every copy of its endpoint.
///
/// One slow run proves little on a shared machine (the thread may just have been
/// descheduled), so a handler counts as slow after [`CONFIRM`](Self::CONFIRM) slow runs in a
/// row; a slow handler still runs in the receiving task once every
/// [`PROBE_EVERY`](Self::PROBE_EVERY) messages, and one quick run there clears it.
#[derive(Clone, Default)]
pub(crate) struct SlowStart(Arc<State>);

#[derive(Default)]
struct State {
    /// Slow runs in a row (saturating).
    slow_in_a_row: AtomicU32,
    /// Messages started on a task of their own since the last probe.
    moved: AtomicU32,
}

impl SlowStart {
    /// Longer than this before the first wait is a slow run.
    pub(crate) const LIMIT: Duration = Duration::from_micros(500);
    /// Slow runs in a row that make a handler slow.
    pub(crate) const CONFIRM: u32 = 3;
    /// A slow handler runs in the receiving task again once in this many messages.
    pub(crate) const PROBE_EVERY: u32 = 64;

    /// Whether the next message for the handler starts on a task of its own.
    pub(crate) fn moves_next(&self) -> bool {
        if self.0.slow_in_a_row.load(Ordering::Relaxed) < Self::CONFIRM {
            return false;
        }
        let moved = self.0.moved.fetch_add(1, Ordering::Relaxed);
        if moved + 1 >= Self::PROBE_EVERY {
            self.0.moved.store(0, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Notes how long a run in the receiving task took before it first waited.
    pub(crate) fn record(&self, took: Duration) {
        let state = &self.0;
        if took > Self::LIMIT {
            let _ = state
                .slow_in_a_row
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1));
        } else if state.slow_in_a_row.load(Ordering::Relaxed) != 0 {
            state.slow_in_a_row.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_after_three_slow_runs_in_a_row_and_probed_now_and_then() {
        let (slow, quick) = (Duration::from_millis(5), Duration::from_micros(10));
        let start = SlowStart::default();
        start.record(slow);
        start.record(slow);
        start.record(quick);
        start.record(slow);
        assert!(!start.moves_next(), "one quick run in between resets");
        start.record(slow);
        start.record(slow);
        let moved = (0..SlowStart::PROBE_EVERY)
            .filter(|_| start.moves_next())
            .count();
        assert_eq!(moved as u32, SlowStart::PROBE_EVERY - 1, "one probe in 64");
        start.record(quick);
        assert!(!start.moves_next(), "a quick probe clears it");
    }
}
