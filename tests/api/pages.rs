//! The public pages as a reader gets them: the funds, a fund, and the
//! statement of gifts searched without diacritics.

use serde_json::json;

use crate::helpers::TestApp;

/// A page of the service: its status and its HTML (checked to be HTML).
pub(crate) async fn page(app: &TestApp, path: &str) -> (u16, String) {
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
        "kind": "tet", "starts_on": "2026-11-01", "ends_on": "2027-01-31", "window_reason": "Vận động cả năm", "target_vnd": "10000000"})).await;
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
    assert!(home.contains("4.000.000\u{a0}₫"), "{home}");

    let (status, fund) = page(&app, "/f/HN-VNN").await;
    assert_eq!(status, 200);
    assert!(fund.contains("id=\"balance\">4.000.000\u{a0}₫"), "{fund}");
    assert!(
        fund.contains("Tết Nhân ái 2027") && fund.contains("4.000.000\u{a0}₫ / 10.000.000\u{a0}₫"),
        "{fund}"
    );
    assert!(fund.contains("value=\"40\""), "progress 40%: {fund}");
    assert!(
        fund.contains("50 kg") && fund.contains("1.000.000\u{a0}₫"),
        "stock: {fund}"
    );
    let (_, english) = page(&app, "/f/HN-VNN?lang=en").await;
    assert!(
        english.contains("Balance") && english.contains("Goods in stock"),
        "{english}"
    );

    let (_, found) = page(&app, "/f/HN-VNN/sao-ke?q=nguyen+van+an&from=&to=&min_vnd=").await;
    assert!(
        found.contains("2 khoản ủng hộ, tổng cộng 2.000.000\u{a0}₫"),
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
        all.contains("4 gifts, 5.000.000\u{a0}₫ in all") && all.contains("GAO 50 kg"),
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

async fn readers_see_where_the_money_went_campaigns_and_statements(app: TestApp) {
    let clerk = app.with_fund().await;
    let (_, empty) = page(&app, "/f/HN-VNN").await;
    assert!(empty.contains("Chưa có khoản ủng hộ nào."), "{empty}");
    app.record("HN-VNN", &clerk, "campaign_opened", json!({"campaign_id": "tet-2027", "name": "Tết Nhân ái 2027",
        "kind": "tet", "starts_on": "2026-11-01", "ends_on": "2027-01-31", "window_reason": "Vận động cả năm", "target_vnd": "10000000"})).await;
    for (name, amount, campaign) in [
        ("Nguyễn Văn An", "1500000", Some("tet-2027")),
        ("Trần Thị Bình", "2000000", Some("tet-2027")),
        ("Công ty Hòa Phát", "60000000", None),
    ] {
        let mut gift = json!({"donor": {"display": name, "kind": "individual"},
            "amount_vnd": amount, "channel": "bank_transfer", "received_on": "2026-11-03"});
        if let Some(c) = campaign {
            gift["campaign_id"] = json!(c);
        }
        app.record("HN-VNN", &clerk, "donation_cash", gift).await;
    }
    // Registered by another clerk than the one who pays the household.
    let registrar = app.token("clerk", "HN").await;
    app.record_batch("HN-VNN", &registrar, vec![json!({"kind": "household_registered",
        "body": {"household_id": "ho-1", "commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 4, "review_year": 2026},
        "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}})]).await;
    app.record("HN-VNN", &clerk, "distribution", json!({"distribution_id": "tet-1", "household_id": "ho-1",
        "support_type": "tet_gift", "cash_vnd": "500000", "decision_ref": "QĐ 1", "campaign_id": "tet-2027"})).await;
    app.record(
        "HN-VNN",
        &clerk,
        "distribution",
        json!({"distribution_id": "nha-1", "household_id": "ho-1",
        "support_type": "house_new", "cash_vnd": "50000000", "decision_ref": "QĐ 2"}),
    )
    .await;

    let (status, fund) = page(&app, "/f/HN-VNN").await;
    assert_eq!(status, 200);
    assert!(fund.contains("id=\"given\">500.000\u{a0}₫, 1 hộ"), "{fund}");
    assert!(fund.contains("1 suất quà Tết"), "{fund}");
    assert!(fund.contains("<td>Quà Tết</td>"), "{fund}");
    assert!(
        fund.contains("Chờ duyệt</dt><dd>1 · 50.000.000\u{a0}₫"),
        "{fund}"
    );
    assert!(fund.contains("Còn lại</dt><dd>63.000.000\u{a0}₫"), "{fund}");
    // The latest gifts, newest first.
    let newest = fund.find("Công ty Hòa Phát").expect("latest gifts");
    let older = fund.find("Nguyễn Văn An").expect("latest gifts");
    assert!(newest < older, "newest first");
    assert!(fund.contains("/f/HN-VNN/c/tet-2027?lang=vi"), "{fund}");
    assert!(fund.contains("/f/HN-VNN/bao-cao?from="), "{fund}");

    // The campaign's page: its gifts only, and where its money went.
    let (status, c) = page(&app, "/f/HN-VNN/c/tet-2027").await;
    assert_eq!(status, 200, "{c}");
    assert!(c.contains("id=\"received\">3.500.000\u{a0}₫"), "{c}");
    assert!(c.contains("value=\"35\""), "progress 35%: {c}");
    assert!(c.contains("id=\"given\">500.000\u{a0}₫, 1 hộ"), "{c}");
    assert!(
        !c.contains("Công ty Hòa Phát"),
        "another campaign's gift: {c}"
    );
    assert!(c.contains("Tết vì người nghèo"), "{c}");
    assert!(c.contains("/f/HN-VNN/sao-ke?campaign=tet-2027"), "{c}");
    let (_, gifts) = page(&app, "/f/HN-VNN/sao-ke?campaign=tet-2027").await;
    assert!(
        gifts.contains("2 khoản ủng hộ, tổng cộng 3.500.000\u{a0}₫"),
        "{gifts}"
    );
    assert!(
        gifts.contains("name=\"campaign\" value=\"tet-2027\""),
        "{gifts}"
    );
    assert_eq!(page(&app, "/f/HN-VNN/c/khong-co").await.0, 404);
    let (_, english) = page(&app, "/f/HN-VNN/c/tet-2027?lang=en").await;
    assert!(
        english.contains("Tet for the poor") && english.contains("Latest gifts"),
        "{english}"
    );

    // The statement of this month, as the API computes it.
    let today = crate::helpers::today_vn();
    let first = format!("{}-01", &today[..7]);
    let (status, st) = page(&app, "/f/HN-VNN/bao-cao").await;
    assert_eq!(status, 200, "{st}");
    let api = app
        .get(&format!("/funds/HN-VNN/statement?from={first}&to={today}"))
        .await
        .body;
    assert_eq!(api["closing"]["balance_vnd"], "63000000", "{api}");
    assert!(st.contains("Số dư cuối kỳ</strong></td><td class=\"num\"></td><td class=\"num\"><strong>63.000.000\u{a0}₫"), "{st}");
    assert!(st.contains("Trong đó đang giữ cho khoản chờ duyệt</td><td class=\"num\"></td><td class=\"num\">50.000.000\u{a0}₫"), "{st}");
    assert!(
        st.contains(
            "Ủng hộ: Chuyển khoản</td><td class=\"num\">3</td><td class=\"num\">63.500.000\u{a0}₫"
        ),
        "{st}"
    );
    assert!(st.contains("khớp đến từng đồng"), "{st}");
    // Before anything was recorded, an empty period.
    let (status, empty) = page(&app, "/f/HN-VNN/bao-cao?from=2026-01-01&to=2026-01-31").await;
    assert_eq!(status, 200);
    assert!(
        empty.contains(
            "Số dư cuối kỳ</strong></td><td class=\"num\"></td><td class=\"num\"><strong>0\u{a0}₫"
        ),
        "{empty}"
    );
    for bad in [
        "from=31/12/2026",
        "to=2026-02-30",
        "from=2026-12-01&to=2026-11-01",
    ] {
        let (status, b) = page(&app, &format!("/f/HN-VNN/bao-cao?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert!(b.contains("id=\"error\""), "{bad}: {b}");
    }

    // A gift recorded after a page was read shows at once.
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Bà Tư", "kind": "individual"},
        "amount_vnd": "1000000", "channel": "cash", "received_on": "2026-11-03"}),
    )
    .await;
    let (_, fund) = page(&app, "/f/HN-VNN").await;
    assert!(fund.contains("Còn lại</dt><dd>64.000.000\u{a0}₫"), "{fund}");
    let went = app.get("/funds/HN-VNN/where-money-went").await.body;
    assert_eq!(went["balance_vnd"], "64000000", "{went}");
    let (_, st) = page(&app, "/f/HN-VNN/bao-cao").await;
    assert!(
        st.contains("Số dư cuối kỳ</strong></td><td class=\"num\"></td><td class=\"num\"><strong>64.000.000\u{a0}₫"),
        "a kept statement is built again once the fund grows: {st}"
    );
}

/// A campaign's status follows its window as well as its entries, and
/// a campaign past its target says how far past.
async fn campaigns_show_their_window_and_progress_past_the_target(app: TestApp) {
    let clerk = app.with_fund().await;
    for (id, starts, ends) in [
        ("da-qua", "2026-10-01", "2026-11-18"),
        ("sap-toi", "2099-01-01", "2099-02-01"),
        ("dang-mo", "2026-10-01", "2099-12-31"),
    ] {
        app.record(
            "HN-VNN",
            &clerk,
            "campaign_opened",
            json!({"campaign_id": id, "name": format!("Đợt {id}"), "kind": "other",
                   "starts_on": starts, "ends_on": ends, "target_vnd": "1000000",
                   "window_reason": "Nhận quanh năm"}),
        )
        .await;
    }
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Công ty An Bình", "kind": "organization"},
               "amount_vnd": "2500000", "channel": "cash", "received_on": "2026-11-02",
               "campaign_id": "da-qua"}),
    )
    .await;
    let (_, fund) = page(&app, "/f/HN-VNN").await;
    for (id, status) in [
        ("da-qua", "đã hết hạn nhận ủng hộ"),
        ("sap-toi", "chưa bắt đầu"),
        ("dang-mo", "đang vận động"),
    ] {
        let (code, c) = page(&app, &format!("/f/HN-VNN/c/{id}")).await;
        assert_eq!(code, 200);
        assert!(
            c.contains(&format!("id=\"campaign-status\">{status}</dd>")),
            "{id}: {c}"
        );
        assert!(fund.contains(&format!("Đợt {id}</strong></a> (")), "{fund}");
        assert!(
            fund.contains(&format!(", {status}): ")),
            "{id} {status}: {fund}"
        );
    }
    let (_, past) = page(&app, "/f/HN-VNN/c/da-qua").await;
    assert!(
        past.contains("value=\"100\" aria-label=\"250%\"></progress> 250%"),
        "{past}"
    );
    let (_, english) = page(&app, "/f/HN-VNN/c/da-qua?lang=en").await;
    assert!(
        english.contains(">no longer taking gifts</dd>"),
        "{english}"
    );
    app.stop().await;
}

