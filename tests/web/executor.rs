//! The library's executor (`web::task`): a promise awaited through its one
//! callback, an await dropped before its promise settles, and the promise
//! of a future.

use std::cell::Cell;
use std::rc::Rc;

use cross_tab_refresh::web::task::{Settled, promise, spawn};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::support::*;

#[wasm_bindgen(module = "/tests/web/faults.js")]
extern "C" {
    /// `{ then(ok) { ok(first); ok(second); } }`, as a promise.
    #[wasm_bindgen(js_name = thenableCallingBackTwice)]
    fn thenable_calling_back_twice(first: &JsValue, second: &JsValue) -> Promise;
    /// `{ then() { throw error; } }`, as a promise.
    #[wasm_bindgen(js_name = thenableThatThrows)]
    fn thenable_that_throws(error: &JsValue) -> Promise;
}

/// A promise and the functions that settle it.
fn deferred() -> (Promise, Function, Function) {
    let mut ends = None;
    let promise = Promise::new(&mut |resolve, reject| ends = Some((resolve, reject)));
    let (resolve, reject) = ends.unwrap();
    (promise, resolve, reject)
}

#[wasm_bindgen_test]
async fn an_await_ends_with_how_its_promise_settled() {
    let (fulfilled, resolve, _) = deferred();
    let (rejected, _, reject) = deferred();
    let (first, second) = (Settled::new(&fulfilled), Settled::new(&rejected));
    reject.call1(&JsValue::UNDEFINED, &s("no")).unwrap();
    resolve.call1(&JsValue::UNDEFINED, &s("yes")).unwrap();
    assert_eq!(first.await, Ok(s("yes")));
    assert_eq!(second.await, Err(s("no")));
}

/// An await dropped before its promise settles: the promise then settles
/// unheard, and does not wake the task the await belonged to.
#[wasm_bindgen_test]
async fn an_await_dropped_first_wakes_nobody_when_its_promise_settles() {
    let (early, resolve_early, _) = deferred();
    let (gate, open, _) = deferred();
    let polls = Rc::new(Cell::new(0));
    spawn(Box::pin({
        let polls = polls.clone();
        let mut early = Some(Box::pin(Settled::new(&early)));
        let mut gate = Box::pin(Settled::new(&gate));
        std::future::poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            // Polled once with this task's waker, then dropped.
            if let Some(mut early) = early.take() {
                assert!(early.as_mut().poll(cx).is_pending());
            }
            gate.as_mut().poll(cx).map(|_| ())
        })
    }));
    until("the task's first poll", 1_000, || polls.get() == 1).await;
    resolve_early.call0(&JsValue::UNDEFINED).unwrap();
    // Promise reactions run in order: by the time this await is heard, the
    // early promise's callback has run, and a task it woke has been polled.
    let (later, resolve_later, _) = deferred();
    let heard = Settled::new(&later);
    resolve_later
        .call1(&JsValue::UNDEFINED, &s("heard"))
        .unwrap();
    assert_eq!(heard.await, Ok(s("heard")));
    assert_eq!(polls.get(), 1, "the dropped await woke its task");
    open.call0(&JsValue::UNDEFINED).unwrap();
    until("the task's end", 1_000, || polls.get() == 2).await;
}

#[wasm_bindgen_test]
async fn the_promise_of_a_future_settles_as_it_ends() {
    let (gate, open, _) = deferred();
    let resolved = promise::<JsValue>(Box::pin(async move {
        Settled::new(&gate).await?;
        Ok(s("done"))
    }));
    let rejected = promise(Box::pin(async { Err(s("failed")) }));
    let (resolved, rejected) = (Settled::new(&resolved), Settled::new(&rejected));
    open.call0(&JsValue::UNDEFINED).unwrap();
    assert_eq!(resolved.await, Ok(s("done")));
    assert_eq!(rejected.await, Err(s("failed")));
}

/// A future that ended is dropped at once, even while a waker of its task
/// is still held elsewhere.
#[wasm_bindgen_test]
async fn a_future_that_ended_is_dropped_while_its_waker_lives_on() {
    struct Dropped(Rc<Cell<bool>>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Rc::new(Cell::new(false));
    let kept = Rc::new(std::cell::RefCell::new(None));
    spawn(Box::pin({
        let (flag, kept) = (Dropped(dropped.clone()), kept.clone());
        std::future::poll_fn(move |cx| {
            let _flag = &flag;
            *kept.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::Ready(())
        })
    }));
    until("the ended future is dropped", 1_000, || dropped.get()).await;
    assert!(kept.borrow().is_some(), "its task's waker is still held");
}

/// Awaiting what only looks like a promise: a `then` that calls back twice
/// is heard once, and one that throws is a rejection, not an exception.
#[wasm_bindgen_test]
async fn a_thenable_that_calls_back_twice_or_throws_is_heard_once() {
    let twice = thenable_calling_back_twice(&s("first"), &s("second"));
    assert_eq!(Settled::new(&twice).await, Ok(s("first")));
    let throws = thenable_that_throws(&s("no then"));
    assert_eq!(Settled::new(&throws).await, Err(s("no then")));
    // The module goes on.
    let (later, resolve, _) = deferred();
    let heard = Settled::new(&later);
    resolve.call1(&JsValue::UNDEFINED, &s("heard")).unwrap();
    assert_eq!(heard.await, Ok(s("heard")));
}
