//! Each rule of the fund refuses with a 422 that names it, and a refused
//! entry changes nothing: not the ledger, not the books.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Posts an entry that `rule` must refuse, and checks that the fund, as
/// the public sees it, is exactly as it was.
async fn refused(app: &TestApp, fund: &str, token: &str, kind: &str, body: Value, rule: &str) {
    let before = app.fund_view(fund).await;
    let a = app.entry(fund, token, kind, body).await;
    a.problem(422);
    assert_eq!(a.body["rule"], rule, "{}", a.text);
    assert_eq!(
        a.body["type"],
        format!("/problems/rule/{}", rule.replace('_', "-"))
    );
    assert_eq!(
        a.body["errors"][0]["field"]
            .as_str()
            .map(|f| f.starts_with("body")),
        Some(true),
        "{}",
        a.text
    );
    assert_eq!(
        app.fund_view(fund).await,
        before,
        "{kind} refused by {rule} changed the fund"
    );
}

fn gift(amount: u64, extra: Value) -> Value {
    let mut body = json!({"donor": {"display": "Phạm Thị Mai", "kind": "individual"},
        "amount_vnd": amount.to_string(), "channel": "cash", "received_on": "2026-10-01"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn household(id: &str, category: &str) -> Value {
    json!({"kind": "household_registered",
        "body": {"household_id": id, "commune_code": "HN", "hamlet": "Thôn Trung",
                 "category": category, "members": 4, "review_year": 2026},
        "private": {"head_name": "Đỗ Văn Tâm", "cccd": "001085000111",
                    "address": "Thôn Trung"}})
}

fn distribution(id: &str, household: &str, support: &str, cash: u64) -> Value {
    json!({"distribution_id": id, "household_id": household, "support_type": support,
           "cash_vnd": cash.to_string(), "decision_ref": "QĐ 7/QĐ-MTTQ"})
}

async fn every_rule_refuses_with_its_name_and_changes_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    let admin = app.admin.clone();
    // The admin records below; an approver whose token the admin issued
    // could not approve it (SPEC §9), so another admin issues it.
    let other_admin = app.token_from(&admin, "admin", "HN").await;
    let approver = app.token_from(&other_admin, "approver", "HN").await;
    const F: &str = "HN-VNN";
    let registrar = app.token("clerk", "HN").await;
    app.record_batch(
        F,
        &registrar,
        vec![
            household("h-ngheo", "poor"),
            household("h-moi-thoat", "newly_escaped"),
        ],
    )
    .await;
    app.record(F, &clerk, "donation_cash", gift(30_000_000, json!({})))
        .await;
    let small = app
        .record(F, &clerk, "donation_cash", gift(1_000_000, json!({})))
        .await;

    // Households: unknown, ineligible by the policy's classes.
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d1", "ho-khong-co", "cash_grant", 1_000_000),
        "unknown_household",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d1", "h-moi-thoat", "house_new", 1_000_000),
        "ineligible_household",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d1", "h-moi-thoat", "cash_grant", 1_000_000),
        "ineligible_household",
    )
    .await;
    // Policy limits: a new house is at most 60,000,000.
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d1", "h-ngheo", "house_new", 60_000_001),
        "policy_limit",
    )
    .await;

    // At the threshold a distribution waits; its cash is reserved.
    let d = app
        .record(
            F,
            &admin,
            "distribution",
            distribution("sua-nha", "h-ngheo", "house_repair", 25_000_000),
        )
        .await;
    assert!(d["canonical"]
        .as_str()
        .unwrap()
        .contains("\"status\":\"pending\""));
    let f = app.fund_view(F).await;
    assert_eq!(f["balance_vnd"], "31000000");
    assert_eq!(f["available_vnd"], "6000000");
    // Overdraft counts what pending distributions reserve.
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d2", "h-ngheo", "cash_grant", 6_000_001),
        "insufficient_funds",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "expense",
        json!({"category": "transport", "amount_vnd": "6000001", "decision_ref": "x"}),
        "insufficient_funds",
    )
    .await;
    // Admins do not approve (SPEC §9), and nothing is recorded.
    let size = app.size(F).await;
    app.entry(
        F,
        &admin,
        "distribution_approved",
        json!({"distribution_id": "sua-nha"}),
    )
    .await
    .problem(403);
    assert_eq!(app.size(F).await, size);
    // Nor does the recorder through an approver token of their own: the
    // approver must be another person, not another token.
    let recorder: Value = serde_json::from_str(d["canonical"].as_str().unwrap()).unwrap();
    let own = app
        .post(
            "/tokens",
            Some(&admin),
            &json!({"name": "admin as approver", "role": "approver", "committee_code": "HN",
                    "person_id": recorder["actor"]}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.body["person_id"], recorder["actor"]);
    let own = own.body["token"].as_str().unwrap().to_owned();
    for kind in ["distribution_approved", "outflow_approved"] {
        let body = match kind {
            "distribution_approved" => json!({"distribution_id": "sua-nha"}),
            _ => json!({"of_seq": d["seq"]}),
        };
        refused(&app, F, &own, kind, body, "self_approval").await;
    }
    // Only pending distributions are approved; unknown ones are named.
    refused(
        &app,
        F,
        &approver,
        "distribution_approved",
        json!({"distribution_id": "khong-co"}),
        "unknown_distribution",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "distribution_acknowledged",
        json!({"distribution_id": "sua-nha", "method": "witness", "acknowledged_on": "2026-11-01"}),
        "not_approved",
    )
    .await;
    app.record(
        F,
        &approver,
        "distribution_approved",
        json!({"distribution_id": "sua-nha"}),
    )
    .await;
    refused(
        &app,
        F,
        &approver,
        "distribution_approved",
        json!({"distribution_id": "sua-nha"}),
        "not_pending",
    )
    .await;
    refused(
        &app,
        F,
        &approver,
        "distribution_voided",
        json!({"distribution_id": "sua-nha", "reason": "x"}),
        "not_pending",
    )
    .await;
    // One house support every five years.
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("d3", "h-ngheo", "house_repair", 1_000_000),
        "house_support_too_recent",
    )
    .await;

    // Reversals: once only, never overdrawing, never of the fund's opening.
    let seq = small["seq"].as_u64().unwrap();
    app.record(
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": seq, "reason": "Ghi nhầm"}),
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": seq, "reason": "Ghi nhầm"}),
        "already_reversed",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": 3, "reason": "Ghi nhầm"}),
        "reversal_overdraws",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": 0, "reason": "x"}),
        "not_reversible",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": 999, "reason": "x"}),
        "unknown_entry",
    )
    .await;

    // Goods: never below zero.
    app.record(F, &clerk, "donation_in_kind", json!({"donor": {"display": "HTX Thành Công", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "100", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "2000000"}],
        "total_value_vnd": "2000000", "received_on": "2026-10-02"})).await;
    let rice = |kg: u64| json!([{"item": "GAO", "quantity": kg.to_string(), "unit": "kg", "unit_value_vnd": "20000", "value_vnd": (kg * 20_000).to_string()}]);
    let mut tet = distribution("cuu-tro-1", "h-ngheo", "relief", 0);
    tet["items"] = rice(101);
    refused(&app, F, &clerk, "distribution", tet, "stock_insufficient").await;
    refused(&app, F, &clerk, "stock_adjusted", json!({"item": "GAO", "quantity_delta": "-100.5", "reason": "lost", "decision_ref": "BB 1"}), "stock_insufficient").await;
    refused(
        &app,
        F,
        &clerk,
        "stock_adjusted",
        json!({"item": "MI-TOM", "quantity_delta": "-1", "reason": "lost", "decision_ref": "BB 1"}),
        "unknown_item",
    )
    .await;
    let mut tet = distribution("cuu-tro-1", "h-ngheo", "relief", 0);
    tet["items"] = json!([{"item": "GAO", "quantity": "10", "unit": "bao", "unit_value_vnd": "20000", "value_vnd": "200000"}]);
    refused(&app, F, &clerk, "distribution", tet, "unit_mismatch").await;

    // Campaign windows (Decree 93/2021) and closing.
    app.record(
        F,
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "bao-so-3", "name": "Ủng hộ đồng bào bị bão số 3",
        "kind": "disaster_relief", "starts_on": "2026-09-08", "ends_on": "2026-10-31"}),
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(
            500_000,
            json!({"campaign_id": "bao-so-3", "received_on": "2026-11-01"}),
        ),
        "outside_campaign_window",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(
            500_000,
            json!({"campaign_id": "bao-so-3", "received_on": "2026-09-07"}),
        ),
        "outside_campaign_window",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(500_000, json!({"campaign_id": "khong-co"})),
        "unknown_campaign",
    )
    .await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        gift(
            500_000,
            json!({"campaign_id": "bao-so-3", "received_on": "2026-10-31"}),
        ),
    )
    .await;
    app.record(
        F,
        &clerk,
        "campaign_closed",
        json!({"campaign_id": "bao-so-3", "reason": "Kết thúc vận động"}),
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(500_000, json!({"campaign_id": "bao-so-3"})),
        "campaign_closed",
    )
    .await;

    // Pledges: references are unique; a cancelled pledge takes no gifts.
    app.record(F, &clerk, "pledge", json!({"pledge_id": "p1", "reference": "HN2026MAI", "donor": {"display": "Phạm Thị Mai", "kind": "individual"}, "amount_vnd": "2000000"})).await;
    refused(&app, F, &clerk, "pledge", json!({"pledge_id": "p2", "reference": "HN2026MAI", "donor": {"display": "Lê Văn B", "kind": "individual"}, "amount_vnd": "1000000"}), "duplicate_reference").await;
    refused(&app, F, &clerk, "pledge", json!({"pledge_id": "p1", "donor": {"display": "Lê Văn B", "kind": "individual"}, "amount_vnd": "1000000"}), "duplicate_id").await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(500_000, json!({"pledge_id": "p-khong-co"})),
        "unknown_pledge",
    )
    .await;
    app.record(
        F,
        &clerk,
        "pledge_cancelled",
        json!({"pledge_id": "p1", "reason": "Đổi ý"}),
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "donation_cash",
        gift(500_000, json!({"pledge_id": "p1"})),
        "pledge_cancelled",
    )
    .await;

    // Transfers: to another existing fund, within the money there is.
    refused(&app, F, &clerk, "transfer_out", json!({"counterparty_fund": "HN-VNN", "amount_vnd": "1000", "decision_ref": "x", "purpose": "x"}), "transfer_to_self").await;
    refused(&app, F, &clerk, "transfer_out", json!({"counterparty_fund": "HN-KHONG", "amount_vnd": "1000", "decision_ref": "x", "purpose": "x"}), "unknown_fund").await;
    app.fund("HN-CT", "HN").await;
    refused(&app, F, &clerk, "transfer_out", json!({"counterparty_fund": "HN-CT", "amount_vnd": "100000000", "decision_ref": "x", "purpose": "x"}), "insufficient_funds").await;
    assert_eq!(
        app.size("HN-CT").await,
        1,
        "a refused transfer wrote nothing in the other fund"
    );

    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
}

