//! Funds: figures, entries, proofs, checkpoints, and appends.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use super::schema::{self, FundPath};
use super::{idempotency_key, json_body, AppState, BATCH_ENTRIES_MAX, PAGE_MAX};
use crate::auth::Caller;
use crate::ledger::kinds::corrections::Period;
use crate::ledger::kinds::{read_input, EntryKind};
use crate::ledger::merkle::{self, to_hex};
use crate::ledger::state::Draft;
use crate::service::append::{self as service, AppendError};
use crate::store::writer::IdempotencyKey;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(fund))
        .routes(routes!(checkpoint))
        .routes(routes!(entries, append))
        .routes(routes!(entry))
        .routes(routes!(inclusion))
        .routes(routes!(consistency))
}

pub fn batch_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(append_batch))
}

fn number(q: &HashMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    q.get(name).map(|v| index(v, name)).transpose()
}

/// A seq, size or count: a non-negative integer the database can hold.
fn index(v: &str, name: &str) -> Result<u64, ApiError> {
    v.parse::<u64>()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| ApiError::BadRequest(format!("{name} must be an integer from 0 to 2^63-1")))
}

#[utoipa::path(get, path = "/funds/{fund}", tag = "funds", params(FundPath),
    summary = "A fund: balance, stock, size, root, verifier key",
    responses((status = 200, body = schema::Fund)))]
async fn fund(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let f = s.fund(&code).await?;
    let head = s
        .store
        .fund_head(&code)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("fund {code} has no head")))?;
    let summary = s.store.summary(&code).await?.unwrap_or_default();
    Ok(Json(json!({
        "code": f.code,
        "name": f.name,
        "kind": f.kind,
        "committee_code": f.committee_code,
        "origin": f.origin,
        "verifier_key": f.verifier_key,
        "size": head.size,
        "root": to_hex(&head.root),
        "balance_vnd": head.balance_vnd.to_string(),
        "reserved_vnd": summary.get("reserved_vnd").cloned().unwrap_or(json!("0")),
        "available_vnd": summary.get("available_vnd").cloned().unwrap_or(json!("0")),
        "general_available_vnd": summary.get("general_available_vnd").cloned().unwrap_or(json!("0")),
        "totals": summary.get("totals").cloned().unwrap_or(json!({})),
        "periods_closed": summary.get("periods_closed").cloned().unwrap_or(json!([])),
        "stock": s.stock(&code).await?,
    })))
}

#[utoipa::path(get, path = "/funds/{fund}/checkpoint", tag = "funds", params(FundPath),
    summary = "The latest signed checkpoint (a C2SP signed note)",
    responses((status = 200, body = String, content_type = "text/plain; charset=utf-8")))]
async fn checkpoint(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    s.fund(&code).await?;
    let (_, note) = crate::service::witness::latest_checkpoint(&s.store, &code)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("fund {code} has no checkpoint")))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        note,
    )
        .into_response())
}

fn entry_json(e: &crate::store::StoredEntry) -> Value {
    json!({"seq": e.seq, "hash": hex::encode(&e.hash), "canonical": e.canonical})
}

#[utoipa::path(get, path = "/funds/{fund}/entries", tag = "entries",
    params(FundPath,
        ("from" = Option<u64>, Query, description = "The first seq; 0 by default"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "100 by default")),
    summary = "A page of entries with seq, hash and canonical text",
    responses((status = 200, body = schema::Entries)))]
async fn entries(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&code).await?;
    let from = number(&q, "from")?.unwrap_or(0);
    let limit = number(&q, "limit")?.unwrap_or(100);
    if limit == 0 || limit > PAGE_MAX {
        return Err(ApiError::BadRequest(format!(
            "limit must be from 1 to {PAGE_MAX}"
        )));
    }
    let size = s.store.fund_head(&code).await?.map_or(0, |h| h.size);
    if from > size {
        return Err(ApiError::BadRequest(format!(
            "from must be at most the fund's size, {size}"
        )));
    }
    let rows = s.store.entries(&code, from, limit).await?;
    let next = (rows.len() as u64 == limit).then(|| from + limit);
    Ok(Json(json!({
        "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        "next": next,
    })))
}

#[utoipa::path(get, path = "/funds/{fund}/entries/{seq}", tag = "entries",
    params(FundPath, ("seq" = u64, Path)),
    summary = "One entry",
    responses((status = 200, body = schema::Entry)))]
