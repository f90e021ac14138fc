//! Bank intake's decisions shared by the API and the pages (SPEC §10):
//! the fund's accounts and sealed statements, VietQR payloads, and the
//! settlement of lines in review, proposed and confirmed. `src/http/bank.rs`
//! answers them as problem details; the console and the public pages as
//! pages.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{AppState, ServiceError};
use crate::auth::{Caller, Denied};
use crate::intake::import;
use crate::intake::vietqr;
use crate::ledger::book::{BankAccount, SealedStatement};
use crate::ledger::fields::{FieldError, FieldErrors};
use crate::ledger::ids::Code;
use crate::ledger::kinds::{read_input, EntryKind};
use crate::ledger::money::AmountVnd;
use crate::ledger::state::Rejection;
use crate::store::bank::LineStatus;
use crate::store::writer::JobError;
use crate::store::{AdminAction, ObjectFilter, Reader, StoreError};

/// Why a bank decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// The line (or the request) is in another state than asked.
    #[error("{0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("{message}")]
    Rule {
        rule: &'static str,
        field: String,
        message: String,
    },
    #[error("{0}")]
    Denied(String),
    #[error("the ledger's writer is not available")]
    Unavailable,
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BankError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        BankError::Invalid(FieldErrors::from(FieldError::new(field, message)))
    }
}

impl From<FieldErrors> for BankError {
    fn from(e: FieldErrors) -> Self {
        BankError::Invalid(e)
    }
}

impl From<Denied> for BankError {
    fn from(d: Denied) -> Self {
        BankError::Denied(d.0)
    }
}

impl From<ServiceError> for BankError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => BankError::NotFound(m),
            ServiceError::Store(e) => BankError::Store(e),
            ServiceError::Internal(m) => BankError::Internal(m),
        }
    }
}

impl From<Rejection> for BankError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Invalid(e) => BankError::Invalid(e),
            Rejection::Internal(m) => BankError::Internal(m),
            Rejection::Rule {
                rule,
                field,
                message,
            } => BankError::Rule {
                rule,
                field,
                message,
            },
        }
    }
}

