//! The inspector's audit page: the fund verified now, its findings, a
//! household's private record (read, and logged, on request) and the log
//! of such reads.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::session::Staff;
use crate::service::AppState;
use crate::web::{html, not_found, other_lang, page_error, Text};

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
    csrf: String,
}

/// For inspectors: the fund verified now, its findings, and the log of
/// private reads. A household's private record is read only on a POST
/// with the session's CSRF token ([`read_record`]): a link or an image
/// can make a browser GET a page, never read a person.
pub(super) async fn audit(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    audit_page(&s, &staff, &code, &q, None).await
}

/// Reads a household's private record on the audit page, logged.
pub(super) async fn read_record(
    State(s): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return super::session::forged_form();
    }
    let household = form.get("household").cloned().unwrap_or_default();
    audit_page(&s, &staff, &code, &q, Some(household)).await
}

async fn audit_page(
    s: &AppState,
    staff: &Staff,
    code: &str,
    q: &[(String, String)],
    household: Option<String>,
) -> Response {
    let t = staff.t;
    let Ok(fund) = s.fund(code).await else {
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
    let household_id = household
        .map(|v| v.trim().to_owned())
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
            .read_private(
                &household_id,
                std::slice::from_ref(&fund.code),
                &reader,
                &s.record_key,
            )
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
        other_lang_href: other_lang(t, &format!("/console/f/{}/audit", fund.code), q),
        code: fund.code,
        fund_name: fund.name,
        sound,
        verification,
        findings,
        household_id,
        record,
        log,
        csrf: staff.csrf.clone(),
    })
}
