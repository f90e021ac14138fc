//! The console and the public pages driven in headless Chromium through
//! WebDriver, as people use them: typing, choosing, clicking. A clerk
//! signs in, gets an amount wrong, corrects it, records the gift and
//! prints its receipt; an approver approves; a reader switches language.
//! Screenshots (and the printed receipt, as PDF) are saved under
//! `target/screenshots/` for review.

use sha2::Digest;

use crate::console::user;
use crate::driver::Driver;
use crate::helpers::TestApp;

fn db(app: &TestApp) -> &'static str {
    if app.db.pg.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

async fn sign_in(d: &Driver, root: &str, username: &str) {
    d.goto(&format!("{root}/login")).await;
    d.find("#username").await.fill(username).await;
    d.find("#password").await.fill("mật khẩu dài 123").await;
    d.find("form button[type=submit]").await.click().await;
    d.wait_for("return location.pathname === '/console'").await;
}

async fn a_clerk_records_a_gift_and_prints_its_receipt(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);

    // A wrong password first.
    d.goto(&format!("{root}/login")).await;
    d.find("#username").await.fill("lan").await;
    d.find("#password").await.fill("sai mật khẩu").await;
    d.find("form button[type=submit]").await.click().await;
    assert!(d.find("#login-error").await.text().await.len() > 5);
    sign_in(&d, &root, "lan").await;
    d.screenshot(&format!("console-clerk-{db}.png")).await;

    d.find("a[href^='/console/f/HN-VNN/gift']")
        .await
        .click()
        .await;
    d.wait_for("return document.getElementById('amount_vnd') !== null")
        .await;
    let size = app.size("HN-VNN").await;
    d.find("#donor_display")
        .await
        .fill("Bà Nguyễn Thị Tư")
        .await;
    d.find("#amount_vnd").await.fill("1.500.00").await;
    d.find("#channel option[value=bank_transfer]")
        .await
        .click()
        .await;
    d.find("#submit").await.click().await;
    let error = d.find("#amount_vnd-error").await.text().await;
    assert!(error.starts_with("Nhập số đồng bằng chữ số"), "{error}");
    assert_eq!(
        d.find("#donor_display").await.value().await,
        "Bà Nguyễn Thị Tư",
        "the form keeps what was typed"
    );
    d.screenshot(&format!("gift-form-error-{db}.png")).await;
    assert_eq!(app.size("HN-VNN").await, size, "nothing recorded");

    d.find("#amount_vnd").await.fill("1.500.000").await;
    d.find("#submit").await.click().await;
    d.wait_for("return location.pathname.startsWith('/r/')")
        .await;
    d.wait_for("return document.querySelector('[data-result]') !== null && document.querySelector('[data-result]').dataset.result === 'verified'").await;
    let page = d.source().await;
    assert!(
        page.contains("1.500.000&nbsp;₫")
            && page.contains("Bà Nguyễn Thị Tư")
            && page.contains("Một triệu năm trăm nghìn đồng"),
        "{page}"
    );
    assert_eq!(app.size("HN-VNN").await, size + 1);
    d.screenshot(&format!("gift-receipt-{db}.png")).await;

    // Printed on A5: one page.
    let pdf = d.print_a5(&format!("gift-receipt-{db}.pdf")).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&pdf);
    let count = text
        .split("/Count ")
        .nth(1)
        .and_then(|c| c.split(|ch: char| !ch.is_ascii_digit()).next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(count, "1", "the receipt fits one A5 page");
    assert!(
        text.contains("/MediaBox [0 0 419.") || text.contains("/MediaBox [0 0 420"),
        "A5 paper"
    );

    // Sign out.
    d.goto(&format!("{root}/console")).await;
    d.find("form[action^='/logout'] button").await.click().await;
    d.wait_for("return location.pathname === '/'").await;
    d.goto(&format!("{root}/console")).await;
    d.wait_for("return location.pathname === '/login'").await;
}

