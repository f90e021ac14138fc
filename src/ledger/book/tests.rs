//! Unit tests of the rules, beside them: each builds a [`Book`] by folding
//! real bodies the way the service does ([`Draft::parse`] reads the
//! client's body, the server's fields are filled as `state::prepare`
//! fills them, then [`Book::check`] and [`Book::commit`], as
//! `state::apply` and `replay::fold` drive them), and asserts the rule a
//! refusal names or the exact figures an accepted entry leaves.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

use super::{
    saved, At, Book, Broken, Campaign, CampaignStatus, Change, DistState, DistributionState,
    Earmark, Household, PledgeState, PledgeStatus, StockLine, Totals,
};
use crate::ledger::ids::{receipt_no, Code};
use crate::ledger::kinds::programme::Category;
use crate::ledger::kinds::spending::DistributionStatus;
use crate::ledger::kinds::{Body, FundKind, FundOpened, SupportType};
use crate::ledger::money::SumVnd;
use crate::ledger::state::Draft;
use crate::ledger::values::Sha256Hex;

/// When the client's bodies are read: 22 November 2026 in Vietnam.
fn now() -> OffsetDateTime {
    datetime!(2026-11-22 03:00 UTC)
}

/// A fund's books, written to entry by entry.
struct Fund {
    code: Code,
    book: Book,
    /// The day (Vietnam) the next entry is recorded.
    date: Date,
    /// The version entries are written under: 1 here, the rules as they
    /// were; the controls of version 2 are tested in `state`.
    v: u64,
}

impl Fund {
    /// A fund with no entry yet.
    fn empty() -> Self {
        Fund {
            code: Code::parse("HN-VNN", "f").unwrap(),
            book: Book::default(),
            date: date!(2026 - 11 - 22),
            v: 1,
        }
    }

    /// A fund whose entry 0 is its `fund_opened`.
    fn open() -> Self {
        let mut f = Self::empty();
        let body = f.fund_opened();
        f.commit("admin", &body).unwrap();
        f
    }

    fn fund_opened(&self) -> Body {
        Body::FundOpened(FundOpened {
            committee_code: Code::parse("HN", "c").unwrap(),
            committee_name: "Ủy ban MTTQ Hà Nội".into(),
            fund_code: self.code.clone(),
            fund_kind: FundKind::ForThePoor,
            origin: "sovang.local/fund/HN-VNN".into(),
            verifier_key: "sovang.local/fund/HN-VNN+00000000+AQ==".into(),
        })
    }

    fn at<'a>(&self, actor: &'a str) -> At<'a> {
        At {
            seq: self.book.size,
            actor,
            date: self.date,
            v: self.v,
        }
    }

    /// Checks `body` as the next entry and, if the rules take it, commits
    /// it: the two steps of `state::apply` and `replay::fold_read`.
    fn commit(&mut self, actor: &str, body: &Body) -> Result<Change, Broken> {
        let at = self.at(actor);
        let change = self.book.check(at, body)?;
        self.book.commit(at, body, change);
        Ok(change)
    }

    /// A client's body as the service reads it, with what the server
    /// fills: the next receipt number, the household's commitment, and a
    /// distribution's status (approved unless `pending`).
    fn body(&self, kind: &str, body: Value, pending: bool) -> Body {
        let private = (kind == "household_registered").then(
            || json!({"head_name": "Nguyễn Văn Bình", "cccd": "001086012345", "address": "Thôn 3"}),
        );
        let mut body = match Draft::parse(kind, body, private, now()) {
            Ok(d) => d.body,
            Err(e) => panic!("{kind} does not parse: {e:?}"),
        };
        let (year, n) = self.book.next_receipt(2026);
        let receipt = receipt_no(&self.code, year, n);
        match &mut body {
            Body::DonationCash(b) => b.receipt_no = receipt,
            Body::DonationInKind(b) => b.receipt_no = Some(receipt),
            Body::HouseholdRegistered(b) => {
                b.commitment = Some(Sha256Hex::parse(&"ab".repeat(32)).unwrap());
            }
            Body::Distribution(b) => {
                b.status = Some(if pending {
                    DistributionStatus::Pending
                } else {
                    DistributionStatus::Approved
                });
            }
            _ => {}
        }
        body
    }

    /// Writes an entry the rules must take, as `clerk`.
    fn write(&mut self, kind: &str, body: Value) -> Change {
        let body = self.body(kind, body, false);
        self.accept("clerk", &body)
    }

    /// Writes a distribution that waits for an approver.
    fn pending(&mut self, body: Value) -> Change {
        let body = self.body("distribution", body, true);
        self.accept("clerk", &body)
    }

    fn accept(&mut self, actor: &str, body: &Body) -> Change {
        match self.commit(actor, body) {
            Ok(c) => c,
            Err(b) => panic!("{} refused: {b:?}", body.kind().as_str()),
        }
    }

    /// Writes an entry the rules must refuse, as `clerk`, and returns why.
    fn refuse(&mut self, kind: &str, body: Value) -> Broken {
        let body = self.body(kind, body, false);
        self.refuse_body("clerk", &body)
    }

    /// A refusal changes nothing, not even the count of entries.
    fn refuse_body(&mut self, actor: &str, body: &Body) -> Broken {
        let before = (self.book.size, self.book.summary(), self.book.objects());
        let broken = self
            .commit(actor, body)
            .expect_err("the rules should refuse it");
        assert_eq!(
            (self.book.size, self.book.summary(), self.book.objects()),
            before,
            "a refusal changes nothing"
        );
        broken
    }

    fn reverse(&mut self, seq: u64) -> Change {
        self.write(
            "reversal",
            json!({"reverses_seq": seq, "reason": "Ghi nhầm"}),
        )
    }

    fn refuse_reversal(&mut self, seq: u64) -> Broken {
        self.refuse(
            "reversal",
            json!({"reverses_seq": seq, "reason": "Ghi nhầm"}),
        )
    }

    /// The seq the next entry gets.
    fn next(&self) -> u64 {
        self.book.size
    }

    fn distribution(&self, id: &str) -> &DistributionState {
        &self.book.distributions[id]
    }

    fn stock(&self, item: &str) -> &StockLine {
        &self.book.stock[item]
    }
}

/// The rule and field of a refusal.
fn rule(b: Broken) -> (&'static str, String) {
    (b.rule, b.field)
}

fn is(rule: &'static str, field: &str) -> (&'static str, String) {
    (rule, field.to_owned())
}

fn dec(n: i64) -> Decimal {
    Decimal::from(n)
}

fn gift(amount: &str) -> Value {
    json!({
        "donor": {"display": "Công ty ABC", "kind": "organization"},
        "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-21"
    })
}

fn gift_with(amount: &str, extra: Value) -> Value {
    let mut g = gift(amount);
    for (k, v) in extra.as_object().unwrap() {
        g[k] = v.clone();
    }
    g
}

/// A line of goods: `quantity` of `item` at `unit_value` đồng each.
fn line(item: &str, unit: &str, quantity: u64, unit_value: u64) -> Value {
    json!({"item": item, "quantity": quantity.to_string(), "unit": unit,
           "unit_value_vnd": unit_value, "value_vnd": quantity * unit_value})
}

fn in_kind(lines: &[Value]) -> Value {
    let total: u64 = lines.iter().map(|l| l["value_vnd"].as_u64().unwrap()).sum();
    json!({"donor": {"display": "HTX Tân Phú", "kind": "organization"},
           "items": lines, "total_value_vnd": total.to_string(), "received_on": "2026-11-20"})
}

fn household(f: &mut Fund, id: &str) {
    f.write(
        "household_registered",
        json!({"household_id": id, "commune_code": "HN-PX", "hamlet": "Thôn 3",
               "category": "poor", "members": 4, "review_year": 2026}),
    );
}

fn distribution(id: &str, household: &str, support: &str, cash: &str) -> Value {
    json!({"distribution_id": id, "household_id": household, "support_type": support,
           "cash_vnd": cash, "decision_ref": "12/QĐ-MTTQ"})
}

fn campaign(id: &str, starts_on: &str, ends_on: &str) -> Value {
    json!({"campaign_id": id, "name": "Tháng cao điểm 2026", "kind": "peak_month",
           "starts_on": starts_on, "ends_on": ends_on})
}

fn pledge(id: &str, reference: &str, amount: &str) -> Value {
    json!({"pledge_id": id, "reference": reference,
           "donor": {"display": "Công ty Hòa Bình", "kind": "organization"},
           "amount_vnd": amount})
}

fn expense(id: &str, amount: &str) -> Value {
    json!({"expense_id": id, "category": "bank_fee", "amount_vnd": amount, "decision_ref": "x"})
}

fn transfer(id: &str, amount: &str) -> Value {
    json!({"transfer_id": id, "counterparty_fund": "HN-KHAC", "amount_vnd": amount,
           "decision_ref": "QĐ 7", "purpose": "Hỗ trợ quỹ xã"})
}

/// A `transfer_in` as the server writes it for the receiving fund.
fn transfer_in(f: &Fund, id: &str, amount: &str) -> Body {
    match f.body("transfer_out", transfer(id, amount), false) {
        Body::TransferOut(t) => Body::TransferIn(t),
        _ => unreachable!(),
    }
}

fn adjust(item: &str, delta: &str, reason: &str) -> Value {
    json!({"item": item, "quantity_delta": delta, "reason": reason, "decision_ref": "BB-01"})
}

fn approve(id: &str) -> Value {
    json!({"distribution_id": id})
}

/// Everything an entry can change that a reversal gives back. Not the
/// receipt counter (numbers only move forward), nor the transfer and
/// expense ids (they stay taken). Earmarks and stock lines that hold
/// nothing at all are left out: a reversal leaves them behind, empty.
#[derive(Debug, PartialEq)]
struct Figures {
    balance_vnd: SumVnd,
    reserved_vnd: SumVnd,
    totals: Totals,
    earmarks: BTreeMap<SupportType, Earmark>,
    campaigns: BTreeMap<String, Campaign>,
    pledges: BTreeMap<String, PledgeState>,
    references: BTreeMap<String, String>,
    households: BTreeMap<String, Household>,
    distributions: BTreeMap<String, DistributionState>,
    stock: BTreeMap<String, StockLine>,
    periods: BTreeMap<String, u64>,
}

fn figures(b: &Book) -> Figures {
    Figures {
        balance_vnd: b.balance_vnd,
        reserved_vnd: b.reserved_vnd,
        totals: b.totals.clone(),
        earmarks: b
            .earmarks
            .iter()
            .filter(|(_, e)| **e != Earmark::default())
            .map(|(t, e)| (*t, e.clone()))
            .collect(),
        campaigns: b.campaigns.clone(),
        pledges: b.pledges.clone(),
        references: b
            .references
            .iter()
            .map(|(r, p)| (r.clone(), p.clone()))
            .collect(),
        households: b.households.clone(),
        distributions: b.distributions.clone(),
        stock: b
            .stock
            .iter()
            .filter(|(_, l)| !(l.quantity.is_zero() && l.reserved.is_zero() && l.value_vnd == 0))
            .map(|(i, l)| (i.clone(), l.clone()))
            .collect(),
        periods: b.periods.clone(),
    }
}

