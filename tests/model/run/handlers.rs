//! The app's side of a run: the handlers a task calls the core with (a
//! network call to the token endpoint, a reload and a save of the app's
//! storage, each a step the scheduler may cut), and what each op does.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use cross_tab_refresh::core::{Cause, ErrorKind, RefreshError, RefreshHandlers, SessionTokens};

use super::super::world::{AppStorage, Endpoint, ModelOptions, Pair, Watch, yield_now};
use super::{Flag, Handlers, Ledger, Manager, Op, Scenario, Task};

/// What every task of a run shares.
pub(super) struct Shared<'a> {
    pub(super) endpoint: &'a Rc<Endpoint>,
    pub(super) storage: &'a Rc<AppStorage>,
    pub(super) ledger: &'a Rc<Ledger>,
    pub(super) watch: &'a Rc<Watch>,
}

/// One task per `(context, ops)` of `scenario`: it runs its ops in order
/// and stops at the first error, which goes in the ledger (with any tokens
/// the error hands back).
pub(super) fn spawn_tasks(
    scenario: &Scenario,
    managers: &[Manager],
    mines: &[Rc<RefCell<Option<SessionTokens>>>],
    shared: &Shared<'_>,
) -> Vec<Task> {
    scenario
        .tasks
        .iter()
        .enumerate()
        .map(|(task, (context, ops))| {
            let (context, ops) = (*context, ops.clone());
            let manager = managers[context].clone();
            let handlers = Handlers {
                context,
                task,
                no_save: scenario.no_save,
                endpoint: shared.endpoint.clone(),
                storage: shared.storage.clone(),
                mine: mines[context].clone(),
                ledger: shared.ledger.clone(),
            };
            let watch = shared.watch.clone();
            let ledger = shared.ledger.clone();
            let future = async move {
                for op in ops {
                    let result = run_op(op, &manager, &handlers, &watch).await;
                    // The op is over: what the server issued to it is in
                    // the app's storage, was handed back, or is dropped
                    // (no longer in flight, so no crash accounts for it).
                    let issued: Vec<Pair> = ledger
                        .in_flight
                        .borrow()
                        .iter()
                        .filter(|(t, _, _)| *t == task)
                        .map(|(_, _, p)| *p)
                        .collect();
                    ledger.in_flight.borrow_mut().retain(|(t, _, _)| *t != task);
                    if let (Err(error), Op::Refresh | Op::StealRefresh) = (&result, op) {
                        // Every failure of a refresh after the network call
                        // carries the tokens it issued (the app may have no
                        // other copy), whatever happens to them later.
                        let carried = error.issued_tokens::<SessionTokens>().map(Pair::of);
                        for pair in issued.into_iter().filter(|p| carried != Some(*p)) {
                            ledger.dropped.borrow_mut().push(format!(
                                "{op:?} of context {context} ended with {} without the tokens {pair:?} it was issued",
                                error.name()
                            ));
                        }
                    }
                    if let Err(error) = result {
                        // Told of a logout, the app drops its tokens (its
                        // other tasks then have none to refresh with).
                        if error.name() == "LoggedOutError" {
                            *handlers.mine.borrow_mut() = None;
                        }
                        if let Some(tokens) = error.issued_tokens::<SessionTokens>() {
                            ledger.handed_back.borrow_mut().push(Pair::of(tokens));
                            // Without `save`, the error's copy is the app's
                            // only one (but for an ended session's).
                            if handlers.no_save && error.ended_tokens::<SessionTokens>().is_none() {
                                handlers.storage.write(context, Some(tokens.clone()));
                                *handlers.mine.borrow_mut() = Some(tokens.clone());
                            }
                        }
                        ledger
                            .errors
                            .borrow_mut()
                            .push(format!("{op:?}: {}", error.name()));
                        break;
                    }
                }
            };
            Task {
                context,
                future: Some(Box::pin(future)),
                flag: Arc::new(Flag(AtomicBool::new(true))),
            }
        })
        .collect()
}

fn callback(name: &'static str, why: &'static str) -> RefreshError {
    ErrorKind::Callback {
        callback: name,
        cause: Some(Cause::new(why)),
        tokens: None,
    }
    .into()
}

