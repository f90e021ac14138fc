//! The headers every answer carries:
//!
//! - `X-Content-Type-Options: nosniff`: a browser takes each answer as the
//!   type it says it is (a CSV export is never run as a script).
//! - `Referrer-Policy: no-referrer`: links to other sites say nothing of
//!   the page they were on; the service itself never reads `Referer`.
//! - `Content-Security-Policy`: pages load scripts, styles and images only
//!   from the service itself, run no inline script or style, send forms
//!   and `fetch` only to it, and are never framed (`frame-ancestors
//!   'none'`); any other answer may load nothing at all.
//! - `Cache-Control: no-store` on every answer to a request that carries
//!   credentials (a bearer token or the console's session cookie) and on
//!   every console path: private data (households' records, the access
//!   log, tokens, the console's pages) is never answered without them, so
//!   none of it is kept by a browser or a proxy. Public answers keep their
//!   own caching.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of pages.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";
/// The policy of every other answer.
pub const OTHER_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Paths of the console, whose answers are private whoever asks.
fn console_path(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/") || path == "/login" || path == "/logout"
}

/// Whether a request carries a bearer token or the console's session.
fn carries_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|kv| {
                kv.trim()
                    .split_once('=')
                    .is_some_and(|(k, _)| k == crate::web::console::SESSION_COOKIE)
            })
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let private = console_path(req.uri().path()) || carries_credentials(req.headers());
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if html { PAGE_POLICY } else { OTHER_POLICY }),
    );
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_a_token_or_the_session_cookie() {
        let mut h = HeaderMap::new();
        assert!(!carries_credentials(&h));
        h.insert(header::COOKIE, HeaderValue::from_static("theme=dark"));
        assert!(!carries_credentials(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; sovang_session=abc"),
        );
        assert!(carries_credentials(&h));
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(carries_credentials(&h));
    }

    #[test]
    fn the_console_is_private_and_its_look_alikes_are_not() {
        assert!(console_path("/console"));
        assert!(console_path("/console/f/HN-VNN/audit"));
        assert!(console_path("/login"));
        assert!(!console_path("/consoles"));
        assert!(!console_path("/f/HN-VNN"));
    }
}
