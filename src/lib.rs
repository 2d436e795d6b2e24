//! Coordinate OAuth 2.0 refresh-token rotation across the tabs, windows and
//! workers of one web origin.
//!
//! A browser port of matrix-rust-sdk's `CrossProcessRefreshManager`: a
//! cross-context lock (Web Locks) around the refresh, and a SHA-256 hash of the
//! current tokens in IndexedDB so that every context can tell whether another
//! one refreshed. Writes are fenced by a generation number.
//!
//! Layers, with dependencies pointing one way only (`api` → `web` → `core`):
//! - [`core`]: pure Rust logic, tested on the host;
//! - `web`: the browser adapters (wasm only);
//! - `api`: the JavaScript classes (wasm only).
//!
//! Beside them, [`heap`]: the small allocator of the wasm build.
#![deny(missing_docs)]

pub mod core;

pub mod heap;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub mod api;
