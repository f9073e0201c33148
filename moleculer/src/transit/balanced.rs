//! `disableBalancer` with a transporter that balances (reference §1.9): the node subscribes
//! to a queue per local action (`REQB.<action>`, queue = action) and per local event group
//! (`EVENTB.<group>.<event>`, queue = group), so the transporter picks the receiver.

use std::collections::BTreeMap;

use super::Transit;

impl Transit {
    /// Brings the balanced subscriptions in line with the local services: new ones are
    /// subscribed, gone ones unsubscribed.
    pub(crate) async fn resubscribe_balanced(&self) {
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        let catalog = self.registry.snapshot();
        for svc in catalog.services.iter().filter(|s| s.local) {
            for action in &svc.actions {
                wanted.insert(
                    self.topics.balanced_request(&action.def.name),
                    action.def.name.to_string(),
                );
            }
            for event in &svc.events {
                wanted.insert(
                    self.topics.balanced_event(&event.group, &event.def.name),
                    event.group.to_string(),
                );
            }
        }
        drop(catalog);
        let current = std::mem::take(&mut *self.balanced_topics.lock());
        for topic in current.keys().filter(|t| !wanted.contains_key(*t)) {
            if let Err(err) = self.transporter.unsubscribe(topic).await {
                tracing::warn!(topic, error = %err, "balanced unsubscribe failed");
            }
        }
        for (topic, group) in wanted.iter().filter(|(t, _)| !current.contains_key(*t)) {
            if let Err(err) = self.transporter.subscribe_balanced(topic, group).await {
                tracing::warn!(topic, error = %err, "balanced subscribe failed");
            }
        }
        *self.balanced_topics.lock() = wanted;
    }
}
