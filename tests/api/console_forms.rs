//! Every entry form of the console, as a clerk and an approver use them:
//! what each records, how each answers bad input (on the form, in the
//! user's language, with nothing recorded), and scopes.

use serde_json::{json, Value};

use crate::console::{hidden, user, Browser, Page};
use crate::helpers::TestApp;

/// Opens the form at `path` and sends `fields` with its CSRF token and a
/// fresh nonce; returns the answer and the nonce used.
async fn send(b: &mut Browser<'_>, path: &str, fields: &[(&str, &str)]) -> (Page, String) {
    let form = b.get(path).await;
    assert_eq!(form.status, 200, "{path}: {}", form.body);
    let (csrf, nonce) = (hidden(&form.body, "csrf"), hidden(&form.body, "nonce"));
    let p = resend(b, path, &csrf, &nonce, fields).await;
    (p, nonce)
}

async fn resend(
    b: &mut Browser<'_>,
    path: &str,
    csrf: &str,
    nonce: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut all = vec![("csrf", csrf), ("nonce", nonce)];
    all.extend_from_slice(fields);
    let action = path.split('?').next().unwrap_or(path);
    let lang = if path.contains("lang=en") {
        "?lang=en"
    } else {
        ""
    };
    b.post(&format!("{action}{lang}"), &all).await
}

/// The text of the inline error of field `name`, if any.
fn error_of(body: &str, name: &str) -> Option<String> {
    let marker = format!("id=\"{name}-error\">");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..].split("</span>").next()?.trim().to_owned())
}

/// The ledger's entries from `from` on, as their bodies.
async fn bodies_from(app: &TestApp, from: u64) -> Vec<Value> {
    let size = app.size("HN-VNN").await;
    let mut out = Vec::new();
    for seq in from..size {
        let e = app.get(&format!("/funds/HN-VNN/entries/{seq}")).await;
        let entry: Value = serde_json::from_str(e.body["canonical"].as_str().unwrap()).unwrap();
        out.push(entry);
    }
    out
}

