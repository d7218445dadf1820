//! The process's long-lived parts that handlers reach through an `Extension`: the live
//! event hub and the notification providers (with their circuit breakers).

use crate::live::hub::Hub;
use crate::notify::Notifier;
use std::sync::Arc;

pub struct Runtime {
    pub hub: Arc<Hub>,
    pub notifier: Arc<Notifier>,
    /// Turns true when the process starts shutting down: open event streams end then,
    /// or the graceful drain would wait for them forever.
    pub closing: tokio::sync::watch::Receiver<bool>,
}
