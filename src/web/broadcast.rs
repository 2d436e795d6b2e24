//! Notifications over `BroadcastChannel`: after a save or a logout, every
//! other context of the same session hears `{ type, session, dbHash,
//! generation }`. Messages carry hashes, never tokens.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

use super::global::{hash_or_null, property};
use crate::core::{Notification, NotificationKind, Notifier};

/// This context's listeners, and the channel's message handler, attached
/// only while there is a listener: a context that subscribes to nothing
/// does no work when another context writes.
#[derive(Default)]
pub struct Listeners {
    list: RefCell<Vec<(u32, Function)>>,
    channel: Option<BroadcastChannel>,
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl Listeners {
    fn listen(&self, on: bool) {
        if let (Some(channel), Some(handler)) = (&self.channel, &self.on_message) {
            channel.set_onmessage(on.then(|| handler.as_ref().unchecked_ref()));
        }
    }
}

/// One session's channel, and the listeners of this context.
pub struct BroadcastNotifier {
    session: String,
    listeners: Rc<Listeners>,
    next_id: Cell<u32>,
}

impl BroadcastNotifier {
    /// Joins the channel `name` for `session`. Where `BroadcastChannel` is
    /// missing, notifications are neither sent nor received.
    pub fn new(name: &str, session: String) -> Self {
        let channel = property(&js_sys::global(), "BroadcastChannel")
            .and_then(|_| BroadcastChannel::new(name).ok());
        let listeners = Rc::new_cyclic(|me: &Weak<Listeners>| {
            let (me, session) = (me.clone(), session.clone());
            let on_message = channel.as_ref().map(|_| {
                Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
                    deliver(&me, &session, &message.data());
                })
            });
            Listeners {
                list: RefCell::default(),
                channel,
                on_message,
            }
        });
        Self {
            session,
            listeners,
            next_id: Cell::new(0),
        }
    }

    /// Adds `listener`; returns its id for [`unsubscribe`].
    pub fn subscribe(&self, listener: Function) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let mut list = self.listeners.list.borrow_mut();
        list.push((id, listener));
        if list.len() == 1 {
            self.listeners.listen(true);
        }
        id
    }

    /// A weak handle for removing listeners later.
    pub fn listeners(&self) -> Weak<Listeners> {
        Rc::downgrade(&self.listeners)
    }

    /// Leaves the channel and drops every listener.
    pub fn close(&self) {
        self.unsubscribe_all();
        if let Some(channel) = &self.listeners.channel {
            channel.close();
        }
    }

    /// Drops every listener; notifications are still sent.
    pub fn unsubscribe_all(&self) {
        self.listeners.listen(false);
        self.listeners.list.borrow_mut().clear();
    }
}

impl Drop for BroadcastNotifier {
    /// A manager dropped without `close()` (garbage-collected, say) must not
    /// leave the channel calling into its freed message handler.
    fn drop(&mut self) {
        self.close();
    }
}

/// Removes listener `id`, if still there. Harmless to call twice.
pub fn unsubscribe(listeners: &Weak<Listeners>, id: u32) {
    if let Some(listeners) = listeners.upgrade() {
        let mut list = listeners.list.borrow_mut();
        list.retain(|(other, _)| *other != id);
        if list.is_empty() {
            listeners.listen(false);
        }
    }
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property of a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// The event object listeners receive, built from checked fields only.
fn event(kind: &str, session: &str, db_hash: &JsValue, generation: f64) -> Object {
    let event = Object::new();
    set(&event, "type", &JsValue::from_str(kind));
    set(&event, "session", &JsValue::from_str(session));
    set(&event, "dbHash", db_hash);
    set(&event, "generation", &JsValue::from(generation));
    event
}

/// Checks a received message and hands it to every listener. Malformed
/// messages and messages of another session are ignored.
fn deliver(listeners: &Weak<Listeners>, session: &str, data: &JsValue) {
    let Some(listeners) = listeners.upgrade() else {
        return;
    };
    let field = |key: &str| Reflect::get(data, &JsValue::from_str(key)).unwrap_or_default();
    let kind = field("type").as_string();
    let db_hash = field("dbHash");
    let generation = field("generation").as_f64();
    let valid_hash = db_hash.is_null() || db_hash.as_string().is_some_and(|h| h.starts_with("0x"));
    let (Some(kind), Some(generation)) = (kind, generation) else {
        return;
    };
    if !matches!(kind.as_str(), "refreshed" | "logout")
        || field("session").as_string().as_deref() != Some(session)
        || !valid_hash
    {
        return;
    }
    let event = event(&kind, session, &db_hash, generation);
    // Copy the list first: a listener may unsubscribe (or close the
    // manager) while being called; each is called only while subscribed.
    let current: Vec<(u32, Function)> = listeners.list.borrow().clone();
    for (id, listener) in current {
        if !listeners
            .list
            .borrow()
            .iter()
            .any(|(other, _)| *other == id)
        {
            continue;
        }
        if let Err(error) = listener.call1(&JsValue::UNDEFINED, &event) {
            web_sys::console::error_2(
                &"cross-tab-refresh: a subscribe() listener threw".into(),
                &error,
            );
        }
    }
}

impl Notifier for BroadcastNotifier {
    fn notify(&self, notification: &Notification) {
        let Some(channel) = &self.listeners.channel else {
            return;
        };
        let kind = match notification.kind {
            NotificationKind::Refreshed => "refreshed",
            NotificationKind::Logout => "logout",
        };
        let db_hash = hash_or_null(notification.hash.as_ref());
        // Generations stay below 2^53, so the conversion is exact.
        let message = event(
            kind,
            &self.session,
            &db_hash,
            notification.generation as f64,
        );
        // Best effort: a closed channel must not fail the write that happened.
        let _ = channel.post_message(&message);
    }
}
