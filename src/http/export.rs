//! `GET /funds/{fund}/export`: the whole ledger of a fund as an NDJSON
//! bundle, streamed a page at a time (see [`crate::ledger::bundle`]).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::AppState;
use crate::store::export::Exporter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

#[utoipa::path(get, path = "/funds/{fund}/export", tag = "entries", params(super::schema::FundPath),
    summary = "The whole ledger as an NDJSON bundle (header, entries, checkpoints); check it with sovang verify --bundle",
    responses((status = 200, body = String, content_type = "application/x-ndjson")))]
async fn export(State(s): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let fund = s.fund(&code).await?;
    let exporter = Exporter::start(&s.store, &fund.code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no fund {code:?}")))?;
    tracing::info!(fund = %fund.code, size = exporter.size(), "export started");
    // A failure midway ends the stream early; the bundle is then missing
    // its last checkpoint, which `sovang verify --bundle` reports.
    let stream = futures_util::stream::unfold(Some(exporter), |state| async move {
        let mut exporter = state?;
        match exporter.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(exporter))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "export failed midway");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    let filename = format!("attachment; filename=\"{}.ndjson\"", fund.code);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
