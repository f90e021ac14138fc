//! Bad input for every entry kind (SPEC §4 input rules): each answered
//! with a 422 naming the field, and nothing recorded. Each valid body is
//! then recorded, so every refusal above it was the bad field's doing.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// `body` with `path` (dot-separated, numbers index arrays) set to
/// `value`, or removed when `value` is null.
fn with(body: &Value, path: &str, value: Value) -> Value {
    let mut out = body.clone();
    let mut at = &mut out;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*p],
        };
    }
    let last = parts[parts.len() - 1];
    if value.is_null() {
        at.as_object_mut().expect("object").remove(last);
    } else {
        at[last] = value;
    }
    out
}

fn long(n: usize) -> Value {
    Value::String("ư".repeat(n))
}

struct Case {
    kind: &'static str,
    valid: Value,
    /// (path to change, new value or null to remove, field the error names)
    bad: Vec<(&'static str, Value, &'static str)>,
}

fn cases() -> Vec<Case> {
    let donor = json!({"display": "Vũ Thị Lan", "kind": "individual"});
    let rice = json!({"item": "GAO", "quantity": "20.5", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "410000"});
    vec![
        Case {
            kind: "campaign_opened",
            valid: json!({"campaign_id": "tet-2027", "name": "Tết vì người nghèo 2027", "kind": "tet",
                          "starts_on": "2026-11-01", "ends_on": "2027-02-15", "window_reason": "Vận động cả năm", "target_vnd": "100000000"}),
            bad: vec![
                ("kind", json!("xmas"), "body.kind"),
                ("name", long(201), "body.name"),
                ("target_vnd", json!("-5"), "body.target_vnd"),
                ("target_vnd", json!(1.5), "body.target_vnd"),
                ("campaign_id", json!("Tết 2027"), "body.campaign_id"),
                ("starts_on", json!("01/11/2026"), "body.starts_on"),
                ("ends_on", json!("2026-10-01"), "body.ends_on"),
                ("colour", json!("red"), "body.colour"),
                ("name", Value::Null, "body"),
            ],
        },
        Case {
            kind: "campaign_closed",
            valid: json!({"campaign_id": "c1", "reason": "Kết thúc"}),
            bad: vec![
                ("reason", long(2001), "body.reason"),
                ("campaign_id", json!(7), "body.campaign_id"),
            ],
        },
        Case {
            kind: "pledge",
            valid: json!({"pledge_id": "p2", "donor": donor, "amount_vnd": "1000000", "due_on": "2026-12-31"}),
            bad: vec![
                ("amount_vnd", json!("1e6"), "body.amount_vnd"),
                ("amount_vnd", json!("0"), "body.amount_vnd"),
                ("amount_vnd", json!("1000000000000001"), "body.amount_vnd"),
                ("reference", json!("abc def"), "body.reference"),
                ("reference", json!("A".repeat(21)), "body.reference"),
                ("donor.kind", json!("alien"), "body.donor.kind"),
                ("donor.display", long(201), "body.donor.display"),
                ("amount_vnd", Value::Null, "body.amount_vnd"),
            ],
        },
        Case {
            kind: "donation_in_kind",
            valid: json!({"donor": donor, "items": [rice], "total_value_vnd": "410000", "received_on": "2026-11-02"}),
            bad: vec![
                ("items.0.quantity", json!("-1"), "body.items[0].quantity"),
                ("items.0.quantity", json!(20.5), "body.items[0].quantity"),
                (
                    "items.0.value_vnd",
                    json!("400000"),
                    "body.items[0].value_vnd",
                ),
                ("items.0.item", json!("gạo"), "body.items[0].item"),
                ("items.0.unit", long(40), "body.items[0].unit"),
                ("total_value_vnd", json!("410001"), "body.total_value_vnd"),
                ("received_on", json!("2099-01-01"), "body.received_on"),
                ("items", json!([]), "body.items"),
                ("receipt_no", json!("HN-VNN-2026-000001"), "body.receipt_no"),
            ],
        },
        Case {
            kind: "household_reclassified",
            valid: json!({"household_id": "h1", "category": "near_poor", "review_year": 2027, "decision_ref": "QĐ 1/UBND"}),
            bad: vec![
                ("category", json!("rich"), "body.category"),
                ("review_year", json!("2027"), "body.review_year"),
                ("decision_ref", long(201), "body.decision_ref"),
            ],
        },
        Case {
            kind: "distribution",
            valid: json!({"distribution_id": "d2", "household_id": "h2", "support_type": "medical",
                          "cash_vnd": "2000000", "decision_ref": "QĐ 3/QĐ-MTTQ"}),
            bad: vec![
                ("support_type", json!("bribe"), "body.support_type"),
                ("cash_vnd", json!("1.5"), "body.cash_vnd"),
                ("cash_vnd", json!(-1), "body.cash_vnd"),
                ("cash_vnd", json!("+2000000"), "body.cash_vnd"),
                ("household_id", json!("HỘ 1"), "body.household_id"),
                ("status", json!("approved"), "body.status"),
                ("note", long(2001), "body.note"),
            ],
        },
        Case {
            kind: "distribution_acknowledged",
            valid: json!({"distribution_id": "d1", "method": "thumbprint", "acknowledged_on": "2026-11-03",
                          "evidence_sha256": "0f".repeat(32)}),
            bad: vec![
                ("method", json!("email"), "body.method"),
                (
                    "acknowledged_on",
                    json!("2099-12-31"),
                    "body.acknowledged_on",
                ),
                ("evidence_sha256", json!("xyz"), "body.evidence_sha256"),
            ],
        },
        Case {
            kind: "transfer_out",
            valid: json!({"counterparty_fund": "HN-CT", "amount_vnd": "1000000", "decision_ref": "QĐ 9", "purpose": "Cứu trợ"}),
            bad: vec![
                ("amount_vnd", json!(0), "body.amount_vnd"),
                ("amount_vnd", json!("1,000,000"), "body.amount_vnd"),
                ("purpose", long(2001), "body.purpose"),
                (
                    "counterparty_fund",
                    json!("hn ct"),
                    "body.counterparty_fund",
                ),
            ],
        },
        Case {
            kind: "expense",
            valid: json!({"category": "bank_fee", "amount_vnd": "11000", "decision_ref": "Sao kê 11/2026"}),
            bad: vec![
                ("category", json!("party"), "body.category"),
                ("amount_vnd", json!(1.5), "body.amount_vnd"),
                ("amount_vnd", json!("1E4"), "body.amount_vnd"),
            ],
        },
        Case {
            kind: "stock_adjusted",
            valid: json!({"item": "GAO", "quantity_delta": "-0.5", "reason": "count_correction", "decision_ref": "BB kiểm kê"}),
            bad: vec![
                ("reason", json!("stolen"), "body.reason"),
                ("quantity_delta", json!("abc"), "body.quantity_delta"),
                ("quantity_delta", json!("0"), "body.quantity_delta"),
            ],
        },
        Case {
            kind: "distribution_voided",
            valid: json!({"distribution_id": "d1", "reason": "Hộ chuyển đi nơi khác"}),
            bad: vec![
                ("reason", Value::Null, "body"),
                ("reason", json!(""), "body.reason"),
            ],
        },
        Case {
            kind: "reversal",
            valid: json!({"reverses_seq": 14, "reason": "Ghi nhầm số tiền"}),
            bad: vec![
                ("reverses_seq", json!(-1), "body.reverses_seq"),
                ("reverses_seq", json!("3"), "body.reverses_seq"),
                ("reason", long(2001), "body.reason"),
            ],
        },
        Case {
            kind: "pledge_cancelled",
            valid: json!({"pledge_id": "p1", "reason": "Đổi ý"}),
            bad: vec![
                ("pledge_id", json!(""), "body.pledge_id"),
                ("reason", Value::Null, "body"),
            ],
        },
    ]
}

