//! Names of things: committee and fund codes, ids, receipt numbers,
//! verification codes and calendar dates.

use rand::RngCore;
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

use super::fields::FieldError;

/// A committee or fund code: `[A-Z0-9][A-Z0-9-]{0,31}`, e.g. `HN-VNN`.
/// Upper case, so it reads well inside receipt numbers and never needs
/// escaping in a URL or a note key name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    pub const LEN_MAX: usize = 32;

    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::LEN_MAX
            && raw.as_bytes()[0] != b'-'
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1 to 32 characters A-Z, 0-9 and '-', not starting with '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An id chosen by a client or the server: a UUID or a slug `[a-z0-9-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        if let Ok(u) = uuid::Uuid::parse_str(raw) {
            return Ok(Self(u.hyphenated().to_string()));
        }
        let slug = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if slug {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be a UUID or 1 to 64 characters a-z, 0-9 and '-'",
            ))
        }
    }

    /// A fresh server-made id (UUID v7, so ids sort by creation time).
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().hyphenated().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Vietnam keeps UTC+7 all year.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("UTC+7 is a valid offset"),
};

/// Today's date in Vietnam.
pub fn today_in_vietnam(now: OffsetDateTime) -> Date {
    now.to_offset(VIETNAM).date()
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(raw: &str, field: &str) -> Result<Date, FieldError> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u16, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
        })
    };
    if b.len() != 10 {
        return Err(FieldError::new(field, "must be a date written YYYY-MM-DD"));
    }
    let real = || FieldError::new(field, "must be a real date written YYYY-MM-DD");
    if b[4] != b'-' || b[7] != b'-' {
        return Err(real());
    }
    let (year, month, day) = match (digits(0..4), digits(5..7), digits(8..10)) {
        (Some(y), Some(m), Some(d)) => (y, m, d),
        _ => return Err(real()),
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(real)?;
    let day = u8::try_from(day).map_err(|_| real())?;
    Date::from_calendar_date(i32::from(year), month, day).map_err(|_| real())
}

/// Writes a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Writes an instant as RFC 3339 UTC with microseconds, the form of
/// `recorded_at` in every entry: `2026-11-22T03:04:05.123456Z`.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}.{:06}Z",
        format_date(t.date()),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A receipt number: `<fund code>-<year>-<6-digit counter>`, sequential per
/// fund and year so that a gap is visible.
pub fn receipt_no(fund: &Code, year: i32, counter: u64) -> String {
    format!("{fund}-{year:04}-{counter:06}")
}

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or
/// copied by hand from paper survives.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a verification code: 12 × 5 = 60 bits, of which the
/// last 10 characters (50 bits, the floor SPEC §4 sets) are random.
pub const VERIFICATION_CODE_LEN: usize = 12;

/// Entries that share a code's first two characters: a block of 1,024
/// consecutive seqs of a fund.
const CODE_BLOCK_SEQS: u64 = 1_024;

