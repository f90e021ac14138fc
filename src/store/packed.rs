//! How an entry's canonical text is kept on disk: deflated against a
//! dictionary of the entry format's own words.
//!
//! A gift's canonical text is some 450–500 bytes of JSON, most of it the
//! same keys and values in every entry (`"amount_vnd"`, `"bank_transfer"`,
//! `"recorded_at":"2026-`). Deflated on its own it shrinks by a third;
//! deflated against a preset dictionary that already holds those words, to
//! some 200 bytes. That is what keeps a national appeal's fund within 800
//! bytes a gift on disk (docs/benchmarks.md).
//!
//! The stored form is one version byte, then a raw deflate stream (RFC
//! 1951) whose window starts with [`DICTIONARY_V1`]. The dictionary is
//! part of the format: it is never changed. Another dictionary would be
//! another version byte, and readers keep reading every version ever
//! written. Entries written before this form existed keep their plain
//! text in the `canonical` column, and readers take either.
//!
//! What is hashed, signed, served and exported is always the exact
//! canonical text; the packed form never leaves the store.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::StoreError;

/// The version byte of [`DICTIONARY_V1`] deflate.
const DEFLATE_V1: u8 = 1;

/// The largest canonical text an entry may have (SPEC §3).
const CANONICAL_MAX: usize = 65_535;

/// Words of the entry format (SPEC §3–§12), the least common first: deflate
/// reaches nearer text with shorter codes, so a gift's skeleton comes last.
/// Never edit: stored entries are read with it.
pub const DICTIONARY_V1: &[u8] = concat!(
    r#"{"body":{"committee_code":"","committee_name":"","fund_code":"","fund_kind":"for_the_poor","origin":"","verifier_key":""},"kind":"fund_opened","#,
    r#""fund_kind":"relief","kind":"fund_closed","kind":"period_closed","period":"","closing_balance_vnd":"","stock":{},"statement_sha256":""#,
    r#""kind":"stock_adjusted","item":"","quantity_delta":"","reason":"spoiled","lost","count_correction","#,
    r#""kind":"transfer_out","kind":"transfer_in","transfer_id":"","counterparty_fund":"","purpose":"","#,
    r#""kind":"expense","expense_id":"","category":"bank_fee","transport","event","#,
    r#""kind":"campaign_opened","campaign_id":"","name":"","kind":"peak_month","disaster_relief","tet","housing","starts_on":"","ends_on":"","target_vnd":"","#,
    r#""kind":"campaign_closed","kind":"pledge_cancelled","kind":"pledge","pledge_id":"","reference":"","due_on":"","#,
    r#""kind":"household_registered","household_id":"","commune_code":"","hamlet":"","category":"poor","near_poor","newly_escaped","hardship","not_poor","members":,"review_year":,"commitment":"","#,
    r#""kind":"household_reclassified","kind":"household_reviewed","kind":"household_unregistered","kind":"sponsorship_registered","sponsorship_id":"","sponsor":"","year":,"#,
    r#""kind":"distribution_approved","kind":"distribution_voided","kind":"distribution_acknowledged","method":"signature","thumbprint","witness","acknowledged_on":"","evidence_sha256":"","#,
    r#""kind":"distribution","distribution_id":"","support_type":"cash_grant","house_new","house_repair","livelihood","tet_gift","scholarship","health_insurance","medical","relief","other","cash_vnd":"","decision_ref":"","status":"approved","pending","#,
    r#""kind":"reversal","reverses_seq":,"reason":"","note":"","#,
    r#""kind":"bank_account","account_no":"","bank":"","kind":"donation_in_kind","items":[{"item":"","description":"","quantity":"","unit":"","unit_value_vnd":"","value_vnd":""}],"total_value_vnd":"","#,
    r#""original_currency":{"amount":"","code":"USD","rate":""},"earmark":"","channel":"cash","qr_transfer","e_wallet","donor_ref":"","#,
    r#""kind":"organization","display":"Ẩn danh","kind":"anonymous","display":"Công ty ","display":"Trần Thị ","display":"Lê ","display":"Phạm ","display":"Nguyễn Thị "#,
    r#"{"actor":"","body":{"amount_vnd":"","bank_ref":"FT","campaign_id":"","channel":"bank_transfer","donor":{"display":"Nguyễn Văn ","kind":"individual"},"receipt_no":"","received_on":"2026-"},"fund":"","id":"","kind":"donation_cash","prev":"","recorded_at":"2026-","seq":,"v":2}"#,
)
.as_bytes();

thread_local! {
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new_with_window_bits(Compression::new(6), false, 15));
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new_with_window_bits(false, 15));
}

/// The stored form of a canonical text.
pub fn pack(canonical: &str) -> Result<Vec<u8>, StoreError> {
    let fail = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("packing an entry: {e}"));
    DEFLATE.with(|cell| {
        let mut z = cell.borrow_mut();
        z.reset();
        z.set_dictionary(DICTIONARY_V1).map_err(|e| fail(&e))?;
        // Deflate never grows text by more than a few bytes per 16 KiB.
        let mut out = Vec::with_capacity(canonical.len() + 64);
        out.push(DEFLATE_V1);
        loop {
            let before = z.total_in() as usize;
            let status = z
                .compress_vec(
                    &canonical.as_bytes()[before..],
                    &mut out,
                    FlushCompress::Finish,
                )
                .map_err(|e| fail(&e))?;
            match status {
                Status::StreamEnd => return Ok(out),
                _ => out.reserve(out.capacity().max(64)),
            }
        }
    })
}

