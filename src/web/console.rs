//! The staff console: committee clerks and approvers sign in with a
//! password and record through forms, under the same rules, scopes and
//! idempotency as the API.
//!
//! - Passwords are Argon2id hashes; a session is a random secret in an
//!   HttpOnly, SameSite=Strict cookie (Secure when the public address is
//!   https), kept 12 hours, of which only the SHA-256 is stored.
//! - Every form carries the session's CSRF token; a POST without it, or
//!   with another, is refused (403) and records nothing.
//! - Every form also carries a one-time nonce, used as the request's
//!   idempotency key: a double-clicked submit records once, and the second
//!   click lands on the same receipt.
//! - Bad input is answered on the form itself, field by field, in the
//!   user's language (the messages of the rules are in English for now).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{html, lang_of, not_found, other_lang, page_error, Text};
use crate::http::auth::Caller;
use crate::http::AppState;
use crate::ledger::ids::Code;
use crate::ledger::kinds::EntryKind;
use crate::ledger::state::{Draft, Rejection};
use crate::store::writer::{IdempotencyKey, JobError};

/// Name of the session cookie.
const COOKIE: &str = "sovang_session";
/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/console", get(console))
        .route("/console/f/{fund}/gift", get(gift_form).post(record_gift))
        .route("/console/f/{fund}/pending", get(pending))
        .route("/console/f/{fund}/approve", post(approve))
        .route("/console/f/{fund}/audit", get(audit))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

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

/// Hashes a password with Argon2id for the users table.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string())
}

fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
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
    caller: Caller,
    name: String,
    csrf: String,
    t: &'static Text,
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
    fn csrf_ok(&self, form: &HashMap<String, String>) -> bool {
        form.get("csrf").is_some_and(|t| *t == self.csrf)
    }
}

/// The answer to a form without this session's CSRF token.
fn forged_form() -> Response {
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
    error: Option<&'static str>,
}

async fn login_form(Query(q): Query<Vec<(String, String)>>) -> Response {
    let t = lang_of(&q);
    html(LoginPage {
        t,
        other_lang_href: other_lang(t, "/login", &q),
        username: String::new(),
        error: None,
    })
}

