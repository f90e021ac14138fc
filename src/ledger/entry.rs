//! An entry as it is hashed: the envelope every kind shares (SPEC §3).

use serde::Deserialize;
use serde_json::Value;

use super::canonical::{to_canonical, CanonicalError};
use super::merkle::{leaf_hash, to_hex, Hash};

/// Version of the entries written now (SPEC §3): 2 since the controls of
/// SPEC §9. Entries of version 1 keep verifying under their own rules.
pub const ENTRY_VERSION: u64 = 2;

/// Largest canonical entry (SPEC §3): what an entry bundle's uint16
/// length can say (C2SP tlog-tiles).
pub const CANONICAL_BYTES_MAX: usize = crate::ledger::tiles::ENTRY_BYTES_MAX;

/// `prev` of entry 0.
pub const ZERO_HASH: Hash = Hash([0; 32]);

/// The envelope fields of an entry, everything but the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    pub fund: &'a str,
    pub seq: u64,
    pub id: &'a str,
    pub kind: &'a str,
    pub prev: Hash,
    pub recorded_at: &'a str,
    pub actor: &'a str,
}

/// An entry in its final form: canonical text and leaf hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub canonical: String,
    pub hash: Hash,
}

/// Why an entry could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    #[error("the entry is {0} bytes long; at most 65535 are allowed")]
    TooLarge(usize),
}

/// Builds the canonical text of an entry and its leaf hash, which is also
/// the link the next entry's `prev` names.
pub fn seal(envelope: &Envelope<'_>, body: Value) -> Result<Sealed, SealError> {
    let mut map = serde_json::Map::with_capacity(9);
    map.insert("actor".into(), envelope.actor.into());
    map.insert("body".into(), body);
    map.insert("fund".into(), envelope.fund.into());
    map.insert("id".into(), envelope.id.into());
    map.insert("kind".into(), envelope.kind.into());
    map.insert("prev".into(), to_hex(&envelope.prev).into());
    map.insert("recorded_at".into(), envelope.recorded_at.into());
    map.insert("seq".into(), envelope.seq.into());
    map.insert("v".into(), ENTRY_VERSION.into());
    let canonical = to_canonical(&Value::Object(map))?;
    if canonical.len() > CANONICAL_BYTES_MAX {
        return Err(SealError::TooLarge(canonical.len()));
    }
    let hash = leaf_hash(canonical.as_bytes());
    Ok(Sealed { canonical, hash })
}

/// The envelope of a stored entry, read without building the body, which
/// makes verification of a whole fund fast.
#[derive(Debug, Deserialize)]
pub struct StoredEnvelope<'a> {
    #[serde(borrow)]
    pub fund: &'a str,
    pub seq: u64,
    #[serde(borrow)]
    pub kind: &'a str,
    #[serde(borrow)]
    pub prev: &'a str,
    pub v: u64,
    #[serde(borrow)]
    pub id: &'a str,
    pub body: serde::de::IgnoredAny,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope() -> Envelope<'static> {
        Envelope {
            fund: "HN-VNN",
            seq: 17,
            id: "0192a3b4-0000-7000-8000-000000000000",
            kind: "donation_cash",
            prev: Hash([0xab; 32]),
            recorded_at: "2026-11-22T03:04:05.123456Z",
            actor: "tok_1",
        }
    }

    #[test]
    fn an_entry_has_the_documented_shape() {
        let s = seal(&envelope(), json!({"amount_vnd": "1500000"})).unwrap();
        assert_eq!(
            s.canonical,
            format!(
                "{{\"actor\":\"tok_1\",\"body\":{{\"amount_vnd\":\"1500000\"}},\"fund\":\"HN-VNN\",\
                 \"id\":\"0192a3b4-0000-7000-8000-000000000000\",\"kind\":\"donation_cash\",\
                 \"prev\":\"{}\",\"recorded_at\":\"2026-11-22T03:04:05.123456Z\",\"seq\":17,\"v\":2}}",
                "ab".repeat(32)
            )
        );
        assert_eq!(s.hash, leaf_hash(s.canonical.as_bytes()));
    }

    #[test]
    fn an_entry_a_bundle_cannot_hold_is_refused() {
        let base = seal(&envelope(), json!({"note": ""}))
            .unwrap()
            .canonical
            .len();
        let note = |n: usize| json!({"note": "x".repeat(n)});
        let longest = seal(&envelope(), note(65_535 - base)).unwrap();
        assert_eq!(longest.canonical.len(), 65_535);
        assert!(matches!(
            seal(&envelope(), note(65_536 - base)),
            Err(SealError::TooLarge(65_536))
        ));
    }

    #[test]
    fn a_stored_envelope_reads_back() {
        let s = seal(&envelope(), json!({"a": {"b": [1]}})).unwrap();
        let e: StoredEnvelope<'_> = serde_json::from_str(&s.canonical).unwrap();
        assert_eq!(
            (e.seq, e.fund, e.kind, e.v),
            (17, "HN-VNN", "donation_cash", 2)
        );
        assert_eq!(e.prev, "ab".repeat(32));
    }
}
