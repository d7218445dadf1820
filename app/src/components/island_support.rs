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

/// Follows one kind of event on a live topic (`/live/events?topic=…`, Server-Sent
/// Events): `on_event` gets each event's data as JSON, `on_open` runs on every
/// (re)connection (the browser reconnects and resumes by itself; catch up there), and
/// `live` says whether the stream is up now. The stream lives as long as the page.
#[cfg(feature = "hydrate")]
pub fn listen(
    topic: &str,
    kind: &str,
    mut on_event: impl FnMut(serde_json::Value) + 'static,
    on_open: impl Fn() + 'static,
    live: WriteSignal<bool>,
) {
    listen_kinds(topic, &[kind], move |_, value| on_event(value), on_open, live);
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// One stream per topic for the whole page: every island of it listens on the same
    /// connection (a browser allows six per site; a tower of islands would use them up).
    static SOURCES: std::cell::RefCell<std::collections::HashMap<String, web_sys::EventSource>> =
        Default::default();
}

/// As [`listen`], for several kinds of event at once; `on_event` gets the kind too.
#[cfg(feature = "hydrate")]
pub fn listen_kinds(
    topic: &str,
    kinds: &[&str],
    on_event: impl FnMut(&str, serde_json::Value) + 'static,
    on_open: impl Fn() + 'static,
    live: WriteSignal<bool>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let existing = SOURCES.with(|s| s.borrow().get(topic).cloned());
    let source = match existing {
        Some(source) => {
            // Joining a stream that is already open: it will not open again for us.
            if source.ready_state() == web_sys::EventSource::OPEN {
                live.set(true);
            }
            source
        }
        None => {
            let Ok(source) = web_sys::EventSource::new(&format!("/live/events?topic={topic}")) else { return };
            SOURCES.with(|s| s.borrow_mut().insert(topic.to_string(), source.clone()));
            source
        }
    };
    let on_event = std::rc::Rc::new(std::cell::RefCell::new(on_event));
    for kind in kinds {
        let (on_event, kind_name) = (on_event.clone(), kind.to_string());
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(text) = e.data().as_string() else { return };
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                (on_event.borrow_mut())(&kind_name, value);
            }
        });
        let _ = source.add_event_listener_with_callback(kind, on_message.as_ref().unchecked_ref());
        on_message.forget();
    }
    let opened = Closure::<dyn FnMut()>::new(move || {
        live.set(true);
        on_open();
    });
    let on_error = Closure::<dyn FnMut()>::new(move || live.set(false));
    let _ = source.add_event_listener_with_callback("open", opened.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    opened.forget();
    on_error.forget();
}
