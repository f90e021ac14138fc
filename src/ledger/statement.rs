//! The statement of sources and uses of a fund for a period: what came in,
//! what went out, what goods moved, what was corrected, from the opening
//! balance to the closing one.
//!
//! It is made by folding the ledger from entry 0 through the same
//! [`Book`] that keeps the live books, so its figures are a replay of the
//! ledger by construction. An entry belongs to the period of the day it
//! was recorded, in Vietnam: entries are only ever appended, so once a
//! period has ended its statement never changes. A correction recorded
//! later (a reversal of an entry from an earlier period) appears in the
//! later period as a prior-period adjustment.
//!
//! Cash spent by a distribution is counted when it is spent: at the
//! distribution if it was approved at once, at its approval otherwise.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use super::book::{Book, DistState, DistributionState};
use super::canonical::to_canonical;
use super::ids::{format_date, today_in_vietnam};
use super::kinds::goods::StockMove;
use super::kinds::{name_of, Body};
use super::money::as_string;
use super::money::SumVnd;
use super::replay::{fold_read, read_entry, ReplayError};

/// A count and a sum of đồng.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub count: u64,
    #[serde(with = "as_string")]
    pub amount_vnd: SumVnd,
}

impl Tally {
    fn add(&mut self, amount: SumVnd) {
        self.count += 1;
        self.amount_vnd += amount;
    }
}

/// Distributions of one support type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    pub count: u64,
    /// Different households reached.
    pub households: u64,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
}

/// One item of stock through the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsLine {
    pub item: String,
    pub unit: String,
    #[serde(with = "as_string")]
    pub opening_quantity: Decimal,
    #[serde(with = "as_string")]
    pub opening_value_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub received_quantity: Decimal,
    #[serde(with = "as_string")]
    pub received_value_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub distributed_quantity: Decimal,
    #[serde(with = "as_string")]
    pub distributed_value_vnd: SumVnd,
    /// Write-offs and count corrections (negative for a loss).
    #[serde(with = "as_string")]
    pub adjusted_quantity: Decimal,
    #[serde(with = "as_string")]
    pub adjusted_value_vnd: SumVnd,
    /// Moved by reversals of earlier entries.
    #[serde(with = "as_string")]
    pub reversed_quantity: Decimal,
    #[serde(with = "as_string")]
    pub reversed_value_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub closing_quantity: Decimal,
    #[serde(with = "as_string")]
    pub closing_value_vnd: SumVnd,
}

/// A reversal recorded in the period of an entry from an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub seq: u64,
    pub reverses_seq: u64,
    pub reverses_kind: String,
    #[serde(with = "as_string")]
    pub cash_effect_vnd: SumVnd,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    pub gifts_cash: Tally,
    /// By channel: cash, bank_transfer, qr_transfer, e_wallet.
    pub gifts_by_channel: BTreeMap<String, Tally>,
    pub gifts_in_kind: Tally,
    /// Cash and goods by campaign; gifts to no campaign under "".
    pub gifts_by_campaign: BTreeMap<String, CampaignGifts>,
    pub transfers_in: Tally,
}

