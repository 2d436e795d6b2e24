//! The portable browser tests, run inside a shared worker.
#![cfg(target_arch = "wasm32")]

#[path = "web/support/mod.rs"]
mod support;

#[path = "contexts/portable.rs"]
mod portable;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_shared_worker);

/// The global scope these tests must run in.
pub fn expected_scope() -> &'static str {
    "SharedWorkerGlobalScope"
}
