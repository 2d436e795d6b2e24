//! The world the model checker runs the core in: a token endpoint that
//! rotates refresh tokens and revokes the grant when a spent one comes back,
//! the app's shared token storage, a store and a lock per context (views of
//! one shared state that record what each context does), and a fake clock.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::task::{Poll, Waker};

use cross_tab_refresh::core::lease::{Lease, LeaseAction, LeaseOp, decide, is_live};
use cross_tab_refresh::core::memory::{MemoryRecord, MemoryStore};
use cross_tab_refresh::core::{
    CrossContextLock, HashStore, RefreshError, SessionHash, SessionTokens, StoredState, WaitKind,
};

/// Length of a lease in the model; the clock only moves when the scheduler
/// lets time pass.
pub const LEASE_MS: u32 = 1_000;

/// Returns `Pending` once (waking itself), so the scheduler may run another
/// context there.
pub fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if std::mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// One pair the endpoint issued: grant and rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub grant: u32,
    pub index: u32,
}

impl Pair {
    pub fn tokens(self) -> SessionTokens {
        SessionTokens::new(
            format!("at-{}-{}", self.grant, self.index),
            Some(format!("rt-{}-{}", self.grant, self.index)),
        )
    }

    pub fn of(tokens: &SessionTokens) -> Self {
        let rt = tokens.refresh_token.as_deref().unwrap_or_default();
        let mut parts = rt.trim_start_matches("rt-").split('-');
        let mut next = || {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(u32::MAX)
        };
        Self {
            grant: next(),
            index: next(),
        }
    }
}

/// A token endpoint as oidc-provider runs it: each refresh token works once;
/// a spent one revokes its whole grant.
#[derive(Default)]
pub struct Endpoint {
    /// The newest pair of each grant; a grant is born by a login.
    pub current: RefCell<Vec<Pair>>,
    pub revoked: RefCell<Vec<bool>>,
    pub calls: Cell<u32>,
    pub rotations: Cell<u32>,
    pub reuses: Cell<u32>,
}

impl Endpoint {
    pub fn login(&self) -> Pair {
        let mut current = self.current.borrow_mut();
        let pair = Pair {
            grant: current.len() as u32,
            index: 0,
        };
        current.push(pair);
        self.revoked.borrow_mut().push(false);
        pair
    }

    pub fn exchange(&self, presented: Pair) -> Result<Pair, &'static str> {
        self.calls.set(self.calls.get() + 1);
        let g = presented.grant as usize;
        let mut current = self.current.borrow_mut();
        let Some(newest) = current.get_mut(g) else {
            return Err("invalid_grant");
        };
        if self.revoked.borrow()[g] {
            return Err("invalid_grant");
        }
        if presented.index != newest.index {
            // Reuse detection: a spent token revokes the grant.
            self.reuses.set(self.reuses.get() + 1);
            self.revoked.borrow_mut()[g] = true;
            return Err("invalid_grant");
        }
        newest.index += 1;
        self.rotations.set(self.rotations.get() + 1);
        Ok(*newest)
    }

    pub fn newest(&self) -> Option<Pair> {
        self.current.borrow().last().copied()
    }

    pub fn is_revoked(&self, grant: u32) -> bool {
        self.revoked.borrow()[grant as usize]
    }
}

/// The app's token storage, shared by its contexts (localStorage, say).
#[derive(Default)]
pub struct AppStorage {
    pub tokens: RefCell<Option<SessionTokens>>,
    /// The next `save` fails (a full quota, say).
    pub fail_next_save: Cell<bool>,
}

/// What the checker watches: who holds the lock, what each context read and
/// wrote. Shared by every context's views.
#[derive(Default)]
pub struct Watch {
    /// Live guards: (context, acquisition id).
    pub guards: RefCell<Vec<(usize, u64)>>,
    /// The last store state each context loaded or wrote.
    pub seen: RefCell<Vec<Option<StoredState>>>,
    /// Contexts that knew the session when another logged out, and have not
    /// logged in since.
    pub knew_old: RefCell<Vec<bool>>,
    /// Invariant violations found inside a step.
    pub violations: RefCell<Vec<String>>,
    /// Contexts that are dead (crashed): their drops run no code.
    pub dead: RefCell<Vec<bool>>,
    pub wakers: RefCell<Vec<Waker>>,
}