/// Writes `body` (already read), reverses it, and checks the figures are
/// exactly those before it, and that the entry had changed them.
fn undone_exactly(f: &mut Fund, actor: &str, body: &Body) {
    let before = figures(&f.book);
    let seq = f.next();
    f.accept(actor, body);
    assert_ne!(
        figures(&f.book),
        before,
        "{} changed nothing",
        body.kind().as_str()
    );
    f.reverse(seq);
    assert_eq!(
        figures(&f.book),
        before,
        "reversing {} restores the figures",
        body.kind().as_str()
    );
    let r = &f.book.reversals[&seq];
    assert_eq!(
        (r.reversed_seq, r.kind, r.by_seq, r.reason.as_str()),
        (seq, body.kind(), f.next() - 1, "Ghi nhầm")
    );
}

/// [`undone_exactly`] for a client's body written by `clerk`.
fn undo_write(f: &mut Fund, kind: &str, body: Value) {
    let body = f.body(kind, body, false);
    undone_exactly(f, "clerk", &body);
}

// Entry 0 and the order of entries.

#[test]
fn entry_0_must_be_fund_opened_and_fund_opened_is_entry_0_only() {
    let mut f = Fund::empty();
    let g = f.body("donation_cash", gift("1000"), false);
    assert_eq!(
        rule(f.refuse_body("clerk", &g)),
        is("fund_not_open", "kind")
    );
    assert_eq!(f.book.size, 0);
    let opened = f.fund_opened();
    assert_eq!(f.commit("admin", &opened), Ok(Change::default()));
    assert_eq!((f.book.size, f.book.balance_vnd), (1, 0));
    assert_eq!(
        rule(f.refuse_body("admin", &opened)),
        is("fund_opened_first", "kind")
    );
    f.write("donation_cash", gift("1000"));
    assert_eq!((f.book.size, f.book.balance_vnd), (2, 1000));
}

#[test]
fn an_entry_that_does_not_follow_the_last_one_is_refused() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("1000"));
    let body = f.body("donation_cash", gift("1000"), false);
    for seq in [0, 1, 3, 7] {
        let at = At {
            seq,
            actor: "clerk",
            date: f.date,
            v: 1,
        };
        let b = f.book.check(at, &body).unwrap_err();
        assert_eq!(rule(b), is("out_of_order", "seq"));
    }
    assert_eq!(f.commit("clerk", &body), Ok(Change::default()));
    assert_eq!(f.book.size, 3);
}

// Ids and references.

#[test]
fn campaign_and_pledge_ids_and_pledge_references_are_never_taken_twice() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    assert_eq!(
        rule(f.refuse(
            "campaign_opened",
            campaign("c1", "2026-11-01", "2026-11-30")
        )),
        is("duplicate_id", "body.campaign_id")
    );
    let mut p = pledge("p1", "REF1", "1000000");
    p["campaign_id"] = json!("c1");
    f.write("pledge", p);
    assert_eq!(
        rule(f.refuse("pledge", pledge("p1", "REF2", "1000"))),
        is("duplicate_id", "body.pledge_id")
    );
    assert_eq!(
        rule(f.refuse("pledge", pledge("p2", "REF1", "1000"))),
        is("duplicate_reference", "body.reference")
    );
    f.write("pledge", pledge("p2", "REF2", "2000"));
    assert_eq!(f.book.references["REF1"], "p1");
    assert_eq!(f.book.references["REF2"], "p2");
    assert_eq!(f.book.campaigns["c1"].pledges, 1);
    let p1 = &f.book.pledges["p1"];
    assert_eq!(
        (p1.pledged_vnd, p1.status, p1.campaign_id.as_deref()),
        (1_000_000, PledgeStatus::Open, Some("c1"))
    );
}

#[test]
fn household_distribution_transfer_and_expense_ids_are_never_taken_twice() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("10000000"));
    household(&mut f, "hh-1");
    assert_eq!(
        rule(f.refuse(
            "household_registered",
            json!({"household_id": "hh-1", "commune_code": "HN-PX", "hamlet": "Thôn 4",
                   "category": "near_poor", "members": 2, "review_year": 2026})
        )),
        is("duplicate_id", "body.household_id")
    );
    f.write(
        "distribution",
        distribution("d1", "hh-1", "tet_gift", "1000"),
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            distribution("d1", "hh-1", "tet_gift", "1000")
        )),
        is("duplicate_id", "body.distribution_id")
    );
    f.write("transfer_out", transfer("t1", "1000"));
    assert_eq!(
        rule(f.refuse("transfer_out", transfer("t1", "1000"))),
        is("duplicate_id", "body.transfer_id")
    );
    let t = transfer_in(&f, "t1", "1000");
    assert_eq!(
        rule(f.refuse_body("system", &t)),
        is("duplicate_id", "body.transfer_id")
    );
    f.write("expense", expense("e1", "1000"));
    assert_eq!(
        rule(f.refuse("expense", expense("e1", "1000"))),
        is("duplicate_id", "body.expense_id")
    );
    assert_eq!(f.book.balance_vnd, 10_000_000 - 3000);
    assert_eq!(f.book.transfer_seq("t1"), Some(4));
}

#[test]
fn an_entry_without_the_id_the_server_assigns_is_refused() {
    let mut f = Fund::open();
    let mut c = campaign("c1", "2026-10-01", "2026-12-31");
    c.as_object_mut().unwrap().remove("campaign_id");
    assert_eq!(
        rule(f.refuse("campaign_opened", c)),
        is("id_missing", "body.campaign_id")
    );
    let mut e = expense("e1", "1");
    e.as_object_mut().unwrap().remove("expense_id");
    assert_eq!(
        rule(f.refuse("expense", e)),
        is("id_missing", "body.expense_id")
    );
}

#[test]
fn a_household_without_its_commitment_or_a_distribution_without_its_status_is_refused() {
    let mut f = Fund::open();
    let mut h = f.body(
        "household_registered",
        json!({"household_id": "hh-1", "commune_code": "HN-PX", "hamlet": "Thôn 3",
               "category": "poor", "members": 4, "review_year": 2026}),
        false,
    );
    if let Body::HouseholdRegistered(b) = &mut h {
        b.commitment = None;
    }
    assert_eq!(
        rule(f.refuse_body("clerk", &h)),
        is("commitment_missing", "body.commitment")
    );
    household(&mut f, "hh-1");
    f.write("donation_cash", gift("1000"));
    let mut d = f.body(
        "distribution",
        distribution("d1", "hh-1", "tet_gift", "1000"),
        false,
    );
    if let Body::Distribution(b) = &mut d {
        b.status = None;
    }
    assert_eq!(
        rule(f.refuse_body("clerk", &d)),
        is("status_missing", "body.status")
    );
}

#[test]
fn a_reclassification_never_goes_back_to_an_earlier_review_year() {
    let mut f = Fund::open();
    household(&mut f, "hh-1");
    let reclass = |id: &str, category: &str, year: i32| {
        json!({"household_id": id, "category": category, "review_year": year,
               "decision_ref": "QĐ 45/UBND"})
    };
    assert_eq!(
        rule(f.refuse("household_reclassified", reclass("hh-1", "near_poor", 2025))),
        is("review_year_order", "body.review_year")
    );
    assert_eq!(
        rule(f.refuse("household_reclassified", reclass("hh-9", "near_poor", 2026))),
        is("unknown_household", "body.household_id")
    );
    let seq = f.next();
    f.write("household_reclassified", reclass("hh-1", "near_poor", 2027));
    let h = &f.book.households["hh-1"];
    assert_eq!(
        (h.category, h.review_year, h.classes.len(), h.classes[1].seq),
        (Category::NearPoor, 2027, 2, seq)
    );
    f.write("household_reclassified", reclass("hh-1", "hardship", 2027));
    assert_eq!(f.book.households["hh-1"].category, Category::Hardship);
}

#[test]
fn a_review_is_one_per_household_and_year_and_reversed_to_correct_it() {
    let mut f = Fund::open();
    f.write(
        "household_registered",
        json!({"household_id": "hh-1", "commune_code": "HN-PX", "hamlet": "Thôn 3",
               "category": "poor", "members": 4, "review_year": 2025}),
    );
    let review = |id: &str, category: &str, year: i32| {
        json!({"household_id": id, "category": category, "review_year": year,
               "decision_ref": "QĐ 45/QĐ-UBND"})
    };
    assert_eq!(
        rule(f.refuse("household_reviewed", review("hh-9", "not_poor", 2026))),
        is("unknown_household", "body.household_id")
    );
    // The year it was classed for is not reviewed again: that is a
    // reclassification.
    assert_eq!(
        rule(f.refuse("household_reviewed", review("hh-1", "not_poor", 2025))),
        is("review_year_order", "body.review_year")
    );
    let seq = f.next();
    f.write("household_reviewed", review("hh-1", "not_poor", 2026));
    let h = &f.book.households["hh-1"];
    assert_eq!(
        (h.category, h.review_year, h.classes.len()),
        (Category::NotPoor, 2026, 2)
    );
    assert!(h.classes[1].reviewed && !h.classes[0].reviewed);
    assert_eq!(
        rule(f.refuse("household_reviewed", review("hh-1", "poor", 2026))),
        is("review_recorded", "body.review_year")
    );
    f.write(
        "reversal",
        json!({"reverses_seq": seq, "reason": "Nhầm hộ"}),
    );
    let h = &f.book.households["hh-1"];
    assert_eq!(
        (h.category, h.review_year, h.classes.len()),
        (Category::Poor, 2025, 1)
    );
    f.write("household_reviewed", review("hh-1", "newly_escaped", 2026));
    assert_eq!(f.book.households["hh-1"].category, Category::NewlyEscaped);
}

