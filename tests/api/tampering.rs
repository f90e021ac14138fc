//! Edits behind the service's back: refused by the database, and found by
//! `sovang verify` when someone removes the guard first.

use serde_json::json;
use sovang::store::Backend;

use crate::helpers::{gift, TestApp};

/// Drops the trigger that refuses UPDATE on `table`, as someone with
/// database access could.
async fn drop_update_guard(store: &sovang::store::Store, table: &str) {
    let sql = match store.backend() {
        Backend::Sqlite => format!("DROP TRIGGER {table}_no_update"),
        Backend::Postgres => format!("DROP TRIGGER {table}_append_only ON {table}"),
    };
    store.execute_raw(&sql).await.unwrap();
}

async fn cli_verify(app: &TestApp) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args([
            "verify",
            "--fund",
            "HN-VNN",
            "--database-url",
            &app.db.database_url(),
            "--data-dir",
        ])
        .arg(app.db.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run sovang verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn the_database_refuses_edits_and_verify_names_a_tampered_seq(app: TestApp) {
    let clerk = app.with_fund().await;
    for i in 1..=9 {
        let a = app
            .post(
                "/funds/HN-VNN/entries",
                Some(&clerk),
                &gift(json!(i * 100_000)),
            )
            .await;
        assert_eq!(a.status, 201);
    }
    let (code, out) = cli_verify(&app).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: 10 entries"), "{out}");
    let inspector = app.token("inspector", "HN").await;
    let v = app
        .get_as("/funds/HN-VNN/audit/verify", &inspector)
        .await
        .body;
    assert_eq!(
        (v["sound"].as_bool(), v["size"].as_u64()),
        (Some(true), Some(10))
    );
    assert_eq!(v["balance_vnd"], "4500000");

    let store = app.db.store().await;
    for sql in [
        "UPDATE entries SET canonical = 'x' WHERE seq = 3",
        "DELETE FROM entries WHERE seq = 9",
        "UPDATE merkle_hashes SET hash = hash WHERE idx = 2",
        "DELETE FROM checkpoints",
        "DELETE FROM donations",
        "UPDATE donations SET code = 'AAAAAAAAAAAA' WHERE seq = 2",
        "UPDATE donations SET receipt_no = 'HN-VNN-2026-999999' WHERE seq = 2",
    ] {
        assert!(store.execute_raw(sql).await.is_err(), "{sql} was allowed");
    }
    if store.backend() == Backend::Postgres {
        assert!(store.execute_raw("TRUNCATE entries CASCADE").await.is_err());
    }

    // Someone with database access drops the guard and raises gift 4.
    drop_update_guard(&store, "entries").await;
    let changed =
        crate::helpers::rewrite_entry(&store, "HN-VNN", 4, "\"400000\"", "\"4000000\"").await;
    assert_eq!(changed, 1);
    for deep in [false, true] {
        let fault = store
            .verify_fund("HN-VNN", deep)
            .await
            .unwrap_err()
            .to_string();
        assert!(fault.contains("seq 4"), "{fault}");
    }
    assert_eq!(
        app.get("/funds/HN-VNN").await.body["balance_vnd"],
        "4500000"
    );
    let (code, out) = cli_verify(&app).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED at seq 4"), "{out}");
    assert!(out.contains("altered"), "{out}");
    // The inspector sees the same through the API.
    let inspector = app.token("inspector", "HN").await;
    let v = app
        .get_as("/funds/HN-VNN/audit/verify?deep=true", &inspector)
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.body["sound"], false);
    assert_eq!(v.body["fault"]["seq"], 4);
    app.get_as("/funds/HN-VNN/audit/verify", &clerk)
        .await
        .problem(403);
    app.get_as("/funds/HN-VNN/audit/verify?deep=maybe", &inspector)
        .await
        .problem(400);
    store.close().await;
    app.stop().await;
}

