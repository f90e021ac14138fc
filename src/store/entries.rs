//! Entries and their proofs: ranges of a fund's ledger, stored Merkle
//! hashes, signed checkpoints and receipts, and the one query that reads a
//! range of a ledger for every reader.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{placeholders, to_i64, Result, Store, StoreError, BINDS_MAX};
use crate::ledger::merkle::{self, from_slice, Hash};

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub seq: u64,
    pub hash: Vec<u8>,
    pub canonical: String,
}

/// A receipt and where its entry is.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub code: String,
    pub receipt_no: String,
    pub fund_code: String,
    pub entry: StoredEntry,
    /// The latest signed checkpoint of the fund: (size, signed note).
    pub checkpoint: Option<(u64, String)>,
    /// Set when the gift was reversed: (the reversal's seq, its reason).
    pub voided: Option<(u64, String)>,
}

impl Store {
    // ---- entries and proofs ---------------------------------------------------

    /// At most `limit` entries of `fund` from seq `from` on.
    pub async fn entries(&self, fund: &str, from: u64, limit: u64) -> Result<Vec<StoredEntry>> {
        entries_between(&self.read, fund, from, from.saturating_add(limit)).await
    }

    /// Stored Merkle hashes by index; every index must be present. A
    /// leaf's hash (level 0) is read from its entry, the nodes above from
    /// `merkle_hashes`.
    pub async fn merkle_hashes(&self, fund: &str, indexes: &[u64]) -> Result<HashMap<u64, Hash>> {
        let mut out = HashMap::with_capacity(indexes.len());
        let (mut leaves, mut nodes) = (Vec::new(), Vec::new());
        for &idx in indexes {
            match merkle::leaf_of(idx) {
                Some(seq) => leaves.push(seq),
                None => nodes.push(idx),
            }
        }
        // A proof's few hashes in one statement (a receipt is the donors'
        // hot path); more in chunks.
        let per = BINDS_MAX / 2 - 1;
        let (mut leaf_chunks, mut node_chunks) = (leaves.chunks(per), nodes.chunks(per));
        loop {
            let leaves = leaf_chunks.next().unwrap_or_default();
            let nodes = node_chunks.next().unwrap_or_default();
            if leaves.is_empty() && nodes.is_empty() {
                break;
            }
            let mut parts = Vec::new();
            let mut at = 1;
            for (wanted, from) in [
                (leaves, "CAST(0 AS BIGINT) AS node, seq AS idx, hash FROM entries WHERE fund_code = {} AND seq"),
                (nodes, "CAST(1 AS BIGINT) AS node, idx, hash FROM merkle_hashes WHERE fund_code = {} AND idx"),
            ] {
                if !wanted.is_empty() {
                    parts.push(format!(
                        "SELECT {} IN ({})",
                        from.replacen("{}", &placeholders(self.backend, at, 1), 1),
                        placeholders(self.backend, at + 1, wanted.len())
                    ));
                    at += 1 + wanted.len();
                }
            }
            let sql = parts.join(" UNION ALL ");
            let mut q = sqlx::query(&sql);
            for wanted in [leaves, nodes] {
                if !wanted.is_empty() {
                    q = q.bind(fund);
                    for i in wanted {
                        q = q.bind(to_i64(*i)?);
                    }
                }
            }
            for r in q.fetch_all(&self.read).await? {
                let idx = r.try_get::<i64, _>("idx")? as u64;
                let idx = match r.try_get::<i64, _>("node")? {
                    0 => merkle::stored_index(0, idx),
                    _ => idx,
                };
                let hash: Vec<u8> = r.try_get("hash")?;
                let hash = from_slice(&hash).ok_or_else(|| {
                    StoreError::Corrupt(format!("merkle hash {idx} is not 32 bytes"))
                })?;
                out.insert(idx, hash);
            }
        }
        if let Some(missing) = indexes.iter().find(|i| !out.contains_key(i)) {
            return Err(StoreError::Corrupt(format!(
                "merkle hash {missing} of fund {fund} is missing"
            )));
        }
        Ok(out)
    }

