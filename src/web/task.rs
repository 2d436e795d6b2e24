//! The library's own executor, single-threaded as a wasm module without
//! atomics is: each task is polled in a microtask after it is woken, and a
//! JavaScript promise is awaited through one callback made once for the
//! whole module, with no closure per await. In the manner of
//! wasm-bindgen-futures' single-threaded executor, with only what this crate
//! uses: one queue, no JSPI, one task type for every future (0.33 KiB
//! gzipped smaller).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    /// Calls `callback(slot, true, value)` or `callback(slot, false,
    /// reason)` once `promise` settles (see `runtime.js`).
    #[wasm_bindgen(js_name = whenSettled)]
    fn when_settled(promise: &Promise, callback: &Function, slot: usize);

    /// `[promise, resolve, reject]`: a new promise and its resolving
    /// functions (no Rust closure as the executor of `new Promise`).
    fn deferred() -> js_sys::Array;
}

#[wasm_bindgen]
extern "C" {
    /// `queueMicrotask`, as every global scope has it.
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

/// A future run to its end in the background.
pub type Job = Pin<Box<dyn Future<Output = ()>>>;

struct Task {
    /// `None` once it has ended.
    job: RefCell<Option<Job>>,
    /// In the queue already: a second wake-up adds nothing.
    queued: Cell<bool>,
}

struct Executor {
    queue: RefCell<Vec<Rc<Task>>>,
    /// A microtask to run the queue is on its way.
    scheduled: Cell<bool>,
    run: Closure<dyn FnMut()>,
    settle: Closure<dyn FnMut(usize, bool, JsValue)>,
}

thread_local! {
    static EXECUTOR: Executor = Executor {
        queue: RefCell::default(),
        scheduled: Cell::new(false),
        run: Closure::new(run_queued),
        settle: Closure::new(settle),
    };
}

/// Runs `job` in the background, its first poll in a microtask.
pub fn spawn(job: Job) {
    schedule(Rc::new(Task {
        job: RefCell::new(Some(job)),
        queued: Cell::new(false),
    }));
}

fn schedule(task: Rc<Task>) {
    if task.queued.replace(true) {
        return;
    }
    EXECUTOR.with(|executor| {
        executor.queue.borrow_mut().push(task);
        if !executor.scheduled.replace(true) {
            queue_microtask(executor.run.as_ref().unchecked_ref());
        }
    });
}

/// Polls the tasks queued before this microtask, one at a time from the
/// queue; one woken meanwhile waits for the next, so that a task that keeps
/// waking itself cannot starve the page. (Should a poll throw, the tasks
/// after it stay queued, for the next microtask any wake-up schedules, and
/// the task it left borrowed is skipped from then on.)
fn run_queued() {
    let count = EXECUTOR.with(|executor| {
        executor.scheduled.set(false);
        executor.queue.borrow().len()
    });
    for _ in 0..count {
        let Some(task) = EXECUTOR.with(|executor| {
            let mut queue = executor.queue.borrow_mut();
            (!queue.is_empty()).then(|| queue.remove(0))
        }) else {
            break;
        };
        task.queued.set(false);
        let waker = waker(task.clone());
        let Ok(mut job) = task.job.try_borrow_mut() else {
            continue;
        };
        // A job polled to its end is dropped; a wake-up from its poll or its
        // drop only queues the task again.
        if let Some(future) = job.as_mut()
            && future
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
        {
            *job = None;
        }
    }
}

// The waker of a task is a counted reference to it. Wakers of this module
// never leave its one thread (the module has no atomics).
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

fn waker(task: Rc<Task>) -> Waker {
    // SAFETY: the data pointer is an `Rc<Task>` given up to the waker; each
    // function of VTABLE keeps the count right.
    unsafe { Waker::from_raw(RawWaker::new(Rc::into_raw(task).cast(), &VTABLE)) }
}

unsafe fn clone_waker(task: *const ()) -> RawWaker {
    // SAFETY: `task` came from `Rc::into_raw` and its count is at least one.
    unsafe { Rc::increment_strong_count(task.cast::<Task>()) };
    RawWaker::new(task, &VTABLE)
}

unsafe fn wake(task: *const ()) {
    // SAFETY: the waker's own reference, consumed.
    schedule(unsafe { Rc::from_raw(task.cast::<Task>()) });
}

unsafe fn wake_by_ref(task: *const ()) {
    // SAFETY: as in clone_waker, then that new reference consumed.
    unsafe {
        Rc::increment_strong_count(task.cast::<Task>());
        schedule(Rc::from_raw(task.cast::<Task>()));
    }
}

unsafe fn drop_waker(task: *const ()) {
    // SAFETY: the waker's own reference, given back.
    drop(unsafe { Rc::from_raw(task.cast::<Task>()) });
}

#[derive(Default)]
struct Slot {
    outcome: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
}

/// How a JavaScript promise settled: its value, or the reason it rejected.
/// Dropped before, it lets the promise settle unheard. (Polled again once
/// ready, it stays pending.)
pub struct Settled(Rc<Slot>);

impl Settled {
    /// Awaits `promise`.
    pub fn new(promise: &Promise) -> Self {
        let slot = Rc::new(Slot::default());
        // A counted reference for the callback, which takes it back.
        let raw = Rc::into_raw(slot.clone()) as usize;
        EXECUTOR.with(|executor| {
            when_settled(promise, executor.settle.as_ref().unchecked_ref(), raw);
        });
        Self(slot)
    }
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                *self.0.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Settled {
    /// The promise may settle later: its callback then wakes nobody, and
    /// the task this await belonged to is not kept alive until it does.
    fn drop(&mut self) {
        self.0.waker.take();
    }
}

/// The one callback of every [`Settled`]: called once for each (`whenSettled`
/// makes sure of it).
fn settle(slot: usize, fulfilled: bool, value: JsValue) {
    // SAFETY: `slot` is the reference `Settled::new` gave up for this
    // callback, which `whenSettled` calls once.
    let slot = unsafe { Rc::from_raw(slot as *const Slot) };
    *slot.outcome.borrow_mut() = Some(if fulfilled { Ok(value) } else { Err(value) });
    if let Some(waker) = slot.waker.take() {
        waker.wake();
    }
}

/// A promise of `future`'s outcome, which runs in the background: its
/// value, or its error as JavaScript sees it.
pub fn promise<E: Into<JsValue> + 'static>(
    future: Pin<Box<dyn Future<Output = Result<JsValue, E>>>>,
) -> Promise {
    let parts = deferred();
    let (resolve, reject): (Function, Function) =
        (parts.get(1).unchecked_into(), parts.get(2).unchecked_into());
    spawn(Box::pin(async move {
        let (end, value) = match future.await {
            Ok(value) => (resolve, value),
            Err(error) => (reject, error.into()),
        };
        // A promise's resolving functions never throw.
        let _ = end.call1(&JsValue::UNDEFINED, &value);
    }));
    parts.get(0).unchecked_into()
}
