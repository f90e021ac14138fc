//! The public statement of gifts (sao kê): one row per gift, derived from
//! its entry, and the folding that lets a reader type "nguyen van a" and
//! find "Nguyễn Văn A".
//!
//! Every column comes from the gift's public entry; nothing private (no
//! account number, no transfer message) is in the entry, so nothing
//! private can reach the statement.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::ids::format_date;
use super::kinds::{name_of, Body};
use super::state::Appended;

/// Text folded for search: lower case, without diacritics, `đ` as `d`,
/// runs of white space as one space.
pub fn fold_for_search(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// One gift as the public statement shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonationRow {
    pub seq: u64,
    pub receipt_no: String,
    /// `cash` or `in_kind`.
    pub kind: &'static str,
    pub received_on: String,
    pub recorded_at: String,
    pub donor_display: String,
    pub donor_kind: String,
    pub donor_search: String,
    /// Cash, or the stated value of the goods.
    pub amount_vnd: i64,
    pub channel: Option<String>,
    pub campaign_id: Option<String>,
    pub pledge_id: Option<String>,
    pub earmark: Option<String>,
    pub bank_ref: Option<String>,
    /// The goods, as "GAO 50 kg; QUA-TET 3 gói".
    pub goods: Option<String>,
}

/// The statement's row for a newly written gift; `None` for other kinds.
pub fn donation_row(a: &Appended) -> Option<DonationRow> {
    let id = |i: &Option<super::ids::Id>| i.as_ref().map(|i| i.as_str().to_owned());
    match &a.body {
        Body::DonationCash(b) => Some(DonationRow {
            seq: a.seq,
            receipt_no: b.receipt_no.clone(),
            kind: "cash",
            received_on: format_date(b.received_on.0),
            recorded_at: a.recorded_at.clone(),
            donor_display: b.donor.display.as_str().to_owned(),
            donor_kind: name_of(&b.donor.kind),
            donor_search: fold_for_search(b.donor.display.as_str()),
            amount_vnd: i64::try_from(b.amount_vnd.get()).ok()?,
            channel: Some(name_of(&b.channel)),
            campaign_id: id(&b.campaign_id),
            pledge_id: id(&b.pledge_id),
            earmark: b.earmark.as_ref().map(name_of),
            bank_ref: b.bank_ref.clone(),
            goods: None,
        }),
        Body::DonationInKind(b) => Some(DonationRow {
            seq: a.seq,
            receipt_no: b.receipt_no.clone().unwrap_or_default(),
            kind: "in_kind",
            received_on: format_date(b.received_on.0),
            recorded_at: a.recorded_at.clone(),
            donor_display: b.donor.display.as_str().to_owned(),
            donor_kind: name_of(&b.donor.kind),
            donor_search: fold_for_search(b.donor.display.as_str()),
            amount_vnd: i64::try_from(b.total_value_vnd.get()).ok()?,
            channel: None,
            campaign_id: id(&b.campaign_id),
            pledge_id: id(&b.pledge_id),
            earmark: b.earmark.as_ref().map(name_of),
            bank_ref: None,
            goods: Some(
                b.items
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {} {}",
                            l.item,
                            l.quantity.0.normalize(),
                            l.unit.as_str()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
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

/// For a reversal: (the seq it reverses, its own seq, the reason), so the
/// statement can mark a reversed gift void.
pub fn voiding(a: &Appended) -> Option<(u64, u64, String)> {
    a.voids.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_without_diacritics_finds_names_with_them() {
        assert_eq!(fold_for_search("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold_for_search("  ĐỖ   Thị  Hường "), "do thi huong");
        assert_eq!(
            fold_for_search("Công ty TNHH Đại Việt"),
            "cong ty tnhh dai viet"
        );
        assert!(fold_for_search("Nguyễn Văn An").contains(&fold_for_search("nguyen van a")));
    }

    #[test]
    fn decomposed_and_composed_text_fold_alike() {
        let composed = "Hoà Bình";
        let decomposed: String = composed.nfd().collect();
        assert_eq!(fold_for_search(composed), fold_for_search(&decomposed));
    }
}