async fn an_approver_approves_a_pending_distribution(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    user(&app, "minh", "approver", "HN").await;
    crate::console::pending_house(&app, &clerk, "nha-1").await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    sign_in(&d, &root, "minh").await;
    d.find("a[href^='/console/f/HN-VNN/pending']")
        .await
        .click()
        .await;
    d.find("form[action^='/console/f/HN-VNN/approve?'] input[name=decision_ref]")
        .await
        .fill("Họp thường trực 20/11")
        .await;
    d.screenshot(&format!("pending-{db}.png")).await;
    d.find("form[action^='/console/f/HN-VNN/approve?'] button")
        .await
        .click()
        .await;
    let message = d.find("#message").await.text().await;
    assert!(message.contains("nha-1"), "{message}");
    d.screenshot(&format!("approved-{db}.png")).await;
    let approved = app
        .get("/funds/HN-VNN/distributions?status=approved")
        .await
        .body;
    assert_eq!(approved["distributions"][0]["distribution_id"], "nha-1");
    assert_eq!(approved["distributions"][0]["approved_by"], "us-minh");
    let size = app.size("HN-VNN").await;
    let approval = app
        .get(&format!("/funds/HN-VNN/entries/{}", size - 1))
        .await;
    assert!(
        approval.body["canonical"]
            .as_str()
            .unwrap()
            .contains("\"decision_ref\":\"Họp thường trực 20/11\""),
        "{}",
        approval.text
    );
}

async fn a_reader_switches_language(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    app.with_fund().await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    d.goto(&format!("{root}/f/HN-VNN")).await;
    d.wait_for("return document.documentElement.lang === 'vi'")
        .await;
    assert!(d.source().await.contains("Số dư"));
    d.find("#lang-switch").await.click().await;
    d.wait_for("return document.documentElement.lang === 'en'")
        .await;
    let english = d.source().await;
    assert!(
        english.contains("Balance") && english.contains("Where the money went"),
        "{english}"
    );
    d.screenshot(&format!("fund-switched-en-{db}.png")).await;
    // Links keep the language.
    d.find("a[href^='/f/HN-VNN/sao-ke']").await.click().await;
    d.wait_for(
        "return location.pathname === '/f/HN-VNN/sao-ke' && document.documentElement.lang === 'en'",
    )
    .await;
    d.find("#lang-switch").await.click().await;
    d.wait_for("return document.documentElement.lang === 'vi'")
        .await;
    assert!(d.url().await.contains("/f/HN-VNN/sao-ke"));
}

/// A reader who follows a wrong link, on a phone and on a desktop, sees
/// the site's header, what was not found with the code they asked for,
/// and the way back, all inside the screen with nothing to scroll sideways.
async fn a_wrong_link_shows_what_was_not_found_on_a_phone_and_a_desktop(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    app.with_fund().await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    for (width, name) in [(375, "phone"), (1280, "desktop")] {
        d.resize(width, 900).await;
        d.goto(&format!("{root}/f/HN-VNN/c/dot-khong-co")).await;
        d.wait_for("return document.readyState === 'complete'")
            .await;
        let seen = d
            .eval(
                "const inside = e => { const r = e.getBoundingClientRect(); \
                   return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && r.top < window.innerHeight; }; \
                 return { overflow: document.documentElement.scrollWidth > window.innerWidth, \
                   width: window.innerWidth, \
                   header: inside(document.querySelector('header')), \
                   heading: inside(document.querySelector('h1')), \
                   detail: inside(document.querySelector('#error-detail')), \
                   text: document.querySelector('#error-detail').innerText, \
                   back: inside(document.querySelector('main a[href^=\"/?lang=\"]')) };",
            )
            .await;
        assert_eq!(seen["overflow"], false, "{name}: {seen}");
        for part in ["header", "heading", "detail", "back"] {
            assert_eq!(seen[part], true, "{name}: {part} is not in view: {seen}");
        }
        assert!(
            seen["text"]
                .as_str()
                .is_some_and(|t| t.contains("“dot-khong-co”")),
            "{name}: {seen}"
        );
        d.screenshot(&format!("not-found-{name}-{db}.png")).await;
    }
}

