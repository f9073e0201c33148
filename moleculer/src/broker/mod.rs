//! The service broker (Node's `ServiceBroker`, `src/service-broker.js`).
//!
//! A [`ServiceBroker`] is a cheap handle (`Clone`) to one node: its options, its registry and
//! its services. It calls actions ([`ServiceBroker::call`]), emits events
//! ([`ServiceBroker::emit`]), and runs the services' lifecycle ([`ServiceBroker::start`],
//! [`ServiceBroker::stop`]).

mod builder;
mod call;
mod error_handler;
mod events;
mod hooks;
mod internal;
pub(crate) use internal::{clock, host, hostname, ipv4_interfaces};
mod lifecycle;
mod local;
mod mcall;
mod ping;
mod running;
mod signals;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::Mutex;

pub use builder::BrokerBuilder;
pub use error_handler::{ErrorHandler, ErrorInfo};
pub(crate) use local::{LocalDispatch, Params, Start};
pub use mcall::{CallDef, MultiCall};
pub(crate) use running::Started;

use crate::middleware::Stack;
use crate::options::BrokerOptions;
use crate::registry::Registry;
use crate::service::LocalService;
use crate::transit::Transit;

/// Where the broker is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokerState {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
}

/// A local service and whether it has started.
pub(crate) struct ServiceSlot {
    pub(crate) service: LocalService,
    pub(crate) started: Mutex<bool>,
}

/// The broker's state; its fields are the broker module's own. The transit layer gets the
/// registry, the middlewares and the local-dispatch port ([`local::LocalDispatch`]), not these.
pub(crate) struct BrokerInner {
    options: BrokerOptions,
    node_id: Arc<str>,
    instance_id: String,
    registry: Arc<Registry>,
    services: Mutex<Vec<Arc<ServiceSlot>>>,
    state: Mutex<BrokerState>,
    /// The link to the other nodes; `None` without a transporter.
    transit: Option<Arc<Transit>>,
    /// User middlewares, then the built-in ones: the order they wrap handlers in.
    middlewares: Arc<Stack>,
    /// The middlewares' wrappers around `call`, `mcall`, `emit`, `broadcast` and
    /// `broadcast_local`, where any wraps them.
    hooks: hooks::BrokerHooks,
    /// The broker is stopping: new calls to local actions are refused; sub-calls of the
    /// requests still running go on.
    draining: AtomicBool,
    /// Where local handlers start (with the user's error handler).
    local: LocalDispatch,
    /// The cacher (`cacher` option or [`BrokerBuilder::cacher`]).
    cacher: Option<Arc<dyn crate::cacher::Cacher>>,
    /// Node's keys for the cacher's dialect and `maxParamsLength`, and the broker's own key
    /// function ([`BrokerBuilder::cache_keygen`]).
    cache_keys: (crate::cacher::KeyGen, Option<crate::cacher::CacheKeygen>),
    /// The metrics (`metrics` option); disabled, it keeps nothing.
    metrics: Arc<crate::metrics::MetricRegistry>,
    /// The tracer (`tracing` option); disabled, it traces nothing.
    tracer: Arc<crate::tracer::Tracer>,
}

/// A Moleculer node: calls actions, emits events, and runs services.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use moleculer::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[service(name = "greeter")]
/// impl Greeter {
///     #[action]
///     async fn hello(&self, ctx: Context) -> Result<String> {
///         Ok(format!("Hello {}", ctx.params["name"].as_str().unwrap_or("anonymous")))
///     }
/// }
///
/// let broker = ServiceBroker::builder().node_id("doc-node").service(Greeter).build()?;
/// broker.start().await?;
/// let reply: String = broker.call("greeter.hello", serde_json::json!({"name": "John"})).await?;
/// assert_eq!(reply, "Hello John");
/// broker.stop().await?;
/// # Ok::<(), moleculer::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct ServiceBroker {
    pub(crate) inner: Arc<BrokerInner>,
}

impl ServiceBroker {
    /// A builder with default options.
    pub fn builder() -> BrokerBuilder {
        BrokerBuilder::new()
    }

    /// The cacher, if the broker has one: for caching by hand (`get`, `set`, `clean`).
    pub fn cacher(&self) -> Option<&Arc<dyn crate::cacher::Cacher>> {
        self.inner.cacher.as_ref()
    }

    /// The metrics registry (Node's `broker.metrics`): add metrics of your own with
    /// `register`, update them with `increment`, `set`, `observe`, `timer`, and read them
    /// with `list`. When metrics are disabled every update is a no-op.
    pub fn metrics(&self) -> &Arc<crate::metrics::MetricRegistry> {
        &self.inner.metrics
    }

