//! Bank lines and statements taken in (SPEC §10): tables `bank_lines` and
//! `bank_statements`. A line's private part (the narrative, the sender's
//! account and name) is sealed like a household's private record, under
//! the slot `("bank_line", fund, line id)`, and every read of it is logged
//! in the access log in the transaction that reads it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use super::at_rest::{RecordKey, Slot};
use super::private::Reader;
use super::{
    now_text, placeholders, rows_placeholders, to_i64, Backend, Result, Store, StoreError,
    BINDS_MAX,
};
use crate::ledger::ids::format_date;
use crate::ledger::state::BankLine;

/// The column name of a line's sealed private part, in its slot.
const SLOT_COLUMN: &str = "bank_line";

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// A gift on the ledger (`seq`).
    Gift,
    /// Waiting for a clerk.
    Review,
    /// A credit that is not a gift: interest, a fee refunded.
    NotGift,
    /// A debit to the fund's own cash (the balance does not change).
    Withdrawal,
    /// A debit that is an outflow on the ledger (`seq`).
    Outflow,
    /// A credit being recorded as a gift by one clerk (claimed, so that a
    /// second clerk cannot record it too).
    Settling,
}

impl LineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gift => "gift",
            Self::Review => "review",
            Self::NotGift => "not_gift",
            Self::Withdrawal => "withdrawal",
            Self::Outflow => "outflow",
            Self::Settling => "settling",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Gift,
            Self::Review,
            Self::NotGift,
            Self::Withdrawal,
            Self::Outflow,
            Self::Settling,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A line as stored, without its private part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLine {
    pub line_id: String,
    pub account_no: String,
    #[serde(skip)]
    pub line_key: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    pub day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_ref: Option<String>,
    pub direction: String,
    pub amount_vnd: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_vnd: Option<String>,
    pub status: LineStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<String>,
    /// A settlement proposed and waiting for a second person: `not_gift`
    /// or `withdrawal`, with its reason and proposer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_by: Option<String>,
}

/// A line already known, by key: how it was taken in and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLine {
    pub source: String,
    pub status: LineStatus,
    pub seq: Option<u64>,
    pub reason: Option<String>,
}

/// A statement file as taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatement {
    pub statement_id: String,
    pub sealed_seq: Option<u64>,
    pub summary: Option<String>,
}

const LINE_COLUMNS: &str = "line_id, account_no, line_key, source, statement_id, day, bank_ref, direction, amount_vnd, balance_vnd, status, seq, reason, settled_by, settled_at, proposed_as, proposed_reason, proposed_by";

fn stored_line(r: &sqlx::any::AnyRow) -> Result<StoredLine> {
    let status: String = r.try_get("status")?;
    let seq: Option<i64> = r.try_get("seq")?;
    let amount: i64 = r.try_get("amount_vnd")?;
    let balance: Option<i64> = r.try_get("balance_vnd")?;
    Ok(StoredLine {
        line_id: r.try_get("line_id")?,
        account_no: r.try_get("account_no")?,
        line_key: r.try_get("line_key")?,
        source: r.try_get("source")?,
        statement_id: r.try_get("statement_id")?,
        day: r.try_get("day")?,
        bank_ref: r.try_get("bank_ref")?,
        direction: r.try_get("direction")?,
        amount_vnd: amount.to_string(),
        balance_vnd: balance.map(|b| b.to_string()),
        status: LineStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("bank line status {status:?}")))?,
        seq: seq.and_then(|s| u64::try_from(s).ok()),
        reason: r.try_get("reason")?,
        settled_by: r.try_get("settled_by")?,
        settled_at: r.try_get("settled_at")?,
        proposed_as: r.try_get("proposed_as")?,
        proposed_reason: r.try_get("proposed_reason")?,
        proposed_by: r.try_get("proposed_by")?,
    })
}

fn seal(key: &RecordKey, fund: &str, line: &BankLine) -> Result<String> {
    let slot = Slot {
        column: SLOT_COLUMN,
        fund,
        household_id: &line.line_id,
    };
    key.seal(slot, &line.private)
        .map_err(|e| StoreError::Corrupt(format!("bank line {}: {e}", line.line_id)))
}

