//! Action hooks: `before`, `after`, `error` at service level (`*`, names, patterns) and per
//! action, in Node's order, around the user's middlewares and after validation.

use moleculer::middleware::{Middleware, wrap_action};
use moleculer::prelude::*;
use moleculer::service::{ActionDef, ActionHandler};
use moleculer::{ErrorKind, Payload};
use moleculer_tests::Recorder;
use serde_json::{Value, json};

struct Shop {
    log: Recorder,
}

#[service(name = "shop", register = false)]
impl Shop {
    #[action(params = { qty: "number|integer|positive" })]
    async fn create(&self, ctx: Context) -> Result<Value> {
        self.log
            .push(json!(format!("create {}", ctx.params["qty"])));
        Ok(json!({ "qty": ctx.params["qty"], "by": ctx.meta().get("user").cloned() }))
    }

    #[action]
    async fn get(&self, _ctx: Context) -> Result<Value> {
        self.log.push(json!("get"));
        Err(Error::client("not here").with_code(404))
    }

    #[action]
    async fn get_all(&self, _ctx: Context) -> Result<Value> {
        self.log.push(json!("get_all"));
        Err(Error::client("forbidden").with_code(403))
    }

    #[action(hooks(before = "check_price", after = ["round", "label"]))]
    async fn price(&self, _ctx: Context) -> Result<f64> {
        self.log.push(json!("price"));
        Ok(9.987)
    }

    async fn check_price(&self, _ctx: &mut Context<Payload>) -> Result<()> {
        self.log.push(json!("own before"));
        Ok(())
    }

    async fn round(&self, _ctx: &Context<Payload>, res: Payload) -> Result<f64> {
        self.log.push(json!("own after round"));
        let value: f64 = res.into_typed()?;
        Ok((value * 100.0).round() / 100.0)
    }

    async fn label(&self, _ctx: &Context<Payload>, res: Payload) -> Result<Value> {
        self.log.push(json!("own after label"));
        Ok(json!({ "price": res.into_json()? }))
    }

    #[hook(before = "*")]
    async fn authorize(&self, ctx: &mut Context<Payload>) -> Result<()> {
        self.log.push(json!("before *"));
        ctx.set_meta("user", "ann");
        Ok(())
    }

    #[hook(before = "create")]
    async fn stamp(&self, ctx: &mut Context<Payload>) -> Result<()> {
        // Before hooks see validated params and may change them.
        let mut params = ctx.params.to_json()?;
        self.log
            .push(json!(format!("before create {}", params["qty"])));
        params["qty"] = json!(params["qty"].as_i64().unwrap_or(0) * 10);
        ctx.params = Payload::json(params);
        Ok(())
    }

    #[hook(after = "create")]
    async fn tag(&self, _ctx: &Context<Payload>, res: Payload) -> Result<Value> {
        self.log.push(json!("after create"));
        let mut res = res.into_json()?;
        res["tagged"] = json!(true);
        Ok(res)
    }

    #[hook(after = "*")]
    async fn wrap(&self, ctx: &Context<Payload>, res: Payload) -> Result<Value> {
        self.log
            .push(json!(format!("after * {}", ctx.action_name())));
        Ok(json!({ "data": res.into_json()? }))
    }

    #[hook(error = ["get", "nothing*"])]
    async fn recover(&self, _ctx: &Context<Payload>, err: Error) -> Result<Value> {
        self.log.push(json!(format!("error get {}", err.code())));
        if err.code() == 404 {
            return Ok(json!("fallback"));
        }
        Err(err)
    }

    #[hook(error = "get*")]
    async fn rename(&self, _ctx: &Context<Payload>, err: Error) -> Result<Value> {
        self.log.push(json!(format!("error get* {}", err.code())));
        Err(Error::client("denied").with_code(401).with_type("DENIED"))
    }

    #[hook(error = "*")]
    async fn last(&self, _ctx: &Context<Payload>, err: Error) -> Result<Value> {
        self.log.push(json!(format!("error * {}", err.code())));
        Err(err)
    }
}

/// Records around every local action it wraps.
struct Inner(Recorder);

