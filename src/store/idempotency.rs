//! Responses remembered per idempotency key: read before a write, stored
//! in the same transaction as the write they answer.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{
    now_text, placeholders, rows_placeholders, Backend, Result, Store, StoreError, BINDS_MAX,
};

/// A stored response for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub request_sha256: Vec<u8>,
    pub status: u16,
    pub response: String,
}

/// What to remember for an idempotency key once a write succeeds.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    pub scope_key: String,
    pub request_sha256: [u8; 32],
    pub status: u16,
    pub response: String,
}

impl Store {
    // ---- idempotency --------------------------------------------------------

    pub async fn idempotent_response(&self, scope_key: &str) -> Result<Option<IdempotentResponse>> {
        let row = sqlx::query(
            "SELECT request_sha256, status, response FROM idempotency WHERE scope_key = $1",
        )
        .bind(scope_key)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| idempotent_from_row(&r)).transpose()
    }
}

pub(crate) async fn fetch_idempotent(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    keys: &[&str],
) -> Result<HashMap<String, IdempotentResponse>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(BINDS_MAX) {
        let sql = format!(
            "SELECT scope_key, request_sha256, status, response FROM idempotency WHERE scope_key IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.insert(r.try_get("scope_key")?, idempotent_from_row(&r)?);
        }
    }
    Ok(out)
}

pub(crate) async fn insert_idempotency(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    records: &[IdempotencyRecord],
) -> Result<()> {
    let now = now_text();
    for chunk in records.chunks(BINDS_MAX / 5) {
        let sql = format!(
            "INSERT INTO idempotency (scope_key, request_sha256, status, response, created_at) VALUES {}",
            rows_placeholders(backend, 5, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.scope_key.as_str())
                .bind(r.request_sha256.to_vec())
                .bind(i64::from(r.status))
                .bind(r.response.as_str())
                .bind(now.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn idempotent_from_row(r: &AnyRow) -> Result<IdempotentResponse> {
    Ok(IdempotentResponse {
        request_sha256: r.try_get("request_sha256")?,
        status: u16::try_from(r.try_get::<i64, _>("status")?)
            .map_err(|_| StoreError::Corrupt("idempotency status".into()))?,
        response: r.try_get("response")?,
    })
}
