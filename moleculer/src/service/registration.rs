//! Link-time collection of `#[service]` types (with `inventory`).
//!
//! Every `#[service]` whose type implements `Default` (or that says `register`) submits a
//! [`ServiceRegistration`]; `ServiceBroker::builder().with_registered_services()` creates and
//! adds all of them, sorted by name.
//!
//! Caveat: the linker keeps only code that is referenced. Services defined in a crate that the
//! binary never uses (no function or type of it is named) are not linked and so not collected;
//! name something from such a crate, or add its services explicitly.

use crate::broker::ServiceBroker;
use crate::error::Result;

/// One collected service type.
#[derive(Debug)]
pub struct ServiceRegistration {
    /// The service's name as written in `#[service(name = ...)]`.
    pub name: &'static str,
    /// The module that defines it (for filtering, e.g. in tests).
    pub module_path: &'static str,
    full_name: fn() -> String,
    add: fn(&ServiceBroker) -> Option<Result<()>>,
}

impl ServiceRegistration {
    /// A registration; `add` returns `None` when the type can't be created on its own (it
    /// neither implements `Default` nor names a constructor).
    pub const fn new(
        name: &'static str,
        module_path: &'static str,
        full_name: fn() -> String,
        add: fn(&ServiceBroker) -> Option<Result<()>>,
    ) -> ServiceRegistration {
        ServiceRegistration {
            name,
            module_path,
            full_name,
            add,
        }
    }

    /// The service's full name (`v2.math`).
    pub fn full_name(&self) -> String {
        (self.full_name)()
    }

    /// Creates the service and adds it to `broker`; `None` when the type has no way to be
    /// created (no `Default`, no `register = "constructor"`).
    ///
    /// # Errors
    /// As [`ServiceBroker::add_service`].
    pub fn add_to(&self, broker: &ServiceBroker) -> Option<Result<()>> {
        (self.add)(broker)
    }

    /// Every collected registration, sorted by full name then module.
    pub fn all() -> Vec<&'static ServiceRegistration> {
        let mut all: Vec<_> = inventory::iter::<ServiceRegistration>().collect();
        all.sort_by_cached_key(|r| (r.full_name(), r.module_path));
        all
    }
}

inventory::collect!(ServiceRegistration);
