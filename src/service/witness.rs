//! Witnessing (SPEC §12), both sides.
//!
//! - As a witness: [`add_checkpoint`] judges a request for every committee
//!   here that witnesses the log, and cosigns for those that accept; the
//!   HTTP handler (`POST /witness/add-checkpoint`) and the pusher share it.
//! - As a log: [`push_round`] offers each fund's latest checkpoint to its
//!   parent committee with the consistency proof from the size that
//!   committee cosigned, keeps the cosignatures, and keeps a refusal (a
//!   422 is a fork: a `high` finding). [`spawn_pusher`] runs rounds in the
//!   background, so an append never waits for a witness; a round that
//!   fails is tried again on the next tick, so a witness catches up.

use std::time::Duration;

use super::AppState;
use crate::ledger::merkle::{self, Hash};
use crate::ledger::witness::{judge, witness_name, AddCheckpoint, Refusal, WitnessKey};
use crate::store::witness::WitnessRefusal;
use crate::store::{Store, StoreError};

/// Times a request is judged again after another process moved the state.
const RACES_MAX: usize = 8;

/// What the witnesses here answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Cosignature lines, one per witness that accepted.
    Cosigned(String),
    /// Every witness refused; they judge alike, so the first speaks.
    Refused(Refusal),
    /// No committee here witnesses the log.
    UnknownLog,
    /// The state moved under every try.
    Busy,
}

/// Judges `req` for every committee here that witnesses its log.
pub async fn add_checkpoint(s: &AppState, req: &AddCheckpoint) -> Result<Answer, StoreError> {
    let origin = req.checkpoint.lines().next().unwrap_or_default().to_owned();
    // SPEC §12 puts old > new first: it needs no key, only the size the
    // checkpoint claims (the signature over it is checked next).
    let claimed: Option<u64> = req.checkpoint.lines().nth(1).and_then(|l| l.parse().ok());
    if let Some(size) = claimed.filter(|size| req.old > *size) {
        return Ok(Answer::Refused(Refusal::BadRequest(format!(
            "old size {} is larger than the checkpoint's {size}",
            req.old
        ))));
    }
    let witnesses = s.store.witnesses_of(&origin).await?;
    if witnesses.is_empty() {
        return Ok(Answer::UnknownLog);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(1) as u64;
    let mut lines = String::new();
    let mut refusals = Vec::new();
    for w in &witnesses {
        let name = witness_name(&s.settings.ledger.origin_prefix, &w.witness);
        let key = WitnessKey::derive(&s.secret, &name)
            .map_err(|e| StoreError::Corrupt(format!("witness key {name}: {e}")))?;
        let mut judged = None;
        for _ in 0..RACES_MAX {
            let last = s.store.cosigned(&w.witness, &origin).await?;
            match judge(req, &origin, &w.vkey, last.as_ref()) {
                Err(r) => {
                    judged = Some(Err(r));
                    break;
                }
                Ok(accepted) => {
                    let line = key.cosign(&accepted.body, now);
                    let cp = &accepted.checkpoint;
                    let moved = s
                        .store
                        .advance_witness(
                            &w.witness,
                            &origin,
                            last.as_ref(),
                            cp.size,
                            &cp.root,
                            &req.checkpoint,
                            &line,
                        )
                        .await?;
                    if moved {
                        judged = Some(Ok(line));
                        break;
                    }
                }
            }
        }
        match judged {
            Some(Ok(line)) => {
                tracing::info!(witness = %w.witness, origin = %origin, "checkpoint cosigned");
                lines.push_str(&line);
            }
            Some(Err(r)) => {
                if let Refusal::Unprocessable(m) = &r {
                    tracing::warn!(witness = %w.witness, origin = %origin, reason = %m, "a log's checkpoint does not extend what was cosigned");
                }
                refusals.push(r);
            }
            None => return Ok(Answer::Busy),
        }
    }
    if !lines.is_empty() {
        return Ok(Answer::Cosigned(lines));
    }
    Ok(refusals
        .into_iter()
        .next()
        .map_or(Answer::UnknownLog, Answer::Refused))
}

/// The RFC 9162 consistency proof of `fund` from `from` to `to`.
pub async fn consistency(
    store: &Store,
    fund: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, StoreError> {
    let bad = |e: merkle::ProofError| StoreError::Corrupt(format!("fund {fund}: {e}"));
    let mut all = merkle::consistency_indexes(from, to).map_err(bad)?;
    all.sort_unstable();
    all.dedup();
    let hashes = store.merkle_hashes(fund, &all).await?;
    merkle::consistency_proof(from, to, &hashes).map_err(bad)
}

/// The witness name of each cosignature line.
fn lines_by_witness(lines: &str) -> Vec<(String, String)> {
    lines
        .lines()
        .filter_map(|l| {
            let name = l.strip_prefix("— ")?.split(' ').next()?;
            Some((name.to_owned(), format!("{l}\n")))
        })
        .collect()
}

/// Offers every fund's latest checkpoint its parent has not cosigned;
/// returns how many were cosigned.
pub async fn push_round(s: &AppState) -> Result<usize, StoreError> {
    let mut cosigned = 0;
    for due in s.store.witness_due().await? {
        let mut old = due.cosigned.unwrap_or(0);
        // A 409 names the size the witness holds: once more from there.
        for _ in 0..2 {
            let proof = consistency(&s.store, &due.fund, old, due.size).await?;
            let req = AddCheckpoint {
                old,
                proof,
                checkpoint: due.note.clone(),
            };
            match add_checkpoint(s, &req).await? {
                Answer::Cosigned(lines) => {
                    for (name, line) in lines_by_witness(&lines) {
                        s.store
                            .add_cosignature(&due.fund, due.size, &name, &line)
                            .await?;
                    }
                    cosigned += 1;
                    break;
                }
                Answer::Refused(Refusal::Conflict(size)) if size != old && size <= due.size => {
                    old = size;
                }
                Answer::Refused(r) => {
                    let refusal = WitnessRefusal {
                        size: due.size,
                        witness: witness_name(&s.settings.ledger.origin_prefix, &due.witness),
                        status: r.status(),
                        reason: format!("{r:?}"),
                    };
                    tracing::error!(fund = %due.fund, size = due.size, witness = %refusal.witness, status = refusal.status, reason = %refusal.reason, "the witness refused the fund's checkpoint");
                    s.store.add_witness_refusal(&due.fund, &refusal).await?;
                    break;
                }
                Answer::UnknownLog | Answer::Busy => break,
            }
        }
    }
    Ok(cosigned)
}

/// Runs [`push_round`] every `tick` until the task is aborted.
pub fn spawn_pusher(s: AppState, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = push_round(&s).await {
                tracing::warn!(error = %e, "a witnessing round failed; it is tried again");
            }
        }
    })
}

/// `fund`'s latest signed checkpoint with the cosignatures it has: what
/// `GET /funds/{fund}/checkpoint` and `/fund/{code}/checkpoint` serve.
pub async fn latest_checkpoint(
    store: &Store,
    fund: &str,
) -> Result<Option<(u64, String)>, StoreError> {
    let Some((size, mut note)) = store.latest_checkpoint(fund).await? else {
        return Ok(None);
    };
    for (_, line) in store.cosignatures(fund, size).await? {
        note.push_str(&line);
    }
    Ok(Some((size, note)))
}
