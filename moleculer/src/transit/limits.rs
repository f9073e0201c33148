//! Bounds on what other nodes can make this node do, where Node sets none: how many log lines
//! bad packets write, how many INFO answers DISCOVER packets get, and how large the parts of
//! an INFO the registry keeps may be.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// At most `limit` occurrences per `window`; the ones over it are counted, and the next one
/// let through reports how many were left out.
#[derive(Debug)]
pub(crate) struct RateLimit {
    limit: u32,
    window: Duration,
    /// The current window's start, how many went through in it, how many were left out.
    state: Mutex<(Instant, u32, u64)>,
}

impl RateLimit {
    pub(crate) fn new(limit: u32, window: Duration) -> RateLimit {
        RateLimit {
            limit,
            window,
            state: Mutex::new((Instant::now(), 0, 0)),
        }
    }

    /// `Some(left out since the last one)` when this occurrence may go through.
    pub(crate) fn allow(&self) -> Option<u64> {
        let mut state = self.state.lock();
        let (start, count, dropped) = &mut *state;
        if start.elapsed() >= self.window {
            *start = Instant::now();
            *count = 0;
        }
        if *count >= self.limit {
            *dropped += 1;
            return None;
        }
        *count += 1;
        Some(std::mem::take(dropped))
    }
}

/// Which DISCOVER packets get an INFO: one per sender per `per_sender` (a sender asks again
/// only after a restart), and at most `total` per second in all, so that a flood of DISCOVER
/// packets (with made-up senders, too) is not answered one for one.
#[derive(Debug)]
pub(crate) struct DiscoverAnswers {
    per_sender: Duration,
    last: Mutex<HashMap<String, Instant>>,
    total: RateLimit,
}

/// Senders remembered at most; past it the list starts again.
const SENDERS_KEPT: usize = 4096;

impl DiscoverAnswers {
    pub(crate) fn new(per_sender: Duration, total_per_second: u32) -> DiscoverAnswers {
        DiscoverAnswers {
            per_sender,
            last: Mutex::new(HashMap::new()),
            total: RateLimit::new(total_per_second, Duration::from_secs(1)),
        }
    }

    /// Whether the DISCOVER of `sender` gets an answer now.
    pub(crate) fn answer(&self, sender: &str) -> bool {
        {
            let mut last = self.last.lock();
            if last
                .get(sender)
                .is_some_and(|at| at.elapsed() < self.per_sender)
            {
                return false;
            }
            if last.len() >= SENDERS_KEPT {
                last.clear();
            }
            last.insert(sender.to_owned(), Instant::now());
        }
        match self.total.allow() {
            Some(_) => true,
            None => {
                // Not answered: the sender may ask again at once.
                self.last.lock().remove(sender);
                false
            }
        }
    }
}

/// The longest nodeID, host name, instance ID, address or client field an INFO may carry.
pub(crate) const INFO_TEXT_MAX: usize = 256;
/// The most addresses an INFO may list.
pub(crate) const INFO_ADDRESSES_MAX: usize = 64;

/// Whether an INFO's parts fit the registry's bounds (its services are bounded by the
/// transporter's packet size); the reason when not.
pub(crate) fn info_fits(sender: &str, info: &crate::protocol::Info) -> Result<(), String> {
    let texts = [
        ("the nodeID", sender),
        ("hostname", info.hostname.as_str()),
        ("instanceID", info.instance_id.as_str()),
        ("client.type", info.client.kind.as_str()),
        ("client.version", info.client.version.as_str()),
        ("client.langVersion", info.client.lang_version.as_str()),
    ];
    for (what, text) in texts {
        if text.len() > INFO_TEXT_MAX {
            return Err(format!("{what} is longer than {INFO_TEXT_MAX} bytes"));
        }
    }
    if info.ip_list.len() > INFO_ADDRESSES_MAX {
        return Err(format!(
            "ipList has more than {INFO_ADDRESSES_MAX} addresses"
        ));
    }
    if info.ip_list.iter().any(|ip| ip.len() > INFO_TEXT_MAX) {
        return Err(format!(
            "an ipList entry is longer than {INFO_TEXT_MAX} bytes"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_counts_what_it_leaves_out() {
        let limit = RateLimit::new(3, Duration::from_secs(60));
        assert_eq!(limit.allow(), Some(0));
        assert_eq!(limit.allow(), Some(0));
        assert_eq!(limit.allow(), Some(0));
        for _ in 0..5 {
            assert_eq!(limit.allow(), None);
        }
        let short = RateLimit::new(1, Duration::from_millis(20));
        assert_eq!(short.allow(), Some(0));
        assert_eq!(short.allow(), None);
        assert_eq!(short.allow(), None);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(short.allow(), Some(2), "reports the two left out");
    }

    #[test]
    fn discover_answers_are_bounded_per_sender_and_in_all() {
        let answers = DiscoverAnswers::new(Duration::from_secs(60), 10);
        assert!(answers.answer("a"));
        assert!(!answers.answer("a"), "once per sender");
        let made_up = (0..100)
            .filter(|i| answers.answer(&format!("n{i}")))
            .count();
        assert_eq!(made_up, 9, "ten in all per second");
    }

    #[test]
    fn an_info_with_oversized_parts_does_not_fit() {
        let info = |hostname: &str, ips: usize| -> crate::protocol::Info {
            serde_json::from_value(serde_json::json!({
                "services": [], "ipList": vec!["10.0.0.1"; ips], "hostname": hostname,
                "client": {"type": "nodejs", "version": "0.15.2", "langVersion": "v20"},
                "config": {}, "instanceID": "i", "metadata": {}, "seq": 1,
            }))
            .unwrap()
        };
        assert!(info_fits("n", &info("host", 2)).is_ok());
        let long = "h".repeat(50_000);
        assert!(
            info_fits("n", &info(&long, 2))
                .unwrap_err()
                .contains("hostname")
        );
        assert!(
            info_fits("n", &info("host", 65))
                .unwrap_err()
                .contains("ipList")
        );
        assert!(
            info_fits(&long, &info("host", 1))
                .unwrap_err()
                .contains("nodeID")
        );
    }
}
