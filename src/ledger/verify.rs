//! Verification of a whole fund from its entries and checkpoints alone:
//! every leaf hash, every `prev` link, contiguous `seq`, the Merkle root at
//! every stored checkpoint and each checkpoint's signature.
//!
//! The caller feeds entries in `seq` order and checkpoints in size order;
//! memory stays bounded (a frontier of at most 64 hashes), so a fund of any
//! size streams through. The first fault stops the walk and names its seq.

use super::book::Book;
use super::checkpoint::{verify_checkpoint, CheckpointError, VerifiedCheckpoint};
use super::statement::{Before, DayTotals};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::entry::{ENTRY_VERSION, ZERO_HASH};
use super::merkle::{leaf_hash, to_hex, Frontier, Hash};
use super::money::SumVnd;
use super::replay::{fold_read, read_parts, ReplayError};

/// The first thing found wrong, with the seq it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seq {seq}: {reason}")]
pub struct Fault {
    pub seq: u64,
    pub reason: String,
}

impl Fault {
    fn new(seq: u64, reason: impl Into<String>) -> Self {
        Self {
            seq,
            reason: reason.into(),
        }
    }
}

/// The fields of an entry's envelope the walk checks.
#[derive(Debug)]
struct Envelope {
    seq: u64,
    fund: String,
    v: u64,
    /// `prev` as bytes; `None` when it is not 64 hex digits.
    prev: Option<Hash>,
    /// Whether the kind is `fund_opened`.
    opening: bool,
}

/// An entry read ahead of the walk: hashed and parsed once. That needs no
/// state of the walk, so it can run on another core while the walk folds
/// the entries before it (`sovang verify` does).
#[derive(Debug)]
pub struct Prepared {
    seq: u64,
    hash: Hash,
    hash_matches: bool,
    envelope: Result<Envelope, String>,
    read: Result<super::replay::Read, ReplayError>,
    /// Entry 0's text, whose key and origin the walk reads.
    opening_text: Option<String>,
}

/// Everything a stored entry says, borrowed from its text: read once for
/// both the envelope's checks and the books.
#[derive(Deserialize)]
struct Whole<'a> {
    #[serde(borrow)]
    fund: &'a str,
    seq: u64,
    #[serde(borrow)]
    kind: &'a str,
    #[serde(borrow)]
    prev: &'a str,
    v: u64,
    /// Required, as in every entry; not otherwise checked here.
    #[serde(borrow, rename = "id")]
    _id: &'a str,
    actor: String,
    #[serde(borrow)]
    recorded_at: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    body: &'a RawValue,
}

impl Prepared {
    /// The seq the entry is stored at.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The hash of its canonical text.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// Hashes and reads the entry stored at `seq` with `stored_hash`.
    pub fn new(seq: u64, stored_hash: &[u8], canonical: &str) -> Self {
        let (envelope, read) = match super::replay::read_whole(canonical) {
            Some(w) => (
                Ok(Envelope {
                    seq: w.read.seq,
                    fund: w.fund.to_owned(),
                    v: w.read.v,
                    prev: from_hex(w.prev),
                    opening: w.kind == super::kinds::EntryKind::FundOpened,
                }),
                Ok(w.read),
            ),
            None => careful(seq, canonical),
        };
        Self::of(seq, stored_hash, canonical, envelope, read)
    }

    fn of(
        seq: u64,
        stored_hash: &[u8],
        canonical: &str,
        envelope: Result<Envelope, String>,
        read: Result<super::replay::Read, ReplayError>,
    ) -> Self {
        let hash = leaf_hash(canonical.as_bytes());
        Self {
            seq,
            hash,
            hash_matches: stored_hash == hash.0,
            opening_text: (seq == 0).then(|| canonical.to_owned()),
            envelope,
            read,
        }
    }
}

/// How [`Prepared::new`] reads an entry the one-pass read declined: the
/// way that names what is wrong with it.
fn careful(
    seq: u64,
    canonical: &str,
) -> (
    Result<Envelope, String>,
    Result<super::replay::Read, ReplayError>,
) {
    match serde_json::from_str::<Whole<'_>>(canonical) {
        Ok(w) => {
            let envelope = Envelope {
                seq: w.seq,
                fund: w.fund.to_owned(),
                v: w.v,
                prev: from_hex(w.prev),
                opening: w.kind == "fund_opened",
            };
            let read = read_parts(w.seq, w.v, w.actor, w.kind, &w.recorded_at, w.body.get());
            (Ok(envelope), read)
        }
        Err(e) => (
            Err(e.to_string()),
            Err(ReplayError {
                seq,
                reason: format!("not an entry: {e}"),
            }),
        ),
    }
}

