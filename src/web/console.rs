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

use super::forms::{self, Context, EntryForm, FieldView};
use super::{html, lang_of, not_found, other_lang, page_error, Text};
use crate::auth::{password_matches, Caller};
use crate::ledger::book::{Campaign, CampaignStatus, DistributionState};
use crate::ledger::kinds::EntryKind;
use crate::ledger::state::{Draft, Rejection};
use crate::service::append::{append, idempotency_key, AppendError};
use crate::service::reads::Page;
use crate::service::AppState;
use crate::store::writer::IdempotencyKey;

/// Name of the session cookie.
const COOKIE: &str = "sovang_session";
/// Longest form nonce taken: a form's own 32 hex digits, or on the
/// approvals page those and the row's action and distribution id.
const NONCE_MAX: usize = 128;

/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/console", get(console))
        .route("/console/f/{fund}/pending", get(pending))
        .route("/console/f/{fund}/approve", post(decide))
        .route("/console/f/{fund}/void", post(decide))
        .route(
            "/console/f/{fund}/{form}",
            get(entry_form).post(record_entry),
        )
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
    /// Each entry form: its address and title.
    forms: Vec<(&'static str, &'static str)>,
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
        forms: EntryForm::ALL
            .iter()
            .map(|f| (f.slug(), f.title(t)))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    slug: &'static str,
    title: &'static str,
    intro: Option<&'static str>,
    submit: &'static str,
    csrf: String,
    nonce: String,
    fields: Vec<FieldView>,
    failed: bool,
    top_errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "done.html")]
struct DonePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    slug: &'static str,
    title: &'static str,
    message: String,
    highlight: Option<String>,
    facts: Vec<(&'static str, String)>,
    again: &'static str,
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

/// A form of the fund, its fund in the staff's scope, and what the form
/// needs to know of the fund.
async fn open_form(
    s: &AppState,
    staff: &Staff,
    code: &str,
    slug: &str,
) -> Result<(EntryForm, crate::store::FundInfo, Context), Response> {
    let Some(form) = EntryForm::from_slug(slug) else {
        return Err(not_found(staff.t));
    };
    let fund = fund_in_scope(s, staff, code, form.kind()).await?;
    let campaigns: Page<Campaign> = s
        .objects(&fund.code, Default::default(), CAMPAIGNS_OFFERED_MAX)
        .await
        .map_err(page_error)?;
    let campaigns = campaigns
        .items
        .into_iter()
        .filter(|c| c.status == CampaignStatus::Open)
        .map(|c| (c.campaign_id, c.name))
        .collect();
    let ctx = Context {
        campaigns,
        committee_code: fund.committee_code.clone(),
    };
    Ok((form, fund, ctx))
}

/// Draws `form` with `values` and `errors`: fresh (nonce made) or
/// refilled after a refusal (the same nonce, so a corrected form is
/// still one submission).
#[allow(clippy::too_many_arguments)]
fn entry_page(
    staff: &Staff,
    fund: &crate::store::FundInfo,
    form: EntryForm,
    ctx: &Context,
    q: &[(String, String)],
    values: &HashMap<String, String>,
    mut errors: HashMap<String, Vec<String>>,
    top_errors: Vec<String>,
    nonce: String,
) -> Response {
    let t = staff.t;
    let fields = form.fields(t, ctx);
    let failed = !errors.is_empty() || !top_errors.is_empty();
    let views = forms::views(&fields, values, &std::mem::take(&mut errors));
    let page = EntryPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/{}", fund.code, form.slug()), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        slug: form.slug(),
        title: form.title(t),
        intro: form.intro(t),
        submit: form.submit(t),
        csrf: staff.csrf.clone(),
        nonce,
        fields: views,
        failed,
        top_errors,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, html(page)).into_response()
}

