//! Handover minutes (biên bản bàn giao) for a distribution, printed from
//! the console for the household to sign (SPEC §11). The household head's
//! name and address come from the private record, so printing is a
//! private read: done only on a POST with the session's CSRF token, by a
//! role that may read the fund's records, and logged in the same
//! transaction as every such read. Once signed, the scan is hashed in the
//! browser and recorded with `distribution_acknowledged` as before: the
//! scan itself never reaches the server.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::session::Staff;
use crate::ledger::book::DistState;
use crate::service::AppState;
use crate::web::books::vnd_sum;
use crate::web::forms::support_type;
use crate::web::{html, not_found, other_lang, page_error, Text};

/// Longest distribution id the form takes.
const ID_CHARS_MAX: usize = 64;

#[derive(Template)]
#[template(path = "handover_form.html")]
struct FormPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    distribution_id: String,
    error: Option<String>,
    csrf: String,
}

/// A line of goods handed over.
struct Goods {
    item: String,
    quantity: String,
    value: String,
}

#[derive(Template)]
#[template(path = "handover.html")]
struct MinutesPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    committee_name: String,
    distribution_id: String,
    household_id: String,
    commune: String,
    head_name: String,
    address: String,
    support: &'static str,
    cash: String,
    goods: Vec<Goods>,
    total: String,
    decision_ref: String,
    campaign: Option<String>,
    recorded_on: String,
    seq: u64,
    printed_at: String,
    printed_by: String,
}

/// The form: which distribution to print minutes for.
pub(super) async fn form(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let Ok(fund) = s.fund(&code).await else {
        return not_found(staff.t);
    };
    if let Some(denied) = refuse(&staff, &fund) {
        return denied;
    }
    form_page(&staff, &fund, &q, String::new(), None)
}

fn form_page(
    staff: &Staff,
    fund: &crate::store::FundInfo,
    q: &[(String, String)],
    id: String,
    error: Option<String>,
) -> Response {
    let t = staff.t;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = html(FormPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/bien-ban", fund.code), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        distribution_id: id,
        error,
        csrf: staff.csrf.clone(),
    });
    *res.status_mut() = status;
    res
}

/// Only those who may read the fund's private records print minutes.
fn refuse(staff: &Staff, fund: &crate::store::FundInfo) -> Option<Response> {
    staff.caller.require_private(fund).err().map(|_| {
        (
            StatusCode::FORBIDDEN,
            Html("<!doctype html><p>Sổ Vàng: handover minutes name the household, so they are printed by a clerk of the fund's committee, or an inspector or admin above it.</p>"),
        )
            .into_response()
    })
}

/// Prints the minutes of the distribution the form names: a private read,
/// logged.
pub(super) async fn print(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return super::session::forged_form();
    }
    let t = staff.t;
    let Ok(fund) = s.fund(&code).await else {
        return not_found(t);
    };
    if let Some(denied) = refuse(&staff, &fund) {
        return denied;
    }
    let id: String = form
        .get("distribution")
        .map(|v| v.trim().chars().take(ID_CHARS_MAX + 1).collect())
        .unwrap_or_default();
    let again = |error: &str| form_page(&staff, &fund, &q, id.clone(), Some(error.to_owned()));
    if id.is_empty() || id.chars().count() > ID_CHARS_MAX {
        return again(t.pick(
            "Nhập mã khoản hỗ trợ (tối đa 64 ký tự).",
            "Enter the distribution's id (at most 64 characters).",
        ));
    }
    let books = match s.page_books(&fund.code).await {
        Ok(b) => b,
        Err(e) => return page_error(e),
    };
    let Some(d) = books.book.distributions.get(&id).cloned() else {
        return again(t.pick(
            "Quỹ không có khoản hỗ trợ với mã này.",
            "The fund has no distribution with this id.",
        ));
    };
    if d.status != DistState::Approved {
        return again(t.pick(
            "Chỉ in biên bản cho khoản hỗ trợ đã được duyệt (không phải khoản chờ duyệt, đã hủy hay đã đảo).",
            "Minutes are printed only for an approved distribution (not one pending, voided or reversed).",
        ));
    }
    let commune = books
        .book
        .households
        .get(&d.household_id)
        .map(|h| h.commune_code.clone())
        .unwrap_or_default();
    drop(books);
    let action = format!("console: handover minutes of distribution {id}");
    let reader = crate::store::Reader {
        actor: staff.caller.id(),
        role: staff.caller.role(),
        committee_code: staff.caller.committee_code(),
        action: &action,
    };
    let found = match s
        .store
        .read_private(
            &d.household_id,
            std::slice::from_ref(&fund.code),
            &reader,
            &s.record_key,
        )
        .await
    {
        Ok(found) => found,
        Err(e) => return page_error(e),
    };
    tracing::info!(actor = staff.caller.id(), distribution = %id, household = %d.household_id, "handover minutes printed: private record read");
    let record: serde_json::Value = found
        .first()
        .and_then(|(_, text, _)| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let committee_name = match s.store.committee(&fund.committee_code).await {
        Ok(c) => c.map_or(fund.committee_code.clone(), |c| c.name),
        Err(e) => return page_error(e),
    };
    let text = |k: &str| record[k].as_str().unwrap_or_default().to_owned();
    html(MinutesPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/bien-ban", fund.code), &q),
        committee_name,
        head_name: text("head_name"),
        address: text("address"),
        support: support_type(t, &crate::ledger::kinds::name_of(&d.support_type)),
        cash: vnd_sum(d.cash_vnd),
        goods: d
            .items
            .iter()
            .map(|l| Goods {
                item: l.description.as_ref().map_or_else(
                    || l.item.as_str().to_owned(),
                    |n| format!("{} ({})", n.as_str(), l.item.as_str()),
                ),
                quantity: format!("{} {}", l.quantity.0.normalize(), l.unit.as_str()),
                value: vnd_sum(i128::from(l.value())),
            })
            .collect(),
        total: vnd_sum(d.cash_vnd + d.goods_vnd),
        decision_ref: d.decision_ref.clone(),
        campaign: d.campaign_id.clone(),
        recorded_on: crate::format::vn_date(&d.recorded_on),
        seq: d.seq,
        printed_at: crate::format::vn_time(time::OffsetDateTime::now_utc()),
        printed_by: staff.name.clone(),
        distribution_id: d.distribution_id,
        household_id: d.household_id,
        commune,
        code: fund.code,
    })
}
