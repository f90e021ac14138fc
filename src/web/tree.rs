//! `/t/{committee}`: a committee's year at a glance (SPEC §11). Its
//! subtree's figures for a period, each child committee's (each a link to
//! its own page), the committee's own funds (each a link to its statement
//! for the same period), and progress against the year's targets. The
//! figures are [`crate::service::rollup::Report`]'s, as the API gives them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use time::Date;

use super::books::vnd_sum;
use super::{html, lang_of, other_lang, Missing, PageError, Text};
use crate::ledger::ids::{format_date, today_in_vietnam};
use crate::ledger::kinds::corrections::Period;
use crate::ledger::rollup::{Figures, Progress};
use crate::service::AppState;
use crate::service::ServiceError;

/// A row of the tree: a child committee, a fund, or the total.
struct Row {
    code: String,
    name: String,
    href: String,
    received: String,
    given: String,
    closing: String,
    households: u64,
    houses: u64,
    progress: String,
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    name: String,
    parent: Option<(String, String)>,
    period_label: String,
    periods: Vec<(String, String)>,
    total: Row,
    internal: String,
    balanced: bool,
    children: Vec<Row>,
    funds: Vec<Row>,
    targets: Vec<(String, String, String)>,
    api: String,
}

fn row(t: &Text, code: &str, name: &str, href: String, f: &Figures, p: Option<&Progress>) -> Row {
    Row {
        code: code.to_owned(),
        name: name.to_owned(),
        href,
        received: vnd_sum(f.received_cash_vnd + f.received_in_kind_vnd),
        given: vnd_sum(f.distributed_cash_vnd + f.distributed_goods_vnd),
        closing: vnd_sum(f.closing_balance_vnd),
        households: f.households_reached,
        houses: f.houses_built + f.houses_repaired,
        progress: p
            .and_then(|p| p.mobilise_percent)
            .map(|n| format!("{n}% {}", t.pick("chỉ tiêu vận động", "of the target")))
            .unwrap_or_default(),
    }
}

/// The period asked for (`?period=2026-H1`), the current year by default.
fn asked(q: &[(String, String)], today: Date) -> Result<(Date, Date, String), String> {
    match q
        .iter()
        .find(|(k, v)| k == "period" && !v.trim().is_empty())
    {
        None => Ok((
            Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today),
            Date::from_calendar_date(today.year(), time::Month::December, 31).unwrap_or(today),
            today.year().to_string(),
        )),
        Some((_, v)) => {
            let p = Period::parse(v.trim())?;
            Ok((p.first_day, p.last_day, v.trim().to_owned()))
        }
    }
}

