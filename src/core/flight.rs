//! Single flight: concurrent refreshes of one manager (and its clones) share
//! one run of the flow, as matrix-sdk shares one in-flight refresh. The
//! first caller leads; the others wait for its result. If the leader's
//! future is dropped before it ends, a waiting caller leads in its place.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::task::{Poll, Waker};

#[derive(Default)]
struct State {
    /// The run in flight, by id.
    running: Option<u64>,
    next_id: u64,
    /// The last run's id and result (type-erased: callers may differ in
    /// their handlers' token type).
    last: Option<(u64, Rc<dyn Any>)>,
    waiters: Vec<Waker>,
    /// What to do once the run in flight ends.
    then: Vec<Box<dyn FnOnce()>>,
}

/// The refreshes of one manager. Clones share them.
#[derive(Clone, Default)]
pub struct Flight {
    state: Rc<RefCell<State>>,
    /// A handler of the run in flight is being polled right now: a caller
    /// that arrives then was called from inside that handler and would wait
    /// for itself.
    in_handler: Rc<Cell<bool>>,
}

/// What a caller of [`Flight::join`] does.
pub enum Role {
    /// Run the flow and [`Ticket::publish`] its result.
    Lead(Ticket),
    /// Wait for the run with this id.
    Follow(u64),
}

/// The leader's duty to publish; dropped unpublished, the run ends without
/// a result and the waiting callers try again.
pub struct Ticket {
    flight: Flight,
    id: u64,
}

impl Flight {
    /// Is a handler of the run in flight being polled right now (are we
    /// inside it)?
    pub fn inside_handler(&self) -> bool {
        self.in_handler.get()
    }

    /// Polls `handler` (a callback of the run in flight) to its end, marking
    /// each poll as inside a handler.
    pub fn handler<F: Future>(&self, handler: F) -> impl Future<Output = F::Output> {
        let mut handler = Box::pin(handler);
        std::future::poll_fn(move |cx| {
            let outer = self.in_handler.replace(true);
            let polled = handler.as_mut().poll(cx);
            self.in_handler.set(outer);
            polled
        })
    }

    /// Leads a new run, or follows the one in flight.
    pub fn join(&self) -> Role {
        let mut state = self.state.borrow_mut();
        if let Some(id) = state.running {
            return Role::Follow(id);
        }
        state.next_id += 1;
        let id = state.next_id;
        state.running = Some(id);
        Role::Lead(Ticket {
            flight: self.clone(),
            id,
        })
    }

    /// Calls `then` once no run is in flight: now, or when the one in
    /// flight ends.
    pub fn after(&self, then: Box<dyn FnOnce()>) {
        let mut state = self.state.borrow_mut();
        if state.running.is_some() {
            state.then.push(then);
        } else {
            drop(state);
            then();
        }
    }

    /// Waits until run `id` ends; its result, if it published one.
    pub fn result_of(&self, id: u64) -> impl Future<Output = Option<Rc<dyn Any>>> + '_ {
        std::future::poll_fn(move |cx| {
            let mut state = self.state.borrow_mut();
            if state.running == Some(id) {
                state.waiters.push(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(
                state
                    .last
                    .as_ref()
                    .filter(|(last, _)| *last == id)
                    .map(|(_, result)| result.clone()),
            )
        })
    }

    fn end(&self, id: u64, result: Option<Rc<dyn Any>>) {
        let (waiters, then) = {
            let mut state = self.state.borrow_mut();
            if state.running != Some(id) {
                return;
            }
            state.running = None;
            if let Some(result) = result {
                state.last = Some((id, result));
            }
            (
                std::mem::take(&mut state.waiters),
                std::mem::take(&mut state.then),
            )
        };
        waiters.into_iter().for_each(Waker::wake);
        then.into_iter().for_each(|then| then());
    }
}

impl Ticket {
    /// Ends the run with `result`, for every waiting caller.
    pub fn publish(self, result: Rc<dyn Any>) {
        self.flight.end(self.id, Some(result));
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.flight.end(self.id, None);
    }
}
