//! In-memory lock and store, for host tests and for simulations.
//!
//! Several managers built on clones of one [`MemoryStore`] and one
//! [`MemoryLock`] behave like several contexts of one browser session.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::fence::{fence, tombstone_generation, tombstone_logouts};
use super::{
    CrossContextLock, ErrorKind, HashStore, RefreshError, SessionHash, StoredState, WaitKind,
};

/// What a [`MemoryStore`] holds: a readable state or a raw, unreadable record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryRecord {
    /// A well-formed record.
    Valid(StoredState),
    /// A record that cannot be read as a hash (the reason is reported).
    Corrupt(String),
}

/// A shared in-memory hash store with fenced writes: the same rules
/// ([`fence`], [`tombstone_generation`]) as the IndexedDB store.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    record: Rc<RefCell<MemoryRecord>>,
    writes: Rc<Cell<u64>>,
    failures: Rc<Cell<u32>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            record: Rc::new(RefCell::new(MemoryRecord::Valid(StoredState::default()))),
            writes: Rc::new(Cell::new(0)),
            failures: Rc::new(Cell::new(0)),
        }
    }
}

impl MemoryStore {
    /// The record as it is now.
    pub fn record(&self) -> MemoryRecord {
        self.record.borrow().clone()
    }

    /// Replaces the record (to simulate corruption or another writer).
    pub fn set_record(&self, record: MemoryRecord) {
        *self.record.borrow_mut() = record;
    }

    /// How many writes committed.
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    /// Makes the next `count` operations fail with a store error, as a
    /// full disk or an aborted transaction does (nothing is written).
    pub fn fail_next(&self, count: u32) {
        self.failures.set(count);
    }

    fn fault(&self) -> Result<(), RefreshError> {
        match self.failures.get() {
            0 => Ok(()),
            n => {
                self.failures.set(n - 1);
                Err(ErrorKind::Store {
                    message: "injected failure".to_owned(),
                    cause: None,
                }
                .into())
            }
        }
    }

    fn read(&self) -> Result<StoredState, RefreshError> {
        match self.record() {
            MemoryRecord::Valid(state) => Ok(state),
            MemoryRecord::Corrupt(reason) => Err(ErrorKind::InvalidPreviousHash { reason }.into()),
        }
    }

    fn commit(&self, state: StoredState) -> StoredState {
        *self.record.borrow_mut() = MemoryRecord::Valid(state.clone());
        self.writes.set(self.writes.get() + 1);
        state
    }
}

impl HashStore for MemoryStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        self.fault()?;
        self.read()
    }

    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError> {
        self.fault()?;
        let generation = fence(read, &self.read()?)?;
        Ok(self.commit(StoredState {
            hash: Some(hash.clone()),
            generation,
            // The fence passed: the store holds `read`.
            logouts: read.logouts,
        }))
    }

    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        self.fault()?;
        // A corrupt record's generation is unreadable.
        let readable = self.read().ok();
        Ok(self.commit(StoredState {
            hash: None,
            generation: tombstone_generation(readable.as_ref().map(|state| state.generation)),
            logouts: tombstone_logouts(readable.map(|state| state.logouts)),
        }))
    }
}

#[derive(Default)]
struct LockState {
    held: bool,
    epoch: u64,
    waiters: VecDeque<Waker>,
}

/// A shared in-memory FIFO lock. Waiting never times out; `steal` takes the
/// lock at once from whoever holds it.
#[derive(Clone, Default)]
pub struct MemoryLock {
    state: Rc<RefCell<LockState>>,
}

/// Options of [`MemoryLock::acquire`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryLockOptions {
    /// Take the lock even if it is held.
    pub steal: bool,
    /// Take it only if it is free now.
    pub if_free: bool,
}

/// Holds a [`MemoryLock`] until dropped.
pub struct MemoryLockGuard {
    state: Rc<RefCell<LockState>>,
    epoch: u64,
}

impl MemoryLock {
    /// Is the lock held now?
    pub fn is_held(&self) -> bool {
        self.state.borrow().held
    }
}

impl Drop for MemoryLockGuard {
    fn drop(&mut self) {
        let mut state = self.state.borrow_mut();
        // A stolen guard no longer owns the lock: its drop releases nothing.
        if state.epoch == self.epoch {
            state.held = false;
            if let Some(waker) = state.waiters.pop_front() {
                waker.wake();
            }
        }
    }
}

struct Acquire {
    state: Rc<RefCell<LockState>>,
}

impl Drop for Acquire {
    fn drop(&mut self) {
        // A dropped waiter may have been woken: pass the wake on.
        let mut state = self.state.borrow_mut();
        if !state.held
            && let Some(waker) = state.waiters.pop_front()
        {
            waker.wake();
        }
    }
}

impl Future for Acquire {
    type Output = MemoryLockGuard;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.borrow_mut();
        if state.held {
            state.waiters.push_back(cx.waker().clone());
            return Poll::Pending;
        }
        state.held = true;
        state.epoch += 1;
        Poll::Ready(MemoryLockGuard {
            state: self.state.clone(),
            epoch: state.epoch,
        })
    }
}

impl CrossContextLock for MemoryLock {
    type Guard = MemoryLockGuard;
    type Options = MemoryLockOptions;

    fn wait_kind(options: &MemoryLockOptions) -> WaitKind {
        if options.steal {
            WaitKind::Steal
        } else if options.if_free {
            WaitKind::IfFree
        } else {
            WaitKind::Queue
        }
    }

    async fn give_up(&self, _: &MemoryLockOptions) -> RefreshError {
        // No timeout: never gives up.
        std::future::pending().await
    }

    async fn acquire(&self, options: MemoryLockOptions) -> Result<MemoryLockGuard, RefreshError> {
        if options.if_free && self.is_held() {
            return Err(ErrorKind::LockTimeout { timeout_ms: 0 }.into());
        }
        if options.steal {
            let mut state = self.state.borrow_mut();
            state.held = true;
            state.epoch += 1;
            return Ok(MemoryLockGuard {
                state: self.state.clone(),
                epoch: state.epoch,
            });
        }
        Ok(Acquire {
            state: self.state.clone(),
        }
        .await)
    }
}