    /// The latest signed checkpoint: (size, signed note).
    pub async fn latest_checkpoint(&self, fund: &str) -> Result<Option<(u64, String)>> {
        let row = sqlx::query(
            "SELECT size, note FROM checkpoints WHERE fund_code = $1 ORDER BY size DESC LIMIT 1",
        )
        .bind(fund)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((r.try_get::<i64, _>("size")? as u64, r.try_get("note")?)))
            .transpose()
    }

    /// Checkpoints with size in `[from, ..)`, in size order, at most `limit`.
    pub async fn checkpoints(
        &self,
        fund: &str,
        from: u64,
        limit: u64,
    ) -> Result<Vec<(u64, String)>> {
        let rows = sqlx::query(
            "SELECT size, note FROM checkpoints WHERE fund_code = $1 AND size >= $2 ORDER BY size LIMIT $3",
        )
        .bind(fund)
        .bind(to_i64(from)?)
        .bind(to_i64(limit)?)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("size")? as u64, r.try_get("note")?)))
            .collect()
    }

    pub async fn receipt(&self, code: &str) -> Result<Option<Receipt>> {
        // One statement: a receipt lookup is the donors' hot path.
        let row = sqlx::query(
            "SELECT d.code, d.receipt_no, d.fund_code, e.seq, e.hash, e.canonical, e.packed, \
             d.voided_by_seq, d.voided_reason, c.size AS cp_size, c.note AS cp_note \
             FROM donations d JOIN entries e ON e.fund_code = d.fund_code AND e.seq = d.seq \
             LEFT JOIN checkpoints c ON c.fund_code = d.fund_code AND c.size = \
               (SELECT MAX(size) FROM checkpoints m WHERE m.fund_code = d.fund_code) \
             WHERE d.code = $1",
        )
        .bind(code)
        .fetch_optional(&self.read)
        .await?;
        self.receipt_from(row)
    }

    /// A gift of the public statement by its seq, as a receipt without its
    /// verification code (the code stays the donor's): what a donor who
    /// paid by transfer, and holds no paper, checks (SPEC §10).
    pub async fn gift_by_seq(&self, fund: &str, seq: u64) -> Result<Option<Receipt>> {
        let row = sqlx::query(
            "SELECT '' AS code, d.receipt_no, d.fund_code, e.seq, e.hash, e.canonical, e.packed, \
             d.voided_by_seq, d.voided_reason, c.size AS cp_size, c.note AS cp_note \
             FROM donations d JOIN entries e ON e.fund_code = d.fund_code AND e.seq = d.seq \
             LEFT JOIN checkpoints c ON c.fund_code = d.fund_code AND c.size = \
               (SELECT MAX(size) FROM checkpoints m WHERE m.fund_code = d.fund_code) \
             WHERE d.fund_code = $1 AND d.seq = $2",
        )
        .bind(fund)
        .bind(super::to_i64(seq)?)
        .fetch_optional(&self.read)
        .await?;
        self.receipt_from(row)
    }

    fn receipt_from(&self, row: Option<sqlx::any::AnyRow>) -> Result<Option<Receipt>> {
        row.map(|r| {
            let voided_by: Option<i64> = r.try_get("voided_by_seq")?;
            let cp_size: Option<i64> = r.try_get("cp_size")?;
            Ok(Receipt {
                code: r.try_get("code")?,
                receipt_no: r.try_get("receipt_no")?,
                fund_code: r.try_get("fund_code")?,
                entry: entry_from_row(&r)?,
                checkpoint: match (cp_size, r.try_get::<Option<String>, _>("cp_note")?) {
                    (Some(size), Some(note)) => Some((size as u64, note)),
                    _ => None,
                },
                voided: match (voided_by, r.try_get::<Option<String>, _>("voided_reason")?) {
                    (Some(by), Some(reason)) => Some((by as u64, reason)),
                    _ => None,
                },
            })
        })
        .transpose()
    }
}

/// Entries read per query wherever a fund's ledger is read in order:
/// replays, verification, statements, the writer's and the pages' books.
/// Declared once here.
pub const REPLAY_PAGE: u64 = 5_000;

/// The one query that reads a range of a fund's ledger, in seq order:
/// every reader of entries (pages, replays, verification, the writer's
/// catch-up) uses it. SQLite numbers `$n` parameters in order, so the
/// same text serves rusqlite too.
pub(crate) const ENTRIES_BETWEEN_SQL: &str =
    "SELECT seq, hash, canonical, packed FROM entries WHERE fund_code = $1 AND seq >= $2 AND seq < $3 ORDER BY seq";

/// Entries `from..to` of a fund, from the pool or inside a transaction.
pub(crate) async fn entries_between<'e, E>(
    executor: E,
    fund: &str,
    from: u64,
    to: u64,
) -> Result<Vec<StoredEntry>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query(ENTRIES_BETWEEN_SQL)
        .bind(fund)
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(executor)
        .await?;
    rows.iter().map(entry_from_row).collect()
}

fn entry_from_row(r: &AnyRow) -> Result<StoredEntry> {
    Ok(StoredEntry {
        seq: r.try_get::<i64, _>("seq")? as u64,
        hash: r.try_get("hash")?,
        canonical: canonical_from_row(r)?,
    })
}

/// The canonical text of a row that selects `canonical` and `packed`
/// (see [`super::packed`]).
pub(crate) fn canonical_from_row(r: &AnyRow) -> Result<String> {
    let packed: Option<Vec<u8>> = r.try_get("packed")?;
    super::packed::canonical_of(r.try_get("canonical")?, packed.as_deref())
}

/// Recomputes a root from stored hashes; used by proofs and checks.
pub fn root_of(size: u64, hashes: &HashMap<u64, Hash>) -> Result<Hash> {
    merkle::root_from_stored(size, hashes).map_err(|e| StoreError::Corrupt(e.to_string()))
}
