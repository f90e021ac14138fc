//! A committee's roll-up for a period (SPEC §11): its own funds, each
//! child committee's subtree, and the whole subtree, with transfers inside
//! each netted out and progress against the year's targets. The JSON
//! report, its CSV and spreadsheet and the page `/t/{committee}` all render
//! [`Report`].
//!
//! Each fund's figures come from its statement for the period, built from
//! the stored day totals (a few reads per fund, whatever its size), so the
//! centre's report over every commune costs one statement per fund the
//! first time, and afterwards only for the funds that have grown: each
//! fund's line is kept with the fund's size.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use time::Date;

use super::{build_statement, AppState, ServiceError};
use crate::ledger::ids::{format_date, today_in_vietnam};
use crate::ledger::money::{as_string, SumVnd};
use crate::ledger::outcomes::{SponsorshipSum, SponsorshipView};
use crate::ledger::rollup::{subtree, Edge, Figures, FundFigures, Progress};
use crate::store::{Committee, ObjectFilter, Store};

/// The sponsorships of `fund` for years `first..=last`, added up with
/// their progress: read from the fund's stored objects (its sponsorships
/// and the distributions naming them), so a fund without any costs one
/// index lookup.
async fn sponsorships(
    store: &Store,
    fund: &str,
    first: i32,
    last: i32,
) -> Result<SponsorshipSum, ServiceError> {
    let mut sum = SponsorshipSum::default();
    let rows = store
        .objects(
            fund,
            "sponsorship",
            ObjectFilter::default(),
            u64::from(u32::MAX),
        )
        .await?;
    for (id, data) in rows {
        let s: crate::ledger::book::Sponsorship = serde_json::from_str(&data).map_err(|e| {
            ServiceError::Internal(format!(
                "fund {fund}: sponsorship {id:?} does not read: {e}"
            ))
        })?;
        if !(first..=last).contains(&s.year) {
            continue;
        }
        let mut book = crate::ledger::book::Book::default();
        for d in &s.distributions {
            if let Some(data) = store.object(fund, "distribution", d).await? {
                let d: crate::ledger::book::DistributionState = serde_json::from_str(&data)
                    .map_err(|e| {
                        ServiceError::Internal(format!(
                            "fund {fund}: distribution {d:?} does not read: {e}"
                        ))
                    })?;
                book.distributions.insert(d.distribution_id.clone(), d);
            }
        }
        let progress = book.sponsorship_progress(&s);
        sum.add_view(&SponsorshipView {
            sponsorship_id: s.sponsorship_id,
            sponsor: s.sponsor,
            year: s.year,
            households: s.households,
            named: !s.household_ids.is_empty(),
            value_vnd: s.value_vnd,
            progress,
        });
    }
    Ok(sum)
}

/// Statements built at once while a report is added up.
const STATEMENTS_AT_ONCE: usize = 8;

/// How many funds' lines (fund and period) are kept: every fund of the
/// country for several periods.
pub const LINES_KEPT: usize = 50_000;

/// A fund's line of a roll-up for a period: its figures, its statement's
/// hash and its sponsorships.
pub type Line = (Figures, String, SponsorshipSum);

/// A line and the fund's size when it was built.
pub type KeptLine = (u64, Line);

/// A fund's line for `from..=to`, when the fund holds `size` entries:
/// kept from the last report while the fund has not grown.
async fn line(
    s: &AppState,
    fund: String,
    size: u64,
    from: Date,
    to: Date,
) -> Result<Line, ServiceError> {
    let key = (fund, from, to);
    if let Ok(kept) = s.rollup_lines.lock() {
        if let Some((at, line)) = kept.get(&key) {
            if *at == size {
                return Ok(line.clone());
            }
        }
    }
    let fund = &key.0;
    let (st, _) = build_statement(&s.store, fund, from, to).await?;
    let sha = st.sha256().map_err(ServiceError::Internal)?;
    let mut figures = Figures::of(&st);
    if st.reversals.count > 0 {
        figures.houses_reversed = houses_reversed(&s.store, fund, from, to).await?;
    }
    let sponsored = sponsorships(&s.store, fund, from.year(), to.year()).await?;
    let line = (figures, sha, sponsored);
    if let Ok(mut kept) = s.rollup_lines.lock() {
        if kept.len() >= LINES_KEPT {
            kept.clear();
        }
        kept.insert(key, (size, line.clone()));
    }
    Ok(line)
}

/// Houses given in `from..=to` (by the day recorded) whose distribution a
/// reversal undid: read only for a fund whose statement shows reversals.
async fn houses_reversed(
    store: &Store,
    fund: &str,
    from: Date,
    to: Date,
) -> Result<u64, ServiceError> {
    let (first, last) = (format_date(from), format_date(to));
    let filter = ObjectFilter {
        status: Some("reversed"),
        ..ObjectFilter::default()
    };
    let rows = store
        .objects(fund, "distribution", filter, u64::from(u32::MAX))
        .await?;
    let mut n = 0;
    for (id, data) in rows {
        let d: crate::ledger::book::DistributionState =
            serde_json::from_str(&data).map_err(|e| {
                ServiceError::Internal(format!(
                    "fund {fund}: distribution {id:?} does not read: {e}"
                ))
            })?;
        let house = matches!(
            d.support_type,
            crate::ledger::kinds::SupportType::HouseNew
                | crate::ledger::kinds::SupportType::HouseRepair
        );
        if house && d.recorded_on >= first && d.recorded_on <= last {
            n += 1;
        }
    }
    Ok(n)
}

