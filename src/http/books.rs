//! The fund's books, read: campaigns, pledges, households (public fields),
//! distributions, stock; the inspector's replay; households' private
//! records and the log of their reads.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema::{self, FundPath, PageQuery};
use super::{AppState, PAGE_MAX};
use crate::auth::Caller;
use crate::ledger::book::{Campaign, DistributionState, Household, PledgeState};
use crate::ledger::findings::Options;
use crate::ledger::ids::{today_in_vietnam, Id};
use crate::ledger::replay::{compare, compare_days, compare_saved};
use crate::ledger::statement::DaysBuilder;
use crate::service::reads::{PledgeView, ReadModel};
use crate::store::{ObjectFilter, Reader};
use serde::Serialize;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(campaigns))
        .routes(routes!(pledges))
        .routes(routes!(households))
        .routes(routes!(distributions))
        .routes(routes!(outflows))
        .routes(routes!(stock))
        .routes(routes!(replay))
        .routes(routes!(findings))
        .routes(routes!(verify))
        .routes(routes!(household_private))
        .routes(routes!(access_log))
        .routes(routes!(admin_log))
}

type Params = Query<HashMap<String, String>>;

/// Statuses a listing may be filtered by, per kind of object.
fn statuses(kind: &str) -> &'static [&'static str] {
    match kind {
        "pledge" => &["open", "fulfilled", "cancelled"],
        "distribution" => &["pending", "approved", "voided", "reversed"],
        "outflow" => &["pending", "approved", "voided"],
        "campaign" => &["open", "closed"],
        _ => &[],
    }
}

/// A listing's `limit`: 1 to [`PAGE_MAX`], 100 when not given.
pub(crate) fn limit(q: &HashMap<String, String>) -> Result<u64, ApiError> {
    match q.get("limit") {
        None => Ok(100),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be from 1 to {PAGE_MAX}"))),
    }
}

/// One page of derived objects: `{<name>: [...], next}` where `next` is
/// the cursor of the following page. `shape` turns the read model into
/// what the listing shows.
#[allow(clippy::too_many_arguments)]
async fn page<T: ReadModel, V: Serialize>(
    s: &AppState,
    fund: &str,
    name: &str,
    q: &HashMap<String, String>,
    known: &[&str],
    shape: impl Fn(T) -> V,
) -> Result<Json<Value>, ApiError> {
    s.fund(fund).await?;
    for k in q.keys() {
        if !known.contains(&k.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?}; this listing takes {}",
                known.join(", ")
            )));
        }
    }
    let status = q.get("status").map(String::as_str);
    if let Some(st) = status {
        if !statuses(T::KIND).contains(&st) {
            return Err(ApiError::BadRequest(format!(
                "status must be one of {}",
                statuses(T::KIND).join(", ")
            )));
        }
    }
    let limit = limit(q)?;
    let filter = ObjectFilter {
        after: q.get("cursor").map(String::as_str),
        status,
        reference: q.get("reference").map(String::as_str),
    };
    let page = s.objects::<T>(fund, filter, limit).await?;
    let items: Vec<V> = page.items.into_iter().map(shape).collect();
    Ok(Json(json!({ name: items, "next": page.next })))
}

#[utoipa::path(get, path = "/funds/{fund}/campaigns", tag = "books",
    params(FundPath, ("status" = Option<String>, Query, description = "open or closed"), PageQuery),
    summary = "Campaigns with their windows, targets and totals",
    responses((status = 200, body = schema::Campaigns)))]
async fn campaigns(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let today = crate::ledger::ids::format_date(today_in_vietnam(time::OffsetDateTime::now_utc()));
    let days = s.policy.distribution_deadline_days;
    let known = ["status", "cursor", "limit"];
    page(&s, &fund, "campaigns", &q, &known, |c: Campaign| {
        crate::service::reads::CampaignView::on(c, &today, days)
    })
    .await
}

/// Pledges, found by transfer reference (`?reference=`) or status; each
/// with what is outstanding and whether it is overdue today.
#[utoipa::path(get, path = "/funds/{fund}/pledges", tag = "books",
    params(FundPath,
        ("reference" = Option<String>, Query, description = "The transfer reference (`SV <reference>`)"),
        ("status" = Option<String>, Query, description = "open, fulfilled or cancelled"), PageQuery),
    summary = "Pledges, with what is outstanding and overdue",
    responses((status = 200, body = schema::Pledges)))]
