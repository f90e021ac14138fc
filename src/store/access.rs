//! API tokens and the principals they name: creating a token, finding
//! the holder of a secret, counting tokens. People who sign in to the
//! console are in `users`.

use sqlx::Row;

use super::{insert_idempotency, now_text, IdempotencyRecord, Result, Store};

/// The holder of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub role: String,
    /// None for a deployment-wide admin.
    pub committee_code: Option<String>,
    pub committee_path: Option<String>,
}

impl Store {
    // ---- tokens -------------------------------------------------------------

    pub async fn create_token(
        &self,
        id: &str,
        name: &str,
        role: &str,
        committee_code: Option<&str>,
        secret_sha256: &[u8; 32],
        idem: Option<IdempotencyRecord>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (id, name, role, committee_code, secret_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(name)
        .bind(role)
        .bind(committee_code.map(str::to_owned))
        .bind(secret_sha256.to_vec())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn principal(&self, secret_sha256: &[u8; 32]) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT t.id, t.role, t.committee_code, c.path FROM tokens t \
             LEFT JOIN committees c ON c.code = t.committee_code WHERE t.secret_sha256 = $1",
        )
        .bind(secret_sha256.to_vec())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Principal {
                id: r.try_get("id")?,
                role: r.try_get("role")?,
                committee_code: r.try_get("committee_code")?,
                committee_path: r.try_get("path")?,
            })
        })
        .transpose()
    }

    pub async fn token_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tokens")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }
}