/// A receipt names the campaign and the goods as people know them, and
/// calls the worth of goods their value, not an amount of money.
async fn receipts_name_the_campaign_and_the_goods(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "tet-2027", "name": "Tết Nhân ái 2027", "kind": "tet",
               "starts_on": "2026-10-01", "ends_on": "2099-01-01", "window_reason": "Vận động cả năm"}),
    )
    .await;
    let goods = app
        .record(
            "HN-VNN",
            &clerk,
            "donation_in_kind",
            json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
                   "items": [{"item": "QUA-TET", "description": "Quà Tết (bánh chưng, gạo, dầu ăn)",
                              "quantity": "40", "unit": "gói", "unit_value_vnd": "500000", "value_vnd": "20000000"}],
                   "total_value_vnd": "20000000", "received_on": "2026-11-02", "campaign_id": "tet-2027"}),
        )
        .await;
    let cash = app
        .record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "Ông Trần Văn Bảy", "kind": "individual"},
                   "amount_vnd": "500000", "channel": "cash", "received_on": "2026-11-02"}),
        )
        .await;
    let (_, r) = page(
        &app,
        &format!("/r/{}", goods["receipt"]["code"].as_str().unwrap()),
    )
    .await;
    assert!(r.contains("<dd>Tết Nhân ái 2027</dd>"), "{r}");
    assert!(!r.contains(">tet-2027<"), "{r}");
    assert!(
        r.contains("Quà Tết (bánh chưng, gạo, dầu ăn) 40 gói"),
        "{r}"
    );
    assert!(
        r.contains("<dt>Giá trị</dt><dd class=\"amount\" id=\"amount\">20.000.000\u{a0}₫"),
        "{r}"
    );
    let (_, r) = page(
        &app,
        &format!("/r/{}", cash["receipt"]["code"].as_str().unwrap()),
    )
    .await;
    assert!(
        r.contains("<dt>Số tiền</dt><dd class=\"amount\" id=\"amount\">500.000\u{a0}₫"),
        "{r}"
    );
    app.stop().await;
}

