//! Notifications over BroadcastChannel: who hears a save or a logout, and
//! who does not (that no token travels is `no_tokens.rs`).
//!
//! A message that should arrive is waited for (polled until heard). That
//! one should not arrive is checked after 50 ms more ([`quiet`]): nothing
//! signals that a message will not come.

use std::cell::RefCell;
use std::rc::Rc;

use cross_tab_refresh::api::CrossTabRefreshManager;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use crate::support::*;

pub(crate) type Heard = Rc<RefCell<Vec<JsValue>>>;

/// Collects the events a manager's `subscribe` listener receives.
pub(crate) fn recorder(manager: &CrossTabRefreshManager) -> (Heard, Function) {
    let events: Heard = Rc::default();
    let sink = events.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |event| sink.borrow_mut().push(event))
        .into_js_value();
    let unsubscribe = manager.subscribe(listener).unwrap().unchecked_into();
    (events, unsubscribe)
}

/// Before a check that something was *not* heard: no event says that a
/// message will not come, so this gives it 50 ms to arrive.
async fn quiet() {
    sleep(50).await;
}

/// Waits until `heard` holds `count` events.
pub(crate) async fn heard_at_least(heard: &Heard, count: usize) {
    until("the notification", 5_000, || heard.borrow().len() >= count).await;
}

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    type ChannelWatch;
    #[wasm_bindgen(js_name = watchChannelHandlers)]
    fn watch_channel_handlers() -> ChannelWatch;
    #[wasm_bindgen(method)]
    fn listening(this: &ChannelWatch) -> u32;
    #[wasm_bindgen(method)]
    fn restore(this: &ChannelWatch);
}

#[wasm_bindgen_test]
async fn logout_during_a_refresh_stays_logged_out_and_is_heard() {
    // 1. Tab A refreshes; its token request waits at the endpoint.
    // 2. Meanwhile tab B logs out; then A's request completes.
    // 3. A's write is fenced and A sees the logout: refresh() rejects with
    //    LoggedOutError, saying that the tokens its save() got are the
    //    logged-out session's, and carrying them; the session stays out.
    // 4. Subscribers of this session hear "logout"; those of another session hear nothing.
    let session = Session::new();
    let other_session = Session {
        database: session.database.clone(),
        session: unique("other"),
    };
    let world = token_world(120);
    let (a, b, c) = (
        session.open().await,
        session.open().await,
        session.open().await,
    );
    let stranger = other_session.open().await;
    let (heard, _) = recorder(&c);
    let (stranger_heard, _) = recorder(&stranger);
    done(a.restore_session(tokens("secret-access-0", Some("secret-refresh-0"))))
        .await
        .unwrap();
    let (a_calling, let_a_through) = arm_gate(&world);
    let flow_a = JsFuture::from(a.refresh(handlers_of(&world)));
    let logout_b = async {
        JsFuture::from(a_calling).await.unwrap();
        done(b.on_logout()).await.unwrap();
        let_a_through.call0(&JsValue::NULL).unwrap();
    };
    let (result_a, ()) = futures::join!(flow_a, logout_b);
    let error = assert_error(result_a, "LoggedOutError");
    assert!(
        message(&error).contains("remove them"),
        "{}",
        message(&error)
    );
    let issued = field(&error, "tokens");
    assert!(issued.is_object(), "the error carries the saved tokens");
    assert_ne!(field(&issued, "refreshToken"), s("secret-refresh-0"));
    assert!(field(&issued, "refreshToken").is_string());
    let record = raw_record(&session.database, &session.session).await;
    assert!(field(&record, "hash").is_null(), "still logged out");
    assert!(lock_now(&c).await.db_hash().is_null());
    heard_at_least(&heard, 1).await;
    quiet().await;
    let heard = heard.borrow();
    assert_eq!(heard.len(), 1, "one event: the logout");
    assert_eq!(field(&heard[0], "type"), s("logout"));
    assert_eq!(field(&heard[0], "session"), s(&session.session));
    assert!(field(&heard[0], "dbHash").is_null());
    assert!(
        stranger_heard.borrow().is_empty(),
        "another session hears nothing"
    );
}