async fn pledges(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let today = crate::ledger::ids::format_date(today_in_vietnam(time::OffsetDateTime::now_utc()));
    let known = ["reference", "status", "cursor", "limit"];
    page(&s, &fund, "pledges", &q, &known, |p: PledgeState| {
        PledgeView::on(p, &today)
    })
    .await
}

/// Households as the ledger has them: pseudonymous, no private data.
#[utoipa::path(get, path = "/funds/{fund}/households", tag = "books",
    params(FundPath, PageQuery),
    summary = "Households' public, pseudonymous fields",
    responses((status = 200, body = schema::Households)))]
async fn households(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let known = ["cursor", "limit"];
    page(&s, &fund, "households", &q, &known, |h: Household| h).await
}

#[utoipa::path(get, path = "/funds/{fund}/distributions", tag = "books",
    params(FundPath, ("status" = Option<String>, Query, description = "pending, approved, voided or reversed"), PageQuery),
    summary = "Distributions by status",
    responses((status = 200, body = schema::Distributions)))]
async fn distributions(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let known = ["status", "cursor", "limit"];
    page(
        &s,
        &fund,
        "distributions",
        &q,
        &known,
        |d: DistributionState| d,
    )
    .await
}

/// Outflows other than distributions (SPEC §9): expenses, transfers out,
/// stock adjustments and reversals of gifts and transfers written with a
/// status, each named by the seq of its entry.
#[utoipa::path(get, path = "/funds/{fund}/outflows", tag = "books",
    params(FundPath, ("status" = Option<String>, Query, description = "pending, approved or voided"), PageQuery),
    summary = "Expenses, transfers out, stock adjustments and reversals, by status",
    responses((status = 200, body = schema::Outflows)))]
async fn outflows(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let known = ["status", "cursor", "limit"];
    page(
        &s,
        &fund,
        "outflows",
        &q,
        &known,
        |o: crate::ledger::book::OutflowState| o,
    )
    .await
}

/// Every stock line of a fund, with what is available after reservations.
#[utoipa::path(get, path = "/funds/{fund}/stock", tag = "books", params(FundPath),
    summary = "Stock per item: quantity, reserved, available, value",
    responses((status = 200, body = schema::StockList)))]
async fn stock(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&fund).await?;
    Ok(Json(json!({ "stock": s.stock(&fund).await? })))
}

/// For inspectors: the books rebuilt from the ledger alone, compared field
/// by field with the live tables.
#[utoipa::path(get, path = "/funds/{fund}/audit/replay", tag = "audit", security(("bearer" = [])),
    params(FundPath),
    summary = "The books rebuilt from the ledger alone, compared with the live ones (inspector)",
    responses((status = 200, body = schema::Replay)))]
async fn replay(
    State(s): State<AppState>,
    caller: Caller,
    Path(fund): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_inspect(&info)?;
    let started = std::time::Instant::now();
    let mut days = DaysBuilder::default();
    // The snapshot of the books is history: what it holds at its size is
    // set by the entries up to it, whatever is appended meanwhile.
    let saved = s.store.saved_books(&fund).await?;
    let mut saved_differences = Vec::new();
    let snapshot = s
        .store
        .books_snapshot(&fund, |e| {
            days.push(&e.canonical).map_err(|e| e.to_string())?;
            if let Some(stored) = saved.as_ref().filter(|x| x.size == days.book().size) {
                let rebuilt = days.book().save()?;
                saved_differences = compare_saved(stored.size, &rebuilt, &stored.saved);
            }
            Ok(())
        })
        .await?;
    let book = days.book();
    let differences = match &snapshot.failure {
        Some(_) => Vec::new(),
        None => {
            let mut d = compare(book, &snapshot.objects, &snapshot.summary);
            d.extend(compare_days(days.days(), &snapshot.days, snapshot.size));
            d.extend(saved_differences);
            d
        }
    };
    tracing::info!(
        fund = %fund,
        size = snapshot.size,
        differences = differences.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "replayed the fund's books"
    );
    Ok(Json(json!({
        "fund": fund,
        "size": snapshot.size,
        "consistent": snapshot.failure.is_none() && differences.is_empty(),
        "replay_error": snapshot.failure,
        "objects_compared": snapshot.objects.len(),
        "differences": differences,
        "replayed": book.summary(),
    })))
}

