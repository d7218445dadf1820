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
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
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
            || path == "/ledger/store.js"
            || (path.starts_with("/field/") && path.ends_with(".js")))
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

/// A year, and never revalidated: the name changes whenever the contents do.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose names stay the same from build to build (fonts, icons, the ledger's
/// store module, wasm-bindgen's snippets): a browser asks again after an hour, and an
/// unchanged file costs a 304.
const REVALIDATED: &str = "public, max-age=3600, must-revalidate";

/// `Cache-Control` of the site's files, by their names.
pub async fn cache_policy(request: Request, next: Next) -> Response {
    let site_file = is_site_file(request.method(), request.uri().path());
    let policy = if site_file { Some(cache_control_for(request.uri().path())) } else { None };
    let mut response = next.run(request).await;
    if let Some(policy) = policy
        && (response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED)
    {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

pub fn cache_control_for(path: &str) -> &'static str {
    if path.starts_with("/pkg/") && has_content_hash(path.rsplit('/').next().unwrap_or_default()) {
        IMMUTABLE
    } else {
        REVALIDATED
    }
}

/// cargo-leptos names a hashed file `<stem>.<hash>.<ext>` (or `<hash>.<ext>` when the
/// splitter already named a chunk by its hash), the hash being an MD5 in unpadded
/// base64url (22 characters). The unhashed split loader is
/// `__wasm_split.<22 underscores>.js`, which must not pass for one.
fn has_content_hash(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 2
        && parts[..parts.len() - 1].iter().any(|part| {
            part.len() == 22
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && part.bytes().any(|b| b != b'_')
        })
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || provide_context(state.clone()),
        move || shell(options.clone()),
    );
    render(request).await.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_kept_for_a_year_and_the_rest_revalidated() {
        for hashed in [
            "/pkg/mandi.ZmYkJ0zSg4AcS3d8JfxMWw.js",
            "/pkg/mandi.Q-a_9xT4mDq8cFpYH2kS1g.wasm",
            "/pkg/mandi.abcdefghijklmnopqrstuv.css",
            "/pkg/__wasm_split.3hV8tXq0mJ4hYcLz_Rk2Ww.js",
            "/pkg/__wasm_split_manifest.3hV8tXq0mJ4hYcLz_Rk2Ww.json",
            "/pkg/mandi.ZmYkJ0zSg4AcS3d8JfxMWw.js.br",
            "/pkg/ZmYkJ0zSg4AcS3d8JfxMWw.wasm",
        ] {
            assert_eq!(cache_control_for(hashed), IMMUTABLE, "{hashed}");
        }
        for plain in [
            "/pkg/mandi.js",
            "/pkg/mandi.wasm",
            "/pkg/__wasm_split.______________________.js",
            "/pkg/snippets/app-1a2b/inline0.js",
            "/pkg/mandi.too-short.js",
            "/fonts/noto-sans-tamil-tamil-400-normal.woff2",
            "/icons/icon.ZmYkJ0zSg4AcS3d8JfxMWw.png",
            "/ledger/store.js",
        ] {
            assert_eq!(cache_control_for(plain), REVALIDATED, "{plain}");
        }
    }
}
