//! The console's entry forms: one declaration per form (its fields, how
//! they become an entry's body), read and answered by one generic path.
//!
//! A form is checked twice. First here, field by field, in the user's
//! language: what people get wrong when typing (a missing field, an
//! amount with letters, a date in the future, a CCCD number of 11
//! digits). Amounts may be typed as people write them (`1.500.000`,
//! `1 500 000 ₫`) and quantities with a decimal comma (`2,5`). Then the
//! entry goes through the same core as the API; what the core refuses
//! (a rule of the fund, a format the form cannot know) is shown on the
//! field it names, with a sentence in the user's language for each rule
//! and the core's own detail beside it.
//!
//! The forms' jobs, one file each: `engine.rs` is the generic path (field
//! kinds, reading amounts, quantities and dates as people type them,
//! errors by field, the fields as the template draws them);
//! `declarations.rs` declares the seven forms (their words, fields,
//! defaults and how their values become an entry); `labels.rs` names
//! things in the user's language (categories, kinds of support, the rules
//! of the fund). This file keeps the forms' list and what the console
//! uses, re-exported from the files that hold it.

mod declarations;
mod engine;
mod labels;

pub use engine::{check, money_digits, views, Checked, Control, Field, FieldView};
pub use labels::{category, rule_sentence, support_type, CATEGORIES, SUPPORT_TYPES};

use crate::ledger::kinds::EntryKind;

/// What a form needs to know of its fund.
pub struct Context {
    /// The fund's campaigns: id and name.
    pub campaigns: Vec<(String, String)>,
    /// The committee's code, the usual commune of its households.
    pub committee_code: String,
}

/// Every entry form of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryForm {
    CashGift,
    GoodsGift,
    Pledge,
    Household,
    Distribution,
    Acknowledgement,
    Reversal,
}

impl EntryForm {
    pub const ALL: [EntryForm; 7] = [
        EntryForm::CashGift,
        EntryForm::GoodsGift,
        EntryForm::Pledge,
        EntryForm::Household,
        EntryForm::Distribution,
        EntryForm::Acknowledgement,
        EntryForm::Reversal,
    ];

    /// The form's address under `/console/f/{fund}/`.
    pub fn slug(self) -> &'static str {
        match self {
            EntryForm::CashGift => "gift",
            EntryForm::GoodsGift => "goods",
            EntryForm::Pledge => "pledge",
            EntryForm::Household => "household",
            EntryForm::Distribution => "distribution",
            EntryForm::Acknowledgement => "acknowledgement",
            EntryForm::Reversal => "reversal",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.slug() == slug)
    }

    pub fn kind(self) -> EntryKind {
        match self {
            EntryForm::CashGift => EntryKind::DonationCash,
            EntryForm::GoodsGift => EntryKind::DonationInKind,
            EntryForm::Pledge => EntryKind::Pledge,
            EntryForm::Household => EntryKind::HouseholdRegistered,
            EntryForm::Distribution => EntryKind::Distribution,
            EntryForm::Acknowledgement => EntryKind::DistributionAcknowledged,
            EntryForm::Reversal => EntryKind::Reversal,
        }
    }
}
