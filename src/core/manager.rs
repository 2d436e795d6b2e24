//! The refresh manager: the seed's `CrossProcessRefreshManager`, with
//! in-context turns, the logout rule and notifications. Its guard is in
//! [`super::guard`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use std::pin::pin;
use std::task::Poll;

use super::closing::CloseSignal;
use super::exclusion::Turns;
use super::flight::Flight;
use super::guard::RefreshLockGuard;
use super::{
    CrossContextLock, ErrorKind, HashStore, Notification, NotificationKind, Notifier, RefreshError,
    SessionHash, SessionTokens, StoredState, WaitKind,
};

/// What a context knows of the session: the hash of its tokens, and the
/// stored record it learned them at (for the logout rule).
#[derive(Clone, Debug, Default)]
pub(super) struct Known {
    pub(super) hash: Option<SessionHash>,
    pub(super) learned: StoredState,
}

/// What a manager and its clones share.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) known: RefCell<Known>,
    /// Logouts of this context and logouts of others it found, so that a
    /// guard or a refresh asked for before one cannot bring the known hash
    /// (or the ended session's tokens) back.
    pub(super) logouts: Cell<u64>,
    turns: Turns,
    pub(super) flight: Flight,
    closing: CloseSignal,
}

/// Coordinates token refreshes of one session across contexts.
///
/// Clones share the known hash, the in-context turns and the refresh in
/// flight, as the seed's manager shares its mutex.
pub struct RefreshManager<L, S, N = ()> {
    lock: Rc<L>,
    store: Rc<S>,
    notifier: Rc<N>,
    pub(super) shared: Rc<Shared>,
}

impl<L, S, N> Clone for RefreshManager<L, S, N> {
    fn clone(&self) -> Self {
        Self {
            lock: self.lock.clone(),
            store: self.store.clone(),
            notifier: self.notifier.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<L: CrossContextLock, S: HashStore> RefreshManager<L, S> {
    /// A manager that knows no session yet and notifies no one.
    pub fn new(lock: L, store: S) -> Self {
        Self::with_notifier(lock, store, ())
    }
}

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
    /// A manager that knows no session yet and tells `notifier` of its writes.
    pub fn with_notifier(lock: L, store: S, notifier: N) -> Self {
        Self {
            lock: Rc::new(lock),
            store: Rc::new(store),
            notifier: Rc::new(notifier),
            shared: Rc::default(),
        }
    }

    /// The hash of the tokens this context knows, if any.
    pub fn known_session_hash(&self) -> Option<SessionHash> {
        self.shared.known.borrow().hash.clone()
    }

    /// The lock this manager takes.
    pub fn lock(&self) -> &L {
        &self.lock
    }

    /// The store this manager writes to.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The notifier this manager reports writes to.
    pub fn notifier(&self) -> &N {
        &self.notifier
    }

    /// Does an acquisition of this manager hold its turn (a guard is alive,
    /// or a refresh holds the lock)?
    pub fn is_locked_here(&self) -> bool {
        self.shared.turns.is_held()
    }

    /// Ends every wait for the lock in progress ([`ErrorKind::Closed`]),
    /// and an adoption's pause for the app's storage (unless its refresh
    /// spent the old refresh token); later calls fail the same way. Guards
    /// already held stay held until dropped, and a refresh past the network
    /// call runs to its end ([`after_refresh`](Self::after_refresh)).
    pub fn close(&self) {
        self.shared.closing.close();
    }

    /// Calls `then` once no refresh is in flight: now, or when the one in
    /// flight ends. A refresh past the lock at [`close`](Self::close) runs
    /// to its end (the old refresh token may already be spent, so the new
    /// hash must still be stored, under the lock): closing the store and
    /// the lock waits for it this way.
    pub fn after_refresh(&self, then: impl FnOnce() + 'static) {
        self.shared.flight.after(Box::new(then));
    }

    /// Has [`close`](Self::close) been called?
    pub fn is_closed(&self) -> bool {
        self.shared.closing.is_closed()
    }

    pub(super) fn check_open(&self) -> Result<(), RefreshError> {
        if self.is_closed() {
            Err(ErrorKind::Closed.into())
        } else {
            Ok(())
        }
    }

    /// Waits about `ms` milliseconds ([`CrossContextLock::pause`]), or fails
    /// with [`ErrorKind::Closed`] as soon as [`close`](Self::close) comes.
    pub(super) async fn pause(&self, ms: u32) -> Result<(), RefreshError> {
        let (mut pause, mut closed) = (
            pin!(self.lock.pause(ms)),
            pin!(self.shared.closing.closed()),
        );
        std::future::poll_fn(|cx| {
            if closed.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(ErrorKind::Closed.into()));
            }
            pause.as_mut().poll(cx).map(Ok)
        })
        .await
    }

