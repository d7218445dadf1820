//! The storefront's listing pages (`/` and `/search`) and the public trace pages of lots
//! (`/trace/{code}`) as rendered, kept for visitors who are not signed in: the page a
//! query produces for one of them is the page it produces for all of them, and
//! rendering it again for each was most of what a listing cost once its data came from
//! the catalogue's own cache (and, for a lot with a long history, rendering every event).
//!
//! A page is fresh for as long as the catalogue keeps the listing it shows
//! (`catalog_listing_cache_ms`); then the next visitor's request renders it anew
//! while the others still get the kept one, for at most as long again. Nothing is
//! kept when that setting is zero (tests). Signed-in visitors, other methods, other
//! paths and anything but a plain 200 page go through untouched.
//!
//! Each answer still gets its own script nonce: the kept page is split where its
//! nonce was, and a fresh one is put in those places and in the response's
//! Content-Security-Policy. Reusing one nonce for many visitors would let a script
//! injected into the page run with a nonce an attacker had read from their own copy.

use app::account::session::Session;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The pages kept: those whose content is a catalogue listing and nothing personal.
const LISTING_PAGES: &[&str] = &["/", "/search"];

/// A lot's public trace page (not its pictures, which carry their own cache headers).
fn trace_page(path: &str) -> bool {
    path.strip_prefix("/trace/").is_some_and(|code| !code.is_empty() && !code.contains('/'))
}

/// A product's page. It shows stock, which may be at most two seconds old (the
/// seeds' freshness objective): it is kept fresh for half as long as a listing (a
/// second at the default), and its stock was itself read at most a second before.
fn product_page(path: &str) -> bool {
    path.strip_prefix("/products/").is_some_and(|slug| !slug.is_empty() && !slug.contains('/'))
}

/// Memory the kept pages may take in all (a listing page is 35–50 KB; many distinct
/// queries evict the least used rather than grow the process).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A page larger than this is served but not kept.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct PageCache {
    pages: moka::future::Cache<String, Arc<KeptPage>>,
    fresh_for: Duration,
}

struct KeptPage {
    /// The response's headers but its policy and length (set again per answer).
    headers: HeaderMap,
    /// The body cut at each occurrence of the nonce it was rendered with.
    pieces: Vec<Bytes>,
    kept_at: Instant,
    /// A visitor's request is rendering this page anew.
    refreshing: AtomicBool,
}

/// Lets a lapsed page be refreshed again if its refreshing request ends without
/// replacing it (the visitor went away mid-render).
struct Refreshing<'a>(&'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl KeptPage {
    fn weight(&self) -> u32 {
        let body: usize = self.pieces.iter().map(Bytes::len).sum();
        u32::try_from(body + 1024).unwrap_or(u32::MAX)
    }

    fn answer(&self) -> Response {
        let nonce = leptos::nonce::Nonce::new();
        let length = self.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (self.pieces.len() - 1);
        let mut body = Vec::with_capacity(length);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        let policy = HeaderValue::from_str(&app::content_security_policy(&nonce)).expect("ascii policy");
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
        response.headers_mut().insert(header::AGE, HeaderValue::from(self.kept_at.elapsed().as_secs()));
        response
    }
}

impl PageCache {
    /// Pages are fresh for `ttl`, then served for at most as long again while one
    /// visitor's request renders them anew (what Varnish calls grace and nginx
    /// `proxy_cache_use_stale updating`): when they simply lapsed, every visitor
    /// arriving during the one render waited for it, and those waits were the
    /// slowest answers. `None` when pages are not to be kept (`ttl` zero).
    pub fn new(ttl: Duration) -> Option<PageCache> {
        (!ttl.is_zero()).then(|| PageCache {
            pages: moka::future::Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|_key: &String, page: &Arc<KeptPage>| page.weight())
                .time_to_live(ttl * 2)
                .build(),
            fresh_for: ttl,
        })
    }
}

impl PageCache {
    /// Drops every kept page: the catalogue changed.
    pub fn forget(&self) {
        self.pages.invalidate_all();
    }
}

