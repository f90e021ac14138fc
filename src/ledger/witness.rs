//! Witnesses (SPEC §12): a committee cosigns a log's checkpoint only after
//! checking that it extends the last one it cosigned (C2SP tlog-witness
//! v1.0.0), with Ed25519 cosignatures (C2SP tlog-cosignature v1.0.1,
//! `cosignature/v1`, key type 0x04).
//!
//! This module is the witness's judgement and its signatures, with no
//! storage: [`judge`] says what a request deserves given what the witness
//! last cosigned; the store applies the answer atomically.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use signed_note::Note;

use super::checkpoint::{verify_checkpoint, CheckpointError, MasterSecret, VerifiedCheckpoint};
use super::merkle::{verify_consistency, Hash, EMPTY_ROOT};

/// Algorithm byte of an Ed25519 cosignature/v1 key.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most consistency proof lines a request may carry.
pub const PROOF_LINES_MAX: usize = 63;
/// Content type of a 409's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The witness name of committee `code` in a deployment whose origins
/// start with `origin_prefix`.
pub fn witness_name(origin_prefix: &str, code: &str) -> String {
    format!("{}/committee/{code}", origin_prefix.trim_end_matches('/'))
}

/// A committee's witness key.
#[derive(Clone)]
pub struct WitnessKey {
    name: String,
    signing: SigningKey,
    key_id: [u8; 4],
    verifier_key: String,
}

impl std::fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessKey")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

/// `SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4]`.
fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut public = vec![ALG_COSIGNATURE_V1];
    public.extend_from_slice(key.as_bytes());
    signed_note::key_id(name, &public).to_be_bytes()
}

