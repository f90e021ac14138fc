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
