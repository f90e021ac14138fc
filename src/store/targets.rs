//! Committees' yearly targets (chỉ tiêu, SPEC §11), kept beside the ledger
//! with the admin log, and the transfers between funds that a roll-up
//! nets out.

use serde::Serialize;
use sqlx::Row;

use super::{now_text, Result, Store};

/// A committee's targets for one year, as set by the committee above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Targets {
    pub committee_code: String,
    pub year: i32,
    /// Money to mobilise, đồng (a decimal string in JSON).
    #[serde(with = "crate::ledger::money::as_string")]
    pub mobilise_vnd: i128,
    /// Households to support.
    pub households: u64,
    /// Solidarity houses to build or repair.
    pub houses: u64,
    /// The token that set them, and when.
    pub set_by: String,
    pub set_at: String,
}

/// Money that moved from one fund to another, as the receiving fund
/// recorded it (`transfer_in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEdge {
    pub to_fund: String,
    pub from_fund: String,
    pub amount_vnd: i128,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

impl Store {
    /// Sets `t` (replacing the committee's targets for that year) and logs
    /// `by` in the same transaction.
    pub async fn set_targets(
        &self,
        t: &Targets,
        idem: Option<super::IdempotencyRecord>,
        by: &super::AdminAction,
    ) -> Result<Targets> {
        let at = if t.set_at.is_empty() {
            now_text()
        } else {
            t.set_at.clone()
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO committee_targets \
             (committee_code, year, mobilise_vnd, households, houses, set_by, set_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (committee_code, year) DO UPDATE SET \
             mobilise_vnd = excluded.mobilise_vnd, households = excluded.households, \
             houses = excluded.houses, set_by = excluded.set_by, set_at = excluded.set_at",
        )
        .bind(t.committee_code.as_str())
        .bind(i64::from(t.year))
        .bind(i64::try_from(t.mobilise_vnd).unwrap_or(i64::MAX))
        .bind(i64::try_from(t.households).unwrap_or(i64::MAX))
        .bind(i64::try_from(t.houses).unwrap_or(i64::MAX))
        .bind(t.set_by.as_str())
        .bind(at.as_str())
        .execute(&mut *tx)
        .await?;
        super::insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        super::admin_log::log(&mut tx, by).await?;
        tx.commit().await?;
        Ok(Targets {
            set_at: at,
            ..t.clone()
        })
    }

    /// The targets of `committee`, every year (`year` None) or one.
    pub async fn targets(&self, committee: &str, year: Option<i32>) -> Result<Vec<Targets>> {
        let rows = sqlx::query(
            "SELECT committee_code, year, mobilise_vnd, households, houses, set_by, set_at \
             FROM committee_targets WHERE committee_code = $1 AND ($2 = 0 OR year = $2) \
             ORDER BY year",
        )
        .bind(committee)
        .bind(i64::from(year.unwrap_or(0)))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(targets_from_row).collect()
    }

    /// Every committee's targets for `year`.
    pub async fn targets_of_year(&self, year: i32) -> Result<Vec<Targets>> {
        let rows = sqlx::query(
            "SELECT committee_code, year, mobilise_vnd, households, houses, set_by, set_at \
             FROM committee_targets WHERE year = $1",
        )
        .bind(i64::from(year))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(targets_from_row).collect()
    }

    /// Every `transfer_in` recorded in the deployment, oldest first: what
    /// a roll-up nets when both funds are in its subtree. Read through a
    /// partial index, so gifts are never scanned.
    pub async fn transfer_edges(&self) -> Result<Vec<TransferEdge>> {
        let rows = sqlx::query(
            "SELECT fund_code, canonical, packed FROM entries \
             WHERE kind = 'transfer_in' ORDER BY fund_code, seq",
        )
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let to_fund: String = r.try_get("fund_code")?;
            let canonical = super::canonical_from_row(r)?;
            let entry = serde_json::from_str::<serde_json::Value>(&canonical).unwrap_or_default();
            let body = &entry["body"];
            let (Some(from_fund), Some(amount)) = (
                body["counterparty_fund"].as_str(),
                body["amount_vnd"]
                    .as_str()
                    .and_then(|a| a.parse::<i128>().ok()),
            ) else {
                return Err(super::StoreError::Corrupt(format!(
                    "fund {to_fund}: a transfer_in without counterparty or amount"
                )));
            };
            out.push(TransferEdge {
                to_fund,
                from_fund: from_fund.to_owned(),
                amount_vnd: amount,
                recorded_at: entry["recorded_at"].as_str().unwrap_or_default().to_owned(),
            });
        }
        // Oldest first; recorded_at is RFC 3339 in UTC, so its text sorts.
        out.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at));
        Ok(out)
    }
}

fn targets_from_row(r: &sqlx::any::AnyRow) -> Result<Targets> {
    let n = |c: &str| -> Result<u64> { Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
    Ok(Targets {
        committee_code: r.try_get("committee_code")?,
        year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or(0),
        mobilise_vnd: i128::from(r.try_get::<i64, _>("mobilise_vnd")?),
        households: n("households")?,
        houses: n("houses")?,
        set_by: r.try_get("set_by")?,
        set_at: r.try_get("set_at")?,
    })
}
