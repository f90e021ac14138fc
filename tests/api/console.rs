//! The staff console: sign-in, sessions, CSRF, the gift form with its
//! inline errors and a double-clicked submit, approvals, scopes.

use serde_json::json;

use crate::helpers::TestApp;

pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    root: String,
    cookie: Option<String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            root: app.base.trim_end_matches("/api/v1").to_owned(),
            cookie: None,
        }
    }

    async fn answer(&mut self, r: reqwest::Response) -> Page {
        if let Some(c) = r.headers().get("set-cookie") {
            let c = c.to_str().unwrap();
            assert!(
                c.contains("HttpOnly") && c.contains("SameSite=Strict"),
                "{c}"
            );
            self.cookie = Some(c.split(';').next().unwrap().to_owned());
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: r.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let mut req = self.client.get(format!("{}{path}", self.root));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        self.answer(r).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut req = self.client.post(format!("{}{path}", self.root)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        self.answer(r).await
    }

    /// Opens the sign-in form (its CSRF token comes in a cookie and in the
    /// form) and sends it.
    pub(crate) async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = hidden(&form.body, "login_csrf");
        self.post(
            "/login",
            &[
                ("login_csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Whether the browser holds a session (not just the sign-in form's
    /// cookie).
    pub(crate) fn signed_in(&self) -> bool {
        self.cookie
            .as_deref()
            .is_some_and(|c| !c.starts_with("sv_login="))
    }

    async fn size(&self) -> u64 {
        self.app.size("HN-VNN").await
    }
}

/// The value of a hidden input named `name` in a page.
/// The sign-in form's CSRF token and the cookie that carries it, for a
/// client that posts the form by hand.
pub(crate) async fn login_token(client: &reqwest::Client, root: &str) -> (String, String) {
    let form = client.get(format!("{root}/login")).send().await.unwrap();
    let cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = hidden(&form.text().await.unwrap(), "login_csrf");
    (cookie, token)
}

pub(crate) fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

pub(crate) async fn user(app: &TestApp, username: &str, role: &str, committee: &str) {
    let store = app.db.store().await;
    let hash = sovang::auth::hash_password("mật khẩu dài 123").unwrap();
    store
        .create_user(
            &format!("us-{username}"),
            username,
            &format!("Cán bộ {username}"),
            role,
            Some(committee),
            &hash,
            &sovang::store::AdminAction::cli(
                "user_created",
                username,
                "",
                serde_json::json!({"role": role}),
            ),
        )
        .await
        .unwrap();
    store.close().await;
}

async fn clerks_record_gifts_through_forms(app: TestApp) {
    app.with_fund().await;
    app.committee("HP", None).await;
    user(&app, "lan", "clerk", "HN").await;
    user(&app, "hai", "clerk", "HP").await;
    let mut b = Browser::new(&app);

    let p = b.get("/console").await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/login?lang=vi"))
    );
    let p = b.sign_in("lan", "wrong password").await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("id=\"login-error\""), "{}", p.body);
    assert!(!b.signed_in());
    let p = b.sign_in("nobody", "mật khẩu dài 123").await;
    assert_eq!(p.status, 401);
    let p = b.sign_in("lan", "mật khẩu dài 123").await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/console?lang=vi"))
    );
    let p = b.get("/console").await;
    assert!(p.body.contains("/console/f/HN-VNN/gift"), "{}", p.body);
    assert!(
        !p.body.contains("/pending"),
        "a clerk approves nothing: {}",
        p.body
    );

    let form = b.get("/console/f/HN-VNN/gift").await;
    assert_eq!(form.status, 200);
    let (csrf, nonce) = (hidden(&form.body, "csrf"), hidden(&form.body, "nonce"));
    let size = b.size().await;
    let gift = |csrf: &str, nonce: &str, amount: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("nonce".to_owned(), nonce.to_owned()),
            ("donor_display".to_owned(), "Bà Nguyễn Thị Tư".to_owned()),
            ("donor_kind".to_owned(), "individual".to_owned()),
            ("amount_vnd".to_owned(), amount.to_owned()),
            ("channel".to_owned(), "cash".to_owned()),
            ("received_on".to_owned(), "2026-11-20".to_owned()),
        ]
    };
    let send = |fields: Vec<(String, String)>| fields;
    // No CSRF token, or another: refused, nothing recorded.
    let fields = send(gift("forged", &nonce, "500000"));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(b.post("/console/f/HN-VNN/gift", &refs).await.status, 403);
    assert_eq!(
        b.post("/console/f/HN-VNN/gift", &refs[1..]).await.status,
        403
    );
    // A bad amount is answered on the form, which keeps what was typed.
    for bad in ["-5", "1,5", "abc", "10000000000000000"] {
        let fields = gift(&csrf, &nonce, bad);
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let p = b.post("/console/f/HN-VNN/gift", &refs).await;
        assert_eq!(p.status, 422, "{bad}: {}", p.body);
        assert!(
            p.body.contains("id=\"amount_vnd-error\""),
            "{bad}: {}",
            p.body
        );
        assert!(
            p.body.contains("Bà Nguyễn Thị Tư"),
            "the form keeps the donor"
        );
    }
    let fields = gift(&csrf, &nonce, "2026-13-45");
    let mut refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    refs[4] = ("amount_vnd", "100000");
    refs[6] = ("received_on", "2099-01-01");
    let p = b.post("/console/f/HN-VNN/gift", &refs).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"form-errors\""));
    assert_eq!(b.size().await, size, "refused forms recorded nothing");

    // A good gift, in the way people type amounts; clicked twice.
    let fields = gift(&csrf, &nonce, "1.500.000");
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let first = b.post("/console/f/HN-VNN/gift", &refs).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let receipt = first.location.clone().unwrap();
    assert!(receipt.starts_with("/r/"), "{receipt}");
    let second = b.post("/console/f/HN-VNN/gift", &refs).await;
    assert_eq!(
        second.location, first.location,
        "a double click lands on the same receipt"
    );
    assert_eq!(b.size().await, size + 1, "and records once");
    let page = b.get(&receipt).await;
    assert!(
        page.body.contains("1.500.000\u{a0}₫") && page.body.contains("Bà Nguyễn Thị Tư"),
        "{}",
        page.body
    );
    let entry = app.get(&format!("/funds/HN-VNN/entries/{size}")).await;
    assert!(entry.body["canonical"]
        .as_str()
        .unwrap()
        .contains("\"actor\":\"us-lan\""));

    // Another committee's clerk reaches neither the form nor the fund.
    let mut other = Browser::new(&app);
    other.sign_in("hai", "mật khẩu dài 123").await;
    assert_eq!(other.get("/console/f/HN-VNN/gift").await.status, 403);
    let p = other.get("/console").await;
    assert!(!p.body.contains("HN-VNN"), "{}", p.body);
    assert_eq!(
        b.get("/console/f/HN-VNN/pending").await.status,
        403,
        "a clerk does not approve"
    );

    // Signing out ends the session.
    let console = b.get("/console").await;
    let csrf = hidden(&console.body, "csrf");
    assert_eq!(b.post("/logout", &[("csrf", "forged")]).await.status, 403);
    let out = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/console").await.status, 303);
}

