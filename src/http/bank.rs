//! Bank intake over HTTP (SPEC §10): the fund's receiving accounts, VietQR
//! payloads, statement imports, the review queue and the providers'
//! webhooks.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema::{self, FundPath};
use super::{json_body, AppState};
use crate::auth::Caller;
use crate::intake::import::{self, ImportError, Taken};
use crate::intake::spool::{SpoolError, SpoolWriter};
use crate::intake::webhook::{self, WebhookError};
use crate::ledger::ids::Code;
use crate::ledger::kinds::bank::BankAccountOpened;
use crate::ledger::kinds::{read_input, Body as EntryBody, EntryKind};
use crate::ledger::state::Draft;
use crate::service::bank::{decide_line, fund_accounts, fund_statements, settle_line, vietqr_for};
use crate::store::bank::LineStatus;
use crate::store::Reader;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accounts, open_account))
        .routes(routes!(qr))
        .routes(routes!(lines))
        .routes(routes!(settle))
        .routes(routes!(decide))
}

/// Routes whose bodies are read as a stream, with their own limit.
pub fn streamed_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(statements, import_statement))
}

/// The webhooks, outside `/api/v1` auth: each provider authenticates.
pub fn webhook_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sepay))
        .routes(routes!(casso))
}

#[utoipa::path(get, path = "/funds/{fund}/bank-accounts", tag = "bank", params(FundPath),
    summary = "The fund's receiving accounts, public as committees publish them",
    responses((status = 200, body = schema::BankAccounts)))]
async fn accounts(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&fund).await?;
    Ok(Json(json!({ "accounts": fund_accounts(&s, &fund).await? })))
}

#[utoipa::path(post, path = "/funds/{fund}/bank-accounts", tag = "bank", security(("bearer" = [])),
    params(FundPath), request_body = schema::BankAccountInput,
    summary = "Add a receiving account (admin): writes bank_account_opened",
    responses((status = 201, body = crate::store::writer::WrittenEntry)))]
async fn open_account(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_admin(Some(&info.committee_path))?;
    let (_, value) = json_body(body)?;
    crate::ledger::public_text::check(EntryKind::BankAccountOpened, &value)?;
    let body: BankAccountOpened = read_input(value, "body")?;
    let code = Code::parse(&fund, "fund").map_err(|e| ApiError::NotFound(e.message))?;
    let draft = Draft {
        body: EntryBody::BankAccountOpened(body),
        private: None,
        bank_line: None,
    };
    let outcome = s
        .writer
        .submit(code, caller.person().to_owned(), vec![draft], false, None)
        .await
        .map_err(|e| ApiError::from(crate::service::bank::job_error(e)))?;
    Ok(super::created_json(201, outcome.to_bytes(), false))
}

#[utoipa::path(get, path = "/funds/{fund}/vietqr", tag = "bank",
    params(FundPath,
        ("account" = Option<String>, Query, description = "The receiving account; the fund's first by default"),
        ("campaign" = Option<String>, Query, description = "A campaign's id"),
        ("pledge" = Option<String>, Query, description = "A pledge's id"),
        ("amount_vnd" = Option<String>, Query, description = "Whole đồng")),
    summary = "A VietQR payload for a transfer to the fund, a campaign or a pledge",
    responses((status = 200, body = schema::VietQr)))]
async fn qr(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(vietqr_for(&s, &fund, &q).await?))
}

#[utoipa::path(get, path = "/funds/{fund}/bank-statements", tag = "bank", params(FundPath),
    summary = "The fund's sealed bank statements, each beside the gifts its credits are",
    responses((status = 200, body = schema::BankStatements)))]
async fn statements(
    State(s): State<AppState>,
    Path(fund): Path<String>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&fund).await?;
    let list = fund_statements(&s, &fund).await?;
    Ok(Json(json!({ "statements": list })))
}

/// An import's failure as problem details.
pub fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Statement(e) => ApiError::Rule {
            rule: "statement_invalid",
            field: "body".into(),
            message: format!("{e}; nothing was recorded"),
        },
        ImportError::WrongAccount { .. } => ApiError::Rule {
            rule: "wrong_account",
            field: "account".into(),
            message: format!("{e}; nothing was recorded"),
        },
        ImportError::UnknownAccount(_) => ApiError::Rule {
            rule: "unknown_account",
            field: "account".into(),
            message: e.to_string(),
        },
        ImportError::Incomplete(m) => ApiError::Rule {
            rule: "statement_invalid",
            field: "body".into(),
            message: format!("{m}; nothing was recorded"),
        },
        ImportError::Sealing(m) => ApiError::Rule {
            rule: "seal_refused",
            field: "body".into(),
            message: m,
        },
        ImportError::Unavailable => ApiError::Unavailable,
        ImportError::Store(e) => e.into(),
        ImportError::Internal(m) => ApiError::Internal(m),
    }
}

