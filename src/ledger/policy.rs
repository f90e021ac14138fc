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
}

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

    /// A policy with no limits, for tests of other rules.
    pub fn permissive(approval_threshold_vnd: u64) -> Self {
        Self {
            approval_threshold_vnd,
            limits_vnd: BTreeMap::new(),
            eligible: BTreeMap::new(),
            house_support_years_min: 0,
        }
    }
}
