//! Findings for inspectors: each produced by a scenario made to trigger it,
//! none in a clean fund.

use serde_json::{json, Value};

use crate::helpers::{spawn_on, TestApp};

fn household(id: &str, category: &str) -> Value {
    json!({"kind": "household_registered",
        "body": {"household_id": id, "commune_code": "HN", "hamlet": "Thôn 5", "category": category,
                 "members": 3, "review_year": 2026},
        "private": {"head_name": "Vi Văn Sáng", "cccd": "001085000777", "address": "Thôn 5"}})
}

fn cash(amount: &str, donor: Value) -> Value {
    json!({"donor": donor, "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-02"})
}

fn distribution(id: &str, household: &str, support: &str, cash: &str) -> Value {
    json!({"distribution_id": id, "household_id": household, "support_type": support,
           "cash_vnd": cash, "decision_ref": "QĐ 3"})
}

async fn findings(app: &TestApp, token: &str, query: &str) -> Value {
    let a = app
        .get_as(&format!("/funds/HN-VNN/audit/findings{query}"), token)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

fn kinds(f: &Value) -> Vec<String> {
    let mut k: Vec<String> = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect();
    k.sort();
    k
}

fn seqs_of(f: &Value, kind: &str) -> Vec<u64> {
    f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == kind)
        .map(|x| {
            x["seqs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_u64().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

async fn a_clean_fund_has_no_findings(app: TestApp) {
    let clerk = app.with_fund().await;
    let approver = app.token("approver", "HN").await;
    let inspector = app.token("inspector", "HN").await;
    let registrar = app.token("clerk", "HN").await;
    app.record_batch("HN-VNN", &registrar, vec![household("h1", "poor")])
        .await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        cash(
            "80000000",
            json!({"display": "Công ty Minh Long", "kind": "organization"}),
        ),
    )
    .await;
    app.record(
        "HN-VNN",
        &clerk,
        "distribution",
        distribution("nha", "h1", "house_new", "50000000"),
    )
    .await;
    app.record(
        "HN-VNN",
        &approver,
        "distribution_approved",
        json!({"distribution_id": "nha"}),
    )
    .await;
    app.record(
        "HN-VNN",
        &clerk,
        "distribution_acknowledged",
        json!({"distribution_id": "nha", "method": "signature", "acknowledged_on": "2026-11-20"}),
    )
    .await;
    let f = findings(&app, &inspector, "?ack_days=0&pending_days=0").await;
    assert_eq!(f["findings"], json!([]), "{f}");
    assert_eq!(f["size"], 6);

    // Who may ask, and how.
    app.get("/funds/HN-VNN/audit/findings").await.problem(401);
    app.get_as("/funds/HN-VNN/audit/findings", &clerk)
        .await
        .problem(403);
    app.committee("HP", None).await;
    let other = app.token("inspector", "HP").await;
    app.get_as("/funds/HN-VNN/audit/findings", &other)
        .await
        .problem(403);
    for bad in [
        "ack_days=-1",
        "pending_days=x",
        "large_vnd=1.5",
        "ack_days=99999",
        "colour=red",
    ] {
        app.get_as(&format!("/funds/HN-VNN/audit/findings?{bad}"), &inspector)
            .await
            .problem(400);
    }
}

async fn each_finding_is_raised_by_what_it_names(app: TestApp) {
    // Written under a lenient policy (any class, no interval between
    // house supports) and audited under today's default one.
    let db = app.stop().await;
    let mut lenient = db.settings();
    lenient.policy.eligible.clear();
    lenient.policy.house_support_years_min = 0;
    let app = spawn_on(db, lenient).await;
    let clerk = app.with_fund().await;
    let inspector = app.token("inspector", "HN").await;
    const F: &str = "HN-VNN";
    let registrar = app.token("clerk", "HN").await;
    app.record_batch(
        F,
        &registrar,
        vec![
            household("h-moi", "newly_escaped"),
            household("h-ngheo", "poor"),
            household("h-2", "poor"),
        ],
    )
    .await;
    let big = app
        .record(
            F,
            &clerk,
            "donation_cash",
            cash("60000000", json!({"kind": "anonymous"})),
        )
        .await;
    let small = app
        .record(
            F,
            &clerk,
            "donation_cash",
            cash(
                "9000000",
                json!({"display": "Lý Thị Mai", "kind": "individual"}),
            ),
        )
        .await;
    let grant = app
        .record(
            F,
            &clerk,
            "distribution",
            distribution("tro-cap", "h-moi", "cash_grant", "1000000"),
        )
        .await;
    let repair1 = app
        .record(
            F,
            &clerk,
            "distribution",
            distribution("sua-1", "h-ngheo", "house_repair", "10000000"),
        )
        .await;
    let repair2 = app
        .record(
            F,
            &clerk,
            "distribution",
            distribution("sua-2", "h-ngheo", "house_repair", "10000000"),
        )
        .await;
    let pending = app
        .record(
            F,
            &clerk,
            "distribution",
            distribution("nha-2", "h-2", "house_new", "25000000"),
        )
        .await;
    let reversal = app
        .record(
            F,
            &clerk,
            "reversal",
            json!({"reverses_seq": small["seq"], "reason": "Ghi nhầm"}),
        )
        .await;
    app.record(F, &clerk, "donation_in_kind", json!({"donor": {"display": "HTX Tân Tiến", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "100", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "2000000"}],
        "total_value_vnd": "2000000", "received_on": "2026-11-02"})).await;
    let spoiled = app
        .record(
            F,
            &clerk,
            "stock_adjusted",
            json!({"item": "GAO", "quantity_delta": "-20",
        "reason": "spoiled", "decision_ref": "BB 2"}),
        )
        .await;
    // Past the clerk's threshold for the day, the reversal and the
    // write-off wait for a second person, who approves them.
    let approver = app.token("approver", "HN").await;
    assert_eq!(app.approve_listed(F, &approver, &["outflows"]).await, 2);
    // The second repair to one household within 30 days waits too.
    app.record(
        F,
        &approver,
        "distribution_approved",
        json!({"distribution_id": "sua-2"}),
    )
    .await;
    let seq = |v: &Value| v["seq"].as_u64().unwrap();

    // Under a lenient policy, with the default days, only what does not
    // depend on time or policy is found.
    let relaxed = findings(&app, &inspector, "").await;
    assert_eq!(
        kinds(&relaxed),
        [
            "large_anonymous_gift",
            "reversals_by_actor",
            "stock_written_off"
        ]
    );
    let db = app.stop().await;
    let settings = db.settings();
    let app = spawn_on(db, settings).await;

    let f = findings(&app, &inspector, "?ack_days=0&pending_days=0").await;
    assert_eq!(
        kinds(&f),
        [
            "house_support_too_recent",
            "ineligible_household",
            "large_anonymous_gift",
            "not_acknowledged",
            "pending_too_long",
            "reversals_by_actor",
            "stock_written_off"
        ],
        "{f:#}"
    );
    assert_eq!(seqs_of(&f, "ineligible_household"), vec![seq(&grant)]);
    assert_eq!(
        seqs_of(&f, "house_support_too_recent"),
        vec![seq(&repair1), seq(&repair2)]
    );
    assert_eq!(seqs_of(&f, "large_anonymous_gift"), vec![seq(&big)]);
    assert_eq!(seqs_of(&f, "pending_too_long"), vec![seq(&pending)]);
    assert_eq!(
        seqs_of(&f, "not_acknowledged"),
        vec![seq(&grant), seq(&repair1), seq(&repair2)]
    );
    assert_eq!(seqs_of(&f, "reversals_by_actor"), vec![seq(&reversal)]);
    assert_eq!(seqs_of(&f, "stock_written_off"), vec![seq(&spoiled)]);
    let severity = |kind: &str| {
        f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == kind)
            .unwrap()["severity"]
            .clone()
    };
    assert_eq!(severity("ineligible_household"), "high");
    assert!(
        f["findings"].to_string().contains("9000000 đồng of cash"),
        "{f}"
    );
    assert_eq!(f["by_severity"]["high"], 1);
    // A larger threshold and more days leave those findings out.
    let patient = findings(
        &app,
        &inspector,
        "?ack_days=30&pending_days=14&large_vnd=100000000",
    )
    .await;
    assert!(!kinds(&patient).iter().any(|k| k == "large_anonymous_gift"
        || k == "pending_too_long"
        || k == "not_acknowledged"));
}

crate::both!(
    a_clean_fund_has_no_findings,
    each_finding_is_raised_by_what_it_names
);