#[test]
fn a_sponsorship_names_known_households_and_is_fulfilled_by_what_names_it() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("10000000"));
    household(&mut f, "hh-1");
    household(&mut f, "hh-2");
    household(&mut f, "hh-3");
    let sp = |id: &str, year: i32, ids: Value| {
        json!({"sponsorship_id": id, "sponsor": {"display": "Công ty ABC", "kind": "organization"},
               "year": year, "household_ids": ids, "value_vnd": "1500000"})
    };
    assert_eq!(
        rule(f.refuse(
            "sponsorship_registered",
            sp("sp-1", 2026, json!(["hh-1", "hh-9"]))
        )),
        is("unknown_household", "body.household_ids[1]")
    );
    let seq = f.next();
    f.write(
        "sponsorship_registered",
        sp("sp-1", 2026, json!(["hh-1", "hh-2"])),
    );
    assert_eq!(
        rule(f.refuse("sponsorship_registered", sp("sp-1", 2026, json!(["hh-1"])))),
        is("duplicate_id", "body.sponsorship_id")
    );
    f.write("sponsorship_registered", sp("sp-0", 2025, json!(["hh-3"])));
    f.write(
        "sponsorship_registered",
        json!({"sponsorship_id": "sp-3", "sponsor": {"display": "Công ty ABC", "kind": "organization"},
               "year": 2026, "households": 3}),
    );
    // What each commits to: the households it names, or the number.
    let committed: Vec<u64> = ["sp-0", "sp-1", "sp-3"]
        .iter()
        .map(|id| f.book.sponsorships[*id].households)
        .collect();
    assert_eq!(committed, [1, 2, 3]);
    let named = |id: &str, h: &str, sp: &str| {
        let mut d = distribution(id, h, "livelihood", "1000000");
        d["sponsorship_id"] = json!(sp);
        d
    };
    assert_eq!(
        rule(f.refuse("distribution", named("d-0", "hh-1", "sp-9"))),
        is("unknown_sponsorship", "body.sponsorship_id")
    );
    assert_eq!(
        rule(f.refuse("distribution", named("d-0", "hh-3", "sp-1"))),
        is("not_sponsored", "body.sponsorship_id")
    );
    // Support recorded this year does not fulfil last year's commitment.
    assert_eq!(
        rule(f.refuse("distribution", named("d-0", "hh-3", "sp-0"))),
        is("sponsorship_year", "body.sponsorship_id")
    );
    f.write("distribution", named("d-1", "hh-1", "sp-1"));
    let s = f.book.sponsorships["sp-1"].clone();
    let p = f.book.sponsorship_progress(&s);
    assert_eq!(
        (p.households_reached, p.given_vnd, p.fulfilled),
        (1, 1_000_000, false)
    );
    assert_eq!(
        rule(f.refuse_reversal(seq)),
        is("sponsorship_in_use", "body.reverses_seq")
    );
    // A household a sponsorship names stays registered.
    let registered = f.book.households["hh-3"].registered_seq;
    assert_eq!(
        rule(f.refuse_reversal(registered)),
        is("household_in_use", "body.reverses_seq")
    );
    f.write("distribution", named("d-2", "hh-2", "sp-1"));
    let s = f.book.sponsorships["sp-1"].clone();
    let p = f.book.sponsorship_progress(&s);
    assert_eq!(
        (p.households_reached, p.given_vnd, p.fulfilled),
        (2, 2_000_000, true)
    );
    // A distribution reversed no longer counts; the sponsorship stands.
    let d2 = f.book.distributions["d-2"].seq;
    f.write("reversal", json!({"reverses_seq": d2, "reason": "Nhầm"}));
    let s = f.book.sponsorships["sp-1"].clone();
    assert!(!f.book.sponsorship_progress(&s).fulfilled);
    assert_eq!(
        rule(f.refuse_reversal(seq)),
        is("sponsorship_in_use", "body.reverses_seq")
    );
}

// Receipts.

#[test]
fn receipt_numbers_follow_one_another_and_restart_only_in_a_later_year() {
    let mut f = Fund::open();
    let mut g = f.body("donation_cash", gift("1000"), false);
    let set = |g: &mut Body, r: &str| {
        if let Body::DonationCash(b) = g {
            b.receipt_no = r.to_owned();
        }
    };
    set(&mut g, "HN-VNN-2026-000002");
    assert_eq!(
        rule(f.refuse_body("clerk", &g)),
        is("receipt_out_of_sequence", "body.receipt_no")
    );
    set(&mut g, "HN-VNN-2026-000001");
    f.accept("clerk", &g);
    assert_eq!((f.book.receipt_year, f.book.receipt_last), (2026, 1));
    for bad in [
        "HN-VNN-2026-000001",
        "HN-VNN-2025-000002",
        "HN-VNN-2027-000002",
    ] {
        set(&mut g, bad);
        assert_eq!(
            rule(f.refuse_body("clerk", &g)),
            is("receipt_out_of_sequence", "body.receipt_no")
        );
    }
    set(&mut g, "HN-VNN-2027-000001");
    f.accept("clerk", &g);
    assert_eq!((f.book.receipt_year, f.book.receipt_last), (2027, 1));
    assert_eq!(f.book.next_receipt(2026), (2027, 2));
    assert_eq!(f.book.next_receipt(2028), (2028, 1));
}

// Campaigns and pledges.

#[test]
fn a_gift_outside_its_campaign_window_is_refused_and_one_inside_counts_for_it() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-17", "2026-11-18"),
    );
    for day in ["2026-10-16", "2026-11-19"] {
        let g = gift_with("500000", json!({"campaign_id": "c1", "received_on": day}));
        assert_eq!(
            rule(f.refuse("donation_cash", g)),
            is("outside_campaign_window", "body.received_on")
        );
    }
    for day in ["2026-10-17", "2026-11-18"] {
        f.write(
            "donation_cash",
            gift_with("500000", json!({"campaign_id": "c1", "received_on": day})),
        );
    }
    let mut goods = in_kind(&[line("GAO", "kg", 10, 20_000)]);
    goods["campaign_id"] = json!("c1");
    assert_eq!(
        rule(f.refuse("donation_in_kind", goods.clone())),
        is("outside_campaign_window", "body.received_on")
    );
    goods["received_on"] = json!("2026-11-18");
    f.write("donation_in_kind", goods);
    let c = &f.book.campaigns["c1"];
    assert_eq!(
        (c.gifts, c.cash_received_vnd, c.goods_received_vnd),
        (3, 1_000_000, 200_000)
    );
    assert_eq!(f.book.totals.gifts, 3);
    assert_eq!(f.book.totals.cash_received_vnd, 1_000_000);
    assert_eq!(f.book.totals.goods_received_vnd, 200_000);
    assert_eq!(
        rule(f.refuse(
            "donation_cash",
            gift_with("1", json!({"campaign_id": "c9"}))
        )),
        is("unknown_campaign", "body.campaign_id")
    );
}

#[test]
fn a_closed_campaign_takes_no_gift_or_pledge_and_closes_once() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "campaign_closed",
        json!({"campaign_id": "c1", "reason": "Hết đợt"}),
    );
    let c = &f.book.campaigns["c1"];
    assert_eq!(
        (c.status, c.closed_reason.as_deref()),
        (CampaignStatus::Closed, Some("Hết đợt"))
    );
    assert_eq!(
        rule(f.refuse(
            "donation_cash",
            gift_with("1000", json!({"campaign_id": "c1"}))
        )),
        is("campaign_closed", "body.campaign_id")
    );
    let mut p = pledge("p1", "REF1", "1000");
    p["campaign_id"] = json!("c1");
    assert_eq!(
        rule(f.refuse("pledge", p)),
        is("campaign_closed", "body.campaign_id")
    );
    assert_eq!(
        rule(f.refuse("campaign_closed", json!({"campaign_id": "c1"}))),
        is("campaign_closed", "body.campaign_id")
    );
    assert_eq!(
        rule(f.refuse("campaign_closed", json!({"campaign_id": "c9"}))),
        is("unknown_campaign", "body.campaign_id")
    );
}

#[test]
fn gifts_against_a_pledge_fill_it_and_a_cancelled_pledge_takes_none() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "campaign_opened",
        campaign("c2", "2026-10-01", "2026-12-31"),
    );
    let mut p = pledge("p1", "REF1", "1000000");
    p["campaign_id"] = json!("c1");
    f.write("pledge", p);
    f.write(
        "donation_cash",
        gift_with("400000", json!({"pledge_id": "p1", "campaign_id": "c1"})),
    );
    let p1 = &f.book.pledges["p1"];
    assert_eq!(
        (p1.received_vnd, p1.gifts, p1.status, p1.outstanding_vnd()),
        (400_000, 1, PledgeStatus::Open, 600_000)
    );
    assert_eq!(
        rule(f.refuse(
            "donation_cash",
            gift_with("1", json!({"pledge_id": "p1", "campaign_id": "c2"}))
        )),
        is("pledge_campaign_mismatch", "body.campaign_id")
    );
    let mut goods = in_kind(&[line("GAO", "kg", 10, 20_000)]);
    goods["pledge_id"] = json!("p1");
    assert_eq!(
        rule(f.refuse("donation_in_kind", goods)),
        is("pledge_kind_mismatch", "body.pledge_id")
    );
    f.write(
        "donation_cash",
        gift_with("600000", json!({"pledge_id": "p1"})),
    );
    let p1 = &f.book.pledges["p1"];
    assert_eq!(
        (p1.received_vnd, p1.gifts, p1.status, p1.outstanding_vnd()),
        (1_000_000, 2, PledgeStatus::Fulfilled, 0)
    );
    assert_eq!(f.book.campaigns["c1"].cash_received_vnd, 400_000);

    f.write("pledge", pledge("p2", "REF2", "500000"));
    f.write(
        "pledge_cancelled",
        json!({"pledge_id": "p2", "reason": "Nhà tài trợ rút"}),
    );
    let p2 = &f.book.pledges["p2"];
    assert_eq!(
        (
            p2.status,
            p2.outstanding_vnd(),
            p2.cancelled_reason.as_deref()
        ),
        (PledgeStatus::Cancelled, 0, Some("Nhà tài trợ rút"))
    );
    assert_eq!(
        rule(f.refuse("donation_cash", gift_with("1", json!({"pledge_id": "p2"})))),
        is("pledge_cancelled", "body.pledge_id")
    );
    assert_eq!(
        rule(f.refuse(
            "pledge_cancelled",
            json!({"pledge_id": "p2", "reason": "lần nữa"})
        )),
        is("pledge_cancelled", "body.pledge_id")
    );
    assert_eq!(
        rule(f.refuse("donation_cash", gift_with("1", json!({"pledge_id": "p9"})))),
        is("unknown_pledge", "body.pledge_id")
    );
}

// Earmarks, expenses and transfers.

