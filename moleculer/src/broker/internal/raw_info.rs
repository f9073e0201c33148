//! The definitions other nodes published, as their INFO brought them: what Node shows of
//! another node's actions and events, key order included. Local definitions are what this
//! node publishes.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::super::ServiceBroker;
use crate::protocol::Info;
use crate::registry::ServiceEntry;
use crate::service::{ActionDef, BoundAction, EventDef, Visibility};

/// The INFO of each remote node, read once per listing.
pub(super) struct RawInfos<'a> {
    broker: &'a ServiceBroker,
    cache: HashMap<Arc<str>, Option<Arc<Info>>>,
}

impl<'a> RawInfos<'a> {
    pub(super) fn new(broker: &'a ServiceBroker) -> Self {
        RawInfos {
            broker,
            cache: HashMap::new(),
        }
    }

    /// `service[kind][name]` (`kind` is `actions` or `events`) of a remote service, as its
    /// node's INFO has it.
    fn definition(
        &mut self,
        node_id: &Arc<str>,
        full_name: &str,
        kind: &str,
        name: &str,
    ) -> Option<Value> {
        let nodes = &self.broker.inner.registry.nodes;
        let info = self
            .cache
            .entry(node_id.clone())
            .or_insert_with(|| nodes.raw_info(node_id))
            .as_ref()?;
        info.services
            .iter()
            .find(|item| item["fullName"].as_str() == Some(full_name))?
            .get(kind)?
            .get(name)
            .cloned()
    }

    /// An action's definition: as published for a local one, as its INFO has it for a
    /// remote one.
    pub(super) fn action(
        &mut self,
        node_id: &Arc<str>,
        local: bool,
        service: &str,
        def: &ActionDef,
    ) -> Value {
        let raw = if local {
            None
        } else {
            self.definition(node_id, service, "actions", &def.name)
        };
        raw.unwrap_or_else(|| def.to_json())
    }

    /// An event handler's definition, likewise.
    pub(super) fn event(
        &mut self,
        node_id: &Arc<str>,
        local: bool,
        service: &str,
        def: &EventDef,
    ) -> Value {
        let raw = if local {
            None
        } else {
            self.definition(node_id, service, "events", &def.name)
        };
        raw.unwrap_or_else(|| def.to_json())
    }

    /// `(name, definition)` of every action Node lists for `svc`: local ones as published
    /// (private ones never are), remote ones as their INFO has them (protected and private
    /// ones are not registered from another node).
    pub(super) fn actions(&mut self, svc: &ServiceEntry) -> Vec<(String, Value)> {
        svc.actions
            .iter()
            .filter(|a| visible(svc, a))
            .map(|a| {
                let def = self.action(&svc.node_id, svc.local, &svc.info.full_name, &a.def);
                (a.def.name.to_string(), def)
            })
            .collect()
    }

    /// `(name, definition)` of every event handler of `svc`, but those of internal (`$`)
    /// events, which `$node.services` leaves out.
    pub(super) fn events(&mut self, svc: &ServiceEntry) -> Vec<(String, Value)> {
        svc.events
            .iter()
            .filter(|e| !e.def.name.starts_with('$'))
            .map(|e| {
                let def = self.event(&svc.node_id, svc.local, &svc.info.full_name, &e.def);
                (e.def.name.to_string(), def)
            })
            .collect()
    }
}

/// Node's `checkActionVisibility`: what the registry holds of a service's actions.
fn visible(svc: &ServiceEntry, action: &BoundAction) -> bool {
    match action.def.visibility {
        Visibility::Published | Visibility::Public => true,
        Visibility::Protected => svc.local,
        Visibility::Private => false,
    }
}