impl Sources {
    /// The gifts of a campaign, or of no campaign (under "").
    fn campaign(&mut self, id: &Option<super::ids::Id>) -> &mut CampaignGifts {
        let key = id
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        self.gifts_by_campaign.entry(key).or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignGifts {
    pub count: u64,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uses {
    pub distributions: Support,
    pub distributions_by_type: BTreeMap<String, Support>,
    pub transfers_out: Tally,
    pub expenses: Tally,
    pub expenses_by_category: BTreeMap<String, Tally>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversals {
    pub count: u64,
    /// What the reversals did to the cash balance.
    #[serde(with = "as_string")]
    pub cash_effect_vnd: SumVnd,
    pub prior_period_adjustments: Vec<Adjustment>,
}

/// The figures at one end of the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(with = "as_string")]
    pub balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub reserved_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub stock_value_vnd: SumVnd,
}

/// Sources and uses of a fund for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub fund: String,
    pub from: String,
    pub to: String,
    /// Entries recorded in the period: the first and last seq, and how many.
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub entries: u64,
    pub opening: Position,
    pub sources: Sources,
    pub uses: Uses,
    pub goods: Vec<GoodsLine>,
    pub reversals: Reversals,
    pub closing: Position,
    /// Opening + sources − uses + reversals = closing, to the đồng.
    pub balanced: bool,
}

impl Statement {
    /// SHA-256 of the statement's canonical JSON: what `period_closed`
    /// records to seal it.
    /// A statement that cannot be written as canonical JSON is an error,
    /// never the hash of something else.
    pub fn sha256(&self) -> Result<String, String> {
        let value = serde_json::to_value(self).map_err(|e| format!("statement: {e}"))?;
        let text = to_canonical(&value).map_err(|e| format!("statement: {e}"))?;
        Ok(hex::encode(Sha256::digest(text.as_bytes())))
    }
}

/// What a fund holds of one item: its unit, quantity and value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub unit: String,
    #[serde(with = "as_string")]
    pub quantity: Decimal,
    #[serde(with = "as_string")]
    pub value_vnd: SumVnd,
}

/// The stock by item.
pub type StockSnap = BTreeMap<String, Held>;

fn stock_of(book: &Book) -> StockSnap {
    book.stock
        .values()
        .map(|l| {
            (
                l.item.clone(),
                Held {
                    unit: l.unit.clone(),
                    quantity: l.quantity,
                    value_vnd: l.value_vnd,
                },
            )
        })
        .collect()
}

/// The figures of the books at one moment: a statement's end.
fn position(book: &Book) -> Position {
    Position {
        balance_vnd: book.balance_vnd,
        reserved_vnd: book.reserved_vnd,
        stock_value_vnd: book.stock.values().map(|l| l.value_vnd).sum(),
    }
}

/// What an entry's effects need to know of the books before it is
/// folded in; see [`Movements::record`].
#[derive(Debug)]
pub struct Before {
    balance_vnd: SumVnd,
    /// For the approval of a pending outflow: the outflow, now in effect.
    settled: Option<Body>,
    /// A pending outflow moves nothing yet.
    waits: bool,
    /// The stock, before a reversal or an adjustment.
    stock: Option<StockSnap>,
    /// The distribution an approval spends.
    approving: Option<DistributionState>,
    /// The kind of the entry a reversal reverses.
    reversed: Option<String>,
}

impl Before {
    /// Reads `book` before `body` (as written) is folded into it.
    pub fn of(book: &Book, body: &Body) -> Self {
        // An outflow takes effect when it is written, or when a second
        // person approves it (SPEC §9); a pending one moves nothing yet.
        let settled = if let Body::OutflowApproved(o) = body {
            book.approved_effect(o.of_seq)
        } else {
            None
        };
        let waits = book.outflow_status(body)
            == Some(Some(crate::ledger::kinds::spending::OutflowStatus::Pending));
        let effect = settled.as_ref().unwrap_or(body);
        let stock =
            matches!(effect, Body::Reversal(_) | Body::StockAdjusted(_)).then(|| stock_of(book));
        let approving = match effect {
            Body::DistributionApproved(b) => book.distributions.get(b.distribution_id.as_str()),
            Body::OutflowApproved(o) => book
                .distribution_at
                .get(&o.of_seq)
                .and_then(|id| book.distributions.get(id)),
            _ => None,
        }
        .cloned();
        let reversed = if let Body::Reversal(r) = effect {
            book.posted(r.reverses_seq)
                .map(|b| b.kind().as_str().to_owned())
        } else {
            None
        };
        Self {
            balance_vnd: book.balance_vnd,
            settled,
            waits,
            stock,
            approving,
            reversed,
        }
    }
}

/// Every figure of a statement but its two ends, for a run of entries (a
/// day, or a whole period): what came in and went out, the goods moved,
/// the corrections. Runs that follow each other add up with
/// [`Movements::merge`]; the writer keeps one per fund and day in the
/// database (see [`DayTotals`]), so a period's statement is read from its
/// days, not folded from the first entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movements {
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub entries: u64,
    pub sources: Sources,
    pub uses: Uses,
    /// What moved of each item (the movement fields of a goods line).
    pub goods: BTreeMap<String, GoodsLine>,
    /// The reversals; `prior_period_adjustments` lists those of entries
    /// before `first_seq`.
    pub reversals: Reversals,
    /// The households distributions reached, by support type, and under
    /// "" for every type.
    pub reached: BTreeMap<String, BTreeSet<String>>,
}

impl Movements {
    fn line(&mut self, item: &str, unit: &str) -> &mut GoodsLine {
        self.goods
            .entry(item.to_owned())
            .or_insert_with(|| GoodsLine {
                item: item.to_owned(),
                unit: unit.to_owned(),
                ..GoodsLine::default()
            })
    }

