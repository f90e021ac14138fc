//! `sovang verify --fund`: the whole-fund check against the database, with
//! the pure [`ChainVerifier`] doing the judging.
//!
//! A reader task fetches pages (entries, the Merkle hashes they complete,
//! the checkpoints they reach) while the verifier checks the previous page,
//! so the two cores share the work. Memory is bounded by the page size.

use sqlx::Row;
use tokio::sync::mpsc;

use super::{Store, StoreError};
use crate::ledger::merkle::{root_indexes, stored_index, Frontier};
use crate::ledger::verify::{ChainVerifier, Fault, Summary};

/// Entries per page.
const PAGE: u64 = 5_000;

/// The outcome of a failed verification.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Fault(#[from] Fault),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no fund {0:?}")]
    UnknownFund(String),
}

struct Page {
    entries: Vec<super::StoredEntry>,
    /// (stored index, hash) rows for the stored hashes these entries complete.
    hashes: Vec<(u64, Vec<u8>)>,
    /// (size, note) for checkpoints with size in (first seq, last seq + 1].
    checkpoints: Vec<(u64, String)>,
}

impl Store {
    async fn hash_rows(
        &self,
        fund: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT idx, hash FROM merkle_hashes WHERE fund_code = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        )
        .bind(fund)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("idx")? as u64, r.try_get("hash")?)))
            .collect()
    }

    pub(crate) async fn checkpoint_rows(
        &self,
        fund: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT size, note FROM checkpoints WHERE fund_code = $1 AND size >= $2 AND size <= $3 ORDER BY size",
        )
        .bind(fund)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("size")? as u64, r.try_get("note")?)))
            .collect()
    }

    /// Verifies fund `code`: entries, chain, stored Merkle hashes,
    /// checkpoints and the fund head.
    ///
    /// Every check but one reads a single row per entry. `deep` adds the
    /// comparison of every stored Merkle hash (about two more rows per
    /// entry) with the tree rebuilt from the entries; without it, the stored
    /// hashes that make the root of the whole tree are still compared.
    pub async fn verify_fund(&self, code: &str, deep: bool) -> Result<Summary, VerifyError> {
        let fund = self
            .fund(code)
            .await?
            .ok_or_else(|| VerifyError::UnknownFund(code.to_owned()))?;
        // The head first: a server may go on appending while we walk, and
        // what it adds after this moment is not ours to judge.
        let head = self
            .fund_head(code)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("fund {code} has no head")))?;
        let size = head.size;
        let (tx, mut rx) = mpsc::channel::<Result<Page, StoreError>>(2);
        let reader = self.clone();
        let fund_code = fund.code.clone();
        tokio::spawn(async move {
            let mut from = 0u64;
            loop {
                let page = async {
                    let entries = reader
                        .entries(&fund_code, from, PAGE.min(size - from))
                        .await?;
                    let to = from + entries.len() as u64;
                    let hashes = if deep {
                        reader
                            .hash_rows(&fund_code, stored_index(0, from), stored_index(0, to))
                            .await?
                    } else {
                        Vec::new()
                    };
                    let checkpoints = reader.checkpoint_rows(&fund_code, from + 1, to).await?;
                    Ok(Page {
                        entries,
                        hashes,
                        checkpoints,
                    })
                }
                .await;
                let mut done = true;
                if let Ok(p) = &page {
                    from += p.entries.len() as u64;
                    done = (p.entries.len() as u64) < PAGE || from >= size;
                }
                if tx.send(page).await.is_err() || done {
                    break;
                }
            }
        });

        let mut v = ChainVerifier::new(&fund.code, &fund.origin, Some(&fund.verifier_key));
        let mut shadow = Frontier::new();
        while let Some(page) = rx.recv().await {
            let page = page?;
            let mut hashes = page.hashes.into_iter();
            let mut checkpoints = page.checkpoints.into_iter().peekable();
            for e in &page.entries {
                v.push_entry(e.seq, &e.hash, &e.canonical)?;
                if !deep {
                    check_checkpoints(&mut v, &mut checkpoints, e.seq)?;
                    continue;
                }
                let mut leaf = [0u8; 32];
                leaf.copy_from_slice(&e.hash);
                for (idx, want) in shadow.push(crate::ledger::merkle::Hash(leaf)) {
                    match hashes.next() {
                        Some((i, h)) if i == idx && h == want.0 => {}
                        Some((i, _)) if i == idx => {
                            return Err(Fault {
                                seq: e.seq,
                                reason: format!("stored Merkle hash {idx} is wrong"),
                            }
                            .into())
                        }
                        _ => {
                            return Err(Fault {
                                seq: e.seq,
                                reason: format!("stored Merkle hash {idx} is missing"),
                            }
                            .into())
                        }
                    }
                }
                check_checkpoints(&mut v, &mut checkpoints, e.seq)?;
            }
        }
        let summary = v.finish();
        if head.size != summary.size || head.root != summary.root {
            return Err(Fault {
                seq: summary.size.min(head.size),
                reason: format!(
                    "the fund head says {} entries, the ledger holds {} (entries were removed or added behind the service's back)",
                    head.size, summary.size
                ),
            }
            .into());
        }
        if head.balance_vnd != summary.balance_vnd {
            return Err(Fault {
                seq: summary.size.saturating_sub(1),
                reason: format!(
                    "the fund shows a balance of {} đồng but its entries add up to {}",
                    head.balance_vnd, summary.balance_vnd
                ),
            }
            .into());
        }
        let top = self
            .merkle_hashes(code, &root_indexes(summary.size))
            .await?;
        if super::root_of(summary.size, &top)? != summary.root {
            return Err(Fault {
                seq: summary.size.saturating_sub(1),
                reason: "the stored Merkle hashes give another root than the entries".into(),
            }
            .into());
        }
        if summary.checkpoints == 0 {
            return Err(Fault {
                seq: 0,
                reason: "no signed checkpoint found".into(),
            }
            .into());
        }
        Ok(summary)
    }
}

/// Checks every checkpoint of the tree as it stands after entry `seq`.
fn check_checkpoints(
    v: &mut ChainVerifier,
    checkpoints: &mut std::iter::Peekable<std::vec::IntoIter<(u64, String)>>,
    seq: u64,
) -> Result<(), Fault> {
    while let Some((_, note)) = checkpoints.next_if(|(size, _)| *size == seq + 1) {
        v.check_checkpoint(&note)?;
    }
    Ok(())
}
