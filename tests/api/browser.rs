//! The receipt page in a real browser (headless Chromium): its checks run
//! in the page's JavaScript with WebCrypto, and pass, or fail when the
//! receipt was altered on its way to the browser. Screenshots are saved
//! under `target/screenshots/` for review.
//!
//! Skipped with a message where Chromium is not installed, unless
//! `SOVANG_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs it).

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var("SOVANG_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "Chromium is required (SOVANG_TEST_REQUIRE_BROWSER=1) but not installed"
        );
        eprintln!(
            "SKIPPED: Chromium is not installed (apt-get install chromium); browser tests need it"
        );
    }
    found
}

/// Loads `url` in headless Chromium, lets its scripts finish, and returns
/// the DOM; saves a screenshot as `shot` too.
async fn browse(browser: &str, url: &str, shot: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=15000",
    ];
    let run = |extra: Vec<String>| {
        let mut c = tokio::process::Command::new(browser);
        c.args(common)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .kill_on_drop(true);
        c
    };
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        run(vec!["--dump-dom".into()]).output(),
    )
    .await
    .expect("Chromium answered in time")
    .expect("run Chromium");
    let path = crate::driver::shots().join(shot);
    let _ = tokio::time::timeout(
        Duration::from_secs(90),
        run(vec![
            "--window-size=420,1500".into(),
            format!("--screenshot={}", path.display()),
        ])
        .output(),
    )
    .await;
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn states(dom: &str) -> Vec<String> {
    dom.split("data-state=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

async fn a_gift(app: &TestApp, clerk: &str, amount: &str) -> Value {
    app.record(
        "HN-VNN",
        clerk,
        "donation_cash",
        json!({"donor": {"display": "Nguyễn Thị Thu", "kind": "individual"},
        "amount_vnd": amount, "channel": "qr_transfer", "received_on": "2026-11-20"}),
    )
    .await
}

async fn the_receipt_page_verifies_in_the_browser(app: TestApp) {
    let Some(browser) = chromium() else { return };
    let clerk = app.with_fund().await;
    for _ in 0..4 {
        a_gift(&app, &clerk, "200000").await;
    }
    let gift = a_gift(&app, &clerk, "1500000").await;
    let code = gift["receipt"]["code"].as_str().unwrap();
    let root = app.base.trim_end_matches("/api/v1");
    let db = if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    };

    // The link on paper carries the fund key's id.
    let vkey = app.fund_view("HN-VNN").await["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let key_id = vkey.split('+').nth(1).unwrap().to_owned();
    assert_eq!(
        gift["receipt"]["url"].as_str().map(|u| u.contains("/r/")),
        Some(true)
    );
    let dom = browse(
        browser,
        &format!("{root}/r/{code}?k={key_id}"),
        &format!("receipt-{db}.png"),
    )
    .await;
    assert!(dom.contains("data-result=\"verified\""), "{dom}");
    assert_eq!(states(&dom)[..7], ["pass"; 7]);
    assert_eq!(states(&dom)[7], "skip", "no committee above HN");
    assert!(
        dom.contains(&format!("?k={key_id}")),
        "the QR link names the key: {dom}"
    );
    assert!(
        dom.contains(&format!("id=\"key-id\">{key_id}<")),
        "and so does the paper"
    );
    // A key other than the one on paper (a server that minted a new key
    // signs with it) fails, and says so.
    let dom = browse(
        browser,
        &format!("{root}/r/{code}?k=00000000"),
        &format!("receipt-other-key-{db}.png"),
    )
    .await;
    assert!(dom.contains("data-result=\"failed\""), "{dom}");
    assert_eq!(states(&dom)[6], "fail");
    assert!(dom.contains("trên giấy 00000000"), "{dom}");
    assert!(dom.contains("1.500.000&nbsp;₫"));
    assert!(dom.contains("Một triệu năm trăm nghìn đồng"));
    assert!(dom.contains("Biên nhận HN-VNN-2026-000005"));
    assert!(dom.contains("Hợp lệ"));
    assert!(dom.contains("<svg"), "a QR code");

    // In English, and once the gift is reversed, void with its reason.
    app.record(
        "HN-VNN",
        &clerk,
        "reversal",
        json!({"reverses_seq": gift["seq"], "reason": "Trả lại nhà hảo tâm"}),
    )
    .await;
    let dom = browse(
        browser,
        &format!("{root}/r/{code}?lang=en"),
        &format!("receipt-voided-en-{db}.png"),
    )
    .await;
    assert!(dom.contains("Receipt HN-VNN-2026-000005"), "{dom}");
    assert!(dom.contains("Voided: Trả lại nhà hảo tâm"), "{dom}");
    // Without the key id from paper, the page says it checked against
    // the key the server shows now, and which one to compare.
    assert!(
        dom.contains("data-result=\"verified-served\""),
        "a voided gift is still in the ledger: {dom}"
    );
    assert_eq!(states(&dom)[..6], ["pass"; 6]);
    assert_eq!(states(&dom)[6], "skip");
    assert!(
        dom.contains(&format!(
            "compare the key id printed on the receipt: {key_id}"
        )),
        "{dom}"
    );

    let page = app
        .client
        .get(format!("{root}/r/ZZZZZZZZZZZZ"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Không có biên nhận nào"));
}

/// A server between the donor and Sổ Vàng that alters the receipt's
/// canonical text on its way: the page's own check must fail.
async fn an_altered_receipt_fails_in_the_browser(app: TestApp) {
    let Some(browser) = chromium() else { return };
    let clerk = app.with_fund().await;
    let gift = a_gift(&app, &clerk, "1500000").await;
    let code = gift["receipt"]["code"].as_str().unwrap().to_owned();
    let upstream = app.base.trim_end_matches("/api/v1").to_owned();

    let forward = {
        let upstream = upstream.clone();
        move |uri: axum::http::Uri| {
            let upstream = upstream.clone();
            async move {
                let r = reqwest::get(format!("{upstream}{uri}"))
                    .await
                    .expect("upstream");
                let status = r.status().as_u16();
                let kind = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("text/plain")
                    .to_owned();
                let mut body = r.text().await.expect("upstream body");
                if uri.path().starts_with("/api/v1/receipts/") {
                    let mut v: Value = serde_json::from_str(&body).expect("receipt");
                    let canonical = v["canonical"]
                        .as_str()
                        .unwrap()
                        .replace("\"1500000\"", "\"15000000\"");
                    v["canonical"] = json!(canonical);
                    body = v.to_string();
                }
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [(axum::http::header::CONTENT_TYPE, kind)],
                    body,
                )
            }
        }
    };
    let proxy = axum::Router::new().fallback(axum::routing::get(forward));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, proxy).await });
    let db = if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let dom = browse(
        browser,
        &format!("http://{addr}/r/{code}"),
        &format!("receipt-altered-{db}.png"),
    )
    .await;
    server.abort();
    assert!(dom.contains("data-result=\"failed\""), "{dom}");
    let s = states(&dom);
    assert_eq!(s[0], "pass", "the proof was fetched");
    assert_eq!(
        s[1], "fail",
        "the altered text does not hash to the entry's hash: {s:?}"
    );
    assert!(dom.contains("Không xác minh được biên nhận này"));
}