impl Watch {
    pub fn new(contexts: usize) -> Self {
        Self {
            seen: RefCell::new(vec![None; contexts]),
            knew_old: RefCell::new(vec![false; contexts]),
            dead: RefCell::new(vec![false; contexts]),
            ..Self::default()
        }
    }

    pub fn violation(&self, text: String) {
        self.violations.borrow_mut().push(text);
    }

    pub fn wake_all(&self) {
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        wakers.into_iter().for_each(Waker::wake);
    }

    fn holds(&self, context: usize) -> bool {
        self.guards.borrow().iter().any(|(c, _)| *c == context)
    }
}

/// One context's view of the shared store: it yields before each operation
/// (the IndexedDB round trip), and checks every write that lands.
pub struct ContextStore {
    pub store: MemoryStore,
    pub context: usize,
    pub watch: Rc<Watch>,
    /// Known hash of every context at a logout (for the logout rule).
    pub known: Rc<RefCell<Vec<Option<SessionHash>>>>,
}

impl ContextStore {
    fn before_write(&self) -> Option<StoredState> {
        match self.store.record() {
            MemoryRecord::Valid(state) => Some(state),
            MemoryRecord::Corrupt(_) => None,
        }
    }
}

impl HashStore for ContextStore {
    async fn load(&self) -> Result<StoredState, RefreshError> {
        yield_now().await;
        let state = self.store.load().await?;
        self.watch.seen.borrow_mut()[self.context] = Some(state.clone());
        Ok(state)
    }

    async fn store_if(
        &self,
        read: &StoredState,
        hash: &SessionHash,
    ) -> Result<StoredState, RefreshError> {
        yield_now().await;
        let before = self.before_write();
        let written = self.store.store_if(read, hash).await?;
        let c = self.context;
        if !self.watch.holds(c) {
            self.watch
                .violation(format!("context {c} wrote without holding the lock"));
        }
        if before != self.watch.seen.borrow()[c] {
            self.watch.violation(format!(
                "context {c} wrote over {before:?}, which it never read (it read {:?}): a lost update",
                self.watch.seen.borrow()[c]
            ));
        }
        let over_logout = before
            .as_ref()
            .is_some_and(|b| b.hash.is_none() && b.generation != 0);
        if over_logout && self.watch.knew_old.borrow()[c] {
            self.watch.violation(format!(
                "context {c} knew the session another context logged out of, and wrote over the logout"
            ));
        }
        self.watch.seen.borrow_mut()[c] = Some(written.clone());
        Ok(written)
    }

    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        yield_now().await;
        let written = self.store.tombstone().await?;
        let c = self.context;
        let known = self.known.borrow();
        let mut knew_old = self.watch.knew_old.borrow_mut();
        for (other, hash) in known.iter().enumerate() {
            if other != c && hash.is_some() && !self.watch.dead.borrow()[other] {
                knew_old[other] = true;
            }
        }
        self.watch.seen.borrow_mut()[c] = Some(written.clone());
        Ok(written)
    }
}

/// Which lock the contexts share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockModel {
    /// Web Locks: a queue, released by the browser when a context dies.
    WebLocks,
    /// The lease lock, with one token per acquisition (as this library's).
    LeasePerAcquisition,
    /// A lease with one token per context, re-entrant within a context (as
    /// the seed's lock): only the core's in-context turns exclude there.
    LeasePerContext,
}

#[derive(Default)]
pub struct LockState {
    /// Web Locks: the holding acquisition.
    pub holder: Option<u64>,
    /// The lease record.
    pub lease: Option<Lease>,
    pub next_id: u64,
}

/// Shared by every context's lock view.
pub struct LockWorld {
    pub model: LockModel,
    pub state: RefCell<LockState>,
    pub clock: Cell<f64>,
    pub watch: Rc<Watch>,
}