async fn every_kind_refuses_bad_fields_and_records_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    let approver = app.token("approver", "HN").await;
    // Another clerk registers the household, and another pays the small
    // one: a person's own households and a day past the threshold wait
    // for a second person (SPEC §9).
    let registrar = app.token("clerk", "HN").await;
    let clerk2 = app.token("clerk", "HN").await;
    app.fund("HN-CT", "HN").await;
    const F: &str = "HN-VNN";
    app.record_batch(F, &registrar, vec![json!({"kind": "household_registered",
        "body": {"household_id": "h1", "commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 2, "review_year": 2026},
        "private": {"head_name": "Hà Văn Sơn", "cccd": "001085000222", "address": "Thôn 1"}}),
        json!({"kind": "household_registered",
        "body": {"household_id": "h2", "commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 3, "review_year": 2026},
        "private": {"head_name": "Hà Thị Mai", "cccd": "001085000333", "address": "Thôn 1"}})]).await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Vũ Thị Lan", "kind": "individual"},
        "amount_vnd": "60000000", "channel": "cash", "received_on": "2026-10-20"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "c1", "name": "Cứu trợ", "kind": "disaster_relief",
        "starts_on": "2026-10-01", "ends_on": "2026-10-31"}),
    )
    .await;
    app.record(F, &clerk, "pledge", json!({"pledge_id": "p1", "donor": {"display": "Vũ Thị Lan", "kind": "individual"}, "amount_vnd": "1000000"})).await;
    app.record(
        F,
        &clerk,
        "distribution",
        json!({"distribution_id": "d1", "household_id": "h1", "support_type": "house_repair",
        "cash_vnd": "25000000", "decision_ref": "QĐ 2"}),
    )
    .await;

    for case in cases() {
        for (path, value, field) in &case.bad {
            let before = app.fund_view(F).await;
            let body = with(&case.valid, path, value.clone());
            let token = if case.kind == "distribution_voided" {
                &approver
            } else {
                &clerk
            };
            let a = app.entry(F, token, case.kind, body).await;
            a.problem(422);
            assert!(
                a.fields().iter().any(|f| f == field),
                "{} with {path} = {value}: expected an error on {field}, got {}",
                case.kind,
                a.text
            );
            assert_eq!(
                app.fund_view(F).await,
                before,
                "{} with bad {path} changed the fund",
                case.kind
            );
        }
    }
    // The same bodies, valid, are recorded (the distribution is voided
    // before it is acknowledged, so acknowledge the medical one instead).
    for case in cases() {
        let token = match case.kind {
            "distribution_voided" => &approver,
            "distribution" => &clerk2,
            _ => &clerk,
        };
        if case.kind == "reversal" {
            // What the clerk recorded past the day's threshold waits for
            // the approver; an outflow is reversed once it took effect.
            app.approve_listed(F, &approver, &["outflows"]).await;
        }
        let body = match case.kind {
            "distribution_acknowledged" => with(&case.valid, "distribution_id", json!("d2")),
            _ => case.valid.clone(),
        };
        let a = app.entry(F, token, case.kind, body).await;
        assert_eq!(a.status, 201, "{}: {}", case.kind, a.text);
    }
}

