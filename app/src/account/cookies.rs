//! The browser's session: the access JWT and the refresh token in two HttpOnly
//! cookies. SameSite=Lax keeps them off cross-site form posts (CSRF); `Secure` is set
//! whenever the site is served over TLS (always in production).

use super::tokens::{ACCESS_TTL_SECS, REFRESH_TTL_DAYS};
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

pub const ACCESS_COOKIE: &str = "mandi_session";
pub const REFRESH_COOKIE: &str = "mandi_refresh";

fn build(name: &'static str, value: String, max_age_secs: i64, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("cookie values are URL-safe ASCII")
}

/// `Set-Cookie` values that start (or continue) a session. A refresh token is
/// absent when only the access token was renewed.
pub fn session(access_token: &str, refresh_token: Option<&str>, secure: bool) -> Vec<HeaderValue> {
    let mut out = vec![build(ACCESS_COOKIE, access_token.to_string(), ACCESS_TTL_SECS as i64, secure)];
    if let Some(refresh) = refresh_token {
        out.push(build(REFRESH_COOKIE, refresh.to_string(), REFRESH_TTL_DAYS * 86_400, secure));
    }
    out
}

/// `Set-Cookie` values that end the session in this browser.
pub fn cleared(secure: bool) -> Vec<HeaderValue> {
    vec![build(ACCESS_COOKIE, String::new(), 0, secure), build(REFRESH_COOKIE, String::new(), 0, secure)]
}

/// The value of cookie `name` in a request; malformed pairs are skipped.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// The guest cart's cookie: the cart id (random, unguessable), kept for 30 days.
pub const CART_COOKIE: &str = "mandi_cart";

pub fn cart(id: Option<uuid::Uuid>, secure: bool) -> HeaderValue {
    match id {
        Some(id) => build(CART_COOKIE, id.to_string(), 30 * 86_400, secure),
        None => build(CART_COOKIE, String::new(), 0, secure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_http_only_lax_and_scoped_to_the_site() {
        let [access, refresh] = <[HeaderValue; 2]>::try_from(session("a.b.c", Some("r"), true)).unwrap();
        let access = access.to_str().unwrap();
        for part in ["mandi_session=a.b.c", "HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=900"] {
            assert!(access.contains(part), "{access} lacks {part}");
        }
        assert!(refresh.to_str().unwrap().contains("Max-Age=604800"));
        assert!(!session("x", None, false)[0].to_str().unwrap().contains("Secure"));
        assert!(cleared(false).iter().all(|c| c.to_str().unwrap().contains("Max-Age=0")));
    }

    #[test]
    fn reads_a_cookie_among_others_and_ignores_junk() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("lang=ta; mandi_session=tok; =junk; mandi_refresh="));
        assert_eq!(read(&headers, ACCESS_COOKIE).as_deref(), Some("tok"));
        assert_eq!(read(&headers, REFRESH_COOKIE), None);
        assert_eq!(read(&headers, "missing"), None);
    }
}