async fn login(
    State(s): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let t = lang_of(&q);
    let username = form.get("username").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let user = match s.store.user_login(username.trim()).await {
        Ok(u) => u,
        Err(e) => return page_error(e),
    };
    // The password is checked even for an unknown name, so the answer
    // takes as long and says as little.
    let hash = user.as_ref().map_or(
        "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        |u| u.password_hash.as_str(),
    );
    let ok = password_matches(&password, hash);
    let Some(user) = user.filter(|_| ok) else {
        tracing::info!(username = %username, "sign-in refused");
        let page = LoginPage {
            t,
            other_lang_href: other_lang(t, "/login", &q),
            username,
            error: Some(t.login_failed),
        };
        return (StatusCode::UNAUTHORIZED, html(page)).into_response();
    };
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

async fn logout(
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

struct ConsoleFund {
    code: String,
    name: String,
    clerk: bool,
    approver: bool,
    inspector: bool,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    t: &'static Text,
    other_lang_href: String,
    name: String,
    role: String,
    csrf: String,
    funds: Vec<ConsoleFund>,
}

async fn console(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let t = staff.t;
    let funds = match s.store.funds().await {
        Ok(f) => f,
        Err(e) => return page_error(e),
    };
    let funds = funds
        .into_iter()
        .filter_map(|(f, _)| {
            let clerk = staff
                .caller
                .require_append(&f, &[EntryKind::DonationCash])
                .is_ok();
            let approver = staff
                .caller
                .require_append(&f, &[EntryKind::DistributionApproved])
                .is_ok();
            let inspector = staff.caller.require_inspect(&f).is_ok();
            (clerk || approver || inspector).then_some(ConsoleFund {
                code: f.code,
                name: f.name,
                clerk,
                approver,
                inspector,
            })
        })
        .collect();
    html(ConsolePage {
        t,
        other_lang_href: other_lang(t, "/console", &q),
        name: staff.name.clone(),
        role: staff.caller.role().to_owned(),
        csrf: staff.csrf.clone(),
        funds,
    })
}

#[derive(Template)]
#[template(path = "gift.html")]
struct GiftPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    csrf: String,
    nonce: String,
    form: HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl GiftPage {
    /// A field's value as sent, for refilling the form.
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    /// The messages for one field.
    fn error_for(&self, name: &str) -> Vec<&str> {
        let field = format!("body.{name}");
        self.errors
            .iter()
            .filter(|(f, _)| *f == field || f.starts_with(&format!("{field}.")))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

async fn fund_in_scope(
    s: &AppState,
    staff: &Staff,
    code: &str,
    kind: EntryKind,
) -> Result<crate::store::FundInfo, Response> {
    let Ok(fund) = s.fund(code).await else {
        return Err(not_found(staff.t));
    };
    if staff.caller.require_append(&fund, &[kind]).is_err() {
        return Err((
            StatusCode::FORBIDDEN,
            Html("<!doctype html><p>Sổ Vàng: this fund is outside your committee or role.</p>"),
        )
            .into_response());
    }
    Ok(fund)
}

async fn gift_form(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::DonationCash).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let today = crate::ledger::ids::format_date(crate::ledger::ids::today_in_vietnam(
        time::OffsetDateTime::now_utc(),
    ));
    html(GiftPage {
        t: staff.t,
        other_lang_href: other_lang(staff.t, &format!("/console/f/{}/gift", fund.code), &q),
        code: fund.code,
        fund_name: fund.name,
        csrf: staff.csrf.clone(),
        nonce: random_hex(16),
        form: HashMap::from([
            ("received_on".to_owned(), today),
            ("channel".to_owned(), "cash".to_owned()),
            ("donor_kind".to_owned(), "individual".to_owned()),
        ]),
        errors: Vec::new(),
    })
}

/// The idempotency key of a form: its nonce, scoped to the user and the
/// form, so a second click replays the first.
fn form_key(staff: &Staff, route: &str, form: &HashMap<String, String>) -> Option<IdempotencyKey> {
    let nonce = form
        .get("nonce")
        .filter(|n| !n.is_empty() && n.len() <= 64)?;
    // The request is the form less its CSRF token and nonce.
    let mut fields: Vec<(&String, &String)> = form
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "nonce"))
        .collect();
    fields.sort();
    let request = serde_json::to_vec(&fields).unwrap_or_default();
    Some(IdempotencyKey {
        scope_key: format!("{} console:{route}:{nonce}", staff.caller.id()),
        request_sha256: Sha256::digest(&request).into(),
    })
}

async fn record_gift(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::DonationCash).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut donor = json!({"kind": field("donor_kind").unwrap_or_default()});
    if let Some(d) = field("donor_display") {
        donor["display"] = json!(d);
    }
    let mut body = json!({
        "donor": donor,
        "amount_vnd": field("amount_vnd").map(|a| a.replace(['.', ' '], "")).unwrap_or_default(),
        "channel": field("channel").unwrap_or_default(),
        "received_on": field("received_on").unwrap_or_default(),
    });
    for optional in ["campaign_id", "bank_ref", "note"] {
        if let Some(v) = field(optional) {
            body[optional] = json!(v);
        }
    }
    let refill = |errors: Vec<(String, String)>| {
        let page = GiftPage {
            t: staff.t,
            other_lang_href: other_lang(staff.t, &format!("/console/f/{}/gift", fund.code), &q),
            code: fund.code.clone(),
            fund_name: fund.name.clone(),
            csrf: staff.csrf.clone(),
            nonce: form.get("nonce").cloned().unwrap_or_else(|| random_hex(16)),
            form: form.clone(),
            errors,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, html(page)).into_response()
    };
    match submit_form(&s, &staff, &fund.code, "gift", &form, "donation_cash", body).await {
        Ok(o) => {
            let code = o.body["receipt"]["code"].as_str().unwrap_or_default();
            tracing::info!(user = staff.caller.id(), fund = %fund.code, replayed = o.replayed, "gift recorded from the console");
            Redirect::to(&format!("/r/{code}?lang={}", staff.t.lang)).into_response()
        }
        Err(Refused::Fields(errors)) => refill(errors),
        Err(Refused::Page(r)) => r,
    }
}

