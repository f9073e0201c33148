//! Starting and stopping the broker and its services (Node's `start`, `stop`,
//! `Service._start`, `Service._stop`, `waitForServices`).
//!
//! `start` starts every service concurrently; each first waits for its `dependencies`, then
//! runs its `started` handlers, then is registered, so dependent services start in dependency
//! order and a service is callable as soon as its own `started` finished. `stop` unregisters
//! and stops the services one by one in reverse order of addition.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::future::join_all;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::signals::{self, ShutdownSignals};
use super::{BrokerState, ServiceBroker, ServiceSlot};
use crate::error::{Error, Result};
use crate::registry::ServiceEntry;
use crate::service::ServiceDef;

impl ServiceBroker {
    /// Adds a service (running the middlewares' `service_creating`, its `created` handlers,
    /// then the middlewares' `service_created`). A service added after `start` is started at
    /// once, in the background.
    ///
    /// # Errors
    /// `ServiceSchemaError` for an invalid service, or the error of a `created` handler or of a
    /// middleware's `service_creating` or `service_created`.
    pub fn add_service<S: ServiceDef>(&self, service: S) -> Result<()> {
        let local = S::spec().bind(service, self, &self.inner.middlewares)?;
        self.inner.middlewares.service_created(self, &local.info)?;
        let slot = Arc::new(ServiceSlot {
            service: local,
            started: Mutex::new(false),
        });
        self.inner.services.lock().push(slot.clone());
        if *self.inner.state.lock() == BrokerState::Started {
            let broker = self.clone();
            tokio::spawn(async move {
                if let Err(err) = broker.start_service(&slot).await {
                    tracing::error!(error = %err, "failed to start a service added at run time");
                }
            });
        }
        Ok(())
    }

    /// Starts the broker: every service's `started` after its dependencies, then
    /// `$broker.started`. Unless `skipProcessEventRegistration` is set, SIGINT and SIGTERM
    /// then stop the broker gracefully and end the process with exit code 0, as in Node;
    /// [`stop`](Self::stop) removes these listeners again.
    ///
    /// # Errors
    /// The first service that failed to start (its dependencies timed out, or `started`
    /// failed); `BrokerOptionsError` if the broker is not in a startable state.
    pub async fn start(&self) -> Result<()> {
        let listen = !self.inner.options.skip_process_event_registration;
        self.start_services(listen).await
    }

    /// [`start`](Self::start), registering the signal listeners when `listen`.
    async fn start_services(&self, listen: bool) -> Result<()> {
        {
            let mut state = self.inner.state.lock();
            if *state != BrokerState::Created && *state != BrokerState::Stopped {
                return Err(Error::broker_options("the broker is already started", None));
            }
            *state = BrokerState::Starting;
        }
        self.inner.draining.store(false, Ordering::Release);
        if listen {
            signals::register(self);
        }
        let started = self.start_parts().await;
        if started.is_err() && listen {
            signals::unregister(self);
        }
        started
    }

    /// The steps of a start, from the middlewares' `starting` to their `started`.
    async fn start_parts(&self) -> Result<()> {
        if let Err(err) = self
            .inner
            .middlewares
            .run(false, |m| m.starting(self))
            .await
        {
            *self.inner.state.lock() = BrokerState::Created;
            return Err(err);
        }
        if let Err(err) = self.start_metrics().await {
            *self.inner.state.lock() = BrokerState::Created;
            return Err(err);
        }
        if let Err(err) = self.inner.tracer.start(self.downgrade()) {
            *self.inner.state.lock() = BrokerState::Created;
            return Err(err);
        }
        if let Some(cacher) = &self.inner.cacher {
            let setup =
                crate::cacher::CacherSetup::new(&self.inner.options.namespace, &self.inner.node_id);
            cacher.start(setup).await;
        }
        if let Some(transit) = &self.inner.transit
            && let Err(err) = transit.connect().await
        {
            tracing::error!(error = %err, "broker start failed: no connection to the cluster");
            transit.disconnect(false).await;
            *self.inner.state.lock() = BrokerState::Created;
            return Err(err);
        }
        let slots: Vec<_> = self.inner.services.lock().clone();
        let results = join_all(slots.iter().map(|slot| self.start_service(slot))).await;
        let mut failure = results.into_iter().find_map(Result::err);
        if failure.is_none()
            && let Some(transit) = &self.inner.transit
        {
            failure = transit.ready().await.err();
        }
        if let Some(err) = failure {
            tracing::error!(error = %err, "broker start failed");
            if let Some(transit) = &self.inner.transit {
                transit.disconnect(false).await;
            }
            *self.inner.state.lock() = BrokerState::Created;
            return Err(err);
        }
        *self.inner.state.lock() = BrokerState::Started;
        let _ = self.inner.metrics.set(
            crate::metrics::names::BROKER_STARTED,
            &json!(1),
            &Value::Null,
        );
        self.inner
            .middlewares
            .run(false, |m| m.started(self))
            .await?;
        tracing::info!(
            node_id = %self.inner.node_id,
            services = slots.len(),
            "ServiceBroker with {} service(s) started",
            slots.len()
        );
        self.broadcast_local("$broker.started", json!({})).await?;
        Ok(())
    }

