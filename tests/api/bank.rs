//! Bank intake (SPEC §10): receiving accounts, VietQR, statements of every
//! layout taken in, matched and sealed; idempotency; the review queue;
//! webhooks; and that nothing a bank sends about a sender is published.

use serde_json::{json, Value};
use sovang::intake::statement::fixtures::{statement, FixtureLine};
use sovang::intake::statement::Layout;
use time::macros::date;

use crate::helpers::{Answer, TestApp};

const F: &str = "PX-VNN";

/// Committee HN-PX under HN, fund PX-VNN, a clerk; returns the clerk.
async fn setup(app: &TestApp) -> String {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.fund(F, "HN-PX").await;
    app.token("clerk", "HN-PX").await
}

async fn open_account(app: &TestApp, account: &str) -> Answer {
    app.post(
        &format!("/funds/{F}/bank-accounts"),
        Some(&app.admin),
        &json!({"bank_bin": "970436", "account_no": account,
                "account_name": "UY BAN MTTQ XA PHU XUYEN", "bank_name": "Vietcombank"}),
    )
    .await
}

/// Posts a statement file.
async fn import(app: &TestApp, token: &str, account: &str, bytes: Vec<u8>) -> Answer {
    Answer::checked(
        "POST",
        app.client
            .post(format!(
                "{}/funds/{F}/bank-statements?account={account}",
                app.base
            ))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("POST statement"),
    )
    .await
}

/// A campaign open over October–December 2026; returns (id, reference).
async fn campaign(app: &TestApp, clerk: &str, name: &str) -> (String, String) {
    let a = app
        .record(
            F,
            clerk,
            "campaign_opened",
            json!({"name": name, "kind": "peak_month", "starts_on": "2026-10-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm"}),
        )
        .await;
    let seq = a["seq"].as_u64().expect("seq");
    let e = entry_body(app, seq).await;
    (
        e["campaign_id"].as_str().expect("id").to_owned(),
        e["reference"].as_str().expect("a reference").to_owned(),
    )
}

async fn entry_body(app: &TestApp, seq: u64) -> Value {
    let e = app.get(&format!("/funds/{F}/entries/{seq}")).await;
    let c: Value =
        serde_json::from_str(e.body["canonical"].as_str().expect("canonical")).expect("json");
    c["body"].clone()
}

fn line(day: u8, r: &str, credit: u64, debit: u64, narrative: &str) -> FixtureLine {
    FixtureLine {
        date: time::Date::from_calendar_date(2026, time::Month::November, day).expect("a day"),
        bank_ref: (!r.is_empty()).then(|| r.to_owned()),
        credit_vnd: credit,
        debit_vnd: debit,
        narrative: narrative.to_owned(),
    }
}

