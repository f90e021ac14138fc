//! Witness state and the logs committees witness (SPEC §12; the table
//! comments in `migrations/*/0015_witnesses.sql`).

use sqlx::Row as _;

use super::{now_text, to_i64, Result, Store, StoreError};
use crate::ledger::merkle::{from_slice, Hash};
use crate::ledger::witness::Cosigned;

/// A log a committee witnesses, and the key its checkpoints are signed
/// with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedLog {
    /// The witnessing committee's code.
    pub witness: String,
    pub origin: String,
    pub vkey: String,
    /// Added by `sovang witness add-log`, not a fund of a child committee.
    pub added: bool,
}

/// What a witness last cosigned for a log, as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedNote {
    pub witness: String,
    pub origin: String,
    pub size: u64,
    pub note: String,
    pub cosignature: String,
}

impl Store {
    /// The committees that witness `origin`: the parent of a fund's
    /// committee in this deployment, and those added with `add-log`.
    pub async fn witnesses_of(&self, origin: &str) -> Result<Vec<WitnessedLog>> {
        let mut out = Vec::new();
        let fund = sqlx::query(
            "SELECT f.verifier_key, c.parent_code FROM funds f \
             JOIN committees c ON c.code = f.committee_code WHERE f.origin = $1",
        )
        .bind(origin)
        .fetch_optional(&self.read)
        .await?;
        if let Some(r) = fund {
            if let Some(parent) = r.try_get::<Option<String>, _>("parent_code")? {
                out.push(WitnessedLog {
                    witness: parent,
                    origin: origin.to_owned(),
                    vkey: r.try_get("verifier_key")?,
                    added: false,
                });
            }
        }
        let added = sqlx::query(
            "SELECT witness, vkey FROM witness_logs WHERE origin = $1 ORDER BY witness",
        )
        .bind(origin)
        .fetch_all(&self.read)
        .await?;
        for r in added {
            let witness: String = r.try_get("witness")?;
            if out.iter().all(|w| w.witness != witness) {
                out.push(WitnessedLog {
                    witness,
                    origin: origin.to_owned(),
                    vkey: r.try_get("vkey")?,
                    added: true,
                });
            }
        }
        Ok(out)
    }

    /// What `witness` last cosigned for `origin`.
    pub async fn cosigned(&self, witness: &str, origin: &str) -> Result<Option<Cosigned>> {
        let row =
            sqlx::query("SELECT size, root FROM witness_state WHERE witness = $1 AND origin = $2")
                .bind(witness)
                .bind(origin)
                .fetch_optional(&self.write)
                .await?;
        row.map(|r| {
            let size: i64 = r.try_get("size")?;
            let root: Vec<u8> = r.try_get("root")?;
            Ok(Cosigned {
                size: u64::try_from(size)
                    .map_err(|_| StoreError::Corrupt("a negative witnessed size".into()))?,
                root: from_slice(&root).ok_or_else(|| {
                    StoreError::Corrupt("a witnessed root is not 32 bytes".into())
                })?,
            })
        })
        .transpose()
    }

