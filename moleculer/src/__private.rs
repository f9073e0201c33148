//! Items the macros' generated code names. Not public API: it changes with the macros.

#[cfg(feature = "inventory")]
pub use inventory;
pub use serde_json;

pub use crate::broker::ServiceBroker;
pub use crate::cacher::KeyRequest;
pub use crate::context::{Context, EventContext};
pub use crate::error::{Error, Result};
pub use crate::payload::Payload;
#[cfg(feature = "inventory")]
pub use crate::service::ServiceRegistration;
pub use crate::service::{
    ActionSpec, BoxFuture, EventSpec, IntoActionResult, IntoEventResult, IntoHookResult,
    IntoLifecycleResult, ServiceDef, ServiceSpec, Version, Visibility,
};

/// Emits a service's link-time registration, or nothing without the `inventory` feature.
#[cfg(feature = "inventory")]
#[doc(hidden)]
#[macro_export]
macro_rules! __moleculer_registration {
    ($($item:tt)*) => { $($item)* };
}

/// Emits a service's link-time registration, or nothing without the `inventory` feature.
#[cfg(not(feature = "inventory"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __moleculer_registration {
    ($($item:tt)*) => {};
}

pub use crate::__moleculer_registration as registration;

/// Boxes a future the way handlers are stored.
pub fn boxed<'a, F>(future: F) -> BoxFuture<'a, F::Output>
where
    F: ::core::future::Future + Send + 'a,
{
    ::std::boxed::Box::pin(future)
}

/// A type that can be a mixin: a service that gets its own instance with `Default`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be used as a mixin",
    note = "a mixin is a `#[service]` type that implements `Default`: it gets an instance of its own"
)]
pub trait Mixin: ServiceDef + Default {}

impl<T: ServiceDef + Default> Mixin for T {}

/// A new instance of a mixin.
pub fn mixin_instance<M: Mixin>() -> M {
    M::default()
}

/// Parses a JSON literal the macro produced (always valid; checked at compile time).
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// The full name of a service type (for registrations).
pub fn full_name_of<S: ServiceDef>() -> ::std::string::String {
    S::spec().full_name()
}

/// Picks, at compile time, whether a collected service can be created with `Default`
/// (autoref specialization: the `&Probe` impl applies only when the `Probe` one does not).
#[derive(Debug)]
pub struct Probe<S>(::core::marker::PhantomData<S>);

impl<S> Probe<S> {
    /// A probe for `S`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Probe<S> {
        Probe(::core::marker::PhantomData)
    }
}

/// Used when the service type implements `Default`.
pub trait RegisterDefault {
    /// Adds `S::default()` to the broker.
    fn register(&self, broker: &ServiceBroker) -> Option<Result<()>>;
}

impl<S: ServiceDef + Default> RegisterDefault for Probe<S> {
    fn register(&self, broker: &ServiceBroker) -> Option<Result<()>> {
        Some(broker.add_service(S::default()))
    }
}

/// Used when it does not: the service is skipped.
pub trait RegisterNone {
    /// Adds nothing.
    fn register(&self, broker: &ServiceBroker) -> Option<Result<()>>;
}

impl<S> RegisterNone for &Probe<S> {
    fn register(&self, _broker: &ServiceBroker) -> Option<Result<()>> {
        None
    }
}
