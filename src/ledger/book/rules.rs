//! The rules: [`Book::check`] looks at an entry against the books and
//! either refuses it, naming the rule it breaks, or returns the figures
//! its effects need. It changes nothing.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::Date;

use super::{
    broken, receipt_parts, split_cash, stock_short, vnd, At, Book, Broken, Campaign,
    CampaignStatus, Change, DistState, DistributionState, Household, PledgeState, PledgeStatus,
    StockLine,
};
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{format_date, Id};
use crate::ledger::kinds::bank::BankStatementSealed;
use crate::ledger::kinds::goods::{is_reference, StockMove};
use crate::ledger::kinds::programme::CAMPAIGN_REFERENCE_LEN_MAX;
use crate::ledger::kinds::{name_of, Body};
use crate::ledger::money::{AmountVnd, SumVnd};
use crate::ledger::values::round_vnd;

impl Book {
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
                if let Some(r) = &b.reference {
                    let well_formed = r.len() <= CAMPAIGN_REFERENCE_LEN_MAX && is_reference(r);
                    if !well_formed || self.references.contains_key(r) {
                        return Err(broken(
                            "duplicate_reference",
                            "body.reference",
                            format!("reference {r:?} is not up to 12 of A-Z and 0-9, or names a pledge or campaign of this fund already"),
                        ));
                    }
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
                self.bounded(
                    at,
                    self.totals.cash_received_vnd,
                    b.amount_vnd.get(),
                    "body.amount_vnd",
                )?;
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
                self.bounded(
                    at,
                    self.totals.goods_received_vnd,
                    b.total_value_vnd.get(),
                    "body.total_value_vnd",
                )?;
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
                if at.v >= super::FOUR_EYES_VERSION && b.hamlet.is_some() {
                    return Err(broken(
                        "hamlet_public",
                        "body.hamlet",
                        "from entry version 2 a household's hamlet is kept in its private record",
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
            Body::HouseholdReviewed(b) => {
                let h = self.household(&b.household_id)?;
                if let Some(c) = h
                    .classes
                    .iter()
                    .find(|c| c.reviewed && c.review_year == b.review_year)
                {
                    return Err(broken(
                        "review_recorded",
                        "body.review_year",
                        format!(
                            "the household's review for {} is entry {}; reverse it to correct it",
                            b.review_year, c.seq
                        ),
                    ));
                }
                if b.review_year <= h.review_year {
                    return Err(broken(
                        "review_year_order",
                        "body.review_year",
                        format!(
                            "the household was last classed for {}; a review is of a later year than {} (correct a class with household_reclassified)",
                            h.review_year, b.review_year
                        ),
                    ));
                }
                none
            }
            Body::SponsorshipRegistered(b) => {
                let id = required(&b.sponsorship_id, "body.sponsorship_id")?;
                if self.sponsorships.contains_key(id) {
                    return Err(broken(
                        "duplicate_id",
                        "body.sponsorship_id",
                        format!("sponsorship {id:?} exists already"),
                    ));
                }
                for (i, h) in b.household_ids.iter().enumerate() {
                    if !self.households.contains_key(h.as_str()) {
                        return Err(broken(
                            "unknown_household",
                            &format!("body.household_ids[{i}]"),
                            format!("household {:?} is not registered in this fund", h.as_str()),
                        ));
                    }
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
                if let Some(sp) = &b.sponsorship_id {
                    self.sponsored(sp, &b.household_id, at.date.year())?;
                }
                if b.status.is_none() {
                    return Err(broken(
                        "status_missing",
                        "body.status",
                        "the server sets a distribution's status",
                    ));
                }
                self.units_match(&b.items, "body.items", true)?;
                if at.v >= super::FOUR_EYES_VERSION {
                    self.check_values_out(&b.items, "body.items")?;
                }
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
                if let Body::TransferIn(_) = body {
                    self.bounded(
                        at,
                        self.totals.transfers_in_vnd,
                        b.amount_vnd.get(),
                        "body.amount_vnd",
                    )?;
                }
                if matches!(body, Body::TransferOut(_)) {
                    self.four_eyes_fields(
                        at,
                        b.status,
                        b.transfer_id.as_ref(),
                        "body.transfer_id",
                    )?;
                    split_cash(self, vnd(b.amount_vnd.get()), None, "body.amount_vnd")?;
                } else if b.status.is_some() {
                    return Err(broken(
                        "status_unexpected",
                        "body.status",
                        "a transfer_in is not an outflow and carries no status",
                    ));
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
                self.four_eyes_fields(at, b.status, b.expense_id.as_ref(), "body.expense_id")?;
                split_cash(self, vnd(b.amount_vnd.get()), None, "body.amount_vnd")?;
                none
            }
            Body::StockAdjusted(b) => {
                let line = self.adjusted_line(b)?;
                let delta = b.quantity_delta.0;
                if -delta > line.available() {
                    return Err(stock_short(line, -delta, "body.quantity_delta"));
                }
                self.four_eyes_fields(
                    at,
                    b.status,
                    b.adjustment_id.as_ref(),
                    "body.adjustment_id",
                )?;
                let value_delta_vnd = self.adjustment_value(b, at.v)?;
                Ok(Change {
                    from_earmark_vnd: 0,
                    value_delta_vnd,
                })
            }
            Body::Reversal(b) => {
                if self.reverses_money(b) {
                    self.four_eyes_fields(
                        at,
                        b.status,
                        b.reversal_id.as_ref(),
                        "body.reversal_id",
                    )?;
                } else if b.status.is_some() {
                    return Err(broken(
                        "status_unexpected",
                        "body.status",
                        "only the reversal of a gift or a transfer is an outflow with a status",
                    ));
                }
                self.check_reversal(at, b.reverses_seq)
            }
            Body::OutflowApproved(b) => self.check_settle(at, b.of_seq, true),
            Body::OutflowVoided(b) => self.check_settle(at, b.of_seq, false),
            Body::BankAccountOpened(b) => {
                if self.bank_accounts.contains_key(b.account_no.as_str()) {
                    return Err(broken(
                        "duplicate_account",
                        "body.account_no",
                        format!("account {} is this fund's already", b.account_no.as_str()),
                    ));
                }
                none
            }
            Body::BankStatementSealed(b) => self.check_seal(at, b),
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
                            end.balance_vnd
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

    /// From entry version 2 a fund's figures are bounded (SPEC §9): what
    /// comes in may not take its balance, or the total it adds to, above
    /// [`FUND_TOTAL_MAX_VND`]. No real fund comes near; the bound keeps
    /// every figure an exact 64-bit number wherever it is read.
    fn bounded(&self, at: At<'_>, total: SumVnd, amount: u64, field: &str) -> Result<(), Broken> {
        let amount = vnd(amount);
        if at.v >= super::FOUR_EYES_VERSION
            && (total + amount > FUND_TOTAL_MAX_VND
                || self.balance_vnd + amount > FUND_TOTAL_MAX_VND)
        {
            return Err(broken(
                "fund_total_bound",
                field,
                format!("a fund's figures stay within {FUND_TOTAL_MAX_VND} đồng"),
            ));
        }
        Ok(())
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

    /// The sponsorship `id`, of the `year` the distribution is recorded
    /// in, which must reach `household` if it names its households.
    fn sponsored(&self, id: &Id, household: &Id, year: i32) -> Result<(), Broken> {
        let f = "body.sponsorship_id";
        let Some(s) = self.sponsorships.get(id.as_str()) else {
            return Err(broken(
                "unknown_sponsorship",
                f,
                format!(
                    "sponsorship {:?} is not registered in this fund",
                    id.as_str()
                ),
            ));
        };
        if s.year != year {
            return Err(broken(
                "sponsorship_year",
                f,
                format!(
                    "sponsorship {:?} is a commitment for {}; support recorded in {year} does not fulfil it",
                    id.as_str(),
                    s.year
                ),
            ));
        }
        if !s.household_ids.is_empty() && !s.household_ids.iter().any(|h| h == household.as_str()) {
            return Err(broken(
                "not_sponsored",
                f,
                format!(
                    "sponsorship {:?} names its households, and {:?} is not one of them",
                    id.as_str(),
                    household.as_str()
                ),
            ));
        }
        Ok(())
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
    fn units_match<L: StockMove>(
        &self,
        items: &[L],
        field: &str,
        taking: bool,
    ) -> Result<(), Broken> {
        let mut wanted: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (i, line) in items.iter().enumerate() {
            let f = format!("{field}[{i}]");
            match self.stock.get(line.item()) {
                Some(s) if s.unit != line.unit() => {
                    return Err(broken(
                        "unit_mismatch",
                        &format!("{f}.unit"),
                        format!("{} is counted in {:?}", line.item(), s.unit),
                    ))
                }
                None if taking => {
                    return Err(broken(
                        "stock_insufficient",
                        &format!("{f}.item"),
                        format!("there is no {} in stock", line.item()),
                    ))
                }
                _ => {}
            }
            *wanted.entry(line.item()).or_default() += line.quantity();
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
}

/// Most a fund's balance or one of its totals may reach, from entry
/// version 2: 10^18 đồng, a thousand times the largest single amount.
pub const FUND_TOTAL_MAX_VND: SumVnd = 1_000_000_000_000_000_000;

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
pub(super) fn adjustment_value(
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

impl Book {
    /// A statement's seal: its own figures add up, its account is the
    /// fund's, and every gift it names is a live bank transfer gift on the
    /// ledger before it, their amounts summing to the sealed gift total.
    fn check_seal(&self, at: At<'_>, b: &BankStatementSealed) -> Result<Change, Broken> {
        // Bounded first: the figures' Merkle root walks every seq named.
        if b.gift_seqs.last().is_some_and(|last| last >= at.seq) {
            return Err(broken(
                "seal_mismatch",
                "body.gift_seqs",
                format!("a seal at entry {} names only entries before it", at.seq),
            ));
        }
        if let Some(other) = self
            .statements
            .values()
            .find(|st| st.statement_id == b.statement_id.as_str())
        {
            return Err(broken(
                "duplicate_statement",
                "body.statement_id",
                format!(
                    "statement {} is sealed already, by entry {}",
                    other.statement_id, other.seq
                ),
            ));
        }
        let mut e = FieldErrors::default();
        b.check_figures(&mut e);
        if let Some(f) = e.0.into_iter().next() {
            return Err(broken("seal_mismatch", &f.field, f.message));
        }
        if !self.bank_accounts.contains_key(b.account_no.as_str()) {
            return Err(broken(
                "unknown_account",
                "body.account_no",
                format!(
                    "account {} is not one of this fund's",
                    b.account_no.as_str()
                ),
            ));
        }
        let mut sum: u128 = 0;
        for seq in b.gift_seqs.iter() {
            // Every seq is before the seal: bounded above.
            let gift = (!self.reversals.contains_key(&seq))
                .then(|| self.posted.get(seq))
                .flatten()
                .and_then(|p| p.bank_gift());
            // A gift the statement's line is was received within it.
            let gift = gift.filter(|(_, day)| (b.first_day..=b.last_day).contains(day));
            let Some((amount, _)) = gift else {
                return Err(broken(
                    "seal_mismatch",
                    "body.gift_seqs",
                    format!("entry {seq} is not a standing bank transfer gift of this fund received within the statement's days"),
                ));
            };
            sum += u128::from(amount);
        }
        if sum != u128::from(b.gifts_vnd.get()) {
            return Err(broken(
                "seal_mismatch",
                "body.gifts_vnd",
                format!("the gifts named add up to {sum} đồng"),
            ));
        }
        Ok(Change::default())
    }
}