#[test]
fn earmarked_cash_pays_only_its_support_type_and_expenses_and_transfers_draw_on_general_cash() {
    let mut f = Fund::open();
    f.write(
        "donation_cash",
        gift_with("30000000", json!({"earmark": "house_new"})),
    );
    f.write("donation_cash", gift("1000000"));
    household(&mut f, "hh-1");
    assert_eq!(f.book.general_vnd(), 1_000_000);
    assert_eq!(
        rule(f.refuse(
            "distribution",
            distribution("d0", "hh-1", "cash_grant", "1000001")
        )),
        is("earmark", "body.cash_vnd")
    );
    assert_eq!(
        f.write(
            "distribution",
            distribution("d1", "hh-1", "cash_grant", "1000000")
        ),
        Change::default()
    );
    let c = f.write(
        "distribution",
        distribution("d2", "hh-1", "house_new", "15000000"),
    );
    assert_eq!(c.from_earmark_vnd, 15_000_000);
    let e = &f.book.earmarks[&SupportType::HouseNew];
    assert_eq!(
        (e.received_vnd, e.used_vnd, e.reserved_vnd, e.free_vnd()),
        (30_000_000, 15_000_000, 0, 15_000_000)
    );
    assert_eq!(f.distribution("d2").from_earmark_vnd, 15_000_000);
    assert_eq!(f.book.balance_vnd, 15_000_000);
    assert_eq!(f.book.general_vnd(), 0);
    // The money is there, but held for house_new.
    assert_eq!(
        rule(f.refuse("expense", expense("e1", "1"))),
        is("earmark", "body.amount_vnd")
    );
    assert_eq!(
        rule(f.refuse("transfer_out", transfer("t1", "1"))),
        is("earmark", "body.amount_vnd")
    );
    // More than there is at all.
    assert_eq!(
        rule(f.refuse(
            "distribution",
            distribution("d3", "hh-1", "house_new", "15000001")
        )),
        is("insufficient_funds", "body.cash_vnd")
    );
    f.write("donation_cash", gift("500000"));
    f.write("expense", expense("e1", "200000"));
    f.write("transfer_out", transfer("t1", "300000"));
    assert_eq!(f.book.balance_vnd, 15_000_000);
    assert_eq!(f.book.totals.expenses_vnd, 200_000);
    assert_eq!(f.book.totals.transfers_out_vnd, 300_000);
    assert_eq!(
        rule(f.refuse("expense", expense("e2", "15000001"))),
        is("insufficient_funds", "body.amount_vnd")
    );
}

#[test]
fn a_transfer_in_adds_general_cash() {
    let mut f = Fund::open();
    let t = transfer_in(&f, "t1", "2000000");
    f.accept("system", &t);
    assert_eq!(f.book.balance_vnd, 2_000_000);
    assert_eq!(f.book.general_vnd(), 2_000_000);
    assert_eq!(f.book.totals.transfers_in_vnd, 2_000_000);
    assert_eq!(f.book.transfer_seq("t1"), Some(1));
    f.write("expense", expense("e1", "2000000"));
    assert_eq!(f.book.balance_vnd, 0);
}

// Distributions.

#[test]
fn a_distribution_above_the_available_cash_is_refused() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("10000000"));
    household(&mut f, "hh-1");
    assert_eq!(
        rule(f.refuse(
            "distribution",
            distribution("d0", "hh-1", "cash_grant", "10000001")
        )),
        is("insufficient_funds", "body.cash_vnd")
    );
    f.pending(distribution("d1", "hh-1", "house_new", "6000000"));
    assert_eq!(f.book.available_vnd(), 4_000_000);
    let refused = f.refuse(
        "distribution",
        distribution("d2", "hh-1", "cash_grant", "4000001"),
    );
    // The clerk is told the figures, as the console shows them.
    assert_eq!(
        refused.message,
        "4000001 đồng are needed but only 4000000 are available (balance 10000000 less 6000000 held by pending outflows)"
    );
    assert_eq!(rule(refused), is("insufficient_funds", "body.cash_vnd"));
    f.write(
        "distribution",
        distribution("d2", "hh-1", "cash_grant", "4000000"),
    );
    assert_eq!(
        (
            f.book.balance_vnd,
            f.book.reserved_vnd,
            f.book.available_vnd()
        ),
        (6_000_000, 6_000_000, 0)
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            distribution("d3", "hh-9", "cash_grant", "1")
        )),
        is("unknown_household", "body.household_id")
    );
}

#[test]
fn a_pending_distribution_reserves_cash_and_stock_until_another_person_approves_it() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.write("donation_cash", gift("10000000"));
    household(&mut f, "hh-1");
    let mut d = distribution("d1", "hh-1", "tet_gift", "3000000");
    d["items"] = json!([line("GAO", "kg", 10, 20_000)]);
    f.pending(d);
    assert_eq!(
        (f.book.balance_vnd, f.book.reserved_vnd),
        (10_000_000, 3_000_000)
    );
    let s = f.stock("GAO");
    assert_eq!(
        (s.quantity, s.reserved, s.available(), s.value_vnd),
        (dec(100), dec(10), dec(90), 2_000_000)
    );
    let d1 = f.distribution("d1");
    assert_eq!(
        (
            d1.status,
            d1.cash_vnd,
            d1.goods_vnd,
            d1.recorded_by.as_str()
        ),
        (DistState::Pending, 3_000_000, 200_000, "clerk")
    );
    assert_eq!(f.book.totals.distributed_cash_vnd, 0);
    assert_eq!(f.book.households["hh-1"].distributions, vec!["d1"]);

    let a = f.body("distribution_approved", approve("d1"), false);
    assert_eq!(
        rule(f.refuse_body("clerk", &a)),
        is("self_approval", "body.distribution_id")
    );
    let seq = f.next();
    f.accept("approver", &a);
    assert_eq!((f.book.balance_vnd, f.book.reserved_vnd), (7_000_000, 0));
    let s = f.stock("GAO");
    assert_eq!(
        (s.quantity, s.reserved, s.value_vnd),
        (dec(90), dec(0), 1_800_000)
    );
    let d1 = f.distribution("d1");
    assert_eq!(
        (d1.status, d1.approved_by.as_deref(), d1.approved_seq),
        (DistState::Approved, Some("approver"), Some(seq))
    );
    assert_eq!(f.book.totals.distributed_cash_vnd, 3_000_000);
    assert_eq!(f.book.totals.distributed_goods_vnd, 200_000);
    assert_eq!(
        rule(f.refuse_body("approver", &a)),
        is("not_pending", "body.distribution_id")
    );
    assert_eq!(
        rule(f.refuse("distribution_approved", approve("d9"))),
        is("unknown_distribution", "body.distribution_id")
    );
}

#[test]
fn a_pending_distribution_voided_releases_what_it_reserved() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.write(
        "donation_cash",
        gift_with("10000000", json!({"earmark": "tet_gift"})),
    );
    household(&mut f, "hh-1");
    let mut d = distribution("d1", "hh-1", "tet_gift", "3000000");
    d["items"] = json!([line("GAO", "kg", 10, 20_000)]);
    let c = f.pending(d);
    assert_eq!(c.from_earmark_vnd, 3_000_000);
    assert_eq!(
        f.book.earmarks[&SupportType::TetGift].reserved_vnd,
        3_000_000
    );
    assert_eq!(f.book.earmarks[&SupportType::TetGift].free_vnd(), 7_000_000);
    assert_eq!(
        f.book.object("earmark", "tet_gift"),
        Some(json!({"received_vnd": "10000000", "used_vnd": "0", "reserved_vnd": "3000000"}))
    );
    assert_eq!(f.book.object("earmark", "house_new"), None);
    f.write(
        "distribution_voided",
        json!({"distribution_id": "d1", "reason": "Hộ đã chuyển đi"}),
    );
    assert_eq!((f.book.balance_vnd, f.book.reserved_vnd), (10_000_000, 0));
    assert_eq!(f.book.earmarks[&SupportType::TetGift].reserved_vnd, 0);
    assert_eq!(
        f.book.earmarks[&SupportType::TetGift].free_vnd(),
        10_000_000
    );
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.reserved), (dec(100), dec(0)));
    let d1 = f.distribution("d1");
    assert_eq!(
        (d1.status, d1.voided_reason.as_deref()),
        (DistState::Voided, Some("Hộ đã chuyển đi"))
    );
    assert_eq!(
        rule(f.refuse(
            "distribution_voided",
            json!({"distribution_id": "d1", "reason": "lần nữa"})
        )),
        is("not_pending", "body.distribution_id")
    );
    let a = f.body("distribution_approved", approve("d1"), false);
    assert_eq!(
        rule(f.refuse_body("approver", &a)),
        is("not_pending", "body.distribution_id")
    );
}

#[test]
fn only_an_approved_distribution_is_acknowledged_and_only_once() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("10000000"));
    household(&mut f, "hh-1");
    f.pending(distribution("d1", "hh-1", "house_new", "5000000"));
    let ack = |id: &str| json!({"distribution_id": id, "method": "thumbprint", "acknowledged_on": "2026-11-22"});
    assert_eq!(
        rule(f.refuse("distribution_acknowledged", ack("d1"))),
        is("not_approved", "body.distribution_id")
    );
    f.write(
        "distribution",
        distribution("d2", "hh-1", "tet_gift", "1000000"),
    );
    let seq = f.next();
    f.write("distribution_acknowledged", ack("d2"));
    let a = f.distribution("d2").acknowledged.clone().unwrap();
    assert_eq!(
        (a.acknowledged_on.as_str(), a.seq, a.evidence_sha256),
        ("2026-11-22", seq, None)
    );
    assert_eq!(
        rule(f.refuse("distribution_acknowledged", ack("d2"))),
        is("already_acknowledged", "body.distribution_id")
    );
    assert_eq!(
        rule(f.refuse("distribution_acknowledged", ack("d9"))),
        is("unknown_distribution", "body.distribution_id")
    );
    assert_eq!(f.book.balance_vnd, 9_000_000);
}

// Stock.

#[test]
fn in_kind_gifts_add_stock_at_their_stated_value() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.write(
        "donation_in_kind",
        in_kind(&[
            line("GAO", "kg", 50, 22_000),
            line("MI", "thùng", 3, 95_000),
        ]),
    );
    let s = f.stock("GAO");
    assert_eq!(
        (s.quantity, s.reserved, s.value_vnd, s.unit.as_str()),
        (dec(150), dec(0), 3_100_000, "kg")
    );
    let m = f.stock("MI");
    assert_eq!((m.quantity, m.value_vnd), (dec(3), 285_000));
    assert_eq!(f.book.totals.goods_received_vnd, 3_385_000);
    assert_eq!(f.book.totals.gifts, 2);
    assert_eq!(f.book.balance_vnd, 0);
    assert_eq!(
        rule(f.refuse(
            "donation_in_kind",
            in_kind(&[line("GAO", "bao", 1, 500_000)])
        )),
        is("unit_mismatch", "body.items[0].unit")
    );
}