/// A donor with a paper receipt types its code on the home page, as it
/// comes (small letters, hyphens, spaces), and lands on the receipt; a
/// code no receipt has is said so. Staff find their sign-in there too.
async fn a_receipt_is_looked_up_by_its_code_from_the_home_page(app: TestApp) {
    let clerk = app.with_fund().await;
    let gift = app
        .record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "Ông Trần Văn Bảy", "kind": "individual"},
                   "amount_vnd": "500000", "channel": "cash", "received_on": "2026-11-02"}),
        )
        .await;
    let code = gift["receipt"]["code"].as_str().unwrap().to_owned();
    let (_, home) = page(&app, "/").await;
    assert!(
        home.contains("<form method=\"get\" action=\"/tra-cuu\""),
        "{home}"
    );
    assert!(home.contains("id=\"staff-sign-in\""), "{home}");
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let typed = format!(
        " {}-{} ",
        code[..4].to_lowercase(),
        code[4..].to_lowercase()
    );
    let r = client
        .get(format!("{root}/tra-cuu"))
        .query(&[("code", typed.as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], format!("/r/{code}?lang=en"));
    let (status, missing) = page(&app, "/tra-cuu?code=khong-co-ma").await;
    assert_eq!(status, 404);
    assert!(
        missing.contains("khong-co-ma") && missing.contains("<header>"),
        "{missing}"
    );
    app.stop().await;
}

