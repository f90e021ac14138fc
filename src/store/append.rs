//! The append batch: everything one transaction writes for one fund
//! (entries, Merkle hashes, the statement's rows with their receipts, private
//! records, derived objects, the checkpoint and the head) in multi-row
//! statements, and the locking read of a fund's head.

use std::collections::HashMap;

use futures_util::FutureExt;

use serde_json::Value;
use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, Row, Transaction};

use super::at_rest::{RecordKey, Slot};
use super::packed;
use super::{now_text, rows_placeholders, to_i64, Backend, Result, StoreError, BINDS_MAX};
use crate::ledger::ids::Code;
use crate::ledger::merkle::{from_slice, leaf_of, Frontier, Hash};
use crate::ledger::saoke::{donation_row, voiding, DonationRow};
use crate::ledger::state::{Appended, FundState, Private};
use crate::ledger::statement::DayTotals;

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

/// The longest statement text kept prepared by a SQLite connection, whose
/// prepared programs live in this process and grow with their text.
const KEPT_PREPARED_BYTES: usize = 16 * 1024;

/// The longest kept prepared by a PostgreSQL connection, whose prepared
/// statements live in the server's backend: a full slice's gifts
/// (200 rows of 18 values, some 25 KB with `$n` placeholders) is kept.
const KEPT_PREPARED_BYTES_POSTGRES: usize = 64 * 1024;

/// Statements sent to the database together. On SQLite they travel as one
/// text to the connection's thread and back, one round trip for a whole
/// commit's rows instead of one a statement (under load each round trip
/// waited for the thread to be scheduled, and together they set the
/// commit rate of single appends). PostgreSQL's extended protocol takes
/// one statement with parameters at a time, so there they are kept apart
/// and sent one after another.
///
/// Statements are written with [`Script::values`], whose placeholders are
/// `?` on SQLite (numbered in order across the statements) and `$n` from 1
/// on PostgreSQL, and ended with [`Script::end`]. Writing is plain
/// computation; only [`Script::send`] waits for the database, so the next
/// statements can be written while the last are stored.
pub(crate) struct Script<'q> {
    backend: Backend,
    sql: String,
    args: AnyArguments<'q>,
    /// Texts ended and not yet sent: on PostgreSQL each statement, on
    /// SQLite those closed by [`Script::cut`].
    ended: Vec<(String, AnyArguments<'q>)>,
}

impl<'q> Script<'q> {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            backend,
            sql: String::new(),
            args: AnyArguments::default(),
            ended: Vec::new(),
        }
    }

    /// The placeholders of a statement's `n` values. On PostgreSQL they
    /// are numbered from 1: each statement there has values of its own.
    fn values(&self, n: usize) -> String {
        super::placeholders(self.backend, 1, n)
    }

    fn bind<T>(&mut self, value: T) -> Result<()>
    where
        T: 'q + sqlx::Encode<'q, Any> + sqlx::Type<Any>,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Corrupt(format!("a value could not be bound: {e}")))
    }

    /// Ends the statement just written with its values.
    fn end(&mut self, sql: &str) {
        match self.backend {
            Backend::Postgres => {
                let args = std::mem::take(&mut self.args);
                self.ended.push((sql.to_owned(), args));
            }
            Backend::Sqlite => {
                self.sql.push_str(sql);
                self.sql.push_str(";\n");
            }
        }
    }

    /// Closes the text written so far on SQLite: what follows goes in a
    /// text of its own, so that the statements before, when they recur
    /// word for word, are prepared once and kept.
    fn cut(&mut self) {
        if self.backend == Backend::Sqlite && !self.sql.is_empty() {
            let text = (
                std::mem::take(&mut self.sql),
                std::mem::take(&mut self.args),
            );
            self.ended.push(text);
        }
    }

    /// Sends what is kept; the rows the statements changed.
    pub(crate) async fn send(&mut self, tx: &mut Transaction<'static, Any>) -> Result<u64> {
        self.cut();
        let mut changed = 0;
        for (sql, args) in std::mem::take(&mut self.ended) {
            // A text is kept prepared only while it is small: the texts of
            // large commits seldom repeat (the count of Merkle nodes
            // varies), and a hundred kept programs of a thousand rows each
            // held some 50 MiB for nothing.
            let kept = match self.backend {
                Backend::Sqlite => KEPT_PREPARED_BYTES,
                Backend::Postgres => KEPT_PREPARED_BYTES_POSTGRES,
            };
            let done = sqlx::query_with(&sql, args)
                .persistent(sql.len() <= kept)
                .execute(&mut **tx)
                .await?;
            changed += done.rows_affected();
        }
        Ok(changed)
    }

    /// The checkpoint `note` of `fund` at `size`; one already stored at
    /// that size is kept.
    fn checkpoint(&mut self, fund: &'q str, size: u64, note: &'q str) -> Result<()> {
        let sql = format!(
            "INSERT INTO checkpoints (fund_code, size, note, created_at) VALUES ({}) \
             ON CONFLICT (fund_code, size) DO NOTHING",
            self.values(4)
        );
        self.bind(fund)?;
        self.bind(to_i64(size)?)?;
        self.bind(note)?;
        self.bind(now_text())?;
        self.end(&sql);
        Ok(())
    }

    /// The totals of one day of `fund`, replacing what was stored.
    pub(crate) fn day(&mut self, fund: &'q str, day: &DayTotals) -> Result<()> {
        let sql = format!(
            "INSERT INTO fund_days (fund_code, day, totals) VALUES ({}) \
             ON CONFLICT (fund_code, day) DO UPDATE SET totals = excluded.totals",
            self.values(3)
        );
        self.bind(fund)?;
        self.bind(day.day.clone())?;
        self.bind(super::days::text(day)?)?;
        self.end(&sql);
        Ok(())
    }
}