    /// Moves `witness`'s record of `origin` from `from` (what the request
    /// was judged against) to (`size`, `root`), if nobody moved it since:
    /// false when another process did, and the request must be judged
    /// again.
    #[allow(clippy::too_many_arguments)]
    pub async fn advance_witness(
        &self,
        witness: &str,
        origin: &str,
        from: Option<&Cosigned>,
        size: u64,
        root: &Hash,
        note: &str,
        cosignature: &str,
    ) -> Result<bool> {
        let done = match from {
            None => {
                sqlx::query(
                    "INSERT INTO witness_state (witness, origin, size, root, note, cosignature, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (witness, origin) DO NOTHING",
                )
                .bind(witness)
                .bind(origin)
                .bind(to_i64(size)?)
                .bind(root.0.to_vec())
                .bind(note)
                .bind(cosignature)
                .bind(now_text())
                .execute(&self.write)
                .await?
            }
            Some(f) => {
                sqlx::query(
                    "UPDATE witness_state SET size = $1, root = $2, note = $3, cosignature = $4, updated_at = $5 \
                     WHERE witness = $6 AND origin = $7 AND size = $8 AND root = $9",
                )
                .bind(to_i64(size)?)
                .bind(root.0.to_vec())
                .bind(note)
                .bind(cosignature)
                .bind(now_text())
                .bind(witness)
                .bind(origin)
                .bind(to_i64(f.size)?)
                .bind(f.root.0.to_vec())
                .execute(&self.write)
                .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Every log's latest cosigned checkpoint, per witness.
    pub async fn cosigned_notes(&self) -> Result<Vec<CosignedNote>> {
        let rows = sqlx::query(
            "SELECT witness, origin, size, note, cosignature FROM witness_state ORDER BY origin, witness",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let size: i64 = r.try_get("size")?;
                Ok(CosignedNote {
                    witness: r.try_get("witness")?,
                    origin: r.try_get("origin")?,
                    size: u64::try_from(size).unwrap_or(0),
                    note: r.try_get("note")?,
                    cosignature: r.try_get("cosignature")?,
                })
            })
            .collect()
    }

    /// Has `witness` witness the log `origin`, signed with `vkey`.
    pub async fn add_witnessed_log(&self, witness: &str, origin: &str, vkey: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO witness_logs (witness, origin, vkey, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (witness, origin) DO UPDATE SET vkey = $3",
        )
        .bind(witness)
        .bind(origin)
        .bind(vkey)
        .bind(now_text())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Stops `witness` witnessing `origin` (added with add-log); false if
    /// it did not. Its record of what it cosigned stays.
    pub async fn remove_witnessed_log(&self, witness: &str, origin: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM witness_logs WHERE witness = $1 AND origin = $2")
            .bind(witness)
            .bind(origin)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The logs added with add-log, by witness then origin.
    pub async fn witnessed_logs(&self) -> Result<Vec<WitnessedLog>> {
        let rows =
            sqlx::query("SELECT witness, origin, vkey FROM witness_logs ORDER BY witness, origin")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(WitnessedLog {
                    witness: r.try_get("witness")?,
                    origin: r.try_get("origin")?,
                    vkey: r.try_get("vkey")?,
                    added: true,
                })
            })
            .collect()
    }
}

/// A fund's latest signed checkpoint and what its witnesses made of the
/// fund so far: what the pusher plans a round from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushWork {
    pub fund: String,
    pub origin: String,
    /// The committees here that witness the fund: its committee's parent
    /// and those that added it with add-log.
    pub local: Vec<String>,
    pub size: u64,
    pub note: String,
    /// The largest size each witness (by name) cosigned.
    pub cosigned: Vec<(String, u64)>,
    /// The witnesses (by name) that refused the checkpoint of `size`.
    pub refused: Vec<String>,
}

/// A witness's refusal of a fund's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessRefusal {
    pub size: u64,
    pub witness: String,
    pub status: u16,
    pub reason: String,
}

impl Store {
    /// Every fund with a signed checkpoint, its latest, and where its
    /// witnesses stand ([`PushWork`]); four queries whatever the number of
    /// funds, each reading a row or a few per fund (not per checkpoint).
    pub async fn push_work(&self) -> Result<Vec<PushWork>> {
        let rows = sqlx::query(
            "SELECT f.code, f.origin, c.parent_code, cp.size, cp.note \
             FROM funds f JOIN committees c ON c.code = f.committee_code \
             JOIN checkpoints cp ON cp.fund_code = f.code \
               AND cp.size = (SELECT MAX(size) FROM checkpoints m WHERE m.fund_code = f.code) \
             ORDER BY f.code",
        )
        .fetch_all(&self.read)
        .await?;
        let mut work = Vec::with_capacity(rows.len());
        let mut at = std::collections::HashMap::new();
        for r in &rows {
            let size: i64 = r.try_get("size")?;
            let fund: String = r.try_get("code")?;
            at.insert(fund.clone(), work.len());
            work.push(PushWork {
                fund,
                origin: r.try_get("origin")?,
                local: r
                    .try_get::<Option<String>, _>("parent_code")?
                    .into_iter()
                    .collect(),
                size: u64::try_from(size).unwrap_or(0),
                note: r.try_get("note")?,
                cosigned: Vec::new(),
                refused: Vec::new(),
            });
        }
        let by_origin: std::collections::HashMap<String, usize> = work
            .iter()
            .enumerate()
            .map(|(i, w)| (w.origin.clone(), i))
            .collect();
        for log in self.witnessed_logs().await? {
            if let Some(&i) = by_origin.get(&log.origin) {
                if !work[i].local.contains(&log.witness) {
                    work[i].local.push(log.witness);
                }
            }
        }
        let cosigned = sqlx::query("SELECT fund_code, witness, size FROM witness_progress")
            .fetch_all(&self.read)
            .await?;
        for r in &cosigned {
            let fund: String = r.try_get("fund_code")?;
            let size: i64 = r.try_get("size")?;
            if let Some(&i) = at.get(&fund) {
                work[i]
                    .cosigned
                    .push((r.try_get("witness")?, u64::try_from(size).unwrap_or(0)));
            }
        }
        let refused = sqlx::query(
            "SELECT r.fund_code, r.size, r.witness FROM funds f JOIN witness_refusals r \
             ON r.fund_code = f.code \
             AND r.size = (SELECT MAX(size) FROM checkpoints m WHERE m.fund_code = f.code)",
        )
        .fetch_all(&self.read)
        .await?;
        for r in &refused {
            let fund: String = r.try_get("fund_code")?;
            let size: i64 = r.try_get("size")?;
            if let Some(&i) = at.get(&fund) {
                if u64::try_from(size).ok() == Some(work[i].size) {
                    work[i].refused.push(r.try_get("witness")?);
                }
            }
        }
        Ok(work)
    }

