//! The RFC 9162 Merkle tree of a fund, on top of Cloudflare's `tlog_tiles`
//! (a port of Go's `sumdb/tlog`, which made the shared vectors).
//!
//! Storage keeps, for every complete subtree, its hash under Go's "stored hash
//! index" (about two hashes per leaf). A proof or a root then needs at most
//! O(log n) of them, read in one query. The store cannot be called from inside
//! `tlog_tiles` (its reader is synchronous, the store is not), so proofs are
//! made in two steps: [`inclusion_indexes`] / [`consistency_indexes`] name the
//! stored hashes a proof needs, the store reads them, and
//! [`inclusion_proof`] / [`consistency_proof`] build the proof from them.
//!
//! Appends do not read the store at all: [`Frontier`] holds the hashes of the
//! complete subtrees on the right edge of the tree (at most 64) and yields the
//! new stored hashes and the new root.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use tlog_tiles::tlog;

pub use tlog_tiles::tlog::Hash;

/// Size of a hash in bytes.
pub const HASH_LEN: usize = 32;

/// The root of the empty tree: SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = tlog::EMPTY_HASH;

/// RFC 9162 leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    tlog::node_hash(*left, *right)
}

/// Position of a stored hash: `level` above the leaves, `index` from the left.
pub fn stored_index(level: u8, index: u64) -> u64 {
    tlog::stored_hash_index(level, index)
}

/// The level and index of a stored hash: the inverse of [`stored_index`].
pub fn split_stored_index(idx: u64) -> (u8, u64) {
    tlog::split_stored_hash_index(idx)
}

/// The leaf a stored index names, when it names a leaf (level 0). Leaf
/// hashes are kept with their entries, not among the stored hashes.
pub fn leaf_of(idx: u64) -> Option<u64> {
    match split_stored_index(idx) {
        (0, n) => Some(n),
        _ => None,
    }
}

/// Lowercase hex of a hash, as every JSON document of the API writes it.
pub fn to_hex(h: &Hash) -> String {
    hex::encode(h.0)
}

/// Parses 64 lowercase or uppercase hex digits.
pub fn from_hex(s: &str) -> Option<Hash> {
    let mut out = [0u8; HASH_LEN];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(Hash(out))
}

/// Reads a hash from a 32-byte column.
pub fn from_slice(b: &[u8]) -> Option<Hash> {
    <[u8; HASH_LEN]>::try_from(b).ok().map(Hash)
}

/// A proof or root that could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    OutOfRange { index: u64, size: u64 },
    #[error("tree size {from} is larger than tree size {to}")]
    SizesReversed { from: u64, to: u64 },
    #[error("stored hashes the proof needs are missing")]
    MissingHashes,
    #[error("the proof does not verify")]
    Invalid,
}

/// Hashes of the complete subtrees on the right edge of a tree: everything an
/// append needs. For size n there is one per set bit of n, largest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frontier {
    size: u64,
    /// (level, hash), left to right; levels strictly decrease.
    nodes: Vec<(u8, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf and returns the stored hashes it completes, as
    /// (stored index, hash), starting with the leaf itself.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u64, Hash)> {
        let n = self.size;
        let mut stored = vec![(stored_index(0, n), leaf)];
        self.nodes.push((0, leaf));
        while self.nodes.len() >= 2 {
            let (right_level, right) = self.nodes[self.nodes.len() - 1];
            let (left_level, left) = self.nodes[self.nodes.len() - 2];
            if left_level != right_level {
                break;
            }
            self.nodes.truncate(self.nodes.len() - 2);
            let level = left_level + 1;
            let parent = node_hash(&left, &right);
            stored.push((stored_index(level, n >> level), parent));
            self.nodes.push((level, parent));
        }
        self.size += 1;
        stored
    }

    /// The root hash of the tree (RFC 9162 MTH).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        match nodes.next() {
            None => EMPTY_ROOT,
            Some((_, last)) => nodes.fold(*last, |acc, (_, left)| node_hash(left, &acc)),
        }
    }

    /// Serialises to `level ‖ hash` records for the fund head row.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.nodes.len() * (HASH_LEN + 1));
        for (level, hash) in &self.nodes {
            out.push(*level);
            out.extend_from_slice(&hash.0);
        }
        out
    }

    /// Parses [`Frontier::to_bytes`] output, checking that the levels describe
    /// a tree of `size` leaves.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Option<Self> {
        if !bytes.len().is_multiple_of(HASH_LEN + 1) {
            return None;
        }
        let mut nodes = Vec::with_capacity(bytes.len() / (HASH_LEN + 1));
        let mut total: u64 = 0;
        for rec in bytes.chunks_exact(HASH_LEN + 1) {
            let level = rec[0];
            if level >= 64 || nodes.last().is_some_and(|(l, _)| *l <= level) {
                return None;
            }
            total += 1u64 << level;
            nodes.push((level, from_slice(&rec[1..])?));
        }
        (total == size).then_some(Self { size, nodes })
    }
}

