//! In-context exclusion, the seed's intra-process mutex: the acquisitions of
//! one manager (and its clones) take turns, first come first served, before
//! any of them waits for the cross-context lock. Whatever the lock does
//! within one context (the lease lock alone would let two acquisitions of
//! one context both hold), two guards of one manager never hold at once.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    /// The turn that holds, by id.
    holder: Option<u64>,
    next_id: u64,
    /// Waiting turns in arrival order, with the waker of their task.
    queue: Vec<(u64, Waker)>,
}

impl State {
    fn issue(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The turns of one manager. Clones share them.
#[derive(Clone, Default)]
pub struct Turns {
    state: Rc<RefCell<State>>,
}

/// Holding this value is this acquisition's turn; dropping it passes the
/// turn on.
#[must_use = "the turn passes on as soon as it is dropped"]
pub struct Turn {
    state: Rc<RefCell<State>>,
    id: u64,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.state.borrow_mut();
        // A turn taken from it by `steal` releases nothing.
        if state.holder == Some(self.id) {
            state.holder = None;
            if let Some((_, waker)) = state.queue.first() {
                waker.wake_by_ref();
            }
        }
    }
}

impl Turns {
    /// Is some turn held now?
    pub fn is_held(&self) -> bool {
        self.state.borrow().holder.is_some()
    }

    /// The turn, if nobody holds it or waits for it.
    pub fn try_take(&self) -> Option<Turn> {
        let mut state = self.state.borrow_mut();
        if state.holder.is_some() || !state.queue.is_empty() {
            return None;
        }
        let id = state.issue();
        state.holder = Some(id);
        Some(self.turn(id))
    }

    /// The turn, taken at once from whoever holds it (whose drop then
    /// releases nothing). Those in line stay in line.
    pub fn steal(&self) -> Turn {
        let mut state = self.state.borrow_mut();
        let id = state.issue();
        state.holder = Some(id);
        self.turn(id)
    }

    /// Waits in line for the turn. Dropping the future leaves the line.
    pub fn wait(&self) -> Wait {
        Wait {
            turns: self.clone(),
            id: None,
        }
    }

    fn turn(&self, id: u64) -> Turn {
        Turn {
            state: self.state.clone(),
            id,
        }
    }
}

/// The future of [`Turns::wait`].
pub struct Wait {
    turns: Turns,
    /// Our place in line, once we are in it.
    id: Option<u64>,
}

impl Future for Wait {
    type Output = Turn;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn> {
        let turns = self.turns.clone();
        let mut state = turns.state.borrow_mut();
        let id = match self.id {
            Some(id) => id,
            None if state.holder.is_none() && state.queue.is_empty() => {
                let id = state.issue();
                state.holder = Some(id);
                return Poll::Ready(turns.turn(id));
            }
            None => {
                let id = state.issue();
                state.queue.push((id, cx.waker().clone()));
                self.id = Some(id);
                return Poll::Pending;
            }
        };
        if state.holder.is_none() && state.queue.first().is_some_and(|(first, _)| *first == id) {
            state.queue.remove(0);
            state.holder = Some(id);
            self.id = None;
            return Poll::Ready(turns.turn(id));
        }
        if let Some(entry) = state.queue.iter_mut().find(|(waiting, _)| *waiting == id) {
            entry.1 = cx.waker().clone();
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut state = self.turns.state.borrow_mut();
        state.queue.retain(|(waiting, _)| *waiting != id);
        // We may have been woken as the first in line: wake the next one.
        if state.holder.is_none()
            && let Some((_, waker)) = state.queue.first()
        {
            waker.wake_by_ref();
        }
    }
}
