//! The fund's bank accounts and the bank's statements sealed in the ledger
//! (SPEC §10).
//!
//! A receiving account is public: committees print it on posters. A
//! statement's seal states what the bank's file said (days, lines, totals,
//! balances, the file's SHA-256) and which gifts on the ledger its credit
//! lines are: their seqs as ranges and a Merkle root over them. Anyone with
//! the ledger can add those gifts up and compare them with the bank's
//! credit total; nothing in a seal names a sender.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;

use super::KindBody;
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::Id;
use crate::ledger::merkle::{leaf_hash, to_hex, Frontier};
use crate::ledger::values::{Day, LongText, Name, Sha256Hex, Vnd};

/// A bank's six-digit BIN (NAPAS bank identification number): 970436 is
/// Vietcombank.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankBin(String);

impl BankBin {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be the bank's BIN: 6 digits, such as 970436".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank account number: 6 to 19 digits (VietQR's limit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountNo(String);

impl AccountNo {
    pub const LEN_MAX: usize = 19;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if (6..=Self::LEN_MAX).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be an account number: 6 to 19 digits, no spaces".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_value {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_value!(BankBin);
string_value!(AccountNo);

/// A receiving account of the fund, as the committee publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccountOpened {
    pub bank_bin: BankBin,
    pub account_no: AccountNo,
    /// The name the bank shows to a sender: the committee's.
    pub account_name: Name,
    pub bank_name: Name,
}

/// The fields are typed; the account's uniqueness is the book's rule.
impl KindBody for BankAccountOpened {
    fn check(&self, _today: Date, _e: &mut FieldErrors) {}
}

/// Seqs as sorted ranges, `"120-1119,1200"`: a statement's gifts were
/// mostly recorded a thousand at a time, so its seal stays short.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeqRanges(Vec<(u64, u64)>);

impl SeqRanges {
    /// From seqs in any order; repeats are kept once.
    pub fn from_seqs(mut seqs: Vec<u64>) -> Self {
        seqs.sort_unstable();
        seqs.dedup();
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for s in seqs {
            match ranges.last_mut() {
                Some((_, last)) if *last + 1 == s => *last = s,
                _ => ranges.push((s, s)),
            }
        }
        Self(ranges)
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || "must be seqs as ascending ranges: \"120-1119,1200\"".to_owned();
        if raw.is_empty() {
            return Ok(Self::default());
        }
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for part in raw.split(',') {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None => (part, part),
            };
            let num = |s: &str| -> Result<u64, String> {
                if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
                    return Err(bad());
                }
                s.parse().map_err(|_| bad())
            };
            let (a, b) = (num(a)?, num(b)?);
            // Ascending, apart, and each range written as short as it can be.
            let apart = ranges
                .last()
                .is_none_or(|&(_, last)| last.checked_add(1).is_some_and(|next| a > next));
            let canonical = a < b || (a == b && !part.contains('-'));
            if !apart || !canonical {
                return Err(bad());
            }
            ranges.push((a, b));
        }
        Ok(Self(ranges))
    }

    pub fn count(&self) -> u64 {
        self.0
            .iter()
            .map(|(a, b)| (b - a).saturating_add(1))
            .fold(0u64, u64::saturating_add)
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().flat_map(|&(a, b)| a..=b)
    }

    pub fn last(&self) -> Option<u64> {
        self.0.last().map(|r| r.1)
    }

    /// The Merkle root (RFC 9162) over the seqs in order, each leaf the
    /// seq as 8 bytes big-endian.
    pub fn root(&self) -> String {
        let mut tree = Frontier::new();
        for s in self.iter() {
            tree.push(leaf_hash(&s.to_be_bytes()));
        }
        to_hex(&tree.root())
    }
}