    async fn start_service(&self, slot: &Arc<ServiceSlot>) -> Result<()> {
        let service = &slot.service;
        let info = &service.info;
        let middlewares = &self.inner.middlewares;
        middlewares
            .run(false, |m| m.service_starting(self, info))
            .await?;
        if !info.dependencies.is_empty() {
            let names: Vec<&str> = info
                .dependencies
                .iter()
                .map(|d| d.full_name.as_str())
                .collect();
            let timeout = setting_ms(&info.settings, "$dependencyTimeout")
                .unwrap_or(self.inner.options.dependency_timeout);
            tracing::info!(service = %info.full_name, ?names, "waiting for dependencies");
            self.wait_for_services(
                &names,
                (timeout > 0).then(|| Duration::from_millis(timeout)),
            )
            .await?;
        }
        if let Some(started) = &service.started {
            started(self.clone()).await?;
        }
        self.inner.registry.register(ServiceEntry {
            node_id: self.inner.node_id.clone(),
            local: true,
            info: info.clone(),
            actions: service.actions.clone(),
            events: service.events.clone(),
        });
        *slot.started.lock() = true;
        self.inner.registry.next_local_seq();
        tracing::info!(service = %info.full_name, "service started");
        middlewares
            .run(false, |m| m.service_started(self, info))
            .await?;
        if let Some(transit) = &self.inner.transit {
            transit.local_services_changed();
        }
        self.broadcast_local("$services.changed", json!({ "localService": true }))
            .await?;
        Ok(())
    }

    /// Stops the broker: the middlewares' `stopping` hooks, every service's `stopped`
    /// (reverse order), then `$broker.stopped`.
    ///
    /// # Errors
    /// The first `stopped` handler's error (the others still run).
    pub async fn stop(&self) -> Result<()> {
        {
            let mut state = self.inner.state.lock();
            if *state == BrokerState::Stopping || *state == BrokerState::Stopped {
                return Ok(());
            }
            *state = BrokerState::Stopping;
        }
        // New local calls are refused from now on; those running finish (the context tracker
        // waits for them when tracking is on).
        self.inner.draining.store(true, Ordering::Release);
        let middlewares = &self.inner.middlewares;
        let mut first_error = middlewares.run(true, |m| m.stopping(self)).await.err();
        if let Some(transit) = &self.inner.transit {
            // As Node: the empty INFO tells the other nodes to stop calling this one, and
            // what they sent before it arrived is still served during `stopDelay`; only then
            // are requests refused.
            transit.begin_stop().await;
            transit.refuse_requests();
        }
        let slots: Vec<_> = self.inner.services.lock().clone();
        let mut stopped = Vec::new();
        for slot in slots.iter().rev() {
            if !std::mem::take(&mut *slot.started.lock()) {
                continue;
            }
            let info = &slot.service.info;
            if let Err(err) = middlewares
                .run(true, |m| m.service_stopping(self, info))
                .await
            {
                first_error.get_or_insert(err);
            }
            if let Some(stop) = &slot.service.stopped
                && let Err(err) = stop(self.clone()).await
            {
                tracing::error!(service = %info.full_name, error = %err, "service stop failed");
                first_error.get_or_insert(err);
            }
            tracing::info!(service = %info.full_name, "service stopped");
            if let Err(err) = middlewares
                .run(true, |m| m.service_stopped(self, info))
                .await
            {
                first_error.get_or_insert(err);
            }
            stopped.push(info.full_name.clone());
        }
        // The spans still held go out while the transporter is connected.
        self.inner.tracer.stop().await;
        if let Some(transit) = &self.inner.transit {
            self.broadcast_local("$transporter.disconnected", json!({ "graceFul": true }))
                .await?;
            transit.disconnect(true).await;
        }
        if let Some(cacher) = &self.inner.cacher {
            cacher.stop().await;
        }
        let _ = self.inner.metrics.set(
            crate::metrics::names::BROKER_STARTED,
            &json!(0),
            &Value::Null,
        );
        self.inner.metrics.stop();
        // Handlers of `$broker.stopped` still run; the services leave the registry after it.
        self.broadcast_local("$broker.stopped", json!({})).await?;
        for full_name in stopped {
            self.inner
                .registry
                .unregister(&self.inner.node_id, &full_name);
        }
        *self.inner.state.lock() = BrokerState::Stopped;
        if let Err(err) = middlewares.run(true, |m| m.stopped(self)).await {
            first_error.get_or_insert(err);
        }
        signals::unregister(self);
        tracing::info!(node_id = %self.inner.node_id, "ServiceBroker stopped");
        // Node's `loggerFactory.stop()`: what the file loggers hold reaches their files.
        crate::logging::flush();
        first_error.map_or(Ok(()), Err)
    }

