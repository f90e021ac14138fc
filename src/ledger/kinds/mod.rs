//! Entry kinds and their bodies (SPEC §4): what a client may send, parsed
//! into types that cannot hold an invalid value.
//!
//! Each body is one serde struct, read from a client's JSON and from a
//! stored entry alike. Serde refuses unknown fields and wrong types, naming
//! the field, and the value types of [`super::values`] refuse bad values
//! while they are read. A `check` method then applies what needs today's
//! date or several fields at once. Rules that depend on the fund's state
//! (balances, campaigns, households) live in [`super::book`].
//!
//! The cash gift is the exception that came first: its client input is a
//! separate struct that reports every bad field at once.

/// The fund's bank accounts and sealed bank statements.
pub mod bank;
/// Reversals and period closings.
pub mod corrections;
/// Goods: item lines, in-kind gifts, pledges, stock adjustments.
pub mod goods;
/// Campaigns and households.
pub mod programme;
/// Distributions, transfers and expenses.
pub mod spending;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use self::bank::{BankAccountOpened, BankStatementSealed};
use self::corrections::{PeriodClosed, Reversal};
use self::goods::{DonationInKind, Pledge, PledgeCancelled, StockAdjusted};
use self::programme::{
    CampaignClosed, CampaignOpened, HouseholdReclassified, HouseholdRegistered, HouseholdReviewed,
    SponsorshipRegistered,
};
use self::spending::{
    Distribution, DistributionAcknowledged, DistributionApproved, DistributionVoided, Expense,
    OutflowApproved, OutflowVoided, Transfer,
};
use super::fields::{FieldError, FieldErrors, Text, LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX};
use super::ids::{format_date, parse_date, Code, Id};
use super::money::AmountVnd;
use super::values::Day;

/// Every kind of entry SPEC §4 names, declared once.
///
/// Each row names the variant, the body type, the kind's name on the
/// ledger and who writes it. From this one table come [`EntryKind`] (with
/// its names, `ALL` and `parse`), [`Body`], `Body::kind`, `Body::to_value`
/// and the parsing of client and stored bodies. The body type must
/// implement [`KindBody`]; its `check` has no default, so a new kind
/// cannot skip the decision. Every `match` over kinds in the core lists
/// the kinds it leaves alone rather than ending in `_ =>`, so the compiler
/// names every place a new kind must be handled. The steps are in
/// `docs/adding-an-entry-kind.md`.
macro_rules! entry_kinds {
    ($( $(#[$doc:meta])* $variant:ident($body:ty) = $name:literal, $writer:expr; )*) => {
        /// The kind of an entry, as named on the ledger.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EntryKind {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl EntryKind {
            /// Every kind, in the order of the table.
            pub const ALL: [EntryKind; [$($name),*].len()] = [$(Self::$variant),*];

            /// The kind's name on the ledger: `donation_cash`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $name, )*
                }
            }

            /// Who writes entries of this kind.
            pub fn written_by(self) -> WrittenBy {
                match self {
                    $( Self::$variant => $writer, )*
                }
            }
        }

        /// The body of an entry of any kind, typed.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Body {
            $( $variant($body), )*
        }

        impl Body {
            pub fn kind(&self) -> EntryKind {
                match self {
                    $( Body::$variant(_) => EntryKind::$variant, )*
                }
            }

            /// The body as JSON, ready to seal.
            pub fn to_value(&self) -> Result<Value, serde_json::Error> {
                match self {
                    $( Body::$variant(b) => serde_json::to_value(b), )*
                }
            }

            /// Reads a client's body of kind `kind`, checked as far as it
            /// can be without the fund. `today` is the date in Vietnam.
            pub fn from_client(kind: EntryKind, body: Value, today: Date) -> Result<Self, FieldErrors> {
                Ok(match kind {
                    $( EntryKind::$variant => Self::$variant(<$body as KindBody>::from_client(body, today)?), )*
                })
            }

            /// Reads a stored body of kind `kind` straight from `d`, in the
            /// pass that reads its entry. It keeps no path: a failure is
            /// named by reading again with [`Body::from_stored_text`].
            pub fn deserialize_kind<'de, D: serde::Deserializer<'de>>(
                kind: EntryKind,
                d: D,
            ) -> Result<Self, D::Error> {
                Ok(match kind {
                    $( EntryKind::$variant => Self::$variant(serde::Deserialize::deserialize(d)?), )*
                })
            }

            fn read<S: BodySource>(kind: EntryKind, body: S, p: &str) -> Result<Self, FieldErrors> {
                Ok(match kind {
                    $( EntryKind::$variant => Self::$variant(body.read(p)?), )*
                })
            }
        }
    };
}

