//! The objects the books derive from the entries: campaigns, pledges,
//! households, distributions, stock lines, earmarks, reversals and the
//! fund's running totals, as they are read and serialised.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::ledger::kinds::goods::OutLine;
use crate::ledger::kinds::programme::Category;
use crate::ledger::kinds::spending::AckMethod;
use crate::ledger::kinds::{EntryKind, SupportType};
use crate::ledger::money::as_string;
use crate::ledger::money::SumVnd;

/// Money given with a purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earmark {
    #[serde(with = "as_string")]
    pub received_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub used_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub reserved_vnd: SumVnd,
}

impl Earmark {
    /// Earmarked cash not yet spent or reserved.
    pub fn free_vnd(&self) -> SumVnd {
        self.received_vnd - self.used_vnd - self.reserved_vnd
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub campaign_id: String,
    pub name: String,
    pub kind: String,
    pub starts_on: String,
    pub ends_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_vnd: Option<String>,
    pub status: CampaignStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    /// The day (Vietnam) a `campaign_closed` entry closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<String>,
    /// Why its window runs past the policy's `campaign_max_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_reason: Option<String>,
    /// The committee that launched it (campaigns opened before this was
    /// recorded have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launched_by: Option<String>,
    pub opened_seq: u64,
    pub gifts: u64,
    #[serde(with = "as_string")]
    pub cash_received_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_received_vnd: SumVnd,
    pub pledges: u64,
    pub distributions: u64,
    #[serde(with = "as_string")]
    pub distributed_cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub distributed_goods_vnd: SumVnd,
    /// The receiving window as dates, for the rules; not part of the
    /// read model (a campaign read back carries no window here).
    #[serde(skip_serializing_if = "super::saved::public", default = "no_window")]
    pub(super) window: (Date, Date),
    /// What a donor writes in a transfer after `SV ` (SPEC §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

fn no_window() -> (Date, Date) {
    (Date::MIN, Date::MIN)
}

impl Campaign {
    /// What it has received, in cash and in goods.
    pub fn received_vnd(&self) -> SumVnd {
        self.cash_received_vnd + self.goods_received_vnd
    }

    /// What the distributions naming it gave, in cash and in goods.
    pub fn given_vnd(&self) -> SumVnd {
        self.distributed_cash_vnd + self.distributed_goods_vnd
    }

    /// Its target, if it has one.
    pub fn target(&self) -> Option<SumVnd> {
        self.target_vnd.as_deref().and_then(|v| v.parse().ok())
    }

    /// Percent of its target received, shown up to 100; none without a
    /// positive target.
    pub fn progress_percent(&self) -> Option<u64> {
        let target = self.target().filter(|t| *t > 0)?;
        u64::try_from((self.received_vnd() * 100 / target).max(0)).ok()
    }

    /// The last day it received: `ends_on`, or the day it was closed if
    /// that came first (`YYYY-MM-DD`).
    pub fn receiving_ends(&self) -> &str {
        match &self.closed_on {
            Some(closed) if closed.as_str() < self.ends_on.as_str() => closed,
            _ => &self.ends_on,
        }
    }

    /// The last day its support may be given: `days` after receiving
    /// ends (Decree 93/2021: 20). `None` for a date that does not read.
    pub fn support_deadline(&self, days: u32) -> Option<String> {
        let end = crate::ledger::ids::parse_date(self.receiving_ends(), "ends_on").ok()?;
        let last = end.checked_add(time::Duration::days(i64::from(days)))?;
        Some(crate::ledger::ids::format_date(last))
    }

    /// Days from `starts_on` through `ends_on`.
    pub fn window_days(&self) -> Option<i64> {
        let from = crate::ledger::ids::parse_date(&self.starts_on, "starts_on").ok()?;
        let to = crate::ledger::ids::parse_date(&self.ends_on, "ends_on").ok()?;
        Some((to - from).whole_days() + 1)
    }

    /// Where the campaign stands on `today` (`YYYY-MM-DD`): closed by an
    /// entry, or by its window, in which alone it takes gifts.
    pub fn phase(&self, today: &str) -> CampaignPhase {
        match self.status {
            CampaignStatus::Closed => CampaignPhase::Closed,
            CampaignStatus::Open if today < self.starts_on.as_str() => CampaignPhase::Upcoming,
            CampaignStatus::Open if today > self.ends_on.as_str() => CampaignPhase::Ended,
            CampaignStatus::Open => CampaignPhase::Open,
        }
    }
}

/// A campaign as people see it on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignPhase {
    /// Its window has not begun.
    Upcoming,
    /// In its window, taking gifts.
    Open,
    /// Its window is over: gifts are refused, though no entry closed it.
    Ended,
    /// Closed by a `campaign_closed` entry.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PledgeStatus {
    Open,
    Fulfilled,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeState {
    pub pledge_id: String,
    pub reference: String,
    pub donor_display: String,
    pub donor_kind: String,
    #[serde(with = "as_string")]
    pub pledged_vnd: SumVnd,
    /// True when goods were promised.
    pub in_kind: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    pub status: PledgeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_reason: Option<String>,
    #[serde(with = "as_string")]
    pub received_vnd: SumVnd,
    pub gifts: u64,
    pub seq: u64,
}

impl PledgeState {
    pub(super) fn settle(&mut self) {
        if self.status != PledgeStatus::Cancelled {
            self.status = if self.received_vnd >= self.pledged_vnd {
                PledgeStatus::Fulfilled
            } else {
                PledgeStatus::Open
            };
        }
    }

    /// What is still to come: nothing once cancelled or fulfilled.
    pub fn outstanding_vnd(&self) -> SumVnd {
        if self.status == PledgeStatus::Cancelled {
            0
        } else {
            (self.pledged_vnd - self.received_vnd).max(0)
        }
    }
}

/// One class a household was given, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    pub seq: u64,
    pub category: Category,
    pub review_year: i32,
    /// Who wrote the class, and on which day (Vietnam): a person does not
    /// pay a household they registered or reclassified alone (SPEC §9).
    #[serde(skip_serializing_if = "super::saved::public", default)]
    pub(crate) by: String,
    #[serde(skip_serializing_if = "super::saved::public", default = "no_day")]
    pub(crate) on: Date,
    /// Written by a year's review (`household_reviewed`), one per year.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reviewed: bool,
}

fn is_zero(n: &SumVnd) -> bool {
    *n == 0
}

fn no_day() -> Date {
    Date::MIN
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub household_id: String,
    pub commune_code: String,
    pub hamlet: String,
    pub category: Category,
    pub members: u32,
    pub review_year: i32,
    pub commitment: String,
    pub registered_seq: u64,
    pub classes: Vec<Class>,
    /// Distributions to it, in order, whatever became of them.
    pub distributions: Vec<String>,
}

impl Class {
    /// Who wrote this class.
    pub fn recorded_by(&self) -> &str {
        &self.by
    }