/// The key of a request whose page may be kept and shared, or `None`.
fn shared_key(request: &Request) -> Option<String> {
    let anonymous = request.extensions().get::<Session>().is_none();
    let path = request.uri().path();
    (request.method() == Method::GET
        && anonymous
        && (LISTING_PAGES.contains(&path) || trace_page(path) || product_page(path)))
    .then(|| match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

/// Whether a rendered response may be kept: a whole 200 HTML page that sets no cookie.
fn keepable(response: &Response) -> bool {
    let headers = response.headers();
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/html"));
    let whole = !headers.contains_key(header::CONTENT_ENCODING) && !headers.contains_key(header::SET_COOKIE);
    response.status() == StatusCode::OK && html && whole
}

/// Runs the render with a nonce slot the render fills (`app::shell`, through the
/// security headers' `page_policy`), so the nonce it used can be cut out.
async fn run(mut request: Request, next: Next) -> (Response, Option<String>) {
    let slot = app::PageNonce::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    let nonce = slot.0.lock().expect("nonce slot").take().filter(|n| !n.is_empty());
    (response, nonce)
}

fn cut_at_nonce(body: &Bytes, nonce: &str) -> Option<Vec<Bytes>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut pieces = Vec::new();
    let mut from = 0;
    for (at, _) in text.match_indices(nonce) {
        pieces.push(body.slice(from..at));
        from = at + nonce.len();
    }
    pieces.push(body.slice(from..));
    Some(pieces)
}

pub async fn serve(cache: Option<PageCache>, request: Request, next: Next) -> Response {
    let (Some(cache), Some(key)) = (cache, shared_key(&request)) else {
        return next.run(request).await;
    };
    // Visitors who ask for a page while it is being rendered wait for that render
    // rather than each rendering it: when a kept page lapses under load, 64 renders
    // at once were the slowest answers of all.
    let mut unserved = Some((request, next));
    let mut rendered = None;
    let kept = cache
        .pages
        .optionally_get_with(key.clone(), async {
            let (request, next) = unserved.take()?;
            let (page, response) = render(run(request, next).await).await;
            rendered = Some(response);
            page
        })
        .await;
    if let Some(response) = rendered {
        metrics::counter!("page_cache_total", "result" => "miss").increment(1);
        return response;
    }
    let (request, next) = unserved.take().expect("a request not rendered for");
    let Some(page) = kept else {
        // The render waited for gave nothing to keep (an error page, say).
        return next.run(request).await;
    };
    let fresh_for = if key.starts_with("/products/") { cache.fresh_for / 2 } else { cache.fresh_for };
    if page.kept_at.elapsed() < fresh_for || page.refreshing.swap(true, Ordering::AcqRel) {
        metrics::counter!("page_cache_total", "result" => "hit").increment(1);
        return page.answer();
    }
    metrics::counter!("page_cache_total", "result" => "refresh").increment(1);
    let _refreshing = Refreshing(&page.refreshing);
    let (fresh, response) = render(run(request, next).await).await;
    match fresh {
        Some(fresh) => cache.pages.insert(key, fresh).await,
        // No longer a page to keep (the listing now fails, say): the next visitor renders.
        None => cache.pages.invalidate(&key).await,
    }
    response
}

/// The response to send, and the page to keep from it if it may be kept.
async fn render((response, nonce): (Response, Option<String>)) -> (Option<Arc<KeptPage>>, Response) {
    let Some(nonce) = nonce.filter(|_| keepable(&response)) else {
        return (None, response);
    };
    let (parts, body) = response.into_parts();
    // The page is our own render of a bounded listing, not a client's upload.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            // The render failed part-way; the status line has not gone out yet, so
            // the visitor gets an honest error rather than half a page.
            tracing::warn!(error = %e, "a listing page's render failed part-way");
            let failed = Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::empty())
                .expect("static response");
            return (None, failed);
        }
    };
    let page = (body.len() <= MAX_PAGE_BYTES).then(|| cut_at_nonce(&body, &nonce)).flatten().map(|pieces| {
        let mut headers = parts.headers.clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        headers.remove(header::CONTENT_LENGTH);
        Arc::new(KeptPage { headers, pieces, kept_at: Instant::now(), refreshing: AtomicBool::new(false) })
    });
    (page, Response::from_parts(parts, Body::from(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_pages_are_kept_but_nothing_below_them() {
        assert!(product_page("/products/darjeeling-first-flush"));
        for other in ["/products/", "/products/x/y", "/product/x", "/admin/catalog/x"] {
            assert!(!product_page(other), "{other}");
        }
    }

    #[test]
    fn trace_pages_are_kept_but_not_their_pictures() {
        assert!(trace_page("/trace/GH-VEG-000001"));
        for other in ["/trace/", "/trace/GH-VEG-000001/qr.svg", "/traces/x", "/admin/batches/GH-VEG-000001"] {
            assert!(!trace_page(other), "{other}");
        }
    }

    #[tokio::test]
    async fn a_kept_page_gets_a_fresh_nonce_everywhere_the_old_one_was() {
        let body = Bytes::from_static(b"<script nonce=\"OLD\">a</script><p>x</p><script nonce=\"OLD\">b</script>");
        let pieces = cut_at_nonce(&body, "OLD").unwrap();
        assert_eq!(pieces.len(), 3);
        let page =
            KeptPage { headers: HeaderMap::new(), pieces, kept_at: Instant::now(), refreshing: AtomicBool::new(false) };
        let first = page.answer();
        let second = page.answer();
        let nonce_of = |r: &Response| {
            let policy = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            policy.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned()
        };
        assert_ne!(nonce_of(&first), nonce_of(&second));
        assert_eq!(first.headers()[header::AGE], "0");
        let expected =
            format!("<script nonce=\"{n}\">a</script><p>x</p><script nonce=\"{n}\">b</script>", n = nonce_of(&first));
        let body = axum::body::to_bytes(first.into_body(), usize::MAX).await.unwrap();
        assert_eq!(body, expected.as_bytes());
    }
}
