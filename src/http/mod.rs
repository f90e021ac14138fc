//! The HTTP API (SPEC §6): one router, one error type, the extractors every
//! handler shares, and a module per resource.

/// Committees, funds and tokens: the admin's writes.
mod admin;
/// Who is calling: bearer tokens and scope checks.
pub mod auth;
/// Bank intake: accounts, VietQR, statements, review, webhooks.
pub(crate) mod bank;
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
/// Targets and roll-ups up the committee tree.
mod report;
/// The public statement of gifts (sao kê): search and CSV.
pub(crate) mod saoke;
/// The shapes of requests and answers, for the OpenAPI document.
pub mod schema;
/// Sources and uses of a fund for a period.
pub(crate) mod statement;
/// A fund's log as C2SP tiles, beside the API (`/fund/{code}/...`).
pub mod tiles;
/// The committees' witness (tlog-witness), beside the API.
pub mod witness;
/// Statements as spreadsheets.
mod xlsx;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;

use axum::{Json, Router};
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::service::AppState;
use crate::store::writer::IdempotencyKey;
use crate::store::IdempotentResponse;
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

/// The API's routes, mounted under `/api/v1` by [`crate::app::router`].
pub fn api() -> Router<AppState> {
    routes().split_for_parts().0
}

/// The OpenAPI document (3.1) of [`api`], built from the handlers'
/// annotations: every route is in it, since routes are registered only
/// through it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = routes().split_for_parts().1;
    utoipa::Modify::modify(&Conventions, &mut doc);
    doc
}

fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(openapi))
        .merge(admin::router())
        .merge(funds::router())
        .merge(books::router())
        .merge(export::router())
        .merge(saoke::router())
        .merge(statement::router())
        .merge(report::router())
        .merge(receipts::router())
        .merge(bank::router())
        .merge(bank::webhook_router())
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX));
    let batch = funds::batch_router().layer(DefaultBodyLimit::max(BATCH_BODY_BYTES_MAX));
    // A statement is streamed to an encrypted spool, which enforces
    // `intake.statement_bytes_max` itself.
    let statements = bank::streamed_router().layer(DefaultBodyLimit::disable());
    api.merge(batch).merge(statements)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sổ Vàng",
        version = "1",
        description = "Tamper-evident ledger of the Fatherland Front's For the Poor and Relief funds. \
            Entries are RFC 8785 canonical JSON; leaf hash = SHA-256(0x00 ‖ canonical); Merkle tree \
            and proofs per RFC 9162; checkpoints are C2SP signed notes (Ed25519). Amounts are whole \
            đồng written as decimal strings. Every refusal is a problem details answer (RFC 9457)."
    ),
    servers((url = "/api/v1")),
    components(schemas(schema::Problem))
)]
struct ApiDoc;

/// What every operation shares: bearer tokens, and problem details for
/// every answer an operation does not name.
struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let problem = ResponseBuilder::new()
            .description("A refusal or failure, as problem details")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("default".to_owned())
                    .or_insert_with(|| RefOr::T(problem.clone()));
            }
        }
    }
}

#[utoipa::path(get, path = "/health", tag = "service", summary = "Service and database health",
    responses((status = 200, body = schema::Health)))]
async fn health(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            ApiError::Unavailable.into_response()
        }
    }
}

#[utoipa::path(get, path = "/openapi.json", tag = "service", summary = "This document",
    responses((status = 200, body = Object)))]
async fn openapi() -> Response {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let doc = DOCUMENT.get_or_init(|| {
        openapi_document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.as_str(),
    )
        .into_response()
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
    Ok(Some(crate::service::append::idempotency_key(
        actor, key, route, body,
    )))
}

/// A 201 (or replayed) JSON answer.
pub fn created(status: u16, body: &Value, replayed: bool) -> Response {
    created_json(status, body.to_string().into_bytes(), replayed)
}

/// [`created`] with its body already written as JSON text.
pub fn created_json(status: u16, json: Vec<u8>, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    let mut res = (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response();
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
