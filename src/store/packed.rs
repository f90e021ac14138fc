//! How an entry's canonical text is kept on disk: compressed (zstd)
//! against a dictionary of the entry format's own words.
//!
//! A gift's canonical text is some 450–500 bytes of JSON, most of it the
//! same keys and values in every entry (`"amount_vnd"`, `"bank_transfer"`,
//! `"recorded_at":"2026-`). Compressed on its own it shrinks by a third;
//! compressed against a dictionary that already holds those words, to
//! under 200 bytes. That is what keeps a national appeal's fund within 800
//! bytes a gift on disk (docs/benchmarks.md).
//!
//! The stored form is one version byte, then a zstd frame (RFC 8878)
//! compressed with [`DICTIONARY`]: the format's words ([`WORDS`]) with
//! entropy tables made once from synthetic gifts of another shape than any
//! benchmark's (other fund, names, dates; the recipe is the test
//! `the_dictionary_is_what_its_recipe_makes`). Because the tables come with
//! the dictionary, a frame carries none, and reading an entry back takes
//! well under a microsecond. The dictionary is part of the format: it is
//! never changed. Another would be another version byte, and readers keep
//! reading every version ever written. Entries written before this form
//! existed keep their plain text in the `canonical` column, and readers
//! take either.
//!
//! What is hashed, signed, served and exported is always the exact
//! canonical text; the packed form never leaves the store.

use std::cell::RefCell;
use std::sync::OnceLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use super::StoreError;

/// The version byte of zstd with [`DICTIONARY`].
const ZSTD_V1: u8 = 1;

/// The largest canonical text an entry may have (SPEC §3).
const CANONICAL_MAX: usize = 65_535;

/// zstd's level for entries: the writer packs each one on its only
/// thread, and higher levels gain nothing on texts this short.
const LEVEL: i32 = 3;

/// Words of the entry format (SPEC §3–§12), the least common first (a
/// match nearer the text it serves is cheaper), a gift's skeleton last.
/// Never edit: [`DICTIONARY`] is made from them.
pub const WORDS: &[u8] = concat!(
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

/// The dictionary of the stored form: [`WORDS`], finalized with entropy
/// tables. Never edit.
pub const DICTIONARY: &[u8] = include_bytes!("entries.dict");

fn encoder() -> &'static EncoderDictionary<'static> {
    static DICT: OnceLock<EncoderDictionary<'static>> = OnceLock::new();
    DICT.get_or_init(|| EncoderDictionary::copy(DICTIONARY, LEVEL))
}

fn decoder() -> &'static DecoderDictionary<'static> {
    static DICT: OnceLock<DecoderDictionary<'static>> = OnceLock::new();
    DICT.get_or_init(|| DecoderDictionary::copy(DICTIONARY))
}

thread_local! {
    static PACKER: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static UNPACKER: RefCell<Option<(Decompressor<'static>, Vec<u8>)>> = const { RefCell::new(None) };
}

/// The stored form of a canonical text.
pub fn pack(canonical: &str) -> Result<Vec<u8>, StoreError> {
    let fail = |e: std::io::Error| StoreError::Corrupt(format!("packing an entry: {e}"));
    PACKER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let z = match &mut *slot {
            Some(z) => z,
            None => {
                let mut z = Compressor::with_prepared_dictionary(encoder()).map_err(fail)?;
                z.include_checksum(false).map_err(fail)?;
                z.include_dictid(false).map_err(fail)?;
                z.include_contentsize(true).map_err(fail)?;
                slot.insert(z)
            }
        };
        let mut out = Vec::with_capacity(canonical.len() / 2 + 32);
        out.push(ZSTD_V1);
        let frame = z.compress(canonical.as_bytes()).map_err(fail)?;
        out.extend_from_slice(&frame);
        Ok(out)
    })
}

/// The canonical text of a stored form.
pub fn unpack(stored: &[u8]) -> Result<String, StoreError> {
    unpacked(stored, str::to_owned)
}