/// The canonical text of a stored form.
pub fn unpack(stored: &[u8]) -> Result<String, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("a packed entry {why}"));
    let Some((&DEFLATE_V1, deflated)) = stored.split_first() else {
        return Err(corrupt(format!("has an unknown form {:?}", stored.first())));
    };
    INFLATE.with(|cell| {
        let mut z = cell.borrow_mut();
        z.reset(false);
        z.set_dictionary(DICTIONARY_V1)
            .map_err(|e| corrupt(format!("cannot be read: {e}")))?;
        let mut out = Vec::with_capacity(deflated.len() * 3);
        loop {
            let (read, written) = (z.total_in(), z.total_out());
            let status = z
                .decompress_vec(
                    &deflated[read as usize..],
                    &mut out,
                    FlushDecompress::Finish,
                )
                .map_err(|e| corrupt(format!("cannot be read: {e}")))?;
            if let Status::StreamEnd = status {
                if z.total_in() as usize != deflated.len() {
                    return Err(corrupt("has bytes after its end".into()));
                }
                break;
            }
            if out.len() > CANONICAL_MAX {
                return Err(corrupt("is longer than an entry may be".into()));
            }
            let stuck = z.total_in() == read && z.total_out() == written;
            if out.len() < out.capacity() {
                if stuck {
                    return Err(corrupt("is cut short".into()));
                }
            } else {
                out.reserve(out.capacity().max(256));
            }
        }
        String::from_utf8(out).map_err(|_| corrupt("is not UTF-8".into()))
    })
}

/// An entry's canonical text from a row's two columns: plain text (entries
/// written before the packed form) or packed. Exactly one is set.
pub fn canonical_of(plain: Option<String>, packed: Option<&[u8]>) -> Result<String, StoreError> {
    match (plain, packed) {
        (Some(text), None) => Ok(text),
        (None, Some(bytes)) => unpack(bytes),
        (Some(_), Some(_)) => Err(StoreError::Corrupt(
            "an entry is stored both as text and packed".into(),
        )),
        (None, None) => Err(StoreError::Corrupt("an entry has no text".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIFT: &str = r#"{"actor":"0193a4b2-7c1d-7e3f-9a8b-1c2d3e4f5a6b","body":{"amount_vnd":"190000","bank_ref":"FT2630500100009","channel":"bank_transfer","donor":{"display":"Nguyễn Văn Ân 100009","kind":"individual"},"receipt_no":"HN-VNN-2026-100009","received_on":"2026-11-01"},"fund":"HN-VNN","id":"019ad1c2-07c2-7023-bcb8-aef0cc4309ec","kind":"donation_cash","prev":"6f1ad3b3c0e1c2a9f8e7d6c5b4a392817f6e5d4c3b2a19087f6e5d4c3b2a1908","recorded_at":"2026-12-01T03:04:40.989309Z","seq":100011,"v":2}"#;

    #[test]
    fn a_gift_comes_back_byte_for_byte_in_under_half_its_size() {
        let packed = pack(GIFT).unwrap();
        assert_eq!(packed[0], DEFLATE_V1);
        assert!(
            packed.len() * 2 < GIFT.len(),
            "{} of {}",
            packed.len(),
            GIFT.len()
        );
        assert_eq!(unpack(&packed).unwrap(), GIFT);
    }

    #[test]
    fn any_text_comes_back_whatever_its_size() {
        let long = format!(r#"{{"note":"{}"}}"#, "Bão Yagi ".repeat(6_000));
        for text in ["", "{}", "x", GIFT, long.as_str()] {
            assert_eq!(unpack(&pack(text).unwrap()).unwrap(), text);
        }
        // The same text packs the same twice: the state is reset each time.
        assert_eq!(pack(GIFT).unwrap(), pack(GIFT).unwrap());
    }

    #[test]
    fn a_damaged_stored_form_is_refused_not_misread() {
        let packed = pack(GIFT).unwrap();
        let mut other = packed.clone();
        other[0] = 2;
        for bad in [&b""[..], &other, &packed[..packed.len() / 2]] {
            assert!(unpack(bad).is_err(), "{bad:?}");
        }
        let mut trailing = packed.clone();
        trailing.push(0);
        assert!(unpack(&trailing).is_err());
        // A flipped bit either fails or gives other text, never the gift.
        let mut flipped = packed;
        flipped[20] ^= 0x10;
        assert_ne!(unpack(&flipped).ok().as_deref(), Some(GIFT));
    }

    #[test]
    fn a_row_holds_exactly_one_form() {
        let packed = pack("{}").unwrap();
        assert_eq!(canonical_of(Some("{}".into()), None).unwrap(), "{}");
        assert_eq!(canonical_of(None, Some(&packed)).unwrap(), "{}");
        assert!(canonical_of(Some("{}".into()), Some(&packed)).is_err());
        assert!(canonical_of(None, None).is_err());
    }
}
