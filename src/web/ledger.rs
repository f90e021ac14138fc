//! The ledger as people read it (`/f/{fund}/so-cai`): every entry of a
//! fund, newest first, fifty to a page, each with its seq, the time it
//! was recorded (Vietnam), its kind and a one-line summary in the
//! reader's language, its hash and a link to check it.
//!
//! Everything shown is read from the entries' canonical text, which is
//! public already (the API and the NDJSON export serve it whole): the page
//! adds words, never data. A gift links to its own page, which checks the
//! inclusion proof in the browser; any other entry links to its inclusion
//! proof.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::error::{Missing, OrPage, PageError};
use super::forms::{category, support_type};
use super::words::vnd;
use super::{html, lang_of, other_lang, Text};
use crate::format::{vn_date, vn_time_of};
use crate::service::AppState;

/// Entries on one page.
pub const PAGE: u64 = 50;

/// One entry as the page shows it.
pub struct Row {
    pub seq: u64,
    /// `dd/mm/yyyy hh:mm`, Vietnam time.
    pub recorded: String,
    pub kind: &'static str,
    pub summary: String,
    pub hash: String,
    pub proof_href: String,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    name: String,
    size: u64,
    rows: Vec<Row>,
    /// The entries shown, first and last seq.
    shown: Option<(u64, u64)>,
    newer_href: Option<String>,
    older_href: Option<String>,
    error: Option<String>,
}

pub async fn ledger_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let size = s
        .store
        .fund_head(&fund.code)
        .await
        .map_err(PageError::internal)?
        .map_or(0, |h| h.size);
    let mut page = LedgerPage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/so-cai", fund.code), &q),
        code: fund.code.clone(),
        name: fund.name.clone(),
        size,
        rows: Vec::new(),
        shown: None,
        newer_href: None,
        older_href: None,
        error: None,
    };
    // `den` names the newest entry of the page; without it, the newest.
    let last = match q.iter().find(|(k, _)| k == "den").map(|(_, v)| v.trim()) {
        None | Some("") => size.checked_sub(1),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n < size => Some(n),
            _ => {
                page.error = Some(format!(
                    "{} {}",
                    t.pick(
                        "Số bút toán phải là một số từ 0 đến",
                        "The entry number must be a whole number from 0 to"
                    ),
                    size.saturating_sub(1)
                ));
                let mut answer = html(page);
                *answer.status_mut() = axum::http::StatusCode::BAD_REQUEST;
                return Ok(answer);
            }
        },
    };
    let Some(last) = last else {
        return Ok(html(page));
    };
    let first = (last + 1).saturating_sub(PAGE);
    let entries = s
        .store
        .entries(&fund.code, first, last + 1 - first)
        .await
        .map_err(PageError::internal)?;
    let href = |den: u64| format!("/f/{}/so-cai?den={den}&lang={}", fund.code, t.lang);
    page.rows = entries
        .iter()
        .rev()
        .map(|e| row(t, &fund.code, e.seq, &e.hash, &e.canonical))
        .collect();
    page.shown = Some((first, last));
    page.newer_href = (last + 1 < size).then(|| href((last + PAGE).min(size - 1)));
    page.older_href = first.checked_sub(1).map(href);
    Ok(html(page))
}

fn row(t: &Text, fund: &str, seq: u64, hash: &[u8], canonical: &str) -> Row {
    let entry: Value = serde_json::from_str(canonical).unwrap_or(Value::Null);
    let kind_code = entry["kind"].as_str().unwrap_or_default();
    let body = &entry["body"];
    let proof_href = match kind_code {
        "donation_cash" | "donation_in_kind" => format!("/f/{fund}/g/{seq}?lang={}", t.lang),
        _ => format!("/api/v1/funds/{fund}/proof/inclusion?seq={seq}"),
    };
    Row {
        seq,
        recorded: vn_time_of(entry["recorded_at"].as_str().unwrap_or_default()),
        kind: kind_name(t, kind_code),
        summary: summary(t, kind_code, body),
        hash: hex::encode(hash),
        proof_href,
    }
}

