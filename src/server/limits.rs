//! The time limit of a request (`server.request_timeout_s`): from its
//! headers to the head of its answer, reading its body included. Past it
//! the request is dropped and answered 408 when its body had not all
//! arrived (the client was slow), 503 otherwise (the server was): problem
//! details under `/api/`, a page elsewhere.
//!
//! The limit ends with the answer's head: a body streamed after it (the
//! export bundle, the statement of gifts as CSV or XLSX) has no total
//! limit, but the connection's watchdog closes it when no byte of it is
//! written for the same time (see [`super`]).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::error::problem;
use crate::web::PageError;

/// How long a statement's import may take: its upload (up to 64 MiB) and
/// its quarter of a million lines are more than a request's usual limit.
/// The import runs on its own task, so even past this it is finished, and
/// sending the file again answers with its seal.
pub const IMPORT_LIMIT: Duration = Duration::from_secs(3600);

/// Whether a request is a statement's import (`POST
/// /api/v1/funds/{fund}/bank-statements`).
fn is_import(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && path.starts_with("/api/v1/funds/")
        && path.ends_with("/bank-statements")
}

/// Answers within `limit`, or says why not.
pub async fn answer_within(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let arrived = Arc::new(AtomicBool::new(false));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let limit = if is_import(&method, &path) {
        limit.max(IMPORT_LIMIT)
    } else {
        limit
    };
    let query = req.uri().query().unwrap_or_default().to_owned();
    let req = req.map(|inner| {
        if inner.is_end_stream() {
            arrived.store(true, Ordering::Release);
        }
        Body::new(Arrival {
            inner,
            arrived: Arc::clone(&arrived),
        })
    });
    if let Ok(res) = tokio::time::timeout(limit, next.run(req)).await {
        return res;
    }
    let body_arrived = arrived.load(Ordering::Acquire);
    tracing::warn!(%method, %path, limit_s = limit.as_secs(), body_arrived, "request timed out");
    let api = path == "/api" || path.starts_with("/api/");
    let secs = limit.as_secs();
    match (api, body_arrived) {
        (true, false) => problem(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request timeout",
            &format!("the request's body did not all arrive within {secs} s; nothing was recorded"),
            json!({}),
        ),
        (true, true) => {
            let mut res = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "timed-out",
                "No answer in time",
                &format!(
                    "the server did not answer within {secs} s; a write may still be recorded: \
                     retry with the same Idempotency-Key to learn its outcome"
                ),
                json!({}),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            res
        }
        (false, arrived) => {
            let t = crate::web::lang_of_query(&query);
            PageError::TimedOut {
                t,
                client: !arrived,
            }
            .into_response()
        }
    }
}

/// A request's body, noting when it has all arrived.
struct Arrival {
    inner: Body,
    arrived: Arc<AtomicBool>,
}

impl HttpBody for Arrival {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.arrived.store(true, Ordering::Release);
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