pub async fn tree_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let today = today_in_vietnam(time::OffsetDateTime::now_utc());
    let Ok((from, to, label)) = asked(&q, today) else {
        return Err(PageError::not_found(t, Missing::Page, &code));
    };
    let r = match s.rollup(&code, from, to).await {
        Ok(r) => r,
        Err(ServiceError::NotFound(_)) => {
            return Err(PageError::not_found(t, Missing::Page, &code))
        }
        Err(e) => return Err(PageError::internal(e)),
    };
    let parent = match &r.parent_code {
        Some(p) => s.store.committee(p).await?.map(|c| (c.code, c.name)),
        None => None,
    };
    let period_q = format!("period={label}&lang={}", t.lang);
    let (first, last) = (format_date(from), format_date(to));
    let y = today.year();
    let periods = [
        format!("{y}"),
        format!("{y}-H1"),
        format!("{y}-H2"),
        format!("{}", y - 1),
    ]
    .into_iter()
    .map(|p| {
        let href = format!("/t/{}?period={p}&lang={}", r.committee.code, t.lang);
        (p, href)
    })
    .collect();
    let targets = r
        .committee
        .progress
        .iter()
        .flat_map(|p| {
            [
                (
                    t.pick("Vận động", "Mobilised").to_owned(),
                    format!(
                        "{} / {}",
                        vnd_sum(p.mobilised_vnd),
                        vnd_sum(p.mobilise_target_vnd)
                    ),
                    p.mobilise_percent
                        .map(|n| format!("{n}%"))
                        .unwrap_or_default(),
                ),
                (
                    t.pick("Hộ được hỗ trợ", "Households supported").to_owned(),
                    format!("{} / {}", p.households_reached, p.households_target),
                    p.households_percent
                        .map(|n| format!("{n}%"))
                        .unwrap_or_default(),
                ),
                (
                    t.pick("Nhà đại đoàn kết", "Solidarity houses").to_owned(),
                    format!("{} / {}", p.houses, p.houses_target),
                    p.houses_percent
                        .map(|n| format!("{n}%"))
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    let children = r
        .children
        .iter()
        .map(|c| {
            let href = format!("/t/{}?{period_q}", c.code);
            row(t, &c.code, &c.name, href, &c.figures, c.progress.as_ref())
        })
        .collect();
    let funds = r
        .funds
        .iter()
        .map(|f| {
            let href = format!(
                "/f/{}/bao-cao?from={first}&to={last}&lang={}",
                f.fund, t.lang
            );
            row(t, &f.fund, &f.name, href, &f.figures, None)
        })
        .collect();
    let c = &r.committee;
    Ok(html(TreePage {
        t,
        other_lang_href: other_lang(t, &format!("/t/{}", c.code), &q),
        total: row(
            t,
            &c.code,
            &c.name,
            String::new(),
            &c.figures,
            c.progress.as_ref(),
        ),
        internal: vnd_sum(c.internal_transfers_vnd),
        balanced: r.balanced,
        code: c.code.clone(),
        name: c.name.clone(),
        parent,
        period_label: format!(
            "{} – {}",
            crate::format::vn_date(&first),
            crate::format::vn_date(&last)
        ),
        periods,
        children,
        funds,
        targets,
        api: format!(
            "/api/v1/committees/{}/report?from={first}&to={last}",
            c.code
        ),
    }))
}

/// A sponsorship as the fund and campaign pages show it.
pub struct SponsorRow {
    pub sponsor: String,
    pub year: i32,
    pub committed: String,
    pub reached: u64,
    pub given: String,
    pub fulfilled: bool,
}

/// Households leaving poverty in a commune and year, as shown: a count
/// below the minimum reads "fewer than 3".
pub struct LeftRow {
    pub commune: String,
    pub year: i32,
    pub households: String,
    pub by_support: String,
}

fn count_text(t: &Text, c: &crate::ledger::outcomes::Count) -> String {
    match (c.households, c.fewer_than) {
        (Some(n), _) => n.to_string(),
        (None, Some(m)) => format!("{} {m}", t.pick("dưới", "fewer than")),
        (None, None) => String::new(),
    }
}

/// The sponsorships of a fund's books (or those a campaign's
/// distributions fulfil), and the households leaving poverty (for the
/// fund only), ready for `outcomes.html`.
pub fn outcome_rows(
    t: &Text,
    book: &crate::ledger::book::Book,
    min: u64,
    campaign: Option<&str>,
) -> (Vec<SponsorRow>, Vec<LeftRow>) {
    let sponsors = crate::ledger::outcomes::sponsorships(book, campaign)
        .into_iter()
        .map(|s| SponsorRow {
            committed: match &s.value_vnd {
                Some(v) => format!(
                    "{} {} · {}",
                    s.households,
                    t.pick("hộ", "households"),
                    vnd_sum(v.parse().unwrap_or(0))
                ),
                None => format!("{} {}", s.households, t.pick("hộ", "households")),
            },
            sponsor: s.sponsor,
            year: s.year,
            reached: s.progress.households_reached,
            given: vnd_sum(s.progress.given_vnd),
            fulfilled: s.progress.fulfilled,
        })
        .collect();
    if campaign.is_some() {
        return (sponsors, Vec::new());
    }
    let left = crate::ledger::outcomes::left_poverty(book, min)
        .into_iter()
        .map(|l| LeftRow {
            households: count_text(t, &l.count),
            by_support: l
                .by_support
                .iter()
                .map(|(k, c)| format!("{}: {}", super::forms::support_type(t, k), count_text(t, c)))
                .collect::<Vec<_>>()
                .join("; "),
            commune: l.commune_code,
            year: l.year,
        })
        .collect();
    (sponsors, left)
}
