//! A donor's path: a gift is recorded, its receipt fetched, and the proof
//! checked with nothing but the receipt itself.

use serde_json::json;
use sovang::ledger::checkpoint::verify_checkpoint;
use sovang::ledger::merkle::{self, from_hex, to_hex};

use crate::helpers::{gift, TestApp};

async fn a_gift_s_receipt_proves_itself_against_the_signed_checkpoint(app: TestApp) {
    let clerk = app.with_fund().await;
    for amount in ["100000", "200000", "300000"] {
        assert_eq!(
            app.post("/funds/HN-VNN/entries", Some(&clerk), &gift(json!(amount)))
                .await
                .status,
            201
        );
    }
    let rec = app
        .post(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            &gift(json!(1_500_000)),
        )
        .await;
    assert_eq!(rec.status, 201, "{}", rec.text);
    assert_eq!(rec.body["seq"], 4);
    assert_eq!(rec.body["receipt"]["receipt_no"], "HN-VNN-2026-000004");
    let code = rec.body["receipt"]["code"].as_str().unwrap();
    assert!(rec.body["receipt"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/r/{code}")));

    // The donor types the code in lower case with hyphens.
    let typed = format!("{}-{}", &code[..6], &code[6..]).to_lowercase();
    let r = app.get(&format!("/receipts/{typed}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "valid");
    assert_eq!(r.body["receipt_no"], "HN-VNN-2026-000004");
    let canonical = r.body["canonical"].as_str().unwrap();
    assert!(canonical.contains("\"amount_vnd\":\"1500000\""));
    assert!(canonical.contains("\"display\":\"Nguyễn Văn A\""));

    // Verify as an outsider: leaf, path, root, signature.
    let leaf = merkle::leaf_hash(canonical.as_bytes());
    assert_eq!(r.body["leaf_hash"], to_hex(&leaf));
    let size = r.body["proof"]["size"].as_u64().unwrap();
    let path: Vec<_> = r.body["proof"]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let cp = verify_checkpoint(
        r.body["checkpoint"].as_str().unwrap(),
        r.body["verifier_key"].as_str().unwrap(),
        "sovang.local/fund/HN-VNN",
    )
    .expect("checkpoint signature verifies");
    assert_eq!(cp.size, size);
    assert_eq!(size, 5);
    merkle::verify_inclusion(4, size, &leaf, &path, &cp.root).expect("inclusion verifies");

    // The verifier key is the one the fund published in its fund_opened entry.
    let e0 = app.get("/funds/HN-VNN/entries/0").await;
    assert!(e0.body["canonical"]
        .as_str()
        .unwrap()
        .contains(r.body["verifier_key"].as_str().unwrap()));

    // Altered in transit, the entry no longer proves.
    let altered = canonical.replace("1500000", "15000000");
    assert!(merkle::verify_inclusion(
        4,
        size,
        &merkle::leaf_hash(altered.as_bytes()),
        &path,
        &cp.root
    )
    .is_err());

    assert_eq!(
        app.get("/receipts/ZZZZZZZZZZZZ").await.problem(404).status,
        404
    );
    assert_eq!(
        app.get("/receipts/not-a-code").await.problem(404).status,
        404
    );
    app.stop().await;
}

async fn proofs_and_pages_agree_with_the_checkpoint(app: TestApp) {
    let clerk = app.with_fund().await;
    let entries: Vec<_> = (1..=20).map(|i| gift(json!(i * 1000))).collect();
    let b = app
        .post(
            "/funds/HN-VNN/entries/batch",
            Some(&clerk),
            &json!({"entries": entries}),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.text);
    assert_eq!(b.body["entries"].as_array().unwrap().len(), 20);

    let cp_text = app.get("/funds/HN-VNN/checkpoint").await;
    assert_eq!(cp_text.headers["content-type"], "text/plain; charset=utf-8");
    let vkey = app.get("/funds/HN-VNN").await.body["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let cp = verify_checkpoint(&cp_text.text, &vkey, "sovang.local/fund/HN-VNN").unwrap();
    assert_eq!(cp.size, 21);

    let page = app.get("/funds/HN-VNN/entries?from=5&limit=10").await;
    let rows = page.body["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0]["seq"], 5);
    assert_eq!(page.body["next"], 15);
    for row in rows {
        let seq = row["seq"].as_u64().unwrap();
        let leaf = merkle::leaf_hash(row["canonical"].as_str().unwrap().as_bytes());
        assert_eq!(row["hash"], to_hex(&leaf));
        let p = app
            .get(&format!("/funds/HN-VNN/proof/inclusion?seq={seq}"))
            .await;
        assert_eq!(p.body["root"], to_hex(&cp.root));
        let path: Vec<_> = p.body["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| from_hex(h.as_str().unwrap()).unwrap())
            .collect();
        merkle::verify_inclusion(seq, 21, &leaf, &path, &cp.root).unwrap();
    }

    let c = app
        .get("/funds/HN-VNN/proof/consistency?from=7&to=21")
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let proof: Vec<_> = c.body["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let from_root = from_hex(c.body["from_root"].as_str().unwrap()).unwrap();
    assert_eq!(c.body["to_root"], to_hex(&cp.root));
    merkle::verify_consistency(7, 21, &from_root, &cp.root, &proof).unwrap();
    let empty = app
        .get("/funds/HN-VNN/proof/consistency?from=0&to=21")
        .await;
    assert_eq!(empty.body["proof"], json!([]), "{}", empty.text);
    let p7 = app.get("/funds/HN-VNN/proof/inclusion?seq=6&size=7").await;
    assert_eq!(p7.body["root"], c.body["from_root"]);

    for bad in [
        "/funds/HN-VNN/proof/inclusion?seq=21",
        "/funds/HN-VNN/proof/inclusion?seq=3&size=22",
        "/funds/HN-VNN/proof/inclusion?seq=-1",
        "/funds/HN-VNN/proof/inclusion",
        "/funds/HN-VNN/proof/consistency?from=1&to=22",
        "/funds/HN-VNN/entries?from=9223372036854775808",
        "/funds/HN-VNN/entries/99999999999999999999",
        "/funds/HN-VNN/proof/consistency?from=9&to=5",
        "/funds/HN-VNN/entries?limit=1001",
        "/funds/HN-VNN/entries?limit=0",
        "/funds/HN-VNN/entries?from=x",
    ] {
        app.get(bad).await.problem(400);
    }
    app.get("/funds/NOPE/entries").await.problem(404);
    app.get("/funds/HN-VNN/entries/99").await.problem(404);

    let funds = app.get("/funds").await;
    assert_eq!(
        funds.body["funds"][0]["balance_vnd"],
        (1..=20).map(|i| i * 1000).sum::<u64>().to_string()
    );
    let committees = app.get("/committees").await;
    assert_eq!(committees.body["committees"][0]["code"], "HN");
    assert_eq!(app.get("/health").await.body["status"], "ok");
    assert_eq!(app.get("/openapi.json").await.body["openapi"], "3.1.0");
    // The QR code's address leads to the receipt; a wrong method is a problem too.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = app.base.trim_end_matches("/api/v1");
    let r = no_redirect
        .get(format!("{root}/r/ABCDEFGHJKMN"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let d = app
        .client
        .delete(format!("{}/funds/HN-VNN", app.base))
        .send()
        .await
        .unwrap();
    crate::helpers::Answer::from(d).await.problem(405);
    app.stop().await;
}

crate::both!(
    a_gift_s_receipt_proves_itself_against_the_signed_checkpoint,
    proofs_and_pages_agree_with_the_checkpoint
);