async fn a_rewritten_entry_with_its_hash_breaks_the_chain(app: TestApp) {
    let clerk = app.with_fund().await;
    for i in 1..=5 {
        app.post(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            &gift(json!(i * 1000)),
        )
        .await;
    }
    let store = app.db.store().await;
    drop_update_guard(&store, "entries").await;
    // Rewrite entry 2 and store its new hash too: the next link breaks.
    let e = app.get("/funds/HN-VNN/entries/2").await;
    let forged = e.body["canonical"]
        .as_str()
        .unwrap()
        .replace("\"2000\"", "\"20000\"");
    let hash = sovang::ledger::merkle::leaf_hash(forged.as_bytes());
    let (blob, quote) = match store.backend() {
        Backend::Sqlite => (
            format!("X'{}'", hex::encode(hash.0)),
            forged.replace('\'', "''"),
        ),
        Backend::Postgres => (
            format!("'\\x{}'::bytea", hex::encode(hash.0)),
            forged.replace('\'', "''"),
        ),
    };
    store
        .execute_raw(&format!(
            "UPDATE entries SET canonical = '{quote}', packed = NULL, hash = {blob} WHERE seq = 2"
        ))
        .await
        .unwrap();
    let fault = store
        .verify_fund("HN-VNN", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        fault.starts_with("seq 2") || fault.starts_with("seq 3"),
        "{fault}"
    );
    store.close().await;
    app.stop().await;
}

async fn an_edited_balance_is_found(app: TestApp) {
    let clerk = app.with_fund().await;
    app.post(
        "/funds/HN-VNN/entries",
        Some(&clerk),
        &gift(json!("700000")),
    )
    .await;
    let store = app.db.store().await;
    store
        .execute_raw("UPDATE fund_heads SET balance_vnd = '70000000'")
        .await
        .unwrap();
    let fault = store
        .verify_fund("HN-VNN", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        fault.contains("balance of 70000000") && fault.contains("700000"),
        "{fault}"
    );
    store.close().await;
    app.stop().await;
}

async fn a_server_with_another_master_key_refuses_to_start(app: TestApp) {
    app.with_fund().await;
    let db = app.stop().await;
    let (dir, settings) = (db.data_dir(), db.settings());
    std::fs::remove_file(dir.join("master.key")).unwrap();
    let err = sovang::app::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("HN-VNN"), "{err}");
}

async fn a_rewritten_merkle_hash_is_found(app: TestApp) {
    let clerk = app.with_fund().await;
    for i in 1..=7 {
        app.post(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            &gift(json!(i * 1000)),
        )
        .await;
    }
    let store = app.db.store().await;
    drop_update_guard(&store, "merkle_hashes").await;
    // Stored index 2 is the node over leaves 0 and 1 (leaves are kept
    // with their entries); overwrite it with leaf 0's hash.
    app.signed("HN-VNN").await;
    store
        .execute_raw("UPDATE merkle_hashes SET hash = (SELECT hash FROM entries WHERE seq = 0) WHERE idx = 2")
        .await
        .unwrap();
    let fault = store
        .verify_fund("HN-VNN", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        fault.contains("seq 1") && fault.contains("Merkle hash 2"),
        "{fault}"
    );
    // A proof built from it does not verify against the signed root, so a
    // donor checking a receipt would notice too: leaf 2's path climbs
    // through the node over leaves 0 and 1.
    let p = app.get("/funds/HN-VNN/proof/inclusion?seq=2&size=8").await;
    let hex =
        |v: &serde_json::Value| sovang::ledger::merkle::from_hex(v.as_str().unwrap()).unwrap();
    let path: Vec<_> = p.body["path"].as_array().unwrap().iter().map(hex).collect();
    let leaf = hex(&p.body["leaf_hash"]);
    let signed_root = hex(&app.get("/funds/HN-VNN").await.body["root"]);
    assert!(sovang::ledger::merkle::verify_inclusion(2, 8, &leaf, &path, &signed_root).is_err());
    store.close().await;
    app.stop().await;
}

