//! Compile-fail (UI) tests for the `moleculer` macros.
//!
//! This crate has no code of its own. `tests/ui.rs` runs every `ui/<area>/*.rs` case through
//! `trybuild` and compares rustc's output with the `.stderr` file next to it. Each case holds
//! one mistake (`service`, `action`, `event`, `params`, `lifecycle`), except
//! `ui/service/multiple_errors.rs`, which checks that one expansion reports every error.
//! Cases in `ui-pending/` are not run yet.