/// The gifts of the public statement of gifts of the fund, all of them.
async fn saoke(app: &TestApp) -> Vec<Value> {
    let a = app.get(&format!("/funds/{F}/donations?limit=1000")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["donations"].as_array().cloned().unwrap_or_default()
}

async fn accounts_and_vietqr(app: TestApp) {
    let clerk = setup(&app).await;
    // Before any account, no QR.
    app.get(&format!("/funds/{F}/vietqr")).await.problem(404);
    // Only an admin opens an account; bad values change nothing.
    let by_clerk = app
        .post(&format!("/funds/{F}/bank-accounts"), Some(&clerk), &json!({"bank_bin": "970436", "account_no": "0011001234567", "account_name": "X", "bank_name": "Y"}))
        .await;
    by_clerk.problem(403);
    let size = app.size(F).await;
    for bad in [
        json!({"bank_bin": "97043", "account_no": "0011001234567", "account_name": "X", "bank_name": "Y"}),
        json!({"bank_bin": "970436", "account_no": "0011 0012", "account_name": "X", "bank_name": "Y"}),
        json!({"bank_bin": "970436", "account_no": "00110012345678901234", "account_name": "X", "bank_name": "Y"}),
        json!({"bank_bin": "970436", "account_no": "0011001234567", "account_name": "", "bank_name": "Y"}),
        json!({"bank_bin": "970436", "account_no": "0011001234567", "account_name": "X", "bank_name": "Y", "extra": 1}),
        json!({"bank_bin": 970436, "account_no": "0011001234567", "account_name": "X", "bank_name": "Y"}),
        json!({"bank_bin": "970436", "account_no": "0011001234567", "account_name": "x".repeat(201), "bank_name": "Y"}),
    ] {
        let a = app
            .post(&format!("/funds/{F}/bank-accounts"), Some(&app.admin), &bad)
            .await;
        assert!(a.status == 422 || a.status == 400, "{bad}: {}", a.text);
    }
    let raw = app
        .post_raw(
            &format!("/funds/{F}/bank-accounts"),
            Some(&app.admin),
            None,
            "{not json".into(),
        )
        .await;
    raw.problem(400);
    assert_eq!(app.size(F).await, size, "nothing recorded");
    assert_eq!(open_account(&app, "0011001234567").await.status, 201);
    let again = open_account(&app, "0011001234567").await;
    again.problem(422);
    assert_eq!(again.body["rule"], "duplicate_account");
    let listed = app.get(&format!("/funds/{F}/bank-accounts")).await;
    assert_eq!(listed.body["accounts"][0]["account_no"], "0011001234567");

    // The fund's own QR: static, "SV <fund>" folded to ASCII.
    let q = app.get(&format!("/funds/{F}/vietqr")).await;
    assert_eq!(q.status, 200, "{}", q.text);
    let payload = q.body["payload"].as_str().expect("payload");
    assert!(payload.starts_with("000201010211"), "{payload}");
    assert!(
        payload.contains("0006970436011300110012345670208QRIBFTTA"),
        "{payload}"
    );
    assert_eq!(q.body["purpose"], "SV PXVNN");
    assert_eq!(
        &payload[payload.len() - 4..],
        format!(
            "{:04X}",
            sovang::intake::vietqr::crc16_ccitt_false(&payload.as_bytes()[..payload.len() - 4])
        )
    );
    // A campaign's, with an amount: dynamic, its reference.
    let (cid, cref) = campaign(&app, &clerk, "Tháng cao điểm 2026").await;
    let q = app
        .get(&format!(
            "/funds/{F}/vietqr?campaign={cid}&amount_vnd=500000"
        ))
        .await;
    assert_eq!(q.body["purpose"], format!("SV {cref}"));
    let payload = q.body["payload"].as_str().expect("payload");
    assert!(payload.starts_with("000201010212"));
    assert!(payload.contains("5406500000"));
    // Bad queries.
    app.get(&format!("/funds/{F}/vietqr?color=red"))
        .await
        .problem(400);
    app.get(&format!("/funds/{F}/vietqr?campaign={cid}&pledge=p1"))
        .await
        .problem(400);
    app.get(&format!("/funds/{F}/vietqr?amount_vnd=-5"))
        .await
        .problem(422);
    app.get(&format!("/funds/{F}/vietqr?amount_vnd=1.5"))
        .await
        .problem(422);
    app.get(&format!("/funds/{F}/vietqr?campaign=nope"))
        .await
        .problem(404);
    app.get(&format!("/funds/{F}/vietqr?account=999999999"))
        .await
        .problem(404);
}

/// Lines every layout's fixture holds: a gift to the campaign, one to a
/// pledge, one with no reference, one naming a reference nobody has, a
/// debit.
fn mixed_lines(cref: &str, pref: &str, tag: &str) -> Vec<FixtureLine> {
    vec![
        line(10, &format!("{tag}.001"), 500_000, 0, &format!("MBVCB.6986253876.SV {cref} ung ho.CT tu 0351000646393 NGUYEN THE HUNG toi 0011001234567")),
        line(10, &format!("{tag}.002"), 2_000_000, 0, &format!("IBFT SV {pref} CONG TY TNHH AN PHAT ung ho")),
        line(11, &format!("{tag}.003"), 300_000, 0, "CT tu 19036677889900 TRAN THI BICH chuyen tien ung ho dong bao"),
        line(11, &format!("{tag}.004"), 100_000, 0, "SV ZZ99ZZ99 ung ho"),
        line(12, &format!("{tag}.005"), 0, 150_000, "Chi ho tro ho ngheo thon Ha"),
    ]
}

async fn every_layout_is_taken_in_matched_and_sealed(app: TestApp) {
    let clerk = setup(&app).await;
    let (cid, cref) = campaign(&app, &clerk, "Tháng cao điểm 2026").await;
    let pledge = app
        .record(F, &clerk, "pledge", json!({"donor": {"display": "Công ty An Phát", "kind": "organization"}, "amount_vnd": "2000000", "campaign_id": cid}))
        .await;
    let pbody = entry_body(&app, pledge["seq"].as_u64().expect("seq")).await;
    let pref = pbody["reference"]
        .as_str()
        .expect("pledge reference")
        .to_owned();
    let pid = pbody["pledge_id"].as_str().expect("pledge id").to_owned();
    let mut gifts_before = 0;
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let account = format!("00110012345{i:02}");
        assert_eq!(open_account(&app, &account).await.status, 201);
        let tag = format!("{}", 5213 + i);
        let file = statement(
            layout,
            &account,
            10_000_000,
            &mixed_lines(&cref, &pref, &tag),
        );
        let a = import(&app, &clerk, &account, file).await;
        assert_eq!(a.status, 201, "{}: {}", layout.name(), a.text);
        let b = &a.body;
        assert_eq!(b["layout"], layout.name());
        assert_eq!(
            (
                b["lines"].as_u64(),
                b["credits"].as_u64(),
                b["debits"].as_u64()
            ),
            (Some(5), Some(4), Some(1)),
            "{}",
            layout.name()
        );
        assert_eq!(b["recorded"], 3, "{}: {}", layout.name(), a.text);
        assert_eq!(b["review"], 2, "the unknown reference and the debit");
        assert_eq!(b["opening_balance_vnd"], "10000000");
        assert_eq!(
            b["closing_balance_vnd"],
            (10_000_000 + 2_900_000 - 150_000).to_string()
        );
        assert_eq!(b["balanced"], true);
        // The seal, on the ledger.
        let seal = entry_body(&app, b["sealed_seq"].as_u64().expect("sealed seq")).await;
        assert_eq!(seal["account_no"], account.as_str());
        assert_eq!(seal["credits_vnd"], "2900000");
        assert_eq!(seal["gifts"], 3);
        assert_eq!(seal["gifts_vnd"], "2800000");
        assert_eq!(seal["review_credit_lines"], 1);
        assert_eq!(seal["first_day"], "2026-11-10");
        assert_eq!(seal["last_day"], "2026-11-12");
        // The gifts, as the public sees them.
        let all = saoke(&app).await;
        assert_eq!(all.len(), gifts_before + 3, "{}", layout.name());
        gifts_before = all.len();
        let mine: Vec<&Value> = all
            .iter()
            .filter(|d| d["bank_ref"].as_str().is_some_and(|r| r.starts_with(&tag)))
            .collect();
        assert_eq!(mine.len(), 3, "{}: {all:?}", layout.name());
        let by_ref = |r: &str| {
            mine.iter()
                .find(|d| d["bank_ref"] == format!("{tag}.{r}"))
                .copied()
                .expect("gift")
        };
        assert_eq!(by_ref("001")["donor"]["display"], "NGUYEN T. H.");
        assert_eq!(by_ref("001")["campaign_id"], cid.as_str());
        assert_eq!(
            by_ref("002")["donor"]["display"],
            "Công ty An Phát",
            "a pledge's gift is published as the pledge"
        );
        assert_eq!(by_ref("002")["pledge_id"], pid.as_str());
        assert_eq!(by_ref("003")["donor"]["display"], "TRAN T. B.");
        assert!(by_ref("003")["campaign_id"].is_null());
        assert_eq!(by_ref("003")["received_on"], "2026-11-11");
    }
    // The fund's statements, listed publicly, each matching its gifts.
    let st = app.get(&format!("/funds/{F}/bank-statements")).await;
    let list = st.body["statements"].as_array().expect("statements");
    assert_eq!(list.len(), Layout::ALL.len());
    for s in list {
        assert_eq!(s["gifts_vnd"], "2800000");
        assert_eq!(s["review_credit_lines"], 1);
    }
    // The review queue holds the unknown reference and the debit of each.
    let q = app
        .get_as(&format!("/funds/{F}/bank-lines?status=review"), &clerk)
        .await;
    assert_eq!(q.status, 200, "{}", q.text);
    assert_eq!(
        q.body["lines"].as_array().map(Vec::len),
        Some(2 * Layout::ALL.len())
    );
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
}