/// The books beside the ledger (campaigns, balances) are derived: an edit
/// to them is found by the inspector's replay, field by field.
async fn an_edited_derived_table_is_found_by_replay(app: TestApp) {
    let clerk = app.with_fund().await;
    let inspector = app.token("inspector", "HN").await;
    app.record(
        "HN-VNN",
        &clerk,
        "campaign_opened",
        json!({"campaign_id": "tet", "name": "Tết 2027",
        "kind": "tet", "starts_on": "2026-11-01", "ends_on": "2027-01-31", "window_reason": "Vận động cả năm"}),
    )
    .await;
    app.record("HN-VNN", &clerk, "donation_cash", json!({"donor": {"display": "Bà Tư", "kind": "individual"},
        "amount_vnd": "700000", "channel": "cash", "received_on": "2026-11-05", "campaign_id": "tet"})).await;
    app.assert_replay_consistent("HN-VNN", &inspector).await;

    let store = app.db.store().await;
    store
        .execute_raw("UPDATE fund_objects SET data = REPLACE(data, '\"cash_received_vnd\":\"700000\"', '\"cash_received_vnd\":\"70000\"') WHERE kind = 'campaign'")
        .await
        .unwrap();
    let a = app.get_as("/funds/HN-VNN/audit/replay", &inspector).await;
    assert_eq!(a.body["consistent"], false, "{}", a.text);
    let d = &a.body["differences"][0];
    assert_eq!(d["object"], "campaign/tet", "{}", a.text);
    assert_eq!(d["field"], "cash_received_vnd");
    assert_eq!(d["replayed"], "700000");
    assert_eq!(d["live"], "70000");
}

/// A day's stored totals, from which statements are read, edited behind
/// the service's back: `verify --deep` and replay rebuild the days from
/// the ledger and name the day.
async fn an_edited_day_of_totals_is_found(app: TestApp) {
    let clerk = app.with_fund().await;
    for i in 1..=3 {
        app.post(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            &gift(json!(i * 1000)),
        )
        .await;
    }
    let inspector = app.token("inspector", "HN").await;
    let store = app.db.store().await;
    store
        .verify_fund("HN-VNN", true)
        .await
        .expect("sound before");
    let day = crate::helpers::today_vn();
    store
        .execute_raw(&format!(
            "UPDATE fund_days SET totals = replace(totals, '\"amount_vnd\":\"6000\"', '\"amount_vnd\":\"60000\"') \
             WHERE fund_code = 'HN-VNN' AND day = '{day}'"
        ))
        .await
        .unwrap();
    let fault = store
        .verify_fund("HN-VNN", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(fault.contains(&format!("days/{day}")), "{fault}");
    let r = app.get_as("/funds/HN-VNN/audit/replay", &inspector).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["consistent"], false, "{}", r.text);
    let named: Vec<&str> = r.body["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["object"].as_str())
        .collect();
    assert!(
        named.contains(&format!("days/{day}").as_str()),
        "{}",
        r.text
    );
    // A removed day is named too.
    store
        .execute_raw(&format!(
            "DELETE FROM fund_days WHERE fund_code = 'HN-VNN' AND day = '{day}'"
        ))
        .await
        .unwrap();
    let fault = store
        .verify_fund("HN-VNN", true)
        .await
        .unwrap_err()
        .to_string();
    assert!(fault.contains(&format!("days/{day}")), "{fault}");
    store.close().await;
    app.stop().await;
}

crate::both!(
    an_edited_day_of_totals_is_found,
    an_edited_derived_table_is_found_by_replay,
    a_rewritten_merkle_hash_is_found,
    an_edited_balance_is_found,
    a_server_with_another_master_key_refuses_to_start,
    the_database_refuses_edits_and_verify_names_a_tampered_seq,
    a_rewritten_entry_with_its_hash_breaks_the_chain
);
