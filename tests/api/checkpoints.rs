//! Checkpoints signed at most once per `ledger.checkpoint_interval_ms`
//! (SPEC §3): gifts appended one at a time share a signature, a receipt
//! asked for at once waits for the checkpoint that covers it, and a
//! server that stops signs what waits.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_on, TestApp};

const F: &str = "HN-VNN";

fn gift(n: u64) -> Value {
    json!({"donor": {"display": "Công ty Hòa Phát", "kind": "organization"},
           "amount_vnd": (100_000 + n).to_string(), "channel": "bank_transfer",
           "received_on": "2026-11-02"})
}

/// The latest signed checkpoint's tree size, read from its note.
async fn signed_size(app: &TestApp) -> u64 {
    let note = app.get(&format!("/funds/{F}/checkpoint")).await.text;
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("a checkpoint note: {note}"))
}

async fn single_gifts_share_a_checkpoint_and_receipts_wait_for_it(app: TestApp) {
    let clerk = app.with_fund().await;
    let started = Instant::now();
    let mut last = Value::Null;
    for n in 0..30 {
        last = app.record(F, &clerk, "donation_cash", gift(n)).await;
    }
    let appending = started.elapsed();
    let size = app.size(F).await;
    assert_eq!(size, 31);
    // The receipt of the last gift, asked for at once, answers with a
    // checkpoint that covers it, within the interval (and some slack).
    let asked = Instant::now();
    let code = last["receipt"]["code"].as_str().expect("a receipt code");
    let r = app.get(&format!("/receipts/{code}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        asked.elapsed() < Duration::from_millis(3_000),
        "{:?}",
        asked.elapsed()
    );
    let proof_size = r.body["proof"]["size"].as_u64().unwrap();
    assert!(proof_size > last["seq"].as_u64().unwrap(), "{}", r.text);
    assert!(r.body["checkpoint"]
        .as_str()
        .unwrap()
        .contains(&format!("\n{proof_size}\n")));
    // One checkpoint when the fund opened, one at the first gift, then at
    // most one a second: far fewer than one per gift.
    let inspector = app.token("inspector", "HN").await;
    let v = app
        .get_as(&format!("/funds/{F}/audit/verify?deep=true"), &inspector)
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.body["sound"], true, "{}", v.text);
    let checkpoints = v.body["checkpoints_checked"].as_u64().unwrap();
    let most = 3 + appending.as_secs();
    assert!(
        (2..=most).contains(&checkpoints),
        "{checkpoints} checkpoints for 31 entries appended in {appending:?}"
    );
    // With nothing more appended, the writer signs the whole fund on its
    // own once the interval has passed.
    let deadline = Instant::now() + Duration::from_secs(3);
    while signed_size(&app).await < size {
        assert!(Instant::now() < deadline, "the head was never signed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

/// Gifts appended just before a clean stop are signed by the stopping
/// writer: a restarted server proves every entry at once.
async fn a_stopping_server_signs_what_waits(app: TestApp) {
    let clerk = app.with_fund().await;
    app.record(F, &clerk, "donation_cash", gift(0)).await;
    let last = app.record(F, &clerk, "donation_cash", gift(1)).await;
    let size = app.size(F).await;
    let db = app.stop().await;
    let settings = db.settings();
    let app = spawn_on(db, settings).await;
    assert_eq!(signed_size(&app).await, size);
    let asked = Instant::now();
    let code = last["receipt"]["code"].as_str().unwrap();
    let r = app.get(&format!("/receipts/{code}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["proof"]["size"], size);
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "{:?}",
        asked.elapsed()
    );
    app.stop().await;
}

/// Verification reads a fund 5,000 entries a page (`REPLAY_PAGE`), each
/// page with the checkpoints its entries reach. A checkpoint signed at
/// exactly a page's end belongs to that page alone; every one is checked,
/// those after it too.
async fn a_checkpoint_at_a_page_s_end_and_those_after_it_are_all_checked(app: TestApp) {
    let clerk = app.with_fund().await;
    let page = sovang::store::REPLAY_PAGE;
    let mut size = app.size(F).await;
    // Batches that end at 1,000, 2,000, … 5,000 entries, and one more gift.
    while size <= page {
        let n = match size % 1_000 {
            0 if size == page => 1,
            0 => 1_000,
            rest => 1_000 - rest,
        };
        let entries: Vec<Value> = (0..n)
            .map(|i| json!({"kind": "donation_cash", "body": gift(size + i)}))
            .collect();
        let a = app
            .post(
                &format!("/funds/{F}/entries/batch"),
                Some(&clerk),
                &json!({ "entries": entries }),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        size += n;
        app.signed(F).await;
    }
    assert_eq!(size, page + 1);
    let store = app.db.store().await;
    let stored = store.checkpoints(F, 0, 1_000).await.unwrap();
    let sizes: Vec<u64> = stored.iter().map(|(s, _)| *s).collect();
    assert!(
        sizes.contains(&page) && sizes.contains(&(page + 1)),
        "{sizes:?}"
    );
    store.close().await;
    let inspector = app.token("inspector", "HN").await;
    for deep in [false, true] {
        let v = app
            .get_as(&format!("/funds/{F}/audit/verify?deep={deep}"), &inspector)
            .await;
        assert_eq!(v.status, 200, "{}", v.text);
        assert_eq!(v.body["sound"], true, "{}", v.text);
        assert_eq!(v.body["size"], page + 1, "{}", v.text);
        assert_eq!(v.body["checkpoints_checked"], sizes.len(), "{}", v.text);
    }
    app.stop().await;
}

crate::both!(
    single_gifts_share_a_checkpoint_and_receipts_wait_for_it,
    a_stopping_server_signs_what_waits,
    a_checkpoint_at_a_page_s_end_and_those_after_it_are_all_checked,
);
