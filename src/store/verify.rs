//! `sovang verify --fund`: the whole-fund check against the database, with
//! the pure [`ChainVerifier`] doing the judging.
//!
//! A reader task fetches pages (entries, the Merkle hashes they complete,
//! the checkpoints they reach) while the verifier checks the previous page,
//! so the two cores share the work. Memory is bounded by the page size.

use futures_util::StreamExt;
use sqlx::Row;
use tokio::sync::mpsc;

use super::{Store, StoreError};
use crate::ledger::checkpoint::{verify_checkpoint, CheckpointError, VerifiedCheckpoint};
use crate::ledger::merkle::{root_indexes, stored_index, Frontier};
use crate::ledger::verify::{ChainVerifier, Fault, Prepared, Summary};

use super::REPLAY_PAGE as PAGE;

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
    /// The entries, hashed and parsed off the walk's thread.
    prepared: Vec<Prepared>,
    /// (stored index, hash) rows for the stored hashes these entries complete.
    hashes: Vec<(u64, Vec<u8>)>,
    /// Checkpoints with size in (first seq, last seq + 1], by size, their
    /// signatures checked off the walk's thread with the fund's key.
    checkpoints: Vec<(u64, Result<VerifiedCheckpoint, CheckpointError>)>,
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
        // The snapshot of the books, compared when the walk reaches it.
        let snapshot = match deep {
            true => super::snapshots::stored(&self.read, code)
                .await?
                .filter(|s| s.size <= size),
            false => None,
        };
        // Pages are read and prepared (hashed and parsed, which needs no
        // state of the walk) three at a time on blocking threads, while the
        // walk folds the pages before them in order. Three, on two cores:
        // a page prepared stays counted as in flight until the pages
        // before it are handed on, and with two in flight a core would
        // wait each time a page finished ahead of its elder (some fifth of
        // the time, measured).
        let (tx, mut rx) = mpsc::channel::<Result<Page, StoreError>>(2);
        let reader = self.clone();
        let key = FundKey {
            code: fund.code.clone(),
            origin: fund.origin.clone(),
            verifier_key: fund.verifier_key.clone(),
        };
        tokio::spawn(async move {
            let ranges: Vec<(u64, u64)> = (0..size)
                .step_by(PAGE as usize)
                .map(|from| (from, (from + PAGE).min(size)))
                .collect();
            let mut pages = futures_util::stream::iter(ranges)
                .map(|(from, to)| read_page(reader.clone(), key.clone(), from, to, deep))
                .buffered(3);
            while let Some(page) = pages.next().await {
                let failed = page.is_err();
                if tx.send(page).await.is_err() || failed {
                    break;
                }
            }
        });

        let mut v = ChainVerifier::new(&fund.code, &fund.origin, Some(&fund.verifier_key));
        if deep {
            v.keep_days();
        }
        let mut shadow = Frontier::new();
        while let Some(page) = rx.recv().await {
            let page = page?;
            let mut hashes = page.hashes.into_iter();
            let mut checkpoints = page.checkpoints.into_iter().peekable();
            for prepared in page.prepared {
                let (seq, hash) = (prepared.seq(), prepared.hash());
                v.push_prepared(prepared)?;
                if let Some(snap) = snapshot.as_ref().filter(|s| s.size == seq + 1) {
                    check_snapshot(v.book(), snap)?;
                }
                if !deep {
                    check_checkpoints(&mut v, &mut checkpoints, seq)?;
                    continue;
                }
                // The leaf's own hash is its entry's, checked by the walk.
                for (idx, want) in shadow.push(hash).into_iter().skip(1) {
                    match hashes.next() {
                        Some((i, h)) if i == idx && h == want.0 => {}
                        Some((i, _)) if i == idx => {
                            return Err(Fault {
                                seq,
                                reason: format!("stored Merkle hash {idx} is wrong"),
                            }
                            .into())
                        }
                        _ => {
                            return Err(Fault {
                                seq,
                                reason: format!("stored Merkle hash {idx} is missing"),
                            }
                            .into())
                        }
                    }
                }
                check_checkpoints(&mut v, &mut checkpoints, seq)?;
            }
        }
        let rebuilt_days = v.take_days();
        let summary = v.finish();
        if let Some(days) = rebuilt_days {
            let stored: Vec<(String, serde_json::Value)> = self
                .stored_days(code)
                .await?
                .into_iter()
                .map(|(d, t)| {
                    let v = serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t));
                    (d, v)
                })
                .collect();
            if let Some(d) =
                crate::ledger::replay::compare_days(&days, &stored, summary.size).first()
            {
                let seq = days
                    .iter()
                    .find(|t| format!("days/{}", t.day) == d.object)
                    .and_then(|t| t.movements.last_seq)
                    .unwrap_or(0);
                return Err(Fault {
                    seq,
                    reason: format!(
                        "the stored totals by day differ from the ledger's: {} (field {:?})",
                        d.object, d.field
                    ),
                }
                .into());
            }
        }
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