#[test]
fn stock_never_goes_below_zero_counting_what_pending_distributions_hold() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    household(&mut f, "hh-1");
    let goods = |id: &str, lines: Value| {
        let mut d = distribution(id, "hh-1", "tet_gift", "0");
        d["items"] = lines;
        d
    };
    assert_eq!(
        rule(f.refuse(
            "distribution",
            goods("d0", json!([line("GAO", "kg", 101, 20_000)]))
        )),
        is("stock_insufficient", "body.items")
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            goods(
                "d0",
                json!([line("GAO", "kg", 60, 20_000), line("GAO", "kg", 41, 20_000)])
            )
        )),
        is("stock_insufficient", "body.items")
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            goods("d0", json!([line("MI", "thùng", 1, 95_000)]))
        )),
        is("stock_insufficient", "body.items[0].item")
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            goods("d0", json!([line("GAO", "bao", 1, 20_000)]))
        )),
        is("unit_mismatch", "body.items[0].unit")
    );
    f.pending(goods("d1", json!([line("GAO", "kg", 50, 20_000)])));
    assert_eq!(
        rule(f.refuse("stock_adjusted", adjust("GAO", "-51", "spoiled"))),
        is("stock_insufficient", "body.quantity_delta")
    );
    assert_eq!(
        rule(f.refuse(
            "distribution",
            goods("d2", json!([line("GAO", "kg", 51, 20_000)]))
        )),
        is("stock_insufficient", "body.items")
    );
    f.write(
        "distribution",
        goods("d2", json!([line("GAO", "kg", 50, 20_000)])),
    );
    let s = f.stock("GAO");
    assert_eq!(
        (s.quantity, s.reserved, s.available(), s.value_vnd),
        (dec(50), dec(50), dec(0), 1_000_000)
    );
    assert_eq!(
        rule(f.refuse("stock_adjusted", adjust("MI", "-1", "lost"))),
        is("unknown_item", "body.item")
    );
}

#[test]
fn a_write_off_takes_value_at_the_average_and_the_last_units_take_what_is_left() {
    let mut f = Fund::open();
    f.write("donation_in_kind", in_kind(&[line("GAO", "kg", 10, 100)]));
    let c = f.write("stock_adjusted", adjust("GAO", "-3", "spoiled"));
    assert_eq!(c.value_delta_vnd, -300);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(7), 700));
    let c = f.write("stock_adjusted", adjust("GAO", "-7", "lost"));
    assert_eq!(c.value_delta_vnd, -700);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(0), 0));
    assert_eq!(f.book.totals.stock_adjusted_vnd, -1000);

    // 3 units worth 1,000 in all: 333.33 each, rounded; the last takes
    // what is left rather than the rounded average.
    f.write(
        "donation_in_kind",
        in_kind(&[line("MI", "thùng", 1, 500), line("MI", "thùng", 2, 250)]),
    );
    assert_eq!(f.stock("MI").value_vnd, 1000);
    let c = f.write("stock_adjusted", adjust("MI", "-1", "spoiled"));
    assert_eq!(c.value_delta_vnd, -333);
    let c = f.write("stock_adjusted", adjust("MI", "-1", "spoiled"));
    // 667 / 2 = 333.5, rounded away from zero.
    assert_eq!(c.value_delta_vnd, -334);
    assert_eq!(f.stock("MI").value_vnd, 333);
    let c = f.write("stock_adjusted", adjust("MI", "-1", "spoiled"));
    assert_eq!(c.value_delta_vnd, -333);
    let s = f.stock("MI");
    assert_eq!((s.quantity, s.value_vnd), (dec(0), 0));
    assert_eq!(f.book.totals.stock_adjusted_vnd, -2000);
}

#[test]
fn a_count_correction_on_an_empty_line_states_its_unit_value_and_only_there() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    f.write("stock_adjusted", adjust("GAO", "-10", "spoiled"));
    assert_eq!(f.stock("GAO").quantity, dec(0));
    assert_eq!(
        rule(f.refuse("stock_adjusted", adjust("GAO", "5", "count_correction"))),
        is("unit_value_required", "body.unit_value_vnd")
    );
    let mut found = adjust("GAO", "5", "count_correction");
    found["unit_value_vnd"] = json!(18_000);
    let c = f.write("stock_adjusted", found.clone());
    assert_eq!(c.value_delta_vnd, 90_000);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(5), 90_000));
    assert_eq!(f.book.totals.stock_adjusted_vnd, -200_000 + 90_000);
    // A line that holds goods is adjusted at its average only.
    assert_eq!(
        rule(f.refuse("stock_adjusted", found)),
        is("goods_value", "body.unit_value_vnd")
    );
    let mut off = adjust("GAO", "-1", "spoiled");
    off["unit_value_vnd"] = json!(18_000);
    assert_eq!(
        rule(f.refuse("stock_adjusted", off)),
        is("goods_value", "body.unit_value_vnd")
    );
    let c = f.write("stock_adjusted", adjust("GAO", "1", "count_correction"));
    assert_eq!(c.value_delta_vnd, 18_000);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(6), 108_000));
}

// Reversals.

#[test]
fn reversing_a_gift_restores_the_figures_exactly() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write("pledge", {
        let mut p = pledge("p1", "REF1", "1000000");
        p["campaign_id"] = json!("c1");
        p
    });
    undo_write(
        &mut f,
        "donation_cash",
        gift_with(
            "1000000",
            json!({"campaign_id": "c1", "pledge_id": "p1", "earmark": "house_new"}),
        ),
    );
    assert_eq!(f.book.pledges["p1"].status, PledgeStatus::Open);
    undo_write(&mut f, "donation_cash", gift("250000"));
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    let mut goods = in_kind(&[line("GAO", "kg", 5, 22_000), line("MI", "thùng", 2, 95_000)]);
    goods["campaign_id"] = json!("c1");
    undo_write(&mut f, "donation_in_kind", goods);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(10), 200_000));
    assert_eq!(f.book.totals.gifts, 1);
}

#[test]
fn reversing_a_campaign_pledge_or_household_entry_restores_the_figures_exactly() {
    let mut f = Fund::open();
    undo_write(
        &mut f,
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    assert!(f.book.campaigns.is_empty());
    f.write(
        "campaign_opened",
        campaign("c2", "2026-10-01", "2026-12-31"),
    );
    undo_write(&mut f, "campaign_closed", json!({"campaign_id": "c2"}));
    assert_eq!(f.book.campaigns["c2"].status, CampaignStatus::Open);
    let mut p = pledge("p1", "REF1", "1000000");
    p["campaign_id"] = json!("c2");
    undo_write(&mut f, "pledge", p.clone());
    assert!(f.book.references.is_empty());
    f.write("pledge", p);
    f.write(
        "donation_cash",
        gift_with("1000000", json!({"pledge_id": "p1"})),
    );
    undo_write(
        &mut f,
        "pledge_cancelled",
        json!({"pledge_id": "p1", "reason": "x"}),
    );
    // Brought back from cancelled, a pledge paid in full is fulfilled.
    assert_eq!(f.book.pledges["p1"].status, PledgeStatus::Fulfilled);
    undo_write(
        &mut f,
        "household_registered",
        json!({"household_id": "hh-1", "commune_code": "HN-PX", "hamlet": "Thôn 3",
               "category": "poor", "members": 4, "review_year": 2026}),
    );
    household(&mut f, "hh-2");
    undo_write(
        &mut f,
        "household_reclassified",
        json!({"household_id": "hh-2", "category": "newly_escaped", "review_year": 2026,
               "decision_ref": "QĐ 45/UBND"}),
    );
    let h = &f.book.households["hh-2"];
    assert_eq!(h.classes.len(), 1);
    assert_eq!((h.category, h.review_year), (Category::Poor, 2026));
}

#[test]
fn reversing_a_distribution_step_restores_the_figures_exactly() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.write(
        "donation_cash",
        gift_with("10000000", json!({"earmark": "tet_gift"})),
    );
    f.write("donation_cash", gift("5000000"));
    household(&mut f, "hh-1");
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    let mut d = distribution("d1", "hh-1", "tet_gift", "12000000");
    d["items"] = json!([line("GAO", "kg", 10, 20_000)]);
    d["campaign_id"] = json!("c1");
    let c = f.pending(d);
    assert_eq!(c.from_earmark_vnd, 10_000_000);
    let a = f.body("distribution_approved", approve("d1"), false);
    undone_exactly(&mut f, "approver", &a);
    assert_eq!(f.distribution("d1").status, DistState::Pending);
    undo_write(
        &mut f,
        "distribution_voided",
        json!({"distribution_id": "d1", "reason": "x"}),
    );
    assert_eq!(f.book.reserved_vnd, 12_000_000);
    f.accept("approver", &a);
    undo_write(
        &mut f,
        "distribution_acknowledged",
        json!({"distribution_id": "d1", "method": "signature", "acknowledged_on": "2026-11-22"}),
    );
    assert_eq!(f.distribution("d1").acknowledged, None);
}

#[test]
fn reversing_an_approved_distribution_gives_back_its_cash_and_goods() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.write(
        "donation_cash",
        gift_with("10000000", json!({"earmark": "tet_gift"})),
    );
    household(&mut f, "hh-1");
    let opened = f.next();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    let before = figures(&f.book);
    let seq = f.next();
    let mut d = distribution("d1", "hh-1", "tet_gift", "4000000");
    d["items"] = json!([line("GAO", "kg", 10, 20_000)]);
    d["campaign_id"] = json!("c1");
    f.write("distribution", d);
    let c1 = &f.book.campaigns["c1"];
    assert_eq!(
        (
            c1.distributions,
            c1.distributed_cash_vnd,
            c1.distributed_goods_vnd
        ),
        (1, 4_000_000, 200_000)
    );
    assert_eq!(f.book.earmarks[&SupportType::TetGift].used_vnd, 4_000_000);
    f.reverse(seq);
    let after = figures(&f.book);
    assert_eq!(f.distribution("d1").status, DistState::Reversed);
    // The distribution stays on record, reversed, and so does the
    // household's list of it and the campaign's count.
    let strip = |mut x: Figures| {
        x.distributions.clear();
        x.households.clear();
        if let Some(c) = x.campaigns.get_mut("c1") {
            c.distributions = 0;
        }
        x
    };
    assert_eq!(strip(after), strip(before));
    assert_eq!(f.book.campaigns["c1"].distributions, 1);
    // So the campaign stays in use.
    assert_eq!(
        rule(f.refuse_reversal(opened)),
        is("campaign_in_use", "body.reverses_seq")
    );
    assert_eq!(
        (
            f.book.balance_vnd,
            f.book.totals.distributed_cash_vnd,
            f.book.totals.distributed_goods_vnd
        ),
        (10_000_000, 0, 0)
    );
    assert_eq!(f.stock("GAO").quantity, dec(100));
    assert_eq!(f.stock("GAO").value_vnd, 2_000_000);
    assert_eq!(
        rule(f.refuse_reversal(seq)),
        is("already_reversed", "body.reverses_seq")
    );
}