impl WitnessKey {
    /// The key of the witness `name`, derived from the master secret
    /// (HKDF-SHA256, info = the name) as a fund's is from its origin; a
    /// witness name (`…/committee/…`) is never an origin (`…/fund/…`).
    pub fn derive(secret: &MasterSecret, name: &str) -> Result<Self, CheckpointError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CheckpointError::BadKeyName(name.to_owned()));
        }
        let signing = SigningKey::from_bytes(&secret.derive_seed(name));
        let key_id = key_id(name, &signing.verifying_key());
        let mut public = vec![ALG_COSIGNATURE_V1];
        public.extend_from_slice(signing.verifying_key().as_bytes());
        let verifier_key = format!("{name}+{}+{}", hex::encode(key_id), BASE64.encode(public));
        Ok(Self {
            name: name.to_owned(),
            signing,
            key_id,
            verifier_key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<name>+<key id>+<base64(0x04 ‖ key)>`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The cosignature line (`— <name> <base64>\n`) of a checkpoint whose
    /// note body is `body`, made at `timestamp` (POSIX seconds).
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let sig = self.signing.sign(&message(body, timestamp));
        let mut bytes = Vec::with_capacity(4 + 8 + 64);
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig.to_bytes());
        format!("— {} {}\n", self.name, BASE64.encode(bytes))
    }
}

/// `cosignature/v1\ntime <ts>\n` ‖ the checkpoint's note body.
fn message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A cosignature/v1 verifier key, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerKey {
    pub name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl CosignerKey {
    /// Reads `<name>+<key id>+<base64(0x04 ‖ key)>`.
    pub fn parse(vkey: &str) -> Option<Self> {
        let mut parts = vkey.splitn(3, '+');
        let (name, id, key) = (parts.next()?, parts.next()?, parts.next()?);
        let raw = BASE64.decode(key).ok()?;
        let (&alg, key) = raw.split_first()?;
        if alg != ALG_COSIGNATURE_V1 || !signed_note::is_key_name_valid(name) {
            return None;
        }
        let key = VerifyingKey::from_bytes(key.try_into().ok()?).ok()?;
        let key_id = self::key_id(name, &key);
        (hex::encode(key_id) == id).then(|| Self {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// The timestamp of this key's valid cosignature among the signature
    /// lines of `signed_note`, if it has one.
    pub fn verify(&self, signed_note: &str) -> Option<u64> {
        let (body, sigs) = split_note(signed_note)?;
        sigs.lines().find_map(|line| {
            let rest = line.strip_prefix("— ")?;
            let (name, sig) = rest.split_once(' ')?;
            if name != self.name {
                return None;
            }
            let raw = BASE64.decode(sig).ok()?;
            if raw.len() != 4 + 8 + 64 || raw[..4] != self.key_id {
                return None;
            }
            let timestamp = u64::from_be_bytes(raw[4..12].try_into().ok()?);
            if timestamp > i64::MAX as u64 {
                return None;
            }
            let sig = ed25519_dalek::Signature::from_slice(&raw[12..]).ok()?;
            self.key
                .verify(&message(body, timestamp), &sig)
                .ok()
                .map(|()| timestamp)
        })
    }
}

/// A signed note's body (through its blank line's first newline) and its
/// signature lines.
fn split_note(signed_note: &str) -> Option<(&str, &str)> {
    let at = signed_note.find("\n\n")?;
    Some((&signed_note[..at + 1], &signed_note[at + 2..]))
}

/// An `add-checkpoint` request, read.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint, as sent.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request's body, as [`parse_request`] reads it.
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for h in &self.proof {
            body.push_str(&BASE64.encode(h.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }
}

/// Reads an `add-checkpoint` body: `old <N>`, up to 63 base64 hashes, an
/// empty line, the signed checkpoint. `None` is a 400.
pub fn parse_request(body: &str) -> Option<AddCheckpoint> {
    let rest = body.strip_prefix("old ")?;
    let (old, mut rest) = rest.split_once('\n')?;
    if old.is_empty() || (old.len() > 1 && old.starts_with('0')) {
        return None;
    }
    let old: u64 = old.parse().ok()?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest.split_once('\n')?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == PROOF_LINES_MAX {
            return None;
        }
        let raw = BASE64.decode(line).ok()?;
        proof.push(Hash(raw.try_into().ok()?));
    }
    Some(AddCheckpoint {
        old,
        proof,
        checkpoint: rest.to_owned(),
    })
}

/// What a witness last cosigned for a log.
#[derive(Debug, Clone, PartialEq)]
pub struct Cosigned {
    pub size: u64,
    pub root: Hash,
}

/// Why a request is refused: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: malformed, or old > new.
    BadRequest(String),
    /// 403: no valid signature by the log's key.
    Forbidden(String),
    /// 409: the old size is not the size last cosigned, which the body
    /// gives.
    Conflict(u64),
    /// 422: a proof that does not verify, or another root at the size
    /// last cosigned.
    Unprocessable(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Forbidden(_) => 403,
            Refusal::Conflict(_) => 409,
            Refusal::Unprocessable(_) => 422,
        }
    }
}

/// A checkpoint that may be cosigned: what it says and its note body.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub checkpoint: VerifiedCheckpoint,
    pub body: String,
}

/// Judges a request for a log of `origin` signed with `log_vkey`, given
/// what the witness last cosigned (`None`: never), in tlog-witness's
/// order: signature (403), old > new (400), old ≠ last (409), proof and
/// root (422).
pub fn judge(
    req: &AddCheckpoint,
    origin: &str,
    log_vkey: &str,
    last: Option<&Cosigned>,
) -> Result<Accepted, Refusal> {
    let cp = match verify_checkpoint(&req.checkpoint, log_vkey, origin) {
        Ok(cp) => cp,
        Err(CheckpointError::WrongOrigin { found, .. }) => {
            return Err(Refusal::BadRequest(format!(
                "the checkpoint is of log {found:?}"
            )))
        }
        Err(CheckpointError::Malformed(m)) => return Err(Refusal::BadRequest(m)),
        Err(e) => return Err(Refusal::Forbidden(e.to_string())),
    };
    if req.old > cp.size {
        return Err(Refusal::BadRequest(format!(
            "old size {} is larger than the checkpoint's {}",
            req.old, cp.size
        )));
    }
    let last_size = last.map_or(0, |l| l.size);
    if req.old != last_size {
        return Err(Refusal::Conflict(last_size));
    }
    if cp.size == 0 && cp.root != EMPTY_ROOT {
        return Err(Refusal::Unprocessable(
            "a checkpoint of size 0 must have the empty tree's root".into(),
        ));
    }
    match last {
        None => {
            if !req.proof.is_empty() {
                return Err(Refusal::Unprocessable(
                    "a proof from size 0 must be empty".into(),
                ));
            }
        }
        Some(l) if l.size == cp.size => {
            if !req.proof.is_empty() {
                return Err(Refusal::Unprocessable(
                    "a proof between equal sizes must be empty".into(),
                ));
            }
            if l.root != cp.root {
                return Err(Refusal::Unprocessable(format!(
                    "a fork: another root at size {} than the one cosigned",
                    cp.size
                )));
            }
        }
        Some(l) => {
            if verify_consistency(l.size, cp.size, &l.root, &cp.root, &req.proof).is_err() {
                return Err(Refusal::Unprocessable(format!(
                    "the consistency proof from size {} to {} does not verify",
                    l.size, cp.size
                )));
            }
        }
    }
    let body = Note::from_bytes(req.checkpoint.as_bytes())
        .map_err(|e| Refusal::BadRequest(e.to_string()))
        .and_then(|n| {
            String::from_utf8(n.text().to_vec()).map_err(|e| Refusal::BadRequest(e.to_string()))
        })?;
    Ok(Accepted {
        checkpoint: cp,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::merkle::{consistency_indexes, consistency_proof, leaf_hash, Frontier};
    use std::collections::HashMap;

    const ORIGIN: &str = "sovang.test/fund/PX-VNN";

    fn secret() -> MasterSecret {
        MasterSecret::from_bytes(std::array::from_fn(|i| i as u8))
    }

    /// A log of `n` leaves: its stored hashes.
    fn log(n: u64, salt: u8) -> HashMap<u64, Hash> {
        let mut f = Frontier::new();
        let mut stored = HashMap::new();
        for i in 0..n {
            for (idx, h) in f.push(leaf_hash(&[salt, i as u8, (i >> 8) as u8])) {
                stored.insert(idx, h);
            }
        }
        stored
    }

    fn root(stored: &HashMap<u64, Hash>, size: u64) -> Hash {
        crate::ledger::merkle::root_from_stored(size, stored).unwrap()
    }

    fn request(stored: &HashMap<u64, Hash>, old: u64, new: u64) -> AddCheckpoint {
        let key = secret().log_key(ORIGIN).unwrap();
        let proof = if old == 0 || old == new {
            Vec::new()
        } else {
            assert!(consistency_indexes(old, new)
                .unwrap()
                .iter()
                .all(|i| stored.contains_key(i)));
            consistency_proof(old, new, stored).unwrap()
        };
        AddCheckpoint {
            old,
            proof,
            checkpoint: key.sign(new, &root(stored, new)).unwrap(),
        }
    }

    fn vkey() -> String {
        secret().log_key(ORIGIN).unwrap().verifier_key().to_owned()
    }

    #[test]
    fn requests_read_as_the_protocol_writes_them() {
        let stored = log(20, 0);
        let r = request(&stored, 7, 20);
        let mut body = format!("old {}\n", r.old);
        for h in &r.proof {
            body.push_str(&BASE64.encode(h.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&r.checkpoint);
        assert_eq!(parse_request(&body).unwrap(), r);
        let cp = &r.checkpoint;
        assert_eq!(parse_request(&format!("old 0\n\n{cp}")).unwrap().old, 0);
        for bad in [
            format!("old 07\n\n{cp}"),
            format!("old -1\n\n{cp}"),
            format!("old \n\n{cp}"),
            format!("old 1\n{cp}"),
            format!("new 1\n\n{cp}"),
            format!("old 1\nAAAA\n\n{cp}"),
            format!(
                "old 1\n{}\n{cp}",
                format!("{}\n", BASE64.encode([0u8; 32])).repeat(64)
            ),
            "old 1".to_owned(),
        ] {
            assert_eq!(parse_request(&bad), None, "{bad:?}");
        }
        let most = format!(
            "old 1\n{}\n{cp}",
            format!("{}\n", BASE64.encode([0u8; 32])).repeat(63)
        );
        assert_eq!(parse_request(&most).unwrap().proof.len(), 63);
    }

    #[test]
    fn a_witness_cosigns_what_extends_what_it_cosigned() {
        let stored = log(40, 0);
        let first = judge(&request(&stored, 0, 10), ORIGIN, &vkey(), None).unwrap();
        assert_eq!(first.checkpoint.size, 10);
        let last = Cosigned {
            size: 10,
            root: root(&stored, 10),
        };
        let next = judge(&request(&stored, 10, 40), ORIGIN, &vkey(), Some(&last)).unwrap();
        assert_eq!(next.checkpoint.root, root(&stored, 40));
        // The same checkpoint again is cosigned again.
        let again = judge(&request(&stored, 10, 10), ORIGIN, &vkey(), Some(&last)).unwrap();
        assert_eq!(again.checkpoint.size, 10);
        assert!(next.body.starts_with(&format!("{ORIGIN}\n40\n")));
        assert!(!next.body.contains('—'));
    }

    #[test]
    fn each_refusal_has_its_code_in_the_protocol_s_order() {
        let stored = log(40, 0);
        let last = Cosigned {
            size: 10,
            root: root(&stored, 10),
        };
        let code = |r: &AddCheckpoint, last: Option<&Cosigned>| {
            judge(r, ORIGIN, &vkey(), last)
                .map(|_| 200)
                .unwrap_or_else(|e| e.status())
        };
        // 403: another key, or a signature altered.
        let other = MasterSecret::from_bytes([9; 32]).log_key(ORIGIN).unwrap();
        let mut forged = request(&stored, 10, 40);
        forged.checkpoint = other.sign(40, &root(&stored, 40)).unwrap();
        assert_eq!(code(&forged, Some(&last)), 403);
        let mut altered = request(&stored, 10, 40);
        altered.checkpoint = altered.checkpoint.replacen("\n40\n", "\n41\n", 1);
        assert_eq!(code(&altered, Some(&last)), 403);
        // 400 before 409: old > new.
        let mut reversed = request(&stored, 10, 20);
        reversed.old = 30;
        assert_eq!(code(&reversed, Some(&last)), 400);
        // 409 with the size cosigned.
        let stale = request(&stored, 5, 40);
        assert_eq!(
            judge(&stale, ORIGIN, &vkey(), Some(&last)).unwrap_err(),
            Refusal::Conflict(10)
        );
        assert_eq!(
            judge(&request(&stored, 10, 40), ORIGIN, &vkey(), None).unwrap_err(),
            Refusal::Conflict(0)
        );
        // 422: a bad proof, a proof from 0, a proof between equal sizes, a fork.
        let mut bad = request(&stored, 10, 40);
        bad.proof[0].0[0] ^= 1;
        assert_eq!(code(&bad, Some(&last)), 422);
        let mut from_zero = request(&stored, 0, 10);
        from_zero.proof = vec![Hash([0; 32])];
        assert_eq!(code(&from_zero, None), 422);
        let mut equal = request(&stored, 10, 10);
        equal.proof = vec![Hash([0; 32])];
        assert_eq!(code(&equal, Some(&last)), 422);
        let forked = log(40, 1);
        assert_eq!(code(&request(&forked, 10, 10), Some(&last)), 422);
        let fork = judge(&request(&forked, 10, 10), ORIGIN, &vkey(), Some(&last)).unwrap_err();
        assert!(
            matches!(&fork, Refusal::Unprocessable(m) if m.contains("fork")),
            "{fork:?}"
        );
        // A checkpoint of size 0 holds the empty tree's root, and only it.
        let key = secret().log_key(ORIGIN).unwrap();
        let empty = |root: &Hash| AddCheckpoint {
            old: 0,
            proof: Vec::new(),
            checkpoint: key.sign(0, root).unwrap(),
        };
        assert_eq!(code(&empty(&EMPTY_ROOT), None), 200);
        assert_eq!(code(&empty(&Hash([1; 32])), None), 422);
        assert_eq!(code(&request(&forked, 10, 40), Some(&last)), 422);
        // A checkpoint of another log is malformed here.
        let mut wrong = request(&stored, 10, 40);
        wrong.checkpoint = secret()
            .log_key("sovang.test/fund/OTHER")
            .unwrap()
            .sign(40, &root(&stored, 40))
            .unwrap();
        assert_ne!(code(&wrong, Some(&last)), 200);
    }

    #[test]
    fn cosignatures_verify_with_the_published_key_only() {
        let name = witness_name("sovang.test/", "HN");
        assert_eq!(name, "sovang.test/committee/HN");
        let w = WitnessKey::derive(&secret(), &name).unwrap();
        let vkey = w.verifier_key().to_owned();
        assert!(vkey.starts_with("sovang.test/committee/HN+"));
        let key = CosignerKey::parse(&vkey).unwrap();
        let stored = log(10, 0);
        let note = request(&stored, 0, 10).checkpoint;
        // The body as the note package reads it, not as this module splits it.
        let text = Note::from_bytes(note.as_bytes()).unwrap().text().to_vec();
        let body = std::str::from_utf8(&text).unwrap();
        let line = w.cosign(body, 1_764_000_000);
        assert!(line.starts_with("— sovang.test/committee/HN "));
        let cosigned = format!("{note}{line}");
        assert_eq!(key.verify(&cosigned), Some(1_764_000_000));
        // The log's own signature still verifies beside it.
        assert!(verify_checkpoint(&cosigned, &self::tests::vkey(), ORIGIN).is_ok());
        // Another committee's key, another body, another time: no.
        let other = WitnessKey::derive(&secret(), "sovang.test/committee/HP").unwrap();
        assert_eq!(
            CosignerKey::parse(other.verifier_key())
                .unwrap()
                .verify(&cosigned),
            None
        );
        let moved = cosigned.replacen("\n10\n", "\n11\n", 1);
        assert_eq!(key.verify(&moved), None);
        let retimed = format!("{note}{}", w.cosign(body, 1_764_000_001));
        assert_eq!(key.verify(&retimed), Some(1_764_000_001));
        let sig = line.trim_end().rsplit(' ').next().unwrap();
        let mut raw = BASE64.decode(sig).unwrap();
        raw[11] ^= 1;
        let bad = format!("{note}— {name} {}\n", BASE64.encode(raw));
        assert_eq!(key.verify(&bad), None);
        // Keys of another type, or whose id does not match, are not read.
        assert_eq!(CosignerKey::parse(&self::tests::vkey()), None);
        let mut parts: Vec<&str> = vkey.split('+').collect();
        let flipped = format!("{:08x}", u32::from_str_radix(parts[1], 16).unwrap() ^ 1);
        parts[1] = &flipped;
        assert_eq!(CosignerKey::parse(&parts.join("+")), None);
        // The key id is C2SP's, computed here apart from the code under
        // test: SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4].
        assert_eq!(w.name(), name);
        let public = BASE64.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap();
        assert_eq!(public[0], 0x04);
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut h, name.as_bytes());
        sha2::Digest::update(&mut h, b"\n");
        sha2::Digest::update(&mut h, &public);
        let digest = sha2::Digest::finalize(h);
        assert_eq!(vkey.split('+').nth(1).unwrap(), hex::encode(&digest[..4]));
        assert_eq!(&BASE64.decode(sig).unwrap()[..4], &digest[..4]);
        // The cosignature alone, first after the blank line, is found.
        assert_eq!(key.verify(&format!("{body}\n{line}")), Some(1_764_000_000));
        // Times up to 2^63 - 1 verify; past it, none (C2SP).
        let max = i64::MAX as u64;
        assert_eq!(
            key.verify(&format!("{note}{}", w.cosign(body, max))),
            Some(max)
        );
        assert_eq!(
            key.verify(&format!("{note}{}", w.cosign(body, max + 1))),
            None
        );
        // A signature of the wrong length is no signature, however short.
        let id = &BASE64.decode(sig).unwrap()[..4];
        for len in [4, 8, 12, 75, 77] {
            let mut raw = id.to_vec();
            raw.resize(len, 0);
            let short = format!("{note}— {name} {}\n", BASE64.encode(&raw));
            assert_eq!(key.verify(&short), None, "{len} bytes");
        }
        // A key of another type, or with a name a note cannot carry, is
        // refused even when its id is computed as for a 0x04 key.
        let forged = |name: &str, alg: u8| {
            let mut raw = public.clone();
            raw[0] = alg;
            let mut h = <sha2::Sha256 as sha2::Digest>::new();
            sha2::Digest::update(&mut h, name.as_bytes());
            sha2::Digest::update(&mut h, b"\n");
            sha2::Digest::update(&mut h, [0x04]);
            sha2::Digest::update(&mut h, &raw[1..]);
            let id = hex::encode(&sha2::Digest::finalize(h)[..4]);
            format!("{name}+{id}+{}", BASE64.encode(&raw))
        };
        assert!(CosignerKey::parse(&forged(&name, 0x04)).is_some());
        assert_eq!(CosignerKey::parse(&forged(&name, 0x01)), None);
        assert_eq!(CosignerKey::parse(&forged("bad name", 0x04)), None);
        // Its Debug form names the public key, never the seed.
        let shown = format!("{w:?}");
        assert!(shown.contains(&vkey), "{shown}");
        assert!(!shown.contains(&hex::encode(secret().derive_seed(&name))));
        // Witness keys and fund keys never coincide: different names.
        assert_ne!(
            secret().derive_seed(&name),
            secret().derive_seed("sovang.test/fund/HN")
        );
    }
}
