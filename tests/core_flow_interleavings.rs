//! Random interleavings of several contexts refreshing at once on the
//! host, some stealing the lock: no tokens lost or clobbered.
#![cfg(not(target_arch = "wasm32"))]

mod host;

use cross_tab_refresh::core::SessionHash;
use cross_tab_refresh::core::memory::MemoryLockOptions;
use futures::executor::block_on;
use host::*;
use proptest::prelude::*;

/// One context of a simulated run: whether it steals the lock.
fn contexts_strategy() -> impl Strategy<Value = (Vec<bool>, Vec<usize>)> {
    (
        proptest::collection::vec(any::<bool>(), 2..7),
        proptest::collection::vec(0usize..16, 1..64),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random interleavings of N contexts refreshing at once, some stealing
    /// the lock (a steal stands for any lost lock: a lapsed lease too).
    #[test]
    fn interleavings_never_lose_or_clobber_tokens((steals, schedule) in contexts_strategy()) {
        let (managers, _, store, server, storage) = session(steals.len());
        for manager in &managers {
            block_on(manager.restore_session(&TokenServer::tokens(0))).unwrap();
        }
        let handlers: Vec<Handlers> = managers.iter().map(|_| Handlers::new(&server, &storage)).collect();
        let tasks: Vec<Task<'_>> = managers
            .iter()
            .zip(&handlers)
            .zip(&steals)
            .map(|((m, h), steal)| {
                let options = MemoryLockOptions {
                    steal: *steal,
                    if_free: false,
                };
                Box::pin(m.refresh(options, h)) as Task<'_>
            })
            .collect();
        let results = run_interleaved(tasks, &schedule);

        let issued = server.issued.get();
        let newest = TokenServer::tokens(issued);
        // Nothing lost: the store ends with the newest tokens the server issued.
        if issued > 0 {
            prop_assert_eq!(stored_hash(&store), Some(SessionHash::of(&newest)));
        }
        // (That no write skipped the fence is checked where it can fail: the
        // model checker's lost-update invariant, tests/model_check.rs.)
        if steals.iter().all(|s| !s) {
            // Without lost locks: one network call in all, and no spent token sent.
            prop_assert_eq!(issued, 1);
            prop_assert_eq!(server.invalid_grants.get(), 0);
            prop_assert!(results.iter().all(|r| r.is_ok()));
            for (_, tokens) in results.iter().flatten() {
                prop_assert_eq!(TokenServer::index_of(tokens), 1);
            }
        } else {
            // With lost locks, a stale context may send a spent token, but
            // the server refuses it, and at most one refresh succeeds per token.
            prop_assert!(issued >= 1);
            for r in results.iter().filter_map(|r| r.as_ref().err()) {
                prop_assert!(matches!(r.name(), "CallbackError" | "FencedError"), "{}", r);
            }
        }

        // Whatever happened, every context can catch up without the
        // network: the app's storage holds what the store says is current.
        prop_assert_eq!(&*storage.0.borrow(), &newest);
        block_on(async {
            for manager in &managers {
                let guard = manager.spin_lock(WAIT).await.unwrap();
                if guard.hash_mismatch() {
                    let trusted = storage.0.borrow().clone();
                    guard.handle_mismatch(&trusted).await.unwrap();
                }
            }
        });
        prop_assert_eq!(server.issued.get(), issued);
        for manager in &managers {
            prop_assert_eq!(manager.known_session_hash(), Some(SessionHash::of(&newest)));
        }
        prop_assert_eq!(stored_hash(&store), Some(SessionHash::of(&newest)));
    }
}