/// Writes lines with their status and seq: `upsert` replaces the status
/// and seq of a line already there (a line in review that became a gift);
/// otherwise a line already there is left as it is.
pub(crate) async fn write_lines(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fund: &str,
    key: &RecordKey,
    lines: &[(&BankLine, LineStatus, Option<u64>, Option<&str>)],
    upsert: bool,
) -> Result<()> {
    const COLS: usize = 17;
    let now = now_text();
    for chunk in lines.chunks(BINDS_MAX / COLS) {
        let conflict = if upsert {
            "ON CONFLICT (fund_code, account_no, line_key) DO UPDATE SET status = excluded.status, seq = excluded.seq"
        } else {
            "ON CONFLICT (fund_code, account_no, line_key) DO NOTHING"
        };
        let sql = format!(
            "INSERT INTO bank_lines (fund_code, account_no, line_key, line_id, source, provider_id, statement_id, day, bank_ref, direction, amount_vnd, balance_vnd, status, seq, reason, private, created_at) VALUES {} {conflict}",
            rows_placeholders(backend, COLS, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for (line, status, seq, reason) in chunk {
            q = q
                .bind(fund)
                .bind(line.account_no.as_str())
                .bind(line.line_key.as_str())
                .bind(line.line_id.as_str())
                .bind(line.source)
                .bind(line.provider_id.as_deref())
                .bind(line.statement_id.as_deref())
                .bind(format_date(line.day))
                .bind(line.bank_ref.as_deref())
                .bind(if line.credit { "credit" } else { "debit" })
                .bind(to_i64(line.amount_vnd)?)
                .bind(line.balance_vnd)
                .bind(status.as_str())
                .bind(seq.map(to_i64).transpose()?)
                .bind(*reason)
                .bind(seal(key, fund, line)?)
                .bind(now.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// The lines of `account` among `keys` that are known already.
    pub async fn known_lines(
        &self,
        fund: &str,
        account: &str,
        keys: &[String],
    ) -> Result<HashMap<String, KnownLine>> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(BINDS_MAX / 2) {
            let sql = format!(
                "SELECT line_key, source, status, seq, reason FROM bank_lines WHERE fund_code = {} AND account_no = {} AND line_key IN ({})",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, 1),
                placeholders(self.backend, 3, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund).bind(account);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for r in q.fetch_all(&self.read).await? {
                let status: String = r.try_get("status")?;
                let seq: Option<i64> = r.try_get("seq")?;
                out.insert(
                    r.try_get("line_key")?,
                    KnownLine {
                        source: r.try_get("source")?,
                        status: LineStatus::parse(&status).ok_or_else(|| {
                            StoreError::Corrupt(format!("bank line status {status:?}"))
                        })?,
                        seq: seq.and_then(|s| u64::try_from(s).ok()),
                        reason: r.try_get("reason")?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Standing cash gifts by bank of `fund` with one of these bank
    /// references that no bank line is yet, by (reference, day, amount),
    /// oldest first: two queries for a chunk of lines, each on an index
    /// (a correlated `NOT EXISTS` made SQLite's planner scan the fund).
    pub async fn unlinked_gifts_of(
        &self,
        fund: &str,
        refs: &[&str],
    ) -> Result<HashMap<(String, String, u64), Vec<u64>>> {
        let mut found: Vec<(u64, (String, String, u64))> = Vec::new();
        for chunk in refs.chunks(BINDS_MAX / 2) {
            if chunk.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT seq, bank_ref, received_on, amount_vnd FROM donations WHERE fund_code = {} \
                 AND bank_ref IN ({}) AND kind = 'cash' AND status = 'valid' \
                 AND channel IN ('bank_transfer', 'qr_transfer')",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for r in chunk {
                q = q.bind(*r);
            }
            for r in q.fetch_all(&self.read).await? {
                let seq: i64 = r.try_get("seq")?;
                let amount: i64 = r.try_get("amount_vnd")?;
                found.push((
                    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("seq {seq}")))?,
                    (
                        r.try_get("bank_ref")?,
                        r.try_get("received_on")?,
                        u64::try_from(amount).unwrap_or(0),
                    ),
                ));
            }
        }
        let mut linked = std::collections::HashSet::new();
        for chunk in found.chunks(BINDS_MAX / 2) {
            let sql = format!(
                "SELECT seq, status FROM bank_lines WHERE fund_code = {} AND seq IN ({})",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for (seq, _) in chunk {
                q = q.bind(to_i64(*seq)?);
            }
            for r in q.fetch_all(&self.read).await? {
                let status: String = r.try_get("status")?;
                let seq: i64 = r.try_get("seq")?;
                if status == LineStatus::Gift.as_str() {
                    linked.insert(u64::try_from(seq).unwrap_or(u64::MAX));
                }
            }
        }
        found.sort_unstable_by_key(|(seq, _)| *seq);
        let mut out: HashMap<(String, String, u64), Vec<u64>> = HashMap::new();
        for (seq, key) in found {
            if !linked.contains(&seq) {
                out.entry(key).or_default().push(seq);
            }
        }
        Ok(out)
    }

    /// Writes lines that are not new gifts (in review, linked to a gift
    /// already on the ledger); a line already there stays as it is.
    pub async fn insert_lines(
        &self,
        fund: &str,
        key: &RecordKey,
        lines: &[(&BankLine, LineStatus, Option<u64>, Option<&str>)],
    ) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        write_lines(&mut tx, self.backend, fund, key, lines, false).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The statement of `account` taken in from the file with this digest.
    pub async fn statement_by_file(
        &self,
        fund: &str,
        account: &str,
        sha256: &str,
    ) -> Result<Option<StoredStatement>> {
        let row = sqlx::query(
            "SELECT statement_id, sealed_seq, summary FROM bank_statements WHERE fund_code = $1 AND account_no = $2 AND file_sha256 = $3",
        )
        .bind(fund)
        .bind(account)
        .bind(sha256)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let seq: Option<i64> = r.try_get("sealed_seq")?;
            Ok(StoredStatement {
                statement_id: r.try_get("statement_id")?,
                sealed_seq: seq.and_then(|s| u64::try_from(s).ok()),
                summary: r.try_get("summary")?,
            })
        })
        .transpose()
    }

    /// Notes a statement file whose import starts; the same file started
    /// before (an import stopped halfway) keeps its id.
    pub async fn start_statement(
        &self,
        fund: &str,
        account: &str,
        sha256: &str,
        statement_id: &str,
        by: &str,
    ) -> Result<StoredStatement> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO bank_statements (fund_code, statement_id, account_no, file_sha256, status, imported_by, created_at) \
             VALUES ($1, $2, $3, $4, 'importing', $5, $6) ON CONFLICT (fund_code, account_no, file_sha256) DO NOTHING",
        )
        .bind(fund)
        .bind(statement_id)
        .bind(account)
        .bind(sha256)
        .bind(by)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.statement_by_file(fund, account, sha256)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a statement noted is not found".into()))
    }

    /// Marks a statement sealed by entry `seq`, with the import's answer.
    pub async fn statement_sealed(
        &self,
        fund: &str,
        statement_id: &str,
        seq: u64,
        summary: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE bank_statements SET status = 'sealed', sealed_seq = $1, summary = $2 WHERE fund_code = $3 AND statement_id = $4",
        )
        .bind(to_i64(seq)?)
        .bind(summary)
        .bind(fund)
        .bind(statement_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lines of `fund`, newest day first, `status` only when given; at
    /// most `limit`, after the line `after` (a line id) of the list.
    pub async fn bank_lines(
        &self,
        fund: &str,
        status: Option<LineStatus>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<StoredLine>> {
        // Two texts, not `($2 = '' OR status = $2)`: each on its index.
        let rows = match status {
            Some(st) => {
                let sql = format!(
                    "SELECT {LINE_COLUMNS} FROM bank_lines WHERE fund_code = $1 AND status = $2 \
                     ORDER BY day, line_id LIMIT $3 OFFSET $4"
                );
                sqlx::query(&sql)
                    .bind(fund)
                    .bind(st.as_str())
                    .bind(i64::from(limit))
                    .bind(to_i64(offset)?)
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {LINE_COLUMNS} FROM bank_lines WHERE fund_code = $1 \
                     ORDER BY day, line_id LIMIT $2 OFFSET $3"
                );
                sqlx::query(&sql)
                    .bind(fund)
                    .bind(i64::from(limit))
                    .bind(to_i64(offset)?)
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter().map(stored_line).collect()
    }

    /// One line of `fund`.
    pub async fn bank_line(&self, fund: &str, line_id: &str) -> Result<Option<StoredLine>> {
        let sql =
            format!("SELECT {LINE_COLUMNS} FROM bank_lines WHERE fund_code = $1 AND line_id = $2");
        let row = sqlx::query(&sql)
            .bind(fund)
            .bind(line_id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(stored_line).transpose()
    }

    /// The private parts of lines, decrypted, each read logged in the same
    /// transaction (SPEC §9): by line id.
    pub async fn read_line_privates(
        &self,
        fund: &str,
        line_ids: &[String],
        reader: &Reader<'_>,
        key: &RecordKey,
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        if line_ids.is_empty() {
            return Ok(out);
        }
        let mut tx = self.begin_write().await?;
        for chunk in line_ids.chunks(BINDS_MAX / 2) {
            let sql = format!(
                "SELECT line_id, private FROM bank_lines WHERE fund_code = {} AND line_id IN ({})",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for r in q.fetch_all(&mut *tx).await? {
                let id: String = r.try_get("line_id")?;
                let stored: String = r.try_get("private")?;
                let slot = Slot {
                    column: SLOT_COLUMN,
                    fund,
                    household_id: &id,
                };
                let text = key.open(slot, &stored).map_err(|e| {
                    tracing::error!(fund, line = %id, error = %e, "a bank line's private part does not decrypt");
                    StoreError::Corrupt(format!("the private part of bank line {id} does not decrypt: {e}"))
                })?;
                out.insert(id, text);
            }
        }
        let now = now_text();
        for id in out.keys() {
            sqlx::query(
                "INSERT INTO access_log (at, actor, role, committee_code, fund_code, household_id, action) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(now.as_str())
            .bind(reader.actor)
            .bind(reader.role)
            .bind(reader.committee_code)
            .bind(fund)
            .bind(format!("bank_line:{id}"))
            .bind(reader.action)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Settles a line waiting in review: its new status, the entry it
    /// is (a gift's or an outflow's seq), the reason and who settled it,
    /// logged in the admin log in the same transaction. False when the
    /// line was not waiting (settled meanwhile), and nothing is logged.
    pub async fn settle_line(
        &self,
        fund: &str,
        line_id: &str,
        status: LineStatus,
        seq: Option<u64>,
        reason: &str,
        action: &super::AdminAction,
    ) -> Result<bool> {
        let by = action.actor.as_str();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE bank_lines SET status = $1, seq = COALESCE($2, seq), reason = $3, settled_by = $4, settled_at = $5 \
             WHERE fund_code = $6 AND line_id = $7 AND (status = 'review' OR (status = 'gift' AND $1 = 'gift' AND settled_by IS NULL))",
        )
        .bind(status.as_str())
        .bind(seq.map(to_i64).transpose()?)
        .bind(reason)
        .bind(by)
        .bind(now_text())
        .bind(fund)
        .bind(line_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Ok(false);
        }
        super::admin_log::log(&mut tx, action).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Lines of `fund` in review, by direction: (count, sum) of credits and
    /// of debits, and the debits waiting since before `before` (a day).
    pub async fn lines_waiting(&self, fund: &str, before: &str) -> Result<Vec<StoredLine>> {
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM bank_lines WHERE fund_code = $1 AND status = 'review' AND direction = 'debit' AND day < $2 ORDER BY day, line_id LIMIT 1000"
        );
        let rows = sqlx::query(&sql)
            .bind(fund)
            .bind(before)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(stored_line).collect()
    }

    /// Funds with `account_no` among their receiving accounts.
    pub async fn funds_of_account(&self, account_no: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT fund_code FROM fund_objects WHERE kind = 'bank_account' AND id = $1 ORDER BY fund_code",
        )
        .bind(account_no)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| r.try_get("fund_code").map_err(StoreError::from))
            .collect()
    }

    /// The key of the next identical line of a day: how many lines of
    /// `account` have keys starting `prefix`.
    pub async fn lines_with_prefix(&self, fund: &str, account: &str, prefix: &str) -> Result<u64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM bank_lines WHERE fund_code = $1 AND account_no = $2 AND line_key >= $3 AND line_key < $4",
        )
        .bind(fund)
        .bind(account)
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .fetch_one(&self.read)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether a provider's transaction was taken in: `provider_id` is
    /// `<provider>:<its id>`, the same whether the line came by webhook or
    /// was claimed on a statement's line.
    pub async fn provider_line_known(&self, provider_id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM bank_lines WHERE provider_id = $1")
            .bind(provider_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    /// Marks the first line of `account` with a key starting `prefix` that
    /// came from a statement and is claimed by no webhook as the provider's
    /// transaction: the statement was taken in first. False when there is
    /// none.
    pub async fn claim_statement_line(
        &self,
        fund: &str,
        account: &str,
        prefix: &str,
        provider_id: &str,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT line_key FROM bank_lines WHERE fund_code = $1 AND account_no = $2 AND line_key >= $3 AND line_key < $4 \
             AND source = 'statement' AND provider_id IS NULL ORDER BY line_key LIMIT 1",
        )
        .bind(fund)
        .bind(account)
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let key: String = row.try_get("line_key")?;
        sqlx::query("UPDATE bank_lines SET provider_id = $1 WHERE fund_code = $2 AND account_no = $3 AND line_key = $4")
            .bind(provider_id)
            .bind(fund)
            .bind(account)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Those of `seqs` whose gift was reversed since.
    pub async fn voided_among(
        &self,
        fund: &str,
        seqs: &[u64],
    ) -> Result<std::collections::HashSet<u64>> {
        let mut out = std::collections::HashSet::new();
        for chunk in seqs.chunks(BINDS_MAX / 2) {
            if chunk.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT seq FROM donations WHERE fund_code = {} AND seq IN ({}) AND status <> 'valid'",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for seq in chunk {
                q = q.bind(to_i64(*seq)?);
            }
            for r in q.fetch_all(&self.read).await? {
                let seq: i64 = r.try_get("seq")?;
                out.insert(u64::try_from(seq).unwrap_or(u64::MAX));
            }
        }
        Ok(out)
    }

    /// Claims a line in review for a clerk recording it as a gift: false
    /// when another got there first (or a settlement is proposed).
    pub async fn claim_line(&self, fund: &str, line_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE bank_lines SET status = 'settling' WHERE fund_code = $1 AND line_id = $2 \
             AND status = 'review' AND proposed_as IS NULL",
        )
        .bind(fund)
        .bind(line_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Gives back a line claimed by [`Store::claim_line`] whose gift was
    /// not written.
    pub async fn release_line(&self, fund: &str, line_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE bank_lines SET status = 'review' WHERE fund_code = $1 AND line_id = $2 AND status = 'settling'")
            .bind(fund)
            .bind(line_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Proposes settling a line in review as `status` (not a gift, a
    /// withdrawal), which moves no entry: it takes effect when another
    /// person confirms it. Logged; false when the line was not waiting or
    /// holds a proposal already.
    pub async fn propose_settlement(
        &self,
        fund: &str,
        line_id: &str,
        status: LineStatus,
        reason: &str,
        action: &super::AdminAction,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE bank_lines SET proposed_as = $1, proposed_reason = $2, proposed_by = $3, proposed_at = $4 \
             WHERE fund_code = $5 AND line_id = $6 AND status = 'review' AND proposed_as IS NULL",
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(action.actor.as_str())
        .bind(now_text())
        .bind(fund)
        .bind(line_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        super::admin_log::log(&mut tx, action).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Confirms (or, `approve` false, withdraws) the settlement proposed
    /// for a line, by `by`, who is not its proposer. Logged; false when
    /// there was none to decide, or `by` proposed it.
    pub async fn decide_settlement(
        &self,
        fund: &str,
        line_id: &str,
        approve: bool,
        by: &str,
        action: &super::AdminAction,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let q = if approve {
            sqlx::query(
                "UPDATE bank_lines SET status = proposed_as, reason = proposed_reason, settled_by = $1, settled_at = $2 \
                 WHERE fund_code = $3 AND line_id = $4 AND status = 'review' AND proposed_as IS NOT NULL AND proposed_by <> $1",
            )
            .bind(by)
            .bind(now_text())
        } else {
            sqlx::query(
                "UPDATE bank_lines SET proposed_as = NULL, proposed_reason = NULL, proposed_by = NULL, proposed_at = NULL \
                 WHERE fund_code = $2 AND line_id = $3 AND status = 'review' AND proposed_as IS NOT NULL AND proposed_by <> $1",
            )
            .bind(by)
        };
        let n = q
            .bind(fund)
            .bind(line_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        super::admin_log::log(&mut tx, action).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether a debit line of `fund` is settled by entry `seq` already.
    pub async fn outflow_settles_a_line(&self, fund: &str, seq: u64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM bank_lines WHERE fund_code = $1 AND seq = $2 AND status = 'outflow'",
        )
        .bind(fund)
        .bind(to_i64(seq)?)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.is_some())
    }

    /// Refreshes PostgreSQL's statistics of the tables an import reads
    /// while it grows them: planned on an empty table, its lookups by key
    /// scanned the account's every line (68 ms at 88,000 lines, not 0.1).
    /// SQLite's plans do not depend on statistics here.
    pub async fn refresh_intake_statistics(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE bank_lines")
                .execute(&self.write)
                .await?;
            sqlx::query("ANALYZE donations")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }
}
