//! The committee tree's year (SPEC §11): targets set by the committee
//! above (`/committees/{committee}/targets`) and roll-ups of every fund
//! below a committee for a period (`/committees/{committee}/report`, JSON,
//! CSV or XLSX).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::admin::{act, begin, lost_race, record, Begun};
use super::error::ApiError;
use super::statement::{made_at, period};
use super::xlsx::{xlsx_response, Cell, Sheet};
use super::{created, AppState};
use crate::auth::Caller;
use crate::format::vn_date;
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::today_in_vietnam;
use crate::ledger::money::SumVnd;
use crate::ledger::rollup::Figures;
use crate::ledger::values::Vnd;
use crate::service::rollup::Report;
use crate::store::Targets;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(targets, set_targets))
        .routes(routes!(report))
        .routes(routes!(outcomes))
}

/// Households leaving poverty and sponsorships, as published.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Outcomes {
    fund: String,
    /// Fewest households a published count may show.
    min_public_households: u64,
    /// By commune and review year; a count below the minimum is withheld
    /// (`households` null, `fewer_than` set).
    left_poverty: Vec<Value>,
    sponsorships: Vec<Value>,
}

#[utoipa::path(get, path = "/funds/{fund}/outcomes", tag = "statements",
    params(super::schema::FundPath),
    summary = "Households leaving poverty by commune and year, and sponsorships with their progress (public)",
    responses((status = 200, body = Outcomes)))]
/// What the fund's support led to: households that a year's review found
/// out of poverty, per commune and year and by the support they had
/// received, small counts withheld; and each sponsorship with how far it
/// came. No household is named.
async fn outcomes(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let fund = s.fund(&code).await?;
    let books = s.page_books(&fund.code).await?;
    let min = s.min_public_households();
    Ok(Json(json!({
        "fund": fund.code,
        "min_public_households": min,
        "left_poverty": crate::ledger::outcomes::left_poverty(&books.book, min),
        "sponsorships": crate::ledger::outcomes::sponsorships(&books.book, None),
    })))
}

/// A committee's code in a path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CommitteePath {
    /// The committee's code, such as `HN`.
    pub committee: String,
}

/// Largest number of households or houses a target names: more than the
/// country's poor households.
pub const TARGET_COUNT_MAX: u64 = 10_000_000;

/// A year's targets for a committee (chỉ tiêu).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TargetsInput {
    year: i32,
    /// Money to mobilise, đồng: digits or a JSON integer, 0 to 10^15.
    #[schema(value_type = String)]
    mobilise_vnd: Vnd,
    households: u64,
    houses: u64,
}

/// The targets of a committee, every year.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TargetsList {
    committee_code: String,
    targets: Vec<TargetsSet>,
}

/// One year's targets, who set them and when.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TargetsSet {
    committee_code: String,
    year: i32,
    mobilise_vnd: String,
    households: u64,
    houses: u64,
    set_by: String,
    set_at: String,
}

#[utoipa::path(get, path = "/committees/{committee}/targets", tag = "committees",
    params(CommitteePath),
    summary = "A committee's targets, every year (public)",
    responses((status = 200, body = TargetsList)))]
async fn targets(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = s
        .store
        .committee(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no committee {code:?}")))?;
    let list = s.store.targets(&c.code, None).await?;
    Ok(Json(json!({"committee_code": c.code, "targets": list})))
}

#[utoipa::path(post, path = "/committees/{committee}/targets", tag = "committees",
    security(("bearer" = [])), params(CommitteePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")),
    request_body = TargetsInput,
    summary = "Set a year's targets for a committee (admin of a committee above it)",
    responses((status = 201, body = TargetsSet)))]
