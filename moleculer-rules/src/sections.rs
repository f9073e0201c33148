//! The keys of the fault-tolerance sections an action or event handler sets for itself
//! (`bulkhead`, `circuitBreaker`, `retryPolicy`), with what each takes, so that the macro
//! checks `#[action(bulkhead = { ... })]` at compile time against the keys the runtime reads.

/// What one key of a section takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `true` or `false`.
    Bool,
    /// A number 0 or more.
    Number,
    /// A whole number 0 or more.
    Count,
}

impl KeyKind {
    /// The kind in words, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeyKind::Bool => "a boolean",
            KeyKind::Number => "a number, 0 or more",
            KeyKind::Count => "a whole number, 0 or more",
        }
    }
}

/// `bulkhead`'s keys.
pub const BULKHEAD: &[(&str, KeyKind)] = &[
    ("enabled", KeyKind::Bool),
    ("concurrency", KeyKind::Count),
    ("maxQueueSize", KeyKind::Count),
];

/// `circuitBreaker`'s keys.
pub const CIRCUIT_BREAKER: &[(&str, KeyKind)] = &[
    ("enabled", KeyKind::Bool),
    ("threshold", KeyKind::Number),
    ("windowTime", KeyKind::Number),
    ("minRequestCount", KeyKind::Count),
    ("halfOpenTime", KeyKind::Count),
];

/// `retryPolicy`'s keys.
pub const RETRY_POLICY: &[(&str, KeyKind)] = &[
    ("enabled", KeyKind::Bool),
    ("retries", KeyKind::Count),
    ("delay", KeyKind::Count),
    ("maxDelay", KeyKind::Count),
    ("factor", KeyKind::Number),
];

/// The keys of the section Node names `section`, if it is one of these.
pub fn section_keys(section: &str) -> Option<&'static [(&'static str, KeyKind)]> {
    match section {
        "bulkhead" => Some(BULKHEAD),
        "circuitBreaker" => Some(CIRCUIT_BREAKER),
        "retryPolicy" => Some(RETRY_POLICY),
        _ => None,
    }
}