async fn entry_form(
    State(s): State<AppState>,
    staff: Staff,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let (form, fund, ctx) = match open_form(&s, &staff, &code, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
    let values = form.defaults(&ctx, today);
    entry_page(
        &staff,
        &fund,
        form,
        &ctx,
        &q,
        &values,
        HashMap::new(),
        Vec::new(),
        random_hex(16),
    )
}
/// The idempotency key of a form: its nonce, scoped to the user and the
/// form, so a second click replays the first.
fn form_key(staff: &Staff, route: &str, form: &HashMap<String, String>) -> Option<IdempotencyKey> {
    let nonce = form
        .get("nonce")
        .filter(|n| !n.is_empty() && n.len() <= NONCE_MAX)?;
    // The request is the form less its CSRF token and nonce.
    let mut fields: Vec<(&String, &String)> = form
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "nonce"))
        .collect();
    fields.sort();
    // A list of string pairs always serialises.
    let request = serde_json::to_vec(&fields).ok()?;
    Some(idempotency_key(
        staff.caller.id(),
        &format!("console:{route}:{nonce}"),
        route,
        &request,
    ))
}

async fn record_entry(
    State(s): State<AppState>,
    staff: Staff,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    Form(sent): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&sent) {
        return forged_form();
    }
    let (form, fund, ctx) = match open_form(&s, &staff, &code, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = staff.t;
    let nonce = sent.get("nonce").cloned().unwrap_or_else(|| random_hex(16));
    let refill = |errors: HashMap<String, Vec<String>>, top: Vec<String>| {
        entry_page(
            &staff,
            &fund,
            form,
            &ctx,
            &q,
            &sent,
            errors,
            top,
            nonce.clone(),
        )
    };
    let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
    let fields = form.fields(t, &ctx);
    let checked = forms::check(t, &fields, &sent, today);
    if !checked.errors.is_empty() {
        return refill(checked.errors, Vec::new());
    }
    let (body, private) = match form.body(t, &checked) {
        Ok(b) => b,
        Err(errors) => return refill(errors, Vec::new()),
    };
    let outcome = match submit_form(
        &s,
        &staff,
        &fund.code,
        form.slug(),
        &sent,
        (form.kind().as_str(), body, private),
    )
    .await
    {
        Ok(o) => o,
        Err(Refused::Fields(errors)) => {
            // Each of the core's messages goes on the field it names, or
            // above the form when no field of this form has that name.
            let mut by_field: HashMap<String, Vec<String>> = HashMap::new();
            let mut top = Vec::new();
            for (path, message) in errors {
                // The field whose path is the error's, or else the one
                // with the longest path the error's lies under.
                let field = fields
                    .iter()
                    .filter(|f| {
                        path == f.path
                            || path.starts_with(&format!("{}.", f.path))
                            || path.starts_with(&format!("{}[", f.path))
                    })
                    .max_by_key(|f| f.path.len());
                match field {
                    Some(f) => by_field.entry(f.name.clone()).or_default().push(message),
                    None => top.push(message),
                }
            }
            return refill(by_field, top);
        }
        Err(Refused::Page(r)) => return r,
    };
    tracing::info!(
        user = staff.caller.id(),
        fund = %fund.code,
        kind = form.kind().as_str(),
        seq = o_seq(&outcome),
        replayed = outcome.replayed,
        "recorded from the console"
    );
    if let Some(receipt) = outcome.first().and_then(|e| e.receipt.as_ref()) {
        return Redirect::to(&format!("/r/{}?lang={}", receipt.code, t.lang)).into_response();
    }
    done_page(&staff, &fund, form, &q, &outcome)
}

fn o_seq(o: &crate::store::writer::Outcome) -> u64 {
    o.first().map_or(0, |e| e.seq)
}