async fn entry(
    State(s): State<AppState>,
    Path((code, seq)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&code).await?;
    let seq = index(&seq, "seq")?;
    let rows = s.store.entries(&code, seq, 1).await?;
    match rows.first() {
        Some(e) if e.seq == seq => Ok(Json(entry_json(e))),
        _ => Err(ApiError::NotFound(format!(
            "fund {code} has no entry {seq}"
        ))),
    }
}

/// The latest checkpoint's size, the default tree size for proofs.
async fn signed_size(s: &AppState, code: &str) -> Result<u64, ApiError> {
    Ok(s.store
        .latest_checkpoint(code)
        .await?
        .map_or(0, |(size, _)| size))
}

#[utoipa::path(get, path = "/funds/{fund}/proof/inclusion", tag = "proofs",
    params(FundPath,
        ("seq" = u64, Query, description = "The leaf"),
        ("size" = Option<u64>, Query, description = "The tree size; the latest signed one by default")),
    summary = "An RFC 9162 inclusion proof",
    responses((status = 200, body = schema::InclusionProof)))]
async fn inclusion(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&code).await?;
    let latest = signed_size(&s, &code).await?;
    let seq = number(&q, "seq")?.ok_or_else(|| ApiError::BadRequest("seq is required".into()))?;
    let size = number(&q, "size")?.unwrap_or(latest);
    if seq >= size || size > latest {
        return Err(ApiError::BadRequest(format!(
            "need seq < size ≤ {latest} (the latest signed tree size)"
        )));
    }
    Ok(Json(inclusion_proof(&s, &code, seq, size).await?))
}

/// `{seq, size, leaf_hash, path, root}` for leaf `seq` in the tree of `size`.
pub async fn inclusion_proof(
    s: &AppState,
    code: &str,
    seq: u64,
    size: u64,
) -> Result<Value, ApiError> {
    let path_idx =
        merkle::inclusion_indexes(seq, size).map_err(|e| ApiError::Internal(e.to_string()))?;
    let leaf_idx = merkle::stored_index(0, seq);
    let root_idx = merkle::root_indexes(size);
    let mut all: Vec<u64> = path_idx
        .iter()
        .chain(&root_idx)
        .copied()
        .chain([leaf_idx])
        .collect();
    all.sort_unstable();
    all.dedup();
    let hashes = s.store.merkle_hashes(code, &all).await?;
    let path = merkle::inclusion_proof(seq, size, &hashes)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let root = crate::store::root_of(size, &hashes)?;
    Ok(json!({
        "seq": seq,
        "size": size,
        "leaf_hash": to_hex(&hashes[&leaf_idx]),
        "path": path.iter().map(to_hex).collect::<Vec<_>>(),
        "root": to_hex(&root),
    }))
}

#[utoipa::path(get, path = "/funds/{fund}/proof/consistency", tag = "proofs",
    params(FundPath,
        ("from" = u64, Query, description = "The older size"),
        ("to" = Option<u64>, Query, description = "The newer size; the latest signed one by default")),
    summary = "An RFC 9162 consistency proof",
    responses((status = 200, body = schema::ConsistencyProof)))]
async fn consistency(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&code).await?;
    let latest = signed_size(&s, &code).await?;
    let from =
        number(&q, "from")?.ok_or_else(|| ApiError::BadRequest("from is required".into()))?;
    let to = number(&q, "to")?.unwrap_or(latest);
    if from > to || to > latest {
        return Err(ApiError::BadRequest(format!(
            "need 0 ≤ from ≤ to ≤ {latest} (the latest signed tree size)"
        )));
    }
    let proof_idx =
        merkle::consistency_indexes(from, to).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut all: Vec<u64> = proof_idx
        .iter()
        .chain(&merkle::root_indexes(from))
        .chain(&merkle::root_indexes(to))
        .copied()
        .collect();
    all.sort_unstable();
    all.dedup();
    let hashes = s.store.merkle_hashes(&code, &all).await?;
    let proof = merkle::consistency_proof(from, to, &hashes)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "from": from,
        "to": to,
        "proof": proof.iter().map(to_hex).collect::<Vec<_>>(),
        "from_root": to_hex(&crate::store::root_of(from, &hashes)?),
        "to_root": to_hex(&crate::store::root_of(to, &hashes)?),
    })))
}

/// What a client sends to append one entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendInput {
    kind: String,
    body: Value,
    /// A household's private record, with `household_registered` only.
    private: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    entries: Vec<Value>,
}

fn draft(input: Value, prefix: &str, now: time::OffsetDateTime) -> Result<Draft, ApiError> {
    let input: AppendInput = read_input(input, prefix.trim_end_matches('.'))?;
    Draft::parse(&input.kind, input.body, input.private, now)
        .map_err(|r| prefixed(r.into(), prefix))
}

