//! Committees, funds and tokens. Lists are public; creating is for admins.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema;
use super::{created, idempotency_key, json_body, replay, AppState};
use crate::auth::{new_token, Caller, ROLES};
use crate::ledger::fields::{FieldErrors, Text, NAME_CHARS_MAX};
use crate::ledger::ids::Code;
use crate::ledger::kinds::{read_input, FundKind};
use crate::ledger::merkle::to_hex;
use crate::store::writer::IdempotencyKey;
use crate::store::{FundInfo, IdempotencyRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(committees, create_committee))
        .routes(routes!(funds, create_fund))
        .routes(routes!(tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(users))
        .routes(routes!(disable_user))
}

#[utoipa::path(get, path = "/committees", tag = "committees", summary = "List committees",
    responses((status = 200, body = schema::Committees)))]
async fn committees(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = s
        .store
        .committees()
        .await?
        .into_iter()
        .map(|c| {
            let key = s
                .witness_key(&c.code)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(
                json!({"code": c.code, "name": c.name, "parent_code": c.parent_code,
                      "witness_key": key.verifier_key()}),
            )
        })
        .collect::<Result<Vec<Value>, ApiError>>()?;
    Ok(Json(json!({ "committees": list })))
}

#[utoipa::path(get, path = "/funds", tag = "funds", summary = "List funds with size and balance",
    responses((status = 200, body = schema::Funds)))]
async fn funds(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = s.store.funds().await?;
    let funds: Vec<Value> = list
        .into_iter()
        .map(|(f, h)| {
            json!({
                "code": f.code, "name": f.name, "kind": f.kind, "committee_code": f.committee_code,
                "size": h.size, "root": to_hex(&h.root), "balance_vnd": h.balance_vnd.to_string(),
                "verifier_key": f.verifier_key,
            })
        })
        .collect();
    Ok(Json(json!({ "funds": funds })))
}

#[utoipa::path(get, path = "/tokens", tag = "access", security(("bearer" = [])),
    summary = "The tokens of the admin's subtree, never a secret (admin)",
    responses((status = 200, body = schema::Tokens)))]
