//! The shared reference vectors, made with Go's `sumdb/tlog` and
//! `sumdb/note`, reproduced by the ledger core; and the proofs they contain
//! refused once tampered with.

use std::collections::HashMap;

use serde_json::Value;
use sovang::ledger::checkpoint::{verify_checkpoint, LogKey};
use sovang::ledger::merkle::{self, from_hex, to_hex, Frontier, Hash};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("vector file is present");
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("an array of hashes")
        .iter()
        .map(|h| from_hex(h.as_str().expect("hex")).expect("a hash"))
        .collect()
}

/// Leaves, stored hashes and a frontier per size, built from the vector leaves.
struct Tree {
    leaves: Vec<Hash>,
    stored: HashMap<u64, Hash>,
    roots: Vec<Hash>,
}

fn tree() -> Tree {
    let v = load("merkle.json");
    let mut frontier = Frontier::new();
    let mut stored = HashMap::new();
    let mut leaves = Vec::new();
    let mut roots = vec![merkle::EMPTY_ROOT];
    for leaf in v["leaves"].as_array().unwrap() {
        let data = leaf["data"].as_str().unwrap();
        let h = merkle::leaf_hash(data.as_bytes());
        assert_eq!(to_hex(&h), leaf["leaf_hash"].as_str().unwrap());
        leaves.push(h);
        stored.extend(frontier.push(h));
        roots.push(frontier.root());
    }
    Tree {
        leaves,
        stored,
        roots,
    }
}

#[test]
fn leaf_hashes_and_roots_match_go_tlog() {
    let v = load("merkle.json");
    let t = tree();
    assert_eq!(v["empty_root"].as_str().unwrap(), to_hex(&t.roots[0]));
    for r in v["roots"].as_array().unwrap() {
        let size = r["tree_size"].as_u64().unwrap();
        assert_eq!(to_hex(&t.roots[size as usize]), r["root"].as_str().unwrap());
        assert_eq!(
            merkle::root_from_stored(size, &t.stored).unwrap(),
            t.roots[size as usize]
        );
    }
}

#[test]
fn inclusion_proofs_match_go_tlog_and_verify() {
    let v = load("merkle.json");
    let t = tree();
    let cases = v["inclusion"].as_array().unwrap();
    assert!(cases.len() > 200);
    for c in cases {
        let (index, size) = (
            c["index"].as_u64().unwrap(),
            c["tree_size"].as_u64().unwrap(),
        );
        let want = hashes(&c["path"]);
        assert_eq!(
            merkle::inclusion_proof(index, size, &t.stored).unwrap(),
            want
        );
        let root = t.roots[size as usize];
        let leaf = t.leaves[index as usize];
        merkle::verify_inclusion(index, size, &leaf, &want, &root).unwrap();
    }
}

#[test]
fn consistency_proofs_match_go_tlog_and_verify() {
    let v = load("merkle.json");
    let t = tree();
    let cases = v["consistency"].as_array().unwrap();
    assert!(cases.len() > 200);
    for c in cases {
        let (from, to) = (c["from"].as_u64().unwrap(), c["to"].as_u64().unwrap());
        let want = hashes(&c["proof"]);
        assert_eq!(
            merkle::consistency_proof(from, to, &t.stored).unwrap(),
            want
        );
        merkle::verify_consistency(
            from,
            to,
            &t.roots[from as usize],
            &t.roots[to as usize],
            &want,
        )
        .unwrap();
    }
}

/// Every way of damaging a proof: each bit of each hash flipped, a hash
/// dropped, one added, two swapped.
fn damaged(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let mut out = Vec::new();
    for i in 0..proof.len() {
        for bit in [0usize, 7, 100, 255] {
            let mut p = proof.to_vec();
            p[i].0[bit / 8] ^= 1 << (bit % 8);
            out.push(p);
        }
        let mut p = proof.to_vec();
        p.remove(i);
        out.push(p);
    }
    let mut extended = proof.to_vec();
    extended.push(Hash([7; 32]));
    out.push(extended);
    if proof.len() >= 2 {
        let mut p = proof.to_vec();
        p.swap(0, 1);
        out.push(p);
    }
    out
}

