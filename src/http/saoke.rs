//! `GET /funds/{fund}/donations`: the public statement of gifts (sao kê),
//! searchable the way people searched the 2024 statements, without the
//! private data they exposed. JSON pages with a cursor, or the whole
//! matching statement as CSV, streamed a page at a time.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::error::ApiError;
use super::xlsx::{Cell, Sheet};
use super::{AppState, PAGE_MAX};
use crate::format::vn_date;
use crate::store::donations::{DonationFilter, Gift};
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new().route("/funds/{fund}/donations", get(donations))
}

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
        "csv" => Ok(csv_response(s.store.clone(), fund.code, f)),
        "xlsx" => xlsx(&s.store, &fund.code, &f).await,
        other => Err(ApiError::BadRequest(format!(
            "format {other:?} is not one of json, csv, xlsx"
        ))),
    }
}

/// A column of the published statement of gifts: its heading (in
/// Vietnamese, as the committees publish it), its width in a spreadsheet,
/// and its cell for a gift. The CSV and XLSX exports are both made from
/// [`COLUMNS`]; a column is added there and nowhere else.
struct Column {
    heading: &'static str,
    width: f64,
    cell: fn(&Gift) -> Cell,
}

fn text(v: &Option<String>) -> Cell {
    Cell::Text(v.clone().unwrap_or_default())
}

const COLUMNS: [Column; 13] = [
    Column {
        heading: "STT",
        width: 8.0,
        cell: |g| Cell::Number(i64::try_from(g.seq).unwrap_or(i64::MAX)),
    },
    Column {
        heading: "Số biên lai",
        width: 22.0,
        cell: |g| Cell::Text(g.receipt_no.clone()),
    },
    Column {
        heading: "Ngày nhận",
        width: 12.0,
        cell: |g| Cell::Text(vn_date(&g.received_on)),
    },
    Column {
        heading: "Nhà hảo tâm",
        width: 36.0,
        cell: |g| Cell::Text(g.donor.display.clone()),
    },
    Column {
        heading: "Loại nhà hảo tâm",
        width: 14.0,
        cell: |g| Cell::Text(g.donor.kind.clone()),
    },
    Column {
        heading: "Hình thức",
        width: 10.0,
        cell: |g| Cell::Text(g.kind.clone()),
    },
    Column {
        heading: "Số tiền / giá trị (đồng)",
        width: 18.0,
        cell: |g| Cell::Vnd(i128::from(g.amount_vnd)),
    },
    Column {
        heading: "Hàng hóa",
        width: 30.0,
        cell: |g| text(&g.goods),
    },
    Column {
        heading: "Kênh",
        width: 14.0,
        cell: |g| text(&g.channel),
    },
    Column {
        heading: "Chiến dịch",
        width: 18.0,
        cell: |g| text(&g.campaign_id),
    },
    Column {
        heading: "Mã giao dịch ngân hàng",
        width: 20.0,
        cell: |g| text(&g.bank_ref),
    },
    Column {
        heading: "Trạng thái",
        width: 10.0,
        cell: |g| Cell::Text(g.status.clone()),
    },
    Column {
        heading: "Lý do hủy",
        width: 30.0,
        cell: |g| text(&g.voided_reason),
    },
];

fn headings() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.heading).collect()
}

/// A gift as the cells of a statement row, in [`COLUMNS`] order.
fn cells(g: &Gift) -> Vec<Cell> {
    COLUMNS.iter().map(|c| (c.cell)(g)).collect()
}

fn csv_row(w: &mut csv::Writer<Vec<u8>>, r: &Gift) -> csv::Result<()> {
    w.write_record(cells(r).into_iter().map(Cell::csv_text))
}

/// The whole matching statement as a spreadsheet, written a page at a time
/// in constant memory and streamed from a temporary file.
async fn xlsx(store: &Store, fund: &str, f: &DonationFilter) -> Result<Response, ApiError> {
    let widths: Vec<f64> = COLUMNS.iter().map(|c| c.width).collect();
    let mut sheet = Sheet::new("Sao kê", &headings(), &widths, true)?;
    let mut after = None;
    loop {
        let rows = store.donations(fund, f, after, PAGE_MAX).await?;
        for r in &rows {
            sheet.push(&cells(r))?;
        }
        after = rows.last().map(|r| r.seq);
        if (rows.len() as u64) < PAGE_MAX {
            break;
        }
    }
    sheet.into_response(&format!("sao-ke-{fund}.xlsx")).await
}

/// The whole matching statement as CSV, a page of gifts at a time.
fn csv_response(store: Store, fund: String, f: DonationFilter) -> Response {
    struct Cursor {
        store: Store,
        fund: String,
        f: DonationFilter,
        after: Option<u64>,
        started: bool,
        done: bool,
    }
    let state = Cursor {
        store,
        fund: fund.clone(),
        f,
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
                for r in &rows {
                    if csv_row(&mut w, r).is_err() {
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