/// The fund's receiving accounts, oldest first.
pub async fn fund_accounts(s: &AppState, fund: &str) -> Result<Vec<BankAccount>, BankError> {
    let rows = s
        .store
        .objects(fund, "bank_account", ObjectFilter::default(), 100)
        .await?;
    let mut list: Vec<BankAccount> = rows
        .iter()
        .map(|(id, data)| {
            serde_json::from_str(data)
                .map_err(|e| BankError::Internal(format!("bank account {id}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    list.sort_by_key(|a| a.opened_seq);
    Ok(list)
}

/// The fund's sealed statements, oldest first.
pub async fn fund_statements(s: &AppState, fund: &str) -> Result<Vec<SealedStatement>, BankError> {
    let mut out = s.sealed_statements(fund).await?;
    out.sort_by_key(|st| st.seq);
    Ok(out)
}

pub fn job_error(e: JobError) -> BankError {
    match e {
        JobError::Rejected { rejection, .. } => rejection.into(),
        JobError::UnknownFund => BankError::NotFound("no such fund".into()),
        JobError::KeyReused { .. } => {
            BankError::Conflict("this Idempotency-Key was used with another request".into())
        }
        JobError::Unavailable => BankError::Unavailable,
        JobError::Failed => BankError::Internal("the writer failed on this request".into()),
    }
}

const QR_PARAMS: [&str; 4] = ["account", "campaign", "pledge", "amount_vnd"];

/// The VietQR payload for a transfer to the fund (SPEC §10).
pub async fn vietqr_for(
    s: &AppState,
    fund: &str,
    q: &HashMap<String, String>,
) -> Result<Value, BankError> {
    if let Some(k) = q.keys().find(|k| !QR_PARAMS.contains(&k.as_str())) {
        return Err(BankError::BadRequest(format!(
            "unknown parameter {k:?}; parameters are {}",
            QR_PARAMS.join(", ")
        )));
    }
    s.fund(fund).await?;
    let accounts = fund_accounts(s, fund).await?;
    let account = match q.get("account") {
        Some(a) => accounts
            .iter()
            .find(|x| &x.account_no == a)
            .ok_or_else(|| {
                BankError::NotFound(format!("account {a} is not one of fund {fund}'s"))
            })?,
        None => accounts.first().ok_or_else(|| {
            BankError::NotFound(format!("fund {fund} has no receiving account yet"))
        })?,
    };
    let reference = match (q.get("campaign"), q.get("pledge")) {
        (Some(_), Some(_)) => {
            return Err(BankError::BadRequest(
                "name a campaign or a pledge, not both".into(),
            ))
        }
        (Some(id), None) => object_reference(s, fund, "campaign", id).await?,
        (None, Some(id)) => object_reference(s, fund, "pledge", id).await?,
        (None, None) => fund.to_owned(),
    };
    let amount = q
        .get("amount_vnd")
        .map(|a| AmountVnd::parse(&Value::String(a.clone()), "amount_vnd"))
        .transpose()
        .map_err(|e| BankError::invalid("amount_vnd", e.message))?;
    let purpose = vietqr::purpose(&reference);
    let payload = vietqr::payload(&vietqr::Transfer {
        bank_bin: &account.bank_bin,
        account_no: &account.account_no,
        amount_vnd: amount.map(AmountVnd::get),
        purpose: &purpose,
    });
    Ok(json!({
        "payload": payload,
        "purpose": purpose,
        "account_no": account.account_no,
        "bank_bin": account.bank_bin,
        "bank_name": account.bank_name,
        "account_name": account.account_name,
        "amount_vnd": amount.map(|a| a.get().to_string()),
    }))
}

async fn object_reference(
    s: &AppState,
    fund: &str,
    kind: &str,
    id: &str,
) -> Result<String, BankError> {
    let data = s
        .store
        .object(fund, kind, id)
        .await?
        .ok_or_else(|| BankError::NotFound(format!("no {kind} {id:?} in fund {fund}")))?;
    let v: Value = serde_json::from_str(&data)
        .map_err(|e| BankError::Internal(format!("{kind} {id}: {e}")))?;
    v.get("reference")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            BankError::NotFound(format!(
                "{kind} {id:?} has no reference (opened before campaigns had one)"
            ))
        })
}

/// How a clerk settles a line in review.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settlement {
    #[serde(rename = "as")]
    settle_as: SettleAs,
    reason: Option<String>,
    campaign_id: Option<String>,
    pledge_id: Option<String>,
    seq: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SettleAs {
    Gift,
    NotGift,
    Withdrawal,
    Outflow,
}

/// Kinds of entry a debit can be.
const OUTFLOW_KINDS: [&str; 3] = ["expense", "transfer_out", "distribution"];

/// Settles a line waiting in review as `value` says (`{as, reason,
/// campaign_id?, pledge_id?, seq?}`), for a clerk of the fund: the API's
/// and the console's one path. A gift is recorded at once (an entry, in
/// the public books); an outflow is linked to its entry, itself approved;
/// not a gift and a withdrawal move no entry, so they are proposed here
/// and take effect when an approver confirms them ([`decide_line`]).
/// Returns the line as it now is.
pub async fn settle_line(
    s: &AppState,
    caller: &Caller,
    fund: &str,
    line_id: &str,
    value: Value,
) -> Result<Option<crate::store::bank::StoredLine>, BankError> {
    let (s, fund, line_id) = (s.clone(), fund.to_owned(), line_id.to_owned());
    let info = s.fund(&fund).await?;
    caller.require_append(&info, &[EntryKind::DonationCash])?;
    let how: Settlement = read_input(value, "body")?;
    let line =
        s.store.bank_line(&fund, &line_id).await?.ok_or_else(|| {
            BankError::NotFound(format!("no bank line {line_id:?} in fund {fund}"))
        })?;
    if line.status != LineStatus::Review || line.proposed_as.is_some() {
        return Err(BankError::Conflict(match &line.proposed_as {
            Some(p) if line.status == LineStatus::Review => {
                format!("bank line {line_id} waits for an approver to confirm it as {p}")
            }
            _ => format!(
                "bank line {line_id} is settled already ({})",
                line.status.as_str()
            ),
        }));
    }
    let credit = line.direction == "credit";
    let reason = match how
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) if r.chars().count() > 2000 => {
            return Err(BankError::invalid(
                "body.reason",
                "is at most 2,000 characters",
            ))
        }
        // A reason is published (a seal lists not-gift credits with
        // theirs): it may not carry personal data.
        Some(r) => match crate::ledger::personal::check(r) {
            Ok(()) => Some(r),
            Err(found) => {
                return Err(BankError::Rule {
                    rule: "personal_data",
                    field: "body.reason".into(),
                    message: format!("{}; reasons are public", found.describe()),
                })
            }
        },
        None => None,
    };
    let needs_reason =
        || BankError::invalid("body.reason", "is required: why, in up to 2,000 characters");
    let action = |what: &'static str, detail: Value| AdminAction {
        actor: caller.person().to_owned(),
        person_id: Some(caller.person().to_owned()),
        action: what,
        target: line_id.clone(),
        committee_path: info.committee_path.clone(),
        detail,
    };
    let (status, seq, reason) = match how.settle_as {
        SettleAs::NotGift | SettleAs::Withdrawal
            if credit == (how.settle_as == SettleAs::NotGift) =>
        {
            let status = if credit {
                LineStatus::NotGift
            } else {
                LineStatus::Withdrawal
            };
            let reason = reason.ok_or_else(needs_reason)?;
            let a = action(
                "bank_line_proposed",
                json!({"fund": fund, "as": status.as_str(), "reason": reason, "amount_vnd": line.amount_vnd, "day": line.day}),
            );
            if !s
                .store
                .propose_settlement(&fund, &line_id, status, reason, &a)
                .await?
            {
                return Err(BankError::Conflict(format!(
                    "bank line {line_id} was settled meanwhile"
                )));
            }
            return Ok(s.store.bank_line(&fund, &line_id).await?);
        }
        SettleAs::Outflow if !credit => {
            let seq = how.seq.ok_or_else(|| {
                BankError::invalid("body.seq", "is required: the outflow entry this debit is")
            })?;
            outflow_is_the_debit(&s, &fund, seq, &line).await?;
            (
                LineStatus::Outflow,
                Some(seq),
                reason.unwrap_or("the outflow entry").to_owned(),
            )
        }
        SettleAs::Gift if credit => {
            // Claimed first: a second clerk settling the same line at once
            // is refused, not a second gift.
            if !s.store.claim_line(&fund, &line_id).await? {
                return Err(BankError::Conflict(format!(
                    "bank line {line_id} was settled meanwhile"
                )));
            }
            let seq = match settle_as_gift(&s, caller, &fund, &line, &how).await {
                Ok(seq) => seq,
                Err(e) => {
                    s.store.release_line(&fund, &line_id).await?;
                    return Err(e);
                }
            };
            (
                LineStatus::Gift,
                Some(seq),
                reason.unwrap_or("assigned by a clerk").to_owned(),
            )
        }
        _ => {
            return Err(BankError::invalid(
                "body.as",
                if credit {
                    "a credit is settled as gift or not_gift"
                } else {
                    "a debit is settled as outflow or withdrawal"
                },
            ))
        }
    };
    let a = action(
        "bank_line_settled",
        json!({"fund": fund, "as": status.as_str(), "seq": seq, "reason": reason, "amount_vnd": line.amount_vnd, "day": line.day}),
    );
    if !s
        .store
        .settle_line(&fund, &line_id, status, seq, &reason, &a)
        .await?
    {
        return Err(BankError::Conflict(format!(
            "bank line {line_id} was settled meanwhile"
        )));
    }
    Ok(s.store.bank_line(&fund, &line_id).await?)
}