    /// The day (Vietnam) this class was written.
    pub fn recorded_on(&self) -> Date {
        self.on
    }
}

impl DistributionState {
    /// The day (Vietnam) it was recorded.
    pub fn day(&self) -> Date {
        self.day
    }
}

impl Household {
    pub(super) fn reclass(&mut self) {
        if let Some(last) = self.classes.last() {
            self.category = last.category;
            self.review_year = last.review_year;
        }
    }
}

/// A unit's commitment for a year to help households (SPEC §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sponsorship {
    pub sponsorship_id: String,
    /// The sponsor as published.
    pub sponsor: String,
    pub sponsor_kind: String,
    pub year: i32,
    /// Households committed: the number given, or how many are named.
    pub households: u64,
    /// The households named, if it names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_vnd: Option<String>,
    pub seq: u64,
    /// Distributions naming it, in order, whatever became of them.
    #[serde(default)]
    pub distributions: Vec<String>,
}

impl super::Book {
    /// How far `s` has come: the approved distributions naming it.
    pub fn sponsorship_progress(&self, s: &Sponsorship) -> SponsorshipProgress {
        let mut reached = std::collections::BTreeSet::new();
        let mut given: SumVnd = 0;
        for d in s
            .distributions
            .iter()
            .filter_map(|d| self.distributions.get(d))
        {
            if d.status == DistState::Approved {
                reached.insert(d.household_id.as_str());
                given += d.cash_vnd + d.goods_vnd;
            }
        }
        let named = s.household_ids.iter().all(|h| reached.contains(h.as_str()));
        let value = s
            .value_vnd
            .as_deref()
            .and_then(|v| v.parse::<SumVnd>().ok())
            .is_none_or(|v| given >= v);
        SponsorshipProgress {
            households_reached: reached.len() as u64,
            given_vnd: given,
            fulfilled: named && reached.len() as u64 >= s.households && value,
        }
    }
}

