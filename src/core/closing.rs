//! Closing a manager ends what it started: a wait for the lock in progress
//! rejects with [`RefreshError::Closed`] instead of resolving later with a
//! live guard. Also the one combinator the core needs, [`first`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Shared by a manager and its clones.
#[derive(Clone, Default)]
pub struct CloseSignal {
    closed: Rc<Cell<bool>>,
    waiters: Rc<RefCell<Vec<Waker>>>,
}

impl CloseSignal {
    /// Marks closed and wakes every wait.
    pub fn close(&self) {
        self.closed.set(true);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Was [`close`](Self::close) called?
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Resolves once closed.
    pub async fn closed(&self) {
        std::future::poll_fn(|cx| {
            if self.closed.get() {
                return Poll::Ready(());
            }
            self.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
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