/// Kinds the server writes itself, and kinds that do not exist.
async fn server_kinds_and_unknown_kinds_are_refused(app: TestApp) {
    let clerk = app.with_fund().await;
    let refused = [
        (json!({"kind": "gift", "body": {}}), "kind"),
        (json!({"kind": "fund_opened", "body": {}}), "kind"),
        (
            json!({"kind": "transfer_in", "body": {"counterparty_fund": "HN-CT", "amount_vnd": "1", "decision_ref": "x", "purpose": "x"}}),
            "kind",
        ),
        (json!({"kind": "donation_cash", "body": "a gift"}), "body"),
        (
            json!({"kind": "expense", "body": {"category": "bank_fee", "amount_vnd": "1", "decision_ref": "x"}, "private": {}}),
            "private",
        ),
        (
            json!({"kind": "household_registered", "body": {"commune_code": "HN", "hamlet": "x", "category": "poor", "members": 1, "review_year": 2026}}),
            "private",
        ),
        (
            json!({"kind": "household_registered", "body": {"commune_code": "HN", "hamlet": "x", "category": "poor", "members": 1, "review_year": 2026},
                "private": {"head_name": "A", "cccd": "12345", "address": "x"}}),
            "private.cccd",
        ),
        (
            json!({"kind": "household_registered", "body": {"commune_code": "HN", "hamlet": "x", "category": "poor", "members": 1, "review_year": 2026},
                "private": {"head_name": "A", "cccd": "001085000333", "address": "x", "phone": "call me"}}),
            "private.phone",
        ),
        (
            json!({"kind": "household_registered", "body": {"commune_code": "HN", "hamlet": "x", "category": "poor", "members": 1, "review_year": 2026,
                "commitment": "00".repeat(32)}, "private": {"head_name": "A", "cccd": "001085000333", "address": "x"}}),
            "body.commitment",
        ),
    ];
    for (input, field) in refused {
        let a = app
            .post("/funds/HN-VNN/entries", Some(&clerk), &input)
            .await;
        assert_eq!(a.status, 422, "{input}: {}", a.text);
        assert!(
            a.fields().iter().any(|f| f == field),
            "{input}: expected {field}, got {}",
            a.text
        );
    }
    assert_eq!(app.size("HN-VNN").await, 1);
}

crate::both!(
    every_kind_refuses_bad_fields_and_records_nothing,
    server_kinds_and_unknown_kinds_are_refused
);
