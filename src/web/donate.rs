//! Giving by bank transfer (SPEC §10): the fund's VietQR code beside its
//! receiving account and the text to write, for a campaign or a pledge
//! when named, and the same as an A4 poster for the commune office.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::{html, lang_of, other_lang, Missing, OrPage, PageError, Text};
use crate::service::bank::BankError;
use crate::service::AppState;

/// The transfer a QR code stands for, as shown.
pub struct Transfer {
    pub svg: String,
    pub bank_name: String,
    pub account_no: String,
    pub account_name: String,
    pub purpose: String,
    pub amount: Option<String>,
    /// The campaign or pledge it is for.
    pub for_what: Option<String>,
}

/// A link to another QR of the fund: a campaign's, another account's.
pub struct Choice {
    pub label: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "donate.html")]
struct DonatePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    name: String,
    committee_name: String,
    transfer: Option<Transfer>,
    error: Option<String>,
    poster_href: String,
    campaigns: Vec<Choice>,
    accounts: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage {
    t: &'static Text,
    name: String,
    committee_name: String,
    transfer: Transfer,
}

const PARAMS: [&str; 4] = ["account", "campaign", "pledge", "amount_vnd"];

/// The QR's parameters from the page's query; empty fields ask nothing.
fn params(q: &[(String, String)]) -> HashMap<String, String> {
    q.iter()
        .filter(|(k, v)| PARAMS.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect()
}

/// The transfer to show, or why there is none.
async fn transfer(
    s: &AppState,
    t: &Text,
    fund: &str,
    p: &HashMap<String, String>,
    size: u32,
) -> Result<Transfer, String> {
    let v = match crate::service::bank::vietqr_for(s, fund, p).await {
        Ok(v) => v,
        Err(BankError::NotFound(_))
            if !p.contains_key("account")
                && !p.contains_key("campaign")
                && !p.contains_key("pledge") =>
        {
            return Err(t
                .pick(
                    "Quỹ chưa công bố tài khoản nhận ủng hộ.",
                    "The fund has not published a receiving account yet.",
                )
                .to_owned())
        }
        Err(e) => return Err(e.to_string()),
    };
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let payload = text("payload");
    let code = qrcode::QrCode::new(payload.as_bytes()).map_err(|e| e.to_string())?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(size, size)
        .build();
    let for_what = match (p.get("campaign"), p.get("pledge")) {
        (Some(c), _) => Some(super::campaign_name(s, fund, c).await),
        (_, Some(_)) => Some(t.pick("Khoản cam kết của quý vị", "Your pledge").to_owned()),
        _ => None,
    };
    Ok(Transfer {
        svg,
        bank_name: text("bank_name"),
        account_no: text("account_no"),
        account_name: text("account_name"),
        purpose: text("purpose"),
        amount: v
            .get("amount_vnd")
            .and_then(Value::as_str)
            .and_then(|a| a.parse::<u64>().ok())
            .map(super::words::vnd),
        for_what,
    })
}

async fn committee_name(s: &AppState, code: &str) -> String {
    match s.store.committee(code).await {
        Ok(Some(c)) => c.name,
        _ => code.to_owned(),
    }
}

/// `/f/{fund}/ung-ho`: give by transfer.
pub async fn donate_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let p = params(&q);
    let (transfer, error) = match transfer(&s, t, &fund.code, &p, 220).await {
        Ok(x) => (Some(x), None),
        Err(e) => (None, Some(e)),
    };
    let today = crate::ledger::ids::format_date(crate::ledger::ids::today_in_vietnam(
        time::OffsetDateTime::now_utc(),
    ));
    let campaigns = {
        let books = s
            .page_books(&fund.code)
            .await
            .map_err(PageError::internal)?;
        books
            .book
            .campaigns
            .values()
            .filter(|c| {
                c.phase(&today) == crate::ledger::book::CampaignPhase::Open && c.reference.is_some()
            })
            .map(|c| Choice {
                label: c.name.clone(),
                href: format!(
                    "/f/{}/ung-ho?campaign={}&lang={}",
                    fund.code, c.campaign_id, t.lang
                ),
            })
            .collect()
    };
    let accounts = crate::service::bank::fund_accounts(&s, &fund.code)
        .await
        .map_err(PageError::internal)?;
    let accounts = if accounts.len() > 1 {
        accounts
            .iter()
            .map(|a| Choice {
                label: format!("{} · {}", a.bank_name, a.account_no),
                href: format!(
                    "/f/{}/ung-ho?account={}&lang={}",
                    fund.code, a.account_no, t.lang
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut poster: Vec<String> = p
        .iter()
        .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
        .collect();
    poster.sort();
    poster.push(format!("lang={}", t.lang));
    Ok(html(DonatePage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/ung-ho", fund.code), &q),
        poster_href: format!("/f/{}/ung-ho/in?{}", fund.code, poster.join("&")),
        committee_name: committee_name(&s, &fund.committee_code).await,
        code: fund.code,
        name: fund.name,
        transfer,
        error,
        campaigns,
        accounts,
    }))
}

/// `/f/{fund}/ung-ho/in`: the same, as an A4 poster to print.
pub async fn poster_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let transfer = transfer(&s, t, &fund.code, &params(&q), 520)
        .await
        .map_err(|_| PageError::not_found(t, Missing::Page, &format!("/f/{code}/ung-ho/in")))?;
    Ok(html(PosterPage {
        t,
        committee_name: committee_name(&s, &fund.committee_code).await,
        name: fund.name,
        transfer,
    }))
}

/// A pledge's own QR code, for its confirmation (SPEC §10): the payload's
/// SVG and the text to write, or none when the fund has no account.
pub async fn pledge_qr(
    s: &AppState,
    t: &Text,
    fund: &str,
    pledge_id: &str,
    amount_vnd: Option<u64>,
) -> Option<Transfer> {
    let mut p = HashMap::new();
    p.insert("pledge".to_owned(), pledge_id.to_owned());
    if let Some(a) = amount_vnd {
        p.insert("amount_vnd".to_owned(), a.to_string());
    }
    transfer(s, t, fund, &p, 200).await.ok()
}
