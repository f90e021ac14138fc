//! The public pages as a reader gets them: the funds, a fund, and the
//! statement of gifts searched without diacritics.

use serde_json::json;

use crate::helpers::TestApp;

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let root = app.base.trim_end_matches("/api/v1");
    let r = app
        .client
        .get(format!("{root}{path}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    (status, r.text().await.unwrap())
}

async fn readers_see_funds_campaigns_stock_and_gifts(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record("HN-VNN", &clerk, "campaign_opened", json!({"campaign_id": "tet-2027", "name": "Tết Nhân ái 2027",
        "kind": "tet", "starts_on": "2026-11-01", "ends_on": "2027-01-31", "target_vnd": "10000000"})).await;
    for (name, amount) in [
        ("Nguyễn Văn An", "1500000"),
        ("Nguyễn Văn Anh", "500000"),
        ("Trần Thị Bình", "2000000"),
    ] {
        app.record("HN-VNN", &clerk, "donation_cash", json!({"donor": {"display": name, "kind": "individual"},
            "amount_vnd": amount, "channel": "cash", "received_on": "2026-11-03", "campaign_id": "tet-2027"})).await;
    }
    app.record("HN-VNN", &clerk, "donation_in_kind", json!({"donor": {"display": "Siêu thị Hòa Bình", "kind": "organization"},
        "items": [{"item": "GAO", "quantity": "50", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "1000000"}],
        "total_value_vnd": "1000000", "received_on": "2026-11-04"})).await;

    let (status, home) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("Các quỹ") && home.contains("/f/HN-VNN"),
        "{home}"
    );
    assert!(home.contains("4.000.000 ₫"), "{home}");

    let (status, fund) = page(&app, "/f/HN-VNN").await;
    assert_eq!(status, 200);
    assert!(fund.contains("id=\"balance\">4.000.000 ₫"), "{fund}");
    assert!(
        fund.contains("Tết Nhân ái 2027") && fund.contains("4.000.000 ₫ / 10.000.000 ₫"),
        "{fund}"
    );
    assert!(fund.contains("value=\"40\""), "progress 40%: {fund}");
    assert!(
        fund.contains("50 kg") && fund.contains("1.000.000 ₫"),
        "stock: {fund}"
    );
    let (_, english) = page(&app, "/f/HN-VNN?lang=en").await;
    assert!(
        english.contains("Balance") && english.contains("Goods in stock"),
        "{english}"
    );

    let (_, found) = page(&app, "/f/HN-VNN/sao-ke?q=nguyen+van+an&from=&to=&min_vnd=").await;
    assert!(
        found.contains("2 khoản ủng hộ, tổng cộng 2.000.000 ₫"),
        "{found}"
    );
    assert!(
        found.contains("Nguyễn Văn An")
            && found.contains("Nguyễn Văn Anh")
            && !found.contains("Trần Thị Bình"),
        "{found}"
    );
    assert!(
        found.contains("/api/v1/funds/HN-VNN/donations?q=nguyen%20van%20an&#38;format=csv"),
        "{found}"
    );
    let (status, bad) = page(&app, "/f/HN-VNN/sao-ke?from=31/12/2026").await;
    assert_eq!(status, 200);
    assert!(
        bad.contains("role=\"alert\"") && bad.contains("from"),
        "{bad}"
    );
    let (_, all) = page(&app, "/f/HN-VNN/sao-ke?lang=en").await;
    assert!(
        all.contains("4 gifts, 5.000.000 ₫ in all") && all.contains("GAO 50 kg"),
        "{all}"
    );
    // Names are escaped, not trusted.
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "<script>alert(1)</script>", "kind": "individual"},
        "amount_vnd": "1000", "channel": "cash", "received_on": "2026-11-05"}),
    )
    .await;
    let (_, escaped) = page(&app, "/f/HN-VNN/sao-ke").await;
    assert!(
        !escaped.contains("<script>alert") && escaped.contains("&#60;script&#62;"),
        "{escaped}"
    );
    assert_eq!(page(&app, "/f/NO-SUCH").await.0, 404);
}

crate::both!(readers_see_funds_campaigns_stock_and_gifts);
