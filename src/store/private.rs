//! Households' private records and the access log: no private record is
//! read without its log line, in the same transaction. Records are stored
//! encrypted (see [`super::at_rest`]).

use serde_json::Value;
use sqlx::Row;

use super::at_rest::{RecordKey, Slot};
use super::{now_text, placeholders, to_i64, Result, Store, StoreError};

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
