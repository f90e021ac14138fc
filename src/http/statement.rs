//! `GET /funds/{fund}/statement`: sources and uses of a fund for a period
//! (`?from=&to=` days, or `?period=2026-10` / `2026-H2` / `2026`), as JSON
//! or CSV with Vietnamese headings. Public: it holds only what the ledger
//! holds, added up.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use time::Date;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema::{self, FundPath};
use super::xlsx::{xlsx_response, Cell, Sheet};
use super::AppState;
use crate::format::vn_date;
use crate::ledger::ids::{format_date, parse_date, today_in_vietnam};
use crate::ledger::kinds::corrections::Period;
use crate::ledger::statement::Statement;
use crate::ledger::uses::{where_it_went, Places};
use crate::store::Store;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(statement))
        .routes(routes!(where_money_went))
}

/// The first day a statement may start on.
const EPOCH: Date = time::macros::date!(2000 - 01 - 01);

/// The period asked for: `period`, or `from` and `to` (each defaulting to
/// the whole life of the fund up to today).
pub(crate) fn period(q: &HashMap<String, String>) -> Result<(Date, Date), ApiError> {
    const PARAMS: [&str; 4] = ["from", "to", "period", "format"];
    if let Some(k) = q.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; the statement takes {}",
            PARAMS.join(", ")
        )));
    }
    let today = today_in_vietnam(time::OffsetDateTime::now_utc());
    if let Some(p) = q.get("period") {
        if q.contains_key("from") || q.contains_key("to") {
            return Err(ApiError::BadRequest(
                "give period, or from and to, not both".into(),
            ));
        }
        let p = Period::parse(p).map_err(|e| ApiError::BadRequest(format!("period {e}")))?;
        return Ok((p.first_day, p.last_day));
    }
    let day = |name: &str, default: Date| -> Result<Date, ApiError> {
        q.get(name).map_or(Ok(default), |d| {
            parse_date(d, name).map_err(|e| ApiError::BadRequest(format!("{name} {}", e.message)))
        })
    };
    let (from, to) = (day("from", EPOCH)?, day("to", today)?);
    if from > to {
        return Err(ApiError::BadRequest("from is after to".into()));
    }
    Ok((from, to))
}

/// Folds the fund's ledger into the statement of `from..=to`, reading no
/// further than the period's end.
pub async fn build(store: &Store, fund: &str, from: Date, to: Date) -> Result<Statement, ApiError> {
    Ok(crate::service::build_statement(store, fund, from, to)
        .await?
        .0)
}

/// Where the money of the fund, or of one campaign (`?campaign=`), went.
#[utoipa::path(get, path = "/funds/{fund}/where-money-went", tag = "statements",
    params(FundPath, ("campaign" = Option<String>, Query, description = "One campaign's money only")),
    summary = "Where the money of the fund, or of one campaign, went",
    responses((status = 200, body = schema::WhereMoneyWent)))]
async fn where_money_went(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let fund = s.fund(&code).await?;
    if let Some(k) = q.keys().find(|k| k.as_str() != "campaign") {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; this takes campaign"
        )));
    }
    let hamlets = s.private_hamlets(&fund.code).await?;
    let books = s.page_books(&fund.code).await?;
    let book = &books.book;
    let campaign = q.get("campaign").map(String::as_str);
    let places = Places {
        private_hamlets: &hamlets,
        min_households: s.min_public_households(),
    };
    let went = where_it_went(book, campaign, places).ok_or_else(|| {
        ApiError::NotFound(format!(
            "fund {} has no campaign {:?}",
            fund.code,
            campaign.unwrap_or_default()
        ))
    })?;
    Ok(Json(went).into_response())
}