entry_kinds! {
    FundOpened(FundOpened) = "fund_opened",
        WrittenBy::Server("fund_opened is written by the server when a fund is opened (POST /funds)");
    CampaignOpened(CampaignOpened) = "campaign_opened", WrittenBy::Clerk;
    CampaignClosed(CampaignClosed) = "campaign_closed", WrittenBy::Clerk;
    Pledge(Pledge) = "pledge", WrittenBy::Clerk;
    PledgeCancelled(PledgeCancelled) = "pledge_cancelled", WrittenBy::Clerk;
    DonationCash(DonationCash) = "donation_cash", WrittenBy::Clerk;
    DonationInKind(DonationInKind) = "donation_in_kind", WrittenBy::Clerk;
    HouseholdRegistered(HouseholdRegistered) = "household_registered", WrittenBy::Clerk;
    HouseholdReclassified(HouseholdReclassified) = "household_reclassified", WrittenBy::Clerk;
    HouseholdReviewed(HouseholdReviewed) = "household_reviewed", WrittenBy::Clerk;
    SponsorshipRegistered(SponsorshipRegistered) = "sponsorship_registered", WrittenBy::Clerk;
    Distribution(Distribution) = "distribution", WrittenBy::Clerk;
    DistributionApproved(DistributionApproved) = "distribution_approved", WrittenBy::Approver;
    DistributionVoided(DistributionVoided) = "distribution_voided", WrittenBy::Approver;
    DistributionAcknowledged(DistributionAcknowledged) = "distribution_acknowledged", WrittenBy::Clerk;
    TransferOut(Transfer) = "transfer_out", WrittenBy::Clerk;
    TransferIn(Transfer) = "transfer_in",
        WrittenBy::Server("transfer_in is written by the server with its transfer_out: post the transfer_out to the sending fund");
    Expense(Expense) = "expense", WrittenBy::Clerk;
    OutflowApproved(OutflowApproved) = "outflow_approved", WrittenBy::Approver;
    OutflowVoided(OutflowVoided) = "outflow_voided", WrittenBy::Approver;
    StockAdjusted(StockAdjusted) = "stock_adjusted", WrittenBy::Clerk;
    Reversal(Reversal) = "reversal", WrittenBy::Clerk;
    PeriodClosed(PeriodClosed) = "period_closed", WrittenBy::Clerk;
    BankAccountOpened(BankAccountOpened) = "bank_account_opened",
        WrittenBy::Server("bank_account_opened is written by the server when an admin adds an account (POST /funds/{fund}/bank-accounts)");
    BankStatementSealed(BankStatementSealed) = "bank_statement_sealed",
        WrittenBy::Server("bank_statement_sealed is written by the server when a statement is imported (POST /funds/{fund}/bank-statements)");
}

/// Who writes entries of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrittenBy {
    /// A committee's clerk (or an admin in its subtree).
    Clerk,
    /// The second person: an approver (or an admin in its subtree).
    Approver,
    /// The server itself, never a client; the text says how it is written.
    Server(&'static str),
}

