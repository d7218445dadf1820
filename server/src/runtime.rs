//! The process's long-lived parts that handlers reach through an `Extension`: the live
//! event hub and the notification providers (with their circuit breakers).

use crate::live::hub::Hub;
use crate::notify::Notifier;
use std::sync::Arc;

pub struct Runtime {
    pub hub: Arc<Hub>,
    pub notifier: Arc<Notifier>,
}