/// How far a sponsorship has come: from its approved distributions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SponsorshipProgress {
    /// Different households reached.
    pub households_reached: u64,
    #[serde(with = "as_string")]
    pub given_vnd: SumVnd,
    /// Every household committed was reached (each named one, when it
    /// names them), and the value, if one was pledged, was given.
    pub fulfilled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistState {
    Pending,
    Approved,
    Voided,
    Reversed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub method: AckMethod,
    pub acknowledged_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionState {
    pub distribution_id: String,
    pub household_id: String,
    pub support_type: SupportType,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
    pub items: Vec<OutLine>,
    pub decision_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsorship_id: Option<String>,
    pub status: DistState,
    /// Of the cash, the part paid from the support type's earmark.
    #[serde(with = "as_string")]
    pub from_earmark_vnd: SumVnd,
    pub recorded_by: String,
    pub recorded_on: String,
    pub seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
    #[serde(skip_serializing_if = "super::saved::public", default)]
    pub(super) year: i32,
    /// The day it was recorded, in Vietnam.
    #[serde(skip_serializing_if = "super::saved::public", default = "no_day")]
    pub(crate) day: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub item: String,
    pub unit: String,
    #[serde(with = "as_string")]
    pub quantity: Decimal,
    /// Held by pending distributions.
    #[serde(with = "as_string")]
    pub reserved: Decimal,
    #[serde(with = "as_string")]
    pub value_vnd: SumVnd,
    /// The value of what pending outflows reserve. Left out while 0, so
    /// a line as stored before it existed reads back the same.
    #[serde(with = "as_string", default, skip_serializing_if = "is_zero")]
    pub reserved_value_vnd: SumVnd,
}

impl StockLine {
    pub fn available(&self) -> Decimal {
        self.quantity - self.reserved
    }

    /// The value of the units not reserved: what the book's average value
    /// of a unit leaving stock is taken from (SPEC §9).
    pub fn available_value_vnd(&self) -> SumVnd {
        self.value_vnd - self.reserved_value_vnd
    }
}

/// An outflow other than a distribution (an expense, a transfer out, a
/// stock adjustment, the reversal of a gift or a transfer), written from
/// entry version 2 with a status (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutflowState {
    /// The seq of its entry, which names it in `outflow_approved`.
    pub seq: u64,
    pub kind: EntryKind,
    /// Its own id (`expense_id`, `transfer_id`, `adjustment_id`,
    /// `reversal_id`).
    pub outflow_id: String,
    /// What it moves, in đồng: cash, or goods at the book's value.
    #[serde(with = "as_string")]
    pub value_vnd: SumVnd,
    pub status: DistState,
    pub recorded_by: String,
    pub recorded_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_reason: Option<String>,
    /// For a reversal, the seq it reverses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses_seq: Option<u64>,
    /// For a reversal, why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What it holds while pending.
    #[serde(skip_serializing_if = "super::saved::public", default)]
    pub(crate) hold: Hold,
}

/// Cash and goods a pending outflow holds back from other spending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    #[serde(with = "as_string")]
    pub(crate) cash_vnd: SumVnd,
    pub(crate) earmark: Option<SupportType>,
    /// (item, quantity, value)
    #[serde(with = "super::saved::goods")]
    pub(crate) goods: Vec<(String, Decimal, SumVnd)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalState {
    pub reversed_seq: u64,
    pub kind: EntryKind,
    pub by_seq: u64,
    pub reason: String,
}

