//! `TowerLayer`: a tower layer as a middleware around local and, when asked, remote actions.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use moleculer::middleware::{ActionService, TowerLayer};
use moleculer::prelude::*;
use moleculer::service::BoxFuture;
use moleculer::transporter::{FakeBus, FakeTransporter};
use moleculer::{ErrorKind, ServiceBroker};
use serde_json::{Value, json};

/// Refuses calls without a `user` in their meta; counts the calls it lets through.
#[derive(Clone)]
struct Gate {
    inner: ActionService,
    passed: Arc<AtomicUsize>,
}

impl tower::Service<Context<Payload>> for Gate {
    type Response = Payload;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Payload>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        tower::Service::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, ctx: Context<Payload>) -> Self::Future {
        if ctx.meta().get("user").is_none() {
            return Box::pin(async { Err(Error::client("who are you?").with_type("NO_USER")) });
        }
        self.passed.fetch_add(1, Ordering::SeqCst);
        tower::Service::call(&mut self.inner, ctx)
    }
}

fn gate(passed: &Arc<AtomicUsize>) -> impl tower::Layer<ActionService, Service = Gate> + use<> {
    let passed = passed.clone();
    tower::layer::layer_fn(move |inner| Gate {
        inner,
        passed: passed.clone(),
    })
}

struct Greeter {
    served: Arc<AtomicUsize>,
}

#[service(name = "greeter", register = false)]
impl Greeter {
    #[action]
    async fn hello(&self, ctx: Context) -> Result<String> {
        self.served.fetch_add(1, Ordering::SeqCst);
        let user = ctx.meta().get("user").cloned().unwrap_or(Value::Null);
        Ok(format!("hello {}", user.as_str().unwrap_or("nobody")))
    }
}

fn as_user(user: &str) -> CallOptions {
    CallOptions::new().meta(json!({ "user": user }))
}

#[tokio::test]
async fn a_tower_layer_wraps_local_actions() {
    let (passed, served) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let broker = ServiceBroker::builder()
        .node_id("mw-tower-local")
        .middleware(TowerLayer::new(gate(&passed)))
        .service(Greeter {
            served: served.clone(),
        })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let err = broker
        .call::<String, _>("greeter.hello", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("NO_USER"));
    assert_eq!(served.load(Ordering::SeqCst), 0);
    let hello: String = broker
        .call_with("greeter.hello", json!({}), as_user("ann"))
        .await
        .unwrap();
    assert_eq!(hello, "hello ann");
    assert_eq!(passed.load(Ordering::SeqCst), 1);
    assert_eq!(served.load(Ordering::SeqCst), 1);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_tower_layer_wraps_remote_actions_when_asked() {
    let bus = FakeBus::new();
    let served = Arc::new(AtomicUsize::new(0));
    let passed = Arc::new(AtomicUsize::new(0));
    let node = |id: &str| {
        ServiceBroker::builder()
            .node_id(id)
            .transporter(FakeTransporter::new(bus.clone()))
    };
    let server = node("mw-tower-server")
        .service(Greeter {
            served: served.clone(),
        })
        .build()
        .unwrap();
    let gated = node("mw-tower-gated")
        .middleware(TowerLayer::new(gate(&passed)).remote_actions(true))
        .build()
        .unwrap();
    let local_only = node("mw-tower-local-only")
        .middleware(TowerLayer::new(gate(&passed)))
        .build()
        .unwrap();
    for broker in [&server, &gated, &local_only] {
        broker.start().await.unwrap();
    }
    for broker in [&gated, &local_only] {
        broker
            .wait_for_services(&["greeter"], Some(Duration::from_secs(5)))
            .await
            .unwrap();
    }

    // Refused on the caller: the request is never sent.
    let err = gated
        .call::<String, _>("greeter.hello", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("NO_USER"));
    assert_eq!(err.kind(), ErrorKind::Client);
    assert_eq!(served.load(Ordering::SeqCst), 0);
    let hello: String = gated
        .call_with("greeter.hello", json!({}), as_user("bob"))
        .await
        .unwrap();
    assert_eq!(hello, "hello bob");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // Without `remote_actions`, a remote call passes; the node's own actions are gated.
    let hello: String = local_only.call("greeter.hello", json!({})).await.unwrap();
    assert_eq!(hello, "hello nobody");
    assert_eq!(served.load(Ordering::SeqCst), 2);
    let err = local_only
        .call::<Value, _>("$node.health", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("NO_USER"));
    for broker in [&local_only, &gated, &server] {
        broker.stop().await.unwrap();
    }
}