/// The tokens of the caller's subtree, for an admin: who holds which
/// role where, and which are withdrawn. Never a secret.
async fn tokens(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let scope = caller.0.committee_path.clone();
    caller.require_admin(scope.as_deref())?;
    let list = s.store.tokens(scope.as_deref()).await?;
    Ok(Json(json!({ "tokens": list })))
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "access", security(("bearer" = [])),
    summary = "Withdraw a token (admin of its committee's subtree)",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Withdrawn (or already withdrawn)")))]
/// Withdraws a token: from then on it is refused everywhere (on this
/// process at once, on others sharing the database within seconds). The
/// token stays listed, with when it was revoked, and the entries it wrote
/// still name it. Revoking a revoked token changes nothing.
async fn revoke_token(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let Some((token, path)) = s.store.token(&id).await? else {
        return Err(ApiError::NotFound(format!("no token {id:?}")));
    };
    caller.require_admin(path.as_deref())?;
    let by = act(
        &caller,
        "token_revoked",
        &token.id,
        path.as_deref().unwrap_or_default(),
        json!({"role": token.role, "committee_code": token.committee_code}),
    );
    if s.store.revoke_token(&token.id, &by).await? {
        tracing::info!(token = %token.id, role = %token.role, by = %caller.id(), "token revoked");
    }
    s.forget_token(&token.id);
    Ok(axum::response::IntoResponse::into_response(
        axum::http::StatusCode::NO_CONTENT,
    ))
}

/// Checks an Idempotency-Key before an admin write: `Err` carries the
/// replayed (or conflicting) answer.
pub(super) async fn check_key(s: &AppState, key: &Option<IdempotencyKey>) -> Result<(), Response> {
    let Some(k) = key else { return Ok(()) };
    match s.store.idempotent_response(&k.scope_key).await {
        Ok(Some(prior)) => Err(replay(prior, k)),
        Ok(None) => Ok(()),
        Err(e) => Err(axum::response::IntoResponse::into_response(ApiError::from(
            e,
        ))),
    }
}

/// An admin request, read: either new work, or a key that already has its
/// answer (a replay or a 409).
pub(super) enum Begun<T> {
    Fresh(T, Option<IdempotencyKey>),
    Answered(Response),
}

/// Reads an admin request's JSON and Idempotency-Key, answering at once when
/// the key was used before.
pub(super) async fn begin<T: serde::de::DeserializeOwned>(
    s: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    route: &str,
) -> Result<Begun<T>, ApiError> {
    let (bytes, value) = json_body(body)?;
    let key = idempotency_key(headers, caller.id(), route, &bytes)?;
    if let Err(replayed) = check_key(s, &key).await {
        return Ok(Begun::Answered(replayed));
    }
    Ok(Begun::Fresh(read_input(value, "")?, key))
}

/// The committee named by a request's `committee_code`, which the caller
/// must administer.
async fn managed_committee(
    s: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<crate::store::Committee, ApiError> {
    let committee = s
        .store
        .committee(code)
        .await?
        .ok_or_else(|| ApiError::invalid("committee_code", format!("no committee {code:?}")))?;
    caller.require_admin(Some(&committee.path))?;
    Ok(committee)
}

/// After a failed admin write: if a concurrent request with the same key
/// won the race, answer as it did; otherwise the failure stands.
pub(super) async fn lost_race(
    s: &AppState,
    key: &Option<IdempotencyKey>,
    e: crate::store::StoreError,
) -> Result<Response, ApiError> {
    match check_key(s, key).await {
        Err(replayed) => Ok(replayed),
        Ok(()) => Err(e.into()),
    }
}

pub(super) fn record(key: &Option<IdempotencyKey>, response: &Value) -> Option<IdempotencyRecord> {
    key.as_ref().map(|k| IdempotencyRecord {
        scope_key: k.scope_key.clone(),
        request_sha256: k.request_sha256,
        status: 201,
        response: response.to_string(),
    })
}

/// A new committee, under `parent_code` (none for the top).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommitteeInput {
    code: String,
    name: String,
    parent_code: Option<String>,
}

#[utoipa::path(post, path = "/committees", tag = "committees", security(("bearer" = [])),
    summary = "Create a committee (admin)", request_body = CommitteeInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")),
    responses((status = 201, body = schema::CommitteeCreated)))]
async fn create_committee(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (input, key) =
        match begin::<CommitteeInput>(&s, &caller, &headers, body, "POST /committees").await? {
            Begun::Fresh(input, key) => (input, key),
            Begun::Answered(replayed) => return Ok(replayed),
        };
    let mut e = FieldErrors::default();
    let code = e.take(Code::parse(&input.code, "code"));
    let name = e.take(Text::parse_line(&input.name, NAME_CHARS_MAX, "name"));
    if !e.is_empty() {
        return Err(e.into());
    }
    let (Some(code), Some(name)) = (code, name) else {
        return Err(e.into());
    };
    let parent = match &input.parent_code {
        None => None,
        Some(p) => Some(
            s.store
                .committee(p)
                .await?
                .ok_or_else(|| ApiError::invalid("parent_code", format!("no committee {p:?}")))?,
        ),
    };
    caller.require_admin(parent.as_ref().map(|p| p.path.as_str()))?;
    let response =
        json!({"code": code.as_str(), "name": name.as_str(), "parent_code": input.parent_code});
    let created_committee = s
        .store
        .create_committee(
            code.as_str(),
            name.as_str(),
            parent.as_ref(),
            record(&key, &response),
            &act(
                &caller,
                "committee_created",
                code.as_str(),
                "",
                json!({"name": name.as_str(), "parent_code": input.parent_code}),
            ),
        )
        .await;
    let c = match created_committee {
        Ok(c) => c,
        Err(e) => return lost_race(&s, &key, e).await,
    };
    tracing::info!(committee = %c.code, by = %caller.id(), "committee created");
    Ok(created(201, &response, false))
}

/// A new fund of a committee; its name defaults to the kind's and the
/// committee's.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FundInput {
    code: String,
    committee_code: String,
    kind: FundKind,
    name: Option<String>,
}

