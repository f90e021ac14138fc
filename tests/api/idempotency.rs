//! Retries record once (SPEC §2.5, §6).

use serde_json::json;

use crate::helpers::{gift, TestApp};

async fn a_retry_replays_the_first_answer_and_records_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    let body = gift(json!("2000000")).to_string();
    let first = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("gift-42"),
            body.clone(),
        )
        .await;
    assert_eq!(first.status, 201);
    assert!(first.headers.get("idempotency-replayed").is_none());
    let again = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("gift-42"),
            body.clone(),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotency-replayed"], "true");
    assert_eq!(again.body, first.body);
    assert_eq!(app.size("HN-VNN").await, 2);

    // Same key, another body: 409 naming the original entry.
    let other = gift(json!("3000000")).to_string();
    let c = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("gift-42"),
            other,
        )
        .await;
    c.problem(409);
    assert_eq!(c.body["original"]["seq"], 1);
    // Even when the other body is itself invalid, the key's answer is 409.
    let invalid = gift(json!("-1")).to_string();
    app.post_raw(
        "/funds/HN-VNN/entries",
        Some(&clerk),
        Some("gift-42"),
        invalid,
    )
    .await
    .problem(409);
    assert_eq!(app.size("HN-VNN").await, 2);

    // Bad keys.
    app.post_raw(
        "/funds/HN-VNN/entries",
        Some(&clerk),
        Some(&"k".repeat(129)),
        body.clone(),
    )
    .await
    .problem(400);
    app.post_raw(
        "/funds/HN-VNN/entries",
        Some(&clerk),
        Some("a key"),
        body.clone(),
    )
    .await
    .problem(400);

    // A failed validation is not stored: the key stays free.
    let bad = gift(json!("-5")).to_string();
    app.post_raw("/funds/HN-VNN/entries", Some(&clerk), Some("k2"), bad)
        .await
        .problem(422);
    assert_eq!(
        app.post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("k2"),
            body.clone()
        )
        .await
        .status,
        201
    );

    // Keys belong to who sent them: another clerk's same key is a new request.
    let clerk2 = app.token("clerk", "HN").await;
    let mine = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk2),
            Some("gift-42"),
            body,
        )
        .await;
    assert_eq!(mine.status, 201);
    assert!(mine.headers.get("idempotency-replayed").is_none());
    assert_eq!(app.size("HN-VNN").await, 4);
    app.stop().await;
}

async fn eight_concurrent_retries_record_once(app: TestApp) {
    let clerk = app.with_fund().await;
    let body = gift(json!("7000000")).to_string();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (c, url, t, b) = (
                app.client.clone(),
                format!("{}/funds/HN-VNN/entries", app.base),
                clerk.clone(),
                body.clone(),
            );
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .bearer_auth(t)
                    .header("idempotency-key", "same")
                    .header("content-type", "application/json")
                    .body(b)
                    .send()
                    .await
                    .unwrap();
                (
                    r.status().as_u16(),
                    r.json::<serde_json::Value>().await.unwrap(),
                )
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|(s, b)| *s == 201 && *b == answers[0].1));
    assert_eq!(app.size("HN-VNN").await, 2);

    // Admin writes are idempotent too; a replayed token answer withholds the secret.
    let t = json!({"name": "clerk 2", "role": "clerk", "committee_code": "HN"}).to_string();
    let a = app
        .post_raw("/tokens", Some(&app.admin), Some("t1"), t.clone())
        .await;
    let b = app
        .post_raw("/tokens", Some(&app.admin), Some("t1"), t)
        .await;
    assert!(a.body["token"].as_str().is_some());
    assert_eq!(b.headers["idempotency-replayed"], "true");
    assert_eq!(b.body["token"], serde_json::Value::Null);
    assert_eq!(b.body["id"], a.body["id"]);
    let f = json!({"code": "HN-CT", "committee_code": "HN", "kind": "relief"}).to_string();
    let f1 = app
        .post_raw("/funds", Some(&app.admin), Some("f1"), f.clone())
        .await;
    let f2 = app
        .post_raw("/funds", Some(&app.admin), Some("f1"), f)
        .await;
    assert_eq!((f1.status.as_u16(), f2.status.as_u16()), (201, 201));
    assert_eq!(f1.body, f2.body);
    app.stop().await;
}

/// A retried transfer moves the money once, in both funds; a retried
/// household registration keeps one private record.
async fn retried_transfers_and_registrations_record_once(app: TestApp) {
    let clerk = app.with_fund().await;
    app.fund("HN-CT", "HN").await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        gift(json!("9000000"))["body"].clone(),
    )
    .await;
    let transfer = json!({"kind": "transfer_out", "body": {"counterparty_fund": "HN-CT", "amount_vnd": "4000000",
        "decision_ref": "QĐ 1", "purpose": "Cứu trợ"}}).to_string();
    let first = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("chuyen-1"),
            transfer.clone(),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("chuyen-1"),
            transfer,
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotency-replayed"], "true");
    assert_eq!(again.body, first.body);
    assert_eq!(app.fund_view("HN-VNN").await["balance_vnd"], "5000000");
    assert_eq!(app.fund_view("HN-CT").await["balance_vnd"], "4000000");
    assert_eq!(app.size("HN-CT").await, 2);

    let register = json!({"kind": "household_registered",
        "body": {"household_id": "ho-1", "commune_code": "HN", "hamlet": "Thôn 2", "category": "poor", "members": 3, "review_year": 2026},
        "private": {"head_name": "Lò Văn Páo", "cccd": "011090000123", "address": "Bản Páo"}});
    for _ in 0..2 {
        let a = app
            .post_raw(
                "/funds/HN-VNN/entries",
                Some(&clerk),
                Some("ho-1"),
                register.to_string(),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let changed = json!({"kind": "household_registered", "body": register["body"],
        "private": {"head_name": "Lò Văn Páo", "cccd": "011090000124", "address": "Bản Páo"}});
    app.post_raw(
        "/funds/HN-VNN/entries",
        Some(&clerk),
        Some("ho-1"),
        changed.to_string(),
    )
    .await
    .problem(409);
    assert_eq!(app.size("HN-VNN").await, 4);
    let records = app.get_as("/households/ho-1", &clerk).await;
    assert_eq!(
        records.body["records"].as_array().unwrap().len(),
        1,
        "{}",
        records.text
    );
}

crate::both!(
    retried_transfers_and_registrations_record_once,
    a_retry_replays_the_first_answer_and_records_nothing,
    eight_concurrent_retries_record_once
);
