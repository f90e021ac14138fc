//! The shapes of the API's requests and answers, for the OpenAPI document
//! (`GET /api/v1/openapi.json`), which [`crate::http::openapi_document`]
//! builds from the handlers' `#[utoipa::path]` annotations and these types.
//!
//! Requests are read by the handlers' own input types, which carry their
//! schemas where they are declared. Many answers are written as JSON values
//! by the handlers (the ledger's objects with read-model fields added); the
//! types here say what those values hold. Every answer the API tests see is
//! checked against the document (`tests/api/helpers.rs`), so a handler that
//! drifts from its schema fails the suite.
//!
//! Amounts are whole đồng written as decimal strings (SPEC §2), so that no
//! client reads them through a floating-point number.

// The answer types are never built: they describe JSON the handlers write.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::ledger::kinds::programme::PrivateRecord;
use crate::ledger::kinds::{EntryKind, WrittenBy};

/// Whole đồng as a decimal string, such as `"500000"`; negative only where
/// a figure can fall (a reversal's effect).
pub struct Vnd;

impl PartialSchema for Vnd {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some("^-?[0-9]+$"))
            .examples(["500000"])
            .description(Some("Whole đồng as a decimal string"))
            .into()
    }
}

impl ToSchema for Vnd {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Vnd")
    }
}

/// Problem details (RFC 9457): every refusal and failure.
#[derive(ToSchema)]
pub struct Problem {
    /// `/problems/<name>`: malformed, invalid, rule, unauthorized,
    /// forbidden, not-found, conflict, too-large, unavailable, internal.
    #[schema(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For 422s: each field at fault.
    pub errors: Option<Vec<FieldError>>,
    /// For a rule refusal: the rule's name.
    pub rule: Option<String>,
    /// For a 409 on a reused Idempotency-Key: the first request's answer.
    pub original: Option<Value>,
}

/// One field at fault.
#[derive(ToSchema)]
pub struct FieldError {
    /// The field's path in the request, such as `body.amount_vnd` or
    /// `entries[3].body.donor.display`.
    pub field: String,
    pub message: String,
}

/// `{"status": "ok"}` while the database answers.
#[derive(ToSchema)]
pub struct Health {
    pub status: String,
}

/// One entry to append: its kind and body (SPEC §4), and for
/// `household_registered` the household's private record, which is kept
/// off the ledger, encrypted.
///
/// The kinds listed are those a client may write; the rest are written by
/// the server itself.
pub struct Append;

impl PartialSchema for Append {
    fn schema() -> RefOr<Schema> {
        let kinds: Vec<&str> = EntryKind::ALL
            .iter()
            .filter(|k| !matches!(k.written_by(), WrittenBy::Server(_)))
            .map(|k| k.as_str())
            .collect();
        let server: Vec<&str> = EntryKind::ALL
            .iter()
            .filter(|k| matches!(k.written_by(), WrittenBy::Server(_)))
            .map(|k| k.as_str())
            .collect();
        ObjectBuilder::new()
            .property(
                "kind",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .enum_values(Some(kinds))
                    .description(Some(format!(
                        "The entry's kind (SPEC §4). {} are written by the server.",
                        server.join(", ")
                    ))),
            )
            .required("kind")
            .property(
                "body",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Object))
                    .description(Some("The kind's fields, as SPEC §4 lists them")),
            )
            .required("body")
            .property("private", PrivateRecord::schema())
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .description(Some(
                "One entry: its kind and body, and for household_registered the private record",
            ))
            .into()
    }
}

impl ToSchema for Append {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Append")
    }
}

/// Up to 1,000 entries, written all or none.
#[derive(ToSchema)]
pub struct Batch {
    #[schema(max_items = 1000)]
    pub entries: Vec<Append>,
}

/// Entries written by one request.
#[derive(ToSchema)]
pub struct Written {
    pub entries: Vec<crate::store::writer::WrittenEntry>,
}

