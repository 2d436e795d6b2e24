//! The lock the model's contexts share: Web Locks or a lease, one view per
//! context over one shared state, with a fake clock that only moves when the
//! scheduler lets time pass; the guards it hands out are recorded for the
//! checker.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Poll;

use cross_tab_refresh::core::lease::{Lease, LeaseAction, LeaseOp, decide, is_live};
use cross_tab_refresh::core::{CrossContextLock, RefreshError, WaitKind};

use super::{Watch, yield_now};

/// Length of a lease in the model; the clock only moves when the scheduler
/// lets time pass.
pub const LEASE_MS: u32 = 1_000;

/// Which lock the contexts share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockModel {
    /// Web Locks: a queue, released by the browser when a context dies.
    WebLocks,
    /// The lease lock, with one token per acquisition (as this library's).
    LeasePerAcquisition,
    /// A lease with one token per context, re-entrant within a context (as
    /// the seed's lock): only the core's in-context turns exclude there.
    LeasePerContext,
}

#[derive(Default)]
pub struct LockState {
    /// Web Locks: the holding acquisition.
    pub holder: Option<u64>,
    /// The lease record.
    pub lease: Option<Lease>,
    pub next_id: u64,
}

/// Shared by every context's lock view.
pub struct LockWorld {
    pub model: LockModel,
    pub state: RefCell<LockState>,
    pub clock: Cell<f64>,
    pub watch: Rc<Watch>,
}

impl LockWorld {
    /// How many live guards hold the lock for real (not stolen from, lease
    /// not lapsed or taken over).
    pub fn current_holders(&self) -> usize {
        let state = self.state.borrow();
        let now = self.clock.get();
        self.watch
            .guards
            .borrow()
            .iter()
            .filter(|(context, id)| match self.model {
                LockModel::WebLocks => state.holder == Some(*id),
                _ => {
                    is_live(state.lease.as_ref(), now)
                        && state.lease.as_ref().map(|l| l.token.as_str())
                            == Some(self.token(*context, *id).as_str())
                }
            })
            .count()
    }

    fn token(&self, context: usize, id: u64) -> String {
        match self.model {
            LockModel::LeasePerContext => format!("ctx{context}"),
            _ => format!("ctx{context}#{id}"),
        }
    }

    /// The next time a lease lapses, if one is held.
    pub fn lease_expiry(&self) -> Option<f64> {
        self.state.borrow().lease.as_ref().map(|l| l.expires_at_ms)
    }
}

/// Options of the model lock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelOptions {
    pub steal: bool,
}

/// One context's view of the shared lock.
pub struct ContextLock {
    pub world: Rc<LockWorld>,
    pub context: usize,
}

/// A held model lock.
pub struct ModelGuard {
    world: Rc<LockWorld>,
    context: usize,
    id: u64,
}

impl Drop for ModelGuard {
    fn drop(&mut self) {
        let world = &self.world;
        world
            .watch
            .guards
            .borrow_mut()
            .retain(|g| *g != (self.context, self.id));
        // A dead context runs no code: its lease stays until it lapses
        // (Web Locks are released by the browser all the same).
        let dead = world.watch.dead.borrow()[self.context];
        let mut state = world.state.borrow_mut();
        match world.model {
            LockModel::WebLocks => {
                if state.holder == Some(self.id) {
                    state.holder = None;
                }
            }
            _ if dead => {}
            _ => {
                let token = world.token(self.context, self.id);
                let action = decide(
                    state.lease.as_ref(),
                    "",
                    &token,
                    LeaseOp::Release,
                    world.clock.get(),
                    LEASE_MS,
                );
                if action == LeaseAction::Delete {
                    state.lease = None;
                }
            }
        }
        drop(state);
        world.watch.wake_all();
    }
}

impl CrossContextLock for ContextLock {
    type Guard = ModelGuard;
    type Options = ModelOptions;

    fn wait_kind(options: &ModelOptions) -> WaitKind {
        if options.steal {
            WaitKind::Steal
        } else {
            WaitKind::Queue
        }
    }

    async fn give_up(&self, _: &ModelOptions) -> RefreshError {
        std::future::pending().await
    }

    async fn acquire(&self, options: ModelOptions) -> Result<ModelGuard, RefreshError> {
        yield_now().await;
        let world = self.world.clone();
        let id = {
            let mut state = world.state.borrow_mut();
            state.next_id += 1;
            state.next_id
        };
        std::future::poll_fn(|cx| {
            let mut state = world.state.borrow_mut();
            let taken = match world.model {
                LockModel::WebLocks if options.steal || state.holder.is_none() => {
                    state.holder = Some(id);
                    true
                }
                LockModel::WebLocks => false,
                _ => {
                    let token = world.token(self.context, id);
                    let op = LeaseOp::Take {
                        steal: options.steal,
                    };
                    let holder = format!("ctx{}", self.context);
                    match decide(
                        state.lease.as_ref(),
                        &holder,
                        &token,
                        op,
                        world.clock.get(),
                        LEASE_MS,
                    ) {
                        LeaseAction::Write(lease) => {
                            state.lease = Some(lease);
                            true
                        }
                        _ => false,
                    }
                }
            };
            if taken {
                world.watch.guards.borrow_mut().push((self.context, id));
                return Poll::Ready(Ok(ModelGuard {
                    world: world.clone(),
                    context: self.context,
                    id,
                }));
            }
            world.watch.wakers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}
