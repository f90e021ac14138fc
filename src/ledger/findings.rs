//! Findings for inspectors: what in a fund's ledger deserves a second
//! look. Each finding has a kind, a severity and the seqs it concerns, so
//! an inspector can open the entries themselves.
//!
//! The ledger is folded through the same [`Book`] as everywhere else, and
//! judged against today's policy (which may be stricter than the one the
//! entries were written under). An entry the books refuse is itself a
//! finding (`rule_broken`) and is left out of the books, so the audit goes
//! on past it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use time::Date;

use super::book::{Book, CampaignStatus, DistState};
use super::ids::{format_date, today_in_vietnam};
use super::kinds::{name_of, Body, DonorKind, EntryKind, SupportType};
use super::money::SumVnd;
use super::policy::Policy;
use super::replay::{fold_read, read_entry};

/// Most seqs listed in one finding; the count says how many there were.
pub const SEQS_LISTED_MAX: usize = 200;

/// Thresholds an inspector may set.
#[derive(Debug, Clone)]
pub struct Options {
    pub today: Date,
    /// Approved distributions with no handover record after this many days.
    pub ack_days: i64,
    /// Pending distributions older than this many days.
    pub pending_days: i64,
    /// Anonymous cash gifts from this amount up.
    pub large_anonymous_vnd: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    /// `high`, `medium` or `low`.
    pub severity: &'static str,
    pub seqs: Vec<u64>,
    pub message: String,
}

fn finding(kind: &'static str, severity: &'static str, seqs: Vec<u64>, message: String) -> Finding {
    let mut seqs = seqs;
    seqs.truncate(SEQS_LISTED_MAX);
    Finding {
        kind,
        severity,
        seqs,
        message,
    }
}

/// Reversals recorded by one actor.
#[derive(Debug, Default)]
struct ByActor {
    seqs: Vec<u64>,
    count: u64,
    /// Cash the reversals moved, in absolute value.
    cash_vnd: SumVnd,
}

/// Reads a fund's entries in seq order and collects findings.
#[derive(Debug)]
pub struct Auditor {
    book: Book,
    policy: Policy,
    options: Options,
    findings: Vec<Finding>,
    /// Receipt numbers seen, by year.
    receipts: BTreeMap<i32, BTreeSet<u64>>,
    reversals: BTreeMap<String, ByActor>,
    /// The day each distribution's money was spent (approved).
    spent_on: HashMap<String, Date>,
    /// The day each pending distribution was proposed.
    proposed_on: HashMap<String, Date>,
    write_offs: Vec<u64>,
    write_off_vnd: SumVnd,
    /// Outflows just under the approval threshold, by person and day.
    near_threshold: BTreeMap<(String, Date), Vec<u64>>,
    /// Distributions to each household: (seq, day).
    to_household: BTreeMap<String, Vec<(u64, Date)>>,
    /// Distributions recorded by a person who registered or reclassified
    /// the household.
    paid_own: Vec<u64>,
    /// Reviews out of poverty recorded by who registered or last classed
    /// the household.
    reviewed_own: Vec<u64>,
}

/// Outflows within this share under the threshold are "just under" it.
const NEAR_THRESHOLD_PERCENT: u128 = 10;
/// So many outflows just under the threshold in a day, by one person,
/// are a finding; so many distributions to one household within the
/// aggregation window too.
const REPEATED_MIN: usize = 3;

fn receipt_parts(receipt_no: &str) -> Option<(i32, u64)> {
    let mut parts = receipt_no.rsplitn(3, '-');
    let n = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    Some((year, n))
}

fn is_house(t: SupportType) -> bool {
    matches!(t, SupportType::HouseNew | SupportType::HouseRepair)
}

impl Auditor {
    pub fn new(policy: Policy, options: Options) -> Self {
        Self {
            book: Book::default(),
            policy,
            options,
            findings: Vec::new(),
            receipts: BTreeMap::new(),
            reversals: BTreeMap::new(),
            spent_on: HashMap::new(),
            proposed_on: HashMap::new(),
            write_offs: Vec::new(),
            write_off_vnd: 0,
            near_threshold: BTreeMap::new(),
            to_household: BTreeMap::new(),
            paid_own: Vec::new(),
            reviewed_own: Vec::new(),
        }
    }

