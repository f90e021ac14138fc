//! The fund's books: everything the ledger implies (balances, reservations,
//! stock, campaigns, pledges, households, distributions), folded entry by
//! entry, and the rules each entry must keep.
//!
//! Writing and replaying use the same two steps. [`Book::check`] looks at
//! an entry against the books and either refuses it, naming the rule, or
//! returns the few figures its effects need; [`Book::commit`] then applies
//! those effects and cannot fail. So a refused entry leaves the books as
//! they were, and the books rebuilt from the ledger alone
//! (`audit/replay`) are made by exactly the code that kept them live.
//!
//! Money rules, in one place:
//! - `balance_vnd` is cash on hand; `reserved_vnd` is the cash of pending
//!   distributions; available = balance − reserved.
//! - Cash given with an earmark (a support type) may pay only for that
//!   type. The part of the available cash not held by an earmark is
//!   "general" and pays for anything; expenses and transfers out draw on
//!   general cash only. A distribution draws on its own earmark first.
//! - Stock is kept per item in quantity (the rule: never below zero,
//!   counting what pending distributions reserve) and value (for
//!   statements), at the values the entries state.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use time::Date;

use super::ids::{format_date, Id};
use super::kinds::goods::ItemLine;
use super::kinds::programme::Category;
use super::kinds::spending::{AckMethod, DistributionStatus};
use super::kinds::{name_of, Body, EntryKind, SupportType};
use super::money::as_string;
use super::money::{AmountVnd, SumVnd};
use super::values::round_vnd;

/// Why an entry was refused by a rule of the fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// Stable name clients can match: `insufficient_funds`.
    pub rule: &'static str,
    /// The input it concerns: `body.cash_vnd`.
    pub field: String,
    pub message: String,
}

fn broken(rule: &'static str, field: &str, message: impl Into<String>) -> Broken {
    Broken {
        rule,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Where and by whom an entry is written.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub seq: u64,
    pub actor: &'a str,
    /// The day it was recorded, in Vietnam.
    pub date: Date,
}

/// Figures an entry's effects need that the body does not state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    /// Of a distribution's cash (or a voided one brought back), the part
    /// drawn from its earmark.
    pub from_earmark_vnd: u64,
    /// Value added to (or, negative, taken from) stock by an adjustment.
    pub value_delta_vnd: SumVnd,
}

/// Money given with a purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    #[serde(skip)]
    window: (Date, Date),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PledgeStatus {
    Open,
    Fulfilled,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    fn settle(&mut self) {
        if self.status != PledgeStatus::Cancelled {
            self.status = if self.received_vnd >= self.pledged_vnd {
                PledgeStatus::Fulfilled
            } else {
                PledgeStatus::Open
            };
        }
    }

    pub fn outstanding_vnd(&self) -> SumVnd {
        if self.status == PledgeStatus::Cancelled {
            0
        } else {
            (self.pledged_vnd - self.received_vnd).max(0)
        }
    }
}

/// One class a household was given, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    pub seq: u64,
    pub category: Category,
    pub review_year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