#[utoipa::path(post, path = "/funds", tag = "funds", security(("bearer" = [])),
    summary = "Open a fund; writes its fund_opened entry (admin)", request_body = FundInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")),
    responses((status = 201, body = schema::FundOpened)))]
async fn create_fund(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (input, key) = match begin::<FundInput>(&s, &caller, &headers, body, "POST /funds").await? {
        Begun::Fresh(input, key) => (input, key),
        Begun::Answered(replayed) => return Ok(replayed),
    };
    let mut e = FieldErrors::default();
    let code = e.take(Code::parse(&input.code, "code"));
    let name = input
        .name
        .as_deref()
        .and_then(|n| e.take(Text::parse_line(n, NAME_CHARS_MAX, "name")));
    if !e.is_empty() {
        return Err(e.into());
    }
    let Some(code) = code else {
        return Err(e.into());
    };
    let committee = managed_committee(&s, &caller, &input.committee_code).await?;
    let default_name = match input.kind {
        FundKind::ForThePoor => format!("Quỹ \"Vì người nghèo\" – {}", committee.name),
        FundKind::Relief => format!("Quỹ Cứu trợ – {}", committee.name),
    };
    let origin = s.settings.origin(code.as_str());
    let log_key = s
        .secret
        .log_key(&origin)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let info = FundInfo {
        code: code.as_str().to_owned(),
        committee_code: committee.code.clone(),
        committee_path: committee.path.clone(),
        kind: input.kind.as_str().to_owned(),
        name: name.map_or(default_name, |n| n.as_str().to_owned()),
        origin,
        verifier_key: log_key.verifier_key().to_owned(),
    };
    let response = |a: &crate::ledger::state::Appended| {
        json!({
            "code": info.code, "name": info.name, "kind": info.kind,
            "committee_code": info.committee_code, "origin": info.origin,
            "verifier_key": info.verifier_key,
            "entry": {"seq": a.seq, "id": a.id, "kind": a.kind.as_str(), "hash": to_hex(&a.hash), "canonical": a.canonical},
        })
    };
    let opened = s
        .store
        .open_fund(
            &info,
            input.kind,
            &committee.name,
            caller.person(),
            &s.secret,
            |a| record(&key, &response(a)),
            &act(
                &caller,
                "fund_opened",
                &info.code,
                &committee.path,
                json!({"kind": info.kind, "committee_code": info.committee_code}),
            ),
        )
        .await;
    let appended = match opened {
        Ok(a) => a,
        Err(e) => return lost_race(&s, &key, e).await,
    };
    tracing::info!(fund = %info.code, by = %caller.id(), "fund opened");
    Ok(created(201, &response(&appended), false))
}

/// A new token for a role in a committee.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    /// One of the roles (SPEC §5).
    #[schema(example = "clerk")]
    role: String,
    committee_code: String,
    /// Its last day of use (`YYYY-MM-DD`, Vietnam), today or later.
    expires_on: Option<String>,
    /// The person it belongs to (SPEC §9); left out, a new person named
    /// `name` is made.
    person_id: Option<String>,
}

/// Creates a token. The secret is shown in this answer only; a replay of
/// the same request answers without it (`"token": null`), since secrets are
/// stored only as hashes.
#[utoipa::path(post, path = "/tokens", tag = "access", security(("bearer" = [])),
    summary = "Create a token; the secret is shown once (admin)", request_body = TokenInput, params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")),
    responses((status = 201, body = schema::TokenCreated)))]