    /// Waits for this manager's turn and then the cross-context lock, then
    /// reads the stored hash and compares it with the known one.
    ///
    /// The whole wait is bounded by the options' timeout and signal, and
    /// ends with [`ErrorKind::Closed`] on [`close`](Self::close).
    /// Dropping the future leaves nothing queued or held. A logout of this
    /// context after this call, or one of another context that this one
    /// finds, holds the guard to it ([`RefreshLockGuard::logged_out`]).
    pub fn spin_lock(
        &self,
        options: L::Options,
    ) -> impl Future<Output = Result<RefreshLockGuard<L::Guard, S, N>, RefreshError>> + '_ {
        // Not an `async fn`: the count is read at the call, and no state
        // machine of its own wraps the wait's.
        self.lock_since(options, self.shared.logouts.get())
    }

    /// [`spin_lock`](Self::spin_lock), for a caller that asked for the lock
    /// when this context had logged out, or found a logout, `logouts_at`
    /// times.
    pub(super) async fn lock_since(
        &self,
        options: L::Options,
        logouts_at: u64,
    ) -> Result<RefreshLockGuard<L::Guard, S, N>, RefreshError> {
        self.check_open()?;
        let kind = L::wait_kind(&options);
        if kind != WaitKind::Steal && self.shared.flight.inside_handler() {
            // A refresh handler waiting for the lock its refresh holds.
            return Err(ErrorKind::Reentrant.into());
        }
        let wait = async {
            let turn = match kind {
                WaitKind::Steal => self.shared.turns.steal(),
                WaitKind::IfFree => self
                    .shared
                    .turns
                    .try_take()
                    .ok_or(ErrorKind::LockTimeout { timeout_ms: 0 })?,
                WaitKind::Queue => self.shared.turns.wait().await,
            };
            let lock_guard = self.lock.acquire(options.clone()).await?;
            Ok((turn, lock_guard))
        };
        // The wait, raced against its timeout and signal, then close(); the
        // first to end wins (the wait when several are ready), and the others
        // are dropped with this block (their timer, listener and place in
        // line with them).
        let (turn, lock_guard) = {
            let (mut wait, mut give_up) = (pin!(wait), pin!(self.lock.give_up(&options)));
            let mut closed = pin!(self.shared.closing.closed());
            std::future::poll_fn(|cx| {
                if let Poll::Ready(held) = wait.as_mut().poll(cx) {
                    return Poll::Ready(held);
                }
                if let Poll::Ready(error) = give_up.as_mut().poll(cx) {
                    return Poll::Ready(Err(error));
                }
                closed
                    .as_mut()
                    .poll(cx)
                    .map(|()| Err(ErrorKind::Closed.into()))
            })
            .await?
        };
        let guard = RefreshLockGuard::new(
            lock_guard,
            turn,
            self.store.clone(),
            self.notifier.clone(),
            self.shared.clone(),
            logouts_at,
        );
        guard.first_read().await?;
        self.check_open()?;
        Ok(guard)
    }

    /// The stored state as it is now, read without the lock (diagnostics).
    pub fn stored_state(&self) -> impl Future<Output = Result<StoredState, RefreshError>> {
        self.store.load()
    }

    /// Remembers the hash of `tokens` (loaded from the app's storage) in
    /// memory, and the stored record it is learned at: a logout stored
    /// after this makes the next refresh fail with
    /// [`ErrorKind::LoggedOut`]; a logout stored before it does not (a
    /// new login). Writes nothing.
    pub async fn restore_session(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        self.check_open()?;
        let hash = SessionHash::of(tokens);
        let learned = self.store.load().await?;
        *self.shared.known.borrow_mut() = Known {
            hash: Some(hash),
            learned,
        };
        Ok(())
    }

    /// Replaces the stored hash by a tombstone and forgets the known hash.
    ///
    /// Does not wait for the lock (neither does the seed); the tombstone
    /// changes the record, so a guard held elsewhere fails its next write,
    /// and a guard of this context taken before cannot write or bring the
    /// known hash back.
    pub async fn on_logout(&self) -> Result<(), RefreshError> {
        self.check_open()?;
        let written = self.store.tombstone().await?;
        self.shared.logouts.set(self.shared.logouts.get() + 1);
        *self.shared.known.borrow_mut() = Known {
            hash: None,
            learned: written.clone(),
        };
        self.notifier.notify(&Notification {
            kind: NotificationKind::Logout,
            hash: None,
            generation: written.generation,
        });
        Ok(())
    }
}
