//! Goods and promises: item lines, in-kind gifts, pledges and stock
//! adjustments.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::spending::{server_status, OutflowStatus};
use super::{past_day, Donor, KindBody, SupportType};
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{Code, Id};
use crate::ledger::money::AmountVnd;
use crate::ledger::values::{round_vnd, Bounded, Day, Delta, LongText, Name, Quantity, Vnd};

/// Most item lines in one entry.
pub const ITEM_LINES_MAX: usize = 100;

/// A unit of measure: `bao` (bag), `kg`, `con` (head of cattle), `suất`.
pub type Unit = Bounded<32, false>;

/// One line of goods: value = quantity × unit value, rounded to the đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemLine {
    pub item: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Name>,
    pub quantity: Quantity,
    pub unit: Unit,
    pub unit_value_vnd: AmountVnd,
    pub value_vnd: AmountVnd,
}

/// One line of goods leaving stock (a distribution's). From entry version
/// 2 the goods go at the book's value (SPEC §9): the server fills
/// `value_vnd` with quantity × the stock line's average value, rounded
/// half up, the last units taking what is left, and `unit_value_vnd` with
/// that value per unit, rounded; a client may leave both out, and a stated
/// value that differs is refused (`goods_value`). Version 1 entries state
/// both, as quantity × unit value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutLine {
    pub item: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Name>,
    pub quantity: Quantity,
    pub unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_value_vnd: Option<Vnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_vnd: Option<Vnd>,
}

impl OutLine {
    /// The line's value in đồng; 0 before the server has filled it.
    pub fn value(&self) -> u64 {
        self.value_vnd.map_or(0, Vnd::get)
    }
}

/// What moving goods in or out of stock needs of a line.
pub trait StockMove {
    fn item(&self) -> &str;
    fn unit(&self) -> &str;
    fn quantity(&self) -> Decimal;
    fn value(&self) -> u64;
}

/// Both kinds of line move stock the same way; only the value differs
/// (stated on a line coming in, the book's on a line going out).
macro_rules! stock_move {
    ($line:ty, $value:expr) => {
        impl StockMove for $line {
            fn item(&self) -> &str {
                self.item.as_str()
            }
            fn unit(&self) -> &str {
                self.unit.as_str()
            }
            fn quantity(&self) -> Decimal {
                self.quantity.0
            }
            fn value(&self) -> u64 {
                $value(self)
            }
        }
    };
}

stock_move!(ItemLine, |l: &ItemLine| l.value_vnd.get());
stock_move!(OutLine, OutLine::value);

/// Refuses more than [`ITEM_LINES_MAX`] lines.
fn line_count(n: usize, field: &str, e: &mut FieldErrors) {
    if n > ITEM_LINES_MAX {
        e.push(
            field,
            format!("holds {n} lines; at most {ITEM_LINES_MAX} are allowed"),
        );
    }
}

/// Checks lines leaving stock: their count, and for each line that states
/// both values, that they agree (quantity × unit value, rounded).
pub fn check_out_lines(items: &[OutLine], field: &str, e: &mut FieldErrors) {
    line_count(items.len(), field, e);
    for (i, line) in items.iter().enumerate() {
        if line.unit_value_vnd.is_some() != line.value_vnd.is_some() {
            e.push(
                format!("{field}[{i}].value_vnd"),
                "state both unit_value_vnd and value_vnd, or neither (the server fills them from the stock's average value)",
            );
        }
    }
}

/// Checks every line's arithmetic and the count of lines; returns the sum
/// of the values.
pub fn check_items(items: &[ItemLine], field: &str, e: &mut FieldErrors) -> u128 {
    line_count(items.len(), field, e);
    let mut total = 0u128;
    for (i, line) in items.iter().enumerate() {
        let expected = round_vnd(line.quantity.0 * Decimal::from(line.unit_value_vnd.get()));
        if expected != Decimal::from(line.value_vnd.get()) {
            e.push(
                format!("{field}[{i}].value_vnd"),
                format!("must be quantity × unit_value_vnd, rounded to the đồng: {expected}"),
            );
        }
        total += u128::from(line.value_vnd.get());
    }
    total
}

/// Goods given to the fund: building materials, rice, cows, gift packs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonationInKind {
    /// Filled by the fund; a client leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_no: Option<String>,
    pub donor: Donor,
    pub items: Vec<ItemLine>,
    pub total_value_vnd: AmountVnd,
    pub received_on: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earmark: Option<SupportType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for DonationInKind {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        if self.receipt_no.is_some() {
            e.push("body.receipt_no", "is assigned by the server; leave it out");
        }
        if self.items.is_empty() {
            e.push("body.items", "must hold at least one line");
        }
        let total = check_items(&self.items, "body.items", e);
        if total != u128::from(self.total_value_vnd.get()) {
            e.push(
                "body.total_value_vnd",
                format!("must be the sum of the lines' value_vnd: {total}"),
            );
        }
        past_day(self.received_on, "body.received_on", today, e);
    }
}

/// Longest pledge reference (SPEC §4): short enough for a transfer message.
pub const REFERENCE_LEN_MAX: usize = 20;

/// A promise to give, with the reference the donor writes in the transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pledge {
    /// Made by the server when the client leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge_id: Option<Id>,
    /// `A–Z0–9`, at most 20; made by the server when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub donor: Donor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_vnd: Option<AmountVnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemLine>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A valid pledge reference.
pub fn is_reference(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= REFERENCE_LEN_MAX
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl KindBody for Pledge {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        if let Some(r) = &self.reference {
            if !is_reference(r) {
                e.push(
                    "body.reference",
                    "must be 1 to 20 characters A-Z and 0-9, so it survives a bank transfer message",
                );
            }
        }
        match (&self.amount_vnd, &self.items) {
            (Some(_), None) => {}
            (None, Some(items)) if !items.is_empty() => {
                check_items(items, "body.items", e);
            }
            (None, Some(_)) => e.push("body.items", "must hold at least one line"),
            _ => e.push(
                "body.amount_vnd",
                "give either amount_vnd (cash) or items (goods), not both and not neither",
            ),
        }
    }
}

impl Pledge {
    /// What was promised, in đồng: the amount, or the goods' value.
    pub fn pledged_vnd(&self) -> u128 {
        match (&self.amount_vnd, &self.items) {
            (Some(a), _) => u128::from(a.get()),
            (None, Some(items)) => items.iter().map(|l| u128::from(l.value_vnd.get())).sum(),
            (None, None) => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PledgeCancelled {
    pub pledge_id: Id,
    pub reason: LongText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// Why stock changed without a gift or a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustReason {
    Spoiled,
    Lost,
    CountCorrection,
}

/// A write-off or a count correction of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockAdjusted {
    /// Made by the server from entry version 2 (SPEC §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_id: Option<Id>,
    pub item: Code,
    pub quantity_delta: Delta,
    pub reason: AdjustReason,
    pub decision_ref: Name,
    /// The value of one unit added by a count correction to a line that
    /// holds nothing (SPEC §9): an empty line has no average to go by.
    /// Refused on any other adjustment, which goes at the line's average.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_value_vnd: Option<AmountVnd>,
    /// Set by the server from entry version 2: an outflow (SPEC §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OutflowStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for StockAdjusted {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        server_status(self.status, e);
        if self.reason != AdjustReason::CountCorrection && self.quantity_delta.0 > Decimal::ZERO {
            e.push(
                "body.quantity_delta",
                "must be negative for spoiled or lost goods; use count_correction to add stock",
            );
        }
    }
}

/// Nothing beyond its types: its fields are read by serde; the pledge is checked against the books.
impl KindBody for PledgeCancelled {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}
