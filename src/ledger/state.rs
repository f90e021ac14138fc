//! The state of one fund that writes depend on, and the pure function that
//! turns a parsed request into the next entry.
//!
//! The store loads a [`FundState`] under the fund's lock, calls [`apply`] for
//! each request in order, writes what it returns and saves the new state, all
//! in one transaction. Nothing here does I/O, so every rule is tested
//! without a database.

use serde_json::Value;
use time::OffsetDateTime;

use super::entry::{seal, Envelope, SealError, ZERO_HASH};
use super::fields::FieldErrors;
use super::ids::{format_timestamp, receipt_no, today_in_vietnam, Code, Id, VIETNAM};
use super::kinds::{read_input, DonationCash, DonationCashInput, EntryKind, FundOpened};
use super::merkle::{Frontier, Hash};
use super::money::SumVnd;

/// What a write depends on, for one fund.
#[derive(Debug, Clone, PartialEq)]
pub struct FundState {
    pub fund: Code,
    pub frontier: Frontier,
    /// Hash of the last entry: the next entry's `prev`.
    pub last_hash: Hash,
    /// Cash on hand, in đồng.
    pub balance_vnd: SumVnd,
    /// The year receipts are being numbered in (Vietnam time) and the last
    /// number given in it; a new year starts again from 1.
    pub receipt_year: i32,
    pub receipt_last: u64,
}

impl FundState {
    /// The state of a fund before its first entry.
    pub fn empty(fund: Code, year: i32) -> Self {
        Self {
            fund,
            frontier: Frontier::new(),
            last_hash: ZERO_HASH,
            balance_vnd: 0,
            receipt_year: year,
            receipt_last: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }
}

/// A request to append, parsed and checked on its own, not yet against
/// the fund.
#[derive(Debug, Clone, PartialEq)]
pub enum Draft {
    FundOpened(FundOpened),
    DonationCash(DonationCash),
}

impl Draft {
    /// Parses a client's `{kind, body}`. `fund_opened` is written only by
    /// opening a fund, never sent by a client.
    pub fn parse(kind: &str, body: Value, now: OffsetDateTime) -> Result<Self, Rejection> {
        let Some(kind) = EntryKind::parse(kind) else {
            let known: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
            return Err(Rejection::field(
                "kind",
                format!("unknown kind {kind:?}; kinds are {}", known.join(", ")),
            ));
        };
        if !body.is_object() {
            return Err(Rejection::field("body", "must be a JSON object"));
        }
        let today = today_in_vietnam(now);
        match kind {
            EntryKind::DonationCash => {
                let input: DonationCashInput = read_input(body, "body")?;
                Ok(Self::DonationCash(input.parse(today)?))
            }
            EntryKind::FundOpened => Err(Rejection::rule(
                "fund_opened_by_server",
                "kind",
                "fund_opened is written by the server when a fund is opened (POST /funds)",
            )),
            other => Err(Rejection::rule(
                "kind_not_accepted",
                "kind",
                format!("this server does not accept {} entries yet", other.as_str()),
            )),
        }
    }

    pub fn kind(&self) -> EntryKind {
        match self {
            Self::FundOpened(_) => EntryKind::FundOpened,
            Self::DonationCash(_) => EntryKind::DonationCash,
        }
    }
}

/// Why a request was refused. Every variant is the client's to fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// Fields that are malformed on their own.
    Invalid(FieldErrors),
    /// A rule of the fund refused it; `rule` is a stable name clients can
    /// match, `field` the input it concerns.
    Rule {
        rule: &'static str,
        field: String,
        message: String,
    },
}

impl Rejection {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::from(super::fields::FieldError::new(
            field, message,
        )))
    }

    pub fn rule(rule: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Rule {
            rule,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<FieldErrors> for Rejection {
    fn from(e: FieldErrors) -> Self {
        Self::Invalid(e)
    }
}

impl From<SealError> for Rejection {
    fn from(e: SealError) -> Self {
        Self::rule("entry_too_large", "body", e.to_string())
    }
}

/// Who writes and when: the same for every entry of one transaction.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub actor: &'a str,
    pub now: OffsetDateTime,
}

/// An entry ready to store, with what the store needs beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub seq: u64,
    pub id: String,
    pub kind: EntryKind,
    pub hash: Hash,
    pub canonical: String,
    pub recorded_at: String,
    /// New Merkle hashes, as (stored index, hash).
    pub stored_hashes: Vec<(u64, Hash)>,
    /// Receipt number, for gifts.
    pub receipt_no: Option<String>,
}

