//! Waiting for discovery before a command reads the whole cluster.
//!
//! On the TCP transporter nodes are not announced at once: a node is first only heard of (a
//! discovery datagram, a static URL, a peer connecting), and its INFO comes later by gossip,
//! one gossip period or more after that. A listing read too early shows only this client.
//! Other transporters deliver every INFO in answer to the `DISCOVER` sent while joining.

use std::time::{Duration, Instant};

use moleculer::ServiceBroker;
use serde_json::{Value, json};

/// How long a complete registry must stay unchanged before it is read (a peer connecting
/// meanwhile may bring nodes nobody had told of yet).
const QUIET: Duration = Duration::from_millis(1000);

/// How often the registry is looked at.
const POLL: Duration = Duration::from_millis(100);

/// What the registry knows of the other nodes at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Known {
    /// The other nodes, each with whether it is online.
    pub(crate) nodes: Vec<(String, bool)>,
    /// The nodes only heard of, whose INFO has not come.
    pub(crate) awaiting: Vec<String>,
}

impl Known {
    /// Some other node is known, and each known node is online or known to be offline.
    fn complete(&self) -> bool {
        !self.nodes.is_empty() && self.awaiting.is_empty()
    }
}

/// Decides from successive looks at the registry when discovery is over.
#[derive(Debug)]
pub(crate) struct Settling {
    quiet: Duration,
    last: Option<Known>,
    since: Instant,
}

impl Settling {
    /// Settled once the registry is complete and unchanged for `quiet`.
    pub(crate) fn new(quiet: Duration, now: Instant) -> Settling {
        Settling {
            quiet,
            last: None,
            since: now,
        }
    }

    /// Takes in what the registry shows at `now`; whether discovery is over.
    pub(crate) fn settled(&mut self, known: Known, now: Instant) -> bool {
        if self.last.as_ref() != Some(&known) {
            self.last = Some(known);
            self.since = now;
            return false;
        }
        self.last.as_ref().is_some_and(Known::complete)
            && now.duration_since(self.since) >= self.quiet
    }
}

/// On a gossiping transporter (TCP), waits until every node heard of is online or known to
/// be offline, some other node is known, and nothing changed for a moment; gives up at
/// `deadline` with a warning. Other transporters need no wait.
pub(crate) async fn wait(broker: &ServiceBroker, deadline: Instant) {
    if broker.transporter_name() != Some("TCP") {
        return;
    }
    let mut settling = Settling::new(QUIET, Instant::now());
    let mut known = Known::default();
    while Instant::now() < deadline {
        known = look(broker).await;
        if settling.settled(known.clone(), Instant::now()) {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    if known.nodes.is_empty() {
        tracing::warn!("no other node was heard of within --wait");
    } else if !known.awaiting.is_empty() {
        tracing::warn!(
            awaiting = ?known.awaiting,
            "--wait passed before these nodes sent their INFO; the result may miss them"
        );
    }
}

/// What the registry knows of the other nodes now.
async fn look(broker: &ServiceBroker) -> Known {
    let list: Value = broker
        .call("$node.list", json!({ "onlyAvailable": false }))
        .await
        .unwrap_or(Value::Null);
    let mut nodes: Vec<(String, bool)> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|node| node["local"] != true)
        .filter_map(|node| Some((node["id"].as_str()?.to_owned(), node["available"] == true)))
        .collect();
    nodes.sort();
    Known {
        nodes,
        awaiting: broker.nodes_awaiting_info(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(nodes: &[(&str, bool)], awaiting: &[&str]) -> Known {
        Known {
            nodes: nodes
                .iter()
                .map(|(id, on)| ((*id).to_owned(), *on))
                .collect(),
            awaiting: awaiting.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[test]
    fn settles_once_complete_and_quiet() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut s = Settling::new(Duration::from_millis(500), start);
        // Heard of b, its INFO not in yet: never settled, however long it lasts.
        assert!(!s.settled(known(&[("b", false)], &["b"]), at(0)));
        assert!(!s.settled(known(&[("b", false)], &["b"]), at(5000)));
        // b online: complete, then quiet.
        assert!(!s.settled(known(&[("b", true)], &[]), at(5100)));
        assert!(!s.settled(known(&[("b", true)], &[]), at(5500)));
        assert!(s.settled(known(&[("b", true)], &[]), at(5600)));
    }

    #[test]
    fn a_change_restarts_the_quiet_period() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut s = Settling::new(Duration::from_millis(500), start);
        assert!(!s.settled(known(&[("b", true)], &[]), at(0)));
        assert!(!s.settled(known(&[("b", true), ("c", true)], &[]), at(400)));
        assert!(!s.settled(known(&[("b", true), ("c", true)], &[]), at(800)));
        assert!(s.settled(known(&[("b", true), ("c", true)], &[]), at(900)));
    }

    #[test]
    fn nodes_known_offline_count_as_resolved() {
        let start = Instant::now();
        let mut s = Settling::new(Duration::ZERO, start);
        let gone = known(&[("b", false), ("c", true)], &[]);
        assert!(!s.settled(gone.clone(), start));
        assert!(s.settled(gone, start));
    }

    #[test]
    fn an_empty_registry_is_never_settled() {
        let start = Instant::now();
        let mut s = Settling::new(Duration::ZERO, start);
        assert!(!s.settled(Known::default(), start));
        assert!(!s.settled(Known::default(), start + Duration::from_secs(60)));
    }
}
