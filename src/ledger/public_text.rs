//! What a client's body may put into the permanent public ledger (SPEC
//! §9): every public free-text field and every id or reference the client
//! makes passes the `personal_data` rule ([`super::personal`]), and
//! "Ẩn danh" names anonymous donors only.
//!
//! Judged on the client's JSON before it is parsed, for new entries only:
//! entries already written keep verifying as they were. A reference to an
//! object that exists (the `distribution_id` an approval names) is not
//! judged again; the id that makes an object is. `bank_ref` has its own
//! shape rule, and amounts, dates and codes their own types.

use serde_json::Value;

use super::kinds::EntryKind;
use super::personal;
use super::saoke::fold_for_search;
use super::state::Rejection;

/// Free-text fields, wherever they appear in a body.
const TEXT_KEYS: [&str; 10] = [
    "display",
    "window_reason",
    "note",
    "reason",
    "purpose",
    "decision_ref",
    "description",
    "name",
    "hamlet",
    "unit",
];

/// The ids and references an entry of `kind` makes, and the item codes
/// goods bring into stock.
fn made_ids(kind: EntryKind) -> &'static [&'static str] {
    match kind {
        EntryKind::CampaignOpened => &["campaign_id", "reference"],
        EntryKind::Pledge => &["pledge_id", "reference", "item"],
        EntryKind::DonationInKind => &["item"],
        EntryKind::HouseholdRegistered => &["household_id"],
        EntryKind::SponsorshipRegistered => &["sponsorship_id"],
        EntryKind::Distribution => &["distribution_id"],
        EntryKind::TransferOut => &["transfer_id"],
        EntryKind::Expense => &["expense_id"],
        EntryKind::StockAdjusted => &["adjustment_id"],
        EntryKind::Reversal => &["reversal_id"],
        EntryKind::FundOpened
        | EntryKind::CampaignClosed
        | EntryKind::PledgeCancelled
        | EntryKind::DonationCash
        | EntryKind::HouseholdReclassified
        | EntryKind::HouseholdReviewed
        | EntryKind::DistributionApproved
        | EntryKind::DistributionVoided
        | EntryKind::DistributionAcknowledged
        | EntryKind::TransferIn
        | EntryKind::OutflowApproved
        | EntryKind::OutflowVoided
        | EntryKind::PeriodClosed
        | EntryKind::BankAccountOpened
        | EntryKind::BankStatementSealed => &[],
    }
}

/// Refuses a client's body of `kind` that would publish personal data,
/// naming the first field that does (`rule: personal_data`).
pub fn check(kind: EntryKind, body: &Value) -> Result<(), Rejection> {
    walk(body, "body", made_ids(kind))?;
    anonymous_only(body)
}

