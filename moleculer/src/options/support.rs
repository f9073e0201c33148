//! Options whose features the Rust broker does not have (yet): refused when they ask for
//! them, accepted when they are off or at their defaults.

use super::broker::BrokerOptions;
use super::error::OptionsError;
use super::plugin::DiscovererKind;
use super::transit::TransitOptions;

impl BrokerOptions {
    /// Checks that every option asks only for what the Rust broker does; the builder runs it
    /// in [`build`](crate::BrokerBuilder::build). Refused, each with its key path and why:
    /// a `cacher` this build cannot make, `metrics` options not built yet (reporters, process
    /// metrics), `tracing` enabled, a serializer this build does not have, the Redis or
    /// Etcd3 discoverer, a `transit.maxChunkSize` other than the default (streams) — features
    /// of later releases — and `hotReload: true` (no code reload in Rust).
    ///
    /// # Errors
    /// The first option refused.
    pub fn check_supported(&self) -> Result<(), OptionsError> {
        let later = |key: &str, what: &str| {
            Err(OptionsError::invalid(
                key,
                format!("`{key}` is not supported yet: {what} come with a later release"),
            ))
        };
        if let Some(cacher) = &self.cacher
            && let Err((key, why)) = crate::cacher::CacherConfig::from_value(cacher)
        {
            return Err(OptionsError::invalid(&key, why));
        }
        crate::metrics::MetricsOptions::from_feature(&self.metrics)?;
        crate::tracer::TracingOptions::from_feature(&self.tracing)?;
        if let Some(why) = self
            .serializer
            .as_ref()
            .and_then(crate::serializer::unavailable)
        {
            return Err(OptionsError::invalid("serializer", why));
        }
        if let Some(why) = self.serializer.as_ref().and_then(|s| {
            crate::serializer::protocol_mismatch(s.kind(), self.transit.protocol_version)
        }) {
            return Err(OptionsError::invalid("serializer", why));
        }
        let discoverer = self.registry.discoverer.kind();
        if discoverer != DiscovererKind::Local {
            let what = format!("discoverers other than Local (the {discoverer} discoverer)");
            return later("registry.discoverer", &what);
        }
        if self.transit.max_chunk_size != TransitOptions::default().max_chunk_size {
            return later("transit.maxChunkSize", "streams");
        }
        if self.hot_reload {
            return Err(OptionsError::invalid(
                "hotReload",
                "`hotReload` is not supported in Rust (no code reload): rebuild and restart the node",
            ));
        }
        Ok(())
    }
}
