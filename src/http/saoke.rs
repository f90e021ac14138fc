//! `GET /funds/{fund}/donations`: the public statement of gifts (sao kê),
//! searchable the way people searched the 2024 statements, without the
//! private data they exposed. JSON pages with a cursor, or the whole
//! matching statement as CSV, streamed a page at a time.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema::{self, FundPath};
use super::xlsx::{Cell, Sheet};
use super::{AppState, PAGE_MAX};
use crate::format::vn_date;
use crate::store::donations::{DonationFilter, Gift};
use crate::store::{FundInfo, Store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(donations))
}

#[utoipa::path(get, path = "/funds/{fund}/donations", tag = "statements",
    params(FundPath,
        ("q" = Option<String>, Query, description = "Words of the donor's name, in any case, with or without tones"),
        ("campaign" = Option<String>, Query),
        ("from" = Option<String>, Query, description = "First day received, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Last day received, YYYY-MM-DD"),
        ("min_vnd" = Option<String>, Query, description = "Whole đồng; Vietnamese grouping (1.000.000) is read"),
        ("max_vnd" = Option<String>, Query),
        ("receipt_no" = Option<String>, Query),
        ("bank_ref" = Option<String>, Query),
        ("kind" = Option<String>, Query, description = "cash or in_kind"),
        ("status" = Option<String>, Query, description = "valid or voided"),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (pages), csv or xlsx (the whole match)")),
    summary = "The public statement of gifts (sao kê): search, filters, pages; CSV and XLSX of the whole match",
    responses((status = 200, description = "A page, or the file", content(
        (schema::Donations = "application/json"),
        (String = "text/csv; charset=utf-8"),
        (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn donations(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let fund = s.fund(&code).await?;
    let f = DonationFilter::from_query(&q).map_err(ApiError::BadRequest)?;
    let format = q.get("format").map_or("json", String::as_str);
    let cursor = q
        .get("cursor")
        .map(|c| {
            c.parse::<u64>()
                .ok()
                .filter(|n| i64::try_from(*n).is_ok())
                .ok_or_else(|| {
                    ApiError::BadRequest("cursor must be the next field of a page".into())
                })
        })
        .transpose()?;
    match format {
        "json" => {
            let limit = super::books::limit(&q)?;
            let rows = s.store.donations(&fund.code, &f, cursor, limit).await?;
            let next = (rows.len() as u64 == limit)
                .then(|| rows.last().map(|r| r.seq))
                .flatten()
                .map(|n| n.to_string());
            let matched = s.store.donations_matched(&fund.code, &f).await?;
            Ok(Json(json!({
                "fund": fund.code,
                "matched": matched,
                "donations": rows,
                "next": next,
            }))
            .into_response())
        }
        "csv" => {
            let campaigns = campaign_names(&s, &fund.code).await?;
            Ok(csv_response(s.store.clone(), fund.code, f, campaigns))
        }
        "xlsx" => {
            let campaigns = campaign_names(&s, &fund.code).await?;
            xlsx(&s.store, &fund, &f, &campaigns).await
        }
        other => Err(ApiError::BadRequest(format!(
            "format {other:?} is not one of json, csv, xlsx"
        ))),
    }
}

/// One row of the published statement: the gift, its place in the
/// statement (1, 2, 3, …) and the fund's campaigns' names by id.
struct Row<'a> {
    n: u64,
    gift: &'a Gift,
    campaigns: &'a HashMap<String, String>,
}

/// A column of the published statement of gifts: its heading (in
/// Vietnamese, as the committees publish it), its width in a spreadsheet,
/// and its cell for a row, in Vietnamese words, not the ledger's codes.
/// The CSV and XLSX exports are both made from [`COLUMNS`]; a column is
/// added there and nowhere else.
struct Column {
    heading: &'static str,
    width: f64,
    cell: fn(&Row) -> Cell,
}

fn text(v: &Option<String>) -> Cell {
    Cell::Text(v.clone().unwrap_or_default())
}

/// A code of the ledger in the words of the statement.
fn words(code: &str) -> &str {
    match code {
        "individual" => "Cá nhân",
        "organization" => "Tổ chức",
        "anonymous" => "Ẩn danh",
        "cash" => "Tiền mặt",
        "in_kind" => "Hiện vật",
        "bank_transfer" => "Chuyển khoản",
        "qr_transfer" => "Quét mã QR",
        "e_wallet" => "Ví điện tử",
        "valid" => "Hợp lệ",
        "voided" => "Đã hủy",
        other => other,
    }
}

/// The heading of the amounts' column, under which totals are written.
const AMOUNT_HEADING: &str = "Số tiền / giá trị (đồng)";

const COLUMNS: [Column; 14] = [
    Column {
        heading: "STT",
        width: 8.0,
        cell: |r| Cell::Number(i64::try_from(r.n).unwrap_or(i64::MAX)),
    },
    Column {
        heading: "Bút toán số",
        width: 10.0,
        cell: |r| Cell::Number(i64::try_from(r.gift.seq).unwrap_or(i64::MAX)),
    },
    Column {
        heading: "Số biên lai",
        width: 22.0,
        cell: |r| Cell::Text(r.gift.receipt_no.clone()),
    },
    Column {
        heading: "Ngày nhận",
        width: 12.0,
        cell: |r| match crate::ledger::ids::parse_date(&r.gift.received_on, "received_on") {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::Text(vn_date(&r.gift.received_on)),
        },
    },
    Column {
        heading: "Nhà hảo tâm",
        width: 36.0,
        cell: |r| Cell::Text(r.gift.donor.display.clone()),
    },
    Column {
        heading: "Loại nhà hảo tâm",
        width: 14.0,
        cell: |r| Cell::Text(words(&r.gift.donor.kind).to_owned()),
    },
    Column {
        heading: "Hình thức",
        width: 10.0,
        // A cash gift's form is "Tiền", not its channel's "Tiền mặt".
        cell: |r| {
            Cell::Text(
                match r.gift.kind.as_str() {
                    "cash" => "Tiền",
                    other => words(other),
                }
                .to_owned(),
            )
        },
    },
    Column {
        heading: AMOUNT_HEADING,
        width: 18.0,
        cell: |r| Cell::Vnd(i128::from(r.gift.amount_vnd)),
    },
    Column {
        heading: "Hàng hóa",
        width: 30.0,
        cell: |r| text(&r.gift.goods),
    },
    Column {
        heading: "Kênh",
        width: 14.0,
        cell: |r| text(&r.gift.channel.as_deref().map(|c| words(c).to_owned())),
    },
    Column {
        heading: "Chiến dịch",
        width: 24.0,
        cell: |r| {
            text(
                &r.gift
                    .campaign_id
                    .as_ref()
                    .map(|id| r.campaigns.get(id).cloned().unwrap_or_else(|| id.clone())),
            )
        },
    },
    Column {
        heading: "Mã giao dịch ngân hàng",
        width: 20.0,
        cell: |r| text(&r.gift.bank_ref),
    },
    Column {
        heading: "Trạng thái",
        width: 10.0,
        cell: |r| Cell::Text(words(&r.gift.status).to_owned()),
    },
    Column {
        heading: "Lý do hủy",
        width: 30.0,
        cell: |r| text(&r.gift.voided_reason),
    },
];

fn headings() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.heading).collect()
}

/// A row as its cells, in [`COLUMNS`] order.
fn cells(r: &Row) -> Vec<Cell> {
    COLUMNS.iter().map(|c| (c.cell)(r)).collect()
}

fn csv_row(w: &mut csv::Writer<Vec<u8>>, r: &Row) -> csv::Result<()> {
    w.write_record(cells(r).into_iter().map(Cell::csv_text))
}

/// The names of the fund's campaigns, by id.
async fn campaign_names(s: &AppState, fund: &str) -> Result<HashMap<String, String>, ApiError> {
    let page: crate::service::reads::Page<crate::ledger::book::Campaign> =
        s.objects(fund, Default::default(), PAGE_MAX).await?;
    Ok(page
        .items
        .into_iter()
        .map(|c| (c.campaign_id, c.name))
        .collect())
}

/// The whole matching statement as a spreadsheet, written a page at a time
/// in constant memory and streamed from a temporary file.
async fn xlsx(
    store: &Store,
    info: &FundInfo,
    f: &DonationFilter,
    campaigns: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let fund = info.code.as_str();
    let widths: Vec<f64> = COLUMNS.iter().map(|c| c.width).collect();
    let title = [
        "SAO KÊ CÁC KHOẢN ỦNG HỘ".to_owned(),
        info.name.clone(),
        searched(f, campaigns),
        super::statement::made_at(),
    ];
    let mut sheet = Sheet::new("Sao kê", &title, &headings(), &widths, true)?;
    let mut after = None;
    let mut n = 0;
    loop {
        let rows = store.donations(fund, f, after, PAGE_MAX).await?;
        for gift in &rows {
            n += 1;
            sheet.push(&cells(&Row { n, gift, campaigns }))?;
        }
        after = rows.last().map(|r| r.seq);
        if (rows.len() as u64) < PAGE_MAX {
            break;
        }
    }
    // The totals, as the statement's page counts them: voided gifts apart.
    let matched = store.donations_matched(fund, f).await?;
    let sum = |text: &str| {
        text.parse::<i128>()
            .map(Cell::Vnd)
            .map_err(|_| ApiError::Internal(format!("a sum of gifts reads {text:?}")))
    };
    sheet.push_total(&total_row(
        format!("Tổng cộng: {} khoản", matched.count),
        sum(&matched.amount_vnd)?,
    ))?;
    if matched.voided_count > 0 {
        sheet.push_total(&total_row(
            format!(
                "Đã hủy (không tính vào tổng): {} khoản",
                matched.voided_count
            ),
            sum(&matched.voided_amount_vnd)?,
        ))?;
    }
    sheet.into_response(&format!("sao-ke-{fund}.xlsx")).await
}

/// A total row: `label` in the first column, `amount` under the amounts.
fn total_row(label: String, amount: Cell) -> Vec<Cell> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| match (i, c.heading) {
            (0, _) => Cell::Text(label.clone()),
            (_, AMOUNT_HEADING) => amount.clone(),
            _ => Cell::Text(String::new()),
        })
        .collect()
}