impl EntryKind {
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What every body type provides beyond serde.
pub trait KindBody: serde::de::DeserializeOwned + Serialize {
    /// Checks what needs today's date (in Vietnam) or several fields at
    /// once, pushing every problem to `e`. Rules that need the fund's
    /// state live in [`super::book`]. No default: each kind decides.
    fn check(&self, today: Date, e: &mut FieldErrors);

    /// Reads a client's body: serde, then [`KindBody::check`].
    fn from_client(body: Value, today: Date) -> Result<Self, FieldErrors> {
        let parsed: Self = read_input(body, "body")?;
        let mut e = FieldErrors::default();
        parsed.check(today, &mut e);
        if e.is_empty() {
            Ok(parsed)
        } else {
            Err(e)
        }
    }
}

/// Nothing beyond its types: it is written by the server.
impl KindBody for FundOpened {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// A client's cash gift is read through [`DonationCashInput`], which
/// reports every bad field at once.
impl KindBody for DonationCash {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}

    fn from_client(body: Value, today: Date) -> Result<Self, FieldErrors> {
        let input: DonationCashInput = read_input(body, "body")?;
        input.parse(today)
    }
}

/// What a fund is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundKind {
    ForThePoor,
    Relief,
}

impl FundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ForThePoor => "for_the_poor",
            Self::Relief => "relief",
        }
    }
}

/// Body of entry 0 of every fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundOpened {
    pub committee_code: Code,
    pub committee_name: String,
    pub fund_code: Code,
    pub fund_kind: FundKind,
    pub origin: String,
    pub verifier_key: String,
}

/// Who gave, as they chose to be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DonorKind {
    Individual,
    Organization,
    Anonymous,
}

/// The published name of every anonymous donor.
pub const ANONYMOUS_DISPLAY: &str = "Ẩn danh";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonorInput {
    display: Option<String>,
    kind: DonorKind,
    donor_ref: Option<String>,
}

/// A donor as published: `display` is the donor's own choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Donor {
    pub display: Text,
    pub kind: DonorKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub donor_ref: Option<String>,
}

impl<'de> Deserialize<'de> for Donor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let input = DonorInput::deserialize(d)?;
        let mut e = FieldErrors::default();
        match input.parse("", &mut e) {
            Some(donor) if e.is_empty() => Ok(donor),
            // `@field: message` names the inner field; `read_input`
            // moves it into the error's path.
            _ => Err(serde::de::Error::custom(
                e.0.first()
                    .map(|f| format!("@{}: {}", f.field.trim_start_matches('.'), f.message))
                    .unwrap_or_else(|| "is not a valid donor".into()),
            )),
        }
    }
}

impl DonorInput {
    fn parse(self, field: &str, errors: &mut FieldErrors) -> Option<Donor> {
        let display_field = format!("{field}.display");
        let display = match (self.kind, self.display) {
            // An anonymous gift is published as "Ẩn danh" and nothing else,
            // so a name typed by mistake cannot leak.
            (DonorKind::Anonymous, None) => Some(Text::parse_line(ANONYMOUS_DISPLAY, 10, "")),
            (DonorKind::Anonymous, Some(d)) if d.trim() == ANONYMOUS_DISPLAY => {
                Some(Text::parse_line(ANONYMOUS_DISPLAY, 10, ""))
            }
            (DonorKind::Anonymous, Some(_)) => {
                errors.push(
                    display_field,
                    "must be \"Ẩn danh\" (or absent) for an anonymous donor",
                );
                None
            }
            (_, None) => {
                errors.push(
                    display_field,
                    "is required: the name the donor chose to publish",
                );
                None
            }
            (_, Some(d)) => Some(Text::parse_line(&d, NAME_CHARS_MAX, &display_field)),
        };
        let display = display.and_then(|r| errors.take(r));
        let donor_ref = self.donor_ref.and_then(|r| {
            errors.take(
                uuid::Uuid::parse_str(&r)
                    .map(|u| u.hyphenated().to_string())
                    .map_err(|_| FieldError::new(format!("{field}.donor_ref"), "must be a UUID")),
            )
        });
        Some(Donor {
            display: display?,
            kind: self.kind,
            donor_ref,
        })
    }
}