#[utoipa::path(post, path = "/funds/{fund}/bank-statements", tag = "bank", security(("bearer" = [])),
    params(FundPath, ("account" = String, Query, description = "The receiving account the statement is of")),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The bank's file as downloaded: Vietcombank, BIDV, VietinBank, MB or Agribank layouts, camt.053, or the generic CSV"),
    summary = "Take a bank statement in (clerk): checked whole, recorded a thousand lines per commit, sealed",
    responses((status = 201, description = "Taken in", body = schema::Imported),
        (status = 200, description = "Nothing in it was new", body = schema::Imported)))]
async fn import_statement(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_append(&info, &[EntryKind::DonationCash])?;
    if let Some(k) = q.keys().find(|k| k.as_str() != "account") {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; the one parameter is account"
        )));
    }
    let account = q
        .get("account")
        .ok_or_else(|| {
            ApiError::invalid(
                "account",
                "is required: the receiving account the statement is of",
            )
        })?
        .clone();
    let max = s.settings.intake.statement_bytes_max;
    let mut spool =
        SpoolWriter::new(max).map_err(|e| ApiError::Internal(format!("the spool: {e}")))?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::BadRequest(format!("the body did not arrive whole: {e}")))?;
        spool.write(&chunk).map_err(|e| match e {
            SpoolError::TooLarge { max } => ApiError::TooLarge(format!(
                "a statement file may be at most {max} bytes (intake.statement_bytes_max); nothing was recorded"
            )),
            SpoolError::Io(e) => ApiError::Internal(format!("the spool: {e}")),
        })?;
    }
    let spool = spool
        .finish()
        .map_err(|e| ApiError::Internal(format!("the spool: {e}")))?;
    let lock = s.intake_lock(&fund, &account);
    let Ok(guard) = lock.try_lock_owned() else {
        return Err(ApiError::Conflict {
            detail: format!(
                "a statement of account {account} is being taken in; try again when it is done"
            ),
            original: None,
        });
    };
    // The import runs on its own task: a client that goes away does not
    // stop it halfway.
    let person = caller.person().to_owned();
    let task_state = s.clone();
    let task = tokio::spawn(async move {
        let _guard = guard;
        import::import(&task_state, &fund, &account, &person, spool, &|_, _| {}).await
    });
    let answer = task
        .await
        .map_err(|e| ApiError::Internal(format!("the import: {e}")))?
        .map_err(import_error)?;
    let status = if answer.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)).into_response())
}

#[utoipa::path(get, path = "/funds/{fund}/bank-lines", tag = "bank", security(("bearer" = [])),
    params(FundPath,
        ("status" = Option<String>, Query, description = "review, gift, not_gift, withdrawal or outflow"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000),
        ("offset" = Option<u64>, Query)),
    summary = "Bank lines with their narratives (clerks of the fund's committee, inspectors above it); every read is logged",
    responses((status = 200, body = schema::BankLines)))]
async fn lines(
    State(s): State<AppState>,
    Path(fund): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let info = s.fund(&fund).await?;
    caller.require_private(&info)?;
    if let Some(k) = q
        .keys()
        .find(|k| !["status", "limit", "offset"].contains(&k.as_str()))
    {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter {k:?}; parameters are status, limit, offset"
        )));
    }
    let status = q
        .get("status")
        .map(|st| {
            LineStatus::parse(st).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "must be review, gift, not_gift, withdrawal or outflow",
                )
            })
        })
        .transpose()?;
    let limit: u32 = match q.get("limit") {
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", "must be from 1 to 1000"))?,
        None => 100,
    };
    let offset: u64 = match q.get("offset") {
        Some(o) => o
            .parse()
            .map_err(|_| ApiError::invalid("offset", "must be a whole number"))?,
        None => 0,
    };
    let found = s.store.bank_lines(&fund, status, limit, offset).await?;
    let ids: Vec<String> = found.iter().map(|l| l.line_id.clone()).collect();
    let reader = Reader {
        actor: caller.person(),
        role: caller.role(),
        committee_code: caller.committee_code(),
        action: "GET /funds/{fund}/bank-lines",
    };
    let privates = s
        .store
        .read_line_privates(&fund, &ids, &reader, &s.record_key)
        .await?;
    let lines: Vec<Value> = found
        .into_iter()
        .map(|l| {
            let private = privates
                .get(&l.line_id)
                .and_then(|p| serde_json::from_str::<Value>(p).ok())
                .unwrap_or(Value::Null);
            let mut v = serde_json::to_value(&l).unwrap_or(Value::Null);
            v["private"] = private;
            v
        })
        .collect();
    Ok(Json(json!({ "lines": lines })))
}

