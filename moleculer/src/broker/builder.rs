//! `ServiceBroker::builder()`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::json;

use super::hooks::BrokerHooks;
use super::{BrokerInner, BrokerState, ErrorInfo, LocalDispatch, ServiceBroker, WeakBroker};
use crate::context::ContextId;
use crate::error::{Error, Result};
use crate::middleware::{
    Bulkhead, CircuitBreaker, ContextTracker, Debounce, Middleware, Stack, Throttle,
};
use crate::options::{BrokerOptions, OptionsError, default_node_id};
use crate::payload::Payload;
use crate::registry::{NodeInfo, Registry};
use crate::service::ServiceDef;
use crate::transporter::Transporter;

type AddFn = Box<dyn FnOnce(&ServiceBroker) -> Result<()> + Send>;

/// Builds a [`ServiceBroker`] from options, a config file, the environment and services.
pub struct BrokerBuilder {
    options: Result<BrokerOptions>,
    services: Vec<AddFn>,
    registered: bool,
    transporter: Option<Box<dyn Transporter>>,
    middlewares: Vec<Arc<dyn Middleware>>,
    error_handler: Option<super::ErrorHandler>,
    cacher: Option<Arc<dyn crate::cacher::Cacher>>,
    cache_keygen: Option<crate::cacher::CacheKeygen>,
    cache_observer: Option<Arc<dyn crate::cacher::CacheObserver>>,
}

impl BrokerBuilder {
    pub(super) fn new() -> BrokerBuilder {
        BrokerBuilder {
            options: Ok(BrokerOptions::default()),
            services: Vec::new(),
            registered: false,
            transporter: None,
            middlewares: Vec::new(),
            error_handler: None,
            cacher: None,
            cache_keygen: None,
            cache_observer: None,
        }
    }

    /// Sets the cacher (over the `cacher` option): a [`MemoryCacher`](crate::cacher::MemoryCacher)
    /// or a [`Cacher`](crate::cacher::Cacher) of your own. Actions with a `cache` setting
    /// answer from it.
    pub fn cacher(mut self, cacher: impl crate::cacher::Cacher) -> BrokerBuilder {
        self.cacher = Some(Arc::new(cacher));
        self
    }

    /// Reports every operation of the cacher (`get` and whether it found a value, `set`,
    /// `del`, `clean`) and its time to `observer`: the figures of Node's
    /// `moleculer.cacher.*` metrics. [`CacheCounters`](crate::cacher::CacheCounters) counts
    /// them. The broker needs a cacher.
    pub fn cache_observer(mut self, observer: impl crate::cacher::CacheObserver) -> BrokerBuilder {
        self.cache_observer = Some(Arc::new(observer));
        self
    }