/// How a cash gift arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Cash,
    BankTransfer,
    QrTransfer,
    EWallet,
}

/// Kinds of support, also the purposes a gift may be earmarked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportType {
    CashGrant,
    HouseNew,
    HouseRepair,
    Livelihood,
    TetGift,
    Scholarship,
    HealthInsurance,
    Medical,
    Relief,
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginalCurrencyInput {
    code: String,
    amount: String,
    rate: String,
}

/// A gift received in a foreign currency and converted to đồng.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginalCurrency {
    pub code: String,
    pub amount: String,
    pub rate: String,
}

/// What a client sends for a cash gift.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonationCashInput {
    /// Refused when present: the server numbers receipts.
    receipt_no: Option<Value>,
    donor: DonorInput,
    amount_vnd: Value,
    channel: Channel,
    received_on: String,
    campaign_id: Option<String>,
    pledge_id: Option<String>,
    earmark: Option<SupportType>,
    bank_ref: Option<String>,
    original_currency: Option<OriginalCurrencyInput>,
    note: Option<String>,
}

/// A cash gift, ready for the ledger once the fund gives it a receipt number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonationCash {
    /// Filled by [`super::state`]; empty until then.
    pub receipt_no: String,
    pub donor: Donor,
    pub amount_vnd: AmountVnd,
    pub channel: Channel,
    pub received_on: Day,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pledge_id: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earmark: Option<SupportType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_currency: Option<OriginalCurrency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// Longest bank reference: banks' own transaction references are shorter.
pub const BANK_REF_LEN_MAX: usize = 40;

impl DonationCashInput {
    pub fn parse(self, today: Date) -> Result<DonationCash, FieldErrors> {
        let mut e = FieldErrors::default();
        if self.receipt_no.is_some() {
            e.push("body.receipt_no", "is assigned by the server; leave it out");
        }
        let donor = self.donor.parse("body.donor", &mut e);
        let amount_vnd = e.take(AmountVnd::parse(&self.amount_vnd, "body.amount_vnd"));
        let received_on = e.take(past_date(&self.received_on, "body.received_on", today));
        let campaign_id = self
            .campaign_id
            .and_then(|s| e.take(Id::parse(&s, "body.campaign_id")));
        let pledge_id = self
            .pledge_id
            .and_then(|s| e.take(Id::parse(&s, "body.pledge_id")));
        let bank_ref = self.bank_ref.and_then(|s| e.take(bank_ref(&s)));
        let original_currency = self
            .original_currency
            .and_then(|oc| oc.parse(amount_vnd, &mut e));
        let note = self
            .note
            .and_then(|s| e.take(Text::parse_multiline(&s, LONG_TEXT_CHARS_MAX, "body.note")));
        if !e.is_empty() {
            return Err(e);
        }
        let (Some(donor), Some(amount_vnd), Some(received_on)) = (donor, amount_vnd, received_on)
        else {
            return Err(e);
        };
        Ok(DonationCash {
            receipt_no: String::new(),
            donor,
            amount_vnd,
            channel: self.channel,
            received_on: Day(received_on),
            campaign_id,
            pledge_id,
            earmark: self.earmark,
            bank_ref,
            original_currency,
            note,
        })
    }
}