    fn items<L: StockMove>(
        &mut self,
        items: &[L],
        sign: i8,
        into: fn(&mut GoodsLine) -> (&mut Decimal, &mut SumVnd),
    ) {
        for l in items {
            let line = self.line(l.item(), l.unit());
            let (q, v) = into(line);
            *q += l.quantity() * Decimal::from(sign);
            *v += SumVnd::from(l.value()) * SumVnd::from(sign);
        }
    }

    fn spent(&mut self, d: &DistributionState) {
        let key = name_of(&d.support_type);
        for support in [
            &mut self.uses.distributions,
            self.uses
                .distributions_by_type
                .entry(key.clone())
                .or_default(),
        ] {
            support.count += 1;
            support.cash_vnd += d.cash_vnd;
            support.goods_vnd += d.goods_vnd;
        }
        for k in [String::new(), key] {
            self.reached
                .entry(k)
                .or_default()
                .insert(d.household_id.clone());
        }
        self.items(&d.items, 1, |g| {
            (&mut g.distributed_quantity, &mut g.distributed_value_vnd)
        });
    }

    /// Counts households reached from the sets.
    fn count_households(&mut self) {
        let reached = |k: &str| self.reached.get(k).map_or(0, |s| s.len() as u64);
        self.uses.distributions.households = reached("");
        let by_type: Vec<(String, u64)> = self
            .uses
            .distributions_by_type
            .keys()
            .map(|k| (k.clone(), reached(k)))
            .collect();
        for (k, n) in by_type {
            if let Some(s) = self.uses.distributions_by_type.get_mut(&k) {
                s.households = n;
            }
        }
    }

    /// Counts entry `seq`, `body` as written, now folded into `book`;
    /// `before` was read from the books before it.
    pub fn record(&mut self, seq: u64, body: &Body, before: Before, book: &Book) {
        self.first_seq.get_or_insert(seq);
        self.last_seq = Some(seq);
        self.entries += 1;
        if before.waits {
            return;
        }
        let body = before.settled.as_ref().unwrap_or(body);
        let cash_delta = book.balance_vnd - before.balance_vnd;
        let src = &mut self.sources;
        match body {
            Body::DonationCash(b) => {
                let amount = SumVnd::from(b.amount_vnd.get());
                src.gifts_cash.add(amount);
                src.gifts_by_channel
                    .entry(name_of(&b.channel))
                    .or_default()
                    .add(amount);
                let c = src.campaign(&b.campaign_id);
                c.count += 1;
                c.cash_vnd += amount;
            }
            Body::DonationInKind(b) => {
                let value = SumVnd::from(b.total_value_vnd.get());
                src.gifts_in_kind.add(value);
                let c = src.campaign(&b.campaign_id);
                c.count += 1;
                c.goods_vnd += value;
                self.items(&b.items, 1, |g| {
                    (&mut g.received_quantity, &mut g.received_value_vnd)
                });
            }
            Body::TransferIn(b) => src.transfers_in.add(SumVnd::from(b.amount_vnd.get())),
            Body::TransferOut(b) => self
                .uses
                .transfers_out
                .add(SumVnd::from(b.amount_vnd.get())),
            Body::Expense(b) => {
                let amount = SumVnd::from(b.amount_vnd.get());
                self.uses.expenses.add(amount);
                self.uses
                    .expenses_by_category
                    .entry(name_of(&b.category))
                    .or_default()
                    .add(amount);
            }
            Body::Distribution(b) => {
                let id = b
                    .distribution_id
                    .as_ref()
                    .map(|i| i.as_str())
                    .unwrap_or_default();
                if let Some(d) = book.distributions.get(id) {
                    if d.status == DistState::Approved {
                        let d = d.clone();
                        self.spent(&d);
                    }
                }
            }
            Body::DistributionApproved(_) | Body::OutflowApproved(_) => {
                if let Some(d) = &before.approving {
                    self.spent(d);
                }
            }
            Body::StockAdjusted(b) => {
                let was = before
                    .stock
                    .as_ref()
                    .and_then(|s| s.get(b.item.as_str()))
                    .cloned()
                    .unwrap_or_default();
                let now = book.stock.get(b.item.as_str());
                let (unit, q1, v1) = now
                    .map(|l| (l.unit.clone(), l.quantity, l.value_vnd))
                    .unwrap_or_default();
                let line = self.line(b.item.as_str(), &unit);
                line.adjusted_quantity += q1 - was.quantity;
                line.adjusted_value_vnd += v1 - was.value_vnd;
            }
            Body::Reversal(r) => {
                self.reversals.count += 1;
                self.reversals.cash_effect_vnd += cash_delta;
                let was = before.stock.unwrap_or_default();
                for (item, now) in &stock_of(book) {
                    let old = was.get(item).cloned().unwrap_or_default();
                    if now.quantity != old.quantity || now.value_vnd != old.value_vnd {
                        let line = self.line(item, &now.unit);
                        line.reversed_quantity += now.quantity - old.quantity;
                        line.reversed_value_vnd += now.value_vnd - old.value_vnd;
                    }
                }
                if self.first_seq.is_some_and(|first| r.reverses_seq < first) {
                    self.reversals.prior_period_adjustments.push(Adjustment {
                        seq,
                        reverses_seq: r.reverses_seq,
                        reverses_kind: before.reversed.unwrap_or_default(),
                        cash_effect_vnd: cash_delta,
                        reason: r.reason.as_str().to_owned(),
                    });
                }
            }
            Body::FundOpened(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_)
            | Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
            | Body::HouseholdRegistered(_)
            | Body::HouseholdReclassified(_)
            | Body::HouseholdReviewed(_)
            | Body::SponsorshipRegistered(_)
            | Body::DistributionVoided(_)
            | Body::DistributionAcknowledged(_)
            | Body::OutflowVoided(_)
            | Body::PeriodClosed(_) => {}
        }
    }