/// Entries whose rows are written into one script while the script before
/// is stored: a batch of 1,000 is sent in five, and the packing and
/// binding of all but the first are done while SQLite stores the last.
const ENTRIES_PER_SLICE: usize = 200;

impl FundWrites<'_> {
    /// Inserts entries, Merkle hashes, gifts with their receipts and the
    /// checkpoint with multi-row statements, and saves the fund head; on
    /// SQLite in as few round trips as the rows allow ([`Script`]).
    pub(crate) async fn insert(&self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        let codes: HashMap<u64, &str> = self
            .receipts
            .iter()
            .map(|(code, seq)| (*seq, code.as_str()))
            .collect();
        // Each slice's rows are written while those of the slice before
        // are stored: the script is handed to the connection (its first
        // poll), the next is written, then the first is awaited.
        let mut script = Script::new(self.backend);
        for slice in self.entries.chunks(ENTRIES_PER_SLICE) {
            let mut next = Script::new(self.backend);
            let written = {
                let mut sending = std::pin::pin!(script.send(tx));
                let early = (&mut sending).now_or_never();
                let written = self.rows(&mut next, slice, &codes);
                match early {
                    Some(sent) => sent?,
                    None => sending.await?,
                };
                written
            };
            written?;
            script = next;
        }
        // A reversed gift stays in the statement, marked void; its row may
        // be one of those above, so they are sent first.
        let voided: Vec<_> = self.entries.iter().filter_map(voiding).collect();
        if !voided.is_empty() {
            script.send(tx).await?;
        }
        for (reversed, by, reason) in voided {
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
                script.bind(self.fund)?;
                script.bind(id.as_str())?;
                script.bind(seal("record", &record)?)?;
                script.bind(seal("salt", &p.salt)?)?;
                script.bind(now.clone())?;
            }
            script.end(&sql);
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
        if !lines.is_empty() {
            script.send(tx).await?;
            super::bank::write_lines(tx, self.backend, self.fund, self.record_key, &lines, true)
                .await?;
        }
        let (upserts, gone): (Vec<_>, Vec<_>) = self.objects.iter().partition(|o| o.2.is_some());
        for chunk in upserts.chunks(BINDS_MAX / 6) {
            let sql = format!(
                "INSERT INTO fund_objects (fund_code, kind, id, status, ref, data) VALUES {} \
                 ON CONFLICT (fund_code, kind, id) DO UPDATE SET \
                 status = excluded.status, ref = excluded.ref, data = excluded.data",
                rows_placeholders(self.backend, 6, chunk.len())
            );
            for (kind, id, data) in chunk {
                let data = data.as_ref().unwrap_or(&Value::Null);
                let field = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_owned);
                script.bind(self.fund)?;
                script.bind(*kind)?;
                script.bind(id.as_str())?;
                script.bind(field("status"))?;
                script.bind(field("reference"))?;
                script.bind(data.to_string())?;
            }
            script.end(&sql);
        }
        if !gone.is_empty() {
            script.send(tx).await?;
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
            script.checkpoint(self.fund, self.state.size(), note)?;
        }
        if let Some(day) = &self.state.day {
            script.day(self.fund, day)?;
        }
        self.update_head(tx, script).await
    }

    /// Writes the rows of `slice` (entries, the Merkle nodes they add, the
    /// statement's rows of their gifts) into `script`.
    fn rows<'q>(
        &'q self,
        script: &mut Script<'q>,
        slice: &'q [Appended],
        codes: &HashMap<u64, &str>,
    ) -> Result<()> {
        for chunk in slice.chunks(BINDS_MAX / 5) {
            let sql = format!(
                "INSERT INTO entries (fund_code, seq, kind, hash, packed) VALUES {}",
                rows_placeholders(self.backend, 5, chunk.len())
            );
            for e in chunk {
                script.bind(self.fund)?;
                script.bind(to_i64(e.seq)?)?;
                script.bind(e.kind.as_str())?;
                script.bind(e.hash.0.to_vec())?;
                script.bind(packed::pack(&e.canonical)?)?;
            }
            script.end(&sql);
        }
        let gifts: Vec<DonationRow> = slice.iter().filter_map(donation_row).collect();
        for chunk in gifts.chunks(BINDS_MAX / 18) {
            let sql = format!(
                "INSERT INTO donations (fund_code, seq, receipt_no, code, kind, received_on, recorded_at, \
                 donor_display, donor_kind, donor_search, amount_vnd, channel, campaign_id, pledge_id, \
                 earmark, bank_ref, goods, status) VALUES {}",
                rows_placeholders(self.backend, 18, chunk.len())
            );
            for g in chunk {
                script.bind(self.fund)?;
                script.bind(to_i64(g.seq)?)?;
                script.bind(g.receipt_no.clone())?;
                script.bind(codes.get(&g.seq).map(|c| (*c).to_owned()))?;
                script.bind(g.kind)?;
                script.bind(g.received_on.clone())?;
                script.bind(g.recorded_at.clone())?;
                script.bind(g.donor_display.clone())?;
                script.bind(g.donor_kind.clone())?;
                script.bind(g.donor_search.clone())?;
                script.bind(g.amount_vnd)?;
                script.bind(g.channel.clone())?;
                script.bind(g.campaign_id.clone())?;
                script.bind(g.pledge_id.clone())?;
                script.bind(g.earmark.clone())?;
                script.bind(g.bank_ref.clone())?;
                script.bind(g.goods.clone())?;
                script.bind("valid")?;
            }
            script.end(&sql);
        }
        // A full slice of gifts is the same text each time: kept prepared.
        if slice.len() == ENTRIES_PER_SLICE {
            script.cut();
        }
        // A leaf's hash is its entry's: only the nodes above are stored.
        let hashes: Vec<&(u64, Hash)> = slice
            .iter()
            .flat_map(|e| &e.stored_hashes)
            .filter(|(idx, _)| leaf_of(*idx).is_none())
            .collect();
        for chunk in hashes.chunks(BINDS_MAX / 3) {
            let sql = format!(
                "INSERT INTO merkle_hashes (fund_code, idx, hash) VALUES {}",
                rows_placeholders(self.backend, 3, chunk.len())
            );
            for (idx, hash) in chunk {
                script.bind(self.fund)?;
                script.bind(to_i64(*idx)?)?;
                script.bind(hash.0.to_vec())?;
            }
            script.end(&sql);
        }
        Ok(())
    }

    /// Saves the fund's head, sending it with whatever `script` still holds.
    async fn update_head<'q>(
        &'q self,
        tx: &mut Transaction<'static, Any>,
        mut script: Script<'q>,
    ) -> Result<()> {
        let book = &self.state.book;
        // The head is the last statement: on PostgreSQL it is sent alone and
        // must change exactly its row. On SQLite the script's count is that
        // of all its statements; the head's row was read under the same
        // write lock (`lock_head`), so it is there.
        // Values are bound in the order their placeholders stand, as
        // SQLite's `?` are numbered by place.
        if self.backend == Backend::Postgres {
            script.send(tx).await?;
        }
        let v = script.values(8);
        let v: Vec<&str> = v.split(", ").collect();
        let sql = format!(
            "UPDATE fund_heads SET size = {}, last_hash = {}, frontier = {}, balance_vnd = {}, \
             receipt_year = {}, receipt_last = {}, summary = {} WHERE fund_code = {}",
            v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
        );
        script.bind(to_i64(self.state.size())?)?;
        script.bind(self.state.last_hash.0.to_vec())?;
        script.bind(self.state.frontier.to_bytes())?;
        script.bind(book.balance_vnd.to_string())?;
        script.bind(i64::from(book.receipt_year))?;
        script.bind(to_i64(book.receipt_last)?)?;
        script.bind(book.summary().to_string())?;
        script.bind(self.fund)?;
        script.end(&sql);
        let changed = script.send(tx).await?;
        if self.backend == Backend::Postgres && changed != 1 {
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
    backend: Backend,
    fund: &str,
    size: u64,
    note: &str,
) -> Result<()> {
    let mut script = Script::new(backend);
    script.checkpoint(fund, size, note)?;
    script.send(tx).await.map(drop)
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
