//! The middlewares' `service_creating` and `service_created` hooks: Node's order around the
//! building of a service, what they see, and that changes made in `service_creating` are
//! what the broker builds.

use std::time::Duration;

use moleculer::middleware::Middleware;
use moleculer::prelude::*;
use moleculer::service::{ActionDef, ActionHandler, ServiceInfo, ServiceSchema};
use moleculer::{ErrorKind, ServiceBroker};
use moleculer_tests::Recorder;
use serde_json::{Value, json};

struct Editable {
    log: Recorder,
}

#[service(name = "editable", register = false, settings(own = 1))]
impl Editable {
    #[created]
    fn created(&self) {
        self.log.push(json!("created handler"));
    }

    #[action]
    async fn open(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }

    #[action]
    async fn secret(&self, _ctx: Context) -> Result<bool> {
        Ok(true)
    }

    #[action]
    async fn slow(&self, _ctx: Context) -> Result<bool> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(true)
    }

    #[event(name = "editable.poked")]
    async fn poked(&self, _ctx: EventContext) {}
}

/// Edits the `editable` service as it is created; records every step it sees.
struct Editor {
    name: &'static str,
    log: Recorder,
}

impl Middleware for Editor {
    fn service_creating(
        &self,
        _broker: &ServiceBroker,
        schema: &mut ServiceSchema<'_>,
    ) -> Result<()> {
        if schema.name() != "editable" {
            return Ok(());
        }
        self.log.push(json!({
            "hook": format!("{} creating", self.name),
            "actions": schema.action_names(),
            "events": schema.event_names(),
            "settings": schema.settings(),
        }));
        schema
            .settings_mut()
            .insert(format!("by_{}", self.name), json!(true));
        schema.remove_action("secret");
        if let Some(mut slow) = schema.action_mut("slow") {
            slow.options_mut().timeout = Some(std::time::Duration::from_millis(50));
        }
        if let Some(mut open) = schema.action_mut("open") {
            open.extra_mut().insert("custom".into(), json!(self.name));
        }
        Ok(())
    }

    fn local_action(&self, _next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        if action.name.starts_with("editable.") {
            self.log
                .push(json!(format!("{} wraps {}", self.name, action.name)));
        }
        None
    }

    fn service_created(&self, _broker: &ServiceBroker, service: &ServiceInfo) -> Result<()> {
        if service.name == "editable" {
            self.log.push(json!({
                "hook": format!("{} created", self.name),
                "settings": service.settings,
            }));
        }
        Ok(())
    }

    fn service_starting<'a>(
        &'a self,
        _broker: &'a ServiceBroker,
        service: &'a ServiceInfo,
    ) -> moleculer::service::BoxFuture<'a, Result<()>> {
        if service.name == "editable" {
            self.log
                .push(json!(format!("{} starting {}", self.name, service.name)));
        }
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn service_hooks_run_in_nodes_order_and_their_changes_are_built() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-service-hooks")
        .middleware(Editor {
            name: "A",
            log: log.clone(),
        })
        .middleware(Editor {
            name: "B",
            log: log.clone(),
        })
        .service(Editable { log: log.clone() })
        .build()
        .unwrap();
    let built = log.take();
    let steps: Vec<String> = built
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other["hook"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    // serviceCreating (middlewares in order), the handlers wrapped, `created`, serviceCreated.
    assert_eq!(
        steps,
        [
            "A creating",
            "B creating",
            "A wraps editable.open",
            "B wraps editable.open",
            "A wraps editable.slow",
            "B wraps editable.slow",
            "created handler",
            "A created",
            "B created"
        ]
    );
    // The first saw the merged definition; the second saw the first one's changes.
    assert_eq!(built[0]["actions"], json!(["open", "secret", "slow"]));
    assert_eq!(built[0]["events"], json!(["editable.poked"]));
    assert_eq!(built[0]["settings"], json!({ "own": 1 }));
    assert_eq!(built[1]["actions"], json!(["open", "slow"]));
    assert_eq!(built[1]["settings"], json!({ "own": 1, "by_A": true }));
    assert_eq!(
        built[7]["settings"],
        json!({ "own": 1, "by_A": true, "by_B": true })
    );

    broker.start().await.unwrap();
    assert_eq!(
        log.take_strings(),
        ["A starting editable", "B starting editable"]
    );
    // The removed action does not exist; the shortened timeout applies; the extra option is
    // published.
    let err = broker
        .call::<bool, _>("editable.secret", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
    let err = broker
        .call::<bool, _>("editable.slow", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RequestTimeout);
    let open: bool = broker.call("editable.open", json!({})).await.unwrap();
    assert!(open);
    let actions: Value = broker
        .call("$node.actions", json!({ "onlyLocal": true }))
        .await
        .unwrap();
    let open = actions
        .as_array()
        .and_then(|l| l.iter().find(|a| a["name"] == "editable.open"))
        .cloned()
        .unwrap();
    assert_eq!(open["action"]["custom"], "B", "{open}");
    broker.stop().await.unwrap();
}

/// Refuses services without a version.
struct VersionRequired;

impl Middleware for VersionRequired {
    fn service_creating(
        &self,
        _broker: &ServiceBroker,
        schema: &mut ServiceSchema<'_>,
    ) -> Result<()> {
        if schema.version().is_none() && !schema.name().starts_with('$') {
            return Err(Error::service_schema(
                format!("service `{}` has no version", schema.name()),
                None,
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_service_creating_hook_can_refuse_a_service() {
    let err = ServiceBroker::builder()
        .node_id("mw-service-refused")
        .middleware(VersionRequired)
        .service(Editable {
            log: Recorder::default(),
        })
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceSchema);
    assert!(err.message().contains("`editable` has no version"), "{err}");
}