/// An entry kind as people name it.
pub fn kind_name(t: &Text, kind: &str) -> &'static str {
    match kind {
        "fund_opened" => t.pick("Mở quỹ", "Fund opened"),
        "campaign_opened" => t.pick("Mở đợt vận động", "Campaign opened"),
        "campaign_closed" => t.pick("Kết thúc đợt vận động", "Campaign closed"),
        "pledge" => t.pick("Đăng ký ủng hộ", "Pledge"),
        "pledge_cancelled" => t.pick("Hủy đăng ký ủng hộ", "Pledge cancelled"),
        "donation_cash" => t.pick("Ủng hộ bằng tiền", "Cash gift"),
        "donation_in_kind" => t.pick("Ủng hộ hiện vật", "Gift in kind"),
        "household_registered" => t.pick("Đăng ký hộ", "Household registered"),
        "household_reclassified" => t.pick("Phân loại lại hộ", "Household reclassified"),
        "household_reviewed" => t.pick("Kết quả rà soát hộ", "Household reviewed"),
        "sponsorship_registered" => {
            t.pick("Đăng ký nhận giúp đỡ hộ nghèo", "Sponsorship registered")
        }
        "distribution" => t.pick("Hỗ trợ hộ", "Support given"),
        "distribution_approved" => t.pick("Duyệt khoản hỗ trợ", "Support approved"),
        "distribution_voided" => t.pick("Hủy khoản hỗ trợ", "Support voided"),
        "distribution_acknowledged" => t.pick("Biên bản bàn giao", "Handover recorded"),
        "transfer_out" => t.pick("Chuyển quỹ đi", "Transfer out"),
        "transfer_in" => t.pick("Nhận chuyển quỹ", "Transfer in"),
        "expense" => t.pick("Chi phí", "Expense"),
        "outflow_approved" => t.pick("Duyệt khoản chi", "Outflow approved"),
        "outflow_voided" => t.pick("Hủy khoản chi", "Outflow voided"),
        "stock_adjusted" => t.pick("Điều chỉnh kho", "Stock adjusted"),
        "reversal" => t.pick("Bút toán đảo", "Reversal"),
        "period_closed" => t.pick("Khóa sổ kỳ", "Period closed"),
        "bank_account_opened" => t.pick("Mở tài khoản nhận", "Receiving account opened"),
        "bank_statement_sealed" => t.pick("Niêm phong sao kê", "Bank statement sealed"),
        _ => t.pick("Bút toán khác", "Other entry"),
    }
}