/// The scanned handover record stays on the clerk's computer: the page
/// hashes it and only the digest reaches the ledger.
async fn a_handover_scan_is_hashed_in_the_browser(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    crate::console::pending_house(&app, &clerk, "nha-1").await;
    // Another household, registered and paid by two other clerks: the
    // first clerk's day and ho-1's pending house would make it wait.
    let registrar = app.token("clerk", "HN").await;
    let clerk2 = app.token("clerk", "HN").await;
    app.record_batch("HN-VNN", &registrar, vec![serde_json::json!({"kind": "household_registered",
        "body": {"household_id": "ho-2", "commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 2, "review_year": 2026},
        "private": {"head_name": "Lê Thị Chín", "cccd": "001085000555", "address": "Thôn 1"}})]).await;
    let tet = app
        .record(
            "HN-VNN",
            &clerk2,
            "distribution",
            serde_json::json!({"distribution_id": "tet-1", "household_id": "ho-2",
            "support_type": "tet_gift", "cash_vnd": "500000", "decision_ref": "QĐ 10"}),
        )
        .await;
    assert!(tet["canonical"].as_str().unwrap().contains("\"approved\""));
    let scan = tempfile::NamedTempFile::new().expect("scan file");
    std::fs::write(
        scan.path(),
        b"%PDF-1.4 bien ban ban giao, ho-1, 500.000 dong",
    )
    .expect("write scan");
    let want = hex::encode(sha2::Sha256::digest(
        std::fs::read(scan.path()).expect("read scan"),
    ));
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    sign_in(&d, &root, "lan").await;
    d.goto(&format!("{root}/console/f/HN-VNN/acknowledgement"))
        .await;
    d.find("#distribution_id").await.fill("tet-1").await;
    d.find("#method option[value=thumbprint]")
        .await
        .click()
        .await;
    d.find("#evidence_sha256")
        .await
        .type_text(&scan.path().display().to_string())
        .await;
    d.wait_for("return document.getElementById('evidence_sha256-digest').value.length === 64")
        .await;
    d.screenshot(&format!("handover-{}.png", db(&app))).await;
    d.find("#submit").await.click().await;
    let message = d.find("#message").await.text().await;
    assert!(message.contains("biên bản bàn giao"), "{message}");
    let size = app.size("HN-VNN").await;
    let entry = app
        .get(&format!("/funds/HN-VNN/entries/{}", size - 1))
        .await;
    let canonical = entry.body["canonical"].as_str().unwrap();
    assert!(
        canonical.contains(&format!("\"evidence_sha256\":\"{want}\"")),
        "{canonical}"
    );
    assert!(
        !canonical.contains("bien ban"),
        "the file itself is never sent"
    );
}

/// Of the elements `css` selects on the page: how many, and those not
/// wholly inside the screen's width; and whether the page scrolls
/// sideways.
async fn fit(d: &Driver, css: &str) -> serde_json::Value {
    d.eval(&format!(
        "const inside = e => {{ const r = e.getBoundingClientRect(); \
           return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; }}; \
         const all = Array.from(document.querySelectorAll({css:?})); \
         return {{ width: window.innerWidth, count: all.length, \
           overflow: document.documentElement.scrollWidth > window.innerWidth, \
           outside: all.filter(e => !inside(e)).map(e => e.outerHTML.slice(0, 160)) }};"
    ))
    .await
}

/// Nothing to scroll sideways, and each of `min` or more controls inside
/// the screen's width.
fn assert_fits(seen: &serde_json::Value, min: u64, what: &str) {
    assert_eq!(seen["overflow"], false, "{what}: {seen}");
    assert_eq!(seen["outside"], serde_json::json!([]), "{what}: {seen}");
    assert!(seen["count"].as_u64().unwrap_or(0) >= min, "{what}: {seen}");
}

/// The console pages of SPEC §9 on a phone (375 px) and a desktop: the
/// sign-in form, an approver's pending outflows with their boxes and
/// buttons, an admin's tokens with their revoke buttons. Every control
/// is inside the screen, nothing scrolls sideways, and on the phone the
/// approver ticks two rows and approves them at once.
async fn the_console_s_approvals_and_tokens_fit_a_phone(app: TestApp) {
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    user(&app, "minh", "approver", "HN").await;
    user(&app, "hoa", "admin", "HN").await;
    crate::console::pending_house(&app, &clerk, "nha-1").await;
    app.record(
        "HN-VNN",
        &clerk,
        "expense",
        serde_json::json!({"category": "transport", "amount_vnd": "300000", "decision_ref": "Phiếu chi 1"}),
    )
    .await;
    for _ in 0..3 {
        app.token("clerk", "HN").await;
    }
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    let widths = [(1280, "desktop"), (375, "phone")];
    for (width, name) in widths {
        d.resize(width, 900).await;
        d.goto(&format!("{root}/login")).await;
        let seen = fit(&d, "main input:not([type=hidden]), main button").await;
        assert_fits(&seen, 3, &format!("sign-in, {name}"));
        d.screenshot(&format!("login-{name}-{db}.png")).await;
    }
    sign_in(&d, &root, "minh").await;
    for (width, name) in widths {
        d.resize(width, 900).await;
        d.goto(&format!("{root}/console/f/HN-VNN/pending")).await;
        let seen = fit(
            &d,
            "main input[type=checkbox], main button, main input[name=decision_ref], main input[name=reason]",
        )
        .await;
        // Two boxes; the bulk button and its decision; the distribution's
        // approve and void, each with its text.
        assert_fits(&seen, 7, &format!("pending outflows, {name}"));
        d.screenshot(&format!("pending-{name}-{db}.png")).await;
    }
    d.find("main input[type=checkbox]").await.click().await;
    d.eval("document.querySelectorAll('main input[type=checkbox]')[1].click(); return null;")
        .await;
    d.find("#bulk input[name=decision_ref]")
        .await
        .fill("Họp thường trực 20/11")
        .await;
    d.find("#approve-many").await.click().await;
    d.find("#message").await;
    let waiting = app.get("/funds/HN-VNN/outflows?status=pending").await.body;
    assert_eq!(waiting["outflows"], serde_json::json!([]), "{waiting}");
    let waiting = app
        .get("/funds/HN-VNN/distributions?status=pending")
        .await
        .body;
    assert_eq!(waiting["distributions"], serde_json::json!([]), "{waiting}");
    d.screenshot(&format!("approved-many-phone-{db}.png")).await;

    d.clear_cookies().await;
    sign_in(&d, &root, "hoa").await;
    for (width, name) in widths {
        d.resize(width, 900).await;
        d.goto(&format!("{root}/console/tokens")).await;
        let seen = fit(&d, "main td button").await;
        assert_fits(&seen, 4, &format!("tokens, {name}"));
        d.screenshot(&format!("tokens-{name}-{db}.png")).await;
    }
}

/// The public pages on a phone (375 px) and a desktop: every amount and
/// figure, and every row of every table, is inside the screen's width,
/// and nothing scrolls sideways. Amounts keep "₫" on their line.
async fn the_public_pages_show_their_figures_on_a_phone(app: TestApp) {
    use serde_json::json;
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "tet-2027", "name": "Tết Nhân ái 2027", "kind": "tet",
               "starts_on": "2026-10-01", "ends_on": "2027-02-15", "window_reason": "Vận động cả năm", "target_vnd": "100000000"}),
    )
    .await;
    let gift = app
        .record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "Công ty Cổ phần Thương mại và Dịch vụ Hòa Phát Hà Nội", "kind": "organization"},
                   "amount_vnd": "1234567890", "channel": "bank_transfer", "received_on": "2026-11-02",
                   "campaign_id": "tet-2027"}),
        )
        .await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_in_kind",
        json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
               "items": [{"item": "QUA-TET", "quantity": "40", "unit": "gói",
                          "unit_value_vnd": "500000", "value_vnd": "20000000"}],
               "total_value_vnd": "20000000", "received_on": "2026-11-02"}),
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
    let registrar = app.token("clerk", "HN").await;
    app.record(
        "HN-VNN",
        &registrar,
        "distribution",
        json!({"household_id": "ho-1", "support_type": "tet_gift", "cash_vnd": "1000000",
               "items": [{"item": "QUA-TET", "quantity": "2", "unit": "gói"}], "decision_ref": "QĐ 1"}),
    )
    .await;
    // A receiving account and a bank statement taken in: the fund page
    // lists it, the gifts page links each gift to its proof.
    let acct = "0011001234567";
    let opened = app
        .post(
            "/funds/HN-VNN/bank-accounts",
            Some(&app.admin),
            &json!({"bank_bin": "970436", "account_no": acct,
                    "account_name": "UY BAN MAT TRAN TO QUOC VIET NAM THANH PHO HA NOI", "bank_name": "Vietcombank"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    let day = time::macros::date!(2026 - 11 - 05);
    let file = sovang::intake::statement::fixtures::statement(
        sovang::intake::statement::Layout::Vietcombank,
        acct,
        1_000_000,
        &[sovang::intake::statement::fixtures::FixtureLine {
            date: day,
            bank_ref: Some("5213.32435".into()),
            credit_vnd: 987_654_321,
            debit_vnd: 0,
            narrative: "IBFT CONG TY TNHH VAN TAI VA XAY DUNG MIEN BAC ung ho".into(),
        }],
    );
    let imported = app
        .client
        .post(format!(
            "{}/funds/HN-VNN/bank-statements?account={acct}",
            app.base
        ))
        .bearer_auth(&clerk)
        .body(file)
        .send()
        .await
        .expect("import");
    assert_eq!(imported.status(), 201);
    let imported: serde_json::Value = imported.json().await.expect("json");
    let bank_gift = imported["sealed_seq"].as_u64().expect("seq") - 1;
    let code = gift["receipt"]["code"].as_str().unwrap().to_owned();
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    let pages = [
        (
            "give",
            "/f/HN-VNN/ung-ho?campaign=tet-2027&amount_vnd=500000".to_owned(),
        ),
        ("poster", "/f/HN-VNN/ung-ho/in".to_owned()),
        ("bank-gift", format!("/f/HN-VNN/g/{bank_gift}")),
        ("home", "/".to_owned()),
        ("fund", "/f/HN-VNN".to_owned()),
        ("campaign", "/f/HN-VNN/c/tet-2027".to_owned()),
        ("gifts", "/f/HN-VNN/sao-ke".to_owned()),
        ("ledger", "/f/HN-VNN/so-cai".to_owned()),
        (
            "statement",
            "/f/HN-VNN/bao-cao?from=2026-01-01&to=2026-12-31".to_owned(),
        ),
        ("receipt", format!("/r/{code}")),
        ("tree", "/t/HN?period=2026".to_owned()),
        ("notice", "/f/HN-VNN/c/tet-2027/cong-khai".to_owned()),
    ];
    for (width, screen) in [(375, "phone"), (1280, "desktop")] {
        d.resize(width, 900).await;
        for (name, path) in &pages {
            d.goto(&format!("{root}{path}")).await;
            d.wait_for("return document.readyState === 'complete'")
                .await;
            let seen = fit(&d, "main td, main dd, main h1").await;
            assert_fits(&seen, 3, &format!("{name}, {screen}"));
            if name.starts_with("give") || name.starts_with("poster") {
                // The QR code is whole on the screen, and big enough to scan.
                let qr = fit(&d, "#vietqr svg").await;
                assert_fits(&qr, 1, &format!("{name} QR, {screen}"));
                let side = d
                    .eval("return document.querySelector('#vietqr svg').getBoundingClientRect().width;")
                    .await;
                assert!(
                    side.as_f64().unwrap_or(0.0) >= 150.0,
                    "{name}, {screen}: QR {side} px wide"
                );
            }
            // The charts fit the screen and say what their tables say.
            let charts = match *name {
                "fund" => 3,
                "campaign" => 1,
                _ => 0,
            };
            if charts > 0 {
                let seen = fit(&d, "main svg.chart").await;
                assert_fits(&seen, charts, &format!("{name} charts, {screen}"));
                let said = d
                    .eval(
                        "return Array.from(document.querySelectorAll('svg.chart')).map(svg => ({ \
                           id: svg.id, \
                           marks: Array.from(svg.querySelectorAll('.mark > title')).map(t => t.textContent), \
                           rows: Array.from(document.querySelectorAll('#' + svg.dataset.table + ' tbody tr')) \
                             .map(tr => tr.cells[0].textContent + ': ' + tr.cells[tr.cells.length - 1].textContent) }));",
                    )
                    .await;
                let said = said.as_array().cloned().unwrap_or_default();
                assert_eq!(said.len() as u64, charts, "{name}, {screen}: {said:?}");
                for c in &said {
                    assert_eq!(c["marks"], c["rows"], "{name}, {screen}: {c}");
                    assert_ne!(c["marks"], serde_json::json!([]), "{name}, {screen}: {c}");
                }
            }
            // No amount is split from its sign.
            let split = d
                .eval(
                    "return Array.from(document.querySelectorAll('main .num, main dd'))\
                       .filter(e => /\\d ₫/.test(e.textContent)).map(e => e.textContent);",
                )
                .await;
            assert_eq!(split, serde_json::json!([]), "{name}, {screen}: {split}");
            d.screenshot(&format!("public-{name}-{screen}-{db}.png"))
                .await;
        }
    }
}

/// A clerk on a phone takes a bank statement in from the console, sees
/// what it did, and settles the lines left in review: a debit as a
/// withdrawal, a credit naming an unknown reference as a gift.
async fn a_clerk_takes_a_statement_in_and_settles_its_lines_on_a_phone(app: TestApp) {
    use serde_json::json;
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    let acct = "0011001234567";
    let opened = app
        .post("/funds/HN-VNN/bank-accounts", Some(&app.admin), &json!({"bank_bin": "970436", "account_no": acct, "account_name": "UY BAN MTTQ HA NOI", "bank_name": "Vietcombank"}))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    app.record("HN-VNN", &clerk, "campaign_opened", json!({"campaign_id": "lu-2026", "name": "Cứu trợ lũ 2026", "kind": "disaster_relief", "starts_on": "2026-10-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm"})).await;
    use sovang::intake::statement::fixtures::{statement, FixtureLine};
    let line = |r: &str, credit: u64, debit: u64, n: &str| FixtureLine {
        date: time::macros::date!(2026 - 11 - 15),
        bank_ref: Some(r.into()),
        credit_vnd: credit,
        debit_vnd: debit,
        narrative: n.into(),
    };
    let file = tempfile::Builder::new()
        .suffix(".xlsx")
        .tempfile()
        .expect("file");
    std::fs::write(
        file.path(),
        statement(
            sovang::intake::statement::Layout::Bidv,
            acct,
            5_000_000,
            &[
                line(
                    "FT26319000001",
                    300_000,
                    0,
                    "CT tu 0351000646393 HOANG VAN NAM ung ho",
                ),
                line("FT26319000002", 450_000, 0, "SV QX77QX77 ung ho lu"),
                line("FT26319000003", 0, 2_000_000, "RUT TIEN MAT CHI TET"),
            ],
        ),
    )
    .expect("write");
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    d.resize(375, 900).await;
    sign_in(&d, &root, "lan").await;
    d.goto(&format!("{root}/console/f/HN-VNN/ngan-hang")).await;
    d.find("#file")
        .await
        .type_text(&file.path().display().to_string())
        .await;
    d.find("#upload button").await.click().await;
    d.wait_for("return document.getElementById('upload-result').dataset.status !== undefined")
        .await;
    let result = d.find("#upload-result").await.text().await;
    assert!(
        result.contains("BIDV: 3 dòng; 1 khoản ủng hộ mới") && result.contains("2 dòng chờ xử lý"),
        "{result}"
    );
    d.screenshot(&format!("bank-upload-phone-{}.png", db(&app)))
        .await;
    d.goto(&format!("{root}/console/f/HN-VNN/ngan-hang")).await;
    let seen = fit(
        &d,
        "main button, main select, main input:not([type=hidden])",
    )
    .await;
    assert_fits(&seen, 6, "the bank page on a phone");
    // The narrative is shown to the clerk.
    assert!(d.source().await.contains("RUT TIEN MAT CHI TET"));
    // The debit first (rows are by day, then id): settle it as a withdrawal.
    let size = app.size("HN-VNN").await;
    d.eval("document.querySelectorAll('#review tbody tr').forEach(tr => { \
        if (tr.textContent.includes('RUT TIEN')) { tr.querySelector('input[name=reason]').value = 'Tiền mặt cho quà Tết'; tr.querySelector('button').click(); } }); return true;").await;
    d.wait_for("return !!document.getElementById('message')")
        .await;
    d.eval("document.querySelectorAll('#review tbody tr').forEach(tr => { \
        if (tr.textContent.includes('QX77')) { tr.querySelector('select[name=campaign_id]').value = 'lu-2026'; tr.querySelector('input[name=reason]').value = 'Mã ghi nhầm'; tr.querySelector('button').click(); } }); return true;").await;
    // The withdrawal is proposed; it waits for a second person.
    d.wait_for("return document.querySelectorAll('#review tbody tr').length === 1 && !!document.querySelector('.proposed')")
        .await;
    assert!(d.source().await.contains("Chờ người duyệt"));
    // The approver, on a phone too, confirms it.
    user(&app, "minh", "approver", "HN").await;
    d.clear_cookies().await;
    sign_in(&d, &root, "minh").await;
    d.goto(&format!("{root}/console/f/HN-VNN/ngan-hang")).await;
    let seen = fit(&d, "main button").await;
    assert_fits(&seen, 2, "the approver's bank page on a phone");
    d.find("#review button[value=approve]").await.click().await;
    d.wait_for("return !!document.getElementById('no-review')")
        .await;
    d.screenshot(&format!("bank-settled-phone-{}.png", db(&app)))
        .await;
    assert_eq!(
        app.size("HN-VNN").await,
        size + 1,
        "the credit became a gift; the withdrawal is no entry"
    );
    let gifts = app.get("/funds/HN-VNN/donations?campaign=lu-2026").await;
    assert_eq!(
        gifts.body["donations"][0]["amount_vnd"], "450000",
        "{}",
        gifts.text
    );
}

/// The number of pages a PDF says it has.
fn pdf_pages(pdf: &[u8]) -> String {
    let text = String::from_utf8_lossy(pdf);
    text.split("/Count ")
        .nth(1)
        .and_then(|c| c.split(|ch: char| !ch.is_ascii_digit()).next())
        .unwrap_or_default()
        .to_owned()
}

/// A campaign's public notice, for the office's board: its figures on a
/// phone, and printed on one A4 page with households counted by hamlet,
/// the small hamlets merged.
async fn a_campaign_notice_fits_a_phone_and_prints_on_one_a4_page(app: TestApp) {
    use serde_json::json;
    let Some(d) = Driver::start().await else {
        return;
    };
    let clerk = app.with_fund().await;
    let giver = app.token("clerk", "HN").await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "bao-yagi", "name": "Ủng hộ đồng bào bị ảnh hưởng bởi bão số 3 (Yagi)",
               "kind": "disaster_relief", "starts_on": "2026-11-01", "ends_on": "2026-12-31",
               "target_vnd": "500000000"}),
    )
    .await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Công ty Hòa Phát", "kind": "organization"}, "amount_vnd": "200000000",
               "channel": "bank_transfer", "received_on": "2026-11-02", "campaign_id": "bao-yagi"}),
    )
    .await;
    // Five households in Thôn Đông, one each in two small hamlets.
    let mut households = Vec::new();
    for (i, hamlet) in [
        "Thôn Đông",
        "Thôn Đông",
        "Thôn Đông",
        "Thôn Đông",
        "Thôn Đông",
        "Xóm Bến",
        "Xóm Trại",
    ]
    .iter()
    .enumerate()
    {
        households.push(json!({"kind": "household_registered",
            "body": {"household_id": format!("ho-{i}"), "commune_code": "HN", "hamlet": hamlet,
                     "category": "poor", "members": 3, "review_year": 2026},
            "private": {"head_name": "Lê Văn Tám", "cccd": format!("00108500044{i}"), "address": hamlet}}));
    }
    app.record_batch("HN-VNN", &clerk, households).await;
    for i in 0..7 {
        app.record(
            "HN-VNN",
            &giver,
            "distribution",
            json!({"household_id": format!("ho-{i}"), "support_type": if i < 5 { "relief" } else { "house_repair" },
                   "cash_vnd": "2000000", "decision_ref": "QĐ 31", "campaign_id": "bao-yagi"}),
        )
        .await;
    }
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let db = db(&app);
    for (width, screen) in [(375, "phone"), (1280, "desktop")] {
        d.resize(width, 900).await;
        d.goto(&format!("{root}/f/HN-VNN/c/bao-yagi/cong-khai"))
            .await;
        d.wait_for("return document.readyState === 'complete'")
            .await;
        let seen = fit(&d, "main td, main dd, main h1").await;
        assert_fits(&seen, 10, &format!("notice, {screen}"));
        d.screenshot(&format!("notice-{screen}-{db}.png")).await;
    }
    let hamlets = d
        .eval("return Array.from(document.querySelectorAll('#places tbody tr')).map(r => r.cells[1].textContent + ': ' + r.cells[2].textContent);")
        .await;
    assert_eq!(
        hamlets,
        json!(["Cả xã: 7", "Thôn Đông: 5"]),
        "small hamlets never shown apart"
    );
    let body = d.source().await;
    assert!(
        !body.contains("Xóm Bến") && !body.contains("Lê Văn Tám"),
        "{body}"
    );
    assert!(body.contains("14.000.000"), "given: {body}");
    let pdf = d.print_a4(&format!("notice-{db}.pdf")).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert_eq!(pdf_pages(&pdf), "1", "the notice fits one A4 page");
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/MediaBox [0 0 595"), "A4 paper");

    // The committee's tree on a phone: its figures and its communes.
    d.resize(375, 900).await;
    d.goto(&format!("{root}/t/HN")).await;
    d.wait_for("return document.readyState === 'complete'")
        .await;
    let seen = fit(&d, "main td, main dd, main h1").await;
    assert_fits(&seen, 5, "tree, phone");
}

crate::both!(
    a_campaign_notice_fits_a_phone_and_prints_on_one_a4_page,
    the_public_pages_show_their_figures_on_a_phone,
    a_clerk_takes_a_statement_in_and_settles_its_lines_on_a_phone,
    the_console_s_approvals_and_tokens_fit_a_phone,
    a_wrong_link_shows_what_was_not_found_on_a_phone_and_a_desktop,
    a_handover_scan_is_hashed_in_the_browser,
    a_clerk_records_a_gift_and_prints_its_receipt,
    an_approver_approves_a_pending_distribution,
    a_reader_switches_language
);
