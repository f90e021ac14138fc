//! Properties of the pure core under any input: whatever sequence of
//! entries clients send, with amounts and quantities up to their limits,
//! the core refuses or accepts each without panicking (a panic would stop
//! the writer for every fund), and the books rebuilt from the ledger alone
//! equal the books kept live.

use proptest::prelude::*;
use serde_json::{json, Value};
use time::OffsetDateTime;

use sovang::ledger::book::Book;
use sovang::ledger::ids::format_date;
use sovang::ledger::ids::Code;
use sovang::ledger::kinds::{Body, FundKind, FundOpened};
use sovang::ledger::policy::Policy;
use sovang::ledger::replay::fold;
use sovang::ledger::state::{apply, Context, Draft, FundState};
use sovang::ledger::statement::{from_days, DayTotals, DaysBuilder, StatementBuilder};
use std::collections::BTreeMap;

const AMOUNT_MAX: u64 = 1_000_000_000_000_000;

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-11-22 03:00 UTC)
}

/// An amount anywhere from 1 đồng to the limit, often at the edges.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(1u64),
        Just(AMOUNT_MAX),
        1u64..1_000_000,
        1u64..=AMOUNT_MAX,
    ]
}

/// A quantity with up to three decimals, up to the limit; small whole
/// numbers often, so that stock lines run empty and fill again.
fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u64..4).prop_map(|n| n.to_string()),
        1 => Just("1000000000".to_owned()),
        1 => (1u64..1000, 0u32..1000).prop_map(|(w, f)| format!("{w}.{f:03}")),
        1 => (1u64..=1_000_000_000).prop_map(|n| n.to_string()),
    ]
}

/// One request a clerk might send, as `(kind, body)`.
fn request() -> impl Strategy<Value = (String, Value)> {
    let item = prop_oneof![Just("GAO"), Just("MI")];
    prop_oneof![
        amount().prop_map(|a| ("donation_cash".to_owned(), json!({
            "donor": {"display": "Nguyễn Văn A", "kind": "individual"},
            "amount_vnd": a.to_string(), "channel": "cash", "received_on": "2026-11-20"}))),
        (item.clone(), quantity(), amount()).prop_map(|(i, q, u)| {
            let value = q.parse::<rust_decimal::Decimal>().unwrap_or_default()
                * rust_decimal::Decimal::from(u);
            let value = value.round().to_string();
            ("donation_in_kind".to_owned(), json!({
                "donor": {"display": "HTX A", "kind": "organization"},
                "items": [{"item": i, "quantity": q, "unit": "kg", "unit_value_vnd": u.to_string(), "value_vnd": value}],
                "total_value_vnd": value, "received_on": "2026-11-20"}))
        }),
        (item.clone(), quantity(), any::<bool>(), prop::option::of(amount())).prop_map(|(i, q, add, unit)| {
            let delta = if add { q } else { format!("-{q}") };
            let mut b = json!({"item": i, "quantity_delta": delta,
                "reason": if add { "count_correction" } else { "lost" }, "decision_ref": "BB 1"});
            if let Some(u) = unit {
                b["unit_value_vnd"] = json!(u.to_string());
            }
            ("stock_adjusted".to_owned(), b)
        }),
        Just(("household_registered".to_owned(), json!({
            "household_id": "ho-1", "commune_code": "PX", "hamlet": "Thôn 3",
            "category": "poor", "members": 4, "review_year": 2026}))),
        (amount(), item, quantity()).prop_map(|(cash, i, q)| ("distribution".to_owned(), json!({
            "household_id": "ho-1", "support_type": "relief", "cash_vnd": cash.to_string(),
            "items": [{"item": i, "quantity": q, "unit": "kg", "unit_value_vnd": "1", "value_vnd": "1"}],
            "decision_ref": "QĐ 1"}))),
        amount().prop_map(|a| ("expense".to_owned(), json!({
            "category": "bank_fee", "amount_vnd": a.to_string(), "decision_ref": "QĐ 2"}))),
        (0u64..40).prop_map(|seq| ("reversal".to_owned(), json!({"reverses_seq": seq, "reason": "nhập sai"}))),
    ]
}

