//! Where the money went, for a fund or one of its campaigns: what came in
//! and what it paid for, by support type and by commune and hamlet, with
//! the households reached, houses built and Tet gifts given. Households
//! appear by their pseudonymous id only.
//!
//! Computed from the books folded from the ledger; only approved
//! distributions count as spent (pending ones are shown apart, voided and
//! reversed ones not at all).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::book::{Book, DistState};
use super::kinds::{name_of, SupportType};
use super::money::as_string;
use super::money::SumVnd;

/// Money and goods given, and to how many.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Given {
    pub distributions: u64,
    pub households: u64,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
    #[serde(skip)]
    reached: BTreeSet<String>,
}

impl Given {
    fn add(&mut self, household: &str, cash: SumVnd, goods: SumVnd) {
        self.distributions += 1;
        self.cash_vnd += cash;
        self.goods_vnd += goods;
        if self.reached.insert(household.to_owned()) {
            self.households += 1;
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Came {
    pub gifts: u64,
    #[serde(with = "as_string")]
    pub cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub goods_vnd: SumVnd,
    /// Fund only: money received from other funds.
    #[serde(with = "as_string")]
    pub transfers_in_vnd: SumVnd,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Went {
    pub total: Given,
    pub by_support_type: BTreeMap<String, Given>,
    /// By commune, then hamlet.
    pub by_place: BTreeMap<String, BTreeMap<String, Given>>,
    pub houses_built: u64,
    pub houses_repaired: u64,
    pub tet_gifts: u64,
    /// Fund only.
    #[serde(with = "as_string")]
    pub transfers_out_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub expenses_vnd: SumVnd,
}

/// Where the money of a fund, or of one campaign, went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhereItWent {
    pub campaign_id: Option<String>,
    pub sources: Came,
    pub uses: Went,
    /// Approved and waiting for approval, not yet spent.
    pub pending: Given,
    /// Fund only: cash left, and stock left at its stated value.
    #[serde(with = "as_string")]
    pub balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub stock_value_vnd: SumVnd,
}

/// Where the money went, for the whole fund (`campaign` None) or for one
/// campaign; `None` when there is no such campaign.
pub fn where_it_went(book: &Book, campaign: Option<&str>) -> Option<WhereItWent> {
    let mut out = WhereItWent {
        campaign_id: campaign.map(str::to_owned),
        sources: Came::default(),
        uses: Went::default(),
        pending: Given::default(),
        balance_vnd: 0,
        stock_value_vnd: 0,
    };
    match campaign {
        Some(id) => {
            let c = book.campaigns.get(id)?;
            out.sources.gifts = c.gifts;
            out.sources.cash_vnd = c.cash_received_vnd;
            out.sources.goods_vnd = c.goods_received_vnd;
        }
        None => {
            let t = &book.totals;
            out.sources.gifts = t.gifts;
            out.sources.cash_vnd = t.cash_received_vnd;
            out.sources.goods_vnd = t.goods_received_vnd;
            out.sources.transfers_in_vnd = t.transfers_in_vnd;
            out.uses.transfers_out_vnd = t.transfers_out_vnd;
            out.uses.expenses_vnd = t.expenses_vnd;
            out.balance_vnd = book.balance_vnd;
            out.stock_value_vnd = book.stock.values().map(|l| l.value_vnd).sum();
        }
    }
    for d in book.distributions.values() {
        if campaign.is_some() && d.campaign_id.as_deref() != campaign {
            continue;
        }
        match d.status {
            DistState::Approved => {}
            DistState::Pending => {
                out.pending.add(&d.household_id, d.cash_vnd, d.goods_vnd);
                continue;
            }
            DistState::Voided | DistState::Reversed => continue,
        }
        let u = &mut out.uses;
        u.total.add(&d.household_id, d.cash_vnd, d.goods_vnd);
        u.by_support_type
            .entry(name_of(&d.support_type))
            .or_default()
            .add(&d.household_id, d.cash_vnd, d.goods_vnd);
        let (commune, hamlet) = book
            .households
            .get(&d.household_id)
            .map(|h| (h.commune_code.clone(), h.hamlet.clone()))
            .unwrap_or_default();
        u.by_place
            .entry(commune)
            .or_default()
            .entry(hamlet)
            .or_default()
            .add(&d.household_id, d.cash_vnd, d.goods_vnd);
        match d.support_type {
            SupportType::HouseNew => u.houses_built += 1,
            SupportType::HouseRepair => u.houses_repaired += 1,
            SupportType::TetGift => u.tet_gifts += 1,
            _ => {}
        }
    }
    Some(out)
}
