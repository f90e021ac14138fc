//! The charts of the public pages: drawn on the server as SVG (no script),
//! each with a title and a text alternative, and each mark saying what the
//! row of the table beside it says.

use serde_json::json;

use crate::helpers::TestApp;

async fn page(app: &TestApp, path: &str) -> String {
    let (status, body) = crate::pages::page(app, path).await;
    assert_eq!(status, 200, "{path}");
    body
}

/// The text between `start` and the next `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let to = s[from..].find(end)? + from;
    Some(&s[from..to])
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The chart `id`'s marks, as their titles say them.
fn marks(body: &str, id: &str) -> Vec<String> {
    let svg = between(body, &format!("<svg class=\"chart\" id=\"{id}\""), "</svg>")
        .unwrap_or_else(|| panic!("no chart {id}"));
    svg.split("class=\"mark\"")
        .skip(1)
        .filter_map(|m| between(m, "<title>", "</title>"))
        .map(str::to_owned)
        .collect()
}

/// The rows of table `id` as "first cell: last cell".
fn rows(body: &str, id: &str) -> Vec<String> {
    let table = between(body, &format!("<table id=\"{id}\""), "</table>")
        .unwrap_or_else(|| panic!("no table {id}"));
    let tbody = between(table, "<tbody>", "</tbody>").expect("tbody");
    tbody
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            let cells: Vec<String> = tr
                .split("<td")
                .skip(1)
                .map(|td| strip_tags(&format!("<td{td}")))
                .collect();
            format!("{}: {}", cells[0], cells[cells.len() - 1])
        })
        .collect()
}

async fn gift(app: &TestApp, clerk: &str, amount: &str, day: &str) {
    app.record(
        "HN-VNN",
        clerk,
        "donation_cash",
        json!({"donor": {"display": "Nguyễn Văn A", "kind": "individual"},
               "amount_vnd": amount, "channel": "cash", "received_on": day,
               "campaign_id": "tet-2027"}),
    )
    .await;
}

async fn the_charts_say_what_their_tables_say(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "tet-2027", "name": "Tết Nhân ái 2027", "kind": "tet",
               "starts_on": "2026-10-01", "ends_on": "2027-02-15", "window_reason": "Vận động cả năm", "target_vnd": "10000000"}),
    )
    .await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "lu-2026", "name": "Cứu trợ lũ", "kind": "disaster_relief",
               "starts_on": "2026-10-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm"}),
    )
    .await;
    gift(&app, &clerk, "1000000", "2026-11-03").await;
    gift(&app, &clerk, "500000", "2026-11-01").await;
    gift(&app, &clerk, "250000", "2026-11-01").await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_in_kind",
        json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
               "items": [{"item": "QUA-TET", "quantity": "4", "unit": "gói",
                          "unit_value_vnd": "500000", "value_vnd": "2000000"}],
               "total_value_vnd": "2000000", "received_on": "2026-11-02",
               "campaign_id": "tet-2027"}),
    )
    .await;
    app.record_batch(
        "HN-VNN",
        &clerk,
        vec![json!({"kind": "household_registered",
        "body": {"household_id": "ho-1", "commune_code": "HN", "hamlet": "Thôn 1",
                 "category": "poor", "members": 4, "review_year": 2026},
        "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}})],
    )
    .await;
    let other_clerk = app.token("clerk", "HN").await;
    app.record(
        "HN-VNN",
        &other_clerk,
        "distribution",
        json!({"household_id": "ho-1", "support_type": "tet_gift", "cash_vnd": "300000",
               "items": [{"item": "QUA-TET", "quantity": "1", "unit": "gói"}],
               "decision_ref": "QĐ 1", "campaign_id": "tet-2027"}),
    )
    .await;

    // The campaign: what came in each day, added up, against its target.
    let body = page(&app, "/f/HN-VNN/c/tet-2027").await;
    let days = marks(&body, "chart-days");
    assert_eq!(
        days,
        [
            "01/11/2026: 750.000\u{a0}₫",
            "02/11/2026: 2.750.000\u{a0}₫",
            "03/11/2026: 3.750.000\u{a0}₫"
        ]
    );
    assert_eq!(days, rows(&body, "by-day"));
    let received = between(&body, "id=\"received\">", "</dd>").expect("received");
    assert!(days[2].ends_with(received), "{received}");
    assert!(body.contains("<title>Chỉ tiêu: 10.000.000\u{a0}₫</title>"));
    assert!(body.contains("role=\"img\" aria-labelledby=\"chart-days-t chart-days-d\""));
    assert!(body.contains(
        "<desc id=\"chart-days-d\">01/11/2026: 750.000\u{a0}₫; 02/11/2026: 2.750.000\u{a0}₫; 03/11/2026: 3.750.000\u{a0}₫</desc>"
    ));
    // Where its money went, by kind of support, as bars.
    let went = marks(&body, "chart-support");
    assert_eq!(went, rows(&body, "by-support"));
    assert_eq!(went.len(), 1, "{went:?}");
    assert!(went[0].ends_with(": 800.000\u{a0}₫"), "{went:?}");
    // And by commune.
    assert_eq!(marks(&body, "chart-commune"), ["HN: 800.000\u{a0}₫"]);
    assert_eq!(marks(&body, "chart-commune"), rows(&body, "by-commune"));
    // The same in English.
    let en = page(&app, "/f/HN-VNN/c/tet-2027?lang=en").await;
    assert!(en.contains("Received, added up day by day"));
    assert!(en.contains("<title>Target: 10.000.000\u{a0}₫</title>"));

    // A campaign with no gift yet has no chart of days.
    let empty = page(&app, "/f/HN-VNN/c/lu-2026").await;
    assert!(!empty.contains("chart-days") && !empty.contains("id=\"by-day\""));

    // The fund: its cash at the end of each day, today's as it is now.
    let body = page(&app, "/f/HN-VNN").await;
    let balances = marks(&body, "chart-balance");
    assert_eq!(balances, rows(&body, "by-balance"));
    assert!(!balances.is_empty());
    let fund: serde_json::Value = app.get("/funds/HN-VNN").await.body;
    let balance: i64 = fund["balance_vnd"].as_str().unwrap().parse().unwrap();
    assert_eq!(balance, 1_750_000 - 300_000);
    assert!(
        balances.last().unwrap().ends_with(": 1.450.000\u{a0}₫"),
        "{balances:?}"
    );
    assert_eq!(marks(&body, "chart-support"), rows(&body, "by-support"));
    assert_eq!(marks(&body, "chart-commune"), rows(&body, "by-commune"));
    // No script draws them.
    for path in ["/f/HN-VNN", "/f/HN-VNN/c/tet-2027"] {
        let body = page(&app, path).await;
        let svg = between(&body, "<svg class=\"chart\"", "</svg>").unwrap();
        assert!(!svg.contains("<script"), "{svg}");
    }
}

crate::both!(the_charts_say_what_their_tables_say);