/// Stored-hash indexes that the inclusion proof of leaf `index` in a tree of
/// `size` leaves needs.
pub fn inclusion_indexes(index: u64, size: u64) -> Result<Vec<u64>, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let recorder = Recorder::default();
    tlog::prove_record(size, index, &recorder).map_err(|_| ProofError::Invalid)?;
    Ok(recorder.into_indexes())
}

/// Stored-hash indexes that the consistency proof from `from` to `to` needs.
pub fn consistency_indexes(from: u64, to: u64) -> Result<Vec<u64>, ProofError> {
    check_sizes(from, to)?;
    if from == 0 || from == to {
        return Ok(Vec::new());
    }
    let recorder = Recorder::default();
    tlog::prove_tree(to, from, &recorder).map_err(|_| ProofError::Invalid)?;
    Ok(recorder.into_indexes())
}

/// Stored-hash indexes that the root of a tree of `size` leaves needs.
pub fn root_indexes(size: u64) -> Vec<u64> {
    if size == 0 {
        Vec::new()
    } else {
        tlog::sub_tree_index(0, size, Vec::new())
    }
}

/// The inclusion path of leaf `index` in a tree of `size` leaves, bottom-up.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    hashes: &HashMap<u64, Hash>,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    tlog::prove_record(size, index, &MapReader(hashes)).map_err(missing)
}

/// The consistency proof from a tree of `from` leaves to one of `to` leaves.
pub fn consistency_proof(
    from: u64,
    to: u64,
    hashes: &HashMap<u64, Hash>,
) -> Result<Vec<Hash>, ProofError> {
    check_sizes(from, to)?;
    if from == 0 || from == to {
        return Ok(Vec::new());
    }
    tlog::prove_tree(to, from, &MapReader(hashes)).map_err(missing)
}

/// The root of a tree of `size` leaves from its stored hashes.
pub fn root_from_stored(size: u64, hashes: &HashMap<u64, Hash>) -> Result<Hash, ProofError> {
    tlog::tree_hash(size, &MapReader(hashes)).map_err(missing)
}

/// Checks that `path` proves leaf `leaf` at `index` in the tree of `size`
/// leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    tlog::check_record(&path.to_vec(), size, *root, index, *leaf).map_err(|_| ProofError::Invalid)
}

/// Checks that `proof` shows the tree of `from` leaves with root `from_root`
/// is a prefix of the tree of `to` leaves with root `to_root`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_sizes(from, to)?;
    if from == 0 || from == to {
        // RFC 9162 §2.1.4.2: such proofs are empty, and equal sizes need equal roots.
        let same = from == 0 || from_root == to_root;
        return if proof.is_empty() && same {
            Ok(())
        } else {
            Err(ProofError::Invalid)
        };
    }
    tlog::check_tree(&proof.to_vec(), to, *to_root, from, *from_root)
        .map_err(|_| ProofError::Invalid)
}

fn check_sizes(from: u64, to: u64) -> Result<(), ProofError> {
    if from > to {
        Err(ProofError::SizesReversed { from, to })
    } else {
        Ok(())
    }
}

/// The library fails on a well-formed request only when a read fails.
fn missing(_: tlog::Error) -> ProofError {
    ProofError::MissingHashes
}

/// A reader that records which stored hashes a computation asks for.
#[derive(Default)]
struct Recorder(Mutex<Vec<u64>>);