#[utoipa::path(get, path = "/funds/{fund}/statement", tag = "statements",
    params(FundPath,
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD"),
        ("period" = Option<String>, Query, description = "2026-10, 2026-Q4, 2026-H2 or 2026, instead of from and to"),
        ("format" = Option<String>, Query, description = "json, csv or xlsx")),
    summary = "Sources and uses for a period, opening to closing balance",
    responses((status = 200, description = "The statement, or its file", content(
        (schema::Statement = "application/json"),
        (String = "text/csv; charset=utf-8"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn statement(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let fund = s.fund(&code).await?;
    let (from, to) = period(&q)?;
    let format = q.get("format").map_or("json", String::as_str);
    if !matches!(format, "json" | "csv" | "xlsx") {
        return Err(ApiError::BadRequest(format!(
            "format {format:?} is not one of json, csv, xlsx"
        )));
    }
    let st = s.statement(&fund.code, from, to).await?;
    if !st.balanced {
        tracing::error!(fund = %fund.code, "statement does not balance");
    }
    let name = format!(
        "bao-cao-{}-{}-{}",
        fund.code,
        format_date(from),
        format_date(to)
    );
    if format == "csv" {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            csv(&st),
        )
            .into_response());
    }
    if format == "xlsx" {
        let title = [
            "BÁO CÁO THU, CHI QUỸ".to_owned(),
            fund.name.clone(),
            format!("Kỳ báo cáo: {} – {}", vn_date(&st.from), vn_date(&st.to)),
            format!(
                "Mã băm của báo cáo (statement_sha256): {}",
                st.sha256().map_err(ApiError::Internal)?
            ),
            made_at(),
        ];
        return Ok(xlsx_response(
            &format!("{name}.xlsx"),
            xlsx(&st, &title)?.into(),
        ));
    }
    let sha256 = st.sha256().map_err(ApiError::Internal)?;
    let mut v = serde_json::to_value(&st).map_err(|e| ApiError::Internal(e.to_string()))?;
    v["statement_sha256"] = serde_json::Value::String(sha256);
    Ok(Json(v).into_response())
}

/// One line of the statement as published: section, line, count or
/// quantity, đồng.
type Line = (&'static str, String, String, Option<i128>);

/// The statement's lines, with Vietnamese headings.
fn lines(st: &Statement) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut row =
        |a: &'static str, b: &str, c: String, d: Option<i128>| out.push((a, b.to_owned(), c, d));
    row(
        "Kỳ báo cáo",
        &format!("{} – {}", vn_date(&st.from), vn_date(&st.to)),
        String::new(),
        None,
    );
    row(
        "Số dư đầu kỳ",
        "Tiền",
        String::new(),
        Some(st.opening.balance_vnd),
    );
    row(
        "Số dư đầu kỳ",
        "Hàng hóa (giá trị)",
        String::new(),
        Some(st.opening.stock_value_vnd),
    );
    let src = &st.sources;
    row(
        "Nguồn thu",
        "Tiền ủng hộ",
        src.gifts_cash.count.to_string(),
        Some(src.gifts_cash.amount_vnd),
    );
    for (channel, t) in &src.gifts_by_channel {
        row(
            "Nguồn thu",
            &format!("Tiền ủng hộ – {}", channel_vn(channel)),
            t.count.to_string(),
            Some(t.amount_vnd),
        );
    }
    row(
        "Nguồn thu",
        "Hàng hóa ủng hộ (giá trị)",
        src.gifts_in_kind.count.to_string(),
        Some(src.gifts_in_kind.amount_vnd),
    );
    for (campaign, c) in &src.gifts_by_campaign {
        let name = if campaign.is_empty() {
            "(không thuộc đợt vận động)"
        } else {
            campaign
        };
        row(
            "Theo đợt vận động",
            name,
            c.count.to_string(),
            Some(c.cash_vnd + c.goods_vnd),
        );
    }
    row(
        "Nguồn thu",
        "Nhận chuyển từ quỹ khác",
        src.transfers_in.count.to_string(),
        Some(src.transfers_in.amount_vnd),
    );
    let uses = &st.uses;
    row(
        "Sử dụng",
        "Chi hỗ trợ (tiền)",
        uses.distributions.count.to_string(),
        Some(uses.distributions.cash_vnd),
    );
    row(
        "Sử dụng",
        "Chi hỗ trợ (hàng hóa, giá trị)",
        uses.distributions.count.to_string(),
        Some(uses.distributions.goods_vnd),
    );
    for (t, d) in &uses.distributions_by_type {
        row(
            "Chi hỗ trợ theo loại",
            t,
            format!("{} lượt / {} hộ", d.count, d.households),
            Some(d.cash_vnd + d.goods_vnd),
        );
    }
    row(
        "Sử dụng",
        "Chuyển cho quỹ khác",
        uses.transfers_out.count.to_string(),
        Some(uses.transfers_out.amount_vnd),
    );
    row(
        "Sử dụng",
        "Chi phí",
        uses.expenses.count.to_string(),
        Some(uses.expenses.amount_vnd),
    );
    for (c, t) in &uses.expenses_by_category {
        row(
            "Chi phí theo loại",
            c,
            t.count.to_string(),
            Some(t.amount_vnd),
        );
    }
    row(
        "Điều chỉnh",
        "Bút toán đảo",
        st.reversals.count.to_string(),
        Some(st.reversals.cash_effect_vnd),
    );
    for a in &st.reversals.prior_period_adjustments {
        row(
            "Điều chỉnh kỳ trước",
            &format!("#{} đảo #{} ({})", a.seq, a.reverses_seq, a.reason),
            String::new(),
            Some(a.cash_effect_vnd),
        );
    }
    row(
        "Số dư cuối kỳ",
        "Tiền",
        String::new(),
        Some(st.closing.balance_vnd),
    );
    row(
        "Số dư cuối kỳ",
        "Hàng hóa (giá trị)",
        String::new(),
        Some(st.closing.stock_value_vnd),
    );
    for g in &st.goods {
        let item = format!("{} ({})", g.item, g.unit);
        row(
            "Hàng hóa đầu kỳ",
            &item,
            g.opening_quantity.to_string(),
            Some(g.opening_value_vnd),
        );
        row(
            "Hàng hóa nhận",
            &item,
            g.received_quantity.to_string(),
            Some(g.received_value_vnd),
        );
        row(
            "Hàng hóa cấp phát",
            &item,
            g.distributed_quantity.to_string(),
            Some(g.distributed_value_vnd),
        );
        row(
            "Hàng hóa điều chỉnh",
            &item,
            g.adjusted_quantity.to_string(),
            Some(g.adjusted_value_vnd),
        );
        row(
            "Hàng hóa tồn cuối kỳ",
            &item,
            g.closing_quantity.to_string(),
            Some(g.closing_value_vnd),
        );
    }
    out
}

const HEADINGS: [&str; 4] = ["Mục", "Khoản", "Số lượng", "Số tiền (đồng)"];

/// The statement as CSV.
fn csv(st: &Statement) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADINGS);
    for (a, b, c, d) in lines(st) {
        // Labels carry clerks' words (reversal reasons): kept as text.
        let _ = w.write_record([
            a.to_owned(),
            Cell::Text(b).csv_text(),
            c,
            d.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

/// When an export was made, for the line under its title.
pub fn made_at() -> String {
    format!(
        "Lập lúc {} (giờ Việt Nam) từ sổ cái Sổ Vàng",
        crate::format::vn_time(time::OffsetDateTime::now_utc())
    )
}

/// The statement as a spreadsheet, under `title`.
fn xlsx(st: &Statement, title: &[String]) -> Result<Vec<u8>, ApiError> {
    let mut sheet = Sheet::new(
        "Báo cáo",
        title,
        &HEADINGS,
        &[22.0, 48.0, 16.0, 20.0],
        false,
    )?;
    for (a, b, c, d) in lines(st) {
        let amount = d.map_or(Cell::Text(String::new()), Cell::Vnd);
        // A count is a number a spreadsheet can sum.
        let count = c.parse::<i64>().map_or(Cell::Text(c), Cell::Number);
        sheet.push(&[Cell::Text(a.to_owned()), Cell::Text(b), count, amount])?;
    }
    sheet.into_bytes()
}

fn channel_vn(channel: &str) -> &str {
    match channel {
        "cash" => "tiền mặt",
        "bank_transfer" => "chuyển khoản",
        "qr_transfer" => "quét mã QR",
        "e_wallet" => "ví điện tử",
        other => other,
    }
}
