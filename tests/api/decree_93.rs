//! Campaigns under Decree 93/2021 (SPEC §11): receiving lasts at most
//! `policy.campaign_max_days` (90) unless the campaign says why; support is
//! due `policy.distribution_deadline_days` (20) after receiving closes; the
//! committee that launched a campaign is the fund's or one above it.

use serde_json::{json, Value};
use time::Duration;

use crate::helpers::TestApp;

const F: &str = "PX-VNN";

/// Today in Vietnam, moved by `days`, as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date();
    let d = today + Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn campaign(id: &str, from: &str, to: &str) -> Value {
    json!({"campaign_id": id, "name": "Cứu trợ đồng bào bị thiệt hại do bão", "kind": "disaster_relief",
           "starts_on": from, "ends_on": to})
}

/// Committees HN above PX and QO, fund PX-VNN; a clerk of PX.
async fn setup(app: &TestApp) -> String {
    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    app.committee("QO", Some("HN")).await;
    app.fund(F, "PX").await;
    app.token("clerk", "PX").await
}

async fn a_window_past_ninety_days_needs_a_reason_and_the_launcher_is_above(app: TestApp) {
    let clerk = setup(&app).await;
    let size = app.size(F).await;
    let long = campaign("bao-lu", &day(-30), &day(91));
    let mut reasoned = long.clone();
    reasoned["window_reason"] = json!("Khắc phục hậu quả bão lũ kéo dài qua Tết");
    let with = |body: &Value, field: &str, value: Value| {
        let mut b = body.clone();
        b[field] = value;
        b
    };
    let short = campaign("thang-cao-diem", &day(-10), &day(20));
    for (body, status, says) in [
        // 30 days back through 91 ahead is 122 days.
        (long.clone(), 422, "campaign_window_too_long"),
        (
            with(&long, "window_reason", json!("")),
            422,
            "window_reason",
        ),
        (
            with(&long, "window_reason", json!(null)),
            422,
            "campaign_window_too_long",
        ),
        (with(&long, "window_reason", json!(7)), 422, "window_reason"),
        (
            with(&long, "window_reason", json!("x".repeat(5000))),
            422,
            "window_reason",
        ),
        (
            with(
                &long,
                "window_reason",
                json!("Hộ ông Nguyễn Văn A, CCCD 001086012345"),
            ),
            422,
            "window_reason",
        ),
        (
            with(&short, "launched_by", json!("QO")),
            422,
            "launched_by_not_above",
        ),
        (
            with(&short, "launched_by", json!("ZZ")),
            422,
            "launched_by_not_above",
        ),
        (with(&short, "launched_by", json!(12)), 422, "launched_by"),
        (
            with(&short, "launched_by", json!("P X")),
            422,
            "launched_by",
        ),
        (with(&short, "ends_on", json!(day(-11))), 422, "ends_on"),
    ] {
        let a = app.entry(F, &clerk, "campaign_opened", body.clone()).await;
        assert_eq!(a.status, status, "{body}: {}", a.text);
        assert!(a.text.contains(says), "{body}: {}", a.text);
        assert_eq!(app.size(F).await, size, "nothing recorded: {body}");
    }

    // With its reason, launched by the province: recorded as given.
    let a = app
        .entry(
            F,
            &clerk,
            "campaign_opened",
            with(&reasoned, "launched_by", json!("HN")),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let canonical: Value = serde_json::from_str(a.body["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(canonical["body"]["launched_by"], "HN");
    assert_eq!(
        canonical["body"]["window_reason"],
        "Khắc phục hậu quả bão lũ kéo dài qua Tết"
    );
    // 90 days exactly, counting both ends, needs no reason; left out, the
    // launcher is the fund's committee.
    let a = app
        .entry(
            F,
            &clerk,
            "campaign_opened",
            campaign("tet", &day(0), &day(89)),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let canonical: Value = serde_json::from_str(a.body["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(canonical["body"]["launched_by"], "PX");
    let campaigns = app.get(&format!("/funds/{F}/campaigns")).await.body;
    let by_id = |id: &str| {
        campaigns["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["campaign_id"] == id)
            .unwrap()
            .clone()
    };
    let storm = by_id("bao-lu");
    assert_eq!(storm["launched_by"], "HN");
    assert_eq!(storm["phase"], "open");
    assert_eq!(storm["receiving_ends"], json!(day(91)));
    assert_eq!(storm["support_deadline"], json!(day(111)));
    assert_eq!(by_id("tet")["launched_by"], "PX");
}

/// A campaign whose receiving ended a month ago shows as ended though no
/// entry closed it; support given under it now, and the money it still
/// holds, are findings for the inspector.
async fn support_past_the_deadline_is_found_and_ended_campaigns_show_as_ended(app: TestApp) {
    let clerk = setup(&app).await;
    let registrar = app.token("clerk", "PX").await;
    let inspector = app.token("inspector", "PX").await;
    let a = app
        .entry(
            F,
            &clerk,
            "campaign_opened",
            campaign("bao-cu", &day(-60), &day(-30)),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    for amount in ["3000000", "2000000"] {
        let g = app
            .entry(
                F,
                &clerk,
                "donation_cash",
                json!({"donor": {"display": "Công ty Xi măng Bỉm Sơn", "kind": "organization"},
                       "amount_vnd": amount, "channel": "cash", "received_on": day(-40),
                       "campaign_id": "bao-cu"}),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.text);
    }
    let h = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&registrar),
            &json!({"kind": "household_registered",
                    "body": {"household_id": "ho-1", "commune_code": "PX", "hamlet": "Thôn 2",
                             "category": "poor", "members": 4, "review_year": 2026},
                    "private": {"head_name": "Lò Văn Páo", "cccd": "001085000778", "address": "Thôn 2"}}),
        )
        .await;
    assert_eq!(h.status, 201, "{}", h.text);
    let d = app
        .entry(
            F,
            &clerk,
            "distribution",
            json!({"distribution_id": "d-1", "household_id": "ho-1", "support_type": "relief",
                   "cash_vnd": "1000000", "decision_ref": "QĐ 12/QĐ-MTTQ", "campaign_id": "bao-cu"}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.text);
    let dist_seq = d.body["seq"].as_u64().unwrap();
    app.signed(F).await;

    let c = &app.get(&format!("/funds/{F}/campaigns")).await.body["campaigns"][0];
    assert_eq!(c["status"], "open", "no entry closed it");
    assert_eq!(c["phase"], "ended", "{c}");
    assert_eq!(c["support_deadline"], json!(day(-10)));

    let found = app
        .get_as(&format!("/funds/{F}/audit/findings"), &inspector)
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    let list = found.body["findings"].as_array().unwrap();
    let of = |kind: &str| list.iter().find(|f| f["kind"] == kind).cloned();
    let late = of("support_after_deadline").expect("support after the deadline");
    assert_eq!(late["seqs"], json!([dist_seq]));
    assert_eq!(late["severity"], "medium");
    assert!(
        late["message"].as_str().unwrap().contains(&day(-10)),
        "{late}"
    );
    let overdue = of("campaign_support_overdue").expect("money not given by the deadline");
    assert!(
        overdue["message"].as_str().unwrap().contains("5000000"),
        "{overdue}"
    );
    assert!(of("campaign_window_too_long").is_none());
    assert!(of("campaign_window_extended").is_none());
}

crate::both!(
    a_window_past_ninety_days_needs_a_reason_and_the_launcher_is_above,
    support_past_the_deadline_is_found_and_ended_campaigns_show_as_ended
);
