//! Telling the other contexts of a session that the stored hash changed.
//! A notification carries the hash and the generation, never a token.

use super::SessionHash;

/// What happened to the stored session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// New tokens were stored (a refresh, or a mismatch resolved).
    Refreshed,
    /// The session was logged out.
    Logout,
}

/// A change of the stored session, as broadcast to other contexts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// What happened.
    pub kind: NotificationKind,
    /// The hash now stored (`None` after a logout).
    pub hash: Option<SessionHash>,
    /// The generation now stored.
    pub generation: u64,
}

/// Delivers notifications to the other contexts of the session.
pub trait Notifier {
    /// Sends `notification`; delivery is best effort and never fails the write.
    fn notify(&self, notification: &Notification);
}

/// No notifications.
impl Notifier for () {
    fn notify(&self, _: &Notification) {}
}
