//! Helpers shared by the browser tests: unique names, option objects,
//! awaiting exported promises, and raw IndexedDB / Web Locks access from JS.
//! Everything is re-exported here, for `use crate::support::*;`.
#![allow(dead_code)]

mod browser;
mod manager;
mod values;
mod world;

// Not every test crate that includes this module uses every part of it.
#[allow(unused_imports)]
pub use self::{browser::*, manager::*, values::*, world::*};