impl Recorder {
    fn into_indexes(self) -> Vec<u64> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl tlog::HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.extend_from_slice(indexes);
        Ok(vec![Hash([0; HASH_LEN]); indexes.len()])
    }
}

struct MapReader<'a>(&'a HashMap<u64, Hash>);

impl tlog::HashReader for MapReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(tlog::Error::IndexesNotInTree))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_stored_index_splits_back_into_its_level_and_index() {
        for level in 0..5u8 {
            for n in 0..300u64 {
                assert_eq!(split_stored_index(stored_index(level, n)), (level, n));
            }
        }
        assert_eq!(leaf_of(stored_index(0, 7)), Some(7));
        assert_eq!(leaf_of(stored_index(1, 3)), None);
        // The first indexes: leaf 0, leaf 1, their parent, leaf 2.
        let leaves: Vec<Option<u64>> = (0..4).map(leaf_of).collect();
        assert_eq!(leaves, [Some(0), Some(1), None, Some(2)]);
    }

    /// Builds a tree of `n` leaves and returns its stored hashes and frontier.
    fn build(n: u64) -> (HashMap<u64, Hash>, Frontier) {
        let mut f = Frontier::new();
        let mut stored = HashMap::new();
        for i in 0..n {
            for (idx, h) in f.push(leaf_hash(format!("leaf {i}").as_bytes())) {
                assert!(stored.insert(idx, h).is_none(), "index {idx} stored twice");
            }
        }
        (stored, f)
    }

    #[test]
    fn the_frontier_stores_the_same_hashes_as_go_tlog() {
        let mut f = Frontier::new();
        let mut stored: HashMap<u64, Hash> = HashMap::new();
        for n in 0..300u64 {
            let data = format!("record {n}");
            let ours = f.push(leaf_hash(data.as_bytes()));
            let theirs = tlog::stored_hashes(n, data.as_bytes(), &MapReader(&stored)).unwrap();
            assert_eq!(ours.iter().map(|(_, h)| *h).collect::<Vec<_>>(), theirs);
            let first = tlog::stored_hash_index(0, n);
            for (k, (idx, h)) in ours.iter().enumerate() {
                assert_eq!(*idx, first + k as u64);
                stored.insert(*idx, *h);
            }
            assert_eq!(f.root(), root_from_stored(n + 1, &stored).unwrap());
        }
    }

    #[test]
    fn a_frontier_round_trips_through_bytes() {
        let (_, f) = build(77);
        assert_eq!(Frontier::from_bytes(77, &f.to_bytes()), Some(f.clone()));
        assert_eq!(Frontier::from_bytes(78, &f.to_bytes()), None);
        assert_eq!(Frontier::from_bytes(77, &f.to_bytes()[1..]), None);
    }

    #[test]
    fn the_empty_tree_has_the_hash_of_nothing() {
        assert_eq!(Frontier::new().root(), EMPTY_ROOT);
        assert_eq!(
            to_hex(&EMPTY_ROOT),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn proofs_ask_for_logarithmically_many_hashes() {
        let n = 1_000_003;
        assert!(inclusion_indexes(12_345, n).unwrap().len() <= 2 * 20 + 2);
        assert!(consistency_indexes(500_001, n).unwrap().len() <= 2 * 20 + 2);
        assert!(root_indexes(n).len() <= 21);
    }

    /// Leaf hashes of "a", "b" and "c", computed outside Rust with
    /// `python3 -c 'import hashlib; print(hashlib.sha256(b"\x00a").hexdigest())'`.
    const LEAF_A: &str = "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c";
    const LEAF_B: &str = "57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31";
    const LEAF_C: &str = "597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8";
    /// SHA-256(0x01 ‖ leaf a ‖ leaf b), by python3 hashlib.
    const NODE_AB: &str = "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb";
    /// SHA-256(0x01 ‖ node ab ‖ leaf c): RFC 9162 MTH of [a, b, c], by python3 hashlib.
    const ROOT_ABC: &str = "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1";

    fn hash(hex: &str) -> Hash {
        from_hex(hex).unwrap()
    }

    /// One `level ‖ hash` record of a stored frontier.
    fn record(level: u8) -> Vec<u8> {
        let mut out = vec![level];
        out.extend_from_slice(&hash(LEAF_A).0);
        out
    }

    /// Roots of the trees of 0..=n leaves of [`build`].
    fn roots(n: u64) -> Vec<Hash> {
        let mut f = Frontier::new();
        let mut out = vec![f.root()];
        for i in 0..n {
            f.push(leaf_hash(format!("leaf {i}").as_bytes()));
            out.push(f.root());
        }
        out
    }

    #[test]
    fn a_leaf_hash_is_sha256_of_a_zero_byte_then_the_data() {
        // printf '\x00' | sha256sum; printf '\x00sovang' | sha256sum
        assert_eq!(
            to_hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            to_hex(&leaf_hash(b"sovang")),
            "463a54cb32553fdf072d37477199ec024f208c203aa7cba22d3ea67636cca22d"
        );
        assert_eq!(leaf_hash(b"a"), hash(LEAF_A));
    }

    #[test]
    fn a_node_hash_is_sha256_of_a_one_byte_then_both_children() {
        assert_eq!(to_hex(&node_hash(&hash(LEAF_A), &hash(LEAF_B))), NODE_AB);
        assert_ne!(node_hash(&hash(LEAF_B), &hash(LEAF_A)), hash(NODE_AB));
    }

    #[test]
    fn hex_is_read_in_either_case_and_only_at_full_length() {
        assert_eq!(from_hex(&LEAF_A.to_uppercase()), Some(hash(LEAF_A)));
        assert_eq!(to_hex(&hash(LEAF_A)), LEAF_A);
        assert_eq!(from_hex(&LEAF_A[..62]), None);
        assert_eq!(from_hex(&format!("{LEAF_A}00")), None);
        assert_eq!(from_hex(&LEAF_A.replace('a', "g")), None);
        assert_eq!(from_slice(&hash(LEAF_B).0), Some(hash(LEAF_B)));
        assert_eq!(from_slice(&hash(LEAF_B).0[..31]), None);
    }

    #[test]
    fn stored_indexes_follow_go_tlog_numbering() {
        // Leaf 0, leaf 1, their parent, leaf 2, leaf 3, their parent, the
        // parent of both pairs: the order in which appends store them.
        let order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0)];
        for (i, (level, index)) in order.into_iter().enumerate() {
            assert_eq!(stored_index(level, index), i as u64);
        }
    }

    #[test]
    fn a_three_leaf_tree_has_the_root_computed_by_hand() {
        let mut f = Frontier::new();
        assert_eq!(f.size(), 0);
        assert_eq!(f.push(hash(LEAF_A)), vec![(0, hash(LEAF_A))]);
        assert_eq!(
            f.push(hash(LEAF_B)),
            vec![(1, hash(LEAF_B)), (2, hash(NODE_AB))]
        );
        assert_eq!(f.push(hash(LEAF_C)), vec![(3, hash(LEAF_C))]);
        assert_eq!(f.size(), 3);
        assert_eq!(to_hex(&f.root()), ROOT_ABC);
        let mut bytes = vec![1];
        bytes.extend_from_slice(&hash(NODE_AB).0);
        bytes.push(0);
        bytes.extend_from_slice(&hash(LEAF_C).0);
        assert_eq!(f.to_bytes(), bytes);
    }

    #[test]
    fn a_stored_frontier_with_two_records_at_one_level_is_refused() {
        // Two leaves are one level-1 subtree, never two level-0 records,
        // even though the leaf count adds up.
        assert_eq!(
            Frontier::from_bytes(2, &[record(0), record(0)].concat()),
            None
        );
        assert_eq!(
            Frontier::from_bytes(4, &[record(1), record(1)].concat()),
            None
        );
    }

    #[test]
    fn a_stored_frontier_with_levels_going_up_is_refused() {
        assert_eq!(
            Frontier::from_bytes(3, &[record(0), record(1)].concat()),
            None
        );
        let f = Frontier::from_bytes(3, &[record(1), record(0)].concat()).unwrap();
        assert_eq!(f.size(), 3);
        assert_eq!(f.to_bytes(), [record(1), record(0)].concat());
    }

    #[test]
    fn a_stored_frontier_with_a_level_of_64_or_more_is_refused() {
        // A level-64 subtree would hold 2^64 leaves, more than a size can count.
        assert_eq!(Frontier::from_bytes(0, &record(64)), None);
        assert_eq!(Frontier::from_bytes(0, &record(255)), None);
        let top = Frontier::from_bytes(1 << 63, &record(63)).unwrap();
        assert_eq!(top.size(), 1 << 63);
        let full = Frontier::from_bytes(
            u64::MAX,
            &(0..64).rev().flat_map(record).collect::<Vec<_>>(),
        );
        assert_eq!(full.map(|f| f.size()), Some(u64::MAX));
    }

    #[test]
    fn a_stored_frontier_with_a_partial_record_is_refused() {
        let (_, f) = build(5);
        let mut bytes = f.to_bytes();
        assert_eq!(Frontier::from_bytes(5, &bytes), Some(f));
        bytes.push(0);
        assert_eq!(Frontier::from_bytes(5, &bytes), None);
        assert_eq!(Frontier::from_bytes(1, &record(0)[..HASH_LEN]), None);
        assert_eq!(Frontier::from_bytes(0, &[]), Some(Frontier::new()));
        assert_eq!(Frontier::from_bytes(1, &[]), None);
    }

    #[test]
    fn the_root_of_a_tree_needs_one_stored_hash_per_complete_subtree() {
        assert_eq!(root_indexes(0), Vec::<u64>::new());
        assert_eq!(root_indexes(1), vec![0]);
        assert_eq!(root_indexes(3), vec![2, 3]);
        // 7 = 4 + 2 + 1: leaves 0-3 at (2, 0), leaves 4-5 at (1, 2), leaf 6.
        assert_eq!(root_indexes(7), vec![6, 9, 10]);
        let (stored, f) = build(7);
        let subset: HashMap<u64, Hash> = root_indexes(7).iter().map(|i| (*i, stored[i])).collect();
        assert_eq!(root_from_stored(7, &subset).unwrap(), f.root());
    }

    #[test]
    fn proofs_of_a_three_leaf_tree_need_the_stored_hashes_named_by_hand() {
        // Leaf 0 needs leaf 1 and leaf 2; leaf 2 needs the parent of 0 and 1.
        assert_eq!(inclusion_indexes(0, 3).unwrap(), vec![1, 3]);
        assert_eq!(inclusion_indexes(2, 3).unwrap(), vec![2]);
        // From [a, b] to [a, b, c] only c is new.
        assert_eq!(consistency_indexes(2, 3).unwrap(), vec![3]);
    }

    #[test]
    fn a_leaf_index_at_or_beyond_the_size_is_out_of_range() {
        let (stored, f) = build(5);
        let leaf = leaf_hash(b"leaf 4");
        assert!(matches!(
            inclusion_indexes(5, 5),
            Err(ProofError::OutOfRange { index: 5, size: 5 })
        ));
        assert!(matches!(
            inclusion_proof(5, 5, &stored),
            Err(ProofError::OutOfRange { index: 5, size: 5 })
        ));
        assert!(matches!(
            verify_inclusion(5, 5, &leaf, &[], &f.root()),
            Err(ProofError::OutOfRange { index: 5, size: 5 })
        ));
        let path = inclusion_proof(4, 5, &stored).unwrap();
        assert!(verify_inclusion(4, 5, &leaf, &path, &f.root()).is_ok());
    }

    #[test]
    fn a_consistency_proof_from_the_empty_tree_is_empty_and_needs_no_hashes() {
        let r = roots(5);
        assert_eq!(consistency_indexes(0, 5).unwrap(), Vec::<u64>::new());
        assert_eq!(consistency_indexes(0, 0).unwrap(), Vec::<u64>::new());
        assert_eq!(consistency_proof(0, 5, &HashMap::new()).unwrap(), vec![]);
        assert_eq!(consistency_proof(0, 0, &HashMap::new()).unwrap(), vec![]);
        assert!(verify_consistency(0, 5, &EMPTY_ROOT, &r[5], &[]).is_ok());
        assert!(verify_consistency(0, 1, &EMPTY_ROOT, &r[1], &[]).is_ok());
        assert!(verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).is_ok());
    }

    #[test]
    fn a_consistency_proof_from_the_empty_tree_that_is_not_empty_is_refused() {
        let r = roots(5);
        assert!(matches!(
            verify_consistency(0, 5, &EMPTY_ROOT, &r[5], &[r[1]]),
            Err(ProofError::Invalid)
        ));
    }

    #[test]
    fn a_consistency_proof_between_equal_sizes_is_empty_and_needs_no_hashes() {
        let r = roots(5);
        assert_eq!(consistency_indexes(5, 5).unwrap(), Vec::<u64>::new());
        assert_eq!(consistency_proof(5, 5, &HashMap::new()).unwrap(), vec![]);
        assert!(verify_consistency(5, 5, &r[5], &r[5], &[]).is_ok());
    }

    #[test]
    fn a_consistency_proof_between_equal_sizes_with_different_roots_is_refused() {
        let r = roots(5);
        assert!(matches!(
            verify_consistency(5, 5, &r[4], &r[5], &[]),
            Err(ProofError::Invalid)
        ));
        assert!(matches!(
            verify_consistency(5, 5, &r[5], &r[4], &[]),
            Err(ProofError::Invalid)
        ));
    }

    #[test]
    fn a_consistency_proof_between_equal_sizes_that_is_not_empty_is_refused() {
        let r = roots(5);
        assert!(matches!(
            verify_consistency(5, 5, &r[5], &r[5], &[r[5]]),
            Err(ProofError::Invalid)
        ));
    }

    #[test]
    fn a_consistency_proof_to_a_smaller_tree_is_refused() {
        let r = roots(5);
        assert!(matches!(
            consistency_indexes(5, 4),
            Err(ProofError::SizesReversed { from: 5, to: 4 })
        ));
        assert!(matches!(
            consistency_proof(5, 4, &HashMap::new()),
            Err(ProofError::SizesReversed { from: 5, to: 4 })
        ));
        assert!(matches!(
            verify_consistency(5, 4, &r[5], &r[4], &[]),
            Err(ProofError::SizesReversed { from: 5, to: 4 })
        ));
        assert!(matches!(
            consistency_indexes(1, 0),
            Err(ProofError::SizesReversed { from: 1, to: 0 })
        ));
    }

    #[test]
    fn a_proof_whose_stored_hashes_are_missing_says_so() {
        let (stored, _) = build(5);
        assert!(matches!(
            inclusion_proof(0, 5, &HashMap::new()),
            Err(ProofError::MissingHashes)
        ));
        assert!(matches!(
            consistency_proof(2, 5, &HashMap::new()),
            Err(ProofError::MissingHashes)
        ));
        assert!(matches!(
            root_from_stored(5, &HashMap::new()),
            Err(ProofError::MissingHashes)
        ));
        assert!(root_from_stored(5, &stored).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_inclusion_proof_verifies(size in 1u64..300, seed in any::<u64>()) {
            let (stored, f) = build(size);
            let root = f.root();
            let index = seed % size;
            let leaf = leaf_hash(format!("leaf {index}").as_bytes());
            let need = inclusion_indexes(index, size).unwrap();
            let subset: HashMap<u64, Hash> = need.iter().map(|i| (*i, stored[i])).collect();
            let path = inclusion_proof(index, size, &subset).unwrap();
            prop_assert!(verify_inclusion(index, size, &leaf, &path, &root).is_ok());
            let other = leaf_hash(b"another leaf");
            prop_assert!(verify_inclusion(index, size, &other, &path, &root).is_err());
        }

        #[test]
        fn every_consistency_proof_verifies(to in 1u64..300, seed in any::<u64>()) {
            let from = 1 + seed % to;
            let (stored, f_to) = build(to);
            let (_, f_from) = build(from);
            let need = consistency_indexes(from, to).unwrap();
            let subset: HashMap<u64, Hash> = need.iter().map(|i| (*i, stored[i])).collect();
            let proof = consistency_proof(from, to, &subset).unwrap();
            prop_assert!(verify_consistency(from, to, &f_from.root(), &f_to.root(), &proof).is_ok());
            if from < to {
                prop_assert!(verify_consistency(from, to, &f_to.root(), &f_to.root(), &proof).is_err());
            }
        }
    }
}