#[utoipa::path(post, path = "/funds/{fund}/bank-lines/{line}/settle", tag = "bank", security(("bearer" = [])),
    params(FundPath, ("line" = String, Path, description = "The bank line's id")), request_body = schema::Settlement,
    summary = "Settle a line in review (clerk); not a gift and a withdrawal wait for an approver",
    responses((status = 200, body = schema::BankLineAnswer)))]
async fn settle(
    State(s): State<AppState>,
    Path((fund, line_id)): Path<(String, String)>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (_, value) = json_body(body)?;
    let line = settle_line(&s, &caller, &fund, &line_id, value).await?;
    Ok(Json(json!({ "line": line })).into_response())
}

#[utoipa::path(post, path = "/funds/{fund}/bank-lines/{line}/decide", tag = "bank", security(("bearer" = [])),
    params(FundPath, ("line" = String, Path, description = "The bank line's id")), request_body = schema::Decision,
    summary = "Confirm or send back a proposed settlement (an approver other than the proposer)",
    responses((status = 200, body = schema::BankLineAnswer)))]
async fn decide(
    State(s): State<AppState>,
    Path((fund, line_id)): Path<(String, String)>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (_, value) = json_body(body)?;
    let line = decide_line(&s, &caller, &fund, &line_id, value).await?;
    Ok(Json(json!({ "line": line })).into_response())
}

/// A webhook's answer as SePay expects it: 200 `{"success": true}`, or an
/// error status with `{"success": false, "message"}` (it retries those).
fn provider_answer(r: Result<Vec<Taken>, ApiError>) -> Response {
    match r {
        Ok(taken) => (
            StatusCode::OK,
            Json(json!({"success": true, "taken": taken.len()})),
        )
            .into_response(),
        Err(e) => {
            let status = match &e {
                ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                ApiError::BadRequest(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
                ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, "a webhook was refused");
            (
                status,
                Json(json!({"success": false, "message": e.to_string()})),
            )
                .into_response()
        }
    }
}

fn webhook_error(e: WebhookError) -> ApiError {
    match e {
        WebhookError::Unauthorized(m) => ApiError::Unauthorized(m),
        WebhookError::Invalid(m) => ApiError::BadRequest(m),
    }
}

/// Takes reported transactions in, each in the one fund that has the
/// account.
async fn take_all(s: &AppState, reported: Vec<webhook::Reported>) -> Result<Vec<Taken>, ApiError> {
    let mut out = Vec::new();
    for r in reported {
        let funds = s.store.funds_of_account(&r.account_no).await?;
        let [fund] = funds.as_slice() else {
            return Err(ApiError::NotFound(format!(
                "account {} is the receiving account of {} funds; it must be of exactly one",
                r.account_no,
                funds.len()
            )));
        };
        let lock = s.intake_lock(fund, &r.account_no);
        let _held = lock.lock().await;
        out.push(
            import::take_reported(s, fund, &r)
                .await
                .map_err(import_error)?,
        );
    }
    Ok(out)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[utoipa::path(post, path = "/intake/sepay", tag = "webhooks",
    params(("Authorization" = String, Header, description = "Apikey <key>")),
    request_body(content = Object, description = "One SePay transaction"),
    summary = "SePay webhook; idempotent on its id",
    responses((status = 200, body = schema::WebhookAnswer),
        (status = "default", description = "Refused; SePay retries", body = schema::WebhookAnswer)))]
async fn sepay(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secrets = s.settings.intake.clone();
    let r = webhook::sepay(header(&headers, "authorization"), &body, |a| {
        secrets.webhook_secret("sepay", a).map(str::to_owned)
    })
    .map_err(webhook_error);
    let r = match r {
        Ok(line) => take_all(&s, vec![line]).await,
        Err(e) => Err(e),
    };
    provider_answer(r)
}

#[utoipa::path(post, path = "/intake/casso", tag = "webhooks",
    params(("X-Casso-Signature" = Option<String>, Header, description = "v2: t=<time>,v1=<HMAC-SHA512>"),
        ("Secure-Token" = Option<String>, Header, description = "The legacy token")),
    request_body(content = Object, description = "Casso's transactions"),
    summary = "Casso webhook (v2 signed, or legacy); idempotent on each transaction's id",
    responses((status = 200, body = schema::WebhookAnswer),
        (status = "default", description = "Refused; Casso retries", body = schema::WebhookAnswer)))]
async fn casso(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secrets = s.settings.intake.clone();
    let r = webhook::casso(
        header(&headers, "x-casso-signature"),
        header(&headers, "secure-token"),
        &body,
        |a| secrets.webhook_secret("casso", a).map(str::to_owned),
    )
    .map_err(webhook_error);
    let r = match r {
        Ok(lines) => take_all(&s, lines).await,
        Err(e) => Err(e),
    };
    provider_answer(r)
}