/// Running totals of the fund, for its summary and statements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub gifts: u64,
    #[serde(with = "as_string")]
    pub cash_received_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_received_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub distributed_cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub distributed_goods_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub transfers_in_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub transfers_out_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub expenses_vnd: SumVnd,
    /// Value of stock adjustments: negative for write-offs.
    #[serde(with = "as_string")]
    pub stock_adjusted_vnd: SumVnd,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(cash: i128, goods: i128, target: Option<&str>) -> Campaign {
        serde_json::from_value(serde_json::json!({
            "campaign_id": "tet-2027", "name": "Tết Nhân ái", "kind": "tet",
            "starts_on": "2026-11-01", "ends_on": "2027-01-31", "target_vnd": target,
            "status": "open", "opened_seq": 1, "gifts": 3,
            "cash_received_vnd": cash.to_string(), "goods_received_vnd": goods.to_string(),
            "pledges": 0, "distributions": 0,
            "distributed_cash_vnd": "0", "distributed_goods_vnd": "0"
        }))
        .expect("a campaign reads back")
    }

    #[test]
    fn a_campaign_takes_gifts_only_in_its_window_whatever_its_status_says() {
        let c = campaign(0, 0, None);
        assert_eq!(c.phase("2026-10-31"), CampaignPhase::Upcoming);
        assert_eq!(c.phase("2026-11-01"), CampaignPhase::Open);
        assert_eq!(c.phase("2027-01-31"), CampaignPhase::Open);
        assert_eq!(c.phase("2027-02-01"), CampaignPhase::Ended);
        let closed = Campaign {
            status: CampaignStatus::Closed,
            ..c
        };
        assert_eq!(closed.phase("2026-12-01"), CampaignPhase::Closed);
    }

    #[test]
    fn support_is_due_days_after_receiving_ends_or_the_day_it_was_closed() {
        let c = campaign(0, 0, None);
        assert_eq!(c.window_days(), Some(92));
        assert_eq!(c.receiving_ends(), "2027-01-31");
        assert_eq!(c.support_deadline(20).as_deref(), Some("2027-02-20"));
        assert_eq!(c.support_deadline(0).as_deref(), Some("2027-01-31"));
        let early = Campaign {
            closed_on: Some("2026-12-15".into()),
            ..c.clone()
        };
        assert_eq!(early.receiving_ends(), "2026-12-15");
        assert_eq!(early.support_deadline(20).as_deref(), Some("2027-01-04"));
        // Closed after its window ended: the window's end counts.
        let late = Campaign {
            closed_on: Some("2027-03-01".into()),
            ..c
        };
        assert_eq!(late.receiving_ends(), "2027-01-31");
    }

    #[test]
    fn a_campaign_counts_cash_and_goods_towards_its_target() {
        let c = campaign(3_000_000, 1_000_000, Some("10000000"));
        assert_eq!(c.received_vnd(), 4_000_000);
        let given = Campaign {
            distributed_cash_vnd: 700_000,
            distributed_goods_vnd: 200_000,
            ..c.clone()
        };
        assert_eq!(given.given_vnd(), 900_000);
        assert_eq!(c.target(), Some(10_000_000));
        assert_eq!(c.progress_percent(), Some(40));
    }

    #[test]
    fn progress_goes_past_a_hundred_and_not_without_a_positive_target() {
        assert_eq!(
            campaign(25_000_000, 0, Some("10000000")).progress_percent(),
            Some(250)
        );
        assert_eq!(
            campaign(9_999_999, 0, Some("10000000")).progress_percent(),
            Some(99)
        );
        assert_eq!(campaign(5, 0, Some("0")).progress_percent(), None);
        assert_eq!(campaign(5, 0, None).progress_percent(), None);
        assert_eq!(campaign(5, 0, None).target(), None);
    }

    #[test]
    fn a_campaign_read_back_has_the_figures_it_was_written_with() {
        let c = campaign(3, 4, Some("7"));
        let again: Campaign = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }
}

/// A receiving account of the fund (SPEC §10), public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    pub bank_bin: String,
    pub account_no: String,
    pub account_name: String,
    pub bank_name: String,
    pub opened_seq: u64,
}

/// A bank statement sealed on the ledger, as the fund page lists it: what
/// the bank said beside the gifts its credit lines are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedStatement {
    pub seq: u64,
    pub statement_id: String,
    pub account_no: String,
    pub layout: String,
    pub first_day: String,
    pub last_day: String,
    pub lines: u64,
    pub credit_lines: u64,
    #[serde(with = "as_string")]
    pub credits_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub debits_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub opening_balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub closing_balance_vnd: SumVnd,
    pub gifts: u64,
    #[serde(with = "as_string")]
    pub gifts_vnd: SumVnd,
    pub not_gift_lines: u64,
    #[serde(with = "as_string")]
    pub not_gifts_vnd: SumVnd,
    pub review_credit_lines: u64,
    #[serde(with = "as_string")]
    pub review_credits_vnd: SumVnd,
    pub file_sha256: String,
}