/// `read` of the canonical text of a stored form, read in place (a whole
/// fund's walk unpacks a million entries without a copy of each).
pub fn unpacked<R>(stored: &[u8], read: impl FnOnce(&str) -> R) -> Result<R, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("a packed entry {why}"));
    let Some((&ZSTD_V1, frame)) = stored.split_first() else {
        return Err(corrupt(format!("has an unknown form {:?}", stored.first())));
    };
    UNPACKER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (z, buf) = match &mut *slot {
            Some(pair) => pair,
            None => {
                let z = Decompressor::with_prepared_dictionary(decoder())
                    .map_err(|e| corrupt(format!("cannot be read: {e}")))?;
                slot.insert((z, Vec::with_capacity(CANONICAL_MAX + 1)))
            }
        };
        buf.clear();
        // One byte more than an entry may hold: a longer text fails here.
        let n = z
            .decompress_to_buffer(frame, buf)
            .map_err(|e| corrupt(format!("cannot be read: {e}")))?;
        if n > CANONICAL_MAX {
            return Err(corrupt("is longer than an entry may be".into()));
        }
        let text = std::str::from_utf8(&buf[..n]).map_err(|_| corrupt("is not UTF-8".into()))?;
        Ok(read(text))
    })
}

/// `read` of an entry's canonical text from a row's two columns, read in
/// place: plain text (entries written before the packed form) or packed.
pub fn read_canonical<R>(
    plain: Option<&str>,
    packed: Option<&[u8]>,
    read: impl FnOnce(&str) -> R,
) -> Result<R, StoreError> {
    match (plain, packed) {
        (Some(text), None) => Ok(read(text)),
        (None, Some(bytes)) => unpacked(bytes, read),
        (Some(_), Some(_)) => Err(StoreError::Corrupt(
            "an entry is stored both as text and packed".into(),
        )),
        (None, None) => Err(StoreError::Corrupt("an entry has no text".into())),
    }
}

