//! Who is signed in to the console, and how every form is guarded: the
//! session cookie (a random secret, of which only the SHA-256 is stored),
//! the `Staff` extractor, sign-in and sign-out, the session's CSRF token
//! and the one-time nonce that becomes a form's idempotency key.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use rand::RngCore;
use sha2::{Digest, Sha256};

use std::time::Instant;

use super::random_hex;
use crate::auth::{password_matches, Caller};
use crate::service::append::idempotency_key;
use crate::service::throttle::Verdict;
use crate::service::AppState;
use crate::store::writer::IdempotencyKey;
use crate::web::{html, lang_of, other_lang, page_error, Text};

/// Name of the session cookie.
pub const COOKIE: &str = "sovang_session";
/// Longest form nonce taken: a form's own 32 hex digits, or on the
/// approvals page those and the row's action and distribution id.
const NONCE_MAX: usize = 128;

/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

/// A password for a demo user: 16 characters, easy to copy.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter()
        .map(|x| char::from(ALPHABET[usize::from(*x) % ALPHABET.len()]))
        .collect()
}

fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Someone signed in to the console.
pub struct Staff {
    pub(super) caller: Caller,
    pub(super) name: String,
    pub(super) csrf: String,
    pub(super) t: &'static Text,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let t = lang_of(&query);
        let to_login = || Redirect::to(&format!("/login?lang={}", t.lang)).into_response();
        let Some(secret) = cookie_value(&parts.headers) else {
            return Err(to_login());
        };
        match s.store.session(&secret_hash(&secret)).await {
            Ok(Some(session)) => Ok(Staff {
                caller: Caller(session.principal),
                name: session.name,
                csrf: session.csrf,
                t,
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(page_error(e)),
        }
    }
}

impl Staff {
    /// Whether a form carries this session's CSRF token.
    pub(super) fn csrf_ok(&self, form: &HashMap<String, String>) -> bool {
        form.get("csrf")
            .is_some_and(|t| same_secret(t.as_bytes(), self.csrf.as_bytes()))
    }
}

/// Compares two secrets in time that depends on their length only, not
/// on where they first differ.
pub(super) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to a form without this session's CSRF token.
pub(super) fn forged_form() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html("<!doctype html><p>Sổ Vàng: this form has expired or did not come from Sổ Vàng; nothing was recorded.</p>"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Text,
    other_lang_href: String,
    username: String,
    error: Option<String>,
    /// The sign-in form's CSRF token, also in its cookie.
    csrf: String,
}

/// The cookie that carries the sign-in form's CSRF token: a page of
/// another site cannot read it, so it cannot send a form that matches
/// (signing a person in as someone else).
const LOGIN_COOKIE: &str = "sv_login";

/// The sign-in form, with a fresh CSRF token in a cookie and in the form.
pub(super) async fn login_form(Query(q): Query<Vec<(String, String)>>) -> Response {
    let t = lang_of(&q);
    let csrf = random_hex(16);
    let mut res = html(LoginPage {
        t,
        other_lang_href: other_lang(t, "/login", &q),
        username: String::new(),
        error: None,
        csrf: csrf.clone(),
    })
    .into_response();
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The sign-in form's token from its cookie, if the request has one.
fn login_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The address a request came from, where the server knows it (not behind
/// a proxy's headers, which a client could write).
pub(super) struct ClientAddr(Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

pub(super) async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let t = lang_of(&q);
    // The form's token must match its cookie, compared in constant time.
    let Some(csrf) = login_cookie(&headers).filter(|c| {
        form.get("login_csrf")
            .is_some_and(|f| same_secret(f.as_bytes(), c.as_bytes()))
    }) else {
        return forged_form();
    };
    let username = form.get("username").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    // Back-off by name and by address: while either waits, the password is
    // not even checked.
    let mut keys = vec![format!("user:{}", username.trim().to_lowercase())];
    if let Some(a) = addr {
        keys.push(format!("addr:{a}"));
    }
    let refuse = |error: String, status: StatusCode| {
        let page = LoginPage {
            t,
            other_lang_href: other_lang(t, "/login", &q),
            username: username.clone(),
            error: Some(error),
            csrf: csrf.clone(),
        };
        (status, html(page)).into_response()
    };
    if let Verdict::Wait(wait) = s.sign_ins.check(&keys, Instant::now()) {
        tracing::info!(name_tag = %name_tag(&username), wait_s = wait.as_secs(), "sign-in waits");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut res = refuse(
            t.login_wait.replace("{minutes}", &minutes.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        );
        if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let user = match s.store.user_login(username.trim()).await {
        Ok(u) => u,
        Err(e) => return page_error(e),
    };
    // The password is checked even for an unknown name, so the answer
    // takes as long and says as little.
    let hash = user.as_ref().map_or(
        "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        |u| u.password_hash.clone(),
    );
    // Argon2 is slow by design: it runs on a blocking thread, so sign-ins
    // never hold up the threads that answer every other request.
    let checked = {
        let password = password.clone();
        let Ok(_turn) = s.password_checks.acquire().await else {
            return page_error("the password checks are closed");
        };
        tokio::task::spawn_blocking(move || password_matches(&password, &hash)).await
    };
    let ok = match checked {
        Ok(ok) => ok,
        Err(e) => return page_error(e),
    };
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(name_tag = %name_tag(&username), "sign-in refused");
        s.sign_ins.failed(&keys, Instant::now());
        return refuse(t.login_failed.to_owned(), StatusCode::UNAUTHORIZED);
    };
    s.sign_ins.succeeded(&keys);
    let secret = random_hex(32);
    let expires = crate::ledger::ids::format_timestamp(
        time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS),
    );
    if let Err(e) = s
        .store
        .create_session(&secret_hash(&secret), &user.id, &random_hex(16), &expires)
        .await
    {
        return page_error(e);
    }
    tracing::info!(user = %user.id, "signed in");
    let secure = if s.settings.server.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&format!("/console?lang={}", t.lang)),
    )
        .into_response()
}

pub(super) async fn logout(
    State(s): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    if let Some(secret) = cookie_value(&headers) {
        if let Err(e) = s.store.delete_session(&secret_hash(&secret)).await {
            return page_error(e);
        }
    }
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        )],
        Redirect::to(&format!("/?lang={}", staff.t.lang)),
    )
        .into_response()
}