impl OriginalCurrencyInput {
    fn parse(self, amount_vnd: Option<AmountVnd>, e: &mut FieldErrors) -> Option<OriginalCurrency> {
        use rust_decimal::Decimal;
        let f = "body.original_currency";
        let code_ok = self.code.len() == 3 && self.code.bytes().all(|b| b.is_ascii_uppercase());
        if !code_ok || self.code == "VND" {
            e.push(
                format!("{f}.code"),
                "must be an ISO 4217 code such as USD, other than VND",
            );
        }
        let mut decimal = |raw: &str, field: String| -> Option<Decimal> {
            let plain = !raw.is_empty()
                && raw.len() <= 28
                && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && raw.bytes().filter(|b| *b == b'.').count() <= 1
                && !raw.starts_with('.')
                && !raw.ends_with('.');
            match raw.parse::<Decimal>() {
                Ok(d) if plain && d > Decimal::ZERO => Some(d),
                _ => {
                    e.push(
                        field,
                        "must be a positive decimal written with digits and one '.'",
                    );
                    None
                }
            }
        };
        let amount = decimal(&self.amount, format!("{f}.amount"));
        let rate = decimal(&self.rate, format!("{f}.rate"));
        let (amount, rate, amount_vnd) = (amount?, rate?, amount_vnd?);
        // The converted amount must be the foreign amount at the stated rate,
        // rounded to the đồng, so that the entry explains its own figure.
        // Halves round away from zero, as people round by hand.
        let converted = amount.checked_mul(rate).map(|d| {
            d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        });
        if converted != Some(Decimal::from(amount_vnd.get())) {
            e.push(
                format!("{f}.rate"),
                "amount × rate, rounded to the đồng, must equal amount_vnd",
            );
            return None;
        }
        code_ok.then_some(OriginalCurrency {
            code: self.code,
            amount: self.amount,
            rate: self.rate,
        })
    }
}

/// An event date: a real date, not in the future in Vietnam, not before 2000.
pub fn past_date(raw: &str, field: &str, today: Date) -> Result<Date, FieldError> {
    let d = parse_date(raw, field)?;
    if d > today {
        return Err(FieldError::new(
            field,
            format!(
                "lies in the future; today in Vietnam is {}",
                format_date(today)
            ),
        ));
    }
    if d.year() < 2000 {
        return Err(FieldError::new(field, "is before 2000; check the year"));
    }
    Ok(d)
}

/// Shortest bank reference a clerk may type.
pub const BANK_REF_LEN_MIN: usize = 4;

/// A bank's transaction reference as a clerk types it (SPEC §9): 4 to 40
/// of letters, digits and `./-`. Account numbers and transfer messages
/// never belong here (SPEC §2.1): a reference has no spaces, which keeps a
/// pasted transfer message out, and nine or more digits with no letter,
/// dot or slash is refused, which keeps an account number out (banks'
/// own references carry letters, as `FT26324123456`, or separators).
pub fn bank_ref(raw: &str) -> Result<String, FieldError> {
    let shape = (BANK_REF_LEN_MIN..=BANK_REF_LEN_MAX).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/'));
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    let account_like = digits >= 9
        && !raw
            .bytes()
            .any(|b| b.is_ascii_alphabetic() || matches!(b, b'.' | b'/'));
    if !shape {
        Err(FieldError::new(
            "body.bank_ref",
            "must be the bank's transaction reference: 4 to 40 letters, digits or ./-, no spaces",
        ))
    } else if account_like {
        Err(FieldError::new(
            "body.bank_ref",
            "looks like an account number, which is never published; give the bank's transaction reference",
        ))
    } else {
        Ok(raw.to_owned())
    }
}

/// Checks an event date: not in the future in Vietnam.
pub fn past_day(day: Day, field: &str, today: Date, e: &mut FieldErrors) {
    if day.0 > today {
        e.push(
            field,
            format!(
                "lies in the future; today in Vietnam is {}",
                format_date(today)
            ),
        );
    }
}

/// What every gift has, whatever its kind: the one place that says which
/// kinds are gifts (a receipt, a campaign it counts for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiftRef<'a> {
    /// None only before the server numbers it.
    pub receipt_no: Option<&'a str>,
    pub campaign_id: Option<&'a Id>,
}