fn walk(v: &Value, path: &str, ids: &[&str]) -> Result<(), Rejection> {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                // The field's path is spelled out only when it is needed:
                // for a refusal, or to go down into it.
                let here = || format!("{path}.{k}");
                match v {
                    Value::String(s)
                        if TEXT_KEYS.contains(&k.as_str()) || ids.contains(&k.as_str()) =>
                    {
                        let made_id = ids.contains(&k.as_str());
                        if made_id && joined_digits(s) >= personal::DIGITS_MIN {
                            return Err(Rejection::rule(
                                "personal_data",
                                &here(),
                                format!(
                                    "holds a run of {} or more digits: an id made here is public for good; leave it out and the server makes one",
                                    personal::DIGITS_MIN
                                ),
                            ));
                        }
                        if let Err(found) = personal::check(s) {
                            return Err(Rejection::rule(
                                "personal_data",
                                &here(),
                                format!(
                                    "{}: personal data stays off the public ledger (a household's private record holds it)",
                                    found.describe().trim_end_matches('.')
                                ),
                            ));
                        }
                    }
                    Value::Object(_) | Value::Array(_) => walk(v, &here(), ids)?,
                    _ => {}
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if matches!(v, Value::Object(_) | Value::Array(_)) {
                    walk(v, &format!("{path}[{i}]"), ids)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The longest run of ASCII digits in `id`, dashes and dots joining them.
/// The personal-data rule lets a UUID through (a random one often holds
/// nine digits in a row); an id a client makes is held to this stricter
/// rule too, so a phone number cannot be dressed as a UUID.
fn joined_digits(id: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in id.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if c != '-' && c != '.' {
            run = 0;
        }
    }
    best
}

/// "Ẩn danh" (however it is cased or accented) is published for
/// anonymous donors only: a named donor may not hide behind it, nor an
/// anonymous gift be passed off under a name.
fn anonymous_only(body: &Value) -> Result<(), Rejection> {
    let donor = &body["donor"];
    let (Some(display), Some(kind)) = (donor["display"].as_str(), donor["kind"].as_str()) else {
        return Ok(());
    };
    if kind != "anonymous"
        && fold_for_search(display) == fold_for_search(super::kinds::ANONYMOUS_DISPLAY)
    {
        return Err(Rejection::rule(
            "anonymous_display",
            "body.donor.display",
            "\"Ẩn danh\" is published for anonymous donors only: give the donor kind anonymous, or the name the donor chose",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(kind: EntryKind, body: Value) -> Option<(String, String)> {
        match check(kind, &body) {
            Ok(()) => None,
            Err(Rejection::Rule { rule, field, .. }) => Some((rule.to_owned(), field)),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn free_text_anywhere_in_a_body_is_judged() {
        let pd = |f: &str| Some(("personal_data".to_owned(), f.to_owned()));
        assert_eq!(
            rule(
                EntryKind::DonationCash,
                json!({"donor": {"display": "Anh Tuấn 0912 345 678", "kind": "individual"}})
            ),
            pd("body.donor.display")
        );
        assert_eq!(
            rule(
                EntryKind::DonationInKind,
                json!({"items": [{"item": "GAO", "description": "STK 0011004123456"}]})
            ),
            pd("body.items[0].description")
        );
        assert_eq!(
            rule(
                EntryKind::TransferOut,
                json!({"purpose": "chuyển cho a@b.vn"})
            ),
            pd("body.purpose")
        );
        assert_eq!(
            rule(
                EntryKind::HouseholdRegistered,
                json!({"hamlet": "Thôn 3, Lê Văn A 0987654321"})
            ),
            pd("body.hamlet")
        );
    }

    #[test]
    fn ids_are_judged_where_they_are_made_only() {
        let id = json!({"distribution_id": "ho-0912345678"});
        assert_eq!(
            rule(EntryKind::Distribution, id.clone()),
            Some((
                "personal_data".to_owned(),
                "body.distribution_id".to_owned()
            ))
        );
        assert_eq!(
            rule(EntryKind::DistributionApproved, id),
            None,
            "a reference to what exists"
        );
        let dressed = json!({"distribution_id": "09123456-78ab-4cde-8f00-abcdefabcdef"});
        assert_eq!(
            rule(EntryKind::Distribution, dressed),
            Some((
                "personal_data".to_owned(),
                "body.distribution_id".to_owned()
            )),
            "a phone number dressed as a UUID"
        );
        let plain = json!({"distribution_id": "0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de"});
        assert_eq!(rule(EntryKind::Distribution, plain), None);
        assert_eq!(
            rule(
                EntryKind::DonationCash,
                json!({"bank_ref": "FT26324123456"})
            ),
            None
        );
        assert_eq!(
            rule(
                EntryKind::Distribution,
                json!({"distribution_id": "nha-01", "cash_vnd": "100000000"})
            ),
            None
        );
    }

    #[test]
    fn ordinary_text_passes() {
        for text in [
            "Trường THCS số 2",
            "Công ty 379",
            "Nguyễn Thị Hồng Nhung",
            "QĐ 12/QĐ-MTTQ",
            "100.000.000 đồng",
        ] {
            assert_eq!(
                rule(EntryKind::Expense, json!({"note": text})),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn an_danh_is_for_anonymous_donors_only() {
        for display in ["Ẩn danh", "ẩn danh", "AN DANH", "An Danh"] {
            assert_eq!(
                rule(
                    EntryKind::DonationCash,
                    json!({"donor": {"display": display, "kind": "individual"}})
                ),
                Some((
                    "anonymous_display".to_owned(),
                    "body.donor.display".to_owned()
                )),
                "{display}"
            );
        }
        assert_eq!(
            rule(
                EntryKind::Pledge,
                json!({"donor": {"display": "Ẩn danh", "kind": "anonymous"}})
            ),
            None
        );
        assert_eq!(
            rule(
                EntryKind::Pledge,
                json!({"donor": {"display": "Ẩn danh tốt bụng", "kind": "individual"}})
            ),
            None
        );
    }
}
