//! The world the model checker runs the core in, and what it watches. The
//! parts:
//!
//! - `endpoint.rs`: a token endpoint that rotates refresh tokens and revokes
//!   the grant when a spent one comes back, and the app's shared token
//!   storage;
//! - `store.rs`: what the checker watches, and a store per context (views of
//!   one shared store that check every write that lands);
//! - `lock.rs`: a lock per context (views of one shared lock state that
//!   record who holds it) and a fake clock.

use std::future::Future;
use std::task::Poll;

mod endpoint;
mod lock;
mod store;

pub use endpoint::*;
pub use lock::*;
pub use store::*;

/// Returns `Pending` once (waking itself), so the scheduler may run another
/// context there.
pub fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if std::mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