/// The search a spreadsheet holds, in words: every gift, or the filters.
fn searched(f: &DonationFilter, campaigns: &HashMap<String, String>) -> String {
    let mut parts = Vec::new();
    if let Some(q) = &f.q {
        parts.push(format!("nhà hảo tâm chứa “{q}”"));
    }
    if let Some(c) = &f.campaign {
        parts.push(format!("đợt vận động “{}”", campaigns.get(c).unwrap_or(c)));
    }
    match (&f.from, &f.to) {
        (Some(a), Some(b)) => parts.push(format!("nhận từ {} đến {}", vn_date(a), vn_date(b))),
        (Some(a), None) => parts.push(format!("nhận từ {}", vn_date(a))),
        (None, Some(b)) => parts.push(format!("nhận đến {}", vn_date(b))),
        (None, None) => {}
    }
    let vnd = |n: i64| crate::web::words::vnd(u64::try_from(n).unwrap_or(0));
    match (f.min_vnd, f.max_vnd) {
        (Some(a), Some(b)) => parts.push(format!("số tiền từ {} đến {}", vnd(a), vnd(b))),
        (Some(a), None) => parts.push(format!("số tiền từ {}", vnd(a))),
        (None, Some(b)) => parts.push(format!("số tiền đến {}", vnd(b))),
        (None, None) => {}
    }
    if let Some(r) = &f.receipt_no {
        parts.push(format!("biên lai {r}"));
    }
    if let Some(b) = &f.bank_ref {
        parts.push(format!("mã giao dịch {b}"));
    }
    if let Some(k) = &f.kind {
        parts.push(format!("hình thức: {}", words(k)));
    }
    if let Some(st) = &f.status {
        parts.push(format!("trạng thái: {}", words(st)));
    }
    match parts.is_empty() {
        true => "Mọi khoản ủng hộ của quỹ".to_owned(),
        false => format!("Các khoản ủng hộ có {}", parts.join("; ")),
    }
}

