//! Receipts: everything a donor needs to check a gift, in one answer.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::ApiError;
use super::AppState;
use crate::ledger::ids::normalise_verification_code;

pub fn router() -> Router<AppState> {
    Router::new().route("/receipts/{code}", get(receipt))
}

/// `{receipt_no, code, status, fund, seq, canonical, leaf_hash, proof:
/// {size, path}, checkpoint, verifier_key}`: the entry, its inclusion proof
/// in the latest signed checkpoint, and the key that signed it.
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
    let fund = s.fund(&r.fund_code).await?;
    let (size, checkpoint) = r
        .checkpoint
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("fund {} has no checkpoint", r.fund_code)))?;
    if size <= r.entry.seq {
        return Err(ApiError::Internal(format!(
            "checkpoint of size {size} does not cover receipt entry {}",
            r.entry.seq
        )));
    }
    let proof = super::funds::inclusion_proof(&s, &r.fund_code, r.entry.seq, size).await?;
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
    });
    // A reversed gift stays on the ledger; its receipt says it is void and
    // why, naming the reversing entry.
    if let Some((by_seq, reason)) = r.voided {
        answer["voided"] = json!({"reason": reason, "by_seq": by_seq});
    }
    Ok(Json(answer))
}