    /// What the controls of SPEC §9 look for in an outflow, before it is
    /// folded: just under the threshold, again to one household, to a
    /// household its recorder registered.
    fn four_eyes(&mut self, seq: u64, v: u64, actor: &str, day: Date, body: &Body) {
        let threshold = u128::from(self.policy.approval_threshold_vnd);
        let value = self
            .book
            .outflow_value(body, v)
            .ok()
            .flatten()
            .and_then(|v| u128::try_from(v).ok());
        if let Some(value) = value {
            if value < threshold && value * 100 >= threshold * (100 - NEAR_THRESHOLD_PERCENT) {
                self.near_threshold
                    .entry((actor.to_owned(), day))
                    .or_default()
                    .push(seq);
            }
        }
        if let Body::HouseholdReviewed(b) = body {
            let own = self
                .book
                .households
                .get(b.household_id.as_str())
                .is_some_and(|h| h.classes.iter().any(|c| c.recorded_by() == actor));
            if own && b.category.out_of_poverty() {
                self.reviewed_own.push(seq);
            }
        }
        if let Body::Distribution(b) = body {
            let h = b.household_id.as_str();
            self.to_household
                .entry(h.to_owned())
                .or_default()
                .push((seq, day));
            let own = self
                .book
                .households
                .get(h)
                .is_some_and(|h| h.classes.iter().any(|c| c.recorded_by() == actor));
            if own {
                self.paid_own.push(seq);
            }
        }
    }

    /// The findings of [`Auditor::four_eyes`].
    fn four_eyes_findings(&mut self) {
        let threshold = self.policy.approval_threshold_vnd;
        for ((actor, day), seqs) in std::mem::take(&mut self.near_threshold) {
            if seqs.len() >= REPEATED_MIN {
                self.findings.push(finding(
                    "just_under_threshold",
                    "medium",
                    seqs.clone(),
                    format!(
                        "{} outflows recorded by {actor} on {} were each within {NEAR_THRESHOLD_PERCENT}% under the approval threshold of {threshold} đồng",
                        seqs.len(),
                        format_date(day)
                    ),
                ));
            }
        }
        let window = i64::from(self.policy.aggregate_window_days);
        for (household, paid) in std::mem::take(&mut self.to_household) {
            let mut most: &[(u64, Date)] = &[];
            for (i, (_, first)) in paid.iter().enumerate() {
                let n = paid[i..]
                    .iter()
                    .take_while(|(_, d)| (*d - *first).whole_days() < window)
                    .count();
                if n > most.len() {
                    most = &paid[i..i + n];
                }
            }
            if most.len() >= REPEATED_MIN {
                self.findings.push(finding(
                    "repeated_outflows_to_household",
                    "medium",
                    most.iter().map(|(s, _)| *s).collect(),
                    format!(
                        "household {household:?} received {} distributions within {window} days",
                        most.len()
                    ),
                ));
            }
        }
        if !self.reviewed_own.is_empty() {
            let seqs = std::mem::take(&mut self.reviewed_own);
            self.findings.push(finding(
                "reviewed_own_household",
                "medium",
                seqs.clone(),
                format!(
                    "{} reviews moving a household out of poverty were recorded by the person who registered or classed it: the public count of households leaving poverty rests on one person's word",
                    seqs.len()
                ),
            ));
        }
        if !self.paid_own.is_empty() {
            let seqs = std::mem::take(&mut self.paid_own);
            self.findings.push(finding(
                "paid_own_household",
                "medium",
                seqs.clone(),
                format!(
                    "{} distributions were recorded by the person who registered or reclassified the household",
                    seqs.len()
                ),
            ));
        }
    }

    /// Campaigns whose support deadline (Decree 93/2021: 20 days after
    /// receiving closed) has passed with money they received not given by
    /// the distributions naming them.
    fn campaign_deadlines(&mut self) {
        let today = format_date(self.options.today);
        let days = self.policy.distribution_deadline_days;
        for c in self.book.campaigns.values() {
            let Some(deadline) = c.support_deadline(days) else {
                continue;
            };
            let given = c.given_vnd();
            let received = c.received_vnd();
            if today > deadline && received > given {
                self.findings.push(finding(
                    "campaign_support_overdue",
                    "medium",
                    vec![c.opened_seq],
                    format!(
                        "campaign {:?} received {received} đồng until {}; by {deadline}, {days} days later, the distributions naming it had given {given}: {} đồng not given (or given without naming the campaign)",
                        c.campaign_id,
                        c.receiving_ends(),
                        received - given
                    ),
                ));
            }
        }
    }

