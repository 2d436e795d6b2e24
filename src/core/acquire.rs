//! Taking the lock: this manager's turn, then the cross-context lock, the
//! wait raced against its timeout, its signal and `close()`; then the
//! guard's first read. Also the pause between reloads of an adoption.

use std::pin::pin;
use std::task::Poll;

use super::guard::RefreshLockGuard;
use super::manager::RefreshManager;
use super::{CrossContextLock, ErrorKind, HashStore, Notifier, RefreshError, WaitKind};

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
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
        let stored = guard.first_read().await?;
        guard.took_first(stored);
        self.check_open()?;
        Ok(guard)
    }
}