    /// Registers the broker's and node's own metrics (Node's `registerMoleculerMetrics` and
    /// `commons.js`' node infos), starts the rates and the process metrics, then the
    /// reporters.
    async fn start_metrics(&self) -> Result<()> {
        use crate::metrics::{MetricDef, MetricType, names};
        let metrics = &self.inner.metrics;
        if !metrics.is_enabled() {
            return Ok(());
        }
        let version = self.inner.options.transit.protocol_version;
        let moleculer = match version {
            crate::options::ProtocolVersion::V4 => "0.14.35",
            crate::options::ProtocolVersion::V5 => "0.15.2",
        };
        let services = self.inner.services.lock().len();
        let infos: [(&str, &str, Value); 4] = [
            (
                names::NODE_TYPE,
                "Moleculer implementation type",
                json!("rust"),
            ),
            (
                names::NODE_VERSIONS_MOLECULER,
                "Moleculer version number",
                json!(moleculer),
            ),
            (
                names::NODE_VERSIONS_PROTOCOL,
                "Moleculer protocol version",
                json!(version.as_str()),
            ),
            (
                names::BROKER_NAMESPACE,
                "Moleculer namespace",
                json!(self.inner.options.namespace),
            ),
        ];
        for (name, description, value) in infos {
            let def = MetricDef::new(name, MetricType::Info).description(description);
            if metrics.register(def).is_ok() {
                let _ = metrics.set(name, &value, &Value::Null);
            }
        }
        let gauges: [(&str, &str, usize); 2] = [
            (names::BROKER_STARTED, "ServiceBroker started", 0),
            (
                names::BROKER_LOCAL_SERVICES_TOTAL,
                "Number of local services",
                services,
            ),
        ];
        for (name, description, value) in gauges {
            let def = MetricDef::new(name, MetricType::Gauge).description(description);
            if metrics.register(def).is_ok() {
                let _ = metrics.set(name, &json!(value), &Value::Null);
            }
        }
        metrics.start().await;
        let mut labels = serde_json::Map::new();
        labels.insert("namespace".into(), json!(self.inner.options.namespace));
        labels.insert("nodeID".into(), json!(&*self.inner.node_id));
        metrics.start_reporters(self.downgrade(), labels).await
    }

    /// Waits until every named service (full names such as `"v2.users"`) is available on some
    /// node.
    ///
    /// # Errors
    /// `MoleculerServerError` `WAITFOR_SERVICES` with `{services, statuses}` when `timeout`
    /// passes first.
    pub async fn wait_for_services(&self, names: &[&str], timeout: Option<Duration>) -> Result<()> {
        let mut changes = self.inner.registry.subscribe();
        let wait = async {
            loop {
                let catalog = self.inner.registry.snapshot();
                if names.iter().all(|n| catalog.has_service(n)) {
                    return;
                }
                drop(catalog);
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        match timeout {
            None => {
                wait.await;
                Ok(())
            }
            Some(t) => match tokio::time::timeout(t, wait).await {
                Ok(()) => Ok(()),
                Err(_) => {
                    let catalog = self.inner.registry.snapshot();
                    let statuses: Vec<Value> = names
                        .iter()
                        .map(|n| json!({ "name": n, "available": catalog.has_service(n) }))
                        .collect();
                    Err(Error::server("Services waiting is timed out.")
                        .with_type("WAITFOR_SERVICES")
                        .with_data(json!({ "services": names, "statuses": statuses })))
                }
            },
        }
    }

    /// Starts the broker, waits for Ctrl-C or SIGTERM, then stops it gracefully; a second
    /// signal ends the process at once. The signal handlers are installed before the broker
    /// starts, so a signal that arrives while services start is not lost.
    ///
    /// # Errors
    /// A failed start or stop; `NODE_ID_CONFLICT` (after stopping the services) when another
    /// process takes this node's nodeID while it runs.
    pub async fn run(&self) -> Result<()> {
        let mut signals = ShutdownSignals::install();
        self.start_services(false).await?;
        tokio::select! {
            () = signals.next() => {}
            // Node exits when another process takes its nodeID; here `run` ends with why,
            // so that a supervisor can act on it.
            err = self.must_leave() => {
                tracing::error!(error = %err, "leaving: stopping the services");
                if let Err(stop) = self.stop().await {
                    tracing::warn!(error = %stop, "the services did not stop cleanly");
                }
                return Err(err);
            }
        }
        tracing::info!("shutdown signal received, stopping (press Ctrl-C again to force)");
        tokio::select! {
            result = self.stop() => result,
            () = signals.next() => {
                tracing::warn!("second signal received, exiting without a graceful stop");
                std::process::exit(130);
            }
        }
    }
}

impl ServiceBroker {
    /// Waits until this node must leave its cluster (another process runs with its nodeID;
    /// Node exits then), and gives the reason; never, for a node without a transporter.
    pub(crate) async fn must_leave(&self) -> Error {
        match &self.inner.transit {
            Some(transit) => transit.must_leave().await,
            None => std::future::pending().await,
        }
    }
}

fn setting_ms(settings: &serde_json::Map<String, Value>, key: &str) -> Option<u64> {
    settings
        .get(key)
        .and_then(Value::as_f64)
        .map(|v| v.max(0.0) as u64)
}
