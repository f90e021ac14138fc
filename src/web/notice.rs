//! `/f/{fund}/c/{id}/cong-khai`: a campaign's public notice (SPEC §11,
//! Decree 93/2021 art. 19), on screen and printable on one A4 page for the
//! committee's office: the appeal, the totals received and given, the
//! support levels of the policy, and the households reached counted by
//! hamlet, small hamlets merged (SPEC §9). Nobody is named: households
//! are counted, donors are in the statement of gifts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::books::{campaign_kind, phase_text, vnd_sum};
use super::forms::support_type;
use super::{html, lang_of, other_lang, Missing, OrPage, PageError, Text};
use crate::ledger::ids::{format_date, today_in_vietnam};
use crate::ledger::uses::OTHER_HAMLETS;
use crate::service::AppState;

/// A support type's line: how often and to how many, what it gave, and
/// the most one distribution may be worth under the policy.
struct Level {
    label: &'static str,
    distributions: u64,
    households: u64,
    given: String,
    limit: String,
}

/// Households reached in a hamlet (or the commune's merged small ones).
struct Place {
    commune: String,
    hamlet: String,
    households: u64,
    given: String,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    id: String,
    committee_name: String,
    launched_by: String,
    name: String,
    kind: &'static str,
    window: String,
    window_reason: Option<String>,
    status: &'static str,
    target: Option<String>,
    gifts: u64,
    received_cash: String,
    received_goods: String,
    received: String,
    given: String,
    distributions: u64,
    households: u64,
    pending: u64,
    left: String,
    deadline: String,
    levels: Vec<Level>,
    places: Vec<Place>,
    /// Fewest households a hamlet shows.
    min: u64,
    made_at: String,
}

pub async fn notice_page(
    State(s): State<AppState>,
    Path((code, id)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let (c, w, _) = super::books::campaign_books(&s, t, &fund.code, &id).await?;
    let committee = s.store.committee(&fund.committee_code).await?;
    let committee_name = committee.map_or(fund.committee_code.clone(), |c| c.name);
    let launched_by = match c.launched_by.as_deref() {
        Some(l) if l != fund.committee_code => {
            s.store.committee(l).await?.map_or(l.to_owned(), |c| c.name)
        }
        _ => committee_name.clone(),
    };
    let policy = &s.policy;
    let levels = w
        .uses
        .by_support_type
        .iter()
        .map(|(kind, g)| {
            let limit = serde_json::from_value(serde_json::Value::from(kind.as_str()))
                .ok()
                .and_then(|k| policy.limits_vnd.get(&k).copied());
            Level {
                label: support_type(t, kind),
                distributions: g.distributions,
                households: g.households,
                given: vnd_sum(g.cash_vnd + g.goods_vnd),
                limit: limit.map_or_else(
                    || t.pick("không giới hạn", "no limit").to_owned(),
                    |l| vnd_sum(i128::from(l)),
                ),
            }
        })
        .collect();
    // Each commune as a whole, then its hamlets of enough households (and
    // the others together, when they are enough): what is left of small
    // hamlets is never a row of its own.
    let mut places = Vec::new();
    for (commune, hamlets) in &w.uses.by_place {
        let households: u64 = hamlets.values().map(|g| g.households).sum();
        let given: i128 = hamlets.values().map(|g| g.cash_vnd + g.goods_vnd).sum();
        places.push(Place {
            commune: commune.clone(),
            hamlet: t.pick("Cả xã", "Whole commune").to_owned(),
            households,
            given: vnd_sum(given),
        });
        for (hamlet, g) in hamlets.iter().filter(|(h, _)| !h.is_empty()) {
            places.push(Place {
                commune: commune.clone(),
                hamlet: match hamlet.as_str() {
                    OTHER_HAMLETS => t.pick("Các thôn khác", "Other hamlets").to_owned(),
                    h => h.to_owned(),
                },
                households: g.households,
                given: vnd_sum(g.cash_vnd + g.goods_vnd),
            });
        }
    }
    let received = c.received_vnd();
    let given = w.uses.total.cash_vnd + w.uses.total.goods_vnd;
    let today = today_in_vietnam(time::OffsetDateTime::now_utc());
    Ok(html(NoticePage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/c/{}/cong-khai", fund.code, id), &q),
        committee_name,
        launched_by,
        kind: campaign_kind(t, &c.kind),
        window: format!(
            "{} – {}",
            crate::format::vn_date(&c.starts_on),
            crate::format::vn_date(c.receiving_ends())
        ),
        window_reason: c.window_reason.clone(),
        status: phase_text(t, c.phase(&format_date(today))),
        target: c.target().map(vnd_sum),
        gifts: c.gifts,
        received_cash: vnd_sum(c.cash_received_vnd),
        received_goods: vnd_sum(c.goods_received_vnd),
        received: vnd_sum(received),
        given: vnd_sum(given),
        distributions: w.uses.total.distributions,
        households: w.uses.total.households,
        pending: w.pending.distributions,
        left: vnd_sum(received - given),
        deadline: c
            .support_deadline(policy.distribution_deadline_days)
            .map(|d| crate::format::vn_date(&d))
            .unwrap_or_default(),
        levels,
        places,
        min: s.min_public_households(),
        made_at: crate::format::vn_time(time::OffsetDateTime::now_utc()),
        name: c.name,
        code: fund.code,
        id,
    }))
}