    /// Adds the run that follows this one.
    pub fn merge(&mut self, next: Movements) {
        fn tally(into: &mut Tally, t: Tally) {
            into.count += t.count;
            into.amount_vnd += t.amount_vnd;
        }
        fn support(into: &mut Support, s: Support) {
            into.count += s.count;
            into.cash_vnd += s.cash_vnd;
            into.goods_vnd += s.goods_vnd;
        }
        if self.first_seq.is_none() {
            self.first_seq = next.first_seq;
        }
        if next.last_seq.is_some() {
            self.last_seq = next.last_seq;
        }
        self.entries += next.entries;
        let (src, n) = (&mut self.sources, next.sources);
        tally(&mut src.gifts_cash, n.gifts_cash);
        for (k, t) in n.gifts_by_channel {
            tally(src.gifts_by_channel.entry(k).or_default(), t);
        }
        tally(&mut src.gifts_in_kind, n.gifts_in_kind);
        for (k, c) in n.gifts_by_campaign {
            let into = src.gifts_by_campaign.entry(k).or_default();
            into.count += c.count;
            into.cash_vnd += c.cash_vnd;
            into.goods_vnd += c.goods_vnd;
        }
        tally(&mut src.transfers_in, n.transfers_in);
        let (uses, n) = (&mut self.uses, next.uses);
        support(&mut uses.distributions, n.distributions);
        for (k, s) in n.distributions_by_type {
            support(uses.distributions_by_type.entry(k).or_default(), s);
        }
        tally(&mut uses.transfers_out, n.transfers_out);
        tally(&mut uses.expenses, n.expenses);
        for (k, t) in n.expenses_by_category {
            tally(uses.expenses_by_category.entry(k).or_default(), t);
        }
        for (item, g) in next.goods {
            let into = self.line(&item, &g.unit);
            for (a, b) in [
                (&mut into.received_quantity, g.received_quantity),
                (&mut into.distributed_quantity, g.distributed_quantity),
                (&mut into.adjusted_quantity, g.adjusted_quantity),
                (&mut into.reversed_quantity, g.reversed_quantity),
            ] {
                *a += b;
            }
            for (a, b) in [
                (&mut into.received_value_vnd, g.received_value_vnd),
                (&mut into.distributed_value_vnd, g.distributed_value_vnd),
                (&mut into.adjusted_value_vnd, g.adjusted_value_vnd),
                (&mut into.reversed_value_vnd, g.reversed_value_vnd),
            ] {
                *a += b;
            }
        }
        self.reversals.count += next.reversals.count;
        self.reversals.cash_effect_vnd += next.reversals.cash_effect_vnd;
        let first = self.first_seq;
        self.reversals.prior_period_adjustments.extend(
            next.reversals
                .prior_period_adjustments
                .into_iter()
                .filter(|a| first.is_some_and(|f| a.reverses_seq < f)),
        );
        for (k, set) in next.reached {
            self.reached.entry(k).or_default().extend(set);
        }
    }

