//! Notifications over `BroadcastChannel`: after a save or a logout, every
//! other context of the same session hears `{ type, session, dbHash,
//! generation }`. Messages carry hashes, never tokens. The listeners of this
//! context and the checks of what it hears are `runtime.js`'s
//! `sessionListeners`.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::BroadcastChannel;

use super::global::hash_or_null;
use crate::core::{Notification, NotificationKind, Notifier};

#[wasm_bindgen(module = "/src/web/runtime.js")]
extern "C" {
    /// `new BroadcastChannel(name)`, or `null` where there is none (or
    /// it cannot be made).
    #[wasm_bindgen(js_name = openChannel)]
    fn open_channel(name: &str) -> Option<BroadcastChannel>;
    /// One session's listeners in this context (see `runtime.js`).
    type Listeners;
    #[wasm_bindgen(js_name = sessionListeners)]
    fn session_listeners(channel: Option<&BroadcastChannel>, session: &str) -> Listeners;
    /// Adds `listener`; returns the function that removes it.
    #[wasm_bindgen(method)]
    fn add(this: &Listeners, listener: &Function) -> Function;
    #[wasm_bindgen(method)]
    fn clear(this: &Listeners);
    /// Posts one notification; a closed channel's error is ignored.
    fn post(
        channel: &BroadcastChannel,
        kind: &str,
        session: &str,
        db_hash: &JsValue,
        generation: f64,
    );
}

/// One session's channel, and the listeners of this context.
pub struct BroadcastNotifier {
    session: String,
    channel: Option<BroadcastChannel>,
    listeners: Listeners,
}

impl BroadcastNotifier {
    /// Joins the channel `name` for `session`. Where `BroadcastChannel` is
    /// missing, notifications are neither sent nor received.
    pub fn new(name: &str, session: String) -> Self {
        let channel = open_channel(name);
        let listeners = session_listeners(channel.as_ref(), &session);
        Self {
            session,
            channel,
            listeners,
        }
    }

    /// Calls `listener` with each notification this context hears from now
    /// on. Returns the function that unsubscribes it (harmless to call
    /// twice).
    pub fn subscribe(&self, listener: &Function) -> Function {
        self.listeners.add(listener)
    }

    /// Leaves the channel and drops every listener.
    pub fn close(&self) {
        self.unsubscribe_all();
        if let Some(channel) = &self.channel {
            channel.close();
        }
    }

    /// Drops every listener; notifications are still sent.
    pub fn unsubscribe_all(&self) {
        self.listeners.clear();
    }
}

impl Drop for BroadcastNotifier {
    /// A manager dropped without `close()` (garbage-collected, say) must not
    /// leave its listeners called by the channel.
    fn drop(&mut self) {
        self.close();
    }
}

impl Notifier for BroadcastNotifier {
    fn notify(&self, notification: &Notification) {
        let Some(channel) = &self.channel else {
            return;
        };
        let kind = match notification.kind {
            NotificationKind::Refreshed => "refreshed",
            NotificationKind::Logout => "logout",
        };
        // Generations stay below 2^53, so the conversion is exact.
        post(
            channel,
            kind,
            &self.session,
            &hash_or_null(notification.hash.as_ref()),
            notification.generation as f64,
        );
    }
}
