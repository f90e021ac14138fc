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

/// Reads size and root from a checkpoint's text without checking a
/// signature (for stored checkpoints whose signature is checked separately).
pub fn parse_unverified(signed_note: &str) -> Result<(u64, Hash), CheckpointError> {
    let note = Note::from_bytes(signed_note.as_bytes())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let checkpoint = TlogCheckpoint::from_bytes(note.text())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    Ok((checkpoint.size(), *checkpoint.hash()))
}