/// Puts `entries[i].` before every field name of a batch entry's errors.
fn prefixed(e: ApiError, prefix: &str) -> ApiError {
    if prefix.is_empty() {
        return e;
    }
    match e {
        ApiError::Invalid(mut errs) => {
            for f in &mut errs.0 {
                f.field = format!("{prefix}{}", f.field);
            }
            ApiError::Invalid(errs)
        }
        ApiError::Rule {
            rule,
            field,
            message,
        } => ApiError::Rule {
            rule,
            field: format!("{prefix}{field}"),
            message,
        },
        other => other,
    }
}

#[utoipa::path(post, path = "/funds/{fund}/entries", tag = "entries", security(("bearer" = [])),
    params(FundPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")), request_body = schema::Append,
    summary = "Append one entry (clerk; approvers and inspectors for their kinds)",
    responses((status = 201, body = crate::store::writer::WrittenEntry)))]
async fn append(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    append_request(&s, &caller, &code, &headers, body, false).await
}

#[utoipa::path(post, path = "/funds/{fund}/entries/batch", tag = "entries", security(("bearer" = [])),
    params(FundPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer as the first time")), request_body = schema::Batch,
    summary = "Append up to 1,000 entries, all or nothing",
    responses((status = 201, body = schema::Written)))]
async fn append_batch(
    State(s): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    append_request(&s, &caller, &code, &headers, body, true).await
}

/// One entry (`batch` false) or a batch: scope, body, key, drafts, writer.
async fn append_request(
    s: &AppState,
    caller: &Caller,
    code: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    batch: bool,
) -> Result<Response, ApiError> {
    let fund = s.fund(code).await?;
    // May this caller write here at all?
    caller.require_append(&fund, &[])?;
    let (bytes, mut value) = json_body(body)?;
    // And the kinds the request names, before any work is done for them
    // (a period closing builds the period's statement).
    caller.require_append(&fund, &named_kinds(&value, batch))?;
    let route = if batch { "entries/batch" } else { "entries" };
    let key = idempotency_key(
        headers,
        caller.id(),
        &format!("POST /funds/{code}/{route}"),
        &bytes,
    )?;
    if let Err(e) = fill_period_closings(s, &fund.code, &mut value, batch).await {
        return refused(s, key.as_ref(), e).await;
    }
    let drafts = if batch {
        batch_drafts(value)
    } else {
        draft(value, "", time::OffsetDateTime::now_utc()).map(|d| vec![d])
    };
    match drafts {
        Ok(drafts) => submit(s, caller, code, drafts, batch, key).await,
        Err(e) => refused(s, key.as_ref(), e).await,
    }
}

/// The known kinds a request's entries name; the rest are left for the
/// entries' own parsing to refuse.
fn named_kinds(value: &Value, batch: bool) -> Vec<EntryKind> {
    let kind = |e: &Value| {
        e.get("kind")
            .and_then(Value::as_str)
            .and_then(EntryKind::parse)
    };
    if batch {
        value
            .get("entries")
            .and_then(Value::as_array)
            .map(|all| all.iter().filter_map(kind).collect())
            .unwrap_or_default()
    } else {
        kind(value).into_iter().collect()
    }
}

/// A `period_closed` entry seals a period with the figures of the
/// statement the server publishes for it: the closing balance, the stock
/// on hand and the statement's SHA-256. The server fills those a client
/// leaves out; those a client sends must be the same. Malformed input, and
/// a period that has not ended, are left for the entry's own checks to
/// report.
async fn fill_period_closings(
    s: &AppState,
    fund: &str,
    value: &mut Value,
    batch: bool,
) -> Result<(), ApiError> {
    let inputs: Vec<(String, &mut Value)> = if batch {
        match value.get_mut("entries").and_then(Value::as_array_mut) {
            Some(entries) => entries
                .iter_mut()
                .enumerate()
                .map(|(i, e)| (format!("entries[{i}]."), e))
                .collect(),
            None => Vec::new(),
        }
    } else {
        vec![(String::new(), value)]
    };
    let mut built: HashMap<String, std::sync::Arc<crate::ledger::statement::Statement>> =
        HashMap::new();
    for (prefix, input) in inputs {
        if input.get("kind").and_then(Value::as_str) != Some("period_closed") {
            continue;
        }
        let Some(body) = input.get_mut("body").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(period) = body
            .get("period")
            .and_then(Value::as_str)
            .and_then(|p| Period::parse(p).ok())
        else {
            continue;
        };
        // Each period's statement is built once per request, however many
        // entries name it.
        let st = match built.get(period.as_str()) {
            Some(st) => st.clone(),
            None => {
                let st = std::sync::Arc::new(
                    super::statement::build(&s.store, fund, period.first_day, period.last_day)
                        .await?,
                );
                built.insert(period.as_str().to_owned(), st.clone());
                st
            }
        };
        let stock: Vec<Value> = st
            .goods
            .iter()
            .filter(|g| !g.closing_quantity.is_zero())
            .map(|g| json!({"item": g.item, "quantity": g.closing_quantity.to_string()}))
            .collect();
        let figures = [
            (
                "closing_balance_vnd",
                json!(st.closing.balance_vnd.to_string()),
            ),
            ("stock", json!(stock)),
            (
                "statement_sha256",
                json!(st.sha256().map_err(ApiError::Internal)?),
            ),
        ];
        for (name, computed) in figures {
            match body.get(name) {
                None => {
                    body.insert(name.to_owned(), computed);
                }
                Some(given) if *given == computed => {}
                Some(_) => {
                    return Err(ApiError::Rule {
                        rule: "statement_mismatch",
                        field: format!("{prefix}body.{name}"),
                        message: format!(
                            "the statement of {} gives {name} {computed}; leave it out and the server fills it",
                            period.as_str()
                        ),
                    })
                }
            }
        }
    }
    Ok(())
}

