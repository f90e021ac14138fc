//! Where the money goes: distributions to households and their approval,
//! handover and voiding; transfers between funds; expenses.

use serde::{Deserialize, Serialize};
use time::Date;

use super::goods::{check_items, ItemLine};
use super::{past_day, KindBody, SupportType};
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{Code, Id};
use crate::ledger::money::AmountVnd;
use crate::ledger::values::{Day, LongText, Name, Sha256Hex, Vnd};

/// Where a distribution stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStatus {
    /// Counts as spent.
    Approved,
    /// Waits for an approver; reserves its cash and goods.
    Pending,
}

/// Support handed to one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<Id>,
    pub household_id: Id,
    pub support_type: SupportType,
    pub cash_vnd: Vnd,
    #[serde(default)]
    pub items: Vec<ItemLine>,
    pub decision_ref: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    /// Set by the server from the approval threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DistributionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for Distribution {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        if self.status.is_some() {
            e.push(
                "body.status",
                "is set by the server: pending at or above the approval threshold, approved below",
            );
        }
        check_items(&self.items, "body.items", e);
        if self.cash_vnd.get() == 0 && self.items.is_empty() {
            e.push(
                "body.cash_vnd",
                "a distribution must hand out cash, goods or both",
            );
        }
    }
}

impl Distribution {
    /// Value of the goods, in đồng.
    pub fn goods_vnd(&self) -> u128 {
        self.items
            .iter()
            .map(|l| u128::from(l.value_vnd.get()))
            .sum()
    }

    /// Cash plus goods, what policy limits and the threshold look at.
    pub fn total_vnd(&self) -> u128 {
        u128::from(self.cash_vnd.get()) + self.goods_vnd()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionApproved {
    pub distribution_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_ref: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionVoided {
    pub distribution_id: Id,
    pub reason: LongText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// How the household confirmed the handover (biên bản bàn giao).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckMethod {
    Signature,
    Thumbprint,
    Witness,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionAcknowledged {
    pub distribution_id: Id,
    pub method: AckMethod,
    pub acknowledged_on: Day,
    /// SHA-256 of the scanned handover record, kept off the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<Sha256Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for DistributionAcknowledged {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        past_day(self.acknowledged_on, "body.acknowledged_on", today, e);
    }
}

/// Money moved between two funds; the same body is written as
/// `transfer_out` in the sending fund and `transfer_in` in the receiving
/// one, each naming the other as counterparty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<Id>,
    pub counterparty_fund: Code,
    pub amount_vnd: AmountVnd,
    pub decision_ref: Name,
    pub purpose: LongText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// What an expense paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseCategory {
    BankFee,
    Transport,
    Event,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expense {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense_id: Option<Id>,
    pub category: ExpenseCategory,
    pub amount_vnd: AmountVnd,
    pub decision_ref: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// Nothing beyond its types: the distribution is checked against the books.
impl KindBody for DistributionApproved {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: the distribution is checked against the books.
impl KindBody for DistributionVoided {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: its amount and counterpart are read by serde and checked against the books.
impl KindBody for Transfer {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: its amount is read by serde and checked against the books.
impl KindBody for Expense {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}
