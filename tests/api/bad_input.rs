//! Bad input gets a clear problem answer and changes nothing.

use serde_json::{json, Value};

use crate::helpers::{gift, Answer, TestApp};

fn with(path: &[&str], value: Value) -> Value {
    let mut g = gift(json!("1500000"));
    let mut at = &mut g["body"];
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
    g
}

async fn bad_gifts_are_refused_and_nothing_is_recorded(app: TestApp) {
    let clerk = app.with_fund().await;
    let before = app.size("HN-VNN").await;
    let long = "x".repeat(201);
    // (body, status, field named in errors)
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, ""),
        ("".into(), 400, ""),
        ("[1,2]".into(), 422, ""),
        (json!({"kind": "donation_cash"}).to_string(), 422, ""),
        (
            json!({"kind": "donation_cash", "body": {}, "extra": 1}).to_string(),
            422,
            "extra",
        ),
        (json!({"kind": "gift", "body": {}}).to_string(), 422, "kind"),
        (
            json!({"kind": "fund_opened", "body": {}}).to_string(),
            422,
            "kind",
        ),
        (json!({"kind": 5, "body": {}}).to_string(), 422, "kind"),
        (
            with(&["amount_vnd"], json!("-1500000")).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(-1500000)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!("0")).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!("1500000.5")).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(1500000.0)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!("1.5e6")).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(1.5e6)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!("1000000000000001")).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(u64::MAX)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(true)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["amount_vnd"], json!(null)).to_string(),
            422,
            "body.amount_vnd",
        ),
        (
            with(&["channel"], json!("cheque")).to_string(),
            422,
            "body.channel",
        ),
        (
            with(&["received_on"], json!("2099-01-01")).to_string(),
            422,
            "body.received_on",
        ),
        (
            with(&["received_on"], json!("2026-02-30")).to_string(),
            422,
            "body.received_on",
        ),
        (
            with(&["received_on"], json!(20261101)).to_string(),
            422,
            "body.received_on",
        ),
        (
            with(&["donor", "display"], json!(long)).to_string(),
            422,
            "body.donor.display",
        ),
        (
            with(&["donor", "kind"], json!("robot")).to_string(),
            422,
            "body.donor.kind",
        ),
        (
            with(&["donor", "phone"], json!("0912345678")).to_string(),
            422,
            "body.donor.phone",
        ),
        (
            with(&["note"], json!("n".repeat(2001))).to_string(),
            422,
            "body.note",
        ),
        (
            with(&["bank_ref"], json!("CK ung ho 0123456789 NGUYEN VAN A")).to_string(),
            422,
            "body.bank_ref",
        ),
        (
            with(&["bank_ref"], json!("0011004123456")).to_string(),
            422,
            "body.bank_ref",
        ),
        (
            with(&["bank_ref"], json!("FT_1")).to_string(),
            422,
            "body.bank_ref",
        ),
        (
            with(&["account_no"], json!("0123456789")).to_string(),
            422,
            "body.account_no",
        ),
        (
            with(&["receipt_no"], json!("HN-VNN-2026-000001")).to_string(),
            422,
            "body.receipt_no",
        ),
        (
            with(&["campaign_id"], json!("tet-2027")).to_string(),
            422,
            "body.campaign_id",
        ),
        (
            with(&["campaign_id"], json!("Not A Slug")).to_string(),
            422,
            "body.campaign_id",
        ),
    ];
    for (body, status, field) in &cases {
        let a = app
            .post_raw("/funds/HN-VNN/entries", Some(&clerk), None, body.clone())
            .await;
        a.problem(*status);
        if !field.is_empty() {
            assert!(a.fields().iter().any(|f| f == field), "{body} → {}", a.text);
        }
    }
    // An entry of more than 1 MiB is refused before it is read.
    let huge = with(&["note"], json!("x".repeat(1024 * 1024 + 10))).to_string();
    app.post_raw("/funds/HN-VNN/entries", Some(&clerk), None, huge)
        .await
        .problem(413);

    assert_eq!(app.size("HN-VNN").await, before);
    assert_eq!(app.get("/funds/HN-VNN").await.body["balance_vnd"], "0");
    // And a good gift still goes through, numbered 000001: nothing was consumed.
    let ok = app
        .post(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            &gift(json!("1500000")),
        )
        .await;
    assert_eq!(
        ok.body["receipt"]["receipt_no"], "HN-VNN-2026-000001",
        "{}",
        ok.text
    );
    app.stop().await;
}

/// Posts `entries` as one batch.
async fn batch(app: &TestApp, clerk: &str, entries: Value) -> Answer {
    app.post(
        "/funds/HN-VNN/entries/batch",
        Some(clerk),
        &json!({ "entries": entries }),
    )
    .await
}

