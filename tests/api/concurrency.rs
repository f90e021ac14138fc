//! Many writers at once, several processes, and a crash.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::helpers::{gift, spawn_process, Db, TestApp, TestDb};

/// Opens HN-VNN through `base` and returns a clerk token.
async fn setup(client: &reqwest::Client, base: &str, admin: &str) -> String {
    for (path, body) in [
        (
            "/committees",
            json!({"code": "HN", "name": "Ủy ban MTTQ Hà Nội"}),
        ),
        (
            "/funds",
            json!({"code": "HN-VNN", "committee_code": "HN", "kind": "for_the_poor"}),
        ),
    ] {
        let r = client
            .post(format!("{base}{path}"))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r: Value = client
        .post(format!("{base}/tokens"))
        .bearer_auth(admin)
        .json(&json!({"name": "clerk", "role": "clerk", "committee_code": "HN"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_owned()
}

/// `clients` tasks append `per_client` gifts each, spread over `bases`;
/// returns seq → hash of every acknowledged entry.
async fn hammer(
    bases: &[String],
    clerk: &str,
    clients: usize,
    per_client: usize,
) -> HashMap<u64, String> {
    let acked = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = bases[c % bases.len()].clone();
        let (clerk, acked) = (clerk.to_owned(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..per_client {
                let r = client
                    .post(format!("{base}/funds/HN-VNN/entries"))
                    .bearer_auth(&clerk)
                    .json(&gift(json!((c * 1000 + i + 1).to_string())))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let b: Value = r.json().await.unwrap();
                let seq = b["seq"].as_u64().unwrap();
                let prev = acked
                    .lock()
                    .await
                    .insert(seq, b["hash"].as_str().unwrap().to_owned());
                assert!(prev.is_none(), "seq {seq} acknowledged twice");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner()
}

async fn thirty_two_concurrent_clerks_get_contiguous_seqs(app: TestApp) {
    let clerk = app.with_fund().await;
    let acked = hammer(std::slice::from_ref(&app.base), &clerk, 32, 10).await;
    assert_eq!(acked.len(), 320);
    assert_eq!(*acked.keys().min().unwrap(), 1);
    assert_eq!(*acked.keys().max().unwrap(), 320);
    let store = app.db.store().await;
    let summary = store.verify_fund("HN-VNN", true).await.unwrap();
    assert_eq!(summary.size, 321);
    store.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgresql_never_fork_the_ledger() {
    let Some(db) = TestDb::new(Db::Postgres).await else {
        return;
    };
    let url = db.database_url();
    let first = spawn_process(&db.data_dir(), &url).await;
    // The second process shares the database and the master key.
    let second = spawn_process(&db.data_dir(), &url).await;
    let client = reqwest::Client::new();
    let clerk = setup(&client, &first.base, &db.admin_token()).await;
    let acked = hammer(&[first.base.clone(), second.base.clone()], &clerk, 16, 125).await;
    assert_eq!(acked.len(), 2000);
    let seqs: Vec<u64> = {
        let mut s: Vec<u64> = acked.keys().copied().collect();
        s.sort_unstable();
        s
    };
    assert_eq!(
        seqs,
        (1..=2000).collect::<Vec<u64>>(),
        "seqs are contiguous, one per acknowledgement"
    );
    let store = db.store().await;
    let summary = store
        .verify_fund("HN-VNN", true)
        .await
        .expect("chain and tree verify");
    assert_eq!(summary.size, 2001);
    for (seq, hash) in acked.iter().take(50) {
        let e = store.entries("HN-VNN", *seq, 1).await.unwrap();
        assert_eq!(&hex::encode(&e[0].hash), hash);
    }
    store.close().await;
    drop((first, second));
}

async fn kill_minus_nine_keeps_every_acknowledged_entry(db: Db) {
    let Some(db) = TestDb::new(db).await else {
        return;
    };
    let url = db.database_url();
    let mut server = spawn_process(&db.data_dir(), &url).await;
    let client = reqwest::Client::new();
    let clerk = setup(&client, &server.base, &db.admin_token()).await;

    // Eight clients append until the server dies under them.
    let acked = Arc::new(Mutex::new(HashMap::<u64, String>::new()));
    let mut tasks = Vec::new();
    for c in 0..8 {
        let (base, clerk, acked) = (server.base.clone(), clerk.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..10_000 {
                let sent = client
                    .post(format!("{base}/funds/HN-VNN/entries"))
                    .bearer_auth(&clerk)
                    .json(&gift(json!((c * 100_000 + i + 1).to_string())))
                    .send()
                    .await;
                let Ok(r) = sent else { return };
                if r.status() != 201 {
                    return;
                }
                let Ok(b) = r.json::<Value>().await else {
                    return;
                };
                acked.lock().await.insert(
                    b["seq"].as_u64().unwrap(),
                    b["hash"].as_str().unwrap().to_owned(),
                );
            }
        }));
    }
    // Kill once a few hundred are acknowledged.
    loop {
        if acked.lock().await.len() >= 300 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.child.start_kill().expect("kill -9");
    server.child.wait().await.expect("reaped");
    for t in tasks {
        t.await.unwrap();
    }
    let acked = Arc::try_unwrap(acked).unwrap().into_inner();

    // Restart: everything acknowledged is there, and the ledger verifies.
    let restarted = spawn_process(&db.data_dir(), &url).await;
    let store = db.store().await;
    let summary = store
        .verify_fund("HN-VNN", true)
        .await
        .expect("verifies after the crash");
    assert!(summary.size > acked.len() as u64);
    for (seq, hash) in &acked {
        let e = store.entries("HN-VNN", *seq, 1).await.unwrap();
        assert_eq!(
            e.first().map(|e| hex::encode(&e.hash)).as_deref(),
            Some(hash.as_str()),
            "seq {seq} lost"
        );
    }
    // What the killed server had not signed yet, the new one signs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let signed = store
            .latest_checkpoint("HN-VNN")
            .await
            .unwrap()
            .map(|c| c.0);
        if signed == Some(summary.size) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the restarted server left entries unsigned: {signed:?} of {}",
            summary.size
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And the service takes new gifts where the ledger ends.
    let r: Value = client
        .post(format!("{}/funds/HN-VNN/entries", restarted.base))
        .bearer_auth(&clerk)
        .json(&gift(json!("1")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["seq"].as_u64().unwrap(), summary.size);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_minus_nine_keeps_every_acknowledged_entry_on_sqlite() {
    kill_minus_nine_keeps_every_acknowledged_entry(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_minus_nine_keeps_every_acknowledged_entry_on_postgres() {
    kill_minus_nine_keeps_every_acknowledged_entry(Db::Postgres).await;
}

async fn one_broken_fund_does_not_stop_the_others(app: TestApp) {
    let clerk = app.with_fund().await;
    app.fund("HN-CT", "HN").await;
    let store = app.db.store().await;
    // A head that no longer matches its frontier: appends to HN-CT fail.
    store
        .execute_raw("UPDATE fund_heads SET size = 999 WHERE fund_code = 'HN-CT'")
        .await
        .unwrap();
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let fund = if i % 2 == 0 { "HN-VNN" } else { "HN-CT" };
            let (c, url, t) = (
                app.client.clone(),
                format!("{}/funds/{fund}/entries", app.base),
                clerk.clone(),
            );
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .bearer_auth(t)
                    .json(&gift(json!("1000")))
                    .send()
                    .await
                    .unwrap();
                (fund, r.status().as_u16())
            })
        })
        .collect();
    for t in tasks {
        let (fund, status) = t.await.unwrap();
        assert_eq!(status, if fund == "HN-VNN" { 201 } else { 503 }, "{fund}");
    }
    assert_eq!(app.size("HN-VNN").await, 13);
    store.verify_fund("HN-VNN", true).await.unwrap();
    store.close().await;
    app.stop().await;
}

crate::both!(
    thirty_two_concurrent_clerks_get_contiguous_seqs,
    one_broken_fund_does_not_stop_the_others
);