#[test]
fn reversing_money_moves_stock_adjustments_and_period_closings_restores_the_figures_exactly() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("10000000"));
    undo_write(&mut f, "expense", expense("e1", "11000"));
    undo_write(&mut f, "transfer_out", transfer("t1", "2000000"));
    let t = transfer_in(&f, "t2", "3000000");
    undone_exactly(&mut f, "system", &t);
    f.write("donation_in_kind", in_kind(&[line("GAO", "kg", 10, 100)]));
    undo_write(&mut f, "stock_adjusted", adjust("GAO", "-3", "spoiled"));
    undo_write(&mut f, "stock_adjusted", adjust("GAO", "-10", "lost"));
    undo_write(
        &mut f,
        "stock_adjusted",
        adjust("GAO", "4", "count_correction"),
    );
    f.write("stock_adjusted", adjust("GAO", "-10", "lost"));
    let mut found = adjust("GAO", "5", "count_correction");
    found["unit_value_vnd"] = json!(30);
    undo_write(&mut f, "stock_adjusted", found);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(0), 0));
    undo_write(
        &mut f,
        "period_closed",
        json!({"period": "2026-H1", "closing_balance_vnd": "0", "stock": [],
               "statement_sha256": "cd".repeat(32)}),
    );
    assert!(f.book.periods.is_empty());
}

#[test]
fn an_entry_is_reversed_once_only() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("1000000"));
    let seq = f.next();
    f.write("donation_cash", gift("300000"));
    let by = f.next();
    f.reverse(seq);
    let b = f.refuse_reversal(seq);
    assert_eq!(rule(b.clone()), is("already_reversed", "body.reverses_seq"));
    assert!(b.message.contains(&format!("by entry {by}")));
    assert_eq!(f.book.balance_vnd, 1_000_000);
    assert_eq!(f.book.totals.gifts, 1);
}

#[test]
fn reversing_a_gift_whose_money_is_spent_or_reserved_is_refused() {
    let mut f = Fund::open();
    let g = f.next();
    f.write("donation_cash", gift("5000000"));
    f.write("donation_cash", gift("1000000"));
    household(&mut f, "hh-1");
    f.pending(distribution("d1", "hh-1", "cash_grant", "2000000"));
    assert_eq!(
        rule(f.refuse_reversal(g)),
        is("reversal_overdraws", "body.reverses_seq")
    );
    f.write(
        "distribution_voided",
        json!({"distribution_id": "d1", "reason": "x"}),
    );
    f.write(
        "distribution",
        distribution("d2", "hh-1", "cash_grant", "1000001"),
    );
    assert_eq!(
        rule(f.refuse_reversal(g)),
        is("reversal_overdraws", "body.reverses_seq")
    );

    // An earmarked gift is undone from its earmark's free cash only.
    let e = f.next();
    f.write(
        "donation_cash",
        gift_with("3000000", json!({"earmark": "house_new"})),
    );
    f.write("distribution", distribution("d3", "hh-1", "house_new", "1"));
    assert_eq!(
        rule(f.refuse_reversal(e)),
        is("reversal_overdraws", "body.reverses_seq")
    );

    // A transfer in whose money left the fund.
    let mut f = Fund::open();
    let t = transfer_in(&f, "t1", "2000000");
    let ts = f.next();
    f.accept("system", &t);
    f.write("expense", expense("e1", "1000000"));
    assert_eq!(
        rule(f.refuse_reversal(ts)),
        is("reversal_overdraws", "body.reverses_seq")
    );
    f.write("donation_cash", gift("1000000"));
    f.reverse(ts);
    assert_eq!(f.book.balance_vnd, 0);
    assert_eq!(f.book.totals.transfers_in_vnd, 0);
}

#[test]
fn reversing_goods_that_left_the_stock_is_refused() {
    let mut f = Fund::open();
    let g = f.next();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    let c = f.next();
    f.write("stock_adjusted", adjust("GAO", "5", "count_correction"));
    household(&mut f, "hh-1");
    let mut d = distribution("d1", "hh-1", "tet_gift", "0");
    d["items"] = json!([line("GAO", "kg", 11, 20_000)]);
    f.pending(d);
    assert_eq!(
        rule(f.refuse_reversal(g)),
        is("stock_insufficient", "body.reverses_seq")
    );
    assert_eq!(
        rule(f.refuse_reversal(c)),
        is("stock_insufficient", "body.reverses_seq")
    );
}

#[test]
fn a_voided_distribution_is_brought_back_only_if_its_cash_is_still_there() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("5000000"));
    household(&mut f, "hh-1");
    f.pending(distribution("d1", "hh-1", "house_new", "5000000"));
    let v = f.next();
    f.write(
        "distribution_voided",
        json!({"distribution_id": "d1", "reason": "x"}),
    );
    f.write("expense", expense("e1", "1"));
    assert_eq!(
        rule(f.refuse_reversal(v)),
        is("insufficient_funds", "body.reverses_seq")
    );
    // With an earmark arrived meanwhile, it is split again as it is now.
    f.write(
        "donation_cash",
        gift_with("2000000", json!({"earmark": "house_new"})),
    );
    let c = f.reverse(v);
    assert_eq!(c.from_earmark_vnd, 2_000_000);
    let d1 = f.distribution("d1");
    assert_eq!(
        (d1.status, d1.from_earmark_vnd),
        (DistState::Pending, 2_000_000)
    );
    assert_eq!(f.book.reserved_vnd, 5_000_000);
    assert_eq!(
        f.book.earmarks[&SupportType::HouseNew].reserved_vnd,
        2_000_000
    );
}

#[test]
fn what_is_in_use_is_not_reversed_until_what_uses_it_is() {
    let mut f = Fund::open();
    let c = f.next();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    let p = f.next();
    f.write("pledge", pledge("p1", "REF1", "1000000"));
    let h = f.next();
    household(&mut f, "hh-1");
    let g = f.next();
    f.write(
        "donation_cash",
        gift_with("1000000", json!({"campaign_id": "c1", "pledge_id": "p1"})),
    );
    let d = f.next();
    f.pending(distribution("d1", "hh-1", "house_new", "500000"));
    assert_eq!(
        rule(f.refuse_reversal(c)),
        is("campaign_in_use", "body.reverses_seq")
    );
    assert_eq!(
        rule(f.refuse_reversal(p)),
        is("pledge_in_use", "body.reverses_seq")
    );
    assert_eq!(
        rule(f.refuse_reversal(h)),
        is("household_in_use", "body.reverses_seq")
    );
    assert_eq!(
        rule(f.refuse_reversal(d)),
        is("void_pending", "body.reverses_seq")
    );
    let a = f.next();
    let approval = f.body("distribution_approved", approve("d1"), false);
    f.accept("approver", &approval);
    let k = f.next();
    f.write(
        "distribution_acknowledged",
        json!({"distribution_id": "d1", "method": "witness", "acknowledged_on": "2026-11-22"}),
    );
    assert_eq!(
        rule(f.refuse_reversal(a)),
        is("acknowledged", "body.reverses_seq")
    );
    f.reverse(k);
    f.reverse(d);
    assert_eq!(
        rule(f.refuse_reversal(a)),
        is("not_reversible", "body.reverses_seq")
    );
    f.reverse(g);
    f.reverse(p);
    f.reverse(c);
    assert!(f.book.campaigns.is_empty() && f.book.pledges.is_empty());
    assert_eq!(f.book.balance_vnd, 0);
}

#[test]
fn a_voided_distribution_is_not_reversed_and_neither_are_the_opening_nor_a_reversal() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("1000000"));
    household(&mut f, "hh-1");
    let d = f.next();
    f.pending(distribution("d1", "hh-1", "house_new", "500000"));
    f.write(
        "distribution_voided",
        json!({"distribution_id": "d1", "reason": "x"}),
    );
    assert_eq!(
        rule(f.refuse_reversal(d)),
        is("not_reversible", "body.reverses_seq")
    );
    assert_eq!(
        rule(f.refuse_reversal(0)),
        is("not_reversible", "body.reverses_seq")
    );
    let g = f.next();
    f.write("donation_cash", gift("1"));
    let r = f.next();
    f.reverse(g);
    assert_eq!(
        rule(f.refuse_reversal(r)),
        is("not_reversible", "body.reverses_seq")
    );
    let next = f.next();
    for seq in [next, next + 1] {
        assert_eq!(
            rule(f.refuse_reversal(seq)),
            is("unknown_entry", "body.reverses_seq")
        );
    }
}

// Periods.

#[test]
fn a_period_closes_on_the_books_figures_at_its_end_and_only_once() {
    let mut f = Fund::empty();
    f.date = date!(2026 - 10 - 01);
    let opened = f.fund_opened();
    f.accept("admin", &opened);
    f.date = date!(2026 - 10 - 05);
    f.write(
        "donation_cash",
        gift_with("10000000", json!({"received_on": "2026-10-05"})),
    );
    f.date = date!(2026 - 10 - 06);
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 100, 20_000)]),
    );
    f.date = date!(2026 - 11 - 02);
    f.write("donation_cash", gift("1000000"));
    f.write("stock_adjusted", adjust("GAO", "-1", "spoiled"));
    f.date = date!(2026 - 11 - 22);
    let close = |balance: &str, stock: Value| {
        json!({"period": "2026-10", "closing_balance_vnd": balance, "stock": stock,
               "statement_sha256": "cd".repeat(32)})
    };
    let gao = |q: &str| json!([{"item": "GAO", "quantity": q}]);
    assert_eq!(
        rule(f.refuse("period_closed", close("11000000", gao("100")))),
        is("closing_balance_mismatch", "body.closing_balance_vnd")
    );
    assert_eq!(
        rule(f.refuse("period_closed", close("10000000", gao("99")))),
        is("stock_count_mismatch", "body.stock")
    );
    assert_eq!(
        rule(f.refuse("period_closed", close("10000000", json!([])))),
        is("stock_count_mismatch", "body.stock")
    );
    assert_eq!(
        rule(f.refuse(
            "period_closed",
            close(
                "10000000",
                json!([{"item": "GAO", "quantity": "100"}, {"item": "GAO", "quantity": "100"}])
            )
        )),
        is("stock_count_mismatch", "body.stock")
    );
    let seq = f.next();
    f.write("period_closed", close("10000000", gao("100")));
    assert_eq!(f.book.periods.get("2026-10"), Some(&seq));
    assert_eq!(
        rule(f.refuse("period_closed", close("10000000", gao("100")))),
        is("period_closed", "body.period")
    );
    // A period that ended before the fund's first entry held nothing.
    let mut half = close("0", json!([]));
    half["period"] = json!("2026-H1");
    f.write("period_closed", half);
    assert_eq!(f.book.periods.len(), 2);
}

// Projection for reads.