/// 64 lowercase hex digits as a hash.
///
/// One pass over the digits with a table: every entry of a walk has one,
/// and checking then decoding them took some twelfth of a verification.
fn from_hex(text: &str) -> Option<Hash> {
    /// A digit's value, or 0xff for anything but `0-9a-f`.
    const VALUE: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let digits: &[u8; 64] = text.as_bytes().try_into().ok()?;
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (VALUE[pair[0] as usize], VALUE[pair[1] as usize]);
        bad |= (hi | lo) & 0xf0;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad == 0).then_some(Hash(out))
}

/// A walk over one fund's ledger.
#[derive(Debug)]
pub struct ChainVerifier {
    fund: String,
    origin: String,
    /// Taken from entry 0 and compared with what the caller expects.
    verifier_key: Option<String>,
    expected_verifier_key: Option<String>,
    frontier: Frontier,
    last_hash: Hash,
    checkpoints_checked: u64,
    /// The books folded from the entries: every rule checked again, and
    /// the balance to compare with what the service shows.
    book: Book,
    /// The totals by day, rebuilt when asked for (`verify --deep`).
    days: Option<Vec<DayTotals>>,
}

/// What a completed walk saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub size: u64,
    pub root: Hash,
    pub checkpoints: u64,
    pub verifier_key: Option<String>,
    /// Cash on hand, as the entries add up.
    pub balance_vnd: SumVnd,
}

impl ChainVerifier {
    /// Starts a walk of fund `fund` whose log is named `origin`. When
    /// `expected_verifier_key` is given (from the funds table or a trusted
    /// source), entry 0 must publish that same key.
    pub fn new(fund: &str, origin: &str, expected_verifier_key: Option<&str>) -> Self {
        Self {
            fund: fund.to_owned(),
            origin: origin.to_owned(),
            verifier_key: None,
            expected_verifier_key: expected_verifier_key.map(str::to_owned),
            frontier: Frontier::new(),
            last_hash: ZERO_HASH,
            checkpoints_checked: 0,
            book: Book::default(),
            days: None,
        }
    }

    /// Continues a walk that ended, at an earlier time, with `frontier`
    /// and `last_hash`: a watcher checks only the entries appended since.
    /// The books are not carried over, so the rules are not judged again.
    pub fn resume(
        fund: &str,
        origin: &str,
        verifier_key: &str,
        frontier: Frontier,
        last_hash: Hash,
    ) -> Self {
        Self {
            fund: fund.to_owned(),
            origin: origin.to_owned(),
            verifier_key: Some(verifier_key.to_owned()),
            expected_verifier_key: Some(verifier_key.to_owned()),
            frontier,
            last_hash,
            checkpoints_checked: 0,
            book: Book::default(),
            days: None,
        }
    }

    /// Rebuilds the fund's totals by day as the walk goes, to compare
    /// with the stored ones ([`ChainVerifier::take_days`]).
    pub fn keep_days(&mut self) {
        self.days = Some(Vec::new());
    }

    /// The totals by day rebuilt so far, if kept.
    pub fn take_days(&mut self) -> Option<Vec<DayTotals>> {
        self.days.take()
    }

    /// The books folded so far.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// The tree so far, to resume from.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Hash of the last entry accepted.
    pub fn last_hash(&self) -> Hash {
        self.last_hash
    }

    /// Number of entries accepted so far.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Root of the entries accepted so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Checks the next entry: its stored hash, canonical text and links.
    pub fn push_entry(
        &mut self,
        seq: u64,
        stored_hash: &[u8],
        canonical: &str,
    ) -> Result<(), Fault> {
        self.push_prepared(Prepared::new(seq, stored_hash, canonical))
    }

