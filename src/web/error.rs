//! Why a page could not be shown, as a page: handlers return
//! [`PageError`] with `?`. Something asked for that does not exist is a
//! 404 page naming what was asked for, in the reader's language; a fault
//! of the server (the database down, a template failing) is a 500 page
//! whose detail is logged, never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{text, Text};
use crate::service::ServiceError;
use crate::store::StoreError;

/// What was asked for and not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Fund,
    Campaign,
    Receipt,
    /// A path no page answers.
    Page,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Nothing of that kind with that code; the page names the code.
    NotFound {
        t: &'static Text,
        what: Missing,
        code: String,
    },
    /// A fault of the server, logged when rendered.
    Internal(String),
    /// No answer within the request's time limit: 408 when the client had
    /// not sent all of its request (`client`), 503 otherwise.
    TimedOut { t: &'static Text, client: bool },
}

impl PageError {
    pub fn not_found(t: &'static Text, what: Missing, code: &str) -> Self {
        Self::NotFound {
            t,
            what,
            code: code.chars().take(80).collect(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

/// Reads a service answer for a page: a missing thing is that page's 404.
pub trait OrPage<T> {
    fn or_page(self, t: &'static Text, what: Missing, code: &str) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, ServiceError> {
    fn or_page(self, t: &'static Text, what: Missing, code: &str) -> Result<T, PageError> {
        self.map_err(|e| match e {
            ServiceError::NotFound(_) => PageError::not_found(t, what, code),
            other => PageError::internal(other),
        })
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: &'static Text,
    other_lang_href: String,
    heading: String,
    detail: String,
    back: &'static str,
}

fn sentence(t: &Text, what: Missing, code: &str) -> (String, String) {
    let vi = t.lang != "en";
    let heading = if vi {
        "Không tìm thấy"
    } else {
        "Not found"
    };
    let detail = match (what, vi) {
        (Missing::Fund, true) => format!("Không có quỹ nào mang mã “{code}”."),
        (Missing::Fund, false) => format!("There is no fund with the code “{code}”."),
        (Missing::Campaign, true) => {
            format!("Quỹ này không có đợt vận động nào mang mã “{code}”.")
        }
        (Missing::Campaign, false) => {
            format!("This fund has no campaign with the code “{code}”.")
        }
        (Missing::Receipt, _) => format!("{} (“{code}”)", t.not_found),
        (Missing::Page, true) => format!("Không có trang “{code}”."),
        (Missing::Page, false) => format!("There is no page “{code}”."),
    };
    (heading.to_owned(), detail)
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, t, heading, detail) = match self {
            PageError::NotFound { t, what, code } => {
                let (heading, detail) = sentence(t, what, &code);
                (StatusCode::NOT_FOUND, t, heading, detail)
            }
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "a page failed");
                let t = text(&None);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t,
                    "Máy chủ gặp lỗi · The server failed".to_owned(),
                    "Xin thử lại sau ít phút. · Please try again in a few minutes.".to_owned(),
                )
            }
            PageError::TimedOut { t, client } => {
                let vi = t.lang != "en";
                let (status, heading, detail) = match (client, vi) {
                    (true, true) => (
                        StatusCode::REQUEST_TIMEOUT,
                        "Quá thời gian",
                        "Yêu cầu không đến đủ trong thời gian cho phép; chưa có gì được ghi.",
                    ),
                    (true, false) => (
                        StatusCode::REQUEST_TIMEOUT,
                        "Took too long",
                        "The request did not all arrive in time; nothing was recorded.",
                    ),
                    (false, true) => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Quá thời gian",
                        "Máy chủ không trả lời kịp. Xin thử lại sau ít phút.",
                    ),
                    (false, false) => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Took too long",
                        "The server did not answer in time. Please try again in a few minutes.",
                    ),
                };
                (status, t, heading.to_owned(), detail.to_owned())
            }
        };
        let back = if t.lang == "en" {
            "Back to the funds"
        } else {
            "Về danh sách quỹ"
        };
        let page = ErrorPage {
            t,
            other_lang_href: format!("/?lang={}", t.other_lang),
            heading,
            detail,
            back,
        };
        let body = page.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the error page failed to render");
            "<!doctype html><title>Sổ Vàng</title><p>Sổ Vàng</p>".to_owned()
        });
        (status, Html(body)).into_response()
    }
}
