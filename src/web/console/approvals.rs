//! Approvals: an approver's page of the fund's pending distributions, and
//! the decision on one of them (approve, or void with a reason), sent
//! through the same submit path as every console form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::json;

use super::entries::{submit_form, Refused};
use super::session::{forged_form, form_key, Staff};
use super::{fund_in_scope, random_hex};
use crate::ledger::book::{DistributionState, OutflowState};
use crate::ledger::kinds::EntryKind;
use crate::ledger::state::{Draft, Rejection};
use crate::service::append::{append, AppendError};
use crate::service::reads::Page;
use crate::service::AppState;
use crate::web::{html, other_lang, page_error, Text};

struct PendingRow {
    /// The seq of its entry, which `outflow_approved` names.
    seq: u64,
    /// A distribution's id; empty for the other outflows.
    distribution_id: String,
    /// What it is: the household and support type, or the kind and id.
    what: String,
    amount: String,
    recorded_on: String,
}

/// Most outflows approved by one bulk approval.
const BULK_MAX: usize = 500;

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
    let filter = crate::store::ObjectFilter {
        status: Some("pending"),
        ..Default::default()
    };
    let others: Page<OutflowState> = match s.objects(&fund.code, filter, PENDING_SHOWN_MAX).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let mut rows: Vec<PendingRow> = pending
        .items
        .into_iter()
        .map(|d| PendingRow {
            seq: d.seq,
            amount: crate::web::books::vnd_sum(d.cash_vnd + d.goods_vnd),
            recorded_on: crate::format::vn_date(&d.recorded_on),
            what: format!(
                "{} · {} · {}",
                d.distribution_id,
                d.household_id,
                crate::ledger::kinds::name_of(&d.support_type)
            ),
            distribution_id: d.distribution_id,
        })
        .collect();
    rows.extend(others.items.into_iter().map(|o| PendingRow {
        seq: o.seq,
        amount: crate::web::books::vnd_sum(o.value_vnd),
        recorded_on: crate::format::vn_date(&o.recorded_on),
        what: format!("{} · {}", o.kind.as_str(), o.outflow_id),
        distribution_id: String::new(),
    }));
    rows.sort_by_key(|r| r.seq);
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

pub(super) async fn pending(
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
pub(super) async fn decide(
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
            let msg = t.pick("Không duyệt cần ghi lý do.", "Refusing needs a reason.");
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
            crate::web::urlencode(&id)
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

/// Approves several pending outflows at once (`/approve-many`): the
/// checked rows' seqs, each approved by its own `outflow_approved` entry,
/// all in one batch (all or nothing).
pub(super) async fn approve_many(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let single: HashMap<String, String> =
        form.iter().filter(|(k, _)| k != "seq").cloned().collect();
    if !staff.csrf_ok(&single) {
        return forged_form();
    }
    let fund = match fund_in_scope(&s, &staff, &code, EntryKind::OutflowApproved).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = staff.t;
    let refuse = |msg: String| pending_page(&s, &staff, &fund, &q, None, Some(msg));
    let mut seqs = Vec::new();
    for (k, v) in &form {
        if k == "seq" {
            match v.parse::<u64>() {
                Ok(n) => seqs.push(n),
                Err(_) => {
                    return refuse(
                        t.pick("Dòng chọn không hợp lệ.", "A chosen row is not valid.")
                            .into(),
                    )
                    .await
                }
            }
        }
    }
    if seqs.is_empty() {
        return refuse(
            t.pick("Hãy chọn ít nhất một khoản.", "Choose at least one row.")
                .into(),
        )
        .await;
    }
    if seqs.len() > BULK_MAX {
        return refuse(format!(
            "{} {BULK_MAX}",
            t.pick("Mỗi lần duyệt nhiều nhất", "At most this many at once:")
        ))
        .await;
    }
    let decision = single
        .get("decision_ref")
        .map(|d| d.trim())
        .filter(|d| !d.is_empty());
    let now = time::OffsetDateTime::now_utc();
    let mut drafts = Vec::with_capacity(seqs.len());
    for seq in &seqs {
        let mut body = json!({ "of_seq": seq });
        if let Some(d) = decision {
            body["decision_ref"] = json!(d);
        }
        match Draft::parse(EntryKind::OutflowApproved.as_str(), body, None, now) {
            Ok(d) => drafts.push(d),
            Err(r) => return refuse(format!("{r:?}")).await,
        }
    }
    let fields: Vec<(&String, &String)> = form.iter().map(|(k, v)| (k, v)).collect();
    let key = form_key(&staff, &fund.code, "approve-many", &fields);
    match append(&s, &staff.caller, &fund.code, drafts, true, key).await {
        Ok(_) => Redirect::to(&format!(
            "/console/f/{}/pending?lang={}&approved={}",
            fund.code,
            t.lang,
            seqs.len()
        ))
        .into_response(),
        Err(AppendError::Rejected { index, rejection }) => {
            let seq = seqs.get(index).copied().unwrap_or_default();
            let detail = match rejection {
                Rejection::Rule { message, .. } => message,
                Rejection::Invalid(e) => {
                    e.0.into_iter()
                        .map(|f| f.message)
                        .collect::<Vec<_>>()
                        .join("; ")
                }
                Rejection::Internal(_) => t.pick("Lỗi máy chủ.", "Server error.").into(),
            };
            refuse(format!(
                "{} {seq}: {detail}. {}",
                t.pick("Bút toán", "Entry"),
                t.pick("Không khoản nào được duyệt.", "Nothing was approved.")
            ))
            .await
        }
        Err(AppendError::Denied(d)) => refuse(d.0).await,
        Err(e) => page_error(format!("{e:?}")),
    }
}
