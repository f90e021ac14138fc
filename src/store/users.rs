//! People who sign in to the web console, and their sessions.

use sqlx::Row;

use super::{now_text, Principal, Result, Store, StoreError};

/// A user as the sign-in needs it.
#[derive(Debug, Clone)]
pub struct UserLogin {
    pub id: String,
    pub password_hash: String,
}

/// A user as the operator lists them: never the password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub username: String,
    pub name: String,
    pub role: String,
    pub committee_code: Option<String>,
    pub created_at: String,
    /// When they were disabled; none while they may sign in.
    pub disabled_at: Option<String>,
}

/// A signed-in session: who, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub name: String,
    pub csrf: String,
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        id: &str,
        username: &str,
        name: &str,
        role: &str,
        committee_code: Option<&str>,
        password_hash: &str,
        by: &super::AdminAction,
    ) -> Result<()> {
        // A user is a person of its own, under the user's id.
        let mut tx = self.begin_write().await?;
        super::access::insert_person(&mut tx, id, name).await?;
        let done = sqlx::query(
            "INSERT INTO users (id, username, name, role, committee_code, password_hash, created_at, person_id, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $1, $8)",
        )
        .bind(id)
        .bind(username)
        .bind(name)
        .bind(role)
        .bind(committee_code)
        .bind(password_hash)
        .bind(now_text())
        .bind(by.person_id.as_deref())
        .execute(&mut *tx)
        .await;
        match done {
            Ok(_) => {
                super::admin_log::log(&mut tx, by).await?;
                Ok(tx.commit().await?)
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                format!("the username {username:?} is taken"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn user_login(&self, username: &str) -> Result<Option<UserLogin>> {
        let row = sqlx::query(
            "SELECT id, password_hash FROM users WHERE username = $1 AND disabled_at IS NULL",
        )
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(UserLogin {
                id: r.try_get("id")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// Every user: (username, name, role, committee, created, disabled).
    pub async fn users(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query(
            "SELECT username, name, role, committee_code, created_at, disabled_at FROM users \
             ORDER BY created_at, username",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UserInfo {
                    username: r.try_get("username")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    committee_code: r.try_get("committee_code")?,
                    created_at: r.try_get("created_at")?,
                    disabled_at: r.try_get("disabled_at")?,
                })
            })
            .collect()
    }

    /// Disables `username` and ends their sessions, in one transaction.
    /// None when there is no such user; false when disabled already.
    pub async fn disable_user(
        &self,
        username: &str,
        by: &super::AdminAction,
    ) -> Result<Option<bool>> {
        let mut tx = self.begin_write().await?;
        let id: Option<(String, Option<String>)> =
            sqlx::query("SELECT id, disabled_at FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("disabled_at")?)))
                .transpose()?;
        let Some((id, disabled_at)) = id else {
            return Ok(None);
        };
        if disabled_at.is_none() {
            sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(now_text())
                .execute(&mut *tx)
                .await?;
            super::admin_log::log(&mut tx, by).await?;
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(disabled_at.is_none()))
    }

    /// Sets `username`'s password (an Argon2 hash) and ends their
    /// sessions, in one transaction; false when there is no such user.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        by: &super::AdminAction,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, COALESCE(person_id, id) AS person_id FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let id: String = row.try_get("id")?;
        let person: String = row.try_get("person_id")?;
        // A password someone else set was issued by them; one the user
        // set alone is nobody else's.
        let issued_by = by.person_id.as_deref().filter(|p| *p != person);
        sqlx::query("UPDATE users SET password_hash = $2, issued_by = $3 WHERE id = $1")
            .bind(&id)
            .bind(password_hash)
            .bind(issued_by)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        super::admin_log::log(&mut tx, by).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A user's committee path, for the admin log; none for a
    /// deployment-wide admin or no such user.
    pub async fn user_committee_path(&self, username: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT c.path FROM users u LEFT JOIN committees c ON c.code = u.committee_code              WHERE u.username = $1",
        )
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("path"))
            .transpose()?
            .flatten())
    }

    pub async fn create_session(
        &self,
        secret_sha256: &[u8; 32],
        user_id: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (secret_sha256, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(secret_sha256.to_vec())
        .bind(user_id)
        .bind(csrf)
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The session with this secret, if it has not expired.
    pub async fn session(&self, secret_sha256: &[u8; 32]) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.id, COALESCE(u.person_id, u.id) AS person_id, u.name, u.role, u.committee_code, c.path, s.csrf, u.issued_by FROM sessions s \
             JOIN users u ON u.id = s.user_id LEFT JOIN committees c ON c.code = u.committee_code \
             WHERE s.secret_sha256 = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(secret_sha256.to_vec())
        .bind(now_text())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Session {
                principal: Principal {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    role: r.try_get("role")?,
                    committee_code: r.try_get("committee_code")?,
                    committee_path: r.try_get("path")?,
                    expires_on: None,
                    issued_by: r.try_get("issued_by")?,
                },
                name: r.try_get("name")?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, secret_sha256: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE secret_sha256 = $1")
            .bind(secret_sha256.to_vec())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
