//! Nobody alone (SPEC §9): each attack an insider tried against the
//! server, played again. Each now ends pending, refused with its rule, or
//! caught, and the books stay right.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const F: &str = "HN-VNN";

fn gift(amount: &str) -> Value {
    json!({"donor": {"display": "Công ty Hòa Phát", "kind": "organization"},
           "amount_vnd": amount, "channel": "bank_transfer", "received_on": "2026-11-02"})
}

fn household(id: &str) -> Value {
    json!({"kind": "household_registered",
           "body": {"household_id": id, "commune_code": "HN", "hamlet": "Thôn 1",
                    "category": "poor", "members": 4, "review_year": 2026},
           "private": {"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}})
}

fn status(e: &Value) -> String {
    let entry: Value = serde_json::from_str(e["canonical"].as_str().unwrap()).unwrap();
    entry["body"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Refused with `rule`, and nothing recorded anywhere in the fund.
async fn refused(app: &TestApp, token: &str, kind: &str, body: Value, rule: &str) -> Value {
    let before = (app.fund_view(F).await, app.size(F).await);
    let a = app.entry(F, token, kind, body).await;
    a.problem(422);
    assert_eq!(a.body["rule"], rule, "{}", a.text);
    assert_eq!((app.fund_view(F).await, app.size(F).await), before);
    a.body
}

async fn one_clerk_cannot_drain_a_fund(app: TestApp) {
    let clerk = app.with_fund().await;
    let approver = app.token("approver", "HN").await;
    app.record(F, &clerk, "donation_cash", gift("150000000"))
        .await;
    // The clerk registers a household and pays it three times just under
    // the threshold, then records a large expense.
    app.record_batch(F, &clerk, vec![household("ho-1")]).await;
    let mut paid = Vec::new();
    for n in 1..=3 {
        let d = app
            .record(
                F,
                &clerk,
                "distribution",
                json!({"distribution_id": format!("yte-{n}"), "household_id": "ho-1",
                       "support_type": "medical", "cash_vnd": "19999999", "decision_ref": "QĐ 5"}),
            )
            .await;
        assert_eq!(status(&d), "pending", "{d}");
        paid.push(d);
    }
    let expense = app
        .record(
            F,
            &clerk,
            "expense",
            json!({"category": "event", "amount_vnd": "45000000", "decision_ref": "QĐ 6"}),
        )
        .await;
    assert_eq!(status(&expense), "pending");
    // Nothing left the fund; what waits is held back from other spending.
    let f = app.fund_view(F).await;
    assert_eq!(f["balance_vnd"], "150000000");
    assert_eq!(f["reserved_vnd"], "104999997");
    assert_eq!(f["totals"]["expenses_vnd"], "0");
    assert_eq!(f["totals"]["distributed_cash_vnd"], "0");
    refused(
        &app,
        &clerk,
        "expense",
        json!({"category": "event", "amount_vnd": "45000004", "decision_ref": "QĐ 7"}),
        "insufficient_funds",
    )
    .await;
    // The clerk cannot approve, not even with an approver token of their
    // own: the approver is another person.
    app.entry(
        F,
        &clerk,
        "outflow_approved",
        json!({"of_seq": expense["seq"]}),
    )
    .await
    .problem(403);
    let person: Value = serde_json::from_str(expense["canonical"].as_str().unwrap()).unwrap();
    let own = app
        .post(
            "/tokens",
            Some(&app.admin),
            &json!({"name": "the clerk again", "role": "approver", "committee_code": "HN",
                    "person_id": person["actor"]}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    let own = own.body["token"].as_str().unwrap().to_owned();
    refused(
        &app,
        &own,
        "outflow_approved",
        json!({"of_seq": expense["seq"]}),
        "self_approval",
    )
    .await;
    // The approver voids the expense and approves one payment.
    app.record(
        F,
        &approver,
        "outflow_voided",
        json!({"of_seq": expense["seq"], "reason": "Không có quyết định chi"}),
    )
    .await;
    app.record(
        F,
        &approver,
        "outflow_approved",
        json!({"of_seq": paid[0]["seq"], "decision_ref": "Thường trực họp 20/11"}),
    )
    .await;
    let f = app.fund_view(F).await;
    assert_eq!(f["balance_vnd"], "130000001");
    assert_eq!(f["reserved_vnd"], "39999998");
    assert_eq!(f["totals"]["expenses_vnd"], "0");
    let outflows = app.get("/funds/HN-VNN/outflows?status=voided").await.body;
    assert_eq!(outflows["outflows"][0]["kind"], "expense");
    assert_eq!(outflows["outflows"][0]["seq"], expense["seq"]);
    // Settled once: approving it again, or what is no outflow, is refused.
    refused(
        &app,
        &approver,
        "outflow_approved",
        json!({"of_seq": expense["seq"]}),
        "not_pending",
    )
    .await;
    refused(
        &app,
        &approver,
        "outflow_approved",
        json!({"of_seq": 1}),
        "unknown_outflow",
    )
    .await;
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
    // The inspector sees the pattern.
    let f = app.get_as("/funds/HN-VNN/audit/findings", &inspector).await;
    assert_eq!(f.status, 200, "{}", f.text);
    let find = |kind: &str| {
        f.body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {}", f.text))
            .clone()
    };
    let seqs: Vec<Value> = paid.iter().map(|d| d["seq"].clone()).collect();
    assert_eq!(find("repeated_outflows_to_household")["seqs"], json!(seqs));
    assert_eq!(find("paid_own_household")["seqs"], json!(seqs));
    assert_eq!(find("just_under_threshold")["seqs"], json!(seqs));
    app.stop().await;
}

async fn goods_leave_stock_at_the_book_s_value(app: TestApp) {
    let clerk = app.with_fund().await;
    let registrar = app.token("clerk", "HN").await;
    app.record_batch(F, &registrar, vec![household("ho-1")])
        .await;
    app.record(
        F,
        &clerk,
        "donation_in_kind",
        json!({"donor": {"display": "Siêu thị Co.op", "kind": "organization"},
               "items": [{"item": "QUA-TET", "quantity": "40", "unit": "gói",
                          "unit_value_vnd": "500000", "value_vnd": "20000000"},
                         {"item": "GAO", "quantity": "100", "unit": "kg",
                          "unit_value_vnd": "20000", "value_vnd": "2000000"}],
               "total_value_vnd": "22000000", "received_on": "2026-11-02"}),
    )
    .await;
    let out = |item: &str, unit: &str, q: &str, values: Option<(&str, &str)>| {
        let mut line = json!({"item": item, "quantity": q, "unit": unit});
        if let Some((u, v)) = values {
            line["unit_value_vnd"] = json!(u);
            line["value_vnd"] = json!(v);
        }
        json!({"household_id": "ho-1", "support_type": "relief", "cash_vnd": "0",
               "items": [line], "decision_ref": "QĐ 3"})
    };
    // 40 packs at 1 đồng, and one kilogram of rice "worth" 19,999,999.
    let a = refused(
        &app,
        &clerk,
        "distribution",
        out("QUA-TET", "gói", "40", Some(("1", "40"))),
        "goods_value",
    )
    .await;
    assert_eq!(a["errors"][0]["field"], "body.items[0].value_vnd");
    assert!(a["detail"].as_str().unwrap().contains("20000000"), "{a}");
    refused(
        &app,
        &clerk,
        "distribution",
        out("GAO", "kg", "1", Some(("19999999", "19999999"))),
        "goods_value",
    )
    .await;
    // Left out, the values are the book's.
    let d = app
        .record(F, &clerk, "distribution", out("GAO", "kg", "1", None))
        .await;
    let entry: Value = serde_json::from_str(d["canonical"].as_str().unwrap()).unwrap();
    assert_eq!(entry["body"]["items"][0]["value_vnd"], "20000");
    assert_eq!(entry["body"]["items"][0]["unit_value_vnd"], "20000");
    let packs = app
        .record(F, &clerk, "distribution", out("QUA-TET", "gói", "40", None))
        .await;
    assert_eq!(status(&packs), "pending", "20,000,000 at the book's value");
    let stock = app.get("/funds/HN-VNN/stock").await.body;
    for line in stock["stock"].as_array().unwrap() {
        assert!(
            !line["value_vnd"].as_str().unwrap().starts_with('-'),
            "{line}"
        );
    }
    let inspector = app.token("inspector", "HN").await;
    app.assert_replay_consistent(F, &inspector).await;
    app.stop().await;
}

async fn transfers_go_along_the_committee_tree(app: TestApp) {
    let clerk = app.with_fund().await;
    app.committee("HN-PX", Some("HN")).await;
    app.committee("HCM", None).await;
    app.committee("HCM-Q1", Some("HCM")).await;
    app.fund("PX-VNN", "HN-PX").await;
    app.fund("Q1-VNN", "HCM-Q1").await;
    app.fund("HCM-VNN", "HCM").await;
    app.record(F, &clerk, "donation_cash", gift("10000000"))
        .await;
    let transfer = |to: &str, purpose: &str| {
        json!({"counterparty_fund": to, "amount_vnd": "1", "decision_ref": "QĐ 9",
               "purpose": purpose})
    };
    for other in ["Q1-VNN", "HCM-VNN"] {
        refused(
            &app,
            &clerk,
            "transfer_out",
            transfer(other, "Ủng hộ"),
            "transfer_not_allowed",
        )
        .await;
        assert_eq!(app.size(other).await, 1, "nothing reached {other}");
    }
    // A purpose of 2,000 characters, even to the committee's own child.
    let before = app.size("PX-VNN").await;
    let a = app
        .entry(
            F,
            &clerk,
            "transfer_out",
            transfer("PX-VNN", &"x".repeat(501)),
        )
        .await;
    a.problem(422);
    assert_eq!(a.fields(), ["body.purpose"]);
    assert_eq!(app.size("PX-VNN").await, before);
    let t = app
        .record(F, &clerk, "transfer_out", transfer("PX-VNN", "Hỗ trợ xã"))
        .await;
    assert_eq!(t["counterpart"]["fund"], "PX-VNN");
    // Below the approval threshold it took effect at once, and so does
    // its reversal: on both sides, in the same commit.
    let size = app.size("PX-VNN").await;
    let back = app
        .record(
            F,
            &clerk,
            "reversal",
            json!({"reverses_seq": t["seq"], "reason": "Nhầm xã"}),
        )
        .await;
    assert_eq!(back["counterpart"]["fund"], "PX-VNN", "{back}");
    assert_eq!(back["counterpart"]["kind"], "reversal", "{back}");
    assert_eq!(back["counterpart"]["seq"], size, "{back}");
    assert_eq!(app.size("PX-VNN").await, size + 1);
    app.stop().await;
}

async fn a_token_belongs_to_a_person_who_must_exist(app: TestApp) {
    app.with_fund().await;
    let before = app.get_as("/tokens", &app.admin).await.body;
    for bad in [json!("pe-khong-co"), json!(7), json!("")] {
        let a = app
            .post(
                "/tokens",
                Some(&app.admin),
                &json!({"name": "Nguyễn Văn An", "role": "clerk", "committee_code": "HN",
                        "person_id": bad}),
            )
            .await;
        assert!(
            a.status == 422 || a.status == 400,
            "{bad}: {} {}",
            a.status,
            a.text
        );
        assert!(a.text.contains("person_id"), "{}", a.text);
    }
    assert_eq!(app.get_as("/tokens", &app.admin).await.body, before);
    let made = app
        .post(
            "/tokens",
            Some(&app.admin),
            &json!({"name": "Nguyễn Văn An", "role": "clerk", "committee_code": "HN"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let person = made.body["person_id"].as_str().unwrap().to_owned();
    assert!(person.starts_with("pe-"), "{person}");
    let second = app
        .post(
            "/tokens",
            Some(&app.admin),
            &json!({"name": "An, phone", "role": "approver", "committee_code": "HN",
                    "person_id": person}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.body["person_id"], made.body["person_id"]);
    app.stop().await;
}

async fn outflow_settlements_refuse_bad_input_and_change_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    let approver = app.token("approver", "HN").await;
    app.record(F, &clerk, "donation_cash", gift("50000000"))
        .await;
    let e = app
        .record(
            F,
            &clerk,
            "expense",
            json!({"category": "event", "amount_vnd": "30000000", "decision_ref": "QĐ 6"}),
        )
        .await;
    let before = (app.fund_view(F).await, app.size(F).await);
    for (kind, body, field) in [
        ("outflow_approved", json!({"of_seq": -1}), "body.of_seq"),
        ("outflow_approved", json!({"of_seq": "3"}), "body.of_seq"),
        ("outflow_approved", json!({"of_seq": 1.5}), "body.of_seq"),
        ("outflow_approved", json!({}), "body"),
        (
            "outflow_approved",
            json!({"of_seq": e["seq"], "amount_vnd": "1"}),
            "body.amount_vnd",
        ),
        ("outflow_voided", json!({"of_seq": e["seq"]}), "body"),
        (
            "outflow_voided",
            json!({"of_seq": e["seq"], "reason": "x".repeat(2001)}),
            "body.reason",
        ),
        (
            "outflow_voided",
            json!({"of_seq": e["seq"], "reason": ""}),
            "body.reason",
        ),
    ] {
        let a = app.entry(F, &approver, kind, body.clone()).await;
        a.problem(422);
        assert!(
            a.fields().iter().any(|f| f.starts_with(field)),
            "{kind} {body}: {}",
            a.text
        );
    }
    // A client may not set an outflow's status.
    let a = app
        .entry(
            F,
            &clerk,
            "expense",
            json!({"category": "event", "amount_vnd": "1", "decision_ref": "x", "status": "approved"}),
        )
        .await;
    a.problem(422);
    assert_eq!(a.fields(), ["body.status"]);
    refused(
        &app,
        &approver,
        "outflow_approved",
        json!({"of_seq": 10_000}),
        "unknown_outflow",
    )
    .await;
    assert_eq!((app.fund_view(F).await, app.size(F).await), before);
    // A replayed approval is answered once, recorded once.
    let send = || {
        app.client
            .post(format!("{}/funds/{F}/entries", app.base))
            .bearer_auth(&approver)
            .header("Idempotency-Key", "duyet-chi-1")
            .json(&json!({"kind": "outflow_approved", "body": {"of_seq": e["seq"]}}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["seq"], again["seq"]);
    assert_eq!(app.fund_view(F).await["totals"]["expenses_vnd"], "30000000");
    app.stop().await;
}

/// Every public text field and every id a client makes, against what an
/// insider would type to publish a person (SPEC §9).
async fn personal_data_is_refused_on_every_public_field(app: TestApp) {
    let clerk = app.with_fund().await;
    let bad = [
        "0912345678",
        "gọi 0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84 912 345 678",
        "001085012345",
        "STK 0011004123456 Vietcombank",
        "cccd của chủ hộ",
        "Số điện thoại",
        "so tai khoan",
        "nguyenvana@gmail.com",
        "Lan\u{202E}gnaL",
        "Lan\u{200B}Anh",
        "０９１２３４５６７８",
        "09\u{200B}12345678",
    ];
    // (kind, body, field path): the field is set to each bad text.
    let fields: Vec<(&str, Value, &str)> = vec![
        (
            "donation_cash",
            json!({"donor": {"display": "x", "kind": "individual"}, "amount_vnd": "1000",
            "channel": "cash", "received_on": "2026-11-02"}),
            "donor.display",
        ),
        (
            "donation_cash",
            json!({"donor": {"display": "Bà Lan", "kind": "individual"}, "amount_vnd": "1000",
            "channel": "cash", "received_on": "2026-11-02", "note": "x"}),
            "note",
        ),
        (
            "donation_in_kind",
            json!({"donor": {"display": "HTX", "kind": "organization"},
            "items": [{"item": "GAO", "description": "x", "quantity": "1", "unit": "kg",
                       "unit_value_vnd": "1000", "value_vnd": "1000"}],
            "total_value_vnd": "1000", "received_on": "2026-11-02"}),
            "items.0.description",
        ),
        (
            "pledge",
            json!({"donor": {"display": "x", "kind": "organization"}, "amount_vnd": "1000"}),
            "donor.display",
        ),
        (
            "campaign_opened",
            json!({"name": "x", "kind": "peak_month", "starts_on": "2026-10-17",
            "ends_on": "2026-11-18"}),
            "name",
        ),
        (
            "household_registered",
            json!({"commune_code": "HN", "hamlet": "x", "category": "poor",
            "members": 2, "review_year": 2026}),
            "hamlet",
        ),
        (
            "distribution",
            json!({"household_id": "ho-1", "support_type": "tet_gift", "cash_vnd": "1000",
            "decision_ref": "x"}),
            "decision_ref",
        ),
        (
            "distribution",
            json!({"distribution_id": "x", "household_id": "ho-1", "support_type": "tet_gift",
            "cash_vnd": "1000", "decision_ref": "QĐ 1"}),
            "distribution_id",
        ),
        (
            "expense",
            json!({"category": "event", "amount_vnd": "1000", "decision_ref": "QĐ 1", "note": "x"}),
            "note",
        ),
        (
            "transfer_out",
            json!({"counterparty_fund": "HN-CT", "amount_vnd": "1000", "decision_ref": "QĐ 1",
            "purpose": "x"}),
            "purpose",
        ),
        (
            "reversal",
            json!({"reverses_seq": 1, "reason": "x"}),
            "reason",
        ),
    ];
    let before = (app.fund_view(F).await, app.size(F).await);
    for (kind, body, path) in &fields {
        for text in bad {
            let mut b = body.clone();
            let slot = path
                .split('.')
                .fold(&mut b, |v, k| match k.parse::<usize>() {
                    Ok(i) => &mut v[i],
                    Err(_) => &mut v[k],
                });
            *slot = json!(text);
            let mut private = None;
            if *kind == "household_registered" {
                private = Some(
                    json!({"head_name": "Lê Văn Tám", "cccd": "001085000444", "address": "Thôn 1"}),
                );
            }
            let mut request = json!({"kind": kind, "body": b});
            if let Some(p) = private {
                request["private"] = p;
            }
            let a = app
                .post("/funds/HN-VNN/entries", Some(&clerk), &request)
                .await;
            a.problem(422);
            let want = format!("body.{}", path.replace(".0.", "[0]."));
            assert_eq!(
                (
                    a.body["rule"].as_str(),
                    a.body["errors"][0]["field"].as_str()
                ),
                (Some("personal_data"), Some(want.as_str())),
                "{kind} {path} = {text:?}: {}",
                a.text
            );
            assert!(
                !a.text.contains("0912345678") && !a.text.contains("0011004123456"),
                "the answer does not echo it: {}",
                a.text
            );
        }
    }
    assert_eq!(
        (app.fund_view(F).await, app.size(F).await),
        before,
        "nothing recorded"
    );
    // Ordinary names, organisations with short numbers, amounts, and a
    // bank's own reference are taken.
    for (display, note) in [
        ("Nguyễn Thị Hồng Nhung", "Ủng hộ 500.000 đồng"),
        ("Trường THCS số 2", "Lớp 9A góp 1 500 000"),
        ("Công ty 379", "Quyết định số 123/QĐ-UBND ngày 17/10/2026"),
        ("Đặng Văn Đức", "Tổ 12, khu phố 3"),
    ] {
        app.record(
            F,
            &clerk,
            "donation_cash",
            json!({"donor": {"display": display, "kind": "individual"}, "amount_vnd": "500000",
                   "channel": "bank_transfer", "received_on": "2026-11-02", "note": note,
                   "bank_ref": "FT26324123456"}),
        )
        .await;
    }
    // "Ẩn danh" names anonymous donors only.
    let a = app
        .entry(
            F,
            &clerk,
            "donation_cash",
            json!({"donor": {"display": "ẩn danh", "kind": "individual"}, "amount_vnd": "500000",
                   "channel": "cash", "received_on": "2026-11-02"}),
        )
        .await;
    a.problem(422);
    assert_eq!(a.body["rule"], "anonymous_display", "{}", a.text);
    app.stop().await;
}

/// From entry version 2 a household's hamlet is private, and public
/// figures show a hamlet only with enough households (SPEC §9).
async fn hamlets_are_private_and_small_ones_are_merged(app: TestApp) {
    let clerk = app.with_fund().await;
    let registrar = app.token("clerk", "HN").await;
    let inspector = app.token("inspector", "HN").await;
    app.record(F, &clerk, "donation_cash", gift("10000000"))
        .await;
    let places = [
        ("ho-1", "Thôn Đông"),
        ("ho-2", "Thôn Đông"),
        ("ho-3", "Thôn Đông"),
        ("ho-4", "Xóm Bãi"),
        ("ho-5", "Xóm Cát"),
    ];
    let households: Vec<Value> = places
        .iter()
        .map(|(id, hamlet)| {
            let mut h = household(id);
            h["body"]["hamlet"] = json!(hamlet);
            h
        })
        .collect();
    let written = app.record_batch(F, &registrar, households).await;
    for e in &written {
        let c = e["canonical"].as_str().unwrap();
        assert!(c.contains("\"v\":2"));
        assert!(
            !c.contains("Thôn") && !c.contains("Xóm") && !c.contains("hamlet"),
            "{c}"
        );
    }
    // The household's own record says where it lives, to those who may read it.
    let h = app.get_as("/households/ho-4", &inspector).await;
    assert_eq!(h.status, 200, "{}", h.text);
    assert!(h.text.contains("Xóm Bãi"), "{}", h.text);
    let batch: Vec<Value> = places
        .iter()
        .map(|(id, _)| {
            json!({"kind": "distribution", "body": {"household_id": id,
            "support_type": "tet_gift", "cash_vnd": "500000", "decision_ref": "QĐ 1"}})
        })
        .collect();
    app.record_batch(F, &clerk, batch).await;
    let w = app.get("/funds/HN-VNN/where-money-went").await;
    assert_eq!(w.status, 200, "{}", w.text);
    let by_place = &w.body["uses"]["by_place"]["HN"];
    assert_eq!(by_place["Thôn Đông"]["households"], 3, "{by_place}");
    // Xóm Bãi and Xóm Cát, one household each, are not shown, even merged.
    assert!(!w.text.contains("Xóm"), "{}", w.text);
    assert_eq!(by_place[""]["households"], 2, "{by_place}");
    assert_eq!(by_place[""]["cash_vnd"], "1000000");
    app.stop().await;
}

/// An admin may record outflows in its subtree. It may not then mint an
/// approver token, for a new person or for an existing approver, and
/// approve alone: a credential its recorder issued does not approve.
async fn an_admin_cannot_approve_with_a_token_it_issued(app: TestApp) {
    app.with_fund().await;
    let admin = app.admin.clone();
    app.record(F, &admin, "donation_cash", gift("150000000"))
        .await;
    let expense = app
        .record(
            F,
            &admin,
            "expense",
            json!({"category": "event", "amount_vnd": "45000000", "decision_ref": "QĐ 6"}),
        )
        .await;
    assert_eq!(status(&expense), "pending");
    app.record_batch(F, &admin, vec![household("ho-9")]).await;
    let paid = app
        .record(
            F,
            &admin,
            "distribution",
            json!({"distribution_id": "yte-9", "household_id": "ho-9",
                   "support_type": "medical", "cash_vnd": "15000000", "decision_ref": "QĐ 8"}),
        )
        .await;
    assert_eq!(status(&paid), "pending");
    // A token for a new person, and one for an approver who exists: both
    // issued by the recorder, neither approves, by either kind.
    let new_person = app.token("approver", "HN").await;
    let existing = app.token("approver", "HN").await;
    let existing_person = app.get_as("/tokens", &admin).await.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|t| t["role"] == "approver")
        .unwrap()["person_id"]
        .clone();
    let borrowed = app
        .post(
            "/tokens",
            Some(&admin),
            &json!({"name": "approver again", "role": "approver", "committee_code": "HN",
                    "person_id": existing_person}),
        )
        .await;
    assert_eq!(borrowed.status, 201, "{}", borrowed.text);
    let borrowed = borrowed.body["token"].as_str().unwrap().to_owned();
    for token in [&new_person, &existing, &borrowed] {
        for (kind, body) in [
            ("outflow_approved", json!({"of_seq": expense["seq"]})),
            ("outflow_approved", json!({"of_seq": paid["seq"]})),
            ("distribution_approved", json!({"distribution_id": "yte-9"})),
        ] {
            let p = refused(&app, token, kind, body, "self_approval").await;
            assert!(p["detail"].as_str().unwrap().contains("issued"), "{p}");
        }
    }
    // An approver whose token another admin issued approves.
    let second_admin = app
        .post(
            "/tokens",
            Some(&admin),
            &json!({"name": "Phó chủ tịch", "role": "admin", "committee_code": "HN"}),
        )
        .await;
    assert_eq!(second_admin.status, 201, "{}", second_admin.text);
    let second_admin = second_admin.body["token"].as_str().unwrap().to_owned();
    let other = app
        .post(
            "/tokens",
            Some(&second_admin),
            &json!({"name": "Thường trực", "role": "approver", "committee_code": "HN"}),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    let other = other.body["token"].as_str().unwrap().to_owned();
    app.record(
        F,
        &other,
        "outflow_approved",
        json!({"of_seq": expense["seq"]}),
    )
    .await;
    app.record(
        F,
        &other,
        "distribution_approved",
        json!({"distribution_id": "yte-9"}),
    )
    .await;
    let f = app.fund_view(F).await;
    assert_eq!(f["balance_vnd"], "90000000");
    assert_eq!(f["reserved_vnd"], "0");
    app.stop().await;
}

crate::both!(
    an_admin_cannot_approve_with_a_token_it_issued,
    hamlets_are_private_and_small_ones_are_merged,
    personal_data_is_refused_on_every_public_field,
    one_clerk_cannot_drain_a_fund,
    goods_leave_stock_at_the_book_s_value,
    transfers_go_along_the_committee_tree,
    a_token_belongs_to_a_person_who_must_exist,
    outflow_settlements_refuse_bad_input_and_change_nothing,
);
