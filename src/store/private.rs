//! Households' private records and the access log: no private record is
//! read without its log line, in the same transaction. Records are stored
//! encrypted (see [`super::at_rest`]); those written before that are
//! sealed when the service starts.

use serde_json::Value;
use sqlx::Row;

use super::at_rest::{is_sealed, RecordKey, Slot};
use super::{now_text, placeholders, to_i64, Backend, Result, Store, StoreError};

impl Store {
    /// Reads a household's private record and logs the read, in one
    /// transaction: no read without its log line. Returns (fund, record
    /// JSON, salt) for each fund in `funds` that registered the household,
    /// decrypted with `key`. A record that does not decrypt (another
    /// key, a value copied from another row, an altered or plaintext value)
    /// is an error, logged, and nothing is read or logged as read.
    pub async fn read_private(
        &self,
        household_id: &str,
        funds: &[String],
        reader: &Reader<'_>,
        key: &RecordKey,
    ) -> Result<Vec<(String, String, String)>> {
        if funds.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        // One placeholder style per statement: SQLite numbers `?` after
        // the largest `$n` it has seen, not by position.
        let sql = format!(
            "SELECT fund_code, record, salt FROM household_private WHERE household_id = {} AND fund_code IN ({}) ORDER BY fund_code",
            placeholders(self.backend, 1, 1),
            placeholders(self.backend, 2, funds.len())
        );
        let mut q = sqlx::query(&sql).bind(household_id);
        for f in funds {
            q = q.bind(f.as_str());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let found: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                let fund: String = r.try_get("fund_code")?;
                let record: String = r.try_get("record")?;
                let salt: String = r.try_get("salt")?;
                let open = |column, stored: &str| {
                    let slot = Slot {
                        column,
                        fund: &fund,
                        household_id,
                    };
                    key.open(slot, stored).map_err(|e| {
                        tracing::error!(
                            fund = %fund,
                            household = household_id,
                            column,
                            error = %e,
                            "a household's private record does not decrypt"
                        );
                        StoreError::Corrupt(format!(
                            "the private {column} of household {household_id} in fund {fund} does not decrypt: {e}"
                        ))
                    })
                };
                let record = open("record", &record)?;
                let salt = open("salt", &salt)?;
                Ok((fund, record, salt))
            })
            .collect::<Result<_>>()?;
        for (fund, _, _) in &found {
            sqlx::query(
                "INSERT INTO access_log (at, actor, role, committee_code, fund_code, household_id, action) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(now_text())
            .bind(reader.actor)
            .bind(reader.role)
            .bind(reader.committee_code)
            .bind(fund.as_str())
            .bind(household_id)
            .bind(reader.action)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// The hamlets kept in the private records of `fund` (households
    /// registered from entry version 2), by household id: for the public
    /// figures by hamlet, which show only hamlets of enough households.
    /// No person is read, so no access-log line is written; a record that
    /// does not decrypt is an error, as for any read.
    pub async fn private_hamlets(
        &self,
        fund: &str,
        key: &RecordKey,
    ) -> Result<std::collections::HashMap<String, String>> {
        let rows =
            sqlx::query("SELECT household_id, record FROM household_private WHERE fund_code = $1")
                .bind(fund)
                .fetch_all(&self.read)
                .await?;
        let mut out = std::collections::HashMap::new();
        for r in &rows {
            let household_id: String = r.try_get("household_id")?;
            let stored: String = r.try_get("record")?;
            let record = if is_sealed(&stored) {
                let slot = Slot {
                    column: "record",
                    fund,
                    household_id: &household_id,
                };
                key.open(slot, &stored).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "the private record of household {household_id} in fund {fund} does not decrypt: {e}"
                    ))
                })?
            } else {
                stored
            };
            let record: Value = serde_json::from_str(&record)
                .map_err(|e| StoreError::Corrupt(format!("a private record is not JSON: {e}")))?;
            if let Some(h) = record["hamlet"].as_str() {
                out.insert(household_id, h.to_owned());
            }
        }
        Ok(out)
    }

    /// Encrypts, in one transaction, every private record or salt still
    /// stored in plaintext (written before records were encrypted at
    /// rest), then compacts the database so that the pages which held the
    /// plaintext are gone: `VACUUM` and a truncating checkpoint of the log
    /// on SQLite, `VACUUM FULL household_private` on PostgreSQL. Returns
    /// how many rows were sealed; a second run finds none and compacts
    /// nothing. Several processes starting at once seal each row once:
    /// rows are locked, and changed only while still as read.
    pub async fn seal_private_records(&self, key: &RecordKey) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        let rows = sqlx::query(&format!(
            "SELECT fund_code, household_id, record, salt FROM household_private \
             WHERE substr(record, 1, 4) <> 'sv1:' OR substr(salt, 1, 4) <> 'sv1:'{lock}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut sealed = 0;
        for r in &rows {
            let fund: String = r.try_get("fund_code")?;
            let household_id: String = r.try_get("household_id")?;
            let record: String = r.try_get("record")?;
            let salt: String = r.try_get("salt")?;
            let seal = |column, stored: &str| -> Result<String> {
                if is_sealed(stored) {
                    return Ok(stored.to_owned());
                }
                let slot = Slot {
                    column,
                    fund: &fund,
                    household_id: &household_id,
                };
                key.seal(slot, stored).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "sealing the private {column} of household {household_id} in fund {fund}: {e}"
                    ))
                })
            };
            let done = sqlx::query(
                "UPDATE household_private SET record = $1, salt = $2 \
                 WHERE fund_code = $3 AND household_id = $4 AND record = $5 AND salt = $6",
            )
            .bind(seal("record", &record)?)
            .bind(seal("salt", &salt)?)
            .bind(fund.as_str())
            .bind(household_id.as_str())
            .bind(record.as_str())
            .bind(salt.as_str())
            .execute(&mut *tx)
            .await?;
            sealed += done.rows_affected();
        }
        tx.commit().await?;
        if sealed == 0 {
            tracing::debug!("no private record is stored in plaintext");
            return Ok(0);
        }
        tracing::info!(
            count = sealed,
            "encrypted households' private records stored in plaintext"
        );
        self.compact_private().await;
        Ok(sealed)
    }

    /// Rewrites the storage of private records so that the plaintext they
    /// held before being sealed is no longer in the database's files. A
    /// failure is logged, not fatal: the records are sealed already.
    async fn compact_private(&self) {
        // VACUUM runs outside a transaction; `raw_sql` sends it as is.
        let (vacuum, what) = match self.backend {
            Backend::Sqlite => ("VACUUM", "the SQLite database"),
            Backend::Postgres => ("VACUUM FULL household_private", "household_private"),
        };
        if let Err(e) = sqlx::raw_sql(vacuum).execute(&self.write).await {
            tracing::error!(error = %e, "compacting {what} failed: pages freed by encrypting private records may still hold their plaintext; run {vacuum} by hand");
            return;
        }
        if self.backend == Backend::Sqlite {
            // The log held the pages as they were; empty it.
            match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.write)
                .await
                .and_then(|r| r.try_get::<i64, _>(0))
            {
                Ok(0) => {}
                Ok(_) => tracing::warn!("the SQLite log could not be emptied yet (busy); it is overwritten as the service runs"),
                Err(e) => tracing::warn!(error = %e, "emptying the SQLite log failed"),
            }
        }
        tracing::info!("compacted {what} after encrypting private records");
    }

    /// Lines of the access log for `funds`, newest first, before id
    /// `before`.
    pub async fn access_log(
        &self,
        funds: &[String],
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Value>> {
        if funds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, at, actor, role, committee_code, fund_code, household_id, action FROM access_log \
             WHERE id < {} AND fund_code IN ({}) ORDER BY id DESC LIMIT {}",
            placeholders(self.backend, 1, 1),
            placeholders(self.backend, 2, funds.len()),
            placeholders(self.backend, funds.len() + 2, 1),
        );
        let mut q = sqlx::query(&sql).bind(before.unwrap_or(i64::MAX));
        for f in funds {
            q = q.bind(f.as_str());
        }
        let rows = q.bind(to_i64(limit)?).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "id": r.try_get::<i64, _>("id")?,
                    "at": r.try_get::<String, _>("at")?,
                    "actor": r.try_get::<String, _>("actor")?,
                    "role": r.try_get::<String, _>("role")?,
                    "committee_code": r.try_get::<Option<String>, _>("committee_code")?,
                    "fund": r.try_get::<String, _>("fund_code")?,
                    "household_id": r.try_get::<String, _>("household_id")?,
                    "action": r.try_get::<String, _>("action")?,
                }))
            })
            .collect()
    }
}

/// Who reads private data, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub committee_code: Option<&'a str>,
    /// What was read and through which door: `GET /households/{id}`.
    pub action: &'a str,
}
