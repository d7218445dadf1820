//! Small helpers islands share.

use leptos::prelude::*;

/// Sends the browser to `path` (a full page load); nothing on the server.
pub fn go(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// `data-hydrated` on an island tells tests (and people) that it is live.
pub fn hydrated_flag() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