async fn a_batch_is_all_or_nothing_and_bounded(app: TestApp) {
    let clerk = app.with_fund().await;
    let mut entries: Vec<Value> = (0..5).map(|_| gift(json!("1000"))).collect();
    entries[3] = with(&["amount_vnd"], json!("-1"));
    let a = batch(&app, &clerk, json!(entries)).await;
    a.problem(422);
    assert_eq!(a.fields(), ["entries[3].body.amount_vnd"]);
    // A batch of 100 is read in two halves (50 and 50) on two threads:
    // the refusal answered is the batch's first, named by its own index,
    // whichever half it falls in.
    let mut entries: Vec<Value> = (0..100).map(|_| gift(json!("1000"))).collect();
    entries[77] = with(&["amount_vnd"], json!("1.5"));
    for (bad, named) in [(None, 77), (Some(49), 49), (Some(50), 50)] {
        let mut entries = entries.clone();
        if let Some(i) = bad {
            entries[i] = with(&["received_on"], json!("2026-02-30"));
        }
        let a = batch(&app, &clerk, json!(entries)).await;
        a.problem(422);
        let field = a.fields()[0].clone();
        assert!(
            field.starts_with(&format!("entries[{named}].body.")),
            "{bad:?}: {}",
            a.text
        );
    }
    let too_many: Vec<Value> = (0..1001).map(|_| gift(json!("1000"))).collect();
    let a = batch(&app, &clerk, json!(too_many)).await;
    a.problem(422);
    batch(&app, &clerk, json!([])).await.problem(422);
    batch(&app, &clerk, json!("x")).await.problem(422);
    assert_eq!(app.size("HN-VNN").await, 1);

    let full: Vec<Value> = (0..1000).map(|_| gift(json!("1000"))).collect();
    let a = batch(&app, &clerk, json!(full)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(
        a.body["entries"][999]["receipt"]["receipt_no"],
        "HN-VNN-2026-001000"
    );
    assert_eq!(app.size("HN-VNN").await, 1001);
    assert_eq!(
        app.get("/funds/HN-VNN").await.body["balance_vnd"],
        "1000000"
    );
    app.stop().await;
}

async fn bad_admin_requests_are_refused(app: TestApp) {
    let admin = app.admin.clone();
    app.post(
        "/committees",
        Some(&admin),
        &json!({"code": "hn", "name": "x"}),
    )
    .await
    .problem(422);
    app.post(
        "/committees",
        Some(&admin),
        &json!({"code": "HN", "name": ""}),
    )
    .await
    .problem(422);
    app.post(
        "/committees",
        Some(&admin),
        &json!({"code": "HN", "name": "x", "parent_code": "NONE"}),
    )
    .await
    .problem(422);
    app.committee("HN", None).await;
    app.post(
        "/committees",
        Some(&admin),
        &json!({"code": "HN", "name": "again"}),
    )
    .await
    .problem(409);
    app.post(
        "/funds",
        Some(&admin),
        &json!({"code": "F", "committee_code": "HN", "kind": "savings"}),
    )
    .await
    .problem(422);
    app.post(
        "/funds",
        Some(&admin),
        &json!({"code": "F", "committee_code": "XX", "kind": "relief"}),
    )
    .await
    .problem(422);
    app.fund("HN-CT", "HN").await;
    app.post(
        "/funds",
        Some(&admin),
        &json!({"code": "HN-CT", "committee_code": "HN", "kind": "relief"}),
    )
    .await
    .problem(409);
    app.post(
        "/tokens",
        Some(&admin),
        &json!({"name": "x", "role": "king", "committee_code": "HN"}),
    )
    .await
    .problem(422);
    app.post(
        "/tokens",
        Some(&admin),
        &json!({"name": "x", "role": "clerk", "committee_code": "ZZ"}),
    )
    .await
    .problem(422);
    assert_eq!(
        app.get("/committees").await.body["committees"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get("/funds").await.body["funds"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.size("HN-CT").await, 1);
    app.stop().await;
}

/// A page asked from beyond the end, or with a cursor no page gave, is
/// the client's mistake: 400, never a 500 or a silent empty page.
async fn out_of_range_cursors_are_refused(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        gift(json!("1000"))["body"].clone(),
    )
    .await;
    for path in [
        "/funds/HN-VNN/entries?from=3",
        "/funds/HN-VNN/entries?from=9223372036854775807",
        "/funds/HN-VNN/entries?from=18446744073709551616",
        "/funds/HN-VNN/donations?cursor=9223372036854775808",
        "/funds/HN-VNN/donations?cursor=18446744073709551615",
        "/funds/HN-VNN/donations?cursor=-1",
        "/funds/HN-VNN/outflows?status=reversed",
        "/audit/admin-log?after=x",
    ] {
        let a = app.get_as(path, &app.admin).await;
        assert_eq!(a.status, 400, "{path}: {}", a.text);
    }
    // The end itself is a page, empty.
    let a = app.get("/funds/HN-VNN/entries?from=2").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["entries"], json!([]));
}

crate::both!(
    out_of_range_cursors_are_refused,
    bad_gifts_are_refused_and_nothing_is_recorded,
    a_batch_is_all_or_nothing_and_bounded,
    bad_admin_requests_are_refused
);