    /// The statement of `fund` for `from..=to` with these movements, from
    /// the books' figures at its two ends.
    pub fn statement(
        mut self,
        fund: &str,
        (from, to): (Date, Date),
        (opening, opening_stock): (Position, &StockSnap),
        (closing, closing_stock): (Position, &StockSnap),
    ) -> Statement {
        self.count_households();
        for (item, h) in opening_stock {
            let line = self.line(item, &h.unit);
            line.opening_quantity = h.quantity;
            line.opening_value_vnd = h.value_vnd;
        }
        for (item, h) in closing_stock {
            let line = self.line(item, &h.unit);
            line.closing_quantity = h.quantity;
            line.closing_value_vnd = h.value_vnd;
        }
        let goods: Vec<GoodsLine> = self
            .goods
            .into_values()
            .map(|mut g| {
                for q in [
                    &mut g.opening_quantity,
                    &mut g.received_quantity,
                    &mut g.distributed_quantity,
                    &mut g.adjusted_quantity,
                    &mut g.reversed_quantity,
                    &mut g.closing_quantity,
                ] {
                    *q = q.normalize();
                }
                g
            })
            .collect();
        let mut s = Statement {
            fund: fund.to_owned(),
            from: format_date(from),
            to: format_date(to),
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            entries: self.entries,
            opening,
            sources: self.sources,
            uses: self.uses,
            goods,
            reversals: self.reversals,
            closing,
            balanced: true,
        };
        let flows = s.sources.gifts_cash.amount_vnd + s.sources.transfers_in.amount_vnd
            - s.uses.distributions.cash_vnd
            - s.uses.transfers_out.amount_vnd
            - s.uses.expenses.amount_vnd
            + s.reversals.cash_effect_vnd;
        let goods_ok = s.goods.iter().all(|g| {
            g.opening_quantity + g.received_quantity - g.distributed_quantity
                + g.adjusted_quantity
                + g.reversed_quantity
                == g.closing_quantity
        });
        s.balanced = s.opening.balance_vnd + flows == s.closing.balance_vnd && goods_ok;
        s
    }
}

/// One day of a fund (Vietnam time): what moved that day, and the books'
/// figures at its end. The writer stores one row per fund and day, in the
/// transaction of the entries; `verify --deep` and replay rebuild them
/// from the ledger and compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub movements: Movements,
    pub closing: Position,
    pub closing_stock: StockSnap,
}

impl DayTotals {
    /// A day with nothing recorded yet.
    pub fn new(day: Date) -> Self {
        Self {
            day: format_date(day),
            movements: Movements::default(),
            closing: Position::default(),
            closing_stock: StockSnap::new(),
        }
    }

    /// Counts an entry of this day (see [`Movements::record`]) and takes
    /// the books' figures after it.
    pub fn record(&mut self, seq: u64, body: &Body, before: Before, book: &Book) {
        self.movements.record(seq, body, before, book);
        self.closing = position(book);
        // Stock moves with few kinds of entry; most days' gifts are cash.
        if !matches!(body, Body::DonationCash(_)) || self.closing_stock.len() != book.stock.len() {
            self.closing_stock = stock_of(book);
        }
    }
}

/// A period's statement from its days' totals: `before`, the last day
/// with entries before the period (none when the fund had none), and
/// `days`, those of the period in order.
pub fn from_days(
    fund: &str,
    from: Date,
    to: Date,
    before: Option<&DayTotals>,
    days: Vec<DayTotals>,
) -> Statement {
    let empty = StockSnap::new();
    let (opening, opening_stock) = before.map_or((Position::default(), &empty), |d| {
        (d.closing.clone(), &d.closing_stock)
    });
    let Some(last) = days.last() else {
        return Movements::default().statement(
            fund,
            (from, to),
            (opening.clone(), opening_stock),
            (opening, opening_stock),
        );
    };
    let (closing, closing_stock) = (last.closing.clone(), last.closing_stock.clone());
    let mut m = Movements::default();
    for d in days {
        m.merge(d.movements);
    }
    m.statement(
        fund,
        (from, to),
        (opening, opening_stock),
        (closing, &closing_stock),
    )
}

/// Every day's totals of a fund, rebuilt from its entries fed in seq
/// order: what `verify --deep` and replay compare with the stored rows.
#[derive(Debug, Default)]
pub struct DaysBuilder {
    book: Book,
    days: Vec<DayTotals>,
}

impl DaysBuilder {
    /// Folds the next entry.
    pub fn push(&mut self, canonical: &str) -> Result<(), ReplayError> {
        let read = read_entry(canonical)?;
        let day = today_in_vietnam(read.recorded_at);
        let before = Before::of(&self.book, &read.body);
        fold_read(&mut self.book, &read)?;
        let name = format_date(day);
        if self.days.last().is_none_or(|d| d.day != name) {
            self.days.push(DayTotals::new(day));
        }
        if let Some(d) = self.days.last_mut() {
            d.record(read.seq, &read.body, before, &self.book);
        }
        Ok(())
    }

