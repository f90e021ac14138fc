//! The admin log (SPEC §9): every admin action (committee, fund, token,
//! user) appended in the transaction that does it, never changed (the
//! database refuses updates and deletes), read by inspectors and admins
//! of the scope (`GET /audit/admin-log`).

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use super::{now_text, Result, Store};

/// Who did what to which object, for the log.
#[derive(Debug, Clone)]
pub struct AdminAction {
    /// The token or user that acted; `cli` for the command line, `server`
    /// for what the server does on its own (the first admin token).
    pub actor: String,
    pub person_id: Option<String>,
    /// `committee_created`, `fund_opened`, `token_created`, `token_revoked`,
    /// `user_created`, `user_disabled`, `user_password_changed`.
    pub action: &'static str,
    /// The committee code, fund code, token id or username acted on.
    pub target: String,
    /// The path of the committee it concerns; empty for the deployment.
    pub committee_path: String,
    /// What else the action set (a role, a committee, an expiry); never a
    /// secret or a password.
    pub detail: Value,
}

impl AdminAction {
    /// An action from the command line.
    pub fn cli(action: &'static str, target: &str, committee_path: &str, detail: Value) -> Self {
        Self {
            actor: "cli".into(),
            person_id: None,
            action,
            target: target.to_owned(),
            committee_path: committee_path.to_owned(),
            detail,
        }
    }
}

/// A line of the admin log as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdminLogLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub person_id: Option<String>,
    pub action: String,
    pub target: String,
    pub committee_path: String,
    pub detail: Value,
}

/// Appends `a` in `tx`.
pub(crate) async fn log(tx: &mut Transaction<'static, Any>, a: &AdminAction) -> Result<()> {
    sqlx::query(
        "INSERT INTO admin_log (at, actor, person_id, action, target, committee_path, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_text())
    .bind(a.actor.as_str())
    .bind(a.person_id.as_deref())
    .bind(a.action)
    .bind(a.target.as_str())
    .bind(a.committee_path.as_str())
    .bind(a.detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Lines of the admin log after `after` (an id), oldest first, at most
    /// `limit`: those of committees under `path`, and for `None` (the
    /// deployment's admins) every line.
    pub async fn admin_log(
        &self,
        path: Option<&str>,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AdminLogLine>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, person_id, action, target, committee_path, detail FROM admin_log \
             WHERE id > $1 AND ($2 = '' OR (committee_path <> '' AND committee_path LIKE $2 || '%')) \
             ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(path.unwrap_or_default())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AdminLogLine {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    person_id: r.try_get("person_id")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    committee_path: r.try_get("committee_path")?,
                    detail: serde_json::from_str(&detail).unwrap_or(Value::String(detail)),
                })
            })
            .collect()
    }
}
