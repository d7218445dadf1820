//! The site's files (the WASM, JS, CSS, fonts and images cargo-leptos writes under the
//! site root), precompressed copies preferred, and the app's own 404 page for a path
//! that is neither a file nor a route.
//!
//! Not `leptos_axum::file_and_error_handler`: it serves each file inside
//! `Owner::new()`, a child of whatever reactive owner the worker thread ran last (often
//! another request's page render), and moves that render's response headers onto the
//! file. Under load a script went out as a 302, and the sign-in redirect it robbed went
//! out without its `Location`, leaving the browser on a blank page. `ServeDir` touches
//! no reactive state, and the 404 render gets a root owner of its own.

use app::shell;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use tower_http::services::ServeDir;

/// A read of one of the site's own files. Such requests carry the session cookies like
/// any other, but need no one's identity: the session middleware and the rate limits
/// let them through untouched (a page with lazy islands fetches a hundred chunks, and
/// each would otherwise check, or with a lapsed access cookie renew, the session).
pub fn is_site_file(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && (["/pkg/", "/fonts/", "/icons/", "/images/"].iter().any(|dir| path.starts_with(dir))
            || path == "/ledger/store.js")
}

pub fn service(
    state: &AppState,
) -> ServeDir<
    impl tower::Service<Request, Response = Response, Error = std::convert::Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static,
> {
    ServeDir::new(&*state.leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        // No directory listings or index pages: a directory is a 404 like any other miss.
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found.with_state(state.clone()))
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || provide_context(state.clone()),
        move || shell(options.clone()),
    );
    render(request).await.into_response()
}
