//! The one write path both edges take. The JSON API and the console read
//! their requests their own way (a JSON body, a form), then call
//! [`append`], which checks the caller's scope for the kinds it writes,
//! refuses an empty request, hands the drafts to the writer under the
//! request's idempotency key and maps the writer's answer to one error
//! type. Each edge renders [`AppendError`] in its own words.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{AppState, ServiceError};
use crate::auth::{Caller, Denied};
use crate::ledger::ids::Code;
use crate::ledger::kinds::Body;
use crate::ledger::state::{Draft, Rejection};
use crate::store::writer::{IdempotencyKey, JobError, Outcome};

/// Why an append was not written. Nothing of the request was recorded.
#[derive(Debug)]
pub enum AppendError {
    /// No fund with that code; the text names it.
    NotFound(String),
    /// The caller may not write these kinds to this fund.
    Denied(Denied),
    /// Entry `index` of the request broke a rule or was malformed.
    Rejected { index: usize, rejection: Rejection },
    /// The idempotency key was used before with another request; the
    /// first request's answer.
    KeyReused { original: Value },
    /// The database failed; the request may be retried.
    Unavailable,
    /// The server failed on this request (the writer went on without it).
    Failed,
    /// Reading what the append needs failed.
    Service(ServiceError),
}

impl From<ServiceError> for AppendError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => AppendError::NotFound(what),
            other => AppendError::Service(other),
        }
    }
}

impl From<Denied> for AppendError {
    fn from(d: Denied) -> Self {
        AppendError::Denied(d)
    }
}

/// An idempotency key, scoped to its actor, with the SHA-256 of what was
/// asked under it (`route`, a zero byte, the request's bytes): the same
/// key with another request is refused rather than replayed.
pub fn idempotency_key(actor: &str, key: &str, route: &str, request: &[u8]) -> IdempotencyKey {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(request);
    IdempotencyKey {
        scope_key: format!("{actor} {key}"),
        request_sha256: h.finalize().into(),
    }
}

/// A campaign is launched by the fund's committee or one above it (SPEC
/// §11); left out, by the fund's own.
fn launched_by(info: &crate::store::FundInfo, by: &mut Option<Code>) -> Result<(), Rejection> {
    match by {
        None => {
            *by = Some(
                Code::parse(&info.committee_code, "launched_by")
                    .map_err(|e| Rejection::field("body.launched_by", e.message))?,
            );
            Ok(())
        }
        Some(code) if info.committee_path.split('/').any(|c| c == code.as_str()) => Ok(()),
        Some(code) => Err(Rejection::rule(
            "launched_by_not_above",
            "body.launched_by",
            format!(
                "committee {} is neither the fund's committee ({}) nor one above it",
                code.as_str(),
                info.committee_code
            ),
        )),
    }
}

/// Appends `drafts` to `fund` for `caller`: one entry (`batch` false) or
/// a batch that is all or nothing.
pub async fn append(
    s: &AppState,
    caller: &Caller,
    fund: &str,
    mut drafts: Vec<Draft>,
    batch: bool,
    key: Option<IdempotencyKey>,
) -> Result<Outcome, AppendError> {
    let info = s.fund(fund).await?;
    let kinds: Vec<_> = drafts.iter().map(Draft::kind).collect();
    caller.require_append(&info, &kinds)?;
    if drafts.is_empty() {
        return Err(AppendError::Rejected {
            index: 0,
            rejection: Rejection::field("entries", "must hold at least one entry"),
        });
    }
    for (index, d) in drafts.iter_mut().enumerate() {
        if let Body::CampaignOpened(c) = &mut d.body {
            launched_by(&info, &mut c.launched_by)
                .map_err(|rejection| AppendError::Rejected { index, rejection })?;
        }
        if let Body::TransferOut(t) = &d.body {
            let to = t.counterparty_fund.as_str();
            // An unknown fund is refused by the writer, naming it.
            if let Ok(other) = s.fund(to).await {
                if !s
                    .policy
                    .may_transfer(&info.committee_path, &other.committee_path, to)
                {
                    return Err(AppendError::Rejected {
                        index,
                        rejection: Rejection::rule(
                            "transfer_not_allowed",
                            "body.counterparty_fund",
                            format!(
                                "fund {to} belongs to committee {}; transfers go to the committee's own funds, its parent's, its children's and its siblings', or to funds the policy lists",
                                other.committee_code
                            ),
                        ),
                    });
                }
            }
        }
    }
    if let Some(issuer) = caller.issued_by() {
        not_issued_by_recorder(s, fund, issuer, &drafts).await?;
    }
    let code = Code::parse(&info.code, "fund").map_err(|e| AppendError::NotFound(e.message))?;
    s.writer
        .submit(code, caller.person().to_owned(), drafts, batch, key)
        .await
        .map_err(|e| match e {
            JobError::Rejected { index, rejection } => AppendError::Rejected { index, rejection },
            JobError::KeyReused { original } => AppendError::KeyReused { original },
            JobError::UnknownFund => AppendError::NotFound(format!("no fund {fund:?}")),
            JobError::Unavailable => AppendError::Unavailable,
            JobError::Failed => AppendError::Failed,
        })
}

/// Refuses an approval made with a credential that the outflow's own
/// recorder issued (SPEC §9, "nobody alone"): an admin who recorded an
/// outflow may not mint an approver token, for a new person or for an
/// existing one, and approve with it. The ledger checks that the approver
/// is another person; who issued a credential is known only here.
async fn not_issued_by_recorder(
    s: &AppState,
    fund: &str,
    issuer: &str,
    drafts: &[Draft],
) -> Result<(), AppendError> {
    for (index, d) in drafts.iter().enumerate() {
        let (recorder, field) = match &d.body {
            Body::OutflowApproved(b) => (entry_actor(s, fund, b.of_seq).await?, "body.of_seq"),
            Body::DistributionApproved(b) => {
                let found = s
                    .store
                    .object(fund, "distribution", b.distribution_id.as_str())
                    .await
                    .map_err(ServiceError::from)?;
                let recorder = found
                    .and_then(|data| serde_json::from_str::<Value>(&data).ok())
                    .and_then(|v| v.get("recorded_by")?.as_str().map(str::to_owned));
                (recorder, "body.distribution_id")
            }
            _ => continue,
        };
        if recorder.as_deref() == Some(issuer) {
            return Err(AppendError::Rejected {
                index,
                rejection: Rejection::rule(
                    "self_approval",
                    field,
                    "this approver's credential was issued by the person who recorded the outflow; an approver whose token or password that person did not issue must approve it",
                ),
            });
        }
    }
    Ok(())
}

/// The person who wrote entry `seq` of `fund`, if it exists.
async fn entry_actor(s: &AppState, fund: &str, seq: u64) -> Result<Option<String>, AppendError> {
    let found = s
        .store
        .entries(fund, seq, 1)
        .await
        .map_err(ServiceError::from)?;
    Ok(found
        .into_iter()
        .find(|e| e.seq == seq)
        .and_then(|e| serde_json::from_str::<Value>(&e.canonical).ok())
        .and_then(|v| v.get("actor")?.as_str().map(str::to_owned)))
}