/// A fresh verification code for the receipt of the gift at `seq`.
///
/// The first two characters (10 bits) name the block of 1,024 seqs the
/// gift falls in, modulo 1,024, so the codes of one commit sort together:
/// the unique index on codes then takes a commit's codes into a few of
/// its pages rather than one page per gift (a fully random code dirtied
/// some sixteen of the 45 pages a commit of sixteen single appends wrote,
/// and nearly a page per gift of a 1,000-gift batch in a fund of a million).
/// The block is public anyway (the receipt number gives the seq); the
/// other ten characters are 50 random bits from the thread's generator, a
/// CSPRNG seeded from the OS (ChaCha), without a system call per code.
pub fn verification_code(seq: u64) -> String {
    let block = (seq / CODE_BLOCK_SEQS) & 1_023;
    let random = rand::thread_rng().next_u64();
    let bits = (block << 50) | (random & ((1 << 50) - 1));
    (0..VERIFICATION_CODE_LEN)
        .rev()
        .map(|i| CROCKFORD[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// Normalises a verification code typed by a person: upper case, hyphens and
/// spaces dropped, and the look-alikes Crockford allows (I, L → 1; O → 0).
pub fn normalise_verification_code(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(VERIFICATION_CODE_LEN);
    for c in raw.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            c if CROCKFORD.contains(&(c as u8)) && c.is_ascii() => c,
            _ => return None,
        };
        out.push(c);
        if out.len() > VERIFICATION_CODE_LEN {
            return None;
        }
    }
    (out.len() == VERIFICATION_CODE_LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_case_letters_digits_and_hyphens() {
        assert!(Code::parse("HN-VNN", "c").is_ok());
        for bad in ["", "hn", "-HN", "HN VNN", "HN+1", &"A".repeat(33), "Hà"] {
            assert!(Code::parse(bad, "c").is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ids_are_uuids_or_slugs() {
        assert!(Id::parse("tet-2027", "id").is_ok());
        assert_eq!(
            Id::parse("0192A3B4-0000-7000-8000-000000000000", "id")
                .unwrap()
                .as_str(),
            "0192a3b4-0000-7000-8000-000000000000"
        );
        for bad in ["", "Tet", "a_b", &"a".repeat(65)] {
            assert!(Id::parse(bad, "id").is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn receipt_numbers_carry_fund_year_and_a_six_digit_counter() {
        let fund = Code::parse("HN-VNN", "f").unwrap();
        assert_eq!(receipt_no(&fund, 2026, 17), "HN-VNN-2026-000017");
    }

    #[test]
    fn verification_codes_sort_by_block_and_keep_fifty_random_bits() {
        // One block of 1,024 seqs shares the first two characters; the
        // next block sorts after it; the last block wraps to the first.
        let first = verification_code(0);
        assert_eq!(&first[..2], "00");
        assert_eq!(&verification_code(1_023)[..2], "00");
        assert_eq!(&verification_code(1_024)[..2], "01");
        assert_eq!(&verification_code(32 * 1_024)[..2], "10");
        assert_eq!(&verification_code(1_023 * 1_024)[..2], "ZZ");
        assert_eq!(&verification_code(1_024 * 1_024)[..2], "00");
        assert!(verification_code(5_000) < verification_code(6_200));
        // The other ten characters are drawn afresh: a thousand codes of
        // one seq are all different, and every character takes many values.
        let codes: std::collections::BTreeSet<String> =
            (0..1_000).map(|_| verification_code(7)).collect();
        assert_eq!(codes.len(), 1_000);
        for i in 2..VERIFICATION_CODE_LEN {
            let seen: std::collections::BTreeSet<u8> =
                codes.iter().map(|c| c.as_bytes()[i]).collect();
            assert!(seen.len() > 16, "character {i} took {} values", seen.len());
        }
        assert!(codes.iter().all(|c| &c[..2] == "00"));
        let code = verification_code(123_456);
        assert_eq!(code.len(), VERIFICATION_CODE_LEN);
        assert_eq!(
            normalise_verification_code(&code.to_lowercase()),
            Some(code.clone())
        );
        let spaced = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
        assert_eq!(normalise_verification_code(&spaced), Some(code));
        assert_eq!(normalise_verification_code("ABC"), None);
        assert_eq!(normalise_verification_code("ABCDEFGHJKMU"), None);
        assert_eq!(
            normalise_verification_code("0O1IL0000000"),
            Some("001110000000".into())
        );
    }

    #[test]
    fn dates_must_be_real_and_well_formed() {
        assert_eq!(
            parse_date("2026-11-22", "d"),
            Ok(time::macros::date!(2026 - 11 - 22))
        );
        assert_eq!(
            parse_date("2024-02-29", "d"),
            Ok(time::macros::date!(2024 - 02 - 29))
        );
        assert_eq!(
            parse_date("0999-12-31", "d"),
            Ok(time::macros::date!(0999 - 12 - 31))
        );
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-11-00",
            "2026-11-32",
            "2026-1a-05",
            "+026-11-22",
            "2026_11_22",
            "2026-11/22",
            "2026/11-22",
            "2026-11-2 ",
            "22/11/2026",
        ] {
            let err = parse_date(bad, "d").expect_err(bad);
            assert_eq!(
                err.message, "must be a real date written YYYY-MM-DD",
                "{bad}"
            );
        }
        for bad in ["2026-1-5", "2026-11-22T00:00:00Z", "", "2026-11-2２"] {
            let err = parse_date(bad, "d").expect_err(bad);
            assert_eq!(err.message, "must be a date written YYYY-MM-DD", "{bad}");
        }
    }

    #[test]
    fn timestamps_have_microseconds_and_a_z() {
        let t = time::macros::datetime!(2026-11-22 03:04:05.123456 UTC);
        assert_eq!(format_timestamp(t), "2026-11-22T03:04:05.123456Z");
    }
}