/// Appends `draft` to `state`, returning the entry. On error `state` is
/// unchanged.
pub fn apply(
    state: &mut FundState,
    draft: Draft,
    ctx: &Context<'_>,
) -> Result<Appended, Rejection> {
    let kind = draft.kind();
    let seq = state.size();
    let recorded_at = format_timestamp(ctx.now);
    let id = Id::generate();
    // Effects are worked out first and applied only once the entry is
    // sealed, so a refusal leaves `state` as it was.
    let mut receipt = None;
    let mut counter = (state.receipt_year, state.receipt_last);
    let mut balance_vnd = state.balance_vnd;
    let body = match draft {
        Draft::FundOpened(body) => {
            if seq != 0 {
                return Err(Rejection::rule(
                    "fund_opened_first",
                    "kind",
                    "fund_opened is entry 0 only",
                ));
            }
            to_value(&body)
        }
        Draft::DonationCash(mut body) => {
            if seq == 0 {
                return Err(Rejection::rule(
                    "fund_not_open",
                    "kind",
                    "the fund has no fund_opened entry",
                ));
            }
            if let Some(c) = &body.campaign_id {
                return Err(Rejection::rule(
                    "unknown_campaign",
                    "body.campaign_id",
                    format!(
                        "campaign {:?} is not open in fund {}",
                        c.as_str(),
                        state.fund
                    ),
                ));
            }
            if let Some(p) = &body.pledge_id {
                return Err(Rejection::rule(
                    "unknown_pledge",
                    "body.pledge_id",
                    format!(
                        "pledge {:?} does not exist in fund {}",
                        p.as_str(),
                        state.fund
                    ),
                ));
            }
            counter = next_receipt_number(counter, ctx.now.to_offset(VIETNAM).year());
            body.receipt_no = receipt_no(&state.fund, counter.0, counter.1);
            balance_vnd += SumVnd::from(body.amount_vnd.get());
            receipt = Some(body.receipt_no.clone());
            to_value(&body)
        }
    };
    let sealed = seal(
        &Envelope {
            fund: state.fund.as_str(),
            seq,
            id: id.as_str(),
            kind: kind.as_str(),
            prev: state.last_hash,
            recorded_at: &recorded_at,
            actor: ctx.actor,
        },
        body,
    )?;
    let stored_hashes = state.frontier.push(sealed.hash);
    state.last_hash = sealed.hash;
    (state.receipt_year, state.receipt_last) = counter;
    state.balance_vnd = balance_vnd;
    debug_assert_eq!(state.size(), seq + 1);
    Ok(Appended {
        seq,
        id: id.as_str().to_owned(),
        kind,
        hash: sealed.hash,
        canonical: sealed.canonical,
        recorded_at,
        stored_hashes,
        receipt_no: receipt,
    })
}

/// The (year, number) of the next receipt after `last`. Numbers move
/// forward only: a server whose clock lags behind the new year keeps
/// counting in the year already reached.
fn next_receipt_number(last: (i32, u64), year: i32) -> (i32, u64) {
    if year > last.0 {
        (year, 1)
    } else {
        (last.0, last.1 + 1)
    }
}