    /// The books folded so far.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The days so far, in order.
    pub fn days(&self) -> &[DayTotals] {
        &self.days
    }

    /// The days, in order.
    pub fn finish(self) -> Vec<DayTotals> {
        self.days
    }
}

/// Builds a statement from a fund's entries, fed in seq order, by folding
/// them: the reference the stored days' totals are checked against.
#[derive(Debug)]
pub struct StatementBuilder {
    fund: String,
    from: Date,
    to: Date,
    book: Book,
    opening: Option<(Position, StockSnap)>,
    m: Movements,
    /// Set once an entry recorded after the period is seen.
    past: bool,
}

impl StatementBuilder {
    pub fn new(fund: &str, from: Date, to: Date) -> Self {
        Self {
            fund: fund.to_owned(),
            from,
            to,
            book: Book::default(),
            opening: None,
            m: Movements::default(),
            past: false,
        }
    }

    /// True once the period is over: later entries need not be read.
    pub fn done(&self) -> bool {
        self.past
    }

    /// Folds the next entry of the fund.
    pub fn push(&mut self, canonical: &str) -> Result<(), ReplayError> {
        let read = read_entry(canonical)?;
        let day = today_in_vietnam(read.recorded_at);
        if day < self.from {
            return fold_read(&mut self.book, &read);
        }
        if day > self.to {
            self.past = true;
            return Ok(());
        }
        if self.opening.is_none() {
            self.opening = Some((position(&self.book), stock_of(&self.book)));
        }
        let before = Before::of(&self.book, &read.body);
        fold_read(&mut self.book, &read)?;
        self.m.record(read.seq, &read.body, before, &self.book);
        Ok(())
    }

