//! The whole refresh in one call, as matrix-sdk's `refresh_access_token`
//! runs it: one flight per manager; lock, then either adopt what another
//! context stored or refresh over the network and save, with one more look
//! at the store before a failed refresh is reported.
#![allow(async_fn_in_trait)]

use std::any::Any;
use std::rc::Rc;

use super::flight::Role;
use super::{
    Cause, CrossContextLock, ErrorKind, HashStore, Notifier, RefreshError, RefreshManager,
    SessionTokens,
};

/// The application's side of a refresh.
pub trait RefreshHandlers {
    /// The tokens as the application holds them: [`SessionTokens`], or a
    /// richer value of its own (expiry, scopes) that the flow hands back.
    type Tokens: AsRef<SessionTokens> + Clone + 'static;
    /// The network refresh, with the application's current tokens.
    async fn refresh(&self) -> Result<Self::Tokens, RefreshError>;
    /// Reads the tokens another context saved (from the app's storage).
    async fn reload(&self) -> Result<Self::Tokens, RefreshError>;
    /// Persists freshly refreshed tokens in the app's storage.
    async fn save(&self, tokens: &Self::Tokens) -> Result<(), RefreshError>;
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

pub(super) type Flow<T> = Result<(RefreshOutcome, T), RefreshError>;

impl<L: CrossContextLock, S: HashStore, N: Notifier> RefreshManager<L, S, N> {
    /// Is a handler of this manager's refresh running right now (is the
    /// caller inside it)? A refresh started from there would wait for itself.
    pub fn is_inside_refresh_handler(&self) -> bool {
        self.shared.flight.inside_handler()
    }

    /// Runs one refresh of the session under the lock.
    ///
    /// - Concurrent calls on this manager (and its clones) share one run:
    ///   the later callers get its result, their handlers unused. A call
    ///   from inside a handler of that run fails with
    ///   [`ErrorKind::Reentrant`] instead of waiting for itself.
    /// - If another context logged out after this one learned its tokens,
    ///   or this context logged out (or found another's logout) after this
    ///   call, fail with [`ErrorKind::LoggedOut`]: no network call (or, when
    ///   the logout is found after a failed `refresh()`, no other). A call
    ///   made after that does not share the refusal of one made before it.
    ///   A context that knows only a logout adopts only the new login the
    ///   store holds (other reloaded tokens: [`ErrorKind::LoggedOut`], unless
    ///   this refresh got tokens from the server).
    /// - On a mismatch, `reload()` the other context's tokens and trust them
    ///   ([`RefreshOutcome::Adopted`]); a failed reload is an error, never a
    ///   success on stale tokens.
    /// - Otherwise `refresh()`, `save()`, then the fenced write
    ///   ([`RefreshOutcome::Refreshed`]). If `save()` fails, the error
    ///   carries the new tokens ([`ErrorKind::unsaved_tokens`]) and
    ///   nothing is written. Any other failure after the network call
    ///   carries them too ([`RefreshError::issued_tokens`]). If the write is
    ///   fenced (the lock was lost meanwhile and another context wrote),
    ///   adopt what the app now holds.
    ///   A logout after the server issued the tokens (in any context, found
    ///   at the write, or during that adoption when a new login followed it;
    ///   or of this context, during that adoption) fails with
    ///   [`ErrorKind::LoggedOutDuringRefresh`], which carries them
    ///   ([`ErrorKind::ended_tokens`]): `save()` has stored them, and they
    ///   are the logged-out session's.
    /// - If `refresh()` fails, read the store again: if another context
    ///   stored other tokens meanwhile, adopt them; else (or if that read
    ///   fails) report the failure and leave the store untouched.
    ///
    /// The lock is held only for this call.
    pub async fn refresh<H: RefreshHandlers>(
        &self,
        options: L::Options,
        handlers: &H,
    ) -> Flow<H::Tokens> {
        // A logout of this context, or one it finds, from now on ends this
        // refresh.
        let logouts_at = self.shared.logouts.get();
        loop {
            self.check_open()?;
            match self.shared.flight.join() {
                Role::Lead(ticket) => {
                    let result = self.refresh_once(options, handlers, logouts_at).await;
                    ticket.publish(Rc::new((logouts_at, result.clone())) as Rc<dyn Any>);
                    return result;
                }
                Role::Follow(_) if self.shared.flight.inside_handler() => {
                    return Err(ErrorKind::Reentrant.into());
                }
                Role::Follow(id) => {
                    // No result (the leader was dropped), one of another
                    // token type, or the refusal of a refresh asked for
                    // before a logout this context made or found, that this
                    // one came after (no tokens were issued to share): run
                    // again.
                    if let Some(result) = self.shared.flight.result_of(id).await
                        && let Some((at, result)) = result.downcast_ref::<(u64, Flow<H::Tokens>)>()
                        && (*at == logouts_at || !refused_for_logout(result))
                    {
                        return result.clone();
                    }
                }
            }
        }
    }

