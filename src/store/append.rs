//! The append batch: everything one transaction writes for one fund
//! (entries, Merkle hashes, the statement's rows with their receipts, private
//! records, derived objects, the checkpoint and the head) in multi-row
//! statements, and the locking read of a fund's head.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use super::at_rest::{RecordKey, Slot};
use super::packed;
use super::{now_text, rows_placeholders, to_i64, Backend, Result, StoreError, BINDS_MAX};
use crate::ledger::ids::Code;
use crate::ledger::merkle::{from_slice, leaf_of, Frontier, Hash};
use crate::ledger::saoke::{donation_row, voiding, DonationRow};
use crate::ledger::state::{Appended, FundState, Private};

/// Everything one transaction writes for one fund.
pub(crate) struct FundWrites<'a> {
    pub backend: Backend,
    pub fund: &'a str,
    pub entries: &'a [Appended],
    /// (verification code, seq) of each gift's receipt.
    pub receipts: &'a [(String, u64)],
    /// Derived objects changed by these entries: (kind, id, JSON or `None`
    /// when gone).
    pub objects: &'a [(&'static str, String, Option<Value>)],
    pub state: &'a FundState,
    /// The checkpoint signed for the new head, when one is signed now
    /// (at most one per `ledger.checkpoint_interval_ms`, SPEC §3).
    pub checkpoint: Option<&'a str>,
    /// Seals households' private records and salts before they are
    /// written: none is ever stored in plaintext.
    pub record_key: &'a RecordKey,
}