    /// [`ChainVerifier::push_entry`] for an entry prepared ahead, perhaps
    /// on another thread.
    pub fn push_prepared(&mut self, p: Prepared) -> Result<(), Fault> {
        let seq = p.seq;
        let expected_seq = self.size();
        if seq != expected_seq {
            return Err(Fault::new(
                expected_seq,
                format!("entry missing: the next stored entry is seq {seq}"),
            ));
        }
        if !p.hash_matches {
            return Err(Fault::new(
                seq,
                "stored hash does not match the hash of the canonical text (the entry was altered)",
            ));
        }
        let env = p
            .envelope
            .map_err(|e| Fault::new(seq, format!("canonical text is not a valid entry: {e}")))?;
        if env.seq != seq {
            return Err(Fault::new(
                seq,
                format!("entry says seq {} but is stored at seq {seq}", env.seq),
            ));
        }
        if env.fund != self.fund {
            return Err(Fault::new(
                seq,
                format!("entry belongs to fund {:?}", env.fund),
            ));
        }
        if !(1..=ENTRY_VERSION).contains(&env.v) {
            return Err(Fault::new(seq, format!("unknown entry version {}", env.v)));
        }
        if env.prev != Some(self.last_hash) {
            return Err(Fault::new(
                seq,
                "prev does not name the hash of the previous entry (the chain is broken)",
            ));
        }
        if (seq == 0) != env.opening {
            return Err(Fault::new(
                seq,
                "entry 0, and only entry 0, must be fund_opened",
            ));
        }
        if let Some(text) = &p.opening_text {
            self.read_fund_opened(text)?;
        }
        // A resumed walk starts mid-ledger; its books would not add up.
        if self.book.size == seq {
            let read = p.read.map_err(|e| Fault::new(seq, e.reason))?;
            let before = self
                .days
                .is_some()
                .then(|| Before::of(&self.book, &read.body));
            fold_read(&mut self.book, &read).map_err(|e| Fault::new(seq, e.reason))?;
            if let (Some(days), Some(before)) = (&mut self.days, before) {
                let day = crate::ledger::ids::today_in_vietnam(read.recorded_at);
                let name = crate::ledger::ids::format_date(day);
                let totals = match days.last_mut() {
                    Some(d) if d.day == name => d,
                    _ => {
                        days.push(DayTotals::new(day));
                        days.last_mut()
                            .ok_or_else(|| Fault::new(seq, "no day".to_owned()))?
                    }
                };
                totals.record(seq, &read.body, before, &self.book);
            }
        }
        self.frontier.push(p.hash);
        self.last_hash = p.hash;
        Ok(())
    }

    fn read_fund_opened(&mut self, canonical: &str) -> Result<(), Fault> {
        let v: serde_json::Value = serde_json::from_str(canonical)
            .map_err(|e| Fault::new(0, format!("fund_opened is not JSON: {e}")))?;
        let body = &v["body"];
        let key = body["verifier_key"].as_str().unwrap_or_default().to_owned();
        if body["origin"].as_str() != Some(self.origin.as_str()) {
            return Err(Fault::new(
                0,
                format!(
                    "fund_opened names origin {}, expected {}",
                    body["origin"], self.origin
                ),
            ));
        }
        if let Some(expected) = &self.expected_verifier_key {
            if *expected != key {
                return Err(Fault::new(
                    0,
                    "fund_opened publishes another verifier key than the fund's",
                ));
            }
        }
        self.verifier_key = Some(key);
        Ok(())
    }

    /// Checks a signed checkpoint of the tree as it stands now; call it when
    /// [`ChainVerifier::size`] equals the checkpoint's size.
    pub fn check_checkpoint(&mut self, signed_note: &str) -> Result<(), Fault> {
        let key = self
            .verifier_key
            .as_deref()
            .ok_or_else(|| Fault::new(0, "a checkpoint precedes the fund_opened entry"))?;
        let verified = verify_checkpoint(signed_note, key, &self.origin);
        self.check_verified_checkpoint(verified)
    }