/// A household's private record, for the clerks of its committee and the
/// inspectors above it. Every read is logged before it is answered.
#[utoipa::path(get, path = "/households/{id}", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path, description = "The household's id"),
        ("fund" = Option<String>, Query, description = "Only this fund's record")),
    summary = "A household's private record (clerk of its committee, inspector above it); every read is logged",
    responses((status = 200, body = schema::PrivateRecords)))]
async fn household_private(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    if !matches!(caller.role(), "clerk" | "inspector" | "admin") {
        return Err(ApiError::Forbidden(format!(
            "a {} token may not read households' private records",
            caller.role()
        )));
    }
    let id = Id::parse(&id, "id").map_err(|e| ApiError::NotFound(e.message))?;
    let funds: Vec<String> = match q.get("fund") {
        Some(code) => {
            let f = s.fund(code).await?;
            caller.require_private(&f)?;
            vec![f.code]
        }
        None => {
            let all = s.store.funds().await?;
            let readable: Vec<String> = all
                .into_iter()
                .filter(|(f, _)| caller.require_private(f).is_ok())
                .map(|(f, _)| f.code)
                .collect();
            readable
        }
    };
    let action = format!("GET /households/{}", id.as_str());
    let reader = Reader {
        actor: caller.id(),
        role: caller.role(),
        committee_code: caller.committee_code(),
        action: &action,
    };
    let found = s
        .store
        .read_private(id.as_str(), &funds, &reader, &s.record_key)
        .await?;
    if found.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no household {:?} in the funds this token may read",
            id.as_str()
        )));
    }
    tracing::info!(
        actor = caller.id(),
        household = id.as_str(),
        "private household record read"
    );
    let records: Vec<Value> = found
        .into_iter()
        .map(|(fund, record, salt)| {
            json!({
                "fund": fund,
                "household_id": id.as_str(),
                "private": serde_json::from_str::<Value>(&record).unwrap_or(Value::Null),
                "salt": salt,
            })
        })
        .collect();
    Ok(Json(json!({ "records": records })))
}

/// Who read which private record, newest first; for inspectors and admins,
/// over the funds of their subtree.
#[utoipa::path(get, path = "/audit/access-log", tag = "audit", security(("bearer" = [])),
    params(("before" = Option<i64>, Query, description = "The `next` of the page before"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000)),
    summary = "Who read which private record, newest first (inspector, admin)",
    responses((status = 200, body = schema::AccessLog)))]
async fn access_log(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let limit = limit(&q)?;
    let before = q
        .get("before")
        .map(|b| {
            b.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("before must be an access log id".into()))
        })
        .transpose()?;
    if !matches!(caller.role(), "inspector" | "admin") {
        return Err(ApiError::Forbidden(
            "the access log is for inspectors and admins".into(),
        ));
    }
    let funds: Vec<String> = s
        .store
        .funds()
        .await?
        .into_iter()
        .filter(|(f, _)| caller.require_inspect(f).is_ok())
        .map(|(f, _)| f.code)
        .collect();
    let lines = s.store.access_log(&funds, before, limit).await?;
    let next = (lines.len() as u64 == limit)
        .then(|| lines.last().and_then(|l| l["id"].as_i64()))
        .flatten();
    Ok(Json(json!({ "access_log": lines, "next": next })))
}

/// The admin log (SPEC §9): every committee, fund, token and user action,
/// oldest first, for inspectors and admins of the scope; `after` pages
/// on from a line's id.
#[utoipa::path(get, path = "/audit/admin-log", tag = "audit", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "The `next` of the page before"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000)),
    summary = "Every committee, fund, token and user action of the caller's scope (inspector, admin)",
    responses((status = 200, body = schema::AdminLog)))]
async fn admin_log(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    for k in q.keys() {
        if !matches!(k.as_str(), "after" | "limit") {
            return Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?}; this listing takes after, limit"
            )));
        }
    }
    let limit = limit(&q)?;
    let after = q
        .get("after")
        .map(|b| {
            b.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::BadRequest("after must be an admin log id".into()))
        })
        .transpose()?
        .unwrap_or(0);
    if !matches!(caller.role(), "inspector" | "admin") {
        return Err(ApiError::Forbidden(
            "the admin log is for inspectors and admins".into(),
        ));
    }
    let lines = s.store.admin_log(caller.scope(), after, limit).await?;
    let next = (lines.len() as u64 == limit)
        .then(|| lines.last().map(|l| l.id))
        .flatten();
    Ok(Json(json!({ "admin_log": lines, "next": next })))
}

