//! Where the money went, for a fund or one of its campaigns: what came in
//! and what it paid for, by support type and by commune and hamlet, with
//! the households reached, houses built and Tet gifts given. Households
//! appear by their pseudonymous id only.
//!
//! Computed from the books folded from the ledger; only approved
//! distributions count as spent (pending ones are shown apart, voided and
//! reversed ones not at all).

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    fn merge(&mut self, other: Given) {
        self.distributions += other.distributions;
        self.cash_vnd += other.cash_vnd;
        self.goods_vnd += other.goods_vnd;
        self.reached.extend(other.reached);
        self.households = self.reached.len() as u64;
    }

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

/// Where households live, for the public figures by hamlet (SPEC §9).
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    /// Hamlets kept in private records (households registered from entry
    /// version 2), by household id; the server reads them, nobody else.
    pub private_hamlets: &'a HashMap<String, String>,
    /// Fewest households a hamlet shows; smaller ones are merged into
    /// [`OTHER_HAMLETS`], itself shown only with as many, else counted at
    /// the commune only (under the empty hamlet).
    pub min_households: u64,
}

/// The hamlet the small hamlets of a commune are merged into.
pub const OTHER_HAMLETS: &str = "(các thôn khác)";

/// Where the money went, for the whole fund (`campaign` None) or for one
/// campaign; `None` when there is no such campaign.
pub fn where_it_went(
    book: &Book,
    campaign: Option<&str>,
    places: Places<'_>,
) -> Option<WhereItWent> {
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
            .map(|h| {
                let hamlet = match h.hamlet.as_str() {
                    "" => places
                        .private_hamlets
                        .get(&h.household_id)
                        .cloned()
                        .unwrap_or_default(),
                    public => public.to_owned(),
                };
                (h.commune_code.clone(), hamlet)
            })
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
    suppress_small_hamlets(&mut out.uses.by_place, places.min_households);
    Some(out)
}

/// Merges the hamlets with fewer than `min` households into
/// [`OTHER_HAMLETS`], and that into the commune (the empty hamlet) when it
/// has fewer still: a figure of one or two households in a small hamlet
/// points to the families.
fn suppress_small_hamlets(by_place: &mut BTreeMap<String, BTreeMap<String, Given>>, min: u64) {
    for hamlets in by_place.values_mut() {
        let small: Vec<String> = hamlets
            .iter()
            .filter(|(name, g)| !name.is_empty() && g.households < min)
            .map(|(name, _)| name.clone())
            .collect();
        if small.is_empty() {
            continue;
        }
        let mut other = hamlets.remove(OTHER_HAMLETS).unwrap_or_default();
        for name in small {
            if let Some(g) = hamlets.remove(&name) {
                other.merge(g);
            }
        }
        if other.households >= min {
            hamlets.insert(OTHER_HAMLETS.to_owned(), other);
        } else {
            hamlets.entry(String::new()).or_default().merge(other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(households: &[&str]) -> Given {
        let mut g = Given::default();
        for h in households {
            g.add(h, 100, 0);
        }
        g
    }

    #[test]
    fn hamlets_of_few_households_are_merged_and_never_shown_alone() {
        let mut by_place = BTreeMap::new();
        by_place.insert(
            "PX".to_owned(),
            BTreeMap::from([
                ("Thôn Đông".to_owned(), given(&["a", "b", "c"])),
                ("Thôn Tây".to_owned(), given(&["d", "e"])),
                ("Xóm Bãi".to_owned(), given(&["f"])),
                ("Xóm Cát".to_owned(), given(&["g"])),
            ]),
        );
        by_place.insert(
            "TT".to_owned(),
            BTreeMap::from([("Thôn Một".to_owned(), given(&["h", "i"]))]),
        );
        suppress_small_hamlets(&mut by_place, 3);
        let px = &by_place["PX"];
        assert_eq!(
            px.keys().cloned().collect::<Vec<_>>(),
            ["(các thôn khác)", "Thôn Đông"]
        );
        assert_eq!(px[OTHER_HAMLETS].households, 4);
        assert_eq!(px[OTHER_HAMLETS].distributions, 4);
        assert_eq!(px[OTHER_HAMLETS].cash_vnd, 400);
        // Two households merged are still too few: counted at the commune.
        let tt = &by_place["TT"];
        assert_eq!(tt.keys().cloned().collect::<Vec<_>>(), [""]);
        assert_eq!(tt[""].households, 2);
        // A minimum of 1 shows every hamlet.
        let mut one = BTreeMap::from([(
            "PX".to_owned(),
            BTreeMap::from([("Xóm Bãi".to_owned(), given(&["f"]))]),
        )]);
        suppress_small_hamlets(&mut one, 1);
        assert!(one["PX"].contains_key("Xóm Bãi"));
    }
}
