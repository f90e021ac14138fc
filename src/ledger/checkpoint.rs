//! Signed checkpoints: C2SP `tlog-checkpoint` bodies in C2SP `signed-note`
//! envelopes, signed with a per-fund Ed25519 key.
//!
//! The formats come from Cloudflare's `signed_note` and `tlog_tiles` crates
//! (ports of Go's `sumdb/note`, which made the shared vectors). This module
//! adds what is ours: each fund's key is derived from one deployment master
//! secret with HKDF-SHA256 (no salt, info = the fund's origin), so one secret
//! is kept and backed up, and the key name is the origin.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hkdf::Hkdf;
use sha2::Sha256;
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint as TlogCheckpoint;

use super::merkle::Hash;

/// Length of the master secret in bytes.
pub const MASTER_SECRET_LEN: usize = 32;

/// HKDF info of the key that encrypts private records at rest (see
/// [`MasterSecret::record_key`]).
pub const RECORD_KEY_INFO: &str = "sovang private records at rest v1 xchacha20poly1305";

/// Algorithm byte of an Ed25519 key in C2SP key encodings.
const ALG_ED25519: u8 = 0x01;

/// The deployment master secret. Its `Debug` form never shows the bytes.
#[derive(Clone)]
pub struct MasterSecret([u8; MASTER_SECRET_LEN]);

impl std::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

impl MasterSecret {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; MASTER_SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random secret.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; MASTER_SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The secret bytes, for writing the key file.
    pub fn expose(&self) -> &[u8; MASTER_SECRET_LEN] {
        &self.0
    }

    /// The Ed25519 seed of the log named `origin`.
    pub fn derive_seed(&self, origin: &str) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(None, &self.0);
        let mut seed = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 8,160-byte output limit.
        hk.expand(origin.as_bytes(), &mut seed)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
        seed
    }

    /// The 32-byte key that encrypts private records at rest: HKDF-SHA256
    /// of the secret like a fund's seed, with [`RECORD_KEY_INFO`] for info.
    /// That label holds spaces, which no key name (so no origin) may, so
    /// no fund's signing seed is ever this key.
    pub fn record_key(&self) -> [u8; 32] {
        self.derive_seed(RECORD_KEY_INFO)
    }

    /// The signing key of the log named `origin`.
    pub fn log_key(&self, origin: &str) -> Result<LogKey, CheckpointError> {
        LogKey::from_seed(origin, &self.derive_seed(origin))
    }
}

/// Why a checkpoint could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("key name {0:?} is not a valid note key name")]
    BadKeyName(String),
    #[error("verifier key is malformed")]
    BadVerifierKey,
    #[error("signed note is malformed: {0}")]
    Malformed(String),
    #[error("signature does not verify with the fund's verifier key")]
    BadSignature,
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
}

/// A fund's signing key.
#[derive(Clone)]
pub struct LogKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// Makes the key named `name` from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, CheckpointError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CheckpointError::BadKeyName(name.to_owned()));
        }
        let signing = ed25519_dalek::SigningKey::from_bytes(seed);
        let verifier_key = signed_note::new_ed25519_verifier_key(name, &signing.verifying_key());
        let mut public = vec![ALG_ED25519];
        public.extend_from_slice(signing.verifying_key().as_bytes());
        let mut private = vec![ALG_ED25519];
        private.extend_from_slice(seed);
        let skey = format!(
            "PRIVATE+KEY+{name}+{:08x}+{}",
            signed_note::key_id(name, &public),
            BASE64.encode(private)
        );
        let signer =
            StandardSigner::new(&skey).map_err(|_| CheckpointError::BadKeyName(name.to_owned()))?;
        Ok(Self {
            signer,
            verifier_key,
        })
    }

    /// The key name, which is the log's origin.
    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// The public verifier key, `<name>+<8 hex key id>+<base64(0x01 ‖ key)>`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Signs the checkpoint of a tree of `size` leaves with root `root`,
    /// returning the signed note text.
    pub fn sign(&self, size: u64, root: &Hash) -> Result<String, CheckpointError> {
        let body = TlogCheckpoint::new(self.name(), size, *root, "")
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?
            .to_bytes();
        let mut note =
            Note::new(&body, &[]).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        note.add_sigs(&[&self.signer as &dyn Signer])
            .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))
    }
}

