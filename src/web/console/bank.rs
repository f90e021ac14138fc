//! The clerk's bank page (SPEC §10): take a statement in (the file is
//! sent by the page's script as the request's body, spooled encrypted as
//! the API does), and settle the lines waiting in review, each decision
//! logged. The narratives are read here, by a clerk of the fund's
//! committee, each read in the access log.

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::fund_in_scope;
use super::session::{forged_form, same_secret, Staff};
use crate::intake::spool::SpoolWriter;
use crate::ledger::kinds::EntryKind;
use crate::service::AppState;
use crate::store::bank::LineStatus;
use crate::store::Reader;
use crate::web::{html, other_lang, page_error, Text};

struct ReviewRow {
    /// A settlement a clerk proposed, waiting for an approver: what and why.
    proposed: Option<(String, String)>,
    line_id: String,
    day: String,
    credit: bool,
    amount: String,
    bank_ref: String,
    narrative: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "bank.html")]
struct BankPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    csrf: String,
    /// A clerk takes statements in and settles lines; an approver
    /// confirms the settlements clerks proposed.
    clerk: bool,
    approver: bool,
    accounts: Vec<(String, String)>,
    campaigns: Vec<(String, String)>,
    rows: Vec<ReviewRow>,
    message: Option<String>,
    error: Option<String>,
}

/// Most lines in review the page lists.
const ROWS_SHOWN_MAX: u32 = 500;

async fn page(
    s: &AppState,
    staff: &Staff,
    fund: &crate::store::FundInfo,
    q: &[(String, String)],
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let t = staff.t;
    let accounts = match crate::service::bank::fund_accounts(s, &fund.code).await {
        Ok(a) => a
            .into_iter()
            .map(|a| {
                (
                    a.account_no.clone(),
                    format!("{} · {}", a.bank_name, a.account_no),
                )
            })
            .collect(),
        Err(e) => return page_error(e),
    };
    let campaigns = match s.page_books(&fund.code).await {
        Ok(b) => b
            .book
            .campaigns
            .values()
            .filter(|c| c.status == crate::ledger::book::CampaignStatus::Open)
            .map(|c| (c.campaign_id.clone(), c.name.clone()))
            .collect(),
        Err(e) => return page_error(e),
    };
    let lines = match s
        .store
        .bank_lines(&fund.code, Some(LineStatus::Review), ROWS_SHOWN_MAX, 0)
        .await
    {
        Ok(l) => l,
        Err(e) => return page_error(e),
    };
    let ids: Vec<String> = lines.iter().map(|l| l.line_id.clone()).collect();
    let reader = Reader {
        actor: staff.caller.person(),
        role: staff.caller.role(),
        committee_code: staff.caller.committee_code(),
        action: "GET /console/f/{fund}/ngan-hang",
    };
    let privates = match s
        .store
        .read_line_privates(&fund.code, &ids, &reader, &s.record_key)
        .await
    {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let rows = lines
        .into_iter()
        .map(|l| {
            let private: Value = privates
                .get(&l.line_id)
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            ReviewRow {
                proposed: l.proposed_as.as_deref().map(|p| {
                    let what = match p {
                        "withdrawal" => {
                            t.pick("rút về quỹ tiền mặt", "a withdrawal to the fund's cash")
                        }
                        _ => t.pick("không phải khoản ủng hộ", "not a gift"),
                    };
                    (
                        what.to_owned(),
                        l.proposed_reason.clone().unwrap_or_default(),
                    )
                }),
                day: crate::format::vn_date(&l.day),
                credit: l.direction == "credit",
                amount: crate::web::words::vnd(l.amount_vnd.parse().unwrap_or(0)),
                bank_ref: l.bank_ref.clone().unwrap_or_default(),
                narrative: private["narrative"].as_str().unwrap_or_default().to_owned(),
                reason: l.reason.clone().unwrap_or_default(),
                line_id: l.line_id,
            }
        })
        .collect();
    html(BankPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/ngan-hang", fund.code), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        csrf: staff.csrf.clone(),
        clerk: staff
            .caller
            .require_append(fund, &[EntryKind::DonationCash])
            .is_ok(),
        approver: staff
            .caller
            .require_append(fund, &[EntryKind::OutflowApproved])
            .is_ok(),
        accounts,
        campaigns,
        rows,
        message,
        error,
    })
}

/// The fund, for a clerk of its committee or an approver of it.
async fn clerk_or_approver(
    s: &AppState,
    staff: &Staff,
    code: &str,
) -> Result<crate::store::FundInfo, Response> {
    match fund_in_scope(s, staff, code, EntryKind::DonationCash).await {
        Ok(f) => Ok(f),
        Err(_) => fund_in_scope(s, staff, code, EntryKind::OutflowApproved).await,
    }
}