/// What was recorded, as the clerk needs it next: the pledge's transfer
/// reference, the household's id, the distribution's status.
fn done_page(
    staff: &Staff,
    fund: &crate::store::FundInfo,
    form: EntryForm,
    q: &[(String, String)],
    o: &crate::store::writer::Outcome,
) -> Response {
    let t = staff.t;
    let entry: Value = o
        .first()
        .and_then(|e| serde_json::from_str(&e.canonical).ok())
        .unwrap_or_default();
    let b = &entry["body"];
    let s = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
    let seq = o_seq(o);
    let mut facts = vec![(
        t.pick("Số thứ tự trên sổ", "Seq on the ledger"),
        format!("#{seq}"),
    )];
    let mut highlight = None;
    let message = match form {
        EntryForm::Pledge => {
            highlight = Some(s("reference"));
            facts.push((t.pick("Mã đăng ký", "Pledge id"), s("pledge_id")));
            facts.push((
                t.donor,
                b["donor"]["display"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
            facts.push((
                t.amount,
                super::words::vnd(s("amount_vnd").parse().unwrap_or(0)),
            ));
            t.pick(
                "Đã ghi đăng ký. Xin nhà hảo tâm ghi mã dưới đây trong nội dung chuyển khoản, để khoản chuyển được đối chiếu với đăng ký:",
                "Pledge recorded. Ask the donor to write this reference in the transfer message, so the transfer is matched to the pledge:",
            )
            .to_owned()
        }
        EntryForm::Household => {
            highlight = Some(s("household_id"));
            facts.push((
                t.pick("Diện hộ", "Category"),
                forms::category(t, &s("category")).to_owned(),
            ));
            facts.push((
                t.pick(
                    "Dấu băm thông tin riêng",
                    "Commitment to the private record",
                ),
                s("commitment"),
            ));
            t.pick(
                "Đã đăng ký hộ. Mã hộ dùng khi đề xuất hỗ trợ:",
                "Household registered. Its id, for proposing support:",
            )
            .to_owned()
        }
        EntryForm::Distribution => {
            highlight = Some(s("distribution_id"));
            let cash: u64 = s("cash_vnd").parse().unwrap_or(0);
            facts.push((t.pick("Hộ", "Household"), s("household_id")));
            facts.push((
                t.pick("Hình thức", "Support"),
                forms::support_type(t, &s("support_type")).to_owned(),
            ));
            facts.push((t.pick("Tiền mặt", "Cash"), super::words::vnd(cash)));
            if b["status"] == "pending" {
                t.pick(
                    "Đã ghi đề xuất; khoản này chờ người phê duyệt duyệt. Mã khoản hỗ trợ:",
                    "Proposal recorded; it waits for an approver. Distribution id:",
                )
                .to_owned()
            } else {
                t.pick(
                    "Đã ghi khoản hỗ trợ (đã duyệt). Mã khoản hỗ trợ, dùng khi ghi biên bản bàn giao:",
                    "Distribution recorded (approved). Its id, for the handover record:",
                )
                .to_owned()
            }
        }
        EntryForm::Acknowledgement => {
            facts.push((t.pick("Khoản hỗ trợ", "Distribution"), s("distribution_id")));
            t.pick("Đã ghi biên bản bàn giao.", "Handover recorded.")
                .to_owned()
        }
        EntryForm::Reversal => {
            facts.push((
                t.pick("Bút toán bị hủy", "Entry reversed"),
                format!("#{}", b["reverses_seq"]),
            ));
            facts.push((t.pick("Lý do", "Reason"), s("reason")));
            t.pick("Đã ghi bút toán hủy.", "Reversal recorded.")
                .to_owned()
        }
        EntryForm::CashGift | EntryForm::GoodsGift => t.pick("Đã ghi sổ.", "Recorded.").to_owned(),
    };
    facts.push((
        t.pick("Dấu băm bút toán", "Entry hash"),
        o.first().map(|e| e.hash.clone()).unwrap_or_default(),
    ));
    let status = if o.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let page = DonePage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/{}", fund.code, form.slug()), q),
        code: fund.code.clone(),
        slug: form.slug(),
        title: form.title(t),
        message,
        highlight,
        facts,
        again: t.pick("Ghi tiếp", "Record another"),
    };
    (status, html(page)).into_response()
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
    (kind, body, private): (&str, Value, Option<Value>),
) -> Result<crate::store::writer::Outcome, Refused> {
    let now = time::OffsetDateTime::now_utc();
    let t = staff.t;
    let draft = Draft::parse(kind, body, private, now)
        .map_err(|r| Refused::Fields(rejection_errors(t, r)))?;
    let key = form_key(staff, route, form);
    match append(s, &staff.caller, fund, vec![draft], false, key).await {
        Ok(o) => Ok(o),
        Err(AppendError::Rejected { rejection, .. }) => {
            Err(Refused::Fields(rejection_errors(t, rejection)))
        }
        Err(AppendError::NotFound(_)) => Err(Refused::Page(not_found(staff.t))),
        Err(AppendError::KeyReused { .. }) => Err(Refused::Fields(vec![(
            "form".into(),
            t.pick(
                "Mẫu này đã được gửi với nội dung khác; xin mở một mẫu mới.",
                "This form was already sent with other values; open a new form.",
            )
            .into(),
        )])),
        Err(e) => Err(Refused::Page(page_error(format!("{e:?}")))),
    }
}

/// The core's refusal as messages by field, in the user's language: a
/// rule's own sentence where there is one, with the core's detail (in
/// English, with the figures) beside it.
fn rejection_errors(t: &Text, r: Rejection) -> Vec<(String, String)> {
    match r {
        Rejection::Internal(detail) => {
            tracing::error!(%detail, "an entry could not be built; nothing was recorded");
            vec![(
                "form".into(),
                t.pick(
                    "Máy chủ gặp lỗi; chưa ghi gì. Xin thử lại sau.",
                    "The server failed; nothing was recorded. Please try again later.",
                )
                .into(),
            )]
        }
        Rejection::Invalid(errors) => errors
            .0
            .into_iter()
            .map(|e| {
                let m = match t.lang {
                    "en" => e.message,
                    _ => format!("Giá trị không hợp lệ ({}).", e.message),
                };
                (e.field, m)
            })
            .collect(),
        Rejection::Rule {
            rule,
            field,
            message,
        } => {
            let m = match (t.lang, forms::rule_sentence(t, rule)) {
                ("en", _) | (_, None) => message,
                (_, Some(said)) => format!("{said} ({message})"),
            };
            vec![(field, m)]
        }
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

/// Most pending distributions an approver's page lists.
const PENDING_SHOWN_MAX: u64 = 1_000;

/// Most campaigns a form offers.
const CAMPAIGNS_OFFERED_MAX: u64 = 100;

async fn pending_page(
    s: &AppState,
    staff: &Staff,
    fund: &crate::store::FundInfo,
    q: &[(String, String)],
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let filter = crate::store::ObjectFilter {
        status: Some("pending"),
        ..Default::default()
    };
    let pending: Page<DistributionState> =
        match s.objects(&fund.code, filter, PENDING_SHOWN_MAX).await {
            Ok(p) => p,
            Err(e) => return page_error(e),
        };
    let rows = pending
        .items
        .into_iter()
        .map(|d| PendingRow {
            amount: super::books::vnd_sum(d.cash_vnd + d.goods_vnd),
            recorded_on: crate::format::vn_date(&d.recorded_on),
            support_type: crate::ledger::kinds::name_of(&d.support_type),
            distribution_id: d.distribution_id,
            household_id: d.household_id,
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
            let t = staff.t;
            let message = q.iter().find_map(|(k, v)| match k.as_str() {
                "approved" => Some(format!("{} {v}", t.approved)),
                "voided" => Some(format!("{} {v}", t.pick("Đã hủy duyệt:", "Voided:"))),
                _ => None,
            });
            pending_page(&s, &staff, &fund, &q, message, None).await
        }
        Err(r) => r,
    }
}

/// Approves or voids a pending distribution (`/approve`, `/void`): an
/// approver's decision, under the same rules as the API.
async fn decide(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    uri: axum::http::Uri,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    let void = uri.path().ends_with("/void");
    let kind = if void {
        EntryKind::DistributionVoided
    } else {
        EntryKind::DistributionApproved
    };
    let fund = match fund_in_scope(&s, &staff, &code, kind).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let text = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let id = text("distribution_id").unwrap_or_default();
    let mut body = json!({ "distribution_id": id });
    if void {
        let Some(reason) = text("reason") else {
            let t = staff.t;
            let msg = t.pick("Hủy duyệt cần ghi lý do.", "Voiding needs a reason.");
            return pending_page(&s, &staff, &fund, &q, None, Some(msg.into())).await;
        };
        body["reason"] = json!(reason);
    } else if let Some(d) = text("decision_ref") {
        body["decision_ref"] = json!(d);
    }
    let route = if void { "void" } else { "approve" };
    match submit_form(
        &s,
        &staff,
        &fund.code,
        route,
        &form,
        (kind.as_str(), body, None),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/console/f/{}/pending?lang={}&{}={}",
            fund.code,
            staff.t.lang,
            if void { "voided" } else { "approved" },
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
    let findings = match s.audit_findings(&fund.code, options).await {
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