/// Refuses an outflow entry that is not the debit: of another kind, of
/// another amount (an expense's or transfer's `amount_vnd`, a
/// distribution's `cash_vnd`), reversed, not approved, or the settlement
/// of another debit already.
async fn outflow_is_the_debit(
    s: &AppState,
    fund: &str,
    seq: u64,
    line: &crate::store::bank::StoredLine,
) -> Result<(), BankError> {
    let bad = |m: String| Err(BankError::invalid("body.seq", m));
    let entry = s
        .store
        .entries(fund, seq, 1)
        .await?
        .into_iter()
        .next()
        .filter(|e| e.seq == seq);
    let Some(entry) = entry else {
        return bad(format!("fund {fund} has no entry {seq}"));
    };
    let v: Value = serde_json::from_str(&entry.canonical).unwrap_or(Value::Null);
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if !OUTFLOW_KINDS.contains(&kind) {
        return bad(format!(
            "entry {seq} is a {kind}, not an expense, transfer or distribution"
        ));
    }
    let field = if kind == "distribution" {
        "/body/cash_vnd"
    } else {
        "/body/amount_vnd"
    };
    let amount = v.pointer(field).and_then(Value::as_str).unwrap_or("0");
    if amount != line.amount_vnd {
        return bad(format!(
            "entry {seq} pays {amount} đồng; the debit is of {}",
            line.amount_vnd
        ));
    }
    // The outflow's standing, as the books store it.
    let status_of = |data: Option<String>| {
        data.and_then(|d| serde_json::from_str::<Value>(&d).ok())
            .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned))
    };
    if s.store
        .object(fund, "reversal", &seq.to_string())
        .await?
        .is_some()
    {
        return bad(format!("entry {seq} was reversed"));
    }
    let status = if kind == "distribution" {
        let id = v
            .pointer("/body/distribution_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        status_of(s.store.object(fund, "distribution", id).await?)
    } else {
        let key = crate::ledger::book::outflow_key(seq);
        status_of(s.store.object(fund, "outflow", &key).await?)
    };
    // An outflow written before outflows had a status stands as written.
    let approved = status.is_none_or(|st| st == "approved");
    if !approved {
        return bad(format!(
            "entry {seq} is not approved: money leaves with an approved outflow"
        ));
    }
    if s.store.outflow_settles_a_line(fund, seq).await? {
        return bad(format!("entry {seq} settles another debit already"));
    }
    Ok(())
}