/// A fund of the committee itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FundRow {
    pub fund: String,
    pub name: String,
    pub kind: String,
    /// SHA-256 of the fund's statement for the same period: the figures
    /// below are that statement's.
    pub statement_sha256: String,
    pub figures: Figures,
    /// Its sponsorships of the period's years, and how far they came.
    pub sponsorships: SponsorshipSum,
}

/// A committee (the one reported on, or a child) and its subtree's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommitteeRow {
    pub code: String,
    pub name: String,
    /// Funds in its subtree.
    pub funds: u64,
    /// Committees in its subtree, itself included.
    pub committees: u64,
    pub figures: Figures,
    /// Money between two funds of the subtree, taken out of both
    /// transfers in and transfers out.
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub internal_transfers_vnd: SumVnd,
    /// Against the targets the committee above set for the period's year
    /// (none when it set none, or the period spans two years).
    pub progress: Option<Progress>,
    /// Sponsorships of the period's years in the subtree.
    pub sponsorships: SponsorshipSum,
}

/// The roll-up of a committee for a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub committee: CommitteeRow,
    pub parent_code: Option<String>,
    pub from: String,
    pub to: String,
    /// The committee's own funds.
    pub funds: Vec<FundRow>,
    /// Each child committee's subtree.
    pub children: Vec<CommitteeRow>,
    /// Opening + received − given + reversals = closing, for the subtree.
    pub balanced: bool,
}

impl AppState {
    /// The roll-up of `code` for `from..=to`.
    pub async fn rollup(&self, code: &str, from: Date, to: Date) -> Result<Report, ServiceError> {
        let committees = self.store.committees().await?;
        let Some(top) = committees.iter().find(|c| c.code == code).cloned() else {
            return Err(ServiceError::NotFound(format!("no committee {code:?}")));
        };
        let (funds, sizes): (Vec<_>, Vec<u64>) = self
            .store
            .funds()
            .await?
            .into_iter()
            .filter(|(f, _)| f.committee_path.starts_with(&top.path))
            .map(|(f, h)| (f, h.size))
            .unzip();
        let (first, last) = (format_date(from), format_date(to));
        let codes: Vec<(String, u64)> = funds.iter().map(|f| f.code.clone()).zip(sizes).collect();
        let statements: Vec<Line> = stream::iter(codes)
            .map(|(code, size)| line(self, code, size, from, to))
            .buffered(STATEMENTS_AT_ONCE)
            .try_collect()
            .await?;
        let figures: Vec<FundFigures> = funds
            .iter()
            .zip(&statements)
            .map(|(f, (fig, _, _))| FundFigures {
                fund: f.code.clone(),
                committee_path: f.committee_path.clone(),
                figures: fig.clone(),
            })
            .collect();
        let path_of: HashMap<&str, &str> = funds
            .iter()
            .map(|f| (f.code.as_str(), f.committee_path.as_str()))
            .collect();
        let transfers = self.store.transfer_edges().await?;
        let mut edges: Vec<Edge<'_>> = Vec::new();
        for t in &transfers {
            let at = time::OffsetDateTime::parse(
                &t.recorded_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|e| {
                ServiceError::Internal(format!(
                    "fund {}: a transfer_in recorded at {:?}, which does not read: {e}",
                    t.to_fund, t.recorded_at
                ))
            })?;
            let day = format_date(today_in_vietnam(at));
            if day < first || day > last {
                continue;
            }
            // Funds outside the subtree are not netted.
            if let (Some(from_path), Some(to_path)) = (
                path_of.get(t.from_fund.as_str()),
                path_of.get(t.to_fund.as_str()),
            ) {
                edges.push(Edge {
                    from_path,
                    to_path,
                    amount_vnd: t.amount_vnd,
                });
            }
        }
        let year = (from.year() == to.year()).then_some(from.year());
        let targets: HashMap<String, (SumVnd, u64, u64)> = match year {
            Some(y) => self
                .store
                .targets_of_year(y)
                .await?
                .into_iter()
                .map(|t| (t.committee_code, (t.mobilise_vnd, t.households, t.houses)))
                .collect(),
            None => HashMap::new(),
        };
        let row = |c: &Committee| {
            let (figures, netted) = subtree(&c.path, &figures, &edges);
            let mut sponsored = SponsorshipSum::default();
            for (f, (_, _, s)) in funds.iter().zip(&statements) {
                if f.committee_path.starts_with(&c.path) {
                    sponsored.add(s);
                }
            }
            let progress = year
                .zip(targets.get(&c.code))
                .map(|(y, t)| Progress::new(y, *t, &figures));
            CommitteeRow {
                code: c.code.clone(),
                name: c.name.clone(),
                funds: funds
                    .iter()
                    .filter(|f| f.committee_path.starts_with(&c.path))
                    .count() as u64,
                committees: committees
                    .iter()
                    .filter(|o| o.path.starts_with(&c.path))
                    .count() as u64,
                figures,
                internal_transfers_vnd: netted,
                progress,
                sponsorships: sponsored,
            }
        };
        let committee = row(&top);
        let children = committees
            .iter()
            .filter(|c| c.parent_code.as_deref() == Some(top.code.as_str()))
            .map(row)
            .collect();
        let own = funds
            .iter()
            .zip(statements)
            .filter(|(f, _)| f.committee_code == top.code)
            .map(|(f, (figures, sha, sponsorships))| FundRow {
                fund: f.code.clone(),
                name: f.name.clone(),
                kind: f.kind.clone(),
                statement_sha256: sha,
                figures,
                sponsorships,
            })
            .collect();
        Ok(Report {
            balanced: committee.figures.balanced(),
            committee,
            parent_code: top.parent_code.clone(),
            from: first,
            to: last,
            funds: own,
            children,
        })
    }
}
