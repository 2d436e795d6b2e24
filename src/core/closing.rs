//! Closing a manager ends what it started: a wait for the lock in progress
//! rejects with [`RefreshError::Closed`] instead of resolving later with a
//! live guard. Also the one combinator the core needs, [`first`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

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

    /// Resolves once closed.
    pub async fn closed(&self) {
        let id = self.state.next_id.get().wrapping_add(1);
        self.state.next_id.set(id);
        let _leave = Leave(&self.state, id);
        std::future::poll_fn(|cx| {
            if self.state.closed.get() {
                return Poll::Ready(());
            }
            let mut waiters = self.state.waiters.borrow_mut();
            match waiters.iter_mut().find(|(waiting, _)| *waiting == id) {
                Some(entry) => entry.1 = cx.waker().clone(),
                None => waiters.push((id, cx.waker().clone())),
            }
            Poll::Pending
        })
        .await
    }
}

/// Takes a wait off the list when it ends or is dropped.
struct Leave<'a>(&'a State, u64);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.waiters.borrow_mut().retain(|(id, _)| *id != self.1);
    }
}

/// The output of whichever of `a` and `b` ends first (`a` when both are
/// ready); the other is dropped.
pub async fn first<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (pin!(a), pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = a.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        b.as_mut().poll(cx)
    })
    .await
}
