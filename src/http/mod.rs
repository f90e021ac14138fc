//! The HTTP API (SPEC §6): one router, one error type, the extractors every
//! handler shares, and a module per resource.

/// Committees, funds and tokens: the admin's writes.
mod admin;
/// Who is calling: bearer tokens and scope checks.
pub mod auth;
/// The fund's books: campaigns, pledges, households, distributions, stock,
/// the inspector's replay and private records.
pub(crate) mod books;
/// Problem details.
pub mod error;
/// The whole ledger of a fund as a bundle, streamed.
mod export;
/// Fund reads and appends: entries, proofs, checkpoints.
mod funds;
/// Receipts a donor checks with no other call.
mod receipts;
/// The public statement of gifts (sao kê): search and CSV.
pub(crate) mod saoke;
/// Sources and uses of a fund for a period.
pub(crate) mod statement;
/// Statements as spreadsheets.
mod xlsx;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use sha2::{Digest, Sha256};

use time::Date;

use crate::config::Settings;
use crate::ledger::checkpoint::MasterSecret;
use crate::store::writer::{IdempotencyKey, Writer};
use crate::store::{FundInfo, IdempotentResponse, Store};
use error::ApiError;

/// Largest request body (SPEC §6).
pub const BODY_BYTES_MAX: usize = 1024 * 1024;
/// Largest batch request body.
pub const BATCH_BODY_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Largest page of entries.
pub const PAGE_MAX: u64 = 1_000;
/// Most entries in one batch.
pub const BATCH_ENTRIES_MAX: usize = 1_000;
/// Longest Idempotency-Key.
pub const IDEMPOTENCY_KEY_LEN_MAX: usize = 128;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub writer: Writer,
    pub secret: MasterSecret,
    pub settings: Arc<Settings>,
    /// Funds by code. A fund never changes once opened, so a cached copy is
    /// never stale.
    funds: Arc<RwLock<HashMap<String, FundInfo>>>,
    /// Token holders by SHA-256 of the secret. Tokens are never changed or
    /// revoked in this version, so a cached holder is never stale; a
    /// revocation feature must clear this map. Bounded by the token count.
    principals: Arc<RwLock<HashMap<[u8; 32], crate::store::Principal>>>,
    /// Each fund's books as folded from its ledger for the read pages,
    /// brought up to date from where they stopped on each read. An
    /// append-only ledger makes that exact: what was folded never
    /// changes. Memory grows with the funds read (the books of one fund
    /// are about what the writer keeps for it).
    folded: Arc<RwLock<HashMap<String, Arc<tokio::sync::Mutex<Folded>>>>>,
    /// Statements already built, by fund and period, with the fund's size
    /// then. One stays good while the fund has not grown, or for good once
    /// its build saw an entry recorded after the period: entries are
    /// recorded in seq order, so none can join an ended period after that.
    /// At most [`STATEMENTS_KEPT`] are kept.
    statements: Arc<std::sync::Mutex<HashMap<StatementKey, KeptStatement>>>,
}

/// A fund and a period.
type StatementKey = (String, Date, Date);

/// How many built statements are kept.
const STATEMENTS_KEPT: usize = 64;

struct KeptStatement {
    size: u64,
    /// An entry recorded after the period was seen: the statement is final.
    sealed: bool,
    statement: Arc<crate::ledger::statement::Statement>,
}

/// A fund's books folded from its first `size` entries.
#[derive(Default)]
pub struct Folded {
    pub size: u64,
    pub book: crate::ledger::book::Book,
}

impl AppState {
    pub fn new(store: Store, writer: Writer, secret: MasterSecret, settings: Settings) -> Self {
        Self {
            store,
            writer,
            secret,
            settings: Arc::new(settings),
            funds: Arc::default(),
            principals: Arc::default(),
            folded: Arc::default(),
            statements: Arc::default(),
        }
    }

    /// The statement of `fund` for `from..=to`, built once and kept while
    /// it stays true (see [`AppState::statements`]).
    pub async fn statement(
        &self,
        fund: &str,
        from: Date,
        to: Date,
    ) -> Result<Arc<crate::ledger::statement::Statement>, ApiError> {
        let size = self.store.fund_head(fund).await?.map_or(0, |h| h.size);
        let key = (fund.to_owned(), from, to);
        if let Ok(kept) = self.statements.lock() {
            if let Some(k) = kept.get(&key) {
                if k.size == size || k.sealed {
                    return Ok(k.statement.clone());
                }
            }
        }
        let (st, sealed) = statement::build_seen(&self.store, fund, from, to).await?;
        let st = Arc::new(st);
        if let Ok(mut kept) = self.statements.lock() {
            if kept.len() >= STATEMENTS_KEPT {
                kept.clear();
            }
            kept.insert(
                key,
                KeptStatement {
                    size,
                    sealed,
                    statement: st.clone(),
                },
            );
        }
        Ok(st)
    }

