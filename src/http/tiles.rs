//! A fund's log as C2SP tlog-tiles (SPEC §12), under `/fund/{code}/`: the
//! prefix whose scheme-less form is the fund's checkpoint origin when
//! `ledger.origin_prefix` names the public host.
//!
//! - `checkpoint`: the latest signed checkpoint; `Cache-Control: no-cache`.
//! - `tile/<L>/<N>[.p/<W>]`: hash tiles; `tile/entries/<N>[.p/<W>]`: entry
//!   bundles. Only what the latest checkpoint's tree holds is served, and
//!   what is served never changes (a partial tile of width W is the same
//!   bytes forever), so every tile is `immutable`.
//!
//! Everything here is public and read by monitors from other sites, so
//! any origin may read it.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::AppState;
use crate::ledger::tiles::TileRef;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fund/{fund}/checkpoint", get(checkpoint))
        .route("/fund/{fund}/tile/{*path}", get(tile))
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The latest signed checkpoint, with its cosignatures when `cosigned`
/// (a tile needs only its size).
async fn latest(s: &AppState, fund: &str, cosigned: bool) -> Result<(u64, String), ApiError> {
    s.fund(fund).await?;
    let latest = if cosigned {
        crate::service::witness::latest_checkpoint(&s.store, fund).await?
    } else {
        s.store.latest_checkpoint(fund).await?
    };
    latest.ok_or_else(|| ApiError::Internal(format!("fund {fund} has no checkpoint")))
}

async fn checkpoint(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Response, ApiError> {
    let (_, note) = latest(&s, &fund, true).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        note,
    )
        .into_response())
}

async fn tile(
    State(s): State<AppState>,
    Path((fund, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("fund {fund} has no tile/{path}"));
    let tile = TileRef::parse(&format!("tile/{path}")).ok_or_else(not_found)?;
    let (size, _) = latest(&s, &fund, false).await?;
    let bytes = crate::service::tiles::read(&s.store, &fund, tile, size)
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        bytes,
    )
        .into_response())
}
