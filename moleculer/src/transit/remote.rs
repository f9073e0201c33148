//! Remote services: the registry entries built from another node's INFO (Node's
//! `registerServices`), whose action handlers send requests.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::Transit;
use crate::context::Context;
use crate::payload::Payload;
use crate::registry::ServiceEntry;
use crate::service::{
    ActionDef, ActionHandler, ActionOptions, BoundAction, BoundEvent, EventDef, EventOptions,
    ServiceInfo, SlowStart, Version, Visibility, full_service_name,
};

/// The registry entries of `node_id`'s INFO `services`. Items without a `name` are skipped.
pub(crate) fn service_entries(
    cluster: &Arc<Transit>,
    node_id: &str,
    services: &[Value],
) -> Vec<ServiceEntry> {
    let node: Arc<str> = Arc::from(node_id);
    services
        .iter()
        .filter_map(|svc| {
            let entry = service_entry(cluster, &node, svc);
            if entry.is_none() {
                tracing::warn!(node_id, service = %svc, "service without a name in INFO skipped");
            }
            entry
        })
        .collect()
}

fn service_entry(cluster: &Arc<Transit>, node: &Arc<str>, svc: &Value) -> Option<ServiceEntry> {
    let name = svc.get("name")?.as_str()?.to_owned();
    let version = svc.get("version").and_then(Version::from_json);
    let full_name = svc
        .get("fullName")
        .and_then(Value::as_str)
        .map_or_else(|| full_service_name(&name, version.as_ref()), str::to_owned);
    let object = |key: &str| match svc.get(key) {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let info = Arc::new(ServiceInfo {
        name: name.clone(),
        version,
        full_name: Arc::from(full_name),
        settings: object("settings"),
        metadata: object("metadata"),
        dependencies: Vec::new(),
    });
    let actions = object("actions")
        .into_iter()
        .filter_map(|(key, def)| {
            let def = action_def(&key, def)?;
            let handler = cluster
                .middlewares
                .remote_action(remote_action_handler(cluster.clone(), node.clone()), &def);
            Some(BoundAction {
                fallback: None,
                def: Arc::new(def),
                handler,
                slow_start: SlowStart::default(),
            })
        })
        .collect();
    let events = object("events")
        .into_iter()
        .map(|(key, def)| {
            let def = event_def(&key, &def);
            let group = Arc::from(def.group.as_deref().unwrap_or(&name));
            BoundEvent {
                def: Arc::new(def),
                group,
                handler: None,
                slow_start: SlowStart::default(),
            }
        })
        .collect();
    Some(ServiceEntry {
        node_id: node.clone(),
        local: false,
        info,
        actions,
        events,
    })
}

/// An action definition from INFO; `None` for a legacy `protected: true` action.
fn action_def(key: &str, def: Value) -> Option<ActionDef> {
    let Value::Object(mut obj) = def else {
        return Some(ActionDef {
            name: Arc::from(key),
            raw_name: key.rsplit('.').next().unwrap_or(key).to_owned(),
            visibility: Visibility::Published,
            params: None,
            options: ActionOptions::default(),
            extra: Map::new(),
        });
    };
    if obj.get("protected").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let name = match obj.remove("name") {
        Some(Value::String(name)) => name,
        _ => key.to_owned(),
    };
    let raw_name = match obj.remove("rawName") {
        Some(Value::String(raw)) => raw,
        _ => name.rsplit('.').next().unwrap_or(&name).to_owned(),
    };
    let visibility = obj
        .remove("visibility")
        .and_then(|v| v.as_str().and_then(Visibility::parse))
        .unwrap_or_default();
    let params = obj.remove("params").filter(|p| !p.is_null());
    // Another node's options are taken as far as they read; the action is registered anyway.
    let options = ActionOptions::take_leniently(&mut obj, &name);
    Some(ActionDef {
        name: Arc::from(name),
        raw_name,
        visibility,
        params,
        options,
        extra: obj,
    })
}

fn event_def(key: &str, def: &Value) -> EventDef {
    let text = |k: &str| def.get(k).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").unwrap_or_else(|| key.to_owned());
    // Its `strategy` balances emits to its group here too, as in Node.
    let mut keys: Map<String, Value> = def.as_object().cloned().unwrap_or_default();
    let options = EventOptions::take_leniently(&mut keys, &name);
    EventDef {
        name: Arc::from(name),
        group: text("group"),
        params: def.get("params").filter(|p| !p.is_null()).cloned(),
        options,
        extra: Map::new(),
    }
}

/// The handler of an action on another node: send the request there and wait for its answer.
fn remote_action_handler(cluster: Arc<Transit>, node_id: Arc<str>) -> ActionHandler {
    ActionHandler::new(move |ctx: Context<Payload>| {
        let Context { params, inner } = ctx;
        let (cluster, node_id) = (cluster.clone(), node_id.clone());
        Box::pin(async move { cluster.request(Some(&node_id), &inner, params).await })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn action_definitions_keep_published_keys() {
        let def = action_def(
            "v2.greeter.hello",
            json!({"params": {"name": "string"}, "cache": {"keys": ["name"]}, "timeout": 3000,
                   "rawName": "hello", "name": "v2.greeter.hello"}),
        )
        .unwrap();
        assert_eq!(&*def.name, "v2.greeter.hello");
        assert_eq!(def.raw_name, "hello");
        assert_eq!(
            def.options.timeout,
            Some(std::time::Duration::from_millis(3000))
        );
        assert_eq!(def.params, Some(json!({"name": "string"})));
        assert_eq!(def.extra.get("cache"), Some(&json!({"keys": ["name"]})));
        assert_eq!(def.visibility, Visibility::Published);

        let prot = action_def(
            "a.p",
            json!({"visibility": "protected", "rawName": "p", "name": "a.p"}),
        )
        .unwrap();
        assert_eq!(prot.visibility, Visibility::Protected);
        assert!(action_def("a.old", json!({"protected": true})).is_none());
        assert_eq!(action_def("a.x", json!(null)).unwrap().raw_name, "x");
    }

    #[test]
    fn event_groups_default_to_none() {
        let def = event_def("user.*", &json!({"name": "user.*"}));
        assert_eq!((&*def.name, def.group), ("user.*", None));
        let def = event_def("user.created", &json!({"group": "other"}));
        assert_eq!(
            (&*def.name, def.group.as_deref()),
            ("user.created", Some("other"))
        );
    }
}