    /// [`ChainVerifier::check_checkpoint`] for a note whose signature was
    /// checked ahead, perhaps on another thread, with the key the caller
    /// expects entry 0 to publish (the walk holds entry 0 to that key).
    pub fn check_verified_checkpoint(
        &mut self,
        verified: Result<VerifiedCheckpoint, CheckpointError>,
    ) -> Result<(), Fault> {
        let size = self.size();
        let last = size.saturating_sub(1);
        if self.verifier_key.is_none() {
            return Err(Fault::new(0, "a checkpoint precedes the fund_opened entry"));
        }
        let cp = verified.map_err(|e| match e {
            CheckpointError::BadSignature => Fault::new(
                last,
                format!("checkpoint of size {size}: signature does not verify"),
            ),
            other => Fault::new(last, format!("checkpoint of size {size}: {other}")),
        })?;
        if cp.size != size {
            return Err(Fault::new(
                last,
                format!("checkpoint says size {}, checked at size {size}", cp.size),
            ));
        }
        if cp.root != self.root() {
            return Err(Fault::new(
                last,
                format!(
                    "checkpoint of size {size} signs root {} but the entries give {}",
                    to_hex(&cp.root),
                    to_hex(&self.root())
                ),
            ));
        }
        self.checkpoints_checked += 1;
        Ok(())
    }