/// `GET /console/f/{fund}/ngan-hang`.
pub(super) async fn bank(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let fund = match clerk_or_approver(&s, &staff, &code).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let message = q
        .iter()
        .find(|(k, _)| k == "done")
        .map(|_| staff.t.pick("Đã xử lý khoản.", "Line settled.").to_owned());
    page(&s, &staff, &fund, &q, message, None).await
}

/// `POST /console/f/{fund}/ngan-hang/tai-len?account=`: the file as the
/// body, the session's CSRF token in `x-csrf-token`; answers the import's
/// JSON, or `{error}`.
pub(super) async fn upload(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let t = staff.t;
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !same_secret(csrf.as_bytes(), staff.csrf.as_bytes()) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": t.pick("Phiên làm việc đã hết hạn; tải lại trang.", "The session expired; reload the page.")}))).into_response();
    }
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::DonationCash).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(account) = q.get("account").cloned() else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": t.pick("Chọn tài khoản của sao kê.", "Choose the statement's account.")}))).into_response();
    };
    let fail = |status: StatusCode, m: String| (status, Json(json!({"error": m}))).into_response();
    let mut spool = match SpoolWriter::new(s.settings.intake.statement_bytes_max) {
        Ok(w) => w,
        Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let written = match chunk {
            Ok(c) => spool.write(&c).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = written {
            return fail(StatusCode::PAYLOAD_TOO_LARGE, e);
        }
    }
    let spool = match spool.finish() {
        Ok(x) => x,
        Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let lock = s.intake_lock(&fund.code, &account);
    let Ok(guard) = lock.try_lock_owned() else {
        return fail(
            StatusCode::CONFLICT,
            t.pick(
                "Một sao kê của tài khoản này đang được nhập.",
                "A statement of this account is being taken in.",
            )
            .to_owned(),
        );
    };
    let person = staff.caller.person().to_owned();
    let state = s.clone();
    let fund_code = fund.code.clone();
    let task = tokio::spawn(async move {
        let _guard = guard;
        crate::intake::import::import(&state, &fund_code, &account, &person, spool, &|_, _| {})
            .await
    });
    match task.await {
        Ok(Ok(a)) => {
            let message = t
                .pick(
                    "{layout}: {lines} dòng; {recorded} khoản ủng hộ mới, {linked} khoản đã có được nối, {dup} dòng đã nhập trước, {review} dòng chờ xử lý. Niêm phong ở bút toán #{seq}.",
                    "{layout}: {lines} lines; {recorded} new gifts, {linked} linked, {dup} taken in before, {review} for review. Sealed by entry #{seq}.",
                )
                .replace("{layout}", &a.layout)
                .replace("{lines}", &a.lines.to_string())
                .replace("{recorded}", &a.recorded.to_string())
                .replace("{linked}", &a.linked.to_string())
                .replace("{dup}", &a.duplicates.to_string())
                .replace("{review}", &a.review.to_string())
                .replace("{seq}", &a.sealed_seq.to_string());
            (
                StatusCode::OK,
                Json(json!({"message": message, "answer": a})),
            )
                .into_response()
        }
        Ok(Err(e)) => fail(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e) => fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /console/f/{fund}/ngan-hang/xu-ly`: settles one line.
pub(super) async fn settle(
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
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut body = json!({"as": field("as").unwrap_or_default()});
    for k in ["reason", "campaign_id"] {
        if let Some(v) = field(k) {
            body[k] = json!(v);
        }
    }
    if let Some(seq) = field("seq") {
        body["seq"] = seq.parse::<u64>().map(|n| json!(n)).unwrap_or(json!(seq));
    }
    let line = field("line").unwrap_or_default().to_owned();
    match crate::service::bank::settle_line(&s, &staff.caller, &fund.code, &line, body).await {
        Ok(_) => Redirect::to(&format!(
            "/console/f/{}/ngan-hang?done=1&lang={}",
            fund.code, staff.t.lang
        ))
        .into_response(),
        Err(e) => {
            let message = match &e {
                crate::service::bank::BankError::Invalid(f) => {
                    f.0.iter()
                        .map(|x| x.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                }
                other => other.to_string(),
            };
            let mut r = page(&s, &staff, &fund, &q, None, Some(message)).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// `POST /console/f/{fund}/ngan-hang/xac-nhan`: an approver confirms (or
/// withdraws) the settlement a clerk proposed for a line.
pub(super) async fn decide(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::OutflowApproved).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let line = form.get("line").cloned().unwrap_or_default();
    let body = json!({"approve": form.get("decision").map(String::as_str) == Some("approve")});
    match crate::service::bank::decide_line(&s, &staff.caller, &fund.code, &line, body).await {
        Ok(_) => Redirect::to(&format!(
            "/console/f/{}/ngan-hang?done=1&lang={}",
            fund.code, staff.t.lang
        ))
        .into_response(),
        Err(e) => {
            let mut r = page(&s, &staff, &fund, &q, None, Some(e.to_string())).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}