/// A poor household, a gift of 60,000,000 đồng, and a new house of
/// 50,000,000 for it, above the approval threshold: pending, as `id`.
pub(crate) async fn pending_house(app: &TestApp, clerk: &str, id: &str) {
    app.record_batch("HN-VNN", clerk, vec![json!({"kind": "household_registered",
        "body": {"household_id": "ho-1", "commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 4, "review_year": 2026},
        "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}})]).await;
    app.record(
        "HN-VNN",
        clerk,
        "donation_cash",
        json!({"donor": {"display": "Công ty Hòa Phát", "kind": "organization"},
        "amount_vnd": "60000000", "channel": "bank_transfer", "received_on": "2026-11-02"}),
    )
    .await;
    let house = app
        .record(
            "HN-VNN",
            clerk,
            "distribution",
            json!({"distribution_id": id, "household_id": "ho-1",
            "support_type": "house_new", "cash_vnd": "50000000", "decision_ref": "QĐ 9"}),
        )
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(house["canonical"].as_str().unwrap()).unwrap()
            ["body"]["status"],
        "pending"
    );
}

/// An approver ticks several pending outflows and approves them at once:
/// each its own entry, all or nothing.
async fn approvers_approve_several_outflows_at_once(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "minh", "approver", "HN").await;
    user(&app, "lan", "clerk", "HN").await;
    pending_house(&app, &clerk, "nha-1").await;
    let expense = app
        .record(
            "HN-VNN",
            &clerk,
            "expense",
            json!({"category": "transport", "amount_vnd": "300000", "decision_ref": "Phiếu chi 1"}),
        )
        .await;
    let house_seq = app
        .get("/funds/HN-VNN/distributions?status=pending")
        .await
        .body["distributions"][0]["seq"]
        .as_u64()
        .unwrap()
        .to_string();
    let expense_seq = expense["seq"].as_u64().unwrap().to_string();

    // A clerk may not approve, in bulk either.
    let mut c = Browser::new(&app);
    c.sign_in("lan", "mật khẩu dài 123").await;
    assert_eq!(c.get("/console/f/HN-VNN/pending").await.status, 403);

    let mut b = Browser::new(&app);
    b.sign_in("minh", "mật khẩu dài 123").await;
    let p = b.get("/console/f/HN-VNN/pending").await;
    assert!(
        p.body
            .contains(&format!("value=\"{house_seq}\" form=\"bulk\""))
            && p.body
                .contains(&format!("value=\"{expense_seq}\" form=\"bulk\""))
            && p.body.contains("expense ·"),
        "{}",
        p.body
    );
    let (csrf, nonce) = (hidden(&p.body, "csrf"), hidden(&p.body, "nonce"));
    let nonce = format!("{nonce}-many");
    let size = app.size("HN-VNN").await;
    // Nothing ticked, a seq that is not a number, one that waits for
    // nothing: each answered on the page, nothing recorded.
    for seqs in [vec![], vec!["hai"], vec![expense_seq.as_str(), "0"]] {
        let mut form = vec![("csrf", csrf.as_str()), ("nonce", nonce.as_str())];
        form.extend(seqs.iter().map(|s| ("seq", *s)));
        let p = b.post("/console/f/HN-VNN/approve-many", &form).await;
        assert_eq!(p.status, 422, "{seqs:?}: {}", p.body);
        assert!(p.body.contains("id=\"error\""), "{}", p.body);
        assert_eq!(app.size("HN-VNN").await, size, "{seqs:?}");
    }
    let forged = [
        ("csrf", "forged"),
        ("nonce", nonce.as_str()),
        ("seq", expense_seq.as_str()),
    ];
    assert_eq!(
        b.post("/console/f/HN-VNN/approve-many", &forged)
            .await
            .status,
        403
    );
    assert_eq!(app.size("HN-VNN").await, size);

    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", "bulk-1"),
        ("decision_ref", "Họp thường trực 20/11"),
        ("seq", house_seq.as_str()),
        ("seq", expense_seq.as_str()),
    ];
    let p = b.post("/console/f/HN-VNN/approve-many", &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.size("HN-VNN").await, size + 2, "one entry each");
    // The same form sent again records nothing more.
    let again = b.post("/console/f/HN-VNN/approve-many", &form).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(app.size("HN-VNN").await, size + 2);
    let done = b.get(p.location.as_deref().unwrap()).await;
    assert!(
        done.body.contains(&app.size("HN-VNN").await.to_string())
            || done.body.contains("id=\"message\"")
    );
    let f = app.fund_view("HN-VNN").await;
    assert_eq!(f["reserved_vnd"], "0");
    assert_eq!(f["totals"]["expenses_vnd"], "300000");
    assert_eq!(f["totals"]["distributed_cash_vnd"], "50000000");
    for seq in [size, size + 1] {
        let e = app.get(&format!("/funds/HN-VNN/entries/{seq}")).await.body;
        let e: serde_json::Value = serde_json::from_str(e["canonical"].as_str().unwrap()).unwrap();
        assert_eq!(e["kind"], "outflow_approved");
        assert_eq!(e["actor"], "us-minh");
        assert_eq!(e["body"]["decision_ref"], "Họp thường trực 20/11");
    }
}

async fn approvers_approve_pending_distributions(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "minh", "approver", "HN").await;
    pending_house(&app, &clerk, "nha-1").await;

    let mut b = Browser::new(&app);
    b.sign_in("minh", "mật khẩu dài 123").await;
    let console = b.get("/console?lang=en").await;
    assert!(
        console.body.contains("/console/f/HN-VNN/pending") && !console.body.contains("/gift"),
        "{}",
        console.body
    );
    let p = b.get("/console/f/HN-VNN/pending").await;
    assert!(
        p.body.contains("nha-1") && p.body.contains("50.000.000\u{a0}₫"),
        "{}",
        p.body
    );
    assert_eq!(
        b.get("/console/f/HN-VNN/gift").await.status,
        403,
        "an approver records no gifts"
    );
    let (csrf, nonce) = (hidden(&p.body, "csrf"), hidden(&p.body, "nonce"));
    let size = app.size("HN-VNN").await;
    let form = [
        ("csrf", "forged"),
        ("nonce", nonce.as_str()),
        ("distribution_id", "nha-1"),
        ("decision_ref", ""),
    ];
    assert_eq!(b.post("/console/f/HN-VNN/approve", &form).await.status, 403);
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("distribution_id", "khong-co"),
        ("decision_ref", ""),
    ];
    let p = b.post("/console/f/HN-VNN/approve", &form).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"error\""), "{}", p.body);
    assert_eq!(app.size("HN-VNN").await, size);
    let form = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("distribution_id", "nha-1"),
        ("decision_ref", "Họp thường trực 20/11"),
    ];
    let p = b.post("/console/f/HN-VNN/approve", &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let done = b.get(p.location.as_deref().unwrap()).await;
    assert!(
        done.body.contains("id=\"message\"") && !done.body.contains("nha-1 ·"),
        "{}",
        done.body
    );
    let d = app
        .get("/funds/HN-VNN/distributions?status=approved")
        .await
        .body;
    assert_eq!(d["distributions"][0]["distribution_id"], "nha-1");
    assert_eq!(d["distributions"][0]["approved_by"], "us-minh");
}