#[test]
fn the_books_name_the_objects_entries_changed_once_and_report_their_figures() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "donation_cash",
        gift_with("5000000", json!({"campaign_id": "c1"})),
    );
    household(&mut f, "hh-1");
    f.pending(distribution("d1", "hh-1", "house_new", "2000000"));
    let dirty = f.book.take_dirty();
    let kinds: Vec<(&str, &str)> = dirty.iter().map(|(k, id, _)| (*k, id.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            ("campaign", "c1"),
            ("distribution", "d1"),
            ("household", "hh-1"),
        ]
    );
    assert!(f.book.take_dirty().is_empty());
    assert_eq!(f.book.objects().len(), 3);
    let s = f.book.summary();
    assert_eq!(s["balance_vnd"], "5000000");
    assert_eq!(s["reserved_vnd"], "2000000");
    assert_eq!(s["available_vnd"], "3000000");
    assert_eq!(s["general_available_vnd"], "3000000");
    assert_eq!(s["size"], 5);
}

#[test]
fn an_acknowledged_distribution_is_not_reversed_until_its_acknowledgement_is() {
    let mut f = Fund::open();
    f.write("donation_cash", gift_with("5000000", json!({})));
    household(&mut f, "hh-1");
    let paid = f.next();
    f.write(
        "distribution",
        distribution("d1", "hh-1", "cash_grant", "1000000"),
    );
    assert_eq!(f.distribution("d1").status, DistState::Approved);
    let signed = f.next();
    f.write(
        "distribution_acknowledged",
        json!({"distribution_id": "d1", "method": "signature", "acknowledged_on": "2026-11-22"}),
    );
    assert_eq!(
        rule(f.refuse_reversal(paid)),
        is("acknowledged", "body.reverses_seq")
    );
    f.reverse(signed);
    assert_eq!(f.distribution("d1").acknowledged, None);
    f.reverse(paid);
    assert_eq!(f.distribution("d1").status, DistState::Reversed);
    assert_eq!(f.book.balance_vnd, 5_000_000);
}

#[test]
fn a_count_correction_that_doubles_a_line_adds_its_average_value() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    let mut found = adjust("GAO", "10", "count_correction");
    found["decision_ref"] = json!("BB kiểm kê");
    let c = f.write("stock_adjusted", found);
    assert_eq!(c.value_delta_vnd, 200_000);
    let s = f.stock("GAO");
    assert_eq!((s.quantity, s.value_vnd), (dec(20), 400_000));
}

#[test]
fn entries_undone_to_a_savepoint_leave_nothing_a_later_reversal_could_find() {
    let mut f = Fund::open();
    let first = f.next();
    f.write("donation_cash", gift("1000000"));
    let saved = f.book.savepoint();
    let undone = f.next();
    f.write("donation_cash", gift("2000000"));
    f.book.restore(saved);
    assert_eq!((f.next(), f.book.balance_vnd), (undone, 1_000_000));
    // The seq the undone gift had now holds a reversal, which stays.
    f.reverse(first);
    assert_eq!(
        rule(f.refuse_reversal(undone)),
        is("not_reversible", "body.reverses_seq")
    );
    assert_eq!(f.book.balance_vnd, 0);
}

#[test]
fn a_stock_line_is_read_back_as_the_books_hold_it() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    let v = f
        .book
        .object("stock", "GAO")
        .expect("the line is an object");
    assert_eq!(
        (
            v["item"].as_str(),
            v["quantity"].as_str(),
            v["value_vnd"].as_str()
        ),
        (Some("GAO"), Some("10"), Some("200000"))
    );
    assert_eq!(f.book.object("stock", "MI"), None);
}

#[test]
fn a_period_closed_the_day_after_its_last_entries_counts_them() {
    let mut f = Fund::empty();
    f.date = date!(2026 - 10 - 01);
    let opened = f.fund_opened();
    f.accept("admin", &opened);
    // The last entries of October are on its last day, and the closing is
    // the first entry after it.
    f.date = date!(2026 - 10 - 31);
    f.write(
        "donation_cash",
        gift_with("2500000", json!({"received_on": "2026-10-31"})),
    );
    f.date = date!(2026 - 11 - 01);
    let close = json!({"period": "2026-10", "closing_balance_vnd": "2500000", "stock": [],
        "statement_sha256": "cd".repeat(32)});
    f.write("period_closed", close);
    assert!(f.book.periods.contains_key("2026-10"));
}

#[test]
fn a_write_off_larger_than_the_stock_says_what_is_there() {
    let mut f = Fund::open();
    f.write(
        "donation_in_kind",
        in_kind(&[line("GAO", "kg", 10, 20_000)]),
    );
    let refused = f.refuse("stock_adjusted", adjust("GAO", "-12", "lost"));
    assert_eq!(
        refused.message,
        "12 kg of GAO are needed but only 10 are available (10 on hand, 0 reserved)"
    );
}

#[test]
fn a_campaign_used_only_by_a_distribution_is_not_reversed() {
    let mut f = Fund::open();
    f.write("donation_cash", gift("5000000"));
    household(&mut f, "hh-1");
    let opened = f.next();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    let mut d = distribution("d1", "hh-1", "cash_grant", "1000000");
    d["campaign_id"] = json!("c1");
    f.write("distribution", d);
    let c = &f.book.campaigns["c1"];
    assert_eq!((c.gifts, c.pledges, c.distributions), (0, 0, 1));
    assert_eq!(
        rule(f.refuse_reversal(opened)),
        is("campaign_in_use", "body.reverses_seq")
    );
}

#[test]
fn pledges_and_reversals_are_read_back_as_the_books_hold_them() {
    let mut f = Fund::open();
    f.write(
        "pledge",
        json!({"pledge_id": "p1", "reference": "HNP1", "amount_vnd": "3000000",
               "donor": {"display": "Công ty A", "kind": "organization"}}),
    );
    let seq = f.next();
    f.write("donation_cash", gift("1000000"));
    f.reverse(seq);
    let p = f
        .book
        .object("pledge", "p1")
        .expect("the pledge is an object");
    assert_eq!(
        (p["reference"].as_str(), p["pledged_vnd"].as_str()),
        (Some("HNP1"), Some("3000000"))
    );
    let r = f
        .book
        .object("reversal", &seq.to_string())
        .expect("the reversal is an object");
    assert_eq!(
        (r["reversed_seq"].as_u64(), r["reason"].as_str()),
        (Some(seq), Some("Ghi nhầm"))
    );
    assert_eq!(f.book.object("pledge", "p2"), None);
}

fn bank_account(no: &str) -> Body {
    Body::BankAccountOpened(
        serde_json::from_value(json!({"bank_bin": "970436", "account_no": no,
            "account_name": "UY BAN MTTQ", "bank_name": "Vietcombank"}))
        .unwrap(),
    )
}

/// A seal of account `no` naming `seqs` as its gifts of `gifts_vnd` in all,
/// with one credit line in review beside them.
fn seal(no: &str, seqs: &[u64], gifts_vnd: u64) -> Body {
    use crate::ledger::kinds::bank::SeqRanges;
    let ranges = SeqRanges::from_seqs(seqs.to_vec());
    Body::BankStatementSealed(
        serde_json::from_value(json!({
            "statement_id": "01900000-0000-7000-8000-000000000001",
            "account_no": no, "layout": "generic CSV",
            "file_sha256": "ab".repeat(32),
            "first_day": "2026-11-20", "last_day": "2026-11-21",
            "lines": seqs.len() + 1, "credit_lines": seqs.len() + 1, "debit_lines": 0,
            "credits_vnd": (gifts_vnd + 7).to_string(), "debits_vnd": "0",
            "opening_balance_vnd": "0", "closing_balance_vnd": (gifts_vnd + 7).to_string(),
            "gifts": seqs.len(), "gifts_vnd": gifts_vnd.to_string(),
            "gift_seqs": ranges.to_string(), "gifts_root": ranges.root(),
            "review_credit_lines": 1, "review_credits_vnd": "7"
        }))
        .unwrap(),
    )
}

#[test]
fn an_account_is_opened_once_and_a_seal_names_only_standing_bank_gifts_that_add_up() {
    let mut f = Fund::open();
    f.accept("admin", &bank_account("0011001234567"));
    assert_eq!(
        rule(f.refuse_body("admin", &bank_account("0011001234567"))),
        is("duplicate_account", "body.account_no")
    );
    let transfer =
        |n: &str| gift_with(n, json!({"channel": "bank_transfer", "bank_ref": "FT0001"}));
    let g1 = f.next();
    f.write("donation_cash", transfer("100000"));
    let g2 = f.next();
    f.write("donation_cash", transfer("250000"));
    let cash = f.next();
    f.write("donation_cash", gift("5000"));
    let early = f.next();
    f.write(
        "donation_cash",
        gift_with(
            "4000",
            json!({"channel": "bank_transfer", "bank_ref": "FT0002", "received_on": "2026-11-19"}),
        ),
    );
    let reversed = f.next();
    f.write("donation_cash", transfer("9000"));
    f.reverse(reversed);
    // Another account, a sum that is not theirs, a cash gift, a reversed
    // gift, an entry not yet written: each refused, naming the field.
    assert_eq!(
        rule(f.refuse_body("server", &seal("9999999999", &[g1, g2], 350_000))),
        is("unknown_account", "body.account_no")
    );
    assert_eq!(
        rule(f.refuse_body("server", &seal("0011001234567", &[g1, g2], 350_001))),
        is("seal_mismatch", "body.gifts_vnd")
    );
    // (`early` was received the day before the statement's first.)
    for bad in [cash, reversed, early, f.next() + 5] {
        assert_eq!(
            rule(f.refuse_body(
                "server",
                &seal("0011001234567", &[g1, bad], 100_000 + 5_000)
            )),
            is("seal_mismatch", "body.gift_seqs"),
            "seq {bad}"
        );
    }
    // The seal's own arithmetic is checked here too, not only on input.
    let Body::BankStatementSealed(mut wrong) = seal("0011001234567", &[g1, g2], 350_000) else {
        unreachable!()
    };
    wrong.closing_balance_vnd = crate::ledger::values::Vnd::new(1).unwrap();
    assert_eq!(
        rule(f.refuse_body("server", &Body::BankStatementSealed(wrong))),
        is("seal_mismatch", "body.closing_balance_vnd")
    );
    let at = f.next();
    f.accept("server", &seal("0011001234567", &[g1, g2], 350_000));
    // A statement is sealed once.
    assert_eq!(
        rule(f.refuse_body("server", &seal("0011001234567", &[g1, g2], 350_000))),
        is("duplicate_statement", "body.statement_id")
    );
    let st = &f.book.statements[&at];
    assert_eq!(
        (st.gifts, st.gifts_vnd, st.review_credits_vnd),
        (2, 350_000, 7)
    );
    let account = &f.book.bank_accounts["0011001234567"];
    assert_eq!(
        (
            account.opened_seq,
            account.bank_bin.as_str(),
            account.bank_name.as_str()
        ),
        (1, "970436", "Vietcombank")
    );
    // Neither an account nor a seal is reversed.
    assert_eq!(rule(f.refuse_reversal(1)).0, "not_reversible");
    assert_eq!(rule(f.refuse_reversal(at)).0, "not_reversible");
}