#[test]
fn damaged_inclusion_proofs_wrong_roots_and_sizes_off_by_one_are_refused() {
    let v = load("merkle.json");
    let t = tree();
    for c in v["inclusion"].as_array().unwrap() {
        let (index, size) = (
            c["index"].as_u64().unwrap(),
            c["tree_size"].as_u64().unwrap(),
        );
        let path = hashes(&c["path"]);
        let root = t.roots[size as usize];
        let leaf = t.leaves[index as usize];
        for bad in damaged(&path) {
            if bad != path {
                assert!(merkle::verify_inclusion(index, size, &leaf, &bad, &root).is_err());
            }
        }
        let mut wrong_root = root;
        wrong_root.0[31] ^= 1;
        assert!(merkle::verify_inclusion(index, size, &leaf, &path, &wrong_root).is_err());
        // A proof for one size, offered for a tree one leaf larger or
        // smaller with that tree's own signed root, is refused unless it is
        // that tree's proof too.
        for other in [size - 1, size + 1] {
            if other <= index || other as usize >= t.roots.len() {
                continue;
            }
            let real = merkle::inclusion_proof(index, other, &t.stored).unwrap();
            let r = t.roots[other as usize];
            assert_eq!(
                merkle::verify_inclusion(index, other, &leaf, &path, &r).is_ok(),
                real == path
            );
        }
        if index + 1 < size {
            assert!(merkle::verify_inclusion(index + 1, size, &leaf, &path, &root).is_err());
        }
    }
}

#[test]
fn damaged_consistency_proofs_wrong_roots_and_sizes_off_by_one_are_refused() {
    let v = load("merkle.json");
    let t = tree();
    for c in v["consistency"].as_array().unwrap() {
        let (from, to) = (c["from"].as_u64().unwrap(), c["to"].as_u64().unwrap());
        let proof = hashes(&c["proof"]);
        let (r1, r2) = (t.roots[from as usize], t.roots[to as usize]);
        for bad in damaged(&proof) {
            if bad != proof {
                assert!(merkle::verify_consistency(from, to, &r1, &r2, &bad).is_err());
            }
        }
        let mut wrong = r1;
        wrong.0[0] ^= 0x80;
        assert!(merkle::verify_consistency(from, to, &wrong, &r2, &proof).is_err());
        assert!(merkle::verify_consistency(from, to, &r1, &wrong, &proof).is_err());
        if (to as usize) + 1 < t.roots.len() {
            let r3 = t.roots[to as usize + 1];
            assert!(merkle::verify_consistency(from, to + 1, &r1, &r3, &proof).is_err());
        }
        if from > 1 {
            let r0 = t.roots[from as usize - 1];
            assert!(merkle::verify_consistency(from - 1, to, &r0, &r2, &proof).is_err());
        }
    }
}

#[test]
fn checkpoints_are_signed_exactly_as_go_note_signs_them() {
    let v = load("checkpoints.json");
    let t = tree();
    let name = v["key_name"].as_str().unwrap();
    let seed: [u8; 32] = hex::decode(v["seed_hex"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = LogKey::from_seed(name, &seed).unwrap();
    assert_eq!(key.verifier_key(), v["verifier_key"].as_str().unwrap());
    for c in v["checkpoints"].as_array().unwrap() {
        let text = c["text"].as_str().unwrap();
        let size: u64 = text.lines().nth(1).unwrap().parse().unwrap();
        let signed = key.sign(size, &t.roots[size as usize]).unwrap();
        assert!(signed.starts_with(text));
        assert_eq!(signed, c["signed_note"].as_str().unwrap());
        let checked = verify_checkpoint(&signed, key.verifier_key(), name).unwrap();
        assert_eq!((checked.size, checked.root), (size, t.roots[size as usize]));
    }
}

#[test]
fn tampered_checkpoints_are_refused() {
    let v = load("checkpoints.json");
    let name = v["key_name"].as_str().unwrap();
    let vkey = v["verifier_key"].as_str().unwrap();
    let signed = v["checkpoints"][1]["signed_note"].as_str().unwrap();
    // Another size, another root, another origin, a flipped signature byte.
    let other_size = signed.replacen("\n7\n", "\n8\n", 1);
    assert!(verify_checkpoint(&other_size, vkey, name).is_err());
    let other_root = signed.replacen("A0+uh", "B0+uh", 1);
    assert!(verify_checkpoint(&other_root, vkey, name).is_err());
    assert!(verify_checkpoint(signed, vkey, "ledger.example/fund/other").is_err());
    let mut sig_flipped = signed.to_owned();
    let at = sig_flipped.len() - 10;
    let c = if &sig_flipped[at..at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    sig_flipped.replace_range(at..at + 1, c);
    assert!(verify_checkpoint(&sig_flipped, vkey, name).is_err());
    // Another key with the same name.
    let stranger = LogKey::from_seed(name, &[9u8; 32]).unwrap();
    assert!(verify_checkpoint(signed, stranger.verifier_key(), name).is_err());
    assert!(verify_checkpoint(signed, vkey, name).is_ok());
}
