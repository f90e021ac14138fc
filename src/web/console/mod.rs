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
//!
//! The console's jobs, one file each: `session.rs` signs staff in and out
//! and guards every form (the session cookie, the `Staff` extractor, CSRF
//! tokens, nonces); `entries.rs` opens the entry forms, records what they
//! send through the one append path, and shows what was recorded;
//! `approvals.rs` lists pending distributions and approves or voids them;
//! `audit.rs` is the inspector's page; `bank.rs` the clerk's bank page
//! (statements taken in, lines in review settled). This file keeps the routes, the
//! console's front page and the small helpers they share.

mod approvals;
mod audit;
mod bank;
mod entries;
mod handover;
mod session;
mod tokens;

pub use session::{random_password, Staff, COOKIE as SESSION_COOKIE};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rand::RngCore;

use super::forms::EntryForm;
use super::{html, not_found, other_lang, page_error, Text};
use crate::ledger::kinds::EntryKind;
use crate::service::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/console", get(console))
        .route("/console/tokens", get(tokens::tokens))
        .route("/console/tokens/revoke", post(tokens::revoke))
        .route("/console/f/{fund}/pending", get(approvals::pending))
        .route("/console/f/{fund}/approve", post(approvals::decide))
        .route(
            "/console/f/{fund}/approve-many",
            post(approvals::approve_many),
        )
        .route("/console/f/{fund}/void", post(approvals::decide))
        .route(
            "/console/f/{fund}/bien-ban",
            get(handover::form).post(handover::print),
        )
        .route("/console/f/{fund}/ngan-hang", get(bank::bank))
        .route("/console/f/{fund}/ngan-hang/tai-len", post(bank::upload))
        .route("/console/f/{fund}/ngan-hang/xu-ly", post(bank::settle))
        .route("/console/f/{fund}/ngan-hang/xac-nhan", post(bank::decide))
        .route(
            "/console/f/{fund}/{form}",
            get(entries::entry_form).post(entries::record_entry),
        )
        .route(
            "/console/f/{fund}/audit",
            get(audit::audit).post(audit::read_record),
        )
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
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
    /// The role in the reader's words.
    role_name: &'static str,
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
        role_name: role_name(t, staff.caller.role()),
        csrf: staff.csrf.clone(),
        funds,
        forms: EntryForm::ALL
            .iter()
            .map(|f| (f.slug(), f.title(t)))
            .collect(),
    })
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

/// A role in the reader's words (SPEC §2).
pub fn role_name(t: &crate::web::Text, role: &str) -> &'static str {
    match role {
        "clerk" => t.pick("Cán bộ ghi sổ", "Clerk"),
        "approver" => t.pick("Thường trực (duyệt chi)", "Approver"),
        "inspector" => t.pick("Kiểm tra", "Inspector"),
        "admin" => t.pick("Quản trị", "Administrator"),
        _ => t.pick("Vai trò khác", "Other role"),
    }
}
