//! The fund's books as saved: derived objects, the summary, and one
//! snapshot of every entry with the live books.

use serde_json::Value;
use sqlx::Row;

use super::{
    entries_between, to_i64, Backend, Result, Store, StoreError, StoredEntry, REPLAY_PAGE,
};

impl Store {
    /// Gives campaigns closed before their books kept the day they were
    /// closed (`closed_on`) that day, read from their `campaign_closed`
    /// entries, so the saved books agree with a replay. Returns how many
    /// it filled; run once at start, it finds none the next time.
    pub async fn fill_campaign_closed_on(&self) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT fund_code, id, data FROM fund_objects WHERE kind = 'campaign' AND status = 'closed'",
        )
        .fetch_all(&self.read)
        .await?;
        let mut missing: Vec<(String, String, Value)> = Vec::new();
        for r in &rows {
            let data: String = r.try_get("data")?;
            let data: Value = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("a campaign's saved books: {e}")))?;
            if data.get("closed_on").is_none() {
                missing.push((r.try_get("fund_code")?, r.try_get("id")?, data));
            }
        }
        let mut filled = 0;
        for (fund, id, mut data) in missing {
            let closings = sqlx::query(
                "SELECT canonical, packed FROM entries WHERE fund_code = $1 AND kind = 'campaign_closed' ORDER BY seq",
            )
            .bind(&fund)
            .fetch_all(&self.read)
            .await?;
            let mut on = None;
            for c in &closings {
                let canonical = super::canonical_from_row(c)?;
                let read = crate::ledger::replay::read_entry(&canonical)
                    .map_err(|e| StoreError::Corrupt(format!("fund {fund}: {}", e.reason)))?;
                if let crate::ledger::kinds::Body::CampaignClosed(b) = &read.body {
                    if b.campaign_id.as_str() == id {
                        on = Some(crate::ledger::ids::format_date(
                            crate::ledger::ids::today_in_vietnam(read.recorded_at),
                        ));
                    }
                }
            }
            let Some(on) = on else { continue };
            data["closed_on"] = Value::String(on);
            sqlx::query(
                "UPDATE fund_objects SET data = $1 WHERE fund_code = $2 AND kind = 'campaign' AND id = $3",
            )
            .bind(data.to_string())
            .bind(&fund)
            .bind(&id)
            .execute(&self.write)
            .await?;
            filled += 1;
        }
        Ok(filled)
    }

    // ---- the fund's books ---------------------------------------------------

    /// Derived objects of one kind, in id order after `after`, filtered by
    /// status or reference: (id, JSON text).
    pub async fn objects(
        &self,
        fund: &str,
        kind: &str,
        filter: ObjectFilter<'_>,
        limit: u64,
    ) -> Result<Vec<(String, String)>> {
        let mut sql = String::from(
            "SELECT id, data FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id > $3",
        );
        let mut n = 4;
        if filter.status.is_some() {
            sql.push_str(&format!(" AND status = ${n}"));
            n += 1;
        }
        if filter.reference.is_some() {
            sql.push_str(&format!(" AND ref = ${n}"));
            n += 1;
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
        let mut q = sqlx::query(&sql)
            .bind(fund)
            .bind(kind)
            .bind(filter.after.unwrap_or(""));
        if let Some(st) = filter.status {
            q = q.bind(st);
        }
        if let Some(r) = filter.reference {
            q = q.bind(r);
        }
        let rows = q.bind(to_i64(limit)?).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("data")?)))
            .collect()
    }

    /// One derived object's JSON text.
    pub async fn object(&self, fund: &str, kind: &str, id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT data FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id = $3",
        )
        .bind(fund)
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| r.try_get("data").map_err(StoreError::from))
            .transpose()
    }

    /// The fund's figures as the books last saved them.
    pub async fn summary(&self, fund: &str) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT summary FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            let text: String = r.try_get("summary")?;
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Reads, in one snapshot, every entry of a fund (handed to `each` in
    /// order, a page at a time) and the live books: derived objects and the
    /// summary. The snapshot keeps appends that land meanwhile out of both.
    pub async fn books_snapshot(
        &self,
        fund: &str,
        mut each: impl FnMut(&StoredEntry) -> std::result::Result<(), String>,
    ) -> Result<Snapshot> {
        let mut tx = self.read.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let size: i64 = sqlx::query("SELECT size FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("size"))
            .transpose()?
            .unwrap_or(0);
        let size = size as u64;
        let mut from = 0;
        let mut failure = None;
        while from < size && failure.is_none() {
            let to = size.min(from + REPLAY_PAGE);
            for e in &entries_between(&mut *tx, fund, from, to).await? {
                if let Err(e) = each(e) {
                    failure = Some(e);
                    break;
                }
            }
            from = to;
        }
        let rows = sqlx::query(
            "SELECT kind, id, data FROM fund_objects WHERE fund_code = $1 ORDER BY kind, id",
        )
        .bind(fund)
        .fetch_all(&mut *tx)
        .await?;
        let mut objects = Vec::with_capacity(rows.len());
        for r in &rows {
            let data: String = r.try_get("data")?;
            let value = serde_json::from_str(&data).unwrap_or(Value::String(data));
            objects.push((r.try_get("kind")?, r.try_get("id")?, value));
        }
        let days =
            sqlx::query("SELECT day, totals FROM fund_days WHERE fund_code = $1 ORDER BY day")
                .bind(fund)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| {
                    let totals: String = r.try_get("totals")?;
                    Ok((
                        r.try_get("day")?,
                        serde_json::from_str(&totals).unwrap_or(Value::String(totals)),
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
        let summary: String = sqlx::query("SELECT summary FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_one(&mut *tx)
            .await?
            .try_get("summary")?;
        tx.commit().await?;
        Ok(Snapshot {
            size,
            failure,
            objects,
            summary: serde_json::from_str(&summary).unwrap_or(Value::String(summary)),
            days,
        })
    }
}

impl Store {
    /// What the public pages read of a fund's books, as of one moment:
    /// its size, its figures (the summary beside its head) and its
    /// campaigns, households, distributions, stock lines and sponsorships, as
    /// (kind, id, JSON). It does not grow with the number of gifts.
    pub async fn read_model(
        &self,
        fund: &str,
    ) -> Result<(u64, String, Vec<(String, String, String)>)> {
        let mut tx = self.read.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let Some(head) = sqlx::query("SELECT size, summary FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::Corrupt(format!("fund {fund} has no head")));
        };
        let size: i64 = head.try_get("size")?;
        let summary: String = head.try_get("summary")?;
        let rows = sqlx::query(
            "SELECT kind, id, data FROM fund_objects WHERE fund_code = $1 \
             AND kind IN ('campaign', 'household', 'distribution', 'stock', 'sponsorship') \
             ORDER BY kind, id",
        )
        .bind(fund)
        .fetch_all(&mut *tx)
        .await?;
        let objects = rows
            .iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("id")?, r.try_get("data")?)))
            .collect::<Result<Vec<_>>>()?;
        tx.commit().await?;
        Ok((size as u64, summary, objects))
    }
}

/// What [`Store::books_snapshot`] read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Entries in the snapshot.
    pub size: u64,
    /// The first error `each` returned; reading stopped there.
    pub failure: Option<String>,
    /// (kind, id, JSON) of every derived object.
    pub objects: Vec<(String, String, Value)>,
    pub summary: Value,
    /// (day, JSON) of the fund's stored totals by day.
    pub days: Vec<(String, Value)>,
}

/// Narrows a listing of derived objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectFilter<'a> {
    /// Ids after this one (the cursor of the previous page).
    pub after: Option<&'a str>,
    pub status: Option<&'a str>,
    pub reference: Option<&'a str>,
}
