//! The state of one fund that writes depend on, and the pure function that
//! turns a parsed request into the next entry.
//!
//! The store loads a [`FundState`] under the fund's lock, calls [`apply`] for
//! each request in order, writes what it returns and saves the new state, all
//! in one transaction. Nothing here does I/O, so every rule is tested
//! without a database.
//!
//! [`apply`] has three steps: `prepare` fills what the server owns (ids,
//! receipt numbers, the household commitment, a distribution's status) and
//! judges policy; [`Book::check`] judges the ledger's rules; the entry is
//! sealed and [`Book::commit`] applies its effects.

use rand::Rng;
use serde_json::Value;
use time::OffsetDateTime;

use super::book::{At, Book, Broken, DistState, Household};
use super::entry::ENTRY_VERSION;
use super::entry::{seal, Envelope, SealError, ZERO_HASH};
use super::fields::FieldErrors;
use super::ids::{format_date, format_timestamp, receipt_no, today_in_vietnam, Code, Id, VIETNAM};
use super::kinds::goods::is_reference;
use super::kinds::programme::PrivateRecord;
use super::kinds::spending::DistributionStatus;
use super::kinds::{name_of, read_input, Body, EntryKind, SupportType, WrittenBy};
use super::merkle::{Frontier, Hash};
use super::money::SumVnd;
use super::policy::Policy;
use super::statement::{Before, DayTotals};
use super::values::Sha256Hex;
use super::values::Vnd;

/// What a write depends on, for one fund.
#[derive(Debug, Clone)]
pub struct FundState {
    pub fund: Code,
    pub frontier: Frontier,
    /// Hash of the last entry: the next entry's `prev`.
    pub last_hash: Hash,
    /// Everything the entries so far imply.
    pub book: Book,
    /// The totals of the day of the last entry (see [`DayTotals`]); none
    /// until an entry is applied here or the writer reads the stored row.
    pub day: Option<DayTotals>,
    /// When the last entry was recorded. A later entry is never recorded
    /// before it, whatever a clock says: a fund's entries are recorded in
    /// seq order, which sealed periods and the totals by day rest on.
    pub last_recorded_at: Option<OffsetDateTime>,
}

impl FundState {
    /// The state of a fund before its first entry.
    pub fn empty(fund: Code) -> Self {
        Self {
            fund,
            frontier: Frontier::new(),
            last_hash: ZERO_HASH,
            book: Book::default(),
            day: None,
            last_recorded_at: None,
        }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Saves the state before an all-or-nothing job. Costs a copy of the
    /// books' objects, not of every entry they have seen.
    pub fn savepoint(&mut self) -> Savepoint {
        Savepoint {
            frontier: self.frontier.clone(),
            last_hash: self.last_hash,
            book: self.book.savepoint(),
            day: self.day.clone(),
            last_recorded_at: self.last_recorded_at,
        }
    }

    /// Goes back to `saved`, forgetting every entry applied since.
    pub fn restore(&mut self, saved: Savepoint) {
        self.frontier = saved.frontier;
        self.last_hash = saved.last_hash;
        self.book.restore(saved.book);
        self.day = saved.day;
        self.last_recorded_at = saved.last_recorded_at;
        debug_assert_eq!(self.size(), self.book.size);
    }
}

/// A fund's state as it was before a job; see [`FundState::savepoint`].
#[derive(Debug)]
pub struct Savepoint {
    frontier: Frontier,
    last_hash: Hash,
    book: Book,
    day: Option<DayTotals>,
    last_recorded_at: Option<OffsetDateTime>,
}

/// A household's private record with the salt of its commitment.
#[derive(Debug, Clone, PartialEq)]
pub struct Private {
    pub record: PrivateRecord,
    /// 16 random bytes, hex: without it the commitment cannot be tested
    /// against guessed records.
    pub salt: String,
}

/// A request to append, parsed and checked on its own, not yet against
/// the fund.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub body: Body,
    /// Only for `household_registered`: kept beside the ledger.
    pub private: Option<Private>,
    /// Only for a gift taken in from a bank: the line it is, kept beside
    /// the ledger in the same transaction (SPEC §10).
    pub bank_line: Option<Box<BankLine>>,
}

/// A bank line that becomes a gift, kept beside the ledger (table
/// `bank_lines`) in the transaction of its entry, so an import stopped
/// anywhere leaves no gift without its line and no line recorded twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLine {
    pub account_no: String,
    /// What makes the line the same line in another statement or a
    /// webhook (see `crate::intake::lines`).
    pub line_key: String,
    pub line_id: String,
    /// `statement`, `sepay` or `casso`.
    pub source: &'static str,
    pub provider_id: Option<String>,
    pub statement_id: Option<String>,
    pub day: time::Date,
    pub bank_ref: Option<String>,
    pub credit: bool,
    pub amount_vnd: u64,
    pub balance_vnd: Option<i64>,
    /// The narrative, the sender's account and name as JSON, in the
    /// clear until the writer seals it for storage.
    pub private: String,
}

impl Draft {
    /// Parses a client's `{kind, body, private?}`. Kinds the server writes
    /// itself (`fund_opened`, `transfer_in`) are refused.
    pub fn parse(
        kind: &str,
        body: Value,
        private: Option<Value>,
        now: OffsetDateTime,
    ) -> Result<Self, Rejection> {
        let Some(kind) = EntryKind::parse(kind) else {
            let known: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(Rejection::field(
                "kind",
                format!("unknown kind {kind:?}; kinds are {}", known.join(", ")),
            ));
        };
        if !body.is_object() {
            return Err(Rejection::field("body", "must be a JSON object"));
        }
        if let WrittenBy::Server(how) = kind.written_by() {
            return Err(Rejection::rule("written_by_server", "kind", how));
        }
        let today = today_in_vietnam(now);
        super::public_text::check(kind, &body)?;
        let mut body = Body::from_client(kind, body, today)?;
        // Only a household's registration carries a private record.
        let private = match private {
            Some(p) if kind == EntryKind::HouseholdRegistered => {
                let record: PrivateRecord = read_input(p, "private")?;
                let mut e = FieldErrors::default();
                record.check(&mut e);
                if !e.is_empty() {
                    return Err(e.into());
                }
                let salt: [u8; 16] = rand::thread_rng().gen();
                let mut record = record;
                // The hamlet is private from version 2 (SPEC §9).
                if let Body::HouseholdRegistered(b) = &mut body {
                    record.hamlet = b.hamlet.take();
                }
                Some(Private {
                    record,
                    salt: hex::encode(salt),
                })
            }
            Some(_) => {
                return Err(Rejection::field(
                    "private",
                    "is taken only with household_registered",
                ))
            }
            None if kind == EntryKind::HouseholdRegistered => {
                return Err(Rejection::field(
                    "private",
                    "is required: the head of household's name, CCCD number and address, kept off the ledger",
                ))
            }
            None => None,
        };
        Ok(Self {
            body,
            private,
            bank_line: None,
        })
    }

    pub fn kind(&self) -> EntryKind {
        self.body.kind()
    }
}

/// Why a request was refused. Every variant but `Internal` is the
/// client's to fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The server failed to build the entry (a body that would not
    /// serialise): answered as a server error, logged, never sealed.
    Internal(String),
    /// Fields that are malformed on their own.
    Invalid(FieldErrors),
    /// A rule of the fund refused it; `rule` is a stable name clients can
    /// match, `field` the input it concerns.
    Rule {
        rule: &'static str,
        field: String,
        message: String,
    },
}

