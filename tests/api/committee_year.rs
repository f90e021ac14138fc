//! The committee tree's year (SPEC §11): targets set from above, and the
//! roll-up of a province over its communes equal to the sum of its funds'
//! statements, with the transfers inside it netted.

use serde_json::{json, Value};

use crate::helpers::{gift, TestApp};

/// Province HN over communes PX and QO, a fund each.
async fn province(app: &TestApp) {
    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    app.committee("QO", Some("HN")).await;
    for (f, c) in [("HN-VNN", "HN"), ("PX-VNN", "PX"), ("QO-VNN", "QO")] {
        app.fund(f, c).await;
    }
}

fn this_year() -> i32 {
    crate::helpers::today_vn()[..4].parse().expect("a year")
}

/// The integer a decimal string holds.
fn n(v: &Value) -> i128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{v} is not a decimal string"))
}

async fn listed(app: &TestApp, c: &str) -> Value {
    app.get(&format!("/committees/{c}/targets")).await.body["targets"].clone()
}

async fn targets_are_set_from_above_and_bad_ones_change_nothing(app: TestApp) {
    province(&app).await;
    let province_admin = app.token("admin", "HN").await;
    let commune_admin = app.token("admin", "PX").await;
    let year = this_year();
    let good = json!({"year": year, "mobilise_vnd": "500000000", "households": 40, "houses": 3});
    let clerk = app.token("clerk", "HN").await;
    let log_before = app
        .get_as("/audit/admin-log?limit=1000", &app.admin)
        .await
        .body;
    // A committee does not set its own targets, nor a sibling's; a
    // province's come from the deployment's admins.
    for (who, code, status) in [
        (&commune_admin, "PX", 403),
        (&commune_admin, "QO", 403),
        (&province_admin, "HN", 403),
        (&app.admin, "NOPE", 404),
    ] {
        let a = app
            .post(&format!("/committees/{code}/targets"), Some(who), &good)
            .await;
        a.problem(status);
    }
    app.post("/committees/PX/targets", Some(&clerk), &good)
        .await
        .problem(403);
    app.post("/committees/PX/targets", None, &good)
        .await
        .problem(401);
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("year", json!(year + 2)), "year"),
        (with("year", json!(1999)), "year"),
        (with("year", json!(year - 1)), "has ended"),
        (with("year", json!("2026")), "year"),
        (with("mobilise_vnd", json!("-5")), "mobilise_vnd"),
        (with("mobilise_vnd", json!("1.5")), "mobilise_vnd"),
        (with("mobilise_vnd", json!(2.5)), "mobilise_vnd"),
        (
            with("mobilise_vnd", json!("10000000000000001")),
            "mobilise_vnd",
        ),
        (with("households", json!(-1)), "households"),
        (with("households", json!(10_000_001)), "households"),
        (with("houses", json!(1.5)), "houses"),
        (with("colour", json!("red")), "colour"),
    ] {
        let a = app
            .post("/committees/PX/targets", Some(&province_admin), &body)
            .await;
        a.problem(422);
        assert!(a.text.contains(field), "{body}: {}", a.text);
    }
    app.post_raw(
        "/committees/PX/targets",
        Some(&province_admin),
        None,
        "{\"year\":".into(),
    )
    .await
    .problem(400);
    assert_eq!(listed(&app, "PX").await, json!([]), "nothing was set");
    assert_eq!(
        app.get_as("/audit/admin-log?limit=1000", &app.admin)
            .await
            .body["admin_log"]
            .as_array()
            .map(Vec::len),
        log_before["admin_log"].as_array().map(Vec::len),
        "nothing was logged"
    );

    // Set, replayed with its key, then changed: one row, two log lines.
    let key = "targets-px-1";
    let first = app
        .post_raw(
            "/committees/PX/targets",
            Some(&province_admin),
            Some(key),
            good.to_string(),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .post_raw(
            "/committees/PX/targets",
            Some(&province_admin),
            Some(key),
            good.to_string(),
        )
        .await;
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotency-replayed"], "true");
    app.post_raw(
        "/committees/PX/targets",
        Some(&province_admin),
        Some(key),
        with("houses", json!(4)).to_string(),
    )
    .await
    .problem(409);
    let changed = app
        .post(
            "/committees/PX/targets",
            Some(&app.admin),
            &with("houses", json!(5)),
        )
        .await;
    assert_eq!(changed.status, 201, "{}", changed.text);
    let list = listed(&app, "PX").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["houses"], 5);
    assert_eq!(list[0]["mobilise_vnd"], "500000000");
    assert_eq!(list[0]["year"], year);
    let log = app
        .get_as("/audit/admin-log?limit=1000", &app.admin)
        .await
        .body;
    let set: Vec<&Value> = log["admin_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["action"] == "targets_set")
        .collect();
    assert_eq!(set.len(), 2, "{log}");
    assert!(set.iter().all(|l| l["target"] == "PX"));
    app.get("/committees/NOPE/targets").await.problem(404);
    app.stop().await;
}