impl FundWrites<'_> {
    /// Inserts entries, Merkle hashes, gifts with their receipts and the checkpoint with
    /// multi-row statements, and saves the fund head.
    pub(crate) async fn insert(&self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        for chunk in self.entries.chunks(BINDS_MAX / 5) {
            let sql = format!(
                "INSERT INTO entries (fund_code, seq, kind, hash, packed) VALUES {}",
                rows_placeholders(self.backend, 5, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(self.fund)
                    .bind(to_i64(e.seq)?)
                    .bind(e.kind.as_str())
                    .bind(e.hash.0.to_vec())
                    .bind(packed::pack(&e.canonical)?);
            }
            q.execute(&mut **tx).await?;
        }
        // A leaf's hash is its entry's: only the nodes above are stored.
        let hashes: Vec<&(u64, Hash)> = self
            .entries
            .iter()
            .flat_map(|e| &e.stored_hashes)
            .filter(|(idx, _)| leaf_of(*idx).is_none())
            .collect();
        for chunk in hashes.chunks(BINDS_MAX / 3) {
            let sql = format!(
                "INSERT INTO merkle_hashes (fund_code, idx, hash) VALUES {}",
                rows_placeholders(self.backend, 3, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (idx, hash) in chunk {
                q = q.bind(self.fund).bind(to_i64(*idx)?).bind(hash.0.to_vec());
            }
            q.execute(&mut **tx).await?;
        }
        let codes: HashMap<u64, &str> = self
            .receipts
            .iter()
            .map(|(code, seq)| (*seq, code.as_str()))
            .collect();
        let gifts: Vec<DonationRow> = self.entries.iter().filter_map(donation_row).collect();
        for chunk in gifts.chunks(BINDS_MAX / 18) {
            let sql = format!(
                "INSERT INTO donations (fund_code, seq, receipt_no, code, kind, received_on, recorded_at, \
                 donor_display, donor_kind, donor_search, amount_vnd, channel, campaign_id, pledge_id, \
                 earmark, bank_ref, goods, status) VALUES {}",
                rows_placeholders(self.backend, 18, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for g in chunk {
                q = q
                    .bind(self.fund)
                    .bind(to_i64(g.seq)?)
                    .bind(g.receipt_no.as_str())
                    .bind(codes.get(&g.seq).copied())
                    .bind(g.kind)
                    .bind(g.received_on.as_str())
                    .bind(g.recorded_at.as_str())
                    .bind(g.donor_display.as_str())
                    .bind(g.donor_kind.as_str())
                    .bind(g.donor_search.as_str())
                    .bind(g.amount_vnd)
                    .bind(g.channel.as_deref())
                    .bind(g.campaign_id.as_deref())
                    .bind(g.pledge_id.as_deref())
                    .bind(g.earmark.as_deref())
                    .bind(g.bank_ref.as_deref())
                    .bind(g.goods.as_deref())
                    .bind("valid");
            }
            q.execute(&mut **tx).await?;
        }
        // A reversed gift stays in the statement, marked void.
        for (reversed, by, reason) in self.entries.iter().filter_map(voiding) {
            sqlx::query(
                "UPDATE donations SET status = 'voided', voided_by_seq = $1, voided_reason = $2 \
                 WHERE fund_code = $3 AND seq = $4",
            )
            .bind(to_i64(by)?)
            .bind(reason)
            .bind(self.fund)
            .bind(to_i64(reversed)?)
            .execute(&mut **tx)
            .await?;
        }
        let now = now_text();
        let privates: Vec<&(String, Private)> = self
            .entries
            .iter()
            .filter_map(|e| e.private.as_ref())
            .collect();
        for chunk in privates.chunks(BINDS_MAX / 5) {
            let sql = format!(
                "INSERT INTO household_private (fund_code, household_id, record, salt, created_at) VALUES {}",
                rows_placeholders(self.backend, 5, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (id, p) in chunk {
                let record = serde_json::to_string(&p.record)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let seal = |column, plaintext: &str| {
                    let slot = Slot {
                        column,
                        fund: self.fund,
                        household_id: id.as_str(),
                    };
                    self.record_key
                        .seal(slot, plaintext)
                        .map_err(|e| StoreError::Corrupt(format!("private record of {id}: {e}")))
                };
                q = q
                    .bind(self.fund)
                    .bind(id.as_str())
                    .bind(seal("record", &record)?)
                    .bind(seal("salt", &p.salt)?)
                    .bind(now.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        let lines: Vec<_> = self
            .entries
            .iter()
            .filter_map(|e| {
                e.bank_line
                    .as_deref()
                    .map(|l| (l, super::bank::LineStatus::Gift, Some(e.seq), None))
            })
            .collect();
        super::bank::write_lines(tx, self.backend, self.fund, self.record_key, &lines, true)
            .await?;
        let (upserts, gone): (Vec<_>, Vec<_>) = self.objects.iter().partition(|o| o.2.is_some());
        for chunk in upserts.chunks(BINDS_MAX / 6) {
            let sql = format!(
                "INSERT INTO fund_objects (fund_code, kind, id, status, ref, data) VALUES {} \
                 ON CONFLICT (fund_code, kind, id) DO UPDATE SET \
                 status = excluded.status, ref = excluded.ref, data = excluded.data",
                rows_placeholders(self.backend, 6, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (kind, id, data) in chunk {
                let data = data.as_ref().unwrap_or(&Value::Null);
                let field = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_owned);
                q = q
                    .bind(self.fund)
                    .bind(*kind)
                    .bind(id.as_str())
                    .bind(field("status"))
                    .bind(field("reference"))
                    .bind(data.to_string());
            }
            q.execute(&mut **tx).await?;
        }
        for (kind, id, _) in gone {
            sqlx::query("DELETE FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id = $3")
                .bind(self.fund)
                .bind(*kind)
                .bind(id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        if let Some(note) = self.checkpoint {
            insert_checkpoint(tx, self.fund, self.state.size(), note).await?;
        }
        if let Some(day) = &self.state.day {
            super::days::save_day(tx, self.fund, day).await?;
        }
        let book = &self.state.book;
        let updated = sqlx::query(
            "UPDATE fund_heads SET size = $2, last_hash = $3, frontier = $4, balance_vnd = $5, \
             receipt_year = $6, receipt_last = $7, summary = $8 WHERE fund_code = $1",
        )
        .bind(self.fund)
        .bind(to_i64(self.state.size())?)
        .bind(self.state.last_hash.0.to_vec())
        .bind(self.state.frontier.to_bytes())
        .bind(book.balance_vnd.to_string())
        .bind(i64::from(book.receipt_year))
        .bind(to_i64(book.receipt_last)?)
        .bind(book.summary().to_string())
        .execute(&mut **tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!(
                "fund head {} is missing",
                self.fund
            )));
        }
        Ok(())
    }
}

/// The head of a fund as stored: where its log ends.
#[derive(Debug, Clone)]
pub(crate) struct LockedHead {
    pub frontier: Frontier,
    pub last_hash: Hash,
    pub origin: String,
}

/// Reads a fund's head inside a write transaction, locking its row on
/// PostgreSQL so that appends from every process are serialised.
pub(crate) async fn lock_head(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fund: &Code,
) -> Result<Option<LockedHead>> {
    let sql = match backend {
        Backend::Postgres => {
            "SELECT h.size, h.last_hash, h.frontier, f.origin \
             FROM fund_heads h JOIN funds f ON f.code = h.fund_code WHERE h.fund_code = $1 FOR UPDATE OF h"
        }
        // SQLite: BEGIN IMMEDIATE already holds the database write lock.
        Backend::Sqlite => {
            "SELECT h.size, h.last_hash, h.frontier, f.origin \
             FROM fund_heads h JOIN funds f ON f.code = h.fund_code WHERE h.fund_code = $1"
        }
    };
    let Some(r) = sqlx::query(sql)
        .bind(fund.as_str())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let size: i64 = r.try_get("size")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("fund head {fund}: {what}"));
    let frontier: Vec<u8> = r.try_get("frontier")?;
    let frontier =
        Frontier::from_bytes(size as u64, &frontier).ok_or_else(|| corrupt("frontier"))?;
    let last_hash: Vec<u8> = r.try_get("last_hash")?;
    Ok(Some(LockedHead {
        frontier,
        last_hash: from_slice(&last_hash).ok_or_else(|| corrupt("last hash"))?,
        origin: r.try_get("origin")?,
    }))
}

/// Stores a signed checkpoint of `fund` at `size`. One already stored at
/// that size (another process signed the same head) is kept: both sign
/// the same tree.
pub(crate) async fn insert_checkpoint(
    tx: &mut Transaction<'static, Any>,
    fund: &str,
    size: u64,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO checkpoints (fund_code, size, note, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (fund_code, size) DO NOTHING",
    )
    .bind(fund)
    .bind(to_i64(size)?)
    .bind(note)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Funds whose head is ahead of their latest signed checkpoint: what a
/// writer that stopped before its next signature left unsigned.
pub(crate) async fn funds_unsigned(pool: &sqlx::Pool<Any>) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT h.fund_code FROM fund_heads h WHERE h.size > \
         COALESCE((SELECT MAX(c.size) FROM checkpoints c WHERE c.fund_code = h.fund_code), 0) \
         ORDER BY h.fund_code",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| r.try_get("fund_code").map_err(StoreError::from))
        .collect()
}
