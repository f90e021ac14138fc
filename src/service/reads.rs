//! The read models both edges render: the books' own derived objects
//! (campaigns, pledges, households, distributions, stock lines), read back
//! typed from the tables the writer keeps, with what follows from them
//! (outstanding, overdue, available, progress) computed once, here and in
//! the objects' own methods. An edge never indexes into their JSON.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{AppState, ServiceError};
use crate::ledger::book::{
    Campaign, DistributionState, Household, PledgeState, StockLine, Summary,
};
use crate::ledger::money::{as_string, SumVnd};
use crate::store::ObjectFilter;

/// One page of a listing, with the cursor of the next page when there may
/// be one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Most stock lines read for one fund.
pub const STOCK_LINES_MAX: u64 = 10_000;

/// A pledge as read on a day: the books' state and what is still due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PledgeView {
    #[serde(flatten)]
    pub pledge: PledgeState,
    #[serde(with = "as_string")]
    pub outstanding_vnd: SumVnd,
    /// Something is still due and its due date has passed.
    pub overdue: bool,
}

impl PledgeView {
    /// `today` is `YYYY-MM-DD` in Vietnam.
    pub fn on(pledge: PledgeState, today: &str) -> Self {
        let outstanding_vnd = pledge.outstanding_vnd();
        let overdue = outstanding_vnd > 0 && pledge.due_on.as_deref().is_some_and(|d| d < today);
        Self {
            pledge,
            outstanding_vnd,
            overdue,
        }
    }
}

/// A campaign as read on a day: the books' state, where its window
/// stands (`upcoming`, `open`, `ended`, `closed`) and its Decree 93/2021
/// dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignView {
    #[serde(flatten)]
    pub campaign: crate::ledger::book::Campaign,
    pub phase: &'static str,
    /// The last day it received: `ends_on`, or the day it was closed.
    pub receiving_ends: String,
    /// The last day its support is due, `deadline_days` after that.
    pub support_deadline: Option<String>,
}

impl CampaignView {
    /// `today` is `YYYY-MM-DD` in Vietnam.
    pub fn on(campaign: crate::ledger::book::Campaign, today: &str, deadline_days: u32) -> Self {
        use crate::ledger::book::CampaignPhase as P;
        let phase = match campaign.phase(today) {
            P::Upcoming => "upcoming",
            P::Open => "open",
            P::Ended => "ended",
            P::Closed => "closed",
        };
        Self {
            phase,
            receiving_ends: campaign.receiving_ends().to_owned(),
            support_deadline: campaign.support_deadline(deadline_days),
            campaign,
        }
    }
}

/// A stock line with what pending distributions leave available.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockView {
    #[serde(flatten)]
    pub line: StockLine,
    #[serde(with = "as_string")]
    pub available: Decimal,
}

impl From<StockLine> for StockView {
    fn from(line: StockLine) -> Self {
        Self {
            available: line.available().normalize(),
            line,
        }
    }
}

/// What every kind of derived object has: the name of its rows.
pub trait ReadModel: DeserializeOwned {
    /// The object kind its rows are stored under.
    const KIND: &'static str;
}

impl ReadModel for Campaign {
    const KIND: &'static str = "campaign";
}
impl ReadModel for PledgeState {
    const KIND: &'static str = "pledge";
}
impl ReadModel for Household {
    const KIND: &'static str = "household";
}
impl ReadModel for DistributionState {
    const KIND: &'static str = "distribution";
}
impl ReadModel for StockLine {
    const KIND: &'static str = "stock";
}
impl ReadModel for crate::ledger::book::OutflowState {
    const KIND: &'static str = "outflow";
}

impl AppState {
    /// One page of a fund's derived objects of type `T`. A row that does
    /// not read back as `T` is an error, never skipped or defaulted.
    pub async fn objects<T: ReadModel>(
        &self,
        fund: &str,
        filter: ObjectFilter<'_>,
        limit: u64,
    ) -> Result<Page<T>, ServiceError> {
        let rows = self.store.objects(fund, T::KIND, filter, limit).await?;
        let next = (rows.len() as u64 == limit)
            .then(|| rows.last().map(|r| r.0.clone()))
            .flatten();
        let items = rows
            .into_iter()
            .map(|(id, data)| {
                serde_json::from_str(&data).map_err(|e| {
                    ServiceError::Internal(format!(
                        "fund {fund}: {} {id:?} does not read back: {e}",
                        T::KIND
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Page { items, next })
    }

    /// A fund's figures as of its last append; none for a fund never
    /// written to.
    pub async fn summary(&self, fund: &str) -> Result<Option<Summary>, ServiceError> {
        self.store
            .summary(fund)
            .await?
            .map(|v| {
                serde_json::from_value(v).map_err(|e| {
                    ServiceError::Internal(format!(
                        "fund {fund}: its summary does not read back: {e}"
                    ))
                })
            })
            .transpose()
    }

    /// Every stock line of a fund, with what is available.
    pub async fn stock(&self, fund: &str) -> Result<Vec<StockView>, ServiceError> {
        let page: Page<StockLine> = self
            .objects(fund, ObjectFilter::default(), STOCK_LINES_MAX)
            .await?;
        Ok(page.items.into_iter().map(StockView::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::PledgeStatus;

    fn pledge(pledged: SumVnd, received: SumVnd, due_on: Option<&str>) -> PledgeState {
        serde_json::from_value(serde_json::json!({
            "pledge_id": "p-1", "reference": "ABC123", "donor_display": "Công ty A",
            "donor_kind": "organization", "pledged_vnd": pledged.to_string(), "in_kind": false,
            "due_on": due_on, "status": "open", "received_vnd": received.to_string(),
            "gifts": 1, "seq": 3
        }))
        .expect("a pledge reads back")
    }

    #[test]
    fn a_pledge_past_its_due_date_with_money_still_due_is_overdue() {
        let v = PledgeView::on(pledge(1_000_000, 400_000, Some("2026-11-01")), "2026-11-02");
        assert_eq!((v.outstanding_vnd, v.overdue), (600_000, true));
        let v = PledgeView::on(pledge(1_000_000, 400_000, Some("2026-11-02")), "2026-11-02");
        assert!(!v.overdue, "due today is not yet overdue");
        let v = PledgeView::on(
            pledge(1_000_000, 1_000_000, Some("2026-11-01")),
            "2026-11-02",
        );
        assert_eq!((v.outstanding_vnd, v.overdue), (0, false));
    }

    #[test]
    fn a_cancelled_pledge_has_nothing_outstanding() {
        let mut p = pledge(1_000_000, 0, Some("2026-01-01"));
        p.status = PledgeStatus::Cancelled;
        let v = PledgeView::on(p, "2026-11-02");
        assert_eq!((v.outstanding_vnd, v.overdue), (0, false));
    }

    #[test]
    fn a_pledge_view_is_the_pledge_with_its_figures_beside_it() {
        let v = serde_json::to_value(PledgeView::on(pledge(10, 4, None), "2026-11-02")).unwrap();
        assert_eq!(v["pledged_vnd"], "10");
        assert_eq!(v["outstanding_vnd"], "6");
        assert_eq!(v["overdue"], false);
    }
}