/// The whole matching statement as CSV, a page of gifts at a time.
fn csv_response(
    store: Store,
    fund: String,
    f: DonationFilter,
    campaigns: HashMap<String, String>,
) -> Response {
    struct Cursor {
        store: Store,
        fund: String,
        f: DonationFilter,
        campaigns: HashMap<String, String>,
        /// Rows written so far.
        n: u64,
        after: Option<u64>,
        started: bool,
        done: bool,
    }
    let state = Cursor {
        store,
        fund: fund.clone(),
        f,
        campaigns,
        n: 0,
        after: None,
        started: false,
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut c| async move {
        if c.done {
            return None;
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        if !c.started {
            c.started = true;
            // A byte-order mark, so spreadsheet programs read UTF-8.
            let _ = w.write_record(headings());
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend(w.into_inner().unwrap_or_default());
            return Some((Ok(bytes), c));
        }
        match c.store.donations(&c.fund, &c.f, c.after, PAGE_MAX).await {
            Ok(rows) => {
                c.done = (rows.len() as u64) < PAGE_MAX;
                c.after = rows.last().map(|r| r.seq);
                for gift in &rows {
                    c.n += 1;
                    let row = Row {
                        n: c.n,
                        gift,
                        campaigns: &c.campaigns,
                    };
                    if csv_row(&mut w, &row).is_err() {
                        break;
                    }
                }
                Some((Ok(w.into_inner().unwrap_or_default()), c))
            }
            Err(e) => {
                tracing::error!(error = %e, "statement export failed midway");
                c.done = true;
                Some((Err(std::io::Error::other("statement export failed")), c))
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"sao-ke-{fund}.csv\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
