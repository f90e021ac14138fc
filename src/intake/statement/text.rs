//! Reading the words, dates and amounts of a statement's cells: label
//! folding, the date forms banks write, and amounts in whole đồng with either
//! grouping style. Pure functions, shared by the CSV, XLSX and camt readers.

use time::{Date, Month};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The largest amount or balance accepted, in đồng: 9 × 10^15, above any
/// fund's money by orders of magnitude, and well inside `i64`, so sums of a
/// whole statement cannot overflow the `i128` they are added in.
pub const AMOUNT_VND_MAX: u64 = 9_000_000_000_000_000;

/// Folds a label for comparison: Unicode NFD with the combining marks (the
/// Vietnamese accents) dropped, `đ` as `d`, lower case, inner whitespace
/// collapsed to one space, a trailing `:` and a trailing `(VND)` dropped.
/// "Số tiền ghi có (VND)", "SO TIEN GHI CO" and "số tiền  ghi có:" fold alike,
/// so both accented labels (in NFC or NFD) and unaccented ones are accepted.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    let mut end = out.trim_end_matches(':').trim_end().len();
    for unit in ["(vnd)", "(d)"] {
        if out[..end].ends_with(unit) {
            end = out[..end - unit.len()].trim_end().len();
        }
    }
    out.truncate(end);
    out
}

/// When `folded` is `label` alone or `label` followed by a separator (`:`,
/// space, `-`), the rest after the separators; `None` when `folded` does not
/// start with `label` as a whole word.
pub fn after_label<'a>(folded: &'a str, label: &str) -> Option<&'a str> {
    let rest = folded.strip_prefix(label)?;
    match rest.chars().next() {
        None => Some(""),
        Some(c) if c == ':' || c == '-' || c.is_whitespace() => {
            Some(rest.trim_start_matches(|c: char| c == ':' || c == '-' || c.is_whitespace()))
        }
        Some(_) => None,
    }
}

/// An account number in `text`: the first run of digits, allowing single
/// spaces, dots or dashes between digit groups (`0011 0012 34567`), as
/// digits only. `None` unless it has 4 to 19 digits (VietQR's account field
/// holds at most 19).
pub fn account_digits(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let mut digits = String::new();
    let mut gap = false;
    for c in text[start..].chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            gap = false;
        } else if !gap && (c == ' ' || c == '.' || c == '-') {
            gap = true;
        } else {
            break;
        }
    }
    (4..=19).contains(&digits.len()).then_some(digits)
}

