//! Receipts: everything a donor needs to check a gift, in one answer.

use axum::extract::{Path, State};
use axum::Json;
use std::time::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};

use serde_json::{json, Value};

use super::error::ApiError;
use super::schema::{self, FundPath};
use super::AppState;
use crate::ledger::ids::normalise_verification_code;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receipt))
        .routes(routes!(gift))
}

/// How often a receipt waiting for its checkpoint looks again.
const COVER_POLL: Duration = Duration::from_millis(25);
/// How long past the signing interval a receipt waits before it answers
/// 503 (the writer is busy or stopped); the donor's page asks again a few
/// times (`static/verify.js`).
const COVER_SLACK: Duration = Duration::from_secs(2);

/// The latest checkpoint, once it covers entry `seq`: checkpoints are
/// signed at most once per `ledger.checkpoint_interval_ms` (SPEC §3), so a
/// receipt asked for at once waits for the next one.
async fn covering(
    s: &AppState,
    fund: &str,
    seq: u64,
    mut latest: Option<(u64, String)>,
) -> Result<(u64, String), ApiError> {
    // Within the request's own time limit, with a second to answer.
    let limit = Duration::from_secs(s.settings.server.request_timeout_s.saturating_sub(1));
    let wait = (s.settings.ledger.checkpoint_interval() + COVER_SLACK).min(limit);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some((size, note)) = latest {
            if size > seq {
                return Ok((size, note));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(fund, seq, "no checkpoint covers the receipt's entry yet");
            return Err(ApiError::Unavailable);
        }
        tokio::time::sleep(COVER_POLL).await;
        latest = s.store.latest_checkpoint(fund).await?;
    }
}

/// `{receipt_no, code, status, fund, seq, canonical, leaf_hash, proof:
/// {size, path}, checkpoint, verifier_key}`: the entry, its inclusion proof
/// in the latest signed checkpoint, and the key that signed it.
#[utoipa::path(get, path = "/receipts/{code}", tag = "receipts",
    params(("code" = String, Path, description = "The verification code, in any case, with or without hyphens")),
    summary = "A receipt: the entry, its inclusion proof, the signed checkpoint and the verifier key",
    responses((status = 200, body = schema::Receipt)))]
async fn receipt(
    State(s): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let code = normalise_verification_code(&raw)
        .ok_or_else(|| ApiError::NotFound("no receipt with this verification code".into()))?;
    let r = s
        .store
        .receipt(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound("no receipt with this verification code".into()))?;
    Ok(Json(proved(&s, r).await?))
}

/// A gift of the public statement by its seq (SPEC §10): the same answer
/// as a receipt's, without the verification code.
#[utoipa::path(get, path = "/funds/{fund}/gifts/{seq}", tag = "receipts",
    params(FundPath, ("seq" = u64, Path)),
    summary = "A gift of the statement by seq, proved like a receipt, without its verification code",
    responses((status = 200, body = schema::Receipt)))]
async fn gift(
    State(s): State<AppState>,
    Path((fund, seq)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    s.fund(&fund).await?;
    let seq: u64 = seq
        .parse()
        .map_err(|_| ApiError::BadRequest("seq must be a whole number".into()))?;
    let r = s
        .store
        .gift_by_seq(&fund, seq)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("entry {seq} of fund {fund} is no gift")))?;
    let mut answer = proved(&s, r).await?;
    if let Some(m) = answer.as_object_mut() {
        m.remove("code");
    }
    Ok(Json(answer))
}

/// Who witnesses the fund (`[{name, vkey}]`), whether they vouched for a
/// checkpoint holding entry `seq`, and that checkpoint with their
/// cosignatures if so:
/// - `met`: the witnesses cosigned a checkpoint holding it (the receipt is
///   proved in that one): all of them, or with `witnessing.policy_file`
///   the policy's quorum;
/// - `pending`: not yet (pushes run in the background, about a second
///   behind), and no witness refused the fund;
/// - `unmet`: a witness refused a checkpoint of the fund (a fork), or no
///   committee above witnesses it (a fund of the top committee).
async fn witnessed(
    s: &AppState,
    fund: &crate::store::FundInfo,
    seq: u64,
) -> Result<(Vec<Value>, &'static str, Option<(u64, String)>), ApiError> {
    let local: Vec<String> = s
        .store
        .witnesses_of(&fund.origin)
        .await?
        .into_iter()
        .map(|w| w.witness)
        .collect();
    let fw = crate::service::witness::fund_witnesses(s, &fund.origin, &local)?;
    let witnesses = fw
        .witnesses
        .iter()
        .map(|w| json!({"name": w.name, "vkey": w.vkey}))
        .collect();
    if fw.met(&[]) {
        // A policy whose quorum is `none` asks for no cosignature.
        return Ok((witnesses, "met", None));
    }
    if fw.witnesses.is_empty() {
        return Ok((witnesses, "unmet", None));
    }
    // Witnesses may have cosigned different checkpoints (a fast one the
    // newest, a slow one an older): the largest that holds the gift and
    // makes the quorum is the one, among the last few cosigned.
    for (size, note, lines) in s
        .store
        .cosigned_checkpoints(&fund.code, seq, COSIGNED_LOOKBACK)
        .await?
    {
        let cosigned = format!("{note}{lines}");
        // Only a cosignature that verifies with the witness's key now
        // counts (a policy may have changed a key since).
        let names: Vec<&str> = fw
            .witnesses
            .iter()
            .filter(|w| w.key.verify(&cosigned).is_some())
            .map(|w| w.name.as_str())
            .collect();
        if fw.met(&names) {
            return Ok((witnesses, "met", Some((size, cosigned))));
        }
    }
    let refused = s
        .store
        .witness_refusals(&fund.code)
        .await?
        .iter()
        .any(|r| r.status == 422);
    Ok((witnesses, if refused { "unmet" } else { "pending" }, None))
}

/// How many of the largest cosigned checkpoints holding a gift a receipt
/// looks through for one that makes the quorum. A witness that lags
/// further behind cosigns the newest checkpoint when it catches up.
const COSIGNED_LOOKBACK: u32 = 16;

/// A gift's entry with its inclusion proof in a checkpoint that covers it.
async fn proved(s: &AppState, r: crate::store::Receipt) -> Result<Value, ApiError> {
    let fund = s.fund(&r.fund_code).await?;
    let (witnesses, status, cosigned) = witnessed(s, &fund, r.entry.seq).await?;
    let (size, checkpoint) = match cosigned {
        Some(c) => c,
        None => covering(s, &r.fund_code, r.entry.seq, r.checkpoint.clone()).await?,
    };
    let proof = super::funds::inclusion_proof(s, &r.fund_code, r.entry.seq, size).await?;
    let mut answer = json!({
        "receipt_no": r.receipt_no,
        "code": r.code,
        "status": if r.voided.is_some() { "voided" } else { "valid" },
        "fund": r.fund_code,
        "seq": r.entry.seq,
        "canonical": r.entry.canonical,
        "leaf_hash": proof["leaf_hash"],
        "proof": {"size": size, "path": proof["path"]},
        "checkpoint": checkpoint,
        "verifier_key": fund.verifier_key,
        "witnesses": witnesses,
        "witness_status": status,
    });
    // A reversed gift stays on the ledger; its receipt says it is void and
    // why, naming the reversing entry.
    if let Some((by_seq, reason)) = r.voided {
        answer["voided"] = json!({"reason": reason, "by_seq": by_seq});
    }
    Ok(answer)
}