impl Body {
    /// The gift this entry records, if it records one.
    pub fn gift(&self) -> Option<GiftRef<'_>> {
        match self {
            Body::DonationCash(b) => Some(GiftRef {
                receipt_no: Some(b.receipt_no.as_str()).filter(|r| !r.is_empty()),
                campaign_id: b.campaign_id.as_ref(),
            }),
            Body::DonationInKind(b) => Some(GiftRef {
                receipt_no: b.receipt_no.as_deref(),
                campaign_id: b.campaign_id.as_ref(),
            }),
            Body::FundOpened(_)
            | Body::BankAccountOpened(_)
            | Body::BankStatementSealed(_)
            | Body::CampaignOpened(_)
            | Body::CampaignClosed(_)
            | Body::Pledge(_)
            | Body::PledgeCancelled(_)
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
            | Body::OutflowApproved(_)
            | Body::OutflowVoided(_)
            | Body::StockAdjusted(_)
            | Body::Reversal(_)
            | Body::PeriodClosed(_) => None,
        }
    }

    /// Reads the body of a stored entry.
    pub fn from_stored(kind: EntryKind, body: Value) -> Result<Self, FieldErrors> {
        Self::read(kind, body, "body")
    }

    /// Reads a stored body from its JSON text, with no tree in between:
    /// replays and verification read every entry of a fund.
    pub fn from_stored_text(kind: EntryKind, body: &str) -> Result<Self, FieldErrors> {
        Self::read(kind, StoredText(body), "body")
    }
}

/// Where a body is read from: a JSON value or a JSON text.
trait BodySource {
    fn read<T: serde::de::DeserializeOwned>(self, prefix: &str) -> Result<T, FieldErrors>;
}

impl BodySource for Value {
    fn read<T: serde::de::DeserializeOwned>(self, prefix: &str) -> Result<T, FieldErrors> {
        read_input(self, prefix)
    }
}

struct StoredText<'a>(&'a str);

impl BodySource for StoredText<'_> {
    /// Read straight first: a stored body nearly always reads, and the
    /// path of the failing field is only worth its cost (some tenth of a
    /// whole-fund verification) when there is a failure to name.
    fn read<T: serde::de::DeserializeOwned>(self, prefix: &str) -> Result<T, FieldErrors> {
        if let Ok(body) = serde_json::from_str(self.0) {
            return Ok(body);
        }
        let mut de = serde_json::Deserializer::from_str(self.0);
        serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let path = err.path().to_string();
            FieldErrors::from(FieldError::new(
                format!("{prefix}.{path}"),
                err.into_inner().to_string(),
            ))
        })
    }
}