/// Sets a committee's targets for a year; setting them again replaces
/// them, and the admin log keeps every setting. Only an admin of a
/// committee above may: a committee does not set its own targets.
async fn set_targets(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let route = format!("POST /committees/{code}/targets");
    let (input, key) = match begin::<TargetsInput>(&s, &caller, &headers, body, &route).await? {
        Begun::Fresh(input, key) => (input, key),
        Begun::Answered(replayed) => return Ok(replayed),
    };
    let c = s
        .store
        .committee(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no committee {code:?}")))?;
    let parent = match &c.parent_code {
        Some(p) => Some(
            s.store
                .committee(p)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("committee {p} is missing")))?,
        ),
        None => None,
    };
    // The committee above, or the deployment's admins for a top committee.
    caller
        .require_admin(parent.as_ref().map(|p| p.path.as_str()))
        .map_err(|_| {
            ApiError::Forbidden(format!(
                "targets for {} are set by an admin of a committee above it",
                c.code
            ))
        })?;
    let mut e = FieldErrors::default();
    let this_year = today_in_vietnam(time::OffsetDateTime::now_utc()).year();
    // A year's targets are what its review is measured against: fixed
    // once the year has ended.
    if !(this_year..=this_year + 1).contains(&input.year) {
        e.push(
            "year",
            format!(
                "must be {this_year} or {}: the targets of a year that has ended stay as they were",
                this_year + 1
            ),
        );
    }
    for (field, n) in [("households", input.households), ("houses", input.houses)] {
        if n > TARGET_COUNT_MAX {
            e.push(field, format!("must be from 0 to {TARGET_COUNT_MAX}"));
        }
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let t = Targets {
        committee_code: c.code.clone(),
        year: input.year,
        mobilise_vnd: SumVnd::from(input.mobilise_vnd.get()),
        households: input.households,
        houses: input.houses,
        set_by: caller.id().to_owned(),
        set_at: String::new(),
    };
    let detail = json!({"year": t.year, "mobilise_vnd": t.mobilise_vnd.to_string(),
        "households": t.households, "houses": t.houses});
    let by = act(&caller, "targets_set", &c.code, &c.path, detail);
    // The stored answer of a replay carries the time of the first setting.
    let answer = |t: &Targets| serde_json::to_value(t).unwrap_or_default();
    let at = crate::store::now_text();
    let response = answer(&Targets {
        set_at: at.clone(),
        ..t.clone()
    });
    let stored = s
        .store
        .set_targets(&Targets { set_at: at, ..t }, record(&key, &response), &by)
        .await;
    let saved = match stored {
        Ok(saved) => saved,
        Err(e) => return lost_race(&s, &key, e).await,
    };
    tracing::info!(committee = %saved.committee_code, year = saved.year, by = %caller.id(), "targets set");
    Ok(created(201, &answer(&saved), false))
}

