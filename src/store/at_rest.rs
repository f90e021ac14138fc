//! Private records at rest (SPEC §9): households' private records, and the
//! salts of their commitments, are stored encrypted, so a copied database
//! alone reveals nothing private and gives no salt to test guessed records
//! against the public commitments.
//!
//! The cipher is XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`) under
//! a key derived from `master.key` ([`MasterSecret::record_key`]), with a
//! fresh random 24-byte nonce for every value. The associated data names
//! the table, the column, the fund and the household, so a value copied
//! to another row or column does not open. A stored value is
//! `sv1:` ‖ base64(nonce ‖ ciphertext ‖ tag); a value without that prefix
//! was written before encryption and is sealed by
//! [`super::Store::seal_private_records`] when the service starts.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::ledger::checkpoint::MasterSecret;

/// What every sealed value starts with: the format's version.
pub const SEALED_PREFIX: &str = "sv1:";

/// Length of an XChaCha20-Poly1305 nonce.
const NONCE_LEN: usize = 24;

/// Length of a Poly1305 tag.
const TAG_LEN: usize = 16;

/// The key that seals and opens private records. Its `Debug` form never
/// shows the key.
#[derive(Clone)]
pub struct RecordKey(Arc<XChaCha20Poly1305>);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

/// Where a sealed value is kept: what it is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    /// `record` or `salt` of `household_private`.
    pub column: &'static str,
    pub fund: &'a str,
    pub household_id: &'a str,
}

impl Slot<'_> {
    /// The associated data: a label, then each part with its length, so
    /// that no two slots give the same bytes.
    fn associated_data(&self) -> Vec<u8> {
        let mut ad = b"sovang household_private v1".to_vec();
        for part in [self.column, self.fund, self.household_id] {
            // Parts are short ids; a length past u32 cannot occur, and
            // saturating keeps the bytes distinct all the same.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            ad.extend_from_slice(&len.to_be_bytes());
            ad.extend_from_slice(part.as_bytes());
        }
        ad
    }
}

/// Why a stored value does not open. No variant carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("it is stored in plaintext, not encrypted")]
    NotSealed,
    #[error("it is not a well-formed encrypted value")]
    Malformed,
    #[error(
        "it does not decrypt with this master.key for this row (another key, another row, or altered)"
    )]
    Rejected,
    #[error("it could not be encrypted")]
    Encrypt,
}

/// True when `stored` is in the sealed format (whether or not it opens).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

impl RecordKey {
    /// The deployment's record key, derived from its master secret.
    pub fn new(secret: &MasterSecret) -> Self {
        Self::from_bytes(&secret.record_key())
    }

    fn from_bytes(key: &[u8; 32]) -> Self {
        Self(Arc::new(XChaCha20Poly1305::new(key.into())))
    }

    /// Encrypts `plaintext` for `slot`, with a fresh random nonce.
    pub fn seal(&self, slot: Slot<'_>, plaintext: &str) -> Result<String, SealError> {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ad = slot.associated_data();
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &ad,
                },
            )
            .map_err(|_| SealError::Encrypt)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", BASE64.encode(bytes)))
    }

    /// Decrypts a value stored at `slot`. Plaintext, a value of another
    /// key or slot, and any altered value are refused.
    pub fn open(&self, slot: Slot<'_>, stored: &str) -> Result<String, SealError> {
        let encoded = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or(SealError::NotSealed)?;
        let bytes = BASE64.decode(encoded).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let ad = slot.associated_data();
        let plain = self
            .0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &ad,
                },
            )
            .map_err(|_| SealError::Rejected)?;
        // Only what `seal` wrote authenticates, and that was text.
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> RecordKey {
        RecordKey::new(&MasterSecret::from_bytes([b; 32]))
    }

    fn slot<'a>(column: &'static str, fund: &'a str, household_id: &'a str) -> Slot<'a> {
        Slot {
            column,
            fund,
            household_id,
        }
    }

    const RECORD: &str = r#"{"cccd":"036184009876","head_name":"Hoàng Thị Nguyệt"}"#;

    #[test]
    fn a_sealed_record_opens_where_it_was_sealed_and_shows_nothing_of_it() {
        let k = key(1);
        let at = slot("record", "HN-VNN", "ho-1");
        let sealed = k.seal(at, RECORD).unwrap();
        assert!(is_sealed(&sealed), "{sealed}");
        for part in ["036184009876", "Hoàng", "cccd"] {
            assert!(!sealed.contains(part), "{part} shows in {sealed}");
        }
        assert_eq!(k.open(at, &sealed).unwrap(), RECORD);
        // A fresh nonce every time: the same record never seals the same.
        assert_ne!(k.seal(at, RECORD).unwrap(), sealed);
    }

    #[test]
    fn a_sealed_value_opens_nowhere_else_and_under_no_other_key() {
        let k = key(1);
        let at = slot("record", "HN-VNN", "ho-1");
        let sealed = k.seal(at, RECORD).unwrap();
        for other in [
            slot("record", "HN-VNN", "ho-2"),
            slot("record", "HP-VNN", "ho-1"),
            slot("salt", "HN-VNN", "ho-1"),
            // Lengths keep the parts apart: "HN-VNNh" + "o-1" is not it.
            slot("record", "HN-VNNh", "o-1"),
        ] {
            assert_eq!(
                k.open(other, &sealed),
                Err(SealError::Rejected),
                "{other:?}"
            );
        }
        assert_eq!(key(2).open(at, &sealed), Err(SealError::Rejected));
    }

    #[test]
    fn plaintext_and_damaged_values_are_refused_not_returned() {
        let k = key(1);
        let at = slot("record", "HN-VNN", "ho-1");
        assert_eq!(k.open(at, RECORD), Err(SealError::NotSealed));
        assert!(!is_sealed(RECORD));
        assert_eq!(k.open(at, "sv1:not base64!"), Err(SealError::Malformed));
        assert_eq!(k.open(at, "sv1:AAAA"), Err(SealError::Malformed));
        let sealed = k.seal(at, RECORD).unwrap();
        let mut bytes = BASE64.decode(&sealed[SEALED_PREFIX.len()..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = format!("{SEALED_PREFIX}{}", BASE64.encode(&bytes));
        assert_eq!(k.open(at, &altered), Err(SealError::Rejected));
        // No error message carries the value.
        for e in [
            SealError::NotSealed,
            SealError::Malformed,
            SealError::Rejected,
        ] {
            assert!(!e.to_string().contains("0361"));
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", key(1)), "RecordKey(..)");
    }
}