async fn the_statement_is_searched_without_diacritics_in_the_browser(app: TestApp) {
    let Some(browser) = chromium() else { return };
    let clerk = app.with_fund().await;
    for (name, amount) in [
        ("Nguyễn Văn An", "1500000"),
        ("Đỗ Thị Hường", "700000"),
        ("Nguyễn Văn Anh", "200000"),
    ] {
        app.record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": name, "kind": "individual"},
            "amount_vnd": amount, "channel": "bank_transfer", "received_on": "2026-11-02"}),
        )
        .await;
    }
    let root = app.base.trim_end_matches("/api/v1");
    let db = if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let dom = browse(
        browser,
        &format!("{root}/f/HN-VNN/sao-ke?q=do+thi+huong"),
        &format!("saoke-search-{db}.png"),
    )
    .await;
    assert!(
        dom.contains("Đỗ Thị Hường") && !dom.contains("Nguyễn Văn An"),
        "{dom}"
    );
    assert!(
        dom.contains("1 khoản ủng hộ, tổng cộng 700.000&nbsp;₫"),
        "{dom}"
    );
    let dom = browse(
        browser,
        &format!("{root}/f/HN-VNN?lang=en"),
        &format!("fund-en-{db}.png"),
    )
    .await;
    assert!(
        dom.contains("Statement of gifts") && dom.contains("2.400.000&nbsp;₫"),
        "{dom}"
    );
    assert!(dom.contains("id=\"lang-switch\">Tiếng Việt"), "{dom}");
    browse(browser, &format!("{root}/"), &format!("home-{db}.png")).await;
}