#[wasm_bindgen_test]
async fn saves_are_heard_by_other_contexts_and_unsubscribe_stops_it() {
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let (heard, unsubscribe) = recorder(&b);
    let (own, _) = recorder(&a);
    let guard = lock_now(&a).await;
    done(guard.save_in_memory_and_db(tokens("secret-access-1", None)))
        .await
        .unwrap();
    guard.release();
    heard_at_least(&heard, 1).await;
    quiet().await;
    {
        let heard = heard.borrow();
        assert_eq!(heard.len(), 1);
        assert_eq!(field(&heard[0], "type"), s("refreshed"));
        assert_eq!(
            field(&heard[0], "dbHash").as_string(),
            a.known_session_hash().as_string()
        );
        assert_eq!(field(&heard[0], "generation").as_f64(), Some(1.0));
    }
    assert!(own.borrow().is_empty(), "a context does not hear itself");
    unsubscribe.call0(&JsValue::NULL).unwrap();
    unsubscribe.call0(&JsValue::NULL).unwrap();
    let guard = lock_now(&a).await;
    done(guard.save_in_memory_and_db(tokens("secret-access-2", None)))
        .await
        .unwrap();
    quiet().await;
    assert_eq!(heard.borrow().len(), 1, "no events after unsubscribe");
    assert_error(b.subscribe(JsValue::from(5)), "InvalidArgumentError");
    b.close();
    assert_error(b.subscribe(noop().into()), "ClosedError");
}

#[wasm_bindgen_test]
async fn a_context_listens_only_while_it_has_listeners() {
    // A context that subscribes to nothing does no work when another
    // writes: its channel gets a message handler with the first listener
    // and loses it with the last.
    let watch = watch_channel_handlers();
    let session = Session::new();
    let (a, b) = (session.open().await, session.open().await);
    let idle = watch.listening();
    let (heard, unsubscribe) = recorder(&b);
    let with_one = watch.listening();
    let (_, unsubscribe_other) = recorder(&b);
    unsubscribe.call0(&JsValue::NULL).unwrap();
    let with_the_other = watch.listening();
    unsubscribe_other.call0(&JsValue::NULL).unwrap();
    let with_none = watch.listening();
    let (heard_again, _) = recorder(&b);
    watch.restore();
    assert_eq!(idle, 0, "no handler while nothing is subscribed");
    assert_eq!(with_one, 1);
    assert_eq!(with_the_other, 1, "one listener left");
    assert_eq!(with_none, 0, "the last listener took the handler away");
    // Subscribing again hears the next save.
    let guard = lock_now(&a).await;
    done(guard.save_in_memory_and_db(tokens("secret-access-1", None)))
        .await
        .unwrap();
    heard_at_least(&heard_again, 1).await;
    assert!(
        heard.borrow().is_empty(),
        "the first listener left before the save"
    );
}

/// After `close()`, a manager's listeners hear nothing, even while a
/// refresh of it runs on to its end (its channel stays open for that
/// refresh's own message). The channels of one page get a message in the
/// order they were made, so once a later one heard it, the closed one would
/// have too.
#[wasm_bindgen_test]
async fn a_closed_manager_hears_nothing_while_its_refresh_runs_on() {
    let session = Session::new();
    let a = session.open().await;
    done(a.restore_session(tokens("secret-access-0", None)))
        .await
        .unwrap();
    let (closed, _) = recorder(&a);
    let (b, later) = (session.open().await, session.open().await);
    let (heard, _) = recorder(&later);
    let gated = gated_handlers(&tokens("secret-access-1", None), &JsValue::NULL);
    let refreshing = JsFuture::from(a.refresh(field(&gated, "handlers")));
    JsFuture::from(js_sys::Promise::from(field(&gated, "entered")))
        .await
        .unwrap();
    a.close();
    done(b.on_logout()).await.unwrap();
    heard_at_least(&heard, 1).await;
    assert!(closed.borrow().is_empty(), "the closed manager heard it");
    let open: Function = field(&gated, "open").unchecked_into();
    open.call0(&JsValue::NULL).unwrap();
    assert_error(refreshing.await, "LoggedOutError");
}

/// A listener that closes its manager is the last of it to hear that
/// event: listeners are called in turn, and each only while still
/// subscribed.
#[wasm_bindgen_test]
async fn a_listener_that_closes_its_manager_is_the_last_to_hear() {
    let session = Session::new();
    let a = Rc::new(session.open().await);
    let b = session.open().await;
    let (closing, closed) = (a.clone(), Rc::new(std::cell::Cell::new(false)));
    let first = closed.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        first.set(true);
        closing.close();
    })
    .into_js_value();
    a.subscribe(listener.unchecked_into()).unwrap();
    let (second, _) = recorder(&a);
    done(b.on_logout()).await.unwrap();
    // Both are called in one turn, once the first is.
    until("the first listener", 5_000, || closed.get()).await;
    assert!(second.borrow().is_empty(), "heard after close()");
}
