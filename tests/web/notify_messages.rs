//! What a context hears on its session's channel: only well-formed messages
//! of its session, each listener called on its own.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use crate::notify::{heard_at_least, recorder};
use crate::support::*;

#[wasm_bindgen(module = "/tests/web/watches.js")]
extern "C" {
    type ConsoleWatch;
    #[wasm_bindgen(js_name = watchConsoleErrors)]
    fn watch_console_errors() -> ConsoleWatch;
    #[wasm_bindgen(method)]
    fn seen(this: &ConsoleWatch) -> Vec<String>;
    #[wasm_bindgen(method)]
    fn restore(this: &ConsoleWatch);
    type ThisRecorder;
    #[wasm_bindgen(js_name = thisRecorder)]
    fn this_recorder() -> ThisRecorder;
    #[wasm_bindgen(method, getter)]
    fn listener(this: &ThisRecorder) -> js_sys::Function;
    #[wasm_bindgen(method, js_name = seen)]
    fn seen(this: &ThisRecorder) -> Vec<JsValue>;
}

/// Only a well-formed message of this session is heard, as an event built
/// from its checked fields; a listener that throws is reported on the
/// console, and the listeners after it still hear the event. Messages from
/// one channel arrive in the order they were posted, so once the last one
/// is heard, every malformed one before it has been handled.
#[wasm_bindgen_test]
async fn only_well_formed_messages_are_heard_and_a_throwing_listener_stops_no_other() {
    let session = Session::new();
    let b = session.open().await;
    let thrower = Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(|_| {
        Err(js_sys::Error::new("this listener fails").into())
    })
    .into_js_value();
    b.subscribe(thrower).unwrap();
    let (heard, _) = recorder(&b);
    let console = watch_console_errors();
    let this_of = this_recorder();
    b.subscribe(this_of.listener().into()).unwrap();
    let channel = web_sys::BroadcastChannel::new(&session.lock_name()).unwrap();
    let message = |kind: &str, session: &str, db_hash: JsValue, generation: JsValue| {
        obj(&[
            ("type", s(kind)),
            ("session", s(session)),
            ("dbHash", db_hash),
            ("generation", generation),
            ("accessToken", s("secret-access-9")),
        ])
    };
    let this = session.session.as_str();
    let one = JsValue::from(1);
    for malformed in [
        JsValue::NULL,
        s("refreshed"),
        message("refreshed", "another session", JsValue::NULL, one.clone()),
        message("saved", this, JsValue::NULL, one.clone()),
        message("refreshed", this, s("ab12"), one.clone()),
        message("refreshed", this, JsValue::from(12), one.clone()),
        message("logout", this, JsValue::NULL, s("1")),
        message("logout", this, JsValue::NULL, JsValue::UNDEFINED),
    ] {
        channel.post_message(&malformed).unwrap();
    }
    channel
        .post_message(&message("refreshed", this, s("0x12ab"), JsValue::from(7)))
        .unwrap();
    heard_at_least(&heard, 1).await;
    console.restore();
    channel.close();
    let heard = heard.borrow();
    assert_eq!(heard.len(), 1, "only the well-formed message is heard");
    let event = &heard[0];
    assert_eq!(field(event, "type"), s("refreshed"));
    assert_eq!(field(event, "session"), s(this));
    assert_eq!(field(event, "dbHash"), s("0x12ab"));
    assert_eq!(field(event, "generation"), JsValue::from(7));
    assert!(
        field(event, "accessToken").is_undefined(),
        "the event holds the checked fields only"
    );
    assert_eq!(
        this_of.seen(),
        [JsValue::UNDEFINED],
        "a listener is called with no this"
    );
    assert_eq!(
        console.seen(),
        ["cross-tab-refresh: a subscribe() listener threw"],
        "the throwing listener is reported once"
    );
}
