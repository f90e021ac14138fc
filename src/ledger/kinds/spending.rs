//! Where the money goes: distributions to households and their approval,
//! handover and voiding; transfers between funds; expenses.

use serde::{Deserialize, Serialize};
use time::Date;

use super::goods::{check_out_lines, OutLine};
use super::{past_day, KindBody, SupportType};
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{Code, Id};
use crate::ledger::money::AmountVnd;
use crate::ledger::values::{Day, LongText, Name, Sha256Hex, Vnd};

/// Where an outflow stands when it is written (SPEC §9): the same two
/// values as a distribution's status.
pub type OutflowStatus = DistributionStatus;

/// Refuses a status a client sent: the server sets it.
pub fn server_status(status: Option<OutflowStatus>, e: &mut FieldErrors) {
    if status.is_some() {
        e.push(
            "body.status",
            "is set by the server: pending at or above the approval threshold, approved below",
        );
    }
}

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
    pub items: Vec<OutLine>,
    pub decision_ref: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    /// The sponsorship it fulfils (SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsorship_id: Option<Id>,
    /// Set by the server from the approval threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DistributionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for Distribution {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        server_status(self.status, e);
        check_out_lines(&self.items, "body.items", e);
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
        self.items.iter().map(|l| u128::from(l.value())).sum()
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
    /// Set by the server on a `transfer_out` from entry version 2; a
    /// `transfer_in` carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OutflowStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// Longest `purpose` of a transfer a client writes (SPEC §9).
pub const PURPOSE_CHARS_MAX: usize = 500;

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
    /// Set by the server from entry version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OutflowStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A second person's approval of a pending outflow (SPEC §9), named by
/// the seq of its entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutflowApproved {
    pub of_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_ref: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A pending outflow that will not happen, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutflowVoided {
    pub of_seq: u64,
    pub reason: LongText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// Nothing beyond its types: the outflow is checked against the books.
impl KindBody for OutflowApproved {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: the outflow is checked against the books.
impl KindBody for OutflowVoided {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: the distribution is checked against the books.
impl KindBody for DistributionApproved {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Nothing beyond its types: the distribution is checked against the books.
impl KindBody for DistributionVoided {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// The server sets the status; a client's purpose is at most 500
/// characters. The amount and counterpart are checked against the books.
impl KindBody for Transfer {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        server_status(self.status, e);
        let n = self.purpose.as_str().chars().count();
        if n > PURPOSE_CHARS_MAX {
            e.push(
                "body.purpose",
                format!("is {n} characters long; at most {PURPOSE_CHARS_MAX} are allowed"),
            );
        }
    }
}

/// The server sets the status; the amount is checked against the books.
impl KindBody for Expense {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        server_status(self.status, e);
    }
}