/// Confirms or withdraws a settlement a clerk proposed (`{"approve":
/// true}` or `{"approve": false, "reason"}`): an approver of the fund's
/// committee who is not the proposer, with a credential the proposer did
/// not issue (SPEC §9). Logged in the admin log.
pub async fn decide_line(
    s: &AppState,
    caller: &Caller,
    fund: &str,
    line_id: &str,
    value: Value,
) -> Result<Option<crate::store::bank::StoredLine>, BankError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Decision {
        approve: bool,
        reason: Option<String>,
    }
    let info = s.fund(fund).await?;
    caller.require_append(&info, &[EntryKind::OutflowApproved])?;
    let d: Decision = read_input(value, "body")?;
    let line =
        s.store.bank_line(fund, line_id).await?.ok_or_else(|| {
            BankError::NotFound(format!("no bank line {line_id:?} in fund {fund}"))
        })?;
    let Some(proposed) = line
        .proposed_as
        .clone()
        .filter(|_| line.status == LineStatus::Review)
    else {
        return Err(BankError::Conflict(format!(
            "bank line {line_id} holds no settlement to confirm"
        )));
    };
    let proposer = line.proposed_by.clone().unwrap_or_default();
    if proposer == caller.person() || caller.issued_by() == Some(proposer.as_str()) {
        return Err(BankError::Rule {
            rule: "self_approval",
            field: "body.approve".into(),
            message: "a settlement is confirmed by another person than its proposer, with a credential the proposer did not issue".into(),
        });
    }
    let action = AdminAction {
        actor: caller.person().to_owned(),
        person_id: Some(caller.person().to_owned()),
        action: if d.approve {
            "bank_line_settled"
        } else {
            "bank_line_proposal_withdrawn"
        },
        target: line_id.to_owned(),
        committee_path: info.committee_path.clone(),
        detail: json!({"fund": fund, "as": proposed, "proposed_by": proposer,
            "reason": line.proposed_reason, "decision_reason": d.reason,
            "amount_vnd": line.amount_vnd, "day": line.day}),
    };
    if !s
        .store
        .decide_settlement(fund, line_id, d.approve, caller.person(), &action)
        .await?
    {
        return Err(BankError::Conflict(format!(
            "bank line {line_id} was decided meanwhile"
        )));
    }
    Ok(s.store.bank_line(fund, line_id).await?)
}

