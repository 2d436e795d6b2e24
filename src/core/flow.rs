//! The whole refresh in one call, as matrix-sdk's `refresh_access_token`
//! runs it: lock, then either adopt what another context stored or refresh
//! over the network and save, with one more look at the store before a
//! failed refresh is reported.
#![allow(async_fn_in_trait)]

use super::{
    CrossContextLock, HashStore, Notifier, RefreshError, RefreshLockGuard, RefreshManager,
    SessionTokens,
};

/// The application's side of a refresh.
pub trait RefreshHandlers {
    /// The network refresh, with the application's current tokens.
    async fn refresh(&self) -> Result<SessionTokens, RefreshError>;
    /// Reads the tokens another context saved (from the app's storage).
    async fn reload(&self) -> Result<SessionTokens, RefreshError>;
    /// Persists freshly refreshed tokens in the app's storage.
    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError>;
}

/// How a refresh ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// This context refreshed over the network and stored the new tokens.
    Refreshed,
    /// Another context had refreshed: its tokens were reloaded, no network call.
    Adopted,
}

impl RefreshOutcome {
    /// `"refreshed"` or `"adopted"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refreshed => "refreshed",
            Self::Adopted => "adopted",
        }
    }
}

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
    /// Runs one refresh of the session under the lock.
    ///
    /// - On a mismatch, `reload()` the other context's tokens and trust them
    ///   ([`RefreshOutcome::Adopted`]); a failed reload is an error, never a
    ///   success on stale tokens.
    /// - Otherwise `refresh()`, `save()`, then the fenced write
    ///   ([`RefreshOutcome::Refreshed`]). If that write is fenced (the lock
    ///   was lost meanwhile and another context wrote), adopt what the app
    ///   now holds; after a logout, fail with [`RefreshError::Fenced`].
    /// - If `refresh()` fails, read the store again: if another context
    ///   stored other tokens meanwhile, adopt them; else report the failure
    ///   and leave the store untouched.
    ///
    /// The lock is held only for this call.
    pub async fn refresh<H: RefreshHandlers>(
        &self,
        options: L::Options,
        handlers: &H,
    ) -> Result<(RefreshOutcome, SessionTokens), RefreshError> {
        let guard = self.spin_lock(options).await?;
        if guard.hash_mismatch() {
            return adopt(&guard, handlers).await;
        }
        match handlers.refresh().await {
            Ok(tokens) => {
                handlers.save(&tokens).await?;
                match guard.save_in_memory_and_db(&tokens).await {
                    Ok(()) => Ok((RefreshOutcome::Refreshed, tokens)),
                    // The lock was lost meanwhile and someone wrote. After a
                    // logout, stay logged out; else adopt the newest tokens
                    // the app holds (the trusted side wins, fenced again).
                    Err(fenced @ RefreshError::Fenced { .. }) => {
                        guard.reread().await?;
                        if guard.db_hash().is_none() {
                            return Err(fenced);
                        }
                        adopt(&guard, handlers).await
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => {
                if guard.reread().await? {
                    return adopt(&guard, handlers).await;
                }
                Err(error)
            }
        }
    }
}

async fn adopt<G, S: HashStore, N: Notifier, H: RefreshHandlers>(
    guard: &RefreshLockGuard<G, S, N>,
    handlers: &H,
) -> Result<(RefreshOutcome, SessionTokens), RefreshError> {
    let tokens = handlers.reload().await?;
    guard.handle_mismatch(&tokens).await?;
    Ok((RefreshOutcome::Adopted, tokens))
}