    /// Ends the statement.
    pub fn finish(mut self) -> Statement {
        let (opening, opening_stock) = self
            .opening
            .take()
            .unwrap_or_else(|| (position(&self.book), stock_of(&self.book)));
        let closing_stock = stock_of(&self.book);
        self.m.statement(
            &self.fund,
            (self.from, self.to),
            (opening, &opening_stock),
            (position(&self.book), &closing_stock),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::ids::Code;
    use crate::ledger::kinds::{FundKind, FundOpened};
    use crate::ledger::policy::Policy;
    use crate::ledger::state::{apply, Context, Draft, FundState};
    use serde_json::json;
    use time::macros::{date, datetime};
    use time::OffsetDateTime;

    /// A fund's canonical entries, each written at its own time.
    struct Ledger {
        state: FundState,
        policy: Policy,
        entries: Vec<String>,
        /// Each day's totals as the writer would have stored them.
        days: BTreeMap<String, DayTotals>,
    }

    impl Ledger {
        fn open() -> Self {
            let code = Code::parse("PX-VNN", "f").unwrap();
            let mut l = Ledger {
                state: FundState::empty(code.clone()),
                policy: Policy::permissive(20_000_000),
                entries: Vec::new(),
                days: BTreeMap::new(),
            };
            let body = Body::FundOpened(FundOpened {
                committee_code: Code::parse("PX", "c").unwrap(),
                committee_name: "Phú Xuyên".into(),
                fund_code: code,
                fund_kind: FundKind::ForThePoor,
                origin: "sovang.local/fund/PX-VNN".into(),
                verifier_key: "k".into(),
            });
            l.push(
                Draft {
                    body,
                    private: None,
                    bank_line: None,
                },
                datetime!(2026-09-30 01:00 UTC),
            );
            l
        }

        /// Appends `draft`. Households are registered by another person
        /// than the clerk who pays them, who would need a second person.
        fn push(&mut self, draft: Draft, at: OffsetDateTime) -> u64 {
            let actor = match draft.kind() {
                crate::ledger::kinds::EntryKind::HouseholdRegistered => "registrar",
                _ => "clerk",
            };
            let ctx = Context {
                actor,
                now: at,
                policy: &self.policy,
            };
            let a = apply(&mut self.state, draft, &ctx).unwrap();
            self.entries.push(a.canonical);
            // What the writer stores: the day's row, replaced at each commit.
            let day = self.state.day.clone().expect("the day's totals");
            self.days.insert(day.day.clone(), day);
            a.seq
        }

        fn write(&mut self, kind: &str, body: serde_json::Value, at: OffsetDateTime) -> u64 {
            let private = (kind == "household_registered").then(
                || json!({"head_name": "Lê Thị Hạnh", "cccd": "001086000123", "address": "Thôn 2"}),
            );
            let draft = Draft::parse(kind, body, private, at).unwrap();
            self.push(draft, at)
        }

        /// The period's statement folded from the first entry, checked
        /// against the one read from the days' totals kept as the entries
        /// were written, and those against the days rebuilt from the
        /// ledger.
        fn statement(&self, from: Date, to: Date) -> Statement {
            let mut b = StatementBuilder::new("PX-VNN", from, to);
            for e in &self.entries {
                b.push(e).unwrap();
                if b.done() {
                    break;
                }
            }
            let folded = b.finish();
            let (first, last) = (format_date(from), format_date(to));
            let before = self.days.range(..first.clone()).next_back().map(|(_, d)| d);
            let days = self
                .days
                .range(first..=last)
                .map(|(_, d)| d.clone())
                .collect();
            let read = from_days("PX-VNN", from, to, before, days);
            assert_eq!(read, folded, "the days' totals give the folded statement");
            assert_eq!(read.sha256(), folded.sha256());
            let mut rebuilt = DaysBuilder::default();
            for e in &self.entries {
                rebuilt.push(e).unwrap();
            }
            let rebuilt: Vec<DayTotals> = rebuilt.finish();
            assert_eq!(rebuilt, self.days.values().cloned().collect::<Vec<_>>());
            folded
        }
    }

    fn gift(amount: &str, day: &str) -> serde_json::Value {
        json!({"donor": {"display": "Phạm Văn Đức", "kind": "individual"}, "amount_vnd": amount,
               "channel": "cash", "received_on": day})
    }

    #[test]
    fn a_month_opens_where_the_last_closed_and_a_later_reversal_is_a_prior_period_adjustment() {
        let mut l = Ledger::open();
        l.write(
            "donation_cash",
            gift("10000000", "2026-10-05"),
            datetime!(2026-10-05 02:00 UTC),
        );
        let b = l.write(
            "donation_cash",
            gift("3000000", "2026-10-06"),
            datetime!(2026-10-06 02:00 UTC),
        );
        l.write(
            "household_registered",
            json!({"household_id": "h1", "commune_code": "PX", "hamlet": "Thôn 2",
            "category": "poor", "members": 3, "review_year": 2026}),
            datetime!(2026-10-10 02:00 UTC),
        );
        l.write(
            "distribution",
            json!({"household_id": "h1", "support_type": "cash_grant", "cash_vnd": "2000000",
            "decision_ref": "QĐ 1"}),
            datetime!(2026-10-20 02:00 UTC),
        );
        // Recorded at 23:30 on 31 October in Vietnam (16:30 UTC): October's.
        l.write(
            "expense",
            json!({"category": "bank_fee", "amount_vnd": "11000", "decision_ref": "x"}),
            datetime!(2026-10-31 16:30 UTC),
        );
        let october_then = l.statement(date!(2026 - 10 - 01), date!(2026 - 10 - 31));

        l.write(
            "reversal",
            json!({"reverses_seq": b, "reason": "Ghi trùng"}),
            datetime!(2026-11-03 02:00 UTC),
        );
        l.write(
            "donation_cash",
            gift("1000000", "2026-11-04"),
            datetime!(2026-11-04 02:00 UTC),
        );

        let october = l.statement(date!(2026 - 10 - 01), date!(2026 - 10 - 31));
        assert_eq!(
            october, october_then,
            "a period that has ended never changes"
        );
        assert_eq!(october.sha256().unwrap(), october_then.sha256().unwrap());
        assert!(october.balanced);
        assert_eq!(october.opening.balance_vnd, 0);
        assert_eq!(
            october.sources.gifts_cash,
            Tally {
                count: 2,
                amount_vnd: 13_000_000
            }
        );
        assert_eq!(october.uses.distributions.cash_vnd, 2_000_000);
        assert_eq!(
            october.uses.distributions_by_type["cash_grant"].households,
            1
        );
        assert_eq!(october.uses.expenses.amount_vnd, 11_000);
        assert_eq!(october.closing.balance_vnd, 10_989_000);

        let november = l.statement(date!(2026 - 11 - 01), date!(2026 - 11 - 30));
        assert!(november.balanced);
        assert_eq!(november.opening.balance_vnd, october.closing.balance_vnd);
        assert_eq!(november.sources.gifts_cash.amount_vnd, 1_000_000);
        assert_eq!(november.reversals.cash_effect_vnd, -3_000_000);
        let adj = &november.reversals.prior_period_adjustments;
        assert_eq!(adj.len(), 1);
        assert_eq!(
            (adj[0].reverses_seq, adj[0].reverses_kind.as_str()),
            (b, "donation_cash")
        );
        assert_eq!(adj[0].cash_effect_vnd, -3_000_000);
        assert_eq!(november.closing.balance_vnd, 8_989_000);

        let year = l.statement(date!(2026 - 01 - 01), date!(2026 - 12 - 31));
        assert_eq!(year.closing, november.closing);
        assert!(
            year.reversals.prior_period_adjustments.is_empty(),
            "within one period it is a plain reversal"
        );
        assert_eq!(year.closing.balance_vnd, l.state.book.balance_vnd);
    }

    #[test]
    fn a_period_closes_on_the_figures_it_ended_with_even_after_later_entries() {
        let mut l = Ledger::open();
        l.write(
            "donation_cash",
            gift("4000000", "2026-10-05"),
            datetime!(2026-10-05 02:00 UTC),
        );
        l.write(
            "donation_cash",
            gift("1000000", "2026-11-05"),
            datetime!(2026-11-05 02:00 UTC),
        );
        let october = l.statement(date!(2026 - 10 - 01), date!(2026 - 10 - 31));
        assert_eq!(october.closing.balance_vnd, 4_000_000);
        let close = |balance: &str| {
            json!({"period": "2026-10", "closing_balance_vnd": balance, "stock": [],
                   "statement_sha256": october.sha256().unwrap()})
        };
        let at = datetime!(2026-12-02 02:00 UTC);
        let ctx = Context {
            actor: "clerk",
            now: at,
            policy: &l.policy,
        };
        let today_balance = Draft::parse("period_closed", close("5000000"), None, at).unwrap();
        let refused = apply(&mut l.state, today_balance, &ctx).unwrap_err();
        assert!(matches!(
            refused,
            crate::ledger::state::Rejection::Rule {
                rule: "closing_balance_mismatch",
                ..
            }
        ));
        l.write("period_closed", close("4000000"), at);
        assert!(l.state.book.periods.contains_key("2026-10"));
        // The same books, replayed, accept the same closing.
        let mut replayed = Book::default();
        for e in &l.entries {
            crate::ledger::replay::fold(&mut replayed, e).unwrap();
        }
        assert_eq!(replayed.summary(), l.state.book.summary());
    }

    #[test]
    fn goods_move_from_opening_to_closing_stock() {
        let mut l = Ledger::open();
        let rice = |kg: u64| {
            json!([{"item": "GAO", "quantity": kg.to_string(), "unit": "kg",
            "unit_value_vnd": "20000", "value_vnd": (kg * 20_000).to_string()}])
        };
        l.write(
            "donation_in_kind",
            json!({"donor": {"display": "HTX", "kind": "organization"}, "items": rice(100),
            "total_value_vnd": "2000000", "received_on": "2026-10-01"}),
            datetime!(2026-10-01 02:00 UTC),
        );
        l.write(
            "household_registered",
            json!({"household_id": "h1", "commune_code": "PX", "hamlet": "Thôn 2",
            "category": "poor", "members": 3, "review_year": 2026}),
            datetime!(2026-10-01 02:00 UTC),
        );
        l.write(
            "distribution",
            json!({"household_id": "h1", "support_type": "relief", "cash_vnd": "0",
            "items": rice(30), "decision_ref": "QĐ 2"}),
            datetime!(2026-11-02 02:00 UTC),
        );
        l.write(
            "stock_adjusted",
            json!({"item": "GAO", "quantity_delta": "-5", "reason": "spoiled",
            "decision_ref": "BB 1"}),
            datetime!(2026-11-03 02:00 UTC),
        );
        let s = l.statement(date!(2026 - 11 - 01), date!(2026 - 11 - 30));
        assert!(s.balanced);
        let g = &s.goods[0];
        assert_eq!(
            (g.opening_quantity, g.opening_value_vnd),
            (Decimal::from(100), 2_000_000)
        );
        assert_eq!(
            (g.distributed_quantity, g.distributed_value_vnd),
            (Decimal::from(30), 600_000)
        );
        assert_eq!(
            (g.adjusted_quantity, g.adjusted_value_vnd),
            (Decimal::from(-5), -100_000)
        );
        assert_eq!(
            (g.closing_quantity, g.closing_value_vnd),
            (Decimal::from(65), 1_300_000)
        );
        assert_eq!(s.uses.distributions.goods_vnd, 600_000);
    }
}