async fn importing_twice_overlapping_or_after_hand_entry_doubles_nothing(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let lines: Vec<FixtureLine> = (0..15)
        .map(|i| {
            line(
                5 + (i / 5) as u8,
                &format!("FT{i:04}"),
                100_000 + i as u64,
                0,
                "ung ho",
            )
        })
        .collect();
    // A gift keyed in by hand, with the bank's reference of line 12.
    app.record(
        F,
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Bà Lan", "kind": "individual"}, "amount_vnd": "100012",
               "channel": "bank_transfer", "received_on": "2026-11-07", "bank_ref": "FT0012"}),
    )
    .await;
    let first = statement(Layout::GenericCsv, acct, 0, &lines[..10]);
    let a = import(&app, &clerk, acct, first.clone()).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["recorded"], 10);
    let size = app.size(F).await;
    // The same file again: 200, nothing new.
    let again = import(&app, &clerk, acct, first).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["recorded"], 0);
    assert_eq!(again.body["duplicates"], 10);
    assert_eq!(again.body["sealed_seq"], a.body["sealed_seq"]);
    assert_eq!(app.size(F).await, size);
    // Stopped after its seal was written, before the import was marked
    // done: run again, it finds its seal and writes no other.
    let store = app.db.store().await;
    store
        .execute_raw(
            "UPDATE bank_statements SET status = 'importing', sealed_seq = NULL, summary = NULL",
        )
        .await
        .expect("forget the import's end");
    store.close().await;
    let resumed = import(
        &app,
        &clerk,
        acct,
        statement(Layout::GenericCsv, acct, 0, &lines[..10]),
    )
    .await;
    assert_eq!(resumed.status, 201, "{}", resumed.text);
    assert_eq!(resumed.body["sealed_seq"], a.body["sealed_seq"]);
    assert_eq!(resumed.body["duplicates"], 10);
    assert_eq!(app.size(F).await, size, "no second seal");
    // An overlapping statement: lines 5 to 14, its opening balance the
    // balance after line 4.
    let opening: i64 = lines[..5].iter().map(|l| l.credit_vnd as i64).sum();
    let second = statement(Layout::GenericCsv, acct, opening, &lines[5..]);
    let b = import(&app, &clerk, acct, second).await;
    assert_eq!(b.status, 201, "{}", b.text);
    assert_eq!(b.body["duplicates"], 5);
    assert_eq!(b.body["linked"], 1, "the hand-entered gift");
    assert_eq!(b.body["recorded"], 4);
    let all = saoke(&app).await;
    assert_eq!(all.len(), 15, "15 lines, 15 gifts: {all:?}");
    let total: u64 = all
        .iter()
        .map(|d| {
            d["amount_vnd"]
                .as_str()
                .unwrap_or("0")
                .parse::<u64>()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(total, lines.iter().map(|l| l.credit_vnd).sum::<u64>());
    // Its seal names the linked gift among its 10.
    let seal = entry_body(&app, b.body["sealed_seq"].as_u64().expect("seq")).await;
    assert_eq!(seal["gifts"], 10);
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
}

async fn bad_statements_are_refused_whole(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let size = app.size(F).await;
    let ok = statement(
        Layout::GenericCsv,
        acct,
        0,
        &[line(5, "A1", 1000, 0, "x"), line(5, "A2", 2000, 0, "y")],
    );
    let text = String::from_utf8(ok.clone()).expect("csv");
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "unknown layout",
            b"ngay,so tien\n01/11/2026,1000\n".to_vec(),
            422,
            "statement_invalid",
        ),
        (
            "balances that do not add up",
            text.replacen(",3000,", ",3500,", 1).into_bytes(),
            422,
            "statement_invalid",
        ),
        (
            "a fractional amount",
            text.replacen(",1000,", ",1000.5,", 1).into_bytes(),
            422,
            "statement_invalid",
        ),
        (
            "a bad date",
            text.replacen("05/11/2026", "31/02/2026", 1).into_bytes(),
            422,
            "statement_invalid",
        ),
        ("an empty file", Vec::new(), 422, "statement_invalid"),
        (
            "another account's statement",
            statement(
                Layout::Vietcombank,
                "9999999999",
                0,
                &[line(5, "A1", 1000, 0, "x")],
            ),
            422,
            "wrong_account",
        ),
    ];
    for (what, bytes, status, rule) in cases {
        let a = import(&app, &clerk, acct, bytes).await;
        a.problem(status);
        assert_eq!(a.body["rule"], rule, "{what}: {}", a.text);
        assert_eq!(app.size(F).await, size, "{what}: nothing recorded");
    }
    // An account that is not the fund's; none named; unknown parameter.
    let a = import(&app, &clerk, "123456789", ok.clone()).await;
    a.problem(422);
    assert_eq!(a.body["rule"], "unknown_account");
    let none = Answer::checked(
        "POST",
        app.client
            .post(format!("{}/funds/{F}/bank-statements", app.base))
            .bearer_auth(&clerk)
            .body(ok.clone())
            .send()
            .await
            .expect("POST"),
    )
    .await;
    none.problem(422);
    // Roles: an inspector or another commune's clerk may not import.
    let inspector = app.token("inspector", "HN").await;
    import(&app, &inspector, acct, ok.clone())
        .await
        .problem(403);
    app.committee("HN-KH", Some("HN")).await;
    let other = app.token("clerk", "HN-KH").await;
    import(&app, &other, acct, ok.clone()).await.problem(403);
    assert_eq!(app.size(F).await, size);
    let q = app.get_as(&format!("/funds/{F}/bank-lines"), &clerk).await;
    assert_eq!(q.body["lines"], json!([]), "no line kept: {}", q.text);
    // And the good file goes in.
    assert_eq!(import(&app, &clerk, acct, ok).await.status, 201);
}

async fn an_oversized_statement_is_refused(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let mut settings = app.db.settings();
    settings.intake.statement_bytes_max = 4096;
    let db = app.stop().await;
    let app = crate::helpers::spawn_on(db, settings).await;
    let size = app.size(F).await;
    let lines: Vec<FixtureLine> = (0..200)
        .map(|i| line(5, &format!("B{i}"), 1000, 0, "ung ho dong bao"))
        .collect();
    let a = import(
        &app,
        &clerk,
        acct,
        statement(Layout::GenericCsv, acct, 0, &lines),
    )
    .await;
    a.problem(413);
    assert_eq!(app.size(F).await, size);
}