/// Why a form's entry was not recorded.
enum Refused {
    /// Field errors to show on the form.
    Fields(Vec<(String, String)>),
    /// A page to answer with instead.
    Page(Response),
}

/// Parses a form's entry and sends it to the writer under the form's
/// nonce, as the API would: the one path every console form takes.
async fn submit_form(
    s: &AppState,
    staff: &Staff,
    fund: &str,
    route: &str,
    form: &HashMap<String, String>,
    kind: &str,
    body: Value,
) -> Result<crate::store::writer::Outcome, Refused> {
    let now = time::OffsetDateTime::now_utc();
    let draft =
        Draft::parse(kind, body, None, now).map_err(|r| Refused::Fields(rejection_errors(r)))?;
    let fund_code = Code::parse(fund, "fund").map_err(|_| Refused::Page(not_found(staff.t)))?;
    let key = form_key(staff, route, form);
    match s
        .writer
        .submit(
            fund_code,
            staff.caller.id().to_owned(),
            vec![draft],
            false,
            key,
        )
        .await
    {
        Ok(o) => Ok(o),
        Err(JobError::Rejected { rejection, .. }) => {
            Err(Refused::Fields(rejection_errors(rejection)))
        }
        Err(JobError::KeyReused { .. }) => Err(Refused::Fields(vec![(
            "body".into(),
            "this form was already sent with other values; open a new form".into(),
        )])),
        Err(e) => Err(Refused::Page(page_error(format!("{e:?}")))),
    }
}

fn rejection_errors(r: Rejection) -> Vec<(String, String)> {
    match r {
        Rejection::Invalid(errors) => errors.0.into_iter().map(|e| (e.field, e.message)).collect(),
        Rejection::Rule { field, message, .. } => vec![(field, message)],
    }
}

struct PendingRow {
    distribution_id: String,
    household_id: String,
    support_type: String,
    amount: String,
    recorded_on: String,
}

#[derive(Template)]
#[template(path = "pending.html")]
struct PendingPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    csrf: String,
    nonce: String,
    rows: Vec<PendingRow>,
    message: Option<String>,
    error: Option<String>,
}