impl Rejection {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::from(super::fields::FieldError::new(
            field, message,
        )))
    }

    pub fn rule(rule: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Rule {
            rule,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<FieldErrors> for Rejection {
    fn from(e: FieldErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<Broken> for Rejection {
    fn from(b: Broken) -> Self {
        Self::Rule {
            rule: b.rule,
            field: b.field,
            message: b.message,
        }
    }
}

impl From<SealError> for Rejection {
    fn from(e: SealError) -> Self {
        Self::rule("entry_too_large", "body", e.to_string())
    }
}

/// Who writes and when, under which policy: the same for every entry of
/// one transaction.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub actor: &'a str,
    pub now: OffsetDateTime,
    pub policy: &'a Policy,
}

/// An entry ready to store, with what the store needs beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub seq: u64,
    pub id: String,
    pub kind: EntryKind,
    pub hash: Hash,
    pub canonical: String,
    pub recorded_at: String,
    /// New Merkle hashes, as (stored index, hash).
    pub stored_hashes: Vec<(u64, Hash)>,
    /// Receipt number, for gifts.
    pub receipt_no: Option<String>,
    /// The private record of a newly registered household, with its id.
    pub private: Option<(String, Private)>,
    /// The bank line a gift taken in from a bank is.
    pub bank_line: Option<Box<BankLine>>,
    /// The body as written, server-filled fields included.
    pub body: Body,
    /// The gift this entry voids in the statement of gifts: (its seq, the
    /// reversal's seq, the reason).
    pub voids: Option<(u64, u64, String)>,
}

/// Appends `draft` to `state`, returning the entry. On error `state` is
/// unchanged.
pub fn apply(
    state: &mut FundState,
    draft: Draft,
    ctx: &Context<'_>,
) -> Result<Appended, Rejection> {
    let Draft {
        mut body,
        private,
        bank_line,
    } = draft;
    let kind = body.kind();
    let seq = state.size();
    // A clock that went back (another process's, or this one's) does not
    // record an entry before the one it follows.
    let now = state
        .last_recorded_at
        .map_or(ctx.now, |last| ctx.now.max(last));
    let ctx = &Context { now, ..*ctx };
    let at = At {
        seq,
        actor: ctx.actor,
        date: today_in_vietnam(ctx.now),
        v: ENTRY_VERSION,
    };
    prepare(state, &mut body, private.as_ref(), ctx)?;
    let change = state.book.check(at, &body)?;
    let voids = voided_gift(&state.book, seq, &body);
    let recorded_at = format_timestamp(ctx.now);
    let id = Id::generate();
    let sealed = seal(
        &Envelope {
            fund: state.fund.as_str(),
            seq,
            id: id.as_str(),
            kind: kind.as_str(),
            prev: state.last_hash,
            recorded_at: &recorded_at,
            actor: ctx.actor,
        },
        body.to_value().map_err(|e| {
            Rejection::Internal(format!("a {} body did not serialise: {e}", kind.as_str()))
        })?,
    )?;
    let stored_hashes = state.frontier.push(sealed.hash);
    state.last_hash = sealed.hash;
    let before = Before::of(&state.book, &body);
    state.book.commit(at, &body, change);
    let day = format_date(at.date);
    let totals = match &mut state.day {
        Some(d) if d.day == day => d,
        other => other.insert(DayTotals::new(at.date)),
    };
    totals.record(seq, &body, before, &state.book);
    state.last_recorded_at = Some(now);
    debug_assert_eq!(state.size(), seq + 1);
    debug_assert_eq!(state.book.size, seq + 1);
    let receipt = body.gift().and_then(|g| g.receipt_no).map(str::to_owned);
    // Only `household_registered` carries a private record (`Draft::parse`).
    let private = private.and_then(|p| {
        let Body::HouseholdRegistered(b) = &body else {
            return None;
        };
        b.household_id.as_ref().map(|h| (h.as_str().to_owned(), p))
    });
    Ok(Appended {
        seq,
        id: id.as_str().to_owned(),
        kind,
        hash: sealed.hash,
        canonical: sealed.canonical,
        recorded_at,
        stored_hashes,
        receipt_no: receipt,
        private,
        bank_line,
        body,
        voids,
    })
}

/// The gift (if any) an entry voids in the statement of gifts: a
/// reversal that takes effect now, or the approval of a pending one.
/// (reversed seq, the reversal's seq, its reason). Read before the entry
/// is committed.
fn voided_gift(book: &Book, seq: u64, body: &Body) -> Option<(u64, u64, String)> {
    match body {
        Body::Reversal(r) if r.status != Some(DistributionStatus::Pending) => {
            Some((r.reverses_seq, seq, r.reason.as_str().to_owned()))
        }
        Body::OutflowApproved(o) => {
            let pending = book.outflows.get(&o.of_seq)?;
            Some((
                pending.reverses_seq?,
                pending.seq,
                pending.reason.clone().unwrap_or_default(),
            ))
        }
        _ => None,
    }
}

/// Fills what the server owns and judges policy. Changes only `body`.
fn prepare(
    state: &FundState,
    body: &mut Body,
    private: Option<&Private>,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    let book = &state.book;
    let fill = |id: &mut Option<Id>| {
        if id.is_none() {
            *id = Some(Id::generate());
        }
    };
    let receipt = || {
        let (year, n) = book.next_receipt(ctx.now.to_offset(VIETNAM).year());
        receipt_no(&state.fund, year, n)
    };
    match body {
        Body::CampaignOpened(b) => {
            // Decree 93/2021: receiving lasts at most the policy's days
            // unless the campaign says why.
            let days = (b.ends_on.0 - b.starts_on.0).whole_days() + 1;
            let most = i64::from(ctx.policy.campaign_max_days);
            if days > most && b.window_reason.is_none() {
                return Err(Rejection::rule(
                    "campaign_window_too_long",
                    "body.ends_on",
                    format!(
                        "the window runs {days} days, from starts_on through ends_on; receiving lasts at most {most} days (Decree 93/2021) unless window_reason says why"
                    ),
                ));
            }
            fill(&mut b.campaign_id);
            if b.reference.is_none() {
                b.reference = Some(new_reference(book));
            }
        }
        Body::Pledge(b) => {
            fill(&mut b.pledge_id);
            if b.reference.is_none() {
                b.reference = Some(new_reference(book));
            }
        }
        Body::DonationCash(b) => b.receipt_no = receipt(),
        Body::DonationInKind(b) => b.receipt_no = Some(receipt()),
        Body::HouseholdRegistered(b) => {
            fill(&mut b.household_id);
            if let Some(p) = private {
                let c = p.record.commitment(&p.salt);
                b.commitment = Sha256Hex::parse(&c).ok();
            }
        }
        Body::Distribution(b) => {
            fill(&mut b.distribution_id);
            value_goods(book, b)?;
            judge_distribution(book, b, ctx)?;
        }
        Body::TransferOut(b) | Body::TransferIn(b) => {
            fill(&mut b.transfer_id);
            if b.counterparty_fund == state.fund {
                return Err(Rejection::rule(
                    "transfer_to_self",
                    "body.counterparty_fund",
                    "a fund cannot transfer to itself",
                ));
            }
        }
        Body::Expense(b) => fill(&mut b.expense_id),
        Body::SponsorshipRegistered(b) => fill(&mut b.sponsorship_id),
        Body::StockAdjusted(b) => fill(&mut b.adjustment_id),
        Body::Reversal(b) => fill(&mut b.reversal_id),
        Body::FundOpened(_)
        | Body::BankAccountOpened(_)
        | Body::BankStatementSealed(_)
        | Body::CampaignClosed(_)
        | Body::PledgeCancelled(_)
        | Body::HouseholdReclassified(_)
        | Body::HouseholdReviewed(_)
        | Body::DistributionApproved(_)
        | Body::DistributionVoided(_)
        | Body::DistributionAcknowledged(_)
        | Body::OutflowApproved(_)
        | Body::OutflowVoided(_)
        | Body::PeriodClosed(_) => {}
    }
    // Every other outflow: pending at or above the threshold, counting
    // what the same person recorded today. A status already set was set
    // by the server (the other side of an approved transfer).
    if let Some(None) = book.outflow_status(body) {
        let value = book.outflow_value(body, ENTRY_VERSION)?.unwrap_or_default();
        let status = four_eyes(book, ctx, value, None);
        match body {
            Body::Expense(b) => b.status = Some(status),
            Body::TransferOut(b) => b.status = Some(status),
            Body::StockAdjusted(b) => b.status = Some(status),
            Body::Reversal(b) => b.status = Some(status),
            _ => {}
        }
    }
    Ok(())
}

/// Values the goods a distribution hands out at the book's value (SPEC
/// §9), filling what the client left out and refusing a value that
/// differs.
fn value_goods(book: &Book, b: &mut super::kinds::spending::Distribution) -> Result<(), Rejection> {
    if b.items.is_empty() {
        return Ok(());
    }
    let values = book.value_out(&b.items, "body.items")?;
    for (i, (line, (unit, value))) in b.items.iter_mut().zip(values).enumerate() {
        let stated = (
            line.unit_value_vnd.map(Vnd::get),
            line.value_vnd.map(Vnd::get),
        );
        let differs = |s: Option<u64>, v: u64| s.is_some_and(|s| s != v);
        if differs(stated.0, unit) || differs(stated.1, value) {
            return Err(Rejection::rule(
                "goods_value",
                &format!("body.items[{i}].value_vnd"),
                format!(
                    "{} {} of {} leave stock at the book's value: {value} đồng ({unit} a unit, the average of what is in stock); leave unit_value_vnd and value_vnd out",
                    line.quantity.0,
                    line.unit.as_str(),
                    line.item
                ),
            ));
        }
        line.unit_value_vnd = Vnd::new(unit);
        line.value_vnd = Vnd::new(value);
    }
    Ok(())
}

/// The status of an outflow worth `value` (SPEC §9): pending when it, or
/// with it what the same person recorded today, or what went to the same
/// household within the window, reaches the threshold, or when the
/// household was registered or reclassified by this same person lately.
fn four_eyes(
    book: &Book,
    ctx: &Context<'_>,
    value: SumVnd,
    household: Option<&Household>,
) -> DistributionStatus {
    let policy = ctx.policy;
    let threshold = SumVnd::from(policy.approval_threshold_vnd);
    let today = today_in_vietnam(ctx.now);
    let mut pending =
        value >= threshold || book.outflows_today(ctx.actor, today) + value >= threshold;
    if let Some(h) = household {
        let since = today - time::Duration::days(i64::from(policy.aggregate_window_days));
        let lately: SumVnd = h
            .distributions
            .iter()
            .filter_map(|id| book.distributions.get(id))
            .filter(|d| {
                matches!(d.status, DistState::Pending | DistState::Approved) && d.day() > since
            })
            .map(|d| d.cash_vnd + d.goods_vnd)
            .sum();
        let fresh_since = today - time::Duration::days(i64::from(policy.fresh_household_days));
        let fresh = h
            .classes
            .iter()
            .any(|c| c.recorded_by() == ctx.actor && c.recorded_on() > fresh_since);
        pending = pending || lately + value >= threshold || fresh;
    }
    if pending {
        DistributionStatus::Pending
    } else {
        DistributionStatus::Approved
    }
}

/// Sets a distribution's status from the threshold and applies the
/// policy: eligibility, limits, years between house supports.
fn judge_distribution(
    book: &Book,
    b: &mut super::kinds::spending::Distribution,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    let policy = ctx.policy;
    let total = b.total_vnd();
    if let Some(h) = book.households.get(b.household_id.as_str()) {
        if !policy.is_eligible(b.support_type, h.category) {
            return Err(Rejection::rule(
                "ineligible_household",
                "body.household_id",
                format!(
                    "household {:?} is classed {} (review {}); policy gives {} only to {}",
                    h.household_id,
                    name_of(&h.category),
                    h.review_year,
                    name_of(&b.support_type),
                    policy
                        .eligible
                        .get(&b.support_type)
                        .map(|c| c.iter().map(name_of).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
            ));
        }
        let house = |t: SupportType| matches!(t, SupportType::HouseNew | SupportType::HouseRepair);
        if house(b.support_type) && policy.house_support_years_min > 0 {
            let year = today_in_vietnam(ctx.now).year();
            let recent = h
                .distributions
                .iter()
                .filter_map(|id| book.distributions.get(id))
                .find(|d| {
                    house(d.support_type)
                        && matches!(d.status, DistState::Pending | DistState::Approved)
                        && year - d.recorded_on[..4].parse::<i32>().unwrap_or(0)
                            < policy.house_support_years_min
                });
            if let Some(d) = recent {
                return Err(Rejection::rule(
                    "house_support_too_recent",
                    "body.household_id",
                    format!(
                        "household {:?} had house support {:?} on {}; policy allows one every {} years",
                        h.household_id, d.distribution_id, d.recorded_on, policy.house_support_years_min
                    ),
                ));
            }
        }
    }
    if let Some(limit) = policy.limits_vnd.get(&b.support_type) {
        if total > u128::from(*limit) {
            return Err(Rejection::rule(
                "policy_limit",
                "body.cash_vnd",
                format!(
                    "a {} distribution may be worth at most {limit} đồng (cash plus goods); this one is worth {total}",
                    name_of(&b.support_type)
                ),
            ));
        }
    }
    let value = SumVnd::try_from(total).unwrap_or(SumVnd::MAX);
    b.status = Some(four_eyes(
        book,
        ctx,
        value,
        book.households.get(b.household_id.as_str()),
    ));
    Ok(())
}

/// A fresh pledge or campaign reference: 8 Crockford characters, letters
/// and digits both, short enough to type into a transfer message, unused
/// in this fund.
fn new_reference(book: &Book) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    loop {
        let r: String = (0..8)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..32)]))
            .collect();
        // A letter and a digit at least, so that a bank narrative's word
        // after "SV" is told apart from a name (SPEC §10).
        let mixed =
            r.bytes().any(|b| b.is_ascii_digit()) && r.bytes().any(|b| b.is_ascii_uppercase());
        if mixed && !book.references.contains_key(&r) && is_reference(&r) {
            return r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::FUND_TOTAL_MAX_VND;
    use crate::ledger::kinds::{FundKind, FundOpened};
    use crate::ledger::merkle::leaf_hash;
    use crate::ledger::replay::{compare, fold};
    use serde_json::json;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-22 03:00 UTC)
    }

    /// A fund with a policy, written to as `actor`.
    struct Fund {
        state: FundState,
        policy: Policy,
        canonicals: Vec<String>,
    }

    impl Fund {
        fn open() -> Self {
            let code = Code::parse("HN-VNN", "f").unwrap();
            let mut f = Fund {
                state: FundState::empty(code.clone()),
                policy: Policy::permissive(20_000_000),
                canonicals: Vec::new(),
            };
            let body = Body::FundOpened(FundOpened {
                committee_code: Code::parse("HN", "c").unwrap(),
                committee_name: "Ủy ban MTTQ Hà Nội".into(),
                fund_code: code,
                fund_kind: FundKind::ForThePoor,
                origin: "sovang.local/fund/HN-VNN".into(),
                verifier_key: "sovang.local/fund/HN-VNN+00000000+AQ==".into(),
            });
            f.write_draft(
                Draft {
                    body,
                    private: None,
                    bank_line: None,
                },
                "admin",
                now(),
            )
            .unwrap();
            f
        }

        fn write_draft(
            &mut self,
            draft: Draft,
            actor: &str,
            at: OffsetDateTime,
        ) -> Result<Appended, Rejection> {
            let ctx = Context {
                actor,
                now: at,
                policy: &self.policy,
            };
            let a = apply(&mut self.state, draft, &ctx)?;
            self.canonicals.push(a.canonical.clone());
            Ok(a)
        }

        fn write(&mut self, kind: &str, body: Value) -> Result<Appended, Rejection> {
            self.write_as("clerk", kind, body)
        }

        fn write_as(
            &mut self,
            actor: &str,
            kind: &str,
            body: Value,
        ) -> Result<Appended, Rejection> {
            let private = (kind == "household_registered").then(|| {
                json!({"head_name": "Nguyễn Văn Bình", "cccd": "001086012345", "address": "Thôn 3"})
            });
            let draft = Draft::parse(kind, body, private, now())?;
            self.write_draft(draft, actor, now())
        }

        fn rule(&mut self, kind: &str, body: Value) -> &'static str {
            let before = self.state.book.summary();
            match self.write(kind, body) {
                Err(Rejection::Rule { rule, .. }) => {
                    assert_eq!(
                        self.state.book.summary(),
                        before,
                        "a refusal changes nothing"
                    );
                    rule
                }
                other => panic!("expected a rule to refuse it, got {other:?}"),
            }
        }
    }

    fn gift(amount: &str) -> Value {
        json!({
            "donor": {"display": "Công ty ABC", "kind": "organization"},
            "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-21"
        })
    }

    /// Registers a household as `registrar`, another person than the
    /// clerk who pays it (whose own households wait for a second person).
    fn household(f: &mut Fund, id: &str, category: &str) {
        f.write_as(
            "registrar",
            "household_registered",
            json!({"household_id": id, "commune_code": "HN-PX", "hamlet": "Thôn 3",
                   "category": category, "members": 4, "review_year": 2026}),
        )
        .unwrap();
    }

    fn distribution(household: &str, support: &str, cash: &str) -> Value {
        json!({"household_id": household, "support_type": support, "cash_vnd": cash,
               "decision_ref": "12/QĐ-MTTQ"})
    }

    #[test]
    fn a_restored_savepoint_forgets_everything_since_and_reverses_as_before() {
        let mut f = Fund::open();
        household(&mut f, "ho-1", "poor");
        f.write("donation_cash", gift("3000000")).unwrap();
        let before = (
            f.state.book.summary(),
            f.state.book.objects(),
            f.state.size(),
        );
        let root = f.state.frontier.root();
        let saved = f.state.savepoint();
        f.write("donation_cash", gift("500000")).unwrap();
        f.write("distribution", distribution("ho-1", "tet_gift", "1000000"))
            .unwrap();
        f.write("reversal", json!({"reverses_seq": 2, "reason": "x"}))
            .unwrap_err();
        f.state.restore(saved);
        assert_eq!(
            (
                f.state.book.summary(),
                f.state.book.objects(),
                f.state.size()
            ),
            before
        );
        assert_eq!(f.state.frontier.root(), root);
        // What the books remember of entry 2 survives, and of the
        // forgotten entries nothing: seq 3 is written afresh.
        f.canonicals.truncate(3);
        f.write("reversal", json!({"reverses_seq": 2, "reason": "Ghi nhầm"}))
            .unwrap();
        assert_eq!(f.state.book.balance_vnd, 0);
        assert_eq!(f.state.size(), 4);
    }

    /// A clock that goes back records the next entry at the time of the
    /// one it follows, in the same day's totals: entries stay in order.
    #[test]
    fn an_entry_is_never_recorded_before_the_one_it_follows() {
        let mut f = Fund::open();
        let late = time::macros::datetime!(2026-11-22 17:00:00.5 UTC);
        let a = f
            .write_at("clerk", "donation_cash", gift("1000"), late)
            .unwrap();
        let early = time::macros::datetime!(2026-11-22 16:59:59.9 UTC);
        let b = f
            .write_at("clerk", "donation_cash", gift("2000"), early)
            .unwrap();
        assert_eq!(a.recorded_at, "2026-11-22T17:00:00.500000Z");
        assert_eq!(b.recorded_at, a.recorded_at);
        let day = f.state.day.clone().unwrap();
        assert_eq!(day.day, "2026-11-23", "Vietnam's day of both");
        assert_eq!(day.movements.entries, 2);
        f.replays();
    }

    #[test]
    fn gifts_chain_to_the_previous_entry_and_number_receipts_in_order() {
        let mut f = Fund::open();
        let first_hash = f.state.last_hash;
        let a = f.write("donation_cash", gift("100000")).unwrap();
        let b = f.write("donation_cash", gift("250000")).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert!(a
            .canonical
            .contains(&format!("\"prev\":\"{}\"", hex::encode(first_hash.0))));
        assert!(b
            .canonical
            .contains(&format!("\"prev\":\"{}\"", hex::encode(a.hash.0))));
        assert_eq!(a.receipt_no.as_deref(), Some("HN-VNN-2026-000001"));
        assert_eq!(b.receipt_no.as_deref(), Some("HN-VNN-2026-000002"));
        assert_eq!(f.state.book.balance_vnd, 350_000);
        assert_eq!(b.hash, leaf_hash(b.canonical.as_bytes()));
    }

    #[test]
    fn receipt_numbers_restart_in_a_new_year_and_never_go_back() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("1")).unwrap();
        // 31 Dec 2026 17:30 UTC is already 1 Jan 2027 in Vietnam.
        let new_year = time::macros::datetime!(2026-12-31 17:30 UTC);
        let d = Draft::parse("donation_cash", gift("1"), None, now()).unwrap();
        let r = f.write_draft(d, "c", new_year).unwrap();
        assert_eq!(r.receipt_no.as_deref(), Some("HN-VNN-2027-000001"));
        // A clock that lags behind keeps counting in the year reached.
        let r = f.write("donation_cash", gift("1")).unwrap();
        assert_eq!(r.receipt_no.as_deref(), Some("HN-VNN-2027-000002"));
    }

    #[test]
    fn unknown_and_server_only_kinds_are_refused() {
        assert!(matches!(
            Draft::parse("donation", json!({}), None, now()),
            Err(Rejection::Invalid(_))
        ));
        for kind in ["fund_opened", "transfer_in"] {
            assert!(matches!(
                Draft::parse(kind, json!({}), None, now()),
                Err(Rejection::Rule {
                    rule: "written_by_server",
                    ..
                })
            ));
        }
        assert!(matches!(
            Draft::parse("donation_cash", json!([1]), None, now()),
            Err(Rejection::Invalid(_))
        ));
    }

    #[test]
    fn a_gift_before_the_fund_is_opened_is_refused() {
        let mut s = FundState::empty(Code::parse("X", "f").unwrap());
        let d = Draft::parse("donation_cash", gift("1"), None, now()).unwrap();
        let policy = Policy::permissive(1);
        let ctx = Context {
            actor: "c",
            now: now(),
            policy: &policy,
        };
        assert!(apply(&mut s, d, &ctx).is_err());
        assert_eq!(s.size(), 0);
    }

    #[test]
    fn a_gift_outside_its_campaign_window_or_after_closing_is_refused() {
        let mut f = Fund::open();
        f.write(
            "campaign_opened",
            json!({"campaign_id": "vnn-2026", "name": "Tháng cao điểm 2026", "kind": "peak_month",
                   "starts_on": "2026-10-17", "ends_on": "2026-11-18"}),
        )
        .unwrap();
        let mut g = gift("500000");
        g["campaign_id"] = json!("vnn-2026");
        g["received_on"] = json!("2026-11-19");
        assert_eq!(
            f.rule("donation_cash", g.clone()),
            "outside_campaign_window"
        );
        g["received_on"] = json!("2026-11-18");
        f.write("donation_cash", g.clone()).unwrap();
        f.write("campaign_closed", json!({"campaign_id": "vnn-2026"}))
            .unwrap();
        assert_eq!(f.rule("donation_cash", g), "campaign_closed");
        assert_eq!(
            f.state.book.campaigns["vnn-2026"].cash_received_vnd,
            500_000
        );
    }

    #[test]
    fn pending_distributions_reserve_cash_and_only_another_person_approves() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("70000000")).unwrap();
        household(&mut f, "hh-1", "poor");
        household(&mut f, "hh-2", "poor");
        let d = f
            .write(
                "distribution",
                distribution("hh-1", "house_new", "50000000"),
            )
            .unwrap();
        let Body::Distribution(b) = &d.body else {
            panic!()
        };
        assert_eq!(b.status, Some(DistributionStatus::Pending));
        let id = b.distribution_id.clone().unwrap();
        assert_eq!(f.state.book.reserved_vnd, 50_000_000);
        assert_eq!(f.state.book.balance_vnd, 70_000_000);
        // 20,000,000 are available; 25,000,000 would overdraw.
        assert_eq!(
            f.rule(
                "distribution",
                distribution("hh-2", "cash_grant", "25000000")
            ),
            "insufficient_funds"
        );
        let approve = json!({"distribution_id": id.as_str()});
        assert_eq!(
            f.rule("distribution_approved", approve.clone()),
            "self_approval"
        );
        f.write_as("approver", "distribution_approved", approve.clone())
            .unwrap();
        assert_eq!(f.state.book.reserved_vnd, 0);
        assert_eq!(f.state.book.balance_vnd, 20_000_000);
        assert_eq!(f.rule("distribution_approved", approve), "not_pending");
    }

    #[test]
    fn earmarked_cash_pays_only_for_its_purpose() {
        let mut f = Fund::open();
        let mut g = gift("30000000");
        g["earmark"] = json!("house_new");
        f.write("donation_cash", g).unwrap();
        f.write("donation_cash", gift("1000000")).unwrap();
        household(&mut f, "hh-1", "poor");
        assert_eq!(
            f.rule(
                "distribution",
                distribution("hh-1", "cash_grant", "5000000")
            ),
            "earmark"
        );
        f.write(
            "distribution",
            distribution("hh-1", "cash_grant", "1000000"),
        )
        .unwrap();
        f.write(
            "distribution",
            distribution("hh-1", "house_new", "15000000"),
        )
        .unwrap();
        assert_eq!(
            f.state.book.earmarks[&SupportType::HouseNew].free_vnd(),
            15_000_000
        );
        assert_eq!(f.state.book.general_vnd(), 0);
    }

    #[test]
    fn policy_limits_and_eligibility_are_judged_when_written() {
        let mut f = Fund::open();
        f.policy = Policy::from_settings(
            20_000_000,
            &[("tet_gift".to_owned(), 2_000_000)].into_iter().collect(),
            &[("livelihood".to_owned(), vec!["poor".to_owned()])]
                .into_iter()
                .collect(),
            5,
        )
        .unwrap();
        f.write("donation_cash", gift("100000000")).unwrap();
        household(&mut f, "hh-1", "hardship");
        assert_eq!(
            f.rule("distribution", distribution("hh-1", "tet_gift", "2000001")),
            "policy_limit"
        );
        assert_eq!(
            f.rule(
                "distribution",
                distribution("hh-1", "livelihood", "1000000")
            ),
            "ineligible_household"
        );
        f.write(
            "distribution",
            distribution("hh-1", "house_repair", "10000000"),
        )
        .unwrap();
        assert_eq!(
            f.rule(
                "distribution",
                distribution("hh-1", "house_new", "10000000")
            ),
            "house_support_too_recent"
        );
        assert_eq!(
            f.rule("distribution", distribution("hh-9", "tet_gift", "1000")),
            "unknown_household"
        );
    }

    #[test]
    fn a_campaign_receives_for_at_most_the_policy_s_days_unless_it_says_why() {
        let mut f = Fund::open();
        f.policy.campaign_max_days = 90;
        let campaign = |id: &str, to: &str| {
            json!({"campaign_id": id, "name": "Cứu trợ bão số 3", "kind": "disaster_relief",
                   "starts_on": "2026-10-01", "ends_on": to})
        };
        // 1 October through 29 December is 90 days, counting both.
        f.write("campaign_opened", campaign("c90", "2026-12-29"))
            .unwrap();
        assert_eq!(
            f.rule("campaign_opened", campaign("c91", "2026-12-30")),
            "campaign_window_too_long"
        );
        let mut why = campaign("c182", "2027-03-31");
        why["window_reason"] = json!("Khắc phục hậu quả bão kéo dài qua Tết");
        let a = f.write("campaign_opened", why).unwrap();
        assert!(
            a.canonical.contains("\"window_reason\":\"Khắc phục"),
            "{}",
            a.canonical
        );
        // A policy of 30 days refuses what 90 allowed.
        f.policy.campaign_max_days = 30;
        assert_eq!(
            f.rule("campaign_opened", campaign("c31", "2026-10-31")),
            "campaign_window_too_long"
        );
        f.write("campaign_opened", campaign("c30", "2026-10-30"))
            .unwrap();
        // The reason is public text: no personal data in it.
        let mut private = campaign("c-cccd", "2027-03-31");
        private["window_reason"] = json!("Gia đình ông A, CCCD 001086012345");
        assert!(f.write("campaign_opened", private).is_err());
    }

    /// 100 kg of rice given at `unit_value` đồng a kilogram.
    fn rice_in(f: &mut Fund, unit_value: u64) -> Appended {
        let value = unit_value * 100;
        f.write(
            "donation_in_kind",
            json!({"donor": {"display": "HTX Nông nghiệp", "kind": "organization"},
                   "items": [{"item": "GAO", "quantity": "100", "unit": "kg",
                              "unit_value_vnd": unit_value, "value_vnd": value}],
                   "total_value_vnd": value.to_string(), "received_on": "2026-11-20"}),
        )
        .unwrap()
    }

    #[test]
    fn goods_come_in_as_gifts_and_never_go_below_zero() {
        let mut f = Fund::open();
        rice_in(&mut f, 20_000);
        household(&mut f, "hh-1", "poor");
        let mut d = distribution("hh-1", "tet_gift", "0");
        d["items"] = json!([{"item": "GAO", "quantity": "101", "unit": "kg",
                             "unit_value_vnd": 20000, "value_vnd": 2020000}]);
        assert_eq!(f.rule("distribution", d.clone()), "stock_insufficient");
        d["items"][0]["quantity"] = json!("10");
        d["items"][0]["value_vnd"] = json!(200000);
        f.write("distribution", d).unwrap();
        let adj = json!({"item": "GAO", "quantity_delta": "-91", "reason": "spoiled",
                         "decision_ref": "BB-01"});
        assert_eq!(f.rule("stock_adjusted", adj.clone()), "stock_insufficient");
        let mut adj = adj;
        adj["quantity_delta"] = json!("-90");
        f.write("stock_adjusted", adj).unwrap();
        let line = &f.state.book.stock["GAO"];
        assert!(line.quantity.is_zero());
        assert_eq!(line.value_vnd, 0);
    }

    #[test]
    fn a_reversal_undoes_exactly_once_and_never_overdraws() {
        let mut f = Fund::open();
        let g = f.write("donation_cash", gift("5000000")).unwrap();
        f.write("donation_cash", gift("1000000")).unwrap();
        household(&mut f, "hh-1", "poor");
        f.write(
            "distribution",
            distribution("hh-1", "cash_grant", "2000000"),
        )
        .unwrap();
        let reverse = |seq: u64| json!({"reverses_seq": seq, "reason": "nhập nhầm số tiền"});
        assert_eq!(f.rule("reversal", reverse(g.seq)), "reversal_overdraws");
        let small = f.write("donation_cash", gift("300000")).unwrap();
        f.write("reversal", reverse(small.seq)).unwrap();
        assert_eq!(f.rule("reversal", reverse(small.seq)), "already_reversed");
        assert_eq!(f.state.book.balance_vnd, 4_000_000);
        assert!(f.state.book.reversals.contains_key(&small.seq));
        assert_eq!(f.rule("reversal", reverse(0)), "not_reversible");
    }

    #[test]
    fn a_replay_of_the_ledger_rebuilds_the_same_books() {
        let mut f = Fund::open();
        f.write(
            "campaign_opened",
            json!({"campaign_id": "bao-yagi", "name": "Ủng hộ đồng bào bị bão", "kind": "disaster_relief",
                   "starts_on": "2026-09-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm", "target_vnd": "1000000000"}),
        )
        .unwrap();
        let p = f
            .write(
                "pledge",
                json!({"donor": {"display": "Công ty Hòa Bình", "kind": "organization"},
                       "amount_vnd": "3000000", "campaign_id": "bao-yagi", "due_on": "2026-11-30"}),
            )
            .unwrap();
        let Body::Pledge(pb) = &p.body else { panic!() };
        let mut g = gift("3000000");
        g["campaign_id"] = json!("bao-yagi");
        g["pledge_id"] = json!(pb.pledge_id.as_ref().unwrap().as_str());
        f.write("donation_cash", g).unwrap();
        household(&mut f, "hh-1", "near_poor");
        f.write_as(
            "registrar",
            "household_reclassified",
            json!({"household_id": "hh-1", "category": "newly_escaped", "review_year": 2026,
                   "decision_ref": "QĐ 45/UBND"}),
        )
        .unwrap();
        let d = f
            .write("distribution", distribution("hh-1", "relief", "500000"))
            .unwrap();
        let Body::Distribution(db) = &d.body else {
            panic!()
        };
        f.write(
            "distribution_acknowledged",
            json!({"distribution_id": db.distribution_id.as_ref().unwrap().as_str(),
                   "method": "thumbprint", "acknowledged_on": "2026-11-22"}),
        )
        .unwrap();
        assert_eq!(
            f.state.book.pledges[pb.pledge_id.as_ref().unwrap().as_str()].status,
            crate::ledger::book::PledgeStatus::Fulfilled
        );

        let mut replayed = Book::default();
        for c in &f.canonicals {
            fold(&mut replayed, c).unwrap();
        }
        let live: Vec<(String, String, Value)> = f
            .state
            .book
            .objects()
            .into_iter()
            .map(|(k, id, v)| (k.to_owned(), id, v))
            .collect();
        assert_eq!(compare(&replayed, &live, &f.state.book.summary()), vec![]);
        // A live figure that differs from the ledger is named.
        let mut tampered = live.clone();
        tampered[0].2["name"] = json!("Khác");
        let diffs = compare(&replayed, &tampered, &f.state.book.summary());
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].field, "name");
    }

    /// The status the server gave an outflow.
    fn status_of(a: &Appended) -> Option<DistributionStatus> {
        match &a.body {
            Body::Distribution(b) => b.status,
            Body::Expense(b) => b.status,
            Body::TransferOut(b) => b.status,
            Body::StockAdjusted(b) => b.status,
            Body::Reversal(b) => b.status,
            _ => None,
        }
    }

    const PENDING: Option<DistributionStatus> = Some(DistributionStatus::Pending);
    const APPROVED: Option<DistributionStatus> = Some(DistributionStatus::Approved);

    fn expense(amount: &str) -> Value {
        json!({"category": "event", "amount_vnd": amount, "decision_ref": "QĐ 7/MTTQ"})
    }

    impl Fund {
        fn write_at(
            &mut self,
            actor: &str,
            kind: &str,
            body: Value,
            at: OffsetDateTime,
        ) -> Result<Appended, Rejection> {
            let draft = Draft::parse(kind, body, None, at)?;
            self.write_draft(draft, actor, at)
        }

        /// The books rebuilt from the ledger match the live ones.
        fn replays(&self) {
            let mut replayed = Book::default();
            for c in &self.canonicals {
                fold(&mut replayed, c).unwrap();
            }
            let live: Vec<(String, String, Value)> = self
                .state
                .book
                .objects()
                .into_iter()
                .map(|(k, id, v)| (k.to_owned(), id, v))
                .collect();
            assert_eq!(
                compare(&replayed, &live, &self.state.book.summary()),
                vec![]
            );
        }
    }

    #[test]
    fn an_expense_at_the_threshold_waits_holds_its_cash_and_needs_another_person() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("50000000")).unwrap();
        let e = f.write("expense", expense("45000000")).unwrap();
        assert_eq!(status_of(&e), PENDING);
        let Body::Expense(eb) = &e.body else { panic!() };
        assert_eq!(
            Some(f.state.book.outflows[&e.seq].outflow_id.as_str()),
            eb.expense_id.as_ref().map(|i| i.as_str()),
            "filed under the id the server gave it"
        );
        assert_eq!(f.state.book.balance_vnd, 50_000_000);
        assert_eq!(f.state.book.reserved_vnd, 45_000_000);
        assert_eq!(f.state.book.totals.expenses_vnd, 0);
        // What it holds cannot be spent twice.
        assert_eq!(f.rule("expense", expense("6000000")), "insufficient_funds");
        let approve = json!({"of_seq": e.seq});
        assert_eq!(f.rule("outflow_approved", approve.clone()), "self_approval");
        f.write_as("approver", "outflow_approved", approve.clone())
            .unwrap();
        assert_eq!(f.state.book.balance_vnd, 5_000_000);
        assert_eq!(f.state.book.reserved_vnd, 0);
        assert_eq!(f.state.book.totals.expenses_vnd, 45_000_000);
        assert_eq!(f.state.book.outflows[&e.seq].status, DistState::Approved);
        assert_eq!(
            f.state.book.outflows[&e.seq].approved_by.as_deref(),
            Some("approver")
        );
        assert_eq!(f.rule("outflow_approved", approve), "not_pending");
        assert_eq!(
            f.rule("outflow_approved", json!({"of_seq": 1})),
            "unknown_outflow"
        );
        f.replays();
    }

    #[test]
    fn a_voided_outflow_releases_what_it_held_and_is_not_reversed() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("50000000")).unwrap();
        let e = f.write("expense", expense("30000000")).unwrap();
        let reverse = json!({"reverses_seq": e.seq, "reason": "nhầm"});
        assert_eq!(f.rule("reversal", reverse), "void_pending");
        let void = json!({"of_seq": e.seq, "reason": "Không có quyết định chi"});
        f.write_as("approver", "outflow_voided", void.clone())
            .unwrap();
        assert_eq!(f.state.book.reserved_vnd, 0);
        assert_eq!(f.state.book.balance_vnd, 50_000_000);
        assert_eq!(f.state.book.outflows[&e.seq].status, DistState::Voided);
        assert_eq!(
            f.rule("outflow_approved", json!({"of_seq": e.seq})),
            "not_pending"
        );
        f.replays();
    }

    #[test]
    fn thresholds_add_up_per_person_per_day_in_vietnam() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("90000000")).unwrap();
        let day = now();
        let a = f
            .write_at("clerk", "expense", expense("15000000"), day)
            .unwrap();
        assert_eq!(status_of(&a), APPROVED);
        let b = f
            .write_at("clerk", "expense", expense("5000000"), day)
            .unwrap();
        assert_eq!(status_of(&b), PENDING, "15 + 5 million reach the threshold");
        let other = f
            .write_at("clerk-2", "expense", expense("5000000"), day)
            .unwrap();
        assert_eq!(
            status_of(&other),
            APPROVED,
            "another person's day is their own"
        );
        // 16:59 UTC is still the same day in Vietnam; 17:00 is the next.
        let late = time::macros::datetime!(2026-11-22 16:59 UTC);
        let c = f
            .write_at("clerk", "expense", expense("100000"), late)
            .unwrap();
        assert_eq!(status_of(&c), PENDING);
        let next = time::macros::datetime!(2026-11-22 17:00 UTC);
        let d = f
            .write_at("clerk", "expense", expense("5000000"), next)
            .unwrap();
        assert_eq!(status_of(&d), APPROVED);
        f.replays();
    }

    /// What a person gave out to households counts towards their day as
    /// much as what they spent; reversing what was no money is no outflow.
    #[test]
    fn distributions_count_towards_a_person_s_day_and_other_reversals_carry_no_status() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("90000000")).unwrap();
        household(&mut f, "hh-1", "poor");
        let d = f
            .write_as(
                "clerk",
                "distribution",
                distribution("hh-1", "cash_grant", "15000000"),
            )
            .unwrap();
        assert_eq!(status_of(&d), APPROVED);
        let e = f.write_as("clerk", "expense", expense("5000000")).unwrap();
        assert_eq!(
            status_of(&e),
            PENDING,
            "15 million given and 5 spent in one day"
        );
        let h = f
            .write_as(
                "registrar",
                "household_registered",
                json!({"household_id": "hh-2", "commune_code": "HN-PX", "hamlet": "Thôn 3",
                       "category": "poor", "members": 4, "review_year": 2026}),
            )
            .unwrap();
        let r = f
            .write_as(
                "clerk-2",
                "reversal",
                json!({"reverses_seq": h.seq, "reason": "Ghi trùng"}),
            )
            .unwrap();
        assert_eq!(status_of(&r), None, "a household's reversal moves no money");
        assert!(!f.state.book.outflows.contains_key(&r.seq));
        f.replays();
    }

    #[test]
    fn outflows_to_one_household_add_up_over_the_window() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("90000000")).unwrap();
        household(&mut f, "hh-1", "poor");
        let medical = || distribution("hh-1", "medical", "19999999");
        // Three clerks, so no one person's day reaches the threshold.
        let a = f.write_as("clerk-1", "distribution", medical()).unwrap();
        assert_eq!(status_of(&a), APPROVED);
        let b = f.write_as("clerk-2", "distribution", medical()).unwrap();
        assert_eq!(status_of(&b), PENDING);
        let c = f.write_as("clerk-3", "distribution", medical()).unwrap();
        assert_eq!(status_of(&c), PENDING);
        let small = || distribution("hh-1", "medical", "1000");
        let within = now() + time::Duration::days(29);
        let d = f
            .write_at("clerk-4", "distribution", small(), within)
            .unwrap();
        assert_eq!(status_of(&d), PENDING, "29 days on, the three still count");
        let past = now() + time::Duration::days(31);
        let e = f
            .write_at("clerk-4", "distribution", small(), past)
            .unwrap();
        assert_eq!(
            status_of(&e),
            APPROVED,
            "31 days on, they have left the window"
        );
        f.replays();
    }

    #[test]
    fn a_person_does_not_pay_alone_a_household_they_registered_or_reclassified() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("10000000")).unwrap();
        f.write_as(
            "clerk",
            "household_registered",
            json!({"household_id": "hh-9", "commune_code": "HN-PX", "hamlet": "Thôn 3",
                   "category": "poor", "members": 4, "review_year": 2026}),
        )
        .unwrap();
        let small = || distribution("hh-9", "tet_gift", "100000");
        assert_eq!(
            status_of(&f.write_as("clerk", "distribution", small()).unwrap()),
            PENDING
        );
        assert_eq!(
            status_of(&f.write_as("clerk-2", "distribution", small()).unwrap()),
            APPROVED
        );
        household(&mut f, "hh-8", "poor");
        f.write_as(
            "clerk",
            "household_reclassified",
            json!({"household_id": "hh-8", "category": "near_poor", "review_year": 2026,
                   "decision_ref": "QĐ 45/UBND"}),
        )
        .unwrap();
        let to8 = distribution("hh-8", "tet_gift", "100000");
        assert_eq!(
            status_of(&f.write_as("clerk", "distribution", to8.clone()).unwrap()),
            PENDING
        );
        let later = now() + time::Duration::days(31);
        let d = f.write_at("clerk", "distribution", small(), later).unwrap();
        assert_eq!(status_of(&d), APPROVED, "30 days on, the rule has passed");
        f.replays();
    }

    fn packs_in(f: &mut Fund, quantity: &str, unit: u64) {
        let q: u64 = quantity.parse().unwrap();
        f.write(
            "donation_in_kind",
            json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
                   "items": [{"item": "QUA-TET", "quantity": quantity, "unit": "gói",
                              "unit_value_vnd": unit, "value_vnd": unit * q}],
                   "total_value_vnd": (unit * q).to_string(), "received_on": "2026-11-20"}),
        )
        .unwrap();
    }

    fn packs_out(household: &str, quantity: &str, values: Option<(u64, u64)>) -> Value {
        let mut line = json!({"item": "QUA-TET", "quantity": quantity, "unit": "gói"});
        if let Some((unit, value)) = values {
            line["unit_value_vnd"] = json!(unit);
            line["value_vnd"] = json!(value);
        }
        json!({"household_id": household, "support_type": "tet_gift", "cash_vnd": "0",
               "items": [line], "decision_ref": "QĐ 3/MTTQ"})
    }

    #[test]
    fn goods_leave_stock_at_the_book_s_value_and_a_typed_value_is_refused() {
        let mut f = Fund::open();
        f.policy.limits_vnd.clear();
        packs_in(&mut f, "40", 500_000);
        household(&mut f, "hh-1", "poor");
        // 40 packs at 1 đồng each, though the books hold them at 20,000,000.
        assert_eq!(
            f.rule("distribution", packs_out("hh-1", "40", Some((1, 40)))),
            "goods_value"
        );
        let d = f
            .write("distribution", packs_out("hh-1", "40", None))
            .unwrap();
        let Body::Distribution(b) = &d.body else {
            panic!()
        };
        assert_eq!(b.items[0].value_vnd.map(|v| v.get()), Some(20_000_000));
        assert_eq!(b.items[0].unit_value_vnd.map(|v| v.get()), Some(500_000));
        assert_eq!(status_of(&d), PENDING, "judged on the book's value");
        assert_eq!(f.state.book.stock["QUA-TET"].reserved_value_vnd, 20_000_000);
        f.replays();
    }

    /// Replay judges a version 2 distribution's goods at the book's value
    /// too: one written with another value breaks the rules.
    #[test]
    fn replay_refuses_goods_given_out_at_another_value_than_the_book_s() {
        use crate::ledger::book::At;
        let mut f = Fund::open();
        f.policy.limits_vnd.clear();
        packs_in(&mut f, "40", 500_000);
        household(&mut f, "hh-1", "poor");
        let mut body = Draft::parse(
            "distribution",
            packs_out("hh-1", "40", Some((1, 40))),
            None,
            now(),
        )
        .unwrap()
        .body;
        if let Body::Distribution(b) = &mut body {
            b.distribution_id = Some(Id::generate());
            b.status = Some(DistributionStatus::Pending);
        }
        let at = |v| At {
            seq: f.state.book.size,
            actor: "clerk",
            date: time::macros::date!(2026 - 11 - 22),
            v,
        };
        let broken = f.state.book.check(at(2), &body).unwrap_err();
        assert_eq!(
            (broken.rule, broken.field.as_str()),
            ("goods_value", "body.items[0].value_vnd")
        );
        assert!(
            f.state.book.check(at(1), &body).is_ok(),
            "version 1 took stated values"
        );
        if let Body::Distribution(b) = &mut body {
            b.items[0].unit_value_vnd = serde_json::from_value(json!("500000")).unwrap();
            b.items[0].value_vnd = serde_json::from_value(json!("20000000")).unwrap();
        }
        assert!(
            f.state.book.check(at(2), &body).is_ok(),
            "the book's values are taken"
        );
        if let Body::Distribution(b) = &mut body {
            b.items[0].unit_value_vnd = None;
        }
        assert_eq!(
            f.state.book.check(at(2), &body).unwrap_err().rule,
            "goods_value"
        );
    }

    /// Two lines of one item in one distribution take their value from
    /// what the first left, and together no more than the stock holds.
    #[test]
    fn lines_of_one_item_share_its_stock_and_its_value() {
        let mut f = Fund::open();
        f.policy.limits_vnd.clear();
        // 3 packs worth 100 đồng together.
        f.write(
            "donation_in_kind",
            json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
                   "items": [{"item": "QUA-TET", "quantity": "1", "unit": "gói",
                              "unit_value_vnd": 40, "value_vnd": 40},
                             {"item": "QUA-TET", "quantity": "2", "unit": "gói",
                              "unit_value_vnd": 30, "value_vnd": 60}],
                   "total_value_vnd": "100", "received_on": "2026-11-20"}),
        )
        .unwrap();
        household(&mut f, "hh-1", "poor");
        let two_lines = |a: &str, b: &str| {
            json!({"household_id": "hh-1", "support_type": "tet_gift", "cash_vnd": "0",
                   "items": [{"item": "QUA-TET", "quantity": a, "unit": "gói"},
                             {"item": "QUA-TET", "quantity": b, "unit": "gói"}],
                   "decision_ref": "QĐ 3/MTTQ"})
        };
        assert_eq!(
            f.rule("distribution", two_lines("3", "1")),
            "stock_insufficient"
        );
        let d = f.write("distribution", two_lines("1", "2")).unwrap();
        let Body::Distribution(b) = &d.body else {
            panic!()
        };
        let values: Vec<u64> = b.items.iter().map(|l| l.value()).collect();
        assert_eq!(values, vec![33, 67], "the last units take what is left");
        f.replays();
    }

    #[test]
    fn the_last_units_take_what_is_left_so_value_reaches_zero_with_quantity() {
        let mut f = Fund::open();
        // 3 packs worth 100 đồng together: 33.33 each.
        f.write(
            "donation_in_kind",
            json!({"donor": {"display": "Hội Phụ nữ", "kind": "organization"},
                   "items": [{"item": "QUA-TET", "quantity": "1", "unit": "gói",
                              "unit_value_vnd": 40, "value_vnd": 40},
                             {"item": "QUA-TET", "quantity": "2", "unit": "gói",
                              "unit_value_vnd": 30, "value_vnd": 60}],
                   "total_value_vnd": "100", "received_on": "2026-11-20"}),
        )
        .unwrap();
        household(&mut f, "hh-1", "poor");
        let mut taken = Vec::new();
        for _ in 0..3 {
            let d = f
                .write("distribution", packs_out("hh-1", "1", None))
                .unwrap();
            let Body::Distribution(b) = &d.body else {
                panic!()
            };
            taken.push(b.items[0].value_vnd.map(|v| v.get()).unwrap());
        }
        assert_eq!(taken, [33, 34, 33]);
        let line = &f.state.book.stock["QUA-TET"];
        assert!(line.quantity.is_zero());
        assert_eq!(line.value_vnd, 0);
        // A stated value that matches the book's is taken.
        packs_in(&mut f, "2", 50);
        let d = f.write("distribution", packs_out("hh-1", "1", Some((50, 50))));
        assert!(d.is_ok());
        f.replays();
    }

    #[test]
    fn a_write_off_takes_goods_at_the_average_of_what_no_pending_outflow_holds() {
        let mut f = Fund::open();
        f.policy.limits_vnd.clear();
        packs_in(&mut f, "10", 100_000);
        household(&mut f, "hh-1", "poor");
        f.policy.approval_threshold_vnd = 500_000;
        let d = f
            .write("distribution", packs_out("hh-1", "10", None))
            .unwrap();
        assert_eq!(status_of(&d), PENDING);
        packs_in(&mut f, "10", 1);
        // The 10 cheap packs are what is free: 10 đồng in all.
        let adj = f
            .write_as(
                "clerk-2",
                "stock_adjusted",
                json!({"item": "QUA-TET", "quantity_delta": "-10", "reason": "spoiled",
                       "decision_ref": "BB-01"}),
            )
            .unwrap();
        assert_eq!(status_of(&adj), APPROVED);
        let line = &f.state.book.stock["QUA-TET"];
        assert_eq!(line.value_vnd, 1_000_000);
        assert_eq!(line.reserved_value_vnd, 1_000_000);
        f.write_as("approver", "outflow_approved", json!({"of_seq": d.seq}))
            .unwrap();
        let line = &f.state.book.stock["QUA-TET"];
        assert!(line.quantity.is_zero());
        assert_eq!(line.value_vnd, 0, "never negative");
        f.replays();
    }

    fn dec(n: i64) -> rust_decimal::Decimal {
        rust_decimal::Decimal::from(n)
    }

    /// Rice written off by `who`.
    fn write_off(f: &mut Fund, who: &str, delta: &str) -> Appended {
        f.write_as(
            who,
            "stock_adjusted",
            json!({"item": "GAO", "quantity_delta": delta, "reason": "lost", "decision_ref": "BB 2"}),
        )
        .unwrap()
    }

    /// Each kind of outflow at the threshold waits, holds what it would
    /// move (cash, or goods at the book's value), and moves it only when
    /// another person approves; below it, each moves at once.
    #[test]
    fn every_kind_of_outflow_waits_at_the_threshold_and_holds_what_it_moves() {
        let mut f = Fund::open();
        f.write("donation_cash", gift("100000000")).unwrap();
        let g = rice_in(&mut f, 500_000);
        let transfer = |amount: &str| {
            json!({"counterparty_fund": "HN-KHAC", "amount_vnd": amount,
                   "decision_ref": "QĐ 7", "purpose": "Hỗ trợ quỹ xã"})
        };
        let book = |f: &Fund| f.state.book.clone();

        // A transfer out: cash held, none gone.
        let t = f
            .write_as("an", "transfer_out", transfer("25000000"))
            .unwrap();
        assert_eq!(status_of(&t), PENDING);
        assert_eq!(book(&f).reserved_vnd, 25_000_000);
        assert_eq!(book(&f).outflows[&t.seq].value_vnd, 25_000_000);
        assert_eq!(book(&f).totals.transfers_out_vnd, 0);
        let Body::TransferOut(tb) = &t.body else {
            panic!()
        };
        assert_eq!(
            Some(book(&f).outflows[&t.seq].outflow_id.as_str()),
            tb.transfer_id.as_ref().map(|i| i.as_str()),
            "filed under its own id"
        );

        // A write-off of 50 kg at 500,000 a kg: 25,000,000 of goods held.
        let w = write_off(&mut f, "binh", "-50");
        assert_eq!(status_of(&w), PENDING);
        let rice = book(&f).stock["GAO"].clone();
        assert_eq!((rice.quantity, rice.reserved), (dec(100), dec(50)));
        assert_eq!(rice.reserved_value_vnd, 25_000_000);
        assert_eq!(book(&f).outflows[&w.seq].value_vnd, 25_000_000);
        let Body::StockAdjusted(wb) = &w.body else {
            panic!()
        };
        assert_eq!(
            Some(book(&f).outflows[&w.seq].outflow_id.as_str()),
            wb.adjustment_id.as_ref().map(|i| i.as_str())
        );

        // The reversal of the goods gift holds what is left of them.
        assert_eq!(
            f.rule(
                "reversal",
                json!({"reverses_seq": g.seq, "reason": "Ghi nhầm"})
            ),
            "stock_insufficient"
        );
        // Below the threshold each moves at once: 10 kg, 5,000,000.
        let small = write_off(&mut f, "chi", "-10");
        assert_eq!(status_of(&small), APPROVED);
        assert_eq!(book(&f).stock["GAO"].quantity, dec(90));
        let t2 = f
            .write_as("dung", "transfer_out", transfer("1000000"))
            .unwrap();
        assert_eq!(status_of(&t2), APPROVED);
        assert_eq!(book(&f).totals.transfers_out_vnd, 1_000_000);

        // Approved, each moves what it held.
        for seq in [t.seq, w.seq] {
            f.write_as("approver", "outflow_approved", json!({"of_seq": seq}))
                .unwrap();
        }
        let b = book(&f);
        assert_eq!(b.reserved_vnd, 0);
        assert_eq!(b.balance_vnd, 100_000_000 - 25_000_000 - 1_000_000);
        assert_eq!(b.totals.transfers_out_vnd, 26_000_000);
        let rice = b.stock["GAO"].clone();
        assert_eq!((rice.quantity, rice.reserved), (dec(40), dec(0)));
        assert_eq!(rice.reserved_value_vnd, 0);
        assert_eq!(rice.value_vnd, 20_000_000);
        f.replays();
    }

    /// A pending reversal of an earmarked gift holds its earmark too, and
    /// gives it back when voided; a voided outflow no longer counts
    /// towards its recorder's day.
    #[test]
    fn holds_follow_earmarks_and_a_voided_outflow_leaves_its_recorder_s_day() {
        let mut f = Fund::open();
        let mut earmarked = gift("30000000");
        earmarked["earmark"] = json!("house_new");
        let g = f.write("donation_cash", earmarked).unwrap();
        let r = f
            .write_as(
                "an",
                "reversal",
                json!({"reverses_seq": g.seq, "reason": "Ghi trùng"}),
            )
            .unwrap();
        assert_eq!(status_of(&r), PENDING);
        let held = |f: &Fund| {
            let e = &f.state.book.earmarks[&crate::ledger::kinds::SupportType::HouseNew];
            (e.received_vnd, e.reserved_vnd, f.state.book.reserved_vnd)
        };
        assert_eq!(held(&f), (30_000_000, 30_000_000, 30_000_000));
        f.write_as(
            "approver",
            "outflow_voided",
            json!({"of_seq": r.seq, "reason": "Không trùng"}),
        )
        .unwrap();
        assert_eq!(held(&f), (30_000_000, 0, 0));

        // 20,000,000 recorded and voided: the same person's next outflow,
        // a đồng under the threshold, is judged on its own.
        f.write("donation_cash", gift("50000000")).unwrap();
        let big = f.write_as("binh", "expense", expense("20000000")).unwrap();
        assert_eq!(status_of(&big), PENDING);
        f.write_as(
            "approver",
            "outflow_voided",
            json!({"of_seq": big.seq, "reason": "Sai"}),
        )
        .unwrap();
        let small = f.write_as("binh", "expense", expense("19999999")).unwrap();
        assert_eq!(status_of(&small), APPROVED);
        f.replays();
    }

    /// A pending reversal of a goods gift or of a transfer received holds
    /// the goods or the cash it would take back.
    #[test]
    fn a_pending_reversal_of_goods_or_of_a_transfer_in_holds_them() {
        let mut f = Fund::open();
        let g = rice_in(&mut f, 300_000);
        let r = f
            .write_as(
                "an",
                "reversal",
                json!({"reverses_seq": g.seq, "reason": "Ghi trùng"}),
            )
            .unwrap();
        assert_eq!(status_of(&r), PENDING);
        let rice = f.state.book.stock["GAO"].clone();
        assert_eq!((rice.quantity, rice.reserved), (dec(100), dec(100)));
        assert_eq!(rice.reserved_value_vnd, 30_000_000);
        assert_eq!(f.state.book.outflows[&r.seq].value_vnd, 30_000_000);

        let incoming = Body::TransferIn(crate::ledger::kinds::spending::Transfer {
            transfer_id: Some(Id::parse("ck-1", "transfer_id").unwrap()),
            counterparty_fund: Code::parse("HN-KHAC", "f").unwrap(),
            amount_vnd: crate::ledger::money::AmountVnd::parse(&json!("40000000"), "a").unwrap(),
            decision_ref: crate::ledger::values::Name::parse("QĐ 9").unwrap(),
            purpose: crate::ledger::values::LongText::parse("Hỗ trợ").unwrap(),
            status: None,
            note: None,
        });
        let i = f
            .write_draft(
                Draft {
                    body: incoming,
                    private: None,
                    bank_line: None,
                },
                "system",
                now(),
            )
            .unwrap();
        let back = f
            .write_as(
                "binh",
                "reversal",
                json!({"reverses_seq": i.seq, "reason": "Nhầm quỹ"}),
            )
            .unwrap();
        assert_eq!(status_of(&back), PENDING);
        assert_eq!(f.state.book.reserved_vnd, 40_000_000);
        assert_eq!(f.state.book.outflows[&back.seq].value_vnd, 40_000_000);
        f.replays();
    }

    #[test]
    fn a_pending_reversal_of_a_gift_holds_the_money_until_another_person_approves() {
        let mut f = Fund::open();
        let g = f.write("donation_cash", gift("30000000")).unwrap();
        let r = f
            .write(
                "reversal",
                json!({"reverses_seq": g.seq, "reason": "Ghi trùng"}),
            )
            .unwrap();
        assert_eq!(status_of(&r), PENDING);
        assert_eq!(r.voids, None, "the gift stands until approved");
        assert_eq!(f.state.book.balance_vnd, 30_000_000);
        assert_eq!(f.state.book.available_vnd(), 0);
        assert_eq!(
            f.rule("reversal", json!({"reverses_seq": g.seq, "reason": "lại"})),
            "already_reversed"
        );
        let a = f
            .write_as("approver", "outflow_approved", json!({"of_seq": r.seq}))
            .unwrap();
        assert_eq!(a.voids, Some((g.seq, r.seq, "Ghi trùng".to_owned())));
        assert_eq!(f.state.book.balance_vnd, 0);
        assert_eq!(f.state.book.reserved_vnd, 0);
        assert_eq!(f.state.book.reversals[&g.seq].by_seq, r.seq);
        f.replays();
    }

    #[test]
    fn a_version_2_outflow_without_its_status_breaks_the_rules_on_replay() {
        use crate::ledger::book::At;
        let mut f = Fund::open();
        f.write("donation_cash", gift("1000000")).unwrap();
        let mut body = Draft::parse("expense", expense("1000"), None, now())
            .unwrap()
            .body;
        if let Body::Expense(b) = &mut body {
            b.expense_id = Some(Id::generate());
        }
        let at = |v| At {
            seq: f.state.book.size,
            actor: "clerk",
            date: time::macros::date!(2026 - 11 - 22),
            v,
        };
        assert_eq!(
            f.state.book.check(at(2), &body).unwrap_err().rule,
            "status_missing"
        );
        assert!(
            f.state.book.check(at(1), &body).is_ok(),
            "version 1 had no status"
        );
    }

    #[test]
    fn a_fund_s_figures_stay_within_their_bound() {
        let mut f = Fund::open();
        for _ in 0..1_000 {
            f.write("donation_cash", gift("1000000000000000")).unwrap();
        }
        assert_eq!(f.state.book.balance_vnd, FUND_TOTAL_MAX_VND);
        assert_eq!(f.rule("donation_cash", gift("1")), "fund_total_bound");
        assert_eq!(f.state.book.totals.gifts, 1_000);
    }

    #[test]
    fn the_private_record_stays_off_the_ledger() {
        let mut f = Fund::open();
        household(&mut f, "hh-1", "poor");
        let c = f.canonicals.last().unwrap();
        assert!(!c.contains("001086012345"));
        assert!(!c.contains("Nguyễn Văn Bình"));
        assert!(c.contains("\"commitment\":\""));
    }
}
