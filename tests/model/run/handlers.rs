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
        .map(|(context, ops)| {
            let (context, ops) = (*context, ops.clone());
            let manager = managers[context].clone();
            let handlers = Handlers {
                context,
                endpoint: shared.endpoint.clone(),
                storage: shared.storage.clone(),
                mine: mines[context].clone(),
                ledger: shared.ledger.clone(),
            };
            let watch = shared.watch.clone();
            let ledger = shared.ledger.clone();
            let future = async move {
                for op in ops {
                    if let Err(error) = run_op(op, &manager, &handlers, &watch).await {
                        if let Some(tokens) = error.unsaved_tokens::<SessionTokens>() {
                            ledger.handed_back.borrow_mut().push(Pair::of(tokens));
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
        if let Ok(pair) = issued {
            self.ledger
                .in_flight
                .borrow_mut()
                .push((self.context, pair));
        }
        // The response travels back: a crash here loses it.
        yield_now().await;
        let pair = issued.map_err(|why| callback("refresh", why))?;
        self.ledger
            .in_flight
            .borrow_mut()
            .retain(|(c, p)| (*c, *p) != (self.context, pair));
        self.ledger.handed_back.borrow_mut().push(pair);
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
            *handlers.mine.borrow_mut() = Some(tokens);
        }
        Op::SpinSave => {
            let guard = manager.spin_lock(wait).await?;
            if guard.hash_mismatch() {
                let tokens = handlers.reload().await?;
                guard.handle_mismatch(&tokens).await?;
            } else {
                let tokens = handlers.network().await?;
                if let Err(error) = handlers.save(&tokens).await {
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
        Op::Login => {
            let tokens = handlers.endpoint.login().tokens();
            handlers
                .storage
                .write(handlers.context, Some(tokens.clone()));
            *handlers.mine.borrow_mut() = Some(tokens.clone());
            watch.knew_old.borrow_mut()[handlers.context] = false;
            manager.restore_session(&tokens).await?;
            let guard = manager.spin_lock(wait).await?;
            guard.save_in_memory_and_db(&tokens).await?;
        }
    }
    Ok(())
}