    /// The tracer (Node's `broker.tracer`): start spans of your own with
    /// [`Tracer::start_span`](crate::tracer::Tracer::start_span), or from a handler with
    /// [`Context::start_span`](crate::Context::start_span).
    pub fn tracer(&self) -> &Arc<crate::tracer::Tracer> {
        &self.inner.tracer
    }

    /// Node's `getCacheKey`: the key this broker's action cache gives a call of `action`
    /// (with the broker's key function when it has one). `keys` are the action's `keys`
    /// (`"id"`, `"#tenant"`, `"@lang"`); all the params when `None`.
    pub fn cache_key(
        &self,
        action: &str,
        source: crate::cacher::KeySource<'_>,
        keys: Option<&[String]>,
    ) -> String {
        let (keygen, custom) = &self.inner.cache_keys;
        match custom {
            Some(custom) => custom.key(&crate::cacher::KeyRequest {
                action,
                source,
                keys,
                default: keygen,
            }),
            None => keygen.key(action, source, keys),
        }
    }

    /// The node's id.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// The id of this process's run of the node.
    pub fn instance_id(&self) -> &str {
        &self.inner.instance_id
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.options.namespace
    }

    /// The options the broker runs with.
    pub fn options(&self) -> &BrokerOptions {
        &self.inner.options
    }

    /// Whether the broker has started and not begun stopping.
    pub fn is_started(&self) -> bool {
        *self.inner.state.lock() == BrokerState::Started
    }

    /// The name of the transporter connecting this node to others, if any.
    pub fn transporter_name(&self) -> Option<&'static str> {
        self.inner.transit.as_ref().map(|t| t.transporter_name())
    }
}

impl ServiceBroker {
    /// The nodes this broker has only heard of, sorted: named by a discovery datagram, a
    /// static URL or a `GOSSIP_HELLO` (TCP transporter), with no INFO received yet, not
    /// reported offline by a peer, and not found unreachable.
    ///
    /// Empty once every known node is either online with its services or known to be
    /// offline: a client that reads the whole cluster (as `mol` does) waits for that. Other
    /// transporters register a node only with its INFO, so the list is empty there.
    pub fn nodes_awaiting_info(&self) -> Vec<String> {
        self.inner.registry.nodes.awaiting_info()
    }

    /// A handle that does not keep the broker alive (for a middleware or a task the broker
    /// owns, which would otherwise keep it alive forever).
    pub fn downgrade(&self) -> WeakBroker {
        WeakBroker(Arc::downgrade(&self.inner))
    }

    /// Whether the balancer may pick the action `action` on the node `node_id` (Node's
    /// `endpoint.state`, which the circuit breaker turns off and on). The state lasts while
    /// the broker runs, across re-registrations of the node's services.
    pub fn endpoint_state(&self, node_id: &str, action: &str) -> EndpointState {
        EndpointState(
            self.inner
                .registry
                .availability(&Arc::from(node_id), &Arc::from(action)),
        )
    }
}

/// A [`ServiceBroker`] handle that does not keep it alive ([`ServiceBroker::downgrade`]).
#[derive(Clone, Debug)]
pub struct WeakBroker(std::sync::Weak<BrokerInner>);

impl WeakBroker {
    /// The broker, if it still exists.
    pub fn upgrade(&self) -> Option<ServiceBroker> {
        self.0.upgrade().map(|inner| ServiceBroker { inner })
    }
}

/// Whether the balancer may pick one endpoint (an action on one node): Node's
/// `endpoint.state`. See [`ServiceBroker::endpoint_state`].
#[derive(Clone, Debug)]
pub struct EndpointState(Arc<std::sync::atomic::AtomicBool>);

impl EndpointState {
    /// A state that no registry reads (the broker is gone).
    pub(crate) fn detached() -> EndpointState {
        EndpointState(Arc::new(std::sync::atomic::AtomicBool::new(true)))
    }

    /// Whether the endpoint may be picked.
    pub fn is_available(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets the balancer pick the endpoint, or not.
    pub fn set_available(&self, available: bool) {
        self.0
            .store(available, std::sync::atomic::Ordering::Relaxed);
    }
}

impl std::fmt::Debug for ServiceBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBroker")
            .field("node_id", &self.inner.node_id)
            .field("namespace", &self.inner.options.namespace)
            .field("state", &*self.inner.state.lock())
            .field("registry", &self.inner.registry)
            .finish()
    }
}