async fn a_clerk_keeps_the_books_through_forms(app: TestApp) {
    app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    let mut b = Browser::new(&app);
    b.sign_in("lan", "mật khẩu dài 123").await;
    let console = b.get("/console").await;
    for slug in [
        "gift",
        "goods",
        "pledge",
        "household",
        "distribution",
        "acknowledgement",
        "reversal",
    ] {
        assert!(
            console.body.contains(&format!("/console/f/HN-VNN/{slug}?")),
            "{slug}: {}",
            console.body
        );
    }
    let start = app.size("HN-VNN").await;

    // A pledge, then its transfer reference for the bank message.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/pledge",
        &[
            ("donor_display", "Công ty CP Thép Hòa Phát"),
            ("donor_kind", "organization"),
            ("amount_vnd", "100.000.000"),
        ],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let pledges = app.get("/funds/HN-VNN/pledges").await.body;
    let reference = pledges["pledges"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        p.body
            .contains(&format!("id=\"highlight\">{reference}</p>")),
        "the page shows the reference {reference}: {}",
        p.body
    );
    assert_eq!(pledges["pledges"][0]["pledged_vnd"], "100000000");

    // A gift in kind, two lines, values worked out by the form.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/goods",
        &[
            ("donor_display", "Cửa hàng VLXD Minh Long"),
            ("donor_kind", "organization"),
            ("received_on", "2026-11-20"),
            ("item1_item", "xi-mang"),
            ("item1_description", "Xi măng PCB40"),
            ("item1_quantity", "100"),
            ("item1_unit", "bao"),
            ("item1_unit_value", "95.000"),
            ("item2_item", "GACH"),
            ("item2_quantity", "2500,5"),
            ("item2_unit", "viên"),
            ("item2_unit_value", "1.200"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let receipt = p.location.unwrap();
    assert!(receipt.starts_with("/r/"), "{receipt}");
    let page = b.get(&receipt).await;
    assert!(
        page.body.contains("Cửa hàng VLXD Minh Long") && page.body.contains("12.500.600\u{a0}₫"),
        "9.500.000 + 3.000.600: {}",
        page.body
    );
    let stock = app.get("/funds/HN-VNN/stock").await.body;
    assert!(
        stock.to_string().contains("\"XI-MANG\"") && stock.to_string().contains("2500.5"),
        "{stock}"
    );

    // A cash gift to spend.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/gift",
        &[
            ("donor_display", "Ông Trần Văn Bình"),
            ("donor_kind", "individual"),
            ("amount_vnd", "70 000 000 ₫"),
            ("channel", "cash"),
            ("received_on", "2026-11-20"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let gift_seq = app.size("HN-VNN").await - 1;

    // A household; its private record stays off the ledger.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/household",
        &[
            ("commune_code", "HN"),
            ("hamlet", "Thôn Đoài"),
            ("category", "poor"),
            ("members", "5"),
            ("review_year", "2026"),
            ("head_name", "Lê Thị Tám"),
            ("cccd", "001 085 000 444"),
            ("phone", "0912345678"),
            ("address", "Xóm 3, thôn Đoài"),
        ],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let household = p
        .body
        .split("id=\"highlight\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(!p.body.contains("Lê Thị Tám"), "{}", p.body);
    let registered = bodies_from(&app, app.size("HN-VNN").await - 1).await;
    let text = registered[0].to_string();
    assert_eq!(registered[0]["body"]["household_id"], household.as_str());
    assert!(
        !text.contains("Tám") && !text.contains("001085000444") && !text.contains("0912345678"),
        "{text}"
    );
    assert_eq!(
        registered[0]["body"]["commitment"].as_str().unwrap().len(),
        64
    );

    // A house: above the approval threshold, so it waits.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/distribution",
        &[
            ("household_id", &household),
            ("support_type", "house_new"),
            ("cash_vnd", "50.000.000"),
            ("decision_ref", "QĐ 12/QĐ-MTTQ"),
        ],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    assert!(p.body.contains("chờ người phê duyệt"), "{}", p.body);
    // A Tet gift of cash and rice-free cement, small, but to a household
    // the same person registered today: it waits for a second person
    // (SPEC §9), who approves it.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/distribution",
        &[
            ("household_id", &household),
            ("support_type", "tet_gift"),
            ("cash_vnd", "500.000"),
            ("item1_item", "XI-MANG"),
            ("item1_quantity", "2"),
            ("item1_unit", "bao"),
            ("item1_unit_value", "95000"),
            ("decision_ref", "QĐ 13/QĐ-MTTQ"),
        ],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let tet = p
        .body
        .split("id=\"highlight\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(p.body.contains("chờ người phê duyệt"), "{}", p.body);
    let approver = app.token("approver", "HN").await;
    app.record(
        "HN-VNN",
        &approver,
        "distribution_approved",
        json!({"distribution_id": tet}),
    )
    .await;

    // Its handover, with the scan's digest computed in the browser.
    let digest = "ab".repeat(32);
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/acknowledgement",
        &[
            ("distribution_id", &tet),
            ("method", "thumbprint"),
            ("acknowledged_on", "2026-11-21"),
            ("evidence_sha256", &digest),
        ],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    // A second handover of the same distribution breaks a rule: said in
    // Vietnamese on the field, nothing recorded.
    let size = app.size("HN-VNN").await;
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/acknowledgement",
        &[
            ("distribution_id", &tet),
            ("method", "signature"),
            ("acknowledged_on", "2026-11-21"),
        ],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        error_of(&p.body, "distribution_id")
            .unwrap()
            .starts_with("Khoản hỗ trợ đã có biên bản bàn giao."),
        "{}",
        p.body
    );
    assert_eq!(app.size("HN-VNN").await, size);

    // A reversal of the cash gift, then of it again.
    let seq = gift_seq.to_string();
    let reason = "Ghi nhầm: tiền của đợt sau";
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/reversal",
        &[("reverses_seq", &seq), ("reason", reason)],
    )
    .await;
    // The Tet gift and the pending house leave too little to reverse
    // the 70,000,000 gift: the fund may not go below zero.
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        error_of(&p.body, "reverses_seq")
            .unwrap()
            .starts_with("Hủy bút toán này sẽ làm quỹ âm."),
        "{}",
        p.body
    );
    let goods_seq = (start + 1).to_string();
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/reversal",
        &[("reverses_seq", &goods_seq), ("reason", reason)],
    )
    .await;
    assert_eq!(p.status, 422, "the cement is partly given: {}", p.body);
    let pledge_seq = start.to_string();
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/reversal",
        &[("reverses_seq", &pledge_seq), ("reason", reason)],
    )
    .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/reversal",
        &[("reverses_seq", &pledge_seq), ("reason", reason)],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(
        error_of(&p.body, "reverses_seq")
            .unwrap()
            .starts_with("Bút toán này đã bị hủy trước đó."),
        "{}",
        p.body
    );

    let written = bodies_from(&app, start).await;
    let kinds: Vec<&str> = written
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "pledge",
            "donation_in_kind",
            "donation_cash",
            "household_registered",
            "distribution",
            "distribution",
            "distribution_approved",
            "distribution_acknowledged",
            "reversal"
        ]
    );
    for e in &written {
        if e["kind"] != "distribution_approved" {
            assert_eq!(e["actor"], "us-lan", "{e}");
        }
    }
    assert_eq!(written[1]["body"]["total_value_vnd"], "12500600");
    assert_eq!(written[4]["body"]["status"], "pending");
    assert_eq!(written[5]["body"]["items"][0]["value_vnd"], "190000");
    assert_eq!(written[7]["body"]["evidence_sha256"], digest.as_str());
    assert_eq!(written[8]["body"]["reason"], reason);
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent("HN-VNN", &inspector).await;
}

