//! The committees' witness (SPEC §12, C2SP tlog-witness v1.0.0), beside
//! the API:
//!
//! - `POST /witness/add-checkpoint`: every committee of this deployment
//!   that witnesses the checkpoint's log judges the request against what
//!   it last cosigned, and each that accepts answers a cosignature line.
//!   A refused request changes nothing; a request two processes race on
//!   is cosigned by one, and the other is judged again against the new
//!   state (so never two roots at one size).
//! - `GET /witness/{hex SHA-256 of origin}/checkpoint`: the latest
//!   checkpoint cosigned for that log, with the log's signature and the
//!   witnesses'.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sha2::{Digest as _, Sha256};

use super::error::ApiError;
use super::AppState;
use crate::ledger::witness::{parse_request, Refusal, SIZE_CONTENT_TYPE};
use crate::service::witness::{add_checkpoint as add, Answer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/witness/add-checkpoint", post(add_checkpoint))
        .route("/witness/{log}/checkpoint", get(latest))
}

/// Largest request: 63 proof lines and a checkpoint with its signatures.
const BODY_BYTES_MAX: usize = 64 * 1024;

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn refused(r: &Refusal) -> Response {
    match r {
        Refusal::Conflict(size) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)],
            format!("{size}\n"),
        )
            .into_response(),
        Refusal::BadRequest(m) => text(StatusCode::BAD_REQUEST, format!("{m}\n")),
        Refusal::Forbidden(m) => text(StatusCode::FORBIDDEN, format!("{m}\n")),
        Refusal::Unprocessable(m) => text(StatusCode::UNPROCESSABLE_ENTITY, format!("{m}\n")),
    }
}

async fn add_checkpoint(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    if body.len() > BODY_BYTES_MAX {
        return Ok(text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is too long\n".into(),
        ));
    }
    let Some(req) = std::str::from_utf8(&body).ok().and_then(parse_request) else {
        return Ok(refused(&Refusal::BadRequest(
            "the body is not `old <N>`, proof lines, an empty line and a checkpoint".into(),
        )));
    };
    Ok(match add(&s, &req).await? {
        Answer::Cosigned(lines) => text(StatusCode::OK, lines),
        Answer::Refused(r) => refused(&r),
        Answer::UnknownLog => text(
            StatusCode::NOT_FOUND,
            "no committee here witnesses this log\n".into(),
        ),
        Answer::Busy => return Err(ApiError::Unavailable),
    })
}

async fn latest(State(s): State<AppState>, Path(log): Path<String>) -> Result<Response, ApiError> {
    let notes = s.store.cosigned_notes().await?;
    let of_log: Vec<_> = notes
        .into_iter()
        .filter(|n| hex::encode(Sha256::digest(n.origin.as_bytes())) == log.to_ascii_lowercase())
        .collect();
    let Some(size) = of_log.iter().map(|n| n.size).max() else {
        return Err(ApiError::NotFound(
            "this witness has cosigned no checkpoint of that log".into(),
        ));
    };
    let at_size: Vec<_> = of_log.iter().filter(|n| n.size == size).collect();
    let mut body = at_size[0].note.clone();
    for n in &at_size {
        body.push_str(&n.cosignature);
    }
    Ok(text(StatusCode::OK, body))
}