/// Cash given for solidarity houses pays for houses only.
async fn earmarked_cash_pays_only_for_its_purpose(app: TestApp) {
    let clerk = app.with_fund().await;
    const F: &str = "HN-VNN";
    let registrar = app.token("clerk", "HN").await;
    app.record_batch(F, &registrar, vec![household("h1", "poor")])
        .await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        gift(10_000_000, json!({"earmark": "house_new"})),
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "distribution",
        distribution("tet", "h1", "tet_gift", 1_000_000),
        "earmark",
    )
    .await;
    refused(
        &app,
        F,
        &clerk,
        "expense",
        json!({"category": "bank_fee", "amount_vnd": "11000", "decision_ref": "x"}),
        "earmark",
    )
    .await;
    app.record(F, &clerk, "donation_cash", gift(1_000_000, json!({})))
        .await;
    app.record(
        F,
        &clerk,
        "distribution",
        distribution("tet", "h1", "tet_gift", 1_000_000),
    )
    .await;
    app.record(
        F,
        &clerk,
        "distribution",
        distribution("nha", "h1", "house_new", 10_000_000),
    )
    .await;
    let f = app.fund_view(F).await;
    assert_eq!(f["balance_vnd"], "0");
}

crate::both!(
    a_count_correction_on_an_empty_stock_line_states_its_unit_value,
    every_rule_refuses_with_its_name_and_changes_nothing,
    earmarked_cash_pays_only_for_its_purpose
);