/// An entry's canonical text from a row's two columns: plain text (entries
/// written before the packed form) or packed. Exactly one is set.
pub fn canonical_of(plain: Option<String>, packed: Option<&[u8]>) -> Result<String, StoreError> {
    match plain {
        Some(text) if packed.is_none() => Ok(text),
        plain => read_canonical(plain.as_deref(), packed, str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIFT: &str = r#"{"actor":"0193a4b2-7c1d-7e3f-9a8b-1c2d3e4f5a6b","body":{"amount_vnd":"190000","bank_ref":"FT2630500100009","channel":"bank_transfer","donor":{"display":"Nguyễn Văn Ân 100009","kind":"individual"},"receipt_no":"HN-VNN-2026-100009","received_on":"2026-11-01"},"fund":"HN-VNN","id":"019ad1c2-07c2-7023-bcb8-aef0cc4309ec","kind":"donation_cash","prev":"6f1ad3b3c0e1c2a9f8e7d6c5b4a392817f6e5d4c3b2a19087f6e5d4c3b2a1908","recorded_at":"2026-12-01T03:04:40.989309Z","seq":100011,"v":2}"#;

    #[test]
    fn a_gift_comes_back_byte_for_byte_in_under_half_its_size() {
        let packed = pack(GIFT).unwrap();
        assert_eq!(packed[0], ZSTD_V1);
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
        let longest = "x".repeat(CANONICAL_MAX);
        assert_eq!(unpack(&pack(&longest).unwrap()).unwrap(), longest);
        let too_long = "x".repeat(CANONICAL_MAX + 1);
        assert!(unpack(&pack(&too_long).unwrap()).is_err());
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

    /// Bytes [`pack`] wrote for [`GIFT`] when the form was made: whatever
    /// later versions of zstd write, these must read back for ever.
    const GIFT_PACKED: &str = include_str!("entries.dict.gift");

    #[test]
    fn a_gift_packed_when_the_form_was_made_still_reads() {
        let stored = hex::decode(GIFT_PACKED.trim()).unwrap();
        assert_eq!(unpack(&stored).unwrap(), GIFT);
    }

    /// Synthetic gifts of another shape than the benchmarks' (fund QN-CT,
    /// other names, channels, dates and actors): where the dictionary's
    /// entropy tables come from.
    fn samples() -> (Vec<u8>, Vec<usize>) {
        let (mut all, mut sizes) = (Vec::new(), Vec::new());
        let names = [
            "Trần Thị Bình",
            "Công ty TNHH Hòa Phát",
            "Lê Quang Minh",
            "Ẩn danh",
        ];
        let kinds = ["individual", "organization", "anonymous"];
        let channels = ["cash", "bank_transfer", "qr_transfer"];
        for i in 0..2_000u64 {
            let s = format!(
                r#"{{"actor":"{:08x}-aaaa-7bbb-8ccc-{:012x}","body":{{"amount_vnd":"{}","channel":"{}","donor":{{"display":"{} {}","kind":"{}"}},"receipt_no":"QN-CT-2026-{:06}","received_on":"2026-10-{:02}"}},"fund":"QN-CT","id":"{:08x}-{:04x}-7{:03x}-9{:03x}-{:012x}","kind":"donation_cash","prev":"{:064x}","recorded_at":"2026-10-{:02}T0{}:{:02}:{:02}.{:06}Z","seq":{},"v":2}}"#,
                i.wrapping_mul(2_654_435_761) % 4_294_967_291,
                i.wrapping_mul(11_400_714_819_323_198_485) % 281_474_976_710_597,
                (i % 97 + 1) * 50_000,
                channels[(i % 3) as usize],
                names[(i % 4) as usize],
                i,
                kinds[(i % 3) as usize],
                i,
                i % 28 + 1,
                i.wrapping_mul(2_246_822_519) % 4_294_967_291,
                i % 65_521,
                i % 4_093,
                i % 4_091,
                i.wrapping_mul(3_266_489_917) % 281_474_976_710_597,
                u128::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
                i % 28 + 1,
                i % 9,
                i % 60,
                (i * 7) % 60,
                i * 7_919 % 1_000_000,
                i + 10
            );
            all.extend_from_slice(s.as_bytes());
            sizes.push(s.len());
        }
        (all, sizes)
    }

    /// The recipe of [`DICTIONARY`]: zstd's `ZDICT_finalizeDictionary` of
    /// [`WORDS`] over [`samples`]. `SOVANG_WRITE_DICTIONARY=1` writes it
    /// (done once, when the form was made; never again for this version).
    #[test]
    fn the_dictionary_is_what_its_recipe_makes() {
        use zstd::zstd_safe::zstd_sys;
        let (samples, sizes) = samples();
        let mut dict = vec![0u8; 16_384];
        // SAFETY: every pointer and length is of a live buffer of this
        // function, and `sizes` adds up to `samples.len()`.
        let n = unsafe {
            zstd_sys::ZDICT_finalizeDictionary(
                dict.as_mut_ptr().cast(),
                dict.len(),
                WORDS.as_ptr().cast(),
                WORDS.len(),
                samples.as_ptr().cast(),
                sizes.as_ptr(),
                sizes.len() as u32,
                zstd_sys::ZDICT_params_t {
                    compressionLevel: LEVEL,
                    notificationLevel: 0,
                    dictID: 1,
                },
            )
        };
        assert_eq!(unsafe { zstd_sys::ZDICT_isError(n) }, 0);
        dict.truncate(n);
        if std::env::var_os("SOVANG_WRITE_DICTIONARY").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/");
            std::fs::write(format!("{dir}entries.dict"), &dict).unwrap();
            let packed = pack(GIFT).unwrap();
            std::fs::write(
                format!("{dir}entries.dict.gift"),
                hex::encode(packed) + "\n",
            )
            .unwrap();
            return;
        }
        assert_eq!(
            dict, DICTIONARY,
            "the recipe no longer makes the stored dictionary"
        );
        assert!(DICTIONARY.ends_with(WORDS));
    }

    #[test]
    fn a_row_holds_exactly_one_form() {
        let packed = pack("{}").unwrap();
        assert_eq!(canonical_of(Some("{}".into()), None).unwrap(), "{}");
        assert_eq!(canonical_of(None, Some(&packed)).unwrap(), "{}");
        assert!(canonical_of(Some("{}".into()), Some(&packed)).is_err());
        assert!(canonical_of(None, None).is_err());
        let len = |plain, packed| read_canonical(plain, packed, str::len);
        assert_eq!(len(Some("{}"), None).unwrap(), 2);
        assert_eq!(len(None, Some(&packed)).unwrap(), 2);
        assert!(len(Some("{}"), Some(&packed)).is_err());
        assert!(len(None, None).is_err());
    }
}