/// Reads a date as banks write it: `dd/mm/yyyy`, `dd-mm-yyyy`, either with
/// a time (`hh:mm` or `hh:mm:ss`) after a space, or `yyyy-mm-dd` with an
/// optional time after `T` or a space (camt, the generic CSV). Day and month
/// may have one or two digits. The time, when present, must be well formed
/// but is not kept: a statement line belongs to a day.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let bad = || format!("date \"{text}\" is not a date (expected dd/mm/yyyy)");
    let (day_part, time_part) = match text.find(['T', ' ']) {
        Some(i) => (&text[..i], Some(text[i + 1..].trim_start())),
        None => (text, None),
    };
    if let Some(t) = time_part {
        if !time_is_well_formed(t) {
            return Err(bad());
        }
    }
    let sep = if day_part.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = day_part.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |s: &str, min: usize, max: usize| -> Option<u32> {
        if (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = if a.len() == 4 && sep == '-' {
        (number(a, 4, 4), number(b, 1, 2), number(c, 1, 2))
    } else {
        (number(c, 4, 4), number(b, 1, 2), number(a, 1, 2))
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(bad());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    let year = i32::try_from(year).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff`, optionally followed by a zone
/// (`Z`, `+07:00`) as camt's `DtTm` has it.
fn time_is_well_formed(t: &str) -> bool {
    let t = t
        .strip_suffix('Z')
        .or_else(|| t.rfind(['+', '-']).filter(|&i| i >= 5).map(|i| &t[..i]))
        .unwrap_or(t);
    let (hms, fraction) = match t.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (t, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let fields: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&fields.len()) {
        return false;
    }
    let limits = [23, 59, 60];
    fields.iter().zip(limits).all(|(f, max)| {
        (1..=2).contains(&f.len())
            && f.bytes().all(|b| b.is_ascii_digit())
            && f.parse::<u32>().is_ok_and(|v| v <= max)
    })
}

/// Reads an amount of whole đồng with no sign: `1.000.000`, `1,000,000`,
/// `1000000`, or any of these with a decimal part of exactly two digits that
/// must be zero (`1,000,000.00`, `1.000.000,00`). Grouping uses one
/// separator throughout, the first group has one to three digits and every
/// later group exactly three. A separator followed by exactly two digits at
/// the end is a decimal part; so `1.000,50` is a fraction and refused, and
/// `12,34,567`, `1.00.000` and `1.000.5` are bad grouping.
pub fn parse_amount(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let whole = |why: &str| format!("amount \"{text}\" is not a whole number of đồng ({why})");
    if text.is_empty() {
        return Err(whole("it is empty"));
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(whole(
            "it holds characters other than digits and . or , grouping",
        ));
    }
    let mut integer = text;
    if let Some(i) = text.rfind(['.', ',']) {
        let decimals = &text[i + 1..];
        if decimals.len() == 2 {
            if decimals != "00" {
                return Err(whole("it has a fraction of a đồng"));
            }
            integer = &text[..i];
            let decimal_sep = text.as_bytes()[i];
            if integer.bytes().any(|b| b == decimal_sep) {
                return Err(whole("its separators are mixed up"));
            }
        }
    }
    let digits = group_digits(integer).ok_or_else(|| {
        whole("digits must be grouped in threes with one kind of separator, as 1.000.000 or 1,000,000")
    })?;
    let value: u64 = digits.parse().map_err(|_| whole("it is too large"))?;
    if value > AMOUNT_VND_MAX {
        return Err(format!(
            "amount \"{text}\" is larger than the largest amount Sổ Vàng accepts (9,000,000,000,000,000 đồng)"
        ));
    }
    Ok(value)
}

/// The digits of `text` when it is plain digits or correctly grouped.
fn group_digits(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let Some(sep) = text.bytes().find(|&b| b == b'.' || b == b',') else {
        return Some(text.to_owned());
    };
    let mut digits = String::with_capacity(text.len());
    for (i, group) in text.split(char::from(sep)).enumerate() {
        let ok_len = if i == 0 {
            (1..=3).contains(&group.len())
        } else {
            group.len() == 3
        };
        if !ok_len || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

/// Reads an amount with an optional leading `-` or `+` (balances, and
/// Agribank's single signed amount column), as [`parse_amount`] otherwise.
pub fn parse_signed(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = parse_amount(rest).map_err(|e| e.replacen(rest, text, 1))?;
    let value = i64::try_from(value).map_err(|_| format!("amount \"{text}\" is too large"))?;
    Ok(if negative { -value } else { value })
}

/// Whether an amount cell counts as "nothing here": empty, or a lone `-`
/// as some banks print in the unused column.
pub fn is_nil(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t == "-"
}

/// Reads a camt.053 amount: digits with an optional `.` and decimal digits
/// that must all be zero (`1500000`, `1500000.00`); no grouping.
pub fn parse_camt_amount(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = |why: &str| format!("amount \"{text}\" is not a whole number of đồng ({why})");
    let (integer, decimals) = text.split_once('.').unwrap_or((text, ""));
    if integer.is_empty() || !integer.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("it is not a number"));
    }
    if !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("it is not a number"));
    }
    if decimals.bytes().any(|b| b != b'0') {
        return Err(bad("it has a fraction of a đồng"));
    }
    let value: u64 = integer.parse().map_err(|_| bad("it is too large"))?;
    if value > AMOUNT_VND_MAX {
        return Err(bad("it is too large"));
    }
    Ok(value)
}

/// Formats đồng with `,` grouping for messages: `1,234,567`.
pub fn grouped(value: i128) -> String {
    group_with(value, ',')
}

/// Formats đồng with `sep` between groups of three digits.
pub fn group_with(value: i128, sep: char) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn labels_fold_alike_with_and_without_accents() {
        assert_eq!(fold("Số tiền ghi có"), "so tien ghi co");
        assert_eq!(fold("SO TIEN GHI CO"), "so tien ghi co");
        assert_eq!(fold(" Số  tiền ghi có (VND): "), "so tien ghi co");
        let nfd: String = "Ngày giao dịch".nfd().collect();
        assert_eq!(fold(&nfd), "ngay giao dich");
        assert_eq!(fold("Dư đầu"), "du dau");
    }

    #[test]
    fn amounts_in_both_grouping_styles_are_read() {
        for (text, value) in [
            ("1.000.000", 1_000_000),
            ("1,000,000", 1_000_000),
            ("1000000", 1_000_000),
            ("1,000,000.00", 1_000_000),
            ("1.000.000,00", 1_000_000),
            ("1000000.00", 1_000_000),
            ("500", 500),
            ("0", 0),
            (" 12.345 ", 12_345),
        ] {
            assert_eq!(parse_amount(text), Ok(value), "{text}");
        }
    }

    #[test]
    fn fractions_bad_grouping_and_words_are_refused() {
        for text in [
            "1.000.5",
            "12,34,567",
            "1.00.000",
            "1.000,50",
            "1,000.50",
            "-",
            "abc",
            "1 000",
            "1.000,000",
            ",000",
            "1..000",
            "1.000.000.",
            "9000000000000001",
            "1e6",
            "",
            "1,000.000,00",
        ] {
            assert!(parse_amount(text).is_err(), "{text}");
        }
        assert!(parse_amount("1.000,50").unwrap_err().contains("fraction"));
    }

    #[test]
    fn signed_amounts_carry_their_sign() {
        assert_eq!(parse_signed("-1,500,000"), Ok(-1_500_000));
        assert_eq!(parse_signed("+200"), Ok(200));
        assert!(parse_signed("--1").is_err());
    }

    #[test]
    fn dates_in_the_forms_banks_write_are_read() {
        for (text, day) in [
            ("05/03/2025", date!(2025 - 03 - 05)),
            ("5/3/2025", date!(2025 - 03 - 05)),
            ("05/03/2025 14:22:01", date!(2025 - 03 - 05)),
            ("05-03-2025", date!(2025 - 03 - 05)),
            ("2025-03-05", date!(2025 - 03 - 05)),
            ("2025-03-05T14:22:01+07:00", date!(2025 - 03 - 05)),
            ("2025-03-05T14:22:01.123Z", date!(2025 - 03 - 05)),
        ] {
            assert_eq!(parse_date(text), Ok(day), "{text}");
        }
        for text in [
            "31/02/2025",
            "2025/03/05",
            "05/03/25",
            "05/03/2025 25:00",
            "tomorrow",
            "",
        ] {
            assert!(parse_date(text).is_err(), "{text}");
        }
    }

    #[test]
    fn account_numbers_are_digits_only() {
        assert_eq!(
            account_digits(": 0011001234567 - NGUYEN").as_deref(),
            Some("0011001234567")
        );
        assert_eq!(
            account_digits("0011 0012 34567").as_deref(),
            Some("0011001234567")
        );
        assert_eq!(account_digits("VND"), None);
        assert_eq!(account_digits("12"), None);
    }

    #[test]
    fn labels_match_as_whole_words() {
        assert_eq!(
            after_label("so du dau ky 1.000", "so du dau ky"),
            Some("1.000")
        );
        assert_eq!(after_label("so du dau ky", "so du dau ky"), Some(""));
        assert_eq!(after_label("stkx", "stk"), None);
        assert_eq!(grouped(-1234567), "-1,234,567");
    }
}