    /// Ends the walk.
    pub fn finish(self) -> Summary {
        Summary {
            size: self.size(),
            root: self.root(),
            checkpoints: self.checkpoints_checked,
            verifier_key: self.verifier_key,
            balance_vnd: self.book.balance_vnd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::checkpoint::LogKey;
    use crate::ledger::entry::{seal, Envelope};
    use serde_json::json;

    const ORIGIN: &str = "sovang.local/fund/T";

    fn ledger(n: u64) -> (Vec<(u64, Hash, String)>, LogKey) {
        let key = LogKey::from_seed(ORIGIN, &[1; 32]).unwrap();
        let mut prev = ZERO_HASH;
        let mut out = Vec::new();
        for seq in 0..n {
            let (kind, body) = if seq == 0 {
                (
                    "fund_opened",
                    json!({"committee_code": "T", "committee_name": "T", "fund_code": "T",
                           "fund_kind": "relief", "origin": ORIGIN, "verifier_key": key.verifier_key()}),
                )
            } else {
                (
                    "donation_cash",
                    json!({"receipt_no": format!("T-2026-{seq:06}"), "amount_vnd": seq.to_string(),
                           "donor": {"display": "A", "kind": "individual"},
                           "channel": "cash", "received_on": "2026-11-20"}),
                )
            };
            let id = format!("e{seq}");
            let env = Envelope {
                fund: "T",
                seq,
                id: &id,
                kind,
                prev,
                recorded_at: "2026-11-20T03:04:05.000000Z",
                actor: "a",
            };
            let s = seal(&env, body).unwrap();
            prev = s.hash;
            out.push((seq, s.hash, s.canonical));
        }
        (out, key)
    }

    fn walk(rows: &[(u64, Hash, String)], key: &LogKey) -> Result<Summary, Fault> {
        let mut v = ChainVerifier::new("T", ORIGIN, Some(key.verifier_key()));
        for (seq, hash, canonical) in rows {
            v.push_entry(*seq, &hash.0, canonical)?;
        }
        let note = key.sign(v.size(), &v.root()).unwrap();
        v.check_checkpoint(&note)?;
        Ok(v.finish())
    }

    #[test]
    fn an_honest_ledger_verifies() {
        let (rows, key) = ledger(20);
        let s = walk(&rows, &key).unwrap();
        assert_eq!((s.size, s.checkpoints), (20, 1));
        assert_eq!(s.balance_vnd, (1..20).sum::<i128>());
    }

    #[test]
    fn an_edited_amount_is_found_at_its_seq() {
        let (mut rows, key) = ledger(20);
        rows[7].2 = rows[7].2.replace("\"7\"", "\"70\"");
        assert_eq!(walk(&rows, &key).unwrap_err().seq, 7);
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let (mut rows, key) = ledger(20);
        rows[7].2 = rows[7].2.replace("\"7\"", "\"70\"");
        rows[7].1 = leaf_hash(rows[7].2.as_bytes());
        let f = walk(&rows, &key).unwrap_err();
        assert_eq!(f.seq, 8);
        assert!(f.reason.contains("prev"));
    }

    #[test]
    fn one_pass_reads_what_the_careful_read_reads() {
        let (rows, _) = ledger(4);
        let same = |text: &str| {
            let (fast, careful) = (Prepared::new(1, &[0; 32], text), {
                let (envelope, read) = careful(1, text);
                Prepared::of(1, &[0; 32], text, envelope, read)
            });
            assert_eq!(format!("{fast:?}"), format!("{careful:?}"), "{text}");
            careful
        };
        for (_, _, text) in &rows {
            assert!(crate::ledger::replay::read_whole(text).is_some(), "{text}");
            assert!(same(text).read.is_ok());
        }
        let gift = &rows[2].2;
        // Read alike both ways: the fields in another order.
        let v = format!("\"v\":{ENTRY_VERSION}");
        let reordered = format!("{{{v},{}", gift[1..].replace(&format!(",{v}}}"), "}"));
        assert_eq!(reordered.len(), gift.len());
        assert_eq!(reordered.matches("\"v\":").count(), 1);
        assert!(crate::ledger::replay::read_whole(&reordered).is_some());
        assert!(same(&reordered).read.is_ok());
        // Declined by the one pass, then read (or refused) the careful way.
        let declined = [
            // a field no entry has, which the careful read passes over
            (gift.replacen("{", "{\"x\":1,", 1), true),
            // a timestamp written with an escape
            (
                gift.replace("\"recorded_at\":\"2", "\"recorded_at\":\"\\u0032"),
                true,
            ),
            // the kind of another body
            (
                gift.replace("\"kind\":\"donation_cash\"", "\"kind\":\"pledge\""),
                false,
            ),
            // no kind at all: the last `"kind":"` is the donor's
            (gift.replace(",\"kind\":\"donation_cash\"", ""), false),
            // a field twice
            (gift.replacen("{", "{\"seq\":2,", 1), false),
            // a body that does not read
            (
                gift.replace("\"channel\":\"cash\"", "\"channel\":\"barter\""),
                false,
            ),
            (format!("{gift} x"), false),
        ];
        for (text, reads) in &declined {
            assert_ne!(text, gift);
            assert!(crate::ledger::replay::read_whole(text).is_none(), "{text}");
            let careful = same(text);
            assert_eq!(careful.read.is_ok(), *reads, "{text}");
        }
    }

    #[test]
    fn prev_is_64_lowercase_hex_digits() {
        let h = leaf_hash(b"x");
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(
            from_hex(&"0123456789abcdef".repeat(4)).unwrap().0[..8],
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
        let good = to_hex(&h);
        for bad in [
            good.to_uppercase(),
            good[..63].to_owned(),
            format!("{good}0"),
            format!("g{}", &good[1..]),
            // both digits of a pair wrong at once
            format!("{}zz", &good[..62]),
            format!("{}/", &good[..63]),
            format!("{}:", &good[..63]),
            format!("{}`", &good[..63]),
            format!("{}G", &good[..63]),
            String::new(),
        ] {
            assert_eq!(from_hex(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_dropped_entry_is_named() {
        let (mut rows, key) = ledger(20);
        rows.remove(5);
        assert_eq!(walk(&rows, &key).unwrap_err().seq, 5);
    }

    #[test]
    fn a_checkpoint_from_another_key_or_root_is_refused() {
        let (rows, key) = ledger(5);
        let mut v = ChainVerifier::new("T", ORIGIN, Some(key.verifier_key()));
        for (seq, hash, canonical) in &rows {
            v.push_entry(*seq, &hash.0, canonical).unwrap();
        }
        let stranger = LogKey::from_seed(ORIGIN, &[2; 32]).unwrap();
        assert!(v
            .check_checkpoint(&stranger.sign(5, &v.root()).unwrap())
            .is_err());
        assert!(v
            .check_checkpoint(&key.sign(5, &Hash([0; 32])).unwrap())
            .is_err());
        assert!(v
            .check_checkpoint(&key.sign(4, &v.root()).unwrap())
            .is_err());
        assert!(v.check_checkpoint(&key.sign(5, &v.root()).unwrap()).is_ok());
    }

    #[test]
    fn a_fund_opened_with_another_key_is_refused() {
        let (rows, _) = ledger(3);
        let other = LogKey::from_seed(ORIGIN, &[3; 32]).unwrap();
        let mut v = ChainVerifier::new("T", ORIGIN, Some(other.verifier_key()));
        assert_eq!(
            v.push_entry(0, &rows[0].1 .0, &rows[0].2).unwrap_err().seq,
            0
        );
    }
}
