//! The public statement of gifts (sao kê): search without diacritics,
//! every filter, pages, CSV, and bad parameters.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn cash(name: &str, kind: &str, amount: u64, day: &str, extra: Value) -> Value {
    let mut body = json!({"donor": {"display": name, "kind": kind}, "amount_vnd": amount.to_string(),
        "channel": "bank_transfer", "received_on": day});
    if kind == "anonymous" {
        body["donor"] = json!({"kind": "anonymous"});
    }
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    json!({"kind": "donation_cash", "body": body})
}

/// The inspector's deep verification of HN-VNN, which must be sound.
async fn verified_deep(app: &TestApp) -> Value {
    let inspector = app.token("inspector", "HN").await;
    let v = app
        .get_as("/funds/HN-VNN/audit/verify?deep=true", &inspector)
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.body["sound"], true, "{}", v.text);
    v.body
}

async fn seqs(app: &TestApp, query: &str) -> Vec<u64> {
    let a = app.get(&format!("/funds/HN-VNN/donations?{query}")).await;
    assert_eq!(a.status, 200, "{query}: {}", a.text);
    a.body["donations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["seq"].as_u64().unwrap())
        .collect()
}

async fn the_statement_is_searched_as_people_type(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "c1", "name": "Tết 2027",
        "kind": "tet", "starts_on": "2026-10-25", "ends_on": "2026-12-31"}),
    )
    .await;
    let written = app.record_batch("HN-VNN", &clerk, vec![
        cash("Nguyễn Văn An", "individual", 1_500_000, "2026-10-20", json!({"bank_ref": "FT26293000111"})),
        cash("Nguyễn Văn Anh", "individual", 200_000, "2026-11-01", json!({"campaign_id": "c1"})),
        cash("Trần Thị Bình", "individual", 5_000_000, "2026-11-02", json!({"campaign_id": "c1", "channel": "cash"})),
        cash("Công ty Đại Việt", "organization", 50_000_000, "2026-11-03", json!({"bank_ref": "FT26307DV0001"})),
        cash("Ẩn danh", "anonymous", 300_000, "2026-11-04", json!({})),
        json!({"kind": "donation_in_kind", "body": {"donor": {"display": "Siêu thị Hòa Bình", "kind": "organization"},
            "items": [{"item": "GAO", "quantity": "50", "unit": "kg", "unit_value_vnd": "20000", "value_vnd": "1000000"}],
            "total_value_vnd": "1000000", "received_on": "2026-11-05"}}),
    ]).await;
    let seq: Vec<u64> = written.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    app.record(
        "HN-VNN",
        &clerk,
        "reversal",
        json!({"reverses_seq": seq[2], "reason": "Trùng biên lai"}),
    )
    .await;

    // Without diacritics, in any case, with extra spaces.
    assert_eq!(seqs(&app, "q=nguyen%20van%20a").await, vec![seq[0], seq[1]]);
    assert_eq!(
        seqs(&app, "q=NGUY%E1%BB%84N%20%20V%C4%82N%20ANH").await,
        vec![seq[1]]
    );
    assert_eq!(seqs(&app, "q=dai%20viet").await, vec![seq[3]]);
    assert_eq!(seqs(&app, "q=%C4%91%E1%BA%A1i").await, vec![seq[3]], "đại");
    assert_eq!(seqs(&app, "q=an%20danh").await, vec![seq[4]]);
    assert_eq!(seqs(&app, "q=hoa%20binh").await, vec![seq[5]]);
    assert_eq!(
        seqs(&app, "q=50%25").await,
        Vec::<u64>::new(),
        "% is a character, not a wildcard"
    );
    // Two letters are looked for in every name, three or more through the
    // index: the same answer either way. A quote is a character too.
    assert_eq!(
        seqs(&app, "q=an").await,
        vec![seq[0], seq[1], seq[2], seq[4]],
        "trần too"
    );
    assert_eq!(seqs(&app, "q=van%20an").await, vec![seq[0], seq[1]]);
    assert_eq!(seqs(&app, "q=%22an").await, Vec::<u64>::new());
    assert_eq!(
        seqs(&app, "q=an%22%20OR%20%22binh").await,
        Vec::<u64>::new()
    );
    // Every filter.
    assert_eq!(
        seqs(&app, "min_vnd=1000000&max_vnd=5000000").await,
        vec![seq[0], seq[2], seq[5]]
    );
    assert_eq!(
        seqs(&app, "from=2026-11-01&to=2026-11-03").await,
        vec![seq[1], seq[2], seq[3]]
    );
    assert_eq!(seqs(&app, "campaign=c1").await, vec![seq[1], seq[2]]);
    assert_eq!(
        seqs(&app, "receipt_no=HN-VNN-2026-000004").await,
        vec![seq[3]]
    );
    assert_eq!(seqs(&app, "bank_ref=FT26293000111").await, vec![seq[0]]);
    assert_eq!(seqs(&app, "kind=in_kind").await, vec![seq[5]]);
    assert_eq!(seqs(&app, "status=voided").await, vec![seq[2]]);
    assert_eq!(seqs(&app, "q=nguyen&campaign=c1").await, vec![seq[1]]);

    let all = app.get("/funds/HN-VNN/donations").await.body;
    assert_eq!(
        all["matched"],
        json!({"count": 5, "amount_vnd": "53000000", "voided_count": 1, "voided_amount_vnd": "5000000"})
    );
    let binh = &all["donations"][2];
    assert_eq!(binh["status"], "voided");
    assert_eq!(binh["voided_reason"], "Trùng biên lai");
    assert_eq!(binh["donor"]["display"], "Trần Thị Bình");
    assert_eq!(binh["amount_vnd"], "5000000");
    assert_eq!(all["donations"][4]["donor"]["display"], "Ẩn danh");
    assert_eq!(all["donations"][5]["goods"], "GAO 50 kg");

    // Pages follow the cursor to the end.
    let first = app.get("/funds/HN-VNN/donations?limit=4").await.body;
    assert_eq!(first["donations"].as_array().unwrap().len(), 4);
    let next = first["next"].as_str().unwrap();
    let second = app
        .get(&format!("/funds/HN-VNN/donations?limit=4&cursor={next}"))
        .await
        .body;
    assert_eq!(second["donations"].as_array().unwrap().len(), 2);
    assert_eq!(second["next"], Value::Null);

    // CSV, for a spreadsheet.
    let r = app
        .client
        .get(format!(
            "{}/funds/HN-VNN/donations?format=csv&q=nguyen",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let text = r.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let rows: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows[0].starts_with("STT,Bút toán số,Số biên lai,Ngày nhận,Nhà hảo tâm"));
    // Rows are numbered 1, 2, …, in the statement's words, the campaign
    // by its name.
    assert!(
        rows[1].starts_with(&format!("1,{},HN-VNN-2026-000001,20/10/2026,Nguyễn Văn An,Cá nhân,Tiền,1500000,,Chuyển khoản,,FT26293000111,Hợp lệ", seq[0])),
        "{text}"
    );
    assert!(
        rows[2].starts_with(&format!("2,{},HN-VNN-2026-000002,01/11/2026,Nguyễn Văn Anh,Cá nhân,Tiền,200000,,Chuyển khoản,Tết 2027,", seq[1])),
        "{text}"
    );

    // A spreadsheet, with amounts as numbers.
    let r = app
        .client
        .get(format!("{}/funds/HN-VNN/donations?format=xlsx", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    let rows = crate::helpers::xlsx_rows(&bytes);
    // A title says what the sheet is, whose, which gifts and when made.
    assert_eq!(rows[0][0], "SAO KÊ CÁC KHOẢN ỦNG HỘ");
    let fund = app.get("/funds/HN-VNN").await.body;
    assert_eq!(rows[1][0], fund["name"].as_str().expect("a name"), "{fund}");
    assert_eq!(rows[2][0], "Mọi khoản ủng hộ của quỹ");
    assert!(rows[3][0].starts_with("Lập lúc "), "{:?}", rows[3]);
    // The headings follow a blank row, and stay in view as one scrolls.
    assert!(rows[4].iter().all(String::is_empty), "{:?}", rows[4]);
    let h = 5;
    assert_eq!(
        rows[h][..5],
        [
            "STT",
            "Bút toán số",
            "Số biên lai",
            "Ngày nhận",
            "Nhà hảo tâm"
        ]
    );
    assert_eq!(crate::helpers::xlsx_frozen_rows(&bytes), Some(h as u32 + 1));
    // Days are dates, amounts numbers: a spreadsheet sorts and sums them.
    let cells = crate::helpers::xlsx_cells(&bytes);
    let gift_rows = &cells[h + 1..h + 7];
    for row in gift_rows {
        assert!(matches!(row[3], calamine::Data::DateTime(_)), "{row:?}");
        assert!(matches!(row[7], calamine::Data::Float(_)), "{row:?}");
    }
    // Six gifts, then the total row and the voided gifts' row: nothing else.
    assert_eq!(rows.len(), h + 1 + 6 + 2, "{rows:?}");
    assert_eq!(rows[h + 4][0], "4");
    assert_eq!(rows[h + 4][4], "Công ty Đại Việt");
    assert_eq!(rows[h + 4][5], "Tổ chức");
    assert_eq!(rows[h + 4][7], "50000000");
    assert_eq!(rows[h + 3][9], "Tiền mặt");
    assert_eq!(rows[h + 3][10], "Tết 2027");
    assert_eq!(rows[h + 3][12], "Đã hủy");
    assert_eq!(rows[h + 3][13], "Trùng biên lai");
    assert_eq!(rows[h + 6][6], "Hiện vật");
    // The total is the sum of the rows that count, as a number.
    let amount = |row: &[calamine::Data]| match row[7] {
        calamine::Data::Float(n) => n,
        ref other => panic!("an amount reads {other:?}"),
    };
    let valid: f64 = gift_rows
        .iter()
        .filter(|r| !matches!(&r[12], calamine::Data::String(s) if s == "Đã hủy"))
        .map(|r| amount(r))
        .sum();
    let voided: f64 = gift_rows.iter().map(|r| amount(r)).sum::<f64>() - valid;
    assert!(valid > 0.0 && voided > 0.0);
    let total = &cells[h + 7];
    assert_eq!(rows[h + 7][0], "Tổng cộng: 5 khoản");
    assert_eq!(amount(total), valid);
    assert_eq!(rows[h + 8][0], "Đã hủy (không tính vào tổng): 1 khoản");
    assert_eq!(amount(&cells[h + 8]), voided);
    // The page says the same count and sum.
    let page = app.get("/funds/HN-VNN/donations").await.body;
    assert_eq!(page["matched"]["count"], 5, "{page}");
    assert_eq!(page["matched"]["amount_vnd"], format!("{valid}"), "{page}");

    // A search's sheet says what was searched, and totals only it.
    let r = app
        .client
        .get(format!(
            "{}/funds/HN-VNN/donations?format=xlsx&q=nguyen&from=2026-10-01&min_vnd=100000",
            app.base
        ))
        .send()
        .await
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    let rows = crate::helpers::xlsx_rows(&bytes);
    assert_eq!(
        rows[2][0],
        "Các khoản ủng hộ có nhà hảo tâm chứa “nguyen”; nhận từ 01/10/2026; số tiền từ 100.000\u{a0}₫"
    );
    assert_eq!(rows.len(), h + 1 + 2 + 1, "{rows:?}");
    assert_eq!(rows[h + 3][0], "Tổng cộng: 2 khoản");
    assert_eq!(rows[h + 3][7], "1700000");
    // The CSV keeps the same columns and no title or total, so a tool
    // that reads it as a table sums the gifts once.
    let csv = app
        .client
        .get(format!("{}/funds/HN-VNN/donations?format=csv", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    assert_eq!(first, rows[h].join(","));

    // Bad parameters: a clear 400.
    for bad in [
        "colour=red",
        "from=20/10/2026",
        "to=2026-02-30",
        "min_vnd=-5",
        "max_vnd=1.5",
        "min_vnd=1e6",
        "limit=0",
        "limit=1001",
        "kind=gift",
        "status=lost",
        "format=xml",
        "cursor=abc",
    ] {
        app.get(&format!("/funds/HN-VNN/donations?{bad}"))
            .await
            .problem(400);
    }
    let long = "a".repeat(201);
    app.get(&format!("/funds/HN-VNN/donations?q={long}"))
        .await
        .problem(400);
    app.get("/funds/NO-SUCH/donations").await.problem(404);
}

/// A donor's name that a spreadsheet would run as a formula reaches the
/// CSV statement as text; the XLSX statement writes it as a string cell.
async fn a_name_written_as_a_formula_stays_text_in_the_csv_statement(app: TestApp) {
    let clerk = app.with_fund().await;
    let formula = "=HYPERLINK(\"http://x.invalid\",\"Bấm vào đây\")";
    for display in [formula, "+84 để trống", "@SUM(A1)"] {
        app.record(
            "HN-VNN",
            &clerk,
            "donation_cash",
            json!({"donor": {"display": display, "kind": "individual"},
            "amount_vnd": "100000", "channel": "cash", "received_on": "2026-11-03"}),
        )
        .await;
    }
    let r = app
        .client
        .get(format!("{}/funds/HN-VNN/donations?format=csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[4].to_owned()).collect();
    assert_eq!(
        names,
        [
            format!("'{formula}"),
            "'+84 để trống".to_owned(),
            "'@SUM(A1)".to_owned()
        ],
        "{text}"
    );
    // The public statement as JSON keeps the name as the donor gave it.
    let json = app.get("/funds/HN-VNN/donations").await.body;
    assert_eq!(json["donations"][0]["donor"]["display"], formula);
}

/// The page of the statement of gifts as a reader uses it: amounts typed
/// the Vietnamese way in both amount fields, an amount it cannot read
/// said in the reader's language with nothing listed, and a voided gift
/// counted apart from the total, with its reason beside it.
async fn the_statement_page_reads_amounts_as_people_type_them(app: TestApp) {
    let clerk = app.with_fund().await;
    let written = app
        .record_batch(
            "HN-VNN",
            &clerk,
            vec![
                cash(
                    "Nguyễn Văn An",
                    "individual",
                    500_000,
                    "2026-11-01",
                    json!({}),
                ),
                cash(
                    "Trần Thị Bình",
                    "individual",
                    2_000_000,
                    "2026-11-02",
                    json!({}),
                ),
                cash(
                    "Công ty Đại Việt",
                    "organization",
                    9_000_000,
                    "2026-11-03",
                    json!({}),
                ),
            ],
        )
        .await;
    app.record(
        "HN-VNN",
        &clerk,
        "reversal",
        json!({"reverses_seq": written[1]["seq"], "reason": "Trùng biên lai"}),
    )
    .await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let get = |q: &str| {
        let url = format!("{root}/f/HN-VNN/sao-ke?{q}");
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (code, all) = get("").await;
    assert_eq!(code, 200);
    assert!(
        all.contains("2 khoản ủng hộ, tổng cộng 9.500.000\u{a0}₫; và 1 khoản đã hủy (2.000.000\u{a0}₫), không tính vào tổng"),
        "{all}"
    );
    assert!(
        all.contains("Đã hủy: <span class=\"void-reason\">Trùng biên lai</span>"),
        "{all}"
    );
    let rows = |page: &str| page.matches("<td class=\"donor\"").count();
    assert_eq!(rows(&all), 3);
    let (_, some) = get("min_vnd=1.000.000&max_vnd=9%20000%20000%20%E2%82%AB").await;
    assert_eq!(rows(&some), 2, "{some}");
    assert!(some.contains("Công ty Đại Việt") && some.contains("Trần Thị Bình"));
    assert!(
        some.contains(
            "id=\"max_vnd\" name=\"max_vnd\" inputmode=\"numeric\" value=\"9 000 000 ₫\""
        ),
        "{some}"
    );
    let (_, upper) = get("max_vnd=600.000").await;
    assert_eq!(rows(&upper), 1, "{upper}");
    for bad in ["1,5", "abc", "-5", "1.00.000"] {
        let (code, page) = get(&format!("min_vnd={bad}")).await;
        assert_eq!(code, 200, "{bad}");
        assert!(page.contains("Nhập số đồng bằng chữ số"), "{bad}: {page}");
        assert_eq!(rows(&page), 0, "{bad}");
    }
    let (_, english) = get("min_vnd=abc&lang=en").await;
    assert!(english.contains("Enter whole đồng in digits"), "{english}");
    app.stop().await;
}

/// A gift and its reversal in one batch: the commit writes the gift's row
/// and then voids it, so the row must be there before the voiding (on
/// SQLite a commit's rows travel to the database as one text). Every code
/// of the batch opens its own receipt, and the fund verifies whole.
async fn a_gift_reversed_in_its_own_batch_is_void_in_the_statement(app: TestApp) {
    let clerk = app.with_fund().await;
    let first = app.size("HN-VNN").await;
    let written = app
        .record_batch(
            "HN-VNN",
            &clerk,
            vec![
                cash(
                    "Lê Văn Cường",
                    "individual",
                    700_000,
                    "2026-11-02",
                    json!({}),
                ),
                json!({"kind": "reversal", "body": {"reverses_seq": first, "reason": "Nhập nhầm"}}),
                cash(
                    "Phạm Thị Dung",
                    "individual",
                    900_000,
                    "2026-11-02",
                    json!({}),
                ),
            ],
        )
        .await;
    assert_eq!(written.len(), 3);
    assert_eq!(seqs(&app, "status=voided").await, vec![first]);
    assert_eq!(seqs(&app, "status=valid").await, vec![first + 2]);
    let all = app.get("/funds/HN-VNN/donations").await.body;
    assert_eq!(
        all["matched"],
        json!({"count": 1, "amount_vnd": "900000", "voided_count": 1, "voided_amount_vnd": "700000"})
    );
    assert_eq!(all["donations"][0]["voided_reason"], "Nhập nhầm");
    for e in [&written[0], &written[2]] {
        let code = e["receipt"]["code"].as_str().expect("a receipt code");
        let r = app.get(&format!("/receipts/{code}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["seq"], e["seq"], "{}", r.text);
        assert_eq!(r.body["code"], code);
    }
    // The head moved past all three, and the next gift follows them.
    assert_eq!(app.size("HN-VNN").await, first + 3);
    let next = app
        .record_batch(
            "HN-VNN",
            &clerk,
            vec![cash(
                "Võ Văn Em",
                "individual",
                100_000,
                "2026-11-03",
                json!({}),
            )],
        )
        .await;
    assert_eq!(next[0]["seq"], first + 3);
    verified_deep(&app).await;
    app.stop().await;
}

/// The writer stores a large batch in slices, writing the rows of one
/// while the database stores the last (and keeps the text of a full slice
/// of gifts prepared). A batch of 450 spans three slices, the second not
/// all gifts and the third reversing a gift of the first; then two full
/// slices of gifts, the second through the kept text. Every gift is in
/// the statement once, each receipt proves against the signed checkpoint,
/// and the fund verifies whole.
async fn a_batch_stored_in_slices_is_whole_in_the_statement(app: TestApp) {
    use sovang::ledger::checkpoint::verify_checkpoint;
    use sovang::ledger::merkle::{self, from_hex};

    let clerk = app.with_fund().await;
    let first = app.size("HN-VNN").await;
    let gift = |i: u64| {
        cash(
            &format!("Người góp {i}"),
            "individual",
            10_000 + i,
            "2026-11-02",
            json!({}),
        )
    };
    let mut batch: Vec<Value> = (0..450).map(gift).collect();
    batch[250] = json!({"kind": "campaign_opened", "body": {"campaign_id": "bao-lu-2026",
        "name": "Ủng hộ đồng bào vùng lũ", "kind": "disaster_relief",
        "starts_on": "2026-11-01", "ends_on": "2026-12-31", "target_vnd": "1000000000"}});
    batch[420] =
        json!({"kind": "reversal", "body": {"reverses_seq": first + 5, "reason": "Nhập nhầm"}});
    let written = app.record_batch("HN-VNN", &clerk, batch).await;
    assert_eq!(written.len(), 450);
    for (i, e) in written.iter().enumerate() {
        assert_eq!(e["seq"], first + i as u64, "entry {i}");
    }
    for _ in 0..2 {
        let from = app.size("HN-VNN").await;
        let full = app
            .record_batch("HN-VNN", &clerk, (from..from + 200).map(gift).collect())
            .await;
        assert_eq!(full.len(), 200);
    }
    assert_eq!(app.size("HN-VNN").await, first + 850);

    // 450 - the campaign - the reversal = 448 gifts, one of them voided;
    // then 400 more.
    let all = app.get("/funds/HN-VNN/donations?limit=1").await;
    assert_eq!(all.status, 200, "{}", all.text);
    let voided_amount = (10_000 + 5).to_string();
    assert_eq!(all.body["matched"]["count"], 447 + 400, "{}", all.text);
    assert_eq!(all.body["matched"]["voided_count"], 1, "{}", all.text);
    assert_eq!(all.body["matched"]["voided_amount_vnd"], voided_amount);
    assert_eq!(seqs(&app, "status=voided").await, vec![first + 5]);

    // A receipt from each slice of the first batch, its edges included.
    app.signed("HN-VNN").await;
    for i in [0, 5, 199, 200, 249, 251, 399, 400, 449] {
        let e = &written[i];
        let code = e["receipt"]["code"].as_str().expect("a receipt code");
        let r = app.get(&format!("/receipts/{code}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["seq"], e["seq"], "{}", r.text);
        assert_eq!(r.body["canonical"], e["canonical"]);
        assert_eq!(r.body["status"], if i == 5 { "voided" } else { "valid" });
        let canonical = r.body["canonical"].as_str().expect("canonical");
        let leaf = merkle::leaf_hash(canonical.as_bytes());
        let path: Vec<_> = r.body["proof"]["path"]
            .as_array()
            .expect("path")
            .iter()
            .map(|h| from_hex(h.as_str().expect("hex")).expect("hash"))
            .collect();
        let cp = verify_checkpoint(
            r.body["checkpoint"].as_str().expect("checkpoint"),
            r.body["verifier_key"].as_str().expect("key"),
            "sovang.local/fund/HN-VNN",
        )
        .expect("checkpoint signature verifies");
        let seq = e["seq"].as_u64().expect("seq");
        merkle::verify_inclusion(seq, cp.size, &leaf, &path, &cp.root)
            .unwrap_or_else(|err| panic!("entry {i}: {err:?}"));
    }
    let v = verified_deep(&app).await;
    assert_eq!(v["size"], first + 850, "{v}");
    app.stop().await;
}

crate::both!(
    a_batch_stored_in_slices_is_whole_in_the_statement,
    a_gift_reversed_in_its_own_batch_is_void_in_the_statement,
    the_statement_page_reads_amounts_as_people_type_them,
    a_fund_stops_at_its_bound_and_its_gifts_sum_exactly,
    the_statement_is_searched_as_people_type,
    a_name_written_as_a_formula_stays_text_in_the_csv_statement
);

/// A thousand of the largest gifts bring a fund to its bound (SPEC §9,
/// 10^18 đồng): the next is refused with nothing recorded, and the
/// statement of gifts sums them exactly.
async fn a_fund_stops_at_its_bound_and_its_gifts_sum_exactly(app: TestApp) {
    let clerk = app.with_fund().await;
    let largest = "1000000000000000";
    let gift = json!({"kind": "donation_cash", "body": {"donor": {"display": "Tập đoàn A", "kind": "organization"},
        "amount_vnd": largest, "channel": "bank_transfer", "received_on": "2026-11-03"}});
    app.record_batch("HN-VNN", &clerk, vec![gift.clone(); 1_000])
        .await;
    let size = app.size("HN-VNN").await;
    let a = app
        .entry("HN-VNN", &clerk, "donation_cash", gift["body"].clone())
        .await;
    a.problem(422);
    assert_eq!(a.body["rule"], "fund_total_bound", "{}", a.text);
    assert_eq!(app.size("HN-VNN").await, size);
    let a = app.get("/funds/HN-VNN/donations?limit=1").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["matched"]["count"], 1_000);
    assert_eq!(a.body["matched"]["amount_vnd"], "1000000000000000000");
    let root = app.base.trim_end_matches("/api/v1");
    let page = app
        .client
        .get(format!("{root}/f/HN-VNN/sao-ke"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("1.000.000.000.000.000.000\u{a0}₫"));
}