fn opened() -> (FundState, Vec<String>, Policy) {
    let code = Code::parse("HN-VNN", "f").expect("a code");
    let mut state = FundState::empty(code.clone());
    let policy = Policy::permissive(20_000_000);
    let body = Body::FundOpened(FundOpened {
        committee_code: Code::parse("HN", "c").expect("a code"),
        committee_name: "Ủy ban MTTQ Hà Nội".into(),
        fund_code: code,
        fund_kind: FundKind::ForThePoor,
        origin: "sovang.local/fund/HN-VNN".into(),
        verifier_key: "sovang.local/fund/HN-VNN+00000000+AQ==".into(),
    });
    let ctx = Context {
        actor: "admin",
        now: now(),
        policy: &policy,
    };
    let a = apply(
        &mut state,
        Draft {
            body,
            private: None,
            bank_line: None,
        },
        &ctx,
    )
    .expect("the fund opens");
    let canonicals = vec![a.canonical];
    (state, canonicals, policy)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_requests_is_refused_or_written_without_a_panic_and_replays_to_the_same_books(
        requests in prop::collection::vec(request(), 1..40)
    ) {
        let (mut state, mut canonicals, policy) = opened();
        for (kind, body) in requests {
            let private = (kind == "household_registered").then(|| {
                json!({"head_name": "Nguyễn Văn Bình", "cccd": "001086012345", "address": "Thôn 3"})
            });
            let Ok(draft) = Draft::parse(&kind, body, private, now()) else {
                continue;
            };
            let before = state.book.summary();
            let ctx = Context { actor: "clerk", now: now(), policy: &policy };
            match apply(&mut state, draft, &ctx) {
                Ok(a) => canonicals.push(a.canonical),
                Err(_) => prop_assert_eq!(state.book.summary(), before, "a refusal changed the books"),
            }
        }
        let mut replayed = Book::default();
        for c in &canonicals {
            prop_assert!(fold(&mut replayed, c).is_ok(), "the ledger replays");
        }
        prop_assert_eq!(replayed.summary(), state.book.summary());
        prop_assert_eq!(replayed.objects(), state.book.objects());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The totals the writer keeps by day, summed over any period, give
    /// the statement a fold of the ledger from its first entry gives,
    /// reversals, pending outflows and goods included; and they are the
    /// days rebuilt from the ledger alone.
    #[test]
    fn the_totals_kept_by_day_give_every_period_s_statement_as_a_fold_does(
        requests in prop::collection::vec((request(), 0i64..3), 1..40),
        ends in (0i64..50, 0i64..50),
    ) {
        let (mut state, mut canonicals, policy) = opened();
        let mut days: BTreeMap<String, DayTotals> = BTreeMap::new();
        let opened_day = state.day.clone().expect("the day of the opening");
        days.insert(opened_day.day.clone(), opened_day);
        let mut offset = 0;
        for ((kind, body), step) in requests {
            offset += step;
            let at = now() + time::Duration::days(offset);
            let private = (kind == "household_registered").then(|| {
                json!({"head_name": "Nguyễn Văn Bình", "cccd": "001086012345", "address": "Thôn 3"})
            });
            let Ok(draft) = Draft::parse(&kind, body, private, at) else {
                continue;
            };
            let ctx = Context { actor: "clerk", now: at, policy: &policy };
            if let Ok(a) = apply(&mut state, draft, &ctx) {
                canonicals.push(a.canonical);
                let day = state.day.clone().expect("the day's totals");
                days.insert(day.day.clone(), day);
            }
        }
        let first_day = now().date() - time::Duration::days(2);
        let (a, b) = (ends.0.min(ends.1), ends.0.max(ends.1));
        let (from, to) = (first_day + time::Duration::days(a), first_day + time::Duration::days(b));
        let mut folded = StatementBuilder::new("HN-VNN", from, to);
        for c in &canonicals {
            folded.push(c).expect("the ledger replays");
        }
        let folded = folded.finish();
        let (first, last) = (format_date(from), format_date(to));
        let before = days.range(..first.clone()).next_back().map(|(_, d)| d);
        let period: Vec<DayTotals> = days.range(first..=last).map(|(_, d)| d.clone()).collect();
        let read = from_days("HN-VNN", from, to, before, period);
        prop_assert_eq!(&read, &folded);
        prop_assert_eq!(read.sha256(), folded.sha256());
        let mut rebuilt = DaysBuilder::default();
        for c in &canonicals {
            rebuilt.push(c).expect("the ledger replays");
        }
        prop_assert_eq!(rebuilt.finish(), days.into_values().collect::<Vec<_>>());
    }
}

/// [`request`], and gifts to campaigns and pledges, which the saved books
/// name by index into a table of ids.
fn request_naming_ids() -> impl Strategy<Value = (String, Value)> {
    let id = prop_oneof![Just("c1"), Just("c2")];
    prop_oneof![
        4 => request(),
        1 => id.clone().prop_map(|c| ("campaign_opened".to_owned(), json!({
            "campaign_id": c, "name": "Tháng cao điểm", "kind": "peak_month",
            "starts_on": "2026-10-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm"}))),
        1 => (id.clone(), 1u64..3).prop_map(|(c, p)| ("pledge".to_owned(), json!({
            "pledge_id": format!("p{p}"), "reference": format!("REF{p}"), "campaign_id": c,
            "donor": {"display": "Công ty Hòa Bình", "kind": "organization"},
            "amount_vnd": "1000000"}))),
        2 => (id, amount(), prop::option::of(1u64..3), any::<bool>()).prop_map(|(c, a, p, bank)| {
            let mut b = json!({
                "donor": {"display": "Trần Thị B", "kind": "individual"},
                "amount_vnd": a.to_string(), "received_on": "2026-11-20",
                "channel": if bank { "bank_transfer" } else { "cash" },
                "campaign_id": c, "earmark": "relief"});
            if let Some(p) = p {
                b["pledge_id"] = json!(format!("p{p}"));
            }
            ("donation_cash".to_owned(), b)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Books saved at any entry and read back are the books: saved again
    /// they give the same bytes, and the entries after the cut, folded
    /// into them, give byte for byte the books of a fold from entry 0 and
    /// of the live writer (refusals, reversals and all).
    #[test]
    fn books_saved_at_any_entry_and_read_back_go_on_as_a_fold_from_the_start(
        requests in prop::collection::vec(request_naming_ids(), 1..60),
        cut in 0usize..60,
    ) {
        let (mut state, mut canonicals, policy) = opened();
        for (kind, body) in requests {
            let private = (kind == "household_registered").then(|| {
                json!({"head_name": "Nguyễn Văn Bình", "cccd": "001086012345", "address": "Thôn 3"})
            });
            let Ok(draft) = Draft::parse(&kind, body, private, now()) else {
                continue;
            };
            let ctx = Context { actor: "clerk", now: now(), policy: &policy };
            if let Ok(a) = apply(&mut state, draft, &ctx) {
                canonicals.push(a.canonical);
            }
        }
        let cut = cut.min(canonicals.len());
        let mut head = Book::default();
        for c in &canonicals[..cut] {
            prop_assert!(fold(&mut head, c).is_ok(), "the ledger replays");
        }
        let saved = head.save().expect("books save");
        let mut read = Book::from_saved(&saved).expect("saved books read back");
        prop_assert_eq!(read.save().expect("books save"), saved);
        for c in &canonicals[cut..] {
            prop_assert!(fold(&mut read, c).is_ok(), "the tail folds onto the saved books");
        }
        let mut whole = Book::default();
        for c in &canonicals {
            prop_assert!(fold(&mut whole, c).is_ok(), "the ledger replays");
        }
        let whole = whole.save().expect("books save");
        prop_assert_eq!(&read.save().expect("books save"), &whole);
        prop_assert_eq!(&state.book.save().expect("books save"), &whole);
    }
}

/// Writes `requests` to a fresh fund; the kinds each was refused with or
/// `"ok"`.
fn outcomes(requests: &[(&str, Value)]) -> Vec<String> {
    let (mut state, _, policy) = opened();
    requests
        .iter()
        .map(|(kind, body)| {
            let ctx = Context {
                actor: "clerk",
                now: now(),
                policy: &policy,
            };
            match Draft::parse(kind, body.clone(), None, now())
                .and_then(|d| apply(&mut state, d, &ctx))
            {
                Ok(_) => "ok".to_owned(),
                Err(sovang::ledger::state::Rejection::Rule { rule, .. }) => rule.to_owned(),
                Err(other) => format!("{other:?}"),
            }
        })
        .collect()
}

#[test]
fn a_count_correction_on_a_line_run_empty_is_refused_without_its_unit_value_and_not_a_panic() {
    let gift = json!({"donor": {"display": "HTX A", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "2", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "40000"}],
        "total_value_vnd": "40000", "received_on": "2026-11-20"});
    let lost =
        json!({"item": "GAO", "quantity_delta": "-2", "reason": "lost", "decision_ref": "BB 1"});
    let found = json!({"item": "GAO", "quantity_delta": "1", "reason": "count_correction", "decision_ref": "BB 2"});
    let mut found_at = found.clone();
    found_at["unit_value_vnd"] = json!("15000");
    assert_eq!(
        outcomes(&[
            ("donation_in_kind", gift),
            ("stock_adjusted", lost),
            ("stock_adjusted", found),
            ("stock_adjusted", found_at),
        ]),
        ["ok", "ok", "unit_value_required", "ok"]
    );
}