impl Handlers {
    async fn network(&self) -> Result<SessionTokens, RefreshError> {
        let presented = self.mine.borrow().clone();
        let presented = presented.ok_or_else(|| callback("refresh", "no tokens"))?;
        yield_now().await;
        let issued = self.endpoint.exchange(Pair::of(&presented));
        // In flight until the op ends: a crash before then loses it (the
        // response, or the tokens the core holds in memory), not the core.
        if let Ok(pair) = issued {
            self.ledger
                .in_flight
                .borrow_mut()
                .push((self.task, self.context, pair));
        }
        yield_now().await;
        let pair = issued.map_err(|why| callback("refresh", why))?;
        Ok(pair.tokens())
    }
}

impl RefreshHandlers for Handlers {
    type Tokens = SessionTokens;

    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.network().await
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        yield_now().await;
        let stored = self.storage.read(self.context);
        let tokens = stored.ok_or_else(|| callback("reload", "logged out"))?;
        *self.mine.borrow_mut() = Some(tokens.clone());
        Ok(tokens)
    }

    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        if self.no_save {
            yield_now().await;
            return Ok(());
        }
        self.store(tokens).await
    }
}

impl Handlers {
    /// The app storing tokens it holds (a `save`, or on its own).
    async fn store(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        yield_now().await;
        if self.storage.fail_next_save.replace(false) {
            return Err(callback("save", "quota exceeded"));
        }
        self.storage.write(self.context, Some(tokens.clone()));
        *self.mine.borrow_mut() = Some(tokens.clone());
        yield_now().await;
        Ok(())
    }
}

pub(super) async fn run_op(
    op: Op,
    manager: &Manager,
    handlers: &Handlers,
    watch: &Watch,
) -> Result<(), RefreshError> {
    let wait = ModelOptions { steal: false };
    match op {
        Op::Refresh | Op::StealRefresh => {
            let options = ModelOptions {
                steal: op == Op::StealRefresh,
            };
            let (_, tokens) = manager.refresh(options, handlers).await?;
            handlers
                .ledger
                .handed_back
                .borrow_mut()
                .push(Pair::of(&tokens));
            if handlers.no_save {
                handlers
                    .storage
                    .write(handlers.context, Some(tokens.clone()));
            }
            *handlers.mine.borrow_mut() = Some(tokens);
        }
        Op::SpinSave => {
            let guard = manager.spin_lock(wait).await?;
            if guard.hash_mismatch() {
                let tokens = handlers.reload().await?;
                guard.handle_mismatch(&tokens).await?;
            } else {
                let tokens = handlers.network().await?;
                if let Err(error) = handlers.store(&tokens).await {
                    handlers
                        .ledger
                        .handed_back
                        .borrow_mut()
                        .push(Pair::of(&tokens));
                    return Err(error);
                }
                guard.save_in_memory_and_db(&tokens).await?;
            }
        }
        Op::Logout => {
            let grant = handlers.mine.borrow().as_ref().map(|t| Pair::of(t).grant);
            manager.on_logout().await?;
            handlers.storage.write(handlers.context, None);
            *handlers.mine.borrow_mut() = None;
            if let Some(grant) = grant {
                handlers.ledger.logged_out_grants.borrow_mut().push(grant);
            }
        }
        Op::Reopen => {
            let tokens = handlers.storage.read(handlers.context);
            let tokens = tokens.ok_or_else(|| callback("reopen", "logged out"))?;
            *handlers.mine.borrow_mut() = Some(tokens.clone());
            manager.restore_session(&tokens).await?;
        }
        Op::Login | Op::LoginRestoring => {
            let tokens = handlers.endpoint.login().tokens();
            handlers
                .storage
                .write(handlers.context, Some(tokens.clone()));
            *handlers.mine.borrow_mut() = Some(tokens.clone());
            watch.knew_old.borrow_mut()[handlers.context] = false;
            manager.restore_session(&tokens).await?;
            if op == Op::Login {
                let guard = manager.spin_lock(wait).await?;
                guard.save_in_memory_and_db(&tokens).await?;
            }
        }
    }
    Ok(())
}
