//! Reversal: which entries may be reversed and when ([`Book::check`] asks
//! `check_reversal`), and undoing one ([`Book::commit`] calls `undo`),
//! which applies the reversed entry's effects backwards.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{
    broken, id_str, split_cash, stock_short, vnd, At, Book, Broken, Change, DistState, Earmark,
    ReversalState,
};
use crate::ledger::kinds::goods::StockMove;
use crate::ledger::kinds::{name_of, Body};

impl Book {
    pub(super) fn check_reversal(&self, at: At<'_>, seq: u64) -> Result<Change, Broken> {
        let f = "body.reverses_seq";
        if seq >= at.seq {
            return Err(broken(
                "unknown_entry",
                f,
                format!("entry {seq} does not exist yet"),
            ));
        }
        self.waiting(seq)?;
        if let Some(r) = self.reversals.get(&seq) {
            return Err(broken(
                "already_reversed",
                f,
                format!("entry {seq} was reversed already, by entry {}", r.by_seq),
            ));
        }
        let Some((body, change)) = self.posted_entry(seq) else {
            return Err(broken(
                "not_reversible",
                f,
                format!("entry {seq} cannot be reversed: a fund's opening, reversals and the settling of outflows stay; record a new entry instead"),
            ));
        };
        let none = Ok(Change::default());
        match &body {
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
                            amount,
                            free.max(0)
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
                if let Some(s) = self
                    .sponsorships
                    .values()
                    .find(|s| s.household_ids.contains(&h.household_id))
                {
                    return Err(broken(
                        "household_in_use",
                        f,
                        format!(
                            "household {:?} is named by sponsorship {:?}",
                            h.household_id, s.sponsorship_id
                        ),
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
                    // The household signed for it: the handover stands
                    // until its record is reversed, whichever entry
                    // approved it (its own, under the threshold).
                    DistState::Approved if d.acknowledged.is_some() => Err(broken(
                        "acknowledged",
                        f,
                        "the household acknowledged this distribution; reverse the acknowledgement first",
                    )),
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
            Body::SponsorshipRegistered(b) => {
                let s = held(
                    &self.sponsorships,
                    id_str(&b.sponsorship_id).as_str(),
                    "sponsorship",
                )?;
                // Any distribution, voided or reversed too: a void can be
                // reversed, and would bring back one naming nothing.
                if !s.distributions.is_empty() {
                    return Err(broken(
                        "sponsorship_in_use",
                        f,
                        format!(
                            "sponsorship {:?} is named by distributions; it stands, as a campaign with distributions does",
                            s.sponsorship_id
                        ),
                    ));
                }
                none
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
                Ok(change)
            }
            Body::FundOpened(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_)
            | Body::CampaignClosed(_)
            | Body::PledgeCancelled(_)
            | Body::HouseholdReclassified(_)
            | Body::HouseholdReviewed(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::Expense(_)
            | Body::Reversal(_)
            | Body::OutflowApproved(_)
            | Body::OutflowVoided(_)
            | Body::PeriodClosed(_) => none,
        }
    }

    fn stock_available_for<L: StockMove>(&self, items: &[L], f: &str) -> Result<(), Broken> {
        let mut wanted: BTreeMap<&str, Decimal> = BTreeMap::new();
        for l in items {
            *wanted.entry(l.item()).or_default() += l.quantity();
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

    pub(super) fn undo(&mut self, at: At<'_>, seq: u64, change: Change, reason: &str) {
        let Some((body, posted_change)) = self.posted_entry(seq) else {
            return;
        };
        // A voided distribution brought back reserves again, split as
        // `check` found; everything else is undone with the figures it was
        // done with.
        let change = match body {
            Body::DistributionVoided(_) => change,
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
            | Body::Distribution(_)
            | Body::DistributionApproved(_)
            | Body::DistributionAcknowledged(_)
            | Body::TransferOut(_)
            | Body::TransferIn(_)
            | Body::Expense(_)
            | Body::StockAdjusted(_)
            | Body::Reversal(_)
            | Body::OutflowApproved(_)
            | Body::OutflowVoided(_)
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
