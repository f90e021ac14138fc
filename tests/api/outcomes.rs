//! Sponsorships and household reviews (SPEC §11): units commit to help
//! households for a year, distributions naming the sponsorship fulfil it,
//! an unfulfilled one is found at year end; reviews record each year's
//! class, and households leaving poverty are counted per commune and year
//! with small counts withheld, never named.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const F: &str = "PX-VNN";

fn this_year() -> i32 {
    crate::helpers::today_vn()[..4].parse().expect("a year")
}

/// Committee HN over PX and QO, fund PX-VNN; two clerks of PX (one
/// registers, the other gives: SPEC §9) and an inspector.
async fn setup(app: &TestApp) -> (String, String) {
    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    app.fund(F, "PX").await;
    (
        app.token("clerk", "PX").await,
        app.token("clerk", "PX").await,
    )
}

async fn household(app: &TestApp, clerk: &str, id: &str, commune: &str, category: &str, year: i32) {
    let a = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(clerk),
            &json!({"kind": "household_registered",
                "body": {"household_id": id, "commune_code": commune, "hamlet": "Thôn 1",
                         "category": category, "members": 4, "review_year": year},
                "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

fn sponsorship(id: &str, year: i32) -> Value {
    json!({"sponsorship_id": id, "sponsor": {"display": "Công ty Điện lực Hà Nội", "kind": "organization"},
           "year": year, "household_ids": ["ho-1", "ho-2"], "value_vnd": "10000000"})
}

/// Posts `kind` with `body`, which must be refused with `status`, naming
/// `says` (a rule or a field), and change nothing.
async fn refused(app: &TestApp, clerk: &str, kind: &str, body: Value, status: u16, says: &str) {
    let before = app.size(F).await;
    let a = app.entry(F, clerk, kind, body.clone()).await;
    a.problem(status);
    assert!(
        a.text.contains(says),
        "{kind} {body}: wanted {says}: {}",
        a.text
    );
    assert_eq!(app.size(F).await, before, "{kind} {body} recorded nothing");
}

async fn bad_sponsorships_and_reviews_are_refused_and_change_nothing(app: TestApp) {
    let (clerk, _) = setup(&app).await;
    let year = this_year();
    household(&app, &clerk, "ho-1", "PX", "poor", year - 1).await;
    household(&app, &clerk, "ho-2", "PX", "poor", year - 1).await;
    let with = |b: &Value, k: &str, v: Value| {
        let mut b = b.clone();
        b[k] = v;
        b
    };
    let good = sponsorship("sp-1", year);
    let mut counted = with(&good, "households", json!(5));
    counted.as_object_mut().unwrap().remove("household_ids");
    for (body, status, says) in [
        (
            with(&good, "household_ids", json!(["ho-1", "ho-9"])),
            422,
            "unknown_household",
        ),
        (
            with(&good, "household_ids", json!(["ho-1", "ho-1"])),
            422,
            "twice",
        ),
        (with(&good, "households", json!(2)), 422, "not both"),
        (
            with(&good, "household_ids", json!([])),
            422,
            "body.households",
        ),
        (
            with(&counted, "households", json!(0)),
            422,
            "body.households",
        ),
        (
            with(&counted, "households", json!(10_001)),
            422,
            "body.households",
        ),
        (
            with(&counted, "households", json!(-1)),
            422,
            "body.households",
        ),
        (
            with(&counted, "households", json!(1.5)),
            422,
            "body.households",
        ),
        (with(&good, "year", json!(year + 2)), 422, "body.year"),
        (with(&good, "year", json!("2026")), 422, "body.year"),
        (with(&good, "value_vnd", json!("-1")), 422, "body.value_vnd"),
        (
            with(&good, "value_vnd", json!("1.5")),
            422,
            "body.value_vnd",
        ),
        (
            with(&good, "value_vnd", json!("10000000000000001")),
            422,
            "body.value_vnd",
        ),
        (
            with(
                &good,
                "sponsor",
                json!({"display": "Ẩn danh", "kind": "anonymous"}),
            ),
            422,
            "name the sponsor",
        ),
        (
            with(
                &good,
                "sponsor",
                json!({"display": "Nguyễn Văn A 0912345678", "kind": "individual"}),
            ),
            422,
            "personal_data",
        ),
        (
            with(
                &good,
                "sponsor",
                json!({"display": "x".repeat(300), "kind": "organization"}),
            ),
            422,
            "body.sponsor",
        ),
        (
            with(&good, "sponsorship_id", json!("sp 0912345678")),
            422,
            "personal_data",
        ),
        (with(&good, "colour", json!("red")), 422, "colour"),
    ] {
        refused(&app, &clerk, "sponsorship_registered", body, status, says).await;
    }
    let registered = app
        .record(F, &clerk, "sponsorship_registered", good.clone())
        .await;
    refused(
        &app,
        &clerk,
        "sponsorship_registered",
        good.clone(),
        422,
        "duplicate_id",
    )
    .await;

    let review = json!({"household_id": "ho-1", "review_year": year, "category": "newly_escaped",
                        "decision_ref": "QĐ 45/QĐ-UBND"});
    for (body, says) in [
        (
            with(&review, "review_year", json!(year + 1)),
            "still to come",
        ),
        (
            with(&review, "review_year", json!(1999)),
            "body.review_year",
        ),
        (
            with(&review, "household_id", json!("ho-9")),
            "unknown_household",
        ),
        (with(&review, "category", json!("rich")), "body.category"),
        (
            with(&review, "review_year", json!(year - 2)),
            "review_year_order",
        ),
        (
            with(
                &review,
                "note",
                json!("Hộ ông Lê Văn Tám, CCCD 001085000444"),
            ),
            "personal_data",
        ),
        (with(&review, "extra", json!(1)), "extra"),
        (
            with(&review, "decision_ref", json!(null)),
            "body.decision_ref",
        ),
        (
            with(&review, "review_year", json!(year - 1)),
            "review_year_order",
        ),
    ] {
        refused(&app, &clerk, "household_reviewed", body, 422, says).await;
    }
    // not_poor is what a review finds, not a class to register.
    let before = app.size(F).await;
    let a = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "household_registered",
                "body": {"household_id": "ho-8", "commune_code": "PX", "hamlet": "Thôn 1",
                         "category": "not_poor", "members": 4, "review_year": year},
                "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}}),
        )
        .await;
    a.problem(422);
    assert!(a.text.contains("body.category"), "{}", a.text);
    assert_eq!(app.size(F).await, before);
    let first = app
        .record(F, &clerk, "household_reviewed", review.clone())
        .await;
    refused(
        &app,
        &clerk,
        "household_reviewed",
        review.clone(),
        422,
        "review_recorded",
    )
    .await;
    // A mistake is reversed, then the review recorded again.
    app.record(
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": first["seq"], "reason": "Nhầm năm xét duyệt"}),
    )
    .await;
    app.record(F, &clerk, "household_reviewed", review).await;

    // A distribution names a sponsorship of this fund, to a household it names.
    let other = app.token("clerk", "PX").await;
    household(&app, &clerk, "ho-3", "PX", "poor", year).await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        crate::helpers::gift(json!("5000000"))["body"].clone(),
    )
    .await;
    let give = |h: &str, sp: &str| {
        json!({"household_id": h, "support_type": "livelihood", "cash_vnd": "1000000",
               "decision_ref": "QĐ 50", "sponsorship_id": sp})
    };
    refused(
        &app,
        &other,
        "distribution",
        give("ho-1", "sp-9"),
        422,
        "unknown_sponsorship",
    )
    .await;
    refused(
        &app,
        &other,
        "distribution",
        give("ho-3", "sp-1"),
        422,
        "not_sponsored",
    )
    .await;
    let mut last_year = sponsorship("sp-old", year - 1);
    last_year["household_ids"] = json!(["ho-3"]);
    app.record(F, &clerk, "sponsorship_registered", last_year)
        .await;
    refused(
        &app,
        &other,
        "distribution",
        give("ho-3", "sp-old"),
        422,
        "sponsorship_year",
    )
    .await;
    let d = app
        .record(F, &other, "distribution", give("ho-1", "sp-1"))
        .await;
    let seq = registered["seq"].clone();
    refused(
        &app,
        &clerk,
        "reversal",
        json!({"reverses_seq": seq, "reason": "Nhầm"}),
        422,
        "sponsorship_in_use",
    )
    .await;
    assert_eq!(d["kind"], "distribution");
    app.stop().await;
}

async fn sponsorships_fulfil_and_leaving_poverty_is_counted_without_names(app: TestApp) {
    let (clerk, giver) = setup(&app).await;
    let inspector = app.token("inspector", "PX").await;
    let year = this_year();
    // Four households in commune PX and one in QO, poor since last year.
    for (h, commune) in [
        ("ho-1", "PX"),
        ("ho-2", "PX"),
        ("ho-3", "PX"),
        ("ho-4", "PX"),
        ("ho-5", "QO"),
    ] {
        household(&app, &clerk, h, commune, "poor", year - 1).await;
    }
    app.record(
        F,
        &clerk,
        "donation_cash",
        crate::helpers::gift(json!("50000000"))["body"].clone(),
    )
    .await;
    // This year's sponsorship names ho-1 and ho-2 and 10,000,000 đồng; last
    // year's promised three households, and nothing given this year
    // counts for it.
    app.record(
        F,
        &clerk,
        "sponsorship_registered",
        sponsorship("sp-1", year),
    )
    .await;
    app.record(
        F,
        &clerk,
        "sponsorship_registered",
        json!({"sponsorship_id": "sp-0", "sponsor": {"display": "Ngân hàng Chính sách xã hội", "kind": "organization"},
               "year": year - 1, "households": 3}),
    )
    .await;
    for (h, sp, cash) in [
        ("ho-1", Some("sp-1"), "6000000"),
        ("ho-2", Some("sp-1"), "4000000"),
        ("ho-3", None, "2000000"),
    ] {
        app.record(
            F,
            &giver,
            "distribution",
            json!({"household_id": h, "support_type": "livelihood", "cash_vnd": cash,
                   "decision_ref": "QĐ 50", "sponsorship_id": sp}),
        )
        .await;
    }
    app.record(
        F,
        &giver,
        "distribution",
        json!({"household_id": "ho-4", "support_type": "house_repair", "cash_vnd": "3000000",
               "decision_ref": "QĐ 51"}),
    )
    .await;
    // This year's review: ho-1..ho-4 out of poverty, ho-5 in QO too.
    for (h, cat) in [
        ("ho-1", "newly_escaped"),
        ("ho-2", "not_poor"),
        ("ho-3", "newly_escaped"),
        ("ho-4", "near_poor"),
        ("ho-5", "newly_escaped"),
    ] {
        app.record(
            F,
            &clerk,
            "household_reviewed",
            json!({"household_id": h, "review_year": year, "category": cat,
                   "decision_ref": "QĐ 88/QĐ-UBND"}),
        )
        .await;
    }

    let o = app.get(&format!("/funds/{F}/outcomes")).await;
    assert_eq!(o.status, 200, "{}", o.text);
    let o = o.body;
    let row = |commune: &str| {
        o["left_poverty"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["commune_code"] == commune && r["year"] == year)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {commune}: {o}"))
    };
    // ho-4 went from poor to near-poor: still in poverty, not counted.
    let px = row("PX");
    assert_eq!(px["households"], 3, "{px}");
    assert_eq!(px["by_support"]["livelihood"]["households"], 3);
    assert!(px["by_support"].get("house_repair").is_none(), "{px}");
    // One household in QO: withheld, never shown as 1.
    let qo = row("QO");
    assert_eq!(qo["households"], Value::Null, "{qo}");
    assert_eq!(qo["fewer_than"], 3);
    let text = o.to_string();
    for id in ["ho-1", "ho-2", "ho-3", "ho-5"] {
        assert!(!text.contains(&format!("\"{id}\"")), "{id} named in {text}");
    }
    let sp = |id: &str| {
        o["sponsorships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sponsorship_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}: {o}"))
    };
    assert_eq!(
        (
            sp("sp-1")["fulfilled"].clone(),
            sp("sp-1")["households_reached"].clone(),
            sp("sp-1")["given_vnd"].clone()
        ),
        (json!(true), json!(2), json!("10000000"))
    );
    assert_eq!(
        (
            sp("sp-0")["fulfilled"].clone(),
            sp("sp-0")["households_reached"].clone()
        ),
        (json!(false), json!(0))
    );

    // Last year's unfulfilled sponsorship is a finding; this year's is not.
    let found = app
        .get_as(&format!("/funds/{F}/audit/findings"), &inspector)
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    let list: Vec<&Value> = found.body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "sponsorship_unfulfilled")
        .collect();
    assert_eq!(list.len(), 1, "{}", found.text);
    assert!(
        list[0]["message"].as_str().unwrap().contains("\"sp-0\""),
        "{}",
        list[0]
    );

    // The roll-up adds up the sponsorships of the period's year.
    let r = app
        .get(&format!("/committees/HN/report?period={year}"))
        .await
        .body;
    let s = &r["committee"]["sponsorships"];
    assert_eq!(
        (s["sponsorships"].as_u64(), s["fulfilled"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(s["households_committed"], 2);

    // The fund's page shows the sponsorships and the counts, no ids.
    let (status, page) = crate::pages::page(&app, &format!("/f/{F}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Công ty Điện lực Hà Nội"), "{page}");
    assert!(page.contains("id=\"left-poverty\""), "{page}");
    assert!(!page.contains("ho-5"), "{page}");
    app.stop().await;
}

crate::both!(
    bad_sponsorships_and_reviews_are_refused_and_change_nothing,
    sponsorships_fulfil_and_leaving_poverty_is_counted_without_names,
);
