//! The committee's distribution policy: who may receive what, how much at
//! most, and from what amount a second person must approve.
//!
//! Policy is judged when an entry is written. Replaying the ledger later
//! does not judge it again, since the policy in force then may differ from
//! today's; the ledger rules (balances, stock, eligibility of known
//! households, approvals by another person) are checked on replay too.

use std::collections::BTreeMap;

use super::kinds::programme::Category;
use super::kinds::SupportType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Distributions worth this much or more (cash plus goods) are pending
    /// until an approver approves them.
    pub approval_threshold_vnd: u64,
    /// Most one distribution of each support type may be worth. A type
    /// missing here has no limit.
    pub limits_vnd: BTreeMap<SupportType, u64>,
    /// The categories each support type may go to. A type missing here may
    /// go to every category.
    pub eligible: BTreeMap<SupportType, Vec<Category>>,
    /// Fewest whole years between two house supports (new or repair) to
    /// one household.
    pub house_support_years_min: i32,
    /// Days over which outflows to one household add up towards the
    /// approval threshold (SPEC §9).
    pub aggregate_window_days: u32,
    /// Days in which a distribution to a household registered or
    /// reclassified by the same person is pending, whatever its size.
    pub fresh_household_days: u32,
    /// Fewest households a hamlet shows in public figures.
    pub min_public_households: u32,
    /// Funds beyond the committee tree that transfers may go to.
    pub transfer_counterparties: Vec<String>,
    /// Longest receiving window of a campaign, in days counted from
    /// `starts_on` through `ends_on` (Decree 93/2021: 90), unless the
    /// campaign records a `window_reason`.
    pub campaign_max_days: u32,
    /// Days after receiving closes within which a campaign's support is
    /// given (Decree 93/2021: 20).
    pub distribution_deadline_days: u32,
}

/// Most `campaign_max_days` may be: ten years.
pub const CAMPAIGN_MAX_DAYS_MAX: u32 = 3_660;

impl Policy {
    /// Reads the settings' string-keyed tables, naming the first bad key.
    pub fn from_settings(
        approval_threshold_vnd: u64,
        limits_vnd: &BTreeMap<String, u64>,
        eligible: &BTreeMap<String, Vec<String>>,
        house_support_years_min: i32,
    ) -> Result<Self, String> {
        fn parse<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, String> {
            serde_json::from_value(serde_json::Value::from(s))
                .map_err(|_| format!("policy: {s:?} is not a known {what}"))
        }
        let mut p = Self {
            approval_threshold_vnd,
            limits_vnd: BTreeMap::new(),
            eligible: BTreeMap::new(),
            house_support_years_min,
            ..Self::permissive(approval_threshold_vnd)
        };
        for (k, v) in limits_vnd {
            p.limits_vnd.insert(parse(k, "support type")?, *v);
        }
        for (k, cats) in eligible {
            let cats = cats
                .iter()
                .map(|c| parse(c, "household category"))
                .collect::<Result<Vec<Category>, _>>()?;
            p.eligible.insert(parse(k, "support type")?, cats);
        }
        if !(0..=50).contains(&house_support_years_min) {
            return Err("policy: house_support_years_min must be from 0 to 50".into());
        }
        Ok(p)
    }

    pub fn is_eligible(&self, support: SupportType, category: Category) -> bool {
        self.eligible
            .get(&support)
            .is_none_or(|cats| cats.contains(&category))
    }

    /// Whether a fund of the committee at `from` (a committee path,
    /// `/HN/PX/`) may transfer to fund `to_fund` of the committee at `to`
    /// (SPEC §9): its own committee's other funds, its parent's, its
    /// children's and its siblings', or a fund the policy lists.
    pub fn may_transfer(&self, from: &str, to: &str, to_fund: &str) -> bool {
        let up = |p: &str| -> Option<String> {
            let trimmed = p.strip_suffix('/')?;
            let cut = trimmed.rfind('/')?;
            (cut > 0).then(|| trimmed[..=cut].to_owned())
        };
        let (from_up, to_up) = (up(from), up(to));
        from == to
            || from_up.as_deref() == Some(to)
            || to_up.as_deref() == Some(from)
            || (from_up.is_some() && from_up == to_up)
            || self.transfer_counterparties.iter().any(|f| f == to_fund)
    }

    /// A policy with no limits, for tests of other rules.
    pub fn permissive(approval_threshold_vnd: u64) -> Self {
        Self {
            approval_threshold_vnd,
            limits_vnd: BTreeMap::new(),
            eligible: BTreeMap::new(),
            house_support_years_min: 0,
            aggregate_window_days: 30,
            fresh_household_days: 30,
            min_public_households: 3,
            transfer_counterparties: Vec::new(),
            campaign_max_days: CAMPAIGN_MAX_DAYS_MAX,
            distribution_deadline_days: 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_go_along_the_committee_tree_or_to_listed_funds() {
        let mut p = Policy::permissive(1);
        let ok = |p: &Policy, from: &str, to: &str| p.may_transfer(from, to, "X-VNN");
        assert!(ok(&p, "/HN/", "/HN/"), "the committee's own other funds");
        assert!(ok(&p, "/HN/PX/", "/HN/"), "to the parent");
        assert!(ok(&p, "/HN/", "/HN/PX/"), "to a child");
        assert!(ok(&p, "/HN/PX/", "/HN/TT/"), "to a sibling");
        assert!(
            !ok(&p, "/HN/PX/", "/HCM/Q1/"),
            "a commune of another province"
        );
        assert!(!ok(&p, "/HN/", "/HCM/"), "provinces are not siblings");
        assert!(!ok(&p, "/HN/PX/A/", "/HN/"), "not a grandparent");
        assert!(!ok(&p, "/HN/", "/HN/PX/A/"), "not a grandchild");
        assert!(!ok(&p, "/HN/PX/A/", "/HN/TT/B/"), "not a cousin");
        p.transfer_counterparties = vec!["X-VNN".into()];
        assert!(ok(&p, "/HN/PX/", "/HCM/Q1/"), "a listed fund");
        assert!(!p.may_transfer("/HN/PX/", "/HCM/Q1/", "Y-VNN"));
    }
}