/// A stored entry: its seq, leaf hash and canonical text (SPEC §3).
#[derive(ToSchema)]
pub struct Entry {
    pub seq: u64,
    /// SHA-256(0x00 ‖ canonical), hex.
    pub hash: String,
    /// The entry's canonical JSON (RFC 8785), exactly as hashed.
    pub canonical: String,
}

/// A page of entries; `next` is the `from` of the next page.
#[derive(ToSchema)]
pub struct Entries {
    pub entries: Vec<Entry>,
    pub next: Option<u64>,
}

/// An RFC 9162 inclusion proof of leaf `seq` in the tree of `size`.
#[derive(ToSchema)]
pub struct InclusionProof {
    pub seq: u64,
    pub size: u64,
    pub leaf_hash: String,
    /// Sibling hashes from the leaf up, hex.
    pub path: Vec<String>,
    pub root: String,
}

/// An RFC 9162 consistency proof between two tree sizes.
#[derive(ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
    pub from_root: String,
    pub to_root: String,
}

/// The committees, each with its parent.
#[derive(ToSchema)]
pub struct Committees {
    pub committees: Vec<CommitteeListed>,
}

/// A committee, and the key it cosigns checkpoints with as a witness.
#[derive(ToSchema)]
pub struct CommitteeListed {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// Its witness's cosignature/v1 verifier key (type 0x04), named
    /// `<origin_prefix>/committee/<code>`.
    pub witness_key: String,
}

