//! Campaigns, and the households the fund supports.
//!
//! A household appears on the ledger only under a pseudonymous id with its
//! commune, hamlet, category and size. Who they are (the head's name, CCCD
//! number, phone, address) is the [`PrivateRecord`], kept in a table beside
//! the ledger; the ledger carries a salted SHA-256 commitment to it, so an
//! inspector holding the record can prove it is the one registered, and
//! nobody without it can guess it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use super::KindBody;
use crate::ledger::canonical::to_canonical;
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{Code, Id};
use crate::ledger::money::AmountVnd;
use crate::ledger::values::{Bounded, Day, LongText, Name, Sha256Hex};

/// What a campaign collects for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    PeakMonth,
    DisasterRelief,
    Tet,
    Housing,
    Other,
}

/// A call for gifts with a window (Decree 93/2021) and maybe a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignOpened {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Id>,
    pub name: Name,
    pub kind: CampaignKind,
    pub starts_on: Day,
    pub ends_on: Day,
    /// Why receiving runs longer than the policy's `campaign_max_days`
    /// (Decree 93/2021: 90 days); a longer window without one is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_reason: Option<LongText>,
    /// The committee that launched the campaign: the fund's own or one
    /// above it. Filled with the fund's committee when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launched_by: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_vnd: Option<AmountVnd>,
    /// Made by the server (SPEC §10): what a donor writes in a transfer,
    /// after `SV `. Campaigns opened before it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// Longest campaign reference (SPEC §10).
pub const CAMPAIGN_REFERENCE_LEN_MAX: usize = 12;