/// A gift found in the public statement of gifts, by its bank reference,
/// is checked in the browser on its own page, with no receipt code.
async fn a_gift_found_by_bank_reference_verifies_in_the_browser(app: TestApp) {
    let Some(browser) = chromium() else { return };
    let clerk = app.with_fund().await;
    let gift = app
        .record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "Nhà hảo tâm", "kind": "individual"},
            "amount_vnd": "350000", "channel": "bank_transfer", "received_on": "2026-11-20",
            "bank_ref": "FT26324777777"}),
        )
        .await;
    app.signed("HN-VNN").await;
    let root = app.base.trim_end_matches("/api/v1");
    let db = if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    // The statement of gifts, searched by bank reference, links the gift.
    let dom = browse(
        browser,
        &format!("{root}/f/HN-VNN/sao-ke?bank_ref=FT26324777777"),
        &format!("saoke-bank-ref-{db}.png"),
    )
    .await;
    let href = format!("/f/HN-VNN/g/{}", gift["seq"]);
    assert!(dom.contains(&href), "{dom}");
    assert!(dom.contains("FT26324777777"));
    let dom = browse(
        browser,
        &format!("{root}{href}"),
        &format!("gift-by-seq-{db}.png"),
    )
    .await;
    assert!(dom.contains("data-result=\"verified-served\""), "{dom}");
    assert_eq!(states(&dom)[..6], ["pass"; 6]);
    assert!(
        !dom.contains("<svg"),
        "no QR: the receipt's code stays the donor's"
    );
    let code = gift["receipt"]["code"].as_str().expect("code");
    assert!(!dom.contains(code), "the verification code is not shown");
}

/// A commune's receipt shows, checked in the browser, that the province
/// vouched for the checkpoint it is proved in.
async fn the_province_s_cosignature_is_checked_in_the_browser(app: TestApp) {
    let Some(browser) = chromium() else { return };
    let app = crate::witness::with_pusher_every(app, 20).await;
    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    app.fund("PX-VNN", "PX").await;
    let clerk = app.token("clerk", "PX").await;
    let gift = app
        .record(
            "PX-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "Nguyễn Thị Thu", "kind": "individual"},
                   "amount_vnd": "300000", "channel": "cash", "received_on": crate::helpers::today_vn()}),
        )
        .await;
    let code = gift["receipt"]["code"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = app.get(&format!("/receipts/{code}")).await.body;
        if r["witness_status"] == "met" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{r}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let root = app.base.trim_end_matches("/api/v1");
    let db = if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let dom = browse(
        browser,
        &format!("{root}/r/{code}"),
        &format!("receipt-witnessed-{db}.png"),
    )
    .await;
    assert!(dom.contains("data-result=\"verified-served\""), "{dom}");
    let s = states(&dom);
    assert_eq!(s[..6], ["pass"; 6], "{s:?}");
    assert_eq!(s[7], "pass", "the cosignature verified: {s:?}");
    assert!(
        dom.contains("sovang.local/committee/HN"),
        "who vouched is named"
    );
}

crate::both!(
    the_province_s_cosignature_is_checked_in_the_browser,
    the_statement_is_searched_without_diacritics_in_the_browser,
    the_receipt_page_verifies_in_the_browser,
    an_altered_receipt_fails_in_the_browser,
    a_gift_found_by_bank_reference_verifies_in_the_browser
);
