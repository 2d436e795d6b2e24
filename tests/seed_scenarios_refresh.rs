//! The seed's test module (matrix-rust-sdk's `cross_process.rs`), re-told
//! against the core with an in-memory lock and store standing in for SQLite:
//! refreshing twice at once in one context, and across processes.
#![cfg(not(target_arch = "wasm32"))]

mod seed;

use std::cell::Cell;
use std::rc::Rc;

use cross_tab_refresh::core::{RefreshError, RefreshHandlers, SessionHash, SessionTokens};
use futures::executor::block_on;
use seed::*;

/// A token endpoint that rotates `prev` into `next` and counts its calls.
#[derive(Default, Clone)]
struct TokenServer {
    calls: Rc<Cell<u32>>,
}

/// The SDK's session callbacks: the token endpoint, and a reload that
/// returns what another client saved.
struct SeedHandlers<'a> {
    server: &'a TokenServer,
    reloaded: SessionTokens,
}

impl RefreshHandlers for SeedHandlers<'_> {
    type Tokens = SessionTokens;

    async fn refresh(&self) -> Result<SessionTokens, RefreshError> {
        self.server.calls.set(self.server.calls.get() + 1);
        // The network takes a while: the other caller runs meanwhile.
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if std::mem::replace(&mut yielded, true) {
                return std::task::Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
        .await;
        Ok(next_tokens())
    }

    async fn reload(&self) -> Result<SessionTokens, RefreshError> {
        Ok(self.reloaded.clone())
    }

    async fn save(&self, _: &SessionTokens) -> Result<(), RefreshError> {
        Ok(())
    }
}

/// matrix-sdk's `refresh_access_token`, as the core's refresh flow runs it.
async fn refresh_access_token(
    manager: &Manager,
    server: &TokenServer,
    reloaded: &SessionTokens,
) -> Result<SessionTokens, RefreshError> {
    let handlers = SeedHandlers {
        server,
        reloaded: reloaded.clone(),
    };
    manager
        .refresh(WAIT, &handlers)
        .await
        .map(|(_, tokens)| tokens)
}

#[test]
fn refresh_access_token_twice() {
    block_on(async {
        let [client] = <[Manager; 1]>::try_from(contexts(1)).ok().unwrap();
        let server = TokenServer::default();
        client.restore_session(&prev_tokens()).await.unwrap();

        // Two refreshes at once in one context: matrix-sdk shares one
        // in-flight refresh between concurrent callers, so the token endpoint
        // is called once. The manager's own single flight does that here.
        let reloaded = next_tokens();
        let (first, second) = futures::join!(
            refresh_access_token(&client, &server, &reloaded),
            refresh_access_token(&client, &server, &reloaded),
        );
        assert_eq!(first.unwrap(), next_tokens());
        assert_eq!(second.unwrap(), next_tokens());
        assert_eq!(server.calls.get(), 1);

        let guard = client.spin_lock(WAIT).await.unwrap();
        let hash = SessionHash::of(&next_tokens());
        assert_eq!(guard.db_hash().as_ref(), Some(&hash));
        assert_eq!(client.known_session_hash(), Some(hash));
        assert!(!guard.hash_mismatch());
    });
}

#[test]
fn cross_process_concurrent_refresh() {
    block_on(async {
        let [client, unrestored, client3] = <[Manager; 3]>::try_from(contexts(3)).ok().unwrap();
        let server = TokenServer::default();
        client.restore_session(&prev_tokens()).await.unwrap();

        // 1. A third client refreshes while the others do nothing.
        client3.restore_session(&prev_tokens()).await.unwrap();
        let tokens3 = refresh_access_token(&client3, &server, &next_tokens())
            .await
            .unwrap();
        assert_eq!(tokens3, next_tokens());
        {
            let guard = client3.spin_lock(WAIT).await.unwrap();
            let hash = SessionHash::of(&next_tokens());
            assert_eq!(guard.db_hash().as_ref(), Some(&hash));
            assert_eq!(client3.known_session_hash(), Some(hash));
            assert!(!guard.hash_mismatch());
        }

        // 2. The unrestored client restores stale tokens; the SDK's restore
        //    path then takes the lock, sees the mismatch, reloads the newer
        //    tokens and trusts them.
        unrestored.restore_session(&prev_tokens()).await.unwrap();
        {
            let guard = unrestored.spin_lock(WAIT).await.unwrap();
            assert!(guard.hash_mismatch());
            guard.handle_mismatch(&next_tokens()).await.unwrap();
        }
        {
            let guard = unrestored.spin_lock(WAIT).await.unwrap();
            let hash = SessionHash::of(&next_tokens());
            assert_eq!(guard.db_hash().as_ref(), Some(&hash));
            assert_eq!(unrestored.known_session_hash(), Some(hash));
            assert!(!guard.hash_mismatch());
        }

        // 3. The first client still knows the previous tokens: a mismatch.
        {
            let guard = client.spin_lock(WAIT).await.unwrap();
            assert_eq!(
                guard.db_hash().as_ref(),
                Some(&SessionHash::of(&next_tokens()))
            );
            assert_eq!(
                client.known_session_hash(),
                Some(SessionHash::of(&prev_tokens()))
            );
            assert!(guard.hash_mismatch());
        }

        // 4. Its refresh adopts the reloaded tokens instead of calling the server.
        let tokens = refresh_access_token(&client, &server, &next_tokens())
            .await
            .unwrap();
        assert_eq!(tokens, next_tokens());
        assert_eq!(
            server.calls.get(),
            1,
            "the token endpoint is called once in all"
        );
        {
            let guard = client.spin_lock(WAIT).await.unwrap();
            let hash = SessionHash::of(&next_tokens());
            assert_eq!(guard.db_hash().as_ref(), Some(&hash));
            assert_eq!(client.known_session_hash(), Some(hash));
            assert!(!guard.hash_mismatch());
        }
    });
}
