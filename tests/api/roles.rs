//! Who may write where (SPEC §5).

use serde_json::json;

use crate::helpers::{gift, TestApp};

async fn only_the_committee_s_clerk_may_record_gifts(app: TestApp) {
    let clerk = app.with_fund().await;
    app.committee("HN-PX", Some("HN")).await;
    app.committee("HP", None).await;
    let other_clerk = app.token("clerk", "HP").await;
    let commune_clerk = app.token("clerk", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    let approver = app.token("approver", "HN").await;
    let g = gift(json!("500000"));

    app.post("/funds/HN-VNN/entries", None, &g)
        .await
        .problem(401);
    app.post("/funds/HN-VNN/entries", Some("svt_garbage"), &g)
        .await
        .problem(401);
    app.post("/funds/HN-VNN/entries", Some("not even a token"), &g)
        .await
        .problem(401);
    let a = app
        .post("/funds/HN-VNN/entries", Some(&other_clerk), &g)
        .await;
    a.problem(403);
    assert!(a.body["detail"].as_str().unwrap().contains("HN"));
    app.post("/funds/HN-VNN/entries", Some(&commune_clerk), &g)
        .await
        .problem(403);
    app.post("/funds/HN-VNN/entries", Some(&inspector), &g)
        .await
        .problem(403);
    app.post("/funds/HN-VNN/entries", Some(&approver), &g)
        .await
        .problem(403);
    app.post(
        "/funds/HN-VNN/entries/batch",
        Some(&inspector),
        &json!({"entries": [g.clone()]}),
    )
    .await
    .problem(403);
    // Clerks administer nothing.
    app.post(
        "/committees",
        Some(&clerk),
        &json!({"code": "X", "name": "x"}),
    )
    .await
    .problem(403);
    app.post(
        "/funds",
        Some(&clerk),
        &json!({"code": "X", "committee_code": "HN", "kind": "relief"}),
    )
    .await
    .problem(403);
    app.post(
        "/tokens",
        Some(&clerk),
        &json!({"name": "x", "role": "admin", "committee_code": "HN"}),
    )
    .await
    .problem(403);
    assert_eq!(app.size("HN-VNN").await, 1);

    assert_eq!(
        app.post("/funds/HN-VNN/entries", Some(&clerk), &g)
            .await
            .status,
        201
    );
    // The entry names who recorded it, by the person behind the token
    // (SPEC §9), never by secret.
    let e = app.get("/funds/HN-VNN/entries/1").await;
    let canonical = e.body["canonical"].as_str().unwrap();
    assert!(canonical.contains("\"actor\":\"pe-"));
    assert!(!canonical.contains(&clerk));
    app.stop().await;
}

async fn a_province_admin_manages_only_its_subtree(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HP", None).await;
    let hn_admin = app.token("admin", "HN").await;
    let a = app
        .post(
            "/committees",
            Some(&hn_admin),
            &json!({"code": "HN-PX", "name": "Phúc Xá", "parent_code": "HN"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    app.post(
        "/committees",
        Some(&hn_admin),
        &json!({"code": "HP-X", "name": "x", "parent_code": "HP"}),
    )
    .await
    .problem(403);
    app.post(
        "/committees",
        Some(&hn_admin),
        &json!({"code": "ROOT2", "name": "x"}),
    )
    .await
    .problem(403);
    app.post(
        "/funds",
        Some(&hn_admin),
        &json!({"code": "HP-VNN", "committee_code": "HP", "kind": "relief"}),
    )
    .await
    .problem(403);
    let f = app
        .post(
            "/funds",
            Some(&hn_admin),
            &json!({"code": "HN-PX-VNN", "committee_code": "HN-PX", "kind": "for_the_poor"}),
        )
        .await;
    assert_eq!(f.status, 201, "{}", f.text);
    app.post(
        "/tokens",
        Some(&hn_admin),
        &json!({"name": "x", "role": "clerk", "committee_code": "HP"}),
    )
    .await
    .problem(403);
    app.stop().await;
}

/// An approver may not close periods: a batch of closings from its token
/// is refused at once, before any statement is built for it, and nothing
/// is recorded; an inspector's token may write nothing at all.
async fn a_second_person_s_token_may_not_close_periods(app: TestApp) {
    let _clerk = app.with_fund().await;
    let approver = app.token("approver", "HN").await;
    let inspector = app.token("inspector", "HN").await;
    let size = app.size("HN-VNN").await;
    let closing = json!({"kind": "period_closed", "body": {"period": "2026-10"}});
    for (token, entries) in [
        (&approver, vec![closing.clone(); 300]),
        (
            &approver,
            vec![
                json!({"kind": "distribution_approved", "body": {"distribution_id": "d-1"}}),
                closing.clone(),
            ],
        ),
        (&inspector, vec![closing.clone()]),
    ] {
        let a = app
            .post(
                "/funds/HN-VNN/entries/batch",
                Some(token),
                &json!({ "entries": entries }),
            )
            .await;
        a.problem(403);
    }
    let a = app
        .post("/funds/HN-VNN/entries", Some(&approver), &closing)
        .await;
    a.problem(403);
    // Refused for who sends it, before its figures are compared with the
    // period's statement (which would answer 422).
    let wrong =
        json!({"kind": "period_closed", "body": {"period": "2026-10", "closing_balance_vnd": "1"}});
    app.post("/funds/HN-VNN/entries", Some(&approver), &wrong)
        .await
        .problem(403);
    assert_eq!(app.size("HN-VNN").await, size, "nothing was recorded");
}

/// A departed clerk's token is withdrawn by an admin of its committee's
/// subtree: refused at once on this process, and within seconds on
/// another process sharing the database (which had it in memory), while
/// it stays listed with when it was revoked. Nothing it sends afterwards
/// is recorded.
async fn a_revoked_token_is_refused_everywhere(app: TestApp) {
    let clerk = app.with_fund().await;
    app.committee("HP", None).await;
    let hn_admin = app.token("admin", "HN").await;
    let hp_admin = app.token("admin", "HP").await;
    let listed = app.get_as("/tokens", &hn_admin).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let clerk_id = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "clerk")
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .expect("the clerk's token is listed");
    assert!(
        !listed.text.contains("svt_"),
        "no secret is listed: {}",
        listed.text
    );
    assert!(
        listed.body["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["committee_code"] == "HN"),
        "an HN admin sees HN's tokens only: {}",
        listed.text
    );
    app.get_as("/tokens", &clerk).await.problem(403);

    // A second process that has the clerk in memory.
    let other = crate::helpers::spawn_process(&app.db.data_dir(), &app.db.database_url()).await;
    let client = reqwest::Client::new();
    let post_gift = |base: String, amount: &'static str| {
        let client = client.clone();
        let clerk = clerk.clone();
        async move {
            client
                .post(format!("{base}/funds/HN-VNN/entries"))
                .bearer_auth(clerk)
                .json(&json!({"kind": "donation_cash", "body": {"donor": {"display": "Nguyễn Văn A", "kind": "individual"},
                    "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-01"}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post_gift(other.base.clone(), "100000").await, 201);

    let revoke = |token: String| {
        let client = client.clone();
        let url = format!("{}/tokens/{clerk_id}", app.base);
        async move {
            client
                .delete(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(revoke(clerk.clone()).await, 403, "a clerk does not revoke");
    assert_eq!(
        revoke(hp_admin.clone()).await,
        403,
        "nor another province's admin"
    );
    let unknown = client
        .delete(format!("{}/tokens/tk-0000000000000000", app.base))
        .bearer_auth(&hn_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(
        post_gift(app.base.clone(), "200000").await,
        201,
        "still in use"
    );
    let size = app.size("HN-VNN").await;

    assert_eq!(revoke(hn_admin.clone()).await, 204);
    assert_eq!(
        revoke(hn_admin.clone()).await,
        204,
        "revoking again changes nothing"
    );
    assert_eq!(post_gift(app.base.clone(), "300000").await, 401);
    app.get_as("/funds/HN-VNN/audit/findings", &clerk)
        .await
        .problem(401);
    // The other process reads the holder again within seconds.
    // It is asked with an entry that records nothing either way (422 while
    // the token is taken, 401 once refused).
    let probe = || {
        let client = client.clone();
        let url = format!("{}/funds/HN-VNN/entries", other.base);
        let clerk = clerk.clone();
        async move {
            client
                .post(url)
                .bearer_auth(clerk)
                .json(&json!({"kind": "donation_cash", "body": {}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut refused = false;
    for _ in 0..60 {
        let status = probe().await;
        assert!(status == 422 || status == 401, "{status}");
        if status == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the other process refused the token within 6 s");
    assert_eq!(
        app.size("HN-VNN").await,
        size,
        "nothing was recorded after the revocation"
    );
    let listed = app.get_as("/tokens", &app.admin).await;
    let t = listed.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == clerk_id.as_str())
        .cloned()
        .unwrap();
    assert!(t["revoked_at"].is_string(), "{t}");
}

/// A token may carry its last day of use: a past or malformed day is
/// refused when the token is made, and after its last day it is refused
/// like a revoked one.
async fn a_token_is_refused_after_its_last_day(app: TestApp) {
    let _clerk = app.with_fund().await;
    let count = |v: &serde_json::Value| v["tokens"].as_array().map_or(0, |t| t.len());
    let before = count(&app.get_as("/tokens", &app.admin).await.body);
    for bad in [
        json!("2020-01-01"),
        json!("2026-13-01"),
        json!("mai"),
        json!(20270101),
    ] {
        let a = app
            .post("/tokens", Some(&app.admin), &json!({"name": "Chị Lan", "role": "clerk", "committee_code": "HN", "expires_on": bad}))
            .await;
        a.problem(422);
        assert!(a.text.contains("expires_on"), "{bad}: {}", a.text);
    }
    assert_eq!(count(&app.get_as("/tokens", &app.admin).await.body), before);

    let today = crate::helpers::today_vn();
    let made = app
        .post("/tokens", Some(&app.admin), &json!({"name": "Chị Lan", "role": "clerk", "committee_code": "HN", "expires_on": today}))
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["expires_on"], today.as_str());
    let token = made.body["token"].as_str().unwrap().to_owned();
    let id = made.body["id"].as_str().unwrap().to_owned();
    app.record(
        "HN-VNN",
        &token,
        "donation_cash",
        gift(json!("100000"))["body"].clone(),
    )
    .await;

    // Its last day passes.
    let store = app.db.store().await;
    store
        .execute_raw(&format!(
            "UPDATE tokens SET expires_on = '2020-01-01' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    let mut status = 0;
    for _ in 0..60 {
        let a = app
            .post(
                "/funds/HN-VNN/entries",
                Some(&token),
                &json!({"kind": "donation_cash", "body": {}}),
            )
            .await;
        status = a.status.as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "refused within 6 s of its last day passing");
}

crate::both!(
    a_token_is_refused_after_its_last_day,
    a_revoked_token_is_refused_everywhere,
    a_second_person_s_token_may_not_close_periods,
    only_the_committee_s_clerk_may_record_gifts,
    a_province_admin_manages_only_its_subtree
);