    /// The books of `fund` folded to its head now: folds only the entries
    /// recorded since the last read.
    pub async fn folded(
        &self,
        fund: &str,
    ) -> Result<tokio::sync::OwnedMutexGuard<Folded>, ApiError> {
        const PAGE: u64 = 5_000;
        let cell = {
            let found = self.folded.read().ok().and_then(|m| m.get(fund).cloned());
            match found {
                Some(c) => c,
                None => {
                    let mut m = self
                        .folded
                        .write()
                        .map_err(|_| ApiError::Internal("folded books: lock poisoned".into()))?;
                    m.entry(fund.to_owned()).or_default().clone()
                }
            }
        };
        let mut f = cell.lock_owned().await;
        loop {
            let page = self.store.entries(fund, f.size, PAGE).await?;
            for e in &page {
                if let Err(err) = crate::ledger::replay::fold(&mut f.book, &e.canonical) {
                    // Start again next time rather than keep half-folded books.
                    *f = Folded::default();
                    return Err(ApiError::Internal(format!(
                        "fund {fund}: the ledger does not replay at seq {}: {err}",
                        e.seq
                    )));
                }
                f.size = e.seq + 1;
            }
            if (page.len() as u64) < PAGE {
                return Ok(f);
            }
        }
    }

    /// The holder of the token whose secret hashes to `hash`, if any.
    pub async fn principal(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<crate::store::Principal>, ApiError> {
        if let Some(p) = self
            .principals
            .read()
            .ok()
            .and_then(|m| m.get(hash).cloned())
        {
            return Ok(Some(p));
        }
        let found = self.store.principal(hash).await?;
        if let (Some(p), Ok(mut m)) = (&found, self.principals.write()) {
            m.insert(*hash, p.clone());
        }
        Ok(found)
    }

    /// The fund named `code`, or 404.
    pub async fn fund(&self, code: &str) -> Result<FundInfo, ApiError> {
        if let Some(f) = self.funds.read().ok().and_then(|m| m.get(code).cloned()) {
            return Ok(f);
        }
        let f = self
            .store
            .fund(code)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no fund {code:?}")))?;
        if let Ok(mut m) = self.funds.write() {
            m.insert(code.to_owned(), f.clone());
        }
        Ok(f)
    }
}

/// The API router.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .merge(admin::router())
        .merge(funds::router())
        .merge(books::router())
        .merge(export::router())
        .merge(saoke::router())
        .merge(statement::router())
        .merge(receipts::router())
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX));
    let batch = funds::batch_router().layer(DefaultBodyLimit::max(BATCH_BODY_BYTES_MAX));
    Router::new()
        .nest("/api/v1", api.merge(batch))
        .merge(crate::web::router())
        .fallback(|| async { ApiError::NotFound("no such resource".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            ApiError::Unavailable.into_response()
        }
    }
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// A `YYYY-MM-DD` date as people read dates here: `dd/mm/yyyy`.
pub fn vn_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// Reads a JSON body: 413 when too large, 400 when not JSON.
pub fn json_body(body: Result<Bytes, BytesRejection>) -> Result<(Bytes, Value), ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(r.body_text())
        } else {
            ApiError::BadRequest(r.body_text())
        }
    })?;
    let value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("body is not valid JSON: {e}")))?;
    Ok((bytes, value))
}

/// Reads the Idempotency-Key header, scoped to `actor`, with the hash of
/// the request it came with.
pub fn idempotency_key(
    headers: &HeaderMap,
    actor: &str,
    route: &str,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| {
            !k.is_empty()
                && k.len() <= IDEMPOTENCY_KEY_LEN_MAX
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1 to 128 visible ASCII characters".into())
        })?;
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(body);
    Ok(Some(IdempotencyKey {
        scope_key: format!("{actor} {key}"),
        request_sha256: h.finalize().into(),
    }))
}

/// A 201 (or replayed) JSON answer.
pub fn created(status: u16, body: &Value, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    let mut res = (status, Json(body)).into_response();
    if replayed {
        res.headers_mut().insert(
            "idempotency-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    res
}

/// Answers a request whose key was seen before: the first response again,
/// or 409 when the body differs.
pub fn replay(prior: IdempotentResponse, key: &IdempotencyKey) -> Response {
    let body: Value = serde_json::from_str(&prior.response).unwrap_or(Value::Null);
    if prior.request_sha256 != key.request_sha256 {
        return ApiError::Conflict {
            detail: "this Idempotency-Key was used with another request".into(),
            original: Some(body),
        }
        .into_response();
    }
    created(prior.status, &body, true)
}
