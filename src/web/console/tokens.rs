//! Tokens, for admins: the tokens of their subtree (never a secret), and
//! revoking one, which takes effect at once here and within seconds on
//! every process sharing the database, and is written to the admin log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;

use super::session::{forged_form, Staff};
use crate::service::AppState;
use crate::store::TokenInfo;
use crate::web::{html, other_lang, page_error, Text};

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    t: &'static Text,
    other_lang_href: String,
    csrf: String,
    tokens: Vec<TokenInfo>,
    message: Option<String>,
}

fn not_admin() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html("<!doctype html><p>Sổ Vàng: only an admin manages tokens.</p>"),
    )
        .into_response()
}

pub(super) async fn tokens(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if staff.caller.require_admin(staff.caller.scope()).is_err() {
        return not_admin();
    }
    let tokens = match s.store.tokens(staff.caller.scope()).await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    let t = staff.t;
    let message = q
        .iter()
        .find(|(k, _)| k == "revoked")
        .map(|(_, v)| format!("{} {v}", t.pick("Đã thu hồi:", "Revoked:")));
    let page = TokensPage {
        t,
        other_lang_href: other_lang(t, "/console/tokens", &q),
        csrf: staff.csrf.clone(),
        tokens,
        message,
    };
    html(page).into_response()
}

/// Revokes the token named in the form, if it is in the admin's subtree.
pub(super) async fn revoke(
    State(s): State<AppState>,
    staff: Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&form) {
        return forged_form();
    }
    if staff.caller.require_admin(staff.caller.scope()).is_err() {
        return not_admin();
    }
    let id = form.get("id").map(String::as_str).unwrap_or_default();
    let (token, path) = match s.store.token(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return crate::web::not_found(staff.t),
        Err(e) => return page_error(e),
    };
    if staff.caller.require_admin(path.as_deref()).is_err() {
        return not_admin();
    }
    let by = crate::store::AdminAction {
        actor: staff.caller.id().to_owned(),
        person_id: Some(staff.caller.person().to_owned()),
        action: "token_revoked",
        target: token.id.clone(),
        committee_path: path.unwrap_or_default(),
        detail: serde_json::json!({"role": token.role, "committee_code": token.committee_code}),
    };
    match s.store.revoke_token(&token.id, &by).await {
        Ok(_) => {
            s.forget_token(&token.id);
            tracing::info!(token = %token.id, by = %staff.caller.id(), "token revoked in the console");
            Redirect::to(&format!(
                "/console/tokens?lang={}&revoked={}",
                staff.t.lang,
                crate::web::urlencode(&token.id)
            ))
            .into_response()
        }
        Err(e) => page_error(e),
    }
}