#[utoipa::path(get, path = "/committees/{committee}/report", tag = "committees",
    params(CommitteePath,
        ("period" = Option<String>, Query, description = "2026-H1, 2026, 2026-Q4 or 2026-10, instead of from and to"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD"),
        ("format" = Option<String>, Query, description = "json, csv or xlsx")),
    summary = "The roll-up of a committee's subtree for a period (public)",
    responses((status = 200, description = "The roll-up, or its file", content(
        (Report = "application/json"),
        (String = "text/csv; charset=utf-8"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn report(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (from, to) = period(&q)?;
    let format = q.get("format").map_or("json", String::as_str);
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::BadRequest(format!(
            "format {format:?} is not one of json, csv, xlsx"
        )));
    }
    let r = s.rollup(&code, from, to).await?;
    if !r.balanced {
        tracing::error!(committee = %code, "roll-up does not balance");
    }
    let name = format!("tong-hop-{}-{}-{}", r.committee.code, r.from, r.to);
    match format {
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            csv(&r),
        )
            .into_response()),
        "xlsx" => {
            let title = [
                "BÁO CÁO TỔNG HỢP THU, CHI".to_owned(),
                r.committee.name.clone(),
                format!("Kỳ báo cáo: {} – {}", vn_date(&r.from), vn_date(&r.to)),
                made_at(),
            ];
            let mut sheet = Sheet::new("Tổng hợp", &title, &HEADINGS, &WIDTHS, false)?;
            for (i, row) in rows(&r).into_iter().enumerate() {
                if i + 1 == rows_len(&r) {
                    sheet.push_total(&row)?;
                } else {
                    sheet.push(&row)?;
                }
            }
            Ok(xlsx_response(
                &format!("{name}.xlsx"),
                sheet.into_bytes()?.into(),
            ))
        }
        _ => Ok(Json(r).into_response()),
    }
}

/// The columns of the roll-up as a table, in Vietnamese.
pub const HEADINGS: [&str; 20] = [
    "Loại dòng",
    "Mã",
    "Tên",
    "Dư đầu kỳ (tiền)",
    "Số món tiền",
    "Nhận tiền",
    "Số món hiện vật",
    "Nhận hiện vật (quy ra tiền)",
    "Nhận chuyển đến",
    "Chi hỗ trợ bằng tiền",
    "Chi hỗ trợ bằng hiện vật",
    "Chi phí",
    "Chuyển đi",
    "Điều chỉnh (bút toán đảo)",
    "Dư cuối kỳ (tiền)",
    "Số hộ được hỗ trợ",
    "Nhà xây mới",
    "Nhà sửa chữa",
    "Quà Tết",
    "Mã băm báo cáo quỹ (statement_sha256)",
];

const WIDTHS: [f64; 20] = [
    14.0, 14.0, 36.0, 18.0, 10.0, 18.0, 10.0, 18.0, 18.0, 18.0, 18.0, 14.0, 18.0, 14.0, 18.0, 10.0,
    10.0, 10.0, 10.0, 66.0,
];

fn rows_len(r: &Report) -> usize {
    r.funds.len() + r.children.len() + 1
}

/// One row per own fund, one per child committee, then the subtree's
/// total (transfers inside it netted).
fn rows(r: &Report) -> Vec<Vec<Cell>> {
    let line = |what: &str, code: &str, name: &str, f: &Figures, sha: &str| {
        vec![
            Cell::Text(what.to_owned()),
            Cell::Text(code.to_owned()),
            Cell::Text(name.to_owned()),
            Cell::Vnd(f.opening_balance_vnd),
            Cell::Number(i64::try_from(f.gifts_cash).unwrap_or(i64::MAX)),
            Cell::Vnd(f.received_cash_vnd),
            Cell::Number(i64::try_from(f.gifts_in_kind).unwrap_or(i64::MAX)),
            Cell::Vnd(f.received_in_kind_vnd),
            Cell::Vnd(f.transfers_in_vnd),
            Cell::Vnd(f.distributed_cash_vnd),
            Cell::Vnd(f.distributed_goods_vnd),
            Cell::Vnd(f.expenses_vnd),
            Cell::Vnd(f.transfers_out_vnd),
            Cell::Vnd(f.reversals_cash_vnd),
            Cell::Vnd(f.closing_balance_vnd),
            Cell::Number(i64::try_from(f.households_reached).unwrap_or(i64::MAX)),
            Cell::Number(i64::try_from(f.houses_built).unwrap_or(i64::MAX)),
            Cell::Number(i64::try_from(f.houses_repaired).unwrap_or(i64::MAX)),
            Cell::Number(i64::try_from(f.tet_gifts).unwrap_or(i64::MAX)),
            Cell::Text(sha.to_owned()),
        ]
    };
    let mut out = Vec::with_capacity(rows_len(r));
    for f in &r.funds {
        out.push(line(
            "Quỹ",
            &f.fund,
            &f.name,
            &f.figures,
            &f.statement_sha256,
        ));
    }
    for c in &r.children {
        out.push(line("Cấp dưới", &c.code, &c.name, &c.figures, ""));
    }
    let c = &r.committee;
    out.push(line("Tổng cộng", &c.code, &c.name, &c.figures, ""));
    out
}

/// The roll-up as CSV, with a byte-order mark so spreadsheet programs read
/// the Vietnamese as UTF-8.
fn csv(r: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADINGS);
    for row in rows(r) {
        let _ = w.write_record(row.into_iter().map(Cell::csv_text));
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}