    /// Sponsorships of a year that has ended, not fulfilled: a unit's
    /// commitment to households that their distributions do not show kept.
    fn sponsorships_unfulfilled(&mut self) {
        let year = self.options.today.year();
        for s in self.book.sponsorships.values() {
            if s.year >= year {
                continue;
            }
            let p = self.book.sponsorship_progress(s);
            if !p.fulfilled {
                self.findings.push(finding(
                    "sponsorship_unfulfilled",
                    "medium",
                    vec![s.seq],
                    format!(
                        "{}'s sponsorship {:?} for {} committed to {} households{}; by the year's end its distributions reached {} and gave {} đồng",
                        s.sponsor,
                        s.sponsorship_id,
                        s.year,
                        s.households,
                        s.value_vnd
                            .as_deref()
                            .map(|v| format!(" and {v} đồng"))
                            .unwrap_or_default(),
                        p.households_reached,
                        p.given_vnd
                    ),
                ));
            }
        }
    }

    /// Decree 93/2021 on a campaign's window and on support given under
    /// it, judged against the book before the entry.
    fn decree_93(&mut self, seq: u64, day: Date, body: &Body) {
        match body {
            Body::CampaignOpened(b) => {
                let days = (b.ends_on.0 - b.starts_on.0).whole_days() + 1;
                let most = i64::from(self.policy.campaign_max_days);
                if days <= most {
                    return;
                }
                let id = b
                    .campaign_id
                    .as_ref()
                    .map(|i| i.as_str())
                    .unwrap_or_default();
                self.findings.push(match &b.window_reason {
                    Some(why) => finding(
                        "campaign_window_extended",
                        "low",
                        vec![seq],
                        format!(
                            "campaign {id:?} receives for {days} days, past the {most} of Decree 93/2021, because: {}",
                            why.as_str()
                        ),
                    ),
                    None => finding(
                        "campaign_window_too_long",
                        "medium",
                        vec![seq],
                        format!(
                            "campaign {id:?} receives for {days} days, past the {most} of Decree 93/2021, and gives no reason"
                        ),
                    ),
                });
            }
            Body::Distribution(b) => {
                let Some(c) = b
                    .campaign_id
                    .as_ref()
                    .and_then(|c| self.book.campaigns.get(c.as_str()))
                else {
                    return;
                };
                let days = self.policy.distribution_deadline_days;
                let Some(deadline) = c.support_deadline(days) else {
                    return;
                };
                let on = format_date(day);
                if on > deadline {
                    self.findings.push(finding(
                        "support_after_deadline",
                        "medium",
                        vec![seq],
                        format!(
                            "support under campaign {:?} recorded on {on}, after {deadline}: {days} days after its receiving closed on {}",
                            c.campaign_id,
                            c.receiving_ends()
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    /// Reads the next entry.
    pub fn push(&mut self, canonical: &str) {
        let read = match read_entry(canonical) {
            Ok(e) => e,
            Err(e) => {
                self.findings
                    .push(finding("rule_broken", "high", vec![e.seq], e.reason));
                self.book.skip();
                return;
            }
        };
        let (seq, actor, body) = (read.seq, read.actor.clone(), &read.body);
        let day = today_in_vietnam(read.recorded_at);
        self.before(seq, &actor, day, body);
        self.decree_93(seq, day, body);
        self.four_eyes(seq, read.v, &actor, day, body);
        let settling = if let Body::OutflowApproved(o) = body {
            self.book.distribution_at.get(&o.of_seq).cloned()
        } else {
            None
        };
        // An approved outflow takes effect at its approval: a reversal's
        // cash counts for whoever recorded it, a write-off when it leaves.
        let approved = match body {
            Body::OutflowApproved(o) => self
                .book
                .outflows
                .get(&o.of_seq)
                .map(|p| (p.kind, p.recorded_by.clone(), p.seq)),
            _ => None,
        };
        let balance = self.book.balance_vnd;
        let stock_value: SumVnd = self.book.stock.values().map(|l| l.value_vnd).sum();
        if let Err(e) = fold_read(&mut self.book, &read) {
            self.findings
                .push(finding("rule_broken", "high", vec![seq], e.reason));
            self.book.skip();
            return;
        }
        let cash_moved = (self.book.balance_vnd - balance).abs();
        let stock_after: SumVnd = self.book.stock.values().map(|l| l.value_vnd).sum();
        match approved {
            Some((EntryKind::Reversal, by, _)) => {
                self.reversals.entry(by).or_default().cash_vnd += cash_moved;
            }
            Some((EntryKind::StockAdjusted, _, of)) if stock_after < stock_value => {
                self.write_offs.push(of);
                self.write_off_vnd += stock_value - stock_after;
            }
            _ => {}
        }
        match body {
            Body::Reversal(_) => {
                let r = self.reversals.entry(actor).or_default();
                r.count += 1;
                r.seqs.push(seq);
                r.cash_vnd += cash_moved;
            }
            Body::StockAdjusted(_) => {
                if stock_after < stock_value {
                    self.write_offs.push(seq);
                    self.write_off_vnd += stock_value - stock_after;
                }
            }
            Body::Distribution(b) => {
                let id = b
                    .distribution_id
                    .as_ref()
                    .map(|i| i.as_str().to_owned())
                    .unwrap_or_default();
                match self.book.distributions.get(&id).map(|d| d.status) {
                    Some(DistState::Approved) => {
                        self.spent_on.insert(id, day);
                    }
                    Some(DistState::Pending) => {
                        self.proposed_on.insert(id, day);
                    }
                    _ => {}
                }
            }
            Body::DistributionApproved(b) => {
                self.spent_on
                    .insert(b.distribution_id.as_str().to_owned(), day);
            }
            Body::OutflowApproved(_) => {
                if let Some(id) = settling {
                    self.spent_on.insert(id, day);
                }
            }
            Body::FundOpened(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_)
            | Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
            | Body::DonationCash(_)
            | Body::DonationInKind(_)
            | Body::HouseholdRegistered(_)
            | Body::HouseholdReclassified(_)
            | Body::HouseholdReviewed(_)
            | Body::SponsorshipRegistered(_)
            | Body::DistributionVoided(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::TransferIn(_)
            | Body::Expense(_)
            | Body::OutflowVoided(_)
            | Body::PeriodClosed(_) => {}
        }
    }

    /// What can be judged of an entry against the books before it.
    fn before(&mut self, seq: u64, actor: &str, day: Date, body: &Body) {
        let gift = body.gift().map(|g| (g.receipt_no, g.campaign_id));
        if let Some((receipt, campaign)) = gift {
            if let Some((year, n)) = receipt.and_then(receipt_parts) {
                self.receipts.entry(year).or_default().insert(n);
            }
            if let Some(c) = campaign
                .as_ref()
                .and_then(|c| self.book.campaigns.get(c.as_str()))
            {
                if c.status == CampaignStatus::Closed {
                    self.findings.push(finding(
                        "gift_after_campaign_closed",
                        "high",
                        vec![seq],
                        format!(
                            "a gift was recorded for campaign {:?} after it was closed",
                            c.campaign_id
                        ),
                    ));
                }
            }
        }
        match body {
            Body::DonationCash(b)
                if b.donor.kind == DonorKind::Anonymous
                    && b.amount_vnd.get() >= self.options.large_anonymous_vnd =>
            {
                self.findings.push(finding(
                    "large_anonymous_gift",
                    "medium",
                    vec![seq],
                    format!(
                        "{} đồng in cash from an unidentified donor, recorded by {actor} on {}",
                        b.amount_vnd.get(),
                        format_date(day)
                    ),
                ));
            }
            Body::Distribution(b) => {
                let Some(h) = self.book.households.get(b.household_id.as_str()) else {
                    return;
                };
                if !self.policy.is_eligible(b.support_type, h.category) {
                    self.findings.push(finding(
                        "ineligible_household",
                        "high",
                        vec![seq],
                        format!(
                            "{} to household {:?}, classed {} at the time; the policy gives it only to {}",
                            name_of(&b.support_type),
                            h.household_id,
                            name_of(&h.category),
                            self.policy
                                .eligible
                                .get(&b.support_type)
                                .map(|c| c.iter().map(name_of).collect::<Vec<_>>().join(", "))
                                .unwrap_or_default()
                        ),
                    ));
                }
                let years = self.policy.house_support_years_min;
                if is_house(b.support_type) && years > 0 {
                    let earlier: Vec<u64> = h
                        .distributions
                        .iter()
                        .filter_map(|id| self.book.distributions.get(id))
                        .filter(|d| {
                            is_house(d.support_type)
                                && matches!(d.status, DistState::Pending | DistState::Approved)
                                && d.recorded_on[..4]
                                    .parse::<i32>()
                                    .is_ok_and(|y| day.year() - y < years)
                        })
                        .map(|d| d.seq)
                        .collect();
                    if !earlier.is_empty() {
                        let mut seqs = earlier;
                        seqs.push(seq);
                        self.findings.push(finding(
                            "house_support_too_recent",
                            "medium",
                            seqs,
                            format!(
                                "household {:?} received house support more than once within {years} years",
                                h.household_id
                            ),
                        ));
                    }
                }
            }
            Body::FundOpened(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_)
            | Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
            | Body::DonationCash(_)
            | Body::DonationInKind(_)
            | Body::HouseholdRegistered(_)
            | Body::HouseholdReclassified(_)
            | Body::HouseholdReviewed(_)
            | Body::SponsorshipRegistered(_)
            | Body::DistributionApproved(_)
            | Body::DistributionVoided(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::TransferIn(_)
            | Body::Expense(_)
            | Body::StockAdjusted(_)
            | Body::Reversal(_)
            | Body::OutflowApproved(_)
            | Body::OutflowVoided(_)
            | Body::PeriodClosed(_) => {}
        }
    }

    /// Ends the reading: findings about what is still open today.
    pub fn finish(mut self) -> Vec<Finding> {
        self.four_eyes_findings();
        self.campaign_deadlines();
        self.sponsorships_unfulfilled();
        let today = self.options.today;
        let age = |d: &Date| (today - *d).whole_days();
        let mut unacknowledged = Vec::new();
        let mut pending = Vec::new();
        for d in self.book.distributions.values() {
            let since = |days: &HashMap<String, Date>| days.get(&d.distribution_id).map(age);
            match d.status {
                DistState::Approved
                    if d.acknowledged.is_none()
                        && since(&self.spent_on).is_some_and(|a| a >= self.options.ack_days) =>
                {
                    unacknowledged.push(d.seq);
                }
                DistState::Pending
                    if since(&self.proposed_on).is_some_and(|a| a >= self.options.pending_days) =>
                {
                    pending.push(d.seq);
                }
                _ => {}
            }
        }
        unacknowledged.sort_unstable();
        pending.sort_unstable();
        if !unacknowledged.is_empty() {
            self.findings.push(finding(
                "not_acknowledged",
                "medium",
                unacknowledged.clone(),
                format!(
                    "{} approved distributions have no handover record after {} days",
                    unacknowledged.len(),
                    self.options.ack_days
                ),
            ));
        }
        if !pending.is_empty() {
            self.findings.push(finding(
                "pending_too_long",
                "medium",
                pending.clone(),
                format!(
                    "{} distributions have waited for approval more than {} days",
                    pending.len(),
                    self.options.pending_days
                ),
            ));
        }
        for (year, numbers) in &self.receipts {
            let last = numbers.iter().next_back().copied().unwrap_or(0);
            let missing: Vec<u64> = (1..=last).filter(|n| !numbers.contains(n)).collect();
            if !missing.is_empty() {
                let shown: Vec<String> =
                    missing.iter().take(20).map(|n| format!("{n:06}")).collect();
                self.findings.push(finding(
                    "receipt_number_gap",
                    "high",
                    Vec::new(),
                    format!(
                        "{} receipt numbers of {year} are missing: {}{}",
                        missing.len(),
                        shown.join(", "),
                        if missing.len() > 20 { ", …" } else { "" }
                    ),
                ));
            }
        }
        for (actor, r) in std::mem::take(&mut self.reversals) {
            self.findings.push(finding(
                "reversals_by_actor",
                "low",
                r.seqs,
                format!(
                    "{actor} recorded {} reversals, moving {} đồng of cash",
                    r.count, r.cash_vnd
                ),
            ));
        }
        if !self.write_offs.is_empty() {
            self.findings.push(finding(
                "stock_written_off",
                "low",
                self.write_offs.clone(),
                format!(
                    "{} stock write-offs worth {} đồng",
                    self.write_offs.len(),
                    self.write_off_vnd
                ),
            ));
        }
        self.findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::ids::Code;
    use crate::ledger::kinds::{FundKind, FundOpened};
    use crate::ledger::state::{apply, Context, Draft, FundState};
    use serde_json::{json, Value};
    use time::macros::{date, datetime};

    /// Entries written through the rules, to be edited afterwards as a
    /// ledger that broke them would read.
    fn ledger(bodies: &[(&str, Value)]) -> Vec<Value> {
        let code = Code::parse("PX-VNN", "f").unwrap();
        let mut state = FundState::empty(code.clone());
        let mut policy = Policy::permissive(20_000_000);
        // One clerk records everything: its households' support is not
        // held back for a second person here.
        policy.fresh_household_days = 0;
        let ctx = Context {
            actor: "clerk",
            now: datetime!(2026-11-10 02:00 UTC),
            policy: &policy,
        };
        let opened = Body::FundOpened(FundOpened {
            committee_code: Code::parse("PX", "c").unwrap(),
            committee_name: "Phú Xuyên".into(),
            fund_code: code,
            fund_kind: FundKind::Relief,
            origin: "sovang.local/fund/PX-VNN".into(),
            verifier_key: "k".into(),
        });
        let mut out = vec![
            apply(
                &mut state,
                Draft {
                    body: opened,
                    private: None,
                    bank_line: None,
                },
                &ctx,
            )
            .unwrap()
            .canonical,
        ];
        for (kind, body) in bodies {
            let private = (*kind == "household_registered").then(
                || json!({"head_name": "Lò Văn Páo", "cccd": "001085000778", "address": "Thôn 2"}),
            );
            let draft = Draft::parse(kind, body.clone(), private, ctx.now).unwrap();
            out.push(apply(&mut state, draft, &ctx).unwrap().canonical);
        }
        out.iter()
            .map(|c| serde_json::from_str(c).unwrap())
            .collect()
    }

    fn audit(entries: &[Value]) -> Vec<Finding> {
        let options = Options {
            today: date!(2026 - 11 - 23),
            ack_days: 30,
            pending_days: 14,
            large_anonymous_vnd: 50_000_000,
        };
        let mut a = Auditor::new(Policy::permissive(20_000_000), options);
        for e in entries {
            a.push(&e.to_string());
        }
        a.finish()
    }

    fn audit_on(entries: &[Value], policy: &Policy, today: Date) -> Vec<Finding> {
        let options = Options {
            today,
            ack_days: 30,
            pending_days: 14,
            large_anonymous_vnd: 50_000_000,
        };
        let mut a = Auditor::new(policy.clone(), options);
        for e in entries {
            a.push(&e.to_string());
        }
        a.finish()
    }

    #[test]
    fn decree_93_windows_and_support_deadlines_are_found() {
        let campaign = |id: &str, from: &str, to: &str| {
            json!({"campaign_id": id, "name": "Vận động", "kind": "disaster_relief",
                   "starts_on": from, "ends_on": to})
        };
        let mut long = campaign("dai", "2026-01-01", "2026-12-31");
        long["window_reason"] = json!("Xây nhà đại đoàn kết cả năm");
        let on = |campaign: &str, day: &str| {
            let mut g = gift(Some(campaign));
            g["received_on"] = json!(day);
            g
        };
        let support = |id: &str, campaign: &str| {
            json!({"distribution_id": id, "household_id": "ho-1", "support_type": "relief",
                   "cash_vnd": "50000", "decision_ref": "QĐ 5", "campaign_id": campaign})
        };
        // Every entry is recorded on 10 November 2026.
        let mut entries = ledger(&[
            (
                "campaign_opened",
                campaign("bao", "2026-09-01", "2026-10-20"),
            ),
            ("campaign_opened", long),
            (
                "campaign_opened",
                campaign("moi", "2026-11-01", "2026-11-30"),
            ),
            ("donation_cash", on("bao", "2026-10-01")),
            ("donation_cash", gift(Some("moi"))),
            ("campaign_closed", json!({"campaign_id": "moi"})),
            // Long over, and nothing received: nothing is owed.
            (
                "campaign_opened",
                campaign("trong", "2026-08-01", "2026-08-31"),
            ),
            // 90 days, then 91, counting both ends.
            (
                "campaign_opened",
                campaign("chin-muoi", "2026-08-01", "2026-10-29"),
            ),
            (
                "campaign_opened",
                campaign("chin-mot", "2026-08-01", "2026-10-30"),
            ),
            // Receiving closed 21 October: support due by 10 November.
            (
                "campaign_opened",
                campaign("dung-han", "2026-10-01", "2026-10-21"),
            ),
            ("donation_cash", on("dung-han", "2026-10-15")),
            (
                "household_registered",
                json!({"household_id": "ho-1", "commune_code": "PX", "hamlet": "Thôn 2",
                       "category": "poor", "members": 3, "review_year": 2026}),
            ),
            // Seq 13: a day late for "bao"; 14: on the day for "dung-han";
            // 15: in time for "moi"; 16: naming no campaign.
            ("distribution", support("d-bao", "bao")),
            ("distribution", support("d-dung-han", "dung-han")),
            ("distribution", support("d-moi", "moi")),
            (
                "distribution",
                json!({"distribution_id": "d-0", "household_id": "ho-1", "support_type": "relief",
                       "cash_vnd": "1000", "decision_ref": "QĐ 6"}),
            ),
        ]);
        let mut policy = Policy::permissive(20_000_000);
        policy.campaign_max_days = 90;
        policy.distribution_deadline_days = 20;
        let kinds = |found: &[Finding]| -> Vec<(&'static str, &'static str, Vec<u64>)> {
            let mut k: Vec<_> = found
                .iter()
                .filter(|f| f.kind.starts_with("campaign") || f.kind == "support_after_deadline")
                .map(|f| (f.kind, f.severity, f.seqs.clone()))
                .collect();
            k.sort();
            k
        };
        let always = [
            ("campaign_window_extended", "low", vec![2]),
            ("campaign_window_too_long", "medium", vec![9]),
            ("support_after_deadline", "medium", vec![13]),
        ];
        // On 23 November: "bao" received 100,000 until 20 October and gave
        // 50,000 by 9 November; "dung-han" gave 50,000 of 100,000 by the
        // 10th; "moi", closed on 10 November, is due by the 30th; "dai"
        // runs 365 days and says why; "chin-mot" runs 91 and does not.
        let found = audit_on(&entries, &policy, date!(2026 - 11 - 23));
        let mut want = vec![
            ("campaign_support_overdue", "medium", vec![1]),
            ("campaign_support_overdue", "medium", vec![10]),
        ];
        want.extend(always.iter().cloned());
        want.sort();
        assert_eq!(kinds(&found), want, "{found:?}");
        let overdue = found
            .iter()
            .find(|f| f.kind == "campaign_support_overdue")
            .unwrap();
        assert!(
            overdue.message.contains("2026-11-09")
                && overdue.message.contains("received 100000")
                && overdue.message.contains("given 50000"),
            "{}",
            overdue.message
        );
        let late = found
            .iter()
            .find(|f| f.kind == "support_after_deadline")
            .unwrap();
        assert!(
            late.message.contains("2026-11-10, after 2026-11-09"),
            "{}",
            late.message
        );
        // On "bao"'s deadline nothing it holds is late yet.
        let on_time = audit_on(&entries, &policy, date!(2026 - 11 - 09));
        assert_eq!(kinds(&on_time), always.to_vec());
        // Past "moi"'s deadline, counted from the day it was closed (10
        // November), not from the end of its window.
        let later = audit_on(&entries, &policy, date!(2026 - 12 - 01));
        let mut want = vec![
            ("campaign_support_overdue", "medium", vec![1]),
            ("campaign_support_overdue", "medium", vec![3]),
            ("campaign_support_overdue", "medium", vec![10]),
        ];
        want.extend(always.iter().cloned());
        want.sort();
        assert_eq!(kinds(&later), want);
        // The long window without its reason is named as such.
        entries[2]["body"]
            .as_object_mut()
            .unwrap()
            .remove("window_reason");
        let bare = audit_on(&entries, &policy, date!(2026 - 11 - 09));
        assert!(kinds(&bare).contains(&("campaign_window_too_long", "medium", vec![2])));
        // A policy of 400 days finds no window too long; of 0 days past
        // receiving, "dung-han"'s support was late too.
        policy.campaign_max_days = 400;
        policy.distribution_deadline_days = 0;
        let other = audit_on(&entries, &policy, date!(2026 - 11 - 09));
        assert_eq!(
            kinds(&other),
            vec![
                ("campaign_support_overdue", "medium", vec![1]),
                ("campaign_support_overdue", "medium", vec![10]),
                ("support_after_deadline", "medium", vec![13]),
                ("support_after_deadline", "medium", vec![14]),
            ]
        );
    }

    fn gift(campaign: Option<&str>) -> Value {
        let mut g = json!({"donor": {"display": "Lò Thị Xuân", "kind": "individual"}, "amount_vnd": "100000",
                           "channel": "cash", "received_on": "2026-11-05"});
        if let Some(c) = campaign {
            g["campaign_id"] = json!(c);
        }
        g
    }

    #[test]
    fn unfulfilled_sponsorships_of_ended_years_and_reviews_by_the_registrar_are_found() {
        let household = |id: &str| {
            json!({"household_id": id, "commune_code": "PX", "hamlet": "Thôn 2",
                   "category": "poor", "members": 3, "review_year": 2025})
        };
        let sponsorship = |id: &str, year: i32, households: u32| {
            json!({"sponsorship_id": id, "sponsor": {"display": "Công ty ABC", "kind": "organization"},
                   "year": year, "households": households})
        };
        let review = |id: &str, category: &str| {
            json!({"household_id": id, "review_year": 2026, "category": category,
                   "decision_ref": "QĐ 9"})
        };
        // Seqs: 1 the gift; 2, 3 households; 4 to 6 sponsorships; 7 the
        // support; 8 a review out of poverty; 9 one that stays in.
        let entries = ledger(&[
            ("donation_cash", gift(None)),
            ("household_registered", household("ho-1")),
            ("household_registered", household("ho-2")),
            ("sponsorship_registered", sponsorship("sp-2025", 2025, 1)),
            ("sponsorship_registered", sponsorship("sp-thieu", 2026, 2)),
            ("sponsorship_registered", sponsorship("sp-du", 2026, 1)),
            (
                "distribution",
                json!({"distribution_id": "d-1", "household_id": "ho-2", "support_type": "livelihood",
                       "cash_vnd": "50000", "decision_ref": "QĐ 5", "sponsorship_id": "sp-du"}),
            ),
            ("household_reviewed", review("ho-1", "newly_escaped")),
            ("household_reviewed", review("ho-2", "near_poor")),
        ]);
        let policy = Policy::permissive(20_000_000);
        let kinds = |today: Date| -> Vec<(&'static str, Vec<u64>)> {
            let mut k: Vec<_> = audit_on(&entries, &policy, today)
                .into_iter()
                .filter(|f| {
                    f.kind == "sponsorship_unfulfilled" || f.kind == "reviewed_own_household"
                })
                .map(|f| (f.kind, f.seqs))
                .collect();
            k.sort();
            k
        };
        // In 2026, only last year's commitment has had its year.
        assert_eq!(
            kinds(date!(2026 - 12 - 31)),
            [
                ("reviewed_own_household", vec![8]),
                ("sponsorship_unfulfilled", vec![4]),
            ]
        );
        // Once 2026 is over, the one that reached one household of two too.
        assert_eq!(
            kinds(date!(2027 - 01 - 01)),
            [
                ("reviewed_own_household", vec![8]),
                ("sponsorship_unfulfilled", vec![4]),
                ("sponsorship_unfulfilled", vec![5]),
            ]
        );
    }

    #[test]
    fn a_missing_receipt_number_and_a_gift_to_a_closed_campaign_are_found() {
        let mut entries = ledger(&[
            (
                "campaign_opened",
                json!({"campaign_id": "lu-2026", "name": "Lũ", "kind": "disaster_relief",
                                       "starts_on": "2026-11-01", "ends_on": "2026-11-30"}),
            ),
            ("donation_cash", gift(Some("lu-2026"))),
            ("donation_cash", gift(None)),
            ("donation_cash", gift(None)),
            ("campaign_closed", json!({"campaign_id": "lu-2026"})),
            ("donation_cash", gift(None)),
        ]);
        assert!(audit(&entries).is_empty(), "{:?}", audit(&entries));
        // Receipt 000002 vanishes from the ledger; the last gift is made
        // out to the closed campaign.
        entries.remove(3);
        for (seq, e) in entries.iter_mut().enumerate() {
            e["seq"] = json!(seq);
        }
        let last = entries.len() - 1;
        entries[last]["body"]["campaign_id"] = json!("lu-2026");
        let found = audit(&entries);
        let kinds: Vec<&str> = found.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&"receipt_number_gap"), "{found:?}");
        assert!(kinds.contains(&"gift_after_campaign_closed"), "{found:?}");
        assert!(kinds.contains(&"rule_broken"), "{found:?}");
        let gap = found
            .iter()
            .find(|f| f.kind == "receipt_number_gap")
            .unwrap();
        assert!(gap.message.contains("000002"), "{}", gap.message);
        let closed = found
            .iter()
            .find(|f| f.kind == "gift_after_campaign_closed")
            .unwrap();
        assert_eq!(closed.seqs, vec![last as u64]);
    }
}