/// Records a credit in review as a gift, linked to its line.
async fn settle_as_gift(
    s: &AppState,
    caller: &Caller,
    fund: &str,
    line: &crate::store::bank::StoredLine,
    how: &Settlement,
) -> Result<u64, BankError> {
    let reader = Reader {
        actor: caller.person(),
        role: caller.role(),
        committee_code: caller.committee_code(),
        action: "POST /funds/{fund}/bank-lines/{line}/settle",
    };
    let privates = s
        .store
        .read_line_privates(
            fund,
            std::slice::from_ref(&line.line_id),
            &reader,
            &s.record_key,
        )
        .await?;
    let private = privates.get(&line.line_id).cloned().unwrap_or_default();
    let v: Value = serde_json::from_str(&private).unwrap_or(Value::Null);
    let name = v.get("sender_name").and_then(Value::as_str);
    let (display, kind) = crate::intake::narrative::display(name);
    let mut decision = import::Decision::Gift {
        campaign_id: how.campaign_id.clone(),
        pledge_id: how.pledge_id.clone(),
        display,
        kind,
    };
    if let (Some(p), import::Decision::Gift { display, kind, .. }) = (&how.pledge_id, &mut decision)
    {
        let data = s.store.object(fund, "pledge", p).await?.ok_or_else(|| {
            BankError::invalid("body.pledge_id", format!("fund {fund} has no pledge {p:?}"))
        })?;
        let pledge: crate::ledger::book::PledgeState = serde_json::from_str(&data)
            .map_err(|e| BankError::Internal(format!("pledge {p}: {e}")))?;
        *display = pledge.donor_display;
        *kind = if pledge.donor_kind == "organization" {
            crate::ledger::kinds::DonorKind::Organization
        } else {
            crate::ledger::kinds::DonorKind::Individual
        };
    }
    for (field, id) in [
        ("body.campaign_id", &how.campaign_id),
        ("body.pledge_id", &how.pledge_id),
    ] {
        if let Some(id) = id {
            crate::ledger::ids::Id::parse(id, field)
                .map_err(|e| BankError::invalid(field, e.message))?;
        }
    }
    let day = time::Date::parse(
        &line.day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| BankError::Internal(format!("line day {}: {e}", line.day)))?;
    let bank_line = crate::ledger::state::BankLine {
        account_no: line.account_no.clone(),
        line_key: line.line_key.clone(),
        line_id: line.line_id.clone(),
        source: match line.source.as_str() {
            "sepay" => "sepay",
            "casso" => "casso",
            _ => "statement",
        },
        provider_id: None,
        statement_id: line.statement_id.clone(),
        day,
        bank_ref: line.bank_ref.clone(),
        credit: true,
        amount_vnd: line.amount_vnd.parse().unwrap_or(0),
        balance_vnd: line.balance_vnd.as_deref().and_then(|b| b.parse().ok()),
        private,
    };
    let draft =
        import::gift_draft(bank_line, &decision).map_err(|e| BankError::Internal(e.to_string()))?;
    let code = Code::parse(fund, "fund").map_err(|e| BankError::NotFound(e.message))?;
    let outcome = s
        .writer
        .submit(code, caller.person().to_owned(), vec![draft], false, None)
        .await
        .map_err(job_error)?;
    outcome
        .first()
        .map(|e| e.seq)
        .ok_or_else(|| BankError::Internal("the gift was not written".into()))
}
