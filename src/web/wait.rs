//! How to wait for a lock ([`LockOptions`], for both locks), how the wait
//! ends when it is not granted: its timeout elapses or its signal aborts
//! ([`give_up`]), and a sleep that clears its timer when dropped.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::global::js_cause;
use super::task::Settled;
use crate::core::{ErrorKind, RefreshError, WaitKind};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Closure<dyn FnMut()>, ms: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

#[wasm_bindgen(module = "/src/web/browser.js")]
extern "C" {
    /// A promise and the function that cancels what would settle it.
    type Disposable;

    #[wasm_bindgen(js_name = whenAborted)]
    fn when_aborted(signal: &AbortSignal) -> Disposable;

    #[wasm_bindgen(method, getter)]
    fn promise(this: &Disposable) -> Promise;

    #[wasm_bindgen(method)]
    fn dispose(this: &Disposable);
}

/// Awaits a [`Disposable`], disposing of it if dropped first.
struct Settling {
    disposable: Disposable,
    future: Settled,
}

impl Settling {
    fn new(disposable: Disposable) -> Self {
        let future = Settled::new(&disposable.promise());
        Self { disposable, future }
    }
}

impl Drop for Settling {
    fn drop(&mut self) {
        self.disposable.dispose();
    }
}

/// How to wait for a lock.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// How long to wait; 0 means "only if free right now".
    pub timeout_ms: u32,
    /// Aborts the wait (not a steal's; JavaScript's `spinLock` refuses a
    /// signal aborted already before it asks for any lock).
    pub signal: Option<AbortSignal>,
    /// Take the lock from its holder at once.
    pub steal: bool,
}

/// Resolves after `ms`; dropping it clears the timer. One `setTimeout`
/// whose callback wakes the task: no promise in between.
pub fn sleep(ms: u32) -> Sleep {
    Sleep {
        ms: i32::try_from(ms).unwrap_or(i32::MAX),
        timer: None,
    }
}

/// The future of [`sleep`].
pub struct Sleep {
    ms: i32,
    /// Set once polled.
    timer: Option<Timer>,
}

/// A running `setTimeout`: its id, its callback, and what they share.
struct Timer {
    id: JsValue,
    _fire: Closure<dyn FnMut()>,
    elapsed: Rc<Elapsed>,
}

#[derive(Default)]
struct Elapsed {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ms = self.ms;
        let timer = self.timer.get_or_insert_with(|| {
            let elapsed = Rc::new(Elapsed::default());
            let fire = {
                let elapsed = elapsed.clone();
                Closure::new(move || {
                    elapsed.done.set(true);
                    if let Some(waker) = elapsed.waker.borrow_mut().take() {
                        waker.wake();
                    }
                })
            };
            Timer {
                id: set_timeout(&fire, ms),
                _fire: fire,
                elapsed,
            }
        });
        if timer.elapsed.done.get() {
            return Poll::Ready(());
        }
        *timer.elapsed.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(timer) = &self.timer
            && !timer.elapsed.done.get()
        {
            clear_timeout(&timer.id);
        }
    }
}

/// How `options` wait.
pub fn wait_kind(options: &LockOptions) -> WaitKind {
    if options.steal {
        WaitKind::Steal
    } else if options.timeout_ms == 0 {
        WaitKind::IfFree
    } else {
        WaitKind::Queue
    }
}

/// The end of a wait with `options`: `LockTimeout` when its timeout elapses,
/// `Aborted` when its signal aborts; for an only-if-free wait, only
/// `Aborted`, if its signal was aborted already (a steal is never given
/// up). An abort already signalled wins over a timer.
pub fn give_up(options: &LockOptions) -> impl Future<Output = RefreshError> {
    let queues = wait_kind(options) == WaitKind::Queue;
    let mut timer = queues.then(|| sleep(options.timeout_ms));
    // A signal aborted already settles its promise at once: it ends the
    // attempt before the lock manager or the store answers.
    let mut abort = match &options.signal {
        Some(signal) if queues || (!options.steal && signal.aborted()) => {
            Some(Settling::new(when_aborted(signal)))
        }
        _ => None,
    };
    std::future::poll_fn(move |cx| {
        if let Some(abort) = &mut abort
            && let Poll::Ready(reason) = Pin::new(&mut abort.future).poll(cx)
        {
            // Neither promise ever rejects.
            let reason = reason.unwrap_or_default();
            return Poll::Ready(
                ErrorKind::Aborted {
                    cause: js_cause(reason),
                }
                .into(),
            );
        }
        match &mut timer {
            Some(timer) => Pin::new(timer).poll(cx).map(|()| {
                ErrorKind::LockTimeout {
                    timeout_ms: options.timeout_ms,
                }
                .into()
            }),
            None => Poll::Pending,
        }
    })
}
