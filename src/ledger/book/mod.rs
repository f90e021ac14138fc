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
use time::Date;

use super::ids::Id;
use super::kinds::{Body, SupportType};
use super::money::SumVnd;

mod effects;
mod objects;
mod outflows;
mod posted;
mod projection;
mod reversal;
mod rules;
pub mod saved;
#[cfg(test)]
mod tests;

pub use objects::{
    Acknowledgement, BankAccount, Campaign, CampaignPhase, CampaignStatus, Class, DistState,
    DistributionState, Earmark, Hold, Household, OutflowState, PledgeState, PledgeStatus,
    ReversalState, SealedStatement, Sponsorship, SponsorshipProgress, StockLine, Totals,
};
pub use outflows::{outflow_key, LineValues, FOUR_EYES_VERSION};
pub use projection::{Object, Summary, OBJECT_KINDS};
pub use rules::FUND_TOTAL_MAX_VND;

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
    /// The entry's version: rules added later judge only entries written
    /// under them (SPEC §3).
    pub v: u64,
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

/// The books of one fund. Serialised only as a whole, for a saved copy
/// (see [`saved`]): every field but what [`saved`] writes beside it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Book {
    /// Entries folded in so far.
    pub size: u64,
    #[serde(with = "crate::ledger::money::as_string")]
    pub balance_vnd: SumVnd,
    #[serde(with = "crate::ledger::money::as_string")]
    pub reserved_vnd: SumVnd,
    /// The year receipts are numbered in and the last number given in it.
    pub receipt_year: i32,
    pub receipt_last: u64,
    pub totals: Totals,
    pub earmarks: BTreeMap<SupportType, Earmark>,
    pub campaigns: BTreeMap<String, Campaign>,
    pub pledges: BTreeMap<String, PledgeState>,
    /// Pledge and campaign references in use, to the pledge's or the
    /// campaign's id: one namespace, so a transfer's reference names one.
    #[serde(serialize_with = "saved::sorted")]
    pub references: HashMap<String, String>,
    /// Receiving accounts, by account number.
    pub bank_accounts: BTreeMap<String, BankAccount>,
    /// Sealed bank statements, by the seq of their seal.
    pub statements: BTreeMap<u64, SealedStatement>,
    pub households: BTreeMap<String, Household>,
    pub distributions: BTreeMap<String, DistributionState>,
    /// Sponsorships by id (SPEC §11).
    #[serde(default)]
    pub sponsorships: BTreeMap<String, Sponsorship>,
    pub stock: BTreeMap<String, StockLine>,
    /// Transfer ids of this fund, to the seq of their entry.
    pub transfers: BTreeMap<String, u64>,
    pub expenses: BTreeSet<String>,
    /// Closed periods, to the seq that closed them.
    pub periods: BTreeMap<String, u64>,
    pub reversals: BTreeMap<u64, ReversalState>,
    /// Outflows other than distributions written with a status (from
    /// version 2), by seq.
    pub outflows: BTreeMap<u64, OutflowState>,
    /// Distributions by the seq of their entry, for `outflow_approved`.
    pub distribution_at: BTreeMap<u64, String>,
    /// Entries with a reversal waiting for approval, to that reversal.
    pending_reversals: BTreeMap<u64, u64>,
    /// What each person has recorded in outflows on `day`.
    #[serde(serialize_with = "saved::sorted")]
    day_outflows: HashMap<String, SumVnd>,
    /// What each reversible entry did, so that a reversal can undo it.
    #[serde(skip)]
    posted: posted::Posted,
    /// Objects changed since [`Book::take_dirty`] was last called.
    #[serde(skip)]
    dirty: BTreeSet<(&'static str, String)>,
    /// The seq being reversed while a reversal is applied.
    #[serde(skip)]
    reversing: Option<u64>,
    /// The day (Vietnam) the last entry was recorded.
    day: Option<Date>,
    /// Cash and stock at the end of each day that had entries, before the
    /// last one: what a period closing is checked against.
    #[serde(with = "saved::by_date")]
    day_ends: BTreeMap<Date, DayEnd>,
}

/// A fund's cash and stock at the end of a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DayEnd {
    #[serde(with = "crate::ledger::money::as_string")]
    balance_vnd: SumVnd,
    #[serde(with = "saved::quantities")]
    stock: BTreeMap<String, Decimal>,
}

fn vnd(n: u64) -> SumVnd {
    SumVnd::from(n)
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
                    cash,
                    from_earmark + general.max(0),
                    available
                ),
            )
        } else {
            broken(
                "insufficient_funds",
                field,
                format!(
                    "{} đồng are needed but only {} are available (balance {} less {} held by pending outflows)",
                    cash,
                    available,
                    book.balance_vnd,
                    book.reserved_vnd
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
        posted.keep_below(saved.size);
        *self = saved;
        self.posted = posted;
    }

    /// Passes over an entry without its effects: for an audit that reports
    /// an entry the rules refuse and goes on with the next.
    pub fn skip(&mut self) {
        self.size += 1;
    }

    /// Cash not reserved by pending outflows.
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

    /// The body a reversible entry was written with; a cash gift's
    /// without its texts (see [`Posted`]).
    pub fn posted(&self, seq: u64) -> Option<std::borrow::Cow<'_, Body>> {
        self.posted.get(seq).map(posted::Entry::body)
    }

    /// [`Book::posted`] with the figures the entry was applied with.
    fn posted_entry(&self, seq: u64) -> Option<(Body, Change)> {
        self.posted
            .get(seq)
            .map(|p| (p.change(), p.body().into_owned()))
            .map(|(c, b)| (b, c))
    }

    fn touch(&mut self, kind: &'static str, id: impl Into<String>) {
        self.dirty.insert((kind, id.into()));
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
}

fn id_str(id: &Option<Id>) -> String {
    id.as_ref()
        .map(|i| i.as_str().to_owned())
        .unwrap_or_default()
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
