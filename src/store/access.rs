//! API tokens and the principals they name: creating a token, finding
//! the holder of a secret, counting tokens. People who sign in to the
//! console are in `users`.

use sqlx::Row;

use super::{insert_idempotency, now_text, IdempotencyRecord, Result, Store};

/// The holder of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's or user's own id.
    pub id: String,
    /// The person behind it (SPEC §9): what entries name as their actor.
    pub person_id: String,
    pub role: String,
    /// None for a deployment-wide admin.
    pub committee_code: Option<String>,
    pub committee_path: Option<String>,
    /// A token's last day of use (`YYYY-MM-DD`, Vietnam); none for users
    /// and for tokens that do not expire.
    pub expires_on: Option<String>,
    /// The person of the admin who issued the credential (made the token,
    /// or made the user or last set their password); none when it came
    /// from the command line or the user set their own password. An
    /// outflow is not approved with a credential its recorder issued.
    pub issued_by: Option<String>,
}

impl Principal {
    /// Still usable on `today` (`YYYY-MM-DD`, Vietnam).
    pub fn valid_on(&self, today: &str) -> bool {
        self.expires_on.as_deref().is_none_or(|last| last >= today)
    }
}

/// A token to store: its secret only as a hash.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    /// None for a deployment-wide admin.
    pub committee_code: Option<&'a str>,
    pub secret_sha256: &'a [u8; 32],
    /// Its last day of use, `YYYY-MM-DD`.
    pub expires_on: Option<&'a str>,
    /// The person it belongs to (see [`new_person_id`]).
    pub person_id: &'a str,
    /// Store the person too, named as the token: it is new.
    pub new_person: bool,
}

/// A token as an admin sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    /// The person it belongs to.
    pub person_id: String,
    pub name: String,
    pub role: String,
    pub committee_code: Option<String>,
    pub created_at: String,
    /// Its last day of use, if it has one.
    pub expires_on: Option<String>,
    /// When it was withdrawn; none while it is in use.
    pub revoked_at: Option<String>,
}

impl Store {
    // ---- tokens -------------------------------------------------------------

    /// Stores a token, and its person when that is new.
    pub async fn create_token(
        &self,
        t: &NewToken<'_>,
        idem: Option<IdempotencyRecord>,
        by: &super::AdminAction,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if t.new_person {
            insert_person(&mut tx, t.person_id, t.name).await?;
        }
        sqlx::query(
            "INSERT INTO tokens (id, name, role, committee_code, secret_sha256, created_at, expires_on, person_id, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(t.id)
        .bind(t.name)
        .bind(t.role)
        .bind(t.committee_code.map(str::to_owned))
        .bind(t.secret_sha256.to_vec())
        .bind(now_text())
        .bind(t.expires_on.map(str::to_owned))
        .bind(t.person_id)
        .bind(by.person_id.as_deref())
        .execute(&mut *tx)
        .await?;
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        super::admin_log::log(&mut tx, by).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn principal(&self, secret_sha256: &[u8; 32]) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT t.id, COALESCE(t.person_id, t.id) AS person_id, t.role, t.committee_code, c.path, t.expires_on, t.issued_by FROM tokens t \
             LEFT JOIN committees c ON c.code = t.committee_code \
             WHERE t.secret_sha256 = $1 AND t.revoked_at IS NULL",
        )
        .bind(secret_sha256.to_vec())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Principal {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                role: r.try_get("role")?,
                committee_code: r.try_get("committee_code")?,
                committee_path: r.try_get("path")?,
                expires_on: r.try_get("expires_on")?,
                issued_by: r.try_get("issued_by")?,
            })
        })
        .transpose()
    }

    /// The tokens of the committees under `path` (every token for `None`),
    /// oldest first; never their secrets.
    pub async fn tokens(&self, path: Option<&str>) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT t.id, COALESCE(t.person_id, t.id) AS person_id, t.name, t.role, t.committee_code, t.created_at, t.expires_on, t.revoked_at FROM tokens t \
             LEFT JOIN committees c ON c.code = t.committee_code \
             WHERE $1 = '' OR c.path LIKE $1 || '%' ORDER BY t.created_at, t.id",
        )
        .bind(path.unwrap_or_default())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    committee_code: r.try_get("committee_code")?,
                    created_at: r.try_get("created_at")?,
                    expires_on: r.try_get("expires_on")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// The token `id` with its committee's path, if it exists.
    pub async fn token(&self, id: &str) -> Result<Option<(TokenInfo, Option<String>)>> {
        let row = sqlx::query(
            "SELECT t.id, COALESCE(t.person_id, t.id) AS person_id, t.name, t.role, t.committee_code, t.created_at, t.expires_on, t.revoked_at, c.path \
             FROM tokens t LEFT JOIN committees c ON c.code = t.committee_code WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok((
                TokenInfo {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    committee_code: r.try_get("committee_code")?,
                    created_at: r.try_get("created_at")?,
                    expires_on: r.try_get("expires_on")?,
                    revoked_at: r.try_get("revoked_at")?,
                },
                r.try_get("path")?,
            ))
        })
        .transpose()
    }

    /// Withdraws token `id`; true when it was in use until now. A token
    /// revoked already stays as it was.
    pub async fn revoke_token(&self, id: &str, by: &super::AdminAction) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now_text())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 1 {
            super::admin_log::log(&mut tx, by).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a person with this id exists.
    pub async fn person_exists(&self, id: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT id FROM persons WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .is_some())
    }

    pub async fn token_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tokens")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }
}

/// A new person's id: `pe-` and 16 hex digits.
pub fn new_person_id() -> String {
    use rand::RngCore;
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    format!("pe-{}", hex::encode(id))
}

/// Stores a person in the transaction `tx`.
pub(crate) async fn insert_person(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    name: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO persons (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now_text())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