/// A form, the fields sent, and the field that must show an error.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

async fn every_form_answers_bad_input_inline_and_records_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    app.committee("HP", None).await;
    user(&app, "lan", "clerk", "HN").await;
    user(&app, "hai", "clerk", "HP").await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Bà Tư", "kind": "individual"},
        "amount_vnd": "1000000", "channel": "cash", "received_on": "2026-11-02"}),
    )
    .await;
    let mut b = Browser::new(&app);
    b.sign_in("lan", "mật khẩu dài 123").await;
    let size = app.size("HN-VNN").await;
    let long = "x".repeat(201);
    // (form, fields sent, field that must show an error)
    let cases: Vec<Case> = vec![
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "-5"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "amount_vnd",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "1,5"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "amount_vnd",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "0"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "amount_vnd",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "99999999999999999999"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "amount_vnd",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "5000"),
                ("channel", "cheque"),
                ("received_on", "2026-11-02"),
            ],
            "channel",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "5000"),
                ("channel", "cash"),
                ("received_on", "2099-01-01"),
            ],
            "received_on",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "5000"),
                ("channel", "cash"),
                ("received_on", "2026-02-30"),
            ],
            "received_on",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "martian"),
                ("amount_vnd", "5000"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "donor_kind",
        ),
        (
            "gift",
            vec![
                ("donor_display", &long),
                ("donor_kind", "individual"),
                ("amount_vnd", "5000"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
            ],
            "donor_display",
        ),
        (
            "gift",
            vec![
                ("donor_kind", "individual"),
                ("amount_vnd", "5000"),
                ("channel", "cash"),
                ("received_on", "2026-11-02"),
                ("campaign_id", "khong-co"),
            ],
            "campaign_id",
        ),
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "GAO"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "20000"),
            ],
            "item1_quantity",
        ),
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "GAO"),
                ("item1_quantity", "-3"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "20000"),
            ],
            "item1_quantity",
        ),
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "gạo tẻ"),
                ("item1_quantity", "3"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "20000"),
            ],
            "item1_item",
        ),
        // A quantity with a dot: 1.500 is refused, not read as 1.5.
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "GAO"),
                ("item1_quantity", "1.500"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "20000"),
            ],
            "item1_quantity",
        ),
        // An empty line between two lines of goods.
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "GAO"),
                ("item1_quantity", "3"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "20000"),
                ("item3_item", "MUOI"),
                ("item3_quantity", "3"),
                ("item3_unit", "kg"),
                ("item3_unit_value", "5000"),
            ],
            "item3_item",
        ),
        // A value too large to hold: refused, not a crash.
        (
            "goods",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("received_on", "2026-11-02"),
                ("item1_item", "GAO"),
                ("item1_quantity", "99999999999999999999999"),
                ("item1_unit", "kg"),
                ("item1_unit_value", "999.999.999.999"),
            ],
            "item1_quantity",
        ),
        (
            "pledge",
            vec![
                ("donor_display", "A"),
                ("donor_kind", "individual"),
                ("amount_vnd", "12.5"),
            ],
            "amount_vnd",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("hamlet", "Thôn 1"),
                ("category", "poor"),
                ("members", "1.5"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "001085000444"),
                ("address", "Thôn 1"),
            ],
            "members",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("hamlet", "Thôn 1"),
                ("category", "poor"),
                ("members", "4"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "12345"),
                ("address", "Thôn 1"),
            ],
            "cccd",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("hamlet", "Thôn 1"),
                ("category", "poor"),
                ("members", "0"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "001085000444"),
                ("address", "Thôn 1"),
            ],
            "members",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("category", "poor"),
                ("members", "4"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "001085000444"),
                ("address", "Thôn 1"),
            ],
            "hamlet",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("hamlet", "Thôn 1"),
                ("category", "rich"),
                ("members", "4"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "001085000444"),
                ("address", "Thôn 1"),
            ],
            "category",
        ),
        (
            "household",
            vec![
                ("commune_code", "HN"),
                ("hamlet", "Thôn 1"),
                ("category", "poor"),
                ("members", "4"),
                ("review_year", "2026"),
                ("head_name", "Lê Văn A"),
                ("cccd", "001085000444"),
                ("phone", "12"),
                ("address", "Thôn 1"),
            ],
            "phone",
        ),
        (
            "distribution",
            vec![
                ("household_id", "khong-co"),
                ("support_type", "tet_gift"),
                ("cash_vnd", "500000"),
                ("decision_ref", "QĐ 1"),
            ],
            "household_id",
        ),
        (
            "distribution",
            vec![
                ("household_id", "ho-1"),
                ("support_type", "tet_gift"),
                ("cash_vnd", "500000"),
            ],
            "decision_ref",
        ),
        (
            "acknowledgement",
            vec![
                ("distribution_id", "khong-co"),
                ("method", "signature"),
                ("acknowledged_on", "2026-11-02"),
            ],
            "distribution_id",
        ),
        (
            "acknowledgement",
            vec![
                ("distribution_id", "d-1"),
                ("method", "signature"),
                ("acknowledged_on", "2026-11-02"),
                ("evidence_sha256", "not a digest"),
            ],
            "evidence_sha256",
        ),
        ("reversal", vec![("reverses_seq", "1")], "reason"),
        (
            "reversal",
            vec![("reverses_seq", "abc"), ("reason", "x")],
            "reverses_seq",
        ),
        (
            "reversal",
            vec![("reverses_seq", "999"), ("reason", "x")],
            "reverses_seq",
        ),
        (
            "reversal",
            vec![("reverses_seq", "0"), ("reason", "x")],
            "reverses_seq",
        ),
    ];
    for (form, fields, field) in &cases {
        let (p, _) = send(&mut b, &format!("/console/f/HN-VNN/{form}"), fields).await;
        assert_eq!(p.status, 422, "{form} {fields:?}: {}", p.body);
        assert!(
            error_of(&p.body, field).is_some(),
            "{form}: an error on {field}: {}",
            p.body
        );
        assert!(p.body.contains("id=\"form-errors\""), "{}", p.body);
        // What was typed is kept, but for a choice not in the list.
        let choice = [
            "channel",
            "donor_kind",
            "category",
            "campaign_id",
            "evidence_sha256",
        ];
        for (_, v) in fields
            .iter()
            .filter(|(k, _)| !(choice.contains(k) && k == field))
        {
            let shown = v
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&#34;");
            assert!(
                p.body.contains(&shown) || p.body.contains(*v),
                "{form}: keeps {v:?}"
            );
        }
        assert_eq!(app.size("HN-VNN").await, size, "{form} {fields:?}");
    }

    // An empty form: every required field says so.
    let (p, _) = send(&mut b, "/console/f/HN-VNN/household", &[]).await;
    assert_eq!(p.status, 422);
    for f in [
        "hamlet",
        "category",
        "members",
        "head_name",
        "cccd",
        "address",
    ] {
        assert_eq!(
            error_of(&p.body, f).as_deref(),
            Some("Cần điền ô này."),
            "{f}"
        );
    }
    // In English, the errors are in English.
    let (p, _) = send(
        &mut b,
        "/console/f/HN-VNN/gift?lang=en",
        &[
            ("donor_kind", "individual"),
            ("amount_vnd", "abc"),
            ("channel", "cash"),
            ("received_on", "2026-11-02"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(
        error_of(&p.body, "amount_vnd")
            .unwrap()
            .starts_with("Enter whole đồng in digits"),
        "{}",
        p.body
    );

    // A form sent again under its nonce with other values: refused.
    let (first, nonce) = send(
        &mut b,
        "/console/f/HN-VNN/pledge",
        &[
            ("donor_display", "A"),
            ("donor_kind", "individual"),
            ("amount_vnd", "1000000"),
        ],
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let form = b.get("/console/f/HN-VNN/pledge").await;
    let csrf = hidden(&form.body, "csrf");
    let again = resend(
        &mut b,
        "/console/f/HN-VNN/pledge",
        &csrf,
        &nonce,
        &[
            ("donor_display", "A"),
            ("donor_kind", "individual"),
            ("amount_vnd", "1000000"),
        ],
    )
    .await;
    assert_eq!(again.status, 200, "a double click replays: {}", again.body);
    assert_eq!(again.body, first.body, "the same page");
    let other = resend(
        &mut b,
        "/console/f/HN-VNN/pledge",
        &csrf,
        &nonce,
        &[
            ("donor_display", "A"),
            ("donor_kind", "individual"),
            ("amount_vnd", "2000000"),
        ],
    )
    .await;
    assert_eq!(other.status, 422);
    assert!(other.body.contains("xin mở một mẫu mới"), "{}", other.body);
    assert_eq!(app.size("HN-VNN").await, size + 1);

    // Forged or missing CSRF tokens.
    let p = b
        .post(
            "/console/f/HN-VNN/household",
            &[("csrf", "forged"), ("nonce", "n1")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(b.post("/console/f/HN-VNN/reversal", &[]).await.status, 403);
    // No such form.
    assert_eq!(b.get("/console/f/HN-VNN/transfer").await.status, 404);
    assert_eq!(app.size("HN-VNN").await, size + 1);

    // Another committee's clerk reaches none of these forms.
    let mut other = Browser::new(&app);
    other.sign_in("hai", "mật khẩu dài 123").await;
    for form in [
        "goods",
        "pledge",
        "household",
        "distribution",
        "acknowledgement",
        "reversal",
    ] {
        assert_eq!(
            other.get(&format!("/console/f/HN-VNN/{form}")).await.status,
            403,
            "{form}"
        );
    }
    let stranger = other.get("/console").await;
    let csrf = hidden(&stranger.body, "csrf");
    let p = other
        .post(
            "/console/f/HN-VNN/reversal",
            &[
                ("csrf", &csrf),
                ("nonce", "n2"),
                ("reverses_seq", "1"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.size("HN-VNN").await, size + 1);
}

async fn approvers_void_pending_distributions(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "minh", "approver", "HN").await;
    crate::console::pending_house(&app, &clerk, "0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de").await;
    let mut b = Browser::new(&app);
    b.sign_in("minh", "mật khẩu dài 123").await;
    let p = b.get("/console/f/HN-VNN/pending").await;
    let (csrf, nonce) = (hidden(&p.body, "csrf"), hidden(&p.body, "nonce"));
    let size = app.size("HN-VNN").await;
    let no_reason = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("distribution_id", "0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de"),
        ("reason", " "),
    ];
    let p = b.post("/console/f/HN-VNN/void", &no_reason).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Không duyệt cần ghi lý do."), "{}", p.body);
    assert_eq!(app.size("HN-VNN").await, size);
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("distribution_id", "0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de"),
        ("reason", "Hộ đã được tỉnh hỗ trợ"),
    ];
    let p = b.post("/console/f/HN-VNN/void", &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // A long id makes a long nonce; a double click still voids once.
    let again = b.post("/console/f/HN-VNN/void", &form).await;
    assert_eq!(
        (again.status, again.location.as_deref()),
        (303, p.location.as_deref()),
        "a double click voids once: {}",
        again.body
    );
    let done = b.get(p.location.as_deref().unwrap()).await;
    assert!(
        done.body
            .contains("Đã hủy duyệt: 0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de"),
        "{}",
        done.body
    );
    assert_eq!(app.size("HN-VNN").await, size + 1);
    let d = app
        .get("/funds/HN-VNN/distributions?status=voided")
        .await
        .body;
    assert_eq!(
        d["distributions"][0]["distribution_id"],
        "0f8fad5b-d9cb-469f-a165-7e8c6b2fa1de"
    );
    // The money is free again.
    let f = app.get("/funds/HN-VNN").await.body;
    assert_eq!(f["available_vnd"], "60000000", "{f}");
    // A clerk may not void.
    assert_eq!(
        b.get("/console/f/HN-VNN/distribution").await.status,
        403,
        "an approver proposes nothing"
    );
}

/// The gift and pledge forms offer only the campaigns taking gifts
/// today; the distribution form offers every campaign not closed, since
/// what an ended campaign raised is still given out.
async fn gift_forms_offer_only_campaigns_in_their_window(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    for (id, starts, ends) in [
        ("da-qua", "2026-10-01", "2026-11-18"),
        ("dang-mo", "2026-10-01", "2099-12-31"),
    ] {
        app.record(
            "HN-VNN",
            &clerk,
            "campaign_opened",
            json!({"campaign_id": id, "name": format!("Đợt {id}"), "kind": "other",
                   "starts_on": starts, "ends_on": ends, "window_reason": "Nhận quanh năm"}),
        )
        .await;
    }
    let mut b = Browser::new(&app);
    b.sign_in("lan", "mật khẩu dài 123").await;
    for form in ["gift", "goods", "pledge"] {
        let p = b.get(&format!("/console/f/HN-VNN/{form}")).await;
        assert_eq!(p.status, 200, "{form}");
        assert!(p.body.contains("value=\"dang-mo\""), "{form}: {}", p.body);
        assert!(!p.body.contains("value=\"da-qua\""), "{form}: {}", p.body);
    }
    let p = b.get("/console/f/HN-VNN/distribution").await;
    assert!(
        p.body.contains("value=\"dang-mo\"") && p.body.contains("value=\"da-qua\""),
        "{}",
        p.body
    );
}

crate::both!(
    gift_forms_offer_only_campaigns_in_their_window,
    a_clerk_keeps_the_books_through_forms,
    every_form_answers_bad_input_inline_and_records_nothing,
    approvers_void_pending_distributions
);