/// The idempotency key of a form: its nonce, scoped to the user and the
/// form, so a second click replays the first.
pub(super) fn form_key(
    staff: &Staff,
    fund: &str,
    route: &str,
    form: &[(&String, &String)],
) -> Option<IdempotencyKey> {
    let nonce = form
        .iter()
        .find(|(k, _)| k.as_str() == "nonce")
        .map(|(_, v)| *v)
        .filter(|n| !n.is_empty() && n.len() <= NONCE_MAX)?;
    // The request is the form less its CSRF token and nonce. The key
    // names the fund: one nonce sent to two funds is two requests.
    let mut fields: Vec<(&String, &String)> = form
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "nonce"))
        .copied()
        .collect();
    fields.sort();
    // A list of string pairs always serialises.
    let request = serde_json::to_vec(&fields).ok()?;
    Some(idempotency_key(
        staff.caller.id(),
        &format!("console:{fund}:{route}:{nonce}"),
        route,
        &request,
    ))
}

/// What the log says of a username that failed to sign in: a tag, the
/// first 8 hex digits of its SHA-256, so repeated failures for one name
/// can be followed without writing down what was typed (often a password
/// in the wrong field).
fn name_tag(typed: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(typed.as_bytes())[..4])
}

#[cfg(test)]
mod name_tag_tests {
    #[test]
    fn a_failed_username_is_logged_as_a_tag_only() {
        let tag = super::name_tag("mật khẩu bí mật");
        assert_eq!(tag.len(), 8);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(tag, super::name_tag("mật khẩu bí mật"));
        assert_ne!(tag, super::name_tag("mật khẩu bí mật!"));
    }
}