async fn inspectors_audit_a_fund_and_every_private_read_is_logged(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "thanh", "inspector", "HN").await;
    user(&app, "lan", "clerk", "HN").await;
    app.record_batch("HN-VNN", &clerk, vec![json!({"kind": "household_registered",
        "body": {"household_id": "ho-7", "commune_code": "HN", "hamlet": "Thôn 7", "category": "near_poor", "members": 3, "review_year": 2026},
        "private": {"head_name": "Hà Thị Bảy", "cccd": "001085000777", "address": "Thôn 7"}})]).await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_cash",
        json!({"donor": {"kind": "anonymous"},
        "amount_vnd": "80000000", "channel": "cash", "received_on": "2026-11-02"}),
    )
    .await;

    let mut clerk_browser = Browser::new(&app);
    clerk_browser.sign_in("lan", "mật khẩu dài 123").await;
    assert_eq!(
        clerk_browser.get("/console/f/HN-VNN/audit").await.status,
        403
    );

    let mut b = Browser::new(&app);
    b.sign_in("thanh", "mật khẩu dài 123").await;
    let console = b.get("/console").await;
    assert!(
        console.body.contains("/console/f/HN-VNN/audit") && !console.body.contains("/gift"),
        "{}",
        console.body
    );
    let page = b.get("/console/f/HN-VNN/audit?lang=en").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("The ledger is sound: 3 entries"),
        "{}",
        page.body
    );
    assert!(page.body.contains("large_anonymous_gift"), "{}", page.body);
    assert!(
        !page.body.contains("Hà Thị Bảy"),
        "private data only on request"
    );
    // A GET reads no one, whatever its query says.
    let page = b.get("/console/f/HN-VNN/audit?household=ho-7").await;
    assert!(!page.body.contains("Hà Thị Bảy"), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let forged = b
        .post(
            "/console/f/HN-VNN/audit",
            &[("csrf", "forged"), ("household", "ho-7")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let inspector = app.token("inspector", "HN").await;
    let log = app.get_as("/audit/access-log", &inspector).await.body;
    assert_eq!(log["access_log"], serde_json::json!([]), "nothing read yet");
    let page = b
        .post(
            "/console/f/HN-VNN/audit",
            &[("csrf", csrf.as_str()), ("household", "ho-7")],
        )
        .await;
    assert!(
        page.body.contains("id=\"private-record\"") && page.body.contains("Hà Thị Bảy"),
        "{}",
        page.body
    );
    let log = app.get_as("/audit/access-log", &inspector).await.body;
    assert_eq!(log["access_log"][0]["actor"], "us-thanh");
    assert_eq!(log["access_log"][0]["household_id"], "ho-7");
    let page = b.get("/console/f/HN-VNN/audit").await;
    assert!(
        page.body.contains("us-thanh (inspector)"),
        "the read shows in the log: {}",
        page.body
    );

    // An edit behind the service's back shows on the page.
    let store = app.db.store().await;
    let guard = match store.backend() {
        sovang::store::Backend::Sqlite => "DROP TRIGGER entries_no_update",
        sovang::store::Backend::Postgres => "DROP TRIGGER entries_append_only ON entries",
    };
    store.execute_raw(guard).await.unwrap();
    crate::helpers::rewrite_entry(&store, "HN-VNN", 2, "80000000", "8000000").await;
    let page = b.get("/console/f/HN-VNN/audit?lang=en").await;
    assert!(
        page.body.contains("The ledger is NOT sound, from entry #2"),
        "{}",
        page.body
    );
    store.close().await;
}

/// Guessing passwords gets slower: after five wrong ones for a name, or
/// from an address, sign-ins wait (429 with Retry-After) without the
/// password being checked at all, the right one included, and say so.
async fn repeated_wrong_passwords_make_sign_ins_wait(app: TestApp) {
    app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let p = b.sign_in("lan", "đoán mò").await;
        assert_eq!(p.status, 401, "{}", p.body);
    }
    for (name, password) in [
        ("lan", "đoán mò"),
        ("lan", "mật khẩu dài 123"),
        ("minh", "x"),
    ] {
        let p = b.sign_in(name, password).await;
        assert_eq!(p.status, 429, "{name}: {}", p.body);
        assert!(p.body.contains("Đã nhập sai quá nhiều lần"), "{}", p.body);
        assert!(!b.signed_in(), "no session while waiting");
    }
    let root = app.base.trim_end_matches("/api/v1");
    let (cookie, token) = login_token(&app.client, root).await;
    let r = app
        .client
        .post(format!("{root}/login?lang=en"))
        .header("cookie", cookie)
        .form(&[
            ("login_csrf", token.as_str()),
            ("username", "lan"),
            ("password", "mật khẩu dài 123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(r.text().await.unwrap().contains("Too many wrong attempts"));
}

/// An admin lists the subtree's tokens in the console and revokes one:
/// refused at once, and in the admin log.
async fn admins_list_and_revoke_tokens_in_the_console(app: TestApp) {
    let clerk = app.with_fund().await;
    app.committee("HP", None).await;
    let other = app.token("clerk", "HP").await;
    user(&app, "an", "admin", "HN").await;
    user(&app, "lan", "clerk", "HN").await;
    let mut c = Browser::new(&app);
    c.sign_in("lan", "mật khẩu dài 123").await;
    assert_eq!(c.get("/console/tokens").await.status, 403);
    // Each says who they are in their own words, not a role's code.
    let clerk_page = c.get("/console").await.body;
    assert!(clerk_page.contains("(Cán bộ ghi sổ)</p>"), "{clerk_page}");
    let english = c.get("/console?lang=en").await.body;
    assert!(english.contains("(Clerk)</p>"), "{english}");

    let mut b = Browser::new(&app);
    b.sign_in("an", "mật khẩu dài 123").await;
    let console = b.get("/console").await;
    assert!(console.body.contains("(Quản trị)</p>"), "{}", console.body);
    assert!(
        console.body.contains("id=\"tokens-link\""),
        "{}",
        console.body
    );
    let p = b.get("/console/tokens").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let listed = app.get_as("/tokens", &app.admin).await.body;
    let id_of = |committee: &str| {
        listed["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["committee_code"] == committee && t["role"] == "clerk")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (mine, theirs) = (id_of("HN"), id_of("HP"));
    assert!(p.body.contains(&mine), "{}", p.body);
    assert!(
        !p.body.contains(&theirs),
        "another province's token is not shown"
    );
    assert!(!p.body.contains("svt_"), "never a secret");
    let csrf = hidden(&p.body, "csrf");
    assert_eq!(
        b.post(
            "/console/tokens/revoke",
            &[("csrf", "forged"), ("id", &mine)]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        b.post(
            "/console/tokens/revoke",
            &[("csrf", &csrf), ("id", &theirs)]
        )
        .await
        .status,
        403,
        "outside the subtree"
    );
    assert_eq!(
        app.get_as("/tokens", &other).await.status,
        403,
        "still a working token"
    );
    let p = b
        .post("/console/tokens/revoke", &[("csrf", &csrf), ("id", &mine)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let a = app
        .entry(
            "HN-VNN",
            &clerk,
            "donation_cash",
            crate::helpers::gift(json!("1000"))["body"].clone(),
        )
        .await;
    assert_eq!(a.status, 401, "revoked at once: {}", a.text);
    let inspector = app.token("inspector", "HN").await;
    let log = app.get_as("/audit/admin-log", &inspector).await.body;
    assert!(
        log["admin_log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "token_revoked"
                && l["target"] == mine.as_str()
                && l["actor"] == "us-an"),
        "{log}"
    );
}

/// The sign-in form carries its own CSRF token, in a cookie and in the
/// form: a form sent from elsewhere signs nobody in.
async fn the_sign_in_form_has_its_own_csrf_token(app: TestApp) {
    app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    let mut b = Browser::new(&app);
    let form = b.get("/login").await;
    let csrf = hidden(&form.body, "login_csrf");
    assert_eq!(csrf.len(), 32, "{}", form.body);
    let good = [("username", "lan"), ("password", "mật khẩu dài 123")];
    // No token, another token, or the token without its cookie.
    let mut fresh = Browser::new(&app);
    assert_eq!(fresh.post("/login", &good).await.status, 403);
    let mut wrong = good.to_vec();
    wrong.push(("login_csrf", "0123456789abcdef0123456789abcdef"));
    assert_eq!(b.post("/login", &wrong).await.status, 403);
    let mut right = good.to_vec();
    right.push(("login_csrf", csrf.as_str()));
    assert_eq!(fresh.post("/login", &right).await.status, 403);
    assert_eq!(fresh.get("/console").await.status, 303, "not signed in");
    // With both, the sign-in goes on.
    let p = b.post("/login", &right).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(b.get("/console").await.status, 200);
}

/// How many private reads the access log holds.
async fn reads(app: &TestApp, inspector: &str) -> usize {
    app.get_as("/audit/access-log", inspector).await.body["access_log"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Handover minutes name the household head from the private record:
/// printed on a POST with the session's token, by a clerk of the fund's
/// committee (not an approver), for an approved distribution only, and
/// each printing is in the access log.
async fn clerks_print_handover_minutes_and_each_printing_is_logged(app: TestApp) {
    let clerk = app.with_fund().await;
    user(&app, "lan", "clerk", "HN").await;
    user(&app, "minh", "approver", "HN").await;
    pending_house(&app, &clerk, "nha-1").await;
    app.record(
        "HN-VNN",
        &clerk,
        "donation_in_kind",
        json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
               "items": [{"item": "QUA-TET", "quantity": "10", "unit": "gói",
                          "unit_value_vnd": "400000", "value_vnd": "4000000"}],
               "total_value_vnd": "4000000", "received_on": "2026-11-02"}),
    )
    .await;
    app.record_batch("HN-VNN", &clerk, vec![json!({"kind": "household_registered",
        "body": {"household_id": "ho-2", "commune_code": "HN", "hamlet": "Thôn 2", "category": "poor", "members": 2, "review_year": 2026},
        "private": {"head_name": "Lê Văn Tám", "cccd": "001085000445", "address": "Thôn 2"}})]).await;
    let giver = app.token("clerk", "HN").await;
    app.record(
        "HN-VNN",
        &giver,
        "distribution",
        json!({"distribution_id": "tet-1", "household_id": "ho-2", "support_type": "tet_gift",
               "cash_vnd": "500000", "decision_ref": "QĐ 10",
               "items": [{"item": "QUA-TET", "description": "Gói quà Tết", "quantity": "1", "unit": "gói"}]}),
    )
    .await;
    let inspector = app.token("inspector", "HN").await;

    let mut approver = Browser::new(&app);
    approver.sign_in("minh", "mật khẩu dài 123").await;
    assert_eq!(approver.get("/console/f/HN-VNN/bien-ban").await.status, 403);

    let mut b = Browser::new(&app);
    b.sign_in("lan", "mật khẩu dài 123").await;
    assert!(b
        .get("/console")
        .await
        .body
        .contains("/console/f/HN-VNN/bien-ban"));
    let form = b.get("/console/f/HN-VNN/bien-ban").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = hidden(&form.body, "csrf");
    let forged = b
        .post(
            "/console/f/HN-VNN/bien-ban",
            &[("csrf", "forged"), ("distribution", "tet-1")],
        )
        .await;
    assert_eq!(forged.status, 403);
    for (id, says) in [
        ("", "Nhập mã khoản hỗ trợ"),
        (&"x".repeat(65)[..], "Nhập mã khoản hỗ trợ"),
        ("khong-co", "Quỹ không có khoản hỗ trợ"),
        ("nha-1", "đã được duyệt"),
    ] {
        let p = b
            .post(
                "/console/f/HN-VNN/bien-ban",
                &[("csrf", csrf.as_str()), ("distribution", id)],
            )
            .await;
        assert_eq!(p.status, 422, "{id}: {}", p.body);
        assert!(p.body.contains(says), "{id}: {}", p.body);
        assert!(!p.body.contains("Lê Văn Tám"), "{id}");
    }
    assert_eq!(reads(&app, &inspector).await, 0, "nothing read yet");

    let p = b
        .post(
            "/console/f/HN-VNN/bien-ban",
            &[("csrf", csrf.as_str()), ("distribution", "tet-1")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("BIÊN BẢN BÀN GIAO"), "{}", p.body);
    assert!(
        p.body.contains("<dd id=\"head-name\">Lê Văn Tám</dd>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Gói quà Tết (QUA-TET)"), "{}", p.body);
    assert!(p.body.contains("<span id=\"total\">"), "{}", p.body);
    let log = app.get_as("/audit/access-log", &inspector).await.body;
    assert_eq!(log["access_log"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log["access_log"][0]["household_id"], "ho-2");
    assert_eq!(log["access_log"][0]["actor"], "us-lan");
    // The minutes never reach the ledger: it is as it was.
    let size = app.size("HN-VNN").await;
    b.post(
        "/console/f/HN-VNN/bien-ban",
        &[("csrf", csrf.as_str()), ("distribution", "tet-1")],
    )
    .await;
    assert_eq!(reads(&app, &inspector).await, 2, "each printing is a read");
    assert_eq!(app.size("HN-VNN").await, size);
}

crate::both!(
    clerks_print_handover_minutes_and_each_printing_is_logged,
    the_sign_in_form_has_its_own_csrf_token,
    admins_list_and_revoke_tokens_in_the_console,
    approvers_approve_several_outflows_at_once,
    repeated_wrong_passwords_make_sign_ins_wait,
    clerks_record_gifts_through_forms,
    approvers_approve_pending_distributions,
    inspectors_audit_a_fund_and_every_private_read_is_logged
);