/// Answers a request refused before it reached the writer. A key already
/// used answers as the key says (replay or 409), since the first request
/// is what the key names; otherwise the refusal stands.
async fn refused(
    s: &AppState,
    key: Option<&IdempotencyKey>,
    e: ApiError,
) -> Result<Response, ApiError> {
    if let Some(k) = key {
        if let Some(prior) = s.store.idempotent_response(&k.scope_key).await? {
            return Ok(super::replay(prior, k));
        }
    }
    Err(e)
}

fn batch_drafts(value: Value) -> Result<Vec<Draft>, ApiError> {
    let input: BatchInput = read_input(value, "")?;
    if input.entries.is_empty() || input.entries.len() > BATCH_ENTRIES_MAX {
        return Err(ApiError::invalid(
            "entries",
            format!(
                "must hold 1 to {BATCH_ENTRIES_MAX} entries; it holds {}",
                input.entries.len()
            ),
        ));
    }
    let now = time::OffsetDateTime::now_utc();
    let parse = |from: usize, entries: Vec<Value>| -> Result<Vec<Draft>, ApiError> {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, v)| draft(v, &format!("entries[{}].", from + i), now))
            .collect()
    };
    let mut head = input.entries;
    if head.len() < PARALLEL_PARSE_MIN {
        return parse(0, head);
    }
    // Two halves on two threads; the first refusal in the batch's order
    // is the one answered, as when one thread reads them all.
    let tail = head.split_off(head.len() / 2);
    let mid = head.len();
    std::thread::scope(|s| {
        let later = s.spawn(|| parse(mid, tail));
        let head = parse(0, head);
        let tail = later
            .join()
            .map_err(|_| ApiError::Internal("reading a batch's entries failed".into()));
        let mut drafts = head?;
        drafts.extend(tail??);
        Ok(drafts)
    })
}

/// A batch of this many entries or more is read on two threads: turning
/// its JSON into checked drafts (personal-data rule included) is most of
/// a batch's work outside the writer, and the other core would otherwise
/// wait.
const PARALLEL_PARSE_MIN: usize = 64;

async fn submit(
    s: &AppState,
    caller: &Caller,
    code: &str,
    drafts: Vec<Draft>,
    batch: bool,
    key: Option<IdempotencyKey>,
) -> Result<Response, ApiError> {
    match service::append(s, caller, code, drafts, batch, key).await {
        Ok(o) => Ok(super::created_json(o.status, o.to_bytes(), o.replayed)),
        Err(AppendError::Rejected { index, rejection }) => {
            let prefix = if batch {
                format!("entries[{index}].")
            } else {
                String::new()
            };
            Err(prefixed(rejection.into(), &prefix))
        }
        Err(AppendError::KeyReused { original }) => Err(ApiError::Conflict {
            detail: "this Idempotency-Key was used with another request".into(),
            original: Some(original),
        }),
        Err(AppendError::NotFound(what)) => Err(ApiError::NotFound(what)),
        Err(AppendError::Denied(d)) => Err(d.into()),
        Err(AppendError::Unavailable) => Err(ApiError::Unavailable),
        Err(AppendError::Failed) => Err(ApiError::Internal(
            "the writer failed on this request; nothing was written".into(),
        )),
        Err(AppendError::Service(e)) => Err(e.into()),
    }
}
