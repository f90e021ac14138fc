//! Closing a reporting period: the server seals it with its statement's
//! figures and hash, a closed period's statement never changes, and a
//! period is closed once.

use serde_json::json;

use crate::helpers::{gift, TestApp};

async fn a_closed_period_is_sealed_with_its_statement(app: TestApp) {
    let clerk = app.with_fund().await;
    const F: &str = "HN-VNN";
    let g = app
        .record(
            F,
            &clerk,
            "donation_cash",
            gift(json!("2500000"))["body"].clone(),
        )
        .await;
    let october = app.get("/funds/HN-VNN/statement?period=2026-10").await.body;
    assert_eq!(october["balanced"], true);

    // Figures a client sends must be the statement's; nothing is recorded
    // otherwise.
    let size = app.size(F).await;
    let a = app
        .entry(
            F,
            &clerk,
            "period_closed",
            json!({"period": "2026-10", "closing_balance_vnd": "999"}),
        )
        .await;
    a.problem(422);
    assert_eq!(a.body["rule"], "statement_mismatch", "{}", a.text);
    assert_eq!(a.body["errors"][0]["field"], "body.closing_balance_vnd");
    let a = app
        .entry(
            F,
            &clerk,
            "period_closed",
            json!({"period": crate::helpers::today_vn()[..7]}),
        )
        .await;
    a.problem(422);
    assert!(a.text.contains("has not ended yet"), "{}", a.text);
    app.entry(F, &clerk, "period_closed", json!({"period": "2026-13"}))
        .await
        .problem(422);
    assert_eq!(app.size(F).await, size);

    // The server fills the figures; the ledger carries the statement's hash.
    let closed = app
        .record(
            F,
            &clerk,
            "period_closed",
            json!({"period": "2026-10", "note": "Khóa sổ tháng 10"}),
        )
        .await;
    let canonical: serde_json::Value =
        serde_json::from_str(closed["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(
        canonical["body"]["statement_sha256"],
        october["statement_sha256"]
    );
    assert_eq!(
        canonical["body"]["closing_balance_vnd"],
        october["closing"]["balance_vnd"]
    );
    assert_eq!(app.fund_view(F).await["periods_closed"], json!(["2026-10"]));
    let again = app
        .entry(F, &clerk, "period_closed", json!({"period": "2026-10"}))
        .await;
    assert_eq!(again.body["rule"], "period_closed", "{}", again.text);

    // Later corrections leave the closed period's statement as it was.
    app.record(
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": g["seq"], "reason": "Ghi nhầm"}),
    )
    .await;
    let after = app.get("/funds/HN-VNN/statement?period=2026-10").await.body;
    assert_eq!(after, october);
    // In a batch too, each closing is filled.
    let batch = app
        .post(
            "/funds/HN-VNN/entries/batch",
            Some(&clerk),
            &json!({"entries": [
        {"kind": "period_closed", "body": {"period": "2026-09"}},
        {"kind": "period_closed", "body": {"period": "2026-H1"}}]}),
        )
        .await;
    assert_eq!(batch.status, 201, "{}", batch.text);
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
}

crate::both!(a_closed_period_is_sealed_with_its_statement);