async fn create_token(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (input, key) =
        match begin::<TokenInput>(&s, &caller, &headers, body, "POST /tokens").await? {
            Begun::Fresh(input, key) => (input, key),
            Begun::Answered(replayed) => return Ok(replayed),
        };
    let mut e = FieldErrors::default();
    let name = e.take(Text::parse_line(&input.name, NAME_CHARS_MAX, "name"));
    if !ROLES.contains(&input.role.as_str()) {
        e.push("role", format!("must be one of {}", ROLES.join(", ")));
    }
    let expires_on = input.expires_on.as_deref().and_then(|d| {
        e.take(crate::auth::last_day_of_use(
            d,
            time::OffsetDateTime::now_utc(),
        ))
    });
    if !e.is_empty() {
        return Err(e.into());
    }
    let Some(name) = name else {
        return Err(e.into());
    };
    let committee = managed_committee(&s, &caller, &input.committee_code).await?;
    let (person, new_person) = match input.person_id {
        Some(p) if s.store.person_exists(&p).await? => (p, false),
        Some(p) => {
            return Err(FieldErrors::from(crate::ledger::fields::FieldError::new(
                "person_id",
                format!("there is no person {p:?}; leave it out to make a new person"),
            ))
            .into())
        }
        None => (crate::store::new_person_id(), true),
    };
    let (id, token, hash) = new_token();
    let mut response = json!({
        "id": id, "person_id": person, "name": name.as_str(), "role": input.role,
        "committee_code": committee.code, "expires_on": expires_on, "token": null,
    });
    let made = s
        .store
        .create_token(
            &crate::store::NewToken {
                id: &id,
                name: name.as_str(),
                role: &input.role,
                committee_code: Some(&committee.code),
                secret_sha256: &hash,
                expires_on: expires_on.as_deref(),
                person_id: &person,
                new_person,
            },
            record(&key, &response),
            &act(
                &caller,
                "token_created",
                &id,
                &committee.path,
                json!({"role": input.role, "committee_code": committee.code,
                       "person_id": person, "expires_on": expires_on}),
            ),
        )
        .await;
    if let Err(e) = made {
        return lost_race(&s, &key, e).await;
    }
    tracing::info!(token = %id, role = %input.role, committee = %committee.code, by = %caller.id(), "token created");
    response["token"] = token.into();
    Ok(created(201, &response, false))
}

/// An admin action of `caller`, for the admin log.
pub(super) fn act(
    caller: &Caller,
    action: &'static str,
    target: &str,
    committee_path: &str,
    detail: Value,
) -> crate::store::AdminAction {
    crate::store::AdminAction {
        actor: caller.id().to_owned(),
        person_id: Some(caller.person().to_owned()),
        action,
        target: target.to_owned(),
        committee_path: committee_path.to_owned(),
        detail,
    }
}

#[utoipa::path(get, path = "/users", tag = "access", security(("bearer" = [])),
    summary = "The console users of the admin's subtree, never their passwords (admin)",
    responses((status = 200, body = schema::Users)))]
/// The console users of the admin's subtree (every user for a
/// deployment-wide admin); never their passwords.
async fn users(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin(caller.scope())?;
    let paths: std::collections::HashMap<String, String> = s
        .store
        .committees()
        .await?
        .into_iter()
        .map(|c| (c.code, c.path))
        .collect();
    let list: Vec<_> = s
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| match (caller.scope(), &u.committee_code) {
            (None, _) => true,
            (Some(own), Some(c)) => paths.get(c).is_some_and(|p| p.starts_with(own)),
            (Some(_), None) => false,
        })
        .collect();
    Ok(Json(json!({ "users": list })))
}

#[utoipa::path(post, path = "/users/{username}/disable", tag = "access", security(("bearer" = [])),
    summary = "Disable a user of the admin's subtree; their sessions end (admin)",
    params(("username" = String, Path)),
    responses((status = 204, description = "Disabled (or already disabled)")))]
/// Disables a user of the admin's subtree: they can no longer sign in and
/// their sessions end at once. Disabling a disabled user changes nothing.
async fn disable_user(
    State(s): State<AppState>,
    caller: Caller,
    axum::extract::Path(username): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let known = s
        .store
        .users()
        .await?
        .into_iter()
        .any(|u| u.username == username);
    if !known {
        return Err(ApiError::NotFound(format!("no user {username:?}")));
    }
    let path = s.store.user_committee_path(&username).await?;
    caller.require_admin(path.as_deref())?;
    let by = act(
        &caller,
        "user_disabled",
        &username,
        path.as_deref().unwrap_or_default(),
        json!({}),
    );
    if s.store.disable_user(&username, &by).await? == Some(true) {
        tracing::info!(by = %caller.id(), "user disabled");
    }
    Ok(axum::response::IntoResponse::into_response(
        axum::http::StatusCode::NO_CONTENT,
    ))
}