    /// Keeps a witness's cosignature line of `fund`'s checkpoint of `size`.
    pub async fn add_cosignature(
        &self,
        fund: &str,
        size: u64,
        witness: &str,
        line: &str,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO cosignatures (fund_code, size, witness, line, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (fund_code, size, witness) DO NOTHING",
        )
        .bind(fund)
        .bind(to_i64(size)?)
        .bind(witness)
        .bind(line)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO witness_progress (fund_code, witness, size) VALUES ($1, $2, $3) \
             ON CONFLICT (fund_code, witness) DO UPDATE SET size = \
               CASE WHEN excluded.size > witness_progress.size THEN excluded.size ELSE witness_progress.size END",
        )
        .bind(fund)
        .bind(witness)
        .bind(to_i64(size)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The cosignature lines of `fund`'s checkpoint of `size`, by witness.
    pub async fn cosignatures(&self, fund: &str, size: u64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT witness, line FROM cosignatures WHERE fund_code = $1 AND size = $2 ORDER BY witness",
        )
        .bind(fund)
        .bind(to_i64(size)?)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("witness")?, r.try_get("line")?)))
            .collect()
    }

    /// The cosigned checkpoints of `fund` that hold entry `seq`, largest
    /// first, at most `limit`: size, signed note and cosignature lines.
    pub async fn cosigned_checkpoints(
        &self,
        fund: &str,
        seq: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String, String)>> {
        let rows = sqlx::query(
            "SELECT cp.size, cp.note FROM checkpoints cp WHERE cp.fund_code = $1 AND cp.size > $2 \
             AND EXISTS (SELECT 1 FROM cosignatures c WHERE c.fund_code = cp.fund_code AND c.size = cp.size) \
             ORDER BY cp.size DESC LIMIT $3",
        )
        .bind(fund)
        .bind(to_i64(seq)?)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let size: i64 = r.try_get("size")?;
            let size = u64::try_from(size).unwrap_or(0);
            let lines: String = self
                .cosignatures(fund, size)
                .await?
                .into_iter()
                .map(|(_, l)| l)
                .collect();
            out.push((size, r.try_get("note")?, lines));
        }
        Ok(out)
    }

    /// The cosignature lines of `fund`'s checkpoints of sizes `from` to
    /// `to`, by size then witness.
    pub async fn cosignature_rows(
        &self,
        fund: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, String)>> {
        let rows = sqlx::query(
            "SELECT size, line FROM cosignatures WHERE fund_code = $1 AND size >= $2 AND size <= $3 \
             ORDER BY size, witness",
        )
        .bind(fund)
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let size: i64 = r.try_get("size")?;
                Ok((u64::try_from(size).unwrap_or(0), r.try_get("line")?))
            })
            .collect()
    }

    /// Records a witness's refusal of `fund`'s checkpoint of `size`.
    pub async fn add_witness_refusal(&self, fund: &str, r: &WitnessRefusal) -> Result<()> {
        sqlx::query(
            "INSERT INTO witness_refusals (fund_code, size, witness, status, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fund_code, size, witness) DO NOTHING",
        )
        .bind(fund)
        .bind(to_i64(r.size)?)
        .bind(&r.witness)
        .bind(i32::from(r.status))
        .bind(&r.reason)
        .bind(now_text())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The refusals of `fund`'s checkpoints, oldest first.
    pub async fn witness_refusals(&self, fund: &str) -> Result<Vec<WitnessRefusal>> {
        let rows = sqlx::query(
            "SELECT size, witness, status, reason FROM witness_refusals WHERE fund_code = $1 ORDER BY size, witness",
        )
        .bind(fund)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let size: i64 = r.try_get("size")?;
                let status: i32 = r.try_get("status")?;
                Ok(WitnessRefusal {
                    size: u64::try_from(size).unwrap_or(0),
                    witness: r.try_get("witness")?,
                    status: u16::try_from(status).unwrap_or(0),
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }
}