    /// Makes the cache keys of every cached action without a key function of its own
    /// (Node's cacher `keygen`). The [`KeyRequest`](crate::cacher::KeyRequest) it is given
    /// has Node's key too, for a function that builds on it.
    pub fn cache_keygen(
        mut self,
        keygen: impl Fn(&crate::cacher::KeyRequest<'_>) -> String + Send + Sync + 'static,
    ) -> BrokerBuilder {
        self.cache_keygen = Some(crate::cacher::CacheKeygen::new(keygen));
        self
    }

    fn map(mut self, f: impl FnOnce(&mut BrokerOptions)) -> BrokerBuilder {
        if let Ok(options) = &mut self.options {
            f(options);
        }
        self
    }

    /// Adds a middleware. Middlewares wrap handlers in the order they are added, each one
    /// around the ones before it, and inside the built-in ones (see [`crate::middleware`]).
    pub fn middleware(mut self, middleware: impl Middleware) -> BrokerBuilder {
        self.middlewares.push(Arc::new(middleware));
        self
    }

    /// Sets the error handler (Node's `errorHandler`): it sees every failed call after the
    /// fallbacks (endpoint selection errors included), every failed request this node serves,
    /// and every failed event handler; `Ok` answers with a result (or silences an event
    /// handler's error), `Err` passes an error on.
    ///
    /// ```
    /// use moleculer::{Error, ErrorInfo, Payload, ServiceBroker};
    ///
    /// let builder = ServiceBroker::builder().error_handler(|err: Error, info: &ErrorInfo<'_>| {
    ///     tracing::error!(action = info.action, event = info.event, error = %err, "failed");
    ///     if err.code() == 404 {
    ///         return Ok(Payload::null());
    ///     }
    ///     Err(err)
    /// });
    /// # let _ = builder;
    /// ```
    pub fn error_handler(
        mut self,
        handler: impl Fn(Error, &ErrorInfo<'_>) -> Result<Payload> + Send + Sync + 'static,
    ) -> BrokerBuilder {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// Replaces all options (the ones set before, by methods or files, are dropped).
    pub fn options(mut self, options: BrokerOptions) -> BrokerBuilder {
        self.options = Ok(options);
        self
    }

    /// Loads options the way Moleculer Runner does: a `moleculer.config.toml`/`.json` (or the
    /// file named by `MOLECULER_CONFIG`), then environment variables (`NODEID`, `NAMESPACE`,
    /// `TRANSPORTER`, `MOL_...`). The keys they set replace the ones set before; the others
    /// stay, and later calls win in turn.
    pub fn load_config(self) -> BrokerBuilder {
        self.try_map(BrokerOptions::merge_loaded)
    }

    /// Loads options from a `.toml` or `.json` file: the keys it sets replace the ones set
    /// before (see [`BrokerOptions::merge_file`]).
    pub fn config_file(self, path: impl AsRef<Path>) -> BrokerBuilder {
        self.try_map(|o| o.merge_file(path))
    }

    /// Applies the environment variables over the options so far.
    pub fn env(self) -> BrokerBuilder {
        self.try_map(BrokerOptions::apply_env)
    }

    fn try_map(
        mut self,
        f: impl FnOnce(BrokerOptions) -> std::result::Result<BrokerOptions, OptionsError>,
    ) -> BrokerBuilder {
        self.options = self.options.and_then(|o| f(o).map_err(Error::from));
        self
    }

    /// Sets the node id (default: `hostname-pid`).
    pub fn node_id(self, node_id: impl Into<String>) -> BrokerBuilder {
        let node_id = node_id.into();
        self.map(|o| o.node_id = Some(node_id))
    }

    /// Sets the namespace.
    pub fn namespace(self, namespace: impl Into<String>) -> BrokerBuilder {
        let namespace = namespace.into();
        self.map(|o| o.namespace = namespace)
    }

    /// Sets the default request timeout (`Duration::ZERO`: none), Node's `requestTimeout`
    /// (kept in whole milliseconds).
    pub fn request_timeout(self, timeout: Duration) -> BrokerBuilder {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.map(|o| o.request_timeout = ms)
    }

    /// Sets the maximum call depth (0: unlimited).
    pub fn max_call_level(self, level: u32) -> BrokerBuilder {
        self.map(|o| o.max_call_level = level)
    }

    /// Connects the node to others through this transporter, whatever the `transporter`
    /// option says (for example a [`FakeTransporter`](crate::transporter::FakeTransporter)
    /// on a private bus in tests).
    pub fn transporter(mut self, transporter: impl Transporter) -> BrokerBuilder {
        self.transporter = Some(Box::new(transporter));
        self
    }

    /// Sets the `transporter` option from its string form: a name (`"NATS"`, `"Fake"`) or a
    /// URL (`"nats://127.0.0.1:4222"`).
    pub fn transporter_url(mut self, value: &str) -> BrokerBuilder {
        use crate::options::json::FromJson;
        let value = serde_json::Value::String(value.to_owned());
        match crate::options::TransporterOption::from_json(&value, "transporter") {
            Ok(opt) => self = self.map(|o| o.transporter = Some(opt)),
            Err(err) => self.options = Err(Error::from(err)),
        }
        self
    }

    /// Sets the `serializer` option: the format packets travel in, the same on every node of
    /// the cluster (`JSON` by default).
    ///
    /// ```
    /// use moleculer::ServiceBroker;
    /// use moleculer::options::SerializerKind;
    ///
    /// let broker = ServiceBroker::builder().serializer(SerializerKind::MsgPack).build()?;
    /// # Ok::<(), moleculer::Error>(())
    /// ```
    pub fn serializer(self, kind: crate::options::SerializerKind) -> BrokerBuilder {
        self.map(|o| o.serializer = Some(crate::options::PluginOption::Name(kind)))
    }

    /// Sets the wire protocol version: `V4` to join Moleculer 0.14 nodes, `V5` (default) for
    /// 0.15.
    pub fn protocol_version(self, version: crate::options::ProtocolVersion) -> BrokerBuilder {
        self.map(|o| o.transit.protocol_version = version)
    }

    /// Adds a service.
    pub fn service<S: ServiceDef>(mut self, service: S) -> BrokerBuilder {
        self.services.push(Box::new(move |broker: &ServiceBroker| {
            broker.add_service(service)
        }));
        self
    }

    /// Adds every `#[service]` collected at link time (see
    /// [`ServiceRegistration`](crate::service::ServiceRegistration)).
    #[cfg(feature = "inventory")]
    pub fn with_registered_services(mut self) -> BrokerBuilder {
        self.registered = true;
        self
    }

    /// Creates the broker and its services (running their `created` handlers).
    ///
    /// # Errors
    /// A `BrokerOptionsError` for bad options, a `ServiceSchemaError` for a bad service or two
    /// collected services with the same name.
    pub fn build(self) -> Result<ServiceBroker> {
        let options = self.options?;
        options.check_supported()?;
        let node_id: Arc<str> = Arc::from(options.node_id.clone().unwrap_or_else(default_node_id));
        if node_id.is_empty() {
            return Err(Error::broker_options("`nodeID` can't be empty", None));
        }
        if self.error_handler.is_some() && !options.internal_middlewares {
            return Err(Error::broker_options(
                "`internalMiddlewares: false` leaves out the error handler middleware: the \
                 handler set with `BrokerBuilder::error_handler` would never run",
                None,
            ));
        }
        // Node's `logger: []` (or `false`) installs nothing.
        if !options.logger.configs().is_empty() {
            let node = crate::logging::NodeBindings::new(&*node_id, options.namespace.clone());
            crate::logging::install(&options.logger, &options.log_level, node)?;
        }
        let instance_id = ContextId::generate().to_string();
        let local_node = NodeInfo {
            id: node_id.to_string(),
            instance_id: instance_id.clone(),
            available: true,
            local: true,
            client: json!({
                "type": "rust",
                "version": env!("CARGO_PKG_VERSION"),
                "langVersion": crate::RUST_VERSION,
            }),
            metadata: safe_metadata(&options),
            ip_list: crate::broker::internal::ip_list(),
            hostname: crate::broker::internal::hostname(),
            seq: 1,
            cpu: None,
            cpu_seq: 0,
            port: None,
            udp_address: None,
        };
        // The cacher: the builder's, else the `cacher` option's.
        let cacher = match (self.cacher, &options.cacher) {
            (Some(cacher), _) => Some(cacher),
            (None, Some(option)) => {
                let config = crate::cacher::CacherConfig::from_value(option)
                    .map_err(|(_, message)| Error::broker_options(message, None))?;
                Some(config.build()?)
            }
            (None, None) => None,
        };
        let metrics_options = crate::metrics::MetricsOptions::from_feature(&options.metrics)
            .map_err(|err| Error::broker_options(err.to_string(), None))?;
        let metrics = Arc::new(crate::metrics::MetricRegistry::new(metrics_options));
        let tracer = Arc::new(crate::tracer::Tracer::new(
            crate::tracer::TracingOptions::from_feature(&options.tracing)
                .map_err(|e| Error::broker_options(e.to_string(), None))?,
        ));
        // The cacher's operations go to the user's observer and, with metrics on, to the
        // `moleculer.cacher.*` metrics.
        let mut observers: Vec<Arc<dyn crate::cacher::CacheObserver>> =
            self.cache_observer.into_iter().collect();
        if cacher.is_none() && !observers.is_empty() {
            return Err(Error::broker_options(
                "a cache observer needs a cacher (the `cacher` option or BrokerBuilder::cacher)",
                None,
            ));
        }
        if cacher.is_some()
            && let Some(cacher_metrics) = crate::metrics::CacherMetrics::new(metrics.clone())?
        {
            observers.push(Arc::new(cacher_metrics));
        }
        let cacher = match cacher {
            Some(cacher) if !observers.is_empty() => {
                Some(Arc::new(crate::cacher::Observed::new(cacher, observers))
                    as Arc<dyn crate::cacher::Cacher>)
            }
            cacher => cacher,
        };
        let dialect = options.transit.protocol_version;
        let keygen = crate::cacher::KeyGen::new(
            dialect,
            cacher.as_ref().and_then(|c| c.max_params_length()),
        );
        let action_cache = cacher.clone().map(|cacher| {
            let custom = self.cache_keygen.clone();
            Arc::new(crate::cacher::ActionCache::new(
                cacher, keygen, custom, dialect,
            )) as Arc<dyn Middleware>
        });
        // Metrics are registered in Node's order: the registry's, the transit's, then the
        // built-in middlewares'.
        let registry = Arc::new(Registry::new(
            options.registry.prefer_local,
            default_strategy(&options)?,
            local_node,
            crate::metrics::RegistryMetrics::new(&metrics)?,
        ));
        let transit = crate::transit::TransitSetup::from_options(&options, self.transporter)?;
        let transit_metrics = match &transit {
            Some(_) => crate::metrics::TransitMetrics::new(&metrics)?.map(Arc::new),
            None => None,
        };
        // Node's order: the user's middlewares, then the built-in ones around them, innermost
        // first: Bulkhead, the action cache, ContextTracker, CircuitBreaker, Metrics, and the
        // events' Debounce and Throttle (Timeout, Retry and Fallback, outside them, run in
        // `call`; their counters are kept by the local-dispatch port). The Metrics
        // middleware's packet counts are kept by the transit.
        // `internalMiddlewares: false` leaves them all out, as Node.
        let mut faults = None;
        let mut packets = None;
        let builtin: Vec<Arc<dyn Middleware>> = if options.internal_middlewares {
            let mut builtin: Vec<Arc<dyn Middleware>> = vec![Arc::new(Bulkhead::new(
                options.bulkhead.clone(),
                node_id.clone(),
                &metrics,
            )?)];
            // The cache sits outside the bulkhead (and the validation inside the handler): a
            // hit skips both.
            builtin.extend(action_cache);
            builtin.push(Arc::new(ContextTracker::new(options.tracking.clone())));
            builtin.push(Arc::new(CircuitBreaker::new(
                options.circuit_breaker.clone(),
                node_id.clone(),
                &metrics,
            )));
            faults = crate::metrics::FaultMetrics::new(&metrics)?.map(Arc::new);
            builtin.extend(
                crate::tracer::TracingMiddleware::new(&tracer, node_id.clone())
                    .map(|t| Arc::new(t) as Arc<dyn Middleware>),
            );
            if let Some(metrics) = crate::metrics::MetricsMiddleware::new(metrics.clone())? {
                packets = Some(metrics.packets());
                builtin.push(Arc::new(metrics));
            }
            builtin.push(Arc::new(Debounce));
            builtin.push(Arc::new(Throttle));
            builtin
        } else {
            Vec::new()
        };
        let middlewares = Arc::new(Stack::new(self.middlewares, builtin));
        let local = LocalDispatch::new(self.error_handler, faults);
        let broker = ServiceBroker {
            // What the broker owns (its transit, the middlewares' wrappers of its methods)
            // holds it weakly.
            inner: Arc::new_cyclic(|weak| {
                let weak = WeakBroker(weak.clone());
                BrokerInner {
                    hooks: BrokerHooks::new(&middlewares, &weak),
                    transit: transit.map(|setup| {
                        Arc::new(setup.build(
                            &options,
                            &node_id,
                            &instance_id,
                            &registry,
                            &middlewares,
                            &local,
                            weak,
                            crate::transit::TransitMetricSet {
                                transit: transit_metrics,
                                packets,
                            },
                        ))
                    }),
                    registry,
                    node_id,
                    instance_id,
                    services: Mutex::new(Vec::new()),
                    state: Mutex::new(BrokerState::Created),
                    middlewares,
                    draining: AtomicBool::new(false),
                    local,
                    cacher,
                    cache_keys: (keygen, self.cache_keygen),
                    metrics,
                    tracer,
                    options,
                }
            }),
        };
        broker.inner.middlewares.created(&broker);
        if broker.inner.options.internal_services {
            broker.add_service(crate::broker::internal::NodeService)?;
        }
        #[cfg(feature = "inventory")]
        if self.registered {
            add_registered(&broker)?;
        }
        for add in self.services {
            add(&broker)?;
        }
        Ok(broker)
    }
}

/// The node's metadata as INFO publishes it: "safe", with arrays longer than
/// `maxSafeObjectSize` truncated as Node's `safetyObject` does.
fn safe_metadata(options: &BrokerOptions) -> serde_json::Map<String, serde_json::Value> {
    let metadata = serde_json::Value::Object(options.metadata.clone());
    match crate::options::truncated(metadata, options.max_safe_object_size) {
        serde_json::Value::Object(map) => map,
        _ => options.metadata.clone(),
    }
}

/// The broker's load-balancing strategy: `registry.strategy` with `registry.strategyOptions`
/// (or the options of its object form).
fn default_strategy(options: &BrokerOptions) -> Result<crate::registry::Strategy> {
    use crate::options::PluginKind;
    let opt = &options.registry.strategy;
    let strategy_options = opt
        .options()
        .filter(|o| !o.is_empty())
        .unwrap_or(&options.registry.strategy_options);
    crate::registry::Strategy::from_name(opt.kind().name(), strategy_options).map_err(|err| {
        Error::broker_options(
            format!("registry.strategy: {err}"),
            Some(json!({ "strategy": opt.kind().name() })),
        )
    })
}

#[cfg(feature = "inventory")]
fn add_registered(broker: &ServiceBroker) -> Result<()> {
    let all = crate::service::ServiceRegistration::all();
    check_unique(&all)?;
    for registration in all {
        match registration.add_to(broker) {
            Some(result) => result?,
            None => tracing::debug!(
                service = registration.name,
                "collected service skipped: its type has no `Default` and no `register` constructor"
            ),
        }
    }
    Ok(())
}

/// Two collected services with one full name would shadow each other: refuse them.
#[cfg(feature = "inventory")]
fn check_unique(sorted: &[&crate::service::ServiceRegistration]) -> Result<()> {
    for pair in sorted.windows(2) {
        if pair[0].full_name() == pair[1].full_name() {
            return Err(Error::service_schema(
                format!(
                    "two registered services are named `{}` (in `{}` and `{}`)",
                    pair[0].full_name(),
                    pair[0].module_path,
                    pair[1].module_path
                ),
                Some(json!({ "name": pair[0].full_name() })),
            ));
        }
    }
    Ok(())
}

impl std::fmt::Debug for BrokerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerBuilder")
            .field("options", &self.options)
            .field("services", &self.services.len())
            .field("registered", &self.registered)
            .field("transporter", &self.transporter)
            .finish()
    }
}

#[cfg(all(test, feature = "inventory"))]
mod tests {
    use super::*;
    use crate::service::ServiceRegistration;

    fn math() -> String {
        "v2.math".to_owned()
    }

    fn none(_: &ServiceBroker) -> Option<Result<()>> {
        None
    }

    #[test]
    fn duplicate_registrations_are_refused() {
        let a = ServiceRegistration::new("math", "crate_a", math, none);
        let b = ServiceRegistration::new("math", "crate_b", math, none);
        let err = check_unique(&[&a, &b]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ServiceSchema);
        assert!(err.message().contains("`v2.math`"), "{}", err.message());
        assert!(err.message().contains("crate_a") && err.message().contains("crate_b"));
        assert!(check_unique(&[&a]).is_ok());
    }
}