crate::both!(
    a_receipt_is_looked_up_by_its_code_from_the_home_page,
    receipts_name_the_campaign_and_the_goods,
    campaigns_show_their_window_and_progress_past_the_target,
    unknown_funds_campaigns_receipts_and_paths_are_pages_that_name_them,
    readers_see_funds_campaigns_stock_and_gifts,
    readers_see_where_the_money_went_campaigns_and_statements
);

/// What a reader asks for that does not exist answers an HTML page with
/// the site's header that names what was asked for, in the reader's
/// language; the API's unknown paths answer problem details.
async fn unknown_funds_campaigns_receipts_and_paths_are_pages_that_name_them(app: TestApp) {
    let _clerk = app.with_fund().await;
    for (path, said) in [
        ("/f/XX-KHONG", "Không có quỹ nào mang mã “XX-KHONG”."),
        ("/f/XX-KHONG/sao-ke", "Không có quỹ nào mang mã “XX-KHONG”."),
        (
            "/f/XX-KHONG/bao-cao",
            "Không có quỹ nào mang mã “XX-KHONG”.",
        ),
        (
            "/f/XX-KHONG/c/tet-2027",
            "Không có quỹ nào mang mã “XX-KHONG”.",
        ),
        (
            "/f/HN-VNN/c/khong-co",
            "Quỹ này không có đợt vận động nào mang mã “khong-co”.",
        ),
        ("/trang-khong-co", "Không có trang “/trang-khong-co”."),
        (
            "/r/ABCD-EFGH-JKMN",
            "Không có biên nhận nào với mã xác minh này.",
        ),
    ] {
        let (status, body) = page(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains(said), "{path}: {body}");
        assert!(
            body.contains("<header>"),
            "{path} has the site's header: {body}"
        );
        if !path.starts_with("/r/") {
            assert!(
                !body.contains("biên nhận"),
                "{path} is not about a receipt: {body}"
            );
        }
    }
    let (status, english) = page(&app, "/f/XX-KHONG?lang=en").await;
    assert_eq!(status, 404);
    assert!(
        english.contains("There is no fund with the code “XX-KHONG”."),
        "{english}"
    );
    let (_, english) = page(&app, "/trang-khong-co?lang=en").await;
    assert!(
        english.contains("There is no page “/trang-khong-co”."),
        "{english}"
    );

    let root = app.base.trim_end_matches("/api/v1");
    let r = app
        .client
        .get(format!("{root}/api/v1/khong-co"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = app
        .client
        .get(format!("{root}/api/khong-co"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}