impl std::fmt::Display for SeqRanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for SeqRanges {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SeqRanges {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A credit line of the statement settled as not a gift (interest, a fee
/// refunded), with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotGift {
    pub day: Day,
    pub amount_vnd: Vnd,
    pub reason: LongText,
}

/// The seal of one imported bank statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankStatementSealed {
    pub statement_id: Id,
    pub account_no: AccountNo,
    /// The layout the file was read as: "Vietcombank", "ISO 20022 camt.053".
    pub layout: Name,
    pub file_sha256: Sha256Hex,
    pub first_day: Day,
    pub last_day: Day,
    pub lines: u64,
    pub credit_lines: u64,
    pub debit_lines: u64,
    pub credits_vnd: Vnd,
    pub debits_vnd: Vnd,
    pub opening_balance_vnd: Vnd,
    pub closing_balance_vnd: Vnd,
    /// The gifts the credit lines are: recorded by this import or linked
    /// to gifts already on the ledger.
    pub gifts: u64,
    pub gifts_vnd: Vnd,
    pub gift_seqs: SeqRanges,
    pub gifts_root: Sha256Hex,
    /// Credit lines settled as not gifts before the seal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_gifts: Vec<NotGift>,
    /// Credit lines waiting in the review queue when the seal was written.
    pub review_credit_lines: u64,
    pub review_credits_vnd: Vnd,
}

impl BankStatementSealed {
    /// The seal's own arithmetic, which needs nothing but the seal: pushes
    /// every figure that does not add up.
    pub fn check_figures(&self, e: &mut FieldErrors) {
        if self.last_day < self.first_day {
            e.push("body.last_day", "must not be before first_day");
        }
        if self.credit_lines.checked_add(self.debit_lines) != Some(self.lines) {
            e.push("body.lines", "must be credit_lines plus debit_lines");
        }
        let (open, close) = (
            i128::from(self.opening_balance_vnd.get()),
            i128::from(self.closing_balance_vnd.get()),
        );
        let moved = i128::from(self.credits_vnd.get()) - i128::from(self.debits_vnd.get());
        if open + moved != close {
            e.push(
                "body.closing_balance_vnd",
                "must be the opening balance plus credits minus debits",
            );
        }
        let not_gifts: u128 = self
            .not_gifts
            .iter()
            .map(|n| u128::from(n.amount_vnd.get()))
            .sum();
        let accounted = u128::from(self.gifts_vnd.get())
            + not_gifts
            + u128::from(self.review_credits_vnd.get());
        if accounted != u128::from(self.credits_vnd.get()) {
            e.push(
                "body.gifts_vnd",
                "gifts, credits settled as not gifts and credits in review must add up to the credit total",
            );
        }
        let count =
            self.gifts as u128 + self.not_gifts.len() as u128 + self.review_credit_lines as u128;
        if count != u128::from(self.credit_lines) {
            e.push(
                "body.gifts",
                "gifts, not-gift lines and lines in review must add up to the credit lines",
            );
        }
        if self.gift_seqs.count() != self.gifts {
            e.push("body.gift_seqs", "must hold as many seqs as gifts");
        }
        if self.gift_seqs.root() != self.gifts_root.as_str() {
            e.push("body.gifts_root", "must be the Merkle root over gift_seqs");
        }
    }
}

/// A seal is written by the server; its figures are checked all the same.
impl KindBody for BankStatementSealed {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        self.check_figures(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_ranges_round_trip_and_refuse_what_is_not_canonical() {
        let r = SeqRanges::from_seqs(vec![7, 3, 4, 5, 9, 4]);
        assert_eq!(r.to_string(), "3-5,7,9");
        assert_eq!(r.count(), 5);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![3, 4, 5, 7, 9]);
        assert_eq!((r.last(), SeqRanges::default().last()), (Some(9), None));
        assert_eq!(SeqRanges::parse("3-5,7,9"), Ok(r));
        assert_eq!(SeqRanges::parse(""), Ok(SeqRanges::default()));
        // Zero is written "0", not refused as a leading zero.
        assert_eq!(SeqRanges::parse("0-2").map(|r| r.count()), Ok(3));
        assert_eq!(SeqRanges::parse("0").map(|r| r.to_string()), Ok("0".into()));
        for bad in [
            "5-3", "3,3", "3-5,5", "3-5,6", "7,3", "03", "3-3", "a", "3,", "-3", "1-2-3",
        ] {
            assert!(SeqRanges::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn the_root_is_rfc_9162_over_big_endian_seqs() {
        let r = SeqRanges::from_seqs(vec![1, 2]);
        let l1 = leaf_hash(&1u64.to_be_bytes());
        let l2 = leaf_hash(&2u64.to_be_bytes());
        assert_eq!(
            r.root(),
            to_hex(&crate::ledger::merkle::node_hash(&l1, &l2))
        );
        // The empty tree's root is SHA-256 of nothing.
        assert_eq!(
            SeqRanges::default().root(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn bins_and_account_numbers() {
        assert!(BankBin::parse("970436").is_ok());
        for bad in ["97043", "9704366", "97043a", ""] {
            assert!(BankBin::parse(bad).is_err());
        }
        assert!(AccountNo::parse("0011001234567").is_ok());
        for bad in ["12345", "00110012345678901234", "0011 0012", "-1234567"] {
            assert!(AccountNo::parse(bad).is_err(), "{bad}");
        }
    }

    fn seal() -> BankStatementSealed {
        let seqs = SeqRanges::from_seqs(vec![5, 6]);
        serde_json::from_value(serde_json::json!({
            "statement_id": "01900000-0000-7000-8000-000000000001",
            "account_no": "0011001234567",
            "layout": "Vietcombank",
            "file_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "first_day": "2026-10-17", "last_day": "2026-10-18",
            "lines": 4, "credit_lines": 3, "debit_lines": 1,
            "credits_vnd": "600", "debits_vnd": "50",
            "opening_balance_vnd": "1000", "closing_balance_vnd": "1550",
            "gifts": 2, "gifts_vnd": "500", "gift_seqs": seqs.to_string(), "gifts_root": seqs.root(),
            "review_credit_lines": 1, "review_credits_vnd": "100"
        }))
        .unwrap()
    }

    #[test]
    fn a_seal_that_adds_up_passes_and_each_wrong_figure_is_named() {
        let mut e = FieldErrors::default();
        seal().check_figures(&mut e);
        assert!(e.is_empty(), "{e:?}");
        // The credit in review settled as not a gift: it counts the same.
        let mut settled = seal();
        settled.review_credit_lines = 0;
        settled.review_credits_vnd = Vnd::default();
        settled.not_gifts = vec![NotGift {
            day: settled.first_day,
            amount_vnd: Vnd::new(100).unwrap(),
            reason: LongText::parse("Lãi tiền gửi").unwrap(),
        }];
        settled.check_figures(&mut e);
        assert!(e.is_empty(), "{e:?}");
        // As the kind's own check too.
        let mut spoilt = seal();
        spoilt.lines = 9;
        let mut k = FieldErrors::default();
        KindBody::check(&spoilt, time::macros::date!(2026 - 11 - 30), &mut k);
        assert!(k.0.iter().any(|f| f.field == "body.lines"), "{k:?}");
        // A statement of one day.
        let mut one_day = seal();
        one_day.first_day = one_day.last_day;
        one_day.check_figures(&mut e);
        assert!(e.is_empty(), "{e:?}");
        type Spoil = fn(&mut BankStatementSealed);
        let cases: [(&str, Spoil); 7] = [
            ("body.last_day", |s| {
                s.first_day = Day(time::macros::date!(2026 - 10 - 19))
            }),
            ("body.lines", |s| s.lines = 5),
            ("body.closing_balance_vnd", |s| {
                s.closing_balance_vnd = Vnd::new(1549).unwrap()
            }),
            ("body.gifts_vnd", |s| {
                s.review_credits_vnd = Vnd::new(99).unwrap()
            }),
            ("body.gifts", |s| s.review_credit_lines = 2),
            ("body.gift_seqs", |s| {
                s.gift_seqs = SeqRanges::from_seqs(vec![5])
            }),
            ("body.gifts_root", |s| {
                s.gifts_root = Sha256Hex::parse(&SeqRanges::from_seqs(vec![5, 7]).root()).unwrap()
            }),
        ];
        for (field, spoil) in cases {
            let mut s = seal();
            spoil(&mut s);
            let mut e = FieldErrors::default();
            s.check_figures(&mut e);
            assert!(e.0.iter().any(|f| f.field == field), "{field}: {e:?}");
        }
    }
}
