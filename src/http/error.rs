//! The one error type of the HTTP edge, answered as RFC 9457 problem
//! details. Database and internal failures are logged here, once, and the
//! client sees only that it may retry.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::ledger::fields::FieldErrors;
use crate::ledger::state::Rejection;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        original: Option<Value>,
    },
    #[error("request body too large")]
    TooLarge(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("{message}")]
    Rule {
        rule: &'static str,
        field: String,
        message: String,
    },
    #[error("store unavailable")]
    Unavailable,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(detail) => ApiError::Conflict {
                detail,
                original: None,
            },
            StoreError::Database(ref d) if is_transient(d) => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Failures a retry may cure: no connection, a busy SQLite file, a
/// PostgreSQL serialization failure or deadlock.
fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            matches!(code.as_ref(), "5" | "6" | "517" | "40001" | "40P01")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

impl From<crate::auth::Denied> for ApiError {
    fn from(e: crate::auth::Denied) -> Self {
        ApiError::Forbidden(e.0)
    }
}

impl From<crate::service::ServiceError> for ApiError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError;
        match e {
            ServiceError::NotFound(what) => ApiError::NotFound(what),
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<crate::service::bank::BankError> for ApiError {
    fn from(e: crate::service::bank::BankError) -> Self {
        use crate::service::bank::BankError as B;
        match e {
            B::BadRequest(m) => ApiError::BadRequest(m),
            B::NotFound(m) => ApiError::NotFound(m),
            B::Conflict(detail) => ApiError::Conflict {
                detail,
                original: None,
            },
            B::Invalid(f) => ApiError::Invalid(f),
            B::Rule {
                rule,
                field,
                message,
            } => ApiError::Rule {
                rule,
                field,
                message,
            },
            B::Denied(m) => ApiError::Forbidden(m),
            B::Unavailable => ApiError::Unavailable,
            B::Internal(m) => ApiError::Internal(m),
            B::Store(e) => e.into(),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Invalid(e) => ApiError::Invalid(e),
            Rejection::Internal(detail) => ApiError::Internal(detail),
            Rejection::Rule {
                rule,
                field,
                message,
            } => ApiError::Rule {
                rule,
                field,
                message,
            },
        }
    }
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(FieldErrors::from(crate::ledger::fields::FieldError::new(
            field, message,
        )))
    }
}

/// A problem details response.
pub fn problem(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: &str,
    extra: Value,
) -> Response {
    let mut body = json!({
        "type": format!("/problems/{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        match self {
            ApiError::BadRequest(d) => problem(
                S::BAD_REQUEST,
                "malformed",
                "Malformed request",
                &d,
                json!({}),
            ),
            ApiError::Unauthorized(d) => {
                let mut r = problem(
                    S::UNAUTHORIZED,
                    "unauthorized",
                    "Authentication required",
                    &d,
                    json!({}),
                );
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden(d) => {
                problem(S::FORBIDDEN, "forbidden", "Not allowed", &d, json!({}))
            }
            ApiError::NotFound(d) => problem(S::NOT_FOUND, "not-found", "Not found", &d, json!({})),
            ApiError::Conflict { detail, original } => {
                let extra = original.map_or(json!({}), |o| json!({ "original": o }));
                problem(S::CONFLICT, "conflict", "Conflict", &detail, extra)
            }
            ApiError::TooLarge(d) => problem(
                S::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
                &d,
                json!({}),
            ),
            ApiError::Invalid(errors) => {
                let detail = errors
                    .0
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                problem(
                    S::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "Invalid input",
                    &detail,
                    json!({ "errors": errors.0 }),
                )
            }
            ApiError::Rule {
                rule,
                field,
                message,
            } => problem(
                S::UNPROCESSABLE_ENTITY,
                &format!("rule/{}", rule.replace('_', "-")),
                "Refused by a rule of the fund",
                &message,
                json!({ "rule": rule, "errors": [{ "field": field, "message": message }] }),
            ),
            ApiError::Unavailable => {
                let mut r = problem(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Store unavailable",
                    "nothing was recorded; retry with the same Idempotency-Key",
                    json!({}),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ApiError::MethodNotAllowed => problem(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this resource does not answer that method",
                json!({}),
            ),
            ApiError::Internal(d) => {
                tracing::error!(error = %d, "internal error");
                problem(
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the error was logged",
                    json!({}),
                )
            }
        }
    }
}