#[test]
fn a_campaign_reference_is_one_of_a_kind_among_campaigns_and_pledges() {
    let mut f = Fund::open();
    let mut c = f.body(
        "campaign_opened",
        campaign("c1", "2026-11-01", "2026-11-30"),
        false,
    );
    if let Body::CampaignOpened(b) = &mut c {
        b.reference = Some("K7M2Q9XA".into());
    }
    f.accept("clerk", &c);
    assert_eq!(f.book.references["K7M2Q9XA"], "c1");
    assert_eq!(
        f.book.campaigns["c1"].reference.as_deref(),
        Some("K7M2Q9XA")
    );
    assert_eq!(
        rule(f.refuse("pledge", pledge("p1", "K7M2Q9XA", "1000"))),
        is("duplicate_reference", "body.reference")
    );
    for bad in ["K7M2Q9XA", "k7m2", "ABCDEFGHIJKLM"] {
        let mut c2 = f.body(
            "campaign_opened",
            campaign("c2", "2026-11-01", "2026-11-30"),
            false,
        );
        if let Body::CampaignOpened(b) = &mut c2 {
            b.reference = Some(bad.into());
        }
        assert_eq!(
            rule(f.refuse_body("clerk", &c2)),
            is("duplicate_reference", "body.reference"),
            "{bad}"
        );
    }
    // A client may not choose it.
    let e = Draft::parse(
        "campaign_opened",
        json!({"name": "X", "kind": "tet", "starts_on": "2026-11-01", "ends_on": "2026-11-30", "reference": "ABC123"}),
        None,
        now(),
    )
    .unwrap_err();
    assert!(format!("{e:?}").contains("body.reference"), "{e:?}");
}

#[test]
fn books_restored_to_a_savepoint_save_as_before_with_the_ids_later_gifts_named_forgotten() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "campaign_opened",
        campaign("c2", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "donation_cash",
        gift_with("100000", json!({"campaign_id": "c1"})),
    );
    let before = f.book.save().unwrap();
    let saved = f.book.savepoint();
    f.write(
        "donation_cash",
        gift_with("200000", json!({"campaign_id": "c2"})),
    );
    f.write(
        "donation_cash",
        gift_with("300000", json!({"campaign_id": "c1"})),
    );
    assert_ne!(f.book.save().unwrap(), before);
    f.book.restore(saved);
    assert_eq!(f.book.save().unwrap(), before);
    // The gift written again after the restore names c2 as a fold would.
    f.write(
        "donation_cash",
        gift_with("200000", json!({"campaign_id": "c2"})),
    );
    let read = Book::from_saved(&f.book.save().unwrap()).unwrap();
    let seq = f.book.size - 1;
    let Some(Body::DonationCash(g)) = read.posted(seq).map(|b| b.into_owned()) else {
        panic!("the gift is kept");
    };
    assert_eq!(
        g.campaign_id.map(|c| c.as_str().to_owned()),
        Some("c2".into())
    );
    assert_eq!(g.amount_vnd.get(), 200_000);
}

#[test]
fn saved_books_that_are_damaged_are_refused_not_half_read() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "donation_cash",
        gift_with(
            "100000",
            json!({"campaign_id": "c1", "channel": "bank_transfer"}),
        ),
    );
    f.write("donation_cash", gift("250000"));
    f.write("expense", json!({"expense_id": "e1", "category": "bank_fee", "amount_vnd": "1000", "decision_ref": "QĐ 2"}));
    let good = f.book.save().unwrap();
    assert_eq!(good.gifts.len(), 2 * saved::GIFT_BYTES);
    assert!(Book::from_saved(&good).is_ok());
    let damaged = |edit: &dyn Fn(&mut saved::Saved)| {
        let mut s = good.clone();
        edit(&mut s);
        Book::from_saved(&s).expect_err("a damaged copy is refused")
    };
    // Cut short, a gift past the books' size, gifts out of order.
    damaged(&|s| {
        s.gifts.pop();
    });
    damaged(&|s| s.gifts[0..8].copy_from_slice(&99u64.to_le_bytes()));
    damaged(&|s| {
        let (a, b) = s.gifts.split_at_mut(saved::GIFT_BYTES);
        a.swap_with_slice(b);
    });
    // An amount of 0, an unknown channel, an id index past the table.
    damaged(&|s| s.gifts[8..16].copy_from_slice(&0u64.to_le_bytes()));
    damaged(&|s| s.gifts[28] = 9);
    damaged(&|s| s.gifts[20..24].copy_from_slice(&7u32.to_le_bytes()));
    damaged(&|s| s.gifts[24..28].copy_from_slice(&7u32.to_le_bytes()));
    // Another version, an unknown field, an entry past the size.
    let v = format!("\"v\":{}", saved::VERSION);
    damaged(&|s| {
        s.books = s
            .books
            .replacen(&v, &format!("\"v\":{}", saved::VERSION + 1), 1)
    });
    damaged(&|s| {
        s.books = s
            .books
            .replacen(&format!("{{{v}"), &format!("{{{v},\"extra\":1"), 1)
    });
    damaged(&|s| s.books = s.books.replacen("\"size\":5", "\"size\":3", 1));
    damaged(&|s| s.books = "not json".into());
}

#[test]
fn books_read_back_answer_as_the_books_written_for_every_code_the_gifts_carry() {
    let mut f = Fund::open();
    f.date = date!(2026 - 11 - 20);
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write(
        "campaign_opened",
        campaign("c2", "2026-10-01", "2026-12-31"),
    );
    f.write("pledge", pledge("p1", "K7M2Q9XA", "9000000"));
    f.write(
        "donation_in_kind",
        in_kind(&[
            line("GAO", "kg", 50, 20_000),
            line("XI-MANG", "bao", 10, 90_000),
        ]),
    );
    f.date = date!(2026 - 11 - 21);
    let mut gifts = Vec::new();
    for (n, channel) in ["cash", "bank_transfer", "qr_transfer", "e_wallet"]
        .iter()
        .enumerate()
    {
        let campaign = ["c1", "c2"][n % 2];
        gifts.push(f.next());
        f.write(
            "donation_cash",
            gift_with(
                "100000",
                json!({"channel": channel, "campaign_id": campaign, "pledge_id": "p1"}),
            ),
        );
    }
    for (kind, display) in [
        ("individual", "Nguyễn Thị Lan"),
        ("organization", "Công ty ABC"),
        ("anonymous", "Ẩn danh"),
    ] {
        gifts.push(f.next());
        f.write(
            "donation_cash",
            gift_with(
                "200000",
                json!({"donor": {"display": display, "kind": kind}}),
            ),
        );
    }
    for support in crate::web::forms::SUPPORT_TYPES {
        gifts.push(f.next());
        f.write(
            "donation_cash",
            gift_with("300000", json!({"earmark": support})),
        );
    }
    // The last id named is a pledge's: its index is the table's length.
    f.write("pledge", pledge("p2", "P2REF789", "500000"));
    gifts.push(f.next());
    f.write(
        "donation_cash",
        gift_with("100000", json!({"pledge_id": "p2"})),
    );
    f.date = date!(2026 - 11 - 22);
    household(&mut f, "h1");
    f.pending(distribution("d1", "h1", "cash_grant", "50000"));

    let saved = f.book.save().unwrap();
    assert!(saved.books.contains("[\"p2\","), "{}", saved.books);
    let read = Book::from_saved(&saved).unwrap();
    // Every gift answers with the channel, donor kind, earmark, campaign
    // and pledge it was written with.
    for seq in gifts {
        assert_eq!(read.posted(seq), f.book.posted(seq), "gift {seq}");
    }
    assert_eq!(figures(&read), figures(&f.book));
    // The days' closing stock and cash, and every other figure, are read
    // back: the copy saves byte for byte as the books did.
    assert_eq!(read.save().unwrap(), saved);
    assert!(
        saved.books.contains("\"XI-MANG\":\"10\""),
        "{}",
        saved.books
    );
}

#[test]
fn the_fields_only_the_rules_need_are_saved_but_never_shown() {
    let mut f = Fund::open();
    f.write(
        "campaign_opened",
        campaign("c1", "2026-10-01", "2026-12-31"),
    );
    f.write("donation_cash", gift("500000"));
    household(&mut f, "h1");
    f.pending(distribution("d1", "h1", "cash_grant", "50000"));
    let shown = || serde_json::to_string(&f.book).unwrap();
    let hidden = ["\"window\"", "\"by\":\"clerk\""];
    for field in hidden {
        assert!(!shown().contains(field), "{field} shown");
    }
    let saved = f.book.save().unwrap();
    for field in hidden {
        assert!(saved.books.contains(field), "{field} not saved");
    }
    // Once saved, the books are shown as before.
    for field in hidden {
        assert!(!shown().contains(field), "{field} shown after a save");
    }
}

#[test]
fn saved_books_whose_ids_or_entries_are_out_of_place_are_refused() {
    let mut f = Fund::open();
    for id in ["c1", "c2"] {
        f.write("campaign_opened", campaign(id, "2026-10-01", "2026-12-31"));
    }
    f.write(
        "donation_cash",
        gift_with("100000", json!({"campaign_id": "c1"})),
    );
    f.write(
        "donation_cash",
        gift_with("100000", json!({"campaign_id": "c2"})),
    );
    let good = f.book.save().unwrap();
    assert!(Book::from_saved(&good).is_ok());
    let damaged = |edit: &dyn Fn(&mut Value)| {
        let mut whole: Value = serde_json::from_str(&good.books).unwrap();
        edit(&mut whole);
        let s = saved::Saved {
            books: whole.to_string(),
            gifts: good.gifts.clone(),
        };
        Book::from_saved(&s).expect_err("a damaged copy is refused")
    };
    assert_eq!(good.books.matches("\"c1\",3]").count(), 1, "{}", good.books);
    // An id first named past the books' size, though in order.
    damaged(&|w| w["ids"][1][1] = json!(99));
    // Ids named in the wrong order, each inside the books.
    damaged(&|w| {
        w["ids"][0][1] = json!(4);
        w["ids"][1][1] = json!(3);
    });
    // The last other entry past the size, and two swapped.
    damaged(&|w| w["others"][1]["seq"] = json!(99));
    damaged(&|w| {
        w["others"][0]["seq"] = json!(2);
        w["others"][1]["seq"] = json!(1);
    });
}