async fn the_review_queue_settles_each_line_once_and_logs_it(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let (cid, _) = campaign(&app, &clerk, "Cứu trợ bão").await;
    let a = import(
        &app,
        &clerk,
        acct,
        statement(
            Layout::GenericCsv,
            acct,
            1_000_000,
            &[
                line(
                    5,
                    "FT0R01",
                    250_000,
                    0,
                    "SV QQ12QQ12 CT tu 0351000646393 LE VAN TAM",
                ),
                line(5, "FT0R02", 12_000, 0, "LAI NHAP VON"),
                line(6, "FT0R03", 0, 400_000, "RUT TIEN MAT"),
            ],
        ),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["review"], 2);
    assert_eq!(
        a.body["recorded"], 1,
        "interest with no reference is taken as a gift with no campaign"
    );
    let q = app
        .get_as(&format!("/funds/{F}/bank-lines?status=review"), &clerk)
        .await;
    let lines = q.body["lines"].as_array().cloned().expect("lines");
    assert_eq!(lines.len(), 2);
    let credit = lines
        .iter()
        .find(|l| l["direction"] == "credit")
        .expect("credit");
    let debit = lines
        .iter()
        .find(|l| l["direction"] == "debit")
        .expect("debit");
    // The clerk reads the narrative; the read is logged.
    assert_eq!(credit["private"]["sender_name"], "LE VAN TAM");
    assert_eq!(credit["private"]["sender_account"], "0351000646393");
    let cl = credit["line_id"].as_str().expect("id");
    let dl = debit["line_id"].as_str().expect("id");
    // Another commune's clerk and a donor see nothing.
    app.committee("HN-KH", Some("HN")).await;
    let other = app.token("clerk", "HN-KH").await;
    app.get_as(&format!("/funds/{F}/bank-lines"), &other)
        .await
        .problem(403);
    app.get(&format!("/funds/{F}/bank-lines"))
        .await
        .problem(401);
    // Bad settlements change nothing.
    let size = app.size(F).await;
    let settle = |id: &str, body: Value| {
        let path = format!("/funds/{F}/bank-lines/{id}/settle");
        let clerk = clerk.clone();
        let app = &app;
        async move { app.post(&path, Some(&clerk), &body).await }
    };
    settle(cl, json!({"as": "withdrawal", "reason": "x"}))
        .await
        .problem(422);
    settle(dl, json!({"as": "gift"})).await.problem(422);
    settle(dl, json!({"as": "withdrawal"})).await.problem(422);
    settle(dl, json!({"as": "withdrawal", "reason": "   "}))
        .await
        .problem(422);
    settle(dl, json!({"as": "outflow"})).await.problem(422);
    settle(dl, json!({"as": "outflow", "seq": 1}))
        .await
        .problem(422);
    settle(dl, json!({"as": "refund", "reason": "x"}))
        .await
        .problem(422);
    settle(
        dl,
        json!({"as": "withdrawal", "reason": "x", "extra": true}),
    )
    .await
    .problem(422);
    settle("no-such-line", json!({"as": "withdrawal", "reason": "x"}))
        .await
        .problem(404);
    let approver = app.token("approver", "HN-PX").await;
    app.post(
        &format!("/funds/{F}/bank-lines/{dl}/settle"),
        Some(&approver),
        &json!({"as": "withdrawal", "reason": "x"}),
    )
    .await
    .problem(403);
    assert_eq!(app.size(F).await, size);
    // The credit becomes a gift to the campaign; the debit a withdrawal.
    let g = settle(
        cl,
        json!({"as": "gift", "campaign_id": cid, "reason": "the donor's reference was mistyped"}),
    )
    .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["line"]["status"], "gift");
    assert_eq!(app.size(F).await, size + 1);
    // A reason is public: no phone number in it.
    let p = settle(
        dl,
        json!({"as": "withdrawal", "reason": "rút tiền, gọi 0912345678"}),
    )
    .await;
    p.problem(422);
    assert_eq!(p.body["rule"], "personal_data");
    // A withdrawal moves no entry: one clerk proposes it, another person
    // (an approver) confirms it (SPEC §9).
    let w = settle(
        dl,
        json!({"as": "withdrawal", "reason": "cash for the Tet gifts, counted in the cash book"}),
    )
    .await;
    assert_eq!(w.status, 200, "{}", w.text);
    assert_eq!(
        w.body["line"]["status"], "review",
        "proposed, not yet settled"
    );
    assert_eq!(w.body["line"]["proposed_as"], "withdrawal");
    settle(dl, json!({"as": "withdrawal", "reason": "again"}))
        .await
        .problem(409);
    let decide = |token: String, body: Value| {
        let path = format!("/funds/{F}/bank-lines/{dl}/decide");
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    decide(clerk.clone(), json!({"approve": true}))
        .await
        .problem(403);
    decide(app.admin.clone(), json!({"approve": true}))
        .await
        .problem(403);
    decide(approver.clone(), json!({"approve": "yes"}))
        .await
        .problem(422);
    let ok = decide(approver.clone(), json!({"approve": true})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["line"]["status"], "withdrawal");
    // Settled once only.
    decide(approver.clone(), json!({"approve": true}))
        .await
        .problem(409);
    settle(dl, json!({"as": "withdrawal", "reason": "again"}))
        .await
        .problem(409);
    let gift = saoke(&app)
        .await
        .into_iter()
        .find(|d| d["bank_ref"] == "FT0R01")
        .expect("the settled gift");
    assert_eq!(gift["donor"]["display"], "LE V. T.");
    assert_eq!(gift["campaign_id"], cid.as_str());
    // Each settlement is in the admin log.
    let inspector = app.token("inspector", "HN").await;
    let log = app.get_as("/audit/admin-log", &inspector).await;
    let settled: Vec<&Value> = log.body["admin_log"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter(|x| x["action"] == "bank_line_settled")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(settled.len(), 2, "{}", log.text);
    assert!(log.text.contains("bank_line_proposed"), "{}", log.text);
    assert!(app
        .get_as(&format!("/funds/{F}/bank-lines?status=review"), &clerk)
        .await
        .body["lines"]
        .as_array()
        .is_some_and(Vec::is_empty));
}

async fn an_old_unsettled_debit_is_a_high_finding(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let old = FixtureLine {
        date: date!(2026 - 10 - 01),
        bank_ref: Some("FT0D01".into()),
        credit_vnd: 0,
        debit_vnd: 5_000_000,
        narrative: "CHUYEN TIEN".into(),
    };
    let a = import(
        &app,
        &clerk,
        acct,
        statement(Layout::GenericCsv, acct, 9_000_000, &[old]),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let inspector = app.token("inspector", "HN").await;
    let f = app
        .get_as(&format!("/funds/{F}/audit/findings"), &inspector)
        .await;
    let found: Vec<&Value> = f.body["findings"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter(|x| x["kind"] == "bank_debit_unsettled")
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(found.len(), 1, "{}", f.text);
    assert_eq!(found[0]["severity"], "high");
    assert!(found[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("5000000")));
    // Statements that do not follow one another: days no statement
    // covers (medium), and a statement opening at another balance than
    // the one before closed at (high).
    let day = |d: u8| time::Date::from_calendar_date(2026, time::Month::October, d).expect("day");
    let l = |d: u8, r: &str, credit: u64| FixtureLine {
        date: day(d),
        bank_ref: Some(r.into()),
        credit_vnd: credit,
        debit_vnd: 0,
        narrative: "ung ho".into(),
    };
    // The first statement closed at 4,000,000 on 1 October.
    for (lines, opening) in [
        (vec![l(5, "FT0G01", 1_000)], 4_000_000),
        (vec![l(6, "FT0G02", 2_000)], 4_000_000),
    ] {
        let a = import(
            &app,
            &clerk,
            acct,
            statement(Layout::GenericCsv, acct, opening, &lines),
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let f = app
        .get_as(&format!("/funds/{F}/audit/findings"), &inspector)
        .await;
    let kinds: Vec<(&str, &str)> = f.body["findings"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| Some((x["kind"].as_str()?, x["severity"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        kinds.contains(&("bank_statement_gap", "medium")),
        "{}",
        f.text
    );
    assert!(
        kinds.contains(&("bank_statement_break", "high")),
        "{}",
        f.text
    );
    assert!(f.text.contains("2026-10-02 to 2026-10-04"), "{}", f.text);
}

const SEPAY_KEY: &str = "sepay-key-0123456789";
const CASSO_KEY: &str = "casso-checksum-key-0123456789";

/// The app again, with webhook secrets for `account`.
async fn with_webhooks(app: TestApp, account: &str) -> TestApp {
    let mut settings = app.db.settings();
    for (provider, secret) in [("sepay", SEPAY_KEY), ("casso", CASSO_KEY)] {
        settings.intake.webhooks.push(sovang::config::Webhook {
            provider: provider.into(),
            account_no: account.into(),
            secret: secret.into(),
        });
    }
    let db = app.stop().await;
    crate::helpers::spawn_on(db, settings).await
}

async fn webhook(app: &TestApp, path: &str, headers: &[(&str, String)], body: &Value) -> Answer {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    Answer::checked("POST", req.send().await.expect("POST webhook")).await
}

fn casso_signature(payload: &Value, key: &str) -> String {
    use hmac::Mac;
    let t = "1764560000000";
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(format!("{t}.{payload}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn webhooks_take_lines_in_once_and_statements_link_them(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let (_, cref) = campaign(&app, &clerk, "Cứu trợ lũ").await;
    let app = with_webhooks(app, acct).await;
    let size = app.size(F).await;
    let sepay = json!({
        "id": 92704, "gateway": "Vietcombank", "transactionDate": "2026-11-20 11:02:00",
        "accountNumber": acct, "code": null, "content": format!("SV {cref} CT tu 0351000646393 PHAM VAN DUC"),
        "transferType": "in", "transferAmount": 500000, "accumulated": 500000,
        "subAccount": null, "referenceCode": "FT26324000001", "description": ""
    });
    // Without the key, with a wrong key: 401, nothing recorded.
    for h in [
        vec![],
        vec![("authorization", "Apikey wrong-key-000000".to_owned())],
        vec![("authorization", format!("Bearer {SEPAY_KEY}"))],
    ] {
        let a = webhook(&app, "/intake/sepay", &h, &sepay).await;
        assert_eq!(a.status, 401, "{}", a.text);
        assert_eq!(a.body["success"], false);
    }
    assert_eq!(app.size(F).await, size);
    let auth = vec![("authorization", format!("Apikey {SEPAY_KEY}"))];
    let a = webhook(&app, "/intake/sepay", &auth, &sepay).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["success"], true);
    assert_eq!(app.size(F).await, size + 1);
    // SePay retries: the same id again records nothing.
    assert_eq!(
        webhook(&app, "/intake/sepay", &auth, &sepay).await.status,
        200
    );
    assert_eq!(app.size(F).await, size + 1);
    // Malformed: 400, nothing.
    let mut bad = sepay.clone();
    bad["transferAmount"] = json!("12.5");
    bad["id"] = json!(92705);
    assert_eq!(
        webhook(&app, "/intake/sepay", &auth, &bad).await.status,
        400
    );
    let mut unknown = sepay.clone();
    unknown["accountNumber"] = json!("123456789012");
    assert_eq!(
        webhook(&app, "/intake/sepay", &auth, &unknown).await.status,
        401,
        "no key for that account"
    );
    assert_eq!(app.size(F).await, size + 1);
    // Casso v2, signed; a bad signature is refused.
    let casso = json!({"error": 0, "data": {
        "id": 77001, "reference": "FT26324000002", "description": "ung ho dong bao",
        "amount": 300000, "runningBalance": 800000, "transactionDateTime": "2026-11-20 12:00:00",
        "accountNumber": acct, "bankName": "Vietcombank", "bankAbbreviation": "VCB",
        "virtualAccountNumber": "", "virtualAccountName": "",
        "counterAccountName": "Đỗ Thị Mai", "counterAccountNumber": "19036677889900",
        "counterAccountBankId": "970415", "counterAccountBankName": "VietinBank"}});
    let bad_sig = webhook(
        &app,
        "/intake/casso",
        &[(
            "x-casso-signature",
            casso_signature(&casso, "another-key-0000000000"),
        )],
        &casso,
    )
    .await;
    assert_eq!(bad_sig.status, 401, "{}", bad_sig.text);
    assert_eq!(app.size(F).await, size + 1);
    let ok = webhook(
        &app,
        "/intake/casso",
        &[("x-casso-signature", casso_signature(&casso, CASSO_KEY))],
        &casso,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(app.size(F).await, size + 2);
    let gifts = saoke(&app).await;
    let mai = gifts
        .iter()
        .find(|d| d["bank_ref"] == "FT26324000002")
        .expect("casso's gift");
    assert_eq!(
        mai["donor"]["display"], "DO T. M.",
        "the sender's name given apart, shortened"
    );
    // The statement with both lines and one more links the two.
    let file = statement(
        Layout::GenericCsv,
        acct,
        0,
        &[
            FixtureLine {
                date: date!(2026 - 11 - 20),
                bank_ref: Some("FT26324000001".into()),
                credit_vnd: 500_000,
                debit_vnd: 0,
                narrative: "MBVCB.1.SV x".into(),
            },
            FixtureLine {
                date: date!(2026 - 11 - 20),
                bank_ref: Some("FT26324000002".into()),
                credit_vnd: 300_000,
                debit_vnd: 0,
                narrative: "IBFT ung ho".into(),
            },
            FixtureLine {
                date: date!(2026 - 11 - 21),
                bank_ref: Some("FT26325000003".into()),
                credit_vnd: 50_000,
                debit_vnd: 0,
                narrative: "ung ho".into(),
            },
        ],
    );
    let a = import(&app, &clerk, acct, file).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(
        (a.body["linked"].as_u64(), a.body["recorded"].as_u64()),
        (Some(2), Some(1)),
        "{}",
        a.text
    );
    assert_eq!(saoke(&app).await.len(), 3);
    let seal = entry_body(&app, a.body["sealed_seq"].as_u64().expect("seq")).await;
    assert_eq!(seal["gifts"], 3);
    assert_eq!(seal["gifts_vnd"], "850000");
}

async fn a_killed_import_run_again_completes_without_doubling(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let size = app.size(F).await;
    let db = app.stop().await;
    let lines = sovang::intake::statement::fixtures::lines(40_000, date!(2026 - 11 - 01), "");
    let credits: Vec<&FixtureLine> = lines.iter().filter(|l| l.credit_vnd > 0).collect();
    let file = statement(Layout::GenericCsv, acct, 1_000_000_000_000, &lines);
    let client = reqwest::Client::new();
    let post = |base: String, file: Vec<u8>| {
        let (client, clerk) = (client.clone(), clerk.clone());
        async move {
            client
                .post(format!("{base}/funds/{F}/bank-statements?account={acct}"))
                .bearer_auth(clerk)
                .body(file)
                .send()
                .await
        }
    };
    let fund_size = |base: String| {
        let client = client.clone();
        async move {
            let v: Value = client
                .get(format!("{base}/funds/{F}"))
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("json");
            v["size"].as_u64().expect("size")
        }
    };
    // The server is killed (SIGKILL) once some thousands of gifts are in.
    let mut server = crate::helpers::spawn_process(&db.data_dir(), &db.database_url()).await;
    let running = tokio::spawn(post(server.base.clone(), file.clone()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let n = fund_size(server.base.clone()).await;
        if n > size + 2_000 {
            break;
        }
        if running.is_finished() || std::time::Instant::now() > deadline {
            panic!(
                "the import did not start, or finished first: {:?}",
                running.await
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.child.kill().await.expect("kill");
    let _ = running.await;
    // Started again, the same file finishes the import.
    let server = crate::helpers::spawn_process(&db.data_dir(), &db.database_url()).await;
    let partial = fund_size(server.base.clone()).await;
    assert!(
        partial < size + credits.len() as u64,
        "the kill came after the import had finished ({partial})"
    );
    let again = post(server.base.clone(), file).await.expect("POST");
    assert_eq!(again.status(), 201);
    let answer: Value = again.json().await.expect("json");
    assert!(
        answer["duplicates"].as_u64().is_some_and(|d| d >= 2_000),
        "{answer}"
    );
    assert_eq!(answer["lines"], 40_000);
    // Every credit is one gift, none twice; the seal adds them up.
    let seal_seq = answer["sealed_seq"].as_u64().expect("seq");
    let v: Value = client
        .get(format!("{}/funds/{F}/entries/{seal_seq}", server.base))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    let seal: Value =
        serde_json::from_str(v["canonical"].as_str().expect("canonical")).expect("json");
    assert_eq!(seal["body"]["gifts"], credits.len());
    assert_eq!(
        seal["body"]["gifts_vnd"],
        credits
            .iter()
            .map(|l| l.credit_vnd)
            .sum::<u64>()
            .to_string()
    );
    assert_eq!(
        fund_size(server.base.clone()).await,
        size + credits.len() as u64 + 1,
        "the gifts and the seal, nothing more"
    );
}

/// What senders wrote or banks said of them: none may be published.
const SECRETS: [&str; 9] = [
    "0351000646393",
    "19036677889900",
    "0912345678",
    "NGUYEN THE HUNG",
    "Nguyễn Thế Hùng",
    "TRAN THI BICH",
    "THE HUNG",
    "PHAM VAN DUC",
    "Đỗ Thị Mai",
];

async fn nothing_a_bank_says_of_a_sender_is_published(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let (cid, cref) = campaign(&app, &clerk, "Tháng cao điểm").await;
    let narratives = [
        format!("MBVCB.6986253876.SV {cref} ung ho.CT tu 0351000646393 NGUYEN THE HUNG toi 0011001234567"),
        "CT tu 19036677889900 TRAN THI BICH chuyen tien ung ho, lien he 0912345678".to_owned(),
        "Nguyễn Thế Hùng ủng hộ đồng bào, SĐT 0912345678".to_owned(),
        "SV ZZ99ZZ99 CT tu 0351000646393 NGUYEN THE HUNG".to_owned(),
    ];
    let lines: Vec<FixtureLine> = narratives
        .iter()
        .enumerate()
        .map(|(i, n)| {
            line(
                10 + i as u8,
                &format!("FT26P{i:03}"),
                100_000 * (i as u64 + 1),
                0,
                n,
            )
        })
        .collect();
    for (layout, account) in [
        (Layout::GenericCsv, acct),
        (Layout::Vietcombank, "0011001234568"),
        (Layout::Camt053, "0011001234569"),
    ] {
        if account != acct {
            assert_eq!(open_account(&app, account).await.status, 201);
        }
        let a = import(
            &app,
            &clerk,
            account,
            statement(layout, account, 5_000_000, &lines),
        )
        .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    // A line in review settled as a gift, and webhooks' lines.
    let q = app
        .get_as(&format!("/funds/{F}/bank-lines?status=review"), &clerk)
        .await;
    let id = q.body["lines"][0]["line_id"]
        .as_str()
        .expect("a line in review")
        .to_owned();
    let g = app
        .post(
            &format!("/funds/{F}/bank-lines/{id}/settle"),
            Some(&clerk),
            &json!({"as": "gift", "campaign_id": cid}),
        )
        .await;
    assert_eq!(g.status, 200, "{}", g.text);
    let app = with_webhooks(app, acct).await;
    let sepay = json!({"id": 1, "gateway": "VCB", "transactionDate": "2026-11-20 09:00:00", "accountNumber": acct,
        "content": "CT tu 0351000646393 PHAM VAN DUC 0912345678", "transferType": "in", "transferAmount": 70000,
        "accumulated": null, "referenceCode": "FT26324999999"});
    assert_eq!(
        webhook(
            &app,
            "/intake/sepay",
            &[("authorization", format!("Apikey {SEPAY_KEY}"))],
            &sepay
        )
        .await
        .status,
        200
    );
    let casso = json!({"error": 0, "data": {"id": 2, "reference": "FT26324999998", "description": "ung ho 0912345678",
        "amount": 80000, "runningBalance": 1, "transactionDateTime": "2026-11-20 10:00:00", "accountNumber": acct,
        "counterAccountName": "Đỗ Thị Mai", "counterAccountNumber": "19036677889900"}});
    assert_eq!(
        webhook(
            &app,
            "/intake/casso",
            &[("x-casso-signature", casso_signature(&casso, CASSO_KEY))],
            &casso
        )
        .await
        .status,
        200
    );
    app.signed(F).await;

    // Every public answer, page and file.
    let gifts = saoke(&app).await;
    assert!(gifts.len() >= 12, "{}", gifts.len());
    let mut public: Vec<(String, String)> = Vec::new();
    for path in [
        format!("/funds/{F}"),
        format!("/funds/{F}/entries?limit=1000"),
        format!("/funds/{F}/export"),
        format!("/funds/{F}/donations?limit=1000"),
        format!("/funds/{F}/donations?format=csv"),
        format!("/funds/{F}/checkpoint"),
        format!("/funds/{F}/bank-statements"),
        format!("/funds/{F}/bank-accounts"),
        format!("/funds/{F}/campaigns"),
        format!("/funds/{F}/statement?period=2026"),
        format!("/funds/{F}/where-money-went"),
    ] {
        let a = app.get(&path).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        public.push((path, a.text));
    }
    for g in &gifts {
        let seq = g["seq"].as_u64().expect("seq");
        let a = app.get(&format!("/funds/{F}/gifts/{seq}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        public.push((format!("gift {seq}"), a.text));
    }
    let xlsx = app
        .client
        .get(format!("{}/funds/{F}/donations?format=xlsx", app.base))
        .send()
        .await
        .expect("xlsx")
        .bytes()
        .await
        .expect("bytes");
    public.push((
        "xlsx".into(),
        crate::helpers::xlsx_rows(&xlsx).concat().join("|"),
    ));
    let site = app.base.trim_end_matches("/api/v1").to_owned();
    let mut pages = vec![
        format!("/f/{F}"),
        format!("/f/{F}/sao-ke"),
        format!("/f/{F}/bao-cao"),
        format!("/f/{F}/ung-ho"),
        "/".to_owned(),
    ];
    pages.extend(gifts.iter().map(|g| format!("/f/{F}/g/{}", g["seq"])));
    for p in pages {
        let r = app
            .client
            .get(format!("{site}{p}"))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200, "{p}");
        public.push((p, r.text().await.expect("html")));
    }
    for (what, text) in &public {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{what} publishes {secret:?}");
            let folded = sovang::ledger::saoke::fold_for_search(secret);
            assert!(
                !sovang::ledger::saoke::fold_for_search(text).contains(&folded),
                "{what} publishes {secret:?}"
            );
        }
    }
    // The clerk reads them, logged.
    let q = app
        .get_as(&format!("/funds/{F}/bank-lines?limit=1000"), &clerk)
        .await;
    assert!(q.text.contains("0351000646393") && q.text.contains("NGUYEN THE HUNG"));
    let inspector = app.token("inspector", "HN").await;
    let log = app.get_as("/audit/access-log", &inspector).await;
    assert!(log.text.contains("bank_line:"), "{}", log.text);
    // And the database holds them only sealed.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.db.database_url())
        .await
        .expect("connect");
    let rows = sqlx::query("SELECT private FROM bank_lines")
        .fetch_all(&pool)
        .await
        .expect("lines");
    assert!(rows.len() >= 14, "{}", rows.len());
    for r in rows {
        let stored: String = sqlx::Row::get(&r, "private");
        assert!(
            stored.starts_with("sv1:"),
            "a line's private part is sealed"
        );
        for secret in SECRETS {
            assert!(!stored.contains(secret));
        }
    }
    pool.close().await;
}

async fn the_command_line_takes_a_statement_in_with_its_progress(app: TestApp) {
    let clerk = setup(&app).await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    let _ = clerk;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("sao-ke.xlsx");
    let lines = sovang::intake::statement::fixtures::lines(2_500, date!(2026 - 11 - 01), "");
    std::fs::write(&path, statement(Layout::Mb, acct, 1_000_000_000, &lines)).expect("write");
    let file = path.to_str().expect("path");
    let size = app.size(F).await;
    let (code, out, err) = crate::cli::sovang(
        &app,
        &["import-statement", "--fund", F, "--account", acct, file],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let credits = lines.iter().filter(|l| l.credit_vnd > 0).count();
    assert!(
        out.contains(&format!("MB: 2500 lines ({credits} credits")),
        "{out}"
    );
    assert!(out.contains(&format!("{credits} recorded")), "{out}");
    // The progress, a line per tenth when not at a terminal.
    assert!(
        err.contains("0/2500 lines") && err.contains("2500/2500 lines"),
        "{err}"
    );
    assert_eq!(app.size(F).await, size + credits as u64 + 1);
    // Again: nothing new.
    let (code, out, _) = crate::cli::sovang(
        &app,
        &["import-statement", "--fund", F, "--account", acct, file],
    )
    .await;
    assert_eq!(code, 0);
    assert!(
        out.contains("0 recorded") && out.contains("2500 taken in before"),
        "{out}"
    );
    assert_eq!(app.size(F).await, size + credits as u64 + 1);
    // A file that does not add up, an account not the fund's: exit 1, nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "date,ref,credit,debit,balance,description\n01/11/2026,FT1,1000,,5000,x\n02/11/2026,FT2,1000,,7000,y\n").expect("write");
    let (code, _, err) = crate::cli::sovang(
        &app,
        &[
            "import-statement",
            "--fund",
            F,
            "--account",
            acct,
            bad.to_str().expect("path"),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("balance"), "{err}");
    let (code, _, err) = crate::cli::sovang(
        &app,
        &[
            "import-statement",
            "--fund",
            F,
            "--account",
            "999999999",
            file,
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not one of this fund's"), "{err}");
    assert_eq!(app.size(F).await, size + credits as u64 + 1);
    // And the ledger verifies, seals included.
    let (code, out, err) = crate::cli::sovang(&app, &["verify", "--fund", F, "--deep"]).await;
    assert_eq!(code, 0, "{out}{err}");
}

/// The ways one clerk could make a bank line say what it is not, each
/// refused: an outflow not approved, one used for two debits, another
/// amount; two clerks recording one credit at once; a gift reversed after
/// its statement, which a later statement still seals around.
async fn one_clerk_cannot_bend_a_bank_line(app: TestApp) {
    let clerk = setup(&app).await;
    let clerk2 = app.token("clerk", "HN-PX").await;
    let approver = app.token("approver", "HN-PX").await;
    let acct = "0011001234567";
    assert_eq!(open_account(&app, acct).await.status, 201);
    app.record(
        F,
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Quỹ", "kind": "organization"},
        "amount_vnd": "90000000", "channel": "cash", "received_on": "2026-11-01"}),
    )
    .await;
    let lines = [
        line(5, "FT0A01", 0, 30_000_000, "CHI HO TRO"),
        line(5, "FT0A02", 0, 30_000_000, "CHI HO TRO"),
        line(6, "FT0A03", 500_000, 0, "SV QQ55QQ55 ung ho"),
        line(6, "FT0A04", 700_000, 0, "ung ho"),
    ];
    let a = import(
        &app,
        &clerk,
        acct,
        statement(Layout::GenericCsv, acct, 60_000_000, &lines),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let q = app
        .get_as(&format!("/funds/{F}/bank-lines?status=review"), &clerk)
        .await;
    let id = |r: &str| {
        q.body["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["bank_ref"] == r))
            .and_then(|x| x["line_id"].as_str())
            .expect("line")
            .to_owned()
    };
    let (d1, d2, c3) = (id("FT0A01"), id("FT0A02"), id("FT0A03"));
    let settle = |token: &str, line: &str, body: Value| {
        let (path, token) = (
            format!("/funds/{F}/bank-lines/{line}/settle"),
            token.to_owned(),
        );
        let app = &app;
        async move { app.post(&path, Some(&token), &body).await }
    };
    // An expense of 30 million waits for approval: it settles no debit yet.
    let e = app
        .record(
            F,
            &clerk,
            "expense",
            json!({"category": "other", "amount_vnd": "30000000", "decision_ref": "QĐ 5"}),
        )
        .await;
    let seq = e["seq"].as_u64().expect("seq");
    settle(&clerk, &d1, json!({"as": "outflow", "seq": seq}))
        .await
        .problem(422);
    let other = app
        .record(
            F,
            &clerk,
            "expense",
            json!({"category": "other", "amount_vnd": "1000", "decision_ref": "QĐ 6"}),
        )
        .await;
    settle(&clerk, &d1, json!({"as": "outflow", "seq": other["seq"]}))
        .await
        .problem(422);
    app.approve_pending(F, &approver).await;
    let ok = settle(&clerk, &d1, json!({"as": "outflow", "seq": seq})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["line"]["status"], "outflow");
    // The same expense does not settle the second debit.
    let twice = settle(&clerk, &d2, json!({"as": "outflow", "seq": seq})).await;
    twice.problem(422);
    assert!(twice.text.contains("another debit"), "{}", twice.text);
    // Two clerks record the same credit at once: one gift.
    let size = app.size(F).await;
    let (x, y) = tokio::join!(
        settle(&clerk, &c3, json!({"as": "gift"})),
        settle(&clerk2, &c3, json!({"as": "gift"}))
    );
    let mut codes = [x.status.as_u16(), y.status.as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "{} / {}", x.text, y.text);
    assert_eq!(app.size(F).await, size + 1);
    // A gift of the statement reversed; a later statement overlapping it
    // is still sealed, the reversed line counted as waiting.
    let gift = saoke(&app)
        .await
        .into_iter()
        .find(|g| g["bank_ref"] == "FT0A04")
        .expect("gift");
    app.record(
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": gift["seq"], "reason": "Ngân hàng hoàn trả"}),
    )
    .await;
    app.approve_pending(F, &approver).await;
    let more = [lines[3].clone(), line(7, "FT0A05", 100_000, 0, "ung ho")];
    // Opening: 60 million, less the two debits, plus the first credit.
    let opening = 500_000;
    let b = import(
        &app,
        &clerk,
        acct,
        statement(Layout::GenericCsv, acct, opening, &more),
    )
    .await;
    assert_eq!(b.status, 201, "{}", b.text);
    let seal = entry_body(&app, b.body["sealed_seq"].as_u64().expect("seq")).await;
    assert_eq!(seal["gifts"], 1);
    assert_eq!(seal["review_credit_lines"], 1, "{seal}");
}

crate::both!(
    accounts_and_vietqr,
    every_layout_is_taken_in_matched_and_sealed,
    importing_twice_overlapping_or_after_hand_entry_doubles_nothing,
    bad_statements_are_refused_whole,
    an_oversized_statement_is_refused,
    the_review_queue_settles_each_line_once_and_logs_it,
    an_old_unsettled_debit_is_a_high_finding,
    webhooks_take_lines_in_once_and_statements_link_them,
    a_killed_import_run_again_completes_without_doubling,
    nothing_a_bank_says_of_a_sender_is_published,
    the_command_line_takes_a_statement_in_with_its_progress,
    one_clerk_cannot_bend_a_bank_line,
);
