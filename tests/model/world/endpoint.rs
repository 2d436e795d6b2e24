//! The token endpoint the model's contexts refresh against, which rotates
//! refresh tokens and revokes the grant when a spent one comes back, and the
//! app's token storage the contexts share.

use std::cell::{Cell, RefCell};

use cross_tab_refresh::core::{SessionHash, SessionTokens};

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

    /// The grant of the issued pair whose tokens hash to `hash`, if any.
    pub fn grant_of(&self, hash: &SessionHash) -> Option<u32> {
        self.current.borrow().iter().find_map(|newest| {
            (0..=newest.index)
                .map(|index| Pair {
                    grant: newest.grant,
                    index,
                })
                .any(|pair| SessionHash::of(&pair.tokens()) == *hash)
                .then_some(newest.grant)
        })
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
    /// A write reaches the other contexts one read late: each one's next
    /// read still returns what was there before it (localStorage in another
    /// tab of Chromium).
    lag: bool,
    /// How many contexts read it.
    contexts: usize,
    before: RefCell<Option<SessionTokens>>,
    /// The contexts whose next read is late.
    late: RefCell<Vec<usize>>,
}

impl AppStorage {
    /// The storage of `contexts` contexts, reaching the others one read
    /// late with `lag`.
    pub fn new(contexts: usize, lag: bool) -> Self {
        Self {
            contexts,
            lag,
            ..Self::default()
        }
    }

    /// What `context` reads now.
    pub fn read(&self, context: usize) -> Option<SessionTokens> {
        let mut late = self.late.borrow_mut();
        match late.iter().position(|c| *c == context) {
            Some(index) => {
                late.swap_remove(index);
                self.before.borrow().clone()
            }
            None => self.tokens.borrow().clone(),
        }
    }

    /// `context` writes `tokens` (`None`: clears the storage).
    pub fn write(&self, context: usize, tokens: Option<SessionTokens>) {
        let before = self.tokens.replace(tokens);
        if self.lag {
            *self.before.borrow_mut() = before;
            *self.late.borrow_mut() = (0..self.contexts).filter(|c| *c != context).collect();
        }
    }
}
