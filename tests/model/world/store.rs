//! What the checker watches (who holds the lock, what each context read and
//! wrote), and one context's view of the shared store, which checks every
//! write that lands.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Waker;

use cross_tab_refresh::core::memory::{MemoryRecord, MemoryStore};
use cross_tab_refresh::core::{HashStore, RefreshError, SessionHash, StoredState};

use super::{Endpoint, yield_now};

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
    /// Grants a logout ended (the grant of the hash it replaced).
    pub ended_grants: RefCell<Vec<u32>>,
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
    pub endpoint: Rc<Endpoint>,
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
        let ended = self.watch.ended_grants.borrow();
        if !ended.is_empty()
            && let Some(grant) = self.endpoint.grant_of(hash)
            && ended.contains(&grant)
        {
            self.watch.violation(format!(
                "context {c} stored the hash of tokens of grant {grant}, which a logout ended: the logout was undone"
            ));
        }
        drop(ended);
        self.watch.seen.borrow_mut()[c] = Some(written.clone());
        Ok(written)
    }

    async fn tombstone(&self) -> Result<StoredState, RefreshError> {
        yield_now().await;
        let before = self.before_write();
        let written = self.store.tombstone().await?;
        if let Some(grant) = before
            .and_then(|state| state.hash)
            .and_then(|hash| self.endpoint.grant_of(&hash))
        {
            self.watch.ended_grants.borrow_mut().push(grant);
        }
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