impl KindBody for CampaignOpened {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        if self.ends_on < self.starts_on {
            e.push("body.ends_on", "must not be before starts_on");
        }
        if self.reference.is_some() {
            e.push("body.reference", "is made by the server: leave it out");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignClosed {
    pub campaign_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LongText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A household's class after the annual poverty review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Poor,
    NearPoor,
    NewlyEscaped,
    Hardship,
    /// Reviewed and no longer poor, near-poor or in hardship: support
    /// limited to some categories by the policy no longer reaches it.
    NotPoor,
}

impl Category {
    /// Poor or near-poor: the classes a household leaves poverty from.
    pub fn in_poverty(self) -> bool {
        matches!(self, Category::Poor | Category::NearPoor)
    }

    /// Newly out of poverty, or not poor: where leaving poverty lands.
    pub fn out_of_poverty(self) -> bool {
        matches!(self, Category::NewlyEscaped | Category::NotPoor)
    }
}

/// Largest household the form takes.
pub const MEMBERS_MAX: u32 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdRegistered {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<Id>,
    pub commune_code: Code,
    /// The client sends it; from entry version 2 the server moves it into
    /// the private record (SPEC §9), and public entries carry the commune.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hamlet: Option<Name>,
    pub category: Category,
    pub members: u32,
    pub review_year: i32,
    /// Filled by the server from the private record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Sha256Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A review year: from 2000 to next year (a review decided in December
/// takes effect for the coming year).
fn check_review_year(year: i32, today: Date, e: &mut FieldErrors) {
    if !(2000..=today.year() + 1).contains(&year) {
        e.push(
            "body.review_year",
            format!("must be a year from 2000 to {}", today.year() + 1),
        );
    }
}

impl KindBody for HouseholdRegistered {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        if self.commitment.is_some() {
            e.push(
                "body.commitment",
                "is computed by the server from the private record; send the record as \"private\"",
            );
        }
        if !(1..=MEMBERS_MAX).contains(&self.members) {
            e.push("body.members", format!("must be from 1 to {MEMBERS_MAX}"));
        }
        reviewed_only(self.category, e);
        if self.hamlet.is_none() {
            e.push(
                "body.hamlet",
                "is required: the hamlet (thôn, xóm) the household lives in, kept in its private record",
            );
        }
        check_review_year(self.review_year, today, e);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdReclassified {
    pub household_id: Id,
    pub category: Category,
    pub review_year: i32,
    pub decision_ref: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for HouseholdReclassified {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        check_review_year(self.review_year, today, e);
        reviewed_only(self.category, e);
    }
}

/// `not_poor` is what a year's review finds (`household_reviewed`); a
/// household is registered, or reclassified, into a class the fund
/// supports.
fn reviewed_only(category: Category, e: &mut FieldErrors) {
    if category == Category::NotPoor {
        e.push(
            "body.category",
            "not_poor is recorded by a year's review (household_reviewed); a household is registered or reclassified as poor, near_poor, newly_escaped or hardship",
        );
    }
}

/// Longest address on a private record.
pub type Address = Bounded<500, false>;

/// Who a household is. Never on the ledger: sent with
/// `household_registered`, kept encrypted, and a salted commitment to it is
/// what the ledger carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateRecord {
    #[schema(value_type = String, max_length = 200)]
    pub head_name: Name,
    /// The head of household's CCCD (citizen identity card) number.
    #[schema(pattern = "^[0-9]{12}$")]
    pub cccd: String,
    /// 9 to 12 digits, an optional leading +.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[+]?[0-9]{9,12}$")]
    pub phone: Option<String>,
    #[schema(value_type = String, max_length = 500)]
    pub address: Address,
    /// The household's hamlet, from entry version 2: private, since in a
    /// small hamlet it points to the family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub hamlet: Option<Name>,
}

impl PrivateRecord {
    pub fn check(&self, e: &mut FieldErrors) {
        if !(self.cccd.len() == 12 && self.cccd.bytes().all(|b| b.is_ascii_digit())) {
            e.push("private.cccd", "must be the 12 digits of a CCCD number");
        }
        if let Some(p) = &self.phone {
            let digits = p.strip_prefix('+').unwrap_or(p);
            if !((9..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())) {
                e.push(
                    "private.phone",
                    "must be a phone number: 9 to 12 digits, an optional leading +",
                );
            }
        }
    }

    /// Hex SHA-256 of `salt ‖ "\n" ‖ canonical JSON of the record`: what the
    /// ledger carries in place of the record.
    pub fn commitment(&self, salt_hex: &str) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        let canonical = to_canonical(&value).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(salt_hex.as_bytes());
        h.update(b"\n");
        h.update(canonical.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Nothing beyond its types: its fields are read by serde; the campaign is checked against the books.
impl KindBody for CampaignClosed {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// A year's review of a household (SPEC §11): the class the commune's
/// review gave it for `review_year`. Each household has at most one per
/// year; the latest is its class from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdReviewed {
    pub household_id: Id,
    pub review_year: i32,
    pub category: Category,
    /// The commune's decision approving the review's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_ref: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A review is of a year that has come: from 2000 to this year; one that
/// moves a household out of poverty names the decision that approved it.
impl KindBody for HouseholdReviewed {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        if self.category.out_of_poverty() && self.decision_ref.is_none() {
            e.push(
                "body.decision_ref",
                "a review out of poverty names the decision approving the year's review (số quyết định)",
            );
        }
        if !(2000..=today.year()).contains(&self.review_year) {
            e.push(
                "body.review_year",
                format!(
                    "must be a year from 2000 to {}: a review of a year still to come cannot be recorded",
                    today.year()
                ),
            );
        }
    }
}

/// Most households one sponsorship may count.
pub const SPONSORED_HOUSEHOLDS_MAX: u32 = 10_000;
/// Most households one sponsorship may name.
pub const SPONSORED_NAMED_MAX: usize = 500;

/// A unit's commitment for a year to help poor households out of poverty
/// (nhận giúp đỡ hộ nghèo theo chỉ tiêu đăng ký hằng năm): a number of
/// households, or named (pseudonymous) households, and maybe a value.
/// Distributions naming it fulfil it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SponsorshipRegistered {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsorship_id: Option<Id>,
    /// The sponsoring agency, business or person, as published.
    pub sponsor: super::Donor,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_ids: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_vnd: Option<AmountVnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl SponsorshipRegistered {
    /// Households it commits to: the number, or the households named.
    pub fn committed(&self) -> u64 {
        self.households
            .map_or(self.household_ids.len() as u64, u64::from)
    }
}

/// A number of households or a list of them (not both, not neither); a
/// year from 2000 to next year; a named sponsor.
impl KindBody for SponsorshipRegistered {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        if !(2000..=today.year() + 1).contains(&self.year) {
            e.push(
                "body.year",
                format!("must be a year from 2000 to {}", today.year() + 1),
            );
        }
        match (self.households, self.household_ids.is_empty()) {
            (Some(_), false) => e.push(
                "body.households",
                "give households (a number) or household_ids, not both",
            ),
            (None, true) => e.push(
                "body.households",
                "give households (a number) or household_ids (the households helped)",
            ),
            (Some(n), true) if !(1..=SPONSORED_HOUSEHOLDS_MAX).contains(&n) => e.push(
                "body.households",
                format!("must be from 1 to {SPONSORED_HOUSEHOLDS_MAX}"),
            ),
            _ => {}
        }
        if self.household_ids.len() > SPONSORED_NAMED_MAX {
            e.push(
                "body.household_ids",
                format!("names at most {SPONSORED_NAMED_MAX} households"),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = self.household_ids.iter().find(|h| !seen.insert(h.as_str())) {
            e.push(
                "body.household_ids",
                format!("names {:?} twice", dup.as_str()),
            );
        }
        if self.sponsor.kind == super::DonorKind::Anonymous {
            e.push(
                "body.sponsor.kind",
                "a sponsorship is a public commitment: name the sponsor",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{Body, EntryKind};

    /// The fields a client's body of `kind` is refused on, none if read.
    fn refused(kind: EntryKind, body: Value) -> Vec<String> {
        let today = time::macros::date!(2026 - 12 - 02);
        match Body::from_client(kind, body, today) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.into_iter().map(|f| f.field).collect(),
        }
    }

    #[test]
    fn a_sponsorship_names_a_count_or_households_of_a_year_and_a_named_sponsor() {
        let k = EntryKind::SponsorshipRegistered;
        let with = |extra: Value| {
            let mut b = json!({"sponsor": {"display": "Công ty ABC", "kind": "organization"},
                               "year": 2026});
            for (key, v) in extra.as_object().unwrap() {
                b[key] = v.clone();
            }
            b
        };
        let none: Vec<String> = Vec::new();
        for ok in [
            json!({"households": 1}),
            json!({"households": 10_000}),
            json!({"household_ids": ["ho-1", "ho-2"]}),
            json!({"households": 2, "year": 2027}),
            json!({"households": 2, "year": 2000}),
        ] {
            assert_eq!(refused(k, with(ok.clone())), none, "{ok}");
        }
        let ids: Vec<String> = (0..500).map(|i| format!("ho-{i}")).collect();
        assert_eq!(refused(k, with(json!({"household_ids": ids}))), none);
        let too_many: Vec<String> = (0..501).map(|i| format!("ho-{i}")).collect();
        for (bad, field) in [
            (json!({}), "body.households"),
            (json!({"households": 0}), "body.households"),
            (json!({"households": 10_001}), "body.households"),
            (
                json!({"households": 2, "household_ids": ["ho-1"]}),
                "body.households",
            ),
            (json!({"household_ids": too_many}), "body.household_ids"),
            (
                json!({"household_ids": ["ho-1", "ho-1"]}),
                "body.household_ids",
            ),
            (json!({"households": 2, "year": 2028}), "body.year"),
            (json!({"households": 2, "year": 1999}), "body.year"),
            (
                json!({"households": 2, "sponsor": {"display": "Ẩn danh", "kind": "anonymous"}}),
                "body.sponsor.kind",
            ),
        ] {
            assert_eq!(refused(k, with(bad.clone())), [field], "{bad}");
        }
    }

    #[test]
    fn a_review_is_of_a_year_that_has_come_and_one_out_of_poverty_names_its_decision() {
        let k = EntryKind::HouseholdReviewed;
        let review = |year: i32, category: &str, decision: Option<&str>| {
            json!({"household_id": "ho-1", "review_year": year, "category": category,
                   "decision_ref": decision})
        };
        let none: Vec<String> = Vec::new();
        assert_eq!(refused(k, review(2026, "not_poor", Some("QĐ 1"))), none);
        assert_eq!(refused(k, review(2000, "poor", None)), none);
        assert_eq!(refused(k, review(2026, "near_poor", None)), none);
        assert_eq!(refused(k, review(2027, "poor", None)), ["body.review_year"]);
        assert_eq!(refused(k, review(1999, "poor", None)), ["body.review_year"]);
        for out in ["newly_escaped", "not_poor"] {
            assert_eq!(refused(k, review(2026, out, None)), ["body.decision_ref"]);
        }
        // not_poor comes from a review only.
        let registered = json!({"commune_code": "PX", "hamlet": "Thôn 1", "category": "not_poor",
                                "members": 3, "review_year": 2026});
        assert_eq!(
            refused(EntryKind::HouseholdRegistered, registered),
            ["body.category"]
        );
        let reclassified = json!({"household_id": "ho-1", "category": "not_poor",
                                  "review_year": 2026, "decision_ref": "QĐ 2"});
        assert_eq!(
            refused(EntryKind::HouseholdReclassified, reclassified.clone()),
            ["body.category"]
        );
        let mut near = reclassified;
        near["category"] = json!("near_poor");
        assert_eq!(
            refused(EntryKind::HouseholdReclassified, near.clone()),
            none
        );
        // A class is of a year up to next year (a December decision).
        near["review_year"] = json!(2028);
        assert_eq!(
            refused(EntryKind::HouseholdReclassified, near),
            ["body.review_year"]
        );
        // Which classes are in poverty, and which are out of it.
        use super::Category::*;
        let ins: Vec<bool> = [Poor, NearPoor, NewlyEscaped, Hardship, NotPoor]
            .iter()
            .map(|c| c.in_poverty())
            .collect();
        let outs: Vec<bool> = [Poor, NearPoor, NewlyEscaped, Hardship, NotPoor]
            .iter()
            .map(|c| c.out_of_poverty())
            .collect();
        assert_eq!(ins, [true, true, false, false, false]);
        assert_eq!(outs, [false, false, true, false, true]);
    }
}
