//! VietQR payloads (SPEC §10, BANKS.md): the EMVCo merchant-presented QR
//! that every Vietnamese banking app reads, pointing at one of the fund's
//! receiving accounts, with the fund's reference in the purpose field so
//! the transfer's narrative names the campaign or pledge it is for.
//!
//! A payload is a run of TLV fields (two-digit id, two-digit length,
//! value), ending in a CRC-16/CCITT-FALSE over everything before it and
//! its own `6304`.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The NAPAS GUID in field 38.
const NAPAS_GUID: &str = "A000000727";

/// The service code for a transfer to an account.
const TO_ACCOUNT: &str = "QRIBFTTA";

/// Longest purpose text the field 62/08 holds.
pub const PURPOSE_CHARS_MAX: usize = 25;

/// What a payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer<'a> {
    /// The bank's six-digit BIN.
    pub bank_bin: &'a str,
    /// Up to 19 digits.
    pub account_no: &'a str,
    /// Whole đồng, when the QR is for one amount (a pledge).
    pub amount_vnd: Option<u64>,
    /// Already folded by [`purpose`]: ASCII, at most 25 characters.
    pub purpose: &'a str,
}

/// One TLV field. Every value written here is ASCII and under 100 bytes.
fn tlv(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() < 100 && value.is_ascii());
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
}

/// The payload text to draw as a QR code.
pub fn payload(t: &Transfer<'_>) -> String {
    let mut account = String::new();
    tlv(&mut account, "00", t.bank_bin);
    tlv(&mut account, "01", t.account_no);
    let mut merchant = String::new();
    tlv(&mut merchant, "00", NAPAS_GUID);
    tlv(&mut merchant, "01", &account);
    tlv(&mut merchant, "02", TO_ACCOUNT);
    let mut out = String::with_capacity(160);
    tlv(&mut out, "00", "01");
    // Static for a poster anyone may pay any amount to; dynamic for one
    // payment of a stated amount (BANKS.md).
    tlv(
        &mut out,
        "01",
        if t.amount_vnd.is_some() { "12" } else { "11" },
    );
    tlv(&mut out, "38", &merchant);
    tlv(&mut out, "53", "704");
    if let Some(a) = t.amount_vnd {
        tlv(&mut out, "54", &a.to_string());
    }
    tlv(&mut out, "58", "VN");
    if !t.purpose.is_empty() {
        let mut extra = String::new();
        tlv(&mut extra, "08", t.purpose);
        tlv(&mut out, "62", &extra);
    }
    out.push_str("6304");
    let crc = crc16_ccitt_false(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    out
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no
/// reflection, no final XOR.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The purpose text for a reference: `SV <reference>`, folded to ASCII
/// (Vietnamese letters without their marks, `đ` as `d`), anything else
/// dropped, cut to 25 characters.
pub fn purpose(reference: &str) -> String {
    fold_ascii(&format!("SV {reference}"))
}

/// Folds text to what field 62/08 may carry.
pub fn fold_ascii(text: &str) -> String {
    text.nfd()
        .filter(|c| c.general_category() != GeneralCategory::NonspacingMark)
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .take(PURPOSE_CHARS_MAX)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second reading of a payload, written apart from the writer: each
    /// field by id, nested fields parsed again.
    fn fields(s: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let id = &rest[..2];
            let len: usize = rest[2..4].parse().expect("a two-digit length");
            out.push((id.to_owned(), rest[4..4 + len].to_owned()));
            rest = &rest[4 + len..];
        }
        out
    }

    fn field<'a>(f: &'a [(String, String)], id: &str) -> Option<&'a str> {
        f.iter().find(|(i, _)| i == id).map(|(_, v)| v.as_str())
    }

    /// A table-driven CRC, the other common way to compute it.
    fn crc_by_table(bytes: &[u8]) -> u16 {
        let table: Vec<u16> = (0u16..256)
            .map(|i| {
                (0..8).fold(i << 8, |c, _| {
                    if c & 0x8000 != 0 {
                        (c << 1) ^ 0x1021
                    } else {
                        c << 1
                    }
                })
            })
            .collect();
        bytes.iter().fold(0xFFFF, |crc: u16, &b| {
            (crc << 8) ^ table[usize::from(((crc >> 8) as u8) ^ b)]
        })
    }

    #[test]
    fn the_crc_is_ccitt_false() {
        // The catalogue's check value for CRC-16/CCITT-FALSE.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        for s in [&b""[..], b"A", b"000201010211", &[0xFF; 300]] {
            assert_eq!(crc16_ccitt_false(s), crc_by_table(s));
        }
    }

    #[test]
    fn a_published_payload_is_reproduced_byte_for_byte() {
        // The example of github.com/subiz/vietqr's README: 120,000 đồng to
        // VietinBank account 0011001932418, "ủng hộ lũ lụt".
        let p = payload(&Transfer {
            bank_bin: "970415",
            account_no: "0011001932418",
            amount_vnd: Some(120_000),
            purpose: &fold_ascii("ủng hộ lũ lụt").to_lowercase(),
        });
        assert_eq!(
            p,
            "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C"
        );
    }

    #[test]
    fn a_poster_payload_read_back_field_by_field() {
        let p = payload(&Transfer {
            bank_bin: "970436",
            account_no: "0011001234567",
            amount_vnd: None,
            purpose: &purpose("K7M2Q9XA"),
        });
        let f = fields(&p);
        let ids: Vec<&str> = f.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["00", "01", "38", "53", "58", "62", "63"]);
        assert_eq!(field(&f, "00"), Some("01"));
        assert_eq!(field(&f, "01"), Some("11"), "static without an amount");
        assert_eq!(field(&f, "53"), Some("704"));
        assert_eq!(field(&f, "58"), Some("VN"));
        let m = fields(field(&f, "38").unwrap());
        assert_eq!(field(&m, "00"), Some("A000000727"));
        assert_eq!(field(&m, "02"), Some("QRIBFTTA"));
        let a = fields(field(&m, "01").unwrap());
        assert_eq!(field(&a, "00"), Some("970436"));
        assert_eq!(field(&a, "01"), Some("0011001234567"));
        let extra = fields(field(&f, "62").unwrap());
        assert_eq!(field(&extra, "08"), Some("SV K7M2Q9XA"));
        let crc = field(&f, "63").unwrap();
        let body = &p[..p.len() - 4];
        assert!(body.ends_with("6304"));
        assert_eq!(crc, format!("{:04X}", crc_by_table(body.as_bytes())));
    }

    #[test]
    fn an_amount_makes_it_dynamic() {
        let p = payload(&Transfer {
            bank_bin: "970418",
            account_no: "12345678",
            amount_vnd: Some(500_000),
            purpose: "SV ABC",
        });
        let f = fields(&p);
        assert_eq!(field(&f, "01"), Some("12"));
        assert_eq!(field(&f, "54"), Some("500000"));
    }

    #[test]
    fn purposes_are_ascii_and_short() {
        assert_eq!(purpose("HN-VNN"), "SV HNVNN");
        assert_eq!(fold_ascii("Ủng hộ Đồng bào"), "Ung ho Dong bao");
        let long = purpose("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_eq!(long.len(), 25);
        assert!(long.is_ascii());
    }
}