/// The snake_case name serde gives an enum value (`house_new`).
pub fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Reads a JSON value into an input struct, naming the field of the first
/// structural problem (unknown field, wrong type, missing field).
pub fn read_input<T: serde::de::DeserializeOwned>(
    body: Value,
    prefix: &str,
) -> Result<T, FieldErrors> {
    serde_path_to_error::deserialize(body).map_err(|err| {
        let path = err.path().to_string();
        let mut field = match (path.as_str(), prefix) {
            ("." | "", "") => "(request)".to_owned(),
            ("." | "", _) => prefix.to_owned(),
            (_, "") => path,
            _ => format!("{prefix}.{path}"),
        };
        let mut message = err.into_inner().to_string();
        // A value that checks several fields at once names the inner one.
        if let Some((inner, rest)) = message
            .strip_prefix('@')
            .and_then(|m| m.split_once(": "))
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
        {
            field = format!("{field}.{inner}");
            message = rest;
        }
        FieldErrors::from(FieldError::new(field, message))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> Date {
        time::macros::date!(2026 - 11 - 22)
    }

    fn parse(body: Value) -> Result<DonationCash, FieldErrors> {
        read_input::<DonationCashInput>(body, "body")?.parse(today())
    }

    fn good() -> Value {
        json!({
            "donor": {"display": "Nguyễn Văn A", "kind": "individual"},
            "amount_vnd": "1500000",
            "channel": "bank_transfer",
            "received_on": "2026-11-20",
            "bank_ref": "FT26324123456"
        })
    }

    fn fields(r: Result<DonationCash, FieldErrors>) -> Vec<String> {
        r.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_complete_cash_gift_is_accepted() {
        let d = parse(good()).unwrap();
        assert_eq!(d.amount_vnd.get(), 1_500_000);
        assert_eq!(d.donor.display.as_str(), "Nguyễn Văn A");
    }

    #[test]
    fn unknown_fields_are_refused_with_their_name() {
        let mut b = good();
        b["account_no"] = json!("0123456789");
        let errs = parse(b).unwrap_err().0;
        assert_eq!(errs[0].field, "body.account_no");
        assert!(errs[0].message.contains("account_no"));
    }

    #[test]
    fn a_receipt_number_from_the_client_is_refused() {
        let mut b = good();
        b["receipt_no"] = json!("X-2026-000001");
        assert_eq!(fields(parse(b)), ["body.receipt_no"]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut b = good();
        b["amount_vnd"] = json!("-1");
        b["received_on"] = json!("2026-11-23");
        b["note"] = json!("x".repeat(2001));
        assert_eq!(
            fields(parse(b)),
            ["body.amount_vnd", "body.received_on", "body.note"]
        );
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let mut b = good();
        b["donor"]["kind"] = json!("alien");
        assert_eq!(fields(parse(b)), ["body.donor.kind"]);
    }

    #[test]
    fn an_anonymous_donor_is_published_as_an_danh_only() {
        let mut b = good();
        b["donor"] = json!({"kind": "anonymous"});
        assert_eq!(parse(b.clone()).unwrap().donor.display.as_str(), "Ẩn danh");
        b["donor"]["display"] = json!("Trần Thị B");
        assert_eq!(fields(parse(b)), ["body.donor.display"]);
    }

    #[test]
    fn a_bank_reference_is_the_bank_s_own_and_never_an_account_number() {
        for good in [
            "FT26324123456",
            "FT26307DV0001",
            "0011.004.123456",
            "123/456/789",
            "ABCD",
            "12345678",
        ] {
            assert_eq!(bank_ref(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "0011004123456",
            "001-100-412-3456",
            "123456789",
            "ABC",
            "FT_2632",
            "FT 2632",
            &"A".repeat(41),
        ] {
            let e = bank_ref(bad).unwrap_err();
            assert_eq!(e.field, "body.bank_ref", "{bad}");
        }
        assert!(bank_ref("0011004123456")
            .unwrap_err()
            .message
            .contains("account number"));
    }

    #[test]
    fn a_bank_reference_with_spaces_is_refused() {
        let mut b = good();
        b["bank_ref"] = json!("CK ung ho lu lut 0123456789");
        assert_eq!(fields(parse(b)), ["body.bank_ref"]);
    }

    #[test]
    fn a_foreign_gift_must_convert_to_its_amount() {
        let mut b = good();
        b["amount_vnd"] = json!("2540000");
        b["original_currency"] = json!({"code": "USD", "amount": "100", "rate": "25400"});
        assert!(parse(b.clone()).is_ok());
        b["amount_vnd"] = json!("3");
        b["original_currency"] = json!({"code": "USD", "amount": "0.5", "rate": "5"});
        assert!(parse(b.clone()).is_ok(), "2.5 rounds up to 3");
        b["amount_vnd"] = json!("2540000");
        b["original_currency"] = json!({"code": "USD", "amount": "100", "rate": "25000"});
        assert_eq!(fields(parse(b.clone())), ["body.original_currency.rate"]);
        b["original_currency"] = json!({"code": "usd", "amount": "1e2", "rate": "25400"});
        assert_eq!(
            fields(parse(b)),
            [
                "body.original_currency.code",
                "body.original_currency.amount"
            ]
        );
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert_eq!(EntryKind::parse("donation"), None);
    }
}