/// A count correction that adds goods to a line holding nothing states
/// the unit value of what was found: an empty line has no average to go
/// by. Before this rule such an entry divided by zero and stopped the
/// writer for everyone.
async fn a_count_correction_on_an_empty_stock_line_states_its_unit_value(app: TestApp) {
    const F: &str = "HN-VNN";
    let clerk = app.with_fund().await;
    app.record(F, &clerk, "donation_in_kind", json!({"donor": {"display": "HTX Thành Công", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "10", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "200000"}],
        "total_value_vnd": "200000", "received_on": "2026-10-02"})).await;
    let correction = |delta: &str, unit_value: Option<Value>| {
        let mut b = json!({"item": "GAO", "quantity_delta": delta, "reason": "count_correction", "decision_ref": "BB kiểm kê 2"});
        if let Some(v) = unit_value {
            b["unit_value_vnd"] = v;
        }
        b
    };
    // On a line that holds goods, the book's average applies.
    refused(
        &app,
        F,
        &clerk,
        "stock_adjusted",
        correction("2", Some(json!("18000"))),
        "goods_value",
    )
    .await;
    app.record(
        F,
        &clerk,
        "stock_adjusted",
        json!({"item": "GAO", "quantity_delta": "-10", "reason": "lost", "decision_ref": "BB 1"}),
    )
    .await;

    refused(
        &app,
        F,
        &clerk,
        "stock_adjusted",
        correction("5", None),
        "unit_value_required",
    )
    .await;
    for bad in [
        json!("-1"),
        json!("1.5"),
        json!("1e3"),
        json!("abc"),
        json!(1.5),
        json!("99999999999999999999999"),
    ] {
        let before = app.fund_view(F).await;
        let a = app
            .entry(
                F,
                &clerk,
                "stock_adjusted",
                correction("5", Some(bad.clone())),
            )
            .await;
        assert!(a.status == 400 || a.status == 422, "{bad}: {}", a.text);
        assert_eq!(a.fields(), ["body.unit_value_vnd"], "{bad}: {}", a.text);
        assert_eq!(app.fund_view(F).await, before, "{bad} changed the fund");
    }

    app.record(
        F,
        &clerk,
        "stock_adjusted",
        correction("5", Some(json!("18000"))),
    )
    .await;
    let stock = app.get(&format!("/funds/{F}/stock")).await.body;
    let line = &stock["stock"][0];
    assert_eq!(
        (line["quantity"].as_str(), line["value_vnd"].as_str()),
        (Some("5"), Some("90000")),
        "{stock}"
    );
    // The writer still takes entries from everyone.
    app.record(F, &clerk, "donation_cash", gift(100_000, json!({})))
        .await;
}