impl LockWorld {
    /// How many live guards hold the lock for real (not stolen from, lease
    /// not lapsed or taken over).
    pub fn current_holders(&self) -> usize {
        let state = self.state.borrow();
        let now = self.clock.get();
        self.watch
            .guards
            .borrow()
            .iter()
            .filter(|(context, id)| match self.model {
                LockModel::WebLocks => state.holder == Some(*id),
                _ => {
                    is_live(state.lease.as_ref(), now)
                        && state.lease.as_ref().map(|l| l.token.as_str())
                            == Some(self.token(*context, *id).as_str())
                }
            })
            .count()
    }

    fn token(&self, context: usize, id: u64) -> String {
        match self.model {
            LockModel::LeasePerContext => format!("ctx{context}"),
            _ => format!("ctx{context}#{id}"),
        }
    }

    /// The next time a lease lapses, if one is held.
    pub fn lease_expiry(&self) -> Option<f64> {
        self.state.borrow().lease.as_ref().map(|l| l.expires_at_ms)
    }
}

/// Options of the model lock.
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelOptions {
    pub steal: bool,
}

/// One context's view of the shared lock.
pub struct ContextLock {
    pub world: Rc<LockWorld>,
    pub context: usize,
}

/// A held model lock.
pub struct ModelGuard {
    world: Rc<LockWorld>,
    context: usize,
    id: u64,
}

impl Drop for ModelGuard {
    fn drop(&mut self) {
        let world = &self.world;
        world
            .watch
            .guards
            .borrow_mut()
            .retain(|g| *g != (self.context, self.id));
        // A dead context runs no code: its lease stays until it lapses
        // (Web Locks are released by the browser all the same).
        let dead = world.watch.dead.borrow()[self.context];
        let mut state = world.state.borrow_mut();
        match world.model {
            LockModel::WebLocks => {
                if state.holder == Some(self.id) {
                    state.holder = None;
                }
            }
            _ if dead => {}
            _ => {
                let token = world.token(self.context, self.id);
                let action = decide(
                    state.lease.as_ref(),
                    "",
                    &token,
                    LeaseOp::Release,
                    world.clock.get(),
                    LEASE_MS,
                );
                if action == LeaseAction::Delete {
                    state.lease = None;
                }
            }
        }
        drop(state);
        world.watch.wake_all();
    }
}

impl CrossContextLock for ContextLock {
    type Guard = ModelGuard;
    type Options = ModelOptions;

    fn wait_kind(options: &ModelOptions) -> WaitKind {
        if options.steal {
            WaitKind::Steal
        } else {
            WaitKind::Queue
        }
    }

    async fn give_up(&self, _: &ModelOptions) -> RefreshError {
        std::future::pending().await
    }

    async fn acquire(&self, options: ModelOptions) -> Result<ModelGuard, RefreshError> {
        yield_now().await;
        let world = self.world.clone();
        let id = {
            let mut state = world.state.borrow_mut();
            state.next_id += 1;
            state.next_id
        };
        std::future::poll_fn(|cx| {
            let mut state = world.state.borrow_mut();
            let taken = match world.model {
                LockModel::WebLocks if options.steal || state.holder.is_none() => {
                    state.holder = Some(id);
                    true
                }
                LockModel::WebLocks => false,
                _ => {
                    let token = world.token(self.context, id);
                    let op = LeaseOp::Take {
                        steal: options.steal,
                    };
                    let holder = format!("ctx{}", self.context);
                    match decide(
                        state.lease.as_ref(),
                        &holder,
                        &token,
                        op,
                        world.clock.get(),
                        LEASE_MS,
                    ) {
                        LeaseAction::Write(lease) => {
                            state.lease = Some(lease);
                            true
                        }
                        _ => false,
                    }
                }
            };
            if taken {
                world.watch.guards.borrow_mut().push((self.context, id));
                return Poll::Ready(Ok(ModelGuard {
                    world: world.clone(),
                    context: self.context,
                    id,
                }));
            }
            world.watch.wakers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}
