//! Adoption: the tokens another context stored, reloaded from the
//! application's storage and trusted once they match the stored hash, or
//! after the last pause (the end of every way to adoption in
//! [`refresh`](RefreshManager::refresh)).

use super::flow::{Flow, RefreshHandlers, RefreshOutcome};
use super::{
    CrossContextLock, ErrorKind, HashStore, Notifier, RefreshLockGuard, RefreshManager, SessionHash,
};

/// The pauses between reloads while the tokens `reload()` returns are not
/// the ones the store holds the hash of (the application's storage catching
/// up with another context's write: localStorage reaches other tabs a
/// little later). About 1.3 s in all, with the lock held; after that the
/// reloaded tokens are trusted (see `adopt`), unless this context knows
/// only a logout and got no tokens itself. Three, so that they stay
/// below the chain of five timers after which a browser slows a hidden
/// tab's timers to one a minute.
const RELOAD_PAUSES_MS: [u32; 3] = [30, 300, 1000];

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
    /// Does this context know no tokens because what it last learned of
    /// the session is a logout (its own or one it found)?
    fn knows_only_a_logout(&self) -> bool {
        let known = self.shared.known.borrow();
        known.hash.is_none() && known.learned.hash.is_none() && known.learned.generation != 0
    }

    /// Adopts the tokens `reload()` returns. While they are not the ones
    /// the store holds the hash of, the application's storage may not have
    /// caught up with the context that wrote it (it could hand back this
    /// context's old tokens, or ones from between; a context may also have
    /// restored such tokens): reload again after a pause (ended by
    /// `close()`, unless this refresh has `spent` the old refresh token). If
    /// they still differ after the last pause, trust them as the seed does
    /// (a context that saved them may have stopped before it wrote their
    /// hash): `handle_mismatch` writes their hash, unless they are the
    /// tokens this context already knew and another context wrote the store
    /// since it learned them ([`ErrorKind::StaleTokens`]). A context that
    /// knows only a logout, unless this refresh `spent` the old refresh
    /// token, takes only the stored hash's tokens ([`ErrorKind::LoggedOut`]).
    pub(super) async fn adopt<H: RefreshHandlers>(
        &self,
        guard: &RefreshLockGuard<L::Guard, S, N>,
        handlers: &H,
        spent: bool,
    ) -> Flow<H::Tokens> {
        // Adoption follows a read that found a hash: the store holds one.
        let stored = guard.db_hash();
        let mut pauses = RELOAD_PAUSES_MS.into_iter();
        let tokens = loop {
            let tokens = self.shared.flight.handler(handlers.reload()).await?;
            let behind = stored != Some(SessionHash::of(tokens.as_ref()));
            match pauses.next() {
                Some(ms) if behind && spent => self.lock().pause(ms).await,
                Some(ms) if behind => self.pause(ms).await?,
                // Knowing only a logout (this context made or found one),
                // adopt only the new login the store holds: other tokens
                // are the ended session's (a save that raced the logout),
                // or a pair of the new login whose hash was never written
                // (`restore_session` logs in with them).
                _ if behind && !spent && self.knows_only_a_logout() => {
                    return Err(ErrorKind::LoggedOut.into());
                }
                _ => break tokens,
            }
        };
        guard.handle_mismatch(tokens.as_ref()).await?;
        Ok((RefreshOutcome::Adopted, tokens))
    }
}
