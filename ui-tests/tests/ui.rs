//! Compile-fail tests for `#[service]`, `#[action]` and `#[event]`: one mistake per file under
//! `ui/<area>/`, each with the `.stderr` rustc prints for it.
//!
//! Refresh with `TRYBUILD=overwrite cargo test -p moleculer-ui-tests` and review the diff.

#[test]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "ui .stderr files are recorded with rustc 1.95"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/**/*.rs");
}