/// Days and amounts an inspector may set for the findings, with their
/// defaults and bounds.
const FINDINGS_PARAMS: [(&str, u64, u64); 3] = [
    ("ack_days", 30, 3_650),
    ("pending_days", 14, 3_650),
    ("large_vnd", 50_000_000, 1_000_000_000_000_000),
];

/// For inspectors: what in the fund's ledger deserves a second look,
/// judged against today's policy.
#[utoipa::path(get, path = "/funds/{fund}/audit/findings", tag = "audit", security(("bearer" = [])),
    params(FundPath,
        ("ack_days" = Option<u64>, Query, description = "Days a distribution may wait for its acknowledgement; 30"),
        ("pending_days" = Option<u64>, Query, description = "Days a distribution may wait for approval; 14"),
        ("large_vnd" = Option<u64>, Query, description = "From what amount an anonymous gift is large; 50,000,000")),
    summary = "Findings for inspectors",
    responses((status = 200, body = schema::Findings)))]
async fn findings(
    State(s): State<AppState>,
    caller: Caller,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_inspect(&info)?;
    if let Some(k) = q
        .keys()
        .find(|k| !FINDINGS_PARAMS.iter().any(|(n, _, _)| n == k))
    {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; findings take ack_days, pending_days, large_vnd"
        )));
    }
    let mut values = [0u64; 3];
    for (i, (name, default, max)) in FINDINGS_PARAMS.iter().enumerate() {
        values[i] = match q.get(*name) {
            None => *default,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| n <= max && v.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("{name} must be a whole number up to {max}"))
                })?,
        };
    }
    let options = Options {
        today: today_in_vietnam(time::OffsetDateTime::now_utc()),
        ack_days: values[0] as i64,
        pending_days: values[1] as i64,
        large_anonymous_vnd: values[2],
    };
    let (found, next) = s.audit_findings(&fund, options).await?;

    let mut by_severity = serde_json::Map::new();
    for f in &found {
        let n = by_severity
            .get(f.severity)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        by_severity.insert(f.severity.to_owned(), json!(n + 1));
    }
    Ok(Json(json!({
        "fund": fund,
        "size": next,
        "by_severity": by_severity,
        "findings": found,
    })))
}

/// For inspectors: `sovang verify --fund` run by the server on its own
/// database: hashes, chain, Merkle hashes, checkpoints, the fund's rules
/// and its balance. `?deep=true` compares every stored Merkle hash too.
#[utoipa::path(get, path = "/funds/{fund}/audit/verify", tag = "audit", security(("bearer" = [])),
    params(FundPath, ("deep" = Option<bool>, Query, description = "Compare every stored Merkle hash too")),
    summary = "Whole-fund verification on the server's database (inspector)",
    responses((status = 200, body = schema::Verified)))]
async fn verify(
    State(s): State<AppState>,
    caller: Caller,
    Path(fund): Path<String>,
    Query(q): Params,
) -> Result<Json<Value>, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_inspect(&info)?;
    let deep = match q.get("deep").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::BadRequest("deep must be true or false".into())),
    };
    if let Some(k) = q.keys().find(|k| k.as_str() != "deep") {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; verify takes deep"
        )));
    }
    let started = std::time::Instant::now();
    let answer = match s.store.verify_fund(&fund, deep).await {
        Ok(summary) => json!({
            "fund": fund,
            "sound": true,
            "size": summary.size,
            "root": crate::ledger::merkle::to_hex(&summary.root),
            "checkpoints_checked": summary.checkpoints,
            "balance_vnd": summary.balance_vnd.to_string(),
        }),
        Err(crate::store::verify::VerifyError::Fault(f)) => {
            tracing::warn!(fund = %fund, seq = f.seq, reason = %f.reason, "verification failed");
            json!({"fund": fund, "sound": false, "fault": {"seq": f.seq, "reason": f.reason}})
        }
        Err(crate::store::verify::VerifyError::UnknownFund(code)) => {
            return Err(ApiError::NotFound(format!("no fund {code:?}")))
        }
        Err(crate::store::verify::VerifyError::Store(e)) => return Err(e.into()),
    };
    tracing::info!(fund = %fund, deep, elapsed_ms = started.elapsed().as_millis() as u64, "verified on request");
    Ok(Json(answer))
}