/// Compares the books folded up to a snapshot's size with the snapshot.
fn check_snapshot(
    book: &crate::ledger::book::Book,
    snap: &super::snapshots::StoredSnapshot,
) -> Result<(), VerifyError> {
    let seq = snap.size.saturating_sub(1);
    let rebuilt = book.save().map_err(|e| Fault {
        seq,
        reason: format!("the books folded to entry {seq} do not save: {e}"),
    })?;
    if let Some(d) = crate::ledger::replay::compare_saved(snap.size, &rebuilt, &snap.saved).first()
    {
        return Err(Fault {
            seq,
            reason: format!(
                "the stored snapshot of the books differs from the ledger's: {} (field {:?})",
                d.object, d.field
            ),
        }
        .into());
    }
    Ok(())
}

/// What a page's reader needs to know of its fund.
#[derive(Clone)]
struct FundKey {
    code: String,
    origin: String,
    verifier_key: String,
}

/// One page of the walk: entries `from..to` prepared, and what deep
/// verification and the checkpoints need beside them.
async fn read_page(
    store: Store,
    key: FundKey,
    from: u64,
    to: u64,
    deep: bool,
) -> Result<Page, StoreError> {
    let fund = key.code.clone();
    let thread =
        |e: tokio::task::JoinError| StoreError::Corrupt(format!("verification thread: {e}"));
    let prepared = match store.sqlite_file.clone() {
        // SQLite: read straight from the file on the blocking thread, no
        // row crossing threads.
        Some(file) => {
            let fund = fund.clone();
            tokio::task::spawn_blocking(move || read_prepared(&file, &fund, from, to))
                .await
                .map_err(thread)??
        }
        None => {
            // PostgreSQL: the rows are decoded where they are prepared,
            // off the runtime's threads, each value read in place.
            let Some(pg) = &store.pg_native else {
                return Err(StoreError::Corrupt(
                    "no reader for this database's entries".into(),
                ));
            };
            let rows = sqlx::query(super::ENTRIES_BETWEEN_SQL)
                .bind(&fund)
                .bind(super::to_i64(from)?)
                .bind(super::to_i64(to)?)
                .fetch_all(pg)
                .await?;
            tokio::task::spawn_blocking(move || {
                rows.iter()
                    .map(|r| {
                        let seq: i64 = r.try_get(0)?;
                        let hash: &[u8] = r.try_get(1)?;
                        super::packed::read_canonical(r.try_get(2)?, r.try_get(3)?, |text| {
                            Prepared::new(seq as u64, hash, text)
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await
            .map_err(thread)??
        }
    };
    let hashes = if deep {
        store
            .hash_rows(&fund, stored_index(0, from), stored_index(0, to))
            .await?
    } else {
        Vec::new()
    };
    let notes = store.checkpoint_rows(&fund, from + 1, to).await?;
    let checkpoints = tokio::task::spawn_blocking(move || {
        notes
            .into_iter()
            .map(|(size, note)| {
                let verified = verify_checkpoint(&note, &key.verifier_key, &key.origin);
                (size, verified)
            })
            .collect()
    })
    .await
    .map_err(thread)?;
    Ok(Page {
        prepared,
        hashes,
        checkpoints,
    })
}

/// Reads entries `from..to` of `fund` from the SQLite file and prepares
/// them, on the calling (blocking) thread.
fn read_prepared(
    file: &std::path::Path,
    fund: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Prepared>, StoreError> {
    let sqlite =
        |e: rusqlite::Error| StoreError::Corrupt(format!("reading {}: {e}", file.display()));
    let conn = rusqlite::Connection::open_with_flags(
        file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    // One pass over the pages in order: nothing is read twice, so a small
    // cache that is reused beats a large one filled with fresh memory.
    conn.pragma_update(None, "cache_size", -512)
        .map_err(sqlite)?;
    let mut out = Vec::with_capacity((to - from) as usize);
    {
        let mut stmt = conn.prepare(super::ENTRIES_BETWEEN_SQL).map_err(sqlite)?;
        let mut rows = stmt
            .query((fund, super::to_i64(from)?, super::to_i64(to)?))
            .map_err(sqlite)?;
        while let Some(r) = rows.next().map_err(sqlite)? {
            let seq: i64 = r.get(0).map_err(sqlite)?;
            let hash = r
                .get_ref(1)
                .map_err(sqlite)?
                .as_bytes()
                .map_err(|e| sqlite(e.into()))?;
            let plain = r
                .get_ref(2)
                .map_err(sqlite)?
                .as_str_or_null()
                .map_err(|e| sqlite(e.into()))?;
            let packed = r
                .get_ref(3)
                .map_err(sqlite)?
                .as_bytes_or_null()
                .map_err(|e| sqlite(e.into()))?;
            out.push(super::packed::read_canonical(plain, packed, |text| {
                Prepared::new(seq as u64, hash, text)
            })?);
        }
    }
    Ok(out)
}

/// Checks every checkpoint of the tree as it stands after entry `seq`.
fn check_checkpoints(
    v: &mut ChainVerifier,
    checkpoints: &mut std::iter::Peekable<Checkpoints>,
    seq: u64,
) -> Result<(), Fault> {
    while let Some((_, verified)) = checkpoints.next_if(|(size, _)| *size == seq + 1) {
        v.check_verified_checkpoint(verified)?;
    }
    Ok(())
}

/// A page's checkpoints, in size order.
type Checkpoints = std::vec::IntoIter<(u64, Result<VerifiedCheckpoint, CheckpointError>)>;
