//! [`ServiceSchema`]: what a middleware's `service_creating` hook sees of a service being
//! created (Node's `schema` argument), after its mixins are merged and before its handlers are
//! built.

use std::fmt;

use serde_json::{Map, Value};

use super::compose::{Composed, ComposedAction};
use super::options::ActionOptions;
use super::{Dependency, Version, Visibility};

/// A service's merged definition, before its handlers are built. Changes made here are what
/// the broker builds and publishes: the name, settings, metadata and dependencies, and each
/// action's timeout, visibility and published options (`bulkhead`, `retryPolicy`, custom
/// keys); actions may also be removed. Handlers cannot be added.
pub struct ServiceSchema<'a> {
    composed: &'a mut Composed,
}

impl<'a> ServiceSchema<'a> {
    pub(crate) fn new(composed: &'a mut Composed) -> ServiceSchema<'a> {
        ServiceSchema { composed }
    }

    /// The service's name (`"math"`).
    pub fn name(&self) -> &str {
        &self.composed.name
    }

    /// Renames the service (its full name and its actions' names follow).
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.composed.name = name.into();
    }

    /// The version, if any.
    pub fn version(&self) -> Option<&Version> {
        self.composed.version.as_ref()
    }

    /// The settings.
    pub fn settings(&self) -> &Map<String, Value> {
        &self.composed.settings
    }

    /// The settings, to change them.
    pub fn settings_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.composed.settings
    }

    /// The metadata.
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.composed.metadata
    }

    /// The metadata, to change it.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.composed.metadata
    }

    /// The services this one waits for before it starts.
    pub fn dependencies(&self) -> &[Dependency] {
        &self.composed.dependencies
    }

    /// The dependencies, to change them.
    pub fn dependencies_mut(&mut self) -> &mut Vec<Dependency> {
        &mut self.composed.dependencies
    }

    /// The names of the actions inside the service (`"add"`, not `"math.add"`).
    pub fn action_names(&self) -> Vec<&str> {
        self.composed
            .actions
            .iter()
            .map(|a| a.raw_name.as_str())
            .collect()
    }

    /// The action named `raw_name` inside the service, to read or change it.
    pub fn action_mut(&mut self, raw_name: &str) -> Option<ActionSchema<'_>> {
        self.composed
            .actions
            .iter_mut()
            .find(|a| a.raw_name == raw_name)
            .map(|action| ActionSchema { action })
    }

    /// Removes the action named `raw_name`; returns whether there was one.
    pub fn remove_action(&mut self, raw_name: &str) -> bool {
        let before = self.composed.actions.len();
        self.composed.actions.retain(|a| a.raw_name != raw_name);
        self.composed.actions.len() != before
    }

    /// Whether the service has an action with a `cache` setting that is on.
    pub(crate) fn caches(&self) -> bool {
        self.composed
            .actions
            .iter()
            .any(|a| a.options.cache.as_ref().is_some_and(|c| c.enabled))
    }

    /// Adds a handler of the broker's own (no params check) for `event`.
    pub(crate) fn add_builtin_event(&mut self, event: String, handler: super::EventHandler) {
        self.composed.events.push(super::compose::ComposedEvent {
            name: event,
            group: None,
            parts: super::spec::EventParts {
                method: handler.clone(),
                validate: Box::new(|next| next),
                checked: handler,
                published: None,
            },
            options: super::EventOptions::default(),
            extra: Map::new(),
        });
    }

    /// The event names (or patterns) the service listens to.
    pub fn event_names(&self) -> Vec<&str> {
        self.composed
            .events
            .iter()
            .map(|e| e.name.as_str())
            .collect()
    }
}

impl fmt::Debug for ServiceSchema<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceSchema")
            .field("name", &self.composed.name)
            .field("version", &self.composed.version)
            .field("actions", &self.action_names())
            .field("events", &self.event_names())
            .finish()
    }
}

/// One action of a [`ServiceSchema`].
pub struct ActionSchema<'a> {
    action: &'a mut ComposedAction,
}

impl ActionSchema<'_> {
    /// The name inside the service (`"add"`).
    pub fn name(&self) -> &str {
        &self.action.raw_name
    }

    /// The action's own options (timeout, bulkhead, circuit breaker, retry policy,
    /// strategy).
    pub fn options(&self) -> &ActionOptions {
        &self.action.options
    }

    /// The action's own options, to change them; the built-in middlewares read them.
    pub fn options_mut(&mut self) -> &mut ActionOptions {
        &mut self.action.options
    }

    /// Who may call it.
    pub fn visibility(&self) -> Visibility {
        self.action.visibility
    }

    /// Sets who may call it.
    pub fn set_visibility(&mut self, visibility: Visibility) {
        self.action.visibility = visibility;
    }

    /// Further published keys (`rest`, `cache`, custom keys).
    pub fn extra(&self) -> &Map<String, Value> {
        &self.action.extra
    }

    /// The further published keys, to change them.
    pub fn extra_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.action.extra
    }
}

impl fmt::Debug for ActionSchema<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionSchema")
            .field("name", &self.action.raw_name)
            .field("options", &self.action.options)
            .field("visibility", &self.action.visibility)
            .field("extra", &self.action.extra)
            .finish()
    }
}
