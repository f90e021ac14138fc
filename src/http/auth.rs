//! The bearer token of an API request, read into a [`Caller`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::auth::{token_hash, Caller, TOKEN_PREFIX};

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() < 100)
            .ok_or_else(|| ApiError::Unauthorized("the bearer token is malformed".into()))?;
        let principal = state
            .principal(&token_hash(token))
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the bearer token is not valid".into()))?;
        Ok(Caller(principal))
    }
}