fn to_value<T: serde::Serialize>(body: &T) -> Value {
    // Bodies are plain structs of strings, integers and enums; serde_json
    // cannot fail on them.
    serde_json::to_value(body).unwrap_or_else(|e| unreachable!("body serialises: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::kinds::FundKind;
    use crate::ledger::merkle::leaf_hash;
    use serde_json::json;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-22 03:00 UTC)
    }

    fn opened() -> FundState {
        let fund = Code::parse("HN-VNN", "f").unwrap();
        let mut s = FundState::empty(fund.clone(), 2026);
        let body = FundOpened {
            committee_code: Code::parse("HN", "c").unwrap(),
            committee_name: "Ủy ban MTTQ Hà Nội".into(),
            fund_code: fund,
            fund_kind: FundKind::ForThePoor,
            origin: "sovang.local/fund/HN-VNN".into(),
            verifier_key: "sovang.local/fund/HN-VNN+00000000+AQ==".into(),
        };
        apply(
            &mut s,
            Draft::FundOpened(body),
            &Context {
                actor: "admin",
                now: now(),
            },
        )
        .unwrap();
        s
    }

    fn gift(amount: &str) -> Draft {
        Draft::parse(
            "donation_cash",
            json!({
                "donor": {"display": "Công ty ABC", "kind": "organization"},
                "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-21"
            }),
            now(),
        )
        .unwrap()
    }

    #[test]
    fn gifts_chain_to_the_previous_entry_and_number_receipts_in_order() {
        let mut s = opened();
        let ctx = Context {
            actor: "clerk",
            now: now(),
        };
        let first_hash = s.last_hash;
        let a = apply(&mut s, gift("100000"), &ctx).unwrap();
        let b = apply(&mut s, gift("250000"), &ctx).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert!(a
            .canonical
            .contains(&format!("\"prev\":\"{}\"", hex::encode(first_hash.0))));
        assert!(b
            .canonical
            .contains(&format!("\"prev\":\"{}\"", hex::encode(a.hash.0))));
        assert_eq!(a.receipt_no.as_deref(), Some("HN-VNN-2026-000001"));
        assert_eq!(b.receipt_no.as_deref(), Some("HN-VNN-2026-000002"));
        assert_eq!(s.balance_vnd, 350_000);
        assert_eq!(b.hash, leaf_hash(b.canonical.as_bytes()));
    }

    #[test]
    fn receipt_numbers_restart_in_a_new_year() {
        let mut s = opened();
        apply(
            &mut s,
            gift("1"),
            &Context {
                actor: "c",
                now: now(),
            },
        )
        .unwrap();
        // 31 Dec 2026 17:30 UTC is already 1 Jan 2027 in Vietnam.
        let new_year = time::macros::datetime!(2026-12-31 17:30 UTC);
        let r = apply(
            &mut s,
            gift("1"),
            &Context {
                actor: "c",
                now: new_year,
            },
        )
        .unwrap();
        assert_eq!(r.receipt_no.as_deref(), Some("HN-VNN-2027-000001"));
    }

    #[test]
    fn a_clock_behind_the_new_year_keeps_counting_in_the_new_year() {
        let mut s = opened();
        let new_year = time::macros::datetime!(2027-01-02 03:00 UTC);
        apply(
            &mut s,
            gift("1"),
            &Context {
                actor: "c",
                now: new_year,
            },
        )
        .unwrap();
        let r = apply(
            &mut s,
            gift("1"),
            &Context {
                actor: "c",
                now: now(),
            },
        )
        .unwrap();
        assert_eq!(r.receipt_no.as_deref(), Some("HN-VNN-2027-000002"));
    }

    #[test]
    fn a_refused_gift_leaves_the_state_unchanged() {
        let mut s = opened();
        let before = s.clone();
        let mut d = gift("5");
        if let Draft::DonationCash(b) = &mut d {
            b.campaign_id = Some(Id::parse("tet-2027", "c").unwrap());
        }
        let e = apply(
            &mut s,
            d,
            &Context {
                actor: "c",
                now: now(),
            },
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Rejection::Rule {
                rule: "unknown_campaign",
                ..
            }
        ));
        assert_eq!(s, before);
    }

    #[test]
    fn unknown_and_server_only_kinds_are_refused() {
        assert!(matches!(
            Draft::parse("donation", json!({}), now()),
            Err(Rejection::Invalid(_))
        ));
        assert!(matches!(
            Draft::parse("fund_opened", json!({}), now()),
            Err(Rejection::Rule {
                rule: "fund_opened_by_server",
                ..
            })
        ));
        assert!(matches!(
            Draft::parse("donation_cash", json!([1]), now()),
            Err(Rejection::Invalid(_))
        ));
    }

    #[test]
    fn a_gift_before_the_fund_is_opened_is_refused() {
        let mut s = FundState::empty(Code::parse("X", "f").unwrap(), 2026);
        assert!(apply(
            &mut s,
            gift("1"),
            &Context {
                actor: "c",
                now: now()
            }
        )
        .is_err());
        assert_eq!(s.size(), 0);
    }
}