impl Middleware for Inner {
    fn local_action(&self, next: &ActionHandler, action: &ActionDef) -> Option<ActionHandler> {
        if !action.name.starts_with("shop.") {
            return None;
        }
        let log = self.0.clone();
        Some(wrap_action(next, move |ctx, next| {
            // User middlewares run inside the hooks, on validated params.
            log.push(json!(format!(
                "mw {}",
                ctx.params.to_json().unwrap_or_default()
            )));
            next.call(ctx)
        }))
    }
}

async fn shop(log: &Recorder) -> ServiceBroker {
    let broker = ServiceBroker::builder()
        .node_id("hooks")
        .middleware(Inner(log.clone()))
        .service(Shop { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    broker
}

#[tokio::test]
async fn hooks_run_in_nodes_order_around_middlewares_after_validation() {
    let log = Recorder::default();
    let broker = shop(&log).await;

    let res: Value = broker
        .call("shop.create", json!({ "qty": 2 }))
        .await
        .unwrap();
    assert_eq!(
        res,
        json!({ "data": { "qty": 20, "by": "ann", "tagged": true } })
    );
    assert_eq!(
        log.take_strings(),
        [
            "before *",
            "before create 2",
            "mw {\"qty\":20}",
            "create 20",
            "after create",
            "after * shop.create"
        ]
    );

    // Invalid params never reach a hook or a user middleware.
    let err = broker
        .call::<Value, _>("shop.create", json!({ "qty": -1 }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(log.take().is_empty());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn an_actions_own_hooks_from_the_macro_run_inside_the_services() {
    let log = Recorder::default();
    let broker = shop(&log).await;
    let res: Value = broker.call("shop.price", json!({})).await.unwrap();
    assert_eq!(res, json!({ "data": { "price": 9.99 } }));
    assert_eq!(
        log.take_strings(),
        [
            "before *",
            "own before",
            "mw {}",
            "price",
            "own after round",
            "own after label",
            "after * shop.price"
        ]
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn error_hooks_chain_until_one_recovers() {
    let log = Recorder::default();
    let broker = shop(&log).await;

    // `get` matches the list and `get*`: the list's hook recovers, so the rest are skipped,
    // and after hooks do not run on a recovered value.
    let res: Value = broker.call("shop.get", json!({})).await.unwrap();
    assert_eq!(res, json!("fallback"));
    assert_eq!(
        log.take_strings(),
        ["before *", "mw {}", "get", "error get 404"]
    );

    // `get_all` matches only `get*`: it replaces the error, then `*` sees the new one.
    let err = broker
        .call::<Value, _>("shop.get_all", json!({}))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.error_type()), (401, Some("DENIED")));
    assert_eq!(
        log.take_strings(),
        [
            "before *",
            "mw {}",
            "get_all",
            "error get* 403",
            "error * 401"
        ]
    );
    broker.stop().await.unwrap();
}

/// A service written without the macro: an action's own hooks run inside the service's.
struct Plain {
    log: Recorder,
}

impl moleculer::ServiceDef for Plain {
    fn spec() -> moleculer::service::ServiceSpec<Plain> {
        use moleculer::service::{ActionSpec, ServiceSpec};
        ServiceSpec::new("plain")
            .action(
                ActionSpec::<Plain>::new::<Value>("echo", |svc, ctx| {
                    Box::pin(async move {
                        svc.log.push(json!("handler"));
                        Ok(Payload::json(ctx.params))
                    })
                })
                .before(|svc, _ctx| {
                    Box::pin(async move {
                        svc.log.push(json!("own before"));
                        Ok(())
                    })
                })
                .after(|svc, _ctx, res| {
                    Box::pin(async move {
                        svc.log.push(json!("own after"));
                        Ok(res)
                    })
                }),
            )
            .before_hook("*", |svc, _ctx| {
                Box::pin(async move {
                    svc.log.push(json!("service before"));
                    Ok(())
                })
            })
            .after_hook("echo", |svc, _ctx, res| {
                Box::pin(async move {
                    svc.log.push(json!("service after"));
                    Ok(res)
                })
            })
    }
}

#[tokio::test]
async fn an_actions_own_hooks_run_inside_the_services() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("own-hooks")
        .service(Plain { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let res: Value = broker.call("plain.echo", json!({ "a": 1 })).await.unwrap();
    assert_eq!(res, json!({ "a": 1 }));
    assert_eq!(
        log.take_strings(),
        [
            "service before",
            "own before",
            "handler",
            "own after",
            "service after"
        ]
    );
    broker.stop().await.unwrap();
}
