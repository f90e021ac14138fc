//! Effects: [`Book::commit`] applies an entry that [`Book::check`]
//! accepted, and cannot fail; `apply` does (or, for a reversal, undoes)
//! what each kind of entry does to cash, stock and the derived objects.

use rust_decimal::Decimal;

use super::{
    id_str, receipt_parts, vnd, Acknowledgement, At, Book, Campaign, CampaignStatus, Change, Class,
    DistState, DistributionState, Household, PledgeState, PledgeStatus, StockLine,
};
use crate::ledger::ids::{format_date, Id};
use crate::ledger::kinds::goods::StockMove;
use crate::ledger::kinds::programme::Category;
use crate::ledger::kinds::spending::DistributionStatus;
use crate::ledger::kinds::{name_of, Body};
use crate::ledger::money::SumVnd;

impl Book {
    /// Applies the effects of an entry `check` accepted.
    pub fn commit(&mut self, at: At<'_>, body: &Body, change: Change) {
        debug_assert_eq!(at.seq, self.size);
        if let Some(day) = self.day.filter(|d| *d != at.date) {
            self.day_ends.insert(day, self.day_end());
            self.day_outflows.clear();
        }
        self.day = Some(at.date);
        self.size += 1;
        let status = self.outflow_status(body);
        if let Some(value) = status
            .flatten()
            .and_then(|_| self.outflow_value_after(body, change))
        {
            *self.day_outflows.entry(at.actor.to_owned()).or_default() += value;
        }
        if let Body::Distribution(b) = body {
            *self.day_outflows.entry(at.actor.to_owned()).or_default() +=
                SumVnd::try_from(b.total_vnd()).unwrap_or(0);
        }
        let pending = status == Some(Some(DistributionStatus::Pending));
        match body {
            Body::FundOpened(_) => return,
            Body::Reversal(r) => {
                self.file_outflow(at, body, change);
                if !pending {
                    self.undo(at, r.reverses_seq, change, r.reason.as_str());
                }
                return;
            }
            Body::OutflowApproved(o) => {
                self.settle(at, o.of_seq, true, None);
                return;
            }
            Body::OutflowVoided(o) => {
                self.settle(at, o.of_seq, false, Some(o.reason.as_str()));
                return;
            }
            // Neither is reversible, so neither is posted.
            Body::BankAccountOpened(b) => {
                let no = b.account_no.as_str().to_owned();
                self.bank_accounts.insert(
                    no.clone(),
                    super::BankAccount {
                        bank_bin: b.bank_bin.as_str().to_owned(),
                        account_no: no.clone(),
                        account_name: b.account_name.as_str().to_owned(),
                        bank_name: b.bank_name.as_str().to_owned(),
                        opened_seq: at.seq,
                    },
                );
                self.touch("bank_account", no);
                return;
            }
            Body::BankStatementSealed(b) => {
                self.seal_statement(at, b);
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
            | Body::HouseholdReviewed(_)
            | Body::SponsorshipRegistered(_)
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
        self.posted.insert(at.seq, body, change);
        self.file_outflow(at, body, change);
        if pending {
            // Its id is taken now; its effects wait for approval.
            match body {
                Body::TransferOut(b) => self.record_transfer(b.transfer_id.as_ref(), at.seq, true),
                Body::Expense(b) => {
                    self.expenses.insert(id_str(&b.expense_id));
                }
                _ => {}
            }
            return;
        }
        self.apply(at, body, change, 1);
    }

    /// Gives household `id` a class (category, review year, whether a
    /// year's review gave it), or takes back the one the reversed entry
    /// gave; its current class is then its last.
    fn classify(
        &mut self,
        at: At<'_>,
        id: &str,
        (category, review_year, reviewed): (Category, i32, bool),
        forward: bool,
    ) {
        if let Some(h) = self.households.get_mut(id) {
            if forward {
                h.classes.push(Class {
                    seq: at.seq,
                    category,
                    review_year,
                    by: at.actor.to_owned(),
                    on: at.date,
                    reviewed,
                });
            } else {
                // `at.seq` is the reversal; the class to drop is the one
                // the reversed entry added.
                let reversed = self.reversing.unwrap_or(at.seq);
                h.classes.retain(|c| c.seq != reversed);
            }
            h.reclass();
        }
        self.touch("household", id);
    }

    /// Applies (`sign` 1) or undoes (`sign` −1) the effects of `body`.
    pub(super) fn apply(&mut self, at: At<'_>, body: &Body, change: Change, sign: i8) {
        let s = SumVnd::from(sign);
        let forward = sign > 0;
        match body {
            Body::FundOpened(_)
            | Body::Reversal(_)
            | Body::OutflowApproved(_)
            | Body::OutflowVoided(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_) => {}
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
                            closed_on: None,
                            window_reason: b.window_reason.as_ref().map(|r| r.as_str().to_owned()),
                            launched_by: b.launched_by.as_ref().map(|c| c.as_str().to_owned()),
                            opened_seq: at.seq,
                            gifts: 0,
                            cash_received_vnd: 0,
                            goods_received_vnd: 0,
                            pledges: 0,
                            distributions: 0,
                            distributed_cash_vnd: 0,
                            distributed_goods_vnd: 0,
                            window: (b.starts_on.0, b.ends_on.0),
                            reference: b.reference.clone(),
                        },
                    );
                    if let Some(r) = &b.reference {
                        self.references.insert(r.clone(), id.clone());
                    }
                } else {
                    self.campaigns.remove(&id);
                    if let Some(r) = &b.reference {
                        self.references.remove(r);
                    }
                }
                self.touch("campaign", id);
            }
            Body::CampaignClosed(b) => {
                if let Some(c) = self.campaigns.get_mut(b.campaign_id.as_str()) {
                    if forward {
                        c.status = CampaignStatus::Closed;
                        c.closed_reason = b.reason.as_ref().map(|r| r.as_str().to_owned());
                        c.closed_on = Some(format_date(at.date));
                    } else {
                        c.status = CampaignStatus::Open;
                        c.closed_reason = None;
                        c.closed_on = None;
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
                            hamlet: b
                                .hamlet
                                .as_ref()
                                .map(|h| h.as_str().to_owned())
                                .unwrap_or_default(),
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
                                by: at.actor.to_owned(),
                                on: at.date,
                                reviewed: false,
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
                let class = (b.category, b.review_year, false);
                self.classify(at, b.household_id.as_str(), class, forward);
            }
            Body::HouseholdReviewed(b) => {
                let class = (b.category, b.review_year, true);
                self.classify(at, b.household_id.as_str(), class, forward);
            }
            Body::SponsorshipRegistered(b) => {
                let id = id_str(&b.sponsorship_id);
                if forward {
                    self.sponsorships.insert(
                        id.clone(),
                        super::Sponsorship {
                            sponsorship_id: id.clone(),
                            sponsor: b.sponsor.display.as_str().to_owned(),
                            sponsor_kind: name_of(&b.sponsor.kind),
                            year: b.year,
                            households: b.committed(),
                            household_ids: b
                                .household_ids
                                .iter()
                                .map(|h| h.as_str().to_owned())
                                .collect(),
                            value_vnd: b.value_vnd.map(|v| v.get().to_string()),
                            seq: at.seq,
                            distributions: Vec::new(),
                        },
                    );
                } else {
                    self.sponsorships.remove(&id);
                }
                self.touch("sponsorship", id);
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
                        sponsorship_id: b.sponsorship_id.as_ref().map(|c| c.as_str().to_owned()),
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
                        day: at.date,
                    };
                    self.distribution_at.insert(at.seq, id.clone());
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
                    if let Some(sp) = &b.sponsorship_id {
                        if let Some(s) = self.sponsorships.get_mut(sp.as_str()) {
                            s.distributions.push(id.clone());
                        }
                        self.touch("sponsorship", sp.as_str());
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
                self.approve_distribution(b.distribution_id.as_str(), at, sign);
            }
            Body::DistributionVoided(b) => {
                let brought_back = (!forward).then_some(change.from_earmark_vnd);
                self.void_distribution(
                    b.distribution_id.as_str(),
                    b.reason.as_str(),
                    brought_back,
                    sign,
                );
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

    /// Approves (`sign` 1) a pending distribution, or takes its approval
    /// back (−1).
    pub(super) fn approve_distribution(&mut self, id: &str, at: At<'_>, sign: i8) {
        let s = SumVnd::from(sign);
        if let Some(d) = self.distributions.get(id).cloned() {
            self.reserve(&d, -s);
            self.spend(&d, s);
            if let Some(d) = self.distributions.get_mut(id) {
                if sign > 0 {
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
        self.touch("distribution", id.to_owned());
    }

    /// Voids (`sign` 1) a pending distribution, or brings a voided one
    /// back (−1), drawing `from_earmark` of its cash from its earmark.
    pub(super) fn void_distribution(
        &mut self,
        id: &str,
        reason: &str,
        from_earmark: Option<u64>,
        sign: i8,
    ) {
        let s = SumVnd::from(sign);
        if let Some(mut d) = self.distributions.get(id).cloned() {
            if let Some(e) = from_earmark {
                d.from_earmark_vnd = vnd(e);
            }
            self.reserve(&d, -s);
            if let Some(stored) = self.distributions.get_mut(id) {
                stored.from_earmark_vnd = d.from_earmark_vnd;
                if sign > 0 {
                    stored.status = DistState::Voided;
                    stored.voided_reason = Some(reason.to_owned());
                    if self.day == Some(stored.day) {
                        if let Some(t) = self.day_outflows.get_mut(&stored.recorded_by) {
                            *t -= stored.cash_vnd + stored.goods_vnd;
                        }
                    }
                } else {
                    stored.status = DistState::Pending;
                    stored.voided_reason = None;
                }
            }
        }
        self.touch("distribution", id.to_owned());
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
    fn move_stock<L: StockMove>(&mut self, items: &[L], sign: i8, reserved: bool) {
        let s = Decimal::from(sign);
        for l in items {
            let line = self
                .stock
                .entry(l.item().to_owned())
                .or_insert_with(|| StockLine {
                    item: l.item().to_owned(),
                    unit: l.unit().to_owned(),
                    quantity: Decimal::ZERO,
                    reserved: Decimal::ZERO,
                    value_vnd: 0,
                    reserved_value_vnd: 0,
                });
            let value = vnd(l.value()) * SumVnd::from(sign);
            if reserved {
                line.reserved = (line.reserved + l.quantity() * s).normalize();
                line.reserved_value_vnd += value;
            } else {
                line.quantity = (line.quantity + l.quantity() * s).normalize();
                line.value_vnd += value;
            }
            let item = l.item().to_owned();
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

    fn seal_statement(&mut self, at: At<'_>, b: &crate::ledger::kinds::bank::BankStatementSealed) {
        let sum = |v: crate::ledger::values::Vnd| SumVnd::from(v.get());
        self.statements.insert(
            at.seq,
            super::SealedStatement {
                seq: at.seq,
                statement_id: b.statement_id.as_str().to_owned(),
                account_no: b.account_no.as_str().to_owned(),
                layout: b.layout.as_str().to_owned(),
                first_day: format_date(b.first_day.0),
                last_day: format_date(b.last_day.0),
                lines: b.lines,
                credit_lines: b.credit_lines,
                credits_vnd: sum(b.credits_vnd),
                debits_vnd: sum(b.debits_vnd),
                opening_balance_vnd: sum(b.opening_balance_vnd),
                closing_balance_vnd: sum(b.closing_balance_vnd),
                gifts: b.gifts,
                gifts_vnd: sum(b.gifts_vnd),
                not_gift_lines: b.not_gifts.len() as u64,
                not_gifts_vnd: b.not_gifts.iter().map(|n| sum(n.amount_vnd)).sum(),
                review_credit_lines: b.review_credit_lines,
                review_credits_vnd: sum(b.review_credits_vnd),
                file_sha256: b.file_sha256.as_str().to_owned(),
            },
        );
        self.touch("bank_statement", at.seq.to_string());
    }
}
