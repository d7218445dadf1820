//! The browser entry: wakes the islands the server rendered. Nothing else lives here.

// Linking `app` is what brings each island's hydration export into the bundle.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