/// Sums a figure over the statements of `funds`.
async fn statements(app: &TestApp, funds: &[&str], q: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for f in funds {
        let a = app.get(&format!("/funds/{f}/statement?{q}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        out.push(a.body);
    }
    out
}

async fn a_province_rolls_up_its_communes_with_transfers_netted(app: TestApp) {
    province(&app).await;
    let year = this_year();
    let province_admin = app.token("admin", "HN").await;
    for (c, money) in [("PX", "3000000"), ("QO", "1000000")] {
        let a = app
            .post(
                &format!("/committees/{c}/targets"),
                Some(&province_admin),
                &json!({"year": year, "mobilise_vnd": money, "households": 2, "houses": 1}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let hn = app.token("clerk", "HN").await;
    let px = app.token("clerk", "PX").await;
    let px_other = app.token("clerk", "PX").await;
    let qo = app.token("clerk", "QO").await;
    app.record(
        "HN-VNN",
        &hn,
        "donation_cash",
        gift(json!("10000000"))["body"].clone(),
    )
    .await;
    app.record(
        "PX-VNN",
        &px,
        "donation_cash",
        gift(json!("2000000"))["body"].clone(),
    )
    .await;
    app.record(
        "QO-VNN",
        &qo,
        "donation_cash",
        gift(json!("1500000"))["body"].clone(),
    )
    .await;
    app.record(
        "HN-VNN",
        &hn,
        "transfer_out",
        json!({"counterparty_fund": "PX-VNN", "amount_vnd": "3000000", "decision_ref": "QĐ 12",
               "purpose": "Hỗ trợ xã xây nhà đại đoàn kết"}),
    )
    .await;
    let a = app
        .post(
            "/funds/PX-VNN/entries",
            Some(&px),
            &json!({"kind": "household_registered",
                "body": {"household_id": "ho-1", "commune_code": "PX", "hamlet": "Thôn 1",
                         "category": "poor", "members": 4, "review_year": year},
                "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    for (support, cash) in [("house_new", "4000000"), ("cash_grant", "500000")] {
        app.record(
            "PX-VNN",
            &px_other,
            "distribution",
            json!({"household_id": "ho-1", "support_type": support, "cash_vnd": cash,
                   "decision_ref": "QĐ 15"}),
        )
        .await;
    }

    let q = format!("period={year}");
    let r = app.get(&format!("/committees/HN/report?{q}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.body;
    let funds = ["HN-VNN", "PX-VNN", "QO-VNN"];
    let sts = statements(&app, &funds, &q).await;
    let sum = |path: &[&str]| -> i128 {
        sts.iter()
            .map(|s| path.iter().fold(s, |v, k| &v[*k]))
            .map(n)
            .sum()
    };
    let t = &r["committee"]["figures"];
    // Gifts, distributions and balances are the statements' sums.
    assert_eq!(
        n(&t["received_cash_vnd"]),
        sum(&["sources", "gifts_cash", "amount_vnd"])
    );
    assert_eq!(n(&t["received_cash_vnd"]), 13_500_000);
    assert_eq!(
        n(&t["distributed_cash_vnd"]),
        sum(&["uses", "distributions", "cash_vnd"])
    );
    assert_eq!(n(&t["distributed_cash_vnd"]), 4_500_000);
    assert_eq!(
        n(&t["closing_balance_vnd"]),
        sum(&["closing", "balance_vnd"])
    );
    assert_eq!(n(&t["closing_balance_vnd"]), 9_000_000);
    // The province's 3,000,000 to PX stayed inside: netted from both sides.
    assert_eq!(sum(&["sources", "transfers_in", "amount_vnd"]), 3_000_000);
    assert_eq!(n(&r["committee"]["internal_transfers_vnd"]), 3_000_000);
    assert_eq!(n(&t["transfers_in_vnd"]), 0);
    assert_eq!(n(&t["transfers_out_vnd"]), 0);
    assert_eq!(r["balanced"], true);
    assert_eq!(
        (t["houses_built"].as_u64(), t["households_reached"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(t["spent_by_type"]["house_new"]["count"], 1);
    // The province's own fund names its statement's hash.
    assert_eq!(r["funds"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["funds"][0]["fund"], "HN-VNN");
    assert_eq!(
        r["funds"][0]["statement_sha256"],
        sts[0]["statement_sha256"]
    );
    // Each commune's subtree, against the targets the province set.
    let child = |code: &str| {
        r["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no child {code}: {r}"))
    };
    let px_row = child("PX");
    assert_eq!(
        n(&px_row["figures"]["transfers_in_vnd"]),
        3_000_000,
        "from outside PX"
    );
    assert_eq!(n(&px_row["figures"]["received_cash_vnd"]), 2_000_000);
    let p = &px_row["progress"];
    assert_eq!(
        (p["year"].as_i64(), p["mobilise_percent"].as_u64()),
        (Some(i64::from(year)), Some(66))
    );
    assert_eq!(
        (
            p["households_percent"].as_u64(),
            p["houses_percent"].as_u64()
        ),
        (Some(50), Some(100))
    );
    assert_eq!(child("QO")["progress"]["mobilise_percent"], 150);
    assert_eq!(
        r["committee"]["progress"],
        Value::Null,
        "nobody set HN's targets"
    );
    // A commune's report is its own subtree.
    let px_report = app.get(&format!("/committees/PX/report?{q}")).await.body;
    assert_eq!(px_report["committee"]["figures"], px_row["figures"]);

    // The same figures as CSV and as a spreadsheet, in Vietnamese.
    let csv = app
        .get(&format!("/committees/HN/report?{q}&format=csv"))
        .await
        .text;
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark");
    let total = csv.lines().last().unwrap_or_default();
    assert!(total.starts_with("Tổng cộng,HN,"), "{csv}");
    assert!(total.contains(",13500000,"), "{total}");
    assert!(csv.contains("Nhà xây mới"));
    let xlsx = app
        .client
        .get(format!("{}/committees/HN/report?{q}&format=xlsx", app.base))
        .send()
        .await
        .expect("xlsx")
        .bytes()
        .await
        .expect("bytes");
    let rows = crate::helpers::xlsx_rows(&xlsx);
    let last = rows.last().cloned().unwrap_or_default();
    assert_eq!(last[..3], ["Tổng cộng", "HN", "Ủy ban MTTQ HN"]);
    assert_eq!(last[5], "13500000");

    // The page of the tree, each commune a link to its own.
    let (status, page) = crate::pages::page(&app, &format!("/t/HN?period={year}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("href=\"/t/PX?period={year}")),
        "{page}"
    );
    assert!(page.contains("13.500.000"), "{page}");
    assert!(page.contains("66% chỉ tiêu vận động"), "{page}");
    let (status, page) = crate::pages::page(&app, "/t/PX").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/t/HN?lang=vi\""), "a way up: {page}");

    // Bad questions change nothing and say why.
    for bad in [
        "period=2026-H3",
        "from=2026-13-01",
        "from=2026-05-01&to=2026-04-01",
        "period=2026&from=2026-01-01",
        "format=pdf",
        "colour=red",
    ] {
        app.get(&format!("/committees/HN/report?{bad}"))
            .await
            .problem(400);
    }
    app.get("/committees/NOPE/report").await.problem(404);
    assert_eq!(crate::pages::page(&app, "/t/NOPE").await.0, 404);
    assert_eq!(crate::pages::page(&app, "/t/HN?period=soon").await.0, 404);
    app.stop().await;
}

/// Today in Vietnam, moved by `days`, as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date()
        + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A province's year: targets from above, a peak month in the province's
/// fund, a typhoon campaign in a commune whose support came late, money
/// sent down to a commune and up from another, a sponsorship and the
/// year's reviews. The roll-up equals the funds' statements added up to
/// the đồng, the transfers inside netted; the deadlines are findings.
async fn a_province_s_year_adds_up_to_its_funds_statements(app: TestApp) {
    province(&app).await;
    let year = this_year();
    let province_admin = app.token("admin", "HN").await;
    for (who, c, money) in [
        (&app.admin, "HN", "20000000"),
        (&province_admin, "PX", "5000000"),
        (&province_admin, "QO", "2000000"),
    ] {
        let a = app
            .post(
                &format!("/committees/{c}/targets"),
                Some(who),
                &json!({"year": year, "mobilise_vnd": money, "households": 3, "houses": 1}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let (hn, px, qo) = (
        app.token("clerk", "HN").await,
        app.token("clerk", "PX").await,
        app.token("clerk", "QO").await,
    );
    let (px2, qo2) = (
        app.token("clerk", "PX").await,
        app.token("clerk", "QO").await,
    );
    let inspector = app.token("inspector", "HN").await;
    // The peak month, 17 October to 18 November, in the province's fund.
    app.record("HN-VNN", &hn, "campaign_opened", json!({"campaign_id": "cao-diem", "name": "Tháng cao điểm Vì người nghèo",
        "kind": "peak_month", "starts_on": format!("{year}-10-17"), "ends_on": format!("{year}-11-18")})).await;
    let mut peak = gift(json!("12000000"))["body"].clone();
    peak["campaign_id"] = json!("cao-diem");
    app.record("HN-VNN", &hn, "donation_cash", peak).await;
    app.record("HN-VNN", &hn, "donation_in_kind", json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "100", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "2000000"}],
        "total_value_vnd": "2000000", "received_on": format!("{year}-11-01")})).await;
    app.record(
        "HN-VNN",
        &hn,
        "expense",
        json!({"category": "bank_fee", "amount_vnd": "11000", "decision_ref": "QĐ 2"}),
    )
    .await;
    // A typhoon campaign in PX whose receiving closed 30 days ago.
    app.record(
        "PX-VNN",
        &px,
        "campaign_opened",
        json!({"campaign_id": "bao-so-3", "name": "Khắc phục hậu quả bão số 3",
        "kind": "disaster_relief", "starts_on": day(-60), "ends_on": day(-30)}),
    )
    .await;
    let mut storm = gift(json!("3000000"))["body"].clone();
    storm["campaign_id"] = json!("bao-so-3");
    storm["received_on"] = json!(day(-40));
    app.record("PX-VNN", &px, "donation_cash", storm).await;
    app.record(
        "QO-VNN",
        &qo,
        "donation_cash",
        gift(json!("2500000"))["body"].clone(),
    )
    .await;
    // Down to PX from the province, up to the province from QO.
    for (from, token, to, amount) in [
        ("HN-VNN", &hn, "PX-VNN", "4000000"),
        ("QO-VNN", &qo, "HN-VNN", "500000"),
    ] {
        app.record(
            from,
            token,
            "transfer_out",
            json!({"counterparty_fund": to, "amount_vnd": amount,
            "decision_ref": "QĐ 7", "purpose": "Điều hòa quỹ"}),
        )
        .await;
    }
    // Households: PX supports two with the storm's money, late; QO's
    // sponsor helps one; the year's review finds two of PX out of poverty.
    for (fund, token, h, commune) in [
        ("PX-VNN", &px, "ho-1", "PX"),
        ("PX-VNN", &px, "ho-2", "PX"),
        ("QO-VNN", &qo, "ho-9", "QO"),
    ] {
        let a = app.post(&format!("/funds/{fund}/entries"), Some(token), &json!({"kind": "household_registered",
            "body": {"household_id": h, "commune_code": commune, "hamlet": "Thôn 1", "category": "poor", "members": 4, "review_year": year - 1},
            "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}})).await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    for h in ["ho-1", "ho-2"] {
        app.record(
            "PX-VNN",
            &px2,
            "distribution",
            json!({"household_id": h, "support_type": "house_repair",
            "cash_vnd": "1000000", "decision_ref": "QĐ 9", "campaign_id": "bao-so-3"}),
        )
        .await;
        app.record(
            "PX-VNN",
            &px,
            "household_reviewed",
            json!({"household_id": h, "review_year": year, "category": "newly_escaped",
                   "decision_ref": "QĐ 120/QĐ-UBND"}),
        )
        .await;
    }
    app.record("QO-VNN", &qo, "sponsorship_registered", json!({"sponsorship_id": "sp-qo",
        "sponsor": {"display": "Ngân hàng Agribank chi nhánh QO", "kind": "organization"}, "year": year, "households": 1})).await;
    app.record(
        "QO-VNN",
        &qo2,
        "distribution",
        json!({"household_id": "ho-9", "support_type": "livelihood",
        "cash_vnd": "1500000", "decision_ref": "QĐ 11", "sponsorship_id": "sp-qo"}),
    )
    .await;

    let q = format!("period={year}-H2");
    let r = app.get(&format!("/committees/HN/report?{q}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.body;
    let sts = statements(&app, &["HN-VNN", "PX-VNN", "QO-VNN"], &q).await;
    let sum = |path: &str| -> i128 {
        sts.iter()
            .map(|s| path.split('.').fold(s, |v, k| &v[k]))
            .map(n)
            .sum()
    };
    let t = &r["committee"]["figures"];
    for (figure, line) in [
        ("opening_balance_vnd", "opening.balance_vnd"),
        ("received_cash_vnd", "sources.gifts_cash.amount_vnd"),
        ("received_in_kind_vnd", "sources.gifts_in_kind.amount_vnd"),
        ("distributed_cash_vnd", "uses.distributions.cash_vnd"),
        ("distributed_goods_vnd", "uses.distributions.goods_vnd"),
        ("expenses_vnd", "uses.expenses.amount_vnd"),
        ("reversals_cash_vnd", "reversals.cash_effect_vnd"),
        ("closing_balance_vnd", "closing.balance_vnd"),
        ("closing_stock_value_vnd", "closing.stock_value_vnd"),
    ] {
        assert_eq!(n(&t[figure]), sum(line), "{figure}");
    }
    let internal = n(&r["committee"]["internal_transfers_vnd"]);
    assert_eq!(internal, 4_500_000);
    assert_eq!(
        n(&t["transfers_in_vnd"]) + internal,
        sum("sources.transfers_in.amount_vnd")
    );
    assert_eq!(
        n(&t["transfers_out_vnd"]) + internal,
        sum("uses.transfers_out.amount_vnd")
    );
    assert_eq!(
        (n(&t["transfers_in_vnd"]), n(&t["transfers_out_vnd"])),
        (0, 0)
    );
    assert_eq!(n(&t["received_cash_vnd"]), 17_500_000);
    assert_eq!(
        n(&t["closing_balance_vnd"]),
        17_500_000 - 11_000 - 3_500_000
    );
    assert_eq!(r["balanced"], true);
    assert_eq!(t["households_reached"], 3);
    assert_eq!(t["houses_repaired"], 1 + 1);
    let p = &r["committee"]["progress"];
    assert_eq!(
        (p["mobilised_vnd"].as_str(), p["mobilise_percent"].as_u64()),
        (Some("19500000"), Some(97))
    );
    assert_eq!(
        (
            p["households_percent"].as_u64(),
            p["houses_percent"].as_u64()
        ),
        (Some(100), Some(200))
    );
    assert_eq!(r["committee"]["sponsorships"]["fulfilled"], 1);
    // Each commune's row nets nothing of its own, so its transfers stand.
    let child = |c: &str| {
        r["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == c)
            .cloned()
            .unwrap()
    };
    assert_eq!(n(&child("PX")["figures"]["transfers_in_vnd"]), 4_000_000);
    assert_eq!(n(&child("QO")["figures"]["transfers_out_vnd"]), 500_000);
    // A fund row's hash is its statement's.
    assert_eq!(
        r["funds"][0]["statement_sha256"],
        sts[0]["statement_sha256"]
    );

    // The deadlines: PX gave the storm's money after the 20 days.
    let found = app
        .get_as("/funds/PX-VNN/audit/findings", &inspector)
        .await
        .body;
    let kinds: Vec<&str> = found["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"support_after_deadline"), "{kinds:?}");
    assert!(
        kinds.contains(&"campaign_support_overdue"),
        "3,000,000 received, 2,000,000 given: {kinds:?}"
    );
    // The year's outcome in PX: two households out of poverty, too few
    // to publish without pointing at them.
    let o = app.get("/funds/PX-VNN/outcomes").await.body;
    assert_eq!(o["left_poverty"][0]["year"], year, "{o}");
    assert_eq!(o["left_poverty"][0]["households"], Value::Null, "{o}");
    assert_eq!(o["left_poverty"][0]["fewer_than"], 3, "{o}");
    app.stop().await;
}

crate::both!(
    a_province_s_year_adds_up_to_its_funds_statements,
    targets_are_set_from_above_and_bad_ones_change_nothing,
    a_province_rolls_up_its_communes_with_transfers_netted,
);
