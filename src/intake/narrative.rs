//! Reading a bank line's narrative (SPEC §10): the fund's reference a
//! donor wrote after `SV`, and who sent the money, so that the published
//! name is the one SPEC §10 allows and nothing else.
//!
//! Narratives are the bank's own text around the sender's message:
//! `MBVCB.6986253876.SV K7M2Q9XA ung ho.CT tu 0351000646393 NGUYEN THE HUNG
//! toi 0011001234567 ...`. They hold the sender's account number and full
//! name, which never reach the ledger: only the reference found here, and
//! a published name made from the sender's (family name and initials).

use crate::ledger::kinds::DonorKind;
use crate::ledger::saoke::fold_for_search;

/// The published name when the bank gives none.
pub const NO_NAME: &str = "Nhà hảo tâm";

/// What a narrative says about a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// No `SV <reference>` in it.
    None,
    /// `SV` followed by this token, which looks like a reference
    /// (letters and digits, both, 6 to 20 of them).
    Named(String),
}

/// Tokens of the narrative: upper case ASCII letters and digits, every
/// other character a separator.
fn tokens(narrative: &str) -> Vec<String> {
    fold_for_search(narrative)
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `t` looks like a reference the server made (or a client gave a
/// pledge): 6 to 20 letters and digits, with at least one of each. A word
/// after "SV" that is not (SV also stands for "sinh viên", a student)
/// is no reference.
fn looks_like_reference(t: &str) -> bool {
    (6..=20).contains(&t.len())
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().any(|b| b.is_ascii_uppercase())
}

/// The words a narrative writes after `SV` (`SV K7M2Q9XA`, `SV.K7M2Q9XA`,
/// `SV-K7M2Q9XA`, `SVK7M2Q9XA`), in order: each may be a reference.
pub fn candidates(narrative: &str) -> Vec<String> {
    let t = tokens(narrative);
    let mut out: Vec<String> = Vec::new();
    for (i, tok) in t.iter().enumerate() {
        let c = if tok == "SV" {
            t.get(i + 1).cloned()
        } else {
            tok.strip_prefix("SV").map(str::to_owned)
        };
        if let Some(c) = c.filter(|c| !c.is_empty() && c.len() <= 20 && !out.contains(c)) {
            out.push(c);
        }
    }
    out
}

/// The reference the narrative names after `SV`. One `known` to the fund
/// wins (a narrative can hold several `SV`); otherwise the first word that
/// looks like a reference is named, unknown, for a clerk to look at;
/// otherwise there is none.
pub fn reference(narrative: &str, known: impl Fn(&str) -> bool) -> Reference {
    let found = candidates(narrative);
    if let Some(k) = found.iter().find(|c| known(c)) {
        return Reference::Named(k.clone());
    }
    found
        .into_iter()
        .find(|c| looks_like_reference(c))
        .map_or(Reference::None, Reference::Named)
}

/// Who sent the money, as far as the narrative says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    pub account: Option<String>,
    /// Upper case, without marks: "NGUYEN THE HUNG".
    pub name: Option<String>,
}

/// Words that end a sender's name in a narrative.
const NAME_ENDS: [&str; 12] = [
    "TOI", "DEN", "CHUYEN", "CK", "UNG", "HO", "GD", "ND", "NOI", "DUNG", "SV", "FT",
];

/// Finds `tu <account> <NAME>` (and `from`), the form most banks write:
/// the account is the run of digits after "tu", the name the words of
/// letters after it up to a word that ends it.
pub fn sender(narrative: &str) -> Sender {
    let t = tokens(narrative);
    for (i, tok) in t.iter().enumerate() {
        if tok != "TU" && tok != "FROM" {
            continue;
        }
        let Some(account) = t
            .get(i + 1)
            .filter(|a| a.len() >= 6 && a.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let name: Vec<&str> = t[i + 2..]
            .iter()
            .take_while(|w| {
                w.bytes().all(|b| b.is_ascii_uppercase()) && !NAME_ENDS.contains(&w.as_str())
            })
            .take(8)
            .map(String::as_str)
            .collect();
        return Sender {
            account: Some(account.clone()),
            name: (!name.is_empty()).then(|| name.join(" ")),
        };
    }
    Sender::default()
}

/// What marks an organisation's name: words no person's name holds, and
/// pairs of words (a single "CHI", "HOI" or "TRUONG" is also a given
/// name, so alone they mark nothing: a person's name is never published
/// whole).
const ORGANISATION_WORDS: [&str; 8] = ["CTY", "TNHH", "JSC", "UBND", "HTX", "CTCP", "LTD", "CORP"];
const ORGANISATION_PAIRS: [(&str, &str); 8] = [
    ("CONG", "TY"),
    ("NGAN", "HANG"),
    ("TAP", "DOAN"),
    ("DOANH", "NGHIEP"),
    ("CHI", "NHANH"),
    ("HOI", "CHU"),
    ("TRUONG", "THPT"),
    ("CO", "PHAN"),
];

/// The published name (SPEC §10): an organisation's name as the bank
/// gives it; for a person the family name and initials (`NGUYEN T. H.`);
/// "Nhà hảo tâm" when the bank gives no name.
pub fn display(name: Option<&str>) -> (String, DonorKind) {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return (NO_NAME.to_owned(), DonorKind::Individual);
    };
    let words: Vec<&str> = name.split_whitespace().collect();
    let organisation = words.iter().any(|w| ORGANISATION_WORDS.contains(w))
        || words
            .windows(2)
            .any(|p| ORGANISATION_PAIRS.contains(&(p[0], p[1])));
    if organisation {
        return (words.join(" "), DonorKind::Organization);
    }
    let mut out = words[0].to_owned();
    for w in &words[1..] {
        if let Some(c) = w.chars().next() {
            out.push(' ');
            out.push(c);
            out.push('.');
        }
    }
    (out, DonorKind::Individual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_in_the_forms_banks_write() {
        let known = |r: &str| r == "K7M2Q9XA";
        for n in [
            "MBVCB.6986253876.SV K7M2Q9XA ung ho.CT tu 0351000646393 NGUYEN THE HUNG toi 0011001234567",
            "SV.K7M2Q9XA",
            "sv-k7m2q9xa ung ho",
            "IBFT SVK7M2Q9XA",
            "SV NGUYEN VAN A SV K7M2Q9XA",
        ] {
            assert_eq!(reference(n, known), Reference::Named("K7M2Q9XA".into()), "{n}");
        }
        // A pledge's own reference of letters only counts when known.
        let tet = |r: &str| r == "TETGIFT";
        assert_eq!(
            reference("SV TETGIFT ck", tet),
            Reference::Named("TETGIFT".into())
        );
        assert_eq!(reference("SV TETGIFT ck", known), Reference::None);
        // A reference-like token that is not known is still named: it
        // waits in review.
        assert_eq!(
            reference("SV ZZ99ZZ99", known),
            Reference::Named("ZZ99ZZ99".into())
        );
        // "SV" for a student, words, or nothing.
        for n in [
            "SV NGUYEN VAN A ung ho",
            "ung ho dong bao",
            "",
            "SV 12345678",
            "SVABC",
        ] {
            assert_eq!(reference(n, known), Reference::None, "{n}");
        }
    }

    #[test]
    fn candidates_are_the_words_after_sv_once_each_and_short() {
        // Each is looked up in the database: none empty, none past 20
        // characters (no reference is longer), none twice.
        assert_eq!(candidates("SV K7M2Q9XA ck SV K7M2Q9XA"), vec!["K7M2Q9XA"]);
        assert_eq!(candidates("SVABC SV DEF"), vec!["ABC", "DEF"]);
        assert!(candidates("ung ho SV").is_empty());
        assert!(
            candidates("SV ABCDEFGHIJKLMNOPQRSTU").is_empty(),
            "21 characters"
        );
        assert_eq!(
            candidates("SV ABCDEFGHIJKLMNOPQRST"),
            vec!["ABCDEFGHIJKLMNOPQRST"]
        );
    }

    #[test]
    fn the_sender_is_read_after_tu() {
        let s = sender(
            "MBVCB.6986253876.SV K7M2Q9XA.CT tu 0351000646393 NGUYEN THE HUNG toi 0011001234567",
        );
        assert_eq!(s.account.as_deref(), Some("0351000646393"));
        assert_eq!(s.name.as_deref(), Some("NGUYEN THE HUNG"));
        let s = sender("CT tu 1903 ung ho");
        assert_eq!(s, Sender::default(), "too short for an account");
        let s = sender("Chuyển tiền từ 19036677889900 Trần Thị Bích chuyển khoản");
        assert_eq!(s.name.as_deref(), Some("TRAN THI BICH"));
        assert_eq!(sender("ung ho"), Sender::default());
    }

    #[test]
    fn published_names_keep_only_the_family_name_of_a_person() {
        assert_eq!(
            display(Some("NGUYEN THE HUNG")),
            ("NGUYEN T. H.".into(), DonorKind::Individual)
        );
        assert_eq!(display(Some("LE")), ("LE".into(), DonorKind::Individual));
        assert_eq!(
            display(Some("CONG TY TNHH AN PHAT")),
            ("CONG TY TNHH AN PHAT".into(), DonorKind::Organization)
        );
        assert_eq!(display(None), (NO_NAME.into(), DonorKind::Individual));
        // Given names that are also words of organisations' names.
        assert_eq!(
            display(Some("TRAN THI LAN CHI")),
            ("TRAN T. L. C.".into(), DonorKind::Individual)
        );
        assert_eq!(
            display(Some("LE HOI TRUONG")),
            ("LE H. T.".into(), DonorKind::Individual)
        );
        assert_eq!(
            display(Some("NGAN HANG TMCP NGOAI THUONG")),
            (
                "NGAN HANG TMCP NGOAI THUONG".into(),
                DonorKind::Organization
            )
        );
        assert_eq!(
            display(Some("CTY ABC")),
            ("CTY ABC".into(), DonorKind::Organization)
        );
        assert_eq!(display(Some("  ")), (NO_NAME.into(), DonorKind::Individual));
    }
}
