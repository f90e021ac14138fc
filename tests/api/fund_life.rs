//! A fund's whole life, as committees live it: a commune's peak month and a
//! province's typhoon campaign, with every figure a clerk, an approver and
//! an inspector would check, exactly.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const PEAK: &str = "cao-diem-2026";

fn donor(name: &str) -> Value {
    json!({"display": name, "kind": "individual"})
}

fn company(name: &str) -> Value {
    json!({"display": name, "kind": "organization"})
}

/// A cash gift to the peak-month campaign.
/// 1500000 as "1.500.000".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn cash(amount: u64, day: u32, extra: Value) -> Value {
    let mut body = json!({
        // An amount in a name is written grouped, as people write it: a
        // run of nine digits would be refused as personal data.
        "donor": donor(&format!("Nhà hảo tâm ({} đồng)", grouped(amount))),
        "amount_vnd": amount.to_string(),
        "channel": "bank_transfer",
        "received_on": format!("2026-10-{day:02}"),
        "campaign_id": PEAK,
        "bank_ref": format!("FT26{day:02}{amount}"),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    json!({"kind": "donation_cash", "body": body})
}

/// An item line of `quantity` units at `unit_value` đồng.
fn line(item: &str, unit: &str, quantity: u64, unit_value: u64) -> Value {
    json!({"item": item, "quantity": quantity.to_string(), "unit": unit,
           "unit_value_vnd": unit_value.to_string(),
           "value_vnd": (quantity * unit_value).to_string()})
}

fn goods(lines: Vec<Value>, total: u64, day: u32) -> Value {
    json!({"kind": "donation_in_kind", "body": {
        "donor": company("Siêu thị Phú Xuyên"),
        "items": lines, "total_value_vnd": total.to_string(),
        "received_on": format!("2026-11-{day:02}"), "campaign_id": PEAK,
    }})
}

fn household(n: usize, category: &str) -> Value {
    json!({"kind": "household_registered",
        "body": {"household_id": format!("ho-{n:02}"), "commune_code": "HN-PX",
                 "hamlet": if n.is_multiple_of(2) { "Thôn Đông" } else { "Thôn Tây" },
                 "category": category, "members": 3 + n % 4, "review_year": 2026},
        "private": {"head_name": format!("Chủ hộ số {n}"), "cccd": format!("0010850{n:05}"),
                    "phone": format!("09123{n:05}"),
                    "address": format!("Số {n}, xã Phú Xuyên")}})
}

fn house(n: usize, cash: u64) -> Value {
    json!({"distribution_id": format!("nha-{n:02}"), "household_id": format!("ho-{n:02}"),
           "support_type": "house_new", "cash_vnd": cash.to_string(),
           "decision_ref": format!("QĐ {n}/QĐ-MTTQ")})
}

fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// Asserts the string figures of `v` named in `expected`.
fn assert_figures(what: &str, v: &Value, expected: &[(&str, &str)]) {
    for (path, want) in expected {
        assert_eq!(
            field(v, path).as_str(),
            Some(*want),
            "{what}.{path} in {v:#}"
        );
    }
}

async fn distributions(app: &TestApp, query: &str) -> Vec<Value> {
    let sep = if query.is_empty() { "?" } else { "&" };
    let a = app
        .get(&format!(
            "/funds/PX-VNN/distributions{query}{sep}limit=1000"
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["distributions"].as_array().unwrap().clone()
}

async fn a_commune_runs_its_peak_month(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.fund("HN-VNN", "HN").await;
    app.fund("PX-VNN", "HN-PX").await;
    let province = app.token("clerk", "HN").await;
    let clerk = app.token("clerk", "HN-PX").await;
    let approver = app.token("approver", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    // Households are registered by another clerk than the one who pays
    // them: a person does not pay alone a household they registered.
    let registrar = app.token("clerk", "HN-PX").await;
    let province_approver = app.token("approver", "HN").await;
    const F: &str = "PX-VNN";

    app.record(
        F,
        &clerk,
        "campaign_opened",
        json!({
        "campaign_id": PEAK, "name": "Tháng cao điểm Vì người nghèo 2026",
        "kind": "peak_month", "starts_on": "2026-10-17", "ends_on": "2026-11-18",
        "target_vnd": "500000000"}),
    )
    .await;

    // Pledges: one kept in two gifts, one half kept and overdue, one
    // cancelled.
    let p1 = app
        .record(
            F,
            &clerk,
            "pledge",
            json!({"pledge_id": "p-an-phat",
        "donor": company("Công ty TNHH An Phát"), "amount_vnd": "50000000",
        "campaign_id": PEAK}),
        )
        .await;
    app.record(
        F,
        &clerk,
        "pledge",
        json!({"pledge_id": "p-ong-binh",
        "donor": donor("Trần Văn Bình"), "amount_vnd": 10000000,
        "campaign_id": PEAK, "due_on": "2026-11-10"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "pledge",
        json!({"pledge_id": "p-huy",
        "donor": donor("Lê Quang Huy"), "amount_vnd": "5000000"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "pledge_cancelled",
        json!({"pledge_id": "p-huy", "reason": "Nhà hảo tâm chuyển sang ủng hộ quỹ cứu trợ"}),
    )
    .await;
    let reference = p1["canonical"]
        .as_str()
        .and_then(|c| {
            let v: Value = serde_json::from_str(c).ok()?;
            v["body"]["reference"].as_str().map(str::to_owned)
        })
        .expect("a pledge gets a transfer reference");
    assert!(
        reference.len() <= 20
            && reference
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );

    // 160 cash gifts of 500,000 to 1,400,000 đồng: 152,000,000 in all.
    let gifts: Vec<Value> = (0..160u64)
        .map(|i| {
            cash(
                500_000 + (i % 10) * 100_000,
                17 + (i % 15) as u32,
                json!({}),
            )
        })
        .collect();
    let written = app.record_batch(F, &clerk, gifts).await;
    assert_eq!(written.len(), 160);
    let receipts: Vec<&str> = written
        .iter()
        .map(|e| e["receipt"]["receipt_no"].as_str().unwrap())
        .collect();
    let codes: Vec<String> = written
        .iter()
        .map(|e| e["receipt"]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(receipts[0], "PX-VNN-2026-000001");
    assert_eq!(receipts[159], "PX-VNN-2026-000160");
    // The pledges' gifts, and two earmarked for solidarity houses.
    for (amount, pledge) in [
        (30_000_000, "p-an-phat"),
        (20_000_000, "p-an-phat"),
        (4_000_000, "p-ong-binh"),
    ] {
        let g = cash(amount, 28, json!({"pledge_id": pledge}));
        app.record(F, &clerk, "donation_cash", g["body"].clone())
            .await;
    }
    for _ in 0..2 {
        let g = cash(
            50_000_000,
            30,
            json!({"earmark": "house_new", "donor": company("Ngân hàng Hợp tác")}),
        );
        app.record(F, &clerk, "donation_cash", g["body"].clone())
            .await;
    }
    // 35 gifts in kind: 60 Tet packs and 750 kg of rice.
    let mut in_kind: Vec<Value> = (0..20)
        .map(|_| goods(vec![line("QUA-TET", "gói", 3, 500_000)], 1_500_000, 2))
        .collect();
    in_kind.extend((0..15).map(|_| goods(vec![line("GAO", "kg", 50, 20_000)], 1_000_000, 3)));
    let written = app.record_batch(F, &clerk, in_kind).await;
    assert_eq!(written[34]["receipt"]["receipt_no"], "PX-VNN-2026-000200");

    // The province sends money down for the houses.
    for i in 0..3 {
        let mut body = cash(100_000_000, 20 + i, json!({}))["body"].clone();
        body.as_object_mut().unwrap().remove("campaign_id");
        app.record("HN-VNN", &province, "donation_cash", body).await;
    }
    let t = app
        .record(
            "HN-VNN",
            &province,
            "transfer_out",
            json!({
        "transfer_id": "chuyen-px-01", "counterparty_fund": "PX-VNN", "amount_vnd": "150000000",
        "decision_ref": "QĐ 12/QĐ-MTTQ", "purpose": "Hỗ trợ xây nhà đại đoàn kết xã Phú Xuyên"}),
        )
        .await;
    // 150,000,000 wait for a second person; the money reaches the commune
    // when the province's approver approves.
    assert!(t["canonical"]
        .as_str()
        .unwrap()
        .contains("\"status\":\"pending\""));
    assert!(t["counterpart"].is_null(), "{t}");
    let t = app
        .record(
            "HN-VNN",
            &province_approver,
            "outflow_approved",
            json!({"of_seq": t["seq"], "decision_ref": "Thường trực họp 10/11"}),
        )
        .await;
    assert_eq!(t["counterpart"]["fund"], "PX-VNN");
    assert_eq!(t["counterpart"]["kind"], "transfer_in");
    let incoming = app
        .get(&format!(
            "/funds/PX-VNN/entries/{}",
            t["counterpart"]["seq"]
        ))
        .await;
    assert!(incoming.body["canonical"]
        .as_str()
        .unwrap()
        .contains("\"counterparty_fund\":\"HN-VNN\""));

    // 30 households: 12 poor, 10 near-poor, 5 newly out of poverty, 3 in hardship.
    let households: Vec<Value> = (1..=30)
        .map(|n| {
            household(
                n,
                match n {
                    1..=12 => "poor",
                    13..=22 => "near_poor",
                    23..=27 => "newly_escaped",
                    _ => "hardship",
                },
            )
        })
        .collect();
    app.record_batch(F, &registrar, households).await;

    // Seven houses proposed: each at or above the threshold waits for the
    // approver. Five are approved, one voided, one still waits.
    for n in 1..=6 {
        let d = app
            .record(F, &clerk, "distribution", house(n, 40_000_000))
            .await;
        assert!(d["canonical"]
            .as_str()
            .unwrap()
            .contains("\"status\":\"pending\""));
    }
    app.record(F, &clerk, "distribution", house(7, 45_000_000))
        .await;
    for n in 1..=5 {
        app.record(F, &approver, "distribution_approved",
            json!({"distribution_id": format!("nha-{n:02}"), "decision_ref": "Thường trực họp 15/11"})).await;
        app.record(
            F,
            &clerk,
            "distribution_acknowledged",
            json!({
            "distribution_id": format!("nha-{n:02}"), "method": "signature",
            "acknowledged_on": "2026-11-20", "evidence_sha256": "ab".repeat(32)}),
        )
        .await;
    }
    app.record(
        F,
        &approver,
        "distribution_voided",
        json!({"distribution_id": "nha-06", "reason": "Hộ đã được huyện hỗ trợ"}),
    )
    .await;

    // 40 Tet gifts from stock: 300,000 đồng, a pack and 10 kg of rice each.
    let tet: Vec<Value> = (0..40)
        .map(|i| {
            json!({"kind": "distribution", "body": {
            "household_id": format!("ho-{:02}", i % 30 + 1), "support_type": "tet_gift",
            "cash_vnd": "300000", "campaign_id": PEAK, "decision_ref": "QĐ 20/QĐ-MTTQ",
            "items": [line("QUA-TET", "gói", 1, 500_000), line("GAO", "kg", 10, 20_000)]}})
        })
        .collect();
    let written = app.record_batch(F, &clerk, tet).await;
    // One clerk's outflows of one day add up: past the houses proposed
    // today, each Tet gift waits for the approver, who approves them at
    // once.
    let waiting: Vec<Value> = written
        .iter()
        .filter(|e| {
            e["canonical"]
                .as_str()
                .unwrap()
                .contains("\"status\":\"pending\"")
        })
        .map(|e| json!({"kind": "outflow_approved", "body": {"of_seq": e["seq"]}}))
        .collect();
    assert_eq!(waiting.len(), 40);
    app.record_batch(F, &approver, waiting).await;

    // Corrections: a gift recorded twice is reversed, spoiled rice
    // written off, the bank's fee paid.
    let gift_seq = app
        .get("/funds/PX-VNN/entries?from=0&limit=1000")
        .await
        .body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["canonical"]
                .as_str()
                .unwrap()
                .contains("PX-VNN-2026-000010")
        })
        .map(|e| e["seq"].as_u64().unwrap())
        .unwrap();
    app.record(
        F,
        &clerk,
        "reversal",
        json!({"reverses_seq": gift_seq, "reason": "Ghi trùng với biên lai 000009"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "stock_adjusted",
        json!({"item": "GAO", "quantity_delta": "-10",
        "reason": "spoiled", "decision_ref": "BB 03/BB-MTTQ"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "expense",
        json!({"expense_id": "phi-ngan-hang-11", "category": "bank_fee",
        "amount_vnd": "22000", "decision_ref": "Sao kê tháng 11"}),
    )
    .await;
    // The clerk's day is past the threshold: the corrections wait too.
    assert_eq!(app.approve_listed(F, &approver, &["outflows"]).await, 3);

    // The fund: 304,600,000 received (less the reversed 1,400,000),
    // 150,000,000 in, 212,000,000 given, 22,000 in fees.
    let f = app.fund_view(F).await;
    assert_figures(
        "fund",
        &f,
        &[
            ("balance_vnd", "242578000"),
            ("reserved_vnd", "45000000"),
            ("available_vnd", "197578000"),
            ("totals.cash_received_vnd", "304600000"),
            ("totals.goods_received_vnd", "45000000"),
            ("totals.transfers_in_vnd", "150000000"),
            ("totals.distributed_cash_vnd", "212000000"),
            ("totals.distributed_goods_vnd", "28000000"),
            ("totals.expenses_vnd", "22000"),
            ("totals.stock_adjusted_vnd", "-200000"),
        ],
    );
    assert_eq!(f["totals"]["gifts"], 199);
    let stock = app.get("/funds/PX-VNN/stock").await.body;
    let item = |code: &str| {
        stock["stock"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item"] == code)
            .cloned()
            .unwrap()
    };
    assert_figures(
        "QUA-TET",
        &item("QUA-TET"),
        &[
            ("quantity", "20"),
            ("reserved", "0"),
            ("value_vnd", "10000000"),
            ("unit", "gói"),
        ],
    );
    assert_figures(
        "GAO",
        &item("GAO"),
        &[
            ("quantity", "340"),
            ("value_vnd", "6800000"),
            ("available", "340"),
        ],
    );

    let province_fund = app.fund_view("HN-VNN").await;
    assert_figures(
        "province",
        &province_fund,
        &[
            ("balance_vnd", "150000000"),
            ("totals.transfers_out_vnd", "150000000"),
        ],
    );

    // Pledges, found by their transfer reference or status.
    let found = app
        .get(&format!("/funds/PX-VNN/pledges?reference={reference}"))
        .await
        .body;
    assert_eq!(found["pledges"].as_array().unwrap().len(), 1);
    assert_figures(
        "p-an-phat",
        &found["pledges"][0],
        &[
            ("status", "fulfilled"),
            ("received_vnd", "50000000"),
            ("outstanding_vnd", "0"),
        ],
    );
    let open = app.get("/funds/PX-VNN/pledges?status=open").await.body;
    assert_eq!(open["pledges"].as_array().unwrap().len(), 1);
    assert_figures(
        "p-ong-binh",
        &open["pledges"][0],
        &[
            ("pledge_id", "p-ong-binh"),
            ("received_vnd", "4000000"),
            ("outstanding_vnd", "6000000"),
        ],
    );
    assert_eq!(open["pledges"][0]["overdue"], true);
    let cancelled = app.get("/funds/PX-VNN/pledges?status=cancelled").await.body;
    assert_eq!(cancelled["pledges"][0]["pledge_id"], "p-huy");

    // The campaign's figures.
    let c = app.get("/funds/PX-VNN/campaigns").await.body["campaigns"][0].clone();
    assert_figures(
        "campaign",
        &c,
        &[
            ("status", "open"),
            ("cash_received_vnd", "304600000"),
            ("goods_received_vnd", "45000000"),
            ("distributed_cash_vnd", "12000000"),
            ("distributed_goods_vnd", "28000000"),
            ("target_vnd", "500000000"),
        ],
    );
    assert_eq!(c["gifts"], 199);
    assert_eq!(c["pledges"], 2);
    assert_eq!(c["distributions"], 40);

    // Distributions by status.
    assert_eq!(distributions(&app, "?status=approved").await.len(), 45);
    assert_eq!(distributions(&app, "?status=pending").await.len(), 1);
    assert_eq!(distributions(&app, "?status=voided").await.len(), 1);
    let all = distributions(&app, "").await;
    assert_eq!(all.len(), 47);
    let nha = |id: &str| {
        all.iter()
            .find(|d| d["distribution_id"] == id)
            .cloned()
            .unwrap()
    };
    let nha1 = nha("nha-01");
    assert_figures(
        "nha-01",
        &nha1,
        &[
            ("status", "approved"),
            ("cash_vnd", "40000000"),
            ("from_earmark_vnd", "40000000"),
        ],
    );
    assert_eq!(nha1["acknowledged"]["method"], "signature");
    assert!(nha1["approved_by"].as_str().unwrap().starts_with("pe-"));
    assert_ne!(nha1["approved_by"], nha1["recorded_by"]);
    assert_figures(
        "nha-03",
        &nha("nha-03"),
        &[("from_earmark_vnd", "20000000")],
    );
    assert_figures(
        "nha-06",
        &nha("nha-06"),
        &[
            ("status", "voided"),
            ("voided_reason", "Hộ đã được huyện hỗ trợ"),
        ],
    );
    assert_figures(
        "nha-07",
        &nha("nha-07"),
        &[("status", "pending"), ("cash_vnd", "45000000")],
    );

    // The reversed gift's receipt says so, with the reason; its neighbour
    // is still valid.
    let voided = app.get(&format!("/receipts/{}", codes[9])).await;
    assert_eq!(voided.status, 200, "{}", voided.text);
    assert_eq!(voided.body["status"], "voided");
    assert!(
        voided.text.contains("Ghi trùng với biên lai 000009"),
        "{}",
        voided.text
    );
    assert_eq!(
        app.get(&format!("/receipts/{}", codes[8])).await.body["status"],
        "valid"
    );

    // Households appear with their public fields only.
    let h = app.get("/funds/PX-VNN/households?limit=1000").await.body;
    assert_eq!(h["households"].as_array().unwrap().len(), 30);
    let ho01 = &h["households"][0];
    assert_eq!(ho01["household_id"], "ho-01");
    assert_eq!(ho01["category"], "poor");
    assert_eq!(ho01["commitment"].as_str().unwrap().len(), 64);
    assert!(!h.to_string().contains("Chủ hộ"));

    // 1 campaign, 3 pledges, 30 households, 47 distributions, 2 stock
    // lines, 1 earmark, 1 reversal, 3 other outflows (the reversal, the
    // write-off, the fee).
    assert_eq!(app.assert_replay_consistent(F, &inspector).await, 88);
    app.assert_replay_consistent("HN-VNN", &inspector).await;
    // The statement of sources and uses says the same, in full.
    let st = app.get("/funds/PX-VNN/statement").await;
    assert_eq!(st.status, 200, "{}", st.text);
    let st = st.body;
    assert_eq!(st["balanced"], true);
    assert_figures(
        "statement",
        &st,
        &[
            ("opening.balance_vnd", "0"),
            ("sources.gifts_cash.amount_vnd", "306000000"),
            (
                "sources.gifts_by_channel.bank_transfer.amount_vnd",
                "306000000",
            ),
            ("sources.gifts_in_kind.amount_vnd", "45000000"),
            ("sources.transfers_in.amount_vnd", "150000000"),
            ("uses.distributions.cash_vnd", "212000000"),
            ("uses.distributions.goods_vnd", "28000000"),
            ("uses.distributions_by_type.house_new.cash_vnd", "200000000"),
            ("uses.distributions_by_type.tet_gift.cash_vnd", "12000000"),
            ("uses.expenses_by_category.bank_fee.amount_vnd", "22000"),
            ("reversals.cash_effect_vnd", "-1400000"),
            ("closing.balance_vnd", "242578000"),
            ("closing.reserved_vnd", "45000000"),
            ("closing.stock_value_vnd", "16800000"),
        ],
    );
    assert_eq!(st["sources"]["gifts_cash"]["count"], 165);
    assert_eq!(st["sources"]["gifts_by_campaign"][PEAK]["count"], 200);
    assert_eq!(st["uses"]["distributions"]["count"], 45);
    assert_eq!(st["uses"]["distributions"]["households"], 30);
    assert_eq!(
        st["uses"]["distributions_by_type"]["house_new"]["households"],
        5
    );
    assert_eq!(
        st["uses"]["distributions_by_type"]["tet_gift"]["households"],
        30
    );
    let gao = st["goods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["item"] == "GAO")
        .unwrap();
    assert_figures(
        "GAO",
        gao,
        &[
            ("received_quantity", "750"),
            ("distributed_quantity", "400"),
            ("adjusted_quantity", "-10"),
            ("adjusted_value_vnd", "-200000"),
            ("closing_quantity", "340"),
        ],
    );
    assert_eq!(st["statement_sha256"].as_str().unwrap().len(), 64);
    let year = &crate::helpers::today_vn()[..4];
    let today = app
        .get(&format!("/funds/PX-VNN/statement?period={year}"))
        .await
        .body;
    assert_eq!(today["closing"], st["closing"]);
    let csv = app.get("/funds/PX-VNN/statement?format=csv").await.text;
    assert!(csv.contains("Số dư cuối kỳ,Tiền,,242578000"), "{csv}");
    assert!(
        csv.contains("Nguồn thu,Tiền ủng hộ – chuyển khoản,165,306000000"),
        "{csv}"
    );
    assert!(
        csv.contains("Hàng hóa tồn cuối kỳ,GAO (kg),340,6800000"),
        "{csv}"
    );
    // The spreadsheet has counts and amounts a spreadsheet can sum.
    let r = app
        .client
        .get(format!("{}/funds/PX-VNN/statement?format=xlsx", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let cells = crate::helpers::xlsx_cells(&bytes);
    let gifts = cells
        .iter()
        .find(|row| {
            row.get(1).is_some_and(
                |c| matches!(c, calamine::Data::String(t) if t == "Tiền ủng hộ – chuyển khoản"),
            )
        })
        .expect("the row of bank transfers");
    assert!(
        matches!(gifts[2], calamine::Data::Float(n) if n == 165.0),
        "{gifts:?}"
    );
    assert!(
        matches!(gifts[3], calamine::Data::Float(n) if n == 306000000.0),
        "{gifts:?}"
    );
    for bad in [
        "from=2026-13-01",
        "from=2026-11-02&to=2026-11-01",
        "period=2026-Q3",
        "period=2026&from=2026-01-01",
        "format=pdf",
        "colour=red",
    ] {
        app.get(&format!("/funds/PX-VNN/statement?{bad}"))
            .await
            .problem(400);
    }
    // Where the money went: the fund, and the peak-month campaign.
    let w = app.get("/funds/PX-VNN/where-money-went").await;
    assert_eq!(w.status, 200, "{}", w.text);
    let w = w.body;
    assert_figures(
        "where",
        &w,
        &[
            ("sources.cash_vnd", "304600000"),
            ("sources.transfers_in_vnd", "150000000"),
            ("uses.total.cash_vnd", "212000000"),
            ("uses.total.goods_vnd", "28000000"),
            ("uses.by_support_type.house_new.cash_vnd", "200000000"),
            ("uses.expenses_vnd", "22000"),
            ("pending.cash_vnd", "45000000"),
            ("balance_vnd", "242578000"),
            ("stock_value_vnd", "16800000"),
        ],
    );
    assert_eq!(w["uses"]["houses_built"], 5);
    assert_eq!(w["uses"]["tet_gifts"], 40);
    assert_eq!(w["uses"]["total"]["households"], 30);
    let c = app
        .get(&format!("/funds/PX-VNN/where-money-went?campaign={PEAK}"))
        .await
        .body;
    assert_figures(
        "campaign",
        &c,
        &[
            ("sources.cash_vnd", "304600000"),
            ("sources.goods_vnd", "45000000"),
            ("uses.total.cash_vnd", "12000000"),
            ("uses.total.goods_vnd", "28000000"),
            ("uses.by_place.HN-PX.Thôn Đông.cash_vnd", "6000000"),
            ("uses.by_place.HN-PX.Thôn Tây.cash_vnd", "6000000"),
        ],
    );
    assert_eq!(c["uses"]["houses_built"], 0);
    assert_eq!(
        c["uses"]["by_place"]["HN-PX"]["Thôn Đông"]["households"],
        15
    );
    assert_eq!(
        c["uses"]["by_place"]["HN-PX"]["Thôn Đông"]["distributions"],
        20
    );
    assert!(
        !c.to_string().contains("Chủ hộ"),
        "households appear by id only"
    );
    app.get("/funds/PX-VNN/where-money-went?campaign=khong-co")
        .await
        .problem(404);
    app.get("/funds/PX-VNN/where-money-went?colour=red")
        .await
        .problem(400);
    // The whole-fund verification recomputes the balance through every
    // kind's effects, not the gifts alone.
    let store = app.db.store().await;
    for deep in [false, true] {
        let summary = store
            .verify_fund(F, deep)
            .await
            .expect("the commune's fund verifies");
        assert_eq!(summary.balance_vnd, 242_578_000);
    }
    store.close().await;
}

/// A province's typhoon campaign: gifts from home and abroad, money sent
/// down to two communes (one transfer taken back), relief paid out by a
/// commune, the campaign closed, a household reclassified.
async fn a_province_runs_a_typhoon_campaign(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.committee("HN-TT", Some("HN")).await;
    for (fund, committee) in [("HN-CT", "HN"), ("PX-CT", "HN-PX"), ("TT-CT", "HN-TT")] {
        let a = app
            .post(
                "/funds",
                Some(&app.admin),
                &json!({"code": fund, "committee_code": committee, "kind": "relief"}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let province = app.token("clerk", "HN").await;
    let commune = app.token("clerk", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    let province_approver = app.token("approver", "HN").await;
    let commune_approver = app.token("approver", "HN-PX").await;
    let registrar = app.token("clerk", "HN-PX").await;
    // A pending outflow of the province, approved by its approver; the
    // approval's answer.
    let approve = |seq: &Value| {
        let seq = seq.clone();
        let app = &app;
        let approver = province_approver.clone();
        async move {
            app.record(
                "HN-CT",
                &approver,
                "outflow_approved",
                json!({"of_seq": seq}),
            )
            .await
        }
    };
    const STORM: &str = "bao-so-3-2026";

    app.record(
        "HN-CT",
        &province,
        "campaign_opened",
        json!({"campaign_id": STORM,
        "name": "Ủng hộ đồng bào bị thiệt hại do bão số 3", "kind": "disaster_relief",
        "starts_on": "2026-09-08", "ends_on": "2026-11-30"}),
    )
    .await;
    // 50 gifts of 2 to 10 million (300,000,000), one of them anonymous,
    // and 1,000 USD at 25,400.
    let gifts: Vec<Value> = (0..50u64).map(|i| {
        let donor = if i == 0 { json!({"kind": "anonymous"}) } else if i % 2 == 0 { company(&format!("Công ty số {i}")) } else { donor(&format!("Người ủng hộ {i}")) };
        json!({"kind": "donation_cash", "body": {"donor": donor, "amount_vnd": (2_000_000 * (i % 5 + 1)).to_string(),
            "channel": if i % 3 == 0 { "qr_transfer" } else { "bank_transfer" }, "received_on": "2026-09-15", "campaign_id": STORM}})
    }).collect();
    app.record_batch("HN-CT", &province, gifts).await;
    app.record("HN-CT", &province, "donation_cash", json!({"donor": company("Hội người Việt tại Sydney"),
        "amount_vnd": "25400000", "channel": "bank_transfer", "received_on": "2026-09-20", "campaign_id": STORM,
        "original_currency": {"code": "USD", "amount": "1000", "rate": "25400"}})).await;

    // Money down to the communes; the second transfer is taken back.
    let to_px = app.record("HN-CT", &province, "transfer_out", json!({"counterparty_fund": "PX-CT",
        "amount_vnd": "200000000", "decision_ref": "QĐ 31/QĐ-MTTQ", "purpose": "Cứu trợ hộ bị sập nhà"})).await;
    assert!(to_px["counterpart"].is_null(), "it waits for the approver");
    let to_px = approve(&to_px["seq"]).await;
    assert_eq!(to_px["counterpart"]["fund"], "PX-CT");
    let to_tt = app
        .record(
            "HN-CT",
            &province,
            "transfer_out",
            json!({"counterparty_fund": "TT-CT",
        "amount_vnd": "100000000", "decision_ref": "QĐ 32/QĐ-MTTQ", "purpose": "Cứu trợ"}),
        )
        .await;
    approve(&to_tt["seq"]).await;
    let back = app
        .record(
            "HN-CT",
            &province,
            "reversal",
            json!({"reverses_seq": to_tt["seq"],
        "reason": "Xã Thanh Trì đã được tỉnh bạn hỗ trợ đủ"}),
        )
        .await;
    assert!(back["counterpart"].is_null(), "the reversal waits too");
    let back = approve(&back["seq"]).await;
    assert_eq!(back["counterpart"]["fund"], "TT-CT");
    assert_eq!(back["counterpart"]["kind"], "reversal");
    // A commune cannot reverse its side alone while the province's stands
    // reversed already: the transfer is undone once, on both sides.
    let tt_clerk = app.token("clerk", "HN-TT").await;
    let a = app
        .entry(
            "TT-CT",
            &tt_clerk,
            "reversal",
            json!({"reverses_seq": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    app.record(
        "HN-CT",
        &province,
        "expense",
        json!({"category": "transport", "amount_vnd": "1500000",
        "decision_ref": "Phiếu chi 07"}),
    )
    .await;
    assert_eq!(app.approve_pending("HN-CT", &province_approver).await, 1);
    app.record(
        "HN-CT",
        &province,
        "campaign_closed",
        json!({"campaign_id": STORM, "reason": "Kết thúc đợt vận động"}),
    )
    .await;
    let late = app.entry("HN-CT", &province, "donation_cash", json!({"donor": donor("Người đến muộn"),
        "amount_vnd": "500000", "channel": "cash", "received_on": "2026-11-20", "campaign_id": STORM})).await;
    assert_eq!(late.body["rule"], "campaign_closed", "{}", late.text);

    // The commune pays relief to ten households; one is reclassified
    // after the review and is no longer eligible for a cash grant.
    let households: Vec<Value> = (1..=10)
        .map(|n| {
            let mut h = household(n, if n <= 5 { "poor" } else { "near_poor" });
            h["body"]["commune_code"] = json!("HN-PX");
            h
        })
        .collect();
    app.record_batch("PX-CT", &registrar, households).await;
    let relief: Vec<Value> = (1..=10)
        .map(|n| {
            json!({"kind": "distribution", "body": {
        "household_id": format!("ho-{n:02}"), "support_type": "relief", "cash_vnd": "5000000",
        "decision_ref": "QĐ 40/QĐ-UBND"}})
        })
        .collect();
    app.record_batch("PX-CT", &commune, relief).await;
    app.record(
        "PX-CT",
        &registrar,
        "household_reclassified",
        json!({"household_id": "ho-08",
        "category": "newly_escaped", "review_year": 2027, "decision_ref": "QĐ 55/QĐ-UBND"}),
    )
    .await;
    let grant = app
        .entry(
            "PX-CT",
            &commune,
            "distribution",
            json!({"household_id": "ho-08",
        "support_type": "cash_grant", "cash_vnd": "1000000", "decision_ref": "QĐ 56"}),
        )
        .await;
    assert_eq!(grant.body["rule"], "ineligible_household", "{}", grant.text);
    app.record(
        "PX-CT",
        &commune,
        "distribution",
        json!({"household_id": "ho-07",
        "support_type": "cash_grant", "cash_vnd": "1000000", "decision_ref": "QĐ 56"}),
    )
    .await;
    // 50,000,000 of relief in one day by one clerk: from the fourth
    // (20,000,000 with it) each waits for the commune's approver, and so
    // does the grant after them.
    assert_eq!(app.approve_pending("PX-CT", &commune_approver).await, 8);

    let hn = app.fund_view("HN-CT").await;
    assert_figures(
        "HN-CT",
        &hn,
        &[
            ("balance_vnd", "123900000"),
            ("totals.cash_received_vnd", "325400000"),
            ("totals.transfers_out_vnd", "200000000"),
            ("totals.expenses_vnd", "1500000"),
        ],
    );
    assert_eq!(hn["totals"]["gifts"], 51);
    let px = app.fund_view("PX-CT").await;
    assert_figures(
        "PX-CT",
        &px,
        &[
            ("balance_vnd", "149000000"),
            ("totals.transfers_in_vnd", "200000000"),
            ("totals.distributed_cash_vnd", "51000000"),
        ],
    );
    let tt = app.fund_view("TT-CT").await;
    assert_figures(
        "TT-CT",
        &tt,
        &[("balance_vnd", "0"), ("totals.transfers_in_vnd", "0")],
    );
    assert_eq!(tt["size"], 3, "opened, transfer in, its reversal");
    let c = app.get("/funds/HN-CT/campaigns").await.body["campaigns"][0].clone();
    assert_figures(
        "campaign",
        &c,
        &[("status", "closed"), ("cash_received_vnd", "325400000")],
    );
    let ho08 = app
        .get("/funds/PX-CT/households?cursor=ho-07&limit=1")
        .await
        .body["households"][0]
        .clone();
    assert_eq!(ho08["category"], "newly_escaped");
    assert_eq!(ho08["classes"].as_array().unwrap().len(), 2);
    let anonymous = app.get("/funds/HN-CT/entries/2").await.body;
    assert!(anonymous["canonical"]
        .as_str()
        .unwrap()
        .contains("\"display\":\"Ẩn danh\""));

    for fund in ["HN-CT", "PX-CT", "TT-CT"] {
        app.assert_replay_consistent(fund, &inspector).await;
    }
}

crate::both!(
    a_commune_runs_its_peak_month,
    a_province_runs_a_typhoon_campaign
);
