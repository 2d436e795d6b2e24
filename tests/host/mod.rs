//! Host-side test doubles: a rotating token server, the app's token storage,
//! handlers that use them, and a scheduler that interleaves contexts; the
//! setups the tests share are in `setup.rs`.
#![allow(dead_code)]

mod setup;

pub use setup::*;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use cross_tab_refresh::core::memory::{MemoryLock, MemoryStore};
use cross_tab_refresh::core::{
    Cause, ErrorKind, RefreshError, RefreshHandlers, RefreshManager, SessionTokens,
};

pub type Manager = RefreshManager<MemoryLock, MemoryStore>;

/// A token endpoint with rotating refresh tokens: each refresh token works once.
#[derive(Clone, Default)]
pub struct TokenServer {
    pub issued: Rc<Cell<u32>>,
    pub invalid_grants: Rc<Cell<u32>>,
    pub fail_next: Rc<Cell<bool>>,
}

impl TokenServer {
    pub fn tokens(index: u32) -> SessionTokens {
        SessionTokens::new(format!("access-{index}"), Some(format!("refresh-{index}")))
    }

    /// Exchanges `refresh_token`; only the latest issued one is valid.
    pub fn exchange(&self, refresh_token: &str) -> Result<SessionTokens, &'static str> {
        if self.fail_next.replace(false) {
            return Err("network down");
        }
        if refresh_token != format!("refresh-{}", self.issued.get()) {
            self.invalid_grants.set(self.invalid_grants.get() + 1);
            return Err("invalid_grant");
        }
        self.issued.set(self.issued.get() + 1);
        Ok(Self::tokens(self.issued.get()))
    }

    /// The index of issued tokens, from their access token.
    pub fn index_of(tokens: &SessionTokens) -> u32 {
        tokens
            .access_token
            .trim_start_matches("access-")
            .parse()
            .unwrap()
    }
}

/// Where the app keeps its tokens (localStorage, say): shared by contexts.
#[derive(Clone)]
pub struct AppStorage(pub Rc<RefCell<SessionTokens>>);

impl Default for AppStorage {
    fn default() -> Self {
        Self(Rc::new(RefCell::new(TokenServer::tokens(0))))
    }
}

/// One context's handlers: refresh with the stored refresh token, reload
/// from app storage, save to app storage. Each step yields to the scheduler.
pub struct Handlers {
    pub server: TokenServer,
    pub storage: AppStorage,
    pub network_calls: Rc<Cell<u32>>,
    pub fail_reload: bool,
}

impl Handlers {
    pub fn new(server: &TokenServer, storage: &AppStorage) -> Self {
        Self {
            server: server.clone(),
            storage: storage.clone(),
            network_calls: Rc::new(Cell::new(0)),
            fail_reload: false,
        }
    }
}

impl RefreshHandlers for Handlers {
    type Tokens = SessionTokens;

    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        let refresh_token = self.storage.0.borrow().refresh_token.clone().unwrap();
        yield_now().await;
        self.network_calls.set(self.network_calls.get() + 1);
        let result = self.server.exchange(&refresh_token);
        yield_now().await;
        result.map_err(|e| {
            ErrorKind::Callback {
                callback: "refresh",
                cause: Some(Cause::new(e)),
                tokens: None,
            }
            .into()
        })
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        yield_now().await;
        if self.fail_reload {
            return Err(ErrorKind::Callback {
                callback: "reload",
                cause: None,
                tokens: None,
            }
            .into());
        }
        Ok(self.storage.0.borrow().clone())
    }

    async fn save(&self, tokens: &SessionTokens) -> Result<(), RefreshError> {
        yield_now().await;
        *self.storage.0.borrow_mut() = tokens.clone();
        // Persisting is asynchronous in a real app: others may run now.
        yield_now().await;
        Ok(())
    }
}

/// Returns `Pending` once, so the scheduler may run someone else.
pub fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Runs `tasks` to completion, choosing which one to poll next from
/// `schedule` (cycled); every eighth step polls every pending task once, so
/// a task the schedule starves still progresses. Returns outputs in task order.
pub fn run_interleaved<T>(
    mut tasks: Vec<Pin<Box<dyn Future<Output = T> + '_>>>,
    schedule: &[usize],
) -> Vec<T> {
    let mut outputs: Vec<Option<T>> = tasks.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    let mut poll = |index: usize, outputs: &mut Vec<Option<T>>| {
        if outputs[index].is_none()
            && let Poll::Ready(output) = tasks[index].as_mut().poll(&mut cx)
        {
            outputs[index] = Some(output);
        }
    };
    for step in 0usize.. {
        let pending: Vec<usize> = (0..outputs.len())
            .filter(|&i| outputs[i].is_none())
            .collect();
        if pending.is_empty() {
            break;
        }
        assert!(step < 100_000, "no task can make progress: a deadlock");
        if step % 8 == 7 {
            for index in pending {
                poll(index, &mut outputs);
            }
        } else {
            let pick = schedule
                .get(step % schedule.len().max(1))
                .copied()
                .unwrap_or(0);
            poll(pending[pick % pending.len()], &mut outputs);
        }
    }
    outputs.into_iter().map(Option::unwrap).collect()
}