/// A checkpoint whose signature has been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Checks a signed checkpoint against a verifier key and the expected origin.
pub fn verify_checkpoint(
    signed_note: &str,
    verifier_key: &str,
    origin: &str,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let verifier =
        StandardVerifier::new(verifier_key).map_err(|_| CheckpointError::BadVerifierKey)?;
    let note = Note::from_bytes(signed_note.as_bytes())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|_| CheckpointError::BadSignature)?;
    let checkpoint = TlogCheckpoint::from_bytes(note.text())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    if checkpoint.origin() != origin {
        return Err(CheckpointError::WrongOrigin {
            expected: origin.to_owned(),
            found: checkpoint.origin().to_owned(),
        });
    }
    Ok(VerifiedCheckpoint {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
    })
}

/// The key id of a verifier key `<name>+<key id>+<base64 key>`: the 8 hex
/// digits a paper receipt carries, so that a donor's browser can tell the
/// key that signed the ledger from one a server minted since.
pub fn key_id_of(verifier_key: &str) -> Option<&str> {
    let mut parts = verifier_key.splitn(3, '+');
    parts.next()?;
    let id = parts.next()?;
    parts.next()?;
    (id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::merkle::{from_hex, EMPTY_ROOT};

    const ORIGIN: &str = "ledger.example/fund/0192a3b4-test";
    const OTHER_ORIGIN: &str = "ledger.example/fund/other";

    /// The master secret 00 01 02 … 1f.
    fn secret() -> MasterSecret {
        MasterSecret::from_bytes(std::array::from_fn(|i| i as u8))
    }

    // The values below were computed outside Rust with python3: HKDF-SHA256
    // written out with `hmac` (no salt, so a salt of 32 zero bytes) and
    // checked against `cryptography`'s HKDF; the public key with
    // `cryptography`'s Ed25519; the key id as the first 4 bytes of
    // SHA-256(name ‖ 0x0a ‖ 0x01 ‖ public key).
    const SEED: &str = "abf70f0d720a303c5e681a15cff6b1bbf3e56e1902d060269701c3e20127ddee";
    const OTHER_SEED: &str = "ecb2b02afb05baaac749cd85c98d84d455b9bb45408fc4fa475cb443e7f6cfe2";
    const VERIFIER_KEY: &str =
        "ledger.example/fund/0192a3b4-test+2c311998+Adbg7HUA0838rjETno/fWw2eUWNxgt+qYVXerfuJ2Y5N";
    const OTHER_VERIFIER_KEY: &str =
        "ledger.example/fund/other+2b3722e5+AV4biMs+1w08AnJfyHjM4IsB+MOANmrVtgGggQOQRfv/";

    #[test]
    fn the_master_secret_is_exposed_as_the_bytes_it_was_made_from() {
        let bytes: [u8; MASTER_SECRET_LEN] = std::array::from_fn(|i| 0xa0 ^ i as u8);
        assert_eq!(MasterSecret::from_bytes(bytes).expose(), &bytes);
        assert_eq!(secret().expose()[31], 31);
    }

    #[test]
    fn generated_master_secrets_are_random() {
        let (a, b) = (MasterSecret::generate(), MasterSecret::generate());
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), &[0; MASTER_SECRET_LEN]);
    }

    #[test]
    fn the_master_secret_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", secret()), "MasterSecret(..)");
    }

    #[test]
    fn a_fund_seed_is_hkdf_sha256_of_the_master_secret_with_the_origin_as_info() {
        assert_eq!(hex::encode(secret().derive_seed(ORIGIN)), SEED);
        assert_eq!(hex::encode(secret().derive_seed(OTHER_ORIGIN)), OTHER_SEED);
    }

    #[test]
    fn the_record_key_is_hkdf_sha256_with_its_own_label_and_no_fund_seed() {
        // Computed like SEED above, with RECORD_KEY_INFO for info.
        assert_eq!(
            hex::encode(secret().record_key()),
            "90a13b9548b5f40995c2aba3653e9f59fa99baf497be34f7735e3a53d66d6611"
        );
        assert_ne!(secret().record_key(), secret().derive_seed(ORIGIN));
        // No origin can be the label: a key name has no spaces.
        assert!(!signed_note::is_key_name_valid(RECORD_KEY_INFO));
    }

    #[test]
    fn a_fund_key_is_the_ed25519_key_of_its_derived_seed() {
        let key = secret().log_key(ORIGIN).unwrap();
        assert_eq!(key.name(), ORIGIN);
        assert_eq!(key.verifier_key(), VERIFIER_KEY);
        let other = secret().log_key(OTHER_ORIGIN).unwrap();
        assert_eq!(other.verifier_key(), OTHER_VERIFIER_KEY);
        let seed: [u8; 32] = hex::decode(SEED).unwrap().try_into().unwrap();
        assert_eq!(
            LogKey::from_seed(ORIGIN, &seed).unwrap().verifier_key(),
            VERIFIER_KEY
        );
    }

    #[test]
    fn a_log_key_shows_only_its_verifier_key_in_debug_output() {
        let key = secret().log_key(ORIGIN).unwrap();
        assert_eq!(
            format!("{key:?}"),
            format!("LogKey {{ verifier_key: {VERIFIER_KEY:?}, .. }}")
        );
    }

    #[test]
    fn a_key_name_with_a_space_or_a_plus_is_refused() {
        for name in ["fund one", "fund+one", ""] {
            assert!(matches!(
                LogKey::from_seed(name, &[1; 32]),
                Err(CheckpointError::BadKeyName(n)) if n == name
            ));
        }
    }

    #[test]
    fn a_checkpoint_signed_with_a_derived_key_verifies_with_its_verifier_key() {
        let key = secret().log_key(ORIGIN).unwrap();
        let root =
            from_hex("a07c8a0cd9a5cf5f1dbcfb0f5d5a4b5a2b0c1d2e3f405162738495a6b7c8d9ea").unwrap();
        let signed = key.sign(12, &root).unwrap();
        assert!(signed.starts_with(&format!(
            "{ORIGIN}\n12\noHyKDNmlz18dvPsPXVpLWisMHS4/QFFic4SVprfI2eo=\n\n\u{2014} {ORIGIN} LDEZm"
        )));
        assert_eq!(
            verify_checkpoint(&signed, VERIFIER_KEY, ORIGIN).unwrap(),
            VerifiedCheckpoint {
                origin: ORIGIN.to_owned(),
                size: 12,
                root,
            }
        );
        let empty = key.sign(0, &EMPTY_ROOT).unwrap();
        assert_eq!(
            verify_checkpoint(&empty, VERIFIER_KEY, ORIGIN)
                .unwrap()
                .root,
            EMPTY_ROOT
        );
    }

    #[test]
    fn a_checkpoint_of_another_origin_bad_key_or_bad_text_is_refused() {
        let key = secret().log_key(ORIGIN).unwrap();
        let signed = key.sign(3, &EMPTY_ROOT).unwrap();
        assert!(matches!(
            verify_checkpoint(&signed, OTHER_VERIFIER_KEY, ORIGIN),
            Err(CheckpointError::BadSignature)
        ));
        assert!(matches!(
            verify_checkpoint(&signed, "not a key", ORIGIN),
            Err(CheckpointError::BadVerifierKey)
        ));
        assert!(matches!(
            verify_checkpoint("no signature here\n", VERIFIER_KEY, ORIGIN),
            Err(CheckpointError::Malformed(_))
        ));
        // Signed by the key named ORIGIN, but the checkpoint claims another
        // log: the key name and the origin must agree.
        let mismatched = LogKey::from_seed(OTHER_ORIGIN, &[1; 32]).unwrap();
        let signed = mismatched.sign(3, &EMPTY_ROOT).unwrap();
        match verify_checkpoint(&signed, mismatched.verifier_key(), ORIGIN) {
            Err(CheckpointError::WrongOrigin { expected, found }) => {
                assert_eq!((expected.as_str(), found.as_str()), (ORIGIN, OTHER_ORIGIN));
            }
            other => panic!("expected WrongOrigin, got {other:?}"),
        }
    }
}
