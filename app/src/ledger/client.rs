//! The island's bridge to the tablet's store (`public/ledger/store.js`): IndexedDB and
//! the sync engine live there so the service worker can use them too. Values cross as
//! JSON strings.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "/ledger/store.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn boot() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn changes(full: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = saveEntry)]
    async fn save_entry(change: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn discard(client_id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn acknowledge(id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = signOut)]
    async fn sign_out() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = syncNow)]
    fn sync_now_js();
    #[wasm_bindgen(js_name = configure)]
    fn configure_js(delays: &str);
    #[wasm_bindgen(js_name = storedLanguage)]
    fn stored_language_js() -> String;
    #[wasm_bindgen(js_name = chooseLanguage)]
    fn choose_language_js(code: &str);
}

/// The language chosen on this tablet (kept with the tablet, so it holds offline).
pub fn stored_language() -> Option<String> {
    Some(stored_language_js()).filter(|s| !s.is_empty())
}

pub fn choose_language(code: &str) {
    choose_language_js(code);
}

fn text(r: Result<JsValue, JsValue>) -> Result<String, String> {
    match r {
        Ok(v) => Ok(v.as_string().unwrap_or_default()),
        Err(e) => {
            Err(js_sys::Error::from(e).message().as_string().unwrap_or_else(|| "the tablet's storage failed".into()))
        }
    }
}

pub async fn open() -> Result<String, String> {
    text(boot().await)
}

/// What changed since the last read; entries only when something besides this
/// screen's own saves (which it merges itself) wrote them, or when `full`.
pub async fn read_changes(full: bool) -> Result<String, String> {
    text(changes(full).await)
}

pub async fn save(change: &str) -> Result<String, String> {
    text(save_entry(change).await)
}

pub async fn drop_rejected(client_id: &str) -> Result<String, String> {
    text(discard(client_id).await)
}

pub async fn accept_conflict(id: &str) -> Result<String, String> {
    text(acknowledge(id).await)
}

pub async fn leave() -> Result<String, String> {
    text(sign_out().await)
}

pub fn sync_now() {
    sync_now_js();
}

pub fn configure(delays_json: &str) {
    configure_js(delays_json);
}

/// Now, by the tablet's clock (chrono's own clock is not available in the browser).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Registers the ledger's service worker (scope `/ledger`), so the next visit opens offline.
pub fn register_worker() {
    let Some(window) = web_sys::window() else { return };
    let container = window.navigator().service_worker();
    let options = web_sys::RegistrationOptions::new();
    options.set_scope("/ledger");
    options.set_type("module");
    let _ = container.register_with_options("/sw.js", &options);
}
