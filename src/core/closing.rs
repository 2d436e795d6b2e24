//! Closing a manager ends what it started: a wait for the lock in progress
//! rejects with [`ErrorKind::Closed`](super::ErrorKind::Closed) instead of
//! resolving later with a live guard.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    closed: Cell<bool>,
    next_id: Cell<u64>,
    /// The waits in progress, by id; each leaves when it ends.
    waiters: RefCell<Vec<(u64, Waker)>>,
}

/// Shared by a manager and its clones.
#[derive(Clone, Default)]
pub struct CloseSignal {
    state: Rc<State>,
}

impl CloseSignal {
    /// Marks closed and wakes every wait.
    pub fn close(&self) {
        self.state.closed.set(true);
        let waiters = std::mem::take(&mut *self.state.waiters.borrow_mut());
        waiters.into_iter().for_each(|(_, waker)| waker.wake());
    }

    /// Was [`close`](Self::close) called?
    pub fn is_closed(&self) -> bool {
        self.state.closed.get()
    }

    /// How many waits are in progress (each leaves when it ends).
    pub fn waits(&self) -> usize {
        self.state.waiters.borrow().len()
    }

    /// Resolves once closed. Dropping it leaves the list of waits.
    pub fn closed(&self) -> Closed<'_> {
        let id = self.state.next_id.get().wrapping_add(1);
        self.state.next_id.set(id);
        Closed(&self.state, id)
    }
}

/// The future of [`CloseSignal::closed`]: one wait on the list, taken off
/// when it ends or is dropped.
pub struct Closed<'a>(&'a State, u64);

impl Future for Closed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Closed(state, id) = *self;
        if state.closed.get() {
            return Poll::Ready(());
        }
        let mut waiters = state.waiters.borrow_mut();
        match waiters.iter_mut().find(|(waiting, _)| *waiting == id) {
            Some(entry) => entry.1 = cx.waker().clone(),
            None => waiters.push((id, cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.0.waiters.borrow_mut().retain(|(id, _)| *id != self.1);
    }
}
