//! The export bundle: a whole fund as NDJSON, one JSON object a line, that
//! anyone can verify offline with no trust in the server that wrote it.
//!
//! ```text
//! {"type":"header","format":"sovang-bundle/1","fund":"HN-VNN","origin":"…","verifier_key":"…","size":N,"exported_at":"…"}
//! {"type":"entry","seq":0,"hash":"<hex>","canonical":"<the exact text that was hashed>"}
//! {"type":"checkpoint","size":1,"note":"<signed note>"}
//! …
//! ```
//!
//! Entries come in seq order; each checkpoint comes right after the entry
//! that makes the tree its size. The last line is the checkpoint of size
//! N, so every entry of the bundle is covered by a signature. A bundle is
//! read a line at a time: memory does not grow with the fund.

use serde::{Deserialize, Serialize};

use super::merkle::{from_hex, to_hex, Hash};
use super::verify::{ChainVerifier, Fault, Summary};
use super::witness::CosignerKey;

/// The format named in the header.
pub const FORMAT: &str = "sovang-bundle/1";

/// One line of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header {
        format: String,
        fund: String,
        origin: String,
        verifier_key: String,
        size: u64,
        exported_at: String,
    },
    Entry {
        seq: u64,
        hash: String,
        canonical: String,
    },
    Checkpoint {
        size: u64,
        note: String,
    },
}

impl Line {
    pub fn entry(seq: u64, hash: &Hash, canonical: &str) -> Self {
        Self::Entry {
            seq,
            hash: to_hex(hash),
            canonical: canonical.to_owned(),
        }
    }

    /// The line's text, with its newline.
    pub fn to_ndjson(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Reads a bundle line by line and verifies it: the header, then every
/// entry (hash, chain, seq, the fund's rules) and every checkpoint (root
/// and signature), then that the last checkpoint covers the whole bundle.
#[derive(Debug)]
pub struct BundleVerifier {
    /// The verifier key the reader trusts, if it knows one; otherwise the
    /// header's is used and reported, for the reader to compare with the
    /// key the committee published.
    pinned_key: Option<String>,
    /// Witnesses whose cosignatures the reader asks for.
    witnesses: Vec<CosignerKey>,
    state: Option<Reading>,
    line_no: u64,
}

#[derive(Debug)]
struct Reading {
    fund: String,
    verifier_key: String,
    size: u64,
    chain: ChainVerifier,
    /// Size of the last checkpoint checked.
    covered: u64,
    /// The last checkpoint checked, as the bundle gives it.
    last_note: String,
    /// Size of the largest checkpoint that every witness asked for
    /// cosigned (0: none).
    witnessed: u64,
}

/// What a sound bundle holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSummary {
    pub fund: String,
    pub verifier_key: String,
    pub chain: Summary,
    /// The last checkpoint, with the cosignatures the bundle gives it.
    pub last_checkpoint: String,
    /// Size of the largest checkpoint every witness asked for (see
    /// [`BundleVerifier::witnessed_by`]) validly cosigned; 0 if none did.
    pub witnessed: u64,
}

/// Why a bundle is not sound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// A line that is not a bundle line, or out of place.
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    /// An entry or checkpoint that fails verification.
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl BundleVerifier {
    pub fn new(pinned_key: Option<&str>) -> Self {
        Self {
            pinned_key: pinned_key.map(str::to_owned),
            witnesses: Vec::new(),
            state: None,
            line_no: 0,
        }
    }

    /// Also notes which checkpoints these witnesses all cosigned.
    pub fn witnessed_by(mut self, witnesses: Vec<CosignerKey>) -> Self {
        self.witnesses = witnesses;
        self
    }

    fn malformed(&self, reason: impl Into<String>) -> BundleError {
        BundleError::Malformed {
            line: self.line_no,
            reason: reason.into(),
        }
    }

    /// Checks the next line of the bundle.
    pub fn push_line(&mut self, text: &str) -> Result<(), BundleError> {
        self.line_no += 1;
        let line: Line = serde_json::from_str(text)
            .map_err(|e| self.malformed(format!("not a bundle line: {e}")))?;
        match (line, self.state.as_mut()) {
            (
                Line::Header {
                    format,
                    fund,
                    origin,
                    verifier_key,
                    size,
                    ..
                },
                None,
            ) => {
                if format != FORMAT {
                    return Err(self.malformed(format!("format {format:?} is not {FORMAT}")));
                }
                if let Some(pinned) = &self.pinned_key {
                    if *pinned != verifier_key {
                        return Err(self.malformed(format!(
                            "the bundle names verifier key {verifier_key}, not the trusted {pinned}"
                        )));
                    }
                }
                self.state = Some(Reading {
                    chain: ChainVerifier::new(&fund, &origin, Some(&verifier_key)),
                    fund,
                    verifier_key,
                    size,
                    covered: 0,
                    last_note: String::new(),
                    witnessed: 0,
                });
                Ok(())
            }
            (Line::Header { .. }, Some(_)) => Err(self.malformed("a second header")),
            (_, None) => Err(self.malformed("the bundle must start with its header")),
            (
                Line::Entry {
                    seq,
                    hash,
                    canonical,
                },
                Some(r),
            ) => {
                let hash = from_hex(&hash).ok_or_else(|| BundleError::Malformed {
                    line: self.line_no,
                    reason: "hash is not 64 hex digits".into(),
                })?;
                if seq >= r.size {
                    return Err(Fault {
                        seq,
                        reason: format!(
                            "the header promises {} entries, this is seq {seq}",
                            r.size
                        ),
                    }
                    .into());
                }
                r.chain.push_entry(seq, &hash.0, &canonical)?;
                Ok(())
            }
            (Line::Checkpoint { size, note }, Some(r)) => {
                if size != r.chain.size() {
                    return Err(Fault {
                        seq: r.chain.size().saturating_sub(1),
                        reason: format!(
                            "a checkpoint of size {size} stands after entry {}: entries are missing, added or out of order",
                            r.chain.size().saturating_sub(1)
                        ),
                    }
                    .into());
                }
                r.chain.check_checkpoint(&note)?;
                r.covered = size;
                if !self.witnesses.is_empty()
                    && self.witnesses.iter().all(|w| w.verify(&note).is_some())
                {
                    r.witnessed = size;
                }
                r.last_note = note;
                Ok(())
            }
        }
    }

    /// Ends the reading: every promised entry came and a signed checkpoint
    /// covers them all.
    pub fn finish(self) -> Result<BundleSummary, BundleError> {
        let line = self.line_no;
        let r = self.state.ok_or(BundleError::Malformed {
            line,
            reason: "the bundle is empty".into(),
        })?;
        let got = r.chain.size();
        if got != r.size {
            return Err(Fault {
                seq: got,
                reason: format!(
                    "the header promises {} entries, the bundle holds {got}",
                    r.size
                ),
            }
            .into());
        }
        if r.covered != r.size {
            return Err(Fault {
                seq: got.saturating_sub(1),
                reason: format!(
                    "no signed checkpoint covers the bundle's {} entries (the last covers {})",
                    r.size, r.covered
                ),
            }
            .into());
        }
        Ok(BundleSummary {
            fund: r.fund,
            verifier_key: r.verifier_key,
            chain: r.chain.finish(),
            last_checkpoint: r.last_note,
            witnessed: r.witnessed,
        })
    }
}