impl Household {
    fn reclass(&mut self) {
        if let Some(last) = self.classes.last() {
            self.category = last.category;
            self.review_year = last.review_year;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistState {
    Pending,
    Approved,
    Voided,
    Reversed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    pub method: AckMethod,
    pub acknowledged_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionState {
    pub distribution_id: String,
    pub household_id: String,
    pub support_type: SupportType,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
    pub items: Vec<ItemLine>,
    pub decision_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
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
    #[serde(skip)]
    year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

impl StockLine {
    pub fn available(&self) -> Decimal {
        self.quantity - self.reserved
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReversalState {
    pub reversed_seq: u64,
    pub kind: EntryKind,
    pub by_seq: u64,
    pub reason: String,
}

/// Running totals of the fund, for its summary and statements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// The kinds of object the books project into tables for reading.
pub const OBJECT_KINDS: [&str; 7] = [
    "campaign",
    "pledge",
    "household",
    "distribution",
    "stock",
    "earmark",
    "reversal",
];

/// A derived object, as stored for reads: (object kind, id, JSON).
pub type Object = (&'static str, String, Value);

/// The books of one fund.
#[derive(Debug, Clone, Default)]
pub struct Book {
    /// Entries folded in so far.
    pub size: u64,
    pub balance_vnd: SumVnd,
    pub reserved_vnd: SumVnd,
    /// The year receipts are numbered in and the last number given in it.
    pub receipt_year: i32,
    pub receipt_last: u64,
    pub totals: Totals,
    pub earmarks: BTreeMap<SupportType, Earmark>,
    pub campaigns: BTreeMap<String, Campaign>,
    pub pledges: BTreeMap<String, PledgeState>,
    /// Pledge references in use, to the pledge id.
    pub references: HashMap<String, String>,
    pub households: BTreeMap<String, Household>,
    pub distributions: BTreeMap<String, DistributionState>,
    pub stock: BTreeMap<String, StockLine>,
    /// Transfer ids of this fund, to the seq of their entry.
    pub transfers: BTreeMap<String, u64>,
    pub expenses: BTreeSet<String>,
    /// Closed periods, to the seq that closed them.
    pub periods: BTreeMap<String, u64>,
    pub reversals: BTreeMap<u64, ReversalState>,
    /// What each reversible entry did, so that a reversal can undo it.
    posted: HashMap<u64, (Body, Change)>,
    /// Objects changed since [`Book::take_dirty`] was last called.
    dirty: BTreeSet<(&'static str, String)>,
    /// The seq being reversed while a reversal is applied.
    reversing: Option<u64>,
    /// The day (Vietnam) the last entry was recorded.
    day: Option<Date>,
    /// Cash and stock at the end of each day that had entries, before the
    /// last one: what a period closing is checked against.
    day_ends: BTreeMap<Date, DayEnd>,
}

/// A fund's cash and stock at the end of a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DayEnd {
    balance_vnd: SumVnd,
    stock: BTreeMap<String, Decimal>,
}

fn vnd(n: u64) -> SumVnd {
    SumVnd::from(n)
}

fn money(n: SumVnd) -> String {
    n.to_string()
}

/// Splits `cash` between an earmark holding `earmark_free` and general
/// cash, or names the rule it breaks.
fn split_cash(
    book: &Book,
    cash: SumVnd,
    earmark: Option<SupportType>,
    field: &str,
) -> Result<u64, Broken> {
    let free_earmark = earmark
        .and_then(|t| book.earmarks.get(&t))
        .map_or(0, |e| e.free_vnd().max(0));
    let from_earmark = cash.min(free_earmark);
    let from_general = cash - from_earmark;
    let general = book.general_vnd();
    if from_general > general {
        let available = book.available_vnd();
        return Err(if cash <= available {
            broken(
                "earmark",
                field,
                format!(
                    "{} đồng are needed but only {} are free for this purpose; the rest of the available {} is earmarked for other support",
                    money(cash),
                    money(from_earmark + general.max(0)),
                    money(available)
                ),
            )
        } else {
            broken(
                "insufficient_funds",
                field,
                format!(
                    "{} đồng are needed but only {} are available (balance {} less {} reserved by pending distributions)",
                    money(cash),
                    money(available),
                    money(book.balance_vnd),
                    money(book.reserved_vnd)
                ),
            )
        });
    }
    Ok(u64::try_from(from_earmark).unwrap_or(0))
}

fn receipt_parts(receipt_no: &str) -> Option<(i32, u64)> {
    let mut parts = receipt_no.rsplitn(3, '-');
    let n = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    Some((year, n))
}

impl Book {
    /// A copy of the books to go back to, without the record of what each
    /// entry did: that record only grows, so [`Book::restore`] trims it.
    pub fn savepoint(&mut self) -> Book {
        let posted = std::mem::take(&mut self.posted);
        let copy = self.clone();
        self.posted = posted;
        copy
    }

    /// Goes back to a [`Book::savepoint`], forgetting the entries since.
    pub fn restore(&mut self, saved: Book) {
        let mut posted = std::mem::take(&mut self.posted);
        posted.retain(|seq, _| *seq < saved.size);
        *self = saved;
        self.posted = posted;
    }

    /// Passes over an entry without its effects: for an audit that reports
    /// an entry the rules refuse and goes on with the next.
    pub fn skip(&mut self) {
        self.size += 1;
    }

    /// Cash not reserved by pending distributions.
    pub fn available_vnd(&self) -> SumVnd {
        self.balance_vnd - self.reserved_vnd
    }

    /// Available cash not held by any earmark.
    pub fn general_vnd(&self) -> SumVnd {
        let held: SumVnd = self.earmarks.values().map(|e| e.free_vnd().max(0)).sum();
        self.available_vnd() - held
    }

    /// The next receipt number's (year, counter) for a gift recorded in
    /// `year`. Numbers move forward only: a clock that lags behind a new
    /// year keeps counting in the year already reached.
    pub fn next_receipt(&self, year: i32) -> (i32, u64) {
        if year > self.receipt_year {
            (year, 1)
        } else {
            (self.receipt_year, self.receipt_last + 1)
        }
    }

    /// The seq of the transfer with this id, if it is in this fund.
    pub fn transfer_seq(&self, id: &str) -> Option<u64> {
        self.transfers.get(id).copied()
    }

    /// The body a reversible entry was written with.
    pub fn posted(&self, seq: u64) -> Option<&Body> {
        self.posted.get(&seq).map(|(b, _)| b)
    }

    fn touch(&mut self, kind: &'static str, id: impl Into<String>) {
        self.dirty.insert((kind, id.into()));
    }

    /// Checks `body` as entry `at.seq`, returning what its effects need.
    pub fn check(&self, at: At<'_>, body: &Body) -> Result<Change, Broken> {
        if at.seq != self.size {
            return Err(broken(
                "out_of_order",
                "seq",
                format!("entry {} follows entry {}", at.seq, self.size),
            ));
        }
        if at.seq == 0 {
            return if let Body::FundOpened(_) = body {
                Ok(Change::default())
            } else {
                Err(broken(
                    "fund_not_open",
                    "kind",
                    "the fund has no fund_opened entry",
                ))
            };
        }
        let none = Ok(Change::default());
        match body {
            Body::FundOpened(_) => Err(broken(
                "fund_opened_first",
                "kind",
                "fund_opened is entry 0 only",
            )),
            Body::CampaignOpened(b) => {
                let id = required(&b.campaign_id, "body.campaign_id")?;
                if self.campaigns.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.campaign_id",
                        format!("campaign {id:?} exists already"),
                    ));
                }
                none
            }
            Body::CampaignClosed(b) => {
                let c = self.campaign(&b.campaign_id, "body.campaign_id")?;
                if c.status == CampaignStatus::Closed {
                    return Err(broken(
                        "campaign_closed",
                        "body.campaign_id",
                        format!("campaign {:?} is closed already", c.campaign_id),
                    ));
                }
                none
            }
            Body::Pledge(b) => {
                let id = required(&b.pledge_id, "body.pledge_id")?;
                if self.pledges.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.pledge_id",
                        format!("pledge {id:?} exists already"),
                    ));
                }
                let reference = b.reference.as_deref().unwrap_or_default();
                if self.references.contains_key(reference) {
                    return Err(broken(
                        "duplicate_reference",
                        "body.reference",
                        format!("reference {reference:?} belongs to another pledge of this fund"),
                    ));
                }
                if let Some(c) = &b.campaign_id {
                    self.open_campaign(c)?;
                }
                if let Some(items) = &b.items {
                    self.units_match(items, "body.items", false)?;
                }
                none
            }
            Body::PledgeCancelled(b) => {
                let p = self.pledge(&b.pledge_id)?;
                if p.status == PledgeStatus::Cancelled {
                    return Err(broken(
                        "pledge_cancelled",
                        "body.pledge_id",
                        format!("pledge {:?} is cancelled already", p.pledge_id),
                    ));
                }
                none
            }
            Body::DonationCash(b) => {
                self.check_receipt(&b.receipt_no)?;
                self.check_gift_links(
                    b.campaign_id.as_ref(),
                    b.pledge_id.as_ref(),
                    b.received_on.0,
                    false,
                )?;
                none
            }
            Body::DonationInKind(b) => {
                self.check_receipt(b.receipt_no.as_deref().unwrap_or_default())?;
                self.check_gift_links(
                    b.campaign_id.as_ref(),
                    b.pledge_id.as_ref(),
                    b.received_on.0,
                    true,
                )?;
                self.units_match(&b.items, "body.items", false)?;
                none
            }
            Body::HouseholdRegistered(b) => {
                let id = required(&b.household_id, "body.household_id")?;
                if self.households.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.household_id",
                        format!("household {id:?} is registered already"),
                    ));
                }
                if b.commitment.is_none() {
                    return Err(broken(
                        "commitment_missing",
                        "body.commitment",
                        "a household is registered with the commitment to its private record",
                    ));
                }
                none
            }
            Body::HouseholdReclassified(b) => {
                let h = self.household(&b.household_id)?;
                if b.review_year < h.review_year {
                    return Err(broken(
                        "review_year_order",
                        "body.review_year",
                        format!(
                            "the household was last reviewed for {}; a reclassification cannot go back to {}",
                            h.review_year, b.review_year
                        ),
                    ));
                }
                none
            }
            Body::Distribution(b) => {
                let id = required(&b.distribution_id, "body.distribution_id")?;
                if self.distributions.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.distribution_id",
                        format!("distribution {id:?} exists already"),
                    ));
                }
                self.household(&b.household_id)?;
                if let Some(c) = &b.campaign_id {
                    self.campaign(c, "body.campaign_id")?;
                }
                if b.status.is_none() {
                    return Err(broken(
                        "status_missing",
                        "body.status",
                        "the server sets a distribution's status",
                    ));
                }
                self.units_match(&b.items, "body.items", true)?;
                let from_earmark = split_cash(
                    self,
                    vnd(b.cash_vnd.get()),
                    Some(b.support_type),
                    "body.cash_vnd",
                )?;
                Ok(Change {
                    from_earmark_vnd: from_earmark,
                    value_delta_vnd: 0,
                })
            }
            Body::DistributionApproved(b) => {
                let d = self.distribution(&b.distribution_id)?;
                if d.status != DistState::Pending {
                    return Err(not_pending(d));
                }
                if d.recorded_by == at.actor {
                    return Err(broken(
                        "self_approval",
                        "body.distribution_id",
                        "the person who recorded a distribution may not approve it; another approver must",
                    ));
                }
                none
            }
            Body::DistributionVoided(b) => {
                let d = self.distribution(&b.distribution_id)?;
                if d.status != DistState::Pending {
                    return Err(not_pending(d));
                }
                none
            }
            Body::DistributionAcknowledged(b) => {
                let d = self.distribution(&b.distribution_id)?;
                if d.status != DistState::Approved {
                    return Err(broken(
                        "not_approved",
                        "body.distribution_id",
                        format!(
                            "distribution {:?} is {}; only an approved distribution is handed over",
                            d.distribution_id,
                            name_of(&d.status)
                        ),
                    ));
                }
                if d.acknowledged.is_some() {
                    return Err(broken(
                        "already_acknowledged",
                        "body.distribution_id",
                        format!(
                            "distribution {:?} is acknowledged already",
                            d.distribution_id
                        ),
                    ));
                }
                none
            }
            Body::TransferOut(b) | Body::TransferIn(b) => {
                let id = required(&b.transfer_id, "body.transfer_id")?;
                if self.transfers.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.transfer_id",
                        format!("transfer {id:?} exists already in this fund"),
                    ));
                }
                if matches!(body, Body::TransferOut(_)) {
                    split_cash(self, vnd(b.amount_vnd.get()), None, "body.amount_vnd")?;
                }
                none
            }
            Body::Expense(b) => {
                let id = required(&b.expense_id, "body.expense_id")?;
                if self.expenses.contains(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.expense_id",
                        format!("expense {id:?} exists already"),
                    ));
                }
                split_cash(self, vnd(b.amount_vnd.get()), None, "body.amount_vnd")?;
                none
            }
            Body::StockAdjusted(b) => {
                let line = self.stock.get(b.item.as_str()).ok_or_else(|| {
                    broken(
                        "unknown_item",
                        "body.item",
                        format!("there is no {} in stock", b.item),
                    )
                })?;
                let delta = b.quantity_delta.0;
                if -delta > line.available() {
                    return Err(stock_short(line, -delta, "body.quantity_delta"));
                }
                let value_delta_vnd = adjustment_value(line, delta, b.unit_value_vnd)?;
                Ok(Change {
                    from_earmark_vnd: 0,
                    value_delta_vnd,
                })
            }
            Body::Reversal(b) => self.check_reversal(at, b.reverses_seq),
            Body::PeriodClosed(b) => {
                if self.periods.contains_key(b.period.as_str()) {
                    return Err(broken(
                        "period_closed",
                        "body.period",
                        format!("period {} is closed already", b.period.as_str()),
                    ));
                }
                let end = self.at_end_of(b.period.last_day);
                if vnd(b.closing_balance_vnd.get()) != end.balance_vnd {
                    return Err(broken(
                        "closing_balance_mismatch",
                        "body.closing_balance_vnd",
                        format!(
                            "the fund's balance at the end of {} was {} đồng",
                            format_date(b.period.last_day),
                            money(end.balance_vnd)
                        ),
                    ));
                }
                let on_hand: BTreeMap<&str, Decimal> =
                    end.stock.iter().map(|(i, q)| (i.as_str(), *q)).collect();
                let stated: BTreeMap<&str, Decimal> = b
                    .stock
                    .iter()
                    .map(|c| (c.item.as_str(), c.quantity.0))
                    .collect();
                if on_hand != stated || stated.len() != b.stock.len() {
                    return Err(broken(
                        "stock_count_mismatch",
                        "body.stock",
                        format!(
                            "stock on hand is {}",
                            on_hand
                                .iter()
                                .map(|(i, q)| format!("{i} {q}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                none
            }
        }
    }

    fn campaign(&self, id: &Id, field: &str) -> Result<&Campaign, Broken> {
        self.campaigns.get(id.as_str()).ok_or_else(|| {
            broken(
                "unknown_campaign",
                field,
                format!("campaign {:?} was never opened in this fund", id.as_str()),
            )
        })
    }

    fn open_campaign(&self, id: &Id) -> Result<&Campaign, Broken> {
        let c = self.campaign(id, "body.campaign_id")?;
        if c.status == CampaignStatus::Closed {
            return Err(broken(
                "campaign_closed",
                "body.campaign_id",
                format!(
                    "campaign {:?} is closed; it takes no more gifts",
                    c.campaign_id
                ),
            ));
        }
        Ok(c)
    }

    fn pledge(&self, id: &Id) -> Result<&PledgeState, Broken> {
        self.pledges.get(id.as_str()).ok_or_else(|| {
            broken(
                "unknown_pledge",
                "body.pledge_id",
                format!("pledge {:?} does not exist in this fund", id.as_str()),
            )
        })
    }

    fn household(&self, id: &Id) -> Result<&Household, Broken> {
        self.households.get(id.as_str()).ok_or_else(|| {
            broken(
                "unknown_household",
                "body.household_id",
                format!("household {:?} is not registered in this fund", id.as_str()),
            )
        })
    }

    fn distribution(&self, id: &Id) -> Result<&DistributionState, Broken> {
        self.distributions.get(id.as_str()).ok_or_else(|| {
            broken(
                "unknown_distribution",
                "body.distribution_id",
                format!("distribution {:?} does not exist in this fund", id.as_str()),
            )
        })
    }

    fn check_receipt(&self, receipt_no: &str) -> Result<(), Broken> {
        let next = receipt_parts(receipt_no).filter(|(year, n)| {
            (*year == self.receipt_year && *n == self.receipt_last + 1)
                || (*year > self.receipt_year && *n == 1)
        });
        match next {
            Some(_) => Ok(()),
            None => Err(broken(
                "receipt_out_of_sequence",
                "body.receipt_no",
                format!(
                    "receipt {receipt_no:?} does not follow {}-{:06}",
                    self.receipt_year, self.receipt_last
                ),
            )),
        }
    }

    fn check_gift_links(
        &self,
        campaign: Option<&Id>,
        pledge: Option<&Id>,
        received_on: Date,
        in_kind: bool,
    ) -> Result<(), Broken> {
        if let Some(id) = campaign {
            let c = self.open_campaign(id)?;
            if received_on < c.window.0 || received_on > c.window.1 {
                return Err(broken(
                    "outside_campaign_window",
                    "body.received_on",
                    format!(
                        "campaign {:?} takes gifts from {} to {} (Decree 93/2021); this gift was received on {}",
                        c.campaign_id, c.starts_on, c.ends_on, format_date(received_on)
                    ),
                ));
            }
        }
        if let Some(id) = pledge {
            let p = self.pledge(id)?;
            if p.status == PledgeStatus::Cancelled {
                return Err(broken(
                    "pledge_cancelled",
                    "body.pledge_id",
                    format!("pledge {:?} was cancelled", p.pledge_id),
                ));
            }
            if p.in_kind != in_kind {
                return Err(broken(
                    "pledge_kind_mismatch",
                    "body.pledge_id",
                    format!(
                        "pledge {:?} promised {}",
                        p.pledge_id,
                        if p.in_kind { "goods" } else { "cash" }
                    ),
                ));
            }
            if let (Some(pc), Some(gc)) = (&p.campaign_id, campaign) {
                if pc != gc.as_str() {
                    return Err(broken(
                        "pledge_campaign_mismatch",
                        "body.campaign_id",
                        format!("pledge {:?} was made to campaign {pc:?}", p.pledge_id),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks that lines name stock in its own unit and, when `taking`, that
    /// enough is available.
    fn units_match(&self, items: &[ItemLine], field: &str, taking: bool) -> Result<(), Broken> {
        let mut wanted: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (i, line) in items.iter().enumerate() {
            let f = format!("{field}[{i}]");
            match self.stock.get(line.item.as_str()) {
                Some(s) if s.unit != line.unit.as_str() => {
                    return Err(broken(
                        "unit_mismatch",
                        &format!("{f}.unit"),
                        format!("{} is counted in {:?}", line.item, s.unit),
                    ))
                }
                None if taking => {
                    return Err(broken(
                        "stock_insufficient",
                        &format!("{f}.item"),
                        format!("there is no {} in stock", line.item),
                    ))
                }
                _ => {}
            }
            *wanted.entry(line.item.as_str()).or_default() += line.quantity.0;
        }
        if taking {
            for (item, q) in wanted {
                if let Some(s) = self.stock.get(item) {
                    if q > s.available() {
                        return Err(stock_short(s, q, field));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_reversal(&self, at: At<'_>, seq: u64) -> Result<Change, Broken> {
        let f = "body.reverses_seq";
        if seq >= at.seq {
            return Err(broken(
                "unknown_entry",
                f,
                format!("entry {seq} does not exist yet"),
            ));
        }
        if let Some(r) = self.reversals.get(&seq) {
            return Err(broken(
                "already_reversed",
                f,
                format!("entry {seq} was reversed already, by entry {}", r.by_seq),
            ));
        }
        let Some((body, change)) = self.posted.get(&seq) else {
            return Err(broken(
                "not_reversible",
                f,
                format!("entry {seq} cannot be reversed: a fund's opening and reversals stay; record a new entry instead"),
            ));
        };
        let none = Ok(Change::default());
        match body {
            Body::CampaignOpened(b) => {
                let c = held(&self.campaigns, id_str(&b.campaign_id).as_str(), "campaign")?;
                if c.gifts > 0 || c.pledges > 0 || c.distributions > 0 {
                    return Err(broken(
                        "campaign_in_use",
                        f,
                        format!("campaign {:?} has gifts, pledges or distributions; reverse those first", c.campaign_id),
                    ));
                }
                none
            }
            Body::Pledge(b) => {
                let p = held(&self.pledges, id_str(&b.pledge_id).as_str(), "pledge")?;
                if p.gifts > 0 {
                    return Err(broken(
                        "pledge_in_use",
                        f,
                        format!(
                            "pledge {:?} has gifts; reverse those or cancel the pledge",
                            p.pledge_id
                        ),
                    ));
                }
                none
            }
            Body::DonationCash(b) => {
                let amount = vnd(b.amount_vnd.get());
                let free = match b.earmark {
                    Some(t) => self
                        .earmarks
                        .get(&t)
                        .map_or(0, Earmark::free_vnd)
                        .min(self.available_vnd()),
                    None => self.general_vnd(),
                };
                if amount > free {
                    return Err(broken(
                        "reversal_overdraws",
                        f,
                        format!(
                            "undoing this gift takes {} đồng but only {} are free; the money has been spent or reserved",
                            money(amount),
                            money(free.max(0))
                        ),
                    ));
                }
                none
            }
            Body::DonationInKind(b) => {
                self.stock_available_for(&b.items, f)?;
                none
            }
            Body::HouseholdRegistered(b) => {
                let h = held(
                    &self.households,
                    id_str(&b.household_id).as_str(),
                    "household",
                )?;
                if !h.distributions.is_empty() {
                    return Err(broken(
                        "household_in_use",
                        f,
                        format!("household {:?} has distributions", h.household_id),
                    ));
                }
                none
            }
            Body::Distribution(b) => {
                let d = held(
                    &self.distributions,
                    id_str(&b.distribution_id).as_str(),
                    "distribution",
                )?;
                match d.status {
                    DistState::Approved => none,
                    DistState::Pending => Err(broken(
                        "void_pending",
                        f,
                        "a pending distribution is voided (distribution_voided), not reversed",
                    )),
                    _ => Err(broken(
                        "not_reversible",
                        f,
                        format!(
                            "distribution {:?} is {} already",
                            d.distribution_id,
                            name_of(&d.status)
                        ),
                    )),
                }
            }
            Body::DistributionApproved(b) => {
                let d = held(
                    &self.distributions,
                    b.distribution_id.as_str(),
                    "distribution",
                )?;
                if d.status != DistState::Approved {
                    return Err(broken(
                        "not_reversible",
                        f,
                        format!(
                            "distribution {:?} is {} now",
                            d.distribution_id,
                            name_of(&d.status)
                        ),
                    ));
                }
                if d.acknowledged.is_some() {
                    return Err(broken(
                        "acknowledged",
                        f,
                        "the household acknowledged this distribution; reverse the acknowledgement first",
                    ));
                }
                none
            }
            Body::DistributionVoided(b) => {
                let d = held(
                    &self.distributions,
                    b.distribution_id.as_str(),
                    "distribution",
                )?;
                let from_earmark = split_cash(self, d.cash_vnd, Some(d.support_type), f)?;
                self.stock_available_for(&d.items, f)?;
                Ok(Change {
                    from_earmark_vnd: from_earmark,
                    value_delta_vnd: 0,
                })
            }
            Body::TransferIn(b) => {
                split_cash(self, vnd(b.amount_vnd.get()), None, f)
                    .map_err(|e| broken("reversal_overdraws", f, e.message))?;
                none
            }
            Body::StockAdjusted(b) => {
                if b.quantity_delta.0 > Decimal::ZERO {
                    let line = held(&self.stock, b.item.as_str(), "stock line")?;
                    if b.quantity_delta.0 > line.available() {
                        return Err(stock_short(line, b.quantity_delta.0, f));
                    }
                }
                Ok(*change)
            }
            Body::FundOpened(_)
            | Body::CampaignClosed(_)
            | Body::PledgeCancelled(_)
            | Body::HouseholdReclassified(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::Expense(_)
            | Body::Reversal(_)
            | Body::PeriodClosed(_) => none,
        }
    }

    fn stock_available_for(&self, items: &[ItemLine], f: &str) -> Result<(), Broken> {
        let mut wanted: BTreeMap<&str, Decimal> = BTreeMap::new();
        for l in items {
            *wanted.entry(l.item.as_str()).or_default() += l.quantity.0;
        }
        for (item, q) in wanted {
            if let Some(s) = self.stock.get(item) {
                if q > s.available() {
                    return Err(stock_short(s, q, f));
                }
            }
        }
        Ok(())
    }

    /// Cash and stock on hand now.
    fn day_end(&self) -> DayEnd {
        DayEnd {
            balance_vnd: self.balance_vnd,
            stock: self
                .stock
                .values()
                .filter(|l| !l.quantity.is_zero())
                .map(|l| (l.item.clone(), l.quantity))
                .collect(),
        }
    }

    /// Cash and stock at the end of `day`.
    fn at_end_of(&self, day: Date) -> DayEnd {
        match self.day {
            Some(d) if d > day => self
                .day_ends
                .range(..=day)
                .next_back()
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
            _ => self.day_end(),
        }
    }

    /// Applies the effects of an entry `check` accepted.
    pub fn commit(&mut self, at: At<'_>, body: &Body, change: Change) {
        debug_assert_eq!(at.seq, self.size);
        if let Some(day) = self.day.filter(|d| *d != at.date) {
            self.day_ends.insert(day, self.day_end());
        }
        self.day = Some(at.date);
        self.size += 1;
        match body {
            Body::FundOpened(_) => return,
            Body::Reversal(r) => {
                self.undo(at, r.reverses_seq, change, r.reason.as_str());
                return;
            }
            Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
            | Body::DonationCash(_)
            | Body::DonationInKind(_)
            | Body::HouseholdRegistered(_)
            | Body::HouseholdReclassified(_)
            | Body::Distribution(_)
            | Body::DistributionApproved(_)
            | Body::DistributionVoided(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::TransferIn(_)
            | Body::Expense(_)
            | Body::StockAdjusted(_)
            | Body::PeriodClosed(_) => {}
        }
        self.posted.insert(at.seq, (body.clone(), change));
        self.apply(at, body, change, 1);
    }

    /// Applies (`sign` 1) or undoes (`sign` −1) the effects of `body`.
    fn apply(&mut self, at: At<'_>, body: &Body, change: Change, sign: i8) {
        let s = SumVnd::from(sign);
        let forward = sign > 0;
        match body {
            Body::FundOpened(_) | Body::Reversal(_) => {}
            Body::CampaignOpened(b) => {
                let id = id_str(&b.campaign_id);
                if forward {
                    self.campaigns.insert(
                        id.clone(),
                        Campaign {
                            campaign_id: id.clone(),
                            name: b.name.as_str().to_owned(),
                            kind: name_of(&b.kind),
                            starts_on: format_date(b.starts_on.0),
                            ends_on: format_date(b.ends_on.0),
                            target_vnd: b.target_vnd.map(|t| t.get().to_string()),
                            status: CampaignStatus::Open,
                            closed_reason: None,
                            opened_seq: at.seq,
                            gifts: 0,
                            cash_received_vnd: 0,
                            goods_received_vnd: 0,
                            pledges: 0,
                            distributions: 0,
                            distributed_cash_vnd: 0,
                            distributed_goods_vnd: 0,
                            window: (b.starts_on.0, b.ends_on.0),
                        },
                    );
                } else {
                    self.campaigns.remove(&id);
                }
                self.touch("campaign", id);
            }
            Body::CampaignClosed(b) => {
                if let Some(c) = self.campaigns.get_mut(b.campaign_id.as_str()) {
                    if forward {
                        c.status = CampaignStatus::Closed;
                        c.closed_reason = b.reason.as_ref().map(|r| r.as_str().to_owned());
                    } else {
                        c.status = CampaignStatus::Open;
                        c.closed_reason = None;
                    }
                }
                self.touch("campaign", b.campaign_id.as_str());
            }
            Body::Pledge(b) => {
                let id = id_str(&b.pledge_id);
                let reference = b.reference.clone().unwrap_or_default();
                if forward {
                    self.pledges.insert(
                        id.clone(),
                        PledgeState {
                            pledge_id: id.clone(),
                            reference: reference.clone(),
                            donor_display: b.donor.display.as_str().to_owned(),
                            donor_kind: name_of(&b.donor.kind),
                            pledged_vnd: SumVnd::try_from(b.pledged_vnd()).unwrap_or(0),
                            in_kind: b.items.is_some(),
                            campaign_id: b.campaign_id.as_ref().map(|c| c.as_str().to_owned()),
                            due_on: b.due_on.map(|d| format_date(d.0)),
                            status: PledgeStatus::Open,
                            cancelled_reason: None,
                            received_vnd: 0,
                            gifts: 0,
                            seq: at.seq,
                        },
                    );
                    self.references.insert(reference, id.clone());
                } else {
                    self.pledges.remove(&id);
                    self.references.remove(&reference);
                }
                if let Some(c) = &b.campaign_id {
                    if let Some(c) = self.campaigns.get_mut(c.as_str()) {
                        c.pledges = c.pledges.saturating_add_signed(i64::from(sign));
                    }
                    self.touch("campaign", c.as_str());
                }
                self.touch("pledge", id);
            }
            Body::PledgeCancelled(b) => {
                if let Some(p) = self.pledges.get_mut(b.pledge_id.as_str()) {
                    if forward {
                        p.status = PledgeStatus::Cancelled;
                        p.cancelled_reason = Some(b.reason.as_str().to_owned());
                    } else {
                        p.status = PledgeStatus::Open;
                        p.cancelled_reason = None;
                        p.settle();
                    }
                }
                self.touch("pledge", b.pledge_id.as_str());
            }
            Body::DonationCash(b) => {
                let amount = vnd(b.amount_vnd.get()) * s;
                if forward {
                    if let Some((year, n)) = receipt_parts(&b.receipt_no) {
                        (self.receipt_year, self.receipt_last) = (year, n);
                    }
                }
                self.balance_vnd += amount;
                self.totals.cash_received_vnd += amount;
                self.totals.gifts = self.totals.gifts.saturating_add_signed(i64::from(sign));
                if let Some(t) = b.earmark {
                    self.earmarks.entry(t).or_default().received_vnd += amount;
                    self.touch("earmark", name_of(&t));
                }
                self.gift_links(
                    b.campaign_id.as_ref(),
                    b.pledge_id.as_ref(),
                    amount,
                    false,
                    sign,
                );
            }
            Body::DonationInKind(b) => {
                let value = vnd(b.total_value_vnd.get()) * s;
                if forward {
                    if let Some((year, n)) = b.receipt_no.as_deref().and_then(receipt_parts) {
                        (self.receipt_year, self.receipt_last) = (year, n);
                    }
                }
                self.move_stock(&b.items, sign, false);
                self.totals.goods_received_vnd += value;
                self.totals.gifts = self.totals.gifts.saturating_add_signed(i64::from(sign));
                self.gift_links(
                    b.campaign_id.as_ref(),
                    b.pledge_id.as_ref(),
                    value,
                    true,
                    sign,
                );
            }
            Body::HouseholdRegistered(b) => {
                let id = id_str(&b.household_id);
                if forward {
                    self.households.insert(
                        id.clone(),
                        Household {
                            household_id: id.clone(),
                            commune_code: b.commune_code.as_str().to_owned(),
                            hamlet: b.hamlet.as_str().to_owned(),
                            category: b.category,
                            members: b.members,
                            review_year: b.review_year,
                            commitment: b
                                .commitment
                                .as_ref()
                                .map(|c| c.as_str().to_owned())
                                .unwrap_or_default(),
                            registered_seq: at.seq,
                            classes: vec![Class {
                                seq: at.seq,
                                category: b.category,
                                review_year: b.review_year,
                            }],
                            distributions: Vec::new(),
                        },
                    );
                } else {
                    self.households.remove(&id);
                }
                self.touch("household", id);
            }
            Body::HouseholdReclassified(b) => {
                if let Some(h) = self.households.get_mut(b.household_id.as_str()) {
                    if forward {
                        h.classes.push(Class {
                            seq: at.seq,
                            category: b.category,
                            review_year: b.review_year,
                        });
                    } else {
                        // `at.seq` is the reversal; the class to drop is the
                        // one the reversed entry added.
                        let reversed = self.reversing.unwrap_or(at.seq);
                        h.classes.retain(|c| c.seq != reversed);
                    }
                    h.reclass();
                }
                self.touch("household", b.household_id.as_str());
            }
            Body::Distribution(b) => {
                let id = id_str(&b.distribution_id);
                if forward {
                    let pending = b.status == Some(DistributionStatus::Pending);
                    let d = DistributionState {
                        distribution_id: id.clone(),
                        household_id: b.household_id.as_str().to_owned(),
                        support_type: b.support_type,
                        cash_vnd: vnd(b.cash_vnd.get()),
                        goods_vnd: SumVnd::try_from(b.goods_vnd()).unwrap_or(0),
                        items: b.items.clone(),
                        decision_ref: b.decision_ref.as_str().to_owned(),
                        campaign_id: b.campaign_id.as_ref().map(|c| c.as_str().to_owned()),
                        status: if pending {
                            DistState::Pending
                        } else {
                            DistState::Approved
                        },
                        from_earmark_vnd: vnd(change.from_earmark_vnd),
                        recorded_by: at.actor.to_owned(),
                        recorded_on: format_date(at.date),
                        seq: at.seq,
                        approved_by: None,
                        approved_seq: None,
                        voided_reason: None,
                        acknowledged: None,
                        year: at.date.year(),
                    };
                    if pending {
                        self.reserve(&d, 1);
                    } else {
                        self.spend(&d, 1);
                    }
                    if let Some(h) = self.households.get_mut(b.household_id.as_str()) {
                        h.distributions.push(id.clone());
                    }
                    if let Some(c) = &b.campaign_id {
                        if let Some(c) = self.campaigns.get_mut(c.as_str()) {
                            c.distributions += 1;
                        }
                        self.touch("campaign", c.as_str());
                    }
                    self.distributions.insert(id.clone(), d);
                } else if let Some(d) = self.distributions.get(&id).cloned() {
                    // Only approved distributions are reversed.
                    self.spend(&d, -1);
                    if let Some(d) = self.distributions.get_mut(&id) {
                        d.status = DistState::Reversed;
                    }
                }
                self.touch("household", b.household_id.as_str());
                self.touch("distribution", id);
            }
            Body::DistributionApproved(b) => {
                let id = b.distribution_id.as_str();
                if let Some(d) = self.distributions.get(id).cloned() {
                    self.reserve(&d, -s);
                    self.spend(&d, s);
                    if let Some(d) = self.distributions.get_mut(id) {
                        if forward {
                            d.status = DistState::Approved;
                            d.approved_by = Some(at.actor.to_owned());
                            d.approved_seq = Some(at.seq);
                        } else {
                            d.status = DistState::Pending;
                            d.approved_by = None;
                            d.approved_seq = None;
                        }
                    }
                }
                self.touch("distribution", id);
            }
            Body::DistributionVoided(b) => {
                let id = b.distribution_id.as_str();
                if let Some(mut d) = self.distributions.get(id).cloned() {
                    if !forward {
                        d.from_earmark_vnd = vnd(change.from_earmark_vnd);
                    }
                    self.reserve(&d, -s);
                    if let Some(stored) = self.distributions.get_mut(id) {
                        stored.from_earmark_vnd = d.from_earmark_vnd;
                        if forward {
                            stored.status = DistState::Voided;
                            stored.voided_reason = Some(b.reason.as_str().to_owned());
                        } else {
                            stored.status = DistState::Pending;
                            stored.voided_reason = None;
                        }
                    }
                }
                self.touch("distribution", id);
            }
            Body::DistributionAcknowledged(b) => {
                if let Some(d) = self.distributions.get_mut(b.distribution_id.as_str()) {
                    d.acknowledged = forward.then(|| Acknowledgement {
                        method: b.method,
                        acknowledged_on: format_date(b.acknowledged_on.0),
                        evidence_sha256: b.evidence_sha256.as_ref().map(|e| e.as_str().to_owned()),
                        seq: at.seq,
                    });
                }
                self.touch("distribution", b.distribution_id.as_str());
            }
            Body::TransferOut(b) => {
                let amount = vnd(b.amount_vnd.get()) * s;
                self.balance_vnd -= amount;
                self.totals.transfers_out_vnd += amount;
                self.record_transfer(b.transfer_id.as_ref(), at.seq, forward);
            }
            Body::TransferIn(b) => {
                let amount = vnd(b.amount_vnd.get()) * s;
                self.balance_vnd += amount;
                self.totals.transfers_in_vnd += amount;
                self.record_transfer(b.transfer_id.as_ref(), at.seq, forward);
            }
            Body::Expense(b) => {
                let amount = vnd(b.amount_vnd.get()) * s;
                self.balance_vnd -= amount;
                self.totals.expenses_vnd += amount;
                let id = id_str(&b.expense_id);
                if forward {
                    self.expenses.insert(id);
                }
            }
            Body::StockAdjusted(b) => {
                if let Some(line) = self.stock.get_mut(b.item.as_str()) {
                    line.quantity += b.quantity_delta.0 * Decimal::from(sign);
                    line.value_vnd += change.value_delta_vnd * s;
                    line.quantity = line.quantity.normalize();
                }
                self.totals.stock_adjusted_vnd += change.value_delta_vnd * s;
                self.touch("stock", b.item.as_str());
            }
            Body::PeriodClosed(b) => {
                if forward {
                    self.periods.insert(b.period.as_str().to_owned(), at.seq);
                } else {
                    self.periods.remove(b.period.as_str());
                }
            }
        }
    }

    fn undo(&mut self, at: At<'_>, seq: u64, change: Change, reason: &str) {
        let Some((body, posted_change)) = self.posted.get(&seq).cloned() else {
            return;
        };
        // A voided distribution brought back reserves again, split as
        // `check` found; everything else is undone with the figures it was
        // done with.
        let change = match body {
            Body::DistributionVoided(_) => change,
            Body::FundOpened(_)
            | Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
            | Body::DonationCash(_)
            | Body::DonationInKind(_)
            | Body::HouseholdRegistered(_)
            | Body::HouseholdReclassified(_)
            | Body::Distribution(_)
            | Body::DistributionApproved(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::TransferIn(_)
            | Body::Expense(_)
            | Body::StockAdjusted(_)
            | Body::Reversal(_)
            | Body::PeriodClosed(_) => posted_change,
        };
        self.reversing = Some(seq);
        self.apply(at, &body, change, -1);
        self.reversing = None;
        self.reversals.insert(
            seq,
            ReversalState {
                reversed_seq: seq,
                kind: body.kind(),
                by_seq: at.seq,
                reason: reason.to_owned(),
            },
        );
        self.touch("reversal", seq.to_string());
    }

    fn record_transfer(&mut self, id: Option<&Id>, seq: u64, forward: bool) {
        let id = id.map(|i| i.as_str().to_owned()).unwrap_or_default();
        if forward {
            self.transfers.insert(id, seq);
        }
    }

    fn gift_links(
        &mut self,
        campaign: Option<&Id>,
        pledge: Option<&Id>,
        amount: SumVnd,
        in_kind: bool,
        sign: i8,
    ) {
        if let Some(c) = campaign {
            if let Some(c) = self.campaigns.get_mut(c.as_str()) {
                c.gifts = c.gifts.saturating_add_signed(i64::from(sign));
                if in_kind {
                    c.goods_received_vnd += amount;
                } else {
                    c.cash_received_vnd += amount;
                }
            }
            self.touch("campaign", c.as_str());
        }
        if let Some(p) = pledge {
            if let Some(p) = self.pledges.get_mut(p.as_str()) {
                p.gifts = p.gifts.saturating_add_signed(i64::from(sign));
                p.received_vnd += amount;
                p.settle();
            }
            self.touch("pledge", p.as_str());
        }
    }

    /// Moves goods in (`sign` 1) or out (−1) of stock, or of its
    /// reservations when `reserved`.
    fn move_stock(&mut self, items: &[ItemLine], sign: i8, reserved: bool) {
        let s = Decimal::from(sign);
        for l in items {
            let line = self
                .stock
                .entry(l.item.as_str().to_owned())
                .or_insert_with(|| StockLine {
                    item: l.item.as_str().to_owned(),
                    unit: l.unit.as_str().to_owned(),
                    quantity: Decimal::ZERO,
                    reserved: Decimal::ZERO,
                    value_vnd: 0,
                });
            if reserved {
                line.reserved = (line.reserved + l.quantity.0 * s).normalize();
            } else {
                line.quantity = (line.quantity + l.quantity.0 * s).normalize();
                line.value_vnd += vnd(l.value_vnd.get()) * SumVnd::from(sign);
            }
            let item = l.item.as_str().to_owned();
            self.touch("stock", item);
        }
    }

    /// Holds (`sign` 1) or releases (−1) what a pending distribution needs.
    fn reserve(&mut self, d: &DistributionState, sign: SumVnd) {
        self.reserved_vnd += d.cash_vnd * sign;
        if d.from_earmark_vnd != 0 {
            self.earmarks
                .entry(d.support_type)
                .or_default()
                .reserved_vnd += d.from_earmark_vnd * sign;
            self.touch("earmark", name_of(&d.support_type));
        }
        self.move_stock(&d.items, if sign > 0 { 1 } else { -1 }, true);
    }

    /// Pays out (`sign` 1) or takes back (−1) an approved distribution.
    fn spend(&mut self, d: &DistributionState, sign: SumVnd) {
        self.balance_vnd -= d.cash_vnd * sign;
        self.totals.distributed_cash_vnd += d.cash_vnd * sign;
        self.totals.distributed_goods_vnd += d.goods_vnd * sign;
        if d.from_earmark_vnd != 0 {
            self.earmarks.entry(d.support_type).or_default().used_vnd += d.from_earmark_vnd * sign;
            self.touch("earmark", name_of(&d.support_type));
        }
        self.move_stock(&d.items, if sign > 0 { -1 } else { 1 }, false);
        if let Some(c) = &d.campaign_id {
            if let Some(c) = self.campaigns.get_mut(c) {
                c.distributed_cash_vnd += d.cash_vnd * sign;
                c.distributed_goods_vnd += d.goods_vnd * sign;
            }
            self.touch("campaign", c.clone());
        }
    }

    /// Objects changed since the last call, with their current JSON (or
    /// `None` when the object is gone).
    pub fn take_dirty(&mut self) -> Vec<(&'static str, String, Option<Value>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|(kind, id)| {
                let v = self.object(kind, &id);
                (kind, id, v)
            })
            .collect()
    }

    /// One derived object as JSON.
    pub fn object(&self, kind: &str, id: &str) -> Option<Value> {
        fn to<T: Serialize>(v: Option<&T>) -> Option<Value> {
            v.and_then(|v| serde_json::to_value(v).ok())
        }
        match kind {
            "campaign" => to(self.campaigns.get(id)),
            "pledge" => to(self.pledges.get(id)),
            "household" => to(self.households.get(id)),
            "distribution" => to(self.distributions.get(id)),
            "stock" => to(self.stock.get(id)),
            "earmark" => self
                .earmarks
                .iter()
                .find(|(k, _)| name_of(*k) == id)
                .and_then(|(_, e)| serde_json::to_value(e).ok()),
            "reversal" => id
                .parse::<u64>()
                .ok()
                .and_then(|s| to(self.reversals.get(&s))),
            _ => None,
        }
    }

    /// Every derived object, for comparing a replay with the live tables.
    pub fn objects(&self) -> Vec<Object> {
        let mut out = Vec::new();
        let mut add = |kind: &'static str, ids: Vec<String>| {
            for id in ids {
                if let Some(v) = self.object(kind, &id) {
                    out.push((kind, id, v));
                }
            }
        };
        add("campaign", self.campaigns.keys().cloned().collect());
        add("pledge", self.pledges.keys().cloned().collect());
        add("household", self.households.keys().cloned().collect());
        add("distribution", self.distributions.keys().cloned().collect());
        add("stock", self.stock.keys().cloned().collect());
        add("earmark", self.earmarks.keys().map(name_of).collect());
        add(
            "reversal",
            self.reversals.keys().map(u64::to_string).collect(),
        );
        out
    }

    /// The fund's figures: balance, reservations, totals, receipt counter.
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "size": self.size,
            "balance_vnd": money(self.balance_vnd),
            "reserved_vnd": money(self.reserved_vnd),
            "available_vnd": money(self.available_vnd()),
            "general_available_vnd": money(self.general_vnd()),
            "receipt_year": self.receipt_year,
            "receipt_last": self.receipt_last,
            "totals": self.totals,
            "periods_closed": self.periods.keys().collect::<Vec<_>>(),
        })
    }
}

/// An object the books hold because an entry they folded made it. If it
/// is missing the books are broken: the entry is refused, naming what is
/// missing, rather than the writer stopped.
fn held<'a, T>(map: &'a BTreeMap<String, T>, id: &str, what: &str) -> Result<&'a T, Broken> {
    map.get(id).ok_or_else(|| {
        broken(
            "books_inconsistent",
            "body.reverses_seq",
            format!("the books hold no {what} {id:?}, though an entry made it"),
        )
    })
}

fn id_str(id: &Option<Id>) -> String {
    id.as_ref()
        .map(|i| i.as_str().to_owned())
        .unwrap_or_default()
}

fn required<'a>(id: &'a Option<Id>, field: &str) -> Result<&'a str, Broken> {
    id.as_ref()
        .map(Id::as_str)
        .ok_or_else(|| broken("id_missing", field, "the server assigns this id"))
}

fn not_pending(d: &DistributionState) -> Broken {
    broken(
        "not_pending",
        "body.distribution_id",
        format!(
            "distribution {:?} is {}; only a pending distribution is approved or voided (an approved one is reversed)",
            d.distribution_id,
            name_of(&d.status)
        ),
    )
}

/// The value a stock adjustment of `delta` adds to `line` (negative when
/// it takes away). Units go at the line's average value; the last units
/// take what is left, so value reaches 0 with quantity. A line that holds
/// nothing has no average: a count correction adding to it states its
/// `unit_value_vnd` (SPEC §9), and only then.
fn adjustment_value(
    line: &StockLine,
    delta: Decimal,
    unit_value_vnd: Option<AmountVnd>,
) -> Result<SumVnd, Broken> {
    const F: &str = "body.unit_value_vnd";
    let overflow = || {
        broken(
            "amount_overflow",
            F,
            "the adjustment's value is out of range",
        )
    };
    let value = match (line.quantity.is_zero(), unit_value_vnd) {
        (true, Some(unit)) => delta
            .checked_mul(Decimal::from(unit.get()))
            .map(round_vnd)
            .ok_or_else(overflow)?,
        (true, None) => {
            return Err(broken(
                "unit_value_required",
                F,
                format!(
                    "{} holds nothing, so it has no average value: state the unit value of what the count found",
                    line.item
                ),
            ))
        }
        (false, Some(_)) => {
            return Err(broken(
                "goods_value",
                F,
                format!(
                    "{} is adjusted at its average value in the books; leave unit_value_vnd out",
                    line.item
                ),
            ))
        }
        (false, None) if (line.quantity + delta).is_zero() => return Ok(-line.value_vnd),
        (false, None) => Decimal::try_from_i128_with_scale(line.value_vnd, 0)
            .ok()
            .and_then(|v| delta.checked_mul(v))
            .and_then(|v| v.checked_div(line.quantity))
            .map(round_vnd)
            .ok_or_else(overflow)?,
    };
    SumVnd::try_from(value).map_err(|_| overflow())
}

fn stock_short(line: &StockLine, wanted: Decimal, field: &str) -> Broken {
    broken(
        "stock_insufficient",
        field,
        format!(
            "{} {} of {} are needed but only {} are available ({} on hand, {} reserved)",
            wanted,
            line.unit,
            line.item,
            line.available(),
            line.quantity,
            line.reserved
        ),
    )
}