async fn pending_page(
    s: &AppState,
    staff: &Staff,
    fund: &crate::store::FundInfo,
    q: &[(String, String)],
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let rows = match s
        .store
        .objects(
            &fund.code,
            "distribution",
            crate::store::ObjectFilter {
                status: Some("pending"),
                ..Default::default()
            },
            1000,
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let rows = rows
        .into_iter()
        .filter_map(|(_, data)| serde_json::from_str::<Value>(&data).ok())
        .map(|d| {
            let cash: u64 = d["cash_vnd"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let goods: u64 = d["goods_vnd"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            PendingRow {
                distribution_id: d["distribution_id"].as_str().unwrap_or_default().to_owned(),
                household_id: d["household_id"].as_str().unwrap_or_default().to_owned(),
                support_type: d["support_type"].as_str().unwrap_or_default().to_owned(),
                amount: super::words::vnd(cash + goods),
                recorded_on: crate::http::vn_date(d["recorded_on"].as_str().unwrap_or_default()),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = PendingPage {
        t: staff.t,
        other_lang_href: other_lang(staff.t, &format!("/console/f/{}/pending", fund.code), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        csrf: staff.csrf.clone(),
        nonce: random_hex(16),
        rows,
        message,
        error,
    };
    (status, html(page)).into_response()
}

async fn pending(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    match fund_in_scope(&s, &staff, &code, EntryKind::DistributionApproved).await {
        Ok(fund) => {
            let message = q
                .iter()
                .find(|(k, _)| k == "approved")
                .map(|(_, v)| format!("{} {v}", staff.t.approved));
            pending_page(&s, &staff, &fund, &q, message, None).await
        }
        Err(r) => r,
    }
}

async fn approve(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::DistributionApproved).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = form.get("distribution_id").cloned().unwrap_or_default();
    let mut body = json!({ "distribution_id": id });
    if let Some(d) = form.get("decision_ref").filter(|d| !d.trim().is_empty()) {
        body["decision_ref"] = json!(d.trim());
    }
    match submit_form(
        &s,
        &staff,
        &fund.code,
        "approve",
        &form,
        "distribution_approved",
        body,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/console/f/{}/pending?lang={}&approved={}",
            fund.code,
            staff.t.lang,
            super::urlencode(&id)
        ))
        .into_response(),
        Err(Refused::Fields(errors)) => {
            let msg = errors
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ");
            pending_page(&s, &staff, &fund, &q, None, Some(msg)).await
        }
        Err(Refused::Page(r)) => r,
    }
}

struct LogRow {
    at: String,
    actor: String,
    role: String,
    household_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    sound: bool,
    verification: String,
    findings: Vec<crate::ledger::findings::Finding>,
    household_id: String,
    record: Option<String>,
    log: Vec<LogRow>,
}

/// For inspectors: the fund verified now, its findings, a household's
/// private record (read and logged on request), and the log of such reads.
async fn audit(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let t = staff.t;
    let Ok(fund) = s.fund(&code).await else {
        return not_found(t);
    };
    if staff.caller.require_inspect(&fund).is_err() {
        return (
            StatusCode::FORBIDDEN,
            Html("<!doctype html><p>Sổ Vàng: auditing this fund needs an inspector of its committee or one above.</p>"),
        )
            .into_response();
    }
    let (sound, verification) = match s.store.verify_fund(&fund.code, false).await {
        Ok(summary) => (
            true,
            t.sound_ledger.replace("{size}", &summary.size.to_string()),
        ),
        Err(crate::store::verify::VerifyError::Fault(f)) => (
            false,
            t.unsound_ledger
                .replace("{seq}", &f.seq.to_string())
                .replace("{reason}", &f.reason),
        ),
        Err(e) => return page_error(e),
    };
    let options = crate::ledger::findings::Options {
        today: crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc()),
        ack_days: 30,
        pending_days: 14,
        large_anonymous_vnd: 50_000_000,
    };
    let findings = match crate::http::books::audit_findings(&s, &fund.code, options).await {
        Ok((f, _)) => f,
        Err(e) => return page_error(e),
    };
    let household_id = q
        .iter()
        .find(|(k, _)| k == "household")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or_default();
    let mut record = None;
    if !household_id.is_empty() {
        let action = format!("console: household {household_id}");
        let reader = crate::store::Reader {
            actor: staff.caller.id(),
            role: staff.caller.role(),
            committee_code: staff.caller.committee_code(),
            action: &action,
        };
        match s
            .store
            .read_private(&household_id, std::slice::from_ref(&fund.code), &reader)
            .await
        {
            Ok(found) => {
                tracing::info!(actor = staff.caller.id(), household = %household_id, "private household record read in the console");
                record = Some(match found.first() {
                    Some((_, text, _)) => serde_json::from_str::<Value>(text)
                        .and_then(|v| serde_json::to_string_pretty(&v))
                        .unwrap_or_else(|_| text.clone()),
                    None => t.not_found.to_owned(),
                });
            }
            Err(e) => return page_error(e),
        }
    }
    let log = match s
        .store
        .access_log(std::slice::from_ref(&fund.code), None, 50)
        .await
    {
        Ok(lines) => lines
            .into_iter()
            .map(|l| LogRow {
                at: l["at"].as_str().unwrap_or_default().to_owned(),
                actor: l["actor"].as_str().unwrap_or_default().to_owned(),
                role: l["role"].as_str().unwrap_or_default().to_owned(),
                household_id: l["household_id"].as_str().unwrap_or_default().to_owned(),
            })
            .collect(),
        Err(e) => return page_error(e),
    };
    html(AuditPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/audit", fund.code), &q),
        code: fund.code,
        fund_name: fund.name,
        sound,
        verification,
        findings,
        household_id,
        record,
        log,
    })
}