    async fn refresh_once<H: RefreshHandlers>(
        &self,
        options: L::Options,
        handlers: &H,
        logouts_at: u64,
    ) -> Flow<H::Tokens> {
        let guard = self.lock_since(options, logouts_at).await?;
        if guard.logged_out() {
            return Err(ErrorKind::LoggedOut.into());
        }
        let flight = &self.shared.flight;
        // Every way to adoption ends at the one `adopt` below. The tokens
        // the server issued, once it did: the old refresh token is spent
        // (`close()` may not end the adoption then), `save()` has them, and
        // a logout since came during this refresh.
        let mut issued = None;
        if !guard.hash_mismatch() {
            match flight.handler(handlers.refresh()).await {
                Err(error) => {
                    // The network refresh's failure stays the error if the
                    // read fails too: the app decides on it.
                    let Ok(stored) = guard.load().await else {
                        return Err(error);
                    };
                    let moved = guard.compare(stored);
                    if guard.logged_out() {
                        return Err(ErrorKind::LoggedOut.into());
                    }
                    if !moved {
                        return Err(error);
                    }
                }
                Ok(tokens) => {
                    if let Err(error) = flight.handler(handlers.save(&tokens)).await {
                        return Err(unsaved(error, &tokens));
                    }
                    match guard.save_in_memory_and_db(tokens.as_ref()).await {
                        Ok(()) => return Ok((RefreshOutcome::Refreshed, tokens)),
                        // The lock was lost meanwhile and someone wrote. After
                        // a logout, stay logged out; else adopt the newest
                        // tokens the app holds (the trusted side wins, fenced
                        // again).
                        Err(error) if matches!(error.kind(), ErrorKind::Fenced { .. }) => {
                            let stored = guard
                                .load()
                                .await
                                .map_err(|error| error.with_issued(&tokens))?;
                            guard.compare(stored);
                            if guard.logged_out() || guard.db_hash().is_none() {
                                return Err(logged_out_during(&tokens));
                            }
                        }
                        // This context logged out meanwhile.
                        Err(error) if matches!(error.kind(), ErrorKind::LoggedOut) => {
                            return Err(logged_out_during(&tokens));
                        }
                        Err(error) => return Err(error.with_issued(&tokens)),
                    }
                    issued = Some(tokens);
                }
            }
        }
        let adopted = self.adopt(&guard, handlers, issued.is_some()).await;
        match (adopted, issued) {
            // A logout of this context during the adoption, or one elsewhere
            // that a new login followed (the adoption may not write the
            // ended session's hash over it).
            (Err(error), Some(tokens)) if matches!(error.kind(), ErrorKind::LoggedOut) => {
                Err(logged_out_during(&tokens))
            }
            // Whatever else ended the adoption, the issued tokens go back.
            (Err(error), Some(tokens)) => Err(error.with_issued(&tokens)),
            (adopted, _) => adopted,
        }
    }
}

/// Was `result` a refusal for a logout that carries no issued tokens (none
/// was made, or the network refresh failed)?
fn refused_for_logout<T>(result: &Flow<T>) -> bool {
    matches!(result, Err(error) if matches!(error.kind(), ErrorKind::LoggedOut))
}

/// A logout that came after the server issued `tokens` (and `save()` got
/// them): [`ErrorKind::LoggedOutDuringRefresh`], carrying them.
fn logged_out_during<T: Clone + 'static>(tokens: &T) -> RefreshError {
    ErrorKind::LoggedOutDuringRefresh {
        tokens: Cause::new(tokens.clone()),
    }
    .into()
}

/// A failed `save()` as a [`ErrorKind::Callback`] that carries `tokens`.
fn unsaved<T: Clone + 'static>(error: RefreshError, tokens: &T) -> RefreshError {
    let tokens = Some(Cause::new(tokens.clone()));
    match error.kind() {
        ErrorKind::Callback {
            callback, cause, ..
        } => ErrorKind::Callback {
            callback,
            cause: cause.clone(),
            tokens,
        },
        _ => ErrorKind::Callback {
            callback: "save",
            cause: Some(Cause::new(error)),
            tokens,
        },
    }
    .into()
}
