//! Each fund's totals by day (`fund_days`): saved by the writer with the
//! day's entries, read to build a period's statement, rebuilt from the
//! ledger where they are missing (funds written before the table existed).

use sqlx::{Any, Row, Transaction};

use super::{entries_between, lock_head, Result, Store, StoreError};
use crate::ledger::ids::Code;
use crate::ledger::statement::{DayTotals, DaysBuilder};

fn read(fund: &str, day: &str, totals: &str) -> Result<DayTotals> {
    serde_json::from_str(totals).map_err(|e| {
        StoreError::Corrupt(format!(
            "fund {fund}: the totals of {day} do not read back: {e}"
        ))
    })
}

pub(crate) fn text(day: &DayTotals) -> Result<String> {
    serde_json::to_string(day)
        .map_err(|e| StoreError::Corrupt(format!("the totals of {}: {e}", day.day)))
}

/// The totals of the last day `fund` has, as stored.
pub(crate) async fn last_day(
    tx: &mut Transaction<'static, Any>,
    fund: &str,
) -> Result<Option<DayTotals>> {
    let row = sqlx::query(
        "SELECT day, totals FROM fund_days WHERE fund_code = $1 ORDER BY day DESC LIMIT 1",
    )
    .bind(fund)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        let day: String = r.try_get("day")?;
        let totals: String = r.try_get("totals")?;
        read(fund, &day, &totals)
    })
    .transpose()
}

/// When the entry before `size` of `fund` was recorded.
pub(crate) async fn last_recorded_at(
    tx: &mut Transaction<'static, Any>,
    fund: &str,
    size: u64,
) -> Result<Option<time::OffsetDateTime>> {
    let Some(last) = size.checked_sub(1) else {
        return Ok(None);
    };
    let entry = entries_between(&mut **tx, fund, last, size).await?.pop();
    entry
        .map(|e| {
            #[derive(serde::Deserialize)]
            struct Recorded {
                recorded_at: String,
            }
            let text = serde_json::from_str::<Recorded>(&e.canonical)
                .map_err(|err| StoreError::Corrupt(format!("fund {fund}: entry {last}: {err}")))?
                .recorded_at;
            time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|err| {
                    StoreError::Corrupt(format!(
                        "fund {fund}: entry {last} recorded at {text:?}: {err}"
                    ))
                })
        })
        .transpose()
}

/// A period's days, as a statement needs them.
#[derive(Debug)]
pub struct PeriodDays {
    /// The last day with entries before the period.
    pub before: Option<DayTotals>,
    /// The days of the period with entries, in order.
    pub days: Vec<DayTotals>,
    /// Entries were recorded after the period: its statement is final.
    pub ended: bool,
}

impl Store {
    /// The stored days of `fund` around `from..=to` (`YYYY-MM-DD`).
    pub async fn period_days(&self, fund: &str, from: &str, to: &str) -> Result<PeriodDays> {
        // First whether the period has ended: the days read after are then
        // final, and the whole period (a fund's entries are recorded in
        // seq order, so one dated after the period follows all of it).
        let ended =
            sqlx::query("SELECT 1 AS one FROM fund_days WHERE fund_code = $1 AND day > $2 LIMIT 1")
                .bind(fund)
                .bind(to)
                .fetch_optional(&self.read)
                .await?
                .is_some();
        let before = sqlx::query(
            "SELECT day, totals FROM fund_days WHERE fund_code = $1 AND day < $2 \
             ORDER BY day DESC LIMIT 1",
        )
        .bind(fund)
        .bind(from)
        .fetch_optional(&self.read)
        .await?
        .map(|r| -> Result<DayTotals> {
            read(
                fund,
                &r.try_get::<String, _>("day")?,
                &r.try_get::<String, _>("totals")?,
            )
        })
        .transpose()?;
        let rows = sqlx::query(
            "SELECT day, totals FROM fund_days WHERE fund_code = $1 AND day >= $2 AND day <= $3 \
             ORDER BY day",
        )
        .bind(fund)
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?;
        let days = rows
            .iter()
            .map(|r| {
                read(
                    fund,
                    &r.try_get::<String, _>("day")?,
                    &r.try_get::<String, _>("totals")?,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PeriodDays {
            before,
            days,
            ended,
        })
    }

    /// Every stored day of `fund` as (day, totals text), in order.
    pub async fn stored_days(&self, fund: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT day, totals FROM fund_days WHERE fund_code = $1 ORDER BY day")
                .bind(fund)
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("totals")?)))
            .collect()
    }

    /// Rebuilds the days of every fund that has entries and no stored
    /// day (written before `fund_days` existed), each under its head's
    /// lock. Returns how many funds it did.
    pub async fn fill_missing_days(&self) -> Result<u64> {
        let funds: Vec<String> = sqlx::query(
            "SELECT h.fund_code FROM fund_heads h WHERE h.size > 0 AND NOT EXISTS \
             (SELECT 1 FROM fund_days d WHERE d.fund_code = h.fund_code) ORDER BY h.fund_code",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get("fund_code"))
        .collect::<std::result::Result<_, _>>()?;
        let mut done = 0;
        for fund in funds {
            let code = Code::parse(&fund, "fund")
                .map_err(|e| StoreError::Corrupt(format!("fund head {fund}: {}", e.message)))?;
            let mut tx = self.begin_write().await?;
            let Some(head) = lock_head(&mut tx, self.backend, &code).await? else {
                continue;
            };
            let size = head.frontier.size();
            let mut days = DaysBuilder::default();
            let mut from = 0;
            while from < size {
                let to = size.min(from + super::REPLAY_PAGE);
                for e in entries_between(&mut *tx, &fund, from, to).await? {
                    days.push(&e.canonical)
                        .map_err(|err| StoreError::Corrupt(format!("fund {fund}: {err}")))?;
                }
                from = to;
            }
            // Every day's totals go in one text on SQLite.
            let mut script = super::Script::new(self.backend);
            for day in days.finish() {
                script.day(&fund, &day)?;
            }
            script.send(&mut tx).await?;
            tx.commit().await?;
            tracing::info!(fund, "rebuilt the fund's totals by day from its ledger");
            done += 1;
        }
        Ok(done)
    }
}