/// An amount field (a decimal string or a number) in đồng.
fn money(v: &Value) -> Option<String> {
    let n = match v {
        Value::String(s) => s.parse::<u64>().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    Some(vnd(n))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// One line saying what an entry did, from its public body.
pub fn summary(t: &Text, kind: &str, b: &Value) -> String {
    let amount = |field: &str| money(&b[field]).unwrap_or_default();
    let donor = || text(&b["donor"]["display"]).to_owned();
    let reason = || {
        let r = text(&b["reason"]);
        if r.is_empty() {
            String::new()
        } else {
            format!(": {r}")
        }
    };
    match kind {
        "fund_opened" => format!("{} · {}", text(&b["fund_code"]), text(&b["committee_name"])),
        "campaign_opened" => format!(
            "{} ({} – {})",
            text(&b["name"]),
            vn_date(text(&b["starts_on"])),
            vn_date(text(&b["ends_on"]))
        ),
        "campaign_closed" => format!("{}{}", text(&b["campaign_id"]), reason()),
        "pledge" => match money(&b["amount_vnd"]) {
            Some(a) => format!("{}: {a}", donor()),
            None => format!("{}: {}", donor(), t.pick("hiện vật", "goods")),
        },
        "pledge_cancelled" => format!("{}{}", text(&b["pledge_id"]), reason()),
        "donation_cash" => format!("{}: {}", donor(), amount("amount_vnd")),
        "donation_in_kind" => format!(
            "{}: {} {}",
            donor(),
            t.pick("hàng trị giá", "goods worth"),
            amount("total_value_vnd")
        ),
        "household_registered" | "household_reclassified" => format!(
            "{} · {}",
            text(&b["household_id"]),
            category(t, text(&b["category"]))
        ),
        "household_reviewed" => format!(
            "{} · {} {}",
            text(&b["household_id"]),
            category(t, text(&b["category"])),
            b["review_year"]
        ),
        "sponsorship_registered" => format!(
            "{} · {} {}",
            text(&b["sponsor"]["display"]),
            t.pick("năm", "year"),
            b["year"]
        ),
        "distribution" => {
            let mut line = format!(
                "{} · {}",
                text(&b["household_id"]),
                support_type(t, text(&b["support_type"]))
            );
            if let Some(cash) = money(&b["cash_vnd"]).filter(|_| b["cash_vnd"] != "0") {
                line.push_str(&format!(" · {cash}"));
            }
            let goods = b["items"].as_array().map_or(0, Vec::len);
            if goods > 0 {
                line.push_str(&format!(" · {goods} {}", t.pick("mặt hàng", "item lines")));
            }
            line
        }
        "distribution_approved" | "distribution_acknowledged" => {
            text(&b["distribution_id"]).to_owned()
        }
        "distribution_voided" => format!("{}{}", text(&b["distribution_id"]), reason()),
        "transfer_out" => format!(
            "{} {}: {}",
            t.pick("sang quỹ", "to fund"),
            text(&b["counterparty_fund"]),
            amount("amount_vnd")
        ),
        "transfer_in" => format!(
            "{} {}: {}",
            t.pick("từ quỹ", "from fund"),
            text(&b["counterparty_fund"]),
            amount("amount_vnd")
        ),
        "expense" => format!("{}: {}", text(&b["category"]), amount("amount_vnd")),
        "outflow_approved" => format!("{} {}", t.pick("bút toán", "entry"), b["of_seq"]),
        "outflow_voided" => format!(
            "{} {}{}",
            t.pick("bút toán", "entry"),
            b["of_seq"],
            reason()
        ),
        "stock_adjusted" => format!("{} {}", text(&b["item"]), text(&b["quantity_delta"])),
        "reversal" => format!(
            "{} {}{}",
            t.pick("bút toán", "entry"),
            b["reverses_seq"],
            reason()
        ),
        "period_closed" => format!(
            "{} · {} {}",
            text(&b["period"]),
            t.pick("số dư cuối kỳ", "closing balance"),
            amount("closing_balance_vnd")
        ),
        "bank_account_opened" => format!("{} {}", text(&b["bank_name"]), text(&b["account_no"])),
        "bank_statement_sealed" => format!(
            "{} · {} – {} · {} {} · {}",
            text(&b["account_no"]),
            vn_date(text(&b["first_day"])),
            vn_date(text(&b["last_day"])),
            b["gifts"],
            t.pick("khoản", "gifts"),
            amount("gifts_vnd")
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vi() -> &'static Text {
        lang_of(&[])
    }

    #[test]
    fn every_kind_of_the_ledger_has_a_name_in_both_languages() {
        let en = lang_of(&[("lang".to_owned(), "en".to_owned())]);
        for k in crate::ledger::kinds::EntryKind::ALL {
            assert_ne!(
                kind_name(vi(), k.as_str()),
                kind_name(vi(), "no_such_kind"),
                "{}",
                k.as_str()
            );
            assert_ne!(
                kind_name(en, k.as_str()),
                kind_name(en, "no_such_kind"),
                "{}",
                k.as_str()
            );
            assert_ne!(
                kind_name(vi(), k.as_str()),
                kind_name(en, k.as_str()),
                "{}",
                k.as_str()
            );
        }
    }

    #[test]
    fn summaries_say_who_gave_what_and_what_was_undone_and_why() {
        let t = vi();
        assert_eq!(
            summary(
                t,
                "donation_cash",
                &json!({"donor": {"display": "Nguyễn V. A."}, "amount_vnd": "1500000"})
            ),
            "Nguyễn V. A.: 1.500.000\u{a0}₫"
        );
        assert_eq!(
            summary(
                t,
                "reversal",
                &json!({"reverses_seq": 12, "reason": "Ghi trùng"})
            ),
            "bút toán 12: Ghi trùng"
        );
        assert_eq!(
            summary(
                t,
                "distribution",
                &json!({"household_id": "ho-015", "support_type": "house_new", "cash_vnd": "50000000", "items": []})
            ),
            "ho-015 · Xây nhà đại đoàn kết · 50.000.000\u{a0}₫"
        );
        assert_eq!(
            summary(
                t,
                "campaign_opened",
                &json!({"name": "Tết 2027", "starts_on": "2026-12-01", "ends_on": "2027-01-31"})
            ),
            "Tết 2027 (01/12/2026 – 31/01/2027)"
        );
    }
}