/// A new committee.
#[derive(ToSchema)]
pub struct CommitteeCreated {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// A fund as listed: its size, root and balance.
#[derive(ToSchema)]
pub struct FundListed {
    pub code: String,
    pub name: String,
    /// `for_the_poor` or `relief`.
    pub kind: String,
    pub committee_code: String,
    pub size: u64,
    pub root: String,
    pub balance_vnd: Vnd,
    /// The note verifier key its checkpoints are signed with.
    pub verifier_key: String,
}

/// Every fund.
#[derive(ToSchema)]
pub struct Funds {
    pub funds: Vec<FundListed>,
}

/// A fund opened, with its `fund_opened` entry.
#[derive(ToSchema)]
pub struct FundOpened {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub committee_code: String,
    /// The checkpoint origin line.
    pub origin: String,
    pub verifier_key: String,
    pub entry: crate::store::writer::WrittenEntry,
}

/// A fund: what it holds, what is spoken for, and its signed tree.
#[derive(ToSchema)]
pub struct Fund {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub committee_code: String,
    pub origin: String,
    pub verifier_key: String,
    pub size: u64,
    pub root: String,
    /// Cash on the books.
    pub balance_vnd: Vnd,
    /// Cash held by pending distributions and outflows.
    pub reserved_vnd: Vnd,
    /// Cash neither reserved nor earmarked.
    pub available_vnd: Vnd,
    pub general_available_vnd: Vnd,
    /// Running totals: gifts, cash and goods received, distributed,
    /// transferred, spent and adjusted.
    pub totals: BTreeMap<String, Value>,
    /// The periods closed, oldest first.
    pub periods_closed: Vec<Value>,
    pub stock: Vec<Stock>,
}

/// An item in stock.
#[derive(ToSchema)]
pub struct Stock {
    /// The item's code, such as `GAO` or `QUA-TET`.
    pub item: String,
    pub unit: String,
    /// Quantities are decimal strings.
    pub quantity: String,
    /// Held by pending distributions.
    pub reserved: String,
    pub available: String,
    /// The book value of what is held.
    pub value_vnd: Vnd,
}

/// The fund's stock.
#[derive(ToSchema)]
pub struct StockList {
    pub stock: Vec<Stock>,
}

/// A token, never its secret.
#[derive(ToSchema)]
pub struct Tokens {
    pub tokens: Vec<crate::store::TokenInfo>,
}

/// A new token. `token` is the secret, shown in this answer only (null on a
/// replay of the same request).
#[derive(ToSchema)]
pub struct TokenCreated {
    pub id: String,
    pub person_id: String,
    pub name: String,
    pub role: String,
    pub committee_code: String,
    pub expires_on: Option<String>,
    pub token: Option<String>,
}

/// Console users, never their passwords.
#[derive(ToSchema)]
pub struct Users {
    pub users: Vec<crate::store::users::UserInfo>,
}

/// A gift's receipt: the entry, its inclusion proof in a signed checkpoint
/// that covers it and the key that signed it; everything a donor needs to
/// check it with no other call.
#[derive(ToSchema)]
pub struct Receipt {
    pub receipt_no: String,
    /// The verification code (absent on `/funds/{fund}/gifts/{seq}`).
    pub code: Option<String>,
    /// `valid`, or `voided` once reversed.
    pub status: String,
    pub fund: String,
    pub seq: u64,
    pub canonical: String,
    pub leaf_hash: String,
    pub proof: ReceiptProof,
    /// The signed note (C2SP) of the checkpoint the proof is in.
    pub checkpoint: String,
    pub verifier_key: String,
    pub voided: Option<Voided>,
    /// The committees that witness the fund (SPEC §12).
    pub witnesses: Vec<WitnessListed>,
    /// `met` (every witness cosigned the checkpoint the proof is in),
    /// `pending` (not yet) or `unmet` (a witness refused the fund, or none
    /// witnesses it).
    pub witness_status: String,
}

/// A witness: its name and cosignature/v1 verifier key.
#[derive(ToSchema)]
pub struct WitnessListed {
    pub name: String,
    pub vkey: String,
}

/// The inclusion proof in a receipt.
#[derive(ToSchema)]
pub struct ReceiptProof {
    pub size: u64,
    pub path: Vec<String>,
}

/// Why and by which entry a gift was reversed.
#[derive(ToSchema)]
pub struct Voided {
    pub reason: String,
    pub by_seq: u64,
}

/// A campaign with its window, target and totals.
#[derive(ToSchema)]
pub struct Campaign {
    pub campaign_id: String,
    pub name: String,
    /// `peak_month`, `disaster`, `tet` or `other`.
    pub kind: String,
    pub starts_on: String,
    pub ends_on: String,
    pub target_vnd: Option<Vnd>,
    /// `open` or `closed` (closed early by `campaign_closed`), as the
    /// entries left it; `phase` says where it stands today.
    pub status: String,
    /// `upcoming`, `open` (in its window, taking gifts), `ended` (its
    /// window is over) or `closed` (by a `campaign_closed` entry).
    pub phase: String,
    pub closed_reason: Option<String>,
    /// The day a `campaign_closed` entry closed it.
    pub closed_on: Option<String>,
    /// The last day it received: `ends_on`, or `closed_on` if earlier.
    pub receiving_ends: String,
    /// The last day its support is due (Decree 93/2021: 20 days after
    /// receiving ends; `policy.distribution_deadline_days`).
    pub support_deadline: Option<String>,
    /// Why its window runs past `policy.campaign_max_days`.
    pub window_reason: Option<String>,
    /// The committee that launched it: the fund's own or one above.
    pub launched_by: Option<String>,
    pub opened_seq: u64,
    pub gifts: u64,
    pub cash_received_vnd: Vnd,
    pub goods_received_vnd: Vnd,
    pub pledges: u64,
    pub distributions: u64,
    pub distributed_cash_vnd: Vnd,
    pub distributed_goods_vnd: Vnd,
    /// What a donor writes after `SV ` in a transfer (SPEC §10).
    pub reference: Option<String>,
}

/// A page of campaigns.
#[derive(ToSchema)]
pub struct Campaigns {
    pub campaigns: Vec<Campaign>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// A pledge, with what is still due.
#[derive(ToSchema)]
pub struct Pledge {
    pub pledge_id: String,
    pub seq: u64,
    pub donor_display: String,
    pub donor_kind: String,
    pub pledged_vnd: Vnd,
    pub received_vnd: Vnd,
    pub outstanding_vnd: Vnd,
    pub in_kind: bool,
    pub due_on: Option<String>,
    pub overdue: bool,
    pub campaign_id: Option<String>,
    /// `open`, `fulfilled` or `cancelled`.
    pub status: String,
    pub gifts: u64,
    pub reference: Option<String>,
}

/// A page of pledges.
#[derive(ToSchema)]
pub struct Pledges {
    pub pledges: Vec<Pledge>,
    pub next: Option<String>,
}

/// A household's public, pseudonymous fields.
#[derive(ToSchema)]
pub struct Household {
    pub household_id: String,
    pub commune_code: String,
    pub hamlet: String,
    /// `poor`, `near_poor`, `newly_escaped`, or another class.
    pub category: String,
    pub members: u32,
    pub review_year: i32,
    /// SHA-256 commitment to the private record and its salt.
    pub commitment: String,
    pub registered_seq: u64,
    /// Its classes over time, oldest first.
    pub classes: Vec<Value>,
    /// The distributions to it, in order.
    pub distributions: Vec<String>,
}

/// A page of households.
#[derive(ToSchema)]
pub struct Households {
    pub households: Vec<Household>,
    pub next: Option<String>,
}

/// A distribution to a household and what became of it.
#[derive(ToSchema)]
pub struct Distribution {
    pub distribution_id: String,
    pub household_id: String,
    /// `house_new`, `house_repair`, `livelihood`, `tet_gift`, …
    pub support_type: String,
    pub cash_vnd: Vnd,
    pub goods_vnd: Vnd,
    /// Goods given: item, quantity, unit, value.
    pub items: Vec<Value>,
    pub decision_ref: String,
    pub campaign_id: Option<String>,
    /// `pending`, `approved`, `voided` or `reversed`.
    pub status: String,
    pub from_earmark_vnd: Vnd,
    pub recorded_by: String,
    pub recorded_on: String,
    pub seq: u64,
    pub approved_by: Option<String>,
    pub approved_seq: Option<u64>,
    pub voided_reason: Option<String>,
    /// The household's acknowledgement: method, day, evidence hash, seq.
    pub acknowledged: Option<Value>,
}

/// A page of distributions.
#[derive(ToSchema)]
pub struct Distributions {
    pub distributions: Vec<Distribution>,
    pub next: Option<String>,
}

/// An outflow other than a distribution: an expense, a transfer out, a
/// stock adjustment, or the reversal of a gift or transfer.
#[derive(ToSchema)]
pub struct Outflow {
    /// Its entry's seq, which names it in `outflow_approved`.
    pub seq: u64,
    pub kind: String,
    pub outflow_id: String,
    pub value_vnd: Vnd,
    /// `pending`, `approved` or `voided`.
    pub status: String,
    pub recorded_by: String,
    pub recorded_on: String,
    pub approved_by: Option<String>,
    pub approved_seq: Option<u64>,
    pub voided_reason: Option<String>,
    pub reverses_seq: Option<u64>,
    pub reason: Option<String>,
}

/// A page of outflows.
#[derive(ToSchema)]
pub struct Outflows {
    pub outflows: Vec<Outflow>,
    pub next: Option<String>,
}

/// The books rebuilt from the ledger alone, compared with the live ones.
#[derive(ToSchema)]
pub struct Replay {
    pub fund: String,
    pub size: u64,
    pub consistent: bool,
    /// Why the ledger could not be replayed, if it could not.
    pub replay_error: Option<Value>,
    pub objects_compared: u64,
    pub differences: Vec<Value>,
    /// The summary the replay reached: balance, reserved, totals.
    pub replayed: BTreeMap<String, Value>,
}

/// Findings for inspectors.
#[derive(ToSchema)]
pub struct Findings {
    pub fund: String,
    pub size: u64,
    /// How many findings of each severity.
    pub by_severity: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
}

/// One finding.
#[derive(ToSchema)]
pub struct Finding {
    pub kind: String,
    /// `high`, `medium` or `low`.
    pub severity: String,
    /// The entries it is about (at most a few dozen).
    pub seqs: Vec<u64>,
    pub message: String,
}

/// The whole fund verified on the server's database: `sound`, or the
/// first fault.
#[derive(ToSchema)]
pub struct Verified {
    pub fund: String,
    pub sound: bool,
    pub size: Option<u64>,
    pub root: Option<String>,
    pub balance_vnd: Option<Vnd>,
    pub checkpoints_checked: Option<u64>,
    pub fault: Option<Fault>,
}

/// Where verification stopped.
#[derive(ToSchema)]
pub struct Fault {
    pub seq: Option<u64>,
    pub reason: String,
}

/// A household's private records, one per fund that holds it.
#[derive(ToSchema)]
pub struct PrivateRecords {
    pub records: Vec<HouseholdRecord>,
}

/// A private record, with the salt of the ledger's commitment to it.
#[derive(ToSchema)]
pub struct HouseholdRecord {
    pub fund: String,
    pub household_id: String,
    pub private: PrivateRecord,
    pub salt: String,
}

/// Reads of private records, newest first.
#[derive(ToSchema)]
pub struct AccessLog {
    pub access_log: Vec<BTreeMap<String, Value>>,
    /// The `before` of the next page.
    pub next: Option<i64>,
}

/// Committee, fund, token and user actions, oldest first.
#[derive(ToSchema)]
pub struct AdminLog {
    pub admin_log: Vec<AdminAction>,
    /// The `after` of the next page.
    pub next: Option<i64>,
}

/// One admin action.
#[derive(ToSchema)]
pub struct AdminAction {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub person_id: Option<String>,
    pub action: String,
    pub target: String,
    pub committee_path: String,
    pub detail: Value,
}

/// A page of the statement of gifts, with what the whole search matched.
#[derive(ToSchema)]
pub struct Donations {
    pub fund: String,
    pub donations: Vec<Donation>,
    pub matched: Matched,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// Counts and sums over everything a search matched.
#[derive(ToSchema)]
pub struct Matched {
    pub count: u64,
    pub amount_vnd: Vnd,
    pub voided_count: u64,
    pub voided_amount_vnd: Vnd,
}

/// A gift on the public statement: no account number, no message.
#[derive(ToSchema)]
pub struct Donation {
    pub seq: u64,
    pub receipt_no: String,
    /// `cash` or `in_kind`.
    pub kind: String,
    pub received_on: String,
    pub recorded_at: String,
    pub donor: Donor,
    /// Cash, or the stated value of the goods.
    pub amount_vnd: Vnd,
    pub channel: Option<String>,
    pub campaign_id: Option<String>,
    pub pledge_id: Option<String>,
    pub earmark: Option<String>,
    pub bank_ref: Option<String>,
    /// The goods, as "GAO 50 kg; QUA-TET 3 gói".
    pub goods: Option<String>,
    /// `valid` or `voided`.
    pub status: String,
    pub voided_by_seq: Option<u64>,
    pub voided_reason: Option<String>,
}

/// A donor as the statement shows them.
#[derive(ToSchema)]
pub struct Donor {
    pub display: String,
    /// `individual`, `organization`, `anonymous`, …
    pub kind: String,
}

/// Sources and uses of a fund for a period (SPEC §8).
#[derive(ToSchema)]
pub struct Statement {
    pub fund: String,
    pub from: String,
    pub to: String,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub entries: u64,
    pub opening: Balances,
    pub closing: Balances,
    /// Gifts by channel and by campaign, transfers in.
    pub sources: BTreeMap<String, Value>,
    /// Distributions by support type, transfers out, expenses.
    pub uses: BTreeMap<String, Value>,
    /// Goods per item: opening, received, distributed, adjusted, closing.
    pub goods: Vec<BTreeMap<String, Value>>,
    pub reversals: BTreeMap<String, Value>,
    /// Opening + sources − uses = closing.
    pub balanced: bool,
}

/// Cash, reserved cash and stock value at one moment.
#[derive(ToSchema)]
pub struct Balances {
    pub balance_vnd: Vnd,
    pub reserved_vnd: Vnd,
    pub stock_value_vnd: Vnd,
}

/// Where a fund's money, or one campaign's, went.
#[derive(ToSchema)]
pub struct WhereMoneyWent {
    pub campaign_id: Option<String>,
    pub sources: BTreeMap<String, Value>,
    /// By support type, by commune and hamlet; households reached, houses
    /// built, Tet gifts.
    pub uses: BTreeMap<String, Value>,
    pub pending: BTreeMap<String, Value>,
    pub balance_vnd: Vnd,
    /// The book value of the goods left.
    pub stock_value_vnd: Vnd,
}

/// A new receiving account (SPEC §10).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccountInput {
    /// NAPAS bank BIN, such as 970436 (Vietcombank).
    #[schema(pattern = "^[0-9]{6}$")]
    pub bank_bin: String,
    #[schema(pattern = "^[0-9]{6,19}$")]
    pub account_no: String,
    #[schema(max_length = 200)]
    pub account_name: String,
    #[schema(max_length = 200)]
    pub bank_name: String,
}

/// The fund's receiving accounts, as committees publish them.
#[derive(ToSchema)]
pub struct BankAccounts {
    pub accounts: Vec<BTreeMap<String, Value>>,
}

/// A VietQR payload for a transfer.
#[derive(ToSchema)]
pub struct VietQr {
    /// The EMVCo/VietQR text to draw as a QR code.
    pub payload: String,
    /// `SV <reference>`: ASCII, at most 25 characters.
    pub purpose: String,
    pub account_no: String,
    pub bank_bin: String,
    pub bank_name: String,
    pub account_name: String,
    pub amount_vnd: Option<Vnd>,
}

/// The fund's sealed bank statements.
#[derive(ToSchema)]
pub struct BankStatements {
    pub statements: Vec<BTreeMap<String, Value>>,
}

/// What taking a statement in did.
#[derive(ToSchema)]
pub struct Imported {
    pub statement_id: String,
    pub layout: String,
    pub account_no: String,
    pub first_day: String,
    pub last_day: String,
    pub lines: u64,
    pub credits: u64,
    pub debits: u64,
    pub credits_vnd: Vnd,
    pub debits_vnd: Vnd,
    /// Gifts recorded from its credits.
    pub recorded: u64,
    /// Lines already known (from a webhook) and now linked.
    pub linked: u64,
    pub duplicates: u64,
    /// Lines left for a clerk to settle.
    pub review: u64,
    pub balanced: bool,
    pub sealed_seq: Option<u64>,
}

/// Bank lines with their private narratives.
#[derive(ToSchema)]
pub struct BankLines {
    pub lines: Vec<BankLine>,
}

/// One bank line.
#[derive(ToSchema)]
pub struct BankLine {
    pub line_id: String,
    pub account_no: String,
    /// `statement`, `sepay` or `casso`.
    pub source: String,
    pub day: String,
    pub bank_ref: String,
    /// `credit` or `debit`.
    pub direction: String,
    pub amount_vnd: Vnd,
    /// `review`, `gift`, `not_gift`, `withdrawal` or `outflow`.
    pub status: String,
    pub seq: Option<u64>,
    /// The narrative and counterparty, encrypted at rest; null where the
    /// caller may not read them.
    pub private: Option<Value>,
}

/// A line after settling or deciding.
#[derive(ToSchema)]
pub struct BankLineAnswer {
    pub line: BankLine,
}

/// How a clerk settles a line in review.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    /// `gift`, `not_gift`, `withdrawal` or `outflow`.
    #[serde(rename = "as")]
    pub settle_as: String,
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    pub campaign_id: Option<String>,
    pub pledge_id: Option<String>,
    /// For `outflow`: the approved outflow's seq.
    pub seq: Option<u64>,
}

/// An approver's decision on a proposed settlement.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
    pub reason: Option<String>,
}

/// A webhook's answer: `success` true once the transactions are taken.
#[derive(ToSchema)]
pub struct WebhookAnswer {
    pub success: bool,
    pub taken: Option<u64>,
    pub message: Option<String>,
}

/// A fund named in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FundPath {
    /// The fund's code, such as `HN-VNN`.
    pub fund: String,
}

/// A listing's page: where to start and how many.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the page before.
    pub cursor: Option<String>,
    /// From 1 to 1,000; 100 by default.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}
