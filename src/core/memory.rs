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

use super::{CrossContextLock, HashStore, RefreshError, SessionHash, StoredState};

/// What a [`MemoryStore`] holds: a readable state or a raw, unreadable record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryRecord {
    /// A well-formed record.
    Valid(StoredState),
    /// A record that cannot be read as a hash (the reason is reported).
    Corrupt(String),
}

/// A shared in-memory hash store with fenced writes.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    record: Rc<RefCell<MemoryRecord>>,
    writes: Rc<Cell<u64>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            record: Rc::new(RefCell::new(MemoryRecord::Valid(StoredState::default()))),
            writes: Rc::new(Cell::new(0)),
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

    fn commit(&self, state: StoredState) -> u64 {
        let generation = state.generation;
        *self.record.borrow_mut() = MemoryRecord::Valid(state);
        self.writes.set(self.writes.get() + 1);
        generation
    }
}

impl HashStore for MemoryStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        match self.record() {
            MemoryRecord::Valid(state) => Ok(state),
            MemoryRecord::Corrupt(reason) => Err(RefreshError::InvalidPreviousHash { reason }),
        }
    }

    async fn store_if(&self, expected: u64, hash: &SessionHash) -> Result<u64, RefreshError> {
        let found = self.load().await?.generation;
        if found != expected {
            return Err(RefreshError::Fenced { expected, found });
        }
        Ok(self.commit(StoredState {
            hash: Some(hash.clone()),
            generation: expected + 1,
        }))
    }

    async fn tombstone(&self) -> Result<u64, RefreshError> {
        let previous = match self.record() {
            MemoryRecord::Valid(state) => state.generation,
            MemoryRecord::Corrupt(_) => 0,
        };
        Ok(self.commit(StoredState {
            hash: None,
            generation: previous + 1,
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

    async fn acquire(&self, options: MemoryLockOptions) -> Result<MemoryLockGuard, RefreshError> {
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
